//! Traceability pages: the bureau's overview (anomalies by kind, recalls, search), a code's
//! history, the anomaly list, recalls with their holders and closure, where-to for a batch,
//! verification before dispensing, and the public consumer lookup a pack's code opens.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use yaolian_audit as audit;
use yaolian_core::Timestamp;
use yaolian_trace::access;
use yaolian_trace::anomalies::{self, Anomaly};
use yaolian_trace::codes::epc;
use yaolian_trace::ingest::{ANOMALY_KINDS, STATES};
use yaolian_trace::labels;
use yaolian_trace::packs;
use yaolian_trace::query::{self, CodeView, HistoryItem, Holding};
use yaolian_trace::recall::{self, Recall};
use yaolian_trace::upload::{self, Upload};
use yaolian_trace::verify::{self, Verification};

use super::{failure_page, render, Chrome, PageUser};
use crate::api::IdPath;
use crate::i18n::Lang;
use crate::AppState;

/// The body the 追溯数据上报 form may send: the file's limit and room for the form around it.
pub const REPORT_BODY_BYTES: usize = upload::MAX_BYTES + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/trace", get(overview))
        .route("/trace/codes", get(code_page))
        .route("/trace/anomalies", get(anomaly_list))
        .route("/trace/anomalies.csv", get(anomaly_export))
        .route("/trace/anomalies.xlsx", get(anomaly_export))
        .route("/trace/anomalies/{id}/close", post(close_anomaly))
        .route(
            "/trace/anomalies/{id}/answer",
            post(answer_anomaly).layer(axum::extract::DefaultBodyLimit::max(crate::api::MAX_ANSWER_BYTES)),
        )
        .route(
            "/trace/report",
            get(report_page).post(report_upload).layer(axum::extract::DefaultBodyLimit::max(REPORT_BODY_BYTES)),
        )
        .route("/trace/report/template.xlsx", get(template_xlsx))
        .route("/trace/report/template.csv", get(template_csv))
        .route("/trace/report/{id}", get(upload_page))
        .route("/trace/recalls", get(recall_list).post(open_recall))
        .route("/trace/recalls/{id}", get(recall_page))
        .route("/trace/recalls/{id}/close", post(close_recall))
        .route("/trace/where-to", get(where_to_page))
        .route("/trace/pack-codes", get(pack_code_list).post(register_pack_code))
        .route("/trace/verify", get(verify_page))
        .route("/t/{code}", get(lookup_page))
}

const PAGE_SIZE: i64 = 30;

/// A state's label.
fn state_label(lang: Lang, state: &str) -> String {
    match STATES.iter().find(|s| s.0 == state) {
        Some((_, zh, en)) => if lang.code() == "en" { en } else { zh }.to_string(),
        None => state.to_string(),
    }
}

fn kind_label(lang: Lang, kind: &str) -> String {
    match ANOMALY_KINDS.iter().find(|k| k.0 == kind) {
        Some((_, zh, en)) => if lang.code() == "en" { en } else { zh }.to_string(),
        None => kind.to_string(),
    }
}

/// CBV business steps in the page's language (`labels::biz_step`).
fn step_label(lang: Lang, step: &str) -> String {
    if lang.code() == "en" {
        step.rsplit([':', '/']).next().unwrap_or(step).replace('_', " ")
    } else {
        labels::biz_step(step)
    }
}

fn time(ms: &i64) -> String {
    Timestamp(*ms).to_china_string()
}

fn bar_width(v: i64, max: i64) -> i64 {
    if max == 0 {
        0
    } else {
        v * 100 / max
    }
}

#[derive(Template)]
#[template(path = "trace.html")]
struct OverviewPage {
    chrome: Chrome,
    counts: Vec<(String, String, i64)>,
    max_count: i64,
    totals: (i64, i64, i64),
    recent: Vec<Anomaly>,
    recalls: Vec<Recall>,
    products: Vec<(i64, String)>,
    can_manage: bool,
}

impl OverviewPage {
    fn width(&self, v: &i64) -> i64 {
        bar_width(*v, self.max_count)
    }
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
}

