//! Change control over HTTP: request, QA's assessment (class and FMEA), each function's signed
//! decision, tasks, first-batch evaluations, revising an affected document under the change, and
//! the signed closure.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_quality::changes::{self, Assessment, Change, NewChange};
use yaolian_quality::documents::Document;
use yaolian_records::files::Upload;

use super::quality::{ActionDone, Closure, QualityListParams, MAX_DOCUMENT_BODY};
use super::{ApiQuery, IdPath};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quality/changes", get(list_changes).post(request_change))
        .route("/api/v1/quality/changes/{id}", get(get_change))
        .route("/api/v1/quality/changes/{id}/assessment", post(assess_change))
        .route("/api/v1/quality/changes/{id}/decision", post(decide_change))
        .route("/api/v1/quality/changes/{id}/task-done", post(change_task_done))
        .route("/api/v1/quality/changes/{id}/batch-review", post(review_change_batch))
        .route(
            "/api/v1/quality/changes/{id}/document-revision",
            post(revise_change_document).layer(DefaultBodyLimit::max(MAX_DOCUMENT_BODY)),
        )
        .route("/api/v1/quality/changes/{id}/closure", post(close_change))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<Change>,
    pub total: i64,
}

/// Changes of the caller's organizations (`quality.read`), newest first.
#[utoipa::path(get, path = "/api/v1/quality/changes", tag = "quality", params(QualityListParams),
    responses((status = 200, body = ChangePage), (status = 403, body = Problem)))]
pub async fn list_changes(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<QualityListParams>,
) -> ApiResult<Json<ChangePage>> {
    let (items, total) =
        changes::list(state.store(), &p, q.status.as_deref(), q.limit.unwrap_or(50), q.offset.unwrap_or(0), &client)
            .await?;
    Ok(Json(ChangePage { items, total }))
}

/// Request a change (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/changes", tag = "quality", request_body = NewChange,
    responses((status = 201, body = Change), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn request_change(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewChange>,
) -> ApiResult<(StatusCode, Json<Change>)> {
    let c = changes::request(state.store(), &state.config().quality, &p, &new, &client).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One change.
#[utoipa::path(get, path = "/api/v1/quality/changes/{id}", tag = "quality", params(("id" = i64, Path)),
    responses((status = 200, body = Change), (status = 404, body = Problem)))]
pub async fn get_change(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Change>> {
    Ok(Json(changes::get(state.store(), &p, id, &client).await?))
}

/// QA's classification, FMEA, approving functions and tasks (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/assessment", tag = "quality", params(("id" = i64, Path)),
    request_body = Assessment, responses((status = 200, body = Change), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assess_change(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(a): ApiJson<Assessment>,
) -> ApiResult<Json<Change>> {
    Ok(Json(changes::assess(state.store(), &state.config().quality, &p, id, &a, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeDecision {
    /// The function signed for (`qa`, `qc`, `production`, `rd`, `regulatory`, `engineering`).
    pub function: String,
    pub approved: bool,
    /// Required for a refusal.
    #[serde(default)]
    pub note: String,
    pub password: String,
}

/// A function's signed decision: QA's needs `quality.manage`, another's `quality.report`.
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/decision", tag = "quality", params(("id" = i64, Path)),
    request_body = ChangeDecision, responses((status = 200, body = Change), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_change(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ChangeDecision>,
) -> ApiResult<Json<Change>> {
    let c = changes::decide(
        state.store(),
        state.identity(),
        &p,
        id,
        &r.function,
        r.approved,
        &r.note,
        &r.password,
        &client,
    )
    .await?;
    Ok(Json(c))
}

/// Mark an implementation task done with its evidence (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/task-done", tag = "quality", params(("id" = i64, Path)),
    request_body = ActionDone, responses((status = 200, body = Change), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_task_done(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ActionDone>,
) -> ApiResult<Json<Change>> {
    Ok(Json(changes::complete_task(state.store(), &p, id, r.index, &r.evidence, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchReviewRequest {
    pub batch: String,
    pub acceptable: bool,
    pub conclusion: String,
}

/// Record the evaluation of a batch made after the change (`quality.report`).
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/batch-review", tag = "quality", params(("id" = i64, Path)),
    request_body = BatchReviewRequest, responses((status = 200, body = Change), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_change_batch(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<BatchReviewRequest>,
) -> ApiResult<Json<Change>> {
    Ok(Json(changes::review_batch(state.store(), &p, id, &r.batch, r.acceptable, &r.conclusion, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRevision {
    pub document_id: i64,
    pub file: Upload,
    pub reason: String,
}

/// Draft the next revision of an affected document under the change (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/document-revision", tag = "quality", params(("id" = i64, Path)),
    request_body = ChangeRevision, responses((status = 200, body = Document), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_change_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<ChangeRevision>,
) -> ApiResult<Json<Document>> {
    Ok(Json(changes::revise_document(state.store(), &p, id, r.document_id, &r.file, &r.reason, &client).await?))
}

/// QA closes the implemented change under a signature (`quality.manage`).
#[utoipa::path(post, path = "/api/v1/quality/changes/{id}/closure", tag = "quality", params(("id" = i64, Path)),
    request_body = Closure, responses((status = 200, body = Change), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_change(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Closure>,
) -> ApiResult<Json<Change>> {
    Ok(Json(changes::close(state.store(), state.identity(), &p, id, &r.note, &r.password, &client).await?))
}
