//! 检查计划 pages: the bureau's annual inspection plans and the form to generate one from the
//! risk model; a plan with its visits per month (chart), per risk level and kind, filters, export,
//! the forms to add a visit and to publish the plan with a signature; a visit with its history
//! and the form to move or cancel it.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::plans::{self, Figures, Inspection, NewVisit, Plan, VisitChange};
use yaolian_supervision::{risk, SupervisionError};

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

/// Visits per page.
const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/plans", get(plans_page).post(generate))
        .route("/supervision/plans/{id}", get(plan_page))
        .route("/supervision/plans/{id}/visits.csv", get(export))
        .route("/supervision/plans/{id}/visits.xlsx", get(export))
        .route("/supervision/plans/{id}/visits", post(add))
        .route("/supervision/plans/{id}/publish", post(publish))
        .route("/supervision/inspections/{id}", get(inspection_page).post(change))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "year" => "计划年度",
            "company_id" => "企业",
            "month" => "月份",
            "kind" => "检查类型",
            "scope" => "检查范围",
            "reason" => "调整原因",
            "password" => "登录密码",
            "totp" => "动态验证码",
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
pub struct PlanForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    cancel: String,
    #[serde(default)]
    version: String,
}

type Failed = super::Failed<PlanForm>;

fn form_of(pairs: &[(String, String)]) -> PlanForm {
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    PlanForm {
        year: get("year"),
        company: get("company"),
        month: get("month"),
        kind: get("kind"),
        scope: get("scope"),
        reason: get("reason"),
        cancel: get("cancel"),
        version: get("version"),
    }
}

/// A number a form sent, or a refusal under the field's label.
fn number(field: &str, text: &str) -> Result<i64, Vec<FieldError>> {
    text.trim().parse::<i64>().map_err(|_| {
        let label = field_label(field).unwrap_or_default();
        vec![FieldError::new(field, "integer", format!("{label}：请选择或填写数字"))]
    })
}

trait Shows {
    fn level_label(&self, code: &str) -> &'static str {
        risk::level_zh(code)
    }
    fn kind_label(&self, code: &str) -> &'static str {
        plans::zh(plans::KINDS, code)
    }
    fn status_label(&self, code: &str) -> &'static str {
        plans::zh(plans::STATUSES, code)
    }
    fn plan_status_label(&self, code: &str) -> &'static str {
        plans::zh(plans::PLAN_STATUSES, code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "high" | "cancelled" => "danger",
            "medium" | "draft" => "warn",
            "low" | "published" => "ok",
            _ => "",
        }
    }
}

fn next_year() -> i64 {
    use chrono::Datelike;
    i64::from(yaolian_core::Timestamp::now().china_date().year()) + 1
}

#[derive(Template)]
#[template(path = "supervision_plans.html")]
struct PlansPage {
    chrome: Chrome,
    plans: Vec<Plan>,
    names: Names,
    can_generate: bool,
    next_year: i64,
    failed: Failed,
}

impl Shows for PlansPage {}

async fn render_plans(state: &AppState, user: &PageUser, failed: Failed) -> Response {
    let list = match plans::plans(state.store(), &user.principal, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let logins: Vec<&str> =
        list.iter().flat_map(|p| std::iter::once(p.created_by.as_str()).chain(p.published_by.as_deref())).collect();
    let names = Names::of_logins(state, logins).await;
    let refused = failed.refused();
    let page = PlansPage {
        chrome: user.chrome("plans"),
        plans: list,
        names,
        can_generate: user.principal.has(perm::SUPERVISION_MANAGE),
        next_year: next_year(),
        failed,
    };
    super::render_form(&page, refused)
}

async fn plans_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_plans(&state, &user, Failed::default()).await
}

