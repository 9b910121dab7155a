//! Enforcement cases (执法办案, 行政处罚案件) under 《市场监督管理行政处罚程序规定》 (docs/supervision-sources.md §4):
//! a clue (线索, from a complaint, a risk case, an inspection, a sample or by hand) is checked and
//! filed (立案, the bureau's head approving, at least two handlers, 第十九条) or not; the handlers
//! gather evidence, each file's SM3 locked in the case's ledgered version as it is stored
//! (调查取证), and report; someone other than a handler reviews (法制审核, 第五十五条); the bureau
//! seals the notice (行政处罚事先告知书) and the party states its case or asks for a hearing; the
//! head decides and the bureau seals the decision (行政处罚决定书) with the SM2 key that seals its
//! licenses; it is served (送达), performed (执行) and the case closed (结案).
//!
//! Every step is a version of the case (entity `sup_enforcement`); the decisive ones carry the
//! head's electronic signature. The statutory limits run on the working-day calendar
//! ([`crate::clock`]); a pause (听证, 检测 …) stops only the limits whose article leaves it
//! uncounted. Who may do what, in the bureau's scope: `supervision.read` reads; a handler (one of
//! the case's officers, `supervision.manage`) investigates, notifies, records, serves and
//! executes; an officer who is not a handler reviews; `supervision.configure` (the head) files,
//! extends, decides, terminates and closes. The party (a company) does not read the case here: it
//! receives the sealed documents, which anyone verifies by their code.

use crate::clock::{self, Pause, PAUSE_KINDS};
use crate::documents::{self, Penalty, SignedDocument, PENALTY_KINDS};
use crate::error::{Result, SupervisionError};
use crate::onsite::EvidenceCheck;
use crate::plans::zh;
use crate::rows::{decode_json, encode_json};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::{day_number, day_text};
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_license::document::{LicenseSignature, SIGNATURE_ALG};
use yaolian_license::licenses::Sealing;
use yaolian_records::esign;
use yaolian_records::files::{self, FileRef, FileTable, Upload};
use yaolian_services::Calendar;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{versions, RecordVersion, Store, StoreError, Tx};

pub const ENTITY: &str = "sup_enforcement";

/// A case's states, code and Chinese name, in order.
pub const STATUSES: &[(&str, &str)] = &[
    ("clue", "线索核查"),
    ("filed", "已立案，调查取证"),
    ("review", "法制审核"),
    ("reviewed", "审核通过，待告知"),
    ("notified", "已告知，陈述申辩期"),
    ("hearing", "听证中"),
    ("decided", "已决定，待送达"),
    ("served", "已送达，执行中"),
    ("executed", "已执行，待结案"),
    ("closed", "已结案"),
    ("not_filed", "不予立案"),
    ("terminated", "终止调查"),
];

/// The states a case has ended in.
pub const ENDED: &[&str] = &["closed", "not_filed", "terminated"];

/// Where a clue came from, code and Chinese name.
pub const SOURCES: &[(&str, &str)] = &[
    ("complaint", "投诉举报"),
    ("case", "风险处置"),
    ("inspection", "监督检查"),
    ("sample", "抽检"),
    ("manual", "其他线索"),
];

/// A decision's outcome, code and Chinese name.
pub const OUTCOMES: &[(&str, &str)] = &[("penalty", "给予行政处罚"), ("no_penalty", "不予行政处罚")];

/// How a decision is served (《市场监督管理行政处罚程序规定》第八十二条), code and Chinese name.
pub const SERVICE_METHODS: &[(&str, &str)] = &[
    ("direct", "直接送达"),
    ("electronic", "电子送达"),
    ("mail", "邮寄送达"),
    ("entrusted", "委托送达"),
    ("notice", "公告送达"),
];

/// Most evidence files per upload and bytes per file.
pub const MAX_FILES: usize = 10;
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

const EVIDENCE: FileTable = FileTable { table: "sup_enforcement_evidence", owner: "enforcement_id" };

/// A clue opened by hand.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewClue {
    pub company_id: i64,
    pub title: String,
    #[serde(default)]
    pub facts: String,
    /// The day the clue came in (YYYY-MM-DD); today when empty.
    #[serde(default)]
    pub clue_on: String,
}

/// A pause of the case's clocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CasePause {
    pub id: i64,
    /// One of [`PAUSE_KINDS`]' codes.
    pub kind: String,
    /// YYYY-MM-DD; `to` empty while it lasts.
    pub from: String,
    pub to: String,
    pub note: String,
}

/// A document of the case, as its ledgered version names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DocumentRef {
    pub id: i64,
    /// One of [`documents::KINDS`]' codes.
    pub kind: String,
    pub number: String,
    /// SM3 of the sealed bytes.
    pub sm3: String,
    pub key_id: String,
    /// The code anyone verifies the document by (`/v/d/{code}`).
    pub verify_code: String,
}

/// An enforcement case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Enforcement {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// 案件编号, CF-YYYY-NNNNN.
    pub number: String,
    pub company_id: i64,
    pub company_name: String,
    pub source: String,
    pub source_ref: String,
    pub title: String,
    pub status: String,
    pub outcome: String,
    pub handlers: Vec<String>,
    pub reviewer: Option<String>,
    pub facts: String,
    pub legal_basis: String,
    pub penalty_basis: String,
    pub penalties: Vec<Penalty>,
    pub fine_fen: i64,
    pub hearing_right: bool,
    /// 决定书文号, once decided.
    pub decision_number: Option<String>,
    pub statement: String,
    pub review_opinion: String,
    pub hearing_report: String,
    pub service: String,
    pub execution: String,
    pub paid_fen: i64,
    pub closing_note: String,
    /// The limits extended (延长), by code.
    pub extended: Vec<String>,
    /// Days, YYYY-MM-DD.
    pub clue_on: String,
    pub filed_on: Option<String>,
    pub review_on: Option<String>,
    pub reviewed_on: Option<String>,
    pub notified_on: Option<String>,
    pub decided_on: Option<String>,
    pub served_on: Option<String>,
    pub executed_on: Option<String>,
    pub closed_on: Option<String>,
    /// The nearest bureau-side deadline and its limit; `paused` while a pause stops it.
    pub due_on: Option<String>,
    pub due_limit: String,
    pub paused: bool,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
    pub pauses: Vec<CasePause>,
    pub evidence: Vec<FileRef>,
    pub documents: Vec<DocumentRef>,
}

impl Enforcement {
    pub fn is_handler(&self, login: &str) -> bool {
        self.handlers.iter().any(|h| h == login)
    }

    pub fn ended(&self) -> bool {
        ENDED.contains(&self.status.as_str())
    }

    /// The open pause of `kind`, if any.
    pub fn open_pause(&self, kind: &str) -> Option<&CasePause> {
        self.pauses.iter().find(|p| p.kind == kind && p.to.is_empty())
    }

    /// The document of `kind`, if sealed.
    pub fn document(&self, kind: &str) -> Option<&DocumentRef> {
        self.documents.iter().find(|d| d.kind == kind)
    }
}

const COLUMNS: &str = "e.id, e.org_id, o.name AS org_name, e.number, e.company_id, m.name AS company_name, \
     e.source, e.source_ref, e.title, e.status, e.outcome, e.handlers, e.reviewer, e.facts, e.legal_basis, \
     e.penalty_basis, e.penalties, e.fine_fen, e.hearing_right, e.decision_number, e.statement, e.review_opinion, \
     e.hearing_report, e.service, e.execution, e.paid_fen, e.closing_note, e.extended, e.clue_on, e.filed_on, \
     e.review_on, e.reviewed_on, e.notified_on, e.decided_on, e.served_on, e.executed_on, e.closed_on, e.due_on, \
     e.due_limit, e.paused, e.created_by, e.created_at, e.version";
const FROM: &str = "sup_enforcements e JOIN orgs o ON o.id = e.org_id JOIN orgs m ON m.id = e.company_id";

