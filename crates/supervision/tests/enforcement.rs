//! Complaints and enforcement cases on SQLite and PostgreSQL (issue 20 acceptance: "an
//! enforcement decision document verifies offline with the bureau's public key and fails after one
//! byte changes; its deadline clock pauses where the law pauses it (e.g. 听证)"): a real-name
//! report is registered, accepted and turned into a case; the head files it with two handlers;
//! evidence is locked at upload and a changed file is found; a handler cannot review his own case;
//! the notice and the decision are sealed with the key that seals the bureau's licenses; the
//! hearing pauses the decision's clock; the decision verifies offline and fails once a byte
//! changes; the penalty reaches the company's timeline and its risk and credit; every row equals
//! its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use common::user;
use sqlx::Row;
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityConfig, IdentityError};
use yaolian_license::licenses::Sealing;
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_supervision::complaints::{self, NewComplaint, Triage};
use yaolian_supervision::documents::{Penalty, SignedDocument};
use yaolian_supervision::enforcement::{self, Dated, Decision, Ending, Filing, Investigation, NewPause, Review};
use yaolian_supervision::{scores, SupervisionError};

fn field_of(e: SupervisionError) -> String {
    match e {
        SupervisionError::Shared(IdentityError::Validation(v)) => v.errors[0].field.clone(),
        other => panic!("{other:?}"),
    }
}

fn dated(version: i64, text: &str) -> Dated {
    Dated { on: String::new(), text: text.into(), method: String::new(), paid_fen: 0, version }
}

