//! Risk cases (风险处置): the closed loop from an alert to its closure. An alert — a trace
//! anomaly, a company's risk score over its threshold, a failed sample, an adverse-reaction
//! signal, a black-box warning, or a person's report — becomes a case of the bureau that handles
//! it, about one company, numbered `FX-年份-编号`: assigned to an officer → disposed with its
//! findings and measures (约谈, 责令整改, 暂停, 召回, 立案 …) → verified by someone other than
//! the officer (not passed: back to the officer) → closed. Each step has its due day on the
//! working-day calendar ([`STEP_DAYS`]); a case past it is overdue and shows so to the bureau's
//! leaders until the step is done. One alert raises one case ([`from_trace_anomaly`] answers the
//! case already raised). Every step is a version of entity `sup_case`.
//!
//! Who may do what, in the bureau's scope: `supervision.read` reads, `supervision.manage`
//! raises, assigns, verifies and closes; the assigned officer disposes.

use crate::error::{Result, SupervisionError};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::{day_number, day_text};
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_services::Calendar;
use yaolian_store::sql::Params;
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

pub const ENTITY: &str = "sup_case";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("open", "待分派"),
    ("assigned", "调查处置中"),
    ("disposed", "已处置，待核查"),
    ("verified", "已核查，待结案"),
    ("closed", "已结案"),
];

/// Where a case comes from, code and Chinese name.
pub const SOURCES: &[(&str, &str)] = &[
    ("trace_anomaly", "追溯异常"),
    ("score", "风险评分超过阈值"),
    ("sample", "抽检不合格"),
    ("signal", "不良反应信号"),
    ("blackbox", "生产黑匣子预警"),
    ("manual", "人工登记"),
];

/// Urgency, code and Chinese name.
pub const LEVELS: &[(&str, &str)] = &[("high", "高"), ("medium", "中"), ("low", "低")];

/// Disposal measures (处置措施), code and Chinese name.
pub const MEASURES: &[(&str, &str)] = &[
    ("interview", "约谈"),
    ("rectify", "责令整改"),
    ("suspend", "暂停生产、销售或使用"),
    ("recall", "责令召回"),
    ("file_case", "立案调查"),
    ("warning", "警示告诫"),
    ("none", "核实无问题，无需处置"),
];

/// Trace anomalies whose case is urgent: a pack that should not be on sale was sold, or a code
/// that may be counterfeit (never commissioned, or commissioned twice).
pub const HIGH_ANOMALIES: &[&str] =
    &["sale_recalled", "sale_destroyed", "sale_expired", "unknown_code", "duplicate_commissioning"];

/// Working days the step each state waits for may take, counted from the state's start: a
/// project default (no rule fixes them), read by [`due_for`].
pub const STEP_DAYS: &[(&str, u32)] = &[("open", 2), ("assigned", 15), ("disposed", 10), ("verified", 5)];

/// A case as stored, with its bureau's and company's names.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Case {
    pub id: i64,
    /// The bureau handling it.
    pub org_id: i64,
    pub org_name: String,
    pub company_id: i64,
    pub company_name: String,
    /// 风险处置编号, FX-年份-编号.
    pub number: String,
    /// One of [`SOURCES`]' codes, and what it names (the anomaly's id …).
    pub source: String,
    pub source_ref: String,
    pub title: String,
    pub description: String,
    /// One of [`LEVELS`]' codes.
    pub level: String,
    /// One of [`STATUSES`]' codes.
    pub status: String,
    /// The officer's login.
    pub assignee: Option<String>,
    /// The day the current step is due, YYYY-MM-DD.
    pub due_on: String,
    pub findings: String,
    /// [`MEASURES`]' codes.
    pub measures: Vec<String>,
    pub verification: String,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<i64>)]
    pub closed_at: Option<Timestamp>,
    pub version: i64,
}

impl Case {
    /// Past its step's due day (as of `today`, YYYY-MM-DD) and not closed.
    pub fn overdue_on(&self, today: &str) -> bool {
        self.status != "closed" && self.due_on.as_str() < today
    }
}

/// A case to raise by hand (人工登记).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewCase {
    /// The company concerned.
    pub company_id: i64,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// One of [`LEVELS`]' codes.
    pub level: String,
}

