//! The web layer: axum routes for the JSON API (`/api/v1`), server-rendered pages (askama,
//! zh-CN with English), `/healthz`, `/metrics` and the OpenAPI document.
//!
//! Architecture Invariant: the web crate is thin. Handlers parse, call a domain function with
//! the authenticated principal, and render; authorization and validation live in the domain
//! crates. No SQL here.

pub mod api;
pub mod assets;
pub mod error;
pub mod extract;
pub mod i18n;
mod limit;
pub mod metrics;
mod nul;
pub mod openapi;
pub mod pages;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use yaolian_identity::IdentityConfig;
use yaolian_store::Store;

use crate::error::{problem_response, ApiError};
use crate::metrics::Metrics;

/// A demo account shown on the login page in demo mode.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub org: String,
}

/// Web settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (serve behind HTTPS).
    pub secure_cookies: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Demo mode: accounts and their shared password, shown on the login page.
    pub demo: Option<(Vec<DemoAccount>, String)>,
    /// The bearer token a metrics scraper sends for `/metrics`; without one, `/metrics` is off.
    pub metrics_token: Option<MetricsToken>,
    /// Requests a minute one source may make to the public (no login) license pages and API.
    pub public_per_minute: u32,
    /// The quality system's settings (`[quality]`): deviation classes, deadlines, RPN thresholds.
    pub quality: yaolian_quality::QualityConfig,
    /// Where received eCTD packages and transfers in progress are kept (`<data dir>/submission`).
    pub submission_dir: std::path::PathBuf,
    /// The regulator's receiver a company's built sequences are sent to (`[submission]`);
    /// `None` when this site sends nowhere (a regulator's, or one not set up).
    pub submission_receiver: Option<yaolian_submission::transfers::Remote>,
}

/// The secret that opens `/metrics`. `Debug` never shows it; comparison takes the same time
/// whatever the guess.
#[derive(Clone)]
pub struct MetricsToken(pub String);

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(yaolian_core::REDACTED)
    }
}

impl MetricsToken {
    fn matches(&self, sent: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), sent.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            trust_proxy: false,
            max_body_bytes: 256 * 1024,
            demo: None,
            metrics_token: None,
            public_per_minute: 60,
            quality: yaolian_quality::QualityConfig::default(),
            submission_dir: std::env::temp_dir().join(format!("yaolian-submission-{}", std::process::id())),
            submission_receiver: None,
        }
    }
}

struct Inner {
    store: Store,
    identity: IdentityConfig,
    config: WebConfig,
    metrics: Metrics,
    /// Principals of recently seen sessions.
    sessions: yaolian_identity::auth::SessionCache,
    /// Requests per source to the public endpoints in the current minute.
    public_hits: limit::Window,
    /// The site signing key (id, key), for checkpoints on demand.
    signer: Option<(String, yaolian_ledger::sign::KeyPair)>,
    /// The site sealing key, which opens the issuing authorities' license keys.
    sealing: yaolian_license::licenses::Sealing,
}

/// A fresh random sealing key, for a state built without the site's (tests, scratch servers).
fn ephemeral_sealing() -> yaolian_license::licenses::Sealing {
    let mut key = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    yaolian_license::licenses::Sealing(key)
}

/// Shared state of every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl AppState {
    pub fn new(store: Store, identity: IdentityConfig, config: WebConfig) -> Self {
        Self::build(store, identity, config, None, ephemeral_sealing())
    }

    fn build(
        store: Store,
        identity: IdentityConfig,
        config: WebConfig,
        signer: Option<(String, yaolian_ledger::sign::KeyPair)>,
        sealing: yaolian_license::licenses::Sealing,
    ) -> Self {
        let (metrics, sessions, public_hits) = Default::default();
        AppState(Arc::new(Inner { store, identity, config, metrics, sessions, public_hits, signer, sealing }))
    }

    /// The same state with the site signing key, so that checkpoints can be made on demand,
    /// and the site sealing key, which opens the authorities' license keys.
    pub fn with_signer(
        store: Store,
        identity: IdentityConfig,
        config: WebConfig,
        key_id: String,
        key: yaolian_ledger::sign::KeyPair,
        sealing: yaolian_license::licenses::Sealing,
    ) -> Self {
        Self::build(store, identity, config, Some((key_id, key)), sealing)
    }

    pub fn sealing(&self) -> &yaolian_license::licenses::Sealing {
        &self.0.sealing
    }

    pub fn signer(&self) -> Option<&(String, yaolian_ledger::sign::KeyPair)> {
        self.0.signer.as_ref()
    }
    pub fn store(&self) -> &Store {
        &self.0.store
    }
    pub fn identity(&self) -> &IdentityConfig {
        &self.0.identity
    }
    pub fn sessions(&self) -> &yaolian_identity::auth::SessionCache {
        &self.0.sessions
    }
    fn public_hits(&self) -> &limit::Window {
        &self.0.public_hits
    }
    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let max_body = state.config().max_body_bytes;
    Router::new()
        .merge(api::routes())
        .merge(pages::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/api/openapi.json", get(openapi::document))
        .route_layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .merge(assets::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), nul::refuse_nul_bytes))
        .layer(middleware::from_fn(problem_for_bare_errors))
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(close_after_refused_body))
        .layer(middleware::from_fn_with_state(state.clone(), limit::public_rate))
        .layer(middleware::from_fn_with_state(state.clone(), secure_cookies_over_https))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| ApiError::internal().into_response()))
        .with_state(state)
}

