//! The closed loop of risk cases (风险处置) on SQLite and PostgreSQL: a trace anomaly at a
//! company's site raises one case of the bureau (raising it again answers the same case); the
//! company does not see it; it is assigned only to an officer who may handle it, disposed only
//! by that officer with known measures, verified by someone else (not passed: back to the
//! officer), and closed; the statistics count it; every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use common::{anomaly, user};
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityError};
use yaolian_store::testing::each_backend;
use yaolian_supervision::cases::{self, Disposal, Filter, NewCase, Verification};
use yaolian_supervision::SupervisionError;

fn rules(e: SupervisionError) -> Vec<(String, String)> {
    match e {
        SupervisionError::Shared(IdentityError::Validation(v)) => {
            v.errors.into_iter().map(|e| (e.field, e.rule)).collect()
        }
        other => panic!("not a validation error: {other:?}"),
    }
}

#[tokio::test]
async fn a_trace_anomaly_runs_the_closed_loop_to_its_closure() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let officer = user(&store, w.province, "zj.officer", "inspector").await;
        let leader = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        let id = anomaly(&store, w.company_a).await;

        // The anomaly raises one case of the bureau, about company A, urgent.
        let (case, raised) = cases::from_trace_anomaly(&store, &inspector, id, &c).await.unwrap();
        assert!(raised);
        assert!(case.number.starts_with("FX-"), "{}", case.number);
        assert_eq!((case.org_id, case.company_id, case.level.as_str()), (w.province, w.company_a, "high"));
        assert_eq!(
            (case.source.as_str(), case.source_ref.clone(), case.status.as_str()),
            ("trace_anomaly", id.to_string(), "open")
        );
        assert!(case.title.contains("销售召回药品"), "{}", case.title);
        let (again, raised) = cases::from_trace_anomaly(&store, &leader, id, &c).await.unwrap();
        assert_eq!((again.id, raised), (case.id, false), "one case per alert");
        // The company neither sees nor raises it.
        assert_eq!(cases::get(&store, &company, case.id, &c).await.unwrap_err().code(), "not_found");
        assert_eq!(cases::from_trace_anomaly(&store, &company, id, &c).await.unwrap_err().code(), "forbidden");

        // Assigned only to an officer who may handle it.
        for who in ["nobody", "a.master"] {
            let err = cases::assign(&store, &leader, case.id, who, case.version, &c).await.unwrap_err();
            assert_eq!(rules(err), vec![("assignee".to_string(), "may_handle".to_string())]);
        }
        let case = cases::assign(&store, &leader, case.id, "zj.officer", case.version, &c).await.unwrap();
        assert_eq!((case.status.as_str(), case.assignee.as_deref()), ("assigned", Some("zj.officer")));
        assert!(case.due_on.as_str() > yaolian_core::Timestamp::now().china_date().to_string().as_str());

        // Disposed by the officer alone, with known measures.
        let disposal = |measures: &[&str], version| Disposal {
            findings: "门店在召回后售出 1 盒，已封存同批次剩余 12 盒".into(),
            measures: measures.iter().map(|m| m.to_string()).collect(),
            version,
        };
        let err =
            cases::dispose(&store, &leader, case.id, &disposal(&["rectify"], case.version), &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let err = cases::dispose(&store, &officer, case.id, &disposal(&["fine"], case.version), &c).await.unwrap_err();
        assert_eq!(rules(err)[0].0, "measures[0]");
        let case = cases::dispose(&store, &officer, case.id, &disposal(&["rectify", "interview"], case.version), &c)
            .await
            .unwrap();
        assert_eq!(
            (case.status.as_str(), case.measures.clone()),
            ("disposed", vec!["interview".to_string(), "rectify".to_string()])
        );

        // Verified by someone else; not passed, back to the officer; then passed and closed.
        let check = |passed, note: &str, version| Verification { passed, note: note.into(), version };
        let err = cases::verify(&store, &officer, case.id, &check(true, "自查", case.version), &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");
        let err = cases::close(&store, &leader, case.id, "", case.version, &c).await.unwrap_err();
        assert_eq!(err.code(), "case_state");
        let case =
            cases::verify(&store, &leader, case.id, &check(false, "未见整改报告", case.version), &c).await.unwrap();
        assert_eq!((case.status.as_str(), case.verification.as_str()), ("assigned", "未见整改报告"));
        let case = cases::dispose(&store, &officer, case.id, &disposal(&["rectify"], case.version), &c).await.unwrap();
        let case = cases::verify(&store, &leader, case.id, &check(true, "整改报告已收到，现场核实", case.version), &c)
            .await
            .unwrap();
        assert_eq!(case.status, "verified");
        let err = cases::close(&store, &leader, case.id, "", case.version - 1, &c).await.unwrap_err();
        assert_eq!(err.code(), "conflict", "a stale version is refused");
        let case = cases::close(&store, &leader, case.id, "", case.version, &c).await.unwrap();
        assert_eq!(case.status, "closed");
        assert!(case.closed_at.is_some() && !case.overdue_on("2999-01-01"));

        // A case raised by hand, and the figures.
        let new = NewCase {
            company_id: w.company_b,
            title: "群众反映药品质量问题".into(),
            description: String::new(),
            level: "low".into(),
        };
        let err =
            cases::raise(&store, &inspector, &NewCase { level: "urgent".into(), ..new.clone() }, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("level".to_string(), "one_of:high,medium,low".to_string())]);
        let err =
            cases::raise(&store, &inspector, &NewCase { company_id: w.province, ..new.clone() }, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("company_id".to_string(), "exists".to_string())]);
        let manual = cases::raise(&store, &inspector, &new, &c).await.unwrap();
        assert!(manual.overdue_on("2999-01-01") && !manual.overdue_on("2000-01-01"));
        let (active, total) =
            cases::list(&store, &leader, &Filter { status: "active".into(), company_id: None }, 50, 0, &c)
                .await
                .unwrap();
        assert_eq!((total, active[0].id), (1, manual.id));
        let (of_a, _) =
            cases::list(&store, &leader, &Filter { status: String::new(), company_id: Some(w.company_a) }, 50, 0, &c)
                .await
                .unwrap();
        assert_eq!(of_a.len(), 1);
        let s = cases::statistics(&store, &leader, &c).await.unwrap();
        let count = |list: &[(String, i64)], code: &str| list.iter().find(|(c, _)| c == code).map(|(_, n)| *n);
        assert_eq!((count(&s.by_status, "closed"), count(&s.by_status, "open")), (Some(1), Some(1)));
        assert_eq!((count(&s.by_source, "trace_anomaly"), count(&s.by_source, "manual")), (Some(1), Some(1)));
        assert_eq!((s.overdue, s.average_days_to_close), (0, Some(0.0)));
        assert_eq!(cases::statistics(&store, &company, &c).await.unwrap_err().code(), "forbidden");

        assert!(cases::drifts(&store).await.unwrap().is_empty());
        assert!(yaolian_store::ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
