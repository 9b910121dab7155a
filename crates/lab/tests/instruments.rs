//! Instruments on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: not usable before their first
//! calibration, usable while it is current, refused once it is overdue or failed; every
//! registration, calibration and use is a version, and the ledger verifies.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures};
use yaolian_lab::instruments::{self, Calibration, NewInstrument};
use yaolian_lab::LabError;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, versions, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn day(offset: i64) -> String {
    (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(offset)).to_string()
}

#[tokio::test]
async fn an_instrument_is_used_only_while_in_calibration() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let outsider = principal(&store, w.company_b, "other", &["lab_analyst"]).await;
        let new = NewInstrument {
            org_id: w.company_a,
            code: "HPLC-01".into(),
            name: "高效液相色谱仪".into(),
            model: "1260 Infinity II".into(),
            calibration_interval_days: 365,
            ..NewInstrument::default()
        };
        // The analyst uses instruments but does not register them; bad fields are named.
        assert_eq!(instruments::register(&store, &analyst, &new, &c).await.unwrap_err().code(), "forbidden");
        let bad = NewInstrument { code: String::new(), calibration_interval_days: 0, ..new.clone() };
        let err = instruments::register(&store, &qa, &bad, &c).await.unwrap_err();
        let LabError::Shared(yaolian_identity::IdentityError::Validation(v)) = err else { panic!("{err:?}") };
        let fields: Vec<&str> = v.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["code", "calibration_interval_days"]);
        let i = instruments::register(&store, &qa, &new, &c).await.unwrap();
        assert_eq!(instruments::register(&store, &qa, &new, &c).await.unwrap_err().code(), "validation_failed");
        assert_eq!(i.state, "never");

        // Never calibrated: refused.
        let err = instruments::use_instrument(&store, &analyst, i.id, "含量测定", "ELN-1", &c).await.unwrap_err();
        assert_eq!(err.code(), "out_of_calibration");
        assert!(err.zh().unwrap().contains("尚未校准"));
        // Calibrated 400 days ago with a 365-day interval: overdue, refused.
        let old = Calibration { performed_on: day(-400), certificate: "JZ-2025-001".into(), passed: true };
        let i2 = instruments::calibrate(&store, &qa, i.id, &old, &c).await.unwrap();
        assert_eq!((i2.state.as_str(), i2.calibration_due_on.clone()), ("overdue", Some(day(-35))));
        let err = instruments::use_instrument(&store, &analyst, i.id, "含量测定", "", &c).await.unwrap_err();
        assert_eq!(err.code(), "out_of_calibration");
        // A calibration in the future is refused; today's makes it usable.
        let later = Calibration { performed_on: day(1), ..old.clone() };
        assert_eq!(
            instruments::calibrate(&store, &qa, i.id, &later, &c).await.unwrap_err().code(),
            "validation_failed"
        );
        let now = Calibration { performed_on: day(0), certificate: "JZ-2026-118".into(), passed: true };
        let i3 = instruments::calibrate(&store, &qa, i.id, &now, &c).await.unwrap();
        assert_eq!((i3.state.as_str(), i3.calibration_due_on.clone()), ("current", Some(day(365))));
        let u = instruments::use_instrument(&store, &analyst, i.id, "含量测定", "ELN-2026-0112", &c).await.unwrap();
        assert_eq!((u.user_name.as_str(), u.record_ref.as_str()), ("analyst", "ELN-2026-0112"));
        assert_eq!(instruments::uses_of(&store, &qa, i.id, &c).await.unwrap().len(), 1);
        // Another company does not see it.
        assert_eq!(instruments::get(&store, &outsider, i.id, &c).await.unwrap_err().code(), "not_found");
        assert_eq!(
            instruments::use_instrument(&store, &outsider, i.id, "x", "", &c).await.unwrap_err().code(),
            "not_found"
        );
        // A failed calibration takes it out of service.
        let failed = Calibration { performed_on: day(0), certificate: "JZ-2026-119".into(), passed: false };
        let i4 = instruments::calibrate(&store, &qa, i.id, &failed, &c).await.unwrap();
        assert_eq!(i4.state, "out_of_service");
        let err = instruments::usable(&store, &analyst, i.id, &c).await.unwrap_err();
        assert!(err.zh().unwrap().contains("停用"), "{err:?}");

        let steps: Vec<String> = versions::history(store.pool(), instruments::ENTITY, &i.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.action)
            .collect();
        assert_eq!(steps, vec!["register", "calibrate", "calibrate", "calibrate"]);
        assert_eq!(instruments::list(&store, &qa, &c).await.unwrap().len(), 1);
        assert!(instruments::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}

#[test]
fn the_state_follows_the_due_date() {
    assert_eq!(instruments::state_on("active", None, 100), "never");
    assert_eq!(instruments::state_on("active", Some(99), 100), "overdue");
    assert_eq!(instruments::state_on("active", Some(100), 100), "due_soon");
    assert_eq!(instruments::state_on("active", Some(130), 100), "due_soon");
    assert_eq!(instruments::state_on("active", Some(131), 100), "current");
    assert_eq!(instruments::state_on("out_of_service", Some(500), 100), "out_of_service");
}
