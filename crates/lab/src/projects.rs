//! R&D projects (研发项目, 立项 → 计划 → 进度 → 成果): a project is proposed with its objective,
//! leader, dates and phases (阶段 / 里程碑: 小试, 中试, 药理毒理 …); approved under an
//! electronic signature by someone with `lab.manage` who did not propose it; its tasks are
//! assigned to people with planned hours, and each assignee records the hours spent and marks
//! the task done; a phase is marked reached; the project is closed under a signature with its
//! outcome (成果) once every task is done. Lab records made for the project are its
//! deliverables. Every step is a version of entity `lab_project`; phases and tasks are JSON
//! columns, dates written as `YYYY-MM-DD`.
//!
//! Who may do what, in the organization's scope: `lab.read` reads, `lab.use` proposes and records
//! progress on one's own tasks, the leader or `lab.manage` plans tasks and phases, `lab.manage`
//! approves and closes.

use crate::error::{LabError, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_store::sql::Params;
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

pub const ENTITY: &str = "lab_project";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] =
    &[("proposed", "已立项申请，待批准"), ("active", "进行中"), ("closed", "已结题"), ("rejected", "未批准")];

/// A phase or milestone (阶段).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Phase {
    pub name: String,
    /// YYYY-MM-DD.
    pub starts_on: String,
    pub ends_on: String,
    /// When it was reached, YYYY-MM-DD.
    #[serde(default)]
    pub done_on: Option<String>,
}

/// A task (任务) of a phase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    /// 1, 2, … in the project.
    pub no: i64,
    /// Index of its phase.
    pub phase: usize,
    pub title: String,
    /// The assignee's user name.
    pub assignee: String,
    pub starts_on: String,
    pub ends_on: String,
    pub planned_hours: i64,
    #[serde(default)]
    pub actual_hours: i64,
    #[serde(default)]
    pub done: bool,
}

/// A project as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Project {
    pub id: i64,
    pub org_id: i64,
    pub code: String,
    pub title: String,
    pub objective: String,
    pub leader: String,
    pub starts_on: String,
    pub ends_on: String,
    pub phases: Vec<Phase>,
    pub tasks: Vec<Task>,
    /// One of [`STATUSES`]' codes.
    pub status: String,
    pub proposed_by: String,
    pub approved_by: Option<String>,
    pub outcome: String,
    pub version: i64,
}

impl Project {
    /// Hours planned and spent over every task.
    pub fn hours(&self) -> (i64, i64) {
        self.tasks.iter().fold((0, 0), |(p, a), t| (p + t.planned_hours, a + t.actual_hours))
    }
    /// Tasks done, of all.
    pub fn tasks_done(&self) -> (usize, usize) {
        (self.tasks.iter().filter(|t| t.done).count(), self.tasks.len())
    }
}

/// A phase as proposed.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewPhase {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
}

/// A project proposal (立项申请).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewProject {
    pub org_id: i64,
    /// 项目编号, unique in the organization, e.g. YF-2026-003.
    pub code: String,
    pub title: String,
    /// 研究目标.
    pub objective: String,
    /// The leader's user name; the proposer when empty.
    #[serde(default)]
    pub leader: String,
    pub starts_on: String,
    pub ends_on: String,
    pub phases: Vec<NewPhase>,
}

/// A task to add.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewTask {
    /// Index of the phase (0 for the first).
    pub phase: usize,
    pub title: String,
    pub assignee: String,
    pub starts_on: String,
    pub ends_on: String,
    pub planned_hours: i64,
}

/// Progress on a task: hours spent so far, and whether it is done.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Progress {
    pub no: i64,
    pub actual_hours: i64,
    #[serde(default)]
    pub done: bool,
}

/// One researcher's load over the active projects (工作量).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Workload {
    pub assignee: String,
    pub projects: usize,
    pub open_tasks: usize,
    pub planned_hours: i64,
    pub actual_hours: i64,
}