#[tokio::test]
async fn a_report_becomes_a_case_whose_sealed_decision_verifies_offline() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let pw = fixtures::PASSWORD;
        let sealing = Sealing([7; 16]);
        let clerk = user(&store, w.province, "zj.clerk", "inspector").await;
        let handler = user(&store, w.province, "zj.inspector", "inspector").await;
        let second = user(&store, w.province, "zj.inspector2", "inspector").await;
        let reviewer = user(&store, w.province, "zj.legal", "inspector").await;
        let head = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        scores::recompute(&store, &head, None, "", &c).await.unwrap();

        // A real-name report about company A.
        let report = NewComplaint {
            kind: "report".into(),
            channel: "hotline".into(),
            company_id: Some(w.company_a),
            subject: "销售过期药品".into(),
            content: "举报人称在甲公司购得已过有效期的头孢克肟胶囊。".into(),
            reporter: "王某".into(),
            contact: "13800000000".into(),
            real_name: true,
            received_on: String::new(),
        };
        let bad = NewComplaint { real_name: true, reporter: String::new(), ..report.clone() };
        assert_eq!(field_of(complaints::register(&store, &clerk, &bad, &c).await.unwrap_err()), "reporter");
        let bad = NewComplaint { channel: "pigeon".into(), ..report.clone() };
        assert_eq!(field_of(complaints::register(&store, &clerk, &bad, &c).await.unwrap_err()), "channel");
        assert_eq!(complaints::register(&store, &company, &report, &c).await.unwrap_err().code(), "forbidden");
        let t = complaints::register(&store, &clerk, &report, &c).await.unwrap();
        assert!(t.number.starts_with("TS-"));
        // The ledger keeps the reporter's SM3, not the name.
        let v = yaolian_store::versions::latest(store.pool(), complaints::ENTITY, &t.id.to_string())
            .await
            .unwrap()
            .unwrap();
        assert!(v.data.get("reporter").is_none() && v.data["reporter_sm3"].as_str().unwrap().len() == 64);
        let err = complaints::to_enforcement(&store, &clerk, t.id, t.version, &c).await.unwrap_err();
        assert_eq!(err.code(), "case_state");
        let t = complaints::triage(
            &store,
            &clerk,
            t.id,
            &Triage { accept: true, note: "线索具体，予以核查".into(), version: t.version },
            &c,
        )
        .await
        .unwrap();
        let (t, e) = complaints::to_enforcement(&store, &clerk, t.id, t.version, &c).await.unwrap();
        assert_eq!((t.status.as_str(), t.enforcement_id), ("converted", Some(e.id)));
        assert_eq!(
            (e.status.as_str(), e.source.as_str(), e.clue_on.as_str()),
            ("clue", "complaint", t.received_on.as_str())
        );
        assert_eq!(e.due_limit, "verify");
        assert_eq!(complaints::list(&store, &head, &Default::default(), (50, 0), &c).await.unwrap().1, 1);

        // Filing: the head only, at least two handlers of the bureau.
        let one = Filing { handlers: vec!["zj.inspector".into()], version: e.version };
        let err = enforcement::file(&store, &id_cfg, &head, e.id, &one, (pw, None), &c).await.unwrap_err();
        assert_eq!(field_of(err), "handlers");
        let two = Filing { handlers: vec!["zj.inspector".into(), "zj.inspector2".into()], version: e.version };
        let err = enforcement::file(&store, &id_cfg, &handler, e.id, &two, (pw, None), &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let e = enforcement::file(&store, &id_cfg, &head, e.id, &two, (pw, None), &c).await.unwrap();
        assert_eq!((e.status.as_str(), e.due_limit.as_str()), ("filed", "decide"));
        // The company does not read the case.
        assert_eq!(enforcement::get(&store, &company, e.id, &c).await.unwrap_err().code(), "not_found");

        // Evidence locked at upload; a file changed afterwards is found.
        let photo = Upload {
            label: "现场照片".into(),
            name: "photo.jpg".into(),
            content_type: "image/jpeg".into(),
            content_base64: "/9j/4AAQSkZJRgABAQ==".into(),
        };
        let err = enforcement::add_evidence(&store, &reviewer, e.id, std::slice::from_ref(&photo), e.version, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let e = enforcement::add_evidence(&store, &handler, e.id, &[photo], e.version, &c).await.unwrap();
        assert_eq!(e.evidence.len(), 1);
        let checks = enforcement::evidence_check(&store, &head, e.id, &c).await.unwrap();
        assert!(checks.iter().all(|k| k.intact));

        // The report, reviewed by someone who is not a handler.
        let fine = Penalty { kind: "fine".into(), amount_fen: 5_000_000, note: String::new() };
        let mut r = Investigation {
            facts: "经查，当事人销售超过有效期的头孢克肟胶囊 20 盒，货值 600 元。".into(),
            legal_basis: "《中华人民共和国药品管理法》第九十八条第三款第（五）项".into(),
            penalty_basis: "《中华人民共和国药品管理法》第一百一十七条第一款".into(),
            penalties: vec![Penalty { kind: "fine".into(), amount_fen: 0, note: String::new() }],
            hearing_right: true,
            version: e.version,
        };
        let err = enforcement::submit_report(&store, &handler, e.id, &r, &c).await.unwrap_err();
        assert_eq!(field_of(err), "penalties[0].amount_fen");
        r.penalties = vec![Penalty { kind: "warning".into(), amount_fen: 0, note: String::new() }, fine];
        let e = enforcement::submit_report(&store, &handler, e.id, &r, &c).await.unwrap();
        assert_eq!((e.status.as_str(), e.fine_fen), ("review", 5_000_000));
        let ok =
            Review {
                passed: true, opinion: "事实清楚，证据确凿，适用依据正确，程序合法。".into(), version: e.version
            };
        let err = enforcement::review(&store, &id_cfg, &second, e.id, &ok, (pw, None), &c).await.unwrap_err();
        assert_eq!(err.code(), "same_person");
        let e = enforcement::review(&store, &id_cfg, &reviewer, e.id, &ok, (pw, None), &c).await.unwrap();
        assert_eq!(e.status, "reviewed");

        // The notice, sealed; deciding within the party's statement period with nothing on file is refused.
        let e = enforcement::notify(&store, &id_cfg, &sealing, &head, e.id, &dated(e.version, ""), (pw, None), &c)
            .await
            .unwrap();
        assert_eq!((e.status.as_str(), e.documents.len()), ("notified", 1));
        let decision = Decision { outcome: "penalty".into(), consideration: String::new(), version: e.version };
        let err =
            enforcement::decide(&store, &id_cfg, &sealing, &head, e.id, &decision, (pw, None), &c).await.unwrap_err();
        assert_eq!(field_of(err), "statement");

        // The hearing pauses the decision's clock until its report; a testing pause is a handler's.
        let e = enforcement::request_hearing(&store, &handler, e.id, &dated(e.version, "书面申请"), &c).await.unwrap();
        assert_eq!((e.status.as_str(), e.due_limit.as_str(), e.paused), ("hearing", "decide", true));
        let (paused, _) = enforcement::list(
            &store,
            &head,
            &enforcement::Filter { status: "paused".into(), q: String::new() },
            (50, 0),
            &c,
        )
        .await
        .unwrap();
        assert_eq!(paused.len(), 1);
        let bad = NewPause { kind: "testing".into(), from: String::new(), note: "x".into(), version: e.version };
        assert_eq!(enforcement::pause(&store, &handler, e.id, &bad, &c).await.unwrap_err().code(), "case_state");
        let e = enforcement::hearing_report(
            &store,
            &handler,
            e.id,
            &dated(e.version, "听证会由当事人到场陈述，未提出新的事实。"),
            &c,
        )
        .await
        .unwrap();
        assert_eq!((e.status.as_str(), e.paused), ("notified", false));
        assert!(e.pauses.iter().all(|p| !p.to.is_empty()));
        // A hearing pauses by its request only; a testing pause is a handler's and ends on a day.
        let bad = NewPause { kind: "hearing".into(), from: String::new(), note: "x".into(), version: e.version };
        assert_eq!(field_of(enforcement::pause(&store, &handler, e.id, &bad, &c).await.unwrap_err()), "kind");
        let testing =
            NewPause { kind: "testing".into(), from: String::new(), note: "样品送检".into(), version: e.version };
        let e = enforcement::pause(&store, &handler, e.id, &testing, &c).await.unwrap();
        assert!(e.paused);
        let running = e.pauses.iter().find(|p| p.to.is_empty()).unwrap().id;
        let e = enforcement::resume(&store, &handler, e.id, running, &dated(e.version, ""), &c).await.unwrap();
        assert!(!e.paused && e.pauses.len() == 2);

        // The decision, sealed with the very key that seals the bureau's licenses.
        let decision = Decision { version: e.version, ..decision };
        let err = enforcement::decide(&store, &id_cfg, &sealing, &handler, e.id, &decision, (pw, None), &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let e = enforcement::decide(&store, &id_cfg, &sealing, &head, e.id, &decision, (pw, None), &c).await.unwrap();
        assert_eq!(e.status, "decided");
        let number = e.decision_number.clone().unwrap();
        assert!(number.starts_with("浙药监罚〔") && number.ends_with("1号"), "{number}");
        let doc = e.document("decision").unwrap().clone();
        let bureau_key: String = sqlx::query("SELECT key_id FROM authority_keys WHERE org_id = $1 AND active = 1")
            .bind(w.province)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(doc.key_id, bureau_key);
        let signed = enforcement::export_document(&store, &head, doc.id, &c).await.unwrap();
        let pem = yaolian_license::licenses::authority_public_key(&store, &doc.key_id).await.unwrap();
        let file = signed.to_file();
        let checked = SignedDocument::verify_file(&file, &pem).unwrap();
        assert_eq!(checked.document.number, number);
        assert!(checked.document.sections.iter().any(|s| s.text.contains("罚款50000.00元")));
        let mut changed = file.clone();
        let at = file.windows(5).position(|w| w == b"50000").unwrap();
        changed[at] = b'6';
        assert!(SignedDocument::verify_file(&changed, &pem).is_err());
        let public = enforcement::verify_public(&store, &doc.verify_code).await.unwrap();
        assert!(public.signature_valid);
        assert_eq!(public.number, number);
        assert_eq!(
            enforcement::verify_public(&store, "0123456789abcdef01234567").await.unwrap_err().code(),
            "not_found"
        );
        assert_eq!(enforcement::export_document(&store, &company, doc.id, &c).await.unwrap_err().code(), "not_found");

        // Served, paid, closed.
        let mut served = dated(e.version, "当事人法定代表人签收");
        served.method = "direct".into();
        let e = enforcement::serve(&store, &handler, e.id, &served, &c).await.unwrap();
        let mut paid = dated(e.version, "当事人已缴纳罚款");
        paid.paid_fen = 100;
        assert_eq!(field_of(enforcement::execute(&store, &handler, e.id, &paid, &c).await.unwrap_err()), "paid_fen");
        paid.paid_fen = 5_000_000;
        let e = enforcement::execute(&store, &handler, e.id, &paid, &c).await.unwrap();
        let done = Ending { reason: "处罚决定已执行完毕".into(), version: e.version };
        let e = enforcement::close(&store, &id_cfg, &head, e.id, &done, (pw, None), &c).await.unwrap();
        assert_eq!((e.status.as_str(), e.due_on.as_deref()), ("closed", None));
        let signed_by: Vec<String> =
            enforcement::signatures(&store, e.id).await.unwrap().into_iter().map(|s| s.meaning).collect();
        for m in ["approve", "review", "decide"] {
            assert!(signed_by.iter().any(|s| s == m), "{m} missing from {signed_by:?}");
        }

        // The penalty reaches the 一企一档 timeline and the company's score, naming the decision.
        let kinds: Vec<String> =
            sqlx::query("SELECT kind FROM dossier_events WHERE org_id = $1 AND module = 'supervision'")
                .bind(w.company_a)
                .fetch_all(store.pool())
                .await
                .unwrap()
                .iter()
                .map(|r| r.try_get(0).unwrap())
                .collect();
        assert!(kinds.iter().any(|k| k == "penalty_decided"), "{kinds:?}");
        let portrait = scores::portrait(&store, &head, w.company_a, &c).await.unwrap();
        let factor = portrait.company.score.factors.iter().find(|f| f.code == "penalties").unwrap();
        assert_eq!((factor.count, factor.weight), (1, 20));
        assert!(factor.sources[0].label.contains(&number), "{factor:?}");
        assert_eq!(factor.sources[0].link, format!("/supervision/enforcements/{}", e.id));
        let credit = portrait.company.score.factors.iter().find(|f| f.code == "credit:penalties").unwrap();
        assert_eq!(credit.points, 10);
        assert!(portrait.history.last().unwrap().reason.contains(&number));

        // The rows equal their ledgered images; then a changed evidence file is found.
        assert!(enforcement::drifts(&store).await.unwrap().is_empty());
        assert!(complaints::drifts(&store).await.unwrap().is_empty());
        sqlx::query("UPDATE sup_enforcement_evidence SET content = $1 WHERE enforcement_id = $2")
            .bind(b"edited".to_vec())
            .bind(e.id)
            .execute(store.pool())
            .await
            .unwrap();
        let checks = enforcement::evidence_check(&store, &head, e.id, &c).await.unwrap();
        assert!(checks.iter().all(|k| !k.intact));
        // A tampered stored decision no longer verifies publicly.
        sqlx::query("UPDATE sup_enforcement_documents SET document = REPLACE(document, '50000', '5000') WHERE id = $1")
            .bind(doc.id)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(!enforcement::verify_public(&store, &doc.verify_code).await.unwrap().signature_valid);
    })
    .await;
}