async fn generate(State(state): State<AppState>, user: PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let form = form_of(&pairs);
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, kept: PlanForm| Failed { form: "generate", kept, errors };
    let year = match number("year", &form.year) {
        Ok(y) => y,
        Err(errors) => return render_plans(&state, &user, refuse(errors, form)).await,
    };
    match plans::generate(state.store(), &user.principal, year, &user.client).await {
        Ok(g) => Redirect::to(&format!("/supervision/plans/{}?done=generated", g.plan.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_plans(&state, &user, refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    month: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn query(&self) -> String {
        format!(
            "month={}&level={}&kind={}&status={}&q={}",
            urlencoding::encode(&self.month),
            urlencoding::encode(&self.level),
            urlencoding::encode(&self.kind),
            urlencoding::encode(&self.status),
            urlencoding::encode(&self.q)
        )
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        [&self.month, &self.level, &self.kind, &self.status, &self.q].iter().any(|s| !s.is_empty())
    }
    fn month_is(&self, m: &i64) -> bool {
        self.month == m.to_string()
    }
    fn domain(&self) -> plans::Filter {
        plans::Filter {
            month: self.month.trim().parse().ok(),
            level: self.level.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            q: self.q.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "supervision_plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: Plan,
    figures: Figures,
    chart: String,
    visits: Vec<Inspection>,
    total: i64,
    pages: i64,
    filter: Filter,
    names: Names,
    orgs: Vec<yaolian_identity::Org>,
    can_edit: bool,
    can_publish: bool,
    months: Vec<i64>,
    levels: &'static [(&'static str, &'static str)],
    kinds: &'static [(&'static str, &'static str)],
    statuses: &'static [(&'static str, &'static str)],
    failed: Failed,
    done: &'static str,
}

impl Shows for PlanPage {}

async fn render_plan(state: &AppState, user: &PageUser, id: i64, filter: Filter, failed: Failed) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let plan = match plans::get(store, p, id, c).await {
        Ok(plan) => plan,
        Err(e) => return failure_page(user.lang, e),
    };
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (visits, total) = match plans::visits_of(store, p, id, &filter.domain(), PAGE_SIZE, offset, c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let figures = plans::figures(store, p, id, c).await.unwrap_or_default();
    let chart = serde_json::json!({
        "x": (1..=12).map(|m| format!("{m}月")).collect::<Vec<_>>(),
        "series": [{"name": "检查次数", "data": figures.by_month}],
        "colors": ["#2e90fa"],
    })
    .to_string();
    let can_edit = plans::may_edit(store, p, &plan).await.unwrap_or(false);
    let can_publish = plan.status == "draft" && plans::may_publish(store, p, &plan).await.unwrap_or(false);
    let orgs =
        if can_edit { super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await } else { Vec::new() };
    let logins: Vec<&str> = std::iter::once(plan.created_by.as_str()).chain(plan.published_by.as_deref()).collect();
    let names = Names::of_logins(state, logins).await;
    let done = match filter.done.as_str() {
        "generated" => "年度检查计划已生成（草案），可调整后发布",
        "added" => "已增加一次检查",
        "published" => "计划已发布并签名",
        _ => "",
    };
    let mut chrome = user.chrome("plans");
    chrome.title = format!("{} 年度检查计划", plan.year);
    let refused = failed.refused();
    let page = PlanPage {
        chrome,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        plan,
        figures,
        chart,
        visits,
        total,
        filter,
        names,
        orgs,
        can_edit,
        can_publish,
        months: (1..=12).collect(),
        levels: risk::LEVELS,
        kinds: plans::KINDS,
        statuses: plans::STATUSES,
        failed,
        done,
    };
    super::render_form(&page, refused)
}

async fn plan_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(filter): Query<Filter>,
) -> Response {
    render_plan(&state, &user, id, filter, Failed::default()).await
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = filter.domain();
    match plans::visits_of(state.store(), &user.principal, id, &f, 10_000, 0, &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "inspection-plan", format, plans::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn add(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = form_of(&pairs);
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, kept: PlanForm| Failed { form: "add", kept, errors };
    let company = yaolian_access::OrgKind::Company;
    let company_id = match super::picked_org(&state, &user, "company_id", &form.company, Some(company)).await {
        Ok(id) => id,
        Err(Ok(errors)) => return render_plan(&state, &user, id, Filter::default(), refuse(errors, form)).await,
        Err(Err(page)) => return page,
    };
    let month = match number("month", &form.month) {
        Ok(m) => m,
        Err(errors) => return render_plan(&state, &user, id, Filter::default(), refuse(errors, form)).await,
    };
    let v =
        NewVisit { company_id, month, kind: form.kind.clone(), scope: form.scope.clone(), reason: form.reason.clone() };
    match plans::add(state.store(), &user.principal, id, &v, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/plans/{id}?done=added")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_plan(&state, &user, id, Filter::default(), refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

async fn publish(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let version = one("version").trim().parse::<i64>().unwrap_or(0);
    let (password, totp) = (one("password"), one("totp"));
    let totp = Some(totp.trim()).filter(|t| !t.is_empty());
    let result =
        plans::publish(state.store(), state.identity(), &user.principal, id, version, (&password, totp), &user.client);
    match result.await {
        Ok(_) => Redirect::to(&format!("/supervision/plans/{id}?done=published")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let failed = Failed { form: "publish", kept: PlanForm::default(), errors };
                render_plan(&state, &user, id, Filter::default(), failed).await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "supervision_inspection.html")]
struct InspectionPage {
    chrome: Chrome,
    i: Inspection,
    plan: Option<Plan>,
    history: Vec<yaolian_store::RecordVersion>,
    names: Names,
    can_edit: bool,
    months: Vec<i64>,
    failed: Failed,
    done: bool,
}

impl Shows for InspectionPage {}

impl InspectionPage {
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "plan" => "列入计划",
            "add" => "增加",
            "reschedule" => "调整月份",
            "cancel" => "取消",
            _ => "变更",
        }
    }
    fn month_kept(&self, m: &i64) -> bool {
        let kept = self.failed.kept("change").month;
        if kept.is_empty() {
            *m == self.i.month
        } else {
            kept == m.to_string()
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_inspection(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: bool) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let i = match plans::inspection(store, p, id, c).await {
        Ok(i) => i,
        Err(e) => return failure_page(user.lang, e),
    };
    let plan = match i.plan_id {
        Some(plan_id) => plans::get(store, p, plan_id, c).await.ok(),
        None => None,
    };
    let can_edit = match &plan {
        Some(plan) => i.status == "planned" && plans::may_edit(store, p, plan).await.unwrap_or(false),
        None => false,
    };
    let history =
        yaolian_store::versions::history(store.pool(), plans::ENTITY, &i.id.to_string()).await.unwrap_or_default();
    let logins: Vec<&str> = history.iter().map(|v| v.actor.as_str()).chain([i.created_by.as_str()]).collect();
    let names = Names::of_logins(state, logins).await;
    let mut chrome = user.chrome("plans");
    chrome.title = format!("{} {}", i.number, i.company_name);
    let refused = failed.refused();
    let page = InspectionPage { chrome, i, plan, history, names, can_edit, months: (1..=12).collect(), failed, done };
    super::render_form(&page, refused)
}

async fn inspection_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_inspection(&state, &user, id, Failed::default(), d.done == "changed").await
}

async fn change(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = form_of(&pairs);
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let refuse = |errors: Vec<FieldError>, kept: PlanForm| Failed { form: "change", kept, errors };
    let cancel = form.cancel == "1";
    let month = if cancel {
        None
    } else {
        match number("month", &form.month) {
            Ok(m) => Some(m),
            Err(errors) => return render_inspection(&state, &user, id, refuse(errors, form), false).await,
        }
    };
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    let c = VisitChange { month, cancel, reason: form.reason.clone(), version };
    match plans::change(state.store(), &user.principal, id, &c, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}?done=changed")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_inspection(&state, &user, id, refuse(errors, form), false).await,
            Err(page) => page,
        },
    }
}
