//! Signals over HTTP: adverse drug reaction reports (submitted one by one, in batches from a
//! company's or hospital's system, or as a spreadsheet), the term list they are coded to, signal
//! detection runs, and the signals found — decided or raised as risk cases.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_registry::table;
use yaolian_signals::adr::{self, Imported, NewReport, Report};
use yaolian_signals::blackbox::{self, Chart, Ingest, Line, NewLine, NewParameter, Parameter, Receipt, Warning};
use yaolian_signals::detection::{self, Decision, Raise, Run, Signal};

use super::IdPath;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/signals/adr-reports", get(list_adr_reports).post(submit_adr_report))
        .route("/api/v1/signals/adr-reports/batch", post(submit_adr_batch))
        .route(
            "/api/v1/signals/adr-reports/import",
            post(import_adr_reports).layer(DefaultBodyLimit::max(table::MAX_UPLOAD_BYTES)),
        )
        .route("/api/v1/signals/adr-reports/{id}", get(get_adr_report))
        .route("/api/v1/signals/adr-terms", get(adr_terms))
        .route("/api/v1/signals/runs", get(list_signal_runs).post(run_signal_detection))
        .route("/api/v1/signals/adr-signals", get(list_adr_signals))
        .route("/api/v1/signals/adr-signals/{id}", get(get_adr_signal))
        .route("/api/v1/signals/adr-signals/{id}/decision", post(decide_adr_signal))
        .route("/api/v1/signals/adr-signals/{id}/case", post(adr_signal_case))
        .route("/api/v1/signals/blackbox/points", post(ingest_points).layer(DefaultBodyLimit::max(MAX_POINTS_BODY)))
        .route("/api/v1/signals/blackbox/lines", get(list_lines).post(create_line))
        .route("/api/v1/signals/blackbox/lines/{id}", get(get_line))
        .route("/api/v1/signals/blackbox/lines/{id}/parameters", post(add_parameter))
        .route("/api/v1/signals/blackbox/lines/{id}/charts", get(line_charts))
        .route("/api/v1/signals/blackbox/warnings", get(list_warnings))
        .route("/api/v1/signals/blackbox/warnings/{id}", get(get_warning))
        .route("/api/v1/signals/blackbox/warnings/{id}/decision", post(decide_warning))
        .route("/api/v1/signals/blackbox/warnings/{id}/case", post(warning_case))
}

/// Where companies' systems send process points (the route's path; the NUL check reads their
/// larger body).
pub const BLACKBOX_POINTS_PATH: &str = "/api/v1/signals/blackbox/points";
/// The largest body of points: 50,000 points of about 60 bytes each, with room.
pub const MAX_POINTS_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AdrReportParams {
    /// Number, reporting unit or the reporter's own number.
    pub q: Option<String>,
    /// `serious`, `novel` or `duplicate`.
    pub only: Option<String>,
    /// With `term`: the reports of one drug × event pair.
    pub drug: Option<String>,
    pub term: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Adverse reaction reports in the caller's scope, newest first (`signals.read`).
#[utoipa::path(get, path = "/api/v1/signals/adr-reports", tag = "signals", params(AdrReportParams),
    responses((status = 200, body = Vec<Report>), (status = 403, body = Problem)))]
pub async fn list_adr_reports(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<AdrReportParams>,
) -> ApiResult<Json<Vec<Report>>> {
    let filter = adr::Filter {
        q: q.q.unwrap_or_default(),
        only: q.only.unwrap_or_default(),
        drug: q.drug.unwrap_or_default(),
        term: q.term.unwrap_or_default(),
    };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(adr::list(state.store(), &p, &filter, page, &client).await?.0))
}

