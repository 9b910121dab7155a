//! Trace data in the ledger: every stored batch is one ledger entry over its events' Merkle
//! root; an event's proof goes event → batch root → signed checkpoint; a code's bundle verifies
//! offline and fails after one byte changes; and `anchor::verify` names the event that was
//! edited, deleted or inserted in the database behind the application's back. SQLite (native
//! ingest connection) and PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_ledger::batch::{self, TraceBundle};
use yaolian_ledger::merkle;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Row, Store};
use yaolian_trace::anchor::{self, TraceFailure};
use yaolian_trace::capture::prepare;
use yaolian_trace::ingest::{self, Options};

const UNITS: [&str; 2] = ["urn:nmpa:code:81000010000000011234", "urn:nmpa:code:81000010000000022345"];
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";
const PHARMACY: &str = "urn:epc:id:sgln:6901234.00040.0";

fn event(unit: &str, day: u32, action: &str, step: &str, disposition: &str, site: &str) -> Value {
    let mut e = json!({"type": "ObjectEvent", "eventTime": format!("2026-10-{day:02}T09:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": [unit], "action": action, "bizStep": step,
        "disposition": disposition, "readPoint": {"id": site}, "bizLocation": {"id": site}});
    if action == "ADD" {
        e["ilmd"] = json!({"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-09-30"});
    }
    e
}

async fn store_batch(store: &Store, events: &[Value]) -> Vec<i64> {
    let (good, bad) = prepare(events, 0, None, chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap());
    assert!(bad.is_empty(), "{bad:?}");
    let o = ingest::store(store, good, Options::bulk()).await.unwrap();
    assert!(o.refused.is_empty(), "{:?}", o.refused);
    o.ids
}

/// The trace check's failure, alone and in the ledger's pass (`yaolian ledger verify`): the
/// same event or batch is named both ways, and the ledger itself still verifies.
async fn failure(store: &Store) -> TraceFailure {
    let alone = match anchor::verify(store).await.unwrap() {
        Ok(s) => panic!("tampering went unnoticed: {s:?}"),
        Err(f) => f,
    };
    let both = anchor::verify_with_ledger(store).await.unwrap();
    assert!(both.ledger.is_ok(), "{:?}", both.ledger);
    assert_eq!(both.trace.as_ref().unwrap_err(), &alone);
    alone
}

/// The trace check passes, alone and in the ledger's pass.
async fn verified(store: &Store) -> anchor::TraceSummary {
    let alone = anchor::verify(store).await.unwrap().unwrap();
    let both = anchor::verify_with_ledger(store).await.unwrap();
    assert!(both.ledger.is_ok(), "{:?}", both.ledger);
    assert_eq!(both.trace.unwrap(), alone);
    alone
}

async fn exec(store: &Store, sql: &str) {
    yaolian_store::sqlx_query(sql).execute(store.pool()).await.unwrap();
}

#[tokio::test]
async fn trace_batches_are_anchored_proved_and_checked() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        common::product(&s, w.company_a, 1, "8100001", &[]).await;
        let first = store_batch(
            &s,
            &[
                event(UNITS[0], 1, "ADD", "commissioning", "active", MAKER),
                event(UNITS[1], 1, "ADD", "commissioning", "active", MAKER),
                event(UNITS[0], 2, "OBSERVE", "shipping", "in_transit", MAKER),
            ],
        )
        .await;
        let second = store_batch(
            &s,
            &[
                event(UNITS[0], 3, "OBSERVE", "receiving", "in_progress", PHARMACY),
                event(UNITS[1], 3, "OBSERVE", "shipping", "in_transit", MAKER),
                event(UNITS[0], 5, "OBSERVE", "retail_selling", "retail_sold", PHARMACY),
            ],
        )
        .await;
        assert_eq!((first.len(), second.len()), (3, 3));

        // One ledger entry per batch, and both checks pass.
        let entries = ledger::entries_of(&s, batch::TRACE_BATCH_ENTITY, &first[0].to_string()).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert!(ledger::verify(&s).await.unwrap().is_ok());
        let summary = verified(&s).await;
        assert_eq!((summary.batches, summary.events), (2, 6));

        // An event's two-level proof, checked with nothing but the pure ledger functions.
        let (key_id, key) = ledger::site_key(&s, &[7; 16]).await.unwrap();
        let p = anchor::proof(
            &s,
            &yaolian_access::run_as_system::principal(),
            &second[2].to_string(),
            Some((&key_id, &key)),
            &Default::default(),
        )
        .await
        .unwrap();
        let alg = p.checkpoint.head.hash_alg;
        assert_eq!((p.index_in_batch, p.batch.count), (2, 3));
        assert!(merkle::verify_inclusion(alg, p.index_in_batch, p.batch.count, &p.leaf, &p.batch_proof, &p.batch.root));
        assert_eq!(p.entry.data_hash, alg.digest(&[&yaolian_ledger::canonical_json(&p.batch.to_json())]));
        let leaf = p.entry.leaf_hash(alg);
        let head = &p.checkpoint.head;
        assert!(merkle::verify_inclusion(alg, p.entry.index, head.tree_size, &leaf, &p.ledger_proof, &head.root_hash));
        // The same event by its hash ID.
        let hash_id = format!("ni:///sha-256;{}?ver=CBV2.0", p.event_hash);
        let by_hash =
            anchor::proof(&s, &yaolian_access::run_as_system::principal(), &hash_id, None, &Default::default())
                .await
                .unwrap();
        assert_eq!(by_hash.event_id, second[2]);

        // A code's whole history as an offline bundle: it verifies, and fails after one byte.
        let bundle = anchor::export_bundle(&s, UNITS[0], &key_id, &key).await.unwrap();
        assert_eq!((bundle.events.len(), bundle.batches.len()), (4, 2));
        let ok = batch::verify_trace(&bundle, None, &anchor::check_bundle_event).unwrap();
        assert_eq!(ok.events, 4);
        let text = serde_json::to_string(&bundle).unwrap();
        let step = text.find("retail_selling").unwrap();
        let mut bytes = text.clone().into_bytes();
        bytes[step] = b'R';
        let changed: TraceBundle = serde_json::from_slice(&bytes).unwrap();
        let err = batch::verify_trace(&changed, None, &anchor::check_bundle_event).unwrap_err();
        assert!(err.contains(&format!("event {}", second[2])), "{err}");
        let mut forged = bundle.clone();
        forged.batches[0].data["count"] = json!(4);
        assert!(batch::verify_trace(&forged, None, &anchor::check_bundle_event).unwrap_err().contains("record"));

        // Tampering behind the application's back, each undone after it is found.
        let code0 = "81000010000000011234";
        let target = first[2];
        exec(&s, &format!("UPDATE trace_events SET biz_step = 'receiving' WHERE id = {target}")).await;
        let f = failure(&s).await;
        assert_eq!(f.event_id, Some(target), "{f}");
        assert!(f.code.as_deref().is_some_and(|c| c.contains(code0)), "{f}");
        assert!(f.problem.starts_with("edited"), "{f}");
        exec(&s, &format!("UPDATE trace_events SET biz_step = 'shipping' WHERE id = {target}")).await;
        verified(&s).await;

        // The stored JSON edited (a later event time), columns left alone.
        let body: String = yaolian_store::sqlx_query("SELECT body FROM trace_events WHERE id = $1")
            .bind(target)
            .fetch_one(s.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        let edited = body.replace("2026-10-02T09", "2026-10-02T10");
        assert_ne!(edited, body);
        yaolian_store::sqlx_query("UPDATE trace_events SET body = $1 WHERE id = $2")
            .bind(&edited)
            .bind(target)
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(failure(&s).await.event_id, Some(target));
        yaolian_store::sqlx_query("UPDATE trace_events SET body = $1 WHERE id = $2")
            .bind(&body)
            .bind(target)
            .execute(s.pool())
            .await
            .unwrap();

        // An event–code row removed: the event is named.
        exec(&s, &format!("DELETE FROM trace_event_epcs WHERE event_id = {target}")).await;
        let f = failure(&s).await;
        assert_eq!((f.event_id, f.problem.contains("event–code row")), (Some(target), true), "{f}");
        exec(&s, &format!("INSERT INTO trace_event_epcs (epc, event_id, role) VALUES ('nmpa/{code0}', {target}, 0)"))
            .await;
        verified(&s).await;

        // One event deleted (in the middle of its batch, and the last of a batch).
        for victim in [second[1], second[2]] {
            let columns = "id, hash, event_id, event_type, action, biz_step, disposition, read_point, biz_location, \
                           event_time, record_time, capture_id, body";
            exec(&s, &format!("CREATE TABLE saved AS SELECT {columns} FROM trace_events WHERE id = {victim}")).await;
            exec(&s, &format!("DELETE FROM trace_events WHERE id = {victim}")).await;
            let f = failure(&s).await;
            assert_eq!(f.event_id, Some(victim), "{f}");
            assert!(f.problem.starts_with("deleted"), "{f}");
            exec(&s, &format!("INSERT INTO trace_events ({columns}) SELECT {columns} FROM saved")).await;
            exec(&s, "DROP TABLE saved").await;
            verified(&s).await;
        }

        // A forged event inserted after the last batch: named with its code.
        let forged_body = event(UNITS[1], 6, "OBSERVE", "retail_selling", "retail_sold", PHARMACY).to_string();
        let forged_id = second[2] + 10;
        yaolian_store::sqlx_query(
            "INSERT INTO trace_events (id, hash, event_type, action, biz_step, event_time, record_time, body) \
             VALUES ($1, $2, 'ObjectEvent', 'OBSERVE', 'retail_selling', 0, 0, $3)",
        )
        .bind(forged_id)
        .bind(vec![9u8; 32])
        .bind(&forged_body)
        .execute(s.pool())
        .await
        .unwrap();
        let f = failure(&s).await;
        assert_eq!(f.event_id, Some(forged_id), "{f}");
        assert!(f.problem.starts_with("inserted"), "{f}");
        assert!(f.code.as_deref().is_some_and(|c| c.contains("81000010000000022345")), "{f}");
        exec(&s, &format!("DELETE FROM trace_events WHERE id = {forged_id}")).await;
        verified(&s).await;

        // The batch table is a projection of the ledger: changing it is found too.
        exec(&s, &format!("UPDATE trace_batches SET count = 2 WHERE id = {}", first[0])).await;
        assert_eq!(failure(&s).await.batch, Some(first[0]));
        exec(&s, &format!("UPDATE trace_batches SET count = 3 WHERE id = {}", first[0])).await;

        // The batch's ledgered record itself changed: the ledger's pass names its entry.
        exec(
            &s,
            &format!(
                "UPDATE record_versions SET data = replace(data, '\"count\":3', '\"count\":2') \
                 WHERE entity = 'trace_batch' AND entity_id = '{}'",
                first[0]
            ),
        )
        .await;
        let both = anchor::verify_with_ledger(&s).await.unwrap();
        let f = both.ledger.unwrap_err();
        assert_eq!((f.entity.as_str(), f.id.clone()), ("trace_batch", first[0].to_string()), "{f}");
        assert!(f.problem.contains("content"), "{f}");
    })
    .await;
}

