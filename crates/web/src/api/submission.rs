//! Electronic submission transfers over HTTP (电子申报网络传输): the receiver's keys, a signed
//! manifest opening a transfer, sealed chunks in any order, completion with the signed
//! acknowledgements, the transfer as it stands and the receiver's validation report.

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use yaolian_submission::transfer::{self, SignedManifest};
use yaolian_submission::transfers::{self, ChunkReceipt, Receiver, ReceiverInfo, Transfer};
use yaolian_submission::SubmissionError;

use super::{ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;
use yaolian_submission::applications::{
    self, Application, ApplicationView, NewApplication, NewSequence, NodeLife, Sequence,
};

/// The manifest's path (the route below names it literally), whose JSON body may be larger than other routes'.
pub const MANIFEST_PATH: &str = "/api/v1/submission/transfers";
/// The largest manifest: every file's path and SM3 and every chunk's SM3.
pub const MAX_MANIFEST_BODY: usize = 16 * 1024 * 1024;
/// The largest chunk body: the largest chunk and its tag.
pub const MAX_CHUNK_BODY: usize = (transfer::MAX_CHUNK_SIZE + transfer::TAG_BYTES) as usize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/submission/receiver", get(receiver_info))
        .route("/api/v1/submission/transfers", post(open_transfer).layer(DefaultBodyLimit::max(MAX_MANIFEST_BODY)))
        .route("/api/v1/submission/transfers/{transfer_id}", get(get_transfer))
        .route(
            "/api/v1/submission/transfers/{transfer_id}/chunks/{index}",
            put(put_chunk).layer(DefaultBodyLimit::max(MAX_CHUNK_BODY)),
        )
        .route("/api/v1/submission/transfers/{transfer_id}/complete", post(complete_transfer))
        .route("/api/v1/submission/transfers/{transfer_id}/cancel", post(cancel_transfer))
        .route("/api/v1/submission/transfers/{transfer_id}/report", get(transfer_report))
        .route("/api/v1/submission/applications", get(list_submission_applications).post(create_submission_application))
        .route("/api/v1/submission/applications/{id}", get(get_submission_application))
        .route("/api/v1/submission/applications/{id}/sequences", post(create_submission_sequence))
        .route("/api/v1/submission/applications/{id}/sequences/{number}/build", post(build_submission_sequence))
        .route("/api/v1/submission/applications/{id}/sequences/{number}/send", post(send_submission_sequence))
        .route("/api/v1/submission/applications/{id}/lifecycle", get(submission_lifecycle))
}

/// The receiver's means: its folder, sealing key and (when loaded) signing key.
fn receiver(state: &AppState) -> Receiver<'_> {
    Receiver { dir: &state.config().submission_dir, sealing: state.sealing(), signer: state.signer().map(|(_, k)| k) }
}

/// A refusal as a problem; a site without its signing key cannot acknowledge (503).
fn refused(e: SubmissionError) -> ApiError {
    match e {
        SubmissionError::NoSigningKey | SubmissionError::NoReceiver => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.code(), e.to_string())
        }
        other => other.into(),
    }
}

/// This receiver's keys and chunk size (`submission.send`).
#[utoipa::path(get, path = "/api/v1/submission/receiver", tag = "submission",
    responses((status = 200, body = ReceiverInfo), (status = 403, body = Problem)))]
