//! Record history and electronic signatures over HTTP, for any versioned record, and the
//! unified audit's summaries and alert rules.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yaolian_audit::{self as audit, alerts};
use yaolian_records::history::RecordView;
use yaolian_records::{esign::SignRequest, esign::SignatureView};

use super::{parse_time, ApiQuery};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ApiJson, Auth, Client};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/records/{entity}/{id}", get(record))
        .route("/api/v1/records/{entity}/{id}/signatures", get(signatures).post(sign))
        .route("/api/v1/audit/summary", get(audit_summary))
        .route("/api/v1/audit/alerts", get(audit_alerts))
        .route("/api/v1/audit/alert-rules", get(alert_rules))
        .route("/api/v1/audit/alert-rules/{code}", put(update_alert_rule))
}

/// A record's versions (who, when, why, data), their ledger anchoring and signatures.
#[utoipa::path(get, path = "/api/v1/records/{entity}/{id}", tag = "records",
    params(("entity" = String, Path, description = "e.g. user, org, role"), ("id" = String, Path)),
    responses((status = 200, body = RecordView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn record(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((entity, id)): Path<(String, String)>,
) -> ApiResult<Json<RecordView>> {
    Ok(Json(yaolian_services::records::view(state.store(), &p, &entity, &id, &client).await?))
}

/// The signatures on a record, each verified (signature and data hash) at request time.
#[utoipa::path(get, path = "/api/v1/records/{entity}/{id}/signatures", tag = "records",
    params(("entity" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<SignatureView>), (status = 404, body = Problem)))]
pub async fn signatures(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((entity, id)): Path<(String, String)>,
) -> ApiResult<Json<Vec<SignatureView>>> {
    Ok(Json(yaolian_services::records::signatures(state.store(), &p, &entity, &id, &client).await?))
}

/// `Debug` leaves out the password and TOTP code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The version to sign; must be the current one.
    pub version: i64,
    /// author / review / approve / confirm / verify (编写 / 审核 / 批准 / 确认 / 复核).
    pub meaning: String,
    /// The signer's password, entered again now.
    pub password: String,
    /// The TOTP code, when the signer is enrolled.
    #[serde(default)]
    pub totp: Option<String>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("version", &self.version)
            .field("meaning", &self.meaning)
            .field("password", &yaolian_core::REDACTED)
            .field("totp", &self.totp.as_ref().map(|_| yaolian_core::REDACTED))
            .finish()
    }
}

/// Sign the current version of a record (re-authentication required).
#[utoipa::path(post, path = "/api/v1/records/{entity}/{id}/signatures", tag = "records",
    params(("entity" = String, Path), ("id" = String, Path)), request_body = SignIn,
    responses((status = 201, body = SignatureView), (status = 401, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn sign(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path((entity, id)): Path<(String, String)>,
    ApiJson(req): ApiJson<SignIn>,
) -> ApiResult<(StatusCode, Json<SignatureView>)> {
    let request = SignRequest {
        entity: &entity,
        entity_id: &id,
        version: req.version,
        meaning: &req.meaning,
        password: &req.password,
        totp: req.totp.as_deref(),
    };
    let view = yaolian_services::records::sign(state.store(), state.identity(), &p, &request, &client).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SummaryParams {
    /// Start (YYYY-MM-DD, RFC 3339 or epoch ms); default the start of the China day 13 days ago
    /// (the last 14 days with today, as the audit page counts).
    pub from: Option<String>,
    /// End, exclusive; default now.
    pub to: Option<String>,
}

/// Counts of audit events by action, by user and by day (audit administrators).
#[utoipa::path(get, path = "/api/v1/audit/summary", tag = "audit", params(SummaryParams),
    responses((status = 200, body = audit::Summary), (status = 403, body = Problem)))]
pub async fn audit_summary(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    ApiQuery(q): ApiQuery<SummaryParams>,
) -> ApiResult<Json<audit::Summary>> {
    let from = match q.from.as_deref() {
        Some(raw) => parse_time("from", raw, false).map_err(ApiError::validation)?,
        // A day's start: whole days are read from the daily rollups alone (`audit::summary`).
        None => {
            let day = yaolian_core::Timestamp::now().plus_seconds(-13 * 86_400).china_date();
            yaolian_core::Timestamp::china_day_start(day)
        }
    };
    let to = q.to.as_deref().map(|raw| parse_time("to", raw, true)).transpose().map_err(ApiError::validation)?;
    Ok(Json(audit::summary(state.store(), &p, from, to, &client).await?))
}

/// The latest alerts raised by the audit rules.
#[utoipa::path(get, path = "/api/v1/audit/alerts", tag = "audit",
    responses((status = 200, body = Vec<alerts::Alert>), (status = 403, body = Problem)))]
pub async fn audit_alerts(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<alerts::Alert>>> {
    Ok(Json(alerts::recent(state.store(), &p, 200, &client).await?))
}

/// The audit alert rules.
#[utoipa::path(get, path = "/api/v1/audit/alert-rules", tag = "audit",
    responses((status = 200, body = Vec<alerts::Rule>), (status = 403, body = Problem)))]
pub async fn alert_rules(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
) -> ApiResult<Json<Vec<alerts::Rule>>> {
    Ok(Json(alerts::rules(state.store(), &p, &client).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    pub enabled: bool,
    pub threshold: i64,
    pub window_minutes: i64,
    /// Why (修改原因).
    pub reason: String,
}

/// Change an alert rule's threshold, window or state (audit administrators; versioned).
#[utoipa::path(put, path = "/api/v1/audit/alert-rules/{code}", tag = "audit", params(("code" = String, Path)),
    request_body = RuleChange,
    responses((status = 200, body = alerts::Rule), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_alert_rule(
    State(state): State<AppState>,
    Client(client): Client,
    Auth(p): Auth,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<RuleChange>,
) -> ApiResult<Json<alerts::Rule>> {
    let rule =
        alerts::Rule { code, enabled: req.enabled, threshold: req.threshold, window_minutes: req.window_minutes };
    Ok(Json(alerts::update_rule(state.store(), &p, &rule, &req.reason, &client).await?))
}
