//! 抽检 pages: the bureau's sampling plans and the form to make one; a plan with its tasks by
//! state (chart), filters, pages and export; a sample with what its state asks for next — the
//! team, the sample taken, the handover and receipt with the seal checked, the results with
//! their comparison, the signed report — and its custody, disposal links and history.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_supervision::sampling::{self, Comparison, Handover, NewPlan, Results, Sample, SamplingPlan, Taken};
use yaolian_supervision::sampling::{TestItem, CUSTODY, STATUSES, VERDICTS};
use yaolian_supervision::{risk, SupervisionError};

use super::{failure_page, Chrome, Names, PageUser};
use crate::api::IdPath;
use crate::AppState;

/// Samples per page.
const PAGE_SIZE: i64 = 50;
/// Result rows a results form offers.
const ROWS: usize = 8;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/supervision/sampling", get(plans_page).post(create))
        .route("/supervision/sampling/{id}", get(plan_page))
        .route("/supervision/sampling/{id}/samples.csv", get(export))
        .route("/supervision/sampling/{id}/samples.xlsx", get(export))
        .route("/supervision/samples/{id}", get(sample_page))
        .route("/supervision/samples/{id}/assign", post(assign))
        .route("/supervision/samples/{id}/take", post(take))
        .route("/supervision/samples/{id}/handover", post(hand_over))
        .route("/supervision/samples/{id}/receive", post(receive))
        .route("/supervision/samples/{id}/results", post(results))
        .route("/supervision/samples/{id}/report", post(report))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "year" => "计划年度",
            "title" => "计划名称",
            "basis" => "抽检依据",
            "quota" => "抽检批次数",
            "classes" => "品种类别",
            "levels" => "风险等级",
            "members" => "抽样人员",
            "batch" => "批号",
            "quantity" => "抽样数量",
            "place" => "地点",
            "seal" => "封签编号",
            "to" => "移交给",
            "note" => "说明",
            "seal_intact" => "封签",
            "items" => "检验项目",
            "conclusion" => "检验结论",
            "password" => "登录密码",
            "totp" => "动态验证码",
            f if f.starts_with("classes[") => "品种类别",
            f if f.starts_with("levels[") => "风险等级",
            f if f.starts_with("members[") => "抽样人员",
            f if f.starts_with("items[") => "检验项目",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: SupervisionError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// Every form's fields, kept to fill a refused form again.
#[derive(Default, Clone)]
pub struct SampleForm {
    year: String,
    title: String,
    basis: String,
    quota: String,
    classes: Vec<String>,
    levels: Vec<String>,
    members: Vec<String>,
    batch: String,
    quantity: String,
    place: String,
    seal: String,
    to: String,
    note: String,
    seal_intact: bool,
    conclusion: String,
    version: i64,
    items: Vec<TestItem>,
}

type Failed = super::Failed<SampleForm>;

/// The form a page posted, once its CSRF token checks.
fn posted(user: &PageUser, pairs: &[(String, String)]) -> Result<SampleForm, Response> {
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let all = |name: &str| pairs.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    user.check_csrf(&one("_csrf"))?;
    let items = (0..ROWS)
        .map(|n| TestItem {
            item: one(&format!("item.{n}")),
            unit: one(&format!("unit.{n}")),
            low: one(&format!("low.{n}")),
            high: one(&format!("high.{n}")),
            value: one(&format!("value.{n}")),
            verdict: String::new(),
        })
        .collect();
    Ok(SampleForm {
        year: one("year"),
        title: one("title"),
        basis: one("basis"),
        quota: one("quota"),
        classes: all("classes"),
        levels: all("levels"),
        members: all("members"),
        batch: one("batch"),
        quantity: one("quantity"),
        place: one("place"),
        seal: one("seal"),
        to: one("to"),
        note: one("note"),
        seal_intact: one("seal_intact") == "1",
        conclusion: one("conclusion"),
        version: one("version").trim().parse().unwrap_or(0),
        items,
    })
}

trait Shows {
    fn level_label(&self, code: &str) -> &'static str {
        if code.is_empty() {
            "未评分"
        } else {
            risk::level_zh(code)
        }
    }
    fn status_label(&self, code: &str) -> &'static str {
        sampling::zh(STATUSES, code)
    }
    fn verdict_label(&self, code: &str) -> &'static str {
        sampling::zh(VERDICTS, code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "high" | "failed" | "fail" => "danger",
            "medium" | "tested" | "received" | "sampled" => "warn",
            "low" | "passed" | "pass" => "ok",
            _ => "",
        }
    }
}

