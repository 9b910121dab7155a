//! Online services over HTTP: application types and calendar, applications from submission to
//! decision, progress, attachments and statistics.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_services::applications::{
    self, Act, ApplicationQuery, ApplicationView, Decide, NewApplication, Resubmission, Statistics,
};
use yaolian_services::calendar::{self, SpecialDay};
use yaolian_services::types::{self, ServiceType, TypeChange};

use super::{ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

/// Largest application body: attachments travel base64 inside it.
pub const MAX_APPLICATION_BYTES: usize = 16 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/services/types", get(service_types))
        .route("/api/v1/services/types/{code}", put(update_service_type))
        .route("/api/v1/services/calendar", get(service_calendar))
        .route("/api/v1/services/calendar/{day}", put(set_calendar_day))
        .route("/api/v1/services/statistics", get(service_statistics))
        .route(
            "/api/v1/applications",
            get(list_applications).post(submit_application).layer(DefaultBodyLimit::max(MAX_APPLICATION_BYTES)),
        )
        .route("/api/v1/applications/{id}", get(get_application))
        .route("/api/v1/applications/{id}/reviewers", get(application_reviewers))
        .route(
            "/api/v1/applications/{id}/resubmit",
            post(resubmit_application).layer(DefaultBodyLimit::max(MAX_APPLICATION_BYTES)),
        )
        .route("/api/v1/applications/{id}/withdraw", post(withdraw_application))
        .route("/api/v1/applications/{id}/act", post(act_on_application))
        .route("/api/v1/applications/{id}/decide", post(decide_application))
        .route("/api/v1/applications/{id}/files/{file_id}", get(application_file))
}

/// The application types (事项) and their limits.
#[utoipa::path(get, path = "/api/v1/services/types", tag = "services", responses((status = 200, body = Vec<ServiceType>)))]
pub async fn service_types(State(state): State<AppState>, Auth(_p): Auth) -> ApiResult<Json<Vec<ServiceType>>> {
    Ok(Json(types::list(state.store()).await?))
}