const COLUMNS: &str = "p.id, p.org_id, p.code, p.title, p.objective, p.leader, p.starts_on, p.ends_on, p.phases, \
     p.tasks, p.status, p.proposed_by, p.approved_by, p.outcome, p.version";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Project, sqlx::Error> {
    let json = |col: &str| -> std::result::Result<String, sqlx::Error> { r.try_get(col) };
    let decode = |e: serde_json::Error| sqlx::Error::Decode(format!("project plan: {e}").into());
    Ok(Project {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        code: r.try_get("code")?,
        title: r.try_get("title")?,
        objective: r.try_get("objective")?,
        leader: r.try_get("leader")?,
        starts_on: day_text(r.try_get("starts_on")?),
        ends_on: day_text(r.try_get("ends_on")?),
        phases: serde_json::from_str(&json("phases")?).map_err(decode)?,
        tasks: serde_json::from_str(&json("tasks")?).map_err(decode)?,
        status: r.try_get("status")?,
        proposed_by: r.try_get("proposed_by")?,
        approved_by: r.try_get("approved_by")?,
        outcome: r.try_get("outcome")?,
        version: r.try_get("version")?,
    })
}

fn image(p: &Project) -> Result<serde_json::Value> {
    let value = |v: serde_json::Result<serde_json::Value>| v.map_err(|e| IdentityError::Conflict(e.to_string()));
    Ok(serde_json::json!({
        "id": p.id,
        "org_id": p.org_id,
        "code": p.code,
        "title": p.title,
        "objective": p.objective,
        "leader": p.leader,
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "phases": value(serde_json::to_value(&p.phases))?,
        "tasks": value(serde_json::to_value(&p.tasks))?,
        "status": p.status,
        "proposed_by": p.proposed_by,
        "approved_by": p.approved_by,
        "outcome": p.outcome,
    }))
}

fn day(errors: &mut ValidationError, field: &str, text: &str) -> Option<i64> {
    match chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(d) => Some(yaolian_core::time::day_number(d)),
        Err(_) => {
            errors.push(field, "date", "a date as YYYY-MM-DD");
            None
        }
    }
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM lab_projects p WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let x = from_row(&row)?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: x.version,
        data: image(&x)?,
        action,
        reason,
        audit: audit::action::LAB_PROJECT,
        target: format!("lab_project:{id} {} {action}", x.code),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// Proposes a project (立项申请, `lab.use`).