/// Submit a report for the caller's organization (`signals.report`); a repeat of a counted case
/// is kept with `duplicate_of` set.
#[utoipa::path(post, path = "/api/v1/signals/adr-reports", tag = "signals", request_body = NewReport,
    responses((status = 201, body = Report), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_adr_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewReport>,
) -> ApiResult<(StatusCode, Json<Report>)> {
    Ok((StatusCode::CREATED, Json(adr::submit(state.store(), &p, &new, "api", &client).await?)))
}

/// A batch of reports from a reporting system.
#[derive(Deserialize, ToSchema)]
pub struct AdrBatch {
    /// At most 1,000.
    pub reports: Vec<NewReport>,
}

/// The ids a batch was stored under, in order.
#[derive(Serialize, ToSchema)]
pub struct AdrBatchResult {
    pub ids: Vec<i64>,
}

/// Submit up to 1,000 reports at once (`signals.report`): every one checked first (a refusal
/// names `reports[i].field`), then all stored or none.
#[utoipa::path(post, path = "/api/v1/signals/adr-reports/batch", tag = "signals", request_body = AdrBatch,
    responses((status = 201, body = AdrBatchResult), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_adr_batch(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(batch): ApiJson<AdrBatch>,
) -> ApiResult<(StatusCode, Json<AdrBatchResult>)> {
    let ids = adr::submit_many(state.store(), &p, &batch.reports, "api", &client).await?;
    Ok((StatusCode::CREATED, Json(AdrBatchResult { ids })))
}

/// Import reports from a spreadsheet (the body is the file: xlsx, xls or CSV UTF-8, within the
/// upload limits; one report a row). A bad row refuses the file, naming `rows[n].field`.
#[utoipa::path(post, path = "/api/v1/signals/adr-reports/import", tag = "signals",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the spreadsheet"),
    responses((status = 200, body = Imported), (status = 403, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)))]
pub async fn import_adr_reports(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<Imported>> {
    let body = super::upload_body(body, table::MAX_UPLOAD_BYTES)?;
    Ok(Json(adr::import(state.store(), &p, body.to_vec(), &client).await?))
}

/// One report (`signals.read` over the reporting organization; not found otherwise).
#[utoipa::path(get, path = "/api/v1/signals/adr-reports/{id}", tag = "signals", params(("id" = i64, Path)),
    responses((status = 200, body = Report), (status = 404, body = Problem)))]
pub async fn get_adr_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Report>> {
    Ok(Json(adr::get(state.store(), &p, id, &client).await?))
}

/// A term of the event list.
#[derive(Serialize, ToSchema)]
pub struct AdrTerm {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    /// 系统器官分类.
    pub soc: &'static str,
}

/// The event terms reports are coded to (any signed-in caller).
#[utoipa::path(get, path = "/api/v1/signals/adr-terms", tag = "signals",
    responses((status = 200, body = Vec<AdrTerm>), (status = 401, body = Problem)))]
pub async fn adr_terms(Auth(_p): Auth) -> Json<Vec<AdrTerm>> {
    let terms = yaolian_signals::terms::TERMS
        .iter()
        .map(|t| AdrTerm { code: t.code, zh: t.zh, en: t.en, soc: yaolian_signals::terms::soc_zh(t.code) })
        .collect();
    Json(terms)
}

/// The latest detection runs of the caller's bureau (`signals.read`).
#[utoipa::path(get, path = "/api/v1/signals/runs", tag = "signals",
    responses((status = 200, body = Vec<Run>), (status = 403, body = Problem)))]
pub async fn list_signal_runs(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Run>>> {
    Ok(Json(detection::runs(state.store(), &p, &client).await?))
}

/// Run signal detection over the reports of the caller's region (`signals.manage` in a bureau).
#[utoipa::path(post, path = "/api/v1/signals/runs", tag = "signals",
    responses((status = 201, body = Run), (status = 403, body = Problem)))]
