//! Traceability over HTTP: the EPCIS 2.0 REST binding under `/epcis/` (capture, events, EPCs)
//! and `/api/v1/trace/…` for verification, code history, where-to / where-from, recalls,
//! anomalies and sites.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::IntoParams;
use yaolian_core::{FieldError, Timestamp, ValidationError};
use yaolian_trace::capture::{self, Behaviour, CAPTURE_LIMIT};
use yaolian_trace::codes::epc;
use yaolian_trace::ingest::Reporter;
use yaolian_trace::{access, anchor, anomalies, epcis, packs, query, recall, sites, verify};

use super::{ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{parse_json, ApiJson, Auth, Client};
use crate::AppState;

/// Largest capture document (the body limit of `POST /epcis/capture`): the trace domain's
/// [`epcis::DocumentLimits::CAPTURE`], where depth, values and events are limited too.
pub const MAX_CAPTURE_BYTES: usize = epcis::DocumentLimits::CAPTURE.max_bytes;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/epcis/capture", post(capture_document).layer(DefaultBodyLimit::max(MAX_CAPTURE_BYTES)))
        .route("/epcis/capture/{id}", get(capture_status))
        .route("/epcis/events", get(query_events).post(capture_event))
        .route("/epcis/events/{event_id}", get(get_event))
        .route("/epcis/epcs/{epc}/events", get(epc_events))
        .route("/api/v1/trace/events/{event}/proof", get(event_proof))
        .route("/api/v1/trace/verify/{code}", get(verify_code))
        .route("/api/v1/trace/codes/{code}", get(code_history))
        .route("/api/v1/trace/where-to", get(where_to))
        .route("/api/v1/trace/where-from", get(where_from))
        .route("/api/v1/trace/recalls", get(list_recalls).post(open_recall))
        .route("/api/v1/trace/recalls/{id}", get(get_recall))
        .route("/api/v1/trace/recalls/{id}/close", post(close_recall))
        .route("/api/v1/trace/anomalies", get(list_anomalies))
        .route("/api/v1/trace/anomalies/{id}/close", post(close_anomaly))
        .route(
            "/api/v1/trace/anomalies/{id}/answers",
            post(answer_anomaly).layer(DefaultBodyLimit::max(MAX_ANSWER_BYTES)),
        )
        .route("/api/v1/trace/anomalies/{id}/files/{file_id}", get(anomaly_file))
        .route("/api/v1/trace/sites", get(list_sites).post(upsert_sites))
        .route("/api/v1/trace/pack-codes", get(list_pack_codes).post(register_pack_code))
}

/// Headers every EPCIS response carries.
fn epcis_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("GS1-EPCIS-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-CBV-Version", HeaderValue::from_static("2.0.0"));
    h.insert("GS1-EPCIS-Capture-Limit", HeaderValue::from(CAPTURE_LIMIT));
}

fn invalid(errors: Vec<FieldError>) -> ApiError {
    ApiError::validation(ValidationError { errors })
}

/// Capture an EPCIS document (asynchronous): 202 with `Location: /epcis/capture/{id}`; the
/// job's status lists per-event errors. `GS1-Capture-Error-Behaviour: rollback` (default)
/// stores nothing when any event is refused; `proceed` stores the good ones.
#[utoipa::path(post, path = "/epcis/capture", tag = "trace", request_body(content = Object, content_type = "application/ld+json"),
    params(("GS1-Capture-Error-Behaviour" = Option<String>, Header, description = "rollback (default) or proceed")),
    responses((status = 202, description = "accepted; see Location"), (status = 400, body = Problem), (status = 413, body = Problem),
        (status = 422, body = Problem)))]
