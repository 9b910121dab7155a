//! Adverse reaction reports and signal detection on SQLite and PostgreSQL: reports are checked
//! field by field, a repeated case is kept as a duplicate and not counted, the counts the write
//! path keeps equal a count over the reports, an import refuses a bad row by its row number, a
//! planted drug × event pair is found and the clean pairs are not, a run that changes nothing
//! versions nothing, and a signal is refuted or raised as a case in supervision's closed loop;
//! every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityError};
use yaolian_registry::products::NewProduct;
use yaolian_signals::adr::{self, Counts, Filter, NewDrug, NewEvent, NewReport};
use yaolian_signals::detection::{self, Decision, Raise};
use yaolian_signals::SignalError;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;

async fn user(store: &Store, org: i64, name: &str, role: &str) -> Principal {
    let sys = yaolian_access::run_as_system::principal();
    let id = fixtures::user(store, &sys, org, name, false, &[role]).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

async fn product(store: &Store, mah: i64, number: &str, generic: &str) -> i64 {
    let sys = yaolian_access::run_as_system::principal();
    let p = NewProduct {
        approval_number: number.into(),
        generic_name: generic.into(),
        dosage_form: "注射剂".into(),
        strength: "1.0g".into(),
        mah_org_id: mah,
        ..NewProduct::default()
    };
    yaolian_registry::products::create(store, &sys, &p, &ClientInfo::default()).await.unwrap().id
}

fn rules(e: SignalError) -> Vec<(String, String)> {
    match e {
        SignalError::Shared(IdentityError::Validation(v)) => v.errors.into_iter().map(|e| (e.field, e.rule)).collect(),
        other => panic!("not a validation error: {other:?}"),
    }
}

/// A report of one suspected drug (by name, or by approval number) and one event.
fn report(i: usize, drug: &str, approval: &str, term: &str) -> NewReport {
    NewReport {
        reporter_kind: "medical".into(),
        sex: if i.is_multiple_of(2) { "male" } else { "female" }.into(),
        age: Some(18 + (i % 70) as i64),
        onset_on: format!("2026-0{}-{:02}", 1 + i % 9, 1 + i % 28),
        outcome: "improved".into(),
        serious: term == "E0501",
        drugs: vec![NewDrug {
            generic: if approval.is_empty() { drug.into() } else { String::new() },
            approval_number: approval.into(),
            ..NewDrug::default()
        }],
        events: vec![NewEvent { term: term.into(), verbatim: String::new() }],
        ..NewReport::default()
    }
}

const BACKGROUND: [&str; 6] = ["阿莫西林", "布洛芬", "二甲双胍", "氨氯地平", "奥美拉唑", "阿托伐他汀"];
const COMMON: [&str; 8] = ["E0101", "E0201", "E0202", "E0203", "E0301", "E0302", "E0403", "E0102"];
const PLANTED: &str = "注射用头孢曲松钠";

/// Every drug (the planted one too) five times with each common event; the planted drug eight
/// times with anaphylactic shock (E0501), which two other reports name with another drug.
fn seed() -> Vec<NewReport> {
    let mut out = Vec::new();
    let mut i = 0;
    for drug in BACKGROUND.iter().chain([&PLANTED]) {
        for term in COMMON {
            for _ in 0..5 {
                let approval = if *drug == PLANTED { "国药准字H20260001" } else { "" };
                out.push(report(i, drug, approval, term));
                i += 1;
            }
        }
    }
    for _ in 0..8 {
        out.push(report(i, PLANTED, "国药准字H20260001", "E0501"));
        i += 1;
    }
    for drug in ["布洛芬", "阿莫西林"] {
        out.push(report(i, drug, "", "E0501"));
        i += 1;
    }
    out
}

#[tokio::test]
async fn reports_are_counted_once_and_the_planted_signal_is_found_and_raised() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        product(&store, w.company_a, "国药准字H20260001", PLANTED).await;
        let hospital = user(&store, w.company_b, "b.master", "company_master").await;
        let holder = user(&store, w.company_a, "a.qa", "quality_head").await;
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let reviewer = user(&store, w.province, "zj.reviewer", "reviewer").await;

        // A bad report: every broken rule named.
        let mut bad = report(0, "", "国药准字H29990009", "不存在的反应");
        bad.age = Some(200);
        bad.onset_on = "2026-13-01".into();
        bad.sex = "x".into();
        let mut got = rules(adr::submit(&store, &hospital, &bad, "form", &c).await.unwrap_err());
        got.sort();
        assert_eq!(
            got,
            [
                ("age", "range:0..150"),
                ("drugs[0].approval_number", "exists"),
                ("events[0].term", "term"),
                ("onset_on", "date"),
                ("sex", "one_of:male,female,unknown"),
            ]
            .map(|(f, r)| (f.to_string(), r.to_string()))
        );
        let mut future = report(0, "布洛芬", "", "E0101");
        future.onset_on = "2999-01-01".into();
        future.drugs[0].role = "concomitant".into();
        future.sex = String::new();
        let mut got = rules(adr::submit(&store, &hospital, &future, "form", &c).await.unwrap_err());
        got.sort();
        assert_eq!(
            got,
            [("drugs", "suspected_required"), ("onset_on", "not_future"), ("sex", "required")]
                .map(|(f, r)| (f.to_string(), r.to_string()))
        );
        // A bureau's reviewer reads but does not report.
        assert_eq!(
            adr::submit(&store, &reviewer, &report(0, "布洛芬", "", "E0101"), "form", &c).await.unwrap_err().code(),
            "forbidden"
        );

        // The seed, in one batch; the approval number names the product and its holder.
        let reports = seed();
        let ids = adr::submit_many(&store, &hospital, &reports, "api", &c).await.unwrap();
        assert_eq!(ids.len(), reports.len());
        let first = adr::get(&store, &hospital, ids[280], &c).await.unwrap();
        assert!(first.number.starts_with("ADR-"), "{}", first.number);
        assert_eq!((first.drugs[0].generic.as_str(), first.drugs[0].holder_id), (PLANTED, Some(w.company_a)));
        assert_eq!(first.duplicate_of, None);

        // The holder reports the same case (same patient, day, drug and event): kept, marked, not
        // counted; the holder does not read the hospital's report.
        let before = adr::counts(&store, &inspector, &c).await.unwrap();
        let same = adr::submit(&store, &holder, &reports[280], "form", &c).await.unwrap();
        assert_eq!(same.duplicate_of, Some(first.id));
        assert_eq!(adr::counts(&store, &inspector, &c).await.unwrap(), before);
        assert_eq!(adr::get(&store, &holder, first.id, &c).await.unwrap_err().code(), "not_found");

        // The counts the write path keeps equal a count over the counted reports.
        let (all, total) = adr::list(&store, &inspector, &Filter::default(), (10_000, 0), &c).await.unwrap();
        assert_eq!(total as usize, reports.len() + 1);
        let counted: Vec<&adr::Report> = all.iter().filter(|r| r.duplicate_of.is_none()).collect();
        let recount = Counts::tally(counted.iter().map(|r| (r.suspected(), r.terms())));
        assert_eq!(before, recount);
        assert_eq!(before.total, reports.len() as u64);
        let (dups, _) =
            adr::list(&store, &inspector, &Filter { only: "duplicate".into(), ..Filter::default() }, (50, 0), &c)
                .await
                .unwrap();
        assert_eq!(dups.iter().map(|r| r.id).collect::<Vec<_>>(), [same.id]);

        // Detection: the company may not run it; the bureau finds the planted pair and nothing else.
        assert_eq!(detection::run(&store, &hospital, &c).await.unwrap_err().code(), "forbidden");
        let run = detection::run(&store, &inspector, &c).await.unwrap();
        assert_eq!((run.reports, run.new_signals), (reports.len() as i64, 1));
        let (signals, _) =
            detection::list(&store, &reviewer, &detection::Filter::default(), "recent", (50, 0), &c).await.unwrap();
        assert_eq!(signals.len(), 1, "{signals:?}");
        let s = &signals[0];
        assert_eq!((s.drug.as_str(), s.term.as_str(), s.n, s.status.as_str()), (PLANTED, "E0501", 8, "new"));
        let methods: Vec<String> = s.methods.split(',').map(String::from).collect();
        assert!(detection::is_signal(&methods), "{}", s.methods);
        assert!(s.prr.unwrap() >= 2.0 && s.chi2 >= 4.0 && s.ic025 > 0.0, "{s:?}");
        // Every clean pair measured stays below every threshold.
        let fit: Option<yaolian_signals::stats::ebgm::Prior> = serde_json::from_str(&run.prior).unwrap();
        for drug in BACKGROUND.iter().chain([&PLANTED]) {
            for term in COMMON {
                let m = detection::measure(&before, drug, term, fit.as_ref(), true).unwrap();
                assert!(m.methods.is_empty(), "{drug} × {term}: {:?}", m.methods);
            }
        }
        // The drill-down reads the pair's eight reports.
        let pair = Filter { drug: PLANTED.into(), term: "E0501".into(), ..Filter::default() };
        let (drill, n) = adr::list(&store, &reviewer, &pair, (50, 0), &c).await.unwrap();
        assert_eq!((drill.len(), n), (8, 8));

        // A second run changes no figure: no new signal, no new version.
        let again = detection::run(&store, &inspector, &c).await.unwrap();
        assert_eq!(again.new_signals, 0);
        let s2 = detection::get(&store, &reviewer, s.id, &c).await.unwrap();
        assert_eq!((s2.version, s2.run_id), (1, again.id));

        // Decisions: the reviewer reads but does not decide; a note is required.
        let watch = Decision { action: "watch".into(), note: "说明书已载明，继续观察".into() };
        assert_eq!(detection::decide(&store, &reviewer, s.id, &watch, &c).await.unwrap_err().code(), "forbidden");
        let err =
            detection::decide(&store, &inspector, s.id, &Decision { action: "maybe".into(), note: String::new() }, &c)
                .await
                .unwrap_err();
        assert_eq!(
            rules(err),
            [("action", "one_of:watch,refute"), ("note", "length:1..2000")]
                .map(|(f, r)| (f.to_string(), r.to_string()))
        );
        let watched = detection::decide(&store, &inspector, s.id, &watch, &c).await.unwrap();
        assert_eq!((watched.status.as_str(), watched.version), ("watch", 2));

        // Raised as a case about the holder its reports name; once.
        let raise = Raise { company_id: None, note: "过敏性休克报告集中，需持有人评估".into() };
        let raised = detection::raise_case(&store, &inspector, s.id, &raise, &c).await.unwrap();
        assert_eq!(raised.status, "case");
        let case = yaolian_supervision::cases::get(&store, &inspector, raised.case_id.unwrap(), &c).await.unwrap();
        assert_eq!(
            (case.source.as_str(), case.source_ref.clone(), case.company_id),
            ("signal", s.id.to_string(), w.company_a)
        );
        assert!(case.title.contains(PLANTED) && case.title.contains("过敏性休克"), "{}", case.title);
        assert_eq!(raised.case_number.as_deref(), Some(case.number.as_str()));
        let twice = detection::raise_case(&store, &inspector, s.id, &raise, &c).await.unwrap_err();
        assert_eq!(twice.code(), "case_state");

        // Every row equals its ledgered image.
        assert!(adr::drifts(&store).await.unwrap().is_empty());
        assert!(detection::drifts(&store).await.unwrap().is_empty());
        assert!(detection::run_drifts(&store).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_import_refuses_a_bad_row_by_its_number_and_writes_a_good_sheet_whole() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let hospital = user(&store, w.company_b, "b.master", "company_master").await;
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let header = "报告编号,报告单位类别,性别,年龄,不良反应发生日期,不良反应结果,怀疑药品通用名,不良反应名称,严重\n";
        let bad = format!(
            "{header}B-1,医疗机构,男,45,2026-03-01,好转,布洛芬,皮疹；瘙痒,否\nB-2,医疗机构,女,3x,2026-03-02,痊愈,布洛芬,恶心,否\n"
        );
        let got = rules(adr::import(&store, &hospital, bad.into_bytes(), &c).await.unwrap_err());
        assert_eq!(got, [("rows[3].age".to_string(), "integer".to_string())]);
        let bad = format!("{header}B-1,医疗机构,男,45,2026-03-01,好转,布洛芬,皮疹,否\nB-2,医疗机构,女,30,2026-02-30,痊愈,布洛芬,恶心,否\n");
        let got = rules(adr::import(&store, &hospital, bad.into_bytes(), &c).await.unwrap_err());
        assert_eq!(got, [("rows[3].onset_on".to_string(), "date".to_string())]);
        let got = rules(adr::import(&store, &hospital, "性别,年龄\n男,3\n".as_bytes().to_vec(), &c).await.unwrap_err());
        assert!(got.iter().all(|(f, r)| f == "file" && r == "column_required") && got.len() == 6, "{got:?}");
        assert_eq!(adr::counts(&store, &inspector, &c).await.unwrap().total, 0, "nothing written");

        // A good sheet: two events in a cell, a repeated case marked.
        let good = format!(
            "{header}B-1,医疗机构,男,45,2026-03-01,好转,布洛芬,皮疹；瘙痒,否\nB-2,医疗机构,女,30,2026-03-02,痊愈,布洛芬,恶心,是\nB-3,医疗机构,男,45,2026-03-01,好转,布洛芬,瘙痒；皮疹,否\n"
        );
        let done = adr::import(&store, &hospital, good.into_bytes(), &c).await.unwrap();
        assert_eq!((done.rows, done.created.len(), done.duplicates), (3, 3, 1));
        let r = adr::get(&store, &hospital, done.created[0], &c).await.unwrap();
        assert_eq!(r.terms(), BTreeSet::from(["E0101", "E0102"]));
        assert_eq!((r.channel.as_str(), r.external_ref.as_str()), ("import", "B-1"));
        let counts = adr::counts(&store, &inspector, &c).await.unwrap();
        assert_eq!((counts.total, counts.drugs.get("布洛芬").copied()), (2, Some(2)));
        // The reporter's own numbers are unique per organization.
        let again = format!("{header}B-2,医疗机构,女,31,2026-03-03,痊愈,布洛芬,恶心,否\n");
        let got = rules(adr::import(&store, &hospital, again.into_bytes(), &c).await.unwrap_err());
        assert_eq!(got, [("rows[2].external_ref".to_string(), "unique".to_string())]);
        assert!(adr::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}