fn day(r: &sqlx::any::AnyRow, column: &str) -> Result<Option<String>> {
    Ok(r.try_get::<Option<i64>, _>(column)?.map(day_text))
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<Enforcement> {
    Ok(Enforcement {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        number: r.try_get("number")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        source: r.try_get("source")?,
        source_ref: r.try_get("source_ref")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
        outcome: r.try_get("outcome")?,
        handlers: decode_json(&r.try_get::<String, _>("handlers")?, "handlers")?,
        reviewer: r.try_get("reviewer")?,
        facts: r.try_get("facts")?,
        legal_basis: r.try_get("legal_basis")?,
        penalty_basis: r.try_get("penalty_basis")?,
        penalties: decode_json(&r.try_get::<String, _>("penalties")?, "penalties")?,
        fine_fen: r.try_get("fine_fen")?,
        hearing_right: r.try_get::<i64, _>("hearing_right")? != 0,
        decision_number: r.try_get("decision_number")?,
        statement: r.try_get("statement")?,
        review_opinion: r.try_get("review_opinion")?,
        hearing_report: r.try_get("hearing_report")?,
        service: r.try_get("service")?,
        execution: r.try_get("execution")?,
        paid_fen: r.try_get("paid_fen")?,
        closing_note: r.try_get("closing_note")?,
        extended: decode_json(&r.try_get::<String, _>("extended")?, "extended")?,
        clue_on: day_text(r.try_get("clue_on")?),
        filed_on: day(r, "filed_on")?,
        review_on: day(r, "review_on")?,
        reviewed_on: day(r, "reviewed_on")?,
        notified_on: day(r, "notified_on")?,
        decided_on: day(r, "decided_on")?,
        served_on: day(r, "served_on")?,
        executed_on: day(r, "executed_on")?,
        closed_on: day(r, "closed_on")?,
        due_on: day(r, "due_on")?,
        due_limit: r.try_get("due_limit")?,
        paused: r.try_get::<i64, _>("paused")? != 0,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
        pauses: Vec::new(),
        evidence: Vec::new(),
        documents: Vec::new(),
    })
}

/// The case's image: what its versions (and the head's signatures) bind. The deadline columns
/// are left out: they follow from the days, the pauses and the calendar.
fn image(e: &Enforcement) -> serde_json::Value {
    serde_json::json!({
        "id": e.id, "org_id": e.org_id, "number": e.number, "company_id": e.company_id,
        "source": e.source, "source_ref": e.source_ref, "title": e.title, "status": e.status,
        "outcome": e.outcome, "handlers": e.handlers, "reviewer": e.reviewer, "facts": e.facts,
        "legal_basis": e.legal_basis, "penalty_basis": e.penalty_basis, "penalties": e.penalties,
        "fine_fen": e.fine_fen, "hearing_right": e.hearing_right, "decision_number": e.decision_number,
        "statement": e.statement, "review_opinion": e.review_opinion, "hearing_report": e.hearing_report,
        "service": e.service, "execution": e.execution, "paid_fen": e.paid_fen, "closing_note": e.closing_note,
        "extended": e.extended, "clue_on": e.clue_on, "filed_on": e.filed_on, "review_on": e.review_on,
        "reviewed_on": e.reviewed_on, "notified_on": e.notified_on, "decided_on": e.decided_on,
        "served_on": e.served_on, "executed_on": e.executed_on, "closed_on": e.closed_on,
        "pauses": e.pauses, "evidence": e.evidence, "documents": e.documents,
    })
}

/// The pauses, evidence and documents of the cases in `list`, filled in (three queries).
async fn fill(conn: &mut sqlx::AnyConnection, list: &mut [Enforcement]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let ids: Vec<String> = list.iter().map(|e| p.push(e.id)).collect();
    let ids = ids.join(", ");
    let index: std::collections::HashMap<i64, usize> = list.iter().enumerate().map(|(n, e)| (e.id, n)).collect();
    let sql = format!(
        "SELECT id, enforcement_id, kind, from_day, to_day, note FROM sup_enforcement_pauses \
         WHERE enforcement_id IN ({ids}) ORDER BY enforcement_id, id"
    );
    for r in &p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
        let Some(&n) = index.get(&r.try_get::<i64, _>("enforcement_id")?) else { continue };
        list[n].pauses.push(CasePause {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            from: day_text(r.try_get("from_day")?),
            to: day(r, "to_day")?.unwrap_or_default(),
            note: r.try_get("note")?,
        });
    }
    let sql = format!(
        "SELECT id, enforcement_id, label, name, size, sm3 FROM sup_enforcement_evidence \
         WHERE enforcement_id IN ({ids}) ORDER BY enforcement_id, id"
    );
    for r in &p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
        let Some(&n) = index.get(&r.try_get::<i64, _>("enforcement_id")?) else { continue };
        list[n].evidence.push(FileRef {
            id: r.try_get("id")?,
            label: r.try_get("label")?,
            name: r.try_get("name")?,
            size: r.try_get("size")?,
            sm3: r.try_get("sm3")?,
        });
    }
    let sql = format!(
        "SELECT id, enforcement_id, kind, number, sm3, key_id, verify_code FROM sup_enforcement_documents \
         WHERE enforcement_id IN ({ids}) ORDER BY enforcement_id, id"
    );
    for r in &p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
        let Some(&n) = index.get(&r.try_get::<i64, _>("enforcement_id")?) else { continue };
        list[n].documents.push(DocumentRef {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            number: r.try_get("number")?,
            sm3: r.try_get("sm3")?,
            key_id: r.try_get::<Option<String>, _>("key_id")?.unwrap_or_default(),
            verify_code: r.try_get::<Option<String>, _>("verify_code")?.unwrap_or_default(),
        });
    }
    Ok(())
}

async fn load(conn: &mut sqlx::AnyConnection, condition: &str, value: Value) -> Result<Vec<Enforcement>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {condition} ORDER BY e.id");
    let mut p = Params::new();
    p.push(value);
    let rows = p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let mut list: Vec<Enforcement> = rows.iter().map(from_row).collect::<Result<_>>()?;
    fill(conn, &mut list).await?;
    Ok(list)
}

async fn load_one(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Enforcement> {
    load(conn, "e.id = $1", Value::I64(id)).await?.pop().ok_or(IdentityError::NotFound("enforcement case").into())
}

/// The limits' clocks of a case as it stands on `today`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CaseClock {
    pub code: String,
    pub name: String,
    pub source: String,
    pub started: String,
    pub deadline: String,
    /// Days (or working days) left after today while it runs; negative once overdue.
    pub left: i64,
    /// The day the step was done, if it was.
    pub stopped_on: Option<String>,
    pub paused: bool,
    /// The party's period (陈述申辩, 缴纳罚款), not the bureau's.
    pub party: bool,
    /// `left` counts working days (else calendar days).
    pub working_days: bool,
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Each limit the case has met: started, stopped or running, with its deadline (pure).
pub fn clocks(e: &Enforcement, cal: &Calendar, today: NaiveDate) -> Vec<CaseClock> {
    let pauses: Vec<Pause> = e
        .pauses
        .iter()
        .filter_map(|p| {
            Some(Pause { kind: p.kind.clone(), from: date(&p.from)?, to: date(&p.to), why: p.note.clone() })
        })
        .collect();
    let ended = if e.ended() { e.closed_on.clone() } else { None };
    // The party's period ends with the decision, or on the day it asked for a hearing.
    let statement_done = e.pauses.iter().find(|p| p.kind == "hearing").map(|p| p.from.clone());
    let spans: [(&str, Option<&String>, Option<String>, bool); 7] = [
        ("verify", Some(&e.clue_on), e.filed_on.clone().or(ended.clone()), false),
        ("review", e.review_on.as_ref(), e.reviewed_on.clone().or(ended.clone()), false),
        ("statement", e.notified_on.as_ref(), e.decided_on.clone().or(statement_done).or(ended.clone()), true),
        ("decide", e.filed_on.as_ref(), e.decided_on.clone().or(ended.clone()), false),
        ("deliver", e.decided_on.as_ref(), e.served_on.clone().or(ended.clone()), false),
        ("pay", e.served_on.as_ref().filter(|_| e.fine_fen > 0), e.executed_on.clone().or(ended.clone()), true),
        ("close", e.executed_on.as_ref(), e.closed_on.clone(), false),
    ];
    let mut out = Vec::new();
    for (code, start, stop, party) in spans {
        let (Some(limit), Some(start)) = (clock::limit(code), start.and_then(|s| date(s))) else { continue };
        let extended = e.extended.iter().any(|x| x == code);
        let read = clock::read(cal, limit, start, extended, &pauses, today);
        let running = stop.is_none();
        out.push(CaseClock {
            code: code.into(),
            name: limit.name.into(),
            source: limit.source.into(),
            started: start.to_string(),
            deadline: read.deadline.to_string(),
            left: if running { read.left } else { 0 },
            stopped_on: stop,
            // Stopped by a pause still running (a pause ended today no longer shows).
            paused: running && read.paused && pauses.iter().any(|p| p.to.is_none() && p.stops(limit)),
            party,
            working_days: limit.unit == clock::Unit::WorkingDays,
        });
    }
    out
}

/// The nearest running bureau-side deadline, its limit and whether a pause stops it.
fn due(e: &Enforcement, cal: &Calendar, today: NaiveDate) -> (Option<i64>, String, bool) {
    let running: Vec<CaseClock> =
        clocks(e, cal, today).into_iter().filter(|c| c.stopped_on.is_none() && !c.party).collect();
    let first = running.iter().min_by(|a, b| a.deadline.cmp(&b.deadline));
    match first {
        Some(c) => (date(&c.deadline).map(day_number), c.code.clone(), c.paused),
        None => (None, String::new(), false),
    }
}

/// Writes the case's current state as its next version, in `tx`, and brings its deadline columns
/// up to date.
async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    cal: &Calendar,
    id: i64,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let e = load_one(tx, id).await?;
    let (due_on, due_limit, paused) = due(&e, cal, today());
    sqlx::query("UPDATE sup_enforcements SET due_on = $1, due_limit = $2, paused = $3 WHERE id = $4")
        .bind(due_on)
        .bind(&due_limit)
        .bind(i64::from(paused))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: e.version,
        data: image(&e),
        action,
        reason,
        audit: audit::action::SUP_ENFORCEMENT,
        target: format!("sup_enforcement:{id} {} {action}", e.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

fn today() -> NaiveDate {
    Timestamp::now().china_date()
}

/// One case the principal reads (`supervision.read` in its bureau; not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Enforcement> {
    let sql = format!("SELECT e.id, o.path AS org_path FROM {FROM} WHERE e.id = $1");
    yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        id,
        (ENTITY, "enforcement case"),
        client,
    )
    .await?;
    let mut conn = store.pool().acquire().await?;
    load_one(&mut conn, id).await
}

