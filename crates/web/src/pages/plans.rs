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
use yaolian_supervision::onsite::{self, EvidenceCheck, Item, NewFinding, OnSite, Progress};
use yaolian_supervision::plans::{self, Figures, Inspection, NewVisit, Plan, VisitChange};
use yaolian_supervision::{risk, SupervisionError};

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

/// Visits per page.
const PAGE_SIZE: i64 = 50;
/// A finding's form with its evidence: the files and the form's fields.
const MAX_EVIDENCE_BODY: usize = 12 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/plans", get(plans_page).post(generate))
        .route("/supervision/plans/{id}", get(plan_page))
        .route("/supervision/plans/{id}/visits.csv", get(export))
        .route("/supervision/plans/{id}/visits.xlsx", get(export))
        .route("/supervision/plans/{id}/visits", post(add))
        .route("/supervision/plans/{id}/publish", post(publish))
        .route("/supervision/inspections/{id}", get(inspection_page).post(change))
        .route("/supervision/inspections/{id}/start", post(start))
        .route("/supervision/inspections/{id}/progress", post(progress))
        .route(
            "/supervision/inspections/{id}/findings",
            post(add_finding).layer(axum::extract::DefaultBodyLimit::max(MAX_EVIDENCE_BODY)),
        )
        .route("/supervision/inspections/{id}/sign", get(sign_page).post(sign))
        .route("/supervision/findings/{id}/evidence/{file}", get(evidence_file))
        .route("/supervision/findings/{id}/verify", post(verify_capa))
        .route("/supervision/inspections/{id}/report", get(report_page))
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
            "members" => "检查组成员",
            "grade" => "缺陷等级",
            "clause" => "依据条款",
            "description" => "缺陷描述",
            "conclusion" => "检查结论",
            "representative" => "企业代表账号",
            "note" => "核查意见",
            "capa" => "整改报告",
            f if f.starts_with("members[") => "检查组成员",
            f if f.starts_with("checklist[") => "检查要点",
            f if f.starts_with("files[") => "证据文件",
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
    #[serde(default)]
    grade: String,
    #[serde(default)]
    clause: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    representative: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    passed: String,
    #[serde(default)]
    finding: String,
    /// A checklist's results and notes as sent.
    #[serde(skip)]
    items: Vec<(String, String)>,
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
        grade: get("grade"),
        clause: get("clause"),
        description: get("description"),
        conclusion: get("conclusion"),
        representative: get("representative"),
        note: get("note"),
        passed: get("passed"),
        finding: get("finding"),
        items: Vec::new(),
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
    done: &'static str,
    onsite: Option<OnSite>,
    /// Per finding: its evidence checked against the ledger's lock.
    checks: Vec<(i64, Vec<EvidenceCheck>)>,
    /// The bureau's inspectors who may join a team, as (login, name), without the viewer.
    inspectors: Vec<(String, String)>,
    can_start: bool,
    on_team: bool,
    grades: &'static [(&'static str, &'static str)],
    results: &'static [(&'static str, &'static str)],
    /// The viewer verifies rectifications (a signed visit, `supervision.manage` in its bureau).
    can_verify: bool,
}

impl Shows for InspectionPage {}

/// How a page names and colours findings (the visit page, the company's findings page).
pub(super) trait OnSiteShows {
    fn grade_label(&self, code: &str) -> &'static str {
        plans::zh(onsite::GRADES, code)
    }
    fn result_label(&self, code: &str) -> &'static str {
        plans::zh(onsite::RESULTS, code)
    }
    fn grade_tone(&self, code: &str) -> &'static str {
        match code {
            "critical" => "danger",
            "major" => "warn",
            _ => "",
        }
    }
    fn capa_label(&self, f: &onsite::Finding) -> &'static str {
        plans::zh(onsite::CAPA_STATES, f.capa_state())
    }
    fn capa_tone(&self, f: &onsite::Finding) -> &'static str {
        match f.capa_state() {
            "closed" => "ok",
            "responded" => "warn",
            _ => "danger",
        }
    }
}

impl OnSiteShows for InspectionPage {}