pub async fn receiver_info(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<ReceiverInfo>> {
    let rx = receiver(&state);
    Ok(Json(transfers::receiver_info(state.store(), &p, &rx, &client).await.map_err(refused)?))
}

/// Opens a transfer with the sender's signed manifest (`submission.send`); the same manifest
/// again answers the transfer as it stands, with the chunks still missing.
#[utoipa::path(post, path = "/api/v1/submission/transfers", tag = "submission", request_body = SignedManifest,
    responses((status = 201, body = Transfer), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_transfer(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(signed): ApiJson<SignedManifest>,
) -> ApiResult<(StatusCode, Json<Transfer>)> {
    let rx = receiver(&state);
    Ok((StatusCode::CREATED, Json(transfers::open(state.store(), &p, &signed, &rx, &client).await?)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SideParams {
    /// `received` (default: the receiver's record) or `sent` (the sender's own).
    pub side: Option<String>,
}

fn side(q: &SideParams) -> Result<&'static str, ApiError> {
    match q.side.as_deref() {
        None | Some("received") => Ok("received"),
        Some("sent") => Ok("sent"),
        Some(_) => Err(ApiError::validation(yaolian_core::ValidationError::single(
            "side",
            "one_of:received,sent",
            "received or sent",
        ))),
    }
}

/// A transfer as this site holds it (`submission.read`, or the sender's account).
#[utoipa::path(get, path = "/api/v1/submission/transfers/{transfer_id}", tag = "submission",
    params(("transfer_id" = String, Path), SideParams),
    responses((status = 200, body = Transfer), (status = 404, body = Problem)))]
pub async fn get_transfer(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(transfer_id): Path<String>,
    ApiQuery(q): ApiQuery<SideParams>,
) -> ApiResult<Json<Transfer>> {
    Ok(Json(transfers::status(state.store(), &p, (side(&q)?, &transfer_id), &client).await?))
}

/// One sealed chunk (`application/octet-stream`: ciphertext ‖ GCM tag); a chunk that does not
/// open or match the manifest is refused (422, rule `sm4_gcm_tag`, `sm3` or `length`).
#[utoipa::path(put, path = "/api/v1/submission/transfers/{transfer_id}/chunks/{index}", tag = "submission",
    params(("transfer_id" = String, Path), ("index" = u64, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = ChunkReceipt), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn put_chunk(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((transfer_id, index)): Path<(String, String)>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<ChunkReceipt>> {
    let index: u64 = index.parse().map_err(|_| ApiError::not_found(format!("no chunk {index:?}")))?;
    let body = super::upload_body(body, MAX_CHUNK_BODY)?;
    let rx = receiver(&state);
    Ok(Json(transfers::put_chunk(state.store(), &p, &transfer_id, index, &body, &rx, &client).await?))
}

/// With every chunk in: rebuilds and checks the package and answers with the three signed
/// acknowledgements (received intact, queued, validated).
#[utoipa::path(post, path = "/api/v1/submission/transfers/{transfer_id}/complete", tag = "submission",
    params(("transfer_id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 409, body = Problem)))]
pub async fn complete_transfer(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(transfer_id): Path<String>,
) -> ApiResult<Json<Transfer>> {
    let rx = receiver(&state);
    Ok(Json(transfers::complete(state.store(), &p, &transfer_id, &rx, &client).await.map_err(refused)?))
}

/// The applicant cancels a transfer still arriving (`submission.send`): what arrived is
/// dropped and the sequence may be sent again under a new transfer.
#[utoipa::path(post, path = "/api/v1/submission/transfers/{transfer_id}/cancel", tag = "submission",
    params(("transfer_id" = String, Path)),
    responses((status = 200, body = Transfer), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_transfer(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(transfer_id): Path<String>,
) -> ApiResult<Json<Transfer>> {
    let rx = receiver(&state);
    Ok(Json(transfers::cancel(state.store(), &p, &transfer_id, &rx, &client).await?))
}

/// The receiver's validation report of a transfer (the level-3 acknowledgement's report).
#[utoipa::path(get, path = "/api/v1/submission/transfers/{transfer_id}/report", tag = "submission",
    params(("transfer_id" = String, Path), SideParams),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn transfer_report(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(transfer_id): Path<String>,
    ApiQuery(q): ApiQuery<SideParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let text = transfers::report(state.store(), &p, (side(&q)?, &transfer_id), &client).await?;
    let value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if value.is_null() {
        return Err(ApiError::not_found("no validation report yet"));
    }
    Ok(Json(value))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ApplicationParams {
    /// Application number or product name contains.
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A page of applications and the total the filter selects.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SubmissionApplicationPage {
    pub items: Vec<Application>,
    pub total: i64,
}

/// Applications in the caller's scope, newest change first (`submission.read`).
#[utoipa::path(get, path = "/api/v1/submission/applications", tag = "submission", params(ApplicationParams),
    responses((status = 200, body = SubmissionApplicationPage), (status = 403, body = Problem)))]
pub async fn list_submission_applications(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<ApplicationParams>,
) -> ApiResult<Json<SubmissionApplicationPage>> {
    let page = (q.limit.unwrap_or(50), q.offset.unwrap_or(0).max(0));
    let (items, total) = applications::list_applications(state.store(), &p, q.q.as_deref(), page, &client).await?;
    Ok(Json(SubmissionApplicationPage { items, total }))
}

/// Opens an application (申请) for an organization the caller sends for (`submission.send`).
#[utoipa::path(post, path = "/api/v1/submission/applications", tag = "submission", request_body = NewApplication,
    responses((status = 201, body = Application), (status = 422, body = Problem)))]
pub async fn create_submission_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewApplication>,
) -> ApiResult<(StatusCode, Json<Application>)> {
    Ok((StatusCode::CREATED, Json(applications::create_application(state.store(), &p, &new, &client).await?)))
}

/// An application with its sequences and leaves (`submission.read`).
#[utoipa::path(get, path = "/api/v1/submission/applications/{id}", tag = "submission", params(("id" = i64, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = Problem)))]
pub async fn get_submission_application(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(applications::get_application(state.store(), &p, id, &client).await?))
}

/// Drafts the application's next sequence (0000, 0001 … never reused) with its leaves
/// (`submission.send`); every leaf is checked before anything is written.
#[utoipa::path(post, path = "/api/v1/submission/applications/{id}/sequences", tag = "submission",
    params(("id" = i64, Path)), request_body = NewSequence,
    responses((status = 201, body = Sequence), (status = 422, body = Problem)))]
pub async fn create_submission_sequence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(new): ApiJson<NewSequence>,
) -> ApiResult<(StatusCode, Json<Sequence>)> {
    Ok((StatusCode::CREATED, Json(applications::create_sequence(state.store(), &p, id, &new, &client).await?)))
}

