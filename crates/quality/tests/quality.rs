//! Deviations and CAPAs on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: an OOS result opens
//! a deviation; QA investigates and classifies it; a major one closes only with its CAPA; the
//! CAPA closes when its actions are done, and a failed effectiveness check reopens it; every
//! step is a version in the record's history, signed where QA decides, and the ledger verifies.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig, IdentityError};
use yaolian_quality::capa::{self, NewAction, NewCapa};
use yaolian_quality::deviations::{self, Investigation, Oos};
use yaolian_quality::{QualityConfig, QualityError};
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

fn action(what: &str) -> NewAction {
    NewAction { description: what.into(), owner: "郑涛".into(), due_on: "2030-01-31".into() }
}

async fn actions_of(store: &Store, entity: &str, id: i64) -> Vec<String> {
    versions::history(store.pool(), entity, &id.to_string()).await.unwrap().into_iter().map(|v| v.action).collect()
}

#[tokio::test]
async fn an_oos_opens_a_deviation_whose_capa_reopens_when_not_effective() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = QualityConfig::default();
        let id_cfg = IdentityConfig::default();
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let other_qa = principal(&store, w.company_b, "qa.other", &["quality_head"]).await;

        // The lab's out-of-specification result opens a deviation.
        let oos = Oos {
            org_id: w.company_a,
            test: "含量测定".into(),
            result: "93.2%".into(),
            specification: "95.0%～105.0%".into(),
            product: "盐酸二甲双胍片".into(),
            batch: "B2026017".into(),
            record_ref: "ELN-2026-0112".into(),
        };
        let d = deviations::from_oos(&store, &cfg, &analyst, &oos, &c).await.unwrap();
        assert_eq!((d.source.as_str(), d.status.as_str(), d.batch.as_str()), ("oos", "open", "B2026017"));
        assert!(d.number.starts_with("PC-") && d.title.contains("含量测定"), "{d:?}");
        let bad = Oos { result: String::new(), ..oos.clone() };
        assert_eq!(rules(deviations::from_oos(&store, &cfg, &analyst, &bad, &c).await.unwrap_err())[0].0, "result");
        // Another company's QA does not see it.
        let err = deviations::get(&store, &other_qa, d.id, &c).await.unwrap_err();
        assert_eq!(err.code(), "not_found");

        // Only QA investigates; every bad field is named.
        let inv = Investigation {
            classification: "major".into(),
            classification_reason: "含量不合格，可能影响疗效".into(),
            cause_category: "method".into(),
            five_whys: vec!["供试品溶液浓度偏低".into(), "称量后定容体积错误".into(), "操作规程未写明定容步骤".into()],
            root_cause: "检验操作规程缺少定容步骤的说明".into(),
            impact: "仅涉及本批检验记录，复测合格则不影响产品".into(),
        };
        let err = deviations::investigate(&store, &cfg, &analyst, d.id, &inv, "", &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let wrong = Investigation {
            classification: "grave".into(),
            cause_category: "luck".into(),
            five_whys: vec![" ".into()],
            ..inv.clone()
        };
        let f = rules(deviations::investigate(&store, &cfg, &qa, d.id, &wrong, "", &c).await.unwrap_err());
        let fields: Vec<&str> = f.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(fields, vec!["classification", "cause_category", "five_whys"], "{f:?}");
        let d = deviations::investigate(&store, &cfg, &qa, d.id, &inv, "", &c).await.unwrap();
        assert_eq!((d.status.as_str(), d.five_whys.len()), ("investigated", 3));

        // A major deviation closes only with its CAPA.
        let err =
            deviations::approve(&store, &cfg, &id_cfg, &qa, d.id, fixtures::PASSWORD, None, &c).await.unwrap_err();
        assert_eq!(err.code(), "capa_missing");
        let new = NewCapa {
            org_id: w.company_a,
            deviation_id: Some(d.id),
            title: "修订含量测定操作规程".into(),
            actions: vec![action("修订 SOP-QC-012，写明定容步骤")],
        };
        let ca = capa::open(&store, &qa, &new, &c).await.unwrap();
        assert_eq!(deviations::get(&store, &qa, d.id, &c).await.unwrap().capa_id, Some(ca.id));

        // Closed only when its actions are done; the effectiveness check is then due.
        let err =
            capa::close(&store, &cfg, &id_cfg, &qa, ca.id, "措施已落实", fixtures::PASSWORD, &c).await.unwrap_err();
        assert_eq!(err.code(), "actions_open");
        capa::complete_action(&store, &analyst, ca.id, 0, "SOP-QC-012 第 3 版已生效", &c).await.unwrap();
        let ca = capa::close(&store, &cfg, &id_cfg, &qa, ca.id, "措施已落实", fixtures::PASSWORD, &c).await.unwrap();
        assert_eq!(ca.status, "closed");
        assert!(ca.effectiveness_due_on.is_some());

        // The failed effectiveness check reopens it; new actions, closed again, then effective.
        let ca = capa::check_effectiveness(
            &store,
            &id_cfg,
            &qa,
            ca.id,
            false,
            "复查三批仍有定容差错",
            fixtures::PASSWORD,
            &c,
        )
        .await
        .unwrap();
        assert_eq!((ca.status.as_str(), ca.reopened), ("reopened", 1));
        // The department's CAPA counts as one that came back; another company's QA counts none of it.
        let by = capa::by_department(&store, &qa, &c).await.unwrap();
        assert_eq!(by.iter().map(|(_, n, back)| (*n, *back)).collect::<Vec<_>>(), vec![(1, 1)], "{by:?}");
        assert!(capa::by_department(&store, &other_qa, &c).await.unwrap().is_empty());
        let ca =
            capa::add_actions(&store, &qa, ca.id, &[action("对检验员进行定容操作培训并考核")], "有效性检查未通过", &c)
                .await
                .unwrap();
        capa::complete_action(&store, &analyst, ca.id, 1, "培训记录 TR-2026-031，考核合格", &c).await.unwrap();
        capa::close(&store, &cfg, &id_cfg, &qa, ca.id, "追加措施已落实", fixtures::PASSWORD, &c).await.unwrap();
        let ca =
            capa::check_effectiveness(&store, &id_cfg, &qa, ca.id, true, "后续五批无同类偏差", fixtures::PASSWORD, &c)
                .await
                .unwrap();
        assert_eq!(ca.status, "effective");

        // QA approves the deviation under a signature; a wrong password is refused.
        let err =
            deviations::approve(&store, &cfg, &id_cfg, &qa, d.id, "not-the-password", None, &c).await.unwrap_err();
        assert_eq!(err.code(), "invalid_credentials");
        let d = deviations::approve(&store, &cfg, &id_cfg, &qa, d.id, fixtures::PASSWORD, None, &c).await.unwrap();
        assert_eq!((d.status.as_str(), d.approved_by.as_deref()), ("closed", Some("qa.head")));
        let err = deviations::extend(&store, &qa, d.id, "2031-01-01", "x", &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");

        // Everything is in the records' histories, signed where QA decided, and verifies.
        assert_eq!(
            actions_of(&store, "qa_deviation", d.id).await,
            vec!["report", "investigate", "link_capa", "approve"]
        );
        assert_eq!(
            actions_of(&store, "qa_capa", ca.id).await,
            vec!["open", "action_done", "close", "reopen", "add_actions", "action_done", "close", "effective"]
        );
        let signed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE entity IN ('qa_deviation', 'qa_capa')")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(signed, 5, "two closures, two checks, one approval");
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        assert!(deviations::drifts(&store).await.unwrap().is_empty());
        assert!(capa::drifts(&store).await.unwrap().is_empty());
        let (open, _) = deviations::list(&store, &qa, Some("closed"), 50, 0, &c).await.unwrap();
        assert_eq!(open.iter().map(|x| x.id).collect::<Vec<_>>(), vec![d.id]);

        // A row edited behind the write path is named.
        sqlx::query("UPDATE qa_capas SET status = 'open' WHERE id = $1")
            .bind(ca.id)
            .execute(store.pool())
            .await
            .unwrap();
        let drifts = capa::drifts(&store).await.unwrap();
        assert!(drifts.iter().any(|x| x.field == "status"), "{drifts:?}");
    })
    .await;
}

