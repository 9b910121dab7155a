//! Who reads which trace data (追溯数据范围, 属地监管; docs/architecture.md "Scope (数据范围)
//! decisions"): the national bureau everything; a provincial bureau a code that passed through
//! its area, end to end, and no other; on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::{ClientInfo, OrgKind, Principal};
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_identity::{auth, fixtures};
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::ingest::{self, Options};
use yaolian_trace::sites::{self, Site};
use yaolian_trace::{access, query};

/// A maker in Zhejiang (the fixture province) and a pharmacy in Guangdong.
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";
const PHARMACY: &str = "urn:epc:id:sgln:6901234.00040.0";
/// Shipped from the maker to the pharmacy: passed through both provinces.
const TRAVELLED: &str = "urn:nmpa:code:81000010000000011234";
const TRAVELLED_KEY: &str = "nmpa/81000010000000011234";
/// Made, sold and kept in Guangdong: never in Zhejiang.
const STAYED_KEY: &str = "nmpa/81000010000000025678";
const STAYED: &str = "urn:nmpa:code:81000010000000025678";

fn object(code: &str, day: u32, action: &str, step: &str, disposition: &str, site: &str) -> Value {
    let mut e = json!({"type": "ObjectEvent", "eventTime": format!("2026-10-{day:02}T09:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": [code], "action": action, "bizStep": step,
        "disposition": disposition, "readPoint": {"id": site}, "bizLocation": {"id": site}});
    if action == "ADD" {
        e["ilmd"] = json!({"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2028-09-30"});
    }
    e
}

async fn bureau_reader(store: &Store, org: i64, name: &str) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, &["inspector"]).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

/// The sites whose events the reader sees in a code's history, or `None` for "not found".
async fn traced(store: &Store, reader: &Principal, key: &str) -> Option<Vec<String>> {
    let reach = access::regulator(store, reader, "trace.codes", &ClientInfo::default()).await.unwrap();
    let (_, history) = query::traced(store, &reach, key).await.unwrap()?;
    Some(history.into_iter().map(|h| h.site.unwrap_or_default()).collect())
}

#[tokio::test]
async fn a_provincial_bureau_traces_a_code_that_passed_through_its_area_and_no_other() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let org = |kind, name: &str, code: &str, parent| NewOrg {
            kind,
            name: name.into(),
            code: code.into(),
            parent_id: Some(parent),
            region: String::new(),
        };
        let guangdong = orgs::create(
            &s,
            &sys,
            &org(OrgKind::Provincial, "广东省药品监督管理局", "11440000006940789E", w.national),
            &c,
        )
        .await
        .unwrap()
        .id;
        let pharmacy = orgs::create(&s, &sys, &org(OrgKind::Company, "丙大药房", "91440300MA5F00001A", guangdong), &c)
            .await
            .unwrap()
            .id;
        common::product(&s, w.company_a, 1, "8100001", &[]).await;
        let site = |id: &str, name: &str, kind: &str, org_id: i64| Site {
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
            org_id: Some(org_id),
            province: String::new(),
        };
        sites::upsert(
            &s,
            &[site(MAKER, "甲制药工厂", "manufacturer", w.company_a), site(PHARMACY, "丙大药房", "pharmacy", pharmacy)],
        )
        .await
        .unwrap();
        let mut shipped = object(TRAVELLED, 2, "OBSERVE", "shipping", "in_transit", MAKER);
        shipped["destinationList"] = json!([{"type": "location", "destination": PHARMACY}]);
        let events = [
            object(TRAVELLED, 1, "ADD", "commissioning", "active", MAKER),
            shipped,
            object(TRAVELLED, 3, "OBSERVE", "receiving", "in_progress", PHARMACY),
            object(TRAVELLED, 5, "OBSERVE", "retail_selling", "retail_sold", PHARMACY),
            object(STAYED, 1, "ADD", "commissioning", "active", PHARMACY),
            object(STAYED, 4, "OBSERVE", "retail_selling", "retail_sold", PHARMACY),
        ];
        let (good, bad) = prepare(&events, 0, None, chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap());
        assert!(bad.is_empty(), "{bad:?}");
        let o = ingest::store(&s, good, Options::bulk()).await.unwrap();
        assert!(o.refused.is_empty(), "{:?}", o.refused);

        let nmpa = bureau_reader(&s, w.national, "nmpa.inspector").await;
        let zhejiang = bureau_reader(&s, w.province, "zj.inspector").await;
        let gd = bureau_reader(&s, guangdong, "gd.inspector").await;
        // The code that went from Zhejiang to Guangdong: each bureau sees its whole way.
        for reader in [&nmpa, &zhejiang, &gd] {
            let sites = traced(&s, reader, TRAVELLED_KEY).await.unwrap_or_else(|| panic!("{}", reader.username()));
            assert_eq!(sites.len(), 4, "{}: the whole history, both provinces", reader.username());
        }
        // The code that never left Guangdong: not there for Zhejiang's bureau.
        assert!(traced(&s, &zhejiang, STAYED_KEY).await.is_none(), "never in Zhejiang: not found");
        assert!(traced(&s, &nmpa, STAYED_KEY).await.is_some(), "the national bureau reads all");
        assert!(traced(&s, &gd, STAYED_KEY).await.is_some());
    })
    .await;
}
