//! The laboratory over HTTP: instruments registered, calibrated and used (only while in
//! calibration); results the capture agent delivers; record templates designed and approved;
//! lab records made, filled, corrected, submitted, reviewed and approved.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::ToSchema;
use yaolian_lab::environment::{self, NewReading, NewRoom, Reading, Room};
use yaolian_lab::instruments::{self, Calibration, Instrument, NewInstrument, Use};
use yaolian_lab::projects::{self, NewProject, NewTask, Progress, Project};
use yaolian_lab::records::{self, Entries, NewRecord, Record};
use yaolian_lab::results::{self, Delivery, Stored};
use yaolian_lab::templates::{self, Definition, NewTemplate, TemplateVersion};

use super::quality::Signature;
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
        .route("/api/v1/lab/templates", get(list_templates).post(create_template))
        .route("/api/v1/lab/templates/{id}", get(get_template).put(edit_template))
        .route("/api/v1/lab/templates/{id}/versions", post(new_template_version))
        .route("/api/v1/lab/templates/{id}/approval", post(approve_template))
        .route("/api/v1/lab/records", get(list_records).post(create_record))
        .route("/api/v1/lab/records/{id}", get(get_record))
        .route(
            "/api/v1/lab/records/{id}/entries",
            post(enter_record).layer(axum::extract::DefaultBodyLimit::max(MAX_RESULT_BODY)),
        )
        .route("/api/v1/lab/records/{id}/submission", post(submit_record))
        .route("/api/v1/lab/records/{id}/review", post(review_record))
        .route("/api/v1/lab/records/{id}/send-back", post(send_back_record))
        .route("/api/v1/lab/records/{id}/approval", post(approve_record))
        .route("/api/v1/lab/rooms", get(list_rooms).post(create_room))
        .route("/api/v1/lab/rooms/{id}/readings", get(room_readings).post(record_reading))
        .route("/api/v1/lab/projects", get(list_projects).post(propose_project))
        .route("/api/v1/lab/projects/{id}", get(get_project))
        .route("/api/v1/lab/projects/{id}/decision", post(decide_project))
        .route("/api/v1/lab/projects/{id}/tasks", post(add_project_task))
        .route("/api/v1/lab/projects/{id}/progress", post(project_progress))
        .route("/api/v1/lab/projects/{id}/closure", post(close_project))
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

/// Each template's newest version (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/templates", tag = "lab",
    responses((status = 200, body = Vec<TemplateVersion>), (status = 403, body = Problem)))]