async fn overview(State(state): State<AppState>, user: PageUser) -> Response {
    let reach = match access::regulator(state.store(), &user.principal, "trace", &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let load = async {
        let counts = anomalies::open_counts(state.store(), &reach).await?;
        let filter = anomalies::Filter { per_page: Some(10), status: Some("open".into()), ..Default::default() };
        let (recent, _) = anomalies::list(state.store(), &user.principal, &filter, &user.client).await?;
        let recalls = recall::list(state.store()).await?;
        let totals = query::totals(state.store(), &reach).await?;
        let products = query::product_choices(state.store()).await?;
        let can_manage = !recall::products_to_open(state.store(), &user.principal).await?.is_empty();
        Ok::<_, yaolian_identity::IdentityError>((counts, recent, recalls, totals, products, can_manage))
    };
    match load.await {
        Ok((counts, recent, recalls, totals, products, can_manage)) => {
            let counts: Vec<(String, String, i64)> =
                counts.into_iter().map(|(k, n): (String, i64)| (kind_label(user.lang, &k), k, n)).collect();
            let max_count = counts.iter().map(|c| c.2).max().unwrap_or(0);
            render(&OverviewPage {
                chrome: user.chrome("trace"),
                counts,
                max_count,
                totals,
                recent,
                recalls,
                products,
                can_manage,
            })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "trace_code.html")]
struct CodePage {
    chrome: Chrome,
    input: String,
    error: Option<String>,
    code: Option<CodeView>,
    history: Vec<HistoryItem>,
}

impl CodePage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
    fn state(&self, s: &str) -> String {
        state_label(self.chrome.lang, s)
    }
    fn display(&self, key: &str) -> String {
        epc::display(key)
    }
    fn step(&self, s: &str) -> String {
        step_label(self.chrome.lang, s)
    }
    fn disposition(&self, d: &str) -> String {
        if self.chrome.lang.code() == "en" {
            d.replace('_', " ")
        } else {
            labels::disposition(d)
        }
    }
    fn event_type(&self, t: &str, action: &Option<String>) -> String {
        if self.chrome.lang.code() == "en" {
            format!("{t} {}", action.clone().unwrap_or_default())
        } else {
            labels::event_type(t, action.as_deref())
        }
    }
}

async fn code_page(State(state): State<AppState>, user: PageUser, Query(q): Query<CodeQuery>) -> Response {
    let reach = match access::regulator(state.store(), &user.principal, "trace.codes", &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let mut page = CodePage {
        chrome: user.chrome("trace"),
        input: q.code.trim().to_string(),
        error: None,
        code: None,
        history: Vec::new(),
    };
    if page.input.is_empty() {
        return render(&page);
    }
    let key = match epc::key(&page.input, Timestamp::now().china_date()) {
        Ok(k) => k,
        Err(e) => {
            page.error = Some(e.to_string());
            return render(&page);
        }
    };
    match query::traced(state.store(), &reach, &key).await {
        Ok(Some((c, h))) => {
            page.code = Some(c);
            page.history = h;
        }
        Ok(None) => {
            page.error =
                Some(user.chrome("trace").tr("该码未上传过追溯数据", "no trace data for this code").to_string())
        }
        Err(e) => return failure_page(user.lang, e),
    }
    render(&page)
}

#[derive(Deserialize, Default)]
pub struct AnomalyFilter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    page: Option<i64>,
}

impl AnomalyFilter {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }
    fn sorting(&self) -> super::Sorting<'_> {
        super::Sorting { key: &self.sort, desc: &self.desc }
    }
    /// Whether the list is narrowed (an empty result then says so, not 暂无追溯异常).
    fn is_set(&self) -> bool {
        !self.q.trim().is_empty() || !self.kind.is_empty() || !self.status.is_empty()
    }
    /// The list's link at `page`, in the current order.
    fn link(&self, page: i64) -> String {
        self.link_sorted(page, None)
    }
    /// The link of a column header (`sort`: clicking the sorted column flips it) or of a page.
    fn link_sorted(&self, page: i64, sort: Option<&str>) -> String {
        let (sort, desc) = self.sorting().toggle(sort);
        format!(
            "?kind={}&status={}&q={}&sort={}&desc={desc}&page={page}",
            urlencoding::encode(&self.kind),
            urlencoding::encode(&self.status),
            urlencoding::encode(&self.q),
            urlencoding::encode(&sort)
        )
    }
    fn filter(&self, all: bool) -> anomalies::Filter {
        anomalies::Filter {
            kind: Some(self.kind.clone()),
            status: Some(self.status.clone()),
            q: Some(self.q.clone()),
            page: Some(if all { 1 } else { self.page() }),
            per_page: Some(if all { 500 } else { PAGE_SIZE }),
            sort: Some(self.sort.clone()).filter(|s| !s.is_empty()),
            desc: self.desc == "1",
        }
    }
}

