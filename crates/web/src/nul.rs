//! NUL characters (U+0000) are refused at the edge, before any handler runs. PostgreSQL cannot
//! store one in text (and answered such input with a 500) while SQLite can; refusing them here
//! makes both backends answer alike: 422 naming the field and the rule `no_nul`. Checked: the
//! path, every query parameter, and JSON and form bodies (file uploads may hold any byte).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use yaolian_core::ValidationError;

use crate::error::ApiError;
use crate::AppState;

const RULE: &str = "no_nul";

fn refusal(field: String) -> Response {
    let message = format!("{field} must not contain a NUL character (U+0000)");
    ApiError::validation(ValidationError::single(field, RULE, message)).into_response()
}

/// `%00` in percent-encoded text (either case of hex digits has only `0`s, so one form).
fn has_encoded_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == b"%00")
}

/// The first parameter of a query or form body whose name or value holds a NUL.
fn pair_with_nul(encoded: &str) -> Option<String> {
    encoded.split('&').find(|pair| has_encoded_nul(pair)).map(|pair| {
        let name = pair.split('=').next().unwrap_or("");
        let name = urlencoding::decode(&name.replace('+', " ")).map(|n| n.into_owned()).unwrap_or_default();
        if name.is_empty() || name.contains('\0') {
            "query".to_string()
        } else {
            name
        }
    })
}

/// The path (`a.b[0]`) of the first string or key in `v` that holds a NUL.
fn json_path_with_nul(v: &Value, at: &str) -> Option<String> {
    let join = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match v {
        Value::String(s) if s.contains('\0') => Some(if at.is_empty() { "body".into() } else { at.into() }),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| json_path_with_nul(x, &format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                json_path_with_nul(x, &join(k))
            }
        }),
        _ => None,
    }
}

/// The middleware: refuses a request that carries a NUL where text is expected.
pub async fn refuse_nul_bytes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if has_encoded_nul(req.uri().path()) {
        return refusal("path".into());
    }
    if let Some(field) = req.uri().query().and_then(pair_with_nul) {
        return refusal(field);
    }
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let form = mime == "application/x-www-form-urlencoded";
    let json = mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"));
    if !form && !json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    // A route that takes a larger JSON body names its own limit (the route's `DefaultBodyLimit`).
    let limit = match parts.uri.path() {
        crate::api::BLACKBOX_POINTS_PATH => crate::api::MAX_POINTS_BODY.max(state.config().max_body_bytes),
        crate::api::MANIFEST_PATH => crate::api::MAX_MANIFEST_BODY.max(state.config().max_body_bytes),
        _ => state.config().max_body_bytes,
    };
    let Ok(bytes) = to_bytes(body, limit).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large")
            .into_response();
    };
    let field = if form {
        std::str::from_utf8(&bytes).ok().and_then(pair_with_nul)
    } else if bytes.windows(6).any(|w| w == b"\\u0000") {
        serde_json::from_slice::<Value>(&bytes).ok().and_then(|v| json_path_with_nul(&v, ""))
    } else {
        None
    };
    match field {
        Some(field) => refusal(field),
        None => next.run(Request::from_parts(parts, Body::from(bytes))).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_holding_a_nul_is_named() {
        assert_eq!(pair_with_nul("q=ab%00c&x=1"), Some("q".into()));
        assert_eq!(pair_with_nul("x=1&user%5Fname=a%00"), Some("user_name".into()));
        assert_eq!(pair_with_nul("%00=1"), Some("query".into()));
        assert_eq!(pair_with_nul("q=%2500"), None, "an encoded percent sign followed by 00 is text");
        let v: Value = serde_json::from_str(r#"{"a": {"b": ["x", "y\u0000"]}, "c": 1}"#).unwrap_or_default();
        assert_eq!(json_path_with_nul(&v, ""), Some("a.b[1]".into()));
        let v: Value = serde_json::from_str(r#"{"k\u0000": 1}"#).unwrap_or_default();
        assert_eq!(json_path_with_nul(&v, ""), Some("k".into()));
        let v: Value = serde_json::from_str(r#"{"k": "\\u0000 is text here"}"#).unwrap_or_default();
        assert_eq!(json_path_with_nul(&v, ""), None);
    }
}
