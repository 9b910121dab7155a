//! Organizations, users, roles, API tokens and the audit log.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_access::Principal;
use yaolian_audit::{self as audit, AuditQuery, AuditRecord};
use yaolian_identity::role_requests::{self, NewRoleRequest, RoleDecision, RoleRequest};
use yaolian_identity::{orgs, orgs::NewOrg};
use yaolian_identity::{roles, Org, Role, User};
use yaolian_identity::{tokens, tokens::ApiToken};
use yaolian_identity::{users, users::NewUser, users::UserQuery};
use yaolian_store::{versions, RecordVersion};

use super::{parse_time, ApiQuery, IdPath};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{id}", get(get_org))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", get(get_user))
        .route("/api/v1/users/{id}/history", get(user_history))
        .route("/api/v1/users/{id}/roles", put(assign_roles))
        .route("/api/v1/users/{id}/status", put(set_status))
        .route("/api/v1/users/{id}/unlock", post(unlock_user))
        .route("/api/v1/users/{id}/password", put(reset_password))
        .route("/api/v1/role-requests", get(list_role_requests).post(propose_roles))
        .route("/api/v1/role-requests/{id}/decision", post(decide_role_request))
        .route("/api/v1/roles", get(list_roles))
        .route("/api/v1/roles/{code}/mfa", put(set_role_mfa))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(list_audit))
        .route("/api/v1/audit.csv", get(export_audit))
        .route("/api/v1/audit.xlsx", get(export_audit_xlsx))
}

/// Organizations visible to the caller, as a depth-first list (ordered by path), a page at a
/// time (at most 500; the next page: `after` = the last row's `path`), narrowed by part of the
/// name or code and by kind. The web forms' organization pickers ask it as the user types.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "identity", params(orgs::OrgQuery),
    responses((status = 200, body = Vec<Org>), (status = 403, body = Problem)))]