pub async fn propose(store: &Store, principal: &Principal, new: &NewProject, client: &ClientInfo) -> Result<Project> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 60);
    errors.length("title", &new.title, 1, 200);
    errors.length("objective", &new.objective, 1, 4000);
    errors.length("leader", &new.leader, 0, 100);
    let start = day(&mut errors, "starts_on", &new.starts_on);
    let end = day(&mut errors, "ends_on", &new.ends_on);
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            errors.push("ends_on", "order", "the end is after the start");
        }
    }
    if new.phases.is_empty() || new.phases.len() > 20 {
        errors.push("phases", "count:1..20", "one to twenty phases");
    }
    let mut phases = Vec::new();
    for (i, ph) in new.phases.iter().enumerate().take(20) {
        errors.length(&format!("phases[{i}].name"), &ph.name, 1, 100);
        let s = day(&mut errors, &format!("phases[{i}].starts_on"), &ph.starts_on);
        let e = day(&mut errors, &format!("phases[{i}].ends_on"), &ph.ends_on);
        if let (Some(s), Some(e), Some(ps), Some(pe)) = (s, e, start, end) {
            if e < s || s < ps || e > pe {
                errors.push(
                    format!("phases[{i}].ends_on"),
                    "within",
                    "within the project's dates, the end after the start",
                );
            }
        }
        phases.push(Phase {
            name: ph.name.trim().to_string(),
            starts_on: ph.starts_on.trim().to_string(),
            ends_on: ph.ends_on.trim().to_string(),
            done_on: None,
        });
    }
    errors.into_result()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(ValidationError::single("starts_on", "date", "dates").into());
    };
    let path = yaolian_identity::orgs::path_of(store, "org_id", new.org_id).await?;
    if !principal.reaches(perm::LAB_USE, &path) && !principal.reaches(perm::LAB_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_USE, "lab_projects", client).await);
    }
    let leader =
        if new.leader.trim().is_empty() { principal.username().to_string() } else { new.leader.trim().to_string() };
    if yaolian_identity::users::id_by_username(store, &leader).await.is_err() {
        return Err(ValidationError::single("leader", "exists", "no such user").into());
    }
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO lab_projects (org_id, code, title, objective, leader, starts_on, ends_on, phases, tasks, status, \
         proposed_by, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '[]', 'proposed', $9, 1, $10) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.code.trim())
    .bind(new.title.trim())
    .bind(new.objective.trim())
    .bind(&leader)
    .bind(start)
    .bind(end)
    .bind(json(&phases))
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from);
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("code", "unique", "another project has this number").into())
        }
        Err(e) => return Err(e.into()),
    };
    save(&mut tx, principal, id, "propose", "", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One project, if the principal may read it (`lab.read`; not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Project> {
    let sql = format!(
        "SELECT {COLUMNS}, o.path AS org_path FROM lab_projects p JOIN orgs o ON o.id = p.org_id WHERE p.id = $1"
    );
    let row = yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, (ENTITY, "project"), client)
        .await?;
    Ok(from_row(&row)?)
}

/// The project and whether the principal holds `permission` in its organization.
async fn with_right(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<(Project, bool)> {
    let p = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", p.org_id).await?;
    Ok((p, principal.reaches(permission, &path)))
}

fn wrong_state(p: &Project, action: &'static str) -> LabError {
    LabError::WrongState { number: p.code.clone(), status: p.status.clone(), action }
}

/// Writes the plan and state of `next` over `before` (refused if changed meanwhile), versioned.
async fn write(
    store: &Store,
    principal: &Principal,
    before: &Project,
    next: &Project,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let mut tx = store.begin().await?;
    let written = write_in(&mut tx, principal, before, next, action, reason, client).await?;
    tx.commit().await?;
    Ok(written)
}

async fn write_in(
    tx: &mut Tx<'_>,
    principal: &Principal,
    before: &Project,
    next: &Project,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let done = sqlx::query(
        "UPDATE lab_projects SET phases = $1, tasks = $2, status = $3, approved_by = $4, outcome = $5, \
         version = version + 1, updated_at = $6 WHERE id = $7 AND version = $8",
    )
    .bind(json(&next.phases))
    .bind(json(&next.tasks))
    .bind(&next.status)
    .bind(&next.approved_by)
    .bind(&next.outcome)
    .bind(Timestamp::now().0)
    .bind(before.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("project {} changed meanwhile; reload", before.code)).into());
    }
    save(tx, principal, before.id, action, reason, client).await
}

/// Approves a proposal under a signature (`lab.manage`, not its proposer): the project starts.
/// With `approve` false it is not approved (`decide`), with the reason.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    approve: bool,
    reason: &str,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Project> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason, if approve { 0 } else { 1 }, 500);
    errors.into_result()?;
    let (p, manage) = with_right(store, principal, id, perm::LAB_MANAGE, client).await?;
    if !manage {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, &format!("lab_project:{id}"), client).await);
    }
    if p.status != "proposed" {
        return Err(wrong_state(&p, "decide"));
    }
    if p.proposed_by == principal.username() {
        return Err(LabError::SamePerson { step: "approve_project" });
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("lab_project:{id} decide"), client)
        .await?;
    let next = Project {
        status: if approve { "active" } else { "rejected" }.into(),
        approved_by: approve.then(|| principal.username().to_string()),
        ..p.clone()
    };
    let why = if approve { "批准立项".to_string() } else { format!("不予立项：{}", reason.trim()) };
    let mut tx = store.begin().await?;
    let written = write_in(&mut tx, principal, &p, &next, "decide", &why, client).await?;
    esign::sign_in_tx(&mut tx, principal, password, if approve { "approve" } else { "decide" }, &written, client)
        .await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Whether the principal plans the project: its leader, or `lab.manage`.
fn plans(p: &Project, principal: &Principal, manage: bool) -> bool {
    manage || p.leader == principal.username()
}

