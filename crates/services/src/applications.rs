//! Applications (办件) from submission to delivery:
//!
//! 申请 (submitted) → 补正 (correction: one notice of everything missing; the clock pauses) →
//! 受理 (accepted) or 不予受理 (refused) → 审查 (reviewers assigned, opinions, an on-site
//! inspection linked) → 决定 (approved / rejected, signed by the decider) → 送达 (on approval the
//! license is issued, changed or renewed in the same transaction and the applicant told).
//!
//! The clock: acceptance within the type's `accept_days` working days of submission, decision
//! within `decide_days` of acceptance; 补正 stops the clock and the days it took are added back.
//! Every step is a record version (entity `application`) with the whole application as its
//! after-image, and raises the next to-do with its due date.
//!
//! Roles: an applicant (`service.apply`) sees only applications of companies in its scope and
//! never handles one; handlers (`service.handle`) and deciders (`service.decide`) are regulators
//! over the applicant; nobody decides an application they submitted or reviewed.

use base64::Engine;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::error::Result;
use yaolian_identity::esign;
use yaolian_identity::model::{perm, scope_filter, OrgKind};
use yaolian_identity::portal::{self, NewTodo};
use yaolian_identity::{audit, ClientInfo, IdentityConfig, IdentityError, Principal};
use yaolian_ledger::HashAlg;
use yaolian_license::licenses::{self, NewLicense, Reissue, ReissueKind, Sealing};
use yaolian_registry::timeline::{self, NewEvent};
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, Tx};

use crate::calendar::Calendar;
use crate::rules::{self, RuleOutcome};
use crate::types::{self, ServiceType};

/// The versioned-record entity of applications.
pub const ENTITY: &str = "application";

/// Largest attachment, bytes.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Most attachments per submission.
pub const MAX_FILES: usize = 20;

/// An attachment as uploaded.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct Upload {
    /// Which required material it is, e.g. 营业执照.
    pub label: String,
    /// File name.
    pub name: String,
    #[serde(default)]
    pub content_type: String,
    /// The file, base64.
    pub content_base64: String,
}

/// A new application.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewApplication {
    pub type_code: String,
    /// The applying company; the applicant's own when absent.
    #[serde(default)]
    pub applicant_org_id: Option<i64>,
    /// The license a change or renewal is for.
    #[serde(default)]
    pub license_id: Option<i64>,
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<Upload>,
}

/// The applicant's answer to a 补正 notice.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Resubmission {
    /// Form fields to set.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    #[serde(default)]
    pub files: Vec<Upload>,
    pub expected_version: i64,
}

/// A handling step by the bureau.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Act {
    /// 受理.
    Accept {
        #[serde(default)]
        opinion: String,
    },
    /// 不予受理, with the reason.
    Refuse { reason: String },
    /// 补正: everything missing, in one notice.
    RequestCorrection {
        items: Vec<String>,
        #[serde(default)]
        note: String,
    },
    /// Assign reviewers (审查人员).
    Assign { reviewer_ids: Vec<i64> },
    /// A reviewer's opinion: conclusion approve or reject.
    Review { opinion: String, conclusion: String },
    /// Link an on-site inspection (现场检查) by its reference.
    Inspection { reference: String },
}

/// The signed decision. `Debug` leaves out the password and TOTP code.
#[derive(Clone, Deserialize, ToSchema)]
pub struct Decide {
    /// approve or reject.
    pub outcome: String,
    pub opinion: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
    pub expected_version: i64,
}

impl std::fmt::Debug for Decide {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decide")
            .field("outcome", &self.outcome)
            .field("opinion", &self.opinion)
            .field("password", &yaolian_core::REDACTED)
            .field("totp", &self.totp.as_ref().map(|_| yaolian_core::REDACTED))
            .field("expected_version", &self.expected_version)
            .finish()
    }
}

/// An attachment as stored: its SM3 checksum is what later proves the bytes unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FileRef {
    pub id: i64,
    pub label: String,
    pub name: String,
    pub size: i64,
    pub sm3: String,
}

/// One step of the flow, for the progress view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Step {
    pub step: String,
    pub step_zh: String,
    pub at: i64,
    pub actor: String,
    pub actor_name: String,
    #[serde(default)]
    pub opinion: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Reviewer {
    pub user_id: i64,
    pub username: String,
    pub name: String,
    #[serde(default)]
    pub opinion: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Correction {
    pub items: Vec<String>,
    pub note: String,
    pub requested_on: String,
    #[serde(default)]
    pub answered_on: Option<String>,
}

/// The phase an application's statutory clock (法定时限) counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Until accepted or refused (受理).
    Accept,
    /// From acceptance to the decision (审查决定).
    Decide,
    /// Stopped while the applicant corrects the application (补正).
    Paused,
    /// Decided, refused or withdrawn.
    Done,
}

impl Phase {
    /// The name in JSON and in the stored application.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Accept => "accept",
            Phase::Decide => "decide",
            Phase::Paused => "paused",
            Phase::Done => "done",
        }
    }
}

/// A decision on an application: 准予许可 or 不予许可.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Approve,
    Reject,
}

impl Outcome {
    /// The name in JSON, in the stored application, and of the decision's step and version.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Approve => "approve",
            Outcome::Reject => "reject",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "approve" => Some(Outcome::Approve),
            "reject" => Some(Outcome::Reject),
            _ => None,
        }
    }
}

/// The statutory clock of the current phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Clock {
    pub phase: Phase,
    /// The day the phase started (not counted).
    pub started_on: String,
    pub limit_days: i64,
    /// Working days the clock stood still (补正).
    pub paused_days: i64,
    #[serde(default)]
    pub paused_since: Option<String>,
    /// The last day of the phase; none while paused or done.
    #[serde(default)]
    pub due_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub outcome: Outcome,
    pub opinion: String,
    pub by: String,
    pub by_name: String,
    pub at: i64,
    /// The decider's electronic signature (none for a 秒办 decision).
    #[serde(default)]
    pub signature_id: Option<i64>,
    /// The 秒办 rule that decided, with inputs and checks.
    #[serde(default)]
    pub rule: Option<RuleOutcome>,
}

/// An application: its whole state, as stored in each version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Application {
    pub id: i64,
    pub number: String,
    pub type_code: String,
    pub type_name: String,
    pub category: String,
    pub applicant_org_id: i64,
    pub applicant_name: String,
    pub authority_org_id: i64,
    pub authority_name: String,
    pub submitted_by: i64,
    pub submitted_by_name: String,
    /// submitted, correction, accepted, approved, rejected, refused, withdrawn.
    pub status: String,
    pub form: BTreeMap<String, String>,
    pub files: Vec<FileRef>,
    /// The license changed or renewed, or the one issued.
    pub license_id: Option<i64>,
    pub steps: Vec<Step>,
    pub reviewers: Vec<Reviewer>,
    pub correction: Option<Correction>,
    pub inspection: String,
    pub clock: Clock,
    pub decision: Option<Decision>,
    /// The 秒办 rule's evaluation at submission, when the type has one.
    pub auto: Option<RuleOutcome>,
    pub submitted_at: i64,
    pub version: i64,
}