/// A disposal (处置): what the investigation found and the measures taken.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Disposal {
    pub findings: String,
    pub measures: Vec<String>,
    pub version: i64,
}

/// A verification (核查) of the disposal.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Verification {
    pub passed: bool,
    pub note: String,
    pub version: i64,
}

const COLUMNS: &str = "c.id, c.org_id, o.name AS org_name, c.company_id, m.name AS company_name, c.number, c.source, \
     c.source_ref, c.title, c.description, c.level, c.status, c.assignee, c.due_on, c.findings, c.measures, \
     c.verification, c.created_by, c.created_at, c.closed_at, c.version";
const FROM: &str = "sup_cases c JOIN orgs o ON o.id = c.org_id JOIN orgs m ON m.id = c.company_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Case, sqlx::Error> {
    let measures: String = r.try_get("measures")?;
    Ok(Case {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        number: r.try_get("number")?,
        source: r.try_get("source")?,
        source_ref: r.try_get("source_ref")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        level: r.try_get("level")?,
        status: r.try_get("status")?,
        assignee: r.try_get("assignee")?,
        due_on: day_text(r.try_get("due_on")?),
        findings: r.try_get("findings")?,
        measures: serde_json::from_str(&measures)
            .map_err(|e| sqlx::Error::Decode(format!("case measures: {e}").into()))?,
        verification: r.try_get("verification")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        closed_at: r.try_get::<Option<i64>, _>("closed_at")?.map(Timestamp),
        version: r.try_get("version")?,
    })
}

/// The ledgered image: the row's own columns (names of organizations are not part of it).
fn image(c: &Case) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "org_id": c.org_id,
        "company_id": c.company_id,
        "number": c.number,
        "source": c.source,
        "source_ref": c.source_ref,
        "title": c.title,
        "description": c.description,
        "level": c.level,
        "status": c.status,
        "assignee": c.assignee,
        "due_on": c.due_on,
        "findings": c.findings,
        "measures": c.measures,
        "verification": c.verification,
        "created_by": c.created_by,
        "closed_at": c.closed_at.map(|t| t.0),
    })
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let c = from_row(&row)?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: c.version,
        data: image(&c),
        action,
        reason,
        audit: audit::action::SUP_CASE,
        target: format!("sup_case:{id} {} {action}", c.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// The due day of the step a case in `status` waits for, started `today` (a day number).
pub fn due_for(cal: &Calendar, status: &str, today: chrono::NaiveDate) -> i64 {
    let days = STEP_DAYS.iter().find(|(s, _)| *s == status).map(|(_, d)| *d).unwrap_or(0);
    day_number(cal.add_working_days(today, days))
}

fn today() -> chrono::NaiveDate {
    Timestamp::now().china_date()
}

/// The company an alert concerns must be in the principal's reach; the case is the principal's
/// bureau's.
pub(crate) async fn check_raise(
    store: &Store,
    principal: &Principal,
    company_id: i64,
    client: &ClientInfo,
) -> Result<()> {
    if !principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_cases", client).await);
    }
    let row =
        sqlx::query("SELECT kind, path FROM orgs WHERE id = $1").bind(company_id).fetch_optional(store.pool()).await?;
    let Some(row) = row else {
        return Err(ValidationError::single("company_id", "exists", "no such company").into());
    };
    let (kind, path): (String, String) = (row.try_get("kind")?, row.try_get("path")?);
    if kind != "company" || !principal.reaches(perm::SUPERVISION_READ, &path) {
        return Err(ValidationError::single("company_id", "exists", "a company under the bureau").into());
    }
    Ok(())
}

/// Inserts a case in `tx` and versions it: its number, the first step's due day.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    tx: &mut Tx<'_>,
    principal: &Principal,
    cal: &Calendar,
    company_id: i64,
    (source, source_ref): (&str, &str),
    (title, description, level): (&str, &str, &str),
    client: &ClientInfo,
) -> Result<i64> {
    let now = Timestamp::now();
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO sup_cases (org_id, company_id, number, source, source_ref, title, description, level, status, \
         due_on, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10, $11, 1, $11) RETURNING id",
    )
    .bind(principal.org_id())
    .bind(company_id)
    .bind(&provisional)
    .bind(source)
    .bind(source_ref)
    .bind(title.trim())
    .bind(description.trim())
    .bind(level)
    .bind(due_for(cal, "open", now.china_date()))
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    // 风险处置编号: FX + year + the case's number.
    let number = format!("FX-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE sup_cases SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut **tx).await?;
    save(tx, principal, id, "raise", "", client).await?;
    Ok(id)
}

