//! On-site inspection (现场检查): a planned visit is started by its team (检查组, the starter its
//! leader), who work through the checklist (检查要点) and record findings (缺陷) graded critical
//! / major / minor (严重 / 主要 / 一般), each with its evidence (证据). Every evidence file's SM3
//! goes into the finding's ledgered version in the transaction that stores it (evidence locking,
//! 证据固化), so [`evidence_check`] shows any file changed afterwards. The on-site record (现场检查
//! 记录, entity `sup_onsite`: team, checklist, conclusion and every finding with its evidence
//! hashes) is then signed on site — first by the inspector, which closes it to changes, then by
//! the company's representative (企业负责人) with their own account on the same device — and the
//! inspection is `signed`.
//!
//! Who may do what: `supervision.read` reads; a team member (who holds `supervision.manage` in
//! the bureau) records; the representative is an active user of the inspected company.

use crate::error::{Result, SupervisionError};
use crate::plans::{self, Inspection};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_ledger::HashAlg;
use yaolian_records::esign;
use yaolian_records::files::{self, FileRef, FileTable, Upload};
use yaolian_store::{versions, RecordVersion, Store, StoreError, Tx};

pub const ENTITY: &str = "sup_onsite";
pub const FINDING_ENTITY: &str = "sup_finding";

/// Finding grades, code and Chinese name, most serious first.
pub const GRADES: &[(&str, &str)] = &[("critical", "严重缺陷"), ("major", "主要缺陷"), ("minor", "一般缺陷")];

/// Checklist results, code and Chinese name.
pub const RESULTS: &[(&str, &str)] = &[("", "未检查"), ("conform", "符合"), ("nonconform", "不符合"), ("na", "不适用")];

/// The checklist a visit starts with: the chapters of 《药品生产质量管理规范（2010年修订）》 an
/// on-site inspection works through (a bureau's own lists can replace it later).
pub const CHECKLIST: &[&str] = &[
    "质量管理与质量风险管理",
    "机构与人员",
    "厂房与设施",
    "设备",
    "物料与产品",
    "确认与验证",
    "文件管理",
    "生产管理",
    "质量控制与质量保证",
    "委托生产与委托检验",
    "产品发运与召回",
    "自检",
];

/// A finding's rectification (整改) after the visit, code and Chinese name: the company answers
/// (`responded`), the bureau verifies it done (`closed`) or sends it back (`open` again).
pub const CAPA_STATES: &[(&str, &str)] = &[("open", "待整改"), ("responded", "整改待核查"), ("closed", "整改已核查")];

/// Evidence files per upload, and bytes per file.
pub const MAX_FILES: usize = 10;
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

const EVIDENCE: FileTable = FileTable { table: "sup_evidence", owner: "finding_id" };

/// A team member (检查组成员).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub username: String,
    /// `leader` (组长) or `member` (组员).
    pub role: String,
}

/// A checklist item and what the team found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub item: String,
    /// One of [`RESULTS`]' codes.
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub note: String,
}

/// A finding with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Finding {
    pub id: i64,
    pub inspection_id: i64,
    /// 缺陷序号 within the inspection.
    pub seq: i64,
    /// One of [`GRADES`]' codes.
    pub grade: String,
    /// The clause it departs from (e.g. 《药品生产质量管理规范》第一百八十四条).
    pub clause: String,
    pub description: String,
    pub status: String,
    pub evidence: Vec<FileRef>,
    /// The company's rectification (整改) as it answered, while it waits for verification or
    /// once verified ('' before it answers, and again after a verification that did not pass).
    pub capa: String,
    pub capa_by: Option<String>,
    /// The bureau's verification note (核查意见), kept when it did not pass.
    pub verification: String,
    /// Who verified the rectification as done (`None` until it is).
    pub verified_by: Option<String>,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

impl Finding {
    /// Where its rectification stands, one of [`CAPA_STATES`]' codes.
    pub fn capa_state(&self) -> &'static str {
        if self.verified_by.is_some() {
            "closed"
        } else if !self.capa.is_empty() {
            "responded"
        } else {
            "open"
        }
    }
}

/// The company's rectification of a finding (整改报告).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CapaResponse {
    /// What was found to be the cause, what was done, and by when (原因分析、整改措施、完成情况).
    pub capa: String,
    pub version: i64,
}

/// The bureau's verification of a rectification (整改核查).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CapaVerification {
    pub passed: bool,
    #[serde(default)]
    pub note: String,
    pub version: i64,
}

/// A finding of a signed inspection, as its company sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CompanyFinding {
    pub finding: Finding,
    pub number: String,
    pub company_id: i64,
    pub company_name: String,
    pub org_name: String,
}