/// An application with what today's calendar says about it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplicationView {
    #[serde(flatten)]
    pub application: Application,
    pub status_zh: String,
    /// Working days left in the current phase (negative when overdue).
    pub remaining_days: Option<i64>,
    pub overdue: bool,
}

/// zh-CN label of a status.
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "submitted" => "待受理",
        "correction" => "待补正",
        "accepted" => "审查中",
        "approved" => "准予许可",
        "rejected" => "不予许可",
        "refused" => "不予受理",
        "withdrawn" => "已撤回",
        _ => "未知",
    }
}

fn step_zh(step: &str) -> &'static str {
    match step {
        "submit" => "申请",
        "auto_check" => "智能秒办核验",
        "correction" => "补正告知",
        "resubmit" => "补正提交",
        "accept" => "受理",
        "refuse" => "不予受理",
        "assign" => "指派审查",
        "review" => "审查意见",
        "inspection" => "关联现场检查",
        "approve" => "准予许可（决定）",
        "reject" => "不予许可（决定）",
        "deliver" => "送达",
        "withdraw" => "撤回",
        _ => "",
    }
}

fn is_open(status: &str) -> bool {
    matches!(status, "submitted" | "correction" | "accepted")
}

fn today() -> NaiveDate {
    Timestamp::now().china_date()
}

fn parse_day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|_| today())
}

impl Clock {
    fn start(phase: Phase, on: NaiveDate, limit: i64, cal: &Calendar) -> Clock {
        let due = cal.add_working_days(on, u32::try_from(limit).unwrap_or(0));
        Clock {
            phase,
            started_on: on.to_string(),
            limit_days: limit,
            paused_days: 0,
            paused_since: None,
            due_on: Some(due.to_string()),
        }
    }

    fn pause(&mut self, on: NaiveDate) {
        self.phase = Phase::Paused;
        self.paused_since = Some(on.to_string());
        self.due_on = None;
    }

    /// Resumes the accept phase: the working days of the pause are added back.
    fn resume(&mut self, on: NaiveDate, cal: &Calendar) {
        if let Some(since) = self.paused_since.take() {
            self.paused_days += cal.working_days_between(parse_day(&since), on).max(0);
        }
        self.phase = Phase::Accept;
        let total = u32::try_from(self.limit_days + self.paused_days).unwrap_or(0);
        self.due_on = Some(cal.add_working_days(parse_day(&self.started_on), total).to_string());
    }

    fn stop(&mut self) {
        self.phase = Phase::Done;
        self.due_on = None;
    }
}

impl ApplicationView {
    fn new(application: Application, cal: &Calendar, today: NaiveDate) -> ApplicationView {
        let remaining_days = application
            .clock
            .due_on
            .as_deref()
            .filter(|_| is_open(&application.status))
            .map(|due| cal.working_days_between(today, parse_day(due)));
        let overdue = application.clock.due_on.as_deref().is_some_and(|due| parse_day(due) < today)
            && is_open(&application.status);
        ApplicationView { status_zh: status_zh(&application.status).into(), application, remaining_days, overdue }
    }
}

fn step(name: &str, actor: &Principal, opinion: &str, at: Timestamp) -> Step {
    Step {
        step: name.into(),
        step_zh: step_zh(name).into(),
        at: at.0,
        actor: actor.username.clone(),
        actor_name: actor.display_name.clone(),
        opinion: opinion.trim().into(),
    }
}

/// Decoded, size-checked uploads with their SM3 checksums.
struct Decoded {
    label: String,
    name: String,
    content_type: String,
    bytes: Vec<u8>,
    sm3: String,
}

fn decode_files(files: &[Upload]) -> std::result::Result<Vec<Decoded>, ValidationError> {
    let mut errors = ValidationError::new();
    if files.len() > MAX_FILES {
        errors.push("files", format!("max_items:{MAX_FILES}"), format!("at most {MAX_FILES} attachments"));
    }
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let field = format!("files[{i}]");
        if f.label.trim().is_empty() || f.name.trim().is_empty() || f.name.chars().count() > 200 {
            errors.push(format!("{field}.name"), "length:1..200", "each attachment needs a label and a file name");
            continue;
        }
        match base64::engine::general_purpose::STANDARD.decode(f.content_base64.trim()) {
            Ok(bytes) if bytes.is_empty() => {
                errors.push(format!("{field}.content_base64"), "non_empty", "the file is empty")
            }
            Ok(bytes) if bytes.len() > MAX_FILE_BYTES => errors.push(
                format!("{field}.content_base64"),
                format!("max_bytes:{MAX_FILE_BYTES}"),
                format!("{} is larger than {} MiB", f.name, MAX_FILE_BYTES / 1024 / 1024),
            ),
            Ok(bytes) => {
                let sm3 = HashAlg::Sm3.digest(&[&bytes]).to_hex();
                out.push(Decoded {
                    label: f.label.trim().into(),
                    name: f.name.trim().into(),
                    content_type: if f.content_type.is_empty() {
                        "application/octet-stream".into()
                    } else {
                        f.content_type.clone()
                    },
                    bytes,
                    sm3,
                })
            }
            Err(_) => errors.push(format!("{field}.content_base64"), "base64", "content_base64 is not base64"),
        }
    }
    errors.into_result()?;
    Ok(out)
}

async fn store_files(tx: &mut Tx<'_>, application_id: i64, files: Vec<Decoded>) -> Result<Vec<FileRef>> {
    let now = Timestamp::now().0;
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let size = i64::try_from(f.bytes.len()).unwrap_or(i64::MAX);
        let id: i64 = sqlx::query(
            "INSERT INTO application_files (application_id, name, label, content_type, size, sm3, content, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(application_id)
        .bind(&f.name)
        .bind(&f.label)
        .bind(&f.content_type)
        .bind(size)
        .bind(&f.sm3)
        .bind(f.bytes)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        out.push(FileRef { id, label: f.label, name: f.name, size, sm3: f.sm3 });
    }
    Ok(out)
}

/// Form fields checked against the type: required ones filled, no unknown keys, sane lengths.
fn check_form(
    t: &ServiceType,
    form: &BTreeMap<String, String>,
) -> std::result::Result<BTreeMap<String, String>, ValidationError> {
    let mut errors = ValidationError::new();
    let mut out = BTreeMap::new();
    for f in &t.form {
        let v = form.get(&f.key).map(|s| s.trim()).unwrap_or("");
        if f.required && v.is_empty() {
            errors.push(format!("form.{}", f.key), "required", format!("{} is required", f.zh));
        } else if v.chars().count() > 1000 {
            errors.push(format!("form.{}", f.key), "length:0..1000", format!("{} has at most 1000 characters", f.zh));
        } else if !v.is_empty() {
            out.insert(f.key.clone(), v.to_string());
        }
    }
    for k in form.keys() {
        if !t.form.iter().any(|f| &f.key == k) {
            let known: Vec<&str> = t.form.iter().map(|f| f.key.as_str()).collect();
            errors.push(
                format!("form.{k}"),
                format!("one_of:{}", known.join(",")),
                format!("{} has no field {k}", t.name_zh),
            );
        }
    }
    errors.into_result()?;
    Ok(out)
}