#[tokio::test]
async fn an_environment_excursion_and_a_black_box_alarm_open_deviations() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = QualityConfig::default();
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let qa = principal(&store, w.company_a, "qa.head", &["quality_head"]).await;
        let signal = deviations::Signal {
            org_id: w.company_a,
            source: "environment".into(),
            at: "B级区 灌装间".into(),
            parameter: "悬浮粒子 ≥0.5 µm".into(),
            reading: "3620 个/m³".into(),
            limit: "行动限 3520 个/m³".into(),
            occurred_at: "2026-11-30 09:15".into(),
            batch: "B2026017".into(),
            record_ref: "EM-2026-1130-07".into(),
            ..Default::default()
        };
        let d = deviations::from_signal(&store, &cfg, &qa, &signal, &c).await.unwrap();
        assert_eq!(
            (d.source.as_str(), d.source_ref.as_str(), d.location.as_str()),
            ("environment", "EM-2026-1130-07", "B级区 灌装间")
        );
        assert!(d.title.starts_with("环境监测超标") && d.description.contains("3620 个/m³"), "{d:?}");
        let alarm = deviations::Signal {
            source: "black_box".into(),
            at: "冻干机 LY-02".into(),
            parameter: "板层温度".into(),
            reading: "-28 ℃".into(),
            limit: "设定范围 -40～-35 ℃".into(),
            occurred_at: String::new(),
            ..signal.clone()
        };
        let d = deviations::from_signal(&store, &cfg, &qa, &alarm, &c).await.unwrap();
        assert_eq!(d.source, "black_box");
        // An unknown source and a missing reading are named; the analyst reports only in their org.
        let bad = deviations::Signal { source: "rumour".into(), reading: String::new(), ..signal.clone() };
        let fields: Vec<String> = rules(deviations::from_signal(&store, &cfg, &qa, &bad, &c).await.unwrap_err())
            .into_iter()
            .map(|r| r.0)
            .collect();
        assert_eq!(fields, vec!["source", "reading"]);
        let elsewhere = deviations::Signal { org_id: w.company_b, ..signal };
        assert_eq!(
            deviations::from_signal(&store, &cfg, &analyst, &elsewhere, &c).await.unwrap_err().code(),
            "forbidden"
        );
    })
    .await;
}
