//! 一品一档 on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL.

#![allow(clippy::unwrap_used)]

use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::{auth, IdentityConfig, IdentityError};
use yaolian_identity::{fixtures, fixtures::PASSWORD as PW};
use yaolian_records::esign::SignRequest;
use yaolian_registry::products::{self, NewProduct, ProductQuery};
use yaolian_registry::records;
use yaolian_store::testing::each_backend;
use yaolian_store::{ledger, Store};

async fn principal(store: &Store, org: i64, name: &str, roles: &[&str]) -> Principal {
    let id = fixtures::user(store, &yaolian_access::run_as_system::principal(), org, name, true, roles).await.unwrap();
    auth::principal_for_user(store, id).await.unwrap()
}

fn metformin(mah: i64) -> NewProduct {
    NewProduct {
        approval_number: "国药准字H20230001".into(),
        generic_name: "盐酸二甲双胍片".into(),
        trade_name: "格华止".into(),
        dosage_form: "片剂".into(),
        strength: "0.5g".into(),
        pack: "20片/盒".into(),
        mah_org_id: mah,
        manufacturer_org_id: None,
        drug_code: Some("8123456".into()),
        // GS1 Digital Link example GTIN (check digit 2) and a GTIN-13 (check digit 3).
        gtins: vec!["09506000134352".into(), "6291041500213".into()],
    }
}

fn fields(e: IdentityError) -> Vec<(String, String)> {
    match e {
        IdentityError::Validation(v) => v.errors.into_iter().map(|f| (f.field, f.rule)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[tokio::test]
async fn products_are_versioned_scoped_and_searchable() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa_a = principal(&store, w.company_a, "qa.a", &["quality_head"]).await;
        let master_b = principal(&store, w.company_b, "master.b", &["company_master"]).await;
        let reviewer = principal(&store, w.province, "reviewer1", &["reviewer"]).await;

        let p = products::create(&store, &qa_a, &metformin(w.company_a), &c).await.unwrap();
        assert_eq!((p.category.as_str(), p.version), ("H", 1));
        assert_eq!(p.gtins, vec!["06291041500213".to_string(), "09506000134352".to_string()]);
        assert_eq!(ledger::entries_of(&store, "product", &p.id.to_string()).await.unwrap().len(), 1);

        // A company registers only its own products.
        let err = products::create(&store, &qa_a, &metformin(w.company_b), &c)
            .await
            .map_err(IdentityError::from)
            .unwrap_err();
        assert!(matches!(err, IdentityError::Forbidden { .. }), "{err:?}");

        // Every bad field is named at once.
        let bad = NewProduct {
            approval_number: "国药准字X2023".into(),
            generic_name: " ".into(),
            drug_code: Some("12345".into()),
            gtins: vec!["09506000134357".into()],
            ..metformin(w.company_a)
        };
        let f = fields(products::create(&store, &qa_a, &bad, &c).await.map_err(IdentityError::from).unwrap_err());
        for expected in [
            ("approval_number", "approval_category"),
            ("generic_name", "length:1..100"),
            ("drug_code", "digits:7"),
            ("gtins[0]", "gtin_check"),
        ] {
            assert!(f.iter().any(|(a, b)| (a.as_str(), b.as_str()) == expected), "{expected:?} in {f:?}");
        }
        // Duplicates are named and nothing is half-written.
        let f = fields(
            products::create(&store, &qa_a, &metformin(w.company_a), &c)
                .await
                .map_err(IdentityError::from)
                .unwrap_err(),
        );
        assert_eq!(f, vec![("approval_number".to_string(), "unique".to_string())]);
        let same_gtin = NewProduct {
            approval_number: "国药准字H20230002".into(),
            drug_code: None,
            gtins: vec!["09506000134352".into()],
            ..metformin(w.company_a)
        };
        let f = fields(products::create(&store, &qa_a, &same_gtin, &c).await.map_err(IdentityError::from).unwrap_err());
        assert_eq!(f, vec![("gtins".to_string(), "unique".to_string())]);
        let other = NewProduct {
            approval_number: "国药准字Z20200005".into(),
            generic_name: "连花清瘟胶囊".into(),
            trade_name: String::new(),
            dosage_form: "胶囊剂".into(),
            drug_code: None,
            gtins: vec![],
            ..metformin(w.company_b)
        };
        products::create(&store, &master_b, &other, &c).await.unwrap();

        // Scope: the provincial reviewer sees both companies, each company its own.
        let all = ProductQuery { limit: 50, ..Default::default() };
        assert_eq!(products::list(&store, &reviewer, &all, &c).await.unwrap().1, 2);
        let (mine, total) = products::list(&store, &qa_a, &all, &c).await.unwrap();
        assert_eq!((total, mine[0].approval_number.as_str()), (1, "国药准字H20230001"));
        let search = |q: &str| ProductQuery { q: Some(q.into()), limit: 50, ..Default::default() };
        let (hits, _) = products::list(&store, &reviewer, &search("清瘟"), &c).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].mah_name, "乙医药有限公司");
        assert_eq!(products::list(&store, &reviewer, &search("H2023"), &c).await.unwrap().1, 1);
        assert!(products::get(&store, &master_b, p.id, &c).await.is_err());

        // Changes need a reason and the version they were made on.
        let mut change = metformin(w.company_a);
        change.pack = "30片/盒".into();
        let f = fields(
            products::update(&store, &qa_a, p.id, &change, "", 1, &c).await.map_err(IdentityError::from).unwrap_err(),
        );
        assert_eq!(f[0].0, "reason");
        let err = products::update(&store, &qa_a, p.id, &change, "包装变更", 7, &c)
            .await
            .map_err(IdentityError::from)
            .unwrap_err();
        assert!(matches!(err, IdentityError::Conflict(_)), "{err:?}");
        let changed = products::update(&store, &qa_a, p.id, &change, "包装变更", 1, &c).await.unwrap();
        assert_eq!((changed.pack.as_str(), changed.version), ("30片/盒", 2));

        // History and signatures go through the product's own access check.
        let id = p.id.to_string();
        let view = records::view(&store, &qa_a, "product", &id, &c).await.unwrap();
        assert_eq!(view.versions.len(), 2);
        assert_eq!(view.versions[1].reason, "包装变更");
        assert!(records::view(&store, &master_b, "product", &id, &c).await.is_err());
        let req =
            SignRequest { entity: "product", entity_id: &id, version: 2, meaning: "approve", password: PW, totp: None };
        assert!(records::checked(&store, &qa_a, "product", &id, &c).await.unwrap());
        let sig =
            yaolian_records::esign::sign_checked(&store, &IdentityConfig::default(), &qa_a, &req, &c).await.unwrap();
        assert!(sig.valid);
        let err =
            records::checked(&store, &master_b, "product", &id, &c).await.map_err(IdentityError::from).unwrap_err();
        assert!(matches!(err, IdentityError::Forbidden { .. }), "{err:?}");
        assert!(!records::checked(&store, &qa_a, "user", &id, &c).await.unwrap(), "not the registry's entity");
        assert!(ledger::verify(&store).await.unwrap().is_ok());
        let csv = products::to_csv(&products::list(&store, &reviewer, &all, &c).await.unwrap().0);
        assert!(csv.starts_with("\u{feff}批准文号") && csv.contains("30片/盒"), "{csv}");
    })
    .await;
}