struct OrgRow {
    name: String,
    path: String,
    kind: String,
}

async fn org(tx: &mut Tx<'_>, field: &str, id: i64) -> Result<OrgRow> {
    let r = sqlx::query("SELECT name, path, kind FROM orgs WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ValidationError::single(field, "exists", format!("no organization {id}")))?;
    Ok(OrgRow { name: r.try_get(0)?, path: r.try_get(1)?, kind: r.try_get(2)? })
}

/// The bureau that handles a company's applications: its provincial bureau, else the nearest
/// regulator above it.
async fn authority_of(tx: &mut Tx<'_>, path: &str) -> Result<(i64, String)> {
    let ids: Vec<i64> = path.split('/').filter_map(|s| s.parse().ok()).collect();
    let mut best: Option<(usize, i64, String)> = None;
    for (depth, id) in ids.iter().enumerate() {
        let r = sqlx::query("SELECT kind, name FROM orgs WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
        let Some(r) = r else { continue };
        let kind: String = r.try_get(0)?;
        let rank = match kind.as_str() {
            "provincial" => 3,
            "municipal" => 2,
            "national" => 1,
            _ => 0,
        };
        if rank > 0 && best.as_ref().is_none_or(|b| rank * 100 + depth >= b.0) {
            best = Some((rank * 100 + depth, *id, r.try_get(1)?));
        }
    }
    best.map(|(_, id, name)| (id, name)).ok_or_else(|| {
        ValidationError::single("applicant_org_id", "has_authority", "no regulator above this company").into()
    })
}

const APP_COLUMNS: &str = "a.data, o.path";

fn parse(data: &str) -> Result<Application> {
    serde_json::from_str(data).map_err(|e| IdentityError::Conflict(format!("stored application unreadable: {e}")))
}

/// Reads an application with its applicant's path.
async fn load(tx: &mut Tx<'_>, id: i64) -> Result<(Application, String)> {
    let r = sqlx::query(&format!(
        "SELECT {APP_COLUMNS} FROM applications a JOIN orgs o ON o.id = a.applicant_org_id WHERE a.id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(IdentityError::NotFound("application"))?;
    let data: String = r.try_get(0)?;
    Ok((parse(&data)?, r.try_get(1)?))
}

/// Whether the principal may see an application of the company at `path`.
fn may_view(p: &Principal, path: &str) -> bool {
    p.reaches(perm::SERVICE_APPLY, path)
        || (p.org_kind.is_regulator()
            && (p.reaches(perm::SERVICE_HANDLE, path) || p.reaches(perm::SERVICE_DECIDE, path)))
}

/// Writes the next version of an application: the row, the record version, the audit event,
/// and the to-dos of its next step (the previous step's to-dos are closed). Returns the version
/// written.
async fn save(
    tx: &mut Tx<'_>,
    actor: &Principal,
    app: &mut Application,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<yaolian_store::RecordVersion> {
    let expected = app.version;
    app.version += 1;
    let data = serde_json::to_value(&*app).map_err(|e| IdentityError::Conflict(e.to_string()))?;
    let now = Timestamp::now();
    let done = sqlx::query(
        "UPDATE applications SET status = $1, phase_due_on = $2, license_id = $3, data = $4, decided_at = $5, \
         version = $6, updated_at = $7 WHERE id = $8 AND version = $9",
    )
    .bind(&app.status)
    .bind(&app.clock.due_on)
    .bind(app.license_id)
    .bind(data.to_string())
    .bind(app.decision.as_ref().map(|d| d.at))
    .bind(app.version)
    .bind(now.0)
    .bind(app.id)
    .bind(expected)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(IdentityError::Conflict(format!(
            "application {} changed meanwhile; reload and try again",
            app.number
        )));
    }
    let written = versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &app.id.to_string(),
            actor: &actor.username,
            action,
            reason: if reason.trim().is_empty() { step_zh(action) } else { reason.trim() },
            data: &data,
            expected_version: Some(expected),
        },
    )
    .await?;
    let target = format!("application:{}", app.id);
    let detail = format!("{action} {}", app.number);
    audit::record(
        tx,
        audit::Event { detail: &detail, ..audit::Event::by(actor, audit::action::APPLICATION_STEP, &target, client) },
    )
    .await?;
    raise_todos(tx, app).await?;
    Ok(written)
}

/// Fills each decided application's `decision.signature_id` from the stored signatures: the
/// signature is made over the decision's version, so that version cannot carry its own id.
async fn with_signatures(store: &Store, views: &mut [ApplicationView]) -> Result<()> {
    let decided: Vec<i64> =
        views.iter().filter(|v| v.application.decision.is_some()).map(|v| v.application.id).collect();
    if decided.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let ids: Vec<String> = decided.iter().map(|id| p.push(id.to_string())).collect();
    let sql = format!(
        "SELECT entity_id, id FROM signatures WHERE entity = '{ENTITY}' AND meaning = 'decide' AND entity_id IN ({})",
        ids.join(", ")
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    for r in rows {
        let entity_id: String = r.try_get(0)?;
        let signature: i64 = r.try_get(1)?;
        let target = views.iter_mut().find(|v| v.application.id.to_string() == entity_id);
        if let Some(d) = target.and_then(|v| v.application.decision.as_mut()) {
            d.signature_id = Some(signature);
        }
    }
    Ok(())
}

fn link(app: &Application) -> String {
    format!("/services/applications/{}", app.id)
}

/// Closes the application's open to-dos and raises the ones its state calls for.
async fn raise_todos(tx: &mut Tx<'_>, app: &Application) -> Result<()> {
    let link = link(app);
    sqlx::query(
        "UPDATE todos SET status = 'done', done_at = $1 WHERE module = 'services' AND link = $2 AND status = 'open'",
    )
    .bind(Timestamp::now().0)
    .bind(&link)
    .execute(&mut **tx)
    .await?;
    let due = app.clock.due_on.as_deref().map(|d| Timestamp::china_day_start(parse_day(d)).plus_seconds(86_399));
    let what = format!("{} {}（{}）", app.type_name, app.number, app.applicant_name);
    let mut todos = Vec::new();
    let todo = |user_id: Option<i64>, org_id: Option<i64>, title: String, due_at| NewTodo {
        user_id,
        org_id,
        module: "services".into(),
        title,
        link: link.clone(),
        due_at,
    };
    match app.status.as_str() {
        "submitted" => todos.push(todo(None, Some(app.authority_org_id), format!("受理：{what}"), due)),
        "correction" => todos.push(todo(None, Some(app.applicant_org_id), format!("补正材料：{what}"), None)),
        "accepted" => {
            let pending: Vec<&Reviewer> = app.reviewers.iter().filter(|r| r.opinion.is_none()).collect();
            if app.reviewers.is_empty() {
                todos.push(todo(None, Some(app.authority_org_id), format!("指派审查：{what}"), due));
            } else if pending.is_empty() {
                todos.push(todo(None, Some(app.authority_org_id), format!("作出决定：{what}"), due));
            } else {
                for r in pending {
                    todos.push(todo(Some(r.user_id), None, format!("审查：{what}"), due));
                }
            }
        }
        _ => {}
    }
    for t in &todos {
        portal::add_todo(&mut **tx, t).await?;
    }
    Ok(())
}

/// Submits an application (`service.apply` over the applicant company).
pub async fn submit(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    new: &NewApplication,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    submit_at(store, sealing, principal, new, client, Timestamp::now()).await
}

/// [`submit`] with the submission time given: for applications migrated from a predecessor
/// system (存量办件迁移), whose statutory clock started when they were really submitted. The
/// record version and ledger entry are written now; the steps and clock carry `at`.
pub async fn submit_at(
    store: &Store,
    sealing: &Sealing,
    principal: &Principal,
    new: &NewApplication,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<ApplicationView> {
    let t = types::get(store, new.type_code.trim()).await?;
    if !t.active {
        return Err(ValidationError::single(
            "type_code",
            "active",
            format!("{} is not open for applications", t.name_zh),
        )
        .into());
    }
    let form = check_form(&t, &new.form)?;
    let files = decode_files(&new.files)?;
    let mut missing = ValidationError::new();
    for label in &t.attachments {
        if !files.iter().any(|f| &f.label == label) {
            missing.push("files", format!("required:{label}"), format!("attach {label}"));
        }
    }
    missing.into_result()?;
    let applicant_id = new.applicant_org_id.unwrap_or(principal.org_id);
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let applicant = org(&mut tx, "applicant_org_id", applicant_id).await?;
    if applicant.kind != OrgKind::Company.as_str() {
        return Err(ValidationError::single("applicant_org_id", "kind:company", "the applicant is a company").into());
    }
    if !principal.reaches(perm::SERVICE_APPLY, &applicant.path) || principal.is_system() {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, "applications", client).await);
    }
    let (authority_id, authority_name) = match t.action.as_str() {
        "change" | "renew" => {
            let Some(license_id) = new.license_id else {
                return Err(
                    ValidationError::single("license_id", "required", "choose the license to change or renew").into()
                );
            };
            let r = sqlx::query("SELECT holder_org_id, kind, issuer_org_id, status FROM licenses WHERE id = $1")
                .bind(license_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(r) = r else {
                return Err(ValidationError::single("license_id", "exists", format!("no license {license_id}")).into());
            };
            let (holder, kind, issuer, status): (i64, String, i64, String) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
            if holder != applicant_id || kind != t.license_kind {
                return Err(ValidationError::single(
                    "license_id",
                    "held_by_applicant",
                    format!("the applicant holds no {} with that id", t.license_kind),
                )
                .into());
            }
            if status == "revoked" {
                return Err(ValidationError::single("license_id", "not_revoked", "the license is revoked").into());
            }
            let name: String = sqlx::query("SELECT name FROM orgs WHERE id = $1")
                .bind(issuer)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            (issuer, name)
        }
        _ => authority_of(&mut tx, &applicant.path).await?,
    };
    let now = at;
    let day = now.china_date();
    let count: i64 = sqlx::query("SELECT COUNT(*) FROM applications WHERE number LIKE $1")
        .bind(format!("SQ{}%", day.format("%Y%m%d")))
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let number = format!("SQ{}{:04}", day.format("%Y%m%d"), count + 1);
    let submitted_by_name = principal.display_name.clone();
    let mut app = Application {
        id: 0,
        number,
        type_code: t.code.clone(),
        type_name: t.name_zh.clone(),
        category: t.category.clone(),
        applicant_org_id: applicant_id,
        applicant_name: applicant.name.clone(),
        authority_org_id: authority_id,
        authority_name,
        submitted_by: principal.user_id,
        submitted_by_name,
        status: "submitted".into(),
        form,
        files: Vec::new(),
        license_id: new.license_id.filter(|_| matches!(t.action.as_str(), "change" | "renew")),
        steps: vec![step("submit", principal, "", now)],
        reviewers: Vec::new(),
        correction: None,
        inspection: String::new(),
        clock: Clock::start(Phase::Accept, day, t.accept_days, &cal),
        decision: None,
        auto: None,
        submitted_at: now.0,
        version: 1,
    };
    let id: i64 = sqlx::query(
        "INSERT INTO applications (number, type_code, applicant_org_id, authority_org_id, submitted_by, status, phase_due_on, \
         data, license_id, submitted_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, 'submitted', $6, '{}', $7, $8, 1, $8) \
         RETURNING id",
    )
    .bind(&app.number)
    .bind(&app.type_code)
    .bind(applicant_id)
    .bind(authority_id)
    .bind(principal.user_id)
    .bind(&app.clock.due_on)
    .bind(app.license_id)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    app.id = id;
    app.files = store_files(&mut tx, id, files).await?;
    let data = serde_json::to_value(&app).map_err(|e| IdentityError::Conflict(e.to_string()))?;
    sqlx::query("UPDATE applications SET data = $1 WHERE id = $2")
        .bind(data.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: &principal.username,
            action: "submit",
            reason: "申请",
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        audit::Event::by(principal, audit::action::APPLICATION_SUBMIT, &format!("application:{id}"), client),
    )
    .await?;
    let title = format!("提交{} {}", app.type_name, app.number);
    let link = link(&app);
    timeline::add(
        &mut tx,
        &NewEvent {
            org_id: applicant_id,
            product_id: None,
            module: "services",
            kind: "application_submitted",
            title: &title,
            link: &link,
        },
    )
    .await?;
    raise_todos(&mut tx, &app).await?;
    if !t.auto_rule.is_empty() {
        auto_decide(&mut tx, sealing, &t, &mut app, client).await?;
    }
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, today()))
}

/// 智能秒办: runs the type's rule; when every check passes the application is accepted and
/// approved by the rule, and the decision keeps the rule, its inputs and its checks.
async fn auto_decide(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    t: &ServiceType,
    app: &mut Application,
    client: &ClientInfo,
) -> Result<()> {
    let day = today();
    let Some(outcome) =
        rules::evaluate(tx, &t.auto_rule, app.applicant_org_id, &t.license_kind, &app.form, &day.to_string()).await?
    else {
        return Ok(());
    };
    let robot =
        Principal {
            username: format!("auto:{}", t.auto_rule), display_name: "智能秒办".into(), ..Principal::system()
        };
    let summary: Vec<String> =
        outcome.checks.iter().map(|c| format!("{}{}", if c.passed { "✓" } else { "✗" }, c.detail)).collect();
    app.auto = Some(outcome.clone());
    app.steps.push(step("auto_check", &robot, &summary.join("；"), Timestamp::now()));
    if !outcome.passed {
        return save(tx, &robot, app, "auto_check", "秒办条件不满足，转人工办理", client).await.map(drop);
    }
    app.steps.push(step("accept", &robot, "秒办规则核验通过，自动受理", Timestamp::now()));
    app.status = "approved".into();
    app.clock.stop();
    app.decision = Some(Decision {
        outcome: Outcome::Approve,
        opinion: format!("符合秒办规则 {}，准予办结", t.auto_rule),
        by: robot.username.clone(),
        by_name: robot.display_name.clone(),
        at: Timestamp::now().0,
        signature_id: None,
        rule: Some(outcome),
    });
    app.steps.push(step("approve", &robot, "秒办", Timestamp::now()));
    deliver(tx, sealing, &robot, t, app).await?;
    save(tx, &robot, app, "approve", "智能秒办", client).await.map(drop)
}

/// 送达: acts on the license where the type says so, tells the applicant, adds to the dossier.
async fn deliver(
    tx: &mut Tx<'_>,
    sealing: &Sealing,
    actor: &Principal,
    t: &ServiceType,
    app: &mut Application,
) -> Result<()> {
    let kind = yaolian_license::Kind::parse(&t.license_kind);
    let license_fields = |form: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        let specs = kind.map(|k| k.fields()).unwrap_or(&[]);
        form.iter()
            .filter(|(k, v)| !v.is_empty() && specs.iter().any(|s| s.key == k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let reason = format!("依申请 {} 决定", app.number);
    let note = match t.action.as_str() {
        "issue" => {
            let new = NewLicense {
                kind: t.license_kind.clone(),
                holder_org_id: app.applicant_org_id,
                fields: license_fields(&app.form),
                ..Default::default()
            };
            let id = licenses::issue_in_tx(tx, sealing, actor, app.authority_org_id, &new, &reason).await?;
            app.license_id = Some(id);
            "许可证已核发".to_string()
        }
        "change" | "renew" => {
            let Some(id) = app.license_id else {
                return Err(IdentityError::Conflict("the application names no license".into()));
            };
            let version: i64 = sqlx::query("SELECT version FROM licenses WHERE id = $1")
                .bind(id)
                .fetch_one(&mut **tx)
                .await?
                .try_get(0)?;
            let what = if t.action == "change" { ReissueKind::Change } else { ReissueKind::Renew };
            let fields = if what == ReissueKind::Change { license_fields(&app.form) } else { BTreeMap::new() };
            let change = Reissue { fields, valid_until: None, reason: reason.clone(), expected_version: version };
            licenses::reissue_in_tx(tx, sealing, actor, id, what, &change).await?;
            if what == ReissueKind::Change {
                "许可证已变更".to_string()
            } else {
                "许可证已延续".to_string()
            }
        }
        _ => "备案已完成".to_string(),
    };
    app.steps.push(step("deliver", actor, &note, Timestamp::now()));
    let title = format!("{}：{} {}", app.type_name, app.number, note);
    let link = link(app);
    portal::send_message(&mut **tx, app.submitted_by, &title, &format!("{}（{}）", note, app.authority_name), &link)
        .await?;
    timeline::add(
        tx,
        &NewEvent {
            org_id: app.applicant_org_id,
            product_id: None,
            module: "services",
            kind: "application_decided",
            title: &title,
            link: &link,
        },
    )
    .await?;
    Ok(())
}

/// The applicant answers a 补正 notice: the clock runs again with the pause added back.
pub async fn resubmit(
    store: &Store,
    principal: &Principal,
    id: i64,
    answer: &Resubmission,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let files = decode_files(&answer.files)?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    if !principal.reaches(perm::SERVICE_APPLY, &path) || principal.is_system() {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    check_version(&app, answer.expected_version)?;
    if app.status != "correction" {
        return Err(IdentityError::Conflict(format!("application {} is not waiting for 补正", app.number)));
    }
    let t = types::get(store, &app.type_code).await?;
    let mut form = app.form.clone();
    for (k, v) in &answer.form {
        form.insert(k.clone(), v.clone());
    }
    app.form = check_form(&t, &form)?;
    let mut added = store_files(&mut tx, id, files).await?;
    app.files.append(&mut added);
    let day = today();
    if let Some(c) = app.correction.as_mut() {
        c.answered_on = Some(day.to_string());
    }
    app.clock.resume(day, &cal);
    app.status = "submitted".into();
    app.steps.push(step("resubmit", principal, "", Timestamp::now()));
    save(&mut tx, principal, &mut app, "resubmit", "补正提交", client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, day))
}

/// The applicant withdraws an open application.
pub async fn withdraw(
    store: &Store,
    principal: &Principal,
    id: i64,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    if !principal.reaches(perm::SERVICE_APPLY, &path) || principal.is_system() {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    check_version(&app, expected_version)?;
    if !is_open(&app.status) {
        return Err(IdentityError::Conflict(format!("application {} is already closed", app.number)));
    }
    app.status = "withdrawn".into();
    app.clock.stop();
    app.steps.push(step("withdraw", principal, "", Timestamp::now()));
    save(&mut tx, principal, &mut app, "withdraw", "申请人撤回", client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, today()))
}

fn check_version(app: &Application, expected: i64) -> Result<()> {
    if app.version != expected {
        return Err(IdentityError::Conflict(format!(
            "application {} is at version {}, not {expected}; reload and try again",
            app.number, app.version
        )));
    }
    Ok(())
}

/// Checks that the principal handles for the bureau: a regulator with `permission` over the
/// applicant, who did not submit the application.
async fn check_handler(
    store: &Store,
    p: &Principal,
    permission: &str,
    app: &Application,
    path: &str,
    client: &ClientInfo,
) -> Result<()> {
    let target = format!("application:{}", app.id);
    if p.is_system() || !p.org_kind.is_regulator() || !p.reaches(permission, path) {
        return Err(audit::deny(store, p, permission, &target, client).await);
    }
    if p.user_id == app.submitted_by {
        return Err(audit::deny(store, p, "separation_of_duties:not_own_application", &target, client).await);
    }
    Ok(())
}

/// A handling step by the bureau (`service.handle`): accept, refuse, ask for 补正, assign
/// reviewers, give a review opinion, link an inspection.
pub async fn act(
    store: &Store,
    principal: &Principal,
    id: i64,
    act: &Act,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    act_at(store, principal, id, act, expected_version, client, Timestamp::now()).await
}

/// [`act`] with the step's time given, for migrated applications (see [`submit_at`]).
#[allow(clippy::too_many_arguments)]
pub async fn act_at(
    store: &Store,
    principal: &Principal,
    id: i64,
    act: &Act,
    expected_version: i64,
    client: &ClientInfo,
    at: Timestamp,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (mut app, path) = load(&mut tx, id).await?;
    check_handler(store, principal, perm::SERVICE_HANDLE, &app, &path, client).await?;
    check_version(&app, expected_version)?;
    let t = types::get(store, &app.type_code).await?;
    let day = at.china_date();
    let wrong_state = |what: &str, app: &Application| {
        IdentityError::Conflict(format!(
            "application {} is {} ({}); {what} is not possible now",
            app.number,
            app.status,
            status_zh(&app.status)
        ))
    };
    let (action, reason): (&str, String) = match act {
        Act::Accept { opinion } => {
            if app.status != "submitted" {
                return Err(wrong_state("受理", &app));
            }
            app.status = "accepted".into();
            app.clock = Clock::start(Phase::Decide, day, t.decide_days, &cal);
            app.steps.push(step("accept", principal, opinion, at));
            ("accept", "受理".into())
        }
        Act::Refuse { reason } => {
            if app.status != "submitted" {
                return Err(wrong_state("不予受理", &app));
            }
            require_text("reason", reason)?;
            app.status = "refused".into();
            app.clock.stop();
            app.steps.push(step("refuse", principal, reason, at));
            ("refuse", reason.trim().to_string())
        }
        Act::RequestCorrection { items, note } => {
            if app.status != "submitted" {
                return Err(wrong_state("补正告知", &app));
            }
            if app.correction.is_some() {
                return Err(IdentityError::Conflict(
                    "补正 is notified once, with everything missing (行政许可法 Art. 32)".into(),
                ));
            }
            let items: Vec<String> = items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            if items.is_empty() {
                return Err(ValidationError::single("items", "non_empty", "list what is missing").into());
            }
            app.correction = Some(Correction {
                items: items.clone(),
                note: note.trim().into(),
                requested_on: day.to_string(),
                answered_on: None,
            });
            app.status = "correction".into();
            app.clock.pause(day);
            app.steps.push(step("correction", principal, &items.join("；"), at));
            ("correction", format!("补正告知：{}", items.join("；")))
        }
        Act::Assign { reviewer_ids } => {
            if app.status != "accepted" {
                return Err(wrong_state("指派审查", &app));
            }
            if reviewer_ids.is_empty() {
                return Err(ValidationError::single("reviewer_ids", "non_empty", "choose at least one reviewer").into());
            }
            let mut reviewers = Vec::new();
            for rid in reviewer_ids {
                let r = sqlx::query(
                    "SELECT u.username, u.display_name, o.path, o.kind FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1",
                )
                .bind(rid)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(r) = r else {
                    return Err(ValidationError::single("reviewer_ids", "exists", format!("no user {rid}")).into());
                };
                let (username, name, upath, kind): (String, String, String, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
                let regulator = OrgKind::parse(&kind).is_some_and(OrgKind::is_regulator);
                if !regulator || !path.starts_with(&upath) || *rid == app.submitted_by {
                    return Err(ValidationError::single(
                        "reviewer_ids",
                        "regulator_over_applicant",
                        format!("{username} cannot review this application"),
                    )
                    .into());
                }
                reviewers.push(Reviewer { user_id: *rid, username, name, opinion: None, conclusion: None });
            }
            let names: Vec<String> = reviewers.iter().map(|r| r.name.clone()).collect();
            app.reviewers = reviewers;
            app.steps.push(step("assign", principal, &names.join("、"), at));
            ("assign", format!("指派审查：{}", names.join("、")))
        }
        Act::Review { opinion, conclusion } => {
            if app.status != "accepted" {
                return Err(wrong_state("审查", &app));
            }
            require_text("opinion", opinion)?;
            if !matches!(conclusion.as_str(), "approve" | "reject") {
                return Err(ValidationError::single(
                    "conclusion",
                    "one_of:approve,reject",
                    "conclude approve or reject",
                )
                .into());
            }
            let Some(me) = app.reviewers.iter_mut().find(|r| r.user_id == principal.user_id) else {
                return Err(
                    audit::deny(store, principal, "assigned_reviewer", &format!("application:{id}"), client).await
                );
            };
            me.opinion = Some(opinion.trim().into());
            me.conclusion = Some(conclusion.clone());
            let word = if conclusion == "approve" { "建议准予" } else { "建议不予" };
            app.steps.push(step("review", principal, &format!("{word}：{}", opinion.trim()), at));
            ("review", format!("审查意见：{word}"))
        }
        Act::Inspection { reference } => {
            if app.status != "accepted" {
                return Err(wrong_state("关联现场检查", &app));
            }
            require_text("reference", reference)?;
            app.inspection = reference.trim().into();
            app.steps.push(step("inspection", principal, reference, at));
            ("inspection", format!("现场检查 {}", reference.trim()))
        }
    };
    save(&mut tx, principal, &mut app, action, &reason, client).await?;
    tx.commit().await?;
    Ok(ApplicationView::new(app, &cal, day))
}

fn require_text(field: &str, v: &str) -> std::result::Result<(), ValidationError> {
    let n = v.trim().chars().count();
    if n == 0 || n > 2000 {
        return Err(ValidationError::single(
            field,
            "length:1..2000",
            format!("{field} must have 1 to 2000 characters"),
        ));
    }
    Ok(())
}

/// The decision (`service.decide`), signed by the decider with password (and TOTP when
/// enrolled); on approval the license is issued, changed or renewed in the same transaction.
pub async fn decide(
    store: &Store,
    config: &IdentityConfig,
    sealing: &Sealing,
    principal: &Principal,
    id: i64,
    d: &Decide,
    client: &ClientInfo,
) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let Some(outcome) = Outcome::parse(&d.outcome) else {
        return Err(ValidationError::single("outcome", "one_of:approve,reject", "decide approve or reject").into());
    };
    require_text("opinion", &d.opinion)?;
    let (app, path) = {
        let mut tx = store.begin().await?;
        load(&mut tx, id).await?
    };
    check_handler(store, principal, perm::SERVICE_DECIDE, &app, &path, client).await?;
    if app.reviewers.iter().any(|r| r.user_id == principal.user_id && r.opinion.is_some()) {
        return Err(audit::deny(
            store,
            principal,
            "separation_of_duties:not_own_review",
            &format!("application:{id}"),
            client,
        )
        .await);
    }
    check_version(&app, d.expected_version)?;
    if app.status != "accepted" {
        return Err(IdentityError::Conflict(format!(
            "application {} is {}; only an accepted one is decided",
            app.number,
            status_zh(&app.status)
        )));
    }
    if app.category == "permit" && !app.reviewers.iter().any(|r| r.opinion.is_some()) {
        return Err(IdentityError::Conflict("a permit is decided after at least one review opinion".into()));
    }
    let target = format!("application:{id} v{}", app.version + 1);
    esign::reauthenticate(store, config, principal, &d.password, d.totp.as_deref(), &target, client).await?;
    let t = types::get(store, &app.type_code).await?;
    let mut tx = store.begin().await?;
    let (mut app, _) = load(&mut tx, id).await?;
    check_version(&app, d.expected_version)?;
    app.status = match outcome {
        Outcome::Approve => "approved".into(),
        Outcome::Reject => "rejected".into(),
    };
    app.clock.stop();
    app.decision = Some(Decision {
        outcome,
        opinion: d.opinion.trim().into(),
        by: principal.username.clone(),
        by_name: principal.display_name.clone(),
        at: Timestamp::now().0,
        signature_id: None,
        rule: None,
    });
    app.steps.push(step(outcome.as_str(), principal, &d.opinion, Timestamp::now()));
    if outcome == Outcome::Approve {
        deliver(&mut tx, sealing, principal, &t, &mut app).await?;
    } else {
        let title = format!("{}：{} 不予许可", app.type_name, app.number);
        let link = link(&app);
        portal::send_message(&mut *tx, app.submitted_by, &title, d.opinion.trim(), &link).await?;
        timeline::add(
            &mut tx,
            &NewEvent {
                org_id: app.applicant_org_id,
                product_id: None,
                module: "services",
                kind: "application_decided",
                title: &title,
                link: &link,
            },
        )
        .await?;
    }
    let written = save(&mut tx, principal, &mut app, outcome.as_str(), d.opinion.trim(), client).await?;
    esign::sign_in_tx(&mut tx, principal, &d.password, "decide", &written, client).await?;
    tx.commit().await?;
    let mut view = [ApplicationView::new(app, &cal, today())];
    with_signatures(store, &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// One application (applicant side or bureau side, in scope).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<ApplicationView> {
    let cal = Calendar::load(store).await?;
    let mut tx = store.begin().await?;
    let (app, path) = load(&mut tx, id).await?;
    tx.commit().await?;
    if !may_view(principal, &path) {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, &format!("application:{id}"), client).await);
    }
    let mut view = [ApplicationView::new(app, &cal, today())];
    with_signatures(store, &mut view).await?;
    let [view] = view;
    Ok(view)
}

/// An attachment's bytes (who may see the application may read its files).
pub async fn file(
    store: &Store,
    principal: &Principal,
    id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<(FileRef, String, Vec<u8>)> {
    let view = get(store, principal, id, client).await?;
    let Some(meta) = view.application.files.iter().find(|f| f.id == file_id).cloned() else {
        return Err(IdentityError::NotFound("attachment"));
    };
    let r = sqlx::query("SELECT content_type, content FROM application_files WHERE id = $1 AND application_id = $2")
        .bind(file_id)
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    Ok((meta, r.try_get(0)?, r.try_get(1)?))
}

/// Filters of the application list.
#[derive(Debug, Clone, Default)]
pub struct ApplicationQuery {
    pub q: Option<String>,
    pub type_code: Option<String>,
    /// A status, or `open` / `overdue`.
    pub status: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

fn scope_sql(principal: &Principal, p: &mut Params) -> Option<String> {
    let mut ors = Vec::new();
    if let Some(f) = scope_filter(principal, perm::SERVICE_APPLY, p) {
        ors.push(f);
    }
    if principal.org_kind.is_regulator() {
        for perm in [perm::SERVICE_HANDLE, perm::SERVICE_DECIDE] {
            if let Some(f) = scope_filter(principal, perm, p) {
                ors.push(f);
            }
        }
    }
    (!ors.is_empty()).then(|| format!("({})", ors.join(" OR ")))
}

/// Applications in the caller's view, newest first, with the total.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &ApplicationQuery,
    client: &ClientInfo,
) -> Result<(Vec<ApplicationView>, i64)> {
    let cal = Calendar::load(store).await?;
    let mut p = Params::new();
    let Some(filter) = scope_sql(principal, &mut p) else {
        return Err(audit::deny(store, principal, perm::SERVICE_APPLY, "applications", client).await);
    };
    let mut wheres = vec![filter];
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        wheres.push(p.like_any(&["a.number", "o.name"], text));
    }
    if let Some(t) = q.type_code.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("a.type_code = {}", p.push(t)));
    }
    let day = today().to_string();
    match q.status.as_deref().unwrap_or("") {
        "" => {}
        "open" => wheres.push("a.status IN ('submitted', 'correction', 'accepted')".into()),
        "overdue" => {
            wheres.push(format!("a.status IN ('submitted', 'accepted') AND a.phase_due_on < {}", p.push(day.as_str())))
        }
        s @ ("submitted" | "correction" | "accepted" | "approved" | "rejected" | "refused" | "withdrawn") => {
            wheres.push(format!("a.status = {}", p.push(s)))
        }
        other => {
            return Err(ValidationError::single(
                "status",
                "one_of:open,overdue,submitted,correction,accepted,approved,rejected,refused,withdrawn",
                format!("unknown status {other:?}"),
            )
            .into())
        }
    }
    let from = "applications a JOIN orgs o ON o.id = a.applicant_org_id";
    let order = "a.submitted_at DESC, a.id DESC";
    let (rows, total) = yaolian_store::sql::page(
        store.pool(),
        &mut p,
        "a.data",
        from,
        &wheres.join(" AND "),
        order,
        q.limit.clamp(1, 1000),
        q.offset,
    )
    .await?;
    let today = today();
    let mut items = rows
        .iter()
        .map(|r| Ok(ApplicationView::new(parse(&r.try_get::<String, _>(0)?)?, &cal, today)))
        .collect::<Result<Vec<_>>>()?;
    with_signatures(store, &mut items).await?;
    Ok((items, total))
}

