//! `/api/v1`: the JSON API. Each handler authenticates, calls one domain function and returns
//! JSON or a problem document.

mod admin;
mod auth;
mod changes;
mod enforcement;
mod inventory;
mod lab;
mod ledger;
mod license;
mod portal;
mod quality;
mod records;
mod registry;
mod sampling;
mod services;
mod signals;
mod submission;
mod supervision;
mod trace;

use axum::extract::{FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::Router;
use serde::de::DeserializeOwned;
use yaolian_core::{Timestamp, ValidationError};

use crate::error::ApiError;
use crate::AppState;

pub use admin::*;
pub use auth::*;
pub use changes::*;
pub use enforcement::*;
pub use inventory::*;
pub use lab::*;
pub use ledger::*;
pub use license::*;
pub use portal::*;
pub use quality::*;
pub use records::*;
pub use registry::*;
pub use sampling::*;
pub use services::*;
pub use signals::*;
pub use submission::*;
pub use supervision::*;
pub use trace::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(auth::routes())
        .merge(admin::routes())
        .merge(portal::routes())
        .merge(ledger::routes())
        .merge(records::routes())
        .merge(registry::routes())
        .merge(license::routes())
        .merge(services::routes())
        .merge(trace::routes())
        .merge(inventory::routes())
        .merge(quality::routes())
        .merge(changes::routes())
        .merge(lab::routes())
        .merge(supervision::routes())
        .merge(sampling::routes())
        .merge(enforcement::routes())
        .merge(signals::routes())
        .merge(submission::routes())
}

/// Query string parameters; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e| ApiError::validation(ValidationError::single("query", "invalid", e.body_text())))
    }
}

/// A numeric id in the path; anything else is a 404 rather than a 400, as no such resource exists.
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) =
            Path::<String>::from_request_parts(parts, state).await.map_err(|e| ApiError::not_found(e.body_text()))?;
        raw.parse::<i64>().map(IdPath).map_err(|_| ApiError::not_found(format!("no resource with id {raw:?}")))
    }
}

/// The body of an upload route, whose size limit (`DefaultBodyLimit` on the route) is named
/// when a body exceeds it: 413 with `errors: [{field: "body", rule: "max_bytes:N"}]`.
pub fn upload_body(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    max: usize,
) -> Result<axum::body::Bytes, ApiError> {
    use axum::http::StatusCode;
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            let detail = format!("the body is larger than {max} bytes");
            let field = yaolian_core::FieldError::new("body", format!("max_bytes:{max}"), detail.clone());
            ApiError { status: StatusCode::PAYLOAD_TOO_LARGE, code: "body_too_large", detail, errors: vec![field] }
        } else {
            ApiError::new(rejection.status(), "bad_request", rejection.body_text())
        }
    })
}

/// Parses a time filter: `YYYY-MM-DD` (a China calendar day; `end` moves to the next day so
/// the day is included), RFC 3339, or UTC milliseconds.
pub fn parse_time(field: &str, raw: &str, end: bool) -> Result<Timestamp, ValidationError> {
    let raw = raw.trim();
    if let Ok(ms) = raw.parse::<i64>() {
        return Ok(Timestamp(ms));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let day = if end { d.succ_opt().unwrap_or(d) } else { d };
        return Ok(Timestamp::china_day_start(day));
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(Timestamp(dt.timestamp_millis()));
    }
    Err(ValidationError::single(field, "datetime", "use YYYY-MM-DD, RFC 3339 or epoch milliseconds"))
}

#[cfg(test)]
mod tests {
    /// `{:?}` of every request or response body that carries a secret leaves the secret out.
    #[test]
    fn secrets_never_reach_debug_output() {
        let secret = "S3cret-Never-Shown";
        let check = |what: &str, debug: String| yaolian_core::assert_redacted(what, &debug, secret);
        check(
            "LoginRequest",
            format!("{:?}", super::auth::LoginRequest { username: "kc.qa".into(), password: secret.into() }),
        );
        check(
            "LoginResponse",
            format!(
                "{:?}",
                super::auth::LoginResponse { stage: "full".into(), csrf_token: secret.into(), expires_at: 0 }
            ),
        );
        check(
            "PasswordChange",
            format!(
                "{:?}",
                super::auth::PasswordChange { current_password: secret.into(), new_password: secret.into() }
            ),
        );
        check("PasswordReset", format!("{:?}", super::admin::PasswordReset { password: secret.into() }));
        let token = yaolian_identity::tokens::ApiToken {
            id: 1,
            name: "scanner".into(),
            scopes: vec![],
            expires_at: yaolian_core::Timestamp(0),
            created_at: yaolian_core::Timestamp(0),
            revoked: false,
        };
        check("CreatedToken", format!("{:?}", super::admin::CreatedToken { token, secret: secret.into() }));
        check(
            "SignIn",
            format!(
                "{:?}",
                super::records::SignIn {
                    version: 1,
                    meaning: "approve".into(),
                    password: secret.into(),
                    totp: Some(secret.into())
                }
            ),
        );
    }
}
