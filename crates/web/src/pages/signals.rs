//! 不良反应监测 pages: the signals a bureau's detection found (figures, the runs, filters, sort,
//! pages, export), a signal with its measures, its 2×2 table and its reports, decided or raised
//! as a risk case; the adverse reaction reports in scope (filters, pages, export), one report,
//! the form that submits one and the spreadsheet import.

use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::FieldError;
use yaolian_signals::adr::{self, NewDrug, NewEvent, NewReport, Report};
use yaolian_signals::detection::{self, Decision, Raise, Run, Signal};
use yaolian_signals::SignalError;

use super::{failure_page, PageUser};
use crate::api::IdPath;
use crate::AppState;

/// Rows per page.
const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signals", get(signals_page))
        .route("/signals.csv", get(export_signals))
        .route("/signals.xlsx", get(export_signals))
        .route("/signals/runs", post(run))
        .route("/signals/reports", get(reports_page).post(submit))
        .route("/signals/reports.csv", get(export_reports))
        .route("/signals/reports.xlsx", get(export_reports))
        .route(
            "/signals/reports/import",
            post(import).layer(DefaultBodyLimit::max(yaolian_registry::table::MAX_UPLOAD_BYTES + 64 * 1024)),
        )
        .route("/signals/reports/new", get(new_report))
        .route("/signals/reports/{id}", get(report_page))
        .route("/signals/{id}", get(signal_page))
        .route("/signals/{id}/{step}", post(signal_step))
}

fn field_label(field: &str) -> Option<String> {
    let bare = field.rsplit('.').next().unwrap_or(field);
    Some(
        match bare {
            "reporter_kind" => "报告单位类别",
            "sex" => "性别",
            "age" => "年龄",
            "onset_on" => "不良反应发生日期",
            "outcome" => "不良反应结果",
            "description" => "过程描述",
            "external_ref" => "报告编号",
            "generic" => "怀疑药品通用名",
            "approval_number" => "批准文号",
            "batch" => "生产批号",
            "role" => "药品类别",
            "term" => "不良反应名称",
            "verbatim" => "原始描述",
            "drugs" => "药品",
            "events" => "不良反应",
            "action" => "评价结论",
            "note" => "说明",
            "company_id" => "被处置企业",
            "file" => "文件",
            "reports" => "报告",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: SignalError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

fn zh(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map(|(_, z)| *z).unwrap_or("")
}

/// Labels the pages share.
trait Shows {
    fn signal_status(&self, code: &str) -> &'static str {
        zh(detection::STATUSES, code)
    }
    fn term_label(&self, code: &str) -> String {
        yaolian_signals::terms::zh(code).to_string()
    }
    fn soc_label(&self, code: &str) -> &'static str {
        yaolian_signals::terms::soc_zh(code)
    }
    fn methods_label(&self, methods: &str) -> String {
        detection::methods_zh(methods)
    }
    fn outcome_label(&self, code: &str) -> &'static str {
        zh(adr::OUTCOMES, code)
    }
    fn sex_label(&self, code: &str) -> &'static str {
        zh(adr::SEXES, code)
    }
    fn reporter_label(&self, code: &str) -> &'static str {
        zh(adr::REPORTER_KINDS, code)
    }
    fn role_label(&self, code: &str) -> &'static str {
        zh(adr::ROLES, code)
    }
    fn channel_label(&self, code: &str) -> &'static str {
        zh(adr::CHANNELS, code)
    }
    fn fig(&self, x: &f64) -> String {
        format!("{x:.2}")
    }
    fn fig_opt(&self, x: &Option<f64>) -> String {
        x.filter(|v| v.is_finite()).map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into())
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "new" => "warn",
            "case" => "danger",
            "refuted" => "",
            _ => "info",
        }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    only: String,
    #[serde(default)]
    drug: String,
    #[serde(default)]
    term: String,
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
        let e = |s: &str| urlencoding::encode(s).into_owned();
        format!(
            "status={}&q={}&sort={}&only={}&drug={}&term={}",
            e(&self.status),
            e(&self.q),
            e(&self.sort),
            e(&self.only),
            e(&self.drug),
            e(&self.term)
        )
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        !(self.status.is_empty() && self.q.is_empty() && self.only.is_empty() && self.drug.is_empty())
    }
    fn offset(&self) -> (i64, i64) {
        (PAGE_SIZE, (self.page() - 1) * PAGE_SIZE)
    }
}

