//! 研发项目 pages: the projects with their progress, each researcher's load over the active
//! projects (a chart), the export and the proposal form; a project with its timeline (a Gantt
//! chart of phases and tasks over the project's dates), tasks with their hours, the records made
//! for it, and the forms of each step (decision and closure under a signature, tasks, progress,
//! phases reached).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_lab::projects::{self, NewPhase, NewProject, NewTask, Progress, Project, Workload};
use yaolian_lab::records::Record;
use yaolian_lab::LabError;

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lab/projects", get(list_page).post(propose))
        .route("/lab/projects.csv", get(export))
        .route("/lab/projects.xlsx", get(export))
        .route("/lab/projects/{id}", get(project_page))
        .route("/lab/projects/{id}/{step}", post(project_step))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "org_id" => "所属机构",
            "code" => "项目编号",
            "title" => "名称",
            "objective" => "研究目标",
            "leader" => "项目负责人",
            "starts_on" => "开始日期",
            "ends_on" => "结束日期",
            "phases" => "阶段",
            "phase" => "所属阶段",
            "assignee" => "承担人",
            "planned_hours" => "计划工时",
            "actual_hours" => "实际工时",
            "done_on" => "完成日期",
            "outcome" => "研究成果",
            "reason" => "原因",
            "password" => "密码",
            f if f.starts_with("phases[") => "阶段（每行：名称 / 开始日期 / 结束日期）",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: LabError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// Every form's fields, kept to fill a refused form again (never a password).
#[derive(Deserialize, Default, Clone)]
pub struct ProjectForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    objective: String,
    #[serde(default)]
    leader: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    /// One phase per line: 名称 / 开始 / 结束.
    #[serde(default)]
    phases: String,
    #[serde(default)]
    phase: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    planned_hours: String,
    #[serde(default)]
    no: String,
    #[serde(default)]
    actual_hours: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    done_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    password: String,
}

type Failed = super::Failed<ProjectForm>;

trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        projects::STATUSES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "active" => "ok",
            "proposed" => "warn",
            "rejected" => "danger",
            _ => "",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    status: String,
}

#[derive(Template)]
#[template(path = "lab_projects.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    projects: Vec<Project>,
    statuses: &'static [(&'static str, &'static str)],
    workload: Vec<Workload>,
    chart: String,
    can_propose: bool,
    orgs: Vec<yaolian_identity::Org>,
    names: Names,
    failed: Failed,
}

impl Shows for ListPage {}

async fn render_list(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    let list = match projects::list(store, &user.principal, status, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let active = if status == Some("active") || status.is_none() {
        list.clone()
    } else {
        projects::list(store, &user.principal, Some("active"), &user.client).await.unwrap_or_default()
    };
    let workload = projects::workload(&active);
    let logins = list.iter().map(|p| p.leader.as_str()).chain(workload.iter().map(|w| w.assignee.as_str()));
    let names = Names::of_logins(state, logins).await;
    let chart = if workload.is_empty() {
        String::new()
    } else {
        serde_json::json!({
            "x": workload.iter().map(|w| names.of(&w.assignee)).collect::<Vec<_>>(),
            "series": [
                {"name": "已用工时", "data": workload.iter().map(|w| w.actual_hours).collect::<Vec<_>>()},
                {"name": "剩余计划工时", "data": workload.iter().map(|w| (w.planned_hours - w.actual_hours).max(0)).collect::<Vec<_>>()},
            ],
            "colors": ["#0b6e4f", "#2e90fa"],
        })
        .to_string()
    };
    let can_propose = user.principal.has(perm::LAB_USE) || user.principal.has(perm::LAB_MANAGE);
    let orgs = if can_propose { super::org_picks(state, user, None).await } else { Vec::new() };
    let refused = failed.refused();
    let page = ListPage {
        chrome: user.chrome("lab"),
        names,
        filter,
        projects: list,
        statuses: projects::STATUSES,
        workload,
        chart,
        can_propose,
        orgs,
        failed,
    };
    super::render_form(&page, refused)
}

async fn list_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_list(&state, &user, filter, Failed::default()).await
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let status = Some(filter.status.as_str()).filter(|s| !s.is_empty());
    match projects::list(state.store(), &user.principal, status, &user.client).await {
        Ok(list) => super::export::send(&state, &user, "lab-projects", format, projects::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

/// Phases written one per line: `名称 / 开始 / 结束`.
fn phases_of(text: &str) -> Vec<NewPhase> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split(['/', '／']).map(str::trim).collect();
            NewPhase {
                name: parts.first().copied().unwrap_or("").to_string(),
                starts_on: parts.get(1).copied().unwrap_or("").to_string(),
                ends_on: parts.get(2).copied().unwrap_or("").to_string(),
            }
        })
        .collect()
}