/// The list as CSV (opens in Excel).
pub fn to_csv(items: &[ApplicationView]) -> String {
    let header = ["申请编号", "事项", "申请人", "受理机关", "状态", "提交时间", "办理时限", "剩余工作日", "是否超期"];
    audit::csv_table(
        &header,
        items.iter().map(|v| {
            let a = &v.application;
            vec![
                a.number.clone(),
                a.type_name.clone(),
                a.applicant_name.clone(),
                a.authority_name.clone(),
                v.status_zh.clone(),
                Timestamp(a.submitted_at).to_china_string(),
                a.clock.due_on.clone().unwrap_or_default(),
                v.remaining_days.map(|d| d.to_string()).unwrap_or_default(),
                if v.overdue { "是".into() } else { String::new() },
            ]
        }),
    )
}

/// Raises an alert to the authority's deciders (supervisors) for every open application past
/// its phase's due date, once per application and phase. Returns how many were raised.
pub async fn sweep_overdue(store: &Store) -> Result<usize> {
    let day = today().to_string();
    let rows = sqlx::query(
        "SELECT a.id, a.data FROM applications a WHERE a.status IN ('submitted', 'accepted') AND a.phase_due_on < $1 \
         AND NOT EXISTS (SELECT 1 FROM application_alerts x WHERE x.application_id = a.id AND x.phase = a.status)",
    )
    .bind(&day)
    .fetch_all(store.pool())
    .await?;
    let mut raised = 0;
    for r in rows {
        let app = parse(&r.try_get::<String, _>(1)?)?;
        let mut tx = store.begin().await?;
        let inserted = sqlx::query("INSERT INTO application_alerts (application_id, phase, raised_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(app.id)
            .bind(&app.status)
            .bind(Timestamp::now().0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            continue;
        }
        let supervisors = sqlx::query(
            "SELECT DISTINCT u.id FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id \
             WHERE u.org_id = $1 AND u.status = 'active' AND r.permissions LIKE $2",
        )
        .bind(app.authority_org_id)
        .bind(format!("%{}%", perm::SERVICE_DECIDE))
        .fetch_all(&mut *tx)
        .await?;
        let title = format!(
            "超期告警：{} {}（{}）{}已超过期限 {}",
            app.type_name,
            app.number,
            app.applicant_name,
            status_zh(&app.status),
            app.clock.due_on.clone().unwrap_or_default()
        );
        let targets: Vec<(Option<i64>, Option<i64>)> = if supervisors.is_empty() {
            vec![(None, Some(app.authority_org_id))]
        } else {
            supervisors.iter().map(|s| Ok((Some(s.try_get::<i64, _>(0)?), None))).collect::<Result<Vec<_>>>()?
        };
        for (user_id, org_id) in targets {
            let todo = NewTodo {
                user_id,
                org_id,
                module: "services".into(),
                title: title.clone(),
                link: link(&app),
                due_at: None,
            };
            portal::add_todo(&mut *tx, &todo).await?;
        }
        tx.commit().await?;
        raised += 1;
    }
    Ok(raised)
}

/// Figures for one application type.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TypeStats {
    pub type_code: String,
    pub type_name: String,
    pub count: i64,
    pub open: i64,
    pub decided: i64,
    /// Working days from submission to decision, 补正 excluded, averaged over decided ones.
    pub average_days: f64,
    /// Applications overdue now or decided after their due date.
    pub overdue: i64,
    /// overdue / count.
    pub overdue_rate: f64,
    pub auto_decided: i64,
}