#[derive(Template)]
#[template(path = "supervision_sampling.html")]
struct PlansPage {
    chrome: Chrome,
    plans: Vec<SamplingPlan>,
    names: Names,
    can_create: bool,
    classes: Vec<(String, String)>,
    levels: &'static [(&'static str, &'static str)],
    year: i64,
    failed: Failed,
}

impl Shows for PlansPage {}

impl PlansPage {
    fn count_of(&self, plan: &SamplingPlan, status: &str) -> i64 {
        plan.counts.iter().filter(|(c, _)| c == status).map(|(_, n)| *n).sum()
    }
    fn total_of(&self, plan: &SamplingPlan) -> i64 {
        plan.counts.iter().map(|(_, n)| *n).sum()
    }
    fn class_names(&self, plan: &SamplingPlan) -> String {
        if plan.classes.is_empty() {
            return "全部品种".into();
        }
        let names: Vec<&str> = plan
            .classes
            .iter()
            .map(|c| self.classes.iter().find(|(code, _)| code == c).map_or(c.as_str(), |(_, n)| n.as_str()))
            .collect();
        names.join("、")
    }
    fn ticked(&self, list: &[String], code: &str) -> bool {
        list.iter().any(|c| c == code)
    }
}

async fn render_plans(state: &AppState, user: &PageUser, failed: Failed) -> Response {
    let list = match sampling::plans(state.store(), &user.principal, &user.client).await {
        Ok(l) => l,
        Err(e) => return failure_page(user.lang, e),
    };
    let names = Names::of_logins(state, list.iter().map(|p| p.created_by.as_str())).await;
    let model = yaolian_supervision::models::current(state.store(), &user.principal, &user.client).await;
    let classes = model.map(|m| m.model.classes.iter().map(|c| (c.code.clone(), c.name.clone())).collect());
    use chrono::Datelike;
    let refused = failed.refused();
    let page = PlansPage {
        chrome: user.chrome("sampling"),
        plans: list,
        names,
        can_create: user.principal.has(perm::SUPERVISION_MANAGE),
        classes: classes.unwrap_or_default(),
        levels: risk::LEVELS,
        year: i64::from(yaolian_core::Timestamp::now().china_date().year()),
        failed,
    };
    super::render_form(&page, refused)
}

async fn plans_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_plans(&state, &user, Failed::default()).await
}

/// A number a form sent, or a refusal under the field's label.
fn number(field: &str, text: &str) -> Result<i64, Vec<FieldError>> {
    text.trim().parse::<i64>().map_err(|_| {
        let label = field_label(field).unwrap_or_default();
        vec![FieldError::new(field, "integer", format!("{label}：请填写数字"))]
    })
}

async fn create(State(state): State<AppState>, user: PageUser, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let form = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let refuse = |errors: Vec<FieldError>, kept: SampleForm| Failed { form: "create", kept, errors };
    let numbers = number("year", &form.year).and_then(|y| number("quota", &form.quota).map(|q| (y, q)));
    let (year, quota) = match numbers {
        Ok(x) => x,
        Err(errors) => return render_plans(&state, &user, refuse(errors, form)).await,
    };
    let new = NewPlan {
        year,
        title: form.title.clone(),
        basis: form.basis.clone(),
        classes: form.classes.clone(),
        levels: form.levels.clone(),
        quota,
    };
    match sampling::create_plan(state.store(), &user.principal, &new, &user.client).await {
        Ok(plan) => Redirect::to(&format!("/supervision/sampling/{}?done=created", plan.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_plans(&state, &user, refuse(errors, form)).await,
            Err(page) => page,
        },
    }
}

#[derive(Deserialize, Default)]
pub struct Filter {
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
        format!("status={}&q={}", urlencoding::encode(&self.status), urlencoding::encode(&self.q))
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        !self.status.is_empty() || !self.q.is_empty()
    }
    fn domain(&self) -> sampling::Filter {
        sampling::Filter { status: self.status.clone(), q: self.q.clone() }
    }
}

#[derive(Template)]
#[template(path = "supervision_sampling_plan.html")]
struct PlanPage {
    chrome: Chrome,
    plan: SamplingPlan,
    chart: String,
    samples: Vec<Sample>,
    total: i64,
    pages: i64,
    filter: Filter,
    names: Names,
    statuses: &'static [(&'static str, &'static str)],
    done: &'static str,
}

impl Shows for PlanPage {}