fn check_level(errors: &mut ValidationError, level: &str) {
    if !LEVELS.iter().any(|(c, _)| *c == level) {
        errors.push("level", "one_of:high,medium,low", "the case's urgency");
    }
}

/// Raises a case by hand (`supervision.manage` in the bureau, the company in reach).
pub async fn raise(store: &Store, principal: &Principal, new: &NewCase, client: &ClientInfo) -> Result<Case> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    errors.length("description", &new.description, 0, 4000);
    check_level(&mut errors, &new.level);
    errors.into_result()?;
    check_raise(store, principal, new.company_id, client).await?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let text = (new.title.as_str(), new.description.as_str(), new.level.as_str());
    let id = insert(&mut tx, principal, &cal, new.company_id, ("manual", ""), text, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Raises the case of a trace anomaly (`supervision.manage`, the anomaly in the principal's
/// trace reach): about the company whose site it was found at; `(case, true)` when raised now,
/// `(case, false)` when the anomaly's case was raised before.
pub async fn from_trace_anomaly(
    store: &Store,
    principal: &Principal,
    anomaly_id: i64,
    client: &ClientInfo,
) -> Result<(Case, bool)> {
    if !principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_cases", client).await);
    }
    let anomaly = yaolian_trace::anomalies::get(store, principal, anomaly_id, client).await?;
    if let Some(id) = by_source(store, "trace_anomaly", &anomaly_id.to_string()).await? {
        return Ok((get(store, principal, id, client).await?, false));
    }
    let company = match &anomaly.site {
        Some(site) => company_of_site(store, site).await?,
        None => None,
    };
    let Some(company_id) = company else {
        return Err(ValidationError::single("anomaly_id", "company", "the anomaly names no company's site").into());
    };
    check_raise(store, principal, company_id, client).await?;
    let cal = Calendar::load(store).await?;
    let title = format!("追溯异常：{}", anomaly.kind_zh);
    let level = if HIGH_ANOMALIES.contains(&anomaly.kind.as_str()) { "high" } else { "medium" };
    let mut tx = store.begin().await?;
    let source = ("trace_anomaly", anomaly_id.to_string());
    let inserted = insert(
        &mut tx,
        principal,
        &cal,
        company_id,
        (source.0, &source.1),
        (&title, &anomaly.detail_zh, level),
        client,
    )
    .await;
    let id = match inserted {
        Ok(id) => id,
        // Raised meanwhile by someone else: theirs stands.
        Err(SupervisionError::Shared(IdentityError::Store(e))) if e.is_unique_violation() => {
            drop(tx);
            let id = by_source(store, "trace_anomaly", &source.1).await?.ok_or(IdentityError::NotFound("case"))?;
            return Ok((get(store, principal, id, client).await?, false));
        }
        Err(e) => return Err(e),
    };
    tx.commit().await?;
    Ok((get(store, principal, id, client).await?, true))
}

/// The capability to raise a case about a company from another module's alert (an ADR signal, a
/// black-box warning): made only by [`raise_reach`], which checks `supervision.manage` in the
/// principal's bureau and the company in its reach, and taken by [`raise_in`].
pub struct RaiseReach {
    company_id: i64,
    cal: Calendar,
}

impl RaiseReach {
    pub fn company_id(&self) -> i64 {
        self.company_id
    }
}

/// Checks that the principal may raise a case about `company_id` (see [`RaiseReach`]).
pub async fn raise_reach(
    store: &Store,
    principal: &Principal,
    company_id: i64,
    client: &ClientInfo,
) -> Result<RaiseReach> {
    check_raise(store, principal, company_id, client).await?;
    Ok(RaiseReach { company_id, cal: Calendar::load(store).await? })
}

/// Raises a case in the caller's transaction with a checked [`RaiseReach`]: `source` one of
/// [`SOURCES`]' codes, `source_ref` the alert's own key (one case per alert: a second is refused
/// as a conflict), `level` one of [`LEVELS`]. Answers the case's id and number.
#[allow(clippy::too_many_arguments)]
pub async fn raise_in(
    tx: &mut Tx<'_>,
    principal: &Principal,
    reach: &RaiseReach,
    (source, source_ref): (&str, &str),
    (title, description, level): (&str, &str, &str),
    client: &ClientInfo,
) -> Result<(i64, String)> {
    let mut errors = ValidationError::new();
    if !SOURCES.iter().any(|(c, _)| *c == source) {
        errors.push("source", "one_of", "a source of cases");
    }
    if source_ref.is_empty() {
        errors.push("source_ref", "required", "the alert's key");
    }
    errors.length("title", title, 1, 200);
    check_level(&mut errors, level);
    errors.into_result()?;
    let description: String = description.chars().take(4000).collect();
    let text = (title, description.as_str(), level);
    let id = match insert(tx, principal, &reach.cal, reach.company_id, (source, source_ref), text, client).await {
        Err(SupervisionError::Shared(IdentityError::Store(e))) if e.is_unique_violation() => {
            return Err(IdentityError::Conflict(format!("a case was raised for {source} {source_ref} already")).into())
        }
        other => other?,
    };
    let number: String =
        sqlx::query_scalar("SELECT number FROM sup_cases WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    Ok((id, number))
}

/// Raises the case of a company whose score became high risk (source `score`, one per score
/// version), answering its number; `None` when raised before or the principal raises none.
pub(crate) async fn raise_for_score(
    store: &Store,
    principal: &Principal,
    cal: &Calendar,
    company_id: i64,
    source_ref: &str,
    why: &str,
    client: &ClientInfo,
) -> Result<Option<String>> {
    if !principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path())
        || by_source(store, "score", source_ref).await?.is_some()
    {
        return Ok(None);
    }
    let description: String = why.chars().take(4000).collect();
    let mut tx = store.begin().await?;
    let text = ("风险评分升至高风险", description.as_str(), "high");
    let id = insert(&mut tx, principal, cal, company_id, ("score", source_ref), text, client).await?;
    tx.commit().await?;
    Ok(Some(get(store, principal, id, client).await?.number))
}

async fn by_source(store: &Store, source: &str, source_ref: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM sup_cases WHERE source = $1 AND source_ref = $2")
        .bind(source)
        .bind(source_ref)
        .fetch_optional(store.pool())
        .await?)
}

