//! 生产黑匣子 pages: the production lines in scope with their open warnings and the warnings list
//! (filters, pages, export); a line's live page, its parameters' control charts for a batch
//! (values with limits and Nelson breaches, ranges, EWMA, CUSUM) and capability, refreshed as
//! points come; a warning, decided or raised as a risk case. A company defines its lines and
//! parameters here; its systems send the points over the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_access::perm;
use yaolian_core::{FieldError, Timestamp};
use yaolian_signals::blackbox::{self, Chart, Line, NewLine, NewParameter, Warning};
use yaolian_signals::detection::{Decision, Raise};
use yaolian_signals::SignalError;

use super::{failure_page, PageUser};
use crate::api::IdPath;
use crate::AppState;

const PAGE_SIZE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signals/blackbox", get(lines_page).post(create_line))
        .route("/signals/blackbox/warnings.csv", get(export_warnings))
        .route("/signals/blackbox/warnings.xlsx", get(export_warnings))
        .route("/signals/blackbox/lines/{id}", get(line_page))
        .route("/signals/blackbox/lines/{id}/parameters", post(add_parameter))
        .route("/signals/blackbox/warnings/{id}", get(warning_page))
        .route("/signals/blackbox/warnings/{id}/{step}", post(warning_step))
}

fn field_label(field: &str) -> Option<String> {
    Some(
        match field {
            "code" => "编码",
            "name" => "名称",
            "product" => "产品",
            "unit" => "单位",
            "subgroup" => "每次取样数",
            "center" => "控制中心值",
            "sigma" => "标准差",
            "lsl" => "规格下限",
            "usl" => "规格上限",
            "action" => "处置结论",
            "note" => "说明",
            _ => return None,
        }
        .to_string(),
    )
}

fn refusals(user: &PageUser, e: SignalError) -> Result<Vec<FieldError>, Response> {
    super::domain_refusals(user.lang, e.zh(), e.code(), e, field_label)
}

/// Labels the pages share.
trait Shows {
    fn status_label(&self, code: &str) -> &'static str {
        yaolian_supervision::plans::zh(blackbox::STATUSES, code)
    }
    fn tone(&self, code: &str) -> &'static str {
        match code {
            "new" => "warn",
            "case" => "danger",
            "refuted" => "",
            _ => "info",
        }
    }
    fn at(&self, ms: &i64) -> String {
        Timestamp(*ms).to_china_string()
    }
    fn at_opt(&self, ms: &Option<i64>) -> String {
        ms.map(|m| Timestamp(m).to_china_string()).unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct Filter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    done: String,
    #[serde(default)]
    batch: String,
}

impl Filter {
    fn page(&self) -> i64 {
        self.page.parse::<i64>().unwrap_or(1).max(1)
    }
    fn query(&self) -> String {
        let e = |s: &str| urlencoding::encode(s).into_owned();
        format!("status={}&q={}", e(&self.status), e(&self.q))
    }
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        format!("?{}&page={}", self.query(), page.borrow())
    }
    fn filtered(&self) -> bool {
        !(self.status.is_empty() && self.q.is_empty())
    }
    fn domain(&self) -> blackbox::Filter {
        blackbox::Filter { status: self.status.clone(), line: None, q: self.q.clone() }
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct LineForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    product: String,
}

#[derive(Template)]
#[template(path = "blackbox.html")]
struct LinesPage {
    chrome: super::Chrome,
    filter: Filter,
    lines: Vec<Line>,
    list: Vec<Warning>,
    total: i64,
    pages: i64,
    can_define: bool,
    done: &'static str,
    failed: super::Failed<LineForm>,
    statuses: &'static [(&'static str, &'static str)],
}

impl Shows for LinesPage {}

async fn render_lines(state: &AppState, user: &PageUser, filter: Filter, failed: super::Failed<LineForm>) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let lines = match blackbox::lines(store, p, "", (200, 0), c).await {
        Ok((lines, _)) => lines,
        Err(e) => return failure_page(user.lang, e),
    };
    let offset = (filter.page() - 1) * PAGE_SIZE;
    let (list, total) = match blackbox::warnings(store, p, &filter.domain(), (PAGE_SIZE, offset), c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let done = match filter.done.as_str() {
        "line" => "生产线已登记",
        _ => "",
    };
    let refused = failed.refused();
    let page = LinesPage {
        chrome: user.chrome("blackbox"),
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        lines,
        list,
        total,
        can_define: !p.org_kind().is_regulator() && p.has(perm::SIGNALS_REPORT),
        done,
        failed,
        statuses: blackbox::STATUSES,
        filter,
    };
    super::render_form(&page, refused)
}

