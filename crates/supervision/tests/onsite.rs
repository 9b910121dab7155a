//! On-site inspection on SQLite and PostgreSQL (issue 20 acceptance: "an inspection finding with
//! evidence: changing the evidence file afterwards is detected"): a planned visit is started by
//! a team of two, a finding is recorded with evidence whose SM3 the ledger locks, a changed file
//! (even with its stored checksum rewritten to match) is detected against the lock, the record is
//! signed by the inspector and then by the company's representative on the same version, after
//! which it takes no more findings; every row equals its ledgered image.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::user;
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityConfig, IdentityError};
use yaolian_records::files::Upload;
use yaolian_store::testing::each_backend;
use yaolian_supervision::onsite::{self, Item, NewFinding, Progress};
use yaolian_supervision::plans::{self, Filter};
use yaolian_supervision::{scores, SupervisionError};

fn field_of(e: SupervisionError) -> String {
    match e {
        SupervisionError::Shared(IdentityError::Validation(v)) => v.errors[0].field.clone(),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn evidence_is_locked_and_the_record_signed_on_site() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let id_cfg = IdentityConfig::default();
        let pw = fixtures::PASSWORD;
        let inspector = user(&store, w.province, "zj.inspector", "inspector").await;
        let second = user(&store, w.province, "zj.inspector2", "inspector").await;
        let leader = user(&store, w.province, "zj.leader", "regulator_leader").await;
        let company = user(&store, w.company_a, "a.master", "company_master").await;
        user(&store, w.company_b, "b.master", "company_master").await;
        scores::recompute(&store, &leader, None, "", &c).await.unwrap();
        let g = plans::generate(&store, &inspector, 2027, &c).await.unwrap();
        let (visits, _) =
            plans::visits_of(&store, &inspector, g.plan.id, &Filter::default(), 100, 0, &c).await.unwrap();
        let visit = visits.iter().find(|v| v.company_id == w.company_a).unwrap();

        // A team of two: the starter leads.
        let alone = onsite::start(&store, &inspector, visit.id, &[], visit.version, &c).await.unwrap_err();
        assert_eq!(field_of(alone), "members");
        let members = vec!["zj.inspector2".to_string()];
        assert_eq!(
            onsite::start(&store, &company, visit.id, &members, visit.version, &c).await.unwrap_err().code(),
            "not_found"
        );
        let o = onsite::start(&store, &inspector, visit.id, &members, visit.version, &c).await.unwrap();
        assert_eq!((o.inspection.status.as_str(), o.team.len(), o.team[0].role.as_str()), ("on_site", 2, "leader"));
        assert_eq!(o.checklist.len(), onsite::CHECKLIST.len());

        // The checklist: a result that is none of the codes is refused by its item.
        let mut checklist: Vec<Item> = o.checklist.clone();
        checklist[0].result = "bad".into();
        let p = Progress { checklist: checklist.clone(), conclusion: String::new(), version: o.version };
        assert_eq!(
            field_of(onsite::progress(&store, &second, visit.id, &p, &c).await.unwrap_err()),
            "checklist[0].result"
        );
        checklist[0].result = "conform".into();
        checklist[7].result = "nonconform".into();
        let p = Progress { checklist, conclusion: "生产管理存在缺陷".into(), version: o.version };
        let o = onsite::progress(&store, &second, visit.id, &p, &c).await.unwrap();
        assert_eq!(o.checklist[7].result, "nonconform");

        // A finding with evidence: its SM3 is locked in the finding's ledgered version.
        let bytes = "批生产记录第 3 页：灭菌温度记录缺失".as_bytes().to_vec();
        let upload = Upload {
            label: "现场照片".into(),
            name: "batch-record-p3.jpg".into(),
            content_type: "image/jpeg".into(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(&bytes),
        };
        let bad = NewFinding { grade: "grave".into(), description: "x".into(), ..NewFinding::default() };
        assert_eq!(field_of(onsite::add_finding(&store, &inspector, visit.id, &bad, &c).await.unwrap_err()), "grade");
        let n = NewFinding {
            grade: "major".into(),
            clause: "《药品生产质量管理规范》第一百七十五条".into(),
            description: "灭菌工序批记录缺少温度记录".into(),
            files: vec![upload],
        };
        assert_eq!(onsite::add_finding(&store, &leader, visit.id, &n, &c).await.unwrap_err().code(), "forbidden");
        let f = onsite::add_finding(&store, &inspector, visit.id, &n, &c).await.unwrap();
        let expected = yaolian_ledger::HashAlg::Sm3.digest(&[&bytes]).to_hex();
        assert_eq!((f.seq, f.evidence.len(), f.evidence[0].sm3.as_str()), (1, 1, expected.as_str()));
        let checks = onsite::evidence_check(&store, &leader, f.id, &c).await.unwrap();
        assert!(checks.iter().all(|x| x.intact), "{checks:?}");

        // The file changed afterwards — even with the stored checksum rewritten to match — is
        // found out against the ledger's lock.
        let forged = "批生产记录第 3 页：灭菌温度 121℃ 记录完整".as_bytes().to_vec();
        let forged_sm3 = yaolian_ledger::HashAlg::Sm3.digest(&[&forged]).to_hex();
        sqlx::query("UPDATE sup_evidence SET content = $1, sm3 = $2 WHERE id = $3")
            .bind(forged.clone())
            .bind(&forged_sm3)
            .bind(f.evidence[0].id)
            .execute(store.pool())
            .await
            .unwrap();
        let checks = onsite::evidence_check(&store, &leader, f.id, &c).await.unwrap();
        assert_eq!(checks.len(), 1);
        assert!(!checks[0].intact);
        assert_eq!(checks[0].locked.as_ref().map(|l| l.sm3.as_str()), Some(expected.as_str()));
        assert_eq!(checks[0].actual_sm3.as_deref(), Some(forged_sm3.as_str()));
        assert!(!onsite::drifts(&store).await.unwrap().is_empty(), "the rewritten checksum is a drift too");
        // Put back, for the rest.
        sqlx::query("UPDATE sup_evidence SET content = $1, sm3 = $2 WHERE id = $3")
            .bind(bytes.clone())
            .bind(&expected)
            .bind(f.evidence[0].id)
            .execute(store.pool())
            .await
            .unwrap();
        assert!(onsite::evidence_check(&store, &leader, f.id, &c).await.unwrap()[0].intact);

        // The inspector signs: a wrong password changes nothing; then the record is closed.
        let current = onsite::get(&store, &inspector, visit.id, &c).await.unwrap().unwrap().version;
        let stale = onsite::sign_inspector(&store, &id_cfg, &inspector, visit.id, current - 1, (pw, None), &c);
        assert_eq!(stale.await.unwrap_err().code(), "conflict");
        let wrong = onsite::sign_inspector(&store, &id_cfg, &inspector, visit.id, current, ("wrong", None), &c);
        assert!(wrong.await.is_err());
        let o = onsite::sign_inspector(&store, &id_cfg, &inspector, visit.id, current, (pw, None), &c).await.unwrap();
        assert_eq!(o.inspection.status, "signing");
        let late = onsite::add_finding(&store, &inspector, visit.id, &n, &c).await.unwrap_err();
        assert_eq!(late.code(), "case_state");
        // The company's representative: someone of another company is refused.
        let v = o.version;
        let other = onsite::sign_company(&store, &id_cfg, &inspector, visit.id, v, "b.master", (pw, None), &c);
        assert_eq!(field_of(other.await.unwrap_err()), "representative");
        let o =
            onsite::sign_company(&store, &id_cfg, &inspector, visit.id, v, "a.master", (pw, None), &c).await.unwrap();
        assert_eq!(o.inspection.status, "signed");
        let signed = onsite::signatures(&store, visit.id).await.unwrap();
        assert_eq!(signed.len(), 2, "{signed:?}");
        assert_eq!(signed[0].version, signed[1].version, "both sign the same version");
        let signers: Vec<&str> = signed.iter().map(|s| s.signer.as_str()).collect();
        assert!(signers.contains(&"zj.inspector") && signers.contains(&"a.master"), "{signers:?}");

        // The findings flow into the company's score and credit, named, and onto its 一企一档.
        let p = scores::portrait(&store, &leader, w.company_a, &c).await.unwrap();
        let major = p.company.score.factors.iter().find(|f| f.code == "findings_major").unwrap();
        assert_eq!((major.count, major.weight), (1, 8));
        assert_eq!(major.sources[0].link, format!("/supervision/inspections/{}", visit.id));
        let credit = p.company.score.factors.iter().find(|f| f.code == "credit:findings_major").unwrap();
        assert_eq!(credit.points, 3);
        assert!(p.history.last().unwrap().reason.contains(&visit.number), "{}", p.history.last().unwrap().reason);
        let timeline: Vec<String> =
            sqlx::query_scalar("SELECT title FROM dossier_events WHERE org_id = $1 ORDER BY id")
                .bind(w.company_a)
                .fetch_all(store.pool())
                .await
                .unwrap();
        assert!(timeline.iter().any(|t| t.contains(&visit.number) && t.contains("主要缺陷 1")), "{timeline:?}");

        // Rectification (整改): the company's quality head answers, the bureau sends it back once
        // and then verifies it done; the signed record is unchanged by it.
        let qa = user(&store, w.company_a, "a.qa", "quality_head").await;
        let other = user(&store, w.company_b, "b.qa", "quality_head").await;
        let f = onsite::get(&store, &inspector, visit.id, &c).await.unwrap().unwrap().findings[0].clone();
        assert_eq!(f.capa_state(), "open");
        let answer = onsite::CapaResponse {
            capa: "补齐温度曲线记录，修订批记录模板，培训 12 人".into(),
            version: f.version,
        };
        let blank = onsite::CapaResponse { capa: " ".into(), ..answer.clone() };
        assert_eq!(field_of(onsite::respond(&store, &qa, f.id, &blank, &c).await.unwrap_err()), "capa");
        assert_eq!(onsite::respond(&store, &other, f.id, &answer, &c).await.unwrap_err().code(), "not_found");
        assert_eq!(onsite::respond(&store, &company, f.id, &answer, &c).await.unwrap_err().code(), "forbidden");
        let f = onsite::respond(&store, &qa, f.id, &answer, &c).await.unwrap();
        assert_eq!((f.capa_state(), f.capa_by.as_deref()), ("responded", Some("a.qa")));
        let again = onsite::CapaResponse { version: f.version, ..answer.clone() };
        assert_eq!(onsite::respond(&store, &qa, f.id, &again, &c).await.unwrap_err().code(), "case_state");
        let mine = onsite::company_findings(&store, &qa, &c).await.unwrap();
        assert_eq!(mine.len(), 1);
        assert!(onsite::company_findings(&store, &other, &c).await.unwrap().is_empty());
        let silent = onsite::CapaVerification { passed: false, note: String::new(), version: f.version };
        assert_eq!(field_of(onsite::verify_capa(&store, &second, f.id, &silent, &c).await.unwrap_err()), "note");
        assert_eq!(onsite::verify_capa(&store, &qa, f.id, &silent, &c).await.unwrap_err().code(), "not_found");
        let back = onsite::CapaVerification { note: "未附培训记录".into(), ..silent };
        let f = onsite::verify_capa(&store, &second, f.id, &back, &c).await.unwrap();
        assert_eq!((f.capa_state(), f.verification.as_str(), f.capa.as_str()), ("open", "未附培训记录", ""));
        let f = onsite::respond(&store, &qa, f.id, &onsite::CapaResponse { version: f.version, ..answer }, &c)
            .await
            .unwrap();
        let pass = onsite::CapaVerification { passed: true, note: "现场核实已整改".into(), version: f.version };
        let f = onsite::verify_capa(&store, &second, f.id, &pass, &c).await.unwrap();
        assert_eq!((f.capa_state(), f.verified_by.as_deref()), ("closed", Some("zj.inspector2")));
        let history =
            yaolian_store::versions::history(store.pool(), onsite::FINDING_ENTITY, &f.id.to_string()).await.unwrap();
        let actions: Vec<&str> = history.iter().map(|v| v.action.as_str()).collect();
        assert_eq!(actions[actions.len() - 4..], ["respond", "send_back", "respond", "verify"]);

        assert!(onsite::drifts(&store).await.unwrap().is_empty());
        assert!(plans::drifts(&store).await.unwrap().is_empty());
        assert!(scores::drifts(&store).await.unwrap().is_empty());
    })
    .await;
}