pub async fn capture_document(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = super::upload_body(body, MAX_CAPTURE_BYTES)?;
    let behaviour = Behaviour::parse(headers.get("GS1-Capture-Error-Behaviour").and_then(|v| v.to_str().ok()))
        .map_err(|e| invalid(vec![e]))?;
    // Who asks before what is wrong with the document.
    let allowed = capture::reporting_sites(state.store(), &p, &client).await?;
    let doc = capture::read_document(body).await?;
    let events = capture::event_list(&doc).map_err(|e| {
        let mut err = invalid(e.errors);
        err.status = StatusCode::BAD_REQUEST;
        err
    })?;
    let id = capture::start(state.store(), &p, events.len(), behaviour, &client).await?;
    let store = state.store().clone();
    let reporter = Reporter::of(&p);
    tokio::spawn(async move {
        let result = capture::capture_events(&store, &events, allowed.as_ref(), behaviour, Some(id), reporter).await;
        if let Err(e) = &result {
            tracing::error!(capture = id, error = %e, "capture failed");
        }
        if let Err(e) = capture::finish(&store, id, &result).await {
            tracing::error!(capture = id, error = %e, "could not record the end of a capture");
        }
    });
    let location = format!("/epcis/capture/{id}");
    let mut resp = (StatusCode::ACCEPTED, Json(json!({"captureID": id.to_string()}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    epcis_headers(&mut resp);
    Ok(resp)
}

/// A capture job: running, success, and each refused event's errors.
#[utoipa::path(get, path = "/epcis/capture/{id}", tag = "trace", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn capture_status(State(state): State<AppState>, Auth(p): Auth, IdPath(id): IdPath) -> ApiResult<Response> {
    let status = capture::status(state.store(), &p, id).await?;
    let mut resp = Json(status).into_response();
    epcis_headers(&mut resp);
    Ok(resp)
}

/// Capture one event (synchronous): 201 with its event ID; 409 if the same event (by EPCIS
/// event hash) is already stored; 422 naming each bad field.
#[utoipa::path(post, path = "/epcis/events", tag = "trace", request_body = Object,
    responses((status = 201, body = Object), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn capture_event(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    body: Bytes,
) -> ApiResult<Response> {
    let event: Value = parse_json(&body)?;
    let event_id = capture::capture_one(state.store(), &p, event, &client).await?;
    let mut resp = (StatusCode::CREATED, Json(json!({"eventID": event_id}))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/epcis/events/{}", urlencoding::encode(&event_id))) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    epcis_headers(&mut resp);
    Ok(resp)
}

fn query_document(events: Vec<Value>) -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": Timestamp::now().to_rfc3339(),
        "epcisBody": {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}}
    })
}

fn params_of(raw: Option<&str>) -> Vec<(String, String)> {
    raw.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| urlencoding::decode(&s.replace('+', " ")).map(|c| c.into_owned()).unwrap_or_default();
            (dec(k), dec(v))
        })
        .collect()
}

/// Query events (EPCIS SimpleEventQuery parameters): EQ_bizStep, EQ_disposition, EQ_action,
/// EQ_readPoint, EQ_bizLocation, GE_/LT_eventTime, GE_/LT_recordTime, MATCH_epc,
/// MATCH_parentID, MATCH_anyEPC (exact codes in any form, or EPC pattern URIs `urn:epc:idpat:…`),
/// EQ_eventID, eventType, perPage and nextPageToken. A company
/// sees the events at its own sites.
#[utoipa::path(get, path = "/epcis/events", tag = "trace",
    responses((status = 200, body = Object, description = "EPCISQueryDocument; Link rel=next when more"), (status = 422, body = Problem)))]