async fn plan_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(filter): Query<Filter>,
) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let plan = match sampling::plan(store, p, id, c).await {
        Ok(plan) => plan,
        Err(e) => return failure_page(user.lang, e),
    };
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (samples, total) = match sampling::samples_of(store, p, id, &filter.domain(), (PAGE_SIZE, offset), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let chart = serde_json::json!({
        "x": plan.counts.iter().map(|(code, _)| sampling::zh(STATUSES, code)).collect::<Vec<_>>(),
        "series": [{"name": "批次", "data": plan.counts.iter().map(|(_, n)| n).collect::<Vec<_>>()}],
        "colors": ["#2e90fa"],
    })
    .to_string();
    let names = Names::of_logins(&state, [plan.created_by.as_str()]).await;
    let done = if filter.done == "created" { "抽检计划已制定，请派发抽样任务" } else { "" };
    let mut chrome = user.chrome("sampling");
    chrome.title = plan.title.clone();
    let page = PlanPage {
        chrome,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        plan,
        chart,
        samples,
        total,
        filter,
        names,
        statuses: STATUSES,
        done,
    };
    super::render(&page)
}

async fn export(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = filter.domain();
    match sampling::samples_of(state.store(), &user.principal, id, &f, (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "sampling-plan", format, sampling::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "supervision_sample.html")]
struct SamplePage {
    chrome: Chrome,
    s: Sample,
    plan_title: String,
    history: Vec<yaolian_store::RecordVersion>,
    signatures: Vec<yaolian_records::esign::SignatureView>,
    comparison: Vec<Comparison>,
    names: Names,
    /// The bureau's officers, as (login, name).
    officers: Vec<(String, String)>,
    can_manage: bool,
    /// The viewer's login.
    me: String,
    failed: Failed,
    done: &'static str,
}

impl Shows for SamplePage {}

impl SamplePage {
    fn me(&self) -> &str {
        &self.me
    }
    fn on_team(&self) -> bool {
        self.s.team.iter().any(|m| m == self.me())
    }
    fn holds(&self) -> bool {
        self.s.holder() == Some(self.me())
    }
    fn may_assign(&self) -> bool {
        self.can_manage && (self.s.status == "planned" || self.s.status == "assigned")
    }
    fn may_take(&self) -> bool {
        self.s.status == "assigned" && self.on_team()
    }
    fn may_hand_over(&self) -> bool {
        self.s.status == "sampled" && self.holds()
    }
    fn may_receive(&self) -> bool {
        self.can_manage && self.s.status == "sampled" && (self.holds() || !self.on_team())
    }
    fn may_test(&self) -> bool {
        self.can_manage && (self.s.status == "received" || self.s.status == "tested")
    }
    fn may_report(&self) -> bool {
        self.can_manage && self.s.status == "tested" && self.s.tested_by.as_deref() != Some(self.me())
    }
    fn custody_label(&self, code: &str) -> &'static str {
        sampling::zh(CUSTODY, code)
    }
    fn picked(&self, login: &str) -> bool {
        let kept = self.failed.kept("assign").members;
        if self.failed.form == "assign" {
            kept.iter().any(|m| m == login)
        } else {
            self.s.team.iter().any(|m| m == login)
        }
    }
    /// The results form's rows: what a refused form sent, else what is recorded, else the usual
    /// items to start from.
    fn rows(&self) -> Vec<TestItem> {
        let blank = |item: &str, unit: &str| TestItem {
            item: item.into(),
            unit: unit.into(),
            low: String::new(),
            high: String::new(),
            value: String::new(),
            verdict: String::new(),
        };
        let mut rows = if self.failed.form == "results" {
            self.failed.kept.items.clone()
        } else if !self.s.results.is_empty() {
            self.s.results.clone()
        } else {
            vec![blank("性状", ""), blank("鉴别", ""), blank("含量测定", "%")]
        };
        rows.resize_with(ROWS, || blank("", ""));
        rows
    }
    fn figure(&self, v: &Option<f64>) -> String {
        v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into())
    }
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "plan" => "列入抽检计划",
            "assign" => "派发任务",
            "sample" => "抽样",
            "handover" => "移交",
            "receive" => "收样",
            "test" => "录入检验结果",
            "report" => "签发检验报告",
            _ => "变更",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn render_sample(state: &AppState, user: &PageUser, id: i64, failed: Failed, done: &str) -> Response {
    let store = state.store();
    let (p, c) = (&user.principal, &user.client);
    let s = match sampling::get(store, p, id, c).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let plan_title = sampling::plan(store, p, s.plan_id, c).await.map(|x| x.title).unwrap_or_default();
    let history =
        yaolian_store::versions::history(store.pool(), sampling::ENTITY, &s.id.to_string()).await.unwrap_or_default();
    let signatures = sampling::signatures(store, s.id).await.unwrap_or_default();
    let comparison =
        if s.results.is_empty() { Vec::new() } else { sampling::compare(store, &s).await.unwrap_or_default() };
    let bureau = yaolian_identity::orgs::path_of(store, "org_id", s.org_id).await.unwrap_or_default();
    let can_manage = !bureau.is_empty() && p.reaches(perm::SUPERVISION_MANAGE, &bureau);
    let officers = if can_manage { sampling::officers(store, &s).await.unwrap_or_default() } else { Vec::new() };
    let mut logins: Vec<&str> = history.iter().map(|v| v.actor.as_str()).collect();
    logins.extend(s.team.iter().map(String::as_str));
    logins.extend(s.custody.iter().map(|k| k.holder.as_str()));
    logins.extend(s.tested_by.as_deref());
    let names = Names::of_logins(state, logins).await;
    let mut chrome = user.chrome("sampling");
    chrome.title = format!("{} {}", s.number, s.product_name);
    let done = match done {
        "assigned" => "抽样任务已派发",
        "taken" => "已抽样并封存，样品由您持有",
        "handed" => "样品已移交",
        "received" => "已收样，封签完好",
        "tested" => "检验结果已保存，待他人审核签发报告",
        "passed" => "检验报告已签发：合格",
        "failed" => "检验报告已签发：不合格。已立风险处置案件并责令召回该批次",
        _ => "",
    };
    let refused = failed.refused();
    let page = SamplePage {
        chrome,
        s,
        plan_title,
        history,
        signatures,
        comparison,
        names,
        officers,
        can_manage,
        me: p.username().to_string(),
        failed,
        done,
    };
    super::render_form(&page, refused)
}