fn pages(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

#[derive(Template)]
#[template(path = "signals.html")]
struct SignalsPage {
    chrome: super::Chrome,
    filter: Filter,
    list: Vec<Signal>,
    total: i64,
    pages: i64,
    runs: Vec<Run>,
    names: super::Names,
    can_run: bool,
    done: &'static str,
    statuses: &'static [(&'static str, &'static str)],
}

impl Shows for SignalsPage {}

async fn signals_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let f = detection::Filter { status: filter.status.clone(), q: filter.q.clone() };
    let (list, total) = match detection::list(store, p, &f, &filter.sort, filter.offset(), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let runs = detection::runs(store, p, c).await.unwrap_or_default();
    let names = super::Names::of_logins(&state, runs.iter().map(|r| r.ran_by.as_str())).await;
    let done = match filter.done.as_str() {
        "run" => "信号检测已完成",
        _ => "",
    };
    let page = SignalsPage {
        chrome: user.chrome("signals"),
        pages: pages(total),
        list,
        total,
        runs,
        names,
        can_run: p.org_kind().is_regulator() && p.reaches(perm::SIGNALS_MANAGE, p.org_path()),
        done,
        statuses: detection::STATUSES,
        filter,
    };
    super::render(&page)
}

async fn export_signals(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = detection::Filter { status: filter.status.clone(), q: filter.q.clone() };
    match detection::list(state.store(), &user.principal, &f, &filter.sort, (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "signals", format, detection::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

/// One-field forms: the CSRF token and what the form names.
#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    company: String,
}

async fn run(State(state): State<AppState>, user: PageUser, Form(f): Form<StepForm>) -> Response {
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    match detection::run(state.store(), &user.principal, &user.client).await {
        Ok(_) => Redirect::to("/signals?done=run").into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "signal.html")]
struct SignalPage {
    chrome: super::Chrome,
    s: Signal,
    /// a, b, c, d and N of the pair at the latest run.
    table: Option<yaolian_signals::stats::disproportionality::Table>,
    reports: Vec<Report>,
    report_total: i64,
    history: Vec<yaolian_store::RecordVersion>,
    names: super::Names,
    can_manage: bool,
    orgs: Vec<yaolian_identity::Org>,
    failed: super::Failed<StepForm>,
    done: &'static str,
}

impl Shows for SignalPage {}

impl SignalPage {
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "found" => "检出",
            "measure" => "重新计算",
            "watch" => "继续观察",
            "refute" => "排除",
            "raise" => "转风险处置",
            _ => "变更",
        }
    }
    /// Whether a method flags the signal now.
    fn flagged(&self, method: &str) -> bool {
        self.s.methods.split(',').any(|m| m == method)
    }
}

async fn render_signal(
    state: &AppState,
    user: &PageUser,
    id: i64,
    failed: super::Failed<StepForm>,
    done: &str,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let s = match detection::get(store, p, id, c).await {
        Ok(s) => s,
        Err(e) => return failure_page(user.lang, e),
    };
    let pair = adr::Filter { drug: s.drug.clone(), term: s.term.clone(), ..adr::Filter::default() };
    let (reports, report_total) = adr::list(store, p, &pair, (PAGE_SIZE, 0), c).await.unwrap_or_default();
    let table = adr::counts(store, p, c).await.ok().and_then(|counts| {
        detection::measure(&counts, &s.drug, &s.term, None, false).and_then(|m| {
            yaolian_signals::stats::disproportionality::Table::from_margins(m.n, m.n_drug, m.n_term, m.total)
        })
    });
    let history =
        yaolian_store::versions::history(store.pool(), detection::ENTITY, &id.to_string()).await.unwrap_or_default();
    let names = super::Names::of_logins(state, history.iter().map(|v| v.actor.as_str())).await;
    let can_manage = detection::may_manage(p, &s) && ["new", "watch"].contains(&s.status.as_str());
    let orgs = if can_manage {
        super::org_picks(state, user, Some(yaolian_access::OrgKind::Company)).await
    } else {
        Vec::new()
    };
    let mut chrome = user.chrome("signals");
    chrome.title = format!("{} {} — {}", s.number, s.drug, s.term_zh);
    let done = match done {
        "decided" => "评价结论已记录",
        "raised" => "已转风险处置",
        _ => "",
    };
    let refused = failed.refused();
    let page = SignalPage { chrome, s, table, reports, report_total, history, names, can_manage, orgs, failed, done };
    super::render_form(&page, refused)
}

async fn signal_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(f): Query<Filter>,
) -> Response {
    render_signal(&state, &user, id, super::Failed::default(), &f.done).await
}