/// How long open connections may take to finish once shutdown has begun.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves on a bound listener until `shutdown` completes; then connections get
/// [`SHUTDOWN_GRACE`] to finish, so that a client holding one open cannot stall the stop.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let (begun_tx, begun_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = begun_tx.send(());
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let deadline = async move {
        // Resolves only once shutdown has begun (a dropped sender means it never will).
        if begun_rx.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result,
        () = deadline => {
            tracing::warn!(grace_s = SHUTDOWN_GRACE.as_secs(), "connections still open after the shutdown grace; closing");
            Ok(())
        }
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store().ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": state.store().backend().name()})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", "the database does not answer")
                .into_response()
        }
    }
}

/// Prometheus metrics, for a scraper holding the configured token (`metrics_token`).
async fn metrics_text(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let Some(token) = &state.config().metrics_token else {
        return ApiError::new(StatusCode::NOT_FOUND, "metrics_off", "metrics are off: set metrics_token to serve them")
            .into_response();
    };
    let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if !sent.is_some_and(|s| token.matches(s.trim())) {
        let mut resp =
            ApiError::new(StatusCode::UNAUTHORIZED, "metrics_token", "send the metrics token as a bearer token")
                .into_response();
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    let (open, idle) = state.store().pool_stats();
    let body = state.metrics().render(open, idle);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], body).into_response()
}

async fn not_found(req: Request) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/") || path.starts_with("/epcis/") || wants_json(&req) {
        ApiError::not_found(format!("no route for {} {path}", req.method())).into_response()
    } else {
        pages::not_found_page(&req)
    }
}

fn wants_json(req: &Request) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("json") && !a.contains("text/html"))
}

/// Any 4xx/5xx on the API that some layer produced without a body of ours (405 from the
/// router, 413 from the body limit …) becomes problem+json.
async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let api = path.starts_with("/api/") || path.starts_with("/epcis/") || path == "/healthz";
    let resp = next.run(req).await;
    let status = resp.status();
    if !(api && (status.is_client_error() || status.is_server_error())) {
        return resp;
    }
    let is_problem =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if is_problem {
        return resp;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    };
    let err = ApiError::new(status, code, status.canonical_reason().unwrap_or("error"));
    problem_response(status, &err.problem())
}

/// Every cookie set in answer to a request that came over HTTPS is marked `Secure`, so a
/// session cookie never travels in clear even when `secure_cookies` was left off behind a
/// TLS-terminating proxy (with `trust_proxy`).
async fn secure_cookies_over_https(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let https = extract::came_over_https(req.headers(), state.config());
    let mut resp = next.run(req).await;
    if https {
        let cookies: Vec<HeaderValue> = resp.headers().get_all(header::SET_COOKIE).iter().cloned().collect();
        resp.headers_mut().remove(header::SET_COOKIE);
        for c in cookies {
            let marked = match c.to_str() {
                Ok(text) if !text.to_ascii_lowercase().contains("; secure") => {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or(c)
                }
                _ => c,
            };
            resp.headers_mut().append(header::SET_COOKIE, marked);
        }
    }
    resp
}

/// A request with a body that is refused (4xx/5xx) may not have had its body read: the
/// connection then ends (`Connection: close`) rather than carry unread bytes into the next
/// request or be dropped without a word.
async fn close_after_refused_body(req: Request, next: Next) -> Response {
    let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
        || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .is_some_and(|n| n > 0);
    let mut resp = next.run(req).await;
    if has_body && (resp.status().is_client_error() || resp.status().is_server_error()) {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    resp
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
        ),
    );
    resp
}