/// The proof of an event the reader may not see is refused as not found; an unknown event too.
#[tokio::test]
async fn proofs_are_for_readers_of_the_event() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        common::product(&s, w.company_a, 1, "8100001", &[]).await;
        let ids = store_batch(&s, &[event(UNITS[0], 1, "ADD", "commissioning", "active", MAKER)]).await;
        let id = fixtures::user(
            &s,
            &yaolian_access::run_as_system::principal(),
            w.company_b,
            "b.master",
            true,
            &["company_master"],
        )
        .await
        .unwrap();
        let company = yaolian_identity::auth::principal_for_user(&s, id).await.unwrap();
        let err = anchor::proof(&s, &company, &ids[0].to_string(), None, &ClientInfo::default()).await.unwrap_err();
        assert_eq!(err.code(), "not_found");
        let err =
            anchor::proof(&s, &yaolian_access::run_as_system::principal(), "999999", None, &ClientInfo::default())
                .await
                .unwrap_err();
        assert_eq!(err.code(), "not_found");
        // No checkpoint yet and no signer: the caller is told to come back.
        let err = anchor::proof(
            &s,
            &yaolian_access::run_as_system::principal(),
            &ids[0].to_string(),
            None,
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "not_yet_checkpointed");
    })
    .await;
}

/// Recalls (opening, closure), anomaly closures and pack-code registrations are versioned
/// records with their ledger entries and reasons; the ledger verifies after them.
#[tokio::test]
async fn recalls_closures_and_pack_codes_are_versioned_records() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        let product = common::product(&s, w.company_a, 1, "8100001", &[]).await;
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        store_batch(
            &s,
            &[
                event(UNITS[0], 1, "ADD", "commissioning", "active", MAKER),
                event(UNITS[0], 1, "ADD", "commissioning", "active", PHARMACY),
            ],
        )
        .await;
        let new = yaolian_trace::recall::NewRecall {
            product_id: product.id,
            batches: vec!["L1".into()],
            level: 2,
            reason: "抽检不合格".into(),
        };
        let opened = yaolian_trace::recall::open(&s, &sys, &new, &c).await.unwrap();
        yaolian_trace::recall::close(&s, &sys, opened.id, &c).await.unwrap();
        let history = yaolian_store::versions::history(s.pool(), yaolian_trace::recall::ENTITY, &opened.id.to_string())
            .await
            .unwrap();
        let steps: Vec<(&str, &str)> =
            history.iter().map(|v| (v.action.as_str(), v.data["status"].as_str().unwrap())).collect();
        assert_eq!(steps, [("open", "open"), ("close", "closed")]);
        assert_eq!(history[0].reason, "抽检不合格");
        assert_eq!(history[0].data["total"], json!(1));

        let (list, _) = yaolian_trace::anomalies::list(&s, &sys, &Default::default(), &c).await.unwrap();
        let anomaly = list.iter().find(|a| a.kind == "duplicate_commissioning").unwrap();
        yaolian_trace::anomalies::close(&s, &sys, anomaly.id, "现场核查：扫码设备重复上传", &c).await.unwrap();
        let history =
            yaolian_store::versions::history(s.pool(), yaolian_trace::anomalies::ENTITY, &anomaly.id.to_string())
                .await
                .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].reason.as_str(), history[0].data["status"].as_str()),
            ("现场核查：扫码设备重复上传", Some("closed"))
        );

        let code = yaolian_trace::packs::NewPackCode {
            prefix: "8100009".into(),
            product_id: product.id,
            level: "case".into(),
            per_parent: 20,
        };
        yaolian_trace::packs::register(&s, &sys, &code, &c).await.unwrap();
        let restated = yaolian_trace::packs::NewPackCode { per_parent: 10, ..code.clone() };
        yaolian_trace::packs::register(&s, &sys, &restated, &c).await.unwrap();
        let history =
            yaolian_store::versions::history(s.pool(), yaolian_trace::packs::ENTITY, "8100009").await.unwrap();
        let per: Vec<i64> = history.iter().map(|v| v.data["per_parent"].as_i64().unwrap()).collect();
        assert_eq!(per, [20, 10]);
        assert!(ledger::verify(&s).await.unwrap().is_ok());
        verified(&s).await;
    })
    .await;
}