async fn lines_page(State(state): State<AppState>, user: PageUser, Query(filter): Query<Filter>) -> Response {
    render_lines(&state, &user, filter, super::Failed::default()).await
}

async fn create_line(State(state): State<AppState>, user: PageUser, Form(f): Form<LineForm>) -> Response {
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    let new = NewLine { code: f.code.clone(), name: f.name.clone(), product: f.product.clone() };
    match blackbox::create_line(state.store(), &user.principal, &new, &user.client).await {
        Ok(line) => Redirect::to(&format!("/signals/blackbox/lines/{}?done=line", line.id)).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_lines(&state, &user, Filter::default(), super::Failed { form: "line", kept: f, errors }).await
            }
            Err(page) => page,
        },
    }
}

async fn export_warnings(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<Filter>,
) -> Response {
    match blackbox::warnings(state.store(), &user.principal, &filter.domain(), (10_000, 0), &user.client).await {
        Ok((list, _)) => super::export::send(&state, &user, "warnings", format, blackbox::table(&list)).await,
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ParameterForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    subgroup: String,
    #[serde(default)]
    center: String,
    #[serde(default)]
    sigma: String,
    #[serde(default)]
    lsl: String,
    #[serde(default)]
    usl: String,
}

#[derive(Template)]
#[template(path = "blackbox_line.html")]
struct LinePage {
    chrome: super::Chrome,
    line: Line,
    batch: String,
    batches: Vec<String>,
    charts: Vec<Chart>,
    /// The charts as the page's script reads them (JSON).
    charts_json: String,
    warnings: Vec<Warning>,
    can_define: bool,
    done: &'static str,
    failed: super::Failed<ParameterForm>,
}

impl Shows for LinePage {}

impl LinePage {
    fn cap(&self, c: &Chart) -> [(String, String); 4] {
        let f = |x: Option<f64>| x.filter(|v| v.is_finite()).map(|v| format!("{v:.2}")).unwrap_or_else(|| "—".into());
        let cap = c.capability;
        [
            ("Cp".into(), f(cap.and_then(|k| k.cp))),
            ("Cpk".into(), f(cap.map(|k| k.cpk))),
            ("Pp".into(), f(cap.and_then(|k| k.pp))),
            ("Ppk".into(), f(cap.map(|k| k.ppk))),
        ]
    }
    fn limit(&self, x: &Option<f64>) -> String {
        x.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
    }
    fn chart_kind(&self, c: &Chart) -> &'static str {
        if c.subgroup > 1 {
            "均值—极差图"
        } else {
            "单值—移动极差图"
        }
    }
}

async fn render_line(
    state: &AppState,
    user: &PageUser,
    id: i64,
    batch: &str,
    failed: super::Failed<ParameterForm>,
    done: &str,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let (line, batches, charts) = match blackbox::charts(store, p, id, batch, c).await {
        Ok(x) => x,
        Err(e) => return failure_page(user.lang, e),
    };
    let filter = blackbox::Filter { line: Some(id), ..blackbox::Filter::default() };
    let warnings = blackbox::warnings(store, p, &filter, (20, 0), c).await.map(|x| x.0).unwrap_or_default();
    let batch = charts.first().map(|c| c.batch.clone()).unwrap_or_default();
    let charts_json = serde_json::to_string(&charts).unwrap_or_else(|_| "[]".into());
    let mut chrome = user.chrome("blackbox");
    chrome.title = format!("{} {}", line.org_name, line.name);
    let can_define = !p.org_kind().is_regulator() && p.has(perm::SIGNALS_REPORT) && line.org_id == p.org_id();
    let done = match done {
        "line" => "生产线已登记，请添加关键工艺参数",
        "parameter" => "参数已添加",
        _ => "",
    };
    let refused = failed.refused();
    let page = LinePage { chrome, line, batch, batches, charts, charts_json, warnings, can_define, done, failed };
    super::render_form(&page, refused)
}

async fn line_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(f): Query<Filter>,
) -> Response {
    render_line(&state, &user, id, &f.batch, super::Failed::default(), &f.done).await
}

