//! What the agent's tests share: a real server in this process on a loopback port, stopped and
//! started again at will, and a workstation's scoped API token.

#![allow(dead_code)]

use std::net::SocketAddr;
use yaolian_identity::{fixtures, IdentityConfig};
use yaolian_web::{AppState, WebConfig};

pub struct Server {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves `store` on `port` (0: any free port).
pub async fn start(store: yaolian_store::Store, port: u16) -> Server {
    let state = AppState::new(store, IdentityConfig::default(), WebConfig::default());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(yaolian_web::serve(listener, state, async move {
        let _ = rx.await;
    }));
    Server { addr, stop, handle }
}

pub async fn halt(s: Server) {
    let _ = s.stop.send(());
    let _ = s.handle.await;
}

/// Logs `username` in and creates the workstation's token: `lab.use` only.
pub async fn token(base: &str, username: &str) -> String {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": fixtures::PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let csrf = login["csrf_token"].as_str().unwrap().to_string();
    let created: serde_json::Value = http
        .post(format!("{base}/api/v1/tokens"))
        .header("X-CSRF-Token", csrf)
        .json(&serde_json::json!({"name": "HPLC-01 工作站", "scopes": ["lab.use"], "valid_days": 30}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["secret"].as_str().unwrap_or_else(|| panic!("{created}")).to_string()
}