impl InspectionPage {
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "plan" => "列入计划",
            "add" => "增加",
            "reschedule" => "调整月份",
            "cancel" => "取消",
            "start" => "进场检查",
            "sign" => "检查员签名",
            "sign_company" => "企业签字确认",
            _ => "变更",
        }
    }
    fn checks_of(&self, finding: &i64) -> Vec<EvidenceCheck> {
        self.checks.iter().find(|(id, _)| id == finding).map(|(_, c)| c.clone()).unwrap_or_default()
    }
    fn kept_item(&self, n: &usize, item: &Item) -> (String, String) {
        if self.failed.form == "progress" {
            self.failed.kept.items.get(*n).cloned().unwrap_or_default()
        } else {
            (item.result.clone(), item.note.clone())
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

async fn render_inspection(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
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
    let onsite = onsite::get(store, p, id, c).await.unwrap_or(None);
    let mut checks = Vec::new();
    for f in onsite.iter().flat_map(|o| o.findings.iter()) {
        checks.push((f.id, onsite::evidence_check(store, p, f.id, c).await.unwrap_or_default()));
    }
    let can_start = can_edit && i.status == "planned";
    let inspectors = if can_start {
        let all = onsite::inspectors(store, &i).await.unwrap_or_default();
        all.into_iter().filter(|(login, _)| login != p.username()).collect()
    } else {
        Vec::new()
    };
    let on_team = onsite.as_ref().is_some_and(|o| onsite::on_team(o, p));
    let can_verify = i.status == "signed"
        && yaolian_identity::orgs::path_of(store, "org_id", i.org_id)
            .await
            .is_ok_and(|bureau| p.reaches(perm::SUPERVISION_MANAGE, &bureau));
    let mut logins: Vec<&str> = history.iter().map(|v| v.actor.as_str()).chain([i.created_by.as_str()]).collect();
    if let Some(o) = &onsite {
        logins.extend(o.team.iter().map(|m| m.username.as_str()));
        logins.extend(o.findings.iter().map(|f| f.created_by.as_str()));
    }
    let names = Names::of_logins(state, logins).await;
    let mut chrome = user.chrome("plans");
    chrome.title = format!("{} {}", i.number, i.company_name);
    let done = match done {
        "changed" => "已调整并留痕",
        "started" => "已进场检查，请逐项记录检查要点和缺陷",
        "progress" => "检查要点已保存",
        "finding" => "缺陷已记录，证据已固化",
        "verified" => "整改核查已记录",
        _ => "",
    };
    let refused = failed.refused();
    let page = InspectionPage {
        chrome,
        i,
        plan,
        history,
        names,
        can_edit,
        months: (1..=12).collect(),
        failed,
        done,
        onsite,
        checks,
        inspectors,
        can_start,
        on_team,
        grades: onsite::GRADES,
        results: onsite::RESULTS,
        can_verify,
    };
    super::render_form(&page, refused)
}

async fn inspection_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_inspection(&state, &user, id, Failed::default(), &d.done).await
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
            Err(errors) => return render_inspection(&state, &user, id, refuse(errors, form), "").await,
        }
    };
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    let c = VisitChange { month, cancel, reason: form.reason.clone(), version };
    match plans::change(state.store(), &user.principal, id, &c, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}?done=changed")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_inspection(&state, &user, id, refuse(errors, form), "").await,
            Err(page) => page,
        },
    }
}

/// The inspection's id in a path, or the page that says there is no such record.
fn path_id(user: &PageUser, id: &str) -> Result<i64, Response> {
    id.parse::<i64>().map_err(|_| {
        super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
    })
}

/// Starts a planned visit on site: the viewer leads, the ticked inspectors join.
async fn start(
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
    let members: Vec<String> = pairs.iter().filter(|(k, _)| k == "members").map(|(_, v)| v.clone()).collect();
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    match onsite::start(state.store(), &user.principal, id, &members, version, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}?done=started")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_inspection(&state, &user, id, Failed { form: "start", kept: form, errors }, "").await,
            Err(page) => page,
        },
    }
}

/// Saves the checklist's results (`result.N`, `note.N`) and the conclusion.
async fn progress(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut form = form_of(&pairs);
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    if let Err(page) = user.check_csrf(csrf) {
        return page;
    }
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let current = match onsite::get(store, p, id, c).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
        Err(e) => return failure_page(user.lang, e),
    };
    let get = |name: String| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let checklist: Vec<Item> = current
        .checklist
        .iter()
        .enumerate()
        .map(|(n, item)| Item {
            item: item.item.clone(),
            result: get(format!("result.{n}")),
            note: get(format!("note.{n}")),
        })
        .collect();
    form.items = checklist.iter().map(|i| (i.result.clone(), i.note.clone())).collect();
    let version = form.version.trim().parse::<i64>().unwrap_or(0);
    let g = Progress { checklist, conclusion: form.conclusion.clone(), version };
    match onsite::progress(store, p, id, &g, c).await {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}?done=progress")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_inspection(&state, &user, id, Failed { form: "progress", kept: form, errors }, "").await
            }
            Err(page) => page,
        },
    }
}

/// Records a finding with its evidence files (multipart).
async fn add_finding(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: axum::extract::Multipart,
) -> Response {
    let id = match path_id(&user, &id) {
        Ok(id) => id,
        Err(page) => return page,
    };
    let form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let text = |k: &str| form.texts.get(k).cloned().unwrap_or_default();
    let kept = PlanForm {
        grade: text("grade"),
        clause: text("clause"),
        description: text("description"),
        ..PlanForm::default()
    };
    let n = NewFinding {
        grade: kept.grade.clone(),
        clause: kept.clause.clone(),
        description: kept.description.clone(),
        files: form.files.into_iter().map(|f| f.upload("现场证据")).collect(),
    };
    match onsite::add_finding(state.store(), &user.principal, id, &n, &user.client).await {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}?done=finding")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_inspection(&state, &user, id, Failed { form: "finding", kept, errors }, "").await,
            Err(page) => page,
        },
    }
}

