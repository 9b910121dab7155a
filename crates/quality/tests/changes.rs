//! Change control on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: a material change is
//! assessed with an FMEA whose RPN grades its risk; each function concerned signs, one person per
//! function; the affected controlled document is revised under the change; the change closes
//! only when its tasks are done, that revision approved and three acceptable first batches
//! evaluated; every step is a version, signed where someone decides, and the ledger verifies.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig, IdentityError};
use yaolian_quality::changes::{self, Assessment, NewAction, NewChange, NewRisk};
use yaolian_quality::documents::{self, NewDocument};
use yaolian_quality::{QualityConfig, QualityError};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, versions, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn rules(e: QualityError) -> Vec<(String, String)> {
    match e {
        QualityError::Shared(IdentityError::Validation(v)) => v.errors.into_iter().map(|f| (f.field, f.rule)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn file(name: &str) -> Upload {
    Upload { label: "文件".into(), name: name.into(), content_type: String::new(), content_base64: "YWJj".into() }
}

fn risk(mode: &str, s: i64, o: i64, d: i64, controls: &str) -> NewRisk {
    NewRisk {
        mode: mode.into(),
        effect: "溶出度不合格".into(),
        severity: s,
        occurrence: o,
        detection: d,
        controls: controls.into(),
    }
}

#[test]
fn the_rpn_is_the_product_of_the_three_scores_graded_by_the_thresholds() {
    let cfg = QualityConfig::default();
    let mut errors = yaolian_core::ValidationError::new();
    let rows = changes::risks_of(
        &cfg,
        &[risk("a", 8, 4, 4, "加严检验"), risk("b", 5, 2, 5, ""), risk("c", 2, 3, 4, "")],
        &mut errors,
    );
    assert!(errors.is_empty());
    assert_eq!(rows.iter().map(|r| r.rpn).collect::<Vec<_>>(), vec![128, 50, 24]);
    assert_eq!(
        rows.iter().map(|r| changes::risk_level(&cfg, r.rpn)).collect::<Vec<_>>(),
        vec!["high", "medium", "low"]
    );
    // The thresholds are configuration: with high from 150, 128 is medium.
    let lax = QualityConfig { rpn_high: 150, ..QualityConfig::default() };
    assert_eq!(changes::risk_level(&lax, 128), "medium");
    // A high row without controls, and a score out of 1..10, are named.
    let mut errors = yaolian_core::ValidationError::new();
    changes::risks_of(&cfg, &[risk("a", 10, 10, 1, ""), risk("b", 0, 11, 5, "")], &mut errors);
    let fields: Vec<String> = errors.errors.iter().map(|e| e.field.clone()).collect();
    assert_eq!(fields, vec!["risks[0].controls", "risks[1].severity", "risks[1].occurrence"]);
}

#[tokio::test]
async fn a_material_change_closes_after_its_approvals_document_revision_and_first_batches() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = QualityConfig::default();
        let id_cfg = IdentityConfig::default();
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let production = principal(&store, w.company_a, "production", &["company_master"]).await;
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let qa2 = principal(&store, w.company_a, "qa.reviewer", &["quality_head"]).await;
        let outsider = principal(&store, w.company_b, "qa.other", &["quality_head"]).await;

        let doc = documents::create(
            &store,
            &qa,
            &NewDocument {
                org_id: w.company_a,
                code: "SMP-MM-003".into(),
                title: "物料供应商管理规程".into(),
                review_months: 24,
                file: file("SMP-MM-003.pdf"),
            },
            &c,
        )
        .await
        .unwrap();
        documents::submit(&store, &qa, doc.id, &c).await.unwrap();
        let today = yaolian_core::Timestamp::now().china_date().to_string();
        documents::approve(&store, &id_cfg, &qa2, doc.id, &today, fixtures::PASSWORD, &c).await.unwrap();

        // A request names what changes and what it touches; bad fields are named.
        let new = NewChange {
            org_id: w.company_a,
            title: "硬脂酸镁更换供应商".into(),
            description: "硬脂酸镁供应商由甲公司变更为乙公司".into(),
            reason: "原供应商停产".into(),
            kind: "material".into(),
            documents: vec![doc.id],
            products: vec!["盐酸二甲双胍片".into()],
            methods: vec![],
            equipment: vec![],
        };
        let bad = NewChange { kind: "whim".into(), title: String::new(), documents: vec![999_999], ..new.clone() };
        let fields: Vec<String> = rules(changes::request(&store, &cfg, &analyst, &bad, &c).await.unwrap_err())
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(fields, vec!["title", "kind"]);
        let bad = NewChange { documents: vec![999_999], ..new.clone() };
        assert_eq!(rules(changes::request(&store, &cfg, &analyst, &bad, &c).await.unwrap_err())[0].0, "documents[0]");
        let ch = changes::request(&store, &cfg, &analyst, &new, &c).await.unwrap();
        assert_eq!((ch.status.as_str(), ch.batches_required), ("requested", 3));
        assert!(ch.number.starts_with("CC-"), "{}", ch.number);
        assert_eq!(ch.documents[0].code, "SMP-MM-003");
        assert_eq!(changes::get(&store, &outsider, ch.id, &c).await.unwrap_err().code(), "not_found");

        // QA assesses: the analyst may not; a high RPN cannot be minor.
        let assessment = Assessment {
            classification: "minor".into(),
            classification_reason: "辅料，用量小".into(),
            risks: vec![
                risk("新供应商粒度分布不同", 8, 4, 4, "前三批加测粒度和溶出曲线"),
                risk("标签混淆", 3, 2, 2, ""),
            ],
            functions: vec!["production".into(), "qc".into()],
            tasks: vec![NewAction {
                description: "供应商审计".into(),
                owner: "郑涛".into(),
                due_on: "2030-01-31".into(),
            }],
        };
        let err = changes::assess(&store, &cfg, &qa, ch.id, &assessment, &c).await.unwrap_err();
        assert_eq!(rules(err), vec![("classification".to_string(), "major_when_high".to_string())]);
        let assessment = Assessment { classification: "major".into(), ..assessment };
        assert_eq!(
            changes::assess(&store, &cfg, &analyst, ch.id, &assessment, &c).await.unwrap_err().code(),
            "forbidden"
        );
        let ch = changes::assess(&store, &cfg, &qa, ch.id, &assessment, &c).await.unwrap();
        assert_eq!((ch.max_rpn, ch.risk_level.as_str(), ch.status.as_str()), (128, "high", "assessed"));
        assert_eq!(ch.functions, vec!["qa", "production", "qc"]);

        // Each function signs; one person for one function; a wrong password signs nothing.
        let err = changes::decide(&store, &id_cfg, &qa, ch.id, "qa", true, "", "wrong-password", &c).await.unwrap_err();
        assert_ne!(err.code(), "validation_failed");
        changes::decide(&store, &id_cfg, &qa, ch.id, "qa", true, "同意", fixtures::PASSWORD, &c).await.unwrap();
        let err =
            changes::decide(&store, &id_cfg, &qa, ch.id, "qc", true, "", fixtures::PASSWORD, &c).await.unwrap_err();
        assert_eq!(rules(err)[0].1, "one_per_person");
        let err = changes::decide(&store, &id_cfg, &production, ch.id, "qa", true, "", fixtures::PASSWORD, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let ch = changes::decide(&store, &id_cfg, &production, ch.id, "production", true, "", fixtures::PASSWORD, &c)
            .await
            .unwrap();
        assert_eq!((ch.status.as_str(), ch.awaiting()), ("assessed", vec!["qc".to_string()]));
        // Nothing is implemented before the last signature.
        let err = changes::complete_task(&store, &analyst, ch.id, 0, "审计报告", &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");
        let ch =
            changes::decide(&store, &id_cfg, &analyst, ch.id, "qc", true, "", fixtures::PASSWORD, &c).await.unwrap();
        assert_eq!(ch.status, "implementing");

        // Closure is refused while anything is outstanding, and says what.
        let err = changes::close(&store, &id_cfg, &qa, ch.id, "完成", fixtures::PASSWORD, &c).await.unwrap_err();
        let QualityError::ChangeOpen { outstanding } = err else { panic!("{err:?}") };
        assert_eq!(outstanding.len(), 3, "{outstanding:?}");

        changes::complete_task(&store, &analyst, ch.id, 0, "审计报告 AR-2026-07", &c).await.unwrap();
        // The affected document is revised under the change: its new draft says so.
        let d = changes::revise_document(&store, &qa, ch.id, doc.id, &file("SMP-MM-003-v2.pdf"), "增加乙公司", &c)
            .await
            .unwrap();
        assert_eq!(d.revisions[0].revision, 2);
        assert!(d.revisions[0].reason.starts_with(&ch.number), "{}", d.revisions[0].reason);
        let err = changes::revise_document(&store, &qa, ch.id, doc.id, &file("x.pdf"), "再改", &c).await.unwrap_err();
        assert_eq!(rules(err)[0].1, "revised");
        for (batch, ok) in [("B2026101", true), ("B2026102", false), ("B2026103", true)] {
            changes::review_batch(&store, &analyst, ch.id, batch, ok, "溶出曲线与变更前相似", &c).await.unwrap();
        }
        let err = changes::review_batch(&store, &analyst, ch.id, "B2026101", true, "again", &c).await.unwrap_err();
        assert_eq!(rules(err)[0].1, "unique");
        // Two acceptable batches of three, and the revision not yet approved.
        let err = changes::close(&store, &id_cfg, &qa, ch.id, "完成", fixtures::PASSWORD, &c).await.unwrap_err();
        let QualityError::ChangeOpen { outstanding } = err else { panic!("{err:?}") };
        assert_eq!(outstanding.len(), 2, "{outstanding:?}");
        changes::review_batch(&store, &analyst, ch.id, "B2026104", true, "合格", &c).await.unwrap();
        documents::submit(&store, &qa, doc.id, &c).await.unwrap();
        documents::approve(&store, &id_cfg, &qa2, doc.id, &today, fixtures::PASSWORD, &c).await.unwrap();
        let ch = changes::close(&store, &id_cfg, &qa, ch.id, "供应商变更完成，前三批合格", fixtures::PASSWORD, &c)
            .await
            .unwrap();
        assert_eq!(ch.status, "closed");

        let steps: Vec<String> = versions::history(store.pool(), changes::ENTITY, &ch.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.action)
            .collect();
        assert_eq!(
            steps,
            vec![
                "request",
                "assess",
                "approve",
                "approve",
                "approve",
                "task_done",
                "revise_document",
                "batch_review",
                "batch_review",
                "batch_review",
                "batch_review",
                "close"
            ]
        );
        let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE entity = 'qa_change'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(signed, 4, "three approvals and the closure");
        assert!(changes::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}

#[tokio::test]
async fn a_refusal_rejects_the_change_and_a_minor_method_change_needs_no_batches() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = QualityConfig::default();
        let id_cfg = IdentityConfig::default();
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let new = NewChange {
            org_id: w.company_a,
            title: "含量测定色谱柱更换品牌".into(),
            description: "C18 色谱柱由 A 品牌换为 B 品牌".into(),
            reason: "供货周期".into(),
            kind: "method".into(),
            ..NewChange::default()
        };
        let ch = changes::request(&store, &cfg, &qa, &new, &c).await.unwrap();
        assert_eq!(ch.batches_required, 0);
        let a = Assessment {
            classification: "minor".into(),
            classification_reason: "系统适用性可控".into(),
            risks: vec![risk("分离度下降", 4, 2, 2, "")],
            functions: vec![],
            tasks: vec![NewAction {
                description: "方法确认".into(),
                owner: "李敏".into(),
                due_on: "2030-01-31".into(),
            }],
        };
        let ch = changes::assess(&store, &cfg, &qa, ch.id, &a, &c).await.unwrap();
        assert_eq!((ch.max_rpn, ch.risk_level.as_str()), (16, "low"));
        // A refusal needs its reason, and rejects the change.
        let err =
            changes::decide(&store, &id_cfg, &qa, ch.id, "qa", false, "", fixtures::PASSWORD, &c).await.unwrap_err();
        assert_eq!(rules(err)[0].0, "note");
        let ch = changes::decide(&store, &id_cfg, &qa, ch.id, "qa", false, "需先做方法学对比", fixtures::PASSWORD, &c)
            .await
            .unwrap();
        assert_eq!(ch.status, "rejected");
        let err = changes::assess(&store, &cfg, &qa, ch.id, &a, &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
