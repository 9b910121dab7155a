//! The agent against a real server: files captured into the outbox, the server stopped in the
//! middle of the delivery and started again, the agent's process "killed" (its outbox closed
//! and reopened from the file) and an answer lost (a delivered row sent again); in the end the
//! server holds every result exactly once with its raw file's SM3, and the outbox is empty.

#![allow(clippy::unwrap_used)]

mod common;

use yaolian_agent::outbox::Outbox;
use yaolian_agent::{deliver_due, scan, Round, Target};
use yaolian_identity::fixtures;
use yaolian_store::testing::TestDb;

const FILES: usize = 60;

#[tokio::test]
async fn every_result_reaches_the_server_exactly_once_across_an_outage() {
    let db = TestDb::sqlite().await;
    let store = db.store.clone();
    let w = fixtures::world(&store).await.unwrap();
    let sys = yaolian_access::run_as_system::principal();
    fixtures::user(&store, &sys, w.company_a, "hplc.ws", false, &["lab_analyst"]).await.unwrap();
    let server = common::start(store.clone(), 0).await;
    let base = format!("http://{}", server.addr);
    // The workstation's token: lab.use only.
    let token = common::token(&base, "hplc.ws").await;

    // Sixty peak tables exported by the instrument, one unknown file.
    let dir = std::env::temp_dir().join(format!("yaolian-agent-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("export")).unwrap();
    for i in 0..FILES {
        let text = format!("Peak Name,RT [min],Area\nMetformin,4.8{i:02},{}\n", 1_500_000 + i);
        std::fs::write(dir.join("export").join(format!("inj-{i:04}.csv")), text).unwrap();
    }
    std::fs::write(dir.join("export").join("run.dat"), [0u8, 1, 2, 3]).unwrap();
    let outbox_file = dir.join("outbox.db");
    let outbox = Outbox::open(&outbox_file).await.unwrap();
    assert_eq!(scan(&outbox, &dir.join("export"), "HPLC-01").await.unwrap(), FILES + 1);
    assert_eq!(scan(&outbox, &dir.join("export"), "HPLC-01").await.unwrap(), 0, "a file is captured once");

    let agent_http = reqwest::Client::new();
    let mut target = Target {
        server: base.clone(),
        token,
        org_id: w.company_a,
        instrument: "HPLC-01".into(),
        operator: "王芳".into(),
        first_retry_ms: yaolian_agent::FIRST_RETRY_MS,
    };
    // Part of the queue goes through; then the server stops.
    let first = deliver_due(&outbox, &agent_http, &target, 25).await.unwrap();
    assert_eq!(first, Round { delivered: 25, failed: 0, rejected: 0 });
    common::halt(server).await;
    let down = deliver_due(&outbox, &agent_http, &target, 1000).await.unwrap();
    assert_eq!(down, Round { delivered: 0, failed: FILES + 1 - 25, rejected: 0 });
    let status = outbox.status().await.unwrap();
    assert_eq!((status.waiting, status.delivered), ((FILES + 1 - 25) as i64, 25));
    assert!(status.last_error.contains("not reachable"), "{status:?}");
    // Waiting out the backoff: nothing is due yet.
    assert!(outbox.due(1000).await.unwrap().is_empty());

    // The agent is killed and started again: the outbox is the file, nothing is lost.
    drop(outbox);
    let outbox = Outbox::open(&outbox_file).await.unwrap();
    assert_eq!(outbox.status().await.unwrap().waiting, (FILES + 1 - 25) as i64);
    // An answer that was lost: one delivered row is sent again.
    sqlx::query("UPDATE outbox SET delivered_at = NULL WHERE key = (SELECT key FROM outbox WHERE delivered_at IS NOT NULL LIMIT 1)")
        .execute(&sqlx::SqlitePool::connect(&format!("sqlite://{}", outbox_file.display())).await.unwrap())
        .await
        .unwrap();

    // The server is back (on another port), the operator retries now.
    let server = common::start(store.clone(), 0).await;
    target.server = format!("http://{}", server.addr);
    outbox.retry_now().await.unwrap();
    let back = deliver_due(&outbox, &agent_http, &target, 1000).await.unwrap();
    assert_eq!(back, Round { delivered: FILES + 1 - 25 + 1, failed: 0, rejected: 0 });
    let status = outbox.status().await.unwrap();
    assert_eq!((status.waiting, status.delivered, status.rejected), (0, (FILES + 1) as i64, 0));

    // The server holds each result once, with its raw file's SM3.
    let (rows, keys, hashes): (i64, i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT idempotency_key), COUNT(DISTINCT raw_sm3) FROM lab_results")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!((rows, keys, hashes), ((FILES + 1) as i64, (FILES + 1) as i64, (FILES + 1) as i64));
    let repeats: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'lab_result' AND target LIKE '%delivered again'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(repeats, 1, "the lost answer's repeat is in the audit trail");
    assert!(yaolian_store::ledger::verify(&store).await.unwrap().is_ok());
    common::halt(server).await;
    let _ = std::fs::remove_dir_all(&dir);
    db.finish().await;
}