pub async fn run_signal_detection(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<(StatusCode, Json<Run>)> {
    Ok((StatusCode::CREATED, Json(detection::run(state.store(), &p, &client).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AdrSignalParams {
    /// A state, or `open` (new and watched).
    pub status: Option<String>,
    /// Drug name or signal number.
    pub q: Option<String>,
    /// `recent`, `n`, `ic025` or `prr`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The signals in the caller's scope (`signals.read`).
#[utoipa::path(get, path = "/api/v1/signals/adr-signals", tag = "signals", params(AdrSignalParams),
    responses((status = 200, body = Vec<Signal>), (status = 403, body = Problem)))]
pub async fn list_adr_signals(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<AdrSignalParams>,
) -> ApiResult<Json<Vec<Signal>>> {
    let filter = detection::Filter { status: q.status.unwrap_or_default(), q: q.q.unwrap_or_default() };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    let sort = q.sort.unwrap_or_default();
    Ok(Json(detection::list(state.store(), &p, &filter, &sort, page, &client).await?.0))
}

/// One signal (`signals.read` in its bureau; not found otherwise).
#[utoipa::path(get, path = "/api/v1/signals/adr-signals/{id}", tag = "signals", params(("id" = i64, Path)),
    responses((status = 200, body = Signal), (status = 404, body = Problem)))]
pub async fn get_adr_signal(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Signal>> {
    Ok(Json(detection::get(state.store(), &p, id, &client).await?))
}

/// Keep a signal under watch or refute it, with a note (`signals.manage` in its bureau).
#[utoipa::path(post, path = "/api/v1/signals/adr-signals/{id}/decision", tag = "signals", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = Signal), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_adr_signal(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Signal>> {
    Ok(Json(detection::decide(state.store(), &p, id, &d, &client).await?))
}

/// Raise a risk case from a signal (`signals.manage` and `supervision.manage`): about the
/// company given, or the holder the signal's reports name most.
#[utoipa::path(post, path = "/api/v1/signals/adr-signals/{id}/case", tag = "signals", params(("id" = i64, Path)),
    request_body = Raise,
    responses((status = 200, body = Signal), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn adr_signal_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Raise>,
) -> ApiResult<Json<Signal>> {
    Ok(Json(detection::raise_case(state.store(), &p, id, &r, &client).await?))
}

/// Send process points of the caller's company's lines (`signals.report`): up to 50,000 per call
/// in series of (line, parameter, batch), late and out-of-order points accepted; the points are
/// stored, judged and anchored in one transaction. Answers what was stored and the warnings
/// raised.
#[utoipa::path(post, path = "/api/v1/signals/blackbox/points", tag = "signals", request_body = Ingest,
    responses((status = 201, body = Receipt), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn ingest_points(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(input): ApiJson<Ingest>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    Ok((StatusCode::CREATED, Json(blackbox::ingest(state.store(), &p, &input, &client).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct LineParams {
    /// Line, code or company name.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Production lines in the caller's scope (`signals.read`), those with open warnings first.
#[utoipa::path(get, path = "/api/v1/signals/blackbox/lines", tag = "signals", params(LineParams),
    responses((status = 200, body = Vec<Line>), (status = 403, body = Problem)))]
pub async fn list_lines(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<LineParams>,
) -> ApiResult<Json<Vec<Line>>> {
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(blackbox::lines(state.store(), &p, &q.q.unwrap_or_default(), page, &client).await?.0))
}

/// Define a production line of the caller's company (`signals.report`).
#[utoipa::path(post, path = "/api/v1/signals/blackbox/lines", tag = "signals", request_body = NewLine,
    responses((status = 201, body = Line), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_line(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewLine>,
) -> ApiResult<(StatusCode, Json<Line>)> {
    Ok((StatusCode::CREATED, Json(blackbox::create_line(state.store(), &p, &new, &client).await?)))
}

/// One production line with its parameters (`signals.read` over its company).
#[utoipa::path(get, path = "/api/v1/signals/blackbox/lines/{id}", tag = "signals", params(("id" = i64, Path)),
    responses((status = 200, body = Line), (status = 404, body = Problem)))]
pub async fn get_line(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Line>> {
    Ok(Json(blackbox::line(state.store(), &p, id, &client).await?))
}

/// Add a key process parameter to a line of the caller's company (`signals.report`).
#[utoipa::path(post, path = "/api/v1/signals/blackbox/lines/{id}/parameters", tag = "signals",
    params(("id" = i64, Path)), request_body = NewParameter,
    responses((status = 201, body = Parameter), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_parameter(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(new): ApiJson<NewParameter>,
) -> ApiResult<(StatusCode, Json<Parameter>)> {
    Ok((StatusCode::CREATED, Json(blackbox::add_parameter(state.store(), &p, id, &new, &client).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChartParams {
    /// The batch; the line's latest when absent.
    pub batch: Option<String>,
}

/// The charts of a line's parameters for one batch: values with control limits and the Nelson
/// breaches, moving or subgroup ranges, EWMA, CUSUM and capability (`signals.read`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LineCharts {
    pub line: Line,
    /// The line's batches, latest first.
    pub batches: Vec<String>,
    pub charts: Vec<Chart>,
}

/// A line's live charts (`signals.read` over its company).
#[utoipa::path(get, path = "/api/v1/signals/blackbox/lines/{id}/charts", tag = "signals",
    params(("id" = i64, Path), ChartParams),
    responses((status = 200, body = LineCharts), (status = 404, body = Problem)))]
pub async fn line_charts(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    super::ApiQuery(q): super::ApiQuery<ChartParams>,
) -> ApiResult<Json<LineCharts>> {
    let batch = q.batch.unwrap_or_default();
    let (line, batches, charts) = blackbox::charts(state.store(), &p, id, &batch, &client).await?;
    Ok(Json(LineCharts { line, batches, charts }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WarningParams {
    /// A state (`new`, `watch`, `refuted`, `case`) or `open`.
    pub status: Option<String>,
    /// A line's id.
    pub line: Option<i64>,
    /// Company, line, parameter, batch or number.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Production warnings in the caller's scope, newest first (`signals.read`).
#[utoipa::path(get, path = "/api/v1/signals/blackbox/warnings", tag = "signals", params(WarningParams),
    responses((status = 200, body = Vec<Warning>), (status = 403, body = Problem)))]
pub async fn list_warnings(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<WarningParams>,
) -> ApiResult<Json<Vec<Warning>>> {
    let filter = blackbox::Filter { status: q.status.unwrap_or_default(), line: q.line, q: q.q.unwrap_or_default() };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(blackbox::warnings(state.store(), &p, &filter, page, &client).await?.0))
}

/// One production warning (`signals.read` over its company; not found otherwise).
#[utoipa::path(get, path = "/api/v1/signals/blackbox/warnings/{id}", tag = "signals", params(("id" = i64, Path)),
    responses((status = 200, body = Warning), (status = 404, body = Problem)))]
pub async fn get_warning(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Warning>> {
    Ok(Json(blackbox::warning(state.store(), &p, id, &client).await?))
}

/// Keep a warning under watch or refute it, with a note (`signals.manage` over its company).
#[utoipa::path(post, path = "/api/v1/signals/blackbox/warnings/{id}/decision", tag = "signals",
    params(("id" = i64, Path)), request_body = Decision,
    responses((status = 200, body = Warning), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_warning(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<Warning>> {
    Ok(Json(blackbox::decide(state.store(), &p, id, &d, &client).await?))
}

/// Raise a risk case about the warning's company (`signals.manage` and `supervision.manage`).
#[utoipa::path(post, path = "/api/v1/signals/blackbox/warnings/{id}/case", tag = "signals",
    params(("id" = i64, Path)), request_body = Raise,
    responses((status = 200, body = Warning), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn warning_case(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Raise>,
) -> ApiResult<Json<Warning>> {
    Ok(Json(blackbox::raise_case(state.store(), &p, id, &r, &client).await?))
}
