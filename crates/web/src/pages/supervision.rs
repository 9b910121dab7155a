//! 风险处置 pages: the bureau's cases with their figures (by state, by source, overdue, average
//! days to close), filters, export and the form to raise one by hand; a case with its steps'
//! forms (assign to an officer, dispose with findings and measures, verify, close) and its
//! history. A trace anomaly's page raises its case.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::cases::{self, Case, Disposal, NewCase, Statistics, Verification};
use yaolian_supervision::SupervisionError;

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

/// Cases per page.
const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/cases", get(list_page).post(raise))
        .route("/supervision/cases.csv", get(export))
        .route("/supervision/cases.xlsx", get(export))
        .route("/supervision/cases/{id}", get(case_page))
        .route("/supervision/cases/{id}/{step}", post(case_step))
        .route("/supervision/anomaly-cases", post(from_anomaly))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "company_id" => "企业",
            "title" => "事由",
            "description" => "情况说明",
            "level" => "风险等级",
            "assignee" => "承办人",
            "findings" => "调查情况",
            "measures" => "处置措施",
            "note" => "核查意见",
            "anomaly_id" => "追溯异常",
            f if f.starts_with("measures[") => "处置措施",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: SupervisionError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// Every form's fields, kept to fill a refused form again.
#[derive(Deserialize, Default, Clone)]
pub struct CaseForm {
    #[serde(default)]
    company: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    findings: String,
    /// The measures ticked, by code.
    #[serde(default)]
    measures: Vec<String>,
    #[serde(default)]
    passed: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    version: String,
}

type Failed = super::Failed<CaseForm>;

/// The pairs a form sent, as the kept form (a measure per `measures` pair).
fn form_of(pairs: &[(String, String)]) -> CaseForm {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    CaseForm {
        company: get("company"),
        title: get("title"),
        description: get("description"),
        level: get("level"),
        assignee: get("assignee"),
        findings: get("findings"),
        measures: pairs.iter().filter(|(k, _)| k == "measures").map(|(_, v)| v.clone()).collect(),
        passed: get("passed"),
        note: get("note"),
        version: get("version"),
    }
}

trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        label(cases::STATUSES, code)
    }
    fn source_label(&self, code: &str) -> &'static str {
        label(cases::SOURCES, code)
    }
    fn level_label(&self, code: &str) -> &'static str {
        label(cases::LEVELS, code)
    }
    fn measure_label(&self, code: &str) -> &'static str {
        label(cases::MEASURES, code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "closed" => "ok",
            "open" | "high" => "danger",
            "medium" => "warn",
            _ => "",
        }
    }
}

