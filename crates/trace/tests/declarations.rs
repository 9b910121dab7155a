//! EPCIS 2.0 error declarations (§7.4.1.2): an event sent again with `errorDeclaration`
//! declares the stored event with the same event hash in error. It is no duplicate; the stored
//! event is returned by queries with its declaration; the declaration is ledgered; a second
//! declaration of the same event is a duplicate; a declaration of an event never captured is
//! kept as that event, declared in error, changing no code's state.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::capture::prepare;
use yaolian_trace::ingest::{self, Options, DECLARATION_ENTITY};
use yaolian_trace::{access, query};

const UNIT: &str = "urn:nmpa:code:81000010000000011234";
const OTHER: &str = "urn:nmpa:code:81000010000000021234";
const MAKER: &str = "urn:epc:id:sgln:6901234.00001.0";

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()
}

fn object(unit: &str, h: u32, action: &str, step: &str, disposition: &str) -> Value {
    json!({"type": "ObjectEvent", "eventTime": format!("2026-10-01T{h:02}:00:00.000+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": [unit], "action": action, "bizStep": step,
        "disposition": disposition, "readPoint": {"id": MAKER}, "bizLocation": {"id": MAKER}})
}

fn declared(mut event: Value) -> Value {
    event["errorDeclaration"] = json!({"declarationTime": "2026-10-02T09:00:00.000+08:00",
        "reason": "incorrect_data", "correctiveEventIDs": ["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]});
    event
}

async fn send(store: &Store, events: &[Value]) -> ingest::Outcome {
    let (good, bad) = prepare(events, 0, None, day());
    assert!(bad.is_empty(), "{bad:?}");
    let options = Options { all_or_nothing: false, duplicates_are_errors: false, ..Options::bulk() };
    ingest::store(store, good, options).await.unwrap()
}

async fn declared_events(store: &Store) -> Vec<Value> {
    let system = yaolian_access::run_as_system::principal();
    let reach = access::reach(store, &system, "trace", &ClientInfo::default()).await.unwrap();
    let params = [("EXISTS_errorDeclaration".to_string(), String::new())];
    query::events(store, &reach, &params, day()).await.unwrap().events
}

async fn state(store: &Store, unit: &str) -> Option<String> {
    let key = yaolian_trace::codes::epc::key(unit, day()).unwrap();
    query::code(store, &key).await.unwrap().map(|c| c.state)
}

#[tokio::test]
async fn an_error_declaration_marks_the_stored_event_and_is_no_duplicate() {
    each_backend(|s| async move {
        let w = fixtures::world(&s).await.unwrap();
        common::product(&s, w.company_a, 1, "8100001", &[]).await;
        let made = object(UNIT, 8, "ADD", "commissioning", "active");
        let inspected = object(UNIT, 9, "OBSERVE", "inspecting", "active");
        let o = send(&s, &[made, inspected.clone()]).await;
        assert_eq!((o.stored, o.declared), (2, 0));
        assert!(declared_events(&s).await.is_empty());

        // The inspection declared in error: no new event, no duplicate; the stored one carries it.
        let o = send(&s, &[declared(inspected.clone())]).await;
        assert_eq!((o.stored, o.duplicates, o.declared), (0, 0, 1), "{o:?}");
        let list = declared_events(&s).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["bizStep"], "inspecting");
        assert_eq!(list[0]["errorDeclaration"]["reason"], "incorrect_data");
        // Ledgered: one record version of the declaration.
        let id: i64 =
            sqlx::query_scalar("SELECT event_id FROM trace_event_declarations").fetch_one(s.pool()).await.unwrap();
        let v = yaolian_store::versions::latest(s.pool(), DECLARATION_ENTITY, &id.to_string()).await.unwrap().unwrap();
        assert_eq!(v.data["errorDeclaration"]["reason"], "incorrect_data");

        // Declared again: a duplicate.
        let o = send(&s, &[declared(inspected)]).await;
        assert_eq!((o.stored, o.duplicates, o.declared), (0, 1, 0));

        // An event and its declaration in one batch.
        let observed = object(UNIT, 10, "OBSERVE", "storing", "active");
        let o = send(&s, &[observed.clone(), declared(observed)]).await;
        assert_eq!((o.stored, o.duplicates, o.declared), (1, 0, 1), "{o:?}");
        assert_eq!(declared_events(&s).await.len(), 2);

        // A declaration of an event never captured is kept as that event, declared in error:
        // it commissions nothing.
        let o = send(&s, &[declared(object(OTHER, 8, "ADD", "commissioning", "active"))]).await;
        assert_eq!((o.stored, o.declared), (1, 1), "{o:?}");
        assert_eq!(declared_events(&s).await.len(), 3);
        assert_eq!(state(&s, OTHER).await, None, "a declared-in-error event changes no state");
        assert!(state(&s, UNIT).await.is_some());
        // Every declaration on the rows is the ledgered one.
        assert_eq!(ingest::declaration_drifts(&s).await.unwrap(), vec![]);
        sqlx::query("UPDATE trace_event_declarations SET declaration = '{\"reason\": \"x\"}'")
            .execute(s.pool())
            .await
            .unwrap();
        assert_eq!(ingest::declaration_drifts(&s).await.unwrap().len(), 3, "edited behind the ledger's back");
    })
    .await;
}
