//! Risk scores and credit grades on SQLite and PostgreSQL: a narcotic injection maker scores
//! high intrinsic risk; a trace anomaly and its open case push it to high overall, which raises a
//! case of its own; closing the anomaly's case with measures moves compliance and the credit
//! grade, and the explanation and the version's reason name the case; a bureau's model change is
//! validated, refused to an inspector, and rescores; every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use common::{anomaly, user};
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityError};
use yaolian_registry::NewProduct;
use yaolian_store::testing::each_backend;
use yaolian_supervision::cases::{self, Disposal, Verification};
use yaolian_supervision::models::{self, ModelChange};
use yaolian_supervision::scores::{self, ScoreFilter};
use yaolian_supervision::SupervisionError;

#[tokio::test]
async fn scores_move_with_the_closed_loop_and_explain_themselves() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let sys = yaolian_access::run_as_system::principal();
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let officer = user(&store, w.province, "zj.officer", "inspector").await;
        let leader = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        let product = NewProduct {
            approval_number: "国药准字H20000001".into(),
            generic_name: "盐酸吗啡注射液".into(),
            dosage_form: "注射剂".into(),
            strength: "1ml:10mg".into(),
            mah_org_id: w.company_a,
            ..NewProduct::default()
        };
        let product = yaolian_registry::products::create(&store, &sys, &product, &c).await.unwrap();

        // First scoring: a narcotic injection maker is high intrinsic risk, medium overall, A.
        let out = scores::recompute(&store, &leader, None, "", &c).await.unwrap();
        assert_eq!((out.companies, out.products, out.changed), (2, 1, 3));
        let p = scores::portrait(&store, &leader, w.company_a, &c).await.unwrap();
        let s = &p.company.score;
        assert_eq!((s.intrinsic, s.intrinsic_level.as_str(), s.level.as_str()), (60, "high", "medium"));
        assert_eq!((s.credit, s.grade.as_str()), (100, "A"));
        assert_eq!(s.classes, vec!["narcotic".to_string(), "sterile".to_string()]);
        let narcotic = s.factors.iter().find(|f| f.code == "class:narcotic").unwrap();
        assert_eq!(narcotic.sources[0].link, format!("/registry/products/{}", product.id));
        assert_eq!(p.products.len(), 1);
        assert_eq!(p.history.len(), 1);
        assert!(p.history[0].reason.starts_with("首次评分"), "{}", p.history[0].reason);
        // Nothing changed, nothing written.
        assert_eq!(scores::recompute(&store, &leader, None, "", &c).await.unwrap().changed, 0);

        // An anomaly and its open case push it to high overall, which raises a case.
        let id = anomaly(&store, w.company_a).await;
        let (case, _) = cases::from_trace_anomaly(&store, &inspector, id, &c).await.unwrap();
        let out = scores::recompute(&store, &leader, None, "", &c).await.unwrap();
        assert_eq!(out.raised.len(), 1, "{out:?}");
        let p = scores::portrait(&store, &leader, w.company_a, &c).await.unwrap();
        assert_eq!((p.company.score.compliance, p.company.score.level.as_str()), (11, "high"));
        assert!(p.history[1].reason.contains("风险等级 中风险 → 高风险"), "{}", p.history[1].reason);
        let (raised, _) = cases::list(&store, &leader, &cases::Filter::default(), 10, 0, &c).await.unwrap();
        let by_score = raised.iter().find(|x| x.source == "score").unwrap();
        assert_eq!((by_score.company_id, by_score.level.as_str()), (w.company_a, "high"));
        // Again: the same level raises nothing more.
        assert!(scores::recompute(&store, &leader, None, "", &c).await.unwrap().raised.is_empty());

        // The anomaly's case runs to its closure with measures: score and grade move, named.
        let case = cases::assign(&store, &leader, case.id, "zj.officer", case.version, &c).await.unwrap();
        let d = Disposal {
            findings: "门店售出召回批次".into(),
            measures: vec!["rectify".into(), "file_case".into()],
            version: case.version,
        };
        let case = cases::dispose(&store, &officer, case.id, &d, &c).await.unwrap();
        let v = Verification { passed: true, note: "已核实".into(), version: case.version };
        let case = cases::verify(&store, &leader, case.id, &v, &c).await.unwrap();
        let case = cases::close(&store, &leader, case.id, "", case.version, &c).await.unwrap();
        let p = scores::portrait(&store, &leader, w.company_a, &c).await.unwrap();
        let s = &p.company.score;
        // 追溯异常 3 + 紧急 3 + 办理中 5 (the score's case) + 已处置 10 + 立案 10.
        assert_eq!((s.compliance, s.credit, s.grade.as_str()), (31, 83, "B"));
        let named = s.factors.iter().find(|f| f.code == "cases_measures").unwrap();
        assert_eq!(named.sources[0].link, format!("/supervision/cases/{}", case.id));
        assert!(named.sources[0].label.contains(&case.number));
        let last = p.history.last().unwrap();
        assert!(last.reason.starts_with(&format!("风险处置 {} 结案", case.number)), "{}", last.reason);
        assert!(last.reason.contains("信用等级 A → B"), "{}", last.reason);
        let timeline: Vec<String> =
            sqlx::query_scalar("SELECT title FROM dossier_events WHERE org_id = $1 ORDER BY id")
                .bind(w.company_a)
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert!(timeline.iter().any(|t| t.contains(&case.number) && t.contains("结案")), "{timeline:?}");
        assert!(timeline.iter().any(|t| t.contains("信用等级 B")), "{timeline:?}");

        // The model: validated, the bureau's leader's alone, and it rescores.
        let current = models::current(&store, &leader, &c).await.unwrap();
        assert_eq!(current.version, 0);
        let mut broken = current.model.clone();
        broken.intrinsic_levels.high = 1;
        let change = ModelChange { model: serde_json::to_value(broken).unwrap(), reason: "调整".into(), version: 0 };
        match models::change(&store, &leader, &change, &c).await.unwrap_err() {
            SupervisionError::Shared(IdentityError::Validation(v)) => {
                assert_eq!(v.errors[0].field, "intrinsic_levels.high")
            }
            other => panic!("{other:?}"),
        }
        let mut lenient = current.model.clone();
        lenient.credit.case_filed = 0;
        let change = ModelChange {
            model: serde_json::to_value(lenient).unwrap(),
            reason: "立案不另扣信用分".into(),
            version: 0,
        };
        assert_eq!(models::change(&store, &inspector, &change, &c).await.unwrap_err().code(), "forbidden");
        let stored = models::change(&store, &leader, &change, &c).await.unwrap();
        assert_eq!((stored.org_id, stored.version), (Some(w.province), 1));
        assert_eq!(models::change(&store, &leader, &change, &c).await.unwrap_err().code(), "conflict");
        scores::recompute(&store, &leader, None, "", &c).await.unwrap();
        let (list, total) = scores::list(&store, &leader, &ScoreFilter::default(), 10, 0, &c).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!((list[0].company_id, list[0].score.credit, list[0].score.grade.as_str()), (w.company_a, 93, "A"));
        assert_eq!((list[0].model_org_id, list[0].model_version), (Some(w.province), 1));
        let (high, _) =
            scores::list(&store, &leader, &ScoreFilter { level: "low".into(), ..ScoreFilter::default() }, 10, 0, &c)
                .await
                .unwrap();
        assert_eq!(high.iter().map(|k| k.company_id).collect::<Vec<_>>(), vec![w.company_b]);
        let d = scores::distribution(&store, &leader, &c).await.unwrap();
        assert_eq!(d.by_level, vec![("high".to_string(), 1), ("medium".to_string(), 0), ("low".to_string(), 1)]);

        // The company reads none of it, recomputes nothing.
        assert_eq!(scores::portrait(&store, &company, w.company_a, &c).await.unwrap_err().code(), "not_found");
        assert_eq!(scores::recompute(&store, &company, None, "", &c).await.unwrap_err().code(), "forbidden");

        assert!(scores::drifts(&store).await.unwrap().is_empty());
        assert!(models::drifts(&store).await.unwrap().is_empty());
        assert!(cases::drifts(&store).await.unwrap().is_empty());
        assert!(yaolian_store::ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