pub async fn list_orgs(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<orgs::OrgQuery>,
) -> ApiResult<Json<Vec<Org>>> {
    Ok(Json(orgs::find(state.store(), &p, &q, &client).await?))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/orgs/{id}", tag = "identity", params(("id" = i64, Path)),
    responses((status = 200, body = Org), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_org(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Org>> {
    Ok(Json(orgs::get(state.store(), &p, id, &client).await?))
}

/// Create an organization (regulator, company or site).
#[utoipa::path(post, path = "/api/v1/orgs", tag = "identity", request_body = NewOrg,
    responses((status = 201, body = Org), (status = 422, body = Problem), (status = 403, body = Problem)))]
pub async fn create_org(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewOrg>,
) -> ApiResult<(StatusCode, Json<Org>)> {
    Ok((StatusCode::CREATED, Json(orgs::create(state.store(), &p, &new, &client).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UserListParams {
    pub org_id: Option<i64>,
    /// Substring of user name or real name.
    pub q: Option<String>,
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<User>,
    pub total: i64,
}

/// Users visible to the caller (its data scope for `user.read`).
#[utoipa::path(get, path = "/api/v1/users", tag = "identity", params(UserListParams),
    responses((status = 200, body = UserPage), (status = 403, body = Problem)))]
pub async fn list_users(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<UserListParams>,
) -> ApiResult<Json<UserPage>> {
    let query = UserQuery {
        org_id: q.org_id,
        q: q.q,
        status: q.status,
        limit: q.limit.unwrap_or(50),
        offset: q.offset.unwrap_or(0),
        ..Default::default()
    };
    let (items, total) = users::list(state.store(), &p, &query, &client).await?;
    Ok(Json(UserPage { items, total }))
}

/// Create an account. Master accounts create sub-accounts in their own subtree.
#[utoipa::path(post, path = "/api/v1/users", tag = "identity", request_body = NewUser,
    responses((status = 201, body = User), (status = 422, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem)))]
pub async fn create_user(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(new): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    Ok((StatusCode::CREATED, Json(users::create(state.store(), state.identity(), &p, &new, &client).await?)))
}

/// One user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "identity", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_user(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<User>> {
    Ok(Json(users::get(state.store(), &p, id, &client).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionOut {
    pub version: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<RecordVersion> for VersionOut {
    fn from(v: RecordVersion) -> Self {
        VersionOut { version: v.version, at: v.at.0, actor: v.actor, action: v.action, reason: v.reason, data: v.data }
    }
}

/// Every recorded version of a user account (who, when, why).
#[utoipa::path(get, path = "/api/v1/users/{id}/history", tag = "identity", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<VersionOut>)))]
pub async fn user_history(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<VersionOut>>> {
    users::get(state.store(), &p, id, &client).await?;
    let history = versions::history(state.store().pool(), "user", &id.to_string()).await?;
    Ok(Json(history.into_iter().map(VersionOut::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolesChange {
    /// The complete new set of role codes.
    pub roles: Vec<String>,
    /// Why (修改原因).
    pub reason: String,
}

/// Replace a user's roles. Refused when it would make one person two of the three
/// administrators, for one's own account, and when it grants or removes one of the three
/// administrator roles (that needs a role request, `POST /api/v1/role-requests`).
#[utoipa::path(put, path = "/api/v1/users/{id}/roles", tag = "identity", params(("id" = i64, Path)), request_body = RolesChange,
    responses((status = 200, body = User), (status = 409, body = Problem, description = "separation_of_duties"), (status = 403, body = Problem)))]
pub async fn assign_roles(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<RolesChange>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::assign_roles(state.store(), &p, id, &req.roles, &req.reason, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub active: bool,
    pub reason: String,
}

/// Disable or re-enable an account.
#[utoipa::path(put, path = "/api/v1/users/{id}/status", tag = "identity", params(("id" = i64, Path)), request_body = StatusChange,
    responses((status = 200, body = User), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn set_status(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<StatusChange>,
) -> ApiResult<Json<User>> {
    Ok(Json(users::set_status(state.store(), &p, id, req.active, &req.reason, &client).await?))
}

/// Lift a lockout (security administrator).
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "identity", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = Problem)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    users::unlock(state.store(), &p, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `Debug` leaves out the password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    pub password: String,
}

impl std::fmt::Debug for PasswordReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordReset").field("password", &yaolian_core::REDACTED).finish()
    }
}

/// Set a new password for an account (administrator reset).
#[utoipa::path(put, path = "/api/v1/users/{id}/password", tag = "identity", params(("id" = i64, Path)), request_body = PasswordReset,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn reset_password(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    users::reset_password(state.store(), state.identity(), &p, id, &req.password, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RoleRequestFilter {
    /// Only the requests waiting for a decision.
    #[serde(default)]
    pub pending: bool,
}

/// Role requests (角色变更申请), open ones first: for the administrators who propose or decide.
#[utoipa::path(get, path = "/api/v1/role-requests", tag = "identity", params(RoleRequestFilter),
    responses((status = 200, body = Vec<RoleRequest>), (status = 403, body = Problem)))]
pub async fn list_role_requests(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(f): ApiQuery<RoleRequestFilter>,
) -> ApiResult<Json<Vec<RoleRequest>>> {
    Ok(Json(role_requests::list(state.store(), &p, f.pending, &client).await?))
}

/// Propose a change of roles that a second administrator must approve (two-person rule for the
/// three administrator roles, 三员分立).
#[utoipa::path(post, path = "/api/v1/role-requests", tag = "identity", request_body = NewRoleRequest,
    responses((status = 201, body = RoleRequest), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn propose_roles(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<NewRoleRequest>,
) -> ApiResult<(StatusCode, Json<RoleRequest>)> {
    let made = role_requests::propose(state.store(), &p, req.user_id, &req.roles, &req.reason, &client).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Approve or refuse a role request: by a second administrator, neither the proposer nor the
/// person concerned. An approval changes the roles at once.
#[utoipa::path(post, path = "/api/v1/role-requests/{id}/decision", tag = "identity", params(("id" = i64, Path)),
    request_body = RoleDecision,
    responses((status = 200, body = RoleRequest), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn decide_role_request(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
    ApiJson(req): ApiJson<RoleDecision>,
) -> ApiResult<Json<RoleRequest>> {
    Ok(Json(role_requests::decide(state.store(), &p, id, req.approve, &req.reason, &client).await?))
}

/// Every role with its permissions and data scope.
#[utoipa::path(get, path = "/api/v1/roles", tag = "identity", responses((status = 200, body = Vec<Role>), (status = 403, body = Problem)))]
pub async fn list_roles(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<Role>>> {
    Ok(Json(roles::list(state.store(), &p, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaChange {
    pub requires_mfa: bool,
    pub reason: String,
}

/// Require (or stop requiring) a second factor for a role's holders.
#[utoipa::path(put, path = "/api/v1/roles/{code}/mfa", tag = "identity", params(("code" = String, Path)), request_body = MfaChange,
    responses((status = 200, body = Role), (status = 403, body = Problem)))]
pub async fn set_role_mfa(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    axum::extract::Path(code): axum::extract::Path<String>,
    ApiJson(req): ApiJson<MfaChange>,
) -> ApiResult<Json<Role>> {
    Ok(Json(roles::set_requires_mfa(state.store(), &p, &code, req.requires_mfa, &req.reason, &client).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
    /// Permissions the token may use; each must be held by the caller.
    pub scopes: Vec<String>,
    /// Days until it expires (1–366).
    pub valid_days: i64,
}

/// `Debug` leaves out the secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: ApiToken,
    /// The secret, shown once: send it as `Authorization: Bearer …`.
    pub secret: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken").field("token", &self.token).field("secret", &yaolian_core::REDACTED).finish()
    }
}

/// The caller's API tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "identity", responses((status = 200, body = Vec<ApiToken>)))]
pub async fn list_tokens(State(state): State<AppState>, Auth(p): Auth) -> ApiResult<Json<Vec<ApiToken>>> {
    Ok(Json(tokens::list(state.store(), &p).await?))
}

/// Issue an API token for machine clients.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "identity", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 422, body = Problem)))]
pub async fn create_token(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiJson(req): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    only_sessions(&p)?;
    let (token, secret) = tokens::create(state.store(), &p, &req.name, &req.scopes, req.valid_days, &client).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// A token cannot mint further tokens.
fn only_sessions(p: &Principal) -> ApiResult<()> {
    match p.via() {
        yaolian_access::AuthVia::Token { .. } => {
            Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "API tokens cannot create tokens; log in"))
        }
        _ => Ok(()),
    }
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "identity", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    tokens::revoke(state.store(), &p, id, &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditParams {
    /// User name of the actor.
    pub user: Option<String>,
    pub action: Option<String>,
    /// `YYYY-MM-DD` (China time), RFC 3339 or epoch ms.
    pub from: Option<String>,
    /// Inclusive end day, RFC 3339 or epoch ms.
    pub to: Option<String>,
    /// Only events with a smaller id (paging: pass the last id seen).
    pub before: Option<i64>,
    /// `oldest`: oldest first (default: newest first).
    pub order: Option<String>,
    /// Only events with a larger id (paging oldest first: pass the last id seen).
    pub after: Option<i64>,
    pub limit: Option<i64>,
}

impl AuditParams {
    pub fn to_query(&self, default_limit: i64) -> Result<AuditQuery, ApiError> {
        let from = self.from.as_deref().filter(|s| !s.is_empty()).map(|s| parse_time("from", s, false)).transpose()?;
        let to = self.to.as_deref().filter(|s| !s.is_empty()).map(|s| parse_time("to", s, true)).transpose()?;
        Ok(AuditQuery {
            actor: self.user.clone(),
            action: self.action.clone(),
            from,
            to,
            before: self.before,
            oldest_first: self.order.as_deref() == Some("oldest"),
            after: self.after,
            limit: self.limit.unwrap_or(default_limit),
        })
    }
}

/// The audit log, newest first (audit administrator).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = Vec<AuditRecord>), (status = 403, body = Problem)))]
pub async fn list_audit(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditRecord>>> {
    Ok(Json(audit::query(state.store(), &p, &q.to_query(100)?, &client).await?))
}

/// The audit log as CSV (UTF-8 with BOM), same filters, up to 100,000 rows; the export is
/// itself audited.
#[utoipa::path(get, path = "/api/v1/audit.csv", tag = "audit", params(AuditParams),
    responses((status = 200, content_type = "text/csv"), (status = 403, body = Problem)))]
pub async fn export_audit(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    let records = audit::query(state.store(), &p, &q.to_query(100_000)?, &client).await?;
    audit::record_export(state.store(), &p, "audit.csv", records.len(), &client).await?;
    Ok(csv_response("audit.csv", audit::to_csv(&records)))
}

/// The audit log as an Excel workbook, the columns of the CSV, same filters, up to 100,000
/// rows; the export is itself audited.
#[utoipa::path(get, path = "/api/v1/audit.xlsx", tag = "audit", params(AuditParams),
    responses((status = 200, description = "xlsx workbook"), (status = 403, body = Problem)))]
pub async fn export_audit_xlsx(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<AuditParams>,
) -> ApiResult<Response> {
    let records = audit::query(state.store(), &p, &q.to_query(100_000)?, &client).await?;
    audit::record_export(state.store(), &p, "audit.xlsx", records.len(), &client).await?;
    let bytes = yaolian_registry::table::table_xlsx(&audit::table(&records))
        .map_err(|e| yaolian_core::ValidationError::single("file", "xlsx", e.to_string()))?;
    Ok(super::xlsx_response("audit.xlsx", bytes))
}

/// A stored file's download, as it was uploaded: its name (UTF-8, RFC 5987), its type, and
/// its SM3 in `X-Content-SM3` so the receiver can check it.
pub fn file_response(name: &str, content_type: String, sm3: String, bytes: Vec<u8>) -> Response {
    let disposition = format!("attachment; filename*=UTF-8''{}", urlencoding::encode(name));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CONTENT_DISPOSITION, disposition),
        (header::HeaderName::from_static("x-content-sm3"), sm3),
    ];
    (headers, bytes).into_response()
}

/// A CSV download.
pub fn csv_response(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        body,
    )
        .into_response()
}