/// A number a form field holds: `None` when empty, the field's refusal when not a number.
fn number(field: &str, text: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(FieldError::new(
                field,
                "number",
                format!("{}：请填写数字", field_label(field).unwrap_or_default()),
            ));
            None
        }
    }
}

async fn add_parameter(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(f): Form<ParameterForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&f._csrf) {
        return page;
    }
    let mut errors = Vec::new();
    let center = number("center", &f.center, &mut errors);
    let sigma = number("sigma", &f.sigma, &mut errors);
    let lsl = number("lsl", &f.lsl, &mut errors);
    let usl = number("usl", &f.usl, &mut errors);
    for (field, v) in [("center", center), ("sigma", sigma)] {
        if v.is_none() && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError::new(
                field,
                "required",
                format!("{}：必填", field_label(field).unwrap_or_default()),
            ));
        }
    }
    if !errors.is_empty() {
        return render_line(&state, &user, id, "", super::Failed { form: "parameter", kept: f, errors }, "").await;
    }
    let new = NewParameter {
        code: f.code.clone(),
        name: f.name.clone(),
        unit: f.unit.clone(),
        subgroup: f.subgroup.trim().parse().unwrap_or(1),
        center: center.unwrap_or_default(),
        sigma: sigma.unwrap_or_default(),
        lsl,
        usl,
    };
    match blackbox::add_parameter(state.store(), &user.principal, id, &new, &user.client).await {
        Ok(_) => Redirect::to(&format!("/signals/blackbox/lines/{id}?done=parameter")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => {
                render_line(&state, &user, id, "", super::Failed { form: "parameter", kept: f, errors }, "").await
            }
            Err(page) => page,
        },
    }
}

/// The decision and case forms.
#[derive(Deserialize, Default, Clone)]
pub struct StepForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "blackbox_warning.html")]
struct WarningPage {
    chrome: super::Chrome,
    w: Warning,
    history: Vec<yaolian_store::RecordVersion>,
    names: super::Names,
    can_manage: bool,
    failed: super::Failed<StepForm>,
    done: &'static str,
}

impl Shows for WarningPage {}

impl WarningPage {
    fn action_label(&self, action: &str) -> &'static str {
        match action {
            "raise" => "规则触发预警",
            "watch" => "继续观察",
            "refute" => "排除",
            "raise_case" => "转风险处置",
            _ => "变更",
        }
    }
}

async fn render_warning(
    state: &AppState,
    user: &PageUser,
    id: i64,
    failed: super::Failed<StepForm>,
    done: &str,
) -> Response {
    let (store, p, c) = (state.store(), &user.principal, &user.client);
    let w = match blackbox::warning(store, p, id, c).await {
        Ok(w) => w,
        Err(e) => return failure_page(user.lang, e),
    };
    let history =
        yaolian_store::versions::history(store.pool(), blackbox::ENTITY, &id.to_string()).await.unwrap_or_default();
    let names = super::Names::of_logins(state, history.iter().map(|v| v.actor.as_str())).await;
    let can_manage =
        ["new", "watch"].contains(&w.status.as_str()) && blackbox::may_manage(store, p, &w).await.unwrap_or(false);
    let mut chrome = user.chrome("blackbox");
    chrome.title = format!("{} {}", w.number, w.parameter_name);
    let done = match done {
        "decided" => "处置结论已记录",
        "raised" => "已转风险处置",
        _ => "",
    };
    let refused = failed.refused();
    let page = WarningPage { chrome, w, history, names, can_manage, failed, done };
    super::render_form(&page, refused)
}

async fn warning_page(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Query(f): Query<Filter>,
) -> Response {
    render_warning(&state, &user, id, super::Failed::default(), &f.done).await
}

async fn warning_step(
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
            ("decision", blackbox::decide(store, p, id, &d, c).await.map(|_| "decided"))
        }
        "case" => {
            let r = Raise { company_id: None, note: f.note.clone() };
            ("case", blackbox::raise_case(store, p, id, &r, c).await.map(|_| "raised"))
        }
        _ => return super::error_page(user.lang, StatusCode::NOT_FOUND, user.lang.t("err.record_not_found")),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/signals/blackbox/warnings/{id}?done={done}")).into_response(),
        Err(e) => match refusals(&user, e) {
            Ok(errors) => render_warning(&state, &user, id, super::Failed { form, kept: f, errors }, "").await,
            Err(page) => page,
        },
    }
}