async fn sample_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(d): Query<Done>,
) -> Response {
    render_sample(&state, &user, id, Failed::default(), &d.done).await
}

/// Answers a sample form's step: to the page with `done` on success, the page with the form
/// refused in place otherwise.
async fn answer(
    state: &AppState,
    user: &PageUser,
    id: i64,
    (name, form): (&'static str, SampleForm),
    result: Result<Sample, SupervisionError>,
    done: &str,
) -> Response {
    match result {
        Ok(s) => {
            let done = if name == "report" { s.status.as_str() } else { done };
            Redirect::to(&format!("/supervision/samples/{id}?done={done}")).into_response()
        }
        Err(e) => match refusals(user, e) {
            Ok(errors) => render_sample(state, user, id, Failed { form: name, kept: form, errors }, "").await,
            Err(page) => page,
        },
    }
}

macro_rules! step {
    ($fn_name:ident, $form:literal, $done:literal, |$state:ident, $user:ident, $id:ident, $f:ident| $call:expr) => {
        async fn $fn_name(
            State($state): State<AppState>,
            $user: PageUser,
            IdPath($id): IdPath,
            Form(pairs): Form<Vec<(String, String)>>,
        ) -> Response {
            let $f = match posted(&$user, &pairs) {
                Ok(f) => f,
                Err(page) => return page,
            };
            let result = $call;
            answer(&$state, &$user, $id, ($form, $f), result, $done).await
        }
    };
}

step!(assign, "assign", "assigned", |state, user, id, f| {
    sampling::assign(state.store(), &user.principal, id, &f.members, f.version, &user.client).await
});

step!(take, "take", "taken", |state, user, id, f| {
    let t = Taken {
        batch: f.batch.clone(),
        quantity: f.quantity.clone(),
        place: f.place.clone(),
        seal: f.seal.clone(),
        version: f.version,
    };
    sampling::take(state.store(), &user.principal, id, &t, &user.client).await
});

fn handover_of(f: &SampleForm) -> Handover {
    Handover {
        to: f.to.clone(),
        place: f.place.clone(),
        note: f.note.clone(),
        seal_intact: f.seal_intact,
        version: f.version,
    }
}

step!(hand_over, "handover", "handed", |state, user, id, f| {
    sampling::hand_over(state.store(), &user.principal, id, &handover_of(&f), &user.client).await
});

step!(receive, "receive", "received", |state, user, id, f| {
    sampling::receive(state.store(), &user.principal, id, &handover_of(&f), &user.client).await
});

step!(results, "results", "tested", |state, user, id, f| {
    let blank = |i: &&TestItem| [&i.value, &i.low, &i.high].iter().all(|v| v.trim().is_empty());
    let items: Vec<TestItem> = f.items.iter().filter(|i| !blank(i)).cloned().collect();
    let r = Results { items, conclusion: f.conclusion.clone(), version: f.version };
    sampling::record_results(state.store(), &user.principal, id, &r, &user.client).await
});

async fn report(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = match posted(&user, &pairs) {
        Ok(f) => f,
        Err(page) => return page,
    };
    let one = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let (password, totp) = (one("password"), one("totp"));
    let totp = Some(totp.trim()).filter(|t| !t.is_empty());
    let signed = sampling::sign_report(
        state.store(),
        state.identity(),
        &user.principal,
        id,
        f.version,
        (&password, totp),
        &user.client,
    );
    let result = signed.await;
    answer(&state, &user, id, ("report", f), result, "").await
}
