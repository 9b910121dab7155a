//! Results delivered by the capture agent on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL:
//! each key stored exactly once, a retry answered with the stored result, a reused key with other
//! content refused; the raw file's SM3 kept and its content read by its kind.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures};
use yaolian_lab::results::{self, Delivery};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn b64(text: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn delivery(org: i64, key: &str, kind: &str, name: &str, content: &str) -> Delivery {
    Delivery {
        org_id: org,
        idempotency_key: key.into(),
        instrument: "HPLC-01".into(),
        kind: kind.into(),
        acquired_at: "2026-12-01T09:30:00+08:00".into(),
        acquired_by: "wangfang".into(),
        source_path: format!("D:\\Export\\{name}"),
        raw: Upload {
            label: "原始文件".into(),
            name: name.into(),
            content_type: String::new(),
            content_base64: b64(content),
        },
    }
}

const PEAKS: &str = "Peak Name,RT [min],Area,Height\nMetformin,4.812,1523400,80211\nImpurity B,6.104,1822,95\n";

#[tokio::test]
async fn each_key_is_stored_once_and_a_reused_key_is_refused() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let agent = principal(&store, w.company_a, "agent.hplc01", &["lab_analyst"]).await;
        let outsider = principal(&store, w.company_b, "agent.other", &["lab_analyst"]).await;

        let d = delivery(w.company_a, "hplc01-20261201-0001", "peaks", "inj-001.csv", PEAKS);
        let (first, created) = results::deliver(&store, &agent, &d, &c).await.unwrap();
        assert!(created);
        assert_eq!(first.parsed["peaks"][0]["name"], "Metformin");
        assert_eq!(first.parsed["peaks"][1]["area"], 1822.0);
        assert_eq!(first.raw_sm3.len(), 64);
        // The retry after a lost answer: the same result, nothing new stored.
        let (again, created) = results::deliver(&store, &agent, &d, &c).await.unwrap();
        assert!(!created);
        assert_eq!(again.id, first.id);
        // The same key with another file is refused.
        let other = delivery(
            w.company_a,
            "hplc01-20261201-0001",
            "peaks",
            "inj-002.csv",
            PEAKS.replace("1822", "1900").as_str(),
        );
        assert_eq!(results::deliver(&store, &agent, &other, &c).await.unwrap_err().code(), "key_reused");
        // An unknown format is kept unread, with its checksum; a peak table that is not one is
        // refused naming why.
        let (raw, _) = results::deliver(
            &store,
            &agent,
            &delivery(w.company_a, "hplc01-raw-0001", "raw", "run.dat", "\u{1}\u{2}"),
            &c,
        )
        .await
        .unwrap();
        assert_eq!((raw.kind.as_str(), raw.parsed.clone()), ("raw", serde_json::Value::Null));
        let bad = delivery(w.company_a, "hplc01-bad-0001", "peaks", "x.csv", "no header here\n");
        let err = results::deliver(&store, &agent, &bad, &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed", "{err:?}");
        let short = delivery(w.company_a, "k", "lims", "x.csv", PEAKS);
        assert_eq!(results::deliver(&store, &agent, &short, &c).await.unwrap_err().code(), "validation_failed");
        // Another company's agent cannot deliver into this laboratory.
        let foreign = delivery(w.company_a, "other-0001", "peaks", "x.csv", PEAKS);
        assert_eq!(results::deliver(&store, &outsider, &foreign, &c).await.unwrap_err().code(), "forbidden");

        let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lab_results").fetch_one(store.pool()).await.unwrap();
        assert_eq!(stored, 2);
        let repeats: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'lab_result' AND target LIKE '%delivered again'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(repeats, 1, "the recovery is in the audit trail");
        assert_eq!(results::list(&store, &agent, Some("HPLC-01"), 50, &c).await.unwrap().len(), 2);
        assert!(results::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