pub async fn query_events(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let reach = access::reach(state.store(), &p, "epcis", &client).await?;
    let params = params_of(raw.as_deref());
    let page = query::events(state.store(), &reach, &params, Timestamp::now().china_date()).await?;
    let mut resp = Json(query_document(page.events)).into_response();
    if let Some(token) = page.next_page_token {
        let mut kept: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "nextPageToken")
            .map(|(k, v)| format!("{}={}", urlencoding::encode(k), urlencoding::encode(v)))
            .collect();
        kept.push(format!("nextPageToken={token}"));
        let link = format!("</epcis/events?{}>; rel=\"next\"", kept.join("&"));
        if let Ok(v) = HeaderValue::from_str(&link) {
            resp.headers_mut().insert(header::LINK, v);
        }
        if let Ok(v) = HeaderValue::from_str(&token) {
            resp.headers_mut().insert("GS1-Next-Page-Token", v);
        }
    }
    epcis_headers(&mut resp);
    Ok(resp)
}

/// One event by its event ID (as sent, or the `ni:///sha-256;…` hash ID).
#[utoipa::path(get, path = "/epcis/events/{event_id}", tag = "trace", params(("event_id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_event(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(event_id): Path<String>,
) -> ApiResult<Response> {
    let reach = access::reach(state.store(), &p, "epcis", &client).await?;
    let params = vec![("EQ_eventID".to_string(), event_id.clone())];
    let page = query::events(state.store(), &reach, &params, Timestamp::now().china_date()).await?;
    let Some(event) = page.events.into_iter().next() else {
        return Err(ApiError::not_found(format!("no event {event_id:?}")));
    };
    let mut resp = Json(event).into_response();
    epcis_headers(&mut resp);
    Ok(resp)
}

/// An event's proof that it is stored as captured: its leaf's inclusion in its batch's Merkle
/// tree, and the batch's ledger entry's inclusion in a signed checkpoint. `event` is the stored
/// id, the eventID as sent, or the hash ID (`ni:///sha-256;…`).
#[utoipa::path(get, path = "/api/v1/trace/events/{event}/proof", tag = "trace", params(("event" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn event_proof(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(event): Path<String>,
) -> ApiResult<Json<anchor::EventProof>> {
    let signer = state.signer().map(|(id, key)| (id.as_str(), key));
    Ok(Json(anchor::proof(state.store(), &p, &event, signer, &client).await?))
}

/// The events that name one EPC (any form: URN, Digital Link, 药品追溯码), oldest first.
#[utoipa::path(get, path = "/epcis/epcs/{epc}/events", tag = "trace", params(("epc" = String, Path)),
    responses((status = 200, body = Object), (status = 422, body = Problem)))]
pub async fn epc_events(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(epc_text): Path<String>,
) -> ApiResult<Response> {
    let reach = access::reach(state.store(), &p, "epcis", &client).await?;
    let params = vec![("MATCH_anyEPC".to_string(), epc_text), ("perPage".to_string(), "1000".to_string())];
    let page = query::events(state.store(), &reach, &params, Timestamp::now().china_date()).await?;
    let mut resp = Json(query_document(page.events)).into_response();
    epcis_headers(&mut resp);
    Ok(resp)
}

/// Verify a pack before dispensing: valid, product, batch, expiry, state, recall and alerts,
/// with reason codes (NMVS return codes where the EU system has one).
#[utoipa::path(get, path = "/api/v1/trace/verify/{code}", tag = "trace", params(("code" = String, Path, description = "any scan: 20-digit 药品追溯码, GS1 element string, Digital Link")),
    responses((status = 200, body = Object)))]
pub async fn verify_code(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<verify::Verification>> {
    Ok(Json(verify::before_dispensing(state.store(), &p, &code, &client).await?))
}

fn code_key(code: &str) -> Result<String, ApiError> {
    epc::key(code, Timestamp::now().china_date())
        .map_err(|e| ApiError::validation(ValidationError { errors: vec![e.into_field("code")] }))
}

/// A code's state and full history, including what it inherited through its case and pallet
/// (a bureau's view).
#[utoipa::path(get, path = "/api/v1/trace/codes/{code}", tag = "trace", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn code_history(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(code): Path<String>,
) -> ApiResult<Json<Value>> {
    let reach = access::regulator(state.store(), &p, "trace.codes", &client).await?;
    let key = code_key(&code)?;
    let Some((view, history)) = query::traced(state.store(), &reach, &key).await? else {
        return Err(ApiError::not_found(format!("no code {code:?} has been reported")));
    };
    Ok(Json(json!({"code": view, "history": history})))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WhereToParams {
    pub product_id: i64,
    pub batch: String,
}

/// Where-to (去向) for a product batch: every holder with counts per state.
#[utoipa::path(get, path = "/api/v1/trace/where-to", tag = "trace", params(WhereToParams),
    responses((status = 200, body = Object)))]
