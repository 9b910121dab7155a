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

use crate::error::{Result, ServiceError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, OrgKind};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_license::licenses::{self, NewLicense, Reissue, ReissueKind, Sealing};
use yaolian_portal::{self as portal, NewTodo};
use yaolian_records::esign;
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

pub use yaolian_records::files::{FileRef, Upload};

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

impl Application {
    /// The day (China Standard Time) it was accepted (受理), if it was.
    pub fn accepted_on(&self) -> Option<NaiveDate> {
        self.steps.iter().find(|s| s.step == "accept").map(|s| Timestamp(s.at).china_date())
    }

    /// What must happen before a decision, in words for the decider; `None` when the
    /// application may be decided. A permit (许可) is decided on at least one review opinion;
    /// the decision refuses with [`ServiceError::ReviewMissing`] on the same test.
    pub fn decision_missing(&self) -> Option<&'static str> {
        if self.status != "accepted" || self.category != "permit" {
            return None;
        }
        if self.reviewers.is_empty() {
            Some("尚未指派审查人员，指派并收到审查意见后方可决定")
        } else if !self.reviewers.iter().any(|r| r.opinion.is_some()) {
            Some("尚无审查意见，审查人员提交后方可决定")
        } else {
            None
        }
    }
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
    /// What the reader may do with it (on one application read by [`get`]; absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Actions>,
}

/// What a reader may do with an application: the same rules the steps check, so the page offers
/// exactly the steps that will be allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Actions {
    /// Accept, refuse, ask for 补正, assign reviewers (`service.handle` over the applicant).
    pub handle: bool,
    /// Decide (`service.decide` over the applicant, not one's own application).
    pub decide: bool,
    /// Give the review opinion one was assigned and has not given yet.
    pub review: bool,
    /// Answer the 补正 notice (the applicant, while the application waits for it).
    pub resubmit: bool,
    /// Withdraw (the applicant, while the application is open).
    pub withdraw: bool,
}

/// zh-CN label of a status; an approved filing (备案) reads 已备案, not 准予许可.
pub fn status_label_zh(status: &str, category: &str) -> &'static str {
    match (status, category) {
        ("approved", "filing") => "已备案",
        ("rejected", "filing") => "不予备案",
        _ => status_zh(status),
    }
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
        ApplicationView {
            status_zh: status_label_zh(&application.status, &application.category).into(),
            application,
            remaining_days,
            overdue,
            actions: None,
        }
    }
}

fn step(name: &str, actor: &Principal, opinion: &str, at: Timestamp) -> Step {
    Step {
        step: name.into(),
        step_zh: step_zh(name).into(),
        at: at.0,
        actor: actor.username().to_string(),
        actor_name: actor.display_name().to_string(),
        opinion: opinion.trim().into(),
    }
}

pub mod dashboard;
mod files;
mod flow;
mod reading;
mod rollup;

pub use files::file;
pub use flow::{act, act_at, decide, decide_at, resubmit, submit, submit_at, withdraw};
pub use reading::{
    get, list, prefill, reviewer_choices, statistics, sweep_overdue, table, to_csv, ApplicationQuery, ReviewerChoice,
    Statistics, TypeStats,
};

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
        } else if let Some(rule) = crate::rules::format_refusal(&f.key, v).filter(|_| !v.is_empty()) {
            errors.push(format!("form.{}", f.key), rule, format!("{} {v:?} is not well-formed", f.zh));
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
    serde_json::from_str(data).map_err(|e| ServiceError::unreadable("application", e))
}

/// Every application whose row differs from its latest ledgered version (现状与台账比对): the
/// stored application, with the columns lists and filters read (state, license) taken from the
/// row itself, so an edited column is named as well as an edited document.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query("SELECT id, data, status, license_id FROM applications ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get(0)?;
        let text: String = r.try_get(1)?;
        let mut data: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ServiceError::unreadable("application", e))?;
        if let serde_json::Value::Object(fields) = &mut data {
            fields.insert("status".into(), serde_json::json!(r.try_get::<String, _>(2)?));
            fields.insert("license_id".into(), serde_json::json!(r.try_get::<Option<i64>, _>(3)?));
        }
        images.push(yaolian_store::state::Image { entity_id: id.to_string(), data });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
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
        || (p.org_kind().is_regulator()
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
    let data = serde_json::to_value(&*app).map_err(|e| ServiceError::unreadable("application", e))?;
    let now = Timestamp::now();
    let before = rollup::group_of(tx, app.id).await?;
    let done = sqlx::query(
        "UPDATE applications SET status = $1, phase_due_on = $2, license_id = $3, data = $4, decided_at = $5, \
         version = $6, updated_at = $7, paused_days = $10, auto_decided = $11, accepted_on = $12, limit_days = $13 \
         WHERE id = $8 AND version = $9",
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
    .bind(app.clock.paused_days)
    .bind(i64::from(app.decision.as_ref().is_some_and(|d| d.rule.is_some())))
    .bind(app.accepted_on().map(|d| d.to_string()))
    .bind(app.clock.limit_days)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(ServiceError::StaleVersion { what: format!("application {}", app.number) });
    }
    let written = versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &app.id.to_string(),
            actor: actor.username(),
            action,
            reason: if reason.trim().is_empty() { step_zh(action) } else { reason.trim() },
            data: &data,
            expected_version: Some(expected),
        },
    )
    .await?;
    let after = rollup::group_of(tx, app.id).await?;
    rollup::shift(tx, Some(&before), &after).await?;
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
    // A step with its legal time limit (受理, 审查, 决定) closes here, when it is done, not by a
    // button: such a to-do is statutory; the applicant's 补正 has no limit of ours.
    let todo = |user_id: Option<i64>, org_id: Option<i64>, title: String, due_at: Option<Timestamp>| NewTodo {
        user_id,
        org_id,
        module: "services".into(),
        title,
        link: link.clone(),
        statutory: due_at.is_some(),
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