/// The on-site record of an inspection.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OnSite {
    pub inspection: Inspection,
    pub team: Vec<Member>,
    pub checklist: Vec<Item>,
    pub conclusion: String,
    pub findings: Vec<Finding>,
    pub started_by: String,
    #[schema(value_type = i64)]
    pub started_at: Timestamp,
    pub version: i64,
}

/// A finding to record.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewFinding {
    /// One of [`GRADES`]' codes.
    pub grade: String,
    #[serde(default)]
    pub clause: String,
    pub description: String,
    /// Evidence: photos, copies of records … (base64).
    #[serde(default)]
    pub files: Vec<Upload>,
}

/// The checklist's results and the conclusion, as the team records them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Progress {
    pub checklist: Vec<Item>,
    #[serde(default)]
    pub conclusion: String,
    pub version: i64,
}

/// One evidence file checked against its ledgered SM3.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EvidenceCheck {
    /// The file as the ledger locked it (`None`: a file the ledger never locked).
    pub locked: Option<FileRef>,
    pub name: String,
    /// The SM3 of the bytes stored now (`None`: the file is gone).
    pub actual_sm3: Option<String>,
    /// The bytes are those the ledger locked.
    pub intact: bool,
}

const FINDING_COLUMNS: &str = "f.id, f.inspection_id, f.seq, f.grade, f.clause, f.description, f.status, \
     f.capa, f.capa_by, f.verification, f.verified_by, f.created_by, f.created_at, f.version";

