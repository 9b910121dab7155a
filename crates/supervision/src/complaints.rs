//! Complaints and reports (投诉举报, 《市场监督管理投诉举报处理暂行办法》): a complaint (投诉, a
//! consumer's own dispute) or a report (举报, a violation the bureau should look into) comes by
//! form, hotline, letter, the API or transfer and is registered; the bureau accepts it (受理,
//! within seven working days for a complaint, 第十四条) or rejects it (不予受理) with a reply, and
//! either answers it (答复办结) or turns it into an enforcement case (转立案) whose clue day is the
//! day it came in (a report is then checked within the 15 working days of the penalty rules,
//! 第三十一条 and 《市场监督管理行政处罚程序规定》第十八条).
//!
//! Every step is a version (entity `sup_complaint`). The reporter's name and contact are kept
//! confidential (举报人保密, 第三十三条): the ledgered image carries their SM3, not the text.
//! `supervision.read` reads in the bureau's scope; `supervision.manage` registers and handles.

use crate::error::{Result, SupervisionError};
use crate::plans::zh;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::{day_number, day_text};
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_services::Calendar;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

pub const ENTITY: &str = "sup_complaint";

/// Kinds, code and Chinese name.
pub const KINDS: &[(&str, &str)] = &[("complaint", "投诉"), ("report", "举报")];

/// Channels, code and Chinese name.
pub const CHANNELS: &[(&str, &str)] = &[
    ("form", "网上登记"),
    ("hotline", "热线电话"),
    ("letter", "来信来访"),
    ("api", "平台接入"),
    ("transfer", "上级转办"),
];

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("received", "已登记，待受理"),
    ("accepted", "已受理，核查中"),
    ("rejected", "不予受理"),
    ("replied", "已答复办结"),
    ("converted", "已转立案"),
];

/// Working days to accept a complaint (第十四条) or check a report (第十八条 via 第三十一条).
pub const ACCEPT_DAYS: u32 = 7;
pub const VERIFY_DAYS: u32 = 15;

/// What registering takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewComplaint {
    /// `complaint` or `report`.
    pub kind: String,
    /// One of [`CHANNELS`]' codes.
    pub channel: String,
    /// The company complained of, when known.
    #[serde(default)]
    pub company_id: Option<i64>,
    pub subject: String,
    pub content: String,
    #[serde(default)]
    pub reporter: String,
    #[serde(default)]
    pub contact: String,
    /// 实名举报.
    #[serde(default)]
    pub real_name: bool,
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub received_on: String,
}

/// A complaint or report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    pub org_id: i64,
    /// TS-YYYY-NNNNN.
    pub number: String,
    pub kind: String,
    pub channel: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub subject: String,
    pub content: String,
    pub reporter: String,
    pub contact: String,
    pub real_name: bool,
    pub received_on: String,
    pub status: String,
    pub triage: String,
    pub reply: String,
    pub enforcement_id: Option<i64>,
    pub due_on: String,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

impl Complaint {
    pub fn overdue_on(&self, today: &str) -> bool {
        ["received", "accepted"].contains(&self.status.as_str()) && self.due_on.as_str() < today
    }
}

const COLUMNS: &str = "c.id, c.org_id, c.number, c.kind, c.channel, c.company_id, m.name AS company_name, c.subject, \
     c.content, c.reporter, c.contact, c.real_name, c.received_on, c.status, c.triage, c.reply, c.enforcement_id, \
     c.due_on, c.created_by, c.created_at, c.version";
