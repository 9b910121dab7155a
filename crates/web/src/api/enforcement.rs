//! Complaints (投诉举报) and enforcement cases (执法办案) over HTTP: a complaint registered,
//! triaged, answered or turned into a case; a case filed, investigated with locked evidence,
//! reviewed, noticed, heard, decided under the bureau's seal, served, executed and closed, its
//! statutory clocks paused where the law pauses them; the sealed documents exported for offline
//! checking and verified by anyone by their code.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_supervision::complaints::{self, Complaint, NewComplaint, Reply, Triage};
use yaolian_supervision::documents::SignedDocument;
use yaolian_supervision::enforcement::{
    self, CaseClock, Dated, Decision, DocumentVerification, Ending, Enforcement, Extension, Filing, Investigation,
    NewClue, NewPause, Review, Statistics,
};
use yaolian_supervision::onsite::EvidenceCheck;

use super::{ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

/// The largest evidence request: the files' base64 and the JSON around them.
pub const MAX_EVIDENCE_BODY: usize = enforcement::MAX_FILE_BYTES / 3 * 4 * 2 + 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/supervision/complaints", get(list_complaints).post(register_complaint))
        .route("/api/v1/supervision/complaints/{id}", get(get_complaint))
        .route("/api/v1/supervision/complaints/{id}/triage", post(triage_complaint))
        .route("/api/v1/supervision/complaints/{id}/reply", post(reply_complaint))
        .route("/api/v1/supervision/complaints/{id}/enforcement", post(complaint_to_enforcement))
        .route("/api/v1/supervision/cases/{id}/enforcement", post(case_to_enforcement))
        .route("/api/v1/supervision/enforcements", get(list_enforcements).post(open_enforcement))
        .route("/api/v1/supervision/enforcements/statistics", get(enforcement_statistics))
        .route("/api/v1/supervision/enforcements/{id}", get(get_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/filing", post(file_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/ending", post(end_enforcement))
        .route(
            "/api/v1/supervision/enforcements/{id}/evidence",
            post(add_enforcement_evidence).layer(DefaultBodyLimit::max(MAX_EVIDENCE_BODY)),
        )
        .route("/api/v1/supervision/enforcements/{id}/evidence-check", get(check_enforcement_evidence))
        .route("/api/v1/supervision/enforcements/{id}/report", post(submit_enforcement_report))
        .route("/api/v1/supervision/enforcements/{id}/review", post(review_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/notice", post(notify_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/statement", post(record_enforcement_statement))
        .route("/api/v1/supervision/enforcements/{id}/hearing", post(request_enforcement_hearing))
        .route("/api/v1/supervision/enforcements/{id}/hearing-report", post(report_enforcement_hearing))
        .route("/api/v1/supervision/enforcements/{id}/pauses", post(pause_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/resumption", post(resume_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/extension", post(extend_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/decision", post(decide_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/service", post(serve_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/execution", post(execute_enforcement))
        .route("/api/v1/supervision/enforcements/{id}/closure", post(close_enforcement))
        .route("/api/v1/supervision/enforcement-documents/{id}/export", get(export_enforcement_document))
        .route("/api/v1/public/documents/{code}", get(verify_enforcement_document))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ComplaintParams {
    /// A state (`received`, `accepted`, `rejected`, `replied`, `converted`), `open` or `overdue`.
    pub status: Option<String>,
    /// Number, subject or company contains.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Complaints and reports in the caller's scope, newest first (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/complaints", tag = "supervision", params(ComplaintParams),
    responses((status = 200, body = Vec<Complaint>), (status = 403, body = Problem)))]
pub async fn list_complaints(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ComplaintParams>,
) -> ApiResult<Json<Vec<Complaint>>> {
    let filter = complaints::Filter { status: q.status.unwrap_or_default(), q: q.q.unwrap_or_default() };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(complaints::list(state.store(), &p, &filter, page, &client).await?.0))
}

/// Register a complaint or report (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/complaints", tag = "supervision", request_body = NewComplaint,
    responses((status = 201, body = Complaint), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn register_complaint(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(n): ApiJson<NewComplaint>,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    Ok((StatusCode::CREATED, Json(complaints::register(state.store(), &p, &n, &client).await?)))
}

/// One complaint (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/complaints/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Complaint), (status = 404, body = Problem)))]
pub async fn get_complaint(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Complaint>> {
    Ok(Json(complaints::get(state.store(), &p, id, &client).await?))
}

/// Accept (受理) or reject (不予受理) a registered complaint (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/complaints/{id}/triage", tag = "supervision", params(("id" = i64, Path)),
    request_body = Triage, responses((status = 200, body = Complaint), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn triage_complaint(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(t): ApiJson<Triage>,
) -> ApiResult<Json<Complaint>> {
    Ok(Json(complaints::triage(state.store(), &p, id, &t, &client).await?))
}

/// Answer a complaint (答复办结), or the reporter of one turned into a case (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/complaints/{id}/reply", tag = "supervision", params(("id" = i64, Path)),
    request_body = Reply, responses((status = 200, body = Complaint), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reply_complaint(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Reply>,
) -> ApiResult<Json<Complaint>> {
    Ok(Json(complaints::reply(state.store(), &p, id, &r, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    pub version: i64,
}

/// Turn an accepted complaint into an enforcement case (转立案核查, `supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/complaints/{id}/enforcement", tag = "supervision", params(("id" = i64, Path)),
    request_body = VersionOnly, responses((status = 201, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complaint_to_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(v): ApiJson<VersionOnly>,
) -> ApiResult<(StatusCode, Json<Enforcement>)> {
    let (_, case) = complaints::to_enforcement(state.store(), &p, id, v.version, &client).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// Open the enforcement case of a risk case whose measures include 立案 (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/cases/{id}/enforcement", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 201, body = Enforcement), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn case_to_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<(StatusCode, Json<Enforcement>)> {
    Ok((StatusCode::CREATED, Json(enforcement::from_case(state.store(), &p, id, &client).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EnforcementParams {
    /// A state, `open`, `overdue` or `paused`.
    pub status: Option<String>,
    /// Company, number, subject or decision number contains.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Enforcement cases in the caller's scope, newest first (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/enforcements", tag = "supervision", params(EnforcementParams),
    responses((status = 200, body = Vec<Enforcement>), (status = 403, body = Problem)))]
pub async fn list_enforcements(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<EnforcementParams>,
) -> ApiResult<Json<Vec<Enforcement>>> {
    let filter = enforcement::Filter { status: q.status.unwrap_or_default(), q: q.q.unwrap_or_default() };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(enforcement::list(state.store(), &p, &filter, page, &client).await?.0))
}

/// Open a clue by hand (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements", tag = "supervision", request_body = NewClue,
    responses((status = 201, body = Enforcement), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(n): ApiJson<NewClue>,
) -> ApiResult<(StatusCode, Json<Enforcement>)> {
    Ok((StatusCode::CREATED, Json(enforcement::open(state.store(), &p, &n, &client).await?)))
}

/// Cases by state with the open, overdue and paused counts (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/enforcements/statistics", tag = "supervision",
    responses((status = 200, body = Statistics)))]
pub async fn enforcement_statistics(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Statistics>> {
    Ok(Json(enforcement::statistics(state.store(), &p, &client).await?))
}

/// A case with its statutory clocks as of today.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnforcementView {
    pub case: Enforcement,
    pub clocks: Vec<CaseClock>,
}

/// One case with its clocks (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/enforcements/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = EnforcementView), (status = 404, body = Problem)))]
pub async fn get_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<EnforcementView>> {
    let case = enforcement::get(state.store(), &p, id, &client).await?;
    let cal =
        yaolian_services::Calendar::load(state.store()).await.map_err(yaolian_supervision::SupervisionError::from)?;
    let clocks = enforcement::clocks(&case, &cal, yaolian_core::Timestamp::now().china_date());
    Ok(Json(EnforcementView { case, clocks }))
}

/// Filing: at least two handlers, signed by the head.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilingRequest {
    pub handlers: Vec<String>,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// File the case (立案, `supervision.configure`, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/filing", tag = "supervision", params(("id" = i64, Path)),
    request_body = FilingRequest, responses((status = 200, body = Enforcement), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn file_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(f): ApiJson<FilingRequest>,
) -> ApiResult<Json<Enforcement>> {
    let filing = Filing { handlers: f.handlers, version: f.version };
    let signing = (f.password.as_str(), f.totp.as_deref());
    Ok(Json(enforcement::file(state.store(), state.identity(), &p, id, &filing, signing, &client).await?))
}

/// A reason, signed by the head.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedReason {
    pub reason: String,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Decline to file a clue (不予立案) or terminate the investigation (终止调查,
/// `supervision.configure`, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/ending", tag = "supervision", params(("id" = i64, Path)),
    request_body = SignedReason, responses((status = 200, body = Enforcement), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn end_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedReason>,
) -> ApiResult<Json<Enforcement>> {
    let x = Ending { reason: s.reason, version: s.version };
    let signing = (s.password.as_str(), s.totp.as_deref());
    Ok(Json(enforcement::end(state.store(), state.identity(), &p, id, &x, signing, &client).await?))
}

/// Evidence files to lock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceUpload {
    pub files: Vec<yaolian_records::files::Upload>,
    pub version: i64,
}

/// Add evidence (a handler, while investigating); each file's SM3 is locked in the case's version.
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/evidence", tag = "supervision", params(("id" = i64, Path)),
    request_body = EvidenceUpload, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn add_enforcement_evidence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(e): ApiJson<EvidenceUpload>,
) -> ApiResult<Json<Enforcement>> {
    Ok(Json(enforcement::add_evidence(state.store(), &p, id, &e.files, e.version, &client).await?))
}

/// Check a case's evidence files against the SM3 the ledger locked (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/enforcements/{id}/evidence-check", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<EvidenceCheck>), (status = 404, body = Problem)))]
pub async fn check_enforcement_evidence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<EvidenceCheck>>> {
    Ok(Json(enforcement::evidence_check(state.store(), &p, id, &client).await?))
}

/// Submit the investigation report (调查终结报告, a handler): the case goes to 法制审核.
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/report", tag = "supervision", params(("id" = i64, Path)),
    request_body = Investigation, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_enforcement_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Investigation>,
) -> ApiResult<Json<Enforcement>> {
    Ok(Json(enforcement::submit_report(state.store(), &p, id, &r, &client).await?))
}

/// The 法制审核 opinion, signed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub passed: bool,
    pub opinion: String,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Review the report (法制审核, an officer who is not a handler, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/review", tag = "supervision", params(("id" = i64, Path)),
    request_body = ReviewRequest, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ReviewRequest>,
) -> ApiResult<Json<Enforcement>> {
    let review = Review { passed: r.passed, opinion: r.opinion, version: r.version };
    let signing = (r.password.as_str(), r.totp.as_deref());
    Ok(Json(enforcement::review(state.store(), state.identity(), &p, id, &review, signing, &client).await?))
}

/// A dated step signed by the head.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedDated {
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub on: String,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Serve the notice (行政处罚事先告知书), sealed by the bureau (`supervision.configure`, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/notice", tag = "supervision", params(("id" = i64, Path)),
    request_body = SignedDated, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn notify_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedDated>,
) -> ApiResult<Json<Enforcement>> {
    let d = Dated { on: s.on, version: s.version, ..Dated::default() };
    let signing = (s.password.as_str(), s.totp.as_deref());
    let done = enforcement::notify(state.store(), state.identity(), state.sealing(), &p, id, &d, signing, &client);
    Ok(Json(done.await?))
}

macro_rules! dated_step {
    ($name:ident, $path:literal, $call:path, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "supervision", params(("id" = i64, Path)),
            request_body = Dated, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
        pub async fn $name(
            State(state): State<AppState>,
            Client(client): Client,
            Auth(p): Auth,
            IdPath(id): IdPath,
            ApiJson(d): ApiJson<Dated>,
        ) -> ApiResult<Json<Enforcement>> {
            Ok(Json($call(state.store(), &p, id, &d, &client).await?))
        }
    };
}

dated_step!(
    record_enforcement_statement,
    "/api/v1/supervision/enforcements/{id}/statement",
    enforcement::record_statement,
    "Record the party's statement and defence (陈述、申辩, a handler)."
);
dated_step!(
    request_enforcement_hearing,
    "/api/v1/supervision/enforcements/{id}/hearing",
    enforcement::request_hearing,
    "Record the party's request for a hearing (a handler): the decision's clock pauses."
);
dated_step!(
    report_enforcement_hearing,
    "/api/v1/supervision/enforcements/{id}/hearing-report",
    enforcement::hearing_report,
    "Record the hearing's report (a handler): the pause ends on the day held."
);
dated_step!(
    serve_enforcement,
    "/api/v1/supervision/enforcements/{id}/service",
    enforcement::serve,
    "Record the decision served (送达, a handler): method and recipient."
);
dated_step!(
    execute_enforcement,
    "/api/v1/supervision/enforcements/{id}/execution",
    enforcement::execute,
    "Record the decision performed (执行, a handler): what was paid."
);

/// Start a period not counted (检测, 公告, 中止 …, a handler).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/pauses", tag = "supervision", params(("id" = i64, Path)),
    request_body = NewPause, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pause_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(n): ApiJson<NewPause>,
) -> ApiResult<Json<Enforcement>> {
    Ok(Json(enforcement::pause(state.store(), &p, id, &n, &client).await?))
}

/// The end of a pause.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Resumption {
    pub pause_id: i64,
    /// YYYY-MM-DD; today when empty.
    #[serde(default)]
    pub on: String,
    pub version: i64,
}

/// End a running pause other than a hearing's (a handler).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/resumption", tag = "supervision", params(("id" = i64, Path)),
    request_body = Resumption, responses((status = 200, body = Enforcement), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn resume_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Resumption>,
) -> ApiResult<Json<Enforcement>> {
    let d = Dated { on: r.on, version: r.version, ..Dated::default() };
    Ok(Json(enforcement::resume(state.store(), &p, id, r.pause_id, &d, &client).await?))
}

/// An extension, signed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionRequest {
    pub limit: String,
    pub reason: String,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Extend a limit once (`verify` or `decide`; `supervision.configure`, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/extension", tag = "supervision", params(("id" = i64, Path)),
    request_body = ExtensionRequest, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn extend_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(x): ApiJson<ExtensionRequest>,
) -> ApiResult<Json<Enforcement>> {
    let ext = Extension { limit: x.limit, reason: x.reason, version: x.version };
    let signing = (x.password.as_str(), x.totp.as_deref());
    Ok(Json(enforcement::extend(state.store(), state.identity(), &p, id, &ext, signing, &client).await?))
}

/// The decision, signed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `penalty` or `no_penalty`.
    pub outcome: String,
    #[serde(default)]
    pub consideration: String,
    pub version: i64,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Decide (`supervision.configure`, signed "decide"): the bureau seals the 行政处罚决定书.
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/decision", tag = "supervision", params(("id" = i64, Path)),
    request_body = DecisionRequest, responses((status = 200, body = Enforcement), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<DecisionRequest>,
) -> ApiResult<Json<Enforcement>> {
    let decision = Decision { outcome: d.outcome, consideration: d.consideration, version: d.version };
    let signing = (d.password.as_str(), d.totp.as_deref());
    let done =
        enforcement::decide(state.store(), state.identity(), state.sealing(), &p, id, &decision, signing, &client);
    Ok(Json(done.await?))
}

/// Close the case (结案, `supervision.configure`, signed).
#[utoipa::path(post, path = "/api/v1/supervision/enforcements/{id}/closure", tag = "supervision", params(("id" = i64, Path)),
    request_body = SignedReason, responses((status = 200, body = Enforcement), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_enforcement(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedReason>,
) -> ApiResult<Json<Enforcement>> {
    let x = Ending { reason: s.reason, version: s.version };
    let signing = (s.password.as_str(), s.totp.as_deref());
    Ok(Json(enforcement::close(state.store(), state.identity(), &p, id, &x, signing, &client).await?))
}

/// A sealed document as its export file (canonical JSON), for `yaolian document verify FILE
/// --public-key KEY` (`supervision.read`; audited).
#[utoipa::path(get, path = "/api/v1/supervision/enforcement-documents/{id}/export", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = SignedDocument), (status = 404, body = Problem)))]
pub async fn export_enforcement_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<impl IntoResponse> {
    let signed = enforcement::export_document(state.store(), &p, id, &client).await?;
    let disposition = format!("attachment; filename=\"enforcement-document-{id}.json\"");
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        signed.to_file(),
    ))
}

/// Public verification of a sealed document by its code (no login): whether the bureau's seal
/// holds and where the case stands by its ledger.
#[utoipa::path(get, path = "/api/v1/public/documents/{code}", tag = "supervision", security(()),
    params(("code" = String, Path, description = "the 24-hex verification code printed under the QR")),
    responses((status = 200, body = DocumentVerification), (status = 404, body = Problem)))]
pub async fn verify_enforcement_document(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> ApiResult<Json<DocumentVerification>> {
    match enforcement::verify_public(state.store(), &code).await {
        Ok(v) => Ok(Json(v)),
        Err(yaolian_supervision::SupervisionError::Shared(yaolian_identity::IdentityError::NotFound(_))) => {
            Err(ApiError::not_found("no document with this verification code"))
        }
        Err(e) => Err(e.into()),
    }
}
