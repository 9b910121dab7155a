//! Sampling (抽检) over HTTP: a bureau's sampling plans and their tasks, each sample taken by a
//! team, handed on and received with its seal checked, tested, compared and reported under a
//! signature; a failing batch's report raises the disposal case and orders the recall.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use yaolian_supervision::sampling::{self, Comparison, Handover, NewPlan, Results, Sample, SamplingPlan, Taken};

use super::{IdPath, SignedVersion};
use crate::error::{ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/supervision/sampling-plans", get(list_sampling_plans).post(create_sampling_plan))
        .route("/api/v1/supervision/sampling-plans/{id}", get(get_sampling_plan))
        .route("/api/v1/supervision/sampling-plans/{id}/samples", get(plan_samples))
        .route("/api/v1/supervision/samples/{id}", get(get_sample))
        .route("/api/v1/supervision/samples/{id}/assignment", post(assign_sample))
        .route("/api/v1/supervision/samples/{id}/taking", post(take_sample))
        .route("/api/v1/supervision/samples/{id}/handover", post(hand_over_sample))
        .route("/api/v1/supervision/samples/{id}/receipt", post(receive_sample))
        .route("/api/v1/supervision/samples/{id}/results", post(record_sample_results))
        .route("/api/v1/supervision/samples/{id}/comparison", get(compare_sample))
        .route("/api/v1/supervision/samples/{id}/report", post(sign_sample_report))
}

/// The sampling plans in the caller's scope, newest first, with their tasks counted by state
/// (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/sampling-plans", tag = "supervision",
    responses((status = 200, body = Vec<SamplingPlan>), (status = 403, body = Problem)))]
pub async fn list_sampling_plans(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<SamplingPlan>>> {
    Ok(Json(sampling::plans(state.store(), &p, &client).await?))
}

/// Make a sampling plan and its tasks: the products of the given classes whose makers are of the
/// given risk levels, riskiest first, up to the quota (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/sampling-plans", tag = "supervision", request_body = NewPlan,
    responses((status = 201, body = SamplingPlan), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_sampling_plan(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(n): ApiJson<NewPlan>,
) -> ApiResult<(StatusCode, Json<SamplingPlan>)> {
    Ok((StatusCode::CREATED, Json(sampling::create_plan(state.store(), &p, &n, &client).await?)))
}

/// One sampling plan (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/sampling-plans/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = SamplingPlan), (status = 404, body = Problem)))]
pub async fn get_sampling_plan(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<SamplingPlan>> {
    Ok(Json(sampling::plan(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SampleParams {
    /// A sample state (`planned`, `assigned`, `sampled`, `received`, `tested`, `passed`, `failed`).
    pub status: Option<String>,
    /// Company, product, number or batch contains.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A plan's samples, by number (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/sampling-plans/{id}/samples", tag = "supervision",
    params(("id" = i64, Path), SampleParams), responses((status = 200, body = Vec<Sample>), (status = 404, body = Problem)))]
pub async fn plan_samples(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    super::ApiQuery(q): super::ApiQuery<SampleParams>,
) -> ApiResult<Json<Vec<Sample>>> {
    let filter = sampling::Filter { status: q.status.unwrap_or_default(), q: q.q.unwrap_or_default() };
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    Ok(Json(sampling::samples_of(state.store(), &p, id, &filter, page, &client).await?.0))
}

/// One sample with its chain of custody and results (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/samples/{id}", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Sample), (status = 404, body = Problem)))]
pub async fn get_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SampleTeam {
    /// Logins of at least two of the bureau's officers.
    pub members: Vec<String>,
    pub version: i64,
}

/// Give a task to a sampling team of at least two (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/assignment", tag = "supervision", params(("id" = i64, Path)),
    request_body = SampleTeam, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(t): ApiJson<SampleTeam>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::assign(state.store(), &p, id, &t.members, t.version, &client).await?))
}

/// Record the sample as taken: batch, quantity, place, seal (a member of its team).
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/taking", tag = "supervision", params(("id" = i64, Path)),
    request_body = Taken, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn take_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(t): ApiJson<Taken>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::take(state.store(), &p, id, &t, &client).await?))
}

/// Hand the sample on to another officer (its holder).
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/handover", tag = "supervision", params(("id" = i64, Path)),
    request_body = Handover, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn hand_over_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(h): ApiJson<Handover>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::hand_over(state.store(), &p, id, &h, &client).await?))
}

/// Receive the sample for testing, its seal checked intact (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/receipt", tag = "supervision", params(("id" = i64, Path)),
    request_body = Handover, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn receive_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(h): ApiJson<Handover>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::receive(state.store(), &p, id, &h, &client).await?))
}

/// Record the test results, each item judged against its specification (`supervision.manage`).
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/results", tag = "supervision", params(("id" = i64, Path)),
    request_body = Results, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn record_sample_results(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<Results>,
) -> ApiResult<Json<Sample>> {
    Ok(Json(sampling::record_results(state.store(), &p, id, &r, &client).await?))
}

/// The sample's numeric results beside the product's other batches and other makers of the same
/// product (`supervision.read`).
#[utoipa::path(get, path = "/api/v1/supervision/samples/{id}/comparison", tag = "supervision", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Comparison>), (status = 404, body = Problem)))]
pub async fn compare_sample(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<Comparison>>> {
    let s = sampling::get(state.store(), &p, id, &client).await?;
    Ok(Json(sampling::compare(state.store(), &s).await?))
}

/// Sign the test report (`supervision.manage`, not who entered the results); a failing batch's
/// report raises its disposal case and orders the recall of the batch.
#[utoipa::path(post, path = "/api/v1/supervision/samples/{id}/report", tag = "supervision", params(("id" = i64, Path)),
    request_body = SignedVersion, responses((status = 200, body = Sample), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn sign_sample_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<SignedVersion>,
) -> ApiResult<Json<Sample>> {
    let signature = (s.password.as_str(), s.totp.as_deref());
    Ok(Json(sampling::sign_report(state.store(), state.identity(), &p, id, s.version, signature, &client).await?))
}
