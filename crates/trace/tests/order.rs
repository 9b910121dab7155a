//! Events applied in order of event time, not of arrival: a document need not be sorted, and an
//! event reported late (older than what its code has seen since) is history, not state.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::codes::epc;
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::{anomalies, query};

const UNIT: &str = "urn:nmpa:code:81000010000000011234";
const KEY: &str = "nmpa/81000010000000011234";
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";
const PHARMACY: &str = "urn:epc:id:sgln:6901234.00040.0";

/// 2026-10-0D at HH:00 China time.
fn at(d: u32, h: u32) -> String {
    format!("2026-10-{d:02}T{h:02}:00:00.000+08:00")
}

fn object(time: String, action: &str, step: &str, disposition: &str, site: &str) -> Value {
    json!({"type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": "+08:00", "epcList": [UNIT],
        "action": action, "bizStep": step, "disposition": disposition,
        "readPoint": {"id": site}, "bizLocation": {"id": site}})
}

async fn store(store: &Store, events: &[Value]) -> ingest::Outcome {
    let (good, bad) = prepare(events, 0, None, chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap());
    assert!(bad.is_empty(), "{bad:?}");
    let options = Options { all_or_nothing: true, duplicates_are_errors: true, ..Options::bulk() };
    let o = ingest::store(store, good, options).await.unwrap();
    assert!(o.refused.is_empty(), "{:?}", o.refused);
    o
}

async fn kinds(store: &Store) -> Vec<String> {
    let filter = anomalies::Filter { per_page: Some(100), ..Default::default() };
    let (list, _) =
        anomalies::list(store, &yaolian_access::run_as_system::principal(), &filter, &ClientInfo::default())
            .await
            .unwrap();
    let mut kinds: Vec<String> = list.into_iter().map(|a| a.kind).collect();
    kinds.sort();
    kinds
}

#[tokio::test]
async fn events_apply_in_time_order_and_a_late_event_is_history_not_state() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        common::product(&s, w.company_a, 1, "8100001", &[]).await;

        // Made, shipped, received and sold, sent in one document in the wrong order.
        let mut shipped = object(at(2, 9), "OBSERVE", "shipping", "in_transit", MAKER);
        shipped["destinationList"] = json!([{"type": "location", "destination": PHARMACY}]);
        let mut made = object(at(1, 9), "ADD", "commissioning", "active", MAKER);
        made["ilmd"] = json!({"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-09-30"});
        let document = [
            object(at(5, 10), "OBSERVE", "retail_selling", "retail_sold", PHARMACY),
            made,
            object(at(3, 9), "OBSERVE", "receiving", "in_progress", PHARMACY),
            shipped,
        ];
        let o = store(&s, &document).await;
        assert_eq!((o.stored, o.anomalies), (4, 0), "in time order the chain breaks no rule");
        let pharmacy = epc::key(PHARMACY, chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()).unwrap();
        let code = query::code(&s, KEY).await.unwrap().unwrap();
        assert_eq!((code.state.as_str(), code.holder.as_deref()), ("sold", Some(pharmacy.as_str())));
        let sold_at = code.last_time;

        // A second report of the shipping, an hour after the first and days before the sale:
        // in arrival order it would make the sold pack "shipped" and blame the pharmacy's
        // holding on the maker (not_holder).
        let mut reshipped = object(at(2, 10), "OBSERVE", "shipping", "in_transit", MAKER);
        reshipped["destinationList"] = json!([{"type": "location", "destination": PHARMACY}]);
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let o = store(&s, &[reshipped]).await;
        assert_eq!((o.stored, o.anomalies), (1, 0));
        let code = query::code(&s, KEY).await.unwrap().unwrap();
        assert_eq!((code.state.as_str(), code.holder.as_deref()), ("sold", Some(pharmacy.as_str())), "state kept");
        assert_eq!(code.last_time, sold_at, "last seen is still the sale");

        // A late sale is still a second sale, whenever it is reported.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
        let o = store(&s, &[object(at(4, 15), "OBSERVE", "retail_selling", "retail_sold", PHARMACY)]).await;
        assert_eq!((o.stored, o.anomalies), (1, 1));
        assert_eq!(kinds(&s).await, ["sold_twice"]);

        // History lists every event by event time, the late ones in their place and marked.
        let steps: Vec<(String, bool)> = query::history(&s, KEY)
            .await
            .unwrap()
            .into_iter()
            .map(|h| (h.biz_step.unwrap_or_default(), h.late))
            .collect();
        let expected = [
            ("commissioning", false),
            ("shipping", false),
            ("shipping", true),
            ("receiving", false),
            ("retail_selling", true),
            ("retail_selling", false),
        ];
        assert_eq!(steps, expected.map(|(step, late)| (step.to_string(), late)));
    })
    .await;
}