/// Statistics per type, and submissions per month, over the applications the caller sees.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Statistics {
    pub types: Vec<TypeStats>,
    /// (YYYY-MM, count), oldest first.
    pub per_month: Vec<(String, i64)>,
}

pub async fn statistics(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Statistics> {
    let cal = Calendar::load(store).await?;
    let mut p = Params::new();
    let Some(filter) = scope_sql(principal, &mut p) else {
        return Err(audit::deny(store, principal, perm::SERVICE_HANDLE, "applications", client).await);
    };
    let sql = format!("SELECT a.data FROM applications a JOIN orgs o ON o.id = a.applicant_org_id WHERE {filter}");
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let today = today();
    let mut by_type: BTreeMap<String, (TypeStats, i64)> = BTreeMap::new();
    let mut months: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        let app = parse(&r.try_get::<String, _>(0)?)?;
        let submitted = Timestamp(app.submitted_at).china_date();
        *months.entry(submitted.format("%Y-%m").to_string()).or_insert(0) += 1;
        let (s, total_days) = by_type.entry(app.type_code.clone()).or_insert_with(|| {
            (
                TypeStats {
                    type_code: app.type_code.clone(),
                    type_name: app.type_name.clone(),
                    count: 0,
                    open: 0,
                    decided: 0,
                    average_days: 0.0,
                    overdue: 0,
                    overdue_rate: 0.0,
                    auto_decided: 0,
                },
                0,
            )
        });
        s.count += 1;
        let view = ApplicationView::new(app, &cal, today);
        if is_open(&view.application.status) {
            s.open += 1;
            if view.overdue {
                s.overdue += 1;
            }
        }
        if let Some(d) = &view.application.decision {
            s.decided += 1;
            let decided_on = Timestamp(d.at).china_date();
            *total_days += cal.working_days_between(submitted, decided_on) - view.application.clock.paused_days;
            if d.rule.is_some() {
                s.auto_decided += 1;
            }
            let late = view.application.steps.iter().any(|st| st.step == "accept")
                && late_decision(&view.application, &cal, decided_on);
            if late {
                s.overdue += 1;
            }
        }
    }
    let types = by_type
        .into_values()
        .map(|(mut s, days)| {
            if s.decided > 0 {
                s.average_days = days as f64 / s.decided as f64;
            }
            if s.count > 0 {
                s.overdue_rate = s.overdue as f64 / s.count as f64;
            }
            s
        })
        .collect();
    Ok(Statistics { types, per_month: months.into_iter().collect() })
}