#[derive(Template)]
#[template(path = "trace_anomalies.html")]
struct AnomalyPage {
    chrome: Chrome,
    filter: AnomalyFilter,
    items: Vec<Anomaly>,
    total: i64,
    pages: i64,
    kinds: Vec<(&'static str, String)>,
    can_manage: bool,
    /// The user raises risk cases (风险处置) from anomalies.
    can_raise: bool,
    /// Anomalies this user may answer (异常说明).
    answerable: Vec<i64>,
}

impl AnomalyPage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
    fn answers(&self, id: &i64) -> bool {
        self.answerable.contains(id)
    }
    fn size(&self, bytes: &i64) -> String {
        if *bytes < 1024 {
            format!("{bytes} B")
        } else {
            format!("{:.1} KB", *bytes as f64 / 1024.0)
        }
    }
}

async fn anomaly_list(State(state): State<AppState>, user: PageUser, Query(filter): Query<AnomalyFilter>) -> Response {
    match anomalies::list(state.store(), &user.principal, &filter.filter(false), &user.client).await {
        Ok((items, total)) => {
            let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            let kinds = ANOMALY_KINDS.iter().map(|k| (k.0, kind_label(user.lang, k.0))).collect();
            let can_manage = anomalies::may_close(&user.principal);
            let answerable = items.iter().filter(|a| anomalies::may_answer(&user.principal, a)).map(|a| a.id).collect();
            render(&AnomalyPage {
                chrome: user.chrome("trace"),
                filter,
                items,
                total,
                pages,
                kinds,
                can_manage,
                can_raise: user.principal.has(yaolian_access::perm::SUPERVISION_MANAGE),
                answerable,
            })
        }
        Err(e) => failure_page(user.lang, e),
    }
}

/// The anomalies the filter selects (up to 500) as `anomalies.csv` or `anomalies.xlsx`; the
/// export is audited.
async fn anomaly_export(
    State(state): State<AppState>,
    user: PageUser,
    format: super::export::Format,
    Query(filter): Query<AnomalyFilter>,
) -> Response {
    let items = match anomalies::list(state.store(), &user.principal, &filter.filter(true), &user.client).await {
        Ok((items, _)) => items,
        Err(e) => return failure_page(user.lang, e),
    };
    let rows = items.iter().map(|a| {
        vec![
            a.id.to_string(),
            a.kind_zh.clone(),
            a.code.clone().unwrap_or_default(),
            a.site_name.clone().or(a.site.clone()).unwrap_or_default(),
            a.detail_zh.clone(),
            time(&a.event_time),
            if a.status == "open" {
                "待处置"
            } else if a.withdrawn {
                "已自动撤销"
            } else {
                "已处置"
            }
            .to_string(),
            a.note.clone(),
        ]
    });
    let header = ["编号", "异常类型", "追溯码", "场所", "说明", "发生时间", "状态", "处置说明"];
    super::export::send(&state, &user, "anomalies", format, audit::Table::new("追溯异常", &header, rows)).await
}

#[derive(Deserialize)]
pub struct CloseForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    note: String,
}

async fn close_anomaly(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<CloseForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    match anomalies::close(state.store(), &user.principal, id, &form.note, &user.client).await {
        Ok(()) => Redirect::to("/trace/anomalies?status=open").into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "trace_recalls.html")]
struct RecallsPage {
    chrome: Chrome,
    recalls: Vec<Recall>,
    products: Vec<(i64, String)>,
    form: RecallForm,
    error: Option<String>,
    can_manage: bool,
    /// The status filtered on (`open`, `closed`, or empty for every recall) and the order.
    filter: RecallFilter,
}

impl RecallsPage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct RecallForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    product_id: i64,
    #[serde(default)]
    batches: String,
    #[serde(default)]
    level: i64,
    #[serde(default)]
    reason: String,
}

