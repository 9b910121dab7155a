//! Request extractors: JSON bodies whose errors name the field, client info for the audit
//! log, and the authenticated principal (session cookie or API token).

use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use yaolian_access::AuthVia;
use yaolian_access::{ClientInfo, Principal};
use yaolian_core::ValidationError;
use yaolian_identity::IdentityError;
use yaolian_identity::{auth, auth::Stage};

pub const SESSION_COOKIE: &str = "yl_session";
pub const LANG_COOKIE: &str = "yl_lang";
pub const LOGIN_CSRF_COOKIE: &str = "yl_login_csrf";

/// A JSON request body. Wrong content type → 415, too large → 413, malformed → 400, wrong
/// or missing fields → 422 naming the field; never a 500.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large")
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "body_unreadable", rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Deserializes JSON, turning errors into problems that name the field and rule.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "body_required", "the request body is empty"));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", format!("malformed JSON: {inner}"))
            }
            Category::Data => {
                let msg = inner.to_string();
                let (field, rule) = if let Some(rest) = msg.strip_prefix("missing field `") {
                    let name = rest.split('`').next().unwrap_or("");
                    let field =
                        if path == "." || path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
                    (field, "required")
                } else if msg.starts_with("invalid type") {
                    (path.clone(), "type")
                } else if msg.starts_with("unknown variant") {
                    (path.clone(), "enum")
                } else if msg.starts_with("unknown field") {
                    (path.clone(), "unknown_field")
                } else {
                    (path.clone(), "invalid")
                };
                let field = if field == "." { "body".to_string() } else { field };
                ApiError::validation(ValidationError::single(field, rule, msg))
            }
        }
    })
}

/// IP address and user agent of the caller, for the audit log.
pub struct Client(pub ClientInfo);

impl FromRequestParts<AppState> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client(client_info(parts, state.config().trust_proxy)))
    }
}

pub fn client_info(parts: &Parts, trust_proxy: bool) -> ClientInfo {
    let forwarded = trust_proxy
        .then(|| parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()))
        .flatten()
        .and_then(|v| v.split(',').next())
        .map(|s| s.trim().to_string());
    let ip = forwarded
        .or_else(|| parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()))
        .unwrap_or_default();
    let user_agent =
        parts.headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").chars().take(256).collect();
    ClientInfo { ip, user_agent }
}

/// Value of a cookie in the request.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
}

/// Resolves the caller: an API token, or a session cookie in a given stage.
pub async fn resolve(parts: &Parts, state: &AppState) -> Result<(Principal, Stage, Option<String>), IdentityError> {
    if let Some(token) = bearer(parts) {
        let p = auth::token_principal(state.store(), token).await?;
        return Ok((p, Stage::Full, None));
    }
    let token = cookie(parts, SESSION_COOKIE).ok_or(IdentityError::Unauthenticated)?;
    let (p, stage) = auth::cached_session_principal(state.sessions(), state.store(), state.identity(), token).await?;
    Ok((p, stage, Some(token.to_string())))
}

/// An authenticated API caller with a full session or a token. State-changing requests made
/// with a session cookie must carry the session's CSRF token in `X-CSRF-Token`.
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (p, stage, _) = resolve(parts, state).await.map_err(|e| match e {
            IdentityError::Unauthenticated => ApiError::unauthenticated(),
            other => ApiError::from(other),
        })?;
        if stage != Stage::Full {
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "mfa_required", "complete the TOTP step first"));
        }
        check_csrf(parts, &p)?;
        Ok(Auth(p))
    }
}

/// A state-changing request made with a session cookie must carry the session's CSRF token in
/// `X-CSRF-Token` (bearer tokens need none: a browser never sends them on its own).
fn check_csrf(parts: &Parts, p: &Principal) -> Result<(), ApiError> {
    if let AuthVia::Session { csrf_token } = p.via() {
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if !safe && sent != Some(csrf_token.as_str()) {
            return Err(ApiError::csrf());
        }
    }
    Ok(())
}

/// A caller with a session in any stage (for the TOTP step, enrollment and logout), and its
/// cookie token. Like [`Auth`], a state-changing request needs the session's CSRF token (the
/// login answer gives it at every stage).
pub struct PendingAuth(pub Principal, pub Stage, pub String);

impl FromRequestParts<AppState> for PendingAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match resolve(parts, state).await {
            Ok((p, stage, Some(token))) => {
                check_csrf(parts, &p)?;
                Ok(PendingAuth(p, stage, token))
            }
            Ok((_, _, None)) => {
                Err(ApiError::new(StatusCode::BAD_REQUEST, "session_required", "this step needs a login session"))
            }
            Err(_) => Err(ApiError::unauthenticated()),
        }
    }
}

/// Whether the browser reached us over HTTPS: always when configured so (`secure_cookies`), and
/// when a trusted reverse proxy says so in `X-Forwarded-Proto`.
pub fn came_over_https(headers: &axum::http::HeaderMap, config: &crate::WebConfig) -> bool {
    config.secure_cookies
        || (config.trust_proxy
            && headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.split(',').next().unwrap_or("").trim().eq_ignore_ascii_case("https")))
}

/// `Set-Cookie` value for the session.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