/// Whether a decision came after the decision phase's due date.
fn late_decision(app: &Application, cal: &Calendar, decided_on: NaiveDate) -> bool {
    let Some(accepted) = app.steps.iter().find(|s| s.step == "accept") else { return false };
    let accepted_on = Timestamp(accepted.at).china_date();
    let due = cal.add_working_days(accepted_on, u32::try_from(app.clock.limit_days).unwrap_or(0));
    decided_on > due
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Phases and outcomes keep the names the stored applications and the API already use.
    #[test]
    fn phases_and_outcomes_keep_their_names() {
        for (phase, name) in
            [(Phase::Accept, "accept"), (Phase::Decide, "decide"), (Phase::Paused, "paused"), (Phase::Done, "done")]
        {
            assert_eq!(serde_json::to_value(phase).unwrap(), serde_json::json!(name));
            assert_eq!(serde_json::from_value::<Phase>(serde_json::json!(name)).unwrap(), phase);
            assert_eq!(phase.as_str(), name);
        }
        for (outcome, name) in [(Outcome::Approve, "approve"), (Outcome::Reject, "reject")] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), serde_json::json!(name));
            assert_eq!(Outcome::parse(name), Some(outcome));
            assert_eq!(outcome.as_str(), name);
        }
        assert_eq!(Outcome::parse("approved"), None);
        let stored = r#"{"phase":"paused","started_on":"2026-11-23","limit_days":20,"paused_days":0,"paused_since":"2026-11-25"}"#;
        let clock: Clock = serde_json::from_str(stored).unwrap();
        assert_eq!(clock.phase, Phase::Paused);
        assert_eq!(serde_json::to_value(&clock).unwrap()["phase"], "paused");
    }

    #[test]
    fn decide_debug_leaves_out_the_password_and_totp_code() {
        let d = Decide {
            outcome: "approve".into(),
            opinion: "符合要求".into(),
            password: "S3cret-Never-Shown".into(),
            totp: Some("S3cret-Never-Shown".into()),
            expected_version: 3,
        };
        let debug = format!("{d:?}");
        assert!(!debug.contains("S3cret"), "{debug}");
        assert!(debug.contains("符合要求") && debug.contains(yaolian_core::REDACTED), "{debug}");
    }
}