/// The company a trace site belongs to: its organization, or the company a site organization
/// sits under.
async fn company_of_site(store: &Store, site: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT o.id, o.kind, o.parent_id FROM trace_sites s JOIN orgs o ON o.id = s.org_id WHERE s.id = $1",
    )
    .bind(site)
    .fetch_optional(store.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let kind: String = r.try_get("kind")?;
    Ok(match kind.as_str() {
        "company" => Some(r.try_get("id")?),
        "site" => r.try_get("parent_id")?,
        _ => None,
    })
}

/// One case, if the principal may read it (`supervision.read` in its bureau; not found
/// otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Case> {
    let sql = format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} WHERE c.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::SUPERVISION_READ, &sql, id, (ENTITY, "case"), client)
            .await?;
    Ok(from_row(&row)?)
}

/// The officers a case read by the caller may be assigned to: the active users of its bureau
/// whose roles hold `supervision.manage`, as `(login, name)`.
pub async fn officers(store: &Store, c: &Case) -> Result<Vec<(String, String)>> {
    managers_of(store, c.org_id).await
}

/// The active users of organization `org_id` whose roles hold `supervision.manage`, as
/// `(login, name)`: who may be assigned a case or join an inspection team there.
pub async fn managers_of(store: &Store, org_id: i64) -> Result<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.username, u.display_name FROM users u JOIN user_roles ur ON ur.user_id = u.id \
         JOIN roles r ON r.id = ur.role_id WHERE u.org_id = $1 AND u.status = 'active' AND r.permissions LIKE $2 \
         ORDER BY u.username",
    )
    .bind(org_id)
    .bind(format!("%{}%", perm::SUPERVISION_MANAGE))
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("username")?, r.try_get("display_name")?))).collect()
}