async fn signal_step(
    State(state): State<AppState>,
    user: PageUser,
    Path((id, step)): Path<(String, String)>,
    Form(f): Form<StepForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found"));
    };
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (form, result) = match step.as_str() {
        "decision" => {
            let d = Decision { action: f.action.clone(), note: f.note.clone() };
            ("decision", detection::decide(store, p, id, &d, c).await.map(|_| "decided"))
        }
        "case" => {
            let company_id = if f.company.trim().is_empty() {
                None
            } else {
                let company = Some(yaolian_access::OrgKind::Company);
                match super::picked_org(&state, &user, "company_id", &f.company, company).await {
                    Ok(id) => Some(id),
                    Err(Ok(errors)) => {
                        let failed = super::Failed { form: "case", kept: f, errors };
                        return render_signal(&state, &user, id, failed, "").await;
                    }
                    Err(Err(page)) => return page,
                }
            };
            let r = Raise { company_id, note: f.note.clone() };
            ("case", detection::raise_case(store, p, id, &r, c).await.map(|_| "raised"))
        }
        _ => return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found")),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/signals/{id}?done={done}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_signal(&state, &user, id, super::Failed { form, kept: f, errors }, "").await,
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "signal_reports.html")]
struct ReportsPage {
    chrome: super::Chrome,
    filter: Filter,
    list: Vec<Report>,
    total: i64,
    pages: i64,
    can_report: bool,
    done: String,
    failed: super::Failed<ReportForm>,
    columns: Vec<&'static str>,
}

impl Shows for ReportsPage {}

async fn render_reports(
    state: &AppState,
    user: &PageUser,
    filter: Filter,
    failed: super::Failed<ReportForm>,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let f = adr::Filter {
        q: filter.q.clone(),
        only: filter.only.clone(),
        drug: filter.drug.clone(),
        term: filter.term.clone(),
    };
    let (list, total) = match adr::list(store, p, &f, filter.offset(), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let done = match filter.done.as_str() {
        "" => String::new(),
        n => format!("已导入 {} 份报告", n.parse::<u64>().unwrap_or(0)),
    };
    let refused = failed.refused();
    let page = ReportsPage {
        chrome: user.chrome("adr"),
        pages: pages(total),
        list,
        total,
        can_report: p.has(perm::SIGNALS_REPORT),
        done,
        failed,
        columns: adr::IMPORT_COLUMNS.iter().map(|(zh, _)| *zh).collect(),
        filter,
    };
    super::render_form(&page, refused)
}

async fn reports_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_reports(&state, &user, filter, super::Failed::default()).await
}

async fn export_reports(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    let f = adr::Filter {
        q: filter.q.clone(),
        only: filter.only.clone(),
        drug: filter.drug.clone(),
        term: filter.term.clone(),
    };
    match adr::list(state.store(), &user.principal, &f, (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "adr_reports", format, adr::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

async fn import(State(state): State<AppState>, user: PageUser, form: axum::extract::Multipart) -> Response {
    let form = match super::multipart_form(&user, form).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let Some(file) = form.files.into_iter().next() else {
        let errors = vec![FieldError::new("file", "required", "请选择要导入的文件")];
        return render_reports(
            &state,
            &user,
            Filter::default(),
            super::Failed { form: "import", kept: ReportForm::default(), errors },
        )
        .await;
    };
    match adr::import(state.store(), &user.principal, file.bytes, &user.client).await {
        Ok(done) => Redirect::to(&format!("/signals/reports?done={}", done.created.len())).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_reports(
                    &state,
                    &user,
                    Filter::default(),
                    super::Failed { form: "import", kept: ReportForm::default(), errors },
                )
                .await
            }
            Err(page) => page,
        },
    }
}

/// The report form's fields, kept to fill a refused form again (one suspected drug, one
/// concomitant, up to three events).
#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    external_ref: String,
    #[serde(default)]
    reporter_kind: String,
    #[serde(default)]
    novel: String,
    #[serde(default)]
    serious: String,
    #[serde(default)]
    sex: String,
    #[serde(default)]
    age: String,
    #[serde(default)]
    onset_on: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    generic: String,
    #[serde(default)]
    approval_number: String,
    #[serde(default)]
    batch: String,
    #[serde(default)]
    concomitant: String,
    #[serde(default)]
    term1: String,
    #[serde(default)]
    term2: String,
    #[serde(default)]
    term3: String,
}

