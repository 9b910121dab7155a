//! The ledger over HTTP: checkpoints and the site public key for anyone (an outsider must be
//! able to check without an account), entries for auditors, proofs for anyone.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_ledger::Entry;
use yaolian_records::history as records;
use yaolian_store::ledger::{self, Checkpoint};

use super::ApiQuery;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/ledger/checkpoint", get(latest_checkpoint))
        .route("/api/v1/ledger/checkpoints", post(make_checkpoint))
        .route("/api/v1/ledger/checkpoints/{size}", get(checkpoint_at))
        .route("/api/v1/ledger/entries/{index}", get(entry))
        .route("/api/v1/ledger/proof/inclusion", get(inclusion))
        .route("/api/v1/ledger/proof/consistency", get(consistency))
        .route("/api/v1/ledger/public-key", get(public_key))
}

fn not_found(what: &str) -> impl Fn(yaolian_store::StoreError) -> ApiError + '_ {
    move |e| match e {
        yaolian_store::StoreError::NotFound => ApiError::not_found(format!("no {what}")),
        other => ApiError::from(other),
    }
}

/// The newest signed tree head.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoint", tag = "ledger", security(()),
    responses((status = 200, body = Object, description = "{head: {hash_alg, tree_size, root_hash, time}, signature (DER hex), key_id}"), (status = 404, body = Problem)))]
pub async fn latest_checkpoint(State(state): State<AppState>) -> ApiResult<Json<Checkpoint>> {
    ledger::latest_checkpoint(state.store()).await?.map(Json).ok_or_else(|| ApiError::not_found("no checkpoint yet"))
}

/// The signed tree head for a tree size.
#[utoipa::path(get, path = "/api/v1/ledger/checkpoints/{size}", tag = "ledger", security(()), params(("size" = u64, Path)),
    responses((status = 200, body = Object), (status = 404, body = Problem)))]
pub async fn checkpoint_at(State(state): State<AppState>, Path(size): Path<String>) -> ApiResult<Json<Checkpoint>> {
    let size: u64 = size.parse().map_err(|_| ApiError::not_found(format!("no checkpoint of size {size:?}")))?;
    Ok(Json(ledger::checkpoint_at(state.store(), size).await.map_err(not_found("checkpoint of that size"))?))
}

/// Sign a checkpoint now (system administrator).
#[utoipa::path(post, path = "/api/v1/ledger/checkpoints", tag = "ledger",
    responses((status = 201, body = Object), (status = 403, body = Problem), (status = 503, body = Problem)))]
pub async fn make_checkpoint(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<(StatusCode, Json<Checkpoint>)> {
    let signer = state.signer().map(|(id, key)| (id.as_str(), key));
    let Some(cp) = records::checkpoint_now(state.store(), &p, signer, &client).await? else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_site_key",
            "this server runs without the site signing key",
        ));
    };
    Ok((StatusCode::CREATED, Json(cp)))
}

/// One ledger entry (auditors: `audit.read`).
#[utoipa::path(get, path = "/api/v1/ledger/entries/{index}", tag = "ledger", params(("index" = u64, Path)),
    responses((status = 200, body = Object), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn entry(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(index): Path<String>,
) -> ApiResult<Json<Entry>> {
    let index: u64 = index.parse().map_err(|_| ApiError::not_found(format!("no entry {index:?}")))?;
    Ok(Json(records::ledger_entry(state.store(), &p, index, &client).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InclusionParams {
    pub index: u64,
    pub tree_size: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProofOut {
    /// Hex hashes, in the order of RFC 9162 §2.1.3 / §2.1.4.
    #[schema(value_type = Vec<String>)]
    pub proof: Vec<yaolian_ledger::Hash>,
    pub hash_alg: String,
}

/// Inclusion proof of an entry in the tree of `tree_size` entries (RFC 9162 §2.1.3).
#[utoipa::path(get, path = "/api/v1/ledger/proof/inclusion", tag = "ledger", security(()), params(InclusionParams),
    responses((status = 200, body = ProofOut), (status = 422, body = Problem)))]
pub async fn inclusion(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<InclusionParams>,
) -> ApiResult<Json<ProofOut>> {
    let proof = ledger::inclusion_proof(state.store(), q.index, q.tree_size).await?;
    let (alg, _) = ledger::head(state.store().pool()).await?;
    Ok(Json(ProofOut { proof, hash_alg: alg.name().into() }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ConsistencyParams {
    pub first: u64,
    pub second: u64,
}

/// Consistency proof between two tree sizes (RFC 9162 §2.1.4).
#[utoipa::path(get, path = "/api/v1/ledger/proof/consistency", tag = "ledger", security(()), params(ConsistencyParams),
    responses((status = 200, body = ProofOut), (status = 422, body = Problem)))]
pub async fn consistency(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ConsistencyParams>,
) -> ApiResult<Json<ProofOut>> {
    let proof = ledger::consistency_proof(state.store(), q.first, q.second).await?;
    let (alg, _) = ledger::head(state.store().pool()).await?;
    Ok(Json(ProofOut { proof, hash_alg: alg.name().into() }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyOut {
    pub key_id: String,
    /// SubjectPublicKeyInfo PEM; SM2 with identifier 1234567812345678.
    pub pem: String,
}

/// The site's public signing key.
#[utoipa::path(get, path = "/api/v1/ledger/public-key", tag = "ledger", security(()),
    responses((status = 200, body = PublicKeyOut), (status = 404, body = Problem)))]
pub async fn public_key(State(state): State<AppState>) -> ApiResult<Json<PublicKeyOut>> {
    let (key_id, pem) = ledger::active_public_key(state.store()).await.map_err(not_found("site key yet"))?;
    Ok(Json(PublicKeyOut { key_id, pem }))
}
