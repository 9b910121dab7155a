//! Sampling (抽检) on SQLite and PostgreSQL (issue 20 acceptance: "a failed sample result opens
//! a disposal linked to a recall in the trace module"): a plan picks the sterile products of the
//! province, a team of two takes a sample, it passes hand to hand to the tester with its seal
//! checked, the results are judged against the specification and compared with the other maker's
//! batch, and the report signed by someone else raises the disposal case and orders the recall of
//! the batch, whose holders are found in the trace data; every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use common::user;
use sqlx::Row;
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityConfig, IdentityError};
use yaolian_registry::products::NewProduct;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_supervision::sampling::{self, Filter, Handover, NewPlan, Results, Taken, TestItem};
use yaolian_supervision::{cases, scores, SupervisionError};
use yaolian_trace::sites::{self, Site};

fn field_of(e: SupervisionError) -> String {
    match e {
        SupervisionError::Shared(IdentityError::Validation(v)) => v.errors[0].field.clone(),
        other => panic!("{other:?}"),
    }
}

fn item(name: &str, low: &str, high: &str, value: &str) -> TestItem {
    TestItem {
        item: name.into(),
        unit: if low.is_empty() { String::new() } else { "%".into() },
        low: low.into(),
        high: high.into(),
        value: value.into(),
        verdict: "pass".into(),
    }
}

async fn product(store: &Store, mah: i64, number: &str) -> i64 {
    let sys = yaolian_access::run_as_system::principal();
    let p = NewProduct {
        approval_number: number.into(),
        generic_name: "注射用头孢曲松钠".into(),
        dosage_form: "注射剂".into(),
        strength: "1.0g".into(),
        mah_org_id: mah,
        ..NewProduct::default()
    };
    yaolian_registry::products::create(store, &sys, &p, &ClientInfo::default()).await.unwrap().id
}

/// `n` packs of the batch received at a wholesaler's warehouse of `holder_org`.
async fn packs_at(store: &Store, product: i64, batch: &str, holder_org: i64, n: i64) -> String {
    let site = Site {
        id: "urn:epc:id:sgln:6901234.00050.0".into(),
        name: "乙医药 仓库".into(),
        kind: "distributor".into(),
        org_id: Some(holder_org),
        province: "浙江".into(),
    };
    let keys = sites::upsert(store, &[site]).await.unwrap();
    let now = yaolian_core::Timestamp::now().0;
    for k in 0..n {
        sqlx::query(
            "INSERT INTO trace_codes (epc, level, product_id, batch, state, holder, first_time, last_time) \
             VALUES ($1, 'unit', $2, $3, 'received', $4, $5, $5)",
        )
        .bind(format!("urn:nmpa:code:8100099000000{k:04}"))
        .bind(product)
        .bind(batch)
        .bind(&keys[0])
        .bind(now)
        .execute(store.pool())
        .await
        .unwrap();
    }
    keys[0].clone()
}

