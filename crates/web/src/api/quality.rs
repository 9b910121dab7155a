//! The quality system over HTTP: deviations (reported by hand or from an OOS result,
//! investigated, extended, approved under a signature) and CAPAs (opened, actions done, closed
//! under a signature, effectiveness checked).

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_quality::capa::{self, Capa, NewAction, NewCapa};
use yaolian_quality::deviations::{self, Deviation, Investigation, NewDeviation, Oos, Signal};
use yaolian_quality::documents::{self, Document, NewDocument, Revision};
use yaolian_records::files::Upload;

use super::{ApiQuery, IdPath};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quality/deviations", get(list_deviations).post(report_deviation))
        .route("/api/v1/quality/oos", post(report_oos))
        .route("/api/v1/quality/signals", post(report_signal))
        .route("/api/v1/quality/deviations/{id}", get(get_deviation))
        .route("/api/v1/quality/deviations/{id}/investigation", post(investigate_deviation))
        .route("/api/v1/quality/deviations/{id}/extension", post(extend_deviation))
        .route("/api/v1/quality/deviations/{id}/approval", post(approve_deviation))
        .route("/api/v1/quality/capas", get(list_capas).post(open_capa))
        .route("/api/v1/quality/capas/{id}", get(get_capa))
        .route("/api/v1/quality/capas/{id}/action-done", post(capa_action_done))
        .route("/api/v1/quality/capas/{id}/actions", post(capa_add_actions))
        .route("/api/v1/quality/capas/{id}/closure", post(close_capa))
        .route("/api/v1/quality/capas/{id}/effectiveness", post(capa_effectiveness))
        .route(
            "/api/v1/quality/documents",
            get(list_documents).post(create_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)),
        )
        .route("/api/v1/quality/documents/{id}", get(get_document))
        .route(
            "/api/v1/quality/documents/{id}/revisions",
            post(revise_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)),
        )
        .route("/api/v1/quality/documents/{id}/submission", post(submit_document))
        .route("/api/v1/quality/documents/{id}/approval", post(approve_document))
        .route("/api/v1/quality/documents/{id}/trainings", post(record_training))
        .route("/api/v1/quality/documents/{id}/for-me", get(document_for_me))
        .route("/api/v1/quality/documents/{id}/obsolete", post(obsolete_document))
        .route("/api/v1/quality/documents/{id}/review", post(review_document))
}

/// A request carrying a document's file: the file's limit in base64 and the JSON around it.
pub const MAX_DOCUMENT_BODY: usize = documents::MAX_FILE_BYTES / 3 * 4 + 64 * 1024;

#[derive(Debug, Deserialize, IntoParams)]
pub struct QualityListParams {
    /// A state code, or `overdue` (deviations).
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviationPage {
    pub items: Vec<Deviation>,
    pub total: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CapaPage {
    pub items: Vec<Capa>,
    pub total: i64,
}

/// Deviations of the caller's organizations (`quality.read`), newest first.
#[utoipa::path(get, path = "/api/v1/quality/deviations", tag = "quality", params(QualityListParams),
    responses((status = 200, body = DeviationPage), (status = 403, body = Problem)))]
pub async fn list_deviations(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<QualityListParams>,
) -> ApiResult<Json<DeviationPage>> {
    let (items, total) =
        deviations::list(state.store(), &p, q.status.as_deref(), q.limit.unwrap_or(50), q.offset.unwrap_or(0), &client)
            .await?;
    Ok(Json(DeviationPage { items, total }))
}