#[derive(Template)]
#[template(path = "signal_report_form.html")]
struct ReportFormPage {
    chrome: super::Chrome,
    failed: super::Failed<ReportForm>,
    terms: &'static [yaolian_signals::terms::Term],
    reporter_kinds: &'static [(&'static str, &'static str)],
    sexes: &'static [(&'static str, &'static str)],
    outcomes: &'static [(&'static str, &'static str)],
}

impl Shows for ReportFormPage {}

fn render_form_page(user: &PageUser, failed: super::Failed<ReportForm>) -> Response {
    let refused = failed.refused();
    let mut chrome = user.chrome("adr");
    chrome.title = "上报药品不良反应".into();
    let page = ReportFormPage {
        chrome,
        failed,
        terms: yaolian_signals::terms::TERMS,
        reporter_kinds: adr::REPORTER_KINDS,
        sexes: adr::SEXES,
        outcomes: adr::OUTCOMES,
    };
    super::render_form(&page, refused)
}

async fn new_report(user: PageUser) -> Response {
    render_form_page(&user, super::Failed::default())
}

async fn submit(State(state): State<AppState>, user: PageUser, Form(f): Form<ReportForm>) -> Response {
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    let age = match f.age.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(a) => Some(a),
            Err(_) => {
                let errors = vec![FieldError::new("age", "integer", "年龄：请填写整数（岁）")];
                return render_form_page(&user, super::Failed { form: "report", kept: f, errors });
            }
        },
    };
    let mut drugs = vec![NewDrug {
        generic: f.generic.clone(),
        approval_number: f.approval_number.clone(),
        batch: f.batch.clone(),
        role: "suspected".into(),
    }];
    if !f.concomitant.trim().is_empty() {
        drugs.push(NewDrug { generic: f.concomitant.clone(), role: "concomitant".into(), ..NewDrug::default() });
    }
    let events = [&f.term1, &f.term2, &f.term3]
        .into_iter()
        .filter(|t| !t.trim().is_empty())
        .map(|t| NewEvent { term: t.clone(), verbatim: String::new() })
        .collect();
    let n = NewReport {
        external_ref: f.external_ref.clone(),
        reporter_kind: f.reporter_kind.clone(),
        novel: f.novel == "1",
        serious: f.serious == "1",
        sex: f.sex.clone(),
        age,
        onset_on: f.onset_on.clone(),
        outcome: f.outcome.clone(),
        description: f.description.clone(),
        drugs,
        events,
    };
    match adr::submit(state.store(), &user.principal, &n, "form", &user.client).await {
        Ok(r) => Redirect::to(&format!("/signals/reports/{}?done=submitted", r.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_form_page(&user, super::Failed { form: "report", kept: f, errors }),
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "signal_report.html")]
struct ReportPage {
    chrome: super::Chrome,
    r: Report,
    history: Vec<yaolian_store::RecordVersion>,
    names: super::Names,
    done: &'static str,
}

impl Shows for ReportPage {}

async fn report_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(f): Query<Filter>,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let r = match adr::get(store, p, id, c).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let history =
        yaolian_store::versions::history(store.pool(), adr::ENTITY, &id.to_string()).await.unwrap_or_default();
    let names = super::Names::of_logins(&state, history.iter().map(|v| v.actor.as_str())).await;
    let mut chrome = user.chrome("adr");
    chrome.title = format!("不良反应报告 {}", r.number);
    let done = if f.done == "submitted" { "报告已提交" } else { "" };
    super::render(&ReportPage { chrome, r, history, names, done })
}