/// Adds a task to an active project (the leader or `lab.manage`).
pub async fn add_task(
    store: &Store,
    principal: &Principal,
    id: i64,
    new: &NewTask,
    client: &ClientInfo,
) -> Result<Project> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    errors.length("assignee", &new.assignee, 1, 100);
    let s = day(&mut errors, "starts_on", &new.starts_on);
    let e = day(&mut errors, "ends_on", &new.ends_on);
    if let (Some(s), Some(e)) = (s, e) {
        if e < s {
            errors.push("ends_on", "order", "the end is after the start");
        }
    }
    if !(1..=10_000).contains(&new.planned_hours) {
        errors.push("planned_hours", "range:1..10000", "hours planned");
    }
    errors.into_result()?;
    let (p, manage) = with_right(store, principal, id, perm::LAB_MANAGE, client).await?;
    if !plans(&p, principal, manage) {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, &format!("lab_project:{id}"), client).await);
    }
    if p.status != "active" {
        return Err(wrong_state(&p, "add_task"));
    }
    if new.phase >= p.phases.len() {
        return Err(ValidationError::single("phase", "exists", "no such phase").into());
    }
    if yaolian_identity::users::id_by_username(store, new.assignee.trim()).await.is_err() {
        return Err(ValidationError::single("assignee", "exists", "no such user").into());
    }
    let mut next = p.clone();
    let no = p.tasks.iter().map(|t| t.no).max().unwrap_or(0) + 1;
    next.tasks.push(Task {
        no,
        phase: new.phase,
        title: new.title.trim().to_string(),
        assignee: new.assignee.trim().to_string(),
        starts_on: new.starts_on.trim().to_string(),
        ends_on: new.ends_on.trim().to_string(),
        planned_hours: new.planned_hours,
        actual_hours: 0,
        done: false,
    });
    write(store, principal, &p, &next, "add_task", &format!("任务 {no}：{}", new.title.trim()), client).await?;
    get(store, principal, id, client).await
}

/// Records the hours spent on a task and whether it is done (its assignee or the leader).
pub async fn progress(
    store: &Store,
    principal: &Principal,
    id: i64,
    prog: &Progress,
    client: &ClientInfo,
) -> Result<Project> {
    if !(0..=100_000).contains(&prog.actual_hours) {
        return Err(ValidationError::single("actual_hours", "range:0..100000", "hours spent").into());
    }
    let (p, manage) = with_right(store, principal, id, perm::LAB_MANAGE, client).await?;
    if p.status != "active" {
        return Err(wrong_state(&p, "progress"));
    }
    let Some(i) = p.tasks.iter().position(|t| t.no == prog.no) else {
        return Err(ValidationError::single("no", "exists", "no such task").into());
    };
    if p.tasks[i].assignee != principal.username() && !plans(&p, principal, manage) {
        return Err(
            IdentityError::Forbidden { permission: format!("task {} is {}'s", prog.no, p.tasks[i].assignee) }.into()
        );
    }
    let mut next = p.clone();
    next.tasks[i].actual_hours = prog.actual_hours;
    next.tasks[i].done = prog.done;
    let why = format!("任务 {}：已用 {} 小时{}", prog.no, prog.actual_hours, if prog.done { "，完成" } else { "" });
    write(store, principal, &p, &next, "progress", &why, client).await?;
    get(store, principal, id, client).await
}

/// Marks a phase reached on a date (the leader or `lab.manage`).
pub async fn phase_done(
    store: &Store,
    principal: &Principal,
    id: i64,
    phase: usize,
    done_on: &str,
    client: &ClientInfo,
) -> Result<Project> {
    let mut errors = ValidationError::new();
    let d = day(&mut errors, "done_on", done_on);
    if d.is_some_and(|d| d > Timestamp::now().china_day_number()) {
        errors.push("done_on", "not_future", "a phase reached, not planned");
    }
    errors.into_result()?;
    let (p, manage) = with_right(store, principal, id, perm::LAB_MANAGE, client).await?;
    if !plans(&p, principal, manage) {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, &format!("lab_project:{id}"), client).await);
    }
    if p.status != "active" {
        return Err(wrong_state(&p, "phase_done"));
    }
    if phase >= p.phases.len() {
        return Err(ValidationError::single("phase", "exists", "no such phase").into());
    }
    let mut next = p.clone();
    next.phases[phase].done_on = Some(done_on.trim().to_string());
    let why = format!("阶段“{}”完成", p.phases[phase].name);
    write(store, principal, &p, &next, "phase_done", &why, client).await?;
    get(store, principal, id, client).await
}

