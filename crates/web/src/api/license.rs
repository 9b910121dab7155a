//! Electronic licenses over HTTP: the bureau's life-cycle calls, the holder's export, and the
//! public verification and revocation list (no login).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_license::licenses::{
    self, License, LicenseQuery, NewLicense, Reissue, ReissueKind, Revoked, StatusAction, Verification,
};
use yaolian_license::SignedLicense;

use super::{ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/licenses", get(list_licenses).post(issue_license))
        .route("/api/v1/licenses/{id}", get(get_license))
        .route("/api/v1/licenses/{id}/change", post(change_license))
        .route("/api/v1/licenses/{id}/renew", post(renew_license))
        .route("/api/v1/licenses/{id}/status", post(license_status))
        .route("/api/v1/licenses/{id}/export", get(export_license))
        .route("/api/v1/public/licenses/revoked", get(revocation_list))
        .route("/api/v1/public/licenses/{identifier}", get(verify_license))
        .route("/api/v1/public/authority-keys/{key_id}", get(authority_key))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct LicenseListParams {
    /// Substring of number, holder or identifier.
    pub q: Option<String>,
    pub kind: Option<String>,
    /// valid, expiring, expired, suspended, revoked.
    pub state: Option<String>,
    pub holder_org_id: Option<i64>,
    /// number, holder, valid_until, updated_at.
    pub sort: Option<String>,
    pub desc: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

impl LicenseListParams {
    pub fn query(self) -> LicenseQuery {
        LicenseQuery {
            q: self.q,
            kind: self.kind,
            state: self.state,
            holder_org_id: self.holder_org_id,
            sort: self.sort,
            desc: self.desc.unwrap_or(false),
            limit: self.limit.unwrap_or(50),
            offset: self.offset.unwrap_or(0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LicensePage {
    pub items: Vec<License>,
    /// The rows the filter selects, counted up to 10,000; 10,001 means more than that.
    pub total: i64,
}

/// Licenses whose holder is in the caller's scope (`license.read`).
#[utoipa::path(get, path = "/api/v1/licenses", tag = "license", params(LicenseListParams),
    responses((status = 200, body = LicensePage), (status = 403, body = Problem)))]
pub async fn list_licenses(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<LicenseListParams>,
) -> ApiResult<Json<LicensePage>> {
    let (items, total) = licenses::list(state.store(), &p, &q.query(), &client).await?;
    Ok(Json(LicensePage { items, total }))
}

/// Issue a license (`license.manage`; the caller's bureau is the issuing authority).
#[utoipa::path(post, path = "/api/v1/licenses", tag = "license", request_body = NewLicense,
    responses((status = 201, body = License), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn issue_license(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewLicense>,
) -> ApiResult<(StatusCode, Json<License>)> {
    Ok((StatusCode::CREATED, Json(licenses::issue(state.store(), state.sealing(), &p, &new, &client).await?)))
}

/// One license.
#[utoipa::path(get, path = "/api/v1/licenses/{id}", tag = "license", params(("id" = i64, Path)),
    responses((status = 200, body = License), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_license(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<License>> {
    Ok(Json(licenses::get(state.store(), &p, id, &client).await?))
}

/// Change a license's fields: a new signed version; the previous one is superseded.
#[utoipa::path(post, path = "/api/v1/licenses/{id}/change", tag = "license", params(("id" = i64, Path)),
    request_body = Reissue, responses((status = 200, body = License), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn change_license(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(change): ApiJson<Reissue>,
) -> ApiResult<Json<License>> {
    Ok(Json(licenses::reissue(state.store(), state.sealing(), &p, id, ReissueKind::Change, &change, &client).await?))
}

/// Renew a license (延续): a new signed version with a later expiry.
#[utoipa::path(post, path = "/api/v1/licenses/{id}/renew", tag = "license", params(("id" = i64, Path)),
    request_body = Reissue, responses((status = 200, body = License), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn renew_license(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(change): ApiJson<Reissue>,
) -> ApiResult<Json<License>> {
    Ok(Json(licenses::reissue(state.store(), state.sealing(), &p, id, ReissueKind::Renew, &change, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenseStatusChange {
    pub action: StatusAction,
    pub reason: String,
    pub expected_version: i64,
}

/// Suspend, reinstate or revoke a license, with the reason.
#[utoipa::path(post, path = "/api/v1/licenses/{id}/status", tag = "license", params(("id" = i64, Path)),
    request_body = LicenseStatusChange, responses((status = 200, body = License), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn license_status(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(change): ApiJson<LicenseStatusChange>,
) -> ApiResult<Json<License>> {
    let l =
        licenses::set_status(state.store(), &p, id, change.action, &change.reason, change.expected_version, &client)
            .await?;
    Ok(Json(l))
}

/// The current signed license document, for `yaolian license verify FILE --public-key KEY`.
#[utoipa::path(get, path = "/api/v1/licenses/{id}/export", tag = "license", params(("id" = i64, Path)),
    responses((status = 200, body = SignedLicense), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_license(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<impl IntoResponse> {
    let signed = licenses::export(state.store(), &p, id, &client).await?;
    let body = serde_json::to_vec_pretty(&signed).map_err(|_| ApiError::internal())?;
    let disposition = format!("attachment; filename=\"license-{id}-v{}.json\"", signed.license.version);
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], body))
}

/// Public verification of a license identifier (no login): state, reason, and whether the
/// authority's signature holds.
#[utoipa::path(get, path = "/api/v1/public/licenses/{identifier}", tag = "license", security(()),
    params(("identifier" = String, Path, description = "GB/T 36902 license identifier")),
    responses((status = 200, body = Verification), (status = 404, body = Problem)))]
pub async fn verify_license(
    State(state): State<AppState>,
    Path(identifier): Path<String>,
) -> ApiResult<Json<Verification>> {
    match licenses::verify_public(state.store(), &identifier).await {
        Ok(v) => Ok(Json(v)),
        Err(yaolian_license::LicenseError::Shared(yaolian_identity::IdentityError::NotFound(_))) => {
            Err(ApiError::not_found(format!("no license with identifier {identifier:?}")))
        }
        Err(e) => Err(e.into()),
    }
}

/// The revocation list (no login): every identifier of every revoked or suspended license.
#[utoipa::path(get, path = "/api/v1/public/licenses/revoked", tag = "license", security(()),
    responses((status = 200, body = Vec<Revoked>)))]
pub async fn revocation_list(State(state): State<AppState>) -> ApiResult<Json<Vec<Revoked>>> {
    Ok(Json(licenses::revocations(state.store()).await?))
}

/// An issuing authority's public key (PEM, no login), for offline verification.
#[utoipa::path(get, path = "/api/v1/public/authority-keys/{key_id}", tag = "license", security(()),
    params(("key_id" = String, Path)), responses((status = 200, body = String, content_type = "application/x-pem-file"), (status = 404, body = Problem)))]
pub async fn authority_key(State(state): State<AppState>, Path(key_id): Path<String>) -> ApiResult<impl IntoResponse> {
    let pem = licenses::authority_public_key(state.store(), &key_id).await?;
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem))
}