/// Change an application type's limits or 秒办 rule (`service.configure`).
#[utoipa::path(put, path = "/api/v1/services/types/{code}", tag = "services", params(("code" = String, Path)),
    request_body = TypeChange, responses((status = 200, body = ServiceType), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update_service_type(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(code): Path<String>,
    ApiJson(change): ApiJson<TypeChange>,
) -> ApiResult<Json<ServiceType>> {
    Ok(Json(types::update(state.store(), &p, &code, &change, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CalendarParams {
    pub year: Option<i32>,
}

/// Public holidays and adjusted working days of a year.
#[utoipa::path(get, path = "/api/v1/services/calendar", tag = "services", params(CalendarParams),
    responses((status = 200, body = Vec<SpecialDay>)))]
pub async fn service_calendar(
    State(state): State<AppState>,
    Auth(_p): Auth,
    ApiQuery(q): ApiQuery<CalendarParams>,
) -> ApiResult<Json<Vec<SpecialDay>>> {
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&yaolian_core::Timestamp::now().china_date()));
    Ok(Json(calendar::special_days(state.store(), year).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayIn {
    /// holiday, workday, or empty to clear back to the weekday rule.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// Why, e.g. the State Council notice.
    pub reason: String,
}

/// Set a day as a public holiday or an adjusted working day, or clear it (`service.configure`).
#[utoipa::path(put, path = "/api/v1/services/calendar/{day}", tag = "services", params(("day" = String, Path, description = "YYYY-MM-DD")),
    request_body = CalendarDayIn, responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_calendar_day(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(day): Path<String>,
    ApiJson(d): ApiJson<CalendarDayIn>,
) -> ApiResult<StatusCode> {
    calendar::set_day(state.store(), &p, &day, &d.kind, &d.name, &d.reason, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Per type: count, open, decided, average working days, overdue rate; submissions per month.
#[utoipa::path(get, path = "/api/v1/services/statistics", tag = "services", responses((status = 200, body = Statistics)))]
pub async fn service_statistics(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Statistics>> {
    Ok(Json(applications::statistics(state.store(), &p, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ApplicationListParams {
    /// Substring of the number or the applicant's name.
    pub q: Option<String>,
    pub type_code: Option<String>,
    /// A status, or open / overdue.
    pub status: Option<String>,
    /// number, type, status, due or submitted (default: newest submitted first).
    pub sort: Option<String>,
    /// Descending (with `sort`).
    pub desc: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl ApplicationListParams {
    pub fn query(self) -> ApplicationQuery {
        ApplicationQuery {
            q: self.q,
            type_code: self.type_code,
            status: self.status,
            sort: self.sort,
            desc: self.desc.unwrap_or(false),
            limit: self.limit.unwrap_or(50),
            offset: self.offset.unwrap_or(0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationPage {
    pub items: Vec<ApplicationView>,
    /// The rows the filter selects, counted up to 10,000; 10,001 means more than that.
    pub total: i64,
}

/// Applications the caller sees: an applicant its company's, a bureau its jurisdiction's.
#[utoipa::path(get, path = "/api/v1/applications", tag = "services", params(ApplicationListParams),
    responses((status = 200, body = ApplicationPage), (status = 403, body = Problem)))]
pub async fn list_applications(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ApplicationListParams>,
) -> ApiResult<Json<ApplicationPage>> {
    let (items, total) = applications::list(state.store(), &p, &q.query(), &client).await?;
    Ok(Json(ApplicationPage { items, total }))
}

/// Submit an application (`service.apply`); attachments base64 in the body, each SM3-summed.
#[utoipa::path(post, path = "/api/v1/applications", tag = "services", request_body = NewApplication,
    responses((status = 201, body = ApplicationView), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewApplication>,
) -> ApiResult<(StatusCode, Json<ApplicationView>)> {
    Ok((StatusCode::CREATED, Json(applications::submit(state.store(), state.sealing(), &p, &new, &client).await?)))
}

/// Who may be assigned to review an application (for whoever handles it).
#[utoipa::path(get, path = "/api/v1/applications/{id}/reviewers", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<applications::ReviewerChoice>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn application_reviewers(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<applications::ReviewerChoice>>> {
    Ok(Json(applications::reviewer_choices(state.store(), &p, id, &client).await?))
}

/// One application with its steps, clock and decision.
#[utoipa::path(get, path = "/api/v1/applications/{id}", tag = "services", params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::get(state.store(), &p, id, &client).await?))
}

/// Answer a 补正 notice (the applicant).
#[utoipa::path(post, path = "/api/v1/applications/{id}/resubmit", tag = "services", params(("id" = i64, Path)),
    request_body = Resubmission, responses((status = 200, body = ApplicationView), (status = 409, body = Problem)))]
pub async fn resubmit_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(answer): ApiJson<Resubmission>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::resubmit(state.store(), &p, id, &answer, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Versioned {
    pub expected_version: i64,
}

/// Withdraw an open application (the applicant).
#[utoipa::path(post, path = "/api/v1/applications/{id}/withdraw", tag = "services", params(("id" = i64, Path)),
    request_body = Versioned, responses((status = 200, body = ApplicationView), (status = 409, body = Problem)))]
pub async fn withdraw_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(v): ApiJson<Versioned>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::withdraw(state.store(), &p, id, v.expected_version, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ActIn {
    #[serde(flatten)]
    pub act: Act,
    pub expected_version: i64,
}

/// A bureau step (`service.handle`): accept, refuse, request_correction, assign, review, inspection.
#[utoipa::path(post, path = "/api/v1/applications/{id}/act", tag = "services", params(("id" = i64, Path)),
    request_body = ActIn, responses((status = 200, body = ApplicationView), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn act_on_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(a): ApiJson<ActIn>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::act(state.store(), &p, id, &a.act, a.expected_version, &client).await?))
}

/// The signed decision (`service.decide`); approval issues, changes or renews the license.
#[utoipa::path(post, path = "/api/v1/applications/{id}/decide", tag = "services", params(("id" = i64, Path)),
    request_body = Decide, responses((status = 200, body = ApplicationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn decide_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<Decide>,
) -> ApiResult<Json<ApplicationView>> {
    let view = applications::decide(state.store(), state.identity(), state.sealing(), &p, id, &d, &client).await?;
    Ok(Json(view))
}

/// An attachment's bytes, with its SM3 checksum in `X-Content-SM3`.
#[utoipa::path(get, path = "/api/v1/applications/{id}/files/{file_id}", tag = "services",
    params(("id" = i64, Path), ("file_id" = i64, Path)), responses((status = 200, body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn application_file(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let parse = |s: &str| s.parse::<i64>().map_err(|_| ApiError::not_found(format!("no resource with id {s:?}")));
    let (meta, content_type, bytes) =
        applications::file(state.store(), &p, parse(&id)?, parse(&file_id)?, &client).await?;
    Ok(super::file_response(&meta.name, content_type, meta.sm3, bytes))
}
