//! The package model on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: an application's
//! sequences numbered 0000 upwards and never reused, leaves drafted from controlled documents'
//! effective revisions with every lifecycle rule checked before anything is written, sequences
//! built into folders that validate with no errors, the lifecycle view across new, replace and
//! append, and every row equal to its ledgered image.

#![allow(clippy::unwrap_used)]

use base64::Engine;
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig};
use yaolian_quality::documents::{self, NewDocument};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_submission::applications::{self, NewApplication, NewLeaf, NewSequence};
use yaolian_submission::{samples, validate};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

/// A controlled document with one effective revision: a small PDF.
async fn document(store: &Store, author: &Principal, approver: &Principal, org: i64, code: &str, title: &str) -> i64 {
    let c = ClientInfo::default();
    let pdf = samples::pdf(title, &[title], false);
    let new = NewDocument {
        org_id: org,
        code: code.into(),
        title: title.into(),
        review_months: 24,
        file: Upload {
            label: "文件".into(),
            name: format!("{code}.pdf"),
            content_type: "application/pdf".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(pdf),
        },
    };
    let d = documents::create(store, author, &new, &c).await.unwrap();
    documents::submit(store, author, d.id, &c).await.unwrap();
    let today = yaolian_core::Timestamp::now().china_date().to_string();
    documents::approve(store, &IdentityConfig::default(), approver, d.id, &today, fixtures::PASSWORD, &c)
        .await
        .unwrap();
    d.id
}

fn leaf(element: &str, title: &str, operation: &str, target: Option<&str>, document_id: Option<i64>) -> NewLeaf {
    NewLeaf {
        element: element.into(),
        title: title.into(),
        operation: operation.into(),
        target: target.map(str::to_string),
        document_id,
    }
}

/// A send of sequence `n` that is refused.
async fn refused_send(
    store: &Store,
    who: &Principal,
    (application, n): (i64, &str),
    dir: &std::path::Path,
    remote: Option<&yaolian_submission::transfers::Remote>,
    keys: Option<yaolian_submission::transfers::SenderKeys<'_>>,
) -> yaolian_submission::SubmissionError {
    let c = ClientInfo::default();
    applications::send_sequence(store, who, (application, n), (dir, remote, keys), &c).await.unwrap_err()
}

fn rules(e: yaolian_submission::SubmissionError) -> Vec<(String, String)> {
    match e {
        yaolian_submission::SubmissionError::Shared(yaolian_identity::IdentityError::Validation(v)) => {
            v.errors.into_iter().map(|f| (f.field, f.rule)).collect()
        }
        other => panic!("not a validation error: {other}"),
    }
}