/// Builds a drafted sequence into its folder from the controlled documents it names and
/// validates it (`submission.send`).
#[utoipa::path(post, path = "/api/v1/submission/applications/{id}/sequences/{number}/build", tag = "submission",
    params(("id" = i64, Path), ("number" = String, Path)),
    responses((status = 200, body = Sequence), (status = 409, body = Problem)))]
pub async fn build_submission_sequence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((id, number)): Path<(String, String)>,
) -> ApiResult<Json<Sequence>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(format!("no application {id:?}")))?;
    let dir = &state.config().submission_dir;
    Ok(Json(applications::build_sequence(state.store(), &p, (id, &number), dir, &client).await?))
}

/// A sequence sent and the sender's record of its transfer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SequenceSent {
    pub sequence: Sequence,
    pub transfer: Transfer,
}

/// Sends a sequence built without errors to the regulator's receiver this site is set up for
/// (`[submission]`), with the three acknowledgements (`submission.send`).
#[utoipa::path(post, path = "/api/v1/submission/applications/{id}/sequences/{number}/send", tag = "submission",
    params(("id" = i64, Path), ("number" = String, Path)),
    responses((status = 200, body = SequenceSent), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn send_submission_sequence(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((id, number)): Path<(String, String)>,
) -> ApiResult<Json<SequenceSent>> {
    let id: i64 = id.parse().map_err(|_| ApiError::not_found(format!("no application {id:?}")))?;
    let (sequence, transfer) = send_sequence(&state, &p, (id, &number), &client).await.map_err(refused)?;
    Ok(Json(SequenceSent { sequence, transfer }))
}

/// The one way this site sends a sequence: to its configured receiver, signed with its key.
pub(crate) async fn send_sequence(
    state: &AppState,
    p: &yaolian_access::Principal,
    (id, number): (i64, &str),
    client: &yaolian_access::ClientInfo,
) -> Result<(Sequence, Transfer), SubmissionError> {
    let remote = state.config().submission_receiver.as_ref();
    let keys = state.signer().map(|(_, signer)| transfers::SenderKeys { signer, sealing: state.sealing() });
    let dir = &state.config().submission_dir;
    applications::send_sequence(state.store(), p, (id, number), (dir, remote, keys), client).await
}

/// The lifecycle of every CTD node across the sequences (`submission.read`).
#[utoipa::path(get, path = "/api/v1/submission/applications/{id}/lifecycle", tag = "submission",
    params(("id" = i64, Path)), responses((status = 200, body = Vec<NodeLife>), (status = 404, body = Problem)))]
pub async fn submission_lifecycle(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<NodeLife>>> {
    Ok(Json(applications::lifecycle(state.store(), &p, id, &client).await?))
}