/// Closes an active project with its outcome under a signature (`lab.manage`, meaning
/// `approve`); refused while a task is open.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    outcome: &str,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Project> {
    let mut errors = ValidationError::new();
    errors.length("outcome", outcome, 1, 4000);
    errors.into_result()?;
    let (p, manage) = with_right(store, principal, id, perm::LAB_MANAGE, client).await?;
    if !manage {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, &format!("lab_project:{id}"), client).await);
    }
    if p.status != "active" {
        return Err(wrong_state(&p, "close"));
    }
    let open = p.tasks.iter().filter(|t| !t.done).count();
    if open > 0 {
        return Err(ValidationError::single("outcome", format!("open_tasks:{open}"), "every task done first").into());
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("lab_project:{id} close"), client)
        .await?;
    let next = Project { status: "closed".into(), outcome: outcome.trim().to_string(), ..p.clone() };
    let mut tx = store.begin().await?;
    let written = write_in(&mut tx, principal, &p, &next, "close", "结题", client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The projects the principal may read, by number; `status` one of [`STATUSES`]' codes.
pub async fn list(
    store: &Store,
    principal: &Principal,
    status: Option<&str>,
    client: &ClientInfo,
) -> Result<Vec<Project>> {
    let narrow = |p: &mut Params| match status {
        Some(s) if STATUSES.iter().any(|(c, _)| *c == s) => Some(format!("p.status = {}", p.push(s))),
        _ => None,
    };
    let shape = (COLUMNS, "lab_projects p JOIN orgs o ON o.id = p.org_id", "p.code");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::LAB_READ,
        "lab_projects",
        shape,
        narrow,
        1000,
        0,
        client,
    );
    let (rows, _) = page.await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// Each researcher's load over the active projects in reach: projects, open tasks, hours planned
/// and spent.
pub fn workload(projects: &[Project]) -> Vec<Workload> {
    let mut by: BTreeMap<&str, (std::collections::BTreeSet<i64>, usize, i64, i64)> = BTreeMap::new();
    for p in projects.iter().filter(|p| p.status == "active") {
        for t in &p.tasks {
            let e = by.entry(t.assignee.as_str()).or_default();
            e.0.insert(p.id);
            e.1 += usize::from(!t.done);
            e.2 += t.planned_hours;
            e.3 += t.actual_hours;
        }
    }
    by.into_iter()
        .map(|(a, (ps, open, planned, actual))| Workload {
            assignee: a.to_string(),
            projects: ps.len(),
            open_tasks: open,
            planned_hours: planned,
            actual_hours: actual,
        })
        .collect()
}

/// Projects as an export table (CSV / Excel).
pub fn table(list: &[Project]) -> audit::Table {
    let status = |c: &str| STATUSES.iter().find(|(k, _)| *k == c).map(|(_, l)| *l).unwrap_or("").to_string();
    audit::Table::new(
        "研发项目",
        &[
            "项目编号",
            "项目名称",
            "负责人",
            "开始",
            "结束",
            "状态",
            "阶段数",
            "已完成任务",
            "任务数",
            "计划工时",
            "实际工时",
        ],
        list.iter().map(|p| {
            let (planned, actual) = p.hours();
            let (done, all) = p.tasks_done();
            vec![
                p.code.clone(),
                p.title.clone(),
                p.leader.clone(),
                p.starts_on.clone(),
                p.ends_on.clone(),
                status(&p.status),
                p.phases.len().to_string(),
                done.to_string(),
                all.to_string(),
                planned.to_string(),
                actual.to_string(),
            ]
        }),
    )
}

/// The project a new lab record is made for: readable, active, of the record's organization.
pub async fn for_record(
    store: &Store,
    principal: &Principal,
    id: i64,
    org_id: i64,
    client: &ClientInfo,
) -> Result<Project> {
    let p = get(store, principal, id, client).await?;
    if p.org_id != org_id {
        return Err(ValidationError::single("project_id", "exists", "a project of the template's laboratory").into());
    }
    if p.status != "active" {
        return Err(wrong_state(&p, "record"));
    }
    Ok(p)
}

/// Every project whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM lab_projects p ORDER BY p.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let p = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: p.id.to_string(), data: image(&p)? });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
