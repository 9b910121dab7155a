//! The quality system over HTTP: deviations (reported by hand or from an OOS result,
//! investigated, extended, approved under a signature) and CAPAs (opened, actions done, closed
//! under a signature, effectiveness checked).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_quality::capa::{self, Capa, NewAction, NewCapa};
use yaolian_quality::deviations::{self, Deviation, Investigation, NewDeviation, Oos};
use yaolian_quality::QualityConfig;

use super::{ApiQuery, IdPath};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/quality/deviations", get(list_deviations).post(report_deviation))
        .route("/api/v1/quality/oos", post(report_oos))
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
}

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
    let d = deviations::report(state.store(), &QualityConfig::default(), &p, &new, &client).await?;
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
    let d = deviations::from_oos(state.store(), &QualityConfig::default(), &p, &oos, &client).await?;
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
    let cfg = QualityConfig::default();
    Ok(Json(deviations::investigate(state.store(), &cfg, &p, id, &r.investigation, &r.reason, &client).await?))
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
    let cfg = QualityConfig::default();
    let d = deviations::approve(state.store(), &cfg, state.identity(), &p, id, &s.password, s.totp.as_deref(), &client)
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
    let cfg = QualityConfig::default();
    Ok(Json(capa::close(state.store(), &cfg, state.identity(), &p, id, &r.note, &r.password, &client).await?))
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
