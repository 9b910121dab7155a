//! The fault test of issue 19, with the agent as its own process: 1,000 result files dropped in
//! the watched folder while `yaolian-agent run` delivers them; the server stopped in the middle
//! and started again later on the same address; the agent's process killed (SIGKILL, no chance
//! to tidy up) during the outage and started again. In the end the server holds every result
//! exactly once, each with the SM3 of its raw file, and the agent's outbox has nothing waiting.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use yaolian_identity::fixtures;
use yaolian_store::testing::TestDb;

const FILES: usize = 1000;

fn agent(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yaolian-agent"));
    c.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn start_agent(outbox: &str, watch: &str, base: &str, token: &str, org: i64) -> Child {
    let org = org.to_string();
    let args = [
        "--outbox",
        outbox,
        "run",
        "--watch",
        watch,
        "--server",
        base,
        "--token",
        token,
        "--org",
        &org,
        "--instrument",
        "HPLC-01",
        "--operator",
        "王芳",
        "--scan-ms",
        "50",
        "--first-retry-ms",
        "200",
    ];
    agent(&args).spawn().unwrap()
}

async fn results(store: &yaolian_store::Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM lab_results").fetch_one(store.pool()).await.unwrap()
}

/// Waits until `done` holds, failing the test after `limit`.
async fn until<F, Fut>(limit: Duration, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_results_survive_a_server_outage_and_a_killed_agent() {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let w = fixtures::world(&store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    fixtures::user(&store, &sys, w.company_a, "hplc.ws", false, &["lab_analyst"]).await.unwrap();
    let server = common::start(store.clone(), 0).await;
    let port = server.addr.port();
    let base = format!("http://{}", server.addr);
    let token = common::token(&base, "hplc.ws").await;

    let dir = std::env::temp_dir().join(format!("yaolian-agent-fault-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let watch = dir.join("export");
    std::fs::create_dir_all(&watch).unwrap();
    let mut hashes = std::collections::BTreeSet::new();
    for i in 0..FILES {
        let text = format!(
            "Peak Name,RT [min],Area\nMetformin,4.{i:03},{}\nImpurity B,6.1{i:03},{}\n",
            1_500_000 + i,
            1800 + i
        );
        hashes.insert(yaolian_ledger::HashAlg::Sm3.digest(&[text.as_bytes()]).to_hex());
        std::fs::write(watch.join(format!("inj-{i:04}.csv")), text).unwrap();
    }
    let outbox = dir.join("outbox.db").display().to_string();
    let watch = watch.display().to_string();

    // Delivering; the server stops part-way.
    let mut running = start_agent(&outbox, &watch, &base, &token, w.company_a);
    let s = &store;
    until(Duration::from_secs(300), "the first 300 results", || async move { results(s).await >= 300 }).await;
    common::halt(server).await;
    let at_outage = results(&store).await;
    assert!(at_outage < FILES as i64, "the outage came in the middle ({at_outage})");
    // The agent keeps trying, and is killed; started again while the server is still away.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    running.kill().unwrap();
    running.wait().unwrap();
    let mut running = start_agent(&outbox, &watch, &base, &token, w.company_a);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The server is back on the same address.
    let server = common::start(store.clone(), port).await;
    until(Duration::from_secs(600), "every result", || async move { results(s).await >= FILES as i64 }).await;
    let status = || {
        let out = agent(&["--outbox", &outbox, "status"]).stdout(Stdio::piped()).output().unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    until(Duration::from_secs(120), "an empty outbox", || {
        let waiting = status()["waiting"].as_i64();
        async move { waiting == Some(0) }
    })
    .await;
    running.kill().unwrap();
    running.wait().unwrap();

    let status = status();
    assert_eq!((status["delivered"].as_i64(), status["rejected"].as_i64()), (Some(FILES as i64), Some(0)), "{status}");
    let (rows, keys): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM lab_results")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!((rows, keys), (FILES as i64, FILES as i64), "every result exactly once");
    let stored: std::collections::BTreeSet<String> = sqlx::query_scalar("SELECT raw_sm3 FROM lab_results")
        .fetch_all(store.pool())
        .await
        .unwrap()
        .into_iter()
        .collect();
    assert_eq!(stored, hashes, "each with its raw file's SM3");
    assert!(yaolian_store::ledger::verify(&store).await.unwrap().is_ok());
    common::halt(server).await;
    let _ = std::fs::remove_dir_all(&dir);
    db.finish().await;
}