/// Who a step needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// One of the case's handlers.
    Handler,
    /// An officer of the bureau (`supervision.manage`).
    Officer,
    /// The bureau's head (`supervision.configure`).
    Head,
}

/// The case, refused unless the principal is who `actor` names in its bureau, it is in one of
/// `states` and at `version`.
async fn acting(
    store: &Store,
    principal: &Principal,
    id: i64,
    (states, action, actor): (&[&str], &'static str, Actor),
    version: i64,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", e.org_id).await?;
    let permission = if actor == Actor::Head { perm::SUPERVISION_CONFIGURE } else { perm::SUPERVISION_MANAGE };
    let allowed =
        principal.reaches(permission, &path) && (actor != Actor::Handler || e.is_handler(principal.username()));
    if !allowed {
        return Err(audit::deny(store, principal, permission, &format!("sup_enforcement:{id}"), client).await);
    }
    if !states.contains(&e.status.as_str()) {
        return Err(SupervisionError::WrongState { number: e.number.clone(), status: e.status.clone(), action });
    }
    if e.version != version {
        return Err(IdentityError::Conflict(format!("case {} changed meanwhile; reload", e.number)).into());
    }
    Ok(e)
}

/// Bumps the case's version (expecting `e.version`) with the columns `set` names, in `tx`.
async fn update(tx: &mut Tx<'_>, e: &Enforcement, set: &str, values: Vec<Value>) -> Result<()> {
    crate::rows::bump(tx, ("sup_enforcements", e.id, e.version), set, values, &format!("case {}", e.number)).await
}

/// A day given as YYYY-MM-DD, not in the future and not before `after`; today when empty and
/// `field` allows it.
pub fn day_input(errors: &mut ValidationError, field: &str, text: &str, after: Option<&str>) -> i64 {
    let today = today();
    if text.trim().is_empty() {
        return day_number(today);
    }
    let Some(d) = date(text.trim()) else {
        errors.push(field, "date", "a day as YYYY-MM-DD");
        return 0;
    };
    if d > today {
        errors.push(field, "not_future", "a day not after today");
    }
    if let Some(a) = after.and_then(date) {
        if d < a {
            errors.push(field, format!("not_before:{a}"), format!("a day not before {a}"));
        }
    }
    day_number(d)
}

/// Signs with the principal's password in `tx` after `reauthenticate` checked it.
async fn signed(
    tx: &mut Tx<'_>,
    principal: &Principal,
    password: &str,
    meaning: &str,
    written: &RecordVersion,
    client: &ClientInfo,
) -> Result<()> {
    esign::sign_in_tx(tx, principal, password, meaning, written, client).await?;
    Ok(())
}

/// A new case in `tx` (a clue, checked within 15 working days, 第十八条) and its first version;
/// its id.
pub(crate) async fn insert(
    tx: &mut Tx<'_>,
    principal: &Principal,
    cal: &Calendar,
    company_id: i64,
    (source, source_ref): (&str, &str),
    (title, facts, clue_on): (&str, &str, i64),
    client: &ClientInfo,
) -> Result<i64> {
    let now = Timestamp::now();
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO sup_enforcements (org_id, number, company_id, source, source_ref, title, status, facts, clue_on, \
         created_by, created_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'clue', $7, $8, $9, $10, 1, $10) \
         RETURNING id",
    )
    .bind(principal.org_id())
    .bind(&provisional)
    .bind(company_id)
    .bind(source)
    .bind(source_ref)
    .bind(title.trim())
    .bind(facts.trim())
    .bind(clue_on)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    // 案件编号: CF + year + the case's number.
    let number = format!("CF-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE sup_enforcements SET number = $1 WHERE id = $2")
        .bind(&number)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let source_zh = zh(SOURCES, source);
    save(tx, principal, cal, id, ("open", &format!("登记案件线索（{source_zh}）")), client).await?;
    Ok(id)
}

/// Opens a clue by hand (`supervision.manage` in the bureau, the company in reach).
pub async fn open(store: &Store, principal: &Principal, new: &NewClue, client: &ClientInfo) -> Result<Enforcement> {
    crate::cases::check_raise(store, principal, new.company_id, client).await?;
    let mut errors = ValidationError::new();
    errors.length("title", new.title.trim(), 1, 200);
    errors.length("facts", new.facts.trim(), 0, 8000);
    let clue_on = day_input(&mut errors, "clue_on", &new.clue_on, None);
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let text = (new.title.as_str(), new.facts.as_str(), clue_on);
    let id = insert(&mut tx, principal, &cal, new.company_id, ("manual", ""), text, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Opens the enforcement case of a risk case whose measures include 立案 (`file_case`); the
/// same case again when it was opened before.
pub async fn from_case(store: &Store, principal: &Principal, case_id: i64, client: &ClientInfo) -> Result<Enforcement> {
    let c = crate::cases::get(store, principal, case_id, client).await?;
    crate::cases::check_raise(store, principal, c.company_id, client).await?;
    if !c.measures.iter().any(|m| m == "file_case") {
        return Err(
            ValidationError::single("case_id", "measure:file_case", "the risk case's measures include 立案").into()
        );
    }
    if let Some(id) = by_source(store, "case", &case_id.to_string()).await? {
        return get(store, principal, id, client).await;
    }
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let facts = format!("{}（风险处置 {}）", c.description, c.number);
    let text = (c.title.as_str(), facts.as_str(), day_number(today()));
    let id = insert(&mut tx, principal, &cal, c.company_id, ("case", &case_id.to_string()), text, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The case opened from `(source, source_ref)`, if any.
pub(crate) async fn by_source(store: &Store, source: &str, source_ref: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM sup_enforcements WHERE source = $1 AND source_ref = $2")
        .bind(source)
        .bind(source_ref)
        .fetch_optional(store.pool())
        .await?)
}

/// What filing (立案) takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filing {
    /// At least two of the bureau's officers (第十九条: 办案人员不得少于两人).
    pub handlers: Vec<String>,
    pub version: i64,
}

/// The bureau's officers who may handle a case (`supervision.manage` there), as `(login, name)`.
pub async fn officers(store: &Store, e: &Enforcement) -> Result<Vec<(String, String)>> {
    crate::cases::managers_of(store, e.org_id).await
}

/// Files the case (立案): the head approves and signs the 立案审批表, naming at least two
/// handlers among the bureau's officers.
pub async fn file(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    f: &Filing,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["clue"], "file", Actor::Head), f.version, client).await?;
    let allowed = officers(store, &e).await?;
    let mut team: Vec<String> = Vec::new();
    let mut errors = ValidationError::new();
    if f.handlers.len() > 10 {
        errors.push("handlers", "count:2..10", "two to ten handlers");
        return Err(errors.into());
    }
    for (n, h) in f.handlers.iter().map(|h| h.trim()).filter(|h| !h.is_empty()).enumerate() {
        if team.iter().any(|t| t == h) {
            continue;
        }
        if !allowed.iter().any(|(login, _)| login == h) {
            errors.push(format!("handlers[{n}]"), "officer", "an officer of the bureau");
            continue;
        }
        team.push(h.to_string());
    }
    if team.len() < 2 {
        errors.push("handlers", "count:2..10", "a case needs at least two handlers (办案人员不得少于两人)");
    }
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} file"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let who = crate::onsite::joined_names(store, &team.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let mut tx = store.begin().await?;
    let values = vec![Value::Text(encode_json(&team)?), Value::I64(day_number(today()))];
    update(&mut tx, &e, "handlers = $1, filed_on = $2, status = 'filed'", values).await?;
    let written = save(&mut tx, principal, &cal, id, ("file", &format!("批准立案，办案人员：{who}")), client).await?;
    signed(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A head's decision to end a case without a penalty decision: not filed (不予立案) from a clue,
/// or investigation terminated (终止调查, 第四十七条) later.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Ending {
    pub reason: String,
    pub version: i64,
}