async fn propose(State(state): State<AppState>, user: PageUser, Form(form): Form<ProjectForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, form: ProjectForm| Failed { form: "propose", kept: form, errors };
    let org_id = match super::picked_org(&state, &user, "org_id", &form.org, None).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_list(&state, &user, Filter::default(), refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let new = NewProject {
        org_id,
        code: form.code.clone(),
        title: form.title.clone(),
        objective: form.objective.clone(),
        leader: form.leader.clone(),
        starts_on: form.starts_on.clone(),
        ends_on: form.ends_on.clone(),
        phases: phases_of(&form.phases),
    };
    match projects::propose(state.store(), &user.principal, &new, &user.client).await {
        Ok(p) => Redirect::to(&format!("/lab/projects/{}?done=proposed", p.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                // A phase's refusal shows at the phases field.
                let errors = errors
                    .into_iter()
                    .map(
                        |e| if e.field.starts_with("phases[") { FieldError { field: "phases".into(), ..e } } else { e },
                    )
                    .collect();
                render_list(&state, &user, Filter::default(), refuse(errors, form)).await
            }
            Err(page) => page,
        },
    }
}

/// A bar of the timeline: where it starts and how long it is, in percent of the project.
pub struct Bar {
    pub label: String,
    pub detail: String,
    pub left: f64,
    pub width: f64,
    pub done: bool,
    pub phase: bool,
}

fn day_of(text: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(yaolian_core::time::day_number)
}

/// The Gantt chart's date axis: the first of a month every `step` months in the project's span
/// (at most seven ticks, so the labels do not crowd), placed as the bars are; the year is written
/// on the first tick and on each January, and only those are kept on a phone.
fn axis(p: &Project) -> Vec<(f64, String, bool, bool)> {
    use chrono::Datelike;
    let parse = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let (Some(start), Some(end)) = (parse(&p.starts_on), parse(&p.ends_on)) else { return Vec::new() };
    let span = ((end - start).num_days() + 1).max(1) as f64;
    let months = (end.year() - start.year()) * 12 + end.month0() as i32 - start.month0() as i32 + 1;
    let step = ((months + 5) / 6).max(1);
    let mut out = Vec::new();
    let mut m = start.with_day(1).unwrap_or(start);
    if m < start {
        m = m.checked_add_months(chrono::Months::new(1)).unwrap_or(end);
    }
    let mut i = 0;
    while m <= end && out.len() < 60 {
        if i % step == 0 {
            let left = (((m - start).num_days() as f64) / span * 1000.0).round() / 10.0;
            let major = out.is_empty() || m.month() == 1;
            let label = if major { format!("{}年{}月", m.year(), m.month()) } else { format!("{}月", m.month()) };
            out.push((left, label, left > 85.0, !major));
        }
        i += 1;
        let Some(next) = m.checked_add_months(chrono::Months::new(1)) else { break };
        m = next;
    }
    out
}

/// The Gantt chart's bars: each phase, then its tasks, over the project's span.
fn timeline(p: &Project, names: &Names) -> (Vec<Bar>, Option<f64>) {
    let (Some(start), Some(end)) = (day_of(&p.starts_on), day_of(&p.ends_on)) else { return (Vec::new(), None) };
    let span = (end - start + 1).max(1) as f64;
    let place = |s: &str, e: &str| -> (f64, f64) {
        let s = day_of(s).unwrap_or(start).clamp(start, end);
        let e = day_of(e).unwrap_or(end).clamp(s, end);
        (
            ((s - start) as f64 / span * 100.0 * 10.0).round() / 10.0,
            (((e - s + 1) as f64 / span * 100.0 * 10.0).round() / 10.0).max(0.5),
        )
    };
    let mut bars = Vec::new();
    for (i, ph) in p.phases.iter().enumerate() {
        let (left, width) = place(&ph.starts_on, &ph.ends_on);
        bars.push(Bar {
            label: ph.name.clone(),
            detail: format!("{} 至 {}", ph.starts_on, ph.ends_on),
            left,
            width,
            done: ph.done_on.is_some(),
            phase: true,
        });
        for t in p.tasks.iter().filter(|t| t.phase == i) {
            let (left, width) = place(&t.starts_on, &t.ends_on);
            bars.push(Bar {
                label: format!("{}. {}", t.no, t.title),
                detail: format!("{} · {} 至 {}", names.of(&t.assignee), t.starts_on, t.ends_on),
                left,
                width,
                done: t.done,
                phase: false,
            });
        }
    }
    let today = yaolian_core::Timestamp::now().china_day_number();
    let now = (start..=end).contains(&today).then(|| ((today - start) as f64 / span * 1000.0).round() / 10.0);
    (bars, now)
}

#[derive(Template)]
#[template(path = "lab_project.html")]
struct ProjectPage {
    chrome: Chrome,
    p: Project,
    bars: Vec<Bar>,
    /// The date axis: each tick's place (% of the span), label, whether it is written to the
    /// left of its mark (near the right edge), and whether it is minor (hidden on a phone).
    ticks: Vec<(f64, String, bool, bool)>,
    now: Option<f64>,
    names: Names,
    records: Vec<Record>,
    can_decide: bool,
    can_plan: bool,
    can_close: bool,
    me: String,
    failed: Failed,
    done: &'static str,
    today: String,
    /// The first phase not yet reached, offered first.
    first_open: usize,
}

impl Shows for ProjectPage {}

impl ProjectPage {
    fn phase_name(&self, i: &usize) -> String {
        self.p.phases.get(*i).map(|ph| ph.name.clone()).unwrap_or_default()
    }
    fn record_status(&self, code: &str) -> &'static str {
        yaolian_lab::records::STATUSES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_project(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let p = match projects::get(store, &user.principal, id, &user.client).await {
        Ok(p) => p,
        Err(e) => return failure_page(user.lang, e),
    };
    let records = yaolian_lab::records::of_project(store, &user.principal, id, &user.client).await.unwrap_or_default();
    let path = yaolian_identity::orgs::path_of(store, "org_id", p.org_id).await.unwrap_or_default();
    let manage = user.principal.reaches(perm::LAB_MANAGE, &path);
    let me = user.principal.username().to_string();
    let logins = [Some(p.leader.as_str()), p.approved_by.as_deref(), Some(p.proposed_by.as_str())]
        .into_iter()
        .flatten()
        .chain(p.tasks.iter().map(|t| t.assignee.as_str()));
    let names = Names::of_logins(state, logins).await;
    let (bars, now) = timeline(&p, &names);
    let ticks = axis(&p);
    let mut chrome = user.chrome("lab");
    chrome.title = format!("{} {}", p.code, p.title);
    let done = match done {
        "proposed" => "立项申请已提交，待审批",
        "decide" => "立项决定已签名",
        "task" => "任务已添加",
        "progress" => "进度已记录",
        "phase" => "阶段已标记完成",
        "close" => "项目已结题",
        _ => "",
    };
    let refused = failed.refused();
    let page = ProjectPage {
        can_decide: manage && p.status == "proposed" && p.proposed_by != me,
        can_plan: (manage || p.leader == me) && p.status == "active",
        can_close: manage && p.status == "active",
        chrome,
        bars,
        ticks,
        now,
        names,
        records,
        me,
        failed,
        done,
        today: yaolian_core::Timestamp::now().china_date().to_string(),
        first_open: p.phases.iter().position(|ph| ph.done_on.is_none()).unwrap_or(0),
        p,
    };
    super::render_form(&page, refused)
}

async fn project_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_project(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on a project: `decide`, `task`, `progress`, `phase`, `close`.
async fn project_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(form): Form<ProjectForm>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let number = |s: &str| s.trim().parse::<i64>().unwrap_or(-1);
    let (name, result): (&'static str, Result<Project, LabError>) = match step.as_str() {
        "decide" => {
            let approve = form.decision != "reject";
            (
                "decide",
                projects::decide(store, state.identity(), p, id, approve, &form.reason, &form.password, None, c).await,
            )
        }
        "task" => {
            let new = NewTask {
                phase: form.phase.trim().parse().unwrap_or(usize::MAX),
                title: form.title.clone(),
                assignee: form.assignee.clone(),
                starts_on: form.starts_on.clone(),
                ends_on: form.ends_on.clone(),
                planned_hours: number(&form.planned_hours),
            };
            ("task", projects::add_task(store, p, id, &new, c).await)
        }
        "progress" => {
            let prog =
                Progress { no: number(&form.no), actual_hours: number(&form.actual_hours), done: form.done == "1" };
            ("progress", projects::progress(store, p, id, &prog, c).await)
        }
        "phase" => {
            let phase = form.phase.trim().parse().unwrap_or(usize::MAX);
            ("phase", projects::phase_done(store, p, id, phase, &form.done_on, c).await)
        }
        "close" => {
            ("close", projects::close(store, state.identity(), p, id, &form.outcome, &form.password, None, c).await)
        }
        _ => return not_found(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/lab/projects/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let kept = ProjectForm { csrf: String::new(), password: String::new(), ..form };
                render_project(&state, &user, id, Failed { form: name, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}
