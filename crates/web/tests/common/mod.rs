//! Shared helpers for the web tests: a seeded server on a loopback port, per backend.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use tokio::net::TcpListener;
use yaolian_identity::{fixtures, IdentityConfig};
use yaolian_store::Store;
use yaolian_web::{AppState, WebConfig};

pub use yaolian_identity::fixtures::PASSWORD as PW;

/// The fixture world with the three administrators at the national regulator and two
/// companies, each with a master and a sub-account.
pub struct World {
    pub province: i64,
    pub co_a: i64,
    pub co_b: i64,
    pub b_user: i64,
}

pub async fn seed(store: &Store) -> World {
    let w = fixtures::world(store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    for (o, u, m, r) in [
        (w.national, "admin", true, &["sys_admin"][..]),
        (w.national, "secadmin", false, &["sec_admin"][..]),
        (w.national, "auditor", false, &["audit_admin"][..]),
        (w.company_a, "a.master", true, &["company_master", "quality_head"][..]),
        (w.company_a, "a.sub", false, &["quality_head"][..]),
        (w.company_b, "b.master", true, &["company_master"][..]),
    ] {
        fixtures::user(store, &sys, o, u, m, r).await.unwrap();
    }
    let b_user = fixtures::user(store, &sys, w.company_b, "b.sub", false, &["pharmacist"]).await.unwrap();
    World { province: w.province, co_a: w.company_a, co_b: w.company_b, b_user }
}

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(store: Store, config: WebConfig) -> Server {
        Server::start_state(AppState::new(store, IdentityConfig::default(), config)).await
    }

    /// A server of a state made by the test (a signing key loaded, …).
    #[allow(dead_code)]
    pub async fn start_state(state: AppState) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(yaolian_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Server { addr, stop: Some(tx), handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = self.handle.await;
    }
}

/// A client logged in through the API, carrying its cookie and CSRF token.
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
}

pub async fn login(server: &Server, username: &str) -> Session {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let r = client
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {username}");
    let body: serde_json::Value = r.json().await.unwrap();
    Session { client, csrf: body["csrf_token"].as_str().unwrap().to_string() }
}

impl Session {
    /// A JSON request with the session's CSRF header.
    pub async fn send_json(
        &self,
        method: reqwest::Method,
        url: String,
        body: &serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        let r = self.client.request(method, url).header("X-CSRF-Token", &self.csrf).json(body).send().await.unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }
}
pub mod demo;