pub async fn where_to(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WhereToParams>,
) -> ApiResult<Json<Vec<query::Holding>>> {
    let reach = access::regulator(state.store(), &p, "trace.where_to", &client).await?;
    Ok(Json(query::where_to(state.store(), &reach, q.product_id, q.batch.trim()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct WhereFromParams {
    /// The site (location in any form).
    pub site: String,
}

/// Where-from (来源) for a site's stock: a bureau for any site, a company for its own.
#[utoipa::path(get, path = "/api/v1/trace/where-from", tag = "trace", params(WhereFromParams),
    responses((status = 200, body = Object)))]
pub async fn where_from(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<WhereFromParams>,
) -> ApiResult<Json<Vec<query::Source>>> {
    Ok(Json(query::where_from_for(state.store(), &p, &q.site, &client).await?))
}

/// Recalls, newest first.
#[utoipa::path(get, path = "/api/v1/trace/recalls", tag = "trace", responses((status = 200, body = Object)))]
pub async fn list_recalls(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<recall::Recall>>> {
    access::regulator(state.store(), &p, "recalls", &client).await?;
    Ok(Json(recall::list(state.store()).await?))
}

/// Open a recall of a product's batches (`trace.manage`: a bureau, or the MAH).
#[utoipa::path(post, path = "/api/v1/trace/recalls", tag = "trace", request_body = Object,
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn open_recall(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<recall::NewRecall>,
) -> ApiResult<(StatusCode, Json<recall::Recall>)> {
    Ok((StatusCode::CREATED, Json(recall::open(state.store(), &p, &new, &client).await?)))
}

/// A recall with its holders and closure.
#[utoipa::path(get, path = "/api/v1/trace/recalls/{id}", tag = "trace", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn get_recall(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<recall::Recall>> {
    Ok(Json(recall::read(state.store(), &p, id, &client).await?))
}

/// Close a recall.
#[utoipa::path(post, path = "/api/v1/trace/recalls/{id}/close", tag = "trace", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 409, body = Problem)))]
pub async fn close_recall(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<recall::Recall>> {
    Ok(Json(recall::close(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AnomalyParams {
    pub kind: Option<String>,
    /// open or closed.
    pub status: Option<String>,
    /// A code, or text in the detail or site name.
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Anomalies, newest first (a bureau all, a company those at its sites).
#[utoipa::path(get, path = "/api/v1/trace/anomalies", tag = "trace", params(AnomalyParams),
    responses((status = 200, body = Object)))]
pub async fn list_anomalies(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AnomalyParams>,
) -> ApiResult<Json<Value>> {
    let filter = anomalies::Filter {
        kind: q.kind,
        status: q.status,
        q: q.q,
        page: q.page,
        per_page: q.per_page,
        ..Default::default()
    };
    let (list, total) = anomalies::list(state.store(), &p, &filter, &client).await?;
    Ok(Json(json!({"total": total, "anomalies": list})))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CloseAnomaly {
    /// How it was handled (处置说明).
    pub note: String,
}

/// Close an anomaly with a note (a bureau with `trace.manage`).
#[utoipa::path(post, path = "/api/v1/trace/anomalies/{id}/close", tag = "trace", params(("id" = i64, Path)),
    request_body = CloseAnomaly, responses((status = 204), (status = 404, body = Problem)))]
pub async fn close_anomaly(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<CloseAnomaly>,
) -> ApiResult<StatusCode> {
    anomalies::close(state.store(), &p, id, &body.note, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The largest answer body: its attachments in base64 and the text.
pub const MAX_ANSWER_BYTES: usize = anomalies::MAX_ANSWER_FILES * anomalies::MAX_ANSWER_FILE_BYTES * 4 / 3 + 64 * 1024;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AnswerAnomaly {
    /// What happened (异常说明).
    pub text: String,
    #[serde(default)]
    pub files: Vec<yaolian_records::files::Upload>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AnswerCreated {
    pub id: i64,
}

/// Answer an anomaly that concerns the caller's company (异常说明), with attachments, while it
/// is open (a company user with `trace.capture`).
#[utoipa::path(post, path = "/api/v1/trace/anomalies/{id}/answers", tag = "trace", params(("id" = i64, Path)),
    request_body = AnswerAnomaly, responses((status = 201, body = AnswerCreated), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn answer_anomaly(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<AnswerAnomaly>,
) -> ApiResult<(StatusCode, Json<AnswerCreated>)> {
    let id = anomalies::answer(state.store(), &p, id, &body.text, &body.files, &client).await?;
    Ok((StatusCode::CREATED, Json(AnswerCreated { id })))
}

/// An attachment of an answer to an anomaly, with its SM3 checksum in `X-Content-SM3`.
#[utoipa::path(get, path = "/api/v1/trace/anomalies/{id}/files/{file_id}", tag = "trace",
    params(("id" = i64, Path), ("file_id" = i64, Path)), responses((status = 200, body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn anomaly_file(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((id, file_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let parse = |s: &str| s.parse::<i64>().map_err(|_| ApiError::not_found(format!("no resource with id {s:?}")));
    let (meta, content_type, bytes) =
        anomalies::answer_file(state.store(), &p, parse(&id)?, parse(&file_id)?, &client).await?;
    Ok(super::file_response(&meta.name, content_type, meta.sm3, bytes))
}

/// Trace sites.
#[utoipa::path(get, path = "/api/v1/trace/sites", tag = "trace", responses((status = 200, body = Object)))]
pub async fn list_sites(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<sites::Site>>> {
    let reach = access::reach(state.store(), &p, "trace.sites", &client).await?;
    let all = sites::list(state.store()).await?;
    Ok(Json(all.into_iter().filter(|s| reach.covers(&s.id)).collect()))
}

/// Register or rename sites (a bureau with `trace.manage`).
#[utoipa::path(post, path = "/api/v1/trace/sites", tag = "trace", request_body = Object,
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn upsert_sites(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(list): ApiJson<Vec<sites::Site>>,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(sites::register(state.store(), &p, &list, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PackCodeParams {
    /// Only this product's codes.
    pub product_id: Option<i64>,
}

/// Pack-level codes (中码 / 大码) registered against products (一品一档).
#[utoipa::path(get, path = "/api/v1/trace/pack-codes", tag = "trace", params(PackCodeParams),
    responses((status = 200, body = Object)))]
pub async fn list_pack_codes(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<PackCodeParams>,
) -> ApiResult<Json<Vec<packs::PackCodeRow>>> {
    access::may_read(state.store(), &p, "trace.pack_codes", &client).await?;
    Ok(Json(packs::list(state.store(), q.product_id).await?))
}

/// Register a pack-level code for a product (its holder with `trace.capture`, or a bureau with
/// `trace.manage`): 7-digit 药品标识码 or GTIN, level `case` or `pallet`, units per parent.
#[utoipa::path(post, path = "/api/v1/trace/pack-codes", tag = "trace", request_body = Object,
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn register_pack_code(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(body): ApiJson<packs::NewPackCode>,
) -> ApiResult<(StatusCode, Json<packs::PackCode>)> {
    Ok((StatusCode::CREATED, Json(packs::register(state.store(), &p, &body, &client).await?)))
}
