//! A generated supply chain of 10,000 packs stored on SQLite and PostgreSQL: history (with what
//! a pack inherited through its case and pallet), where-to, where-from, recall closure and
//! verification answer correctly; every planted anomaly is found, and none on the clean part.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::generate::{generate, Chain, Plan, UNITS_PER_CASE};
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::{anomalies, query, recall, sites, verify};

fn day(y: i32, m: u32, d: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Stores events in batches of 4,000, as an import would.
async fn store_all(store: &Store, events: &[Value]) -> usize {
    let mut anomalies = 0;
    for (n, chunk) in events.chunks(4_000).enumerate() {
        let (good, bad) = prepare(chunk, n * 4_000, None, day(2026, 11, 28));
        assert!(bad.is_empty(), "generated events are valid: {bad:?}");
        let options = Options::bulk();
        let o = ingest::store(store, good, options).await.unwrap();
        assert!(o.refused.is_empty(), "{:?}", o.refused);
        anomalies += o.anomalies;
    }
    anomalies
}

#[tokio::test]
async fn a_generated_chain_answers_correctly_and_every_planted_anomaly_is_found() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let a = common::product(&store, w.company_a, 1, "8100001", &[]).await.id;
        let b = common::product(&store, w.company_a, 2, "8100002", &[]).await.id;
        let plan = Plan {
            packs: 10_000,
            batch_size: 2_000,
            products: vec![("8100001".into(), a), ("8100002".into(), b)],
            start: day(2026, 9, 1),
            anomalies: true,
            first_serial: 0,
        };
        let chain: Chain = generate(&plan);
        sites::upsert(&store, &chain.sites).await.unwrap();
        assert_eq!(chain.batches.iter().map(|b| b.2).sum::<usize>(), 10_000);
        store_all(&store, &chain.events).await;

        // Storing the same events again stores nothing and finds nothing new (a resumed import).
        let again = prepare(&chain.events[..500], 0, None, day(2026, 11, 28)).0;
        let o = ingest::store(&store, again, Options::bulk()).await.unwrap();
        assert_eq!((o.stored, o.duplicates), (0, 500));

        // Recall a batch, then the sale of a recalled pack.
        let (rp, rb) = chain.recall_batch.clone().unwrap();
        let opened = recall::open(
            &store,
            &yaolian_access::run_as_system::principal(),
            &recall::NewRecall {
                product_id: rp, batches: vec![rb.clone()], level: 2, reason: "含量不合格".into()
            },
            &ClientInfo::default(),
        )
        .await
        .unwrap();
        assert_eq!(opened.total, UNITS_PER_CASE as i64, "the recalled lot's 20 units sit at one pharmacy");
        assert_eq!(opened.holders.len(), 1);
        assert_eq!(opened.closure_percent, 0.0);
        store_all(&store, &chain.after_recall).await;

        // Every planted anomaly is found, and no other.
        let (found, total) = all_anomalies(&store).await;
        assert_eq!(total as usize, found.len());
        let got: BTreeSet<(String, String)> =
            found.iter().map(|a| (a.kind.clone(), a.epc.clone().or(a.site.clone()).unwrap_or_default())).collect();
        let planted: BTreeSet<(String, String)> =
            chain.planted.iter().map(|p| (p.kind.to_string(), p.key.clone())).collect();
        let missing: Vec<_> = planted.difference(&got).collect();
        assert!(missing.is_empty(), "planted but not found: {missing:?}");
        let planted_keys: BTreeSet<&String> = chain.planted.iter().map(|p| &p.key).collect();
        let stray: Vec<_> = got.iter().filter(|(_, k)| !planted_keys.contains(k)).collect();
        assert!(stray.is_empty(), "anomalies on the clean part: {stray:?}");
        let kinds: BTreeSet<&str> = chain.planted.iter().map(|p| p.kind).collect();
        assert_eq!(kinds.len(), 11, "one plant per rule");

        // Where-to for a batch: every unit is at exactly one holder; 14 of 20 sold per case.
        let (pid, batch, units) = chain.batches[1].clone();
        let sys = yaolian_access::run_as_system::principal();
        let all = yaolian_trace::access::reach(&store, &sys, "test", &ClientInfo::default()).await.unwrap();
        let holdings = query::where_to(&store, &all, pid, &batch).await.unwrap();
        let per_state: HashMap<String, i64> = holdings.iter().fold(HashMap::new(), |mut m, h| {
            *m.entry(h.state.clone()).or_default() += h.units;
            m
        });
        assert_eq!(per_state.values().sum::<i64>(), units as i64);
        let gone = per_state.get("sold").copied().unwrap_or(0) + per_state.get("dispensed").copied().unwrap_or(0);
        assert_eq!(gone, (units / UNITS_PER_CASE * 14) as i64, "{per_state:?}");
        assert_eq!(per_state.get("received").copied(), Some((units / UNITS_PER_CASE * 6) as i64), "{per_state:?}");

        // History of a pack sold at a pharmacy: commissioned, packed, and through its case and
        // pallet shipped and received twice, then sold.
        let first_sale = chain
            .events
            .iter()
            .filter(|e| e["bizStep"] == "retail_selling")
            .filter_map(|e| e["epcList"][0].as_str())
            // Clean units have serials below 800,000,000 (digits 8–16 of the 20).
            .find(|u| u.trim_start_matches("urn:nmpa:code:")[7..16] < *"800000000")
            .unwrap()
            .to_string();
        let key = yaolian_trace::codes::epc::key(&first_sale, day(2026, 11, 28)).unwrap();
        let history = query::history(&store, &key).await.unwrap();
        let steps: Vec<(bool, String)> =
            history.iter().map(|h| (h.via.is_some(), h.biz_step.clone().unwrap_or_default())).collect();
        let own: Vec<&str> = steps.iter().filter(|(via, _)| !via).map(|(_, s)| s.as_str()).collect();
        assert_eq!(own, ["commissioning", "packing", "unpacking", "retail_selling"], "{steps:?}");
        let inherited: Vec<&str> = steps.iter().filter(|(via, _)| *via).map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            inherited,
            ["packing", "shipping", "receiving", "unpacking", "shipping", "receiving"],
            "pallet packing, shipping, receipt and unpacking, then the case's shipping and receipt: {steps:?}"
        );

        // Where-from for a pharmacy: its stock came from distributors.
        let pharmacy = chain.sites.iter().find(|s| s.kind == "pharmacy").unwrap();
        let sources = query::where_from_for(
            &store,
            &yaolian_access::run_as_system::principal(),
            &pharmacy.id,
            &ClientInfo::default(),
        )
        .await
        .unwrap();
        assert!(!sources.is_empty());
        let distributors: BTreeSet<String> = chain
            .sites
            .iter()
            .filter(|s| s.kind == "distributor")
            .map(|s| yaolian_trace::codes::epc::key(&s.id, day(2026, 11, 28)).unwrap())
            .collect();
        for s in &sources {
            assert!(distributors.contains(s.source.as_deref().unwrap_or("")), "{s:?}");
            assert_eq!(s.units % 6, 0, "6 of each case's 20 stay in stock: {s:?}");
        }

        // Verification: a pack in stock is dispensable; a sold one is not; the recalled one says so.
        let today = day(2026, 11, 28);
        let in_stock = holdings_code(&store, "received").await;
        let v = verify::verify(&store, &in_stock, today).await.unwrap();
        assert!(v.valid && v.dispensable, "{v:?}");
        let v = verify::verify(&store, &first_sale.replace("urn:nmpa:code:", ""), today).await.unwrap();
        assert!(v.valid && !v.dispensable);
        assert_eq!(v.reasons[0].code, "NMVS_NC_PCK_22");
        let recalled_key = &chain.planted.iter().find(|p| p.kind == "sale_recalled").unwrap().key;
        let v = verify::verify(&store, recalled_key.trim_start_matches("nmpa/"), today).await.unwrap();
        assert!(v.recalled && v.alerts.contains(&"sale_recalled".to_string()), "{v:?}");
        let v = verify::verify(&store, "81000029999999990000", today).await.unwrap();
        assert_eq!((v.valid, v.reasons[0].code), (false, "NMVS_NC_PC_02"));
        let v = verify::verify(&store, "81999999999999990000", today).await.unwrap();
        assert_eq!(v.reasons[0].code, "NMVS_NC_PC_01");

        // Recall closure: the pharmacy sends 10 of the 19 left back to the manufacturer and
        // destroys 9; the one sold under recall cannot come back: 19 of 20 = 95 %.
        let left: Vec<String> = {
            use sqlx::Row;
            sqlx::query("SELECT epc FROM trace_codes WHERE recall_id = $1 AND state = 'received' ORDER BY epc")
                .bind(opened.id)
                .fetch_all(store.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| yaolian_trace::codes::epc::uri(&r.try_get::<String, _>(0).unwrap()))
                .collect()
        };
        assert_eq!(left.len(), 19);
        let pharmacy = "urn:epc:id:sgln:6901234.00042.0";
        let plant = "urn:epc:id:sgln:6901234.00001.0";
        let ev = |t: &str, epcs: &[String], step: &str, disp: &str, site: &str| {
            serde_json::json!({"type": "ObjectEvent", "eventTime": t, "eventTimeZoneOffset": "+08:00", "epcList": epcs,
                "action": "OBSERVE", "bizStep": step, "disposition": disp, "readPoint": {"id": site}})
        };
        let returns = vec![
            ev("2026-11-20T09:00:00+08:00", &left[..10], "shipping", "returned", pharmacy),
            ev("2026-11-21T09:00:00+08:00", &left[..10], "receiving", "returned", plant),
            ev("2026-11-21T10:00:00+08:00", &left[10..], "destroying", "destroyed", pharmacy),
        ];
        store_all(&store, &returns).await;
        let r = recall::read(&store, &yaolian_access::run_as_system::principal(), opened.id, &ClientInfo::default())
            .await
            .unwrap();
        assert_eq!((r.total, r.closed_units), (20, 19));
        assert_eq!(r.closure_percent, 95.0);
        assert_eq!(r.holders[0].remaining, 0);
        let (_, open_now) = all_anomalies(&store).await;
        assert_eq!(open_now, total, "returning and destroying under recall breaks no rule");
        let closed =
            recall::close(&store, &yaolian_access::run_as_system::principal(), opened.id, &ClientInfo::default())
                .await
                .unwrap();
        assert_eq!(closed.status, "closed");
    })
    .await;
}

