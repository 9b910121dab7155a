//! The page and the API that show the same data agree on who may see it: for every built-in
//! role (regulators at the provincial bureau, companies at the producing company and at a
//! pharmacy company holding its stock, the three administrators at the national bureau), each
//! page and its API counterpart either both answer or both refuse. Both call the same domain
//! function, so a rule cannot live in one of them only. SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

mod common;

use common::{login, Server};
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, roles};
use yaolian_registry::products::{self, NewProduct};
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

/// 2xx: the reader saw it; 401/403/404: refused. Anything else is a failure of the test.
fn allowed(status: reqwest::StatusCode, what: &str) -> bool {
    match status.as_u16() {
        200..=299 => true,
        401 | 403 | 404 => false,
        other => panic!("{what}: unexpected status {other}"),
    }
}

#[tokio::test]
async fn every_role_sees_a_page_exactly_when_it_sees_its_api() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let sys = yaolian_access::run_as_system::principal();
        let c = ClientInfo::default();
        let pharmacy_co = yaolian_identity::orgs::create(
            &store,
            &sys,
            &yaolian_identity::orgs::NewOrg {
                kind: yaolian_access::OrgKind::Company,
                name: "仁和大药房连锁有限公司".into(),
                code: "91330000704761231M".into(),
                parent_id: Some(w.province),
                region: String::new(),
            },
            &c,
        )
        .await
        .unwrap()
        .id;

        // A product of company A, a chain of its packs, one pharmacy site belonging to the
        // pharmacy company, and a recall of a batch it holds.
        let new = NewProduct {
            approval_number: "国药准字H20230001".into(),
            generic_name: "盐酸二甲双胍片".into(),
            dosage_form: "片剂".into(),
            strength: "0.5g".into(),
            mah_org_id: w.company_a,
            drug_code: Some("8100001".into()),
            ..Default::default()
        };
        let product = products::create(&store, &sys, &new, &c).await.unwrap();
        let plan = yaolian_trace::generate::Plan {
            packs: 400,
            batch_size: 200,
            products: vec![("8100001".into(), product.id)],
            start: yaolian_core::Timestamp::now().china_date() - chrono::Days::new(40),
            anomalies: false,
            first_serial: 0,
        };
        let mut chain = yaolian_trace::generate::generate(&plan);
        for s in chain.sites.iter_mut() {
            s.org_id = Some(if s.kind == "manufacturer" { w.company_a } else { pharmacy_co });
        }
        yaolian_trace::sites::upsert(&store, &chain.sites).await.unwrap();
        let today = yaolian_core::Timestamp::now().china_date();
        let (good, _) = yaolian_trace::capture::prepare(&chain.events, 0, None, today);
        yaolian_trace::ingest::store(&store, good, yaolian_trace::ingest::Options::bulk()).await.unwrap();
        let (_, batch, _) = chain.batches[0].clone();
        let recall = yaolian_trace::recall::open(
            &store,
            &sys,
            &yaolian_trace::recall::NewRecall {
                product_id: product.id,
                batches: vec![batch.clone()],
                level: 2,
                reason: "抽检不合格".into(),
            },
            &c,
        )
        .await
        .unwrap();
        let unit = chain.events[0]["epcList"][0].as_str().unwrap().trim_start_matches("urn:nmpa:code:").to_string();

        // One account per built-in role, where such a person works.
        let mut accounts = Vec::new();
        for role in roles::BUILTIN {
            let org = match role.code {
                "sys_admin" | "sec_admin" | "audit_admin" => w.national,
                "regulator_leader" | "reviewer" | "window_clerk" | "inspector" => w.province,
                "pharmacist" => pharmacy_co,
                _ => w.company_a,
            };
            let name = format!("u.{}", role.code);
            fixtures::user(&store, &sys, org, &name, role.code == "company_master", &[role.code]).await.unwrap();
            accounts.push(name);
        }
        fixtures::user(&store, &sys, pharmacy_co, "p.master", true, &["company_master"]).await.unwrap();
        accounts.push("p.master".into());
        fixtures::user(&store, &sys, w.company_b, "b.master", true, &["company_master"]).await.unwrap();
        accounts.push("b.master".into());

        // A stockroom at company A: an item with a lot.
        let reagent = yaolian_inventory::items::NewItem {
            org_id: w.company_a,
            code: "R-0001".into(),
            name_zh: "乙腈".into(),
            cas: Some("75-05-8".into()),
            category: "reagent".into(),
            unit: "mL".into(),
            ..Default::default()
        };
        let iid = yaolian_inventory::items::create(&store, &sys, &reagent, &c).await.unwrap().id;
        let receipt = yaolian_inventory::stock::Receipt {
            item_id: iid,
            lot_no: "L1".into(),
            expires_on: "2030-12-31".into(),
            qty: "100".into(),
            ..Default::default()
        };
        let cfg = yaolian_identity::IdentityConfig::default();
        let lid = yaolian_inventory::stock::receive(&store, &cfg, &sys, &receipt, &c).await.unwrap().id;

        let oos = yaolian_quality::deviations::Oos {
            org_id: w.company_a,
            test: "含量测定".into(),
            result: "93.2%".into(),
            specification: "95.0%～105.0%".into(),
            ..Default::default()
        };
        let qcfg = yaolian_quality::QualityConfig::default();
        let did = yaolian_quality::deviations::from_oos(&store, &qcfg, &sys, &oos, &c).await.unwrap().id;
        let doc = yaolian_quality::documents::NewDocument {
            org_id: w.company_a,
            code: "SOP-QC-012".into(),
            title: "含量测定操作规程".into(),
            review_months: 24,
            file: yaolian_records::files::Upload {
                label: "文件".into(),
                name: "a.pdf".into(),
                content_type: String::new(),
                content_base64: "YWJj".into(),
            },
        };
        let docid = yaolian_quality::documents::create(&store, &sys, &doc, &c).await.unwrap().id;
        let change = yaolian_quality::changes::NewChange {
            org_id: w.company_a,
            title: "分析天平更换".into(),
            description: "更换".into(),
            reason: "报废".into(),
            kind: "equipment".into(),
            ..Default::default()
        };
        let chid = yaolian_quality::changes::request(&store, &qcfg, &sys, &change, &c).await.unwrap().id;
        let instrument = yaolian_lab::instruments::NewInstrument {
            org_id: w.company_a,
            code: "HPLC-01".into(),
            name: "高效液相色谱仪".into(),
            calibration_interval_days: 365,
            ..Default::default()
        };
        let inid = yaolian_lab::instruments::register(&store, &sys, &instrument, &c).await.unwrap().id;

        let (pid, rid) = (product.id, recall.id);
        let pairs: Vec<(String, String)> = vec![
            ("/admin/users".into(), "/api/v1/users".into()),
            ("/admin/audit".into(), "/api/v1/audit".into()),
            ("/registry/products".into(), "/api/v1/products".into()),
            (format!("/registry/products/{pid}"), format!("/api/v1/products/{pid}")),
            (format!("/registry/companies/{}", w.company_a), format!("/api/v1/companies/{}/dossier", w.company_a)),
            ("/licenses".into(), "/api/v1/licenses".into()),
            ("/trace/anomalies".into(), "/api/v1/trace/anomalies".into()),
            ("/trace/recalls".into(), "/api/v1/trace/recalls".into()),
            (format!("/trace/recalls/{rid}"), format!("/api/v1/trace/recalls/{rid}")),
            ("/trace/pack-codes".into(), "/api/v1/trace/pack-codes".into()),
            (format!("/trace/verify?code={unit}"), format!("/api/v1/trace/verify/{unit}")),
            (format!("/trace/codes?code={unit}"), format!("/api/v1/trace/codes/{unit}")),
            (
                format!("/trace/where-to?product_id={pid}&batch={batch}"),
                format!("/api/v1/trace/where-to?product_id={pid}&batch={batch}"),
            ),
            (format!("/records/product/{pid}"), format!("/api/v1/records/product/{pid}")),
            ("/inventory".into(), "/api/v1/inventory/items".into()),
            (format!("/inventory/items/{iid}"), format!("/api/v1/inventory/items/{iid}")),
            (format!("/inventory/lots/{lid}"), format!("/api/v1/inventory/lots/{lid}")),
            ("/inventory/adjustments".into(), "/api/v1/inventory/adjustments".into()),
            ("/inventory/expiry".into(), "/api/v1/inventory/expiring".into()),
            (format!("/records/inv_lot/{lid}"), format!("/api/v1/records/inv_lot/{lid}")),
            ("/quality".into(), "/api/v1/quality/deviations".into()),
            (format!("/quality/deviations/{did}"), format!("/api/v1/quality/deviations/{did}")),
            (format!("/records/qa_deviation/{did}"), format!("/api/v1/records/qa_deviation/{did}")),
            ("/quality/documents".into(), "/api/v1/quality/documents".into()),
            (format!("/quality/documents/{docid}"), format!("/api/v1/quality/documents/{docid}")),
            ("/quality/changes".into(), "/api/v1/quality/changes".into()),
            (format!("/quality/changes/{chid}"), format!("/api/v1/quality/changes/{chid}")),
            (format!("/records/qa_change/{chid}"), format!("/api/v1/records/qa_change/{chid}")),
            ("/lab".into(), "/api/v1/lab/instruments".into()),
            (format!("/lab/instruments/{inid}"), format!("/api/v1/lab/instruments/{inid}")),
            ("/signals".into(), "/api/v1/signals/adr-signals".into()),
            ("/signals/reports".into(), "/api/v1/signals/adr-reports".into()),
        ];

        let server = Server::start(store.clone(), WebConfig::default()).await;
        let mut disagreements = Vec::new();
        let mut seen = 0;
        for name in &accounts {
            let s = login(&server, name).await;
            for (page, api) in &pairs {
                let p = s.client.get(server.url(page)).send().await.unwrap().status();
                let a = s.client.get(server.url(api)).send().await.unwrap().status();
                let (p_ok, a_ok) = (allowed(p, page), allowed(a, api));
                seen += usize::from(p_ok);
                if p_ok != a_ok {
                    disagreements.push(format!("{name}: page {page} → {p}, API {api} → {a}"));
                }
            }
            // A holder reads the recall, but only its own stock; the MAH reads it whole.
            if name == "p.master" || name == "u.company_master" {
                let r = s.client.get(server.url(&format!("/api/v1/trace/recalls/{rid}"))).send().await.unwrap();
                let body: serde_json::Value = r.json().await.unwrap();
                let orgs: Vec<Option<i64>> =
                    body["holders"].as_array().unwrap().iter().map(|h| h["org_id"].as_i64()).collect();
                assert!(!orgs.is_empty(), "{name}: {body}");
                if name == "p.master" {
                    assert!(orgs.iter().all(|o| *o == Some(pharmacy_co)), "{name} sees others' stock: {orgs:?}");
                } else {
                    assert!(orgs.contains(&Some(pharmacy_co)), "the MAH sees every holder: {orgs:?}");
                }
            }
        }
        assert!(disagreements.is_empty(), "page and API disagree:\n{}", disagreements.join("\n"));
        assert!(seen > accounts.len(), "the pairs are readable by some roles ({seen} allowed answers)");
        server.stop().await;
    })
    .await;
}