/// Declines to file (clue → not_filed) or terminates (filed … hearing → terminated), signed by the
/// head.
pub async fn end(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    x: &Ending,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let states: &[&str] = &["clue", "filed", "review", "reviewed", "notified", "hearing"];
    let e = acting(store, principal, id, (states, "end", Actor::Head), x.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("reason", x.reason.trim(), 1, 2000);
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} end"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let (status, action, what) = if e.status == "clue" {
        ("not_filed", "decline", "不予立案")
    } else {
        ("terminated", "terminate", "终止调查")
    };
    let today = day_number(today());
    let mut tx = store.begin().await?;
    let values = vec![Value::from(status), Value::from(x.reason.trim()), Value::I64(today)];
    update(&mut tx, &e, "status = $1, closing_note = $2, closed_on = $3", values).await?;
    end_pauses(&mut tx, id, today).await?;
    let written = save(&mut tx, principal, &cal, id, (action, &format!("{what}：{}", x.reason.trim())), client).await?;
    signed(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn end_pauses(tx: &mut Tx<'_>, id: i64, on: i64) -> Result<()> {
    sqlx::query("UPDATE sup_enforcement_pauses SET to_day = $1 WHERE enforcement_id = $2 AND to_day IS NULL")
        .bind(on)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Adds evidence (a handler, while investigating), each file's SM3 locked in the version the
/// upload writes.
pub async fn add_evidence(
    store: &Store,
    principal: &Principal,
    id: i64,
    uploads: &[Upload],
    version: i64,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["filed"], "add evidence", Actor::Handler), version, client).await?;
    if uploads.is_empty() {
        return Err(ValidationError::single("files", "required", "at least one file").into());
    }
    let decoded = files::decode(uploads, MAX_FILES, MAX_FILE_BYTES)?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    files::store(&mut tx, &EVIDENCE, id, &decoded, Timestamp::now().0).await?;
    update(&mut tx, &e, "status = $1", vec![Value::from("filed")]).await?;
    let labels: Vec<&str> = decoded.iter().map(|d| d.label.as_str()).collect();
    let reason = format!("调查取证：{}（{} 份，SM3 固化）", labels.join("、"), decoded.len());
    save(&mut tx, principal, &cal, id, ("evidence", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Each evidence file against the SM3 the ledger locked.
pub async fn evidence_check(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<Vec<EvidenceCheck>> {
    get(store, principal, id, client).await?;
    let locked: Vec<FileRef> = match versions::latest(store.pool(), ENTITY, &id.to_string()).await? {
        Some(v) => serde_json::from_value(v.data.get("evidence").cloned().unwrap_or_default()).unwrap_or_default(),
        None => Vec::new(),
    };
    crate::onsite::check_files(store, &EVIDENCE, id, &locked).await
}

/// An evidence file of a case the principal reads.
pub async fn evidence_file(
    store: &Store,
    principal: &Principal,
    id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<files::StoredFile> {
    get(store, principal, id, client).await?;
    files::read(store.pool(), &EVIDENCE, id, file_id)
        .await?
        .ok_or_else(|| IdentityError::NotFound("evidence file").into())
}

/// The investigation's end (调查终结报告): facts, the rules broken, the penalty proposed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Investigation {
    pub facts: String,
    pub legal_basis: String,
    pub penalty_basis: String,
    /// None: no penalty is proposed (不予行政处罚).
    #[serde(default)]
    pub penalties: Vec<Penalty>,
    /// The party may ask for a hearing (较大数额罚款, 吊销许可证件 … 《行政处罚法》第六十三条).
    #[serde(default)]
    pub hearing_right: bool,
    pub version: i64,
}

/// The most a fine may be here, in fen (a hundred million yuan): a guard against a slipped digit.
const MAX_FINE_FEN: i64 = 10_000_000_000;

fn check_penalties(errors: &mut ValidationError, list: &[Penalty]) {
    if list.len() > PENALTY_KINDS.len() {
        errors.push("penalties", format!("max_items:{}", PENALTY_KINDS.len()), "one line per kind of penalty");
        return;
    }
    for (n, p) in list.iter().enumerate() {
        if !PENALTY_KINDS.iter().any(|(c, _)| *c == p.kind) {
            errors.push(format!("penalties[{n}].kind"), "one_of", "a kind of 《行政处罚法》第九条");
        } else if list[..n].iter().any(|q| q.kind == p.kind) {
            errors.push(format!("penalties[{n}].kind"), "unique", "each kind once");
        }
        let money = ["fine", "confiscate_gains"].contains(&p.kind.as_str());
        if money && !(1..=MAX_FINE_FEN).contains(&p.amount_fen) {
            errors.push(format!("penalties[{n}].amount_fen"), "range:1..10000000000", "an amount in fen above zero");
        } else if !money && p.amount_fen != 0 {
            errors.push(format!("penalties[{n}].amount_fen"), "zero", "only a fine or confiscated gains has an amount");
        }
        errors.length(&format!("penalties[{n}].note"), p.note.trim(), 0, 500);
    }
}

/// Submits the investigation report (a handler): the case goes to 法制审核.
pub async fn submit_report(
    store: &Store,
    principal: &Principal,
    id: i64,
    r: &Investigation,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["filed"], "report", Actor::Handler), r.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("facts", r.facts.trim(), 1, 8000);
    errors.length("legal_basis", r.legal_basis.trim(), 1, 2000);
    errors.length("penalty_basis", r.penalty_basis.trim(), 1, 2000);
    check_penalties(&mut errors, &r.penalties);
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let fine: i64 = r.penalties.iter().map(|p| p.amount_fen).sum();
    let mut tx = store.begin().await?;
    let set = "facts = $1, legal_basis = $2, penalty_basis = $3, penalties = $4, fine_fen = $5, hearing_right = $6, \
               review_on = $7, reviewer = NULL, review_opinion = '', status = 'review'";
    let values = vec![
        Value::from(r.facts.trim()),
        Value::from(r.legal_basis.trim()),
        Value::from(r.penalty_basis.trim()),
        Value::Text(encode_json(&r.penalties)?),
        Value::I64(fine),
        Value::I64(i64::from(r.hearing_right)),
        Value::I64(day_number(today())),
    ];
    update(&mut tx, &e, set, values).await?;
    let proposed =
        if r.penalties.is_empty() { "不予行政处罚".to_string() } else { documents::penalties_text(&r.penalties) };
    save(&mut tx, principal, &cal, id, ("report", &format!("调查终结，拟：{proposed}，送法制审核")), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The 法制审核 opinion.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Review {
    pub passed: bool,
    pub opinion: String,
    pub version: i64,
}

/// Reviews the report (an officer who is not a handler, signing): passed → to be notified; not
/// passed → back to the handlers.
pub async fn review(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    r: &Review,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["review"], "review", Actor::Officer), r.version, client).await?;
    if e.is_handler(principal.username()) {
        return Err(SupervisionError::SamePerson { step: "review" });
    }
    let mut errors = ValidationError::new();
    errors.length("opinion", r.opinion.trim(), 1, 4000);
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} review"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (status, reviewed_on) =
        if r.passed { ("reviewed", Value::I64(day_number(today()))) } else { ("filed", Value::NullI64) };
    let values =
        vec![Value::from(status), Value::from(principal.username()), Value::from(r.opinion.trim()), reviewed_on];
    update(&mut tx, &e, "status = $1, reviewer = $2, review_opinion = $3, reviewed_on = $4", values).await?;
    if !r.passed {
        sqlx::query("UPDATE sup_enforcements SET review_on = NULL WHERE id = $1").bind(id).execute(&mut *tx).await?;
    }
    let verdict = if r.passed { "法制审核通过" } else { "法制审核退回" };
    let written =
        save(&mut tx, principal, &cal, id, ("review", &format!("{verdict}：{}", r.opinion.trim())), client).await?;
    signed(&mut tx, principal, password, "review", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A step with a day: the notice served, the decision served, the penalty performed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Dated {
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub on: String,
    /// What happened (送达方式和受送达人, 履行情况, 陈述内容 …).
    #[serde(default)]
    pub text: String,
    /// For service: one of [`SERVICE_METHODS`]' codes.
    #[serde(default)]
    pub method: String,
    /// For execution: what was paid, in fen.
    #[serde(default)]
    pub paid_fen: i64,
    pub version: i64,
}

/// The bureau's facts a sealed document prints.
struct Bureau {
    name: String,
    code: String,
    kind: String,
    region: String,
}

async fn org(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Bureau> {
    let r = sqlx::query("SELECT name, code, kind, region FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(IdentityError::NotFound("organization"))?;
    Ok(Bureau { name: r.try_get(0)?, code: r.try_get(1)?, kind: r.try_get(2)?, region: r.try_get(3)? })
}

/// The province's short name (简称) by the first two digits of a GB/T 2260 code.
fn province_abbr(b: &Bureau) -> &'static str {
    if b.kind == "national" {
        return "国";
    }
    const ABBR: &[(&str, &str)] = &[
        ("11", "京"),
        ("12", "津"),
        ("13", "冀"),
        ("14", "晋"),
        ("15", "蒙"),
        ("21", "辽"),
        ("22", "吉"),
        ("23", "黑"),
        ("31", "沪"),
        ("32", "苏"),
        ("33", "浙"),
        ("34", "皖"),
        ("35", "闽"),
        ("36", "赣"),
        ("37", "鲁"),
        ("41", "豫"),
        ("42", "鄂"),
        ("43", "湘"),
        ("44", "粤"),
        ("45", "桂"),
        ("46", "琼"),
        ("50", "渝"),
        ("51", "川"),
        ("52", "贵"),
        ("53", "云"),
        ("54", "藏"),
        ("61", "陕"),
        ("62", "甘"),
        ("63", "青"),
        ("64", "宁"),
        ("65", "新"),
    ];
    let two = b.region.get(..2).or_else(|| b.code.get(2..4)).unwrap_or("");
    ABBR.iter().find(|(c, _)| *c == two).map(|(_, a)| *a).unwrap_or("")
}

fn division(b: &Bureau) -> String {
    if b.region.len() >= 6 && b.region.bytes().take(6).all(|c| c.is_ascii_digit()) {
        return b.region[..6].to_string();
    }
    b.code.get(2..8).unwrap_or("000000").to_string()
}

/// Seals a document of the case with the bureau's key and stores it, in `tx`; its reference.
async fn seal(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    principal: &Principal,
    e: &Enforcement,
    kind: &str,
    statement: &str,
    no_penalty: bool,
) -> Result<DocumentRef> {
    let bureau = org(tx, e.org_id).await?;
    let party = org(tx, e.company_id).await?;
    let on = today();
    let year = on.format("%Y").to_string();
    let prefix = format!("{}药监罚{}〔{year}〕", province_abbr(&bureau), if kind == "notice" { "告" } else { "" });
    let taken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sup_enforcement_documents d JOIN sup_enforcements e ON e.id = d.enforcement_id \
         WHERE e.org_id = $1 AND d.kind = $2 AND d.number LIKE $3",
    )
    .bind(e.org_id)
    .bind(kind)
    .bind(format!("{prefix}%"))
    .fetch_one(&mut **tx)
    .await?;
    let number = format!("{prefix}{}号", taken + 1);
    let issued_on = on.to_string();
    let doc = documents::build(&documents::Facts {
        kind,
        number: &number,
        case_number: &e.number,
        party: (&party.name, &party.code),
        issuer: (&bureau.name, &bureau.code),
        jurisdiction: &division(&bureau),
        issued_on: &issued_on,
        facts: &e.facts,
        legal_basis: &e.legal_basis,
        penalty_basis: &e.penalty_basis,
        penalties: &e.penalties,
        hearing_right: e.hearing_right,
        statement,
        no_penalty,
    });
    let (key_id, key) = yaolian_license::licenses::authority_key(tx, e.org_id, sealing).await?;
    let now = Timestamp::now();
    let header =
        documents::SealHeader { alg: SIGNATURE_ALG.into(), key_id: key_id.clone(), signed_at: now.to_rfc3339() };
    let sealed = documents::Sealed { document: doc, signature: header };
    let message = sealed.message();
    let signature = key.sign(&message);
    let sm3 = yaolian_ledger::HashAlg::Sm3.digest(&[&message]).to_hex();
    let code = sealed.verify_code();
    let id: i64 = sqlx::query(
        "INSERT INTO sup_enforcement_documents (enforcement_id, kind, number, document, sm3, key_id, signature, \
         signed_at, verify_code, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $8) RETURNING id",
    )
    .bind(e.id)
    .bind(kind)
    .bind(&number)
    .bind(String::from_utf8_lossy(&message).into_owned())
    .bind(&sm3)
    .bind(&key_id)
    .bind(signature)
    .bind(now.0)
    .bind(&code)
    .bind(principal.username())
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    Ok(DocumentRef { id, kind: kind.into(), number, sm3, key_id, verify_code: code })
}

/// Serves the notice (行政处罚事先告知书, the head signing; the bureau seals it): the party's
/// five working days to state its case (and ask for a hearing) start on the day served.
#[allow(clippy::too_many_arguments)]
pub async fn notify(
    store: &Store,
    identity: &IdentityConfig,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    d: &Dated,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["reviewed"], "notify", Actor::Head), d.version, client).await?;
    let mut errors = ValidationError::new();
    let on = day_input(&mut errors, "on", &d.on, e.reviewed_on.as_deref());
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} notify"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let doc = seal(&mut tx, sealing, principal, &e, "notice", "", false).await?;
    update(&mut tx, &e, "status = 'notified', notified_on = $1", vec![Value::I64(on)]).await?;
    let reason = format!("送达行政处罚事先告知书 {}（{}）", doc.number, day_text(on));
    let written = save(&mut tx, principal, &cal, id, ("notify", &reason), client).await?;
    signed(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the party's statement and defence (陈述、申辩, a handler).
pub async fn record_statement(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e =
        acting(store, principal, id, (&["notified"], "record a statement", Actor::Handler), d.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("text", d.text.trim(), 1, 8000);
    let on = day_input(&mut errors, "on", &d.on, e.notified_on.as_deref());
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    update(&mut tx, &e, "statement = $1", vec![Value::from(d.text.trim())]).await?;
    save(
        &mut tx,
        principal,
        &cal,
        id,
        ("statement", &format!("记录当事人陈述、申辩（{} 收到）", day_text(on))),
        client,
    )
    .await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the party's request for a hearing (a handler): the case is heard, and the hearing
/// pauses the decision's clock (第六十四条) from the day of the request until the hearing's report.
pub async fn request_hearing(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["notified"], "hear", Actor::Handler), d.version, client).await?;
    let mut errors = ValidationError::new();
    if !e.hearing_right {
        errors.push("hearing", "hearing_right", "the notice gave no right to a hearing (未告知听证权利)");
    }
    let on = day_input(&mut errors, "on", &d.on, e.notified_on.as_deref());
    errors.length("text", d.text.trim(), 0, 2000);
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    add_pause(&mut tx, principal, id, ("hearing", on), &format!("当事人要求听证 {}", d.text.trim())).await?;
    update(&mut tx, &e, "status = $1", vec![Value::from("hearing")]).await?;
    save(
        &mut tx,
        principal,
        &cal,
        id,
        ("hearing", &format!("当事人要求听证（{}），决定期限中止计算", day_text(on))),
        client,
    )
    .await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the hearing's report (听证报告, a handler): the hearing pause ends on the day held and
/// the case waits for the decision.
pub async fn hearing_report(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e =
        acting(store, principal, id, (&["hearing"], "report the hearing", Actor::Handler), d.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("text", d.text.trim(), 1, 8000);
    let from = e.open_pause("hearing").map(|p| p.from.clone());
    let on = day_input(&mut errors, "on", &d.on, from.as_deref());
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE sup_enforcement_pauses SET to_day = $1 WHERE enforcement_id = $2 AND kind = 'hearing' AND to_day IS NULL",
    )
    .bind(on)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let text = format!("{}举行听证：{}", documents::chinese_date(&day_text(on)), d.text.trim());
    update(&mut tx, &e, "status = 'notified', hearing_report = $1", vec![Value::Text(text)]).await?;
    save(&mut tx, principal, &cal, id, ("hearing_report", "记录听证报告，决定期限恢复计算"), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn add_pause(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    (kind, from): (&str, i64),
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sup_enforcement_pauses (enforcement_id, kind, from_day, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(kind)
    .bind(from)
    .bind(note.trim())
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    Ok(())
}

/// A period a handler records as not counted (检测, 公告, 中止 …).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewPause {
    /// One of [`PAUSE_KINDS`]' codes other than `hearing` (a hearing pauses by its request).
    pub kind: String,
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub from: String,
    pub note: String,
    pub version: i64,
}

const PAUSING: &[&str] = &["clue", "filed", "review", "reviewed", "notified", "decided", "served", "executed"];

/// Starts a pause (a handler).
pub async fn pause(
    store: &Store,
    principal: &Principal,
    id: i64,
    n: &NewPause,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (PAUSING, "pause", Actor::Handler), n.version, client).await?;
    let mut errors = ValidationError::new();
    if n.kind == "hearing" || !PAUSE_KINDS.iter().any(|(c, _)| *c == n.kind) {
        errors.push("kind", "one_of:suspension,notice,testing,identification,refund", "what the period is for");
    } else if e.open_pause(&n.kind).is_some() {
        errors.push("kind", "not_open", "a period of this kind is already running");
    }
    errors.length("note", n.note.trim(), 1, 500);
    let from = day_input(&mut errors, "from", &n.from, Some(&e.clue_on));
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    add_pause(&mut tx, principal, id, (&n.kind, from), &n.note).await?;
    update(&mut tx, &e, "status = $1", vec![Value::from(e.status.as_str())]).await?;
    let reason = format!("{}（自 {} 起不计入期限）：{}", zh(PAUSE_KINDS, &n.kind), day_text(from), n.note.trim());
    save(&mut tx, principal, &cal, id, ("pause", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Ends a pause other than a hearing's (a handler), on the day given.
pub async fn resume(
    store: &Store,
    principal: &Principal,
    id: i64,
    pause_id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (PAUSING, "resume", Actor::Handler), d.version, client).await?;
    let Some(p) = e.pauses.iter().find(|p| p.id == pause_id && p.to.is_empty() && p.kind != "hearing") else {
        return Err(IdentityError::NotFound("running pause").into());
    };
    let mut errors = ValidationError::new();
    let on = day_input(&mut errors, "on", &d.on, Some(&p.from));
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE sup_enforcement_pauses SET to_day = $1 WHERE id = $2")
        .bind(on)
        .bind(pause_id)
        .execute(&mut *tx)
        .await?;
    update(&mut tx, &e, "status = $1", vec![Value::from(e.status.as_str())]).await?;
    let reason = format!("{}结束（{}），期限恢复计算", zh(PAUSE_KINDS, &p.kind), day_text(on));
    save(&mut tx, principal, &cal, id, ("resume", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// An extension (延长) of a limit that allows one, approved by the head.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Extension {
    /// A limit code with an extension (`verify`, `decide`).
    pub limit: String,
    pub reason: String,
    pub version: i64,
}

/// Extends a limit once (the head signing).
pub async fn extend(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    x: &Extension,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (PAUSING, "extend", Actor::Head), x.version, client).await?;
    let mut errors = ValidationError::new();
    match clock::limit(&x.limit) {
        Some(l) if l.extension > 0 && ["verify", "decide"].contains(&l.code) => {
            if e.extended.iter().any(|c| c == l.code) {
                errors.push("limit", "once", "a limit is extended once");
            }
        }
        _ => errors.push("limit", "one_of:verify,decide", "a limit that may be extended"),
    }
    errors.length("reason", x.reason.trim(), 1, 1000);
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} extend"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let mut extended = e.extended.clone();
    extended.push(x.limit.clone());
    let mut tx = store.begin().await?;
    update(&mut tx, &e, "extended = $1", vec![Value::Text(encode_json(&extended)?)]).await?;
    let name = clock::limit(&x.limit).map(|l| l.name).unwrap_or("");
    let written =
        save(&mut tx, principal, &cal, id, ("extend", &format!("批准延长“{name}”期限：{}", x.reason.trim())), client)
            .await?;
    signed(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The decision (the head).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Decision {
    /// `penalty` (the penalties the report proposed) or `no_penalty`.
    pub outcome: String,
    /// How the party's statement or hearing was taken into account (采纳情况).
    #[serde(default)]
    pub consideration: String,
    pub version: i64,
}

/// Decides (the head, signing with meaning "decide"): the bureau seals the decision with its SM2
/// key; a penalty goes to the company's 一企一档 timeline and its risk and credit. Refused while a
/// hearing runs, and while the party's statement period runs with nothing on file.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    store: &Store,
    identity: &IdentityConfig,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    d: &Decision,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["notified"], "decide", Actor::Head), d.version, client).await?;
    let mut errors = ValidationError::new();
    if !OUTCOMES.iter().any(|(c, _)| *c == d.outcome) {
        errors.push("outcome", "one_of:penalty,no_penalty", "the decision's outcome");
    } else if d.outcome == "penalty" && e.penalties.is_empty() {
        errors.push("outcome", "penalties", "the report proposed no penalty");
    }
    errors.length("consideration", d.consideration.trim(), 0, 4000);
    let cal = Calendar::load(store).await?;
    let statement_open =
        clocks(&e, &cal, today()).iter().any(|c| c.code == "statement" && c.stopped_on.is_none() && c.left >= 0);
    if statement_open && e.statement.is_empty() && e.hearing_report.is_empty() {
        errors.push(
            "statement",
            "statement_period",
            "the party's period to state its case has not ended (陈述申辩期未届满)",
        );
    }
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} decide"), client)
        .await?;
    let mut account = Vec::new();
    for text in [&e.statement, &e.hearing_report] {
        if !text.is_empty() {
            account.push(text.clone());
        }
    }
    if account.is_empty() {
        account.push("当事人在法定期限内未提出陈述、申辩，也未要求听证。".into());
    }
    if !d.consideration.trim().is_empty() {
        account.push(d.consideration.trim().to_string());
    }
    let no_penalty = d.outcome == "no_penalty";
    let today_n = day_number(today());
    let mut tx = store.begin().await?;
    let doc = seal(&mut tx, sealing, principal, &e, "decision", &account.join(""), no_penalty).await?;
    let set = "status = 'decided', outcome = $1, decision_number = $2, decided_on = $3, decided_at = $4";
    let values = vec![
        Value::from(d.outcome.as_str()),
        Value::from(doc.number.as_str()),
        Value::I64(today_n),
        Value::I64(Timestamp::now().0),
    ];
    update(&mut tx, &e, set, values).await?;
    let what = if no_penalty { "不予行政处罚".to_string() } else { documents::penalties_text(&e.penalties) };
    let reason = format!("作出决定 {}：{what}", doc.number);
    let written = save(&mut tx, principal, &cal, id, ("decide", &reason), client).await?;
    signed(&mut tx, principal, password, "decide", &written, client).await?;
    if !no_penalty {
        let title = format!("行政处罚 {}：{what}", doc.number);
        let link = format!("/supervision/enforcements/{id}");
        let event = yaolian_registry::timeline::NewEvent {
            org_id: e.company_id,
            product_id: None,
            module: "supervision",
            kind: "penalty_decided",
            title: &title,
            link: &link,
        };
        yaolian_registry::timeline::add(&mut tx, &event).await?;
    }
    tx.commit().await?;
    if !no_penalty {
        let trigger = format!("行政处罚 {} 决定", doc.number);
        crate::scores::recompute(store, principal, Some(&[e.company_id]), &trigger, client).await?;
    }
    get(store, principal, id, client).await
}

/// Records the decision served (送达回证, a handler): how and to whom.
pub async fn serve(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["decided"], "serve", Actor::Handler), d.version, client).await?;
    let mut errors = ValidationError::new();
    if !SERVICE_METHODS.iter().any(|(c, _)| *c == d.method) {
        errors.push("method", "one_of:direct,electronic,mail,entrusted,notice", "how it was served");
    }
    errors.length("text", d.text.trim(), 1, 500);
    let on = day_input(&mut errors, "on", &d.on, e.decided_on.as_deref());
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let service = format!("{}，受送达人：{}", zh(SERVICE_METHODS, &d.method), d.text.trim());
    update(
        &mut tx,
        &e,
        "status = 'served', served_on = $1, service = $2",
        vec![Value::I64(on), Value::Text(service.clone())],
    )
    .await?;
    save(&mut tx, principal, &cal, id, ("serve", &format!("送达决定书（{}）：{service}", day_text(on))), client)
        .await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the decision performed (执行, a handler): what was paid and how it was carried out.
pub async fn execute(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Dated,
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["served"], "execute", Actor::Handler), d.version, client).await?;
    let mut errors = ValidationError::new();
    if !(0..=MAX_FINE_FEN * 2).contains(&d.paid_fen) {
        errors.push("paid_fen", "range:0..", "the amount paid in fen");
    } else if e.fine_fen > 0 && d.paid_fen < e.fine_fen {
        errors.push("paid_fen", format!("min:{}", e.fine_fen), "the fine is paid in full before the case is executed");
    }
    errors.length("text", d.text.trim(), 1, 2000);
    let on = day_input(&mut errors, "on", &d.on, e.served_on.as_deref());
    errors.into_result()?;
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let values = vec![Value::I64(on), Value::from(d.text.trim()), Value::I64(d.paid_fen)];
    update(&mut tx, &e, "status = 'executed', executed_on = $1, execution = $2, paid_fen = $3", values).await?;
    let paid = if d.paid_fen > 0 { format!("，缴纳 {}", documents::yuan(d.paid_fen)) } else { String::new() };
    save(&mut tx, principal, &cal, id, ("execute", &format!("执行完毕（{}）{paid}", day_text(on))), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Closes the case (结案审批, the head signing).
pub async fn close(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    x: &Ending,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Enforcement> {
    let e = acting(store, principal, id, (&["executed"], "close", Actor::Head), x.version, client).await?;
    let mut errors = ValidationError::new();
    errors.length("reason", x.reason.trim(), 1, 2000);
    errors.into_result()?;
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_enforcement:{id} close"), client)
        .await?;
    let cal = Calendar::load(store).await?;
    let today = day_number(today());
    let mut tx = store.begin().await?;
    update(
        &mut tx,
        &e,
        "status = 'closed', closing_note = $1, closed_on = $2",
        vec![Value::from(x.reason.trim()), Value::I64(today)],
    )
    .await?;
    end_pauses(&mut tx, id, today).await?;
    let written = save(&mut tx, principal, &cal, id, ("close", &format!("结案：{}", x.reason.trim())), client).await?;
    signed(&mut tx, principal, password, "approve", &written, client).await?;
    let title = format!("行政处罚案件 {} 结案", e.number);
    let link = format!("/supervision/enforcements/{id}");
    let event = yaolian_registry::timeline::NewEvent {
        org_id: e.company_id,
        product_id: None,
        module: "supervision",
        kind: "enforcement_closed",
        title: &title,
        link: &link,
    };
    if e.outcome == "penalty" {
        yaolian_registry::timeline::add(&mut tx, &event).await?;
    }
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The case's signatures.
pub async fn signatures(store: &Store, id: i64) -> Result<Vec<esign::SignatureView>> {
    let history = versions::history(store.pool(), ENTITY, &id.to_string()).await?;
    Ok(esign::signatures_for(store, &history).await?)
}

/// A list's filter.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    /// A state code, or `open` (not ended), `overdue` (a bureau deadline passed, not paused),
    /// `paused`.
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
}

/// A page of the cases the principal reads, newest first, and the total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Enforcement>, i64)> {
    let today = day_number(today());
    let narrow = |p: &mut Params| {
        let mut w = Vec::new();
        let ended = "e.status NOT IN ('closed', 'not_filed', 'terminated')";
        match filter.status.as_str() {
            "open" => w.push(ended.to_string()),
            "overdue" => w.push(format!("{ended} AND e.paused = 0 AND e.due_on < {}", p.push(today))),
            "paused" => w.push(format!("{ended} AND e.paused = 1")),
            s if STATUSES.iter().any(|(c, _)| *c == s) => w.push(format!("e.status = {}", p.push(s.to_string()))),
            _ => {}
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["m.name", "e.number", "e.title", "e.decision_number"], q));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_enforcements",
        (COLUMNS, FROM, "e.id DESC"),
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    let mut list: Vec<Enforcement> = rows.iter().map(from_row).collect::<Result<_>>()?;
    let mut conn = store.pool().acquire().await?;
    fill(&mut conn, &mut list).await?;
    Ok((list, total))
}

/// Cases by state, with the overdue and paused counts, of the cases the principal reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Statistics {
    /// Per state, in [`STATUSES`]' order.
    pub by_status: Vec<(String, i64)>,
    pub open: i64,
    pub overdue: i64,
    pub paused: i64,
    /// Fines decided, in fen.
    pub fines_fen: i64,
}

/// The principal's cases counted (one grouped query).
pub async fn statistics(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Statistics> {
    let mut p = Params::new();
    let Some(reach) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::SUPERVISION_READ, "sup_enforcements", client).await);
    };
    let today = p.push(day_number(today()));
    let sql = format!(
        "SELECT e.status, COUNT(*) AS n, \
         CAST(COALESCE(SUM(CASE WHEN e.paused = 0 AND e.due_on < {today} THEN 1 ELSE 0 END), 0) AS BIGINT) AS late, \
         CAST(COALESCE(SUM(e.paused), 0) AS BIGINT) AS paused, \
         CAST(COALESCE(SUM(CASE WHEN e.outcome = 'penalty' THEN e.fine_fen ELSE 0 END), 0) AS BIGINT) AS fines \
         FROM sup_enforcements e JOIN orgs o ON o.id = e.org_id WHERE {reach} GROUP BY e.status"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut s = Statistics::default();
    let mut counts = std::collections::HashMap::new();
    for r in &rows {
        let status: String = r.try_get("status")?;
        let n: i64 = r.try_get("n")?;
        s.fines_fen += r.try_get::<i64, _>("fines")?;
        if !ENDED.contains(&status.as_str()) {
            s.open += n;
            s.overdue += r.try_get::<i64, _>("late")?;
            s.paused += r.try_get::<i64, _>("paused")?;
        }
        counts.insert(status, n);
    }
    s.by_status = STATUSES.iter().map(|(c, _)| (c.to_string(), counts.get(*c).copied().unwrap_or(0))).collect();
    Ok(s)
}

/// A list of cases as an exported table.
pub fn table(list: &[Enforcement]) -> audit::Table {
    let rows = list.iter().map(|e| {
        vec![
            e.number.clone(),
            e.company_name.clone(),
            e.title.clone(),
            zh(SOURCES, &e.source).to_string(),
            zh(STATUSES, &e.status).to_string(),
            e.decision_number.clone().unwrap_or_default(),
            if e.fine_fen > 0 { documents::yuan(e.fine_fen) } else { String::new() },
            e.due_on.clone().unwrap_or_default(),
        ]
    });
    audit::Table {
        title: "行政处罚案件".into(),
        header: ["案件编号", "当事人", "案由", "线索来源", "状态", "决定书文号", "罚没款", "期限"]
            .map(String::from)
            .to_vec(),
        rows: rows.collect(),
    }
}

/// A sealed document as the bureau keeps it, with its seal checked.
#[derive(Debug, Clone)]
pub struct SealedView {
    pub id: i64,
    pub enforcement_id: i64,
    pub signed: SignedDocument,
    pub public_pem: String,
    pub verify_code: String,
    /// The SM2 signature verifies over the stored bytes under the bureau's key.
    pub holds: bool,
}

/// The stored document `condition` picks (by id or by verification code).
async fn stored(store: &Store, condition: &str, value: Value) -> Result<Option<SealedView>> {
    let sql = format!(
        "SELECT d.id, d.enforcement_id, d.document, d.key_id, d.signature, d.signed_at, d.verify_code, k.public_pem \
         FROM sup_enforcement_documents d JOIN authority_keys k ON k.key_id = d.key_id WHERE {condition}"
    );
    let mut p = Params::new();
    p.push(value);
    let Some(r) = p.bind(sqlx::query(&sql)).fetch_optional(store.pool()).await? else { return Ok(None) };
    let text: String = r.try_get("document")?;
    let sealed: documents::Sealed = decode_json(&text, "document")?;
    let der: Vec<u8> = r.try_get("signature")?;
    let pem: String = r.try_get("public_pem")?;
    let holds =
        yaolian_license::licenses::signature_holds(&pem, text.as_bytes(), &der) && sealed.message() == text.as_bytes();
    let header = sealed.signature;
    let signed = SignedDocument {
        document: sealed.document,
        signature: LicenseSignature {
            alg: header.alg,
            key_id: header.key_id,
            signed_at: header.signed_at,
            value: hex::encode(der),
        },
    };
    Ok(Some(SealedView {
        id: r.try_get("id")?,
        enforcement_id: r.try_get("enforcement_id")?,
        signed,
        public_pem: pem,
        verify_code: r.try_get::<Option<String>, _>("verify_code")?.unwrap_or_default(),
        holds,
    }))
}

/// A sealed document of a case the principal reads.
pub async fn document(store: &Store, principal: &Principal, doc_id: i64, client: &ClientInfo) -> Result<SealedView> {
    let view = stored(store, "d.id = $1", Value::I64(doc_id)).await?.ok_or(IdentityError::NotFound("document"))?;
    get(store, principal, view.enforcement_id, client).await?;
    Ok(view)
}

/// Exports a sealed document as a file (audited): what `yaolian document verify` checks.
pub async fn export_document(
    store: &Store,
    principal: &Principal,
    doc_id: i64,
    client: &ClientInfo,
) -> Result<SignedDocument> {
    let view = document(store, principal, doc_id, client).await?;
    let target = format!("sup_enforcement_document:{doc_id} {}", view.signed.document.number);
    audit::record_now(store, audit::Event::by(principal, audit::action::SUP_DOCUMENT_EXPORT, &target, client)).await?;
    Ok(view.signed)
}

/// What anyone with a document's verification code learns (no login): whether the bureau's seal
/// holds over the stored bytes and where the case stands by its ledger, without persons' names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentVerification {
    pub verify_code: String,
    pub name: String,
    pub number: String,
    pub party: String,
    pub issuer: String,
    pub issued_on: String,
    pub key_id: String,
    /// The bureau's SM2 signature verifies over the document.
    pub signature_valid: bool,
    /// The case's state by its latest ledgered version, in Chinese.
    pub case_state: String,
    /// When this answer was made, RFC 3339.
    pub checked_at: String,
}

/// Verifies a document by its code (`NotFound` when no document has it).
pub async fn verify_public(store: &Store, code: &str) -> Result<DocumentVerification> {
    let code = code.trim().to_ascii_lowercase();
    if code.len() != 24 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(IdentityError::NotFound("document").into());
    }
    let view = stored(store, "d.verify_code = $1", Value::Text(code.clone()))
        .await?
        .ok_or(IdentityError::NotFound("document"))?;
    let latest = versions::latest(store.pool(), ENTITY, &view.enforcement_id.to_string()).await?;
    let status = latest.as_ref().and_then(|v| v.data.get("status").and_then(|s| s.as_str()).map(str::to_string));
    let d = &view.signed.document;
    Ok(DocumentVerification {
        verify_code: code,
        name: d.name.clone(),
        number: d.number.clone(),
        party: d.party.clone(),
        issuer: d.issuer.clone(),
        issued_on: d.issued_on.clone(),
        key_id: view.signed.signature.key_id.clone(),
        signature_valid: view.holds,
        case_state: status.map(|s| zh(STATUSES, &s).to_string()).unwrap_or_default(),
        checked_at: Timestamp::now().to_rfc3339(),
    })
}