async fn all_anomalies(store: &Store) -> (Vec<anomalies::Anomaly>, i64) {
    let filter = anomalies::Filter { per_page: Some(500), ..Default::default() };
    anomalies::list(store, &yaolian_access::run_as_system::principal(), &filter, &ClientInfo::default()).await.unwrap()
}

/// Some unit in the given state.
async fn holdings_code(store: &Store, state: &str) -> String {
    use sqlx::Row;
    let key: String = sqlx::query(
        "SELECT epc FROM trace_codes WHERE state = $1 AND level = 'unit' AND recall_id IS NULL \
         AND epc NOT IN (SELECT epc FROM trace_anomalies WHERE epc IS NOT NULL) ORDER BY epc LIMIT 1",
    )
    .bind(state)
    .fetch_one(store.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    key.trim_start_matches("nmpa/").to_string()
}

#[tokio::test]
async fn captures_left_running_by_a_stop_are_marked_failed() {
    each_backend(|store| async move {
        fixtures::world(&store).await.unwrap();
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let old = yaolian_trace::capture::start(&store, &sys, 3, yaolian_trace::capture::Behaviour::Rollback, &c)
            .await
            .unwrap();
        let fresh = yaolian_trace::capture::start(&store, &sys, 3, yaolian_trace::capture::Behaviour::Rollback, &c)
            .await
            .unwrap();
        let hour_ago = yaolian_core::Timestamp::now().plus_seconds(-3600).millis();
        sqlx::query("UPDATE trace_captures SET created_at = $1 WHERE id = $2")
            .bind(hour_ago)
            .bind(old)
            .execute(store.pool())
            .await
            .unwrap();
        assert_eq!(yaolian_trace::capture::fail_interrupted(&store).await.unwrap(), 1);
        let s = yaolian_trace::capture::status(&store, &sys, old).await.unwrap();
        assert!(!s.running && !s.success, "{s:?}");
        assert!(s.errors[0]["detail"].as_str().unwrap().contains("send it again"));
        assert!(
            yaolian_trace::capture::status(&store, &sys, fresh).await.unwrap().running,
            "a recent job may still be running"
        );
    })
    .await;
}
