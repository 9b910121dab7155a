//! R&D projects on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: proposed, approved under
//! another person's signature, planned in tasks, progressed by their assignees, not closed
//! while a task is open, closed under a signature; a record made for the project is its
//! deliverable; the workload sums each researcher's tasks; every step a version, the ledger
//! verifies.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig, IdentityError};
use yaolian_lab::projects::{self, NewPhase, NewProject, NewTask, Progress};
use yaolian_lab::LabError;
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

fn phase(name: &str, s: &str, e: &str) -> NewPhase {
    NewPhase { name: name.into(), starts_on: s.into(), ends_on: e.into() }
}

#[tokio::test]
async fn a_project_is_proposed_approved_planned_progressed_and_closed() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let pw = fixtures::PASSWORD;
        let head = principal(&store, w.company_a, "lab.head", &["quality_head"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let second = principal(&store, w.company_a, "analyst.two", &["lab_analyst"]).await;
        let new = NewProject {
            org_id: w.company_a,
            code: "YF-2026-003".into(),
            title: "盐酸二甲双胍缓释片工艺开发".into(),
            objective: "完成处方筛选与中试放大".into(),
            leader: "analyst".into(),
            starts_on: "2026-01-01".into(),
            ends_on: "2026-12-31".into(),
            phases: vec![phase("小试", "2026-01-01", "2026-05-31"), phase("中试", "2026-06-01", "2026-12-31")],
        };
        let bad = NewProject {
            ends_on: "2025-12-31".into(),
            phases: vec![phase("小试", "2026-01-01", "2027-05-31")],
            leader: "nobody".into(),
            ..new.clone()
        };
        assert_eq!(
            rules(projects::propose(&store, &analyst, &bad, &c).await.unwrap_err()),
            vec![("ends_on".to_string(), "order".to_string()), ("phases[0].ends_on".to_string(), "within".to_string())]
        );
        let p = projects::propose(&store, &analyst, &new, &c).await.unwrap();
        assert_eq!((p.status.as_str(), p.leader.as_str(), p.phases.len()), ("proposed", "analyst", 2));
        // The analyst does not approve; the head approves under a signature.
        assert_eq!(
            projects::decide(&store, &id_cfg, &analyst, p.id, true, "", pw, None, &c).await.unwrap_err().code(),
            "forbidden"
        );
        let p = projects::decide(&store, &id_cfg, &head, p.id, true, "", pw, None, &c).await.unwrap();
        assert_eq!((p.status.as_str(), p.approved_by.as_deref()), ("active", Some("lab.head")));

        // The leader plans; the assignee reports progress; someone else's task is not theirs.
        let task = |phase, title: &str, who: &str, hours| NewTask {
            phase,
            title: title.into(),
            assignee: who.into(),
            starts_on: "2026-02-01".into(),
            ends_on: "2026-03-15".into(),
            planned_hours: hours,
        };
        assert_eq!(
            projects::add_task(&store, &second, p.id, &task(0, "处方筛选", "analyst.two", 80), &c)
                .await
                .unwrap_err()
                .code(),
            "forbidden"
        );
        projects::add_task(&store, &analyst, p.id, &task(0, "处方筛选", "analyst.two", 80), &c).await.unwrap();
        let p = projects::add_task(&store, &head, p.id, &task(1, "中试放大", "analyst", 120), &c).await.unwrap();
        assert_eq!(p.tasks.iter().map(|t| t.no).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(
            rules(projects::add_task(&store, &head, p.id, &task(5, "x", "analyst", 1), &c).await.unwrap_err()),
            vec![("phase".into(), "exists".into())]
        );
        let err = projects::progress(&store, &second, p.id, &Progress { no: 2, actual_hours: 5, done: false }, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let p = projects::progress(&store, &second, p.id, &Progress { no: 1, actual_hours: 76, done: true }, &c)
            .await
            .unwrap();
        assert_eq!((p.tasks[0].actual_hours, p.tasks[0].done), (76, true));
        let p = projects::phase_done(&store, &analyst, p.id, 0, "2026-05-30", &c).await.unwrap();
        assert_eq!(p.phases[0].done_on.as_deref(), Some("2026-05-30"));

        // The workload over the active projects.
        let load = projects::workload(&projects::list(&store, &head, Some("active"), &c).await.unwrap());
        let of = |who: &str| load.iter().find(|l| l.assignee == who).unwrap().clone();
        assert_eq!((of("analyst").open_tasks, of("analyst").planned_hours), (1, 120));
        assert_eq!((of("analyst.two").open_tasks, of("analyst.two").actual_hours), (0, 76));

        // Not closed while a task is open; closed with the outcome once done.
        let err = projects::close(&store, &id_cfg, &head, p.id, "完成工艺验证", pw, None, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("outcome".into(), "open_tasks:1".into())]);
        projects::progress(&store, &analyst, p.id, &Progress { no: 2, actual_hours: 130, done: true }, &c)
            .await
            .unwrap();
        let p =
            projects::close(&store, &id_cfg, &head, p.id, "完成工艺验证，形成中试批记录", pw, None, &c).await.unwrap();
        assert_eq!((p.status.as_str(), p.outcome.as_str()), ("closed", "完成工艺验证，形成中试批记录"));
        assert_eq!(
            projects::add_task(&store, &head, p.id, &task(0, "补充", "analyst", 1), &c).await.unwrap_err().code(),
            "record_state"
        );
        let history =
            yaolian_store::versions::history(store.pool(), projects::ENTITY, &p.id.to_string()).await.unwrap();
        let signed = yaolian_records::esign::signatures_for(&store, &history).await.unwrap();
        assert_eq!(signed.iter().map(|s| s.meaning.as_str()).collect::<Vec<_>>(), vec!["approve", "approve"]);
        let table = projects::table(std::slice::from_ref(&p));
        assert_eq!(table.rows[0][9..], ["200".to_string(), "206".to_string()]);
        assert!(projects::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