fn label(table: &[(&str, &'static str)], code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

fn today() -> String {
    yaolian_core::Timestamp::now().china_date().to_string()
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    status: String,
    /// One company's cases (from its portrait).
    #[serde(default)]
    company_id: String,
    #[serde(default)]
    page: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?status={}&company_id={}&page={}", urlencoding::encode(&self.status), self.company(), page.borrow())
    }
    fn company(&self) -> String {
        self.company_id.trim().parse::<i64>().map(|id| id.to_string()).unwrap_or_default()
    }
    fn domain(&self) -> cases::Filter {
        cases::Filter { status: self.status.clone(), company_id: self.company_id.trim().parse().ok() }
    }
}

#[derive(Template)]
#[template(path = "supervision_cases.html")]
struct ListPage {
    chrome: Chrome,
    filter: Filter,
    cases: Vec<Case>,
    total: i64,
    pages: i64,
    stats: Statistics,
    chart: String,
    today: String,
    can_raise: bool,
    orgs: Vec<yaolian_identity::Org>,
    statuses: &'static [(&'static str, &'static str)],
    levels: &'static [(&'static str, &'static str)],
    failed: Failed,
}

impl Shows for ListPage {}

impl ListPage {
    fn open_count(&self) -> i64 {
        self.stats.by_status.iter().filter(|(c, _)| c != "closed").map(|(_, n)| *n).sum()
    }
    fn average_text(&self) -> String {
        self.stats.average_days_to_close.map(|d| format!("{d:.1} 天")).unwrap_or_else(|| "—".into())
    }
}

async fn render_list(state: &AppState, user: &PageUser, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let f = filter.domain();
    let (list, total) = match cases::list(store, p, &f, PAGE_SIZE, (filter.page() - 1) * PAGE_SIZE, c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let stats = cases::statistics(store, p, c).await.unwrap_or_default();
    let chart = serde_json::json!({
        "x": stats.by_status.iter().map(|(code, _)| label(cases::STATUSES, code)).collect::<Vec<_>>(),
        "series": [{"name": "风险处置", "data": stats.by_status.iter().map(|(_, n)| *n).collect::<Vec<_>>()}],
        "colors": ["#2e90fa"],
    })
    .to_string();
    let can_raise = p.has(perm::SUPERVISION_MANAGE);
    let orgs = if can_raise {
        super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await
    } else {
        Vec::new()
    };
    let refused = failed.refused();
    let page = ListPage {
        chrome: user.chrome("supervision"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        filter,
        cases: list,
        total,
        stats,
        chart,
        today: today(),
        can_raise,
        orgs,
        statuses: cases::STATUSES,
        levels: cases::LEVELS,
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
    let f = filter.domain();
    match cases::list(state.store(), &user.principal, &f, 10_000, 0, &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "risk-cases", format, cases::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn raise(State(state): State<AppState>, user: PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let form = form_of(&pairs);
    let refuse = |errors: Vec<FieldError>, kept: CaseForm| Failed { form: "raise", kept, errors };
    let company = yaolian_access::OrgKind::Company;
    let company_id = match super::picked_org(&state, &user, "company_id", &form.company, Some(company)).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_list(&state, &user, Filter::default(), refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let new = NewCase {
        company_id,
        title: form.title.clone(),
        description: form.description.clone(),
        level: form.level.clone(),
    };
    match cases::raise(state.store(), &user.principal, &new, &user.client).await {
        Ok(c) => Redirect::to(&format!("/supervision/cases/{}?done=raised", c.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_list(&state, &user, Filter::default(), refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

/// A trace anomaly's page raises (or opens) its case.
async fn from_anomaly(
    State(state): State<AppState>,
    user: PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let Ok(anomaly) = one("anomaly_id").trim().parse::<i64>() else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    match cases::from_trace_anomaly(state.store(), &user.principal, anomaly, &user.client).await {
        Ok((c, raised)) => {
            let done = if raised { "raised" } else { "exists" };
            Redirect::to(&format!("/supervision/cases/{}?done={done}", c.id)).into_response()
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "supervision_case.html")]
struct CasePage {
    chrome: Chrome,
    c: Case,
    history: Vec<yaolian_store::RecordVersion>,
    names: Names,
    officers: Vec<(String, String)>,
    measures: &'static [(&'static str, &'static str)],
    today: String,
    can_manage: bool,
    can_dispose: bool,
    failed: Failed,
    done: &'static str,
}

impl Shows for CasePage {}

impl CasePage {
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "raise" => "登记",
            "assign" => "分派",
            "dispose" => "处置",
            "verify" => "核查",
            "close" => "结案",
            _ => "变更",
        }
    }
    fn ticked(&self, code: &str) -> bool {
        self.failed.kept("dispose").measures.iter().any(|m| m == code)
    }
    /// The measures include 立案调查: the case goes on as an enforcement case.
    fn files_case(&self) -> bool {
        self.c.measures.iter().any(|m| m == "file_case")
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_case(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let (p, cl) = (&user.principal, &user.client);
    let c = match cases::get(store, p, id, cl).await {
        Ok(c) => c,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = cases::may_manage(store, p, &c).await.unwrap_or(false);
    let officers = if can_manage && (c.status == "open" || c.status == "assigned") {
        cases::officers(store, &c).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let history =
        yaolian_store::versions::history(store.pool(), cases::ENTITY, &c.id.to_string()).await.unwrap_or_default();
    let mut logins: Vec<&str> = history.iter().map(|v| v.actor.as_str()).collect();
    logins.extend(c.assignee.as_deref());
    logins.push(c.created_by.as_str());
    let names = Names::of_logins(state, logins).await;
    let mut chrome = user.chrome("supervision");
    chrome.title = format!("{} {}", c.number, c.title);
    let done = match done {
        "raised" => "风险处置已登记，请分派承办人",
        "exists" => "该异常已登记过风险处置，以下为原处置记录",
        "assign" => "已分派承办人",
        "dispose" => "处置情况已提交，待核查",
        "verify" => "核查意见已记录",
        "close" => "已结案",
        _ => "",
    };
    let refused = failed.refused();
    let page = CasePage {
        chrome,
        can_dispose: c.assignee.as_deref() == Some(p.username()) && c.status == "assigned",
        can_manage,
        officers,
        measures: cases::MEASURES,
        today: today(),
        history,
        names,
        failed,
        done,
        c,
    };
    super::render_form(&page, refused)
}

async fn case_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_case(&state, &user, id, Failed::default(), &d.done).await
}

/// A step on a case: `assign`, `dispose`, `verify` (passed or not), `close`.
async fn case_step(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((id, step)): axum::extract::Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let not_found =
        || super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    let Ok(id) = id.parse::<i64>() else { return not_found() };
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let form = form_of(&pairs);
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (name, result): (&'static str, Result<Case, SupervisionError>) = match step.as_str() {
        "assign" => ("assign", cases::assign(store, p, id, &form.assignee, version, c).await),
        "dispose" => {
            let d = Disposal { findings: form.findings.clone(), measures: form.measures.clone(), version };
            ("dispose", cases::dispose(store, p, id, &d, c).await)
        }
        "verify" => {
            let v = Verification { passed: form.passed == "1", note: form.note.clone(), version };
            ("verify", cases::verify(store, p, id, &v, c).await)
        }
        "close" => ("close", cases::close(store, p, id, &form.note, version, c).await),
        _ => return not_found(),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/supervision/cases/{id}?done={name}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_case(&state, &user, id, Failed { form: name, kept: form, errors }, "").await,
            Err(page) => page,
        },
    }
}