/// The recall list's filter: `status=open` (召回中, the 工作台's card) or `closed`, and its order.
#[derive(Deserialize, Default)]
pub struct RecallFilter {
    #[serde(default)]
    status: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    desc: String,
}

impl RecallFilter {
    fn sorting(&self) -> super::Sorting<'_> {
        super::Sorting { key: &self.sort, desc: &self.desc }
    }
    /// The link of a column header: clicking the sorted column flips it.
    fn link_sorted(&self, sort: &str) -> String {
        let (sort, desc) = self.sorting().toggle(Some(sort));
        format!("?status={}&sort={}&desc={desc}", urlencoding::encode(&self.status), urlencoding::encode(&sort))
    }
}

async fn recalls_page(
    state: &AppState,
    user: &PageUser,
    filter: RecallFilter,
    form: RecallForm,
    error: Option<String>,
) -> Response {
    if let Err(e) = access::regulator(state.store(), &user.principal, "recalls", &user.client).await {
        return failure_page(user.lang, e);
    }
    let sort = Some(filter.sort.as_str()).filter(|s| !s.is_empty());
    let recalls = match recall::list_sorted(state.store(), Some(filter.status.as_str()), sort, filter.desc == "1").await
    {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    // The form offers the products whose recall the reader may open, and only when there is one.
    let products = match recall::products_to_open(state.store(), &user.principal).await {
        Ok(p) => p,
        Err(e) => return failure_page(user.lang, e),
    };
    let can_manage = !products.is_empty();
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut r =
        render(&RecallsPage { chrome: user.chrome("trace"), recalls, products, form, error, can_manage, filter });
    *r.status_mut() = code;
    r
}

async fn recall_list(State(state): State<AppState>, user: PageUser, Query(filter): Query<RecallFilter>) -> Response {
    recalls_page(&state, &user, filter, RecallForm { level: 2, ..Default::default() }, None).await
}

async fn open_recall(State(state): State<AppState>, user: PageUser, Form(form): Form<RecallForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let new = recall::NewRecall {
        product_id: form.product_id,
        batches: form.batches.split([',', '，', ' ', ';']).map(str::to_string).collect(),
        level: form.level,
        reason: form.reason.clone(),
    };
    match recall::open(state.store(), &user.principal, &new, &user.client).await {
        Ok(r) => Redirect::to(&format!("/trace/recalls/{}", r.id)).into_response(),
        Err(yaolian_trace::TraceError::Shared(yaolian_identity::IdentityError::Validation(v))) => {
            recalls_page(&state, &user, RecallFilter::default(), form, Some(v.to_string())).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "trace_pack_codes.html")]
struct PackCodesPage {
    chrome: Chrome,
    codes: Vec<packs::PackCodeRow>,
    products: Vec<(i64, String)>,
    form: PackCodeForm,
    error: Option<String>,
    can_register: bool,
}

impl PackCodesPage {
    fn level(&self, level: &packs::PackLevel) -> &'static str {
        self.chrome.tr(level.label_zh(), level.as_str())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct PackCodeForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    product_id: i64,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    per_parent: String,
}

async fn pack_codes_page(state: &AppState, user: &PageUser, form: PackCodeForm, error: Option<String>) -> Response {
    if let Err(e) = access::may_read(state.store(), &user.principal, "trace.pack_codes", &user.client).await {
        return failure_page(user.lang, e);
    }
    let codes = packs::list(state.store(), None).await;
    let products = packs::products_to_register(state.store(), &user.principal).await;
    let (codes, products) = match (codes, products) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(e), _) | (_, Err(e)) => return failure_page(user.lang, e),
    };
    let can_register = !products.is_empty();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut r = render(&PackCodesPage { chrome: user.chrome("trace"), codes, products, form, error, can_register });
    *r.status_mut() = status;
    r
}

async fn pack_code_list(State(state): State<AppState>, user: PageUser) -> Response {
    let form = PackCodeForm { level: "case".into(), ..Default::default() };
    pack_codes_page(&state, &user, form, None).await
}