#[tokio::test]
async fn a_clue_not_filed_ends_with_the_heads_signature() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let head = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let clue = enforcement::NewClue {
            company_id: w.company_b,
            title: "来源不明的线索".into(),
            facts: String::new(),
            clue_on: "2999-01-01".into(),
        };
        assert_eq!(field_of(enforcement::open(&store, &head, &clue, &c).await.unwrap_err()), "clue_on");
        let clue = enforcement::NewClue { clue_on: String::new(), ..clue };
        let e = enforcement::open(&store, &head, &clue, &c).await.unwrap();
        let x = Ending { reason: "经核查，违法事实不成立".into(), version: e.version };
        let err = enforcement::end(&store, &IdentityConfig::default(), &head, e.id, &x, ("wrong", None), &c)
            .await
            .unwrap_err();
        assert_ne!(err.code(), "ok");
        let e = enforcement::end(&store, &IdentityConfig::default(), &head, e.id, &x, (fixtures::PASSWORD, None), &c)
            .await
            .unwrap();
        assert_eq!(e.status, "not_filed");
        let stats = enforcement::statistics(&store, &head, &c).await.unwrap();
        assert_eq!(stats.open, 0);
        assert!(stats.by_status.iter().any(|(s, n)| s == "not_filed" && *n == 1));
        assert!(enforcement::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}
