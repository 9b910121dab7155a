//! Controlled documents on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL: a revision is
//! effective for a person only once their training is recorded; a superseded revision cannot be
//! selected for a new record; the author does not approve; each file keeps its SM3 checksum.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, fixtures, IdentityConfig};
use yaolian_quality::documents::{self, NewDocument};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, false, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn file(name: &str, base64: &str) -> Upload {
    Upload { label: "文件".into(), name: name.into(), content_type: String::new(), content_base64: base64.into() }
}

#[tokio::test]
async fn a_document_is_effective_for_a_person_only_after_training_and_never_when_superseded() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let author = principal(&store, w.company_a, "qa.author", &["quality_head"]).await;
        let approver = principal(&store, w.company_a, "qa.approver", &["quality_head"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let today = yaolian_core::Timestamp::now().china_date();

        // Revision 1's file is the three bytes "abc" (base64 YWJj): its SM3 is the example
        // value of GB/T 32905-2016 Appendix A.1.
        let new = NewDocument {
            org_id: w.company_a,
            code: "SOP-QC-012".into(),
            title: "含量测定操作规程".into(),
            review_months: 24,
            file: file("SOP-QC-012.pdf", "YWJj"),
        };
        let d = documents::create(&store, &author, &new, &c).await.unwrap();
        let first = d.revisions[0].clone();
        assert_eq!((first.revision, first.state.as_str()), (1, "draft"));
        assert_eq!(first.sm3, "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
        let err = documents::create(&store, &author, &new, &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");

        documents::submit(&store, &author, d.id, &c).await.unwrap();
        // The author does not approve their own revision; a date in the past is refused.
        let err = documents::approve(&store, &cfg, &author, d.id, &today.to_string(), fixtures::PASSWORD, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let err =
            documents::approve(&store, &cfg, &approver, d.id, "2020-01-01", fixtures::PASSWORD, &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        let d = documents::approve(&store, &cfg, &approver, d.id, &today.to_string(), fixtures::PASSWORD, &c)
            .await
            .unwrap();
        assert_eq!(d.effective().map(|r| r.revision), Some(1));
        assert!(d.effective().unwrap().review_due_on.is_some());

        // Not effective for the analyst until the training is recorded.
        let err = documents::effective_for(&store, &analyst, d.id, analyst.user_id(), &c).await.unwrap_err();
        assert_eq!(err.code(), "not_trained");
        let err = documents::select_for_record(&store, &analyst, d.id, 1, &c).await.unwrap_err();
        assert_eq!(err.code(), "not_trained");
        documents::record_training(&store, &author, d.id, first.id, analyst.user_id(), &c).await.unwrap();
        assert_eq!(documents::select_for_record(&store, &analyst, d.id, 1, &c).await.unwrap().revision, 1);

        // Revision 2 takes effect today: revision 1 is superseded and cannot be selected, and
        // revision 2 needs its own training.
        let err = documents::revise(&store, &author, d.id, &file("SOP-QC-012.pdf", "YWJk"), " ", &c).await.unwrap_err();
        assert_eq!(err.code(), "validation_failed");
        documents::revise(&store, &author, d.id, &file("SOP-QC-012.pdf", "YWJk"), "写明容量瓶规格", &c).await.unwrap();
        documents::submit(&store, &author, d.id, &c).await.unwrap();
        let d = documents::approve(&store, &cfg, &approver, d.id, &today.to_string(), fixtures::PASSWORD, &c)
            .await
            .unwrap();
        let states: Vec<(i64, String)> = d.revisions.iter().map(|r| (r.revision, r.state.clone())).collect();
        assert_eq!(states, vec![(2, "effective".to_string()), (1, "superseded".to_string())]);
        let err = documents::select_for_record(&store, &analyst, d.id, 1, &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");
        let err = documents::select_for_record(&store, &analyst, d.id, 2, &c).await.unwrap_err();
        assert_eq!(err.code(), "not_trained");
        let second = d.effective().unwrap().id;
        documents::record_training(&store, &author, d.id, second, analyst.user_id(), &c).await.unwrap();
        assert_eq!(documents::select_for_record(&store, &analyst, d.id, 2, &c).await.unwrap().revision, 2);

        // A revision approved for a later date is pending; the current one stays in force.
        documents::revise(&store, &author, d.id, &file("SOP-QC-012.pdf", "YWJl"), "增加系统适用性要求", &c)
            .await
            .unwrap();
        documents::submit(&store, &author, d.id, &c).await.unwrap();
        let later = (today + chrono::Duration::days(30)).to_string();
        let d = documents::approve(&store, &cfg, &approver, d.id, &later, fixtures::PASSWORD, &c).await.unwrap();
        assert_eq!((d.revisions[0].state.as_str(), d.effective().unwrap().revision), ("pending", 2));

        // Obsolete: nothing is in force.
        let d = documents::make_obsolete(&store, &author, d.id, "产品停产", &c).await.unwrap();
        assert!(d.effective().is_none());
        let err = documents::select_for_record(&store, &analyst, d.id, 2, &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");

        assert!(documents::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        let other = principal(&store, w.company_b, "qa.other", &["quality_head"]).await;
        assert_eq!(documents::get(&store, &other, d.id, &c).await.unwrap_err().code(), "not_found");
    })
    .await;
}

#[tokio::test]
async fn a_periodic_review_falls_due_is_signed_and_a_printed_copy_is_recorded() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let cfg = IdentityConfig::default();
        let author = principal(&store, w.company_a, "qa.author", &["quality_head"]).await;
        let approver = principal(&store, w.company_a, "qa.approver", &["quality_head"]).await;
        let analyst = principal(&store, w.company_a, "analyst", &["lab_analyst"]).await;
        let today = yaolian_core::Timestamp::now().china_date();
        let new = NewDocument {
            org_id: w.company_a,
            code: "SOP-QC-040".into(),
            title: "稳定性考察规程".into(),
            review_months: 1,
            // "第一版\n" in UTF-8, base64.
            file: file("SOP-QC-040.txt", "56ys5LiA54mICg=="),
        };
        let d = documents::create(&store, &author, &new, &c).await.unwrap();
        // Nothing in force: nothing to review.
        assert!(documents::reviews_due(&store, &author, 60).await.unwrap().unwrap().is_empty());
        let err =
            documents::confirm_review(&store, &cfg, &author, d.id, "仍适用", fixtures::PASSWORD, &c).await.unwrap_err();
        assert_eq!(err.code(), "quality_state");
        documents::submit(&store, &author, d.id, &c).await.unwrap();
        let d = documents::approve(&store, &cfg, &approver, d.id, &today.to_string(), fixtures::PASSWORD, &c)
            .await
            .unwrap();
        // In force today with a one-month interval: due within 60 days, not within 20.
        let due = today.checked_add_months(chrono::Months::new(1)).unwrap().to_string();
        assert_eq!(d.effective().unwrap().review_due_on.as_deref(), Some(due.as_str()));
        assert_eq!(documents::reviews_due(&store, &author, 60).await.unwrap(), Some(vec![d.id]));
        assert_eq!(documents::reviews_due(&store, &author, 20).await.unwrap(), Some(vec![]));

        // Only QA reviews, under a signature; the review is a version of the document.
        let err = documents::confirm_review(&store, &cfg, &analyst, d.id, "仍适用", fixtures::PASSWORD, &c)
            .await
            .unwrap_err();
        assert_eq!(err.code(), "forbidden");
        let d =
            documents::confirm_review(&store, &cfg, &author, d.id, "内容仍适用", fixtures::PASSWORD, &c).await.unwrap();
        assert_eq!(d.reviewed_on.as_deref(), Some(today.to_string().as_str()));
        let actions: Vec<String> = yaolian_store::versions::history(store.pool(), documents::ENTITY, &d.id.to_string())
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.action)
            .collect();
        assert_eq!(actions, vec!["create", "review"]);
        let signed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signatures WHERE entity = 'qa_document'")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(signed, 1);

        // A printed copy carries the text and who printed it; the print is in the audit trail.
        let rev = d.effective().unwrap().id;
        let copy = documents::print_copy(&store, &analyst, d.id, rev, &c).await.unwrap();
        assert_eq!((copy.text.as_deref(), copy.printed_by.as_str()), (Some("第一版\n"), "analyst"));
        let printed: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'export' AND target LIKE '%print'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(printed, 1);
        assert_eq!(documents::print_copy(&store, &analyst, d.id, 999_999, &c).await.unwrap_err().code(), "not_found");
        assert!(documents::drifts(&store).await.unwrap().is_empty());
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