/// The case, refused unless the principal holds `supervision.manage` in its bureau.
async fn managed(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Case> {
    let c = get(store, principal, id, client).await?;
    if !may_manage(store, principal, &c).await? {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_case:{id}"), client).await);
    }
    Ok(c)
}

/// Whether the principal raises, assigns, verifies and closes the case's steps.
pub async fn may_manage(store: &Store, principal: &Principal, c: &Case) -> Result<bool> {
    let path = yaolian_identity::orgs::path_of(store, "org_id", c.org_id).await?;
    Ok(principal.reaches(perm::SUPERVISION_MANAGE, &path))
}

fn wrong_state(c: &Case, action: &'static str) -> SupervisionError {
    SupervisionError::WrongState { number: c.number.clone(), status: c.status.clone(), action }
}

/// Writes `next`'s state over `before` (refused if changed meanwhile) and versions it.
async fn write(
    store: &Store,
    principal: &Principal,
    before: &Case,
    next: &Case,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<Case> {
    let due = chrono::NaiveDate::parse_from_str(&next.due_on, "%Y-%m-%d").map(day_number).unwrap_or(0);
    let measures = serde_json::to_string(&next.measures).unwrap_or_else(|_| "[]".into());
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE sup_cases SET status = $1, assignee = $2, due_on = $3, findings = $4, measures = $5, verification = $6, \
         closed_at = $7, version = version + 1, updated_at = $8 WHERE id = $9 AND version = $10",
    )
    .bind(&next.status)
    .bind(&next.assignee)
    .bind(due)
    .bind(&next.findings)
    .bind(measures)
    .bind(&next.verification)
    .bind(next.closed_at.map(|t| t.0))
    .bind(Timestamp::now().0)
    .bind(before.id)
    .bind(before.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("case {} changed meanwhile; reload", before.number)).into());
    }
    save(&mut tx, principal, before.id, action, reason, client).await?;
    if next.status == "closed" {
        // The closed case goes on the company's 一企一档 timeline.
        let measures: Vec<&str> =
            next.measures.iter().filter_map(|m| MEASURES.iter().find(|(c, _)| c == m).map(|(_, z)| *z)).collect();
        let title = format!("风险处置 {} 结案：{}（{}）", next.number, next.title, measures.join("、"));
        let link = format!("/supervision/cases/{}", next.id);
        let event = yaolian_registry::timeline::NewEvent {
            org_id: next.company_id,
            product_id: None,
            module: "supervision",
            kind: "case_closed",
            title: &title,
            link: &link,
        };
        yaolian_registry::timeline::add(&mut tx, &event).await?;
    }
    tx.commit().await?;
    get(store, principal, before.id, client).await
}

fn stale(c: &Case, version: i64) -> Result<()> {
    if c.version != version {
        return Err(IdentityError::Conflict(format!("case {} changed meanwhile; reload", c.number)).into());
    }
    Ok(())
}

/// Assigns (分派) or reassigns an open or assigned case to an officer who may handle it
/// (`supervision.manage` in the case's bureau); the disposal is due in [`STEP_DAYS`].
pub async fn assign(
    store: &Store,
    principal: &Principal,
    id: i64,
    assignee: &str,
    version: i64,
    client: &ClientInfo,
) -> Result<Case> {
    let mut errors = ValidationError::new();
    errors.length("assignee", assignee, 1, 100);
    errors.into_result()?;
    let c = managed(store, principal, id, client).await?;
    if c.status != "open" && c.status != "assigned" {
        return Err(wrong_state(&c, "assign"));
    }
    stale(&c, version)?;
    let officer = assignee.trim();
    let may = match yaolian_identity::users::id_by_username(store, officer).await {
        Ok(uid) => {
            let p = yaolian_identity::auth::principal_for_user(store, uid).await?;
            let path = yaolian_identity::orgs::path_of(store, "org_id", c.org_id).await?;
            p.reaches(perm::SUPERVISION_MANAGE, &path)
        }
        Err(_) => false,
    };
    if !may {
        return Err(ValidationError::single("assignee", "may_handle", "an officer who may handle the case").into());
    }
    let cal = Calendar::load(store).await?;
    let next = Case {
        status: "assigned".into(),
        assignee: Some(officer.to_string()),
        due_on: day_text(due_for(&cal, "assigned", today())),
        ..c.clone()
    };
    write(store, principal, &c, &next, ("assign", &format!("分派给 {officer}")), client).await
}

