//! Shared helpers for the web tests: a seeded server on a loopback port, per backend.

#![allow(dead_code)]

use std::net::SocketAddr;
use tokio::net::TcpListener;
use yaolian_identity::model::OrgKind;
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_identity::users::{self, NewUser};
use yaolian_identity::{roles, ClientInfo, IdentityConfig, Principal};
use yaolian_store::Store;
use yaolian_web::{AppState, WebConfig};

pub const PW: &str = "Yaolian@2026";

/// A small world: the national regulator with the three administrators, a province, two
/// companies each with a master and a sub-account.
pub struct World {
    pub co_a: i64,
    pub co_b: i64,
    pub b_user: i64,
}

pub async fn seed(store: &Store) -> World {
    roles::ensure_builtin(store).await.unwrap();
    let sys = Principal::system();
    let c = ClientInfo::default();
    let org = |kind, name: &str, code: &str, parent| NewOrg {
        kind,
        name: name.into(),
        code: code.into(),
        parent_id: parent,
        region: String::new(),
    };
    let nat = orgs::create(
        store,
        &sys,
        &org(
            OrgKind::National,
            "国家药品监督管理局",
            "11100000MB0341032Y",
            None,
        ),
        &c,
    )
    .await
    .unwrap();
    let prov = orgs::create(
        store,
        &sys,
        &org(
            OrgKind::Provincial,
            "浙江省药品监督管理局",
            "113300000024870444",
            Some(nat.id),
        ),
        &c,
    )
    .await
    .unwrap();
    let co_a = orgs::create(
        store,
        &sys,
        &org(
            OrgKind::Company,
            "甲制药有限公司",
            "91350100M000100Y43",
            Some(prov.id),
        ),
        &c,
    )
    .await
    .unwrap();
    let co_b = orgs::create(
        store,
        &sys,
        &org(
            OrgKind::Company,
            "乙医药有限公司",
            "91110000600037341L",
            Some(prov.id),
        ),
        &c,
    )
    .await
    .unwrap();
    let mk = |org_id: i64, username: &str, master: bool, roles: &[&str]| NewUser {
        org_id,
        username: username.into(),
        display_name: format!("测试{username}"),
        password: PW.into(),
        email: String::new(),
        phone: String::new(),
        is_master: master,
        roles: roles.iter().map(|s| s.to_string()).collect(),
    };
    let cfg = IdentityConfig::default();
    for (o, u, m, r) in [
        (nat.id, "admin", true, &["sys_admin"][..]),
        (nat.id, "secadmin", false, &["sec_admin"][..]),
        (nat.id, "auditor", false, &["audit_admin"][..]),
        (
            co_a.id,
            "a.master",
            true,
            &["company_master", "quality_head"][..],
        ),
        (co_a.id, "a.sub", false, &["quality_head"][..]),
        (co_b.id, "b.master", true, &["company_master"][..]),
    ] {
        users::create(store, &cfg, &sys, &mk(o, u, m, r), &c)
            .await
            .unwrap();
    }
    let b_user = users::create(
        store,
        &cfg,
        &sys,
        &mk(co_b.id, "b.sub", false, &["pharmacist"]),
        &c,
    )
    .await
    .unwrap()
    .id;
    World {
        co_a: co_a.id,
        co_b: co_b.id,
        b_user,
    }
}

pub struct Server {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    pub async fn start(store: Store, config: WebConfig) -> Server {
        let state = AppState::new(store, IdentityConfig::default(), config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handle = tokio::spawn(yaolian_web::serve(listener, state, async move {
            let _ = rx.await;
        }));
        Server {
            addr,
            stop: Some(tx),
            handle,
        }
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
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": PW}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "login {username}");
    let body: serde_json::Value = r.json().await.unwrap();
    Session {
        client,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
    }
}