/// Every case whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let mut conn = store.pool().acquire().await?;
    let list = load(&mut conn, "e.id > $1", Value::I64(0)).await?;
    drop(conn);
    let images =
        list.iter().map(|e| yaolian_store::state::Image { entity_id: e.id.to_string(), data: image(e) }).collect();
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn case() -> Enforcement {
        Enforcement {
            id: 1,
            org_id: 1,
            org_name: String::new(),
            number: "CF-2026-00001".into(),
            company_id: 2,
            company_name: String::new(),
            source: "manual".into(),
            source_ref: String::new(),
            title: String::new(),
            status: "notified".into(),
            outcome: String::new(),
            handlers: vec![],
            reviewer: None,
            facts: String::new(),
            legal_basis: String::new(),
            penalty_basis: String::new(),
            penalties: vec![],
            fine_fen: 0,
            hearing_right: true,
            decision_number: None,
            statement: String::new(),
            review_opinion: String::new(),
            hearing_report: String::new(),
            service: String::new(),
            execution: String::new(),
            paid_fen: 0,
            closing_note: String::new(),
            extended: vec![],
            clue_on: "2026-09-01".into(),
            filed_on: Some("2026-09-07".into()),
            review_on: Some("2026-10-09".into()),
            reviewed_on: Some("2026-10-12".into()),
            notified_on: Some("2026-10-13".into()),
            decided_on: None,
            served_on: None,
            executed_on: None,
            closed_on: None,
            due_on: None,
            due_limit: String::new(),
            paused: false,
            created_by: String::new(),
            created_at: Timestamp(0),
            version: 1,
            pauses: vec![],
            evidence: vec![],
            documents: vec![],
        }
    }

    fn weekdays() -> Calendar {
        Calendar::default()
    }

    #[test]
    fn clocks_run_stop_and_pause_per_step() {
        let cal = weekdays();
        let on = |s: &str| date(s).unwrap();
        let mut e = case();
        let read = clocks(&e, &cal, on("2026-10-14"));
        let by = |list: &[CaseClock], code: &str| list.iter().find(|c| c.code == code).cloned().unwrap();
        // 立案 was done on 09-07: the check's clock stopped.
        assert_eq!(by(&read, "verify").stopped_on.as_deref(), Some("2026-09-07"));
        // 90 days from 09-07 is 12-06, a Sunday: the next working day.
        assert_eq!(by(&read, "decide").deadline, "2026-12-07");
        assert!(by(&read, "statement").party);
        assert_eq!(by(&read, "statement").deadline, "2026-10-20");
        // A hearing from 10-15 to 10-26 (12 days) moves the decision, not the 法制审核 clock.
        e.pauses.push(CasePause {
            id: 1,
            kind: "hearing".into(),
            from: "2026-10-15".into(),
            to: "2026-10-26".into(),
            note: String::new(),
        });
        let read = clocks(&e, &cal, on("2026-10-28"));
        assert_eq!(by(&read, "decide").deadline, "2026-12-18");
        assert_eq!(by(&read, "review").deadline, by(&clocks(&case(), &cal, on("2026-10-28")), "review").deadline);
        // While the hearing lasts, the decision's clock reads paused and the case's due limit too.
        e.pauses[0].to = String::new();
        let read = clocks(&e, &cal, on("2026-10-20"));
        assert!(by(&read, "decide").paused);
        let (_, limit, paused) = due(&e, &cal, on("2026-10-20"));
        assert_eq!((limit.as_str(), paused), ("decide", true));
        // A decided case runs the delivery clock.
        e.decided_on = Some("2026-11-02".into());
        e.pauses[0].to = "2026-10-26".into();
        let read = clocks(&e, &cal, on("2026-11-03"));
        assert!(by(&read, "decide").stopped_on.is_some());
        assert_eq!(by(&read, "deliver").deadline, "2026-11-11");
    }
}
