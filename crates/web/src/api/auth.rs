//! Login, TOTP, logout and the caller's own account.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yaolian_access::Principal;
use yaolian_access::{OrgKind, RoleGrant};
use yaolian_core::REDACTED;
use yaolian_identity::users;
use yaolian_identity::{auth as domain, auth::Stage};
use yaolian_identity::{totp, totp::Enrollment};

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{clear_session_cookie, session_cookie, ApiJson, Auth, Client, PendingAuth};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/auth/totp", post(totp_step))
        .route("/api/v1/auth/totp/enroll", post(totp_enroll))
        .route("/api/v1/auth/totp/confirm", post(totp_confirm))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/me/password", post(change_password))
}

/// `Debug` leaves out the password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest").field("username", &self.username).field("password", &REDACTED).finish()
    }
}

/// `Debug` leaves out the CSRF token.
#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// `full` (logged in), `mfa` (send a TOTP code to /auth/totp) or `enroll` (enroll TOTP first).
    pub stage: String,
    /// Send this in `X-CSRF-Token` with every state-changing request made with the cookie.
    pub csrf_token: String,
    /// Session end at the latest (UTC ms); it ends earlier after 30 minutes without requests.
    pub expires_at: i64,
}

impl std::fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginResponse")
            .field("stage", &self.stage)
            .field("csrf_token", &REDACTED)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

fn stage_name(s: Stage) -> &'static str {
    match s {
        Stage::Full => "full",
        Stage::Mfa => "mfa",
        Stage::Enroll => "enroll",
    }
}

/// Log in with a user name and password; sets the `yl_session` cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem, description = "invalid_credentials"),
        (status = 423, body = Problem, description = "account_locked"), (status = 422, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    Client(client): Client,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let s = domain::login(state.store(), state.identity(), &req.username, &req.password, &client).await?;
    let body = LoginResponse {
        stage: stage_name(s.stage).into(),
        csrf_token: s.csrf_token.clone(),
        expires_at: s.expires_at.0,
    };
    let cookie = session_cookie(&s.token, state.identity().session_absolute.as_secs(), state.config().secure_cookies);
    let mut resp = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CodeRequest {
    /// The 6-digit code from the authenticator.
    pub code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageResponse {
    pub stage: String,
}

/// Second login step: the TOTP code.
#[utoipa::path(post, path = "/api/v1/auth/totp", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = StageResponse), (status = 401, body = Problem)))]
pub async fn totp_step(
    State(state): State<AppState>,
    Client(client): Client,
    pending: PendingAuth,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Json<StageResponse>> {
    domain::complete_mfa(state.store(), state.identity(), &pending.2, &req.code, &client).await?;
    Ok(Json(StageResponse { stage: "full".into() }))
}

/// Start TOTP enrollment: returns a secret, an `otpauth://` URI and its QR code.
#[utoipa::path(post, path = "/api/v1/auth/totp/enroll", tag = "auth", responses((status = 200, body = Enrollment)))]
pub async fn totp_enroll(State(state): State<AppState>, pending: PendingAuth) -> ApiResult<Json<Enrollment>> {
    let PendingAuth(p, stage, _) = pending;
    if stage == Stage::Mfa {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_required", "complete the TOTP step first"));
    }
    Ok(Json(totp::begin_enrollment(state.store(), state.identity(), &p).await?))
}

/// Confirm TOTP enrollment with a first code.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "auth", request_body = CodeRequest,
    responses((status = 200, body = StageResponse), (status = 401, body = Problem)))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    Client(client): Client,
    pending: PendingAuth,
    ApiJson(req): ApiJson<CodeRequest>,
) -> ApiResult<Json<StageResponse>> {
    let PendingAuth(p, stage, token) = pending;
    if stage == Stage::Mfa {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_required", "complete the TOTP step first"));
    }
    totp::confirm_enrollment(state.store(), state.identity(), &p, &req.code, Some(&token), &client).await?;
    Ok(Json(StageResponse { stage: "full".into() }))
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    Client(client): Client,
    pending: PendingAuth,
) -> ApiResult<Response> {
    let PendingAuth(p, _, token) = pending;
    domain::logout(state.store(), &p, &token, &client).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear_session_cookie(state.config().secure_cookies)) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRef {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
}

/// The caller: user, organization, roles and effective permissions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_master: bool,
    pub organization: OrgRef,
    pub roles: Vec<RoleGrant>,
    pub permissions: Vec<String>,
}

impl Me {
    pub fn from_principal(p: &Principal) -> Me {
        let mut permissions: Vec<String> =
            p.roles().iter().flat_map(|r| r.permissions.iter().cloned()).filter(|perm| p.has(perm)).collect();
        permissions.sort();
        permissions.dedup();
        Me {
            id: p.user_id(),
            username: p.username().to_string(),
            display_name: p.display_name().to_string(),
            is_master: p.is_master(),
            organization: OrgRef { id: p.org_id(), name: p.org_name().to_string(), kind: p.org_kind() },
            roles: p.roles().to_vec(),
            permissions,
        }
    }
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(Auth(p): Auth) -> Json<Me> {
    Json(Me::from_principal(&p))
}

/// `Debug` leaves out both passwords.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange").field("current_password", &REDACTED).field("new_password", &REDACTED).finish()
    }
}

/// Change the caller's own password.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 204), (status = 422, body = Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    users::change_own_password(state.store(), state.identity(), &p, &req.current_password, &req.new_password, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
