//! The laboratory over HTTP: instruments registered, calibrated and used (only while in
//! calibration).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use yaolian_lab::instruments::{self, Calibration, Instrument, NewInstrument, Use};
use yaolian_lab::results::{self, Delivery, Stored};

use super::IdPath;
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/lab/instruments", get(list_instruments).post(register_instrument))
        .route("/api/v1/lab/instruments/{id}", get(get_instrument))
        .route("/api/v1/lab/instruments/{id}/calibrations", post(calibrate_instrument))
        .route("/api/v1/lab/instruments/{id}/uses", get(instrument_uses).post(use_instrument))
        .route(
            "/api/v1/lab/results",
            get(list_results).post(deliver_result).layer(axum::extract::DefaultBodyLimit::max(MAX_RESULT_BODY)),
        )
}

/// Instruments of the caller's laboratories (`lab.read`), those falling due first.
#[utoipa::path(get, path = "/api/v1/lab/instruments", tag = "lab",
    responses((status = 200, body = Vec<Instrument>), (status = 403, body = Problem)))]
pub async fn list_instruments(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Instrument>>> {
    Ok(Json(instruments::list(state.store(), &p, &client).await?))
}

/// Register an instrument (`lab.manage`); usable after its first calibration.
#[utoipa::path(post, path = "/api/v1/lab/instruments", tag = "lab", request_body = NewInstrument,
    responses((status = 201, body = Instrument), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn register_instrument(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewInstrument>,
) -> ApiResult<(StatusCode, Json<Instrument>)> {
    Ok((StatusCode::CREATED, Json(instruments::register(state.store(), &p, &new, &client).await?)))
}

/// One instrument with its calibration state.
#[utoipa::path(get, path = "/api/v1/lab/instruments/{id}", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = Instrument), (status = 404, body = Problem)))]
pub async fn get_instrument(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Instrument>> {
    Ok(Json(instruments::get(state.store(), &p, id, &client).await?))
}

/// Record a calibration (`lab.manage`): a pass makes it usable for its interval, a failure
/// takes it out of service.
#[utoipa::path(post, path = "/api/v1/lab/instruments/{id}/calibrations", tag = "lab", params(("id" = i64, Path)),
    request_body = Calibration, responses((status = 200, body = Instrument), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn calibrate_instrument(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<Calibration>,
) -> ApiResult<Json<Instrument>> {
    Ok(Json(instruments::calibrate(state.store(), &p, id, &c, &client).await?))
}

/// The uses of an instrument, newest first (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/instruments/{id}/uses", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Use>), (status = 404, body = Problem)))]
pub async fn instrument_uses(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<Use>>> {
    Ok(Json(instruments::uses_of(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseRequest {
    /// 用途.
    pub purpose: String,
    /// The record it is used for (检验记录编号).
    #[serde(default)]
    pub record_ref: String,
}

/// Use an instrument (`lab.use`): refused when it is not in calibration (409
/// `out_of_calibration`).
#[utoipa::path(post, path = "/api/v1/lab/instruments/{id}/uses", tag = "lab", params(("id" = i64, Path)),
    request_body = UseRequest, responses((status = 201, body = Use), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn use_instrument(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<UseRequest>,
) -> ApiResult<(StatusCode, Json<Use>)> {
    let u = instruments::use_instrument(state.store(), &p, id, &r.purpose, &r.record_ref, &client).await?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// A delivery's body: the raw file's limit in base64 and the JSON around it.
pub const MAX_RESULT_BODY: usize = results::MAX_RAW_BYTES / 3 * 4 + 64 * 1024;

/// A result from the instrument capture agent (`lab.use`, the agent's scoped token): 201 when
/// new, 200 with the stored result when the idempotency key was delivered before with the same
/// content, 409 `key_reused` when with other content.
#[utoipa::path(post, path = "/api/v1/lab/results", tag = "lab", request_body = Delivery,
    responses((status = 201, body = Stored), (status = 200, body = Stored), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn deliver_result(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(d): ApiJson<Delivery>,
) -> ApiResult<(StatusCode, Json<Stored>)> {
    let (stored, created) = results::deliver(state.store(), &p, &d, &client).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(stored)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ResultParams {
    /// An instrument's number.
    pub instrument: Option<String>,
    pub limit: Option<i64>,
}

/// Results delivered to the caller's laboratories, newest first (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/results", tag = "lab", params(ResultParams),
    responses((status = 200, body = Vec<Stored>), (status = 403, body = Problem)))]
pub async fn list_results(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<ResultParams>,
) -> ApiResult<Json<Vec<Stored>>> {
    let list = results::list(state.store(), &p, q.instrument.as_deref(), q.limit.unwrap_or(100), &client).await?;
    Ok(Json(list))
}