/// Disposes an assigned case (处置, its officer): the findings and the measures taken; the
/// verification is due in [`STEP_DAYS`].
pub async fn dispose(store: &Store, principal: &Principal, id: i64, d: &Disposal, client: &ClientInfo) -> Result<Case> {
    let mut errors = ValidationError::new();
    errors.length("findings", &d.findings, 1, 4000);
    if d.measures.is_empty() || d.measures.len() > MEASURES.len() {
        errors.push("measures", format!("count:1..{}", MEASURES.len()), "the measures taken");
    }
    let codes: Vec<&str> = MEASURES.iter().map(|(c, _)| *c).collect();
    for (i, m) in d.measures.iter().enumerate().take(MEASURES.len()) {
        if !codes.contains(&m.as_str()) {
            errors.push(format!("measures[{i}]"), format!("one_of:{}", codes.join(",")), "a disposal measure");
        }
    }
    errors.into_result()?;
    let c = get(store, principal, id, client).await?;
    if c.assignee.as_deref() != Some(principal.username()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_case:{id}"), client).await);
    }
    if c.status != "assigned" {
        return Err(wrong_state(&c, "dispose"));
    }
    stale(&c, d.version)?;
    let mut measures: Vec<String> = d.measures.iter().map(|m| m.trim().to_string()).collect();
    measures.sort();
    measures.dedup();
    let cal = Calendar::load(store).await?;
    let next = Case {
        status: "disposed".into(),
        findings: d.findings.trim().to_string(),
        measures,
        due_on: day_text(due_for(&cal, "disposed", today())),
        ..c.clone()
    };
    write(store, principal, &c, &next, ("dispose", d.findings.trim()), client).await
}

/// Verifies a disposal (核查, `supervision.manage`, not the officer who disposed it): passed,
/// the case waits to be closed; not passed, it goes back to the officer with the note.
pub async fn verify(
    store: &Store,
    principal: &Principal,
    id: i64,
    v: &Verification,
    client: &ClientInfo,
) -> Result<Case> {
    let mut errors = ValidationError::new();
    errors.length("note", &v.note, 1, 2000);
    errors.into_result()?;
    let c = managed(store, principal, id, client).await?;
    if c.status != "disposed" {
        return Err(wrong_state(&c, "verify"));
    }
    if c.assignee.as_deref() == Some(principal.username()) {
        return Err(SupervisionError::SamePerson { step: "verify" });
    }
    stale(&c, v.version)?;
    let cal = Calendar::load(store).await?;
    let status = if v.passed { "verified" } else { "assigned" };
    let next = Case {
        status: status.into(),
        verification: v.note.trim().to_string(),
        due_on: day_text(due_for(&cal, status, today())),
        ..c.clone()
    };
    let why = if v.passed {
        format!("核查通过：{}", v.note.trim())
    } else {
        format!("核查未通过：{}", v.note.trim())
    };
    write(store, principal, &c, &next, ("verify", &why), client).await
}

/// Closes a verified case (结案, `supervision.manage`).
pub async fn close(
    store: &Store,
    principal: &Principal,
    id: i64,
    note: &str,
    version: i64,
    client: &ClientInfo,
) -> Result<Case> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 0, 2000);
    errors.into_result()?;
    let c = managed(store, principal, id, client).await?;
    if c.status != "verified" {
        return Err(wrong_state(&c, "close"));
    }
    stale(&c, version)?;
    let next = Case { status: "closed".into(), closed_at: Some(Timestamp::now()), ..c.clone() };
    let why = if note.trim().is_empty() { "结案".to_string() } else { note.trim().to_string() };
    let closed = write(store, principal, &c, &next, ("close", &why), client).await?;
    // The closed case counts in its company's score and credit from now on.
    let trigger = format!("风险处置 {} 结案", closed.number);
    crate::scores::recompute(store, principal, Some(&[closed.company_id]), &trigger, client).await?;
    Ok(closed)
}

/// What a list shows.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct Filter {
    /// One of [`STATUSES`]' codes, or `overdue`, or `active` (not closed).
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub company_id: Option<i64>,
}

