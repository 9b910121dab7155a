//! Environment monitoring on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: a room's limits, a
//! reading within them, an excursion that opens a deviation naming the room, the parameter, the
//! reading and the limit; refusals named by field and rule; rows equal their ledgered images.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityError};
use yaolian_lab::environment::{self, NewReading, NewRoom};
use yaolian_lab::LabError;
use yaolian_quality::QualityConfig;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn rules(e: LabError) -> Vec<(String, String)> {
    match e {
        LabError::Shared(IdentityError::Validation(v)) => v.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

#[test]
fn tenths_read_as_written() {
    assert_eq!(environment::tenths_text(253), "25.3");
    assert_eq!(environment::tenths_text(-5), "-0.5");
    assert_eq!(environment::tenths_text(600), "60.0");
}

#[tokio::test]
async fn an_excursion_opens_a_deviation_in_the_readings_transaction() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = QualityConfig::default();
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let new = NewRoom {
            org_id: w.company_a,
            code: "QC-101".into(),
            name: "天平室".into(),
            temp_low: "18.0".into(),
            temp_high: "26.0".into(),
            rh_low: "45".into(),
            rh_high: "65.0".into(),
        };
        assert_eq!(environment::create_room(&store, &analyst, &new, &c).await.unwrap_err().code(), "forbidden");
        let bad = NewRoom { temp_low: "18.05".into(), rh_high: "40".into(), ..new.clone() };
        assert_eq!(
            rules(environment::create_room(&store, &qa, &bad, &c).await.unwrap_err()),
            vec![("temp_low".to_string(), "places:1".to_string()), ("rh_high".to_string(), "order".to_string())]
        );
        let room = environment::create_room(&store, &qa, &new, &c).await.unwrap();
        assert_eq!((room.temp_limits(), room.rh_limits()), ("18.0–26.0 ℃".to_string(), "45.0–65.0 %RH".to_string()));

        // Within limits: recorded, no deviation.
        let fine = NewReading { at: String::new(), temperature: "22.5".into(), humidity: "52".into() };
        let r = environment::record(&store, &cfg, &analyst, room.id, &fine, &c).await.unwrap();
        assert_eq!((r.temperature, r.humidity, r.excursion, r.deviation_id), (225, 520, false, None));
        // Bad input is named; a reading in the future is refused.
        let bad = NewReading { at: "2099-01-01 08:00".into(), temperature: "warm".into(), humidity: "101".into() };
        assert_eq!(
            rules(environment::record(&store, &cfg, &analyst, room.id, &bad, &c).await.unwrap_err()),
            vec![
                ("temperature".to_string(), "places:1".to_string()),
                ("humidity".to_string(), "range:0.0..100.0".to_string()),
                ("at".to_string(), "not_future".to_string()),
            ]
        );
        // 26.1 ℃ is above 26.0: an excursion, its deviation opened with it.
        let hot = NewReading { at: String::new(), temperature: "26.1".into(), humidity: "52.0".into() };
        let r = environment::record(&store, &cfg, &analyst, room.id, &hot, &c).await.unwrap();
        assert!(r.excursion);
        let dev = yaolian_quality::deviations::get(&store, &qa, r.deviation_id.unwrap(), &c).await.unwrap();
        assert_eq!(dev.source, "environment");
        assert!(dev.title.contains("QC-101 天平室") && dev.title.contains("温度"), "{}", dev.title);
        assert!(dev.description.contains("26.1 ℃") && dev.description.contains("18.0–26.0 ℃"), "{}", dev.description);

        let rooms = environment::rooms(&store, &qa, &c).await.unwrap();
        assert_eq!(rooms.len(), 1);
        assert_eq!(rooms[0].last.as_ref().map(|l| l.id), Some(r.id), "the latest reading");
        let list = environment::readings(&store, &qa, room.id, 50, &c).await.unwrap();
        assert_eq!(list.len(), 2);
        let outsider = principal(&store, w.company_b, "other", &["lab_analyst"]).await;
        assert_eq!(
            environment::record(&store, &cfg, &outsider, room.id, &fine, &c).await.unwrap_err().code(),
            "not_found"
        );
        assert!(environment::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