fn finding_row(r: &sqlx::any::AnyRow) -> std::result::Result<Finding, sqlx::Error> {
    Ok(Finding {
        id: r.try_get("id")?,
        inspection_id: r.try_get("inspection_id")?,
        seq: r.try_get("seq")?,
        grade: r.try_get("grade")?,
        clause: r.try_get("clause")?,
        description: r.try_get("description")?,
        status: r.try_get("status")?,
        evidence: Vec::new(),
        capa: r.try_get("capa")?,
        capa_by: r.try_get("capa_by")?,
        verification: r.try_get("verification")?,
        verified_by: r.try_get("verified_by")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

/// The finding's image: as recorded on site, with the rectification and its verification once
/// there is any (a finding never answered keeps the image it was signed with).
fn finding_image(f: &Finding) -> serde_json::Value {
    let mut image = recorded_image(f);
    if !f.capa.is_empty() || !f.verification.is_empty() || f.verified_by.is_some() {
        image["capa"] = serde_json::json!(f.capa);
        image["capa_by"] = serde_json::json!(f.capa_by);
        image["verification"] = serde_json::json!(f.verification);
        image["verified_by"] = serde_json::json!(f.verified_by);
    }
    image
}

/// The finding as recorded on site: what the on-site record's signatures bind.
fn recorded_image(f: &Finding) -> serde_json::Value {
    serde_json::json!({
        "id": f.id,
        "inspection_id": f.inspection_id,
        "seq": f.seq,
        "grade": f.grade,
        "clause": f.clause,
        "description": f.description,
        "status": f.status,
        "evidence": f.evidence,
        "created_by": f.created_by,
    })
}

/// The on-site record's image: what the signatures bind — the team, checklist, conclusion and
/// every finding with its evidence hashes.
fn image(o: &OnSite) -> serde_json::Value {
    serde_json::json!({
        "inspection_id": o.inspection.id,
        "number": o.inspection.number,
        "company_id": o.inspection.company_id,
        "team": o.team,
        "checklist": o.checklist,
        "conclusion": o.conclusion,
        "findings": o.findings.iter().map(recorded_image).collect::<Vec<_>>(),
        "started_by": o.started_by,
    })
}

fn decode_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    Ok(crate::rows::decode_json(text, what)?)
}

/// The findings of an inspection with their evidence, read in `executor`'s view.
async fn findings_in(conn: &mut sqlx::AnyConnection, inspection_id: i64) -> Result<Vec<Finding>> {
    let rows =
        sqlx::query(&format!("SELECT {FINDING_COLUMNS} FROM sup_findings f WHERE f.inspection_id = $1 ORDER BY f.seq"))
            .bind(inspection_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut list: Vec<Finding> = rows.iter().map(finding_row).collect::<std::result::Result<_, _>>()?;
    let evidence = sqlx::query(
        "SELECT e.id, e.finding_id, e.label, e.name, e.size, e.sm3 FROM sup_evidence e \
         JOIN sup_findings f ON f.id = e.finding_id WHERE f.inspection_id = $1 ORDER BY e.id",
    )
    .bind(inspection_id)
    .fetch_all(&mut *conn)
    .await?;
    for r in &evidence {
        let finding: i64 = r.try_get("finding_id")?;
        if let Some(f) = list.iter_mut().find(|f| f.id == finding) {
            f.evidence.push(FileRef {
                id: r.try_get("id")?,
                label: r.try_get("label")?,
                name: r.try_get("name")?,
                size: r.try_get("size")?,
                sm3: r.try_get("sm3")?,
            });
        }
    }
    Ok(list)
}

/// The on-site record of inspection `id`, if started (`None`: not yet).
async fn load(store: &Store, inspection: Inspection) -> Result<Option<OnSite>> {
    let row = sqlx::query(
        "SELECT team, checklist, conclusion, started_by, started_at, version FROM sup_onsite WHERE inspection_id = $1",
    )
    .bind(inspection.id)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let mut conn = store.pool().acquire().await?;
    let findings = findings_in(&mut conn, inspection.id).await?;
    Ok(Some(OnSite {
        team: decode_json(&r.try_get::<String, _>("team")?, "team")?,
        checklist: decode_json(&r.try_get::<String, _>("checklist")?, "checklist")?,
        conclusion: r.try_get("conclusion")?,
        findings,
        started_by: r.try_get("started_by")?,
        started_at: Timestamp(r.try_get("started_at")?),
        version: r.try_get("version")?,
        inspection,
    }))
}

/// The on-site record of an inspection the principal reads (`None`: not started).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Option<OnSite>> {
    let inspection = plans::inspection(store, principal, id, client).await?;
    load(store, inspection).await
}

/// Whether the principal records on this visit: a member of its team.
pub fn on_team(o: &OnSite, principal: &Principal) -> bool {
    o.team.iter().any(|m| m.username == principal.username())
}

/// The users who may join a team of the inspection's bureau: active, holding
/// `supervision.manage` there, as `(login, name)`.
pub async fn inspectors(store: &Store, i: &Inspection) -> Result<Vec<(String, String)>> {
    crate::cases::managers_of(store, i.org_id).await
}

/// People's names for a reason, joined with 、 (the login when unknown).
pub(crate) async fn joined_names(store: &Store, logins: &[&str]) -> Result<String> {
    Ok(display_names(store, logins).await?.join("、"))
}

/// People's names (姓名) for reasons that name them, in the order given (the login when unknown),
/// read in one query.
pub(crate) async fn display_names(store: &Store, logins: &[&str]) -> Result<Vec<String>> {
    if logins.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = yaolian_store::sql::Params::new();
    let marks: Vec<String> = logins.iter().map(|l| p.push(*l)).collect();
    let sql = format!("SELECT username, display_name FROM users WHERE username IN ({})", marks.join(", "));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut known = std::collections::HashMap::new();
    for r in &rows {
        known.insert(r.try_get::<String, _>("username")?, r.try_get::<String, _>("display_name")?);
    }
    Ok(logins.iter().map(|l| known.get(*l).cloned().unwrap_or_else(|| (*l).to_string())).collect())
}

fn wrong(i: &Inspection, action: &'static str) -> SupervisionError {
    SupervisionError::WrongState { number: i.number.clone(), status: i.status.clone(), action }
}

/// Writes the on-site record's current state as its next version, in `tx`.
async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    inspection: &Inspection,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let r = sqlx::query(
        "SELECT team, checklist, conclusion, started_by, started_at, version FROM sup_onsite WHERE inspection_id = $1",
    )
    .bind(inspection.id)
    .fetch_one(&mut **tx)
    .await?;
    let findings = findings_in(tx, inspection.id).await?;
    let o = OnSite {
        team: decode_json(&r.try_get::<String, _>("team")?, "team")?,
        checklist: decode_json(&r.try_get::<String, _>("checklist")?, "checklist")?,
        conclusion: r.try_get("conclusion")?,
        findings,
        started_by: r.try_get("started_by")?,
        started_at: Timestamp(r.try_get("started_at")?),
        version: r.try_get("version")?,
        inspection: inspection.clone(),
    };
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id: inspection.id,
        version: o.version,
        data: image(&o),
        action,
        reason,
        audit: audit::action::SUP_INSPECTION,
        target: format!("sup_onsite:{} {} {action}", inspection.id, inspection.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// Moves the inspection to `status` (expecting `before`'s version) and versions it, in `tx`.
async fn move_inspection(
    tx: &mut Tx<'_>,
    principal: &Principal,
    before: &Inspection,
    status: &str,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<Inspection> {
    let done = sqlx::query(
        "UPDATE sup_inspections SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(status)
    .bind(Timestamp::now().0)
    .bind(before.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("inspection {} changed meanwhile; reload", before.number)).into());
    }
    plans::save(tx, principal, before.id, action, reason, client).await?;
    Ok(Inspection { status: status.to_string(), version: before.version + 1, ..before.clone() })
}

/// Starts a planned visit on site (`supervision.manage` in its bureau): the principal leads the
/// team, `members` (logins of the bureau's inspectors) join it; the checklist starts empty.
pub async fn start(
    store: &Store,
    principal: &Principal,
    id: i64,
    members: &[String],
    version: i64,
    client: &ClientInfo,
) -> Result<OnSite> {
    let i = plans::inspection(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", i.org_id).await?;
    if !principal.reaches(perm::SUPERVISION_MANAGE, &path) {
        return Err(
            audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_inspection:{id}"), client).await
        );
    }
    if i.status != "planned" {
        return Err(wrong(&i, "start"));
    }
    if i.version != version {
        return Err(IdentityError::Conflict(format!("inspection {} changed meanwhile; reload", i.number)).into());
    }
    let allowed = inspectors(store, &i).await?;
    let mut team = vec![Member { username: principal.username().to_string(), role: "leader".into() }];
    let mut errors = ValidationError::new();
    for (n, m) in members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).enumerate() {
        if team.iter().any(|t| t.username == m) {
            continue;
        }
        if !allowed.iter().any(|(login, _)| login == m) {
            errors.push(format!("members[{n}]"), "may_inspect", "an inspector of the bureau");
            continue;
        }
        team.push(Member { username: m.to_string(), role: "member".into() });
    }
    if team.len() < 2 {
        errors.push("members", "two_inspectors", "an on-site inspection needs at least two inspectors");
    }
    errors.into_result()?;
    let checklist: Vec<Item> = CHECKLIST
        .iter()
        .map(|item| Item { item: (*item).into(), result: String::new(), note: String::new() })
        .collect();
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO sup_onsite (inspection_id, team, checklist, conclusion, started_by, started_at, version, updated_at) \
         VALUES ($1, $2, $3, '', $4, $5, 1, $5)",
    )
    .bind(id)
    .bind(serde_json::to_string(&team).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(serde_json::to_string(&checklist).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(principal.username())
    .bind(now.0)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    let names = display_names(store, &team.iter().map(|m| m.username.as_str()).collect::<Vec<_>>()).await?;
    let i = move_inspection(
        &mut tx,
        principal,
        &i,
        "on_site",
        ("start", &format!("进场检查，检查组：{}", names.join("、"))),
        client,
    )
    .await?;
    save(&mut tx, principal, &i, ("start", "进场检查"), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await?.ok_or_else(|| IdentityError::NotFound("on-site record").into())
}

/// Refuses a step taken on a version of the record other than the current one.
fn stale(o: &OnSite, version: i64) -> Result<()> {
    if o.version != version {
        return Err(IdentityError::Conflict(format!(
            "on-site record {} changed meanwhile; reload",
            o.inspection.number
        ))
        .into());
    }
    Ok(())
}

/// The record, refused unless the principal is on its team and the inspection is in `status`.
async fn on_team_in(
    store: &Store,
    principal: &Principal,
    id: i64,
    (status, action): (&str, &'static str),
    client: &ClientInfo,
) -> Result<OnSite> {
    let Some(o) = get(store, principal, id, client).await? else {
        let i = plans::inspection(store, principal, id, client).await?;
        return Err(wrong(&i, action));
    };
    if !on_team(&o, principal) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_onsite:{id}"), client).await);
    }
    if o.inspection.status != status {
        return Err(wrong(&o.inspection, action));
    }
    Ok(o)
}

/// The record, refused unless the principal is on its team and it is still being recorded.
async fn recording(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<OnSite> {
    on_team_in(store, principal, id, ("on_site", "record"), client).await
}

/// Records the checklist's results and the conclusion (a team member, while on site).
pub async fn progress(
    store: &Store,
    principal: &Principal,
    id: i64,
    p: &Progress,
    client: &ClientInfo,
) -> Result<OnSite> {
    let o = recording(store, principal, id, client).await?;
    let mut errors = ValidationError::new();
    errors.length("conclusion", &p.conclusion, 0, 4000);
    if p.checklist.len() != o.checklist.len() {
        errors.push("checklist", "items", "the record's checklist items, in order");
    }
    for (n, (item, was)) in p.checklist.iter().zip(&o.checklist).enumerate() {
        if item.item != was.item {
            errors.push(format!("checklist[{n}].item"), "unchanged", "the checklist's own item");
        }
        if !RESULTS.iter().any(|(c, _)| *c == item.result) {
            errors.push(format!("checklist[{n}].result"), "one_of:conform,nonconform,na", "the item's result");
        }
        errors.length(&format!("checklist[{n}].note"), &item.note, 0, 1000);
    }
    errors.into_result()?;
    stale(&o, p.version)?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE sup_onsite SET checklist = $1, conclusion = $2, version = version + 1, updated_at = $3 \
         WHERE inspection_id = $4 AND version = $5",
    )
    .bind(serde_json::to_string(&p.checklist).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(p.conclusion.trim())
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(p.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!(
            "on-site record {} changed meanwhile; reload",
            o.inspection.number
        ))
        .into());
    }
    save(&mut tx, principal, &o.inspection, ("progress", "记录检查要点"), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await?.ok_or_else(|| IdentityError::NotFound("on-site record").into())
}

/// Bumps the on-site record's version (a finding or evidence changed it) and versions it.
async fn touch(
    tx: &mut Tx<'_>,
    principal: &Principal,
    o: &OnSite,
    what: (&str, &str),
    client: &ClientInfo,
) -> Result<()> {
    sqlx::query("UPDATE sup_onsite SET version = version + 1, updated_at = $1 WHERE inspection_id = $2")
        .bind(Timestamp::now().0)
        .bind(o.inspection.id)
        .execute(&mut **tx)
        .await?;
    save(tx, principal, &o.inspection, what, client).await?;
    Ok(())
}

/// Versions a finding as it now is (its evidence's SM3 with it: the lock), in `tx`.
async fn save_finding(
    tx: &mut Tx<'_>,
    principal: &Principal,
    finding_id: i64,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<Finding> {
    let r = sqlx::query(&format!("SELECT {FINDING_COLUMNS} FROM sup_findings f WHERE f.id = $1"))
        .bind(finding_id)
        .fetch_one(&mut **tx)
        .await?;
    let mut f = finding_row(&r)?;
    let all = findings_in(tx, f.inspection_id).await?;
    f.evidence = all.into_iter().find(|x| x.id == f.id).map(|x| x.evidence).unwrap_or_default();
    let step = yaolian_records::step::Step {
        entity: FINDING_ENTITY,
        id: f.id,
        version: f.version,
        data: finding_image(&f),
        action,
        reason,
        audit: audit::action::SUP_INSPECTION,
        target: format!("sup_finding:{} {action}", f.id),
    };
    yaolian_records::step::record(tx, principal, step, client).await?;
    Ok(f)
}

/// Records a finding with its evidence (a team member, while on site); the evidence's SM3 is
/// locked in the finding's ledgered version in the same transaction.
pub async fn add_finding(
    store: &Store,
    principal: &Principal,
    id: i64,
    n: &NewFinding,
    client: &ClientInfo,
) -> Result<Finding> {
    let mut errors = ValidationError::new();
    if !GRADES.iter().any(|(c, _)| *c == n.grade) {
        errors.push("grade", "one_of:critical,major,minor", "the finding's grade");
    }
    errors.length("clause", n.clause.trim(), 0, 200);
    errors.length("description", n.description.trim(), 1, 4000);
    errors.into_result()?;
    let decoded = files::decode(&n.files, MAX_FILES, MAX_FILE_BYTES)?;
    let o = recording(store, principal, id, client).await?;
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sup_findings WHERE inspection_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let finding_id: i64 = sqlx::query(
        "INSERT INTO sup_findings (inspection_id, seq, grade, clause, description, status, created_by, created_at, \
         version, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, 1, $7) RETURNING id",
    )
    .bind(id)
    .bind(seq + 1)
    .bind(&n.grade)
    .bind(n.clause.trim())
    .bind(n.description.trim())
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    files::store(&mut tx, &EVIDENCE, finding_id, &decoded, now.0).await?;
    let grade = GRADES.iter().find(|(c, _)| *c == n.grade).map(|(_, z)| *z).unwrap_or("");
    let reason = format!("记录{grade}，证据 {} 份（SM3 固化）", decoded.len());
    let f = save_finding(&mut tx, principal, finding_id, ("record", &reason), client).await?;
    touch(&mut tx, principal, &o, ("finding", &format!("记录缺陷 {}：{grade}", f.seq)), client).await?;
    tx.commit().await?;
    Ok(f)
}

/// Adds evidence to a finding (a team member, while on site), locked as it is stored.
pub async fn add_evidence(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    uploads: &[Upload],
    client: &ClientInfo,
) -> Result<Finding> {
    let inspection_id = inspection_of(store, finding_id).await?;
    let o = recording(store, principal, inspection_id, client).await?;
    if uploads.is_empty() {
        return Err(ValidationError::single("files", "required", "at least one file").into());
    }
    let decoded = files::decode(uploads, MAX_FILES, MAX_FILE_BYTES)?;
    let mut tx = store.begin().await?;
    files::store(&mut tx, &EVIDENCE, finding_id, &decoded, Timestamp::now().0).await?;
    sqlx::query("UPDATE sup_findings SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(Timestamp::now().0)
        .bind(finding_id)
        .execute(&mut *tx)
        .await?;
    let reason = format!("补充证据 {} 份（SM3 固化）", decoded.len());
    let f = save_finding(&mut tx, principal, finding_id, ("evidence", &reason), client).await?;
    touch(&mut tx, principal, &o, ("evidence", &format!("缺陷 {} 补充证据", f.seq)), client).await?;
    tx.commit().await?;
    Ok(f)
}

async fn inspection_of(store: &Store, finding_id: i64) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT inspection_id FROM sup_findings WHERE id = $1")
        .bind(finding_id)
        .fetch_optional(store.pool())
        .await?;
    id.ok_or_else(|| IdentityError::NotFound("finding").into())
}

/// Checks every evidence file of a finding the principal reads against the SM3 its latest
/// ledgered version locked: a file whose bytes changed, a file gone, and a file the ledger never
/// locked each show as not intact.
pub async fn evidence_check(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    client: &ClientInfo,
) -> Result<Vec<EvidenceCheck>> {
    let inspection_id = inspection_of(store, finding_id).await?;
    plans::inspection(store, principal, inspection_id, client).await?;
    let locked: Vec<FileRef> = match versions::latest(store.pool(), FINDING_ENTITY, &finding_id.to_string()).await? {
        Some(v) => serde_json::from_value(v.data.get("evidence").cloned().unwrap_or_default()).unwrap_or_default(),
        None => Vec::new(),
    };
    check_files(store, &EVIDENCE, finding_id, &locked).await
}

/// Each stored file of `owner_id` in `table` against the references the ledger locked (a
/// locked file no longer stored is listed as gone).
pub(crate) async fn check_files(
    store: &Store,
    table: &FileTable,
    owner_id: i64,
    locked: &[FileRef],
) -> Result<Vec<EvidenceCheck>> {
    let sql = format!("SELECT id, name, content FROM {} WHERE {} = $1 ORDER BY id", table.table, table.owner);
    let rows = sqlx::query(&sql).bind(owner_id).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let bytes: Vec<u8> = r.try_get("content")?;
        let actual = HashAlg::Sm3.digest(&[&bytes]).to_hex();
        let lock = locked.iter().find(|f| f.id == id).cloned();
        seen.push(id);
        out.push(EvidenceCheck {
            intact: lock.as_ref().is_some_and(|l| l.sm3 == actual),
            name: r.try_get("name")?,
            locked: lock,
            actual_sm3: Some(actual),
        });
    }
    for l in locked.iter().filter(|l| !seen.contains(&l.id)) {
        out.push(EvidenceCheck { name: l.name.clone(), locked: Some(l.clone()), actual_sm3: None, intact: false });
    }
    Ok(out)
}

/// An evidence file of a finding the principal reads: its name, type, SM3 and bytes.
pub async fn evidence_file(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<files::StoredFile> {
    let inspection_id = inspection_of(store, finding_id).await?;
    plans::inspection(store, principal, inspection_id, client).await?;
    files::read(store.pool(), &EVIDENCE, finding_id, file_id)
        .await?
        .ok_or_else(|| IdentityError::NotFound("file").into())
}

/// The inspector's on-site signature (a team member, password): the record as it now stands is
/// signed (检查员签名) and closed to changes, waiting for the company's signature.
pub async fn sign_inspector(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    version: i64,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<OnSite> {
    let o = recording(store, principal, id, client).await?;
    stale(&o, version)?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_onsite:{id} sign"), client).await?;
    let mut tx = store.begin().await?;
    let i = move_inspection(&mut tx, principal, &o.inspection, "signing", ("sign", "检查员现场签名"), client).await?;
    sqlx::query("UPDATE sup_onsite SET version = version + 1, updated_at = $1 WHERE inspection_id = $2")
        .bind(Timestamp::now().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let written = save(&mut tx, principal, &i, ("sign", "现场检查记录定稿，检查员签名"), client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "author", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await?.ok_or_else(|| IdentityError::NotFound("on-site record").into())
}

/// The company representative's signature on the same device (a team member's session hands it
/// over): the representative's own login and password, an active user of the inspected company;
/// signs (确认) the version the inspector signed, and the inspection is `signed`.
#[allow(clippy::too_many_arguments)]
pub async fn sign_company(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    version: i64,
    representative: &str,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<OnSite> {
    let o = on_team_in(store, principal, id, ("signing", "sign"), client).await?;
    stale(&o, version)?;
    let target = format!("sup_onsite:{id} company sign");
    let rep = esign::second_person(store, identity, "representative", representative, password, totp, &target, client)
        .await?;
    let company = yaolian_identity::orgs::path_of(store, "company_id", o.inspection.company_id).await?;
    let theirs = yaolian_identity::orgs::path_of(store, "representative", rep.org_id()).await?;
    if !theirs.starts_with(&company) {
        return Err(ValidationError::single("representative", "company_user", "a user of the inspected company").into());
    }
    let Some(current) = versions::latest(store.pool(), ENTITY, &id.to_string()).await? else {
        return Err(IdentityError::NotFound("on-site record").into());
    };
    let mut tx = store.begin().await?;
    let rep_name = display_names(store, &[rep.username()]).await?.join("");
    let reason = format!("企业代表 {rep_name} 现场签字确认");
    let i = &o.inspection;
    move_inspection(&mut tx, principal, i, "signed", ("sign_company", &reason), client).await?;
    esign::sign_in_tx(&mut tx, &rep, password, "confirm", &current, client).await?;
    // The signed record goes on the company's 一企一档 timeline with its findings by grade.
    let counts: Vec<String> = GRADES
        .iter()
        .map(|(code, name)| format!("{name} {}", o.findings.iter().filter(|f| f.grade == *code).count()))
        .collect();
    let title = format!("现场检查 {} 记录签字：{}", i.number, counts.join("、"));
    let link = format!("/supervision/inspections/{}", i.id);
    let event = yaolian_registry::timeline::NewEvent {
        org_id: i.company_id,
        product_id: None,
        module: "supervision",
        kind: "inspection_signed",
        title: &title,
        link: &link,
    };
    yaolian_registry::timeline::add(&mut tx, &event).await?;
    tx.commit().await?;
    // Its findings count in the company's score and credit from now on.
    let trigger = format!("现场检查 {} 记录签字", i.number);
    crate::scores::recompute(store, principal, Some(&[i.company_id]), &trigger, client).await?;
    get(store, principal, id, client).await?.ok_or_else(|| IdentityError::NotFound("on-site record").into())
}

/// The signatures on the on-site record.
pub async fn signatures(store: &Store, id: i64) -> Result<Vec<esign::SignatureView>> {
    let history = versions::history(store.pool(), ENTITY, &id.to_string()).await?;
    Ok(esign::signatures_for(store, &history).await?)
}

/// Every on-site record and finding whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT inspection_id FROM sup_onsite ORDER BY inspection_id")
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::new();
    let mut finding_images = Vec::new();
    for id in ids {
        let inspection = plans::unchecked(store, id).await?;
        if let Some(o) = load(store, inspection).await? {
            for f in &o.findings {
                finding_images
                    .push(yaolian_store::state::Image { entity_id: f.id.to_string(), data: finding_image(f) });
            }
            images.push(yaolian_store::state::Image { entity_id: id.to_string(), data: image(&o) });
        }
    }
    let mut drifts = yaolian_store::state::check(store, ENTITY, images).await?;
    drifts.extend(yaolian_store::state::check(store, FINDING_ENTITY, finding_images).await?);
    Ok(drifts)
}

/// A finding of a signed inspection, read for a rectification step: the finding, the inspection,
/// and whether the principal acts for the company (`quality.manage` over it) or the bureau
/// (`supervision.manage`); not found for whoever reads neither.
async fn after_visit(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    (permission, action): (&str, &'static str),
    version: i64,
    client: &ClientInfo,
) -> Result<(Finding, Inspection)> {
    let inspection_id = inspection_of(store, finding_id).await?;
    let i = plans::unchecked(store, inspection_id).await?;
    let company = yaolian_identity::orgs::path_of(store, "company_id", i.company_id).await?;
    let bureau = yaolian_identity::orgs::path_of(store, "org_id", i.org_id).await?;
    let (reads, acts) = if permission == perm::QUALITY_MANAGE {
        (principal.reaches(perm::QUALITY_READ, &company), principal.reaches(permission, &company))
    } else {
        (principal.reaches(perm::SUPERVISION_READ, &bureau), principal.reaches(permission, &bureau))
    };
    let target = format!("sup_finding:{finding_id}");
    if !reads {
        let _: IdentityError = audit::deny(store, principal, permission, &target, client).await;
        return Err(IdentityError::NotFound("finding").into());
    }
    if !acts {
        return Err(audit::deny(store, principal, permission, &target, client).await);
    }
    if i.status != "signed" {
        return Err(wrong(&i, action));
    }
    let r = sqlx::query(&format!("SELECT {FINDING_COLUMNS} FROM sup_findings f WHERE f.id = $1"))
        .bind(finding_id)
        .fetch_one(store.pool())
        .await?;
    let f = finding_row(&r)?;
    if f.version != version {
        return Err(
            IdentityError::Conflict(format!("finding {} of {} changed meanwhile; reload", f.seq, i.number)).into()
        );
    }
    Ok((f, i))
}

/// Bumps the finding's version (expecting `f.version`) with the rectification columns set, in
/// `tx`, and versions it.
#[allow(clippy::too_many_arguments)]
async fn rectify(
    tx: &mut Tx<'_>,
    principal: &Principal,
    f: &Finding,
    (capa, capa_by): (&str, Option<&str>),
    (verification, verified_by): (&str, Option<&str>),
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<Finding> {
    let done = sqlx::query(
        "UPDATE sup_findings SET capa = $1, capa_by = $2, verification = $3, verified_by = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6 AND version = $7",
    )
    .bind(capa)
    .bind(capa_by)
    .bind(verification)
    .bind(verified_by)
    .bind(Timestamp::now().0)
    .bind(f.id)
    .bind(f.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("finding {} changed meanwhile; reload", f.seq)).into());
    }
    save_finding(tx, principal, f.id, (action, reason), client).await
}

/// The company answers a finding of its signed inspection with its rectification (`quality.manage`
/// over the company): the finding waits for the bureau's verification.
pub async fn respond(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    r: &CapaResponse,
    client: &ClientInfo,
) -> Result<Finding> {
    // Who may answer before what is wrong with the answer.
    let (f, i) =
        after_visit(store, principal, finding_id, (perm::QUALITY_MANAGE, "respond"), r.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("capa", r.capa.trim(), 1, 4000);
    errors.into_result()?;
    if f.capa_state() != "open" {
        return Err(SupervisionError::WrongState {
            number: format!("{} 缺陷 {}", i.number, f.seq),
            status: plans::zh(CAPA_STATES, f.capa_state()).into(),
            action: "respond",
        });
    }
    let mut tx = store.begin().await?;
    let reason = format!("企业提交整改报告（缺陷 {}）", f.seq);
    let capa = (r.capa.trim(), Some(principal.username()));
    let f = rectify(&mut tx, principal, &f, capa, (&f.verification, None), ("respond", &reason), client).await?;
    tx.commit().await?;
    Ok(f)
}

/// The bureau verifies a rectification (`supervision.manage` in the inspection's bureau, not the
/// person who answered): passed closes the finding; not passed sends it back to the company with
/// the note, the answer kept in the finding's history.
pub async fn verify_capa(
    store: &Store,
    principal: &Principal,
    finding_id: i64,
    v: &CapaVerification,
    client: &ClientInfo,
) -> Result<Finding> {
    let (f, i) =
        after_visit(store, principal, finding_id, (perm::SUPERVISION_MANAGE, "verify"), v.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("note", v.note.trim(), if v.passed { 0 } else { 1 }, 2000);
    errors.into_result()?;
    if f.capa_state() != "responded" {
        return Err(SupervisionError::WrongState {
            number: format!("{} 缺陷 {}", i.number, f.seq),
            status: plans::zh(CAPA_STATES, f.capa_state()).into(),
            action: "verify",
        });
    }
    let mut tx = store.begin().await?;
    let f = if v.passed {
        let reason = format!("整改核查通过（缺陷 {}）", f.seq);
        let verified = (v.note.trim(), Some(principal.username()));
        rectify(&mut tx, principal, &f, (&f.capa, f.capa_by.as_deref()), verified, ("verify", &reason), client).await?
    } else {
        let reason = format!("整改核查未通过（缺陷 {}）：{}", f.seq, v.note.trim());
        rectify(&mut tx, principal, &f, ("", None), (v.note.trim(), None), ("send_back", &reason), client).await?
    };
    tx.commit().await?;
    Ok(f)
}

/// The findings of the signed inspections of the companies the principal reads with
/// `quality.read` (its own company), those waiting for its rectification first, newest first.
pub async fn company_findings(
    store: &Store,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Vec<CompanyFinding>> {
    let mut p = yaolian_store::sql::Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::QUALITY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::QUALITY_READ, "sup_findings", client).await);
    };
    let sql = format!(
        "SELECT {FINDING_COLUMNS}, i.number, i.company_id, o.name AS company_name, b.name AS org_name \
         FROM sup_findings f JOIN sup_inspections i ON i.id = f.inspection_id JOIN orgs o ON o.id = i.company_id \
         JOIN orgs b ON b.id = i.org_id WHERE i.status = 'signed' AND {scope} \
         ORDER BY CASE WHEN f.verified_by IS NULL AND f.capa = '' THEN 0 ELSE 1 END, f.id DESC LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(CompanyFinding {
            finding: finding_row(r)?,
            number: r.try_get("number")?,
            company_id: r.try_get("company_id")?,
            company_name: r.try_get("company_name")?,
            org_name: r.try_get("org_name")?,
        });
    }
    Ok(out)
}
