//! Annual inspection plans on SQLite and PostgreSQL (issue 20 acceptance: "a test with a
//! narcotic manufacturer gets at least four inspections a year"): generated from the kept
//! scores and the model, a narcotic maker visited once a quarter under the statutory minimum, a
//! low-risk company once in two years; the planner moves, cancels and adds visits with reasons;
//! the leader publishes with a signature; every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use common::user;
use yaolian_access::{ClientInfo, OrgKind};
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_identity::{fixtures, IdentityConfig, IdentityError};
use yaolian_registry::NewProduct;
use yaolian_store::testing::each_backend;
use yaolian_supervision::plans::{self, Filter, NewVisit, VisitChange};
use yaolian_supervision::{risk, scores, SupervisionError};

#[tokio::test]
async fn the_annual_plan_follows_the_model_and_the_planner() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let sys = yaolian_access::run_as_system::principal();
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let leader = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        let narcotic = NewProduct {
            approval_number: "国药准字H20000001".into(),
            generic_name: "盐酸吗啡注射液".into(),
            dosage_form: "注射剂".into(),
            strength: "1ml:10mg".into(),
            mah_org_id: w.company_a,
            ..NewProduct::default()
        };
        yaolian_registry::products::create(&store, &sys, &narcotic, &c).await.unwrap();
        scores::recompute(&store, &leader, None, "", &c).await.unwrap();
        // A company registered after the scoring has no score: left out, counted.
        let late = NewOrg {
            kind: OrgKind::Company,
            name: "新设医药有限公司".into(),
            code: "91330100MA2K00001W".parse().unwrap(),
            parent_id: Some(w.province),
            region: "浙江省".into(),
        };
        orgs::create_many(&store, &sys, &[late], &c).await.unwrap();

        let g = plans::generate(&store, &inspector, 2027, &c).await.unwrap();
        assert_eq!((g.companies, g.unscored, g.plan.status.as_str()), (2, 1, "draft"));
        assert!(g.plan.note.contains("1 家企业尚无风险评分"), "{}", g.plan.note);
        let (visits, total) =
            plans::visits_of(&store, &inspector, g.plan.id, &Filter::default(), 100, 0, &c).await.unwrap();
        assert_eq!(total, g.visits);
        // The narcotic maker: at least four a year, one in each quarter, under the minimum.
        let a: Vec<_> = visits.iter().filter(|v| v.company_id == w.company_a).collect();
        assert!(a.len() >= 4, "{a:?}");
        let mut quarters: Vec<i64> = a.iter().map(|v| (v.month - 1) / 3).collect();
        quarters.dedup();
        assert_eq!(quarters, vec![0, 1, 2, 3]);
        assert!(a.iter().all(|v| v.kind == "minimum" && v.basis.contains(risk::MINIMUM_BASIS)), "{a:?}");
        assert!(a[0].scope.contains("麻醉药品"), "{}", a[0].scope);
        // The low-risk company, never visited: once.
        let b: Vec<_> = visits.iter().filter(|v| v.company_id == w.company_b).collect();
        assert_eq!((b.len(), b[0].level.as_str(), b[0].kind.as_str()), (1, "low", "routine"));
        let f = plans::figures(&store, &inspector, g.plan.id, &c).await.unwrap();
        assert_eq!((f.visits, f.companies, f.by_month.iter().sum::<i64>()), (g.visits, 2, g.visits));

        // One plan a year.
        match plans::generate(&store, &inspector, 2027, &c).await.unwrap_err() {
            SupervisionError::Shared(IdentityError::Validation(v)) => assert_eq!(v.errors[0].field, "year"),
            other => panic!("{other:?}"),
        }
        assert_eq!(plans::generate(&store, &company, 2028, &c).await.unwrap_err().code(), "forbidden");

        // The planner moves a visit, with the reason; a stale version and a bad month are refused.
        let first = a[0];
        let to = first.month % 12 + 1;
        let change =
            VisitChange { month: Some(to), cancel: false, reason: "企业停产检修".into(), version: first.version };
        let moved = plans::change(&store, &inspector, first.id, &change, &c).await.unwrap();
        assert_eq!((moved.month, moved.version, moved.note.as_str()), (to, 2, "企业停产检修"));
        assert_eq!(plans::change(&store, &inspector, first.id, &change, &c).await.unwrap_err().code(), "conflict");
        let bad = VisitChange { month: Some(13), reason: "x".into(), version: 2, ..VisitChange::default() };
        match plans::change(&store, &inspector, first.id, &bad, &c).await.unwrap_err() {
            SupervisionError::Shared(IdentityError::Validation(v)) => assert_eq!(v.errors[0].field, "month"),
            other => panic!("{other:?}"),
        }
        let history =
            yaolian_store::versions::history(store.pool(), plans::ENTITY, &first.id.to_string()).await.unwrap();
        assert_eq!(history.len(), 2);
        assert!(history[1].reason.contains("企业停产检修"), "{}", history[1].reason);
        // … cancels the low-risk company's, and adds a visit for cause.
        let cancel =
            VisitChange { cancel: true, reason: "已并入专项检查".into(), version: b[0].version, month: None };
        let cancelled = plans::change(&store, &inspector, b[0].id, &cancel, &c).await.unwrap();
        assert_eq!(cancelled.status, "cancelled");
        let extra = NewVisit {
            company_id: w.company_b,
            month: 6,
            kind: "for_cause".into(),
            scope: "投诉举报核查".into(),
            reason: "收到投诉举报".into(),
        };
        let added = plans::add(&store, &inspector, g.plan.id, &extra, &c).await.unwrap();
        assert_eq!((added.kind.as_str(), added.month, added.status.as_str()), ("for_cause", 6, "planned"));
        let elsewhere = NewVisit { company_id: w.province, ..extra };
        assert_eq!(
            plans::add(&store, &inspector, g.plan.id, &elsewhere, &c).await.unwrap_err().code(),
            "validation_failed"
        );
        let f = plans::figures(&store, &inspector, g.plan.id, &c).await.unwrap();
        assert_eq!(f.visits, g.visits);
        let cause = Filter { kind: "for_cause".into(), ..Filter::default() };
        let (q, _) = plans::visits_of(&store, &inspector, g.plan.id, &cause, 100, 0, &c).await.unwrap();
        assert_eq!(q.iter().map(|v| v.id).collect::<Vec<_>>(), vec![added.id]);

        // Publishing: the leader's, with the password, signed.
        let id_cfg = IdentityConfig::default();
        let pw = fixtures::PASSWORD;
        let publish = plans::publish(&store, &id_cfg, &inspector, g.plan.id, 1, (pw, None), &c);
        assert_eq!(publish.await.unwrap_err().code(), "forbidden");
        assert!(plans::publish(&store, &id_cfg, &leader, g.plan.id, 1, ("wrong", None), &c).await.is_err());
        let published = plans::publish(&store, &id_cfg, &leader, g.plan.id, 1, (pw, None), &c).await.unwrap();
        assert_eq!((published.status.as_str(), published.published_by.as_deref()), ("published", Some("zj.leader")));
        let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE entity = $1 AND entity_id = $2")
            .bind(plans::PLAN_ENTITY)
            .bind(g.plan.id.to_string())
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(signed, 1);

        // The next year: the low-risk company visited in 2027 waits for 2029; the maker again.
        let next = plans::generate(&store, &inspector, 2028, &c).await.unwrap();
        let (visits, _) =
            plans::visits_of(&store, &inspector, next.plan.id, &Filter::default(), 100, 0, &c).await.unwrap();
        assert!(visits.iter().all(|v| v.company_id != w.company_b), "{visits:?}");
        assert!(visits.iter().filter(|v| v.company_id == w.company_a).count() >= 4);

        // The company reads no plan; every row equals its ledgered image.
        assert_eq!(plans::get(&store, &company, g.plan.id, &c).await.unwrap_err().code(), "not_found");
        assert!(plans::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}
