//! Serial-port capture with the agent as its own process: a pseudo-terminal pair stands in for
//! the cable; its far end prints what a balance and a pH meter print. The stable weighing
//! reaches the server as a balance result read by the server's MT-SICS parser, the dynamic
//! weighing is not kept, the pH meter's line is kept raw with its hash.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use yaolian_identity::fixtures;
use yaolian_store::testing::TestDb;

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_balance_on_a_serial_port_delivers_its_stable_weighings() {
    use serialport::SerialPort;
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let w = fixtures::world(&store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    fixtures::user(&store, &sys, w.company_a, "bal.ws", false, &["lab_analyst"]).await.unwrap();
    let server = common::start(store.clone(), 0).await;
    let base = format!("http://{}", server.addr);
    let token = common::token(&base, "bal.ws").await;

    let (mut balance, port) = serialport::TTYPort::pair().unwrap();
    let path = port.name().unwrap();
    let dir = std::env::temp_dir().join(format!("yaolian-agent-serial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let outbox = dir.join("outbox.db").display().to_string();
    let org = w.company_a.to_string();
    let mut agent = Command::new(env!("CARGO_BIN_EXE_yaolian-agent"))
        .args(["--outbox", &outbox, "run", "--serial", &path, "--server", &base, "--token", &token])
        .args(["--org", &org, "--instrument", "BAL-01", "--operator", "王芳", "--scan-ms", "50"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let the agent open the port before the balance prints.
    tokio::time::sleep(Duration::from_millis(800)).await;
    balance.write_all(b"S D      99.98 g\r\nS S     100.00 g\r\npH 7.01 25.0C\r\n").unwrap();
    balance.flush().unwrap();

    let start = Instant::now();
    let rows = loop {
        let rows: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT kind, raw_name, raw_sm3, parsed FROM lab_results ORDER BY kind")
                .fetch_all(store.pool())
                .await
                .unwrap();
        if rows.len() >= 2 || start.elapsed() > Duration::from_secs(60) {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    agent.kill().unwrap();
    agent.wait().unwrap();
    assert_eq!(rows.len(), 2, "the dynamic weighing is not kept: {rows:?}");
    let (kind, name, sm3, parsed) = &rows[0];
    assert_eq!(kind, "balance");
    assert!(name.ends_with(".sics") && name.starts_with(path.rsplit('/').next().unwrap()), "{name}");
    assert_eq!(sm3, &yaolian_ledger::HashAlg::Sm3.digest(&[b"S S     100.00 g\r\n"]).to_hex());
    let parsed: serde_json::Value = serde_json::from_str(parsed).unwrap();
    assert_eq!(
        (parsed["value"].as_str(), parsed["unit"].as_str(), parsed["stable"].as_bool()),
        (Some("100.00"), Some("g"), Some(true))
    );
    let (kind, name, sm3, _) = &rows[1];
    assert_eq!((kind.as_str(), name.ends_with(".txt")), ("raw", true));
    assert_eq!(sm3, &yaolian_ledger::HashAlg::Sm3.digest(&[b"pH 7.01 25.0C\r\n"]).to_hex());
    drop(port);
    common::halt(server).await;
    let _ = std::fs::remove_dir_all(&dir);
}