const FROM: &str = "sup_complaints c JOIN orgs o ON o.id = c.org_id LEFT JOIN orgs m ON m.id = c.company_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Complaint> {
    Ok(Complaint {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        number: r.try_get("number")?,
        kind: r.try_get("kind")?,
        channel: r.try_get("channel")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        subject: r.try_get("subject")?,
        content: r.try_get("content")?,
        reporter: r.try_get("reporter")?,
        contact: r.try_get("contact")?,
        real_name: r.try_get::<i64, _>("real_name")? != 0,
        received_on: day_text(r.try_get("received_on")?),
        status: r.try_get("status")?,
        triage: r.try_get("triage")?,
        reply: r.try_get("reply")?,
        enforcement_id: r.try_get("enforcement_id")?,
        due_on: day_text(r.try_get("due_on")?),
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

/// The image its versions bind: the reporter and contact only as their SM3.
fn image(c: &Complaint) -> serde_json::Value {
    let who = format!("{}\u{1f}{}", c.reporter, c.contact);
    serde_json::json!({
        "id": c.id, "org_id": c.org_id, "number": c.number, "kind": c.kind, "channel": c.channel,
        "company_id": c.company_id, "subject": c.subject, "content": c.content,
        "reporter_sm3": yaolian_ledger::HashAlg::Sm3.digest(&[who.as_bytes()]).to_hex(),
        "real_name": c.real_name, "received_on": c.received_on, "status": c.status, "triage": c.triage,
        "reply": c.reply, "enforcement_id": c.enforcement_id, "due_on": c.due_on,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Complaint> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE c.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    from_row(&row.ok_or(IdentityError::NotFound("complaint"))?)
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let c = load(tx, id).await?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: c.version,
        data: image(&c),
        action,
        reason,
        audit: audit::action::SUP_COMPLAINT,
        target: format!("sup_complaint:{id} {} {action}", c.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

fn today() -> chrono::NaiveDate {
    Timestamp::now().china_date()
}

/// Registers a complaint or report (`supervision.manage` in the principal's bureau; the company,
/// when named, in reach).
pub async fn register(
    store: &Store,
    principal: &Principal,
    n: &NewComplaint,
    client: &ClientInfo,
) -> Result<Complaint> {
    if !principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_complaints", client).await);
    }
    let mut errors = ValidationError::new();
    if !KINDS.iter().any(|(c, _)| *c == n.kind) {
        errors.push("kind", "one_of:complaint,report", "投诉 or 举报");
    }
    if !CHANNELS.iter().any(|(c, _)| *c == n.channel) {
        errors.push("channel", "one_of:form,hotline,letter,api,transfer", "how it came in");
    }
    errors.length("subject", n.subject.trim(), 1, 200);
    errors.length("content", n.content.trim(), 1, 8000);
    errors.length("reporter", n.reporter.trim(), 0, 100);
    errors.length("contact", n.contact.trim(), 0, 100);
    if n.real_name && n.reporter.trim().is_empty() {
        errors.push("reporter", "required", "a real-name report names its reporter (实名举报)");
    }
    let received = crate::enforcement::day_input(&mut errors, "received_on", &n.received_on, None);
    errors.into_result()?;
    if let Some(company) = n.company_id {
        crate::cases::check_raise(store, principal, company, client).await?;
    }
    let cal = Calendar::load(store).await?;
    let days = if n.kind == "complaint" { ACCEPT_DAYS } else { VERIFY_DAYS };
    let received = yaolian_core::time::date_of_day_number(received).unwrap_or_else(today);
    let due = day_number(cal.add_working_days(received, days));
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO sup_complaints (org_id, number, kind, channel, company_id, subject, content, reporter, contact, \
         real_name, received_on, status, due_on, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'received', $12, $13, $14, 1, $14) RETURNING id",
    )
    .bind(principal.org_id())
    .bind(&provisional)
    .bind(&n.kind)
    .bind(&n.channel)
    .bind(n.company_id)
    .bind(n.subject.trim())
    .bind(n.content.trim())
    .bind(n.reporter.trim())
    .bind(n.contact.trim())
    .bind(i64::from(n.real_name))
    .bind(day_number(received))
    .bind(due)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let number = format!("TS-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE sup_complaints SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut *tx).await?;
    let reason = format!("登记{}（{}）", zh(KINDS, &n.kind), zh(CHANNELS, &n.channel));
    save(&mut tx, principal, id, ("register", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One complaint the principal reads.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Complaint> {
    let sql = format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} WHERE c.id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        id,
        (ENTITY, "complaint"),
        client,
    )
    .await?;
    from_row(&row)
}

/// The complaint, refused unless the principal manages in its bureau, it is in one of `states`
/// and at `version`.
async fn handled(
    store: &Store,
    principal: &Principal,
    id: i64,
    (states, action): (&[&str], &'static str),
    version: i64,
    client: &ClientInfo,
) -> Result<Complaint> {
    let c = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", c.org_id).await?;
    if !principal.reaches(perm::SUPERVISION_MANAGE, &path) {
        return Err(
            audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_complaint:{id}"), client).await
        );
    }
    if !states.contains(&c.status.as_str()) {
        return Err(SupervisionError::WrongState { number: c.number.clone(), status: c.status.clone(), action });
    }
    if c.version != version {
        return Err(IdentityError::Conflict(format!("{} changed meanwhile; reload", c.number)).into());
    }
    Ok(c)
}

async fn update(tx: &mut Tx<'_>, c: &Complaint, set: &str, values: Vec<Value>) -> Result<()> {
    crate::rows::bump(tx, ("sup_complaints", c.id, c.version), set, values, &c.number).await
}

/// The bureau's triage: accept (受理) or not (不予受理, with the reason as the reply).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Triage {
    pub accept: bool,
    pub note: String,
    pub version: i64,
}

/// Accepts or rejects a registered complaint.
pub async fn triage(
    store: &Store,
    principal: &Principal,
    id: i64,
    t: &Triage,
    client: &ClientInfo,
) -> Result<Complaint> {
    let c = handled(store, principal, id, (&["received"], "triage"), t.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("note", t.note.trim(), 1, 2000);
    errors.into_result()?;
    let mut tx = store.begin().await?;
    if t.accept {
        update(&mut tx, &c, "status = 'accepted', triage = $1", vec![Value::from(t.note.trim())]).await?;
        save(&mut tx, principal, id, ("accept", &format!("受理：{}", t.note.trim())), client).await?;
    } else {
        let values = vec![Value::from(t.note.trim()), Value::I64(Timestamp::now().0)];
        update(&mut tx, &c, "status = 'rejected', triage = $1, reply = $1, closed_at = $2", values).await?;
        save(&mut tx, principal, id, ("reject", &format!("不予受理：{}", t.note.trim())), client).await?;
    }
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// What answering takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Reply {
    pub text: String,
    pub version: i64,
}

/// Answers an accepted complaint and closes it (答复办结), or answers a converted one's reporter.
pub async fn reply(store: &Store, principal: &Principal, id: i64, r: &Reply, client: &ClientInfo) -> Result<Complaint> {
    let c = handled(store, principal, id, (&["accepted", "converted"], "reply"), r.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("text", r.text.trim(), 1, 4000);
    errors.into_result()?;
    let mut tx = store.begin().await?;
    let status = if c.status == "converted" { "converted" } else { "replied" };
    let values = vec![Value::from(status), Value::from(r.text.trim()), Value::I64(Timestamp::now().0)];
    update(&mut tx, &c, "status = $1, reply = $2, closed_at = $3", values).await?;
    save(&mut tx, principal, id, ("reply", &format!("答复：{}", r.text.trim())), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Turns an accepted complaint about a company into an enforcement case (转立案核查), in one
/// transaction: the case's clue day is the day the complaint came in.
pub async fn to_enforcement(
    store: &Store,
    principal: &Principal,
    id: i64,
    version: i64,
    client: &ClientInfo,
) -> Result<(Complaint, crate::enforcement::Enforcement)> {
    let c = handled(store, principal, id, (&["accepted"], "file a case"), version, client).await?;
    let Some(company) = c.company_id else {
        return Err(ValidationError::single("company_id", "required", "the company complained of").into());
    };
    crate::cases::check_raise(store, principal, company, client).await?;
    let cal = Calendar::load(store).await?;
    let clue_on = chrono::NaiveDate::parse_from_str(&c.received_on, "%Y-%m-%d").map(day_number).unwrap_or(0);
    let mut tx = store.begin().await?;
    let facts = format!("{}（{} {}：{}）", c.content, zh(KINDS, &c.kind), c.number, c.subject);
    let text = (c.subject.as_str(), facts.as_str(), clue_on);
    let case_id =
        crate::enforcement::insert(&mut tx, principal, &cal, company, ("complaint", &id.to_string()), text, client)
            .await?;
    update(&mut tx, &c, "status = 'converted', enforcement_id = $1", vec![Value::I64(case_id)]).await?;
    save(&mut tx, principal, id, ("convert", "转为行政处罚案件线索核查"), client).await?;
    tx.commit().await?;
    let complaint = get(store, principal, id, client).await?;
    let case = crate::enforcement::get(store, principal, case_id, client).await?;
    Ok((complaint, case))
}

/// A list's filter.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    /// A state code, `open` (received or accepted) or `overdue`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
}

/// A page of the complaints the principal reads, newest first, and the total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Complaint>, i64)> {
    let today = day_number(today());
    let narrow = |p: &mut Params| {
        let mut w = Vec::new();
        let open = "c.status IN ('received', 'accepted')";
        match filter.status.as_str() {
            "open" => w.push(open.to_string()),
            "overdue" => w.push(format!("{open} AND c.due_on < {}", p.push(today))),
            s if STATUSES.iter().any(|(c, _)| *c == s) => w.push(format!("c.status = {}", p.push(s.to_string()))),
            _ => {}
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["c.number", "c.subject", "m.name"], q));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_complaints",
        (COLUMNS, FROM, "c.id DESC"),
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// A list as an exported table (without the reporter).
pub fn table(list: &[Complaint]) -> audit::Table {
    let rows = list.iter().map(|c| {
        vec![
            c.number.clone(),
            zh(KINDS, &c.kind).to_string(),
            zh(CHANNELS, &c.channel).to_string(),
            c.company_name.clone().unwrap_or_default(),
            c.subject.clone(),
            c.received_on.clone(),
            zh(STATUSES, &c.status).to_string(),
            c.due_on.clone(),
        ]
    });
    audit::Table {
        title: "投诉举报".into(),
        header: ["编号", "类别", "来源渠道", "被投诉举报企业", "事由", "登记日期", "状态", "办理期限"]
            .map(String::from)
            .to_vec(),
        rows: rows.collect(),
    }
}

/// Every complaint whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY c.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: c.id.to_string(), data: image(&c) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
