//! EPCIS 2.0 query parameters over the REST binding: lists split on `|` only (a comma is part
//! of a value, as in a `geo:` read point), `orderBy` / `orderDirection` with page tokens that
//! keep the order, `EXISTS_` on the fields kept in columns, and `HASATTR_` / `EQATTR_` over the
//! location master data (the sites' name and province).

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::{access, query};

const UNIT: &str = "urn:nmpa:code:81000010000000011234";
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";
const FIELD: &str = "geo:22.5431,114.0579";

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()
}

fn object(h: u32, action: &str, step: &str, place: &str) -> Value {
    json!({"type": "ObjectEvent", "eventTime": format!("2026-10-01T{h:02}:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": [UNIT], "action": action, "bizStep": step,
        "disposition": "active", "readPoint": {"id": place}})
}

async fn ask(store: &Store, params: &[(&str, &str)]) -> Result<(Vec<Value>, Option<String>), String> {
    let system = yaolian_access::run_as_system::principal();
    let reach = access::reach(store, &system, "trace", &ClientInfo::default()).await.unwrap();
    let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    match query::events(store, &reach, &params, day()).await {
        Ok(page) => Ok((page.events, page.next_page_token)),
        Err(e) => Err(e.to_string()),
    }
}

fn hours(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["eventTime"].as_str().unwrap()[11..13].to_string()).collect()
}

#[tokio::test]
async fn lists_split_on_bars_and_order_survives_paging() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        common::product(&s, w.company_a, 1, "8100001", &[]).await;
        // Captured out of time order; one reading taken in the field at a geo: point.
        let events = [
            object(8, "ADD", "commissioning", MAKER),
            object(11, "OBSERVE", "inspecting", MAKER),
            object(9, "OBSERVE", "inspecting", FIELD),
            object(12, "OBSERVE", "storing", MAKER),
            object(10, "OBSERVE", "storing", MAKER),
        ];
        let (good, bad) = prepare(&events, 0, None, day());
        assert!(bad.is_empty(), "{bad:?}");
        let o = ingest::store(&s, good, Options::bulk()).await.unwrap();
        assert_eq!(o.stored, 5);
        let maker = yaolian_trace::sites::Site {
            id: MAKER.into(),
            name: "甲制药生产基地".into(),
            kind: "manufacturer".into(),
            org_id: Some(w.company_a),
            province: "浙江".into(),
        };
        yaolian_trace::sites::upsert(&s, &[maker]).await.unwrap();

        // Location master data: the sites' name and state (province).
        let (found, _) = ask(&s, &[("EQATTR_readPoint_name", "甲制药生产基地")]).await.unwrap();
        assert_eq!(found.len(), 4, "every event at the maker's");
        let (found, _) = ask(&s, &[("EQATTR_readPoint_urn:epcglobal:cbv:mda#state", "江苏")]).await.unwrap();
        assert!(found.is_empty());
        let (found, _) = ask(&s, &[("HASATTR_readPoint", "cbvmda:state")]).await.unwrap();
        assert_eq!(found.len(), 4, "the geo: point has no master data");
        let e = ask(&s, &[("EQATTR_readPoint_colour", "red")]).await.unwrap_err();
        assert!(e.contains("EQATTR_readPoint_colour"), "{e}");

        // A geo: read point with a comma is one value.
        let (found, _) = ask(&s, &[("EQ_readPoint", FIELD)]).await.unwrap();
        assert_eq!(hours(&found), ["09"]);
        // Lists take |.
        let (found, _) = ask(&s, &[("EQ_bizStep", "storing|commissioning")]).await.unwrap();
        assert_eq!(hours(&found), ["08", "12", "10"], "in capture order by default");

        // Newest first, two to a page, every page in order.
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = vec![("orderBy", "eventTime"), ("orderDirection", "DESC"), ("perPage", "2")];
            if let Some(t) = &token {
                params.push(("nextPageToken", t.as_str()));
            }
            let (page, next) = ask(&s, &params).await.unwrap();
            seen.extend(hours(&page));
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen, ["12", "11", "10", "09", "08"]);
        let (asc, _) = ask(&s, &[("orderBy", "eventTime")]).await.unwrap();
        assert_eq!(hours(&asc), ["08", "09", "10", "11", "12"]);

        // EXISTS_ on a column, and refusals that name the parameter.
        let (found, _) = ask(&s, &[("EXISTS_bizLocation", "")]).await.unwrap();
        assert!(found.is_empty(), "no event here names a business location");
        let e = ask(&s, &[("orderBy", "bizStep")]).await.unwrap_err();
        assert!(e.contains("orderBy"), "{e}");
        let e = ask(&s, &[("orderDirection", "down")]).await.unwrap_err();
        assert!(e.contains("orderDirection"), "{e}");
    })
    .await;
}