#[tokio::test]
async fn company_dossier_gathers_profile_products_and_timeline() {
    each_backend(|store| async move {
        use yaolian_registry::companies::{self, Profile};
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa_a = principal(&store, w.company_a, "qa.a", &["quality_head"]).await;
        let master_b = principal(&store, w.company_b, "master.b", &["company_master"]).await;
        let inspector = principal(&store, w.province, "inspector1", &["inspector"]).await;
        products::create(&store, &qa_a, &metformin(w.company_a), &c).await.unwrap();

        let profile = Profile {
            legal_rep: "张建华".into(),
            address: "杭州市钱塘区药谷路 8 号".into(),
            business_scope: "片剂、胶囊剂的生产".into(),
            contact_phone: "0571-8888 6666".into(),
        };
        let d = companies::update_profile(&store, &qa_a, w.company_a, &profile, "", 0, &c).await.unwrap();
        assert_eq!((d.profile.legal_rep.as_str(), d.profile_version), ("张建华", 1));
        // A bad phone and an over-long name are named; a second change needs a reason.
        let bad = Profile { contact_phone: "call me".into(), legal_rep: "名".repeat(51), ..profile.clone() };
        match companies::update_profile(&store, &qa_a, w.company_a, &bad, "x", 1, &c)
            .await
            .map_err(IdentityError::from)
            .unwrap_err()
        {
            IdentityError::Validation(v) => {
                let f: Vec<&str> = v.errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(f, vec!["legal_rep", "contact_phone"]);
            }
            other => panic!("{other:?}"),
        }
        let moved = Profile { address: "杭州市钱塘区药谷路 18 号".into(), ..profile.clone() };
        assert!(companies::update_profile(&store, &qa_a, w.company_a, &moved, " ", 1, &c).await.is_err());
        companies::update_profile(&store, &qa_a, w.company_a, &moved, "注册地址变更", 1, &c).await.unwrap();

        // The provincial inspector reads it; the other company does not; nobody else writes it.
        let d = companies::dossier(&store, &inspector, w.company_a, &c).await.unwrap();
        assert_eq!(d.products_total, 1);
        assert_eq!(d.profile.address, "杭州市钱塘区药谷路 18 号");
        let kinds: Vec<&str> = d.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, vec!["profile_changed", "profile_changed", "product_registered"]);
        assert!(d.timeline[0].title.contains("注册地址变更"));
        assert!(companies::dossier(&store, &master_b, w.company_a, &c).await.is_err());
        let err = companies::update_profile(&store, &inspector, w.company_a, &moved, "x", 2, &c)
            .await
            .map_err(IdentityError::from)
            .unwrap_err();
        assert!(matches!(err, IdentityError::Forbidden { .. }), "{err:?}");
        // Its history goes through the same door as every record's.
        let view = records::view(&store, &inspector, "company", &w.company_a.to_string(), &c).await.unwrap();
        assert_eq!(view.versions.len(), 2);
        assert!(records::view(&store, &master_b, "company", &w.company_a.to_string(), &c).await.is_err());
        // Regulators are not companies.
        assert!(companies::dossier(&store, &inspector, w.province, &c).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn persons_and_search_across_the_three_dossiers() {
    each_backend(|store| async move {
        use yaolian_registry::persons::{self, NewPerson};
        use yaolian_registry::search;
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa_a = principal(&store, w.company_a, "qa.a", &["quality_head"]).await;
        let master_b = principal(&store, w.company_b, "master.b", &["company_master"]).await;
        let reviewer = principal(&store, w.province, "reviewer1", &["reviewer"]).await;
        products::create(&store, &qa_a, &metformin(w.company_a), &c).await.unwrap();
        let pharmacist = NewPerson {
            name: "李药师".into(),
            qualification: "licensed_pharmacist".into(),
            cert_number: "ZY-33-2021-0458".into(),
            employer_org_id: w.company_b,
            valid_from: "2021-06-01".into(),
            valid_until: "2099-05-31".into(),
        };
        let p = persons::create(&store, &master_b, &pharmacist, &c).await.unwrap();
        assert_eq!((p.qualification_zh.as_str(), p.standing.as_str()), ("执业药师", "valid"));
        // Bad dates and an unknown qualification are named; a duplicate certificate too.
        let bad = NewPerson {
            qualification: "wizard".into(),
            valid_from: "2021-06-01".into(),
            valid_until: "2020-01-01".into(),
            ..pharmacist.clone()
        };
        match persons::create(&store, &master_b, &bad, &c).await.map_err(IdentityError::from).unwrap_err() {
            IdentityError::Validation(v) => {
                let f: Vec<&str> = v.errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(f, vec!["qualification", "valid_until"]);
            }
            other => panic!("{other:?}"),
        }
        match persons::create(&store, &master_b, &pharmacist, &c).await.map_err(IdentityError::from).unwrap_err() {
            IdentityError::Validation(v) => assert_eq!(v.errors[0].field, "cert_number"),
            other => panic!("{other:?}"),
        }
        // Company A cannot register B's staff; the expired shows as expired.
        assert!(persons::create(&store, &qa_a, &pharmacist, &c).await.is_err());
        let expired = NewPerson {
            cert_number: "ZY-33-2015-0001".into(),
            valid_until: "2020-05-31".into(),
            valid_from: "2015-06-01".into(),
            name: "王旧证".into(),
            ..pharmacist.clone()
        };
        assert_eq!(persons::create(&store, &master_b, &expired, &c).await.unwrap().standing, "expired");

        // One search across the three, in the reader's scope.
        let r = search::search(&store, &reviewer, "药", 20, &c).await.unwrap();
        let names: Vec<&str> = r.companies.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, vec!["乙医药有限公司", "甲制药有限公司"]);
        assert_eq!(r.persons.len(), 1, "{:?}", r.persons);
        let r = search::search(&store, &reviewer, "91350100M000100Y43", 20, &c).await.unwrap();
        assert_eq!(r.companies.len(), 1);
        let r = search::search(&store, &reviewer, "二甲双胍", 20, &c).await.unwrap();
        assert_eq!((r.products_total, r.companies.len(), r.persons.len()), (1, 0, 0));
        let r = search::search(&store, &qa_a, "药", 20, &c).await.unwrap();
        assert_eq!(r.companies.len(), 1);
        assert!(r.persons.is_empty());
        let view = records::view(&store, &reviewer, "person", &p.id.to_string(), &c).await.unwrap();
        assert_eq!(view.versions.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn product_lists_import_row_by_row_and_export_as_excel() {
    each_backend(|store| async move {
        use yaolian_registry::import;
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa_a = principal(&store, w.company_a, "qa.a", &["quality_head"]).await;
        let csv = "\u{feff}批准文号,通用名,剂型,规格,上市许可持有人,药品标识码,GTIN\r\n\
                   国药准字H20230001,盐酸二甲双胍片,片剂,0.5g,甲制药有限公司,8100001,09506000134352\r\n\
                   国药准字H20230002,阿莫西林胶囊,胶囊剂,0.25g,甲制药有限公司,,09506000134357\r\n\
                   国药准字H20230003,布洛芬片,片剂,0.2g,91110000600037341L,,\r\n\
                   国药准字H20230001,重复文号,片剂,0.5g,甲制药有限公司,,\r\n\
                   国药准字Z20200005,连花清瘟胶囊,胶囊剂,0.35g,91350100M000100Y43,,\r\n";
        let report = import::import_products(&store, &qa_a, csv.as_bytes(), &c).await.unwrap();
        assert_eq!((report.rows, report.created.len()), (5, 2), "{report:?}");
        let errs: Vec<(usize, &str, &str)> =
            report.errors.iter().map(|e| (e.row, e.field.as_str(), e.rule.as_str())).collect();
        assert_eq!(errs, vec![(3, "gtins[0]", "gtin_check"), (4, "mah", "company"), (5, "approval_number", "unique")]);
        // A file without a required column is refused as a whole, naming the column.
        let bad = "批准文号,通用名\n国药准字H20230009,某药\n";
        match import::import_products(&store, &qa_a, bad.as_bytes(), &c).await.map_err(IdentityError::from).unwrap_err()
        {
            IdentityError::Validation(v) => {
                assert_eq!(v.errors.len(), 3);
                assert!(v.errors[0].message.contains("剂型"), "{:?}", v.errors);
            }
            other => panic!("{other:?}"),
        }
        // The Excel export carries the import's columns: importing it again names every row
        // as a duplicate rather than registering anything twice.
        let all = ProductQuery { limit: 100, ..Default::default() };
        let (items, _) = products::list(&store, &qa_a, &all, &c).await.unwrap();
        let xlsx = import::products_xlsx(&items).unwrap();
        let again = import::import_products(&store, &qa_a, &xlsx, &c).await.unwrap();
        assert_eq!((again.rows, again.created.len()), (2, 0));
        assert!(again.errors.iter().all(|e| e.field == "approval_number" && e.rule == "unique"), "{again:?}");
        // Someone without registry.manage cannot import at all.
        let inspector = principal(&store, w.province, "inspector1", &["inspector"]).await;
        assert!(import::import_products(&store, &inspector, csv.as_bytes(), &c).await.is_err());
    })
    .await;
}

/// 批量登记: a batch is checked as a whole before anything is written, lands whole (each product
/// its own version and ledger entry), and a refusal — a bad field, a holder out of scope, a
/// 批准文号 already taken — writes nothing of it.
#[tokio::test]
async fn a_batch_of_products_lands_whole_or_not_at_all() {
    each_backend(|store| async move {
        let w = fixtures::world(&store).await.unwrap();
        let c = ClientInfo::default();
        let qa_a = principal(&store, w.company_a, "qa.a", &["quality_head"]).await;
        let numbered = |n: u32| NewProduct {
            approval_number: format!("国药准字H2023{n:04}"),
            drug_code: None,
            gtins: Vec::new(),
            ..metformin(w.company_a)
        };
        let count = || async {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM products").fetch_one(store.pool()).await.unwrap()
        };

        let ids = products::create_many(&store, &qa_a, &[numbered(1), numbered(2), numbered(3)], &c).await.unwrap();
        assert_eq!(ids.len(), 3);
        for id in &ids {
            assert_eq!(ledger::entries_of(&store, "product", &id.to_string()).await.unwrap().len(), 1);
        }

        // A bad field in the third: named, and the first two are not written.
        let bad = NewProduct { approval_number: "国药准字X20230009".into(), ..numbered(9) };
        let err = products::create_many(&store, &qa_a, &[numbered(4), numbered(5), bad], &c).await.unwrap_err();
        assert_eq!(fields(err.into()), vec![("approval_number".to_string(), "approval_category".to_string())]);
        assert_eq!(count().await, 3);

        // Another company's product in the batch: refused, nothing written.
        let theirs = NewProduct { mah_org_id: w.company_b, ..numbered(7) };
        let err = products::create_many(&store, &qa_a, &[numbered(6), theirs], &c).await.unwrap_err();
        assert!(matches!(IdentityError::from(err), IdentityError::Forbidden { .. }));
        assert_eq!(count().await, 3);

        // A 批准文号 already registered, found only when written: the batch rolls back whole.
        let err = products::create_many(&store, &qa_a, &[numbered(8), numbered(2)], &c).await.unwrap_err();
        assert_eq!(fields(err.into()), vec![("approval_number".to_string(), "unique".to_string())]);
        assert_eq!(count().await, 3);
        assert!(ledger::verify(&store).await.unwrap().is_ok());
    })
    .await;
}