/// An evidence file, as stored.
async fn evidence_file(
    State(state): State<AppState>,
    user: PageUser,
    axum::extract::Path((finding, file)): axum::extract::Path<(String, String)>,
) -> Response {
    let (Ok(finding), Ok(file)) = (finding.parse::<i64>(), file.parse::<i64>()) else {
        return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    match onsite::evidence_file(state.store(), &user.principal, finding, file, &user.client).await {
        Ok(f) => crate::api::file_response(&f.name, f.content_type, f.sm3, f.bytes),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "supervision_sign.html")]
struct SignPage {
    chrome: Chrome,
    o: OnSite,
    signatures: Vec<yaolian_records::esign::SignatureView>,
    on_team: bool,
    names: Names,
    counts: Vec<(&'static str, usize)>,
    failed: Failed,
    done: &'static str,
}

impl OnSiteShows for SignPage {}

async fn render_sign(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let o = match onsite::get(store, &user.principal, id, &user.client).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
        Err(e) => return failure_page(user.lang, e),
    };
    let signatures = onsite::signatures(store, id).await.unwrap_or_default();
    let counts = onsite::GRADES
        .iter()
        .map(|(code, name)| (*name, o.findings.iter().filter(|f| f.grade == *code).count()))
        .collect();
    let mut chrome = user.chrome("plans");
    chrome.title = format!("现场签字 {}", o.inspection.number);
    let done = match done {
        "inspector" => "检查员已签名，请企业代表核对后签字",
        "company" => "企业代表已签字，现场检查记录完成",
        _ => "",
    };
    let names = Names::of_logins(state, o.team.iter().map(|m| m.username.as_str())).await;
    let refused = failed.refused();
    let on_team = onsite::on_team(&o, &user.principal);
    let page = SignPage { chrome, on_team, names, o, signatures, counts, failed, done };
    super::render_form(&page, refused)
}

async fn sign_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_sign(&state, &user, id, Failed::default(), &d.done).await
}

/// A signature on the on-site record: `who` is `inspector` (the viewer's password) or `company`
/// (the representative's login and password on this device).
async fn sign(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let (store, identity, p, c) = (state.store(), state.identity(), &user.principal, &user.client);
    let version = one("version").trim().parse::<i64>().unwrap_or(0);
    let (password, totp) = (one("password"), one("totp"));
    let totp = Some(totp.trim()).filter(|t| !t.is_empty());
    let who = one("who");
    let result = match who.as_str() {
        "inspector" => onsite::sign_inspector(store, identity, p, id, version, (&password, totp), c).await,
        "company" => {
            let rep = one("representative");
            onsite::sign_company(store, identity, p, id, version, &rep, (&password, totp), c).await
        }
        _ => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/supervision/inspections/{id}/sign?done={who}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let form: &'static str = if who == "company" { "company" } else { "inspector" };
                let kept = PlanForm { representative: one("representative"), ..PlanForm::default() };
                render_sign(&state, &user, id, Failed { form, kept, errors }, "").await
            }
            Err(page) => page,
        },
    }
}

/// Verifies a finding's rectification from the visit's page: passed, or sent back with a note.
async fn verify_capa(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(finding_id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if let Err(page) = user.check_csrf(&one("_csrf")) {
        return page;
    }
    let form = PlanForm { finding: finding_id.to_string(), ..form_of(&pairs) };
    let inspection: i64 = one("inspection").trim().parse().unwrap_or(0);
    let v = onsite::CapaVerification {
        passed: form.passed == "1",
        note: form.note.clone(),
        version: form.version.trim().parse().unwrap_or(0),
    };
    match onsite::verify_capa(state.store(), &user.principal, finding_id, &v, &user.client).await {
        Ok(f) => Redirect::to(&format!("/supervision/inspections/{}?done=verified", f.inspection_id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                let failed = Failed { form: "verify", kept: form, errors };
                render_inspection(&state, &user, inspection, failed, "").await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "supervision_report.html")]
struct ReportPage {
    chrome: Chrome,
    o: OnSite,
    signatures: Vec<yaolian_records::esign::SignatureView>,
    names: Names,
}

impl OnSiteShows for ReportPage {}

/// The inspection report (现场检查报告), printable: the on-site record, its findings with their
/// evidence hashes and rectification, the conclusion and the signatures.
async fn report_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let o = match onsite::get(store, p, id, c).await {
        Ok(Some(o)) => o,
        Ok(None) => {
            return super::error_page(user.lang, axum::http::StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"))
        }
        Err(e) => return failure_page(user.lang, e),
    };
    let signatures = onsite::signatures(store, id).await.unwrap_or_default();
    let names = Names::of_logins(&state, o.team.iter().map(|m| m.username.as_str())).await;
    super::render(&ReportPage { chrome: user.chrome("plans"), o, signatures, names })
}