async fn register_pack_code(State(state): State<AppState>, user: PageUser, Form(form): Form<PackCodeForm>) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    let per_parent = match form.per_parent.trim() {
        "" => 0,
        n => n.parse().unwrap_or(-1),
    };
    let code = packs::NewPackCode {
        prefix: form.prefix.clone(),
        product_id: form.product_id,
        level: form.level.clone(),
        per_parent,
    };
    match packs::register(state.store(), &user.principal, &code, &user.client).await {
        Ok(_) => Redirect::to("/trace/pack-codes").into_response(),
        Err(yaolian_trace::TraceError::Shared(yaolian_identity::IdentityError::Validation(v))) => {
            pack_codes_page(&state, &user, form, Some(v.to_string())).await
        }
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Template)]
#[template(path = "trace_recall.html")]
struct RecallPage {
    chrome: Chrome,
    r: Recall,
    can_manage: bool,
}

impl RecallPage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
    fn pct(&self) -> String {
        format!("{:.1}%", self.r.closure_percent)
    }
    fn width(&self, v: &i64, max: &i64) -> i64 {
        bar_width(*v, *max)
    }
}

/// A recall: for a bureau, for the MAH, and for each company that held its units (the to-do
/// they were sent links here).
async fn recall_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    let found = recall::read(state.store(), &user.principal, id, &user.client).await;
    let r = match found {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    match recall::may_close(state.store(), &user.principal, &r).await {
        Ok(can_manage) => render(&RecallPage { chrome: user.chrome("trace"), can_manage, r }),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn close_recall(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    Form(form): Form<CloseForm>,
) -> Response {
    if let Err(page) = user.check_csrf(&form.csrf) {
        return page;
    }
    match recall::close(state.store(), &user.principal, id, &user.client).await {
        Ok(_) => Redirect::to(&format!("/trace/recalls/{id}")).into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

#[derive(Deserialize, Default)]
pub struct WhereToQuery {
    #[serde(default)]
    product_id: i64,
    #[serde(default)]
    batch: String,
}

#[derive(Template)]
#[template(path = "trace_where_to.html")]
struct WhereToPage {
    chrome: Chrome,
    q: WhereToQuery,
    products: Vec<(i64, String)>,
    holdings: Vec<Holding>,
    total: i64,
}

impl WhereToPage {
    fn state(&self, s: &str) -> String {
        state_label(self.chrome.lang, s)
    }
    fn width(&self, v: &i64) -> i64 {
        bar_width(*v, self.holdings.iter().map(|h| h.units).max().unwrap_or(0))
    }
}

async fn where_to_page(State(state): State<AppState>, user: PageUser, Query(q): Query<WhereToQuery>) -> Response {
    let reach = match access::regulator(state.store(), &user.principal, "trace.where_to", &user.client).await {
        Ok(r) => r,
        Err(e) => return failure_page(user.lang, e),
    };
    let products = match query::product_choices(state.store()).await {
        Ok(p) => p,
        Err(e) => return failure_page(user.lang, e),
    };
    let holdings = if q.product_id > 0 && !q.batch.trim().is_empty() {
        match query::where_to(state.store(), &reach, q.product_id, q.batch.trim()).await {
            Ok(h) => h,
            Err(e) => return failure_page(user.lang, e),
        }
    } else {
        Vec::new()
    };
    let total = holdings.iter().map(|h| h.units).sum();
    render(&WhereToPage { chrome: user.chrome("trace"), q, products, holdings, total })
}

#[derive(Template)]
#[template(path = "trace_verify.html")]
struct VerifyPage {
    chrome: Chrome,
    input: String,
    v: Option<Verification>,
}

impl VerifyPage {
    fn state(&self, s: &str) -> String {
        state_label(self.chrome.lang, s)
    }
    fn kind(&self, k: &str) -> String {
        kind_label(self.chrome.lang, k)
    }
}

async fn verify_page(State(state): State<AppState>, user: PageUser, Query(q): Query<CodeQuery>) -> Response {
    let input = q.code.trim().to_string();
    let v = if input.is_empty() {
        if let Err(e) = access::may_read(state.store(), &user.principal, "trace.verify", &user.client).await {
            return failure_page(user.lang, e);
        }
        None
    } else {
        match verify::before_dispensing(state.store(), &user.principal, &input, &user.client).await {
            Ok(v) => Some(v),
            Err(e) => return failure_page(user.lang, e),
        }
    };
    render(&VerifyPage { chrome: user.chrome("trace"), input, v })
}

#[derive(Template)]
#[template(path = "trace_lookup.html")]
struct LookupPage {
    chrome: Chrome,
    v: Verification,
}

impl LookupPage {
    fn state(&self, s: &str) -> String {
        state_label(self.chrome.lang, s)
    }
}

/// The consumer lookup (扫码查药): no login; what a patient may know of one pack.
async fn lookup_page(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    Path(code): Path<String>,
) -> Response {
    let lang = Lang::from_parts(&parts);
    let title = if lang.code() == "en" { "Medicine lookup" } else { "药品追溯查询" };
    let chrome = Chrome::anonymous(lang, title, &format!("/t/{code}"));
    match verify::consumer_lookup(state.store(), &code).await {
        Ok(v) => {
            let status = if v.valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
            let mut r = render(&LookupPage { chrome, v });
            *r.status_mut() = status;
            r
        }
        Err(e) => failure_page(lang, e),
    }
}

// ---------------------------------------------------------------- 异常说明 (answers)

/// The answer form posts multipart: the text and any attachments (`file`).
async fn answer_anomaly(
    State(state): State<AppState>,
    user: PageUser,
    IdPath(id): IdPath,
    multipart: axum::extract::Multipart,
) -> Response {
    let form = match super::multipart_form(&user, multipart).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let text = form.texts.get("text").cloned().unwrap_or_default();
    let files: Vec<_> = form.files.into_iter().filter(|f| f.field == "file").map(|f| f.upload("说明材料")).collect();
    match anomalies::answer(state.store(), &user.principal, id, &text, &files, &user.client).await {
        Ok(_) => Redirect::to(&format!("/trace/anomalies?q=&status=#anomaly-{id}")).into_response(),
        Err(e) => failure_page(user.lang, e),
    }
}

// ---------------------------------------------------------------- 追溯数据上报 (uploads)

#[derive(Template)]
#[template(path = "trace_report.html")]
struct ReportPage {
    chrome: Chrome,
    uploads: Vec<Upload>,
    error: Option<String>,
    max_mib: usize,
}

impl ReportPage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
}

async fn render_report(state: &AppState, user: &PageUser, error: Option<String>) -> Response {
    match upload::list(state.store(), &user.principal, &user.client).await {
        Ok(uploads) => render(&ReportPage {
            chrome: user.chrome("trace"),
            uploads,
            error,
            max_mib: upload::MAX_BYTES / 1024 / 1024,
        }),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn report_page(State(state): State<AppState>, user: PageUser) -> Response {
    render_report(&state, &user, None).await
}

/// The upload form posts the file as multipart form data with the CSRF token.
async fn report_upload(State(state): State<AppState>, user: PageUser, form: axum::extract::Multipart) -> Response {
    let (file_name, file) = match super::file_form(&user, form).await {
        Ok(x) => x,
        Err(page) => return page,
    };
    match upload::submit(state.store(), &user.principal, &file_name, file, &user.client).await {
        Ok(id) => Redirect::to(&format!("/trace/report/{id}")).into_response(),
        Err(e) => match super::form_errors(user.lang, e) {
            Ok(errors) => {
                let text: Vec<String> = errors.into_iter().map(|e| e.message).collect();
                render_report(&state, &user, Some(text.join("；"))).await
            }
            Err(page) => page,
        },
    }
}

#[derive(Template)]
#[template(path = "trace_upload.html")]
struct UploadPage {
    chrome: Chrome,
    job: Upload,
}

impl UploadPage {
    fn time(&self, ms: &i64) -> String {
        time(ms)
    }
}

async fn upload_page(State(state): State<AppState>, user: PageUser, IdPath(id): IdPath) -> Response {
    match upload::get(state.store(), &user.principal, id, &user.client).await {
        Ok(job) => render(&UploadPage { chrome: user.chrome("trace"), job }),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn template_xlsx(user: PageUser) -> Response {
    match upload::template_xlsx() {
        Ok(bytes) => crate::api::xlsx_response("trace-template.xlsx", bytes),
        Err(e) => failure_page(user.lang, e),
    }
}

async fn template_csv(_user: PageUser) -> Response {
    crate::api::csv_response("trace-template.csv", upload::template_csv())
}