pub async fn list_templates(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<TemplateVersion>>> {
    Ok(Json(templates::list(state.store(), &p, &client).await?))
}

/// Create a template with its first version as a draft (`lab.manage`); the definition is
/// checked, each refusal naming its path and rule.
#[utoipa::path(post, path = "/api/v1/lab/templates", tag = "lab", request_body = NewTemplate,
    responses((status = 201, body = TemplateVersion), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_template(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewTemplate>,
) -> ApiResult<(StatusCode, Json<TemplateVersion>)> {
    Ok((StatusCode::CREATED, Json(templates::create(state.store(), &p, &new, &client).await?)))
}

/// One template version.
#[utoipa::path(get, path = "/api/v1/lab/templates/{id}", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = TemplateVersion), (status = 404, body = Problem)))]
pub async fn get_template(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<TemplateVersion>> {
    Ok(Json(templates::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateEdit {
    pub definition: Definition,
    /// The version's `version` the edit was made against.
    pub version: i64,
}

/// Replace a draft's definition (`lab.manage`); an approved version is never edited (409
/// `template_locked`).
#[utoipa::path(put, path = "/api/v1/lab/templates/{id}", tag = "lab", params(("id" = i64, Path)),
    request_body = TemplateEdit, responses((status = 200, body = TemplateVersion), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn edit_template(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(e): ApiJson<TemplateEdit>,
) -> ApiResult<Json<TemplateVersion>> {
    Ok(Json(templates::edit(state.store(), &p, id, &e.definition, e.version, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVersionRequest {
    /// What changes and why (修订说明).
    pub change_note: String,
}

/// Draft the next version of the template from its newest (`lab.manage`).
#[utoipa::path(post, path = "/api/v1/lab/templates/{id}/versions", tag = "lab", params(("id" = i64, Path)),
    request_body = NewVersionRequest, responses((status = 201, body = TemplateVersion), (status = 422, body = Problem)))]
pub async fn new_template_version(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<NewVersionRequest>,
) -> ApiResult<(StatusCode, Json<TemplateVersion>)> {
    Ok((StatusCode::CREATED, Json(templates::new_version(state.store(), &p, id, &r.change_note, &client).await?)))
}

/// Approve a draft under an electronic signature (`lab.manage`, not its drafter).
#[utoipa::path(post, path = "/api/v1/lab/templates/{id}/approval", tag = "lab", params(("id" = i64, Path)),
    request_body = Signature, responses((status = 200, body = TemplateVersion), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve_template(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Signature>,
) -> ApiResult<Json<TemplateVersion>> {
    let v =
        templates::approve(state.store(), state.identity(), &p, id, &s.password, s.totp.as_deref(), &client).await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RecordParams {
    /// A state, or `oos`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Lab records of the caller's laboratories, newest first (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/records", tag = "lab", params(RecordParams),
    responses((status = 200, body = Vec<Record>), (status = 403, body = Problem)))]
pub async fn list_records(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    super::ApiQuery(q): super::ApiQuery<RecordParams>,
) -> ApiResult<Json<Vec<Record>>> {
    let (limit, offset) = (q.limit.unwrap_or(50), q.offset.unwrap_or(0));
    let (list, _) = records::list(state.store(), &p, q.status.as_deref(), limit, offset, &client).await?;
    Ok(Json(list))
}

/// Make a record from an approved template version (`lab.use`).
#[utoipa::path(post, path = "/api/v1/lab/records", tag = "lab", request_body = NewRecord,
    responses((status = 201, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewRecord>,
) -> ApiResult<(StatusCode, Json<Record>)> {
    Ok((StatusCode::CREATED, Json(records::create(state.store(), &p, &new, &client).await?)))
}

/// One record with its entries.
#[utoipa::path(get, path = "/api/v1/lab/records/{id}", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = Record), (status = 404, body = Problem)))]
pub async fn get_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Record>> {
    Ok(Json(records::get(state.store(), &p, id, &client).await?))
}

/// Enter values (the record's author): freely in a draft; after submission a correction with its
/// reason. A calculated field is refused (422, rule `calculated`); an instrument out of
/// calibration is refused (409 `out_of_calibration`).
#[utoipa::path(post, path = "/api/v1/lab/records/{id}/entries", tag = "lab", params(("id" = i64, Path)),
    request_body = Entries, responses((status = 200, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn enter_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(e): ApiJson<Entries>,
) -> ApiResult<Json<Record>> {
    Ok(Json(records::enter(state.store(), &p, id, &e, &client).await?))
}

/// Submit a draft under the author's signature; an OOS result opens a deviation.
#[utoipa::path(post, path = "/api/v1/lab/records/{id}/submission", tag = "lab", params(("id" = i64, Path)),
    request_body = Signature, responses((status = 200, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn submit_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Signature>,
) -> ApiResult<Json<Record>> {
    let (store, cfg) = (state.store(), &state.config().quality);
    let r = records::submit(store, state.identity(), cfg, &p, id, &s.password, s.totp.as_deref(), &client).await?;
    Ok(Json(r))
}

/// Review a submitted record under a signature (not its author).
#[utoipa::path(post, path = "/api/v1/lab/records/{id}/review", tag = "lab", params(("id" = i64, Path)),
    request_body = Signature, responses((status = 200, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn review_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Signature>,
) -> ApiResult<Json<Record>> {
    Ok(Json(records::review(state.store(), state.identity(), &p, id, &s.password, s.totp.as_deref(), &client).await?))
}

/// Why a record goes back to its author, and the version it was read at.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SendBack {
    pub reason: String,
    pub version: i64,
}

/// Send a submitted (or reviewed) record back to its author for correction, with the reason
/// (someone who may review or approve it, not its author).
#[utoipa::path(post, path = "/api/v1/lab/records/{id}/send-back", tag = "lab", params(("id" = i64, Path)),
    request_body = SendBack, responses((status = 200, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn send_back_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(b): ApiJson<SendBack>,
) -> ApiResult<Json<Record>> {
    Ok(Json(records::send_back(state.store(), &p, id, &b.reason, b.version, &client).await?))
}

/// Approve a reviewed record under a signature (`lab.manage`, neither its author nor its
/// reviewer); the reagents it used leave stock.
#[utoipa::path(post, path = "/api/v1/lab/records/{id}/approval", tag = "lab", params(("id" = i64, Path)),
    request_body = Signature, responses((status = 200, body = Record), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve_record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(s): ApiJson<Signature>,
) -> ApiResult<Json<Record>> {
    Ok(Json(records::approve(state.store(), state.identity(), &p, id, &s.password, s.totp.as_deref(), &client).await?))
}

/// Laboratory rooms with their limits and latest reading (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/rooms", tag = "lab",
    responses((status = 200, body = Vec<Room>), (status = 403, body = Problem)))]
pub async fn list_rooms(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Room>>> {
    Ok(Json(environment::rooms(state.store(), &p, &client).await?))
}

/// Set a room up with its temperature and humidity limits (`lab.manage`).
#[utoipa::path(post, path = "/api/v1/lab/rooms", tag = "lab", request_body = NewRoom,
    responses((status = 201, body = Room), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_room(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewRoom>,
) -> ApiResult<(StatusCode, Json<Room>)> {
    Ok((StatusCode::CREATED, Json(environment::create_room(state.store(), &p, &new, &client).await?)))
}

/// A room's readings, newest first (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/rooms/{id}/readings", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Reading>), (status = 404, body = Problem)))]
pub async fn room_readings(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<Reading>>> {
    Ok(Json(environment::readings(state.store(), &p, id, 500, &client).await?))
}

/// Record a reading (`lab.use`); one outside a limit opens a deviation.
#[utoipa::path(post, path = "/api/v1/lab/rooms/{id}/readings", tag = "lab", params(("id" = i64, Path)),
    request_body = NewReading, responses((status = 201, body = Reading), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn record_reading(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(r): ApiJson<NewReading>,
) -> ApiResult<(StatusCode, Json<Reading>)> {
    let reading = environment::record(state.store(), &state.config().quality, &p, id, &r, &client).await?;
    Ok((StatusCode::CREATED, Json(reading)))
}

/// R&D projects of the caller's laboratories (`lab.read`).
#[utoipa::path(get, path = "/api/v1/lab/projects", tag = "lab",
    responses((status = 200, body = Vec<Project>), (status = 403, body = Problem)))]
pub async fn list_projects(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Project>>> {
    Ok(Json(projects::list(state.store(), &p, None, &client).await?))
}

/// Propose a project (立项申请, `lab.use`).
#[utoipa::path(post, path = "/api/v1/lab/projects", tag = "lab", request_body = NewProject,
    responses((status = 201, body = Project), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn propose_project(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewProject>,
) -> ApiResult<(StatusCode, Json<Project>)> {
    Ok((StatusCode::CREATED, Json(projects::propose(state.store(), &p, &new, &client).await?)))
}

/// One project with its phases and tasks.
#[utoipa::path(get, path = "/api/v1/lab/projects/{id}", tag = "lab", params(("id" = i64, Path)),
    responses((status = 200, body = Project), (status = 404, body = Problem)))]
pub async fn get_project(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Project>> {
    Ok(Json(projects::get(state.store(), &p, id, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDecision {
    pub approve: bool,
    #[serde(default)]
    pub reason: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Approve (or not) a proposal under a signature (`lab.manage`, not its proposer).
#[utoipa::path(post, path = "/api/v1/lab/projects/{id}/decision", tag = "lab", params(("id" = i64, Path)),
    request_body = ProjectDecision, responses((status = 200, body = Project), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_project(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(d): ApiJson<ProjectDecision>,
) -> ApiResult<Json<Project>> {
    let (store, identity) = (state.store(), state.identity());
    let totp = d.totp.as_deref();
    Ok(Json(projects::decide(store, identity, &p, id, d.approve, &d.reason, &d.password, totp, &client).await?))
}

/// Add a task (the leader or `lab.manage`).
#[utoipa::path(post, path = "/api/v1/lab/projects/{id}/tasks", tag = "lab", params(("id" = i64, Path)),
    request_body = NewTask, responses((status = 200, body = Project), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_project_task(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(t): ApiJson<NewTask>,
) -> ApiResult<Json<Project>> {
    Ok(Json(projects::add_task(state.store(), &p, id, &t, &client).await?))
}

/// Record hours spent on a task and whether it is done (its assignee or the leader).
#[utoipa::path(post, path = "/api/v1/lab/projects/{id}/progress", tag = "lab", params(("id" = i64, Path)),
    request_body = Progress, responses((status = 200, body = Project), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn project_progress(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(g): ApiJson<Progress>,
) -> ApiResult<Json<Project>> {
    Ok(Json(projects::progress(state.store(), &p, id, &g, &client).await?))
}

/// No `Debug`: it carries a password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectClosure {
    pub outcome: String,
    pub password: String,
    #[serde(default)]
    pub totp: Option<String>,
}

/// Close a project with its outcome under a signature (`lab.manage`; every task done).
#[utoipa::path(post, path = "/api/v1/lab/projects/{id}/closure", tag = "lab", params(("id" = i64, Path)),
    request_body = ProjectClosure, responses((status = 200, body = Project), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn close_project(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(c): ApiJson<ProjectClosure>,
) -> ApiResult<Json<Project>> {
    let (store, identity) = (state.store(), state.identity());
    Ok(Json(projects::close(store, identity, &p, id, &c.outcome, &c.password, c.totp.as_deref(), &client).await?))
}