#[tokio::test]
async fn a_failing_sample_raises_its_disposal_case_and_orders_the_recall() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let pw = fixtures::PASSWORD;
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let second = user(&store, w.province, "zj.inspector2", "inspector").await;
        let tester = user(&store, w.province, "zj.tester", "inspector").await;
        let leader = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        let ours = product(&store, w.company_a, "国药准字H20260001").await;
        let theirs = product(&store, w.company_b, "国药准字H20260002").await;
        scores::recompute(&store, &leader, None, "", &c).await.unwrap();

        // The plan: refusals name their field; a company may not plan.
        let plan = NewPlan {
            year: 2026,
            title: "2026 年无菌药品专项抽检".into(),
            basis: "浙江省药品抽检工作方案".into(),
            classes: vec!["sterile".into()],
            levels: vec![],
            quota: 10,
        };
        let bad = NewPlan { quota: 0, ..plan.clone() };
        assert_eq!(field_of(sampling::create_plan(&store, &inspector, &bad, &c).await.unwrap_err()), "quota");
        let bad = NewPlan { classes: vec!["nonsense".into()], ..plan.clone() };
        assert_eq!(field_of(sampling::create_plan(&store, &inspector, &bad, &c).await.unwrap_err()), "classes[0]");
        let bad = NewPlan { classes: vec!["vaccine".into()], ..plan.clone() };
        assert_eq!(field_of(sampling::create_plan(&store, &inspector, &bad, &c).await.unwrap_err()), "classes");
        assert_eq!(sampling::create_plan(&store, &company, &plan, &c).await.unwrap_err().code(), "forbidden");
        let made = sampling::create_plan(&store, &inspector, &plan, &c).await.unwrap();
        assert_eq!(made.counts[0], ("planned".to_string(), 2));
        assert_eq!(sampling::plans(&store, &leader, &c).await.unwrap().len(), 1);
        let (tasks, total) =
            sampling::samples_of(&store, &inspector, made.id, &Filter::default(), (50, 0), &c).await.unwrap();
        assert_eq!(total, 2);
        assert!(tasks.iter().all(|t| t.number.starts_with(&format!("CY-2026-{}-", made.id))));
        let filter = Filter { q: "乙医药".into(), ..Filter::default() };
        let (only_b, _) = sampling::samples_of(&store, &inspector, made.id, &filter, (50, 0), &c).await.unwrap();
        assert_eq!(only_b.len(), 1);
        assert_eq!(
            sampling::samples_of(&store, &company, made.id, &Filter::default(), (50, 0), &c).await.unwrap_err().code(),
            "not_found"
        );
        let task = |product: i64| tasks.iter().find(|t| t.product_id == product).unwrap().clone();

        // The other maker's batch passes: the history the failing one is compared with.
        let t = task(theirs);
        let team = vec!["zj.inspector".to_string(), "zj.inspector2".to_string()];
        let s = sampling::assign(&store, &inspector, t.id, &team, t.version, &c).await.unwrap();
        let taken = Taken {
            batch: "C2026101".into(),
            quantity: "20 瓶".into(),
            place: "乙医药有限公司 成品库".into(),
            seal: "ZJ-CY-0001".into(),
            version: s.version,
        };
        let s = sampling::take(&store, &second, s.id, &taken, &c).await.unwrap();
        let receipt = Handover { seal_intact: true, version: s.version, ..Handover::default() };
        let s = sampling::receive(&store, &tester, s.id, &receipt, &c).await.unwrap();
        let results = Results {
            items: vec![item("含量", "90.0", "110.0", "99.5"), item("性状", "", "", "符合规定")],
            conclusion: String::new(),
            version: s.version,
        };
        let s = sampling::record_results(&store, &tester, s.id, &results, &c).await.unwrap();
        assert_eq!(s.verdict, "pass");
        let s = sampling::sign_report(&store, &id_cfg, &leader, s.id, s.version, (pw, None), &c).await.unwrap();
        assert_eq!((s.status.as_str(), s.case_id, s.recall_id), ("passed", None, None));

        // Ours: a team of two, taken by a member of it.
        let t = task(ours);
        let alone = vec!["zj.inspector".to_string()];
        let e = sampling::assign(&store, &inspector, t.id, &alone, t.version, &c).await.unwrap_err();
        assert_eq!(field_of(e), "members");
        let s = sampling::assign(&store, &inspector, t.id, &team, t.version, &c).await.unwrap();
        assert_eq!((s.status.as_str(), s.team.len()), ("assigned", 2));
        let taken = Taken { batch: "A2026001".into(), seal: "ZJ-CY-0002".into(), version: s.version, ..taken };
        assert_eq!(sampling::take(&store, &tester, s.id, &taken, &c).await.unwrap_err().code(), "forbidden");
        let blank = Taken { batch: " ".into(), ..taken.clone() };
        assert_eq!(field_of(sampling::take(&store, &inspector, s.id, &blank, &c).await.unwrap_err()), "batch");
        let s = sampling::take(&store, &inspector, s.id, &taken, &c).await.unwrap();
        assert_eq!((s.status.as_str(), s.holder()), ("sampled", Some("zj.inspector")));
        let stale = sampling::take(&store, &inspector, s.id, &taken, &c).await.unwrap_err();
        assert_eq!(stale.code(), "case_state");

        // Chain of custody: only the holder hands it on; the tester receives it, seal checked.
        let to_tester =
            Handover {
                to: "zj.tester".into(), place: "省所收样室".into(), version: s.version, ..Handover::default()
            };
        assert_eq!(sampling::hand_over(&store, &second, s.id, &to_tester, &c).await.unwrap_err().code(), "forbidden");
        let to_nobody = Handover { to: "a.master".into(), ..to_tester.clone() };
        assert_eq!(field_of(sampling::hand_over(&store, &inspector, s.id, &to_nobody, &c).await.unwrap_err()), "to");
        let s = sampling::hand_over(&store, &inspector, s.id, &to_tester, &c).await.unwrap();
        assert_eq!(s.holder(), Some("zj.tester"));
        let broken = Handover { seal_intact: false, version: s.version, ..Handover::default() };
        assert_eq!(field_of(sampling::receive(&store, &tester, s.id, &broken, &c).await.unwrap_err()), "seal_intact");
        let receipt = Handover { seal_intact: true, version: s.version, ..Handover::default() };
        let s = sampling::receive(&store, &tester, s.id, &receipt, &c).await.unwrap();
        let actions: Vec<&str> = s.custody.iter().map(|k| k.action.as_str()).collect();
        assert_eq!(actions, ["sampled", "handover", "received"]);
        assert_eq!(s.status, "received");

        // Results judged against the specification; the assay fails.
        let nonsense = Results { items: vec![item("含量", "90.0", "110.0", "八十五")], ..results.clone() };
        let nonsense = Results { version: s.version, ..nonsense };
        assert_eq!(
            field_of(sampling::record_results(&store, &tester, s.id, &nonsense, &c).await.unwrap_err()),
            "items[0].value"
        );
        let results = Results {
            items: vec![item("含量", "90.0", "110.0", "85.2"), item("性状", "", "", "符合规定")],
            conclusion: "含量不符合规定".into(),
            version: s.version,
        };
        let s = sampling::record_results(&store, &tester, s.id, &results, &c).await.unwrap();
        assert_eq!(s.verdict, "fail");
        assert_eq!(s.results.iter().map(|i| i.verdict.as_str()).collect::<Vec<_>>(), ["fail", "pass"]);
        let compared = sampling::compare(&store, &s).await.unwrap();
        assert_eq!(compared.len(), 1, "the numeric item only");
        assert_eq!(compared[0].other_makers.samples, 1);
        assert_eq!(compared[0].other_makers.mean, Some(99.5));
        assert_eq!(compared[0].own_batches.samples, 0);
        assert!(compared[0].outside);

        // The tester does not sign their own report; the leader signs and the disposal follows.
        let own = sampling::sign_report(&store, &id_cfg, &tester, s.id, s.version, (pw, None), &c).await.unwrap_err();
        assert_eq!(own.code(), "same_person");
        let site = packs_at(&store, ours, "A2026001", w.company_b, 3).await;
        let s = sampling::sign_report(&store, &id_cfg, &leader, s.id, s.version, (pw, None), &c).await.unwrap();
        assert_eq!(s.status, "failed");
        let recall_id = s.recall_id.expect("the recall it ordered");
        let recall = yaolian_trace::recall::read(&store, &leader, recall_id, &c).await.unwrap();
        assert_eq!((recall.product_id, recall.batches.clone(), recall.level), (ours, vec!["A2026001".into()], 2));
        assert_eq!(recall.total, 3);
        assert_eq!((recall.holders[0].site.as_str(), recall.holders[0].initial), (site.as_str(), 3));
        assert!(recall.reason.contains(&s.number));
        let case = cases::get(&store, &leader, s.case_id.unwrap(), &c).await.unwrap();
        assert_eq!((case.source.as_str(), case.source_ref.clone()), ("sample", s.id.to_string()));
        assert_eq!((case.company_id, case.level.as_str(), case.status.as_str()), (w.company_a, "high", "open"));
        assert!(case.description.contains("含量"));
        assert_eq!(sampling::signatures(&store, s.id).await.unwrap().len(), 1);

        // The failing batch counts in the maker's score and credit, named, with the reason.
        let p = scores::portrait(&store, &leader, w.company_a, &c).await.unwrap();
        let failed = p.company.score.factors.iter().find(|f| f.code == "samples_failed").unwrap();
        assert_eq!((failed.count, failed.weight), (1, 15));
        assert_eq!(failed.sources[0].link, format!("/supervision/samples/{}", s.id));
        let credit = p.company.score.factors.iter().find(|f| f.code == "credit:samples_failed").unwrap();
        assert_eq!(credit.points, 5);
        assert!(p.history.last().unwrap().reason.contains(&s.number), "{}", p.history.last().unwrap().reason);
        let theirs_score = scores::portrait(&store, &leader, w.company_b, &c).await.unwrap();
        let none = theirs_score.company.score.factors.iter().find(|f| f.code == "samples_failed");
        assert!(none.is_none_or(|f| f.count == 0), "the passing maker loses nothing");

        // The maker's 一企一档 shows it; the holder has the recall's to-do.
        let events: i64 =
            sqlx::query("SELECT COUNT(*) FROM dossier_events WHERE org_id = $1 AND kind = 'sample_failed'")
                .bind(w.company_a)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
        assert_eq!(events, 1);
        let todos: i64 = sqlx::query("SELECT COUNT(*) FROM todos WHERE org_id = $1 AND link = $2")
            .bind(w.company_b)
            .bind(format!("/trace/recalls/{recall_id}"))
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
        assert_eq!(todos, 1);

        // Signed: no more results; every row equals its ledgered image.
        let again = Results { version: s.version, ..results };
        assert_eq!(sampling::record_results(&store, &tester, s.id, &again, &c).await.unwrap_err().code(), "case_state");
        assert!(sampling::drifts(&store).await.unwrap().is_empty());
        assert!(cases::drifts(&store).await.unwrap().is_empty());
        assert!(yaolian_trace::recall::drifts(&store).await.unwrap().is_empty());
        drop((company, second));
    })
    .await;
}