/// Report a deviation (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/deviations", tag = "quality", request_body = NewDeviation,
    responses((status = 201, body = Deviation), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_deviation(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewDeviation>,
) -> ApiResult<(StatusCode, Json<Deviation>)> {
    let d = deviations::report(state.store(), &state.config().quality, &p, &new, &client).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// An out-of-specification result (OOS) from the lab: opens a deviation (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/oos", tag = "quality", request_body = Oos,
    responses((status = 201, body = Deviation), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_oos(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(oos): ApiJson<Oos>,
) -> ApiResult<(StatusCode, Json<Deviation>)> {
    let d = deviations::from_oos(state.store(), &state.config().quality, &p, &oos, &client).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// A monitoring signal — an environment excursion or an equipment's black-box alarm: opens a
/// deviation (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/signals", tag = "quality", request_body = Signal,
    responses((status = 201, body = Deviation), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn report_signal(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(signal): ApiJson<Signal>,
) -> ApiResult<(StatusCode, Json<Deviation>)> {
    let d = deviations::from_signal(state.store(), &state.config().quality, &p, &signal, &client).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// One deviation.
#[utoipa::path(get, path = "/api/v1/quality/deviations/{id}", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Deviation), (status = 404, body = Problem)))]
pub async fn get_deviation(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Deviation>> {
    Ok(Json(deviations::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InvestigationRequest {
    #[serde(flatten)]
    pub investigation: Investigation,
    /// Required when the investigation is changed after it was first recorded.
    #[serde(default)]
    pub reason: String,
}

/// QA's investigation and classification (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/deviations/{id}/investigation", tag = "quality", params(("id" = i64, Path)),
    request_body = InvestigationRequest, responses((status = 200, body = Deviation), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn investigate_deviation(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<InvestigationRequest>,
) -> ApiResult<Json<Deviation>> {
    let cfg = &state.config().quality;
    Ok(Json(deviations::investigate(state.store(), cfg, &p, id, &r.investigation, &r.reason, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extension {
    /// The new deadline, YYYY-MM-DD.
    pub due_on: String,
    pub reason: String,
}

/// Extend a deviation's deadline with a reason (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/deviations/{id}/extension", tag = "quality", params(("id" = i64, Path)),
    request_body = Extension, responses((status = 200, body = Deviation), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn extend_deviation(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Extension>,
) -> ApiResult<Json<Deviation>> {
    Ok(Json(deviations::extend(state.store(), &p, id, &r.due_on, &r.reason, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// QA approves and closes a deviation under an electronic signature (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/deviations/{id}/approval", tag = "quality", params(("id" = i64, Path)),
    request_body = Signature, responses((status = 200, body = Deviation), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve_deviation(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Signature>,
) -> ApiResult<Json<Deviation>> {
    let cfg = &state.config().quality;
    let d = deviations::approve(state.store(), cfg, state.identity(), &p, id, &s.password, s.totp.as_deref(), &client)
        .await?;
    Ok(Json(d))
}

/// CAPAs of the caller's organizations (`quality.read`), newest first.
#[utoipa::path(get, path = "/api/v1/quality/capas", tag = "quality", params(QualityListParams),
    responses((status = 200, body = CapaPage), (status = 403, body = Problem)))]
pub async fn list_capas(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<QualityListParams>,
) -> ApiResult<Json<CapaPage>> {
    let (items, total) =
        capa::list(state.store(), &p, q.status.as_deref(), q.limit.unwrap_or(50), q.offset.unwrap_or(0), &client)
            .await?;
    Ok(Json(CapaPage { items, total }))
}

/// Open a CAPA, linked to its deviation when one is named (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/capas", tag = "quality", request_body = NewCapa,
    responses((status = 201, body = Capa), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open_capa(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewCapa>,
) -> ApiResult<(StatusCode, Json<Capa>)> {
    Ok((StatusCode::CREATED, Json(capa::open(state.store(), &p, &new, &client).await?)))
}

/// One CAPA.
#[utoipa::path(get, path = "/api/v1/quality/capas/{id}", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Capa), (status = 404, body = Problem)))]
pub async fn get_capa(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Capa>> {
    Ok(Json(capa::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionDone {
    /// The action's position, from 0.
    pub index: usize,
    pub evidence: String,
}

/// Mark an action done with its evidence (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/capas/{id}/action-done", tag = "quality", params(("id" = i64, Path)),
    request_body = ActionDone, responses((status = 200, body = Capa), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn capa_action_done(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ActionDone>,
) -> ApiResult<Json<Capa>> {
    Ok(Json(capa::complete_action(state.store(), &p, id, r.index, &r.evidence, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoreActions {
    pub actions: Vec<NewAction>,
    pub reason: String,
}

/// Add actions to a CAPA in work (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/capas/{id}/actions", tag = "quality", params(("id" = i64, Path)),
    request_body = MoreActions, responses((status = 200, body = Capa), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn capa_add_actions(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<MoreActions>,
) -> ApiResult<Json<Capa>> {
    Ok(Json(capa::add_actions(state.store(), &p, id, &r.actions, &r.reason, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub note: String,
    pub password: String,
}

/// QA closes a CAPA under a signature; the effectiveness check falls due (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/capas/{id}/closure", tag = "quality", params(("id" = i64, Path)),
    request_body = Closure, responses((status = 200, body = Capa), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_capa(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Closure>,
) -> ApiResult<Json<Capa>> {
    let cfg = &state.config().quality;
    Ok(Json(capa::close(state.store(), cfg, state.identity(), &p, id, &r.note, &r.password, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Effectiveness {
    pub effective: bool,
    pub note: String,
    pub password: String,
}

/// QA's effectiveness check under a signature: a failed one reopens the CAPA (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/capas/{id}/effectiveness", tag = "quality", params(("id" = i64, Path)),
    request_body = Effectiveness, responses((status = 200, body = Capa), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn capa_effectiveness(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Effectiveness>,
) -> ApiResult<Json<Capa>> {
    let c =
        capa::check_effectiveness(state.store(), state.identity(), &p, id, r.effective, &r.note, &r.password, &client)
            .await?;
    Ok(Json(c))
}

/// Controlled documents of the caller's organizations (`quality.read`), each with its
/// revisions and their states.
#[utoipa::path(get, path = "/api/v1/quality/documents", tag = "quality",
    responses((status = 200, body = Vec<Document>), (status = 403, body = Problem)))]
pub async fn list_documents(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Document>>> {
    Ok(Json(documents::list(state.store(), &p, 200, &client).await?))
}

/// Create a controlled document with its first revision, a draft (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents", tag = "quality", request_body = NewDocument,
    responses((status = 201, body = Document), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewDocument>,
) -> ApiResult<(StatusCode, Json<Document>)> {
    Ok((StatusCode::CREATED, Json(documents::create(state.store(), &p, &new, &client).await?)))
}

/// One controlled document with its revisions.
#[utoipa::path(get, path = "/api/v1/quality/documents/{id}", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Document), (status = 404, body = Problem)))]
pub async fn get_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRevision {
    pub file: Upload,
    /// 修订原因.
    pub reason: String,
}

/// Draft the next revision with its file and reason (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/revisions", tag = "quality", params(("id" = i64, Path)),
    request_body = NewRevision, responses((status = 200, body = Document), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<NewRevision>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::revise(state.store(), &p, id, &r.file, &r.reason, &client).await?))
}

/// Submit the draft revision for review (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/submission", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Document), (status = 409, body = Problem)))]
pub async fn submit_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::submit(state.store(), &p, id, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentApproval {
    /// The date the revision takes effect, YYYY-MM-DD, today or later.
    pub effective_on: String,
    pub password: String,
}

/// Approve the revision in review under an electronic signature (`quality.manage`, not its
/// author).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/approval", tag = "quality", params(("id" = i64, Path)),
    request_body = DocumentApproval, responses((status = 200, body = Document), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(a): ApiJson<DocumentApproval>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::approve(state.store(), state.identity(), &p, id, &a.effective_on, &a.password, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Training {
    pub revision_id: i64,
    pub user_id: i64,
}

/// Record that a person was trained on a revision (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/trainings", tag = "quality", params(("id" = i64, Path)),
    request_body = Training, responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_training(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(t): ApiJson<Training>,
) -> ApiResult<StatusCode> {
    documents::record_training(state.store(), &p, id, t.revision_id, t.user_id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The revision effective for the caller: in force, and the caller trained on it
/// (`not_trained` otherwise).
#[utoipa::path(get, path = "/api/v1/quality/documents/{id}/for-me", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Revision), (status = 409, body = Problem), (status = 404, body = Problem)))]
pub async fn document_for_me(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Revision>> {
    Ok(Json(documents::effective_for(state.store(), &p, id, p.user_id(), &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Obsolete {
    pub reason: String,
}

/// Make a document obsolete with the reason (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/obsolete", tag = "quality", params(("id" = i64, Path)),
    request_body = Obsolete, responses((status = 200, body = Document), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn obsolete_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(o): ApiJson<Obsolete>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::make_obsolete(state.store(), &p, id, &o.reason, &client).await?))
}

/// QA records the periodic review of the revision in force under a signature (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/documents/{id}/review", tag = "quality", params(("id" = i64, Path)),
    request_body = Closure, responses((status = 200, body = Document), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Closure>,
) -> ApiResult<Json<Document>> {
    Ok(Json(documents::confirm_review(state.store(), state.identity(), &p, id, &r.note, &r.password, &client).await?))
}