#[tokio::test]
async fn an_application_from_draft_to_lifecycle() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let regist = principal(&store, w.company_a, "reg.zhang", &["company_master", "quality_head"]).await;
        let approver = principal(&store, w.company_a, "qa.li", &["quality_head"]).await;
        let outsider = principal(&store, w.company_b, "reg.b", &["company_master"]).await;
        let cover = document(&store, &regist, &approver, w.company_a, "REG-001", "说明函").await;
        let spec = document(&store, &regist, &approver, w.company_a, "QC-SPEC-01", "Specification").await;
        let spec2 = document(&store, &regist, &approver, w.company_a, "QC-SPEC-02", "Specification v2").await;
        let stab = document(&store, &regist, &approver, w.company_a, "STAB-01", "Stability 24 months").await;
        let draft = NewDocument {
            org_id: w.company_a,
            code: "DRAFT-1".into(),
            title: "草稿".into(),
            review_months: 24,
            file: Upload {
                label: "文件".into(),
                name: "d.pdf".into(),
                content_type: String::new(),
                content_base64: "YWJj".into(),
            },
        };
        let unapproved = documents::create(&store, &regist, &draft, &c).await.unwrap().id;

        let new = NewApplication {
            org_id: w.company_a,
            number: "x202612345".into(),
            application_type: "cnapt3".into(),
            product_type: "cnprt1".into(),
            product_number: "2026000123".into(),
            substance: "阿莫西林".into(),
            manufacturer: "康城制药".into(),
            product_name: "阿莫西林胶囊".into(),
            dosage_form: "胶囊剂".into(),
            indication: "敏感菌所致感染".into(),
            contact_name: "张工".into(),
            contact_phone: "0571-88886666".into(),
            contact_email: "zhang@example.com".into(),
        };
        // Field by field: a bad number, a code outside CDE's list.
        let bad = NewApplication { number: "X2026".into(), application_type: "cnapt9".into(), ..new.clone() };
        let got = rules(applications::create_application(&store, &regist, &bad, &c).await.unwrap_err());
        assert!(got.contains(&("number".into(), "envelope".into())), "{got:?}");
        assert!(got.contains(&("application_type".into(), "envelope".into())), "{got:?}");
        // Another company cannot open an application for this one.
        let err = applications::create_application(&store, &outsider, &new, &c).await.unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let app = applications::create_application(&store, &regist, &new, &c).await.unwrap();
        let dup = rules(applications::create_application(&store, &regist, &new, &c).await.unwrap_err());
        assert_eq!(dup, vec![("number".to_string(), "unique".to_string())]);

        // 0000: everything new. A replace there, an unapproved document, a node that takes no
        // leaves and an English Module 1 title are each refused, and nothing is written.
        let wrong = NewSequence {
            sequence_type: "cnsqt1".into(),
            regulatory_activity: "cnrat1".into(),
            related_sequence: None,
            description: "首次申报".into(),
            leaves: vec![
                leaf("cn-1-0", "Cover letter", "new", None, Some(cover)),
                leaf("m3-2-s-4-1-specification", "Specification", "replace", Some("l0000-0001"), Some(spec)),
                leaf("m3", "Quality", "new", None, Some(spec)),
                leaf("m3-2-p-8-3-stability-data", "Stability", "new", None, Some(unapproved)),
            ],
        };
        let got = rules(applications::create_sequence(&store, &regist, app.id, &wrong, &c).await.unwrap_err());
        for expected in [
            ("leaves[0].title", "chinese"),
            ("leaves[1].operation", "first_sequence_new"),
            ("leaves[2].element", "ctd_node"),
            ("leaves[3].document_id", "quality_state"),
        ] {
            assert!(got.contains(&(expected.0.to_string(), expected.1.to_string())), "{expected:?} in {got:?}");
        }
        let view = applications::get_application(&store, &regist, app.id, &c).await.unwrap();
        assert_eq!((view.application.sequences, view.sequences.len()), (0, 0));

        let first = NewSequence {
            leaves: vec![
                leaf("cn-1-0", "说明函", "new", None, Some(cover)),
                leaf("m3-2-s-4-1-specification", "Specification", "new", None, Some(spec)),
                leaf("m3-2-p-8-3-stability-data", "Stability data", "new", None, Some(stab)),
            ],
            ..wrong.clone()
        };
        let s0 = applications::create_sequence(&store, &regist, app.id, &first, &c).await.unwrap();
        assert_eq!((s0.number.as_str(), s0.related_sequence.as_str(), s0.status.as_str()), ("0000", "0000", "draft"));
        let keys: Vec<&str> = s0.leaves.iter().map(|l| l.leaf_key.as_str()).collect();
        assert_eq!(keys, vec!["l0000-0001", "l0000-0002", "l0000-0003"]);

        // 0001 (a response): replace the specification; refusals first — a target in another
        // node, a delete with a file.
        let response = |leaves| NewSequence {
            sequence_type: "cnsqt2".into(),
            regulatory_activity: "cnrat1".into(),
            related_sequence: None,
            description: "发补回复".into(),
            leaves,
        };
        let got = rules(
            applications::create_sequence(
                &store,
                &regist,
                app.id,
                &response(vec![
                    leaf("m3-2-p-8-3-stability-data", "Specification v2", "replace", Some("l0000-0002"), Some(spec2)),
                    leaf("m3-2-p-8-3-stability-data", "Stability", "delete", Some("l0000-0003"), Some(stab)),
                ]),
                &c,
            )
            .await
            .unwrap_err(),
        );
        assert!(got.contains(&("leaves[0].target".into(), "same_node".into())), "{got:?}");
        assert!(got.contains(&("leaves[1].document_id".into(), "none_for_delete".into())), "{got:?}");
        let s1 = applications::create_sequence(
            &store,
            &regist,
            app.id,
            &response(vec![
                leaf("cn-1-0", "说明函（回复）", "new", None, Some(cover)),
                leaf("m3-2-s-4-1-specification", "Specification v2", "replace", Some("l0000-0002"), Some(spec2)),
            ]),
            &c,
        )
        .await
        .unwrap();
        assert_eq!((s1.number.as_str(), s1.related_sequence.as_str()), ("0001", "0000"));
        // 0002: append stability data; replacing the specification of 0000 again is refused.
        let got = rules(
            applications::create_sequence(
                &store,
                &regist,
                app.id,
                &response(vec![leaf(
                    "m3-2-s-4-1-specification",
                    "Spec v3",
                    "replace",
                    Some("l0000-0002"),
                    Some(spec2),
                )]),
                &c,
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(got, vec![("leaves[0].target".to_string(), "current".to_string())]);
        // One sequence does not both append to a leaf and replace it.
        let got = rules(
            applications::create_sequence(
                &store,
                &regist,
                app.id,
                &response(vec![
                    leaf("m3-2-p-8-3-stability-data", "Stability more", "append", Some("l0000-0003"), Some(stab)),
                    leaf("m3-2-p-8-3-stability-data", "Stability new", "replace", Some("l0000-0003"), Some(stab)),
                ]),
                &c,
            )
            .await
            .unwrap_err(),
        );
        assert_eq!(got, vec![("leaves[1].target".to_string(), "append_or_replace".to_string())]);
        let s2 = applications::create_sequence(
            &store,
            &regist,
            app.id,
            &response(vec![leaf(
                "m3-2-p-8-3-stability-data",
                "Stability data 24 months",
                "append",
                Some("l0000-0003"),
                Some(stab),
            )]),
            &c,
        )
        .await
        .unwrap();
        assert_eq!(s2.number, "0002");

        // Built in order, each validating with no errors; 0002 before 0001 is refused.
        let dir = tempfile::tempdir().unwrap();
        let err = applications::build_sequence(&store, &regist, (app.id, "0002"), dir.path(), &c).await.unwrap_err();
        assert!(err.to_string().contains("build sequence 0000 first"), "{err}");
        for n in ["0000", "0001", "0002"] {
            let s = applications::build_sequence(&store, &regist, (app.id, n), dir.path(), &c).await.unwrap();
            assert_eq!((s.status.as_str(), s.errors, s.warnings), ("built", Some(0), Some(0)), "{n}");
            assert!(s
                .leaves
                .iter()
                .filter(|l| l.operation != "delete")
                .all(|l| !l.md5.is_empty() && !l.path.is_empty()));
        }
        let folder = applications::application_folder(dir.path(), w.company_a, "x202612345");
        let report = validate::validate(&folder, &yaolian_submission::rules::RuleSet::shipped()).unwrap();
        assert_eq!((report.errors, report.sequences.len()), (0, 3), "{:?}", report.findings);
        let err = applications::build_sequence(&store, &regist, (app.id, "0001"), dir.path(), &c).await.unwrap_err();
        assert_eq!(err.code(), "transfer_state");

        // Sending: in order, from a site with a receiver, and only the folder as built. Each
        // refusal comes before anything goes on the wire.
        let send = |n: &'static str, remote, keys| refused_send(&store, &regist, (app.id, n), dir.path(), remote, keys);
        let err = send("0001", None, None).await;
        assert!(err.to_string().contains("send sequence 0000 first"), "{err}");
        assert_eq!(send("0000", None, None).await.code(), "no_receiver");
        let remote = yaolian_submission::transfers::Remote {
            base_url: "http://127.0.0.1:9".into(),
            token: "t".into(),
            pinned_key: None,
        };
        let (signer, sealing) = (yaolian_ledger::sign::KeyPair::generate(), yaolian_ledger::sign::Sealing([1; 16]));
        assert_eq!(send("0000", Some(&remote), None).await.code(), "no_signing_key");
        let index = folder.join("0000/index.xml");
        let mut bytes = std::fs::read(&index).unwrap();
        bytes.push(b'\n');
        std::fs::write(&index, bytes).unwrap();
        let keys = yaolian_submission::transfers::SenderKeys { signer: &signer, sealing: &sealing };
        let got = rules(send("0000", Some(&remote), Some(keys)).await);
        assert_eq!(got, vec![("sequence".to_string(), "unchanged".to_string())]);

        // The lifecycle: the specification replaced, the stability data current and appended to.
        let life = applications::lifecycle(&store, &regist, app.id, &c).await.unwrap();
        let node = |e: &str| life.iter().find(|n| n.element == e).unwrap();
        let spec_node = node("m3-2-s-4-1-specification");
        let states: Vec<(&str, &str)> =
            spec_node.history.iter().map(|h| (h.sequence.as_str(), h.state.as_str())).collect();
        assert_eq!(states, vec![("0000", "replaced"), ("0001", "current")]);
        assert_eq!(spec_node.section, "3.2.S.4.1");
        let stab_node = node("m3-2-p-8-3-stability-data");
        assert_eq!(stab_node.current, 2);
        assert_eq!(node("cn-1-0").current, 2);

        // Outside the company the application is not found; rows equal their ledgered images.
        assert_eq!(applications::get_application(&store, &outsider, app.id, &c).await.unwrap_err().code(), "not_found");
        let (list, total) =
            applications::list_applications(&store, &regist, Some("阿莫西林"), (50, 0), &c).await.unwrap();
        assert_eq!((list.len(), total), (1, 1));
        assert_eq!(applications::drifts(&store).await.unwrap(), vec![]);
        let history = yaolian_store::versions::history(store.pool(), applications::SEQUENCE_ENTITY, &s0.id.to_string())
            .await
            .unwrap();
        assert_eq!(history.iter().map(|v| v.action.as_str()).collect::<Vec<_>>(), vec!["draft", "build"]);
    })
    .await;
}
