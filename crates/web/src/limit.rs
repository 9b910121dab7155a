//! A rate limit on the public (no login) endpoints — license verification by identifier, the
//! revocation list, authority keys: so many requests a minute per source, then 429 with
//! `Retry-After`. Guessing identifiers one after another stays slow; a person scanning a
//! certificate's QR code never meets the limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::AppState;

const WINDOW: Duration = Duration::from_secs(60);
/// Sources remembered at most; past it, the finished windows are forgotten first.
const MAX_SOURCES: usize = 100_000;

/// Requests per source in its current one-minute window.
#[derive(Default)]
pub struct Window(Mutex<HashMap<IpAddr, (Instant, u32)>>);

impl Window {
    /// Counts a request from `source`; false once the source is over `limit` this minute.
    fn admit(&self, source: IpAddr, limit: u32, now: Instant) -> bool {
        let Ok(mut map) = self.0.lock() else { return true };
        if map.len() >= MAX_SOURCES {
            map.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if map.len() >= MAX_SOURCES {
                map.clear();
            }
        }
        let entry = map.entry(source).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= limit
    }
}

fn is_public(path: &str) -> bool {
    path.starts_with("/v/") || path.starts_with("/api/v1/public/")
}

/// The middleware: counts public requests per source (the proxy's `X-Forwarded-For` with
/// `trust_proxy`, else the peer address, as `extract::client_info` reads it).
pub async fn public_rate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_public(req.uri().path()) {
        return next.run(req).await;
    }
    // The same source the audit log records.
    let (parts, body) = req.into_parts();
    let peer = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let source = crate::extract::client_info(&parts, state.config().trust_proxy).ip.parse::<IpAddr>().ok().or(peer);
    let req = Request::from_parts(parts, body);
    let Some(source) = source else { return next.run(req).await };
    if state.public_hits().admit(source, state.config().public_per_minute, Instant::now()) {
        return next.run(req).await;
    }
    let mut resp = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests from this address; wait a minute",
    )
    .into_response();
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_held_to_its_minute_and_others_are_not() {
        let w = Window::default();
        let (a, b): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap_or(IpAddr::from([0; 4])), IpAddr::from([10, 0, 0, 2]));
        let t0 = Instant::now();
        assert!((0..3).all(|_| w.admit(a, 3, t0)));
        assert!(!w.admit(a, 3, t0), "the fourth in the minute");
        assert!(w.admit(b, 3, t0), "another source");
        assert!(w.admit(a, 3, t0 + WINDOW), "a new minute");
    }
}