/// A page of the cases in the principal's scope (`supervision.read`), newest first, and the
/// total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Case>, i64)> {
    let today = day_number(today());
    let narrow = |p: &mut Params| {
        let mut w: Vec<String> = Vec::new();
        match filter.status.as_str() {
            "overdue" => w.push(format!("c.status <> 'closed' AND c.due_on < {}", p.push(today))),
            "active" => w.push("c.status <> 'closed'".into()),
            s if STATUSES.iter().any(|(c, _)| *c == s) => w.push(format!("c.status = {}", p.push(s))),
            _ => {}
        }
        if let Some(company) = filter.company_id {
            w.push(format!("c.company_id = {}", p.push(company)));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let shape = (COLUMNS, FROM, "c.id DESC");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_cases",
        shape,
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}

/// The closed loop's figures in the principal's scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Statistics {
    /// Cases per state, in [`STATUSES`]' order.
    pub by_status: Vec<(String, i64)>,
    /// Cases per source, in [`SOURCES`]' order.
    pub by_source: Vec<(String, i64)>,
    /// Not closed and past the step's due day.
    pub overdue: i64,
    /// Average days from raising to closing, over the closed cases (one decimal).
    pub average_days_to_close: Option<f64>,
}

/// The statistics (`supervision.read`, in its scope).
pub async fn statistics(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Statistics> {
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::SUPERVISION_READ, "sup_cases", client).await);
    };
    let today = p.push(day_number(today()));
    let sql = format!(
        "SELECT c.status, c.source, COUNT(*) AS n, \
         CAST(COALESCE(SUM(CASE WHEN c.status <> 'closed' AND c.due_on < {today} THEN 1 ELSE 0 END), 0) AS BIGINT) AS late, \
         CAST(COALESCE(SUM(CASE WHEN c.closed_at IS NOT NULL THEN c.closed_at - c.created_at ELSE 0 END), 0) AS BIGINT) AS took \
         FROM sup_cases c JOIN orgs o ON o.id = c.org_id WHERE {scope} GROUP BY c.status, c.source"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut s = Statistics {
        by_status: STATUSES.iter().map(|(c, _)| (c.to_string(), 0)).collect(),
        by_source: SOURCES.iter().map(|(c, _)| (c.to_string(), 0)).collect(),
        ..Statistics::default()
    };
    let (mut closed, mut took) = (0i64, 0i64);
    for r in &rows {
        let (status, source): (String, String) = (r.try_get("status")?, r.try_get("source")?);
        let n: i64 = r.try_get("n")?;
        if let Some(x) = s.by_status.iter_mut().find(|(c, _)| *c == status) {
            x.1 += n;
        }
        if let Some(x) = s.by_source.iter_mut().find(|(c, _)| *c == source) {
            x.1 += n;
        }
        s.overdue += r.try_get::<i64, _>("late")?;
        if status == "closed" {
            closed += n;
            took += r.try_get::<i64, _>("took")?;
        }
    }
    if closed > 0 {
        let days = took as f64 / closed as f64 / yaolian_core::time::DAY_MS as f64;
        s.average_days_to_close = Some((days * 10.0).round() / 10.0);
    }
    Ok(s)
}

/// The cases as a table for export.
pub fn table(list: &[Case]) -> audit::Table {
    let zh = |table: &[(&str, &'static str)], code: &str| {
        table.iter().find(|(c, _)| *c == code).map(|(_, z)| z.to_string()).unwrap_or_default()
    };
    let rows = list.iter().map(|c| {
        vec![
            c.number.clone(),
            c.title.clone(),
            c.company_name.clone(),
            zh(SOURCES, &c.source),
            zh(LEVELS, &c.level),
            zh(STATUSES, &c.status),
            c.due_on.clone(),
            c.measures.iter().map(|m| zh(MEASURES, m)).collect::<Vec<_>>().join("、"),
            c.created_at.to_china_string(),
        ]
    });
    audit::Table::new(
        "风险处置",
        &["编号", "事由", "企业", "来源", "风险等级", "状态", "当前环节期限", "处置措施", "登记时间"],
        rows,
    )
}

/// Every case whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY c.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: c.id.to_string(), data: image(&c) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
