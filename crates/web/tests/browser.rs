//! Browser smoke test: Debian's Chromium driven through ChromeDriver (WebDriver) with
//! fantoccini. Logs in through the login form as a demo user and sees the portal page.
//!
//! Skipped with a message when `chromedriver` is not installed, unless
//! `YAOLIAN_REQUIRE_BROWSER=1` (set by `.ci/run`, which installs it).
//!
//! `YAOLIAN_SCREENSHOTS=DIR cargo test -p yaolian-web --test browser -- --ignored screenshots`
//! saves a PNG of every page for review.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

mod common;

mod driver;

use common::{seed, Server, PW};
use driver::{browser, start_driver};
use fantoccini::{Client, Locator};
use std::time::Duration;
use yaolian_store::testing::TestDb;
use yaolian_web::{AppState, WebConfig};

async fn log_in(c: &Client, server: &Server, username: &str) {
    c.goto(&server.url("/")).await.unwrap();
    // Not logged in: sent to the login page.
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    c.find(Locator::Css("#username")).await.unwrap().send_keys(username).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(PW).await.unwrap();
    c.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#todos")).await.unwrap();
}

#[tokio::test]
async fn log_in_through_the_form_and_see_the_portal() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;

    // Chinese by the language switch (the default for browsers that do not ask for English).
    c.goto(&server.url("/lang/zh?next=/login")).await.unwrap();
    // A wrong password keeps the user name and shows the error.
    c.find(Locator::Css("#username")).await.unwrap().send_keys("a.master").await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys("Wrong-pass1").await.unwrap();
    c.find(Locator::Css("form[action='/login'] button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css(".alert.error")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("用户名或密码错误"), "{alert}");
    let kept = c.find(Locator::Css("#username")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("a.master"));

    log_in(&c, &server, "a.master").await;
    let page = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(page.contains("测试a.master"), "portal greets the user: {page}");
    assert!(page.contains("甲制药有限公司"));
    // The users page lists only the company's accounts.
    c.goto(&server.url("/admin/users")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("#users-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("a.sub") && !table.contains("b.sub"), "{table}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// docs/ui.md §7 and §8 in the browser: on a 375 px phone the users list shows its key columns
/// and folds the rest without widening the page; the first stop of Tab is 跳到正文, out of sight
/// until it has the focus, and following it puts the focus on the page's main area.
#[tokio::test]
async fn a_phone_shows_a_lists_key_columns_and_the_first_tab_stop_skips_to_the_content() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    c.goto(&server.url("/lang/zh?next=/login")).await.unwrap();
    log_in(&c, &server, "admin").await;
    c.goto(&server.url("/admin/users?sort=username")).await.unwrap();
    c.wait().for_element(Locator::Css("#users-table")).await.unwrap();
    let shown = c
        .execute(
            "return [...document.querySelectorAll('#users-table thead th')]\
               .filter(th => getComputedStyle(th).display !== 'none').map(th => th.textContent.trim())",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, serde_json::json!(["用户名", "姓名", "状态"]));
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(width.as_u64().unwrap() <= 375, "{width}");
    let sorted = c.find(Locator::Css("th[aria-sort=ascending]")).await.unwrap().text().await.unwrap();
    assert!(sorted.starts_with("用户名"), "{sorted}");

    // The skip link: the first focusable element, off screen until focused.
    let first = c
        .execute("return document.querySelector('a[href], button, input, select, textarea').className", vec![])
        .await
        .unwrap();
    assert_eq!(first, "skip");
    let left = "return document.querySelector('a.skip').getBoundingClientRect().left";
    assert!(c.execute(left, vec![]).await.unwrap().as_f64().unwrap() < 0.0, "hidden until focused");
    c.execute("document.querySelector('a.skip').focus()", vec![]).await.unwrap();
    assert!(c.execute(left, vec![]).await.unwrap().as_f64().unwrap() >= 0.0, "shown when focused");
    let skip = c.find(Locator::Css("a.skip")).await.unwrap();
    assert_eq!(skip.text().await.unwrap(), "跳到正文");
    skip.click().await.unwrap();
    let focused = c.execute("return document.activeElement.id", vec![]).await.unwrap();
    assert_eq!(focused, "main");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

#[tokio::test]
#[ignore = "writes screenshots for review; run with YAOLIAN_SCREENSHOTS=DIR"]
async fn screenshots() {
    let Some(dir) = std::env::var_os("YAOLIAN_SCREENSHOTS") else {
        return;
    };
    let Some(driver) = start_driver().await else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    let db = TestDb::sqlite().await;
    let w = seed(&db.store).await;
    // Some history to show: a signature on version 1, a change after it, failed logins.
    {
        use yaolian_access::ClientInfo;
        use yaolian_identity::{auth, users, IdentityConfig};
        use yaolian_records::esign;
        let store = &db.store;
        let cfg = IdentityConfig::default();
        let c = ClientInfo { ip: "192.0.2.7".into(), user_agent: "screenshot".into() };
        let admin =
            auth::principal_for_user(store, users::id_by_username(store, "admin").await.unwrap()).await.unwrap();
        let id = w.b_user.to_string();
        let req = esign::SignRequest {
            entity: "user",
            entity_id: &id,
            version: 1,
            meaning: "approve",
            password: common::PW,
            totp: None,
        };
        esign::sign(store, &cfg, &admin, &req, &c).await.unwrap();
        users::set_status(store, &admin, w.b_user, false, "调离本单位", &c).await.unwrap();
        for _ in 0..5 {
            let _ = auth::login(store, &cfg, "intruder", "guess", &c).await;
        }
        let master =
            auth::principal_for_user(store, users::id_by_username(store, "a.master").await.unwrap()).await.unwrap();
        for (n, generic, form) in
            [(1, "盐酸二甲双胍片", "片剂"), (2, "阿莫西林胶囊", "胶囊剂"), (3, "连花清瘟胶囊", "胶囊剂")]
        {
            let new = yaolian_registry::products::NewProduct {
                approval_number: format!("国药准字H2023000{n}"),
                generic_name: generic.into(),
                trade_name: String::new(),
                dosage_form: form.into(),
                strength: "0.5g".into(),
                pack: "20片/盒".into(),
                mah_org_id: master.org_id(),
                manufacturer_org_id: None,
                drug_code: Some(format!("810000{n}")),
                gtins: vec![],
            };
            yaolian_registry::products::create(store, &master, &new, &c).await.unwrap();
        }
        let profile = yaolian_registry::companies::Profile {
            legal_rep: "张建华".into(),
            address: "杭州市钱塘区药谷路 8 号".into(),
            business_scope: "片剂、胶囊剂、颗粒剂的生产；药品批发".into(),
            contact_phone: "0571-8888 6666".into(),
        };
        yaolian_registry::companies::update_profile(store, &master, master.org_id(), &profile, "", 0, &c)
            .await
            .unwrap();
    }
    // A role request waiting for the second administrator (三员分立's two-person rule).
    let auditor_id = {
        use yaolian_identity::{auth, role_requests, users};
        let store = &db.store;
        let c = yaolian_access::ClientInfo::default();
        let sec =
            auth::principal_for_user(store, users::id_by_username(store, "secadmin").await.unwrap()).await.unwrap();
        let auditor = users::id_by_username(store, "auditor").await.unwrap();
        role_requests::propose(store, &sec, auditor, &[], "调离审计岗位，由新任审计管理员接替", &c).await.unwrap();
        auditor
    };
    let identifier = services_world(&db.store, &w).await;
    dashboard_world(&db.store, &w).await;
    let (unit, batch) = trace_world(&db.store, w.co_a).await;
    {
        use yaolian_identity::{auth, users};
        let store = &db.store;
        let master =
            auth::principal_for_user(store, users::id_by_username(store, "a.master").await.unwrap()).await.unwrap();
        let csv = "操作类型,追溯码,操作时间,操作场所\n搬运,81000010000000000001,2026-11-20 09:00,6901234000016\n\
                   销售,123,昨天,6901234000016\n出库,81000010000000000002,2026-11-20 09:00,6901234000999\n";
        yaolian_trace::upload::submit(store, &master, "11月出入库.csv", csv.into(), &Default::default()).await.unwrap();
    }
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    for (width, suffix) in [(1280, "desktop"), (375, "phone")] {
        let c = browser(&driver, width).await;
        c.goto(&server.url("/lang/zh?next=/login")).await.unwrap();
        let shot = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("login-{suffix}.png")), shot).unwrap();
        for (user, pages) in [
            (
                "admin",
                vec![
                    ("home", "/".to_string()),
                    ("orgs", "/admin/orgs".into()),
                    ("users", "/admin/users".into()),
                    ("user-new", "/admin/users/new".into()),
                    ("role-requests", "/admin/role-requests".into()),
                    ("record", format!("/records/user/{}?a=1&b=2", w.b_user)),
                    ("calendar", "/services/calendar".into()),
                ],
            ),
            (
                "secadmin",
                vec![
                    ("roles", "/admin/roles".into()),
                    ("user-detail", format!("/admin/users/{}", w.b_user)),
                    ("user-pending", format!("/admin/users/{auditor_id}")),
                ],
            ),
            (
                "a.master",
                vec![
                    ("products", "/registry/products".into()),
                    ("product-new", "/registry/products/new".into()),
                    ("product", "/registry/products/1".into()),
                    ("registry", "/registry?q=%E8%8D%AF".into()),
                    ("company", format!("/registry/companies/{}", w.co_a)),
                    ("services-applicant", "/services".into()),
                    ("application-new", "/services/new/drug_retail_issue".into()),
                ],
            ),
            ("auditor", vec![("audit", "/admin/audit".into()), ("account", "/account".into())]),
            ("zj.clerk", vec![("application-assign", "/services/applications/2".into()), ("home-clerk", "/".into())]),
            (
                "zj.leader",
                vec![
                    ("home-bureau", "/".into()),
                    ("licenses", "/licenses".into()),
                    ("license", "/licenses/1".into()),
                    ("license-print", "/licenses/1/print".into()),
                    ("services", "/services".into()),
                    ("application", "/services/applications/1".into()),
                    ("application-open", "/services/applications/2".into()),
                    ("service-stats", "/services/statistics".into()),
                    ("trace", "/trace".into()),
                    ("trace-anomalies", "/trace/anomalies?status=open".into()),
                    ("trace-recalls", "/trace/recalls".into()),
                    ("trace-recall", "/trace/recalls/1".into()),
                    ("trace-code", format!("/trace/codes?code={unit}")),
                    ("trace-where-to", format!("/trace/where-to?product_id=1&batch={batch}")),
                    ("trace-verify", format!("/trace/verify?code={unit}")),
                    ("trace-pack-codes", "/trace/pack-codes".into()),
                ],
            ),
            (
                "zj.leader",
                vec![
                    ("record-license", "/records/license/1".into()),
                    ("record-license-first", "/records/license/1?a=0&b=1".into()),
                    ("record-application", "/records/application/1".into()),
                    ("record-application-first", "/records/application/1?a=0&b=1".into()),
                    ("license-file", "/licenses/1/file".into()),
                    ("licenses-revoked", "/licenses/revoked".into()),
                    ("ledger-proof", "/ledger/proof?index=0&tree_size=1&entity=license&id=1".into()),
                ],
            ),
            (
                "a.master",
                vec![
                    ("trace-report", "/trace/report".into()),
                    ("trace-upload", "/trace/report/1".into()),
                    ("trace-anomalies-company", "/trace/anomalies?status=open".into()),
                    ("home-company", "/".into()),
                ],
            ),
        ] {
            log_in(&c, &server, user).await;
            for (name, path) in pages {
                c.goto(&server.url(&path)).await.unwrap();
                tokio::time::sleep(Duration::from_millis(300)).await;
                let shot = c.screenshot().await.unwrap();
                std::fs::write(std::path::Path::new(&dir).join(format!("{name}-{suffix}.png")), shot).unwrap();
                // The 工作台's lower half: a bureau's charts, a company's recalls, to-dos and messages.
                let below = match name {
                    "home-bureau" => Some("dashboard-charts"),
                    "home-company" => Some("recalls"),
                    _ => None,
                };
                if let Some(id) = below {
                    c.execute(&format!("document.getElementById('{id}').scrollIntoView()"), vec![]).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let shot = c.screenshot().await.unwrap();
                    std::fs::write(std::path::Path::new(&dir).join(format!("{name}-below-{suffix}.png")), shot)
                        .unwrap();
                    let width: i64 = c
                        .execute("return document.documentElement.scrollWidth", vec![])
                        .await
                        .unwrap()
                        .as_i64()
                        .unwrap();
                    assert!(width <= i64::from(width_limit(suffix)), "{name} overflows: {width}");
                    c.goto(&server.url(&path)).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                if name == "application-assign" {
                    // The handling form, below the fold: the reviewers offered as choices.
                    c.execute("document.getElementById('handle').scrollIntoView()", vec![]).await.unwrap();
                    let shot = c.screenshot().await.unwrap();
                    std::fs::write(std::path::Path::new(&dir).join(format!("{name}-{suffix}.png")), shot).unwrap();
                    // Back to the top (a fresh load), where the header's logout button is.
                    c.goto(&server.url(&path)).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                // The parts of the history and explaining pages below the fold.
                for (page, part) in [
                    ("record-license", "seal"),
                    ("record-license", "diff"),
                    ("record-license-first", "diff"),
                    ("record-application", "diff"),
                    ("record-application-first", "diff"),
                    ("license-file", "how"),
                    ("ledger-proof", "how"),
                ] {
                    if name == page {
                        let js = format!("var e = document.getElementById('{part}'); if (e) e.scrollIntoView();");
                        c.execute(&js, vec![]).await.unwrap();
                        let shot = c.screenshot().await.unwrap();
                        std::fs::write(std::path::Path::new(&dir).join(format!("{name}-{part}-{suffix}.png")), shot)
                            .unwrap();
                    }
                }
                if name == "trace-code" {
                    // The history, below the fold: with the late report's mark.
                    c.execute("document.getElementById('history-table').scrollIntoView()", vec![]).await.unwrap();
                    let shot = c.screenshot().await.unwrap();
                    std::fs::write(std::path::Path::new(&dir).join(format!("trace-history-{suffix}.png")), shot)
                        .unwrap();
                }
            }
            let form = c.find(Locator::Css("form[action='/logout'] button")).await.unwrap();
            form.click().await.unwrap();
            // Wait until the logout has landed on the login page before the next user.
            c.wait().for_element(Locator::Css("#username")).await.unwrap();
        }
        // The consumer lookup a pack's code opens, with no login.
        c.goto(&server.url(&format!("/t/{unit}"))).await.unwrap();
        let shot = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("trace-lookup-{suffix}.png")), shot).unwrap();
        // The page a license's QR code opens, with no login.
        c.goto(&server.url(&format!("/v/{identifier}"))).await.unwrap();
        let shot = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("license-verify-{suffix}.png")), shot).unwrap();
        c.close().await.unwrap();
    }
    server.stop().await;
    db.finish().await;
}

/// A generated chain of 2,000 packs of the first products, with its planted anomalies and an
/// open recall; returns a unit still in stock (20 digits) and its batch.
/// A generated chain whose manufacturer is `maker` (a company in the fixture province, so the
/// provincial bureau traces its codes: 属地监管).
async fn trace_world(store: &yaolian_store::Store, maker: i64) -> (String, String) {
    use yaolian_trace::generate::{generate, Plan};
    use yaolian_trace::ingest::{self, Options};
    let plan = Plan {
        packs: 2_000,
        batch_size: 1_000,
        products: vec![("8100001".into(), 1), ("8100002".into(), 2)],
        start: yaolian_core::Timestamp::now().china_date() - chrono::Days::new(40),
        anomalies: true,
        first_serial: 0,
    };
    let mut chain = generate(&plan);
    chain.sites[0].org_id = Some(maker);
    yaolian_trace::sites::upsert(store, &chain.sites).await.unwrap();
    let today = yaolian_core::Timestamp::now().china_date();
    let options = Options::bulk();
    let (good, _) = yaolian_trace::capture::prepare(&chain.events, 0, None, today);
    ingest::store(store, good, options.clone()).await.unwrap();
    let (product_id, lot) = chain.recall_batch.clone().unwrap();
    let new =
        yaolian_trace::recall::NewRecall { product_id, batches: vec![lot], level: 2, reason: "抽检不合格".into() };
    yaolian_trace::recall::open(store, &yaolian_access::run_as_system::principal(), &new, &Default::default())
        .await
        .unwrap();
    let (good, _) = yaolian_trace::capture::prepare(&chain.after_recall, 0, None, today);
    ingest::store(store, good, options.clone()).await.unwrap();
    let (_, batch, _) = chain.batches[0].clone();
    let made = &chain.events[0];
    // A late report for the history page: an inspection ten minutes after commissioning, sent in
    // after everything since.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let inspected = chrono::DateTime::parse_from_rfc3339(made["eventTime"].as_str().unwrap()).unwrap()
        + chrono::Duration::minutes(10);
    let late = serde_json::json!({"type": "ObjectEvent", "eventTime": inspected.to_rfc3339(),
        "eventTimeZoneOffset": "+08:00", "epcList": [made["epcList"][19]], "action": "OBSERVE",
        "bizStep": "inspecting", "disposition": "active", "readPoint": made["readPoint"], "bizLocation": made["bizLocation"]});
    let (good, _) = yaolian_trace::capture::prepare(&[late], 0, None, today);
    ingest::store(store, good, options.clone()).await.unwrap();
    let unit = made["epcList"][19].as_str().unwrap().trim_start_matches("urn:nmpa:code:").to_string();
    (unit, batch)
}

/// A decided application with its license, and one waiting to be accepted; returns the
/// license's identifier.
/// The widest a page may be in a screenshot run (`desktop` 1280, `phone` 375).
fn width_limit(suffix: &str) -> u32 {
    if suffix == "phone" {
        375
    } else {
        1280
    }
}

async fn services_world(store: &yaolian_store::Store, w: &common::World) -> String {
    use base64::Engine;
    use yaolian_access::ClientInfo;
    use yaolian_identity::{auth, fixtures, users, IdentityConfig};
    use yaolian_services::applications::{self, Act, Decide, NewApplication, Upload};
    let c = ClientInfo::default();
    let sys = yaolian_access::run_as_system::principal();
    for (name, roles) in
        [("zj.leader", &["regulator_leader"][..]), ("zj.clerk", &["window_clerk"]), ("zj.reviewer", &["reviewer"])]
    {
        fixtures::user(store, &sys, w.province, name, false, roles).await.unwrap();
    }
    let who = |name: &'static str| async move {
        auth::principal_for_user(store, users::id_by_username(store, name).await.unwrap()).await.unwrap()
    };
    let (master, clerk, reviewer, leader) =
        (who("a.master").await, who("zj.clerk").await, who("zj.reviewer").await, who("zj.leader").await);
    let sealing = yaolian_license::licenses::Sealing([1; 16]);
    let form: std::collections::BTreeMap<String, String> = [
        ("enterprise_name", "甲制药有限公司"),
        ("legal_representative", "张建华"),
        ("principal", "李华"),
        ("quality_head", "王芳（执业药师）"),
        ("registered_address", "杭州市钱塘区药谷路 8 号"),
        ("business_scope", "处方药、非处方药：化学药、中成药"),
        ("contact_phone", "0571-88886666"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let files = || {
        ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"]
            .map(|l| Upload {
                label: l.into(),
                name: format!("{l}.pdf"),
                content_type: "application/pdf".into(),
                content_base64: base64::engine::general_purpose::STANDARD.encode(l),
            })
            .to_vec()
    };
    let new = NewApplication {
        type_code: "drug_retail_issue".into(),
        form: form.clone(),
        files: files(),
        ..Default::default()
    };
    let a = applications::submit(store, &sealing, &master, &new, &c).await.unwrap();
    let id = a.application.id;
    let items = vec!["仓库地址未填写".to_string()];
    applications::act(store, &clerk, id, &Act::RequestCorrection { items, note: String::new() }, 1, &c).await.unwrap();
    let answer = applications::Resubmission {
        form: [("warehouse_address".to_string(), "杭州市萧山区 12 号库".to_string())].into_iter().collect(),
        files: vec![],
        expected_version: 2,
    };
    applications::resubmit(store, &master, id, &answer, &c).await.unwrap();
    applications::act(store, &clerk, id, &Act::Accept { opinion: "材料齐全".into() }, 3, &c).await.unwrap();
    applications::act(store, &clerk, id, &Act::Assign { reviewer_ids: vec![reviewer.user_id()] }, 4, &c).await.unwrap();
    let review = Act::Review { opinion: "现场检查符合 GSP".into(), conclusion: "approve".into() };
    applications::act(store, &reviewer, id, &review, 5, &c).await.unwrap();
    let d = Decide {
        outcome: "approve".into(),
        opinion: "准予许可".into(),
        password: PW.into(),
        totp: None,
        expected_version: 6,
    };
    let done = applications::decide(store, &IdentityConfig::default(), &sealing, &leader, id, &d, &c).await.unwrap();
    let second = NewApplication { type_code: "drug_retail_issue".into(), form, files: files(), ..Default::default() };
    let second = applications::submit(store, &sealing, &master, &second, &c).await.unwrap();
    // Accepted, waiting for the clerk to assign reviewers (the page offers those who may review).
    let accept = Act::Accept { opinion: "材料齐全".into() };
    applications::act(store, &clerk, second.application.id, &accept, 1, &c).await.unwrap();
    let license =
        yaolian_license::licenses::get(store, &leader, done.application.license_id.unwrap(), &c).await.unwrap();
    license.document.identifier
}

/// What the 工作台 shows beyond `services_world`: applications to accept, one overdue, one
/// decided by a 秒办 rule, and a license of 甲 that expires in 45 days.
async fn dashboard_world(store: &yaolian_store::Store, w: &common::World) {
    use yaolian_access::ClientInfo;
    use yaolian_core::Timestamp;
    use yaolian_identity::{auth, users};
    use yaolian_services::applications::{self, NewApplication};
    let c = ClientInfo::default();
    let who = |name: &'static str| async move {
        auth::principal_for_user(store, users::id_by_username(store, name).await.unwrap()).await.unwrap()
    };
    let (master, leader) = (who("a.master").await, who("zj.leader").await);
    let sealing = yaolian_license::licenses::Sealing([1; 16]);
    let today = Timestamp::now().china_date();
    let fields = [
        ("legal_representative", "张建华"),
        ("principal", "李华"),
        ("quality_head", "王芳"),
        ("registered_address", "杭州市钱塘区药谷路 8 号"),
        ("business_scope", "处方药、非处方药：化学药"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let new = yaolian_license::licenses::NewLicense {
        kind: "drug_wholesale".into(),
        holder_org_id: w.co_a,
        number: None,
        valid_from: Some((today - chrono::Duration::days(1780)).to_string()),
        valid_until: Some((today + chrono::Duration::days(45)).to_string()),
        fields,
    };
    yaolian_license::licenses::issue(store, &sealing, &leader, &new, &c).await.unwrap();
    let filing = NewApplication {
        type_code: "contact_change_filing".into(),
        form: [("contact_person", "李华"), ("contact_phone", "13800138000")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    };
    applications::submit(store, &sealing, &master, &filing, &c).await.unwrap();
    // Two waiting for 受理, one of them past its time limit.
    let first = applications::get(store, &master, 1, &c).await.unwrap();
    let files = ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"]
        .map(|l| applications::Upload {
            label: l.into(),
            name: format!("{l}.pdf"),
            content_type: "application/pdf".into(),
            content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, l),
        })
        .to_vec();
    let again = NewApplication {
        type_code: "drug_retail_issue".into(),
        form: first.application.form.clone(),
        files,
        ..Default::default()
    };
    let day = |days: i64| Timestamp::china_day_start(today - chrono::Duration::days(days)).plus_seconds(10 * 3600);
    for at in [day(0), day(30)] {
        applications::submit_at(store, &sealing, &master, &again, &c, at).await.unwrap();
    }
}

#[tokio::test]
async fn an_applicant_fills_the_application_form_with_attachments() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    c.goto(&server.url("/lang/zh?next=/login")).await.unwrap();
    log_in(&c, &server, "a.master").await;
    let files = tempfile::tempdir().unwrap();
    // File `i` holds material `content` (the same content twice is one document attached twice).
    let attach = |c: Client, i: usize, content: usize| {
        let path = files.path().join(format!("material-{i}.txt"));
        std::fs::write(&path, format!("申请材料 {content}")).unwrap();
        async move {
            let input = c.find(Locator::Css(&format!("#file_{i}"))).await.unwrap();
            input.send_keys(&path.display().to_string()).await.unwrap();
        }
    };
    let fill = |c: Client, scope: String| async move {
        for (key, value) in [
            ("enterprise_name", "甲制药有限公司"),
            ("legal_representative", "张建华"),
            ("principal", "李华"),
            ("quality_head", "王芳"),
            ("registered_address", "杭州市钱塘区药谷路 8 号"),
            ("contact_phone", "0571-88886666"),
        ] {
            let input = c.find(Locator::Css(&format!("#f-{key}"))).await.unwrap();
            input.clear().await.unwrap();
            input.send_keys(value).await.unwrap();
        }
        let input = c.find(Locator::Css("#f-business_scope")).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(&scope).await.unwrap();
    };
    c.goto(&server.url("/services/new/drug_retail_issue")).await.unwrap();
    // The browser keeps a business scope to its 1000 characters (maxlength) …
    fill(c.clone(), "化学药".repeat(400)).await;
    let typed = c.find(Locator::Css("#f-business_scope")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(typed.map(|v| v.chars().count()), Some(1000));
    // … and the server refuses what only it can see, one document attached as two materials:
    // the page comes back with the error at the attachment and everything typed still there.
    for i in 0..4 {
        attach(c.clone(), i, i.min(2)).await;
    }
    c.find(Locator::Css("#application-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css(".alert.error")).await.unwrap().text().await.unwrap();
    // In Chinese, about the attachment's label, without internal keys.
    assert!(alert.contains("质量管理文件目录与已上传的另一份文件内容相同") && !alert.contains("files["), "{alert}");
    let kept = c.find(Locator::Css("#f-legal_representative")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("张建华"));
    // A scan over the route's limit is stopped in the browser: said above the form, nothing
    // sent, everything typed kept (the server would refuse the body before reading the form).
    for i in 1..4 {
        attach(c.clone(), i, i).await;
    }
    let big = files.path().join("营业执照扫描件.pdf");
    std::fs::write(&big, vec![b'%'; 20 << 20]).unwrap();
    const { assert!(20 << 20 > yaolian_web::api::MAX_APPLICATION_BYTES) };
    c.find(Locator::Css("#file_0")).await.unwrap().send_keys(&big.display().to_string()).await.unwrap();
    c.find(Locator::Css("#application-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css(".upload-too-large")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("所选文件共 20.0 MiB，超过上限 15.9 MiB"), "{alert}");
    assert!(c.current_url().await.unwrap().path().starts_with("/services/new/"));
    let kept = c.find(Locator::Css("#f-legal_representative")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("张建华"));
    // Corrected (files are chosen again, as browsers never keep them), it is submitted.
    fill(c.clone(), "处方药、非处方药".into()).await;
    for i in 0..4 {
        attach(c.clone(), i, i).await;
    }
    c.find(Locator::Css("#application-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("ol.timeline")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/services/applications/"));
    let page = c.find(Locator::Css("main")).await.unwrap().text().await.unwrap();
    assert!(page.contains("待受理") && page.contains("material-3.txt"), "{page}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// A fresh session in Chinese for `username` (the browsers of one driver share a profile, so
/// the previous role's cookies are dropped first).
async fn as_role(c: &Client, server: &Server, username: &str) {
    c.goto(&server.url("/login")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
    c.goto(&server.url("/lang/zh?next=/login")).await.unwrap();
    log_in(c, server, username).await;
}

/// Fills `css` (clearing it first).
async fn type_into(c: &Client, css: &str, text: &str) {
    let input = c.find(Locator::Css(css)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// The text of the page's main area.
async fn main_text(c: &Client) -> String {
    c.find(Locator::Css("main")).await.unwrap().text().await.unwrap()
}

/// Issue 17's dead ends, walked in the browser: the window clerk picks a reviewer by name, role
/// and workload; the leader is told a review is missing instead of being offered the decision;
/// the reviewer gives an opinion; the leader's wrong password is refused next to the form with
/// the opinion kept, then the signed decision succeeds; the applicant answers a 补正 notice with
/// the missing file and withdraws another application from its progress page — a success
/// message after each step.
#[tokio::test]
async fn the_bureau_and_the_applicant_finish_an_application_in_the_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let w = seed(&db.store).await;
    // Three applications of 甲制药 (no license decided before the server starts, whose sealing
    // key is its own): one accepted and waiting for reviewers, one waiting for 补正 (the notice
    // asks for one missing file), one open to be withdrawn.
    let (waiting, open) = {
        use yaolian_access::ClientInfo;
        use yaolian_identity::{auth, fixtures, users};
        use yaolian_services::applications::{self, Act, NewApplication, Upload};
        let store = &db.store;
        let sys = yaolian_access::run_as_system::principal();
        for (name, roles) in
            [("zj.leader", &["regulator_leader"][..]), ("zj.clerk", &["window_clerk"]), ("zj.reviewer", &["reviewer"])]
        {
            fixtures::user(store, &sys, w.province, name, false, roles).await.unwrap();
        }
        let who = |name: &'static str| async move {
            auth::principal_for_user(store, users::id_by_username(store, name).await.unwrap()).await.unwrap()
        };
        let (master, clerk) = (who("a.master").await, who("zj.clerk").await);
        let form = [
            ("enterprise_name", "甲制药有限公司"),
            ("legal_representative", "张建华"),
            ("principal", "李华"),
            ("quality_head", "王芳（执业药师）"),
            ("registered_address", "杭州市钱塘区药谷路 8 号"),
            ("business_scope", "处方药、非处方药：化学药、中成药"),
            ("contact_phone", "0571-88886666"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let new = NewApplication {
            type_code: "drug_retail_issue".into(),
            form,
            files: ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"]
                .map(|l| Upload {
                    label: l.into(),
                    name: format!("{l}.txt"),
                    content_type: "text/plain".into(),
                    content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, l),
                })
                .to_vec(),
            ..Default::default()
        };
        let sealing = yaolian_license::licenses::Sealing([1; 16]);
        let c = ClientInfo::default();
        let first = applications::submit(store, &sealing, &master, &new, &c).await.unwrap();
        let accept = Act::Accept { opinion: "材料齐全".into() };
        applications::act(store, &clerk, first.application.id, &accept, 1, &c).await.unwrap();
        let a = applications::submit(store, &sealing, &master, &new, &c).await.unwrap();
        let items = vec!["经营场所和仓库平面布置图缺少比例尺".to_string()];
        let ask = Act::RequestCorrection { items, note: String::new() };
        applications::act(store, &clerk, a.application.id, &ask, 1, &c).await.unwrap();
        let b = applications::submit(store, &sealing, &master, &new, &c).await.unwrap();
        (a.application.id, b.application.id)
    };
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let accepted = server.url("/services?status=accepted");
    let list = |c: Client| async move {
        c.goto(&accepted).await.unwrap();
        let link = c.find(Locator::Css("#applications-table tbody a")).await.unwrap();
        link.click().await.unwrap();
        c.wait().for_element(Locator::Css("ol.timeline")).await.unwrap();
    };

    // The window clerk picks the reviewer from the table (name, role, workload) and assigns.
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "zj.clerk").await;
    list(c.clone()).await;
    let table = c.find(Locator::Css("#reviewers-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("测试zj.reviewer") && table.contains("在办审查"), "{table}");
    // Nothing picked: refused next to the form, in Chinese.
    c.find(Locator::Css("#assign-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css("#handle .alert.error")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("审查人员为必填项"), "{alert}");
    let reviewer = yaolian_identity::users::id_by_username(&db.store, "zj.reviewer").await.unwrap();
    c.find(Locator::Css(&format!("#reviewer-{reviewer}"))).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#assign-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("已指派审查人员"), "{notice}");
    let app_url = c.current_url().await.unwrap().path().to_string();
    c.close().await.unwrap();

    // The leader: no decision form before a review, and what is missing is said.
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "zj.leader").await;
    c.goto(&server.url(&app_url)).await.unwrap();
    let missing = c.wait().for_element(Locator::Css("#decide-missing")).await.unwrap().text().await.unwrap();
    assert!(missing.contains("尚无审查意见"), "{missing}");
    assert!(c.find(Locator::Css("#decide-form")).await.is_err());
    c.close().await.unwrap();

    // The reviewer gives the opinion.
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "zj.reviewer").await;
    c.goto(&server.url(&app_url)).await.unwrap();
    type_into(&c, "#review-text", "现场检查符合《药品经营质量管理规范》").await;
    c.find(Locator::Css("#review-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("审查意见已提交"), "{notice}");
    c.close().await.unwrap();

    // The leader decides: a wrong password is refused in place with the opinion kept.
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "zj.leader").await;
    c.goto(&server.url(&app_url)).await.unwrap();
    type_into(&c, "#opinion", "符合条件，准予许可").await;
    type_into(&c, "#password", "Wrong-pass1").await;
    c.find(Locator::Css("#decide-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css("#decide .alert.error")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("密码不正确"), "{alert}");
    let kept = c.find(Locator::Css("#opinion")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("符合条件，准予许可"));
    type_into(&c, "#password", PW).await;
    c.find(Locator::Css("#decide-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("决定已签名作出"), "{notice}");
    assert_eq!(c.find(Locator::Css("#status")).await.unwrap().text().await.unwrap(), "准予许可");
    c.close().await.unwrap();

    // The applicant answers the 补正 notice with the missing file, and withdraws another.
    let c = browser(&driver, 375).await;
    as_role(&c, &server, "a.master").await;
    c.goto(&server.url(&format!("/services/applications/{waiting}"))).await.unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("平面布置图-含比例尺.txt");
    std::fs::write(&path, "平面布置图（1:100）").unwrap();
    c.find(Locator::Css("#file_0")).await.unwrap().send_keys(&path.display().to_string()).await.unwrap();
    c.find(Locator::Css("#resubmit-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("补正材料已提交"), "{notice}");
    assert!(main_text(&c).await.contains("平面布置图-含比例尺.txt"));
    c.goto(&server.url(&format!("/services/applications/{open}"))).await.unwrap();
    c.find(Locator::Css("#withdraw-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.accept_alert().await.unwrap();
    let notice = c.wait().for_element(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("申请已撤回"), "{notice}");
    let width: f64 = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_f64().unwrap();
    assert!(width <= 375.0, "the progress page fits a phone: {width}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// 追溯数据上报 and 异常说明 in the browser (issue 16 §4): 康辰's quality head uploads an
/// operations sheet with one bad line and sees it named in Chinese, answers an anomaly at its
/// site, and the provincial inspector sees the answer on the anomaly.
#[tokio::test]
async fn a_company_reports_trace_data_and_answers_an_anomaly_the_bureau_sees_it() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    company_trace_world(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.qa").await;

    // The upload: a sheet with a good line and a line whose operation is unknown.
    let files = tempfile::tempdir().unwrap();
    let sheet = files.path().join("出入库.csv");
    std::fs::write(
        &sheet,
        "操作类型,追溯码,操作时间,操作场所,批号,有效期\n\
         生产赋码,81000090000000000101,2026-11-20 09:00,6901234000016,B2026009,2028-11-30\n\
         搬运,81000090000000000102,2026-11-20 09:00,6901234000016,,\n",
    )
    .unwrap();
    c.goto(&server.url("/trace/report")).await.unwrap();
    c.find(Locator::Css("#file")).await.unwrap().send_keys(&sheet.display().to_string()).await.unwrap();
    c.find(Locator::Css("#upload-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refused = c.wait().for_element(Locator::Css("#refused-table")).await.unwrap().text().await.unwrap();
    assert!(refused.contains("第 3 行") && refused.contains("操作类型“搬运”不是可用的值"), "{refused}");
    let stored = c.find(Locator::Css("#upload-stored")).await.unwrap().text().await.unwrap();
    assert_eq!(stored, "1");
    let status = c.find(Locator::Css("#upload-status")).await.unwrap().text().await.unwrap();
    assert_eq!(status, "部分接收");

    // The anomaly at 康辰's site, in Chinese, answered with a note.
    c.goto(&server.url("/trace/anomalies?status=open")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("#anomalies-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("该码已赋码，又被再次赋码"), "{table}");
    assert!(!table.contains("commissioned again"), "{table}");
    c.find(Locator::Css(".answer-form summary")).await.unwrap().click().await.unwrap();
    let text = c.find(Locator::Css(".answer-form textarea")).await.unwrap();
    text.send_keys("同一批次标签重复打印，已作废重复标签").await.unwrap();
    c.find(Locator::Css(".answer-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let table = c.wait().for_element(Locator::Css("#anomalies-table .answer")).await.unwrap().text().await.unwrap();
    assert!(table.contains("同一批次标签重复打印"), "{table}");
    c.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#username")).await.unwrap();

    // The provincial inspector sees the company's answer on the anomaly.
    log_in(&c, &server, "zj.inspector").await;
    c.goto(&server.url("/trace/anomalies?status=open")).await.unwrap();
    let answer = c.wait().for_element(Locator::Css("#anomalies-table .answer")).await.unwrap().text().await.unwrap();
    assert!(answer.contains("同一批次标签重复打印") && answer.contains("浙江康辰药业有限公司"), "{answer}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// The demo world with a product of 康辰 carrying a 药品标识码, and one anomaly at its site: a
/// code commissioned twice.
async fn company_trace_world(store: &yaolian_store::Store) {
    let demo = common::demo::seed(store).await;
    let sys = yaolian_access::run_as_system::principal();
    let new = yaolian_registry::products::NewProduct {
        approval_number: "国药准字H20260901".into(),
        generic_name: "阿莫西林胶囊".into(),
        dosage_form: "胶囊剂".into(),
        strength: "0.25g".into(),
        pack: "24粒/盒".into(),
        mah_org_id: demo.id("org.kc"),
        drug_code: Some("8100009".into()),
        ..Default::default()
    };
    yaolian_registry::products::create(store, &sys, &new, &Default::default()).await.unwrap();
    let made = |day: u32| {
        serde_json::json!({"type": "ObjectEvent", "eventTime": format!("2026-11-{day:02}T09:00:00.000+08:00"),
            "eventTimeZoneOffset": "+08:00", "epcList": ["urn:nmpa:code:81000090000000000001"], "action": "ADD",
            "bizStep": "commissioning", "disposition": "active",
            "readPoint": {"id": common::demo::KC_SITE}, "bizLocation": {"id": common::demo::KC_SITE},
            "ilmd": {"cbvmda:lotNumber": "B2026009", "cbvmda:itemExpirationDate": "2028-11-30"}})
    };
    let today = yaolian_core::Timestamp::now().china_date();
    for day in [10, 11] {
        let (good, _) = yaolian_trace::capture::prepare(&[made(day)], 0, None, today);
        yaolian_trace::ingest::store(store, good, yaolian_trace::ingest::Options::bulk()).await.unwrap();
    }
}

/// An organization is picked by typing part of its name (a province holds 30,000; no page lists
/// them all): the picker offers the matches as 名称 代码, the chosen one is saved, and a text
/// that names no organization is refused next to the field with the text kept.
#[tokio::test]
async fn a_reviewer_picks_the_holder_by_typing_part_of_its_name() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    common::demo::seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    as_role(&c, &server, "zj.reviewer").await;

    let fill = |number: &'static str| {
        let c = c.clone();
        async move {
            type_into(&c, "#approval_number", number).await;
            type_into(&c, "#generic_name", "布洛芬缓释胶囊").await;
            type_into(&c, "#dosage_form_in", "胶囊剂").await;
            type_into(&c, "#strength", "0.3g").await;
        }
    };
    // Nothing the picker could offer: refused beside the field, the typed text kept.
    c.goto(&server.url("/registry/products/new")).await.unwrap();
    fill("国药准字H20260321").await;
    type_into(&c, "#mah_org_id", "没有这家企业").await;
    c.find(Locator::Css("#product-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let error = c.wait().for_element(Locator::Css("#mah_org_id-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("未找到这个机构"), "{error}");
    let kept = c.find(Locator::Css("#mah_org_id")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("没有这家企业"));
    assert_eq!(
        c.find(Locator::Css("#approval_number")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("国药准字H20260321")
    );

    // Part of the name: the list offers the company as 名称 代码.
    type_into(&c, "#mah_org_id", "康辰").await;
    let offered = |c: Client| async move {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let list = c
                .execute("return [...document.querySelectorAll('#mah_org_id-list option')].map(o => o.value)", vec![])
                .await
                .unwrap();
            let values: Vec<String> =
                list.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or("").to_string()).collect();
            if values.len() == 1 || std::time::Instant::now() > deadline {
                return values;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let values = offered(c.clone()).await;
    assert_eq!(values, vec!["浙江康辰药业有限公司 91330100MA27XL3K2N".to_string()], "{values:?}");
    // Picking the offer puts its whole text in the field at once, as a click on the list does
    // (typing it key by key raced the list's own updates on a loaded machine).
    let pick = "const el = document.querySelector('#mah_org_id'); el.value = arguments[0]; \
                el.dispatchEvent(new Event('input', { bubbles: true })); return el.value;";
    let picked = c.execute(pick, vec![serde_json::json!(values[0])]).await.unwrap();
    assert_eq!(picked.as_str(), Some(values[0].as_str()));
    c.find(Locator::Css("#product-form button[type=submit]")).await.unwrap().click().await.unwrap();
    // The form page has a heading too: wait until the browser is on the product's own page,
    // then read it in one script (an element found on the page being left goes stale).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let text = loop {
        let path = c.current_url().await.map(|u| u.path().to_string()).unwrap_or_default();
        let shown = if path.ends_with("/new") {
            None
        } else {
            c.execute("return document.querySelector('main').innerText", vec![]).await.ok()
        };
        let text = shown.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        if !text.is_empty() || std::time::Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(text.contains("布洛芬缓释胶囊") && text.contains("浙江康辰药业有限公司"), "{text}");
    assert!(c.current_url().await.unwrap().path().starts_with("/registry/products/"));
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(width.as_f64().unwrap() <= 375.0, "{width}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// The stockroom in the browser: find a reagent by its CAS number, receive a lot, be refused in
/// place when taking a later-expiring lot without a reason (the quantity kept), take it with
/// one, and approve a count's adjustment — a success message after each step.
#[tokio::test]
async fn a_storekeeper_receives_issues_by_fefo_and_approves_a_count() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let item = demo.id("item.kc");
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.master").await;

    c.goto(&server.url("/inventory")).await.unwrap();
    type_into(&c, "#q", "75-05-8").await;
    c.find(Locator::Css(".filters button[type=submit]")).await.unwrap().click().await.unwrap();
    // The filtered page, not the one before it (whose table goes stale as the form submits).
    for _ in 0..100 {
        if c.current_url().await.unwrap().query().is_some_and(|q| q.contains("75-05-8")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let table = c.wait().for_element(Locator::Css("#items-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("乙腈"), "{table}");
    c.find(Locator::LinkText("乙腈")).await.unwrap().click().await.unwrap();

    // Receive a lot that expires before the one in stock.
    c.wait().for_element(Locator::Css("#receive-form")).await.unwrap();
    type_into(&c, "#receive-lot", "L2026-EARLY").await;
    type_into(&c, "#receive-qty", "500").await;
    c.execute("document.getElementById('receive-expires').value = '2029-06-30'", vec![]).await.unwrap();
    c.find(Locator::Css("#receive-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap().text().await.unwrap();
    assert_eq!(notice, "已入库");
    assert!(main_text(&c).await.contains("L2026-EARLY"));

    // Taking the later lot by hand without a reason: refused next to the form, input kept.
    c.goto(&server.url(&format!("/inventory/items/{item}"))).await.unwrap();
    type_into(&c, "#issue-qty", "20").await;
    let later = demo.id("lot.kc").to_string();
    c.find(Locator::Css(&format!("#issue-lot option[value='{later}']"))).await.unwrap().click().await.unwrap();
    type_into(&c, "#issue-purpose", "含量测定流动相配制").await;
    c.find(Locator::Css("#issue-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refusal = c.wait().for_element(Locator::Css("#issue-card .alert.error")).await.unwrap().text().await.unwrap();
    assert!(refusal.contains("近效期先出") && refusal.contains("L2026-EARLY"), "{refusal}");
    let kept = c.find(Locator::Css("#issue-qty")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("20"));
    type_into(&c, "#issue-fefo", "稳定性考察须用同一批号").await;
    c.find(Locator::Css("#issue-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap().text().await.unwrap();
    assert_eq!(notice, "已领用出库");

    // The count the system recorded waits for approval; approving it moves the stock.
    c.goto(&server.url("/inventory/adjustments")).await.unwrap();
    let card = format!("#adjustment-{}", demo.id("adjustment.kc"));
    c.wait().for_element(Locator::Css(&card)).await.unwrap();
    type_into(&c, &format!("{card} textarea"), "复核属实").await;
    c.find(Locator::Css(&format!("{card} button[value='1']"))).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap().text().await.unwrap();
    assert_eq!(notice, "调整已批准，库存已更新");
    c.goto(&server.url(&format!("/inventory/lots/{later}"))).await.unwrap();
    let card = c.wait().for_element(Locator::Css("#movements-table")).await.unwrap().text().await.unwrap();
    assert!(card.contains("盘点调整") && card.contains("稳定性考察须用同一批号"), "{card}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// QA works a deviation in the browser: classified major, its approval is refused in place
/// until a CAPA exists; reclassified minor with a reason, a wrong password is refused next to the
/// form, and the right one signs the approval.
#[tokio::test]
async fn qa_investigates_and_signs_off_a_deviation_from_an_oos_result() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.qa").await;
    c.goto(&server.url("/quality")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("#deviations-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("检验结果超标：含量测定"), "{table}");
    let page = format!("/quality/deviations/{}", demo.id("deviation.kc"));
    c.goto(&server.url(&page)).await.unwrap();

    c.wait().for_element(Locator::Css("#investigate-form")).await.unwrap();
    c.find(Locator::Css("#classification option[value='major']")).await.unwrap().click().await.unwrap();
    type_into(&c, "#classification_reason", "含量低于下限").await;
    type_into(&c, "#five_whys", "为什么含量偏低？定容体积偏大").await;
    type_into(&c, "#root_cause", "容量瓶规格用错").await;
    type_into(&c, "#impact", "不影响产品放行").await;
    c.find(Locator::Css("#investigate-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap().text().await.unwrap();
    assert_eq!(notice, "调查与分级已保存");
    type_into(&c, "#approve-password", PW).await;
    c.find(Locator::Css("#approve-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refusal = c.wait().for_element(Locator::Css("#approve-card .alert.error")).await.unwrap().text().await.unwrap();
    assert!(refusal.contains("纠正预防措施"), "{refusal}");

    // Reclassified minor, with the reason a change needs.
    c.find(Locator::Css("#classification option[value='minor']")).await.unwrap().click().await.unwrap();
    type_into(&c, "#investigate-reason", "复测合格，降为次要偏差").await;
    c.find(Locator::Css("#investigate-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap();
    type_into(&c, "#approve-password", "not-the-password").await;
    c.find(Locator::Css("#approve-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#approve-card .alert.error")).await.unwrap();
    type_into(&c, "#approve-password", PW).await;
    c.find(Locator::Css("#approve-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let notice = c.wait().for_element(Locator::Css(".alert.ok")).await.unwrap().text().await.unwrap();
    assert_eq!(notice, "偏差已批准关闭");
    assert!(main_text(&c).await.contains("已批准关闭"));
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// A controlled document in the browser: QA submits the draft, approves it under a signature
/// with today's date (it is then in force), and records a person's training on it.
#[tokio::test]
async fn qa_brings_a_controlled_document_into_force_and_records_training() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.qa").await;
    c.goto(&server.url(&format!("/quality/documents/{}", demo.id("doc.kc")))).await.unwrap();
    c.wait().for_element(Locator::Css("#submit-form")).await.unwrap();
    c.find(Locator::Css("#submit-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已提交审核").await;
    let today = yaolian_core::Timestamp::now().china_date().to_string();
    c.execute(&format!("document.getElementById('effective_on').value = '{today}'"), vec![]).await.unwrap();
    type_into(&c, "#approve-password", PW).await;
    c.find(Locator::Css("#approve-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已批准").await;
    let table = c.find(Locator::Css("#revisions-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("现行有效"), "{table}");
    c.find(Locator::Css("#trainees-table button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "培训已记录").await;
    assert!(c.find(Locator::Css("#trainees-table")).await.unwrap().text().await.unwrap().contains("已培训"));
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// Change control in the browser: QA's assessment with a high RPN called minor is refused in
/// place with the failure modes kept; as major it is saved; QA signs, the task is done, and the
/// change closes under a signature — a success message after each step.
#[tokio::test]
async fn qa_assesses_approves_and_closes_a_change() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.qa").await;
    c.goto(&server.url("/quality/changes")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("#changes-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("分析天平更换") && table.contains("已申请，待评估"), "{table}");
    c.goto(&server.url(&format!("/quality/changes/{}", demo.id("change.kc")))).await.unwrap();
    c.wait().for_element(Locator::Css("#assess-form")).await.unwrap();
    c.find(Locator::Css("#classification option[value='minor']")).await.unwrap().click().await.unwrap();
    type_into(&c, "#classification_reason", "同型号更换").await;
    let risks = "称量结果偏差 / 含量结果错误 / 8 / 4 / 4 / 安装确认与校准后启用";
    type_into(&c, "#risks", risks).await;
    type_into(&c, "#tasks", "新天平安装确认与校准 / 王芳 / 2030-01-31").await;
    c.find(Locator::Css("#assess-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refusal = c.wait().for_element(Locator::Css("#assess-card .alert.error")).await.unwrap().text().await.unwrap();
    assert!(refusal.contains("主要变更"), "{refusal}");
    let kept = c.find(Locator::Css("#risks")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, risks, "the failure modes are kept");

    c.find(Locator::Css("#classification option[value='major']")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#assess-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "分类与风险评估已保存，待各部门批准").await;
    let fmea = c.find(Locator::Css("#fmea-table")).await.unwrap().text().await.unwrap();
    assert!(fmea.contains("128"), "{fmea}");
    type_into(&c, "#decide-password", PW).await;
    c.find(Locator::Css("#decide-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "签名已记录").await;
    assert!(main_text(&c).await.contains("已批准，实施中"));
    type_into(&c, "#evidence-0", "校准证书 JZ-2026-118").await;
    c.find(Locator::Css("#tasks-table button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "任务已标记完成").await;
    type_into(&c, "#close-note", "新天平已确认并启用").await;
    type_into(&c, "#close-password", PW).await;
    c.find(Locator::Css("#close-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "变更已关闭").await;
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// A lab record in the browser: the analyst fills a record from an approved template (a value
/// with too many places is refused in place, the other values kept), the content is calculated
/// and flagged out of specification, a signed submission opens a deviation; a correction after
/// submission keeps the original beside the new value; the master account reviews, QA approves;
/// the printed copy carries the three signatures and the audit trail.
#[tokio::test]
async fn an_analyst_fills_and_submits_a_record_that_is_reviewed_and_approved() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let store = &db.store;
    let client = yaolian_access::ClientInfo::default();
    let person = |name: &'static str| async move {
        let id = yaolian_identity::users::id_by_username(store, name).await.unwrap();
        yaolian_identity::auth::principal_for_user(store, id).await.unwrap()
    };
    let (qa, master) = (person("kc.qa").await, person("kc.master").await);
    let lab = demo.id("org.kc.lab");
    let hplc = yaolian_lab::instruments::NewInstrument {
        org_id: lab,
        code: "HPLC-03".into(),
        name: "高效液相色谱仪".into(),
        calibration_interval_days: 365,
        ..Default::default()
    };
    let hplc = yaolian_lab::instruments::register(store, &qa, &hplc, &client).await.unwrap();
    let today = yaolian_core::Timestamp::now().china_date().to_string();
    let cal = yaolian_lab::instruments::Calibration { performed_on: today, certificate: "JZ-1".into(), passed: true };
    yaolian_lab::instruments::calibrate(store, &qa, hplc.id, &cal, &client).await.unwrap();
    let definition: yaolian_lab::templates::Definition = serde_json::from_value(serde_json::json!({"sections": [
        {"title": "称量与测定", "fields": [
            {"key": "hplc", "label": "高效液相色谱仪", "kind": "instrument", "required": true},
            {"key": "w_std", "label": "对照品称样量", "kind": "number", "unit": "mg", "places": 2, "required": true},
            {"key": "w_smp", "label": "供试品称样量", "kind": "number", "unit": "mg", "places": 2, "required": true},
            {"key": "a_smp", "label": "供试品峰面积", "kind": "number", "places": 0, "required": true},
            {"key": "photo", "label": "称量照片", "kind": "attachment"}
        ]},
        {"title": "对照品重复进样", "rows": 3, "fields": [{"key": "a_std", "label": "对照品峰面积", "kind": "number", "required": true}]},
        {"title": "结果", "fields": [
            {"key": "content", "label": "含量", "kind": "calculated", "unit": "%", "places": 1, "formula": "a_smp / mean(a_std[]) * w_std / w_smp * 100", "spec_low": "95.0", "spec_high": "105.0", "required": true}
        ]}
    ]}))
    .unwrap();
    let new = yaolian_lab::templates::NewTemplate {
        org_id: lab,
        code: "TPL-B-01".into(),
        title: "含量测定".into(),
        definition,
    };
    let tv = yaolian_lab::templates::create(store, &qa, &new, &client).await.unwrap();
    let cfg = yaolian_identity::IdentityConfig::default();
    yaolian_lab::templates::approve(store, &cfg, &master, tv.id, PW, None, &client).await.unwrap();

    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 1280).await;
    as_role(&c, &server, "kc.analyst").await;
    c.goto(&server.url("/lab/records")).await.unwrap();
    c.wait().for_element(Locator::Css("#create-form")).await.unwrap();
    type_into(&c, "#title", "含量测定（批号 260401）").await;
    c.find(Locator::Css("#create-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#entries-form")).await.unwrap();
    c.find(Locator::Css(&format!("#f-hplc option[value='{}']", hplc.id))).await.unwrap().click().await.unwrap();
    type_into(&c, "#f-w_std", "25.123").await;
    type_into(&c, "#f-w_smp", "25.30").await;
    type_into(&c, "#f-a_smp", "1400000").await;
    for (i, a) in ["1530100", "1528400", "1531900"].iter().enumerate() {
        type_into(&c, &format!("#f-a_std_{}", i + 1), a).await;
    }
    c.find(Locator::Css("#entries-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refusal = c.wait().for_element(Locator::Css("#entries-errors")).await.unwrap().text().await.unwrap();
    assert!(refusal.contains("对照品称样量最多保留 2 位小数"), "{refusal}");
    let kept = c.find(Locator::Css("#f-a_smp")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, "1400000", "the other values are kept");
    type_into(&c, "#f-w_std", "25.12").await;
    c.find(Locator::Css("#entries-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已保存").await;
    // 1400000 / 1530133.3 × 25.12 / 25.30 × 100 = 90.8 %: out of specification.
    let content = c.find(Locator::Css("#v-content")).await.unwrap().text().await.unwrap();
    assert_eq!(content, "90.8");
    assert!(main_text(&c).await.contains("超标"));
    type_into(&c, "#submit-password", PW).await;
    c.find(Locator::Css("#submit-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "记录已提交复核").await;
    let dev = c.find(Locator::Css("#oos-deviation")).await.unwrap().text().await.unwrap();
    assert!(dev.contains("PC-"), "{dev}");
    // A correction after submission: its reason kept, the original visible.
    type_into(&c, "#f-w_smp", "25.03").await;
    type_into(&c, "#reason", "称量数据抄写错误").await;
    c.find(Locator::Css("#entries-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "更正已保存，记录退回复核").await;
    let text = main_text(&c).await;
    assert!(text.contains("25.30") && text.contains("称量数据抄写错误"), "the original and the reason show");
    let url = c.current_url().await.unwrap().path().to_string();

    // The reviewer sends it back with the reason; the analyst sees it and attaches the photo
    // asked for (a file, kept with its SM3), which returns the record to review.
    as_role(&c, &server, "kc.master").await;
    c.goto(&server.url(&url)).await.unwrap();
    c.wait().for_element(Locator::Css("#review-card details summary")).await.unwrap().click().await.unwrap();
    type_into(&c, "#back-reason-review", "请上传称量照片").await;
    c.find(Locator::Css("#send-back-form-review button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "记录已退回记录人更正").await;
    as_role(&c, &server, "kc.analyst").await;
    c.goto(&server.url(&url)).await.unwrap();
    let note = c.wait().for_element(Locator::Css("#return-note")).await.unwrap().text().await.unwrap();
    assert!(note.contains("请上传称量照片"), "{note}");
    let photo = std::env::temp_dir().join(format!("yaolian-weighing-{}.txt", std::process::id()));
    std::fs::write(&photo, "称量打印条：25.12 mg").unwrap();
    c.find(Locator::Css("#f-photo")).await.unwrap().send_keys(&photo.display().to_string()).await.unwrap();
    type_into(&c, "#reason", "按复核意见补传称量照片").await;
    c.find(Locator::Css("#entries-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "更正已保存，记录退回复核").await;
    let link = c.find(Locator::Css("#file-photo")).await.unwrap().text().await.unwrap();
    assert_eq!(link, photo.file_name().unwrap().to_string_lossy());
    let _ = std::fs::remove_file(&photo);

    as_role(&c, &server, "kc.master").await;
    c.goto(&server.url(&url)).await.unwrap();
    type_into(&c, "#review-password", PW).await;
    c.find(Locator::Css("#review-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "记录已复核").await;
    as_role(&c, &server, "kc.qa").await;
    c.goto(&server.url(&url)).await.unwrap();
    type_into(&c, "#approve-password", PW).await;
    c.find(Locator::Css("#approve-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "记录已批准").await;
    c.goto(&server.url(&format!("{url}/print"))).await.unwrap();
    let signatures = c.wait().for_element(Locator::Css("#print-signatures")).await.unwrap().text().await.unwrap();
    for meaning in ["编写", "审核", "批准"] {
        assert!(signatures.contains(meaning), "{signatures}");
    }
    let trail = c.find(Locator::Css("#print-trail")).await.unwrap().text().await.unwrap();
    assert!(trail.contains("更正") && trail.contains("称量数据抄写错误"), "{trail}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// Waits for the success message `text` of the page a form led to (the page before may show
/// another message, so waiting for any message could read the old page).
async fn wait_notice(c: &Client, text: &str) {
    let xpath = format!("//div[@role='status' and normalize-space()='{text}']");
    c.wait().for_element(Locator::XPath(&xpath)).await.unwrap();
}

/// The closed loop in the browser, on a phone-sized window: the leader assigns the case 康辰's
/// report raised, the inspector disposes it (a refusal in place with the findings kept), the
/// leader verifies and closes it; the list counts it closed.
#[tokio::test]
async fn a_risk_case_is_assigned_disposed_verified_and_closed_in_the_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let case = demo.id("case.zj");
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    let url = format!("/supervision/cases/{case}");
    as_role(&c, &server, "zj.leader").await;
    c.goto(&server.url(&url)).await.unwrap();
    c.wait().for_element(Locator::Css("#assign-form")).await.unwrap();
    c.find(Locator::Css("#assignee option[value='zj.inspector']")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#assign-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已分派承办人").await;

    as_role(&c, &server, "zj.inspector").await;
    c.goto(&server.url(&url)).await.unwrap();
    type_into(&c, "#findings", "现场检查未发现标签不清的药品在售").await;
    c.find(Locator::Css("#dispose-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let refusal = c.wait().for_element(Locator::Css("#dispose-card .alert.error")).await.unwrap().text().await.unwrap();
    assert!(refusal.contains("处置措施"), "{refusal}");
    let kept = c.find(Locator::Css("#findings")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(kept, "现场检查未发现标签不清的药品在售", "the findings are kept");
    c.find(Locator::Css("#dispose-form input[value='none']")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#dispose-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "处置情况已提交，待核查").await;

    as_role(&c, &server, "zj.leader").await;
    c.goto(&server.url(&url)).await.unwrap();
    type_into(&c, "#note", "已电话回访举报人").await;
    c.find(Locator::Css("#verify-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "核查意见已记录").await;
    c.find(Locator::Css("#close-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已结案").await;
    let history = c.find(Locator::Css("#case-history")).await.unwrap().text().await.unwrap();
    for step in ["登记", "分派", "处置", "核查", "结案"] {
        assert!(history.contains(step), "{history}");
    }
    let width: i64 =
        c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap_or(0);
    assert!(width <= 375, "the case page fits a phone ({width} px)");
    c.goto(&server.url("/supervision/cases?status=closed")).await.unwrap();
    let table = c.wait().for_element(Locator::Css("#cases-table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("群众反映药品质量问题") && table.contains("已结案"), "{table}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// On-site signatures on a phone (issue 20 acceptance): the inspector opens the on-site record
/// of 康辰's visit, records a finding with an evidence file, opens the signature page, signs
/// (a wrong password refused in place first); the company's representative then signs on the
/// same device with their own account; both signatures show, and the page fits 375 px.
#[tokio::test]
async fn an_inspection_is_signed_on_site_by_inspector_and_company_on_a_phone() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let inspection = demo.id("inspection.zj");
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    as_role(&c, &server, "zj.inspector").await;
    c.goto(&server.url(&format!("/supervision/inspections/{inspection}"))).await.unwrap();
    c.wait().for_element(Locator::Css("#finding-form")).await.unwrap();
    c.find(Locator::Css("#grade option[value='major']")).await.unwrap().click().await.unwrap();
    type_into(&c, "#description", "冷库温度记录仪校准过期").await;
    let evidence = std::env::temp_dir().join(format!("yaolian-evidence-{inspection}.txt"));
    std::fs::write(&evidence, "校准证书有效期至 2025-06-30").unwrap();
    c.find(Locator::Css("#files")).await.unwrap().send_keys(&evidence.display().to_string()).await.unwrap();
    c.find(Locator::Css("#finding-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "缺陷已记录，证据已固化").await;
    let findings = c.find(Locator::Css("#findings-table")).await.unwrap().text().await.unwrap();
    assert!(findings.contains("冷库温度记录仪校准过期") && findings.contains("与固化一致"), "{findings}");

    c.find(Locator::Css("#sign-link")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#inspector-form")).await.unwrap();
    type_into(&c, "#inspector-password", "not-my-password").await;
    c.find(Locator::Css("#inspector-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#inspector-card .alert.error")).await.unwrap();
    type_into(&c, "#inspector-password", common::PW).await;
    c.find(Locator::Css("#inspector-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "检查员已签名，请企业代表核对后签字").await;

    type_into(&c, "#representative", "kc.master").await;
    type_into(&c, "#company-password", common::PW).await;
    c.find(Locator::Css("#company-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "企业代表已签字，现场检查记录完成").await;
    let signed = c.find(Locator::Css("#sign-table")).await.unwrap().text().await.unwrap();
    assert!(signed.contains("编写") && signed.contains("确认"), "{signed}");
    let width: i64 =
        c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap_or(0);
    assert!(width <= 375, "the signature page fits a phone ({width} px)");
    let _ = std::fs::remove_file(&evidence);
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// Sampling (抽检) in the browser on a phone: the inspector who holds 康辰's sample hands it to
/// the leader, who receives it (refused in place until the seal is confirmed intact, the place
/// kept) and records a failing assay; the inspector signs the report, and the page links the
/// disposal case and the recall it ordered.
#[tokio::test]
async fn a_sample_is_handed_over_tested_and_reported_in_the_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    let sample = demo.id("sample.zj");
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    let page = server.url(&format!("/supervision/samples/{sample}"));
    as_role(&c, &server, "zj.inspector").await;
    c.goto(&page).await.unwrap();
    c.wait().for_element(Locator::Css("#handover-form")).await.unwrap();
    c.find(Locator::Css("#to option[value='zj.leader']")).await.unwrap().click().await.unwrap();
    type_into(&c, "#handover-place", "省检验院收样室").await;
    c.find(Locator::Css("#handover-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "样品已移交").await;

    as_role(&c, &server, "zj.leader").await;
    c.goto(&page).await.unwrap();
    c.wait().for_element(Locator::Css("#receive-form")).await.unwrap();
    type_into(&c, "#receive-place", "省检验院收样室").await;
    c.find(Locator::Css("#receive-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#receive-card .alert.error")).await.unwrap();
    let kept = c.find(Locator::Css("#receive-place")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("省检验院收样室"), "the refused form keeps its input");
    c.find(Locator::Css("#receive-form input[name=seal_intact]")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#receive-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "已收样，封签完好").await;

    type_into(&c, "#results-form input[name='value.0']", "符合规定").await;
    type_into(&c, "#results-form input[name='value.1']", "符合规定").await;
    type_into(&c, "#results-form input[name='low.2']", "90.0").await;
    type_into(&c, "#results-form input[name='high.2']", "110.0").await;
    type_into(&c, "#results-form input[name='value.2']", "85.0").await;
    c.find(Locator::Css("#results-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "检验结果已保存，待他人审核签发报告").await;
    let results = c.find(Locator::Css("#results-table")).await.unwrap().text().await.unwrap();
    assert!(results.contains("不符合规定"), "{results}");
    assert!(c.find(Locator::Css("#report-form")).await.is_err(), "the tester does not sign their own report");
    let width: i64 =
        c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap_or(0);
    assert!(width <= 375, "the sample page fits a phone ({width} px)");

    as_role(&c, &server, "zj.inspector").await;
    c.goto(&page).await.unwrap();
    c.wait().for_element(Locator::Css("#report-form")).await.unwrap();
    type_into(&c, "#password", common::PW).await;
    c.find(Locator::Css("#report-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "检验报告已签发：不合格。已立风险处置案件并责令召回该批次").await;
    let disposal = c.find(Locator::Css("#disposal")).await.unwrap();
    assert!(disposal.find(Locator::Css("a[href^='/supervision/cases/']")).await.is_ok());
    assert!(disposal.find(Locator::Css("a[href^='/trace/recalls/']")).await.is_ok());
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// The 监管大屏 on a phone and a black-box warning raised as a case from it (issue 21): the
/// province's leader sees the figures, the region tiles and the charts drawn, all within 375 px;
/// the inspector follows an open warning from the overview, is refused without a note (the
/// form kept), raises the case with one, and the warning links to its case in the closed loop.
#[tokio::test]
async fn the_overview_draws_on_a_phone_and_a_warning_becomes_a_case() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    common::demo::seed(&db.store).await;
    let server = Server::start(db.store.clone(), WebConfig::default()).await;
    let c = browser(&driver, 375).await;
    as_role(&c, &server, "zj.leader").await;
    c.goto(&server.url("/overview")).await.unwrap();
    c.wait().for_element(Locator::Css("#chart-risk-regions canvas")).await.unwrap();
    for chart in ["#chart-case-sources", "#chart-sampling", "#chart-warnings"] {
        c.wait().for_element(Locator::Css(&format!("{chart} canvas"))).await.unwrap();
    }
    let tiles = c.find_all(Locator::Css("#risk-map .region-tile")).await.unwrap();
    assert!(!tiles.is_empty(), "the regions are tiles");
    let text = main_text(&c).await;
    for figure in ["在管企业", "高风险企业", "未办结风险处置", "待处置黑匣子预警", "抽检合格率"]
    {
        assert!(text.contains(figure), "{figure}: {text}");
    }
    let width: i64 =
        c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap().as_i64().unwrap_or(0);
    assert!(width <= 375, "the overview fits a phone ({width} px)");

    as_role(&c, &server, "zj.inspector").await;
    c.goto(&server.url("/overview")).await.unwrap();
    c.wait().for_element(Locator::Css("#open-warnings a")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#case-form")).await.unwrap();
    // The note is required: the browser would stop an empty one, so a blank note is sent.
    type_into(&c, "#case-note", "   ").await;
    c.find(Locator::Css("#case-form button[type=submit]")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("#case-card .alert.error")).await.unwrap();
    type_into(&c, "#case-note", "冻干机搁板温度持续偏高，请企业排查温控系统").await;
    c.find(Locator::Css("#case-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_until(&c, "#warning-status", "已转风险处置").await;
    c.find(Locator::Css("a[href^='/supervision/cases/']")).await.unwrap().click().await.unwrap();
    c.wait().for_element(Locator::Css("main h1")).await.unwrap();
    let text = main_text(&c).await;
    assert!(text.contains("生产黑匣子"), "the case names its source: {text}");
    c.close().await.unwrap();
    server.stop().await;
    db.finish().await;
}

/// Waits until the element `css` reads `text`.
async fn wait_until(c: &Client, css: &str, text: &str) {
    for _ in 0..50 {
        if let Ok(el) = c.find(Locator::Css(css)).await {
            if el.text().await.unwrap_or_default().contains(text) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = c.find(Locator::Css(css)).await.unwrap().text().await.unwrap_or_default();
    panic!("{css} reads {seen:?}, not {text:?}");
}

/// Electronic submission in the browser on a phone: 康辰's QA drafts sequence 0000 of the
/// application from a controlled document in force — an English Module 1 title is refused in
/// place with the rows kept — builds it (validated with no errors), and sees the lifecycle;
/// the application page fits 375 px.
#[tokio::test]
async fn qa_drafts_builds_and_sees_the_lifecycle_of_an_ectd_sequence() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let demo = common::demo::seed(&db.store).await;
    {
        use yaolian_identity::{auth, users, IdentityConfig};
        use yaolian_quality::documents;
        let store = &db.store;
        let c = yaolian_access::ClientInfo::default();
        let user = |name: &'static str| async move {
            auth::principal_for_user(store, users::id_by_username(store, name).await.unwrap()).await.unwrap()
        };
        let (qa, master) = (user("kc.qa").await, user("kc.master").await);
        let pdf = yaolian_submission::samples::pdf("说明函", &["说明函"], false);
        let new = documents::NewDocument {
            org_id: master.org_id(),
            code: "REG-CL-0001".into(),
            title: "说明函".into(),
            review_months: 24,
            file: yaolian_records::files::Upload {
                label: "文件".into(),
                name: "cover.pdf".into(),
                content_type: "application/pdf".into(),
                content_base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pdf),
            },
        };
        let d = documents::create(store, &qa, &new, &c).await.unwrap();
        documents::submit(store, &qa, d.id, &c).await.unwrap();
        let today = yaolian_core::Timestamp::now().china_date().to_string();
        documents::approve(store, &IdentityConfig::default(), &master, d.id, &today, PW, &c).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    // The regulator's receiver (its own signing key) and the company's site that sends to it,
    // one database serving both as the demo does.
    let signed = |config: WebConfig| {
        let key = yaolian_ledger::sign::KeyPair::generate();
        let id = yaolian_store::ledger::key_id(&key.public_pem());
        let sealing = yaolian_ledger::sign::Sealing([5; 16]);
        (id.clone(), AppState::with_signer(db.store.clone(), Default::default(), config, id, key, sealing))
    };
    let (receiver_key, rx) = signed(WebConfig { submission_dir: dir.path().join("regulator"), ..WebConfig::default() });
    let regulator = Server::start_state(rx).await;
    let token = {
        let store = &db.store;
        let id = yaolian_identity::users::id_by_username(store, "kc.master").await.unwrap();
        let master = yaolian_identity::auth::principal_for_user(store, id).await.unwrap();
        let scopes = ["submission.send".to_string(), "submission.read".to_string()];
        let c = yaolian_access::ClientInfo::default();
        yaolian_identity::tokens::create(store, &master, "申报发送", &scopes, 30, &c).await.unwrap().1
    };
    let remote =
        yaolian_submission::transfers::Remote { base_url: regulator.url(""), token, pinned_key: Some(receiver_key) };
    let config = WebConfig {
        submission_dir: dir.path().to_path_buf(),
        submission_receiver: Some(remote),
        ..WebConfig::default()
    };
    let server = Server::start_state(signed(config).1).await;
    let c = browser(&driver, 375).await;
    as_role(&c, &server, "kc.qa").await;
    c.goto(&server.url(&format!("/submission/applications/{}", demo.id("ectd.kc")))).await.unwrap();
    c.find(Locator::Css("#sequence-card summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#seq-description")).await.unwrap().send_keys("首次申报").await.unwrap();
    type_into(&c, "#e0", "1.0 说明函").await;
    type_into(&c, "#t0", "Cover letter").await;
    c.find(Locator::Css("#d0 option:nth-child(2)")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#sequence-form button[type=submit]")).await.unwrap().click().await.unwrap();
    let alert = c.wait().for_element(Locator::Css("#sequence-card .alert.error")).await.unwrap().text().await.unwrap();
    assert!(alert.contains("模块一的文件标题应为中文"), "{alert}");
    let kept = c.find(Locator::Css("#e0")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(kept.as_deref(), Some("1.0 说明函"));
    type_into(&c, "#t0", "说明函").await;
    c.find(Locator::Css("#sequence-form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "序列已起草，请编制").await;
    c.find(Locator::Css("#sequence-0000 form button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "序列已编制并完成校验").await;
    let seq = c.find(Locator::Css("#sequence-0000")).await.unwrap().text().await.unwrap();
    assert!(seq.contains("已编制") && seq.contains("错误 0"), "{seq}");
    let life = c.find(Locator::Css("#lifecycle-table")).await.unwrap().text().await.unwrap();
    assert!(life.contains("说明函") && life.contains("现行"), "{life}");
    let width = c.execute("return document.documentElement.scrollWidth", vec![]).await.unwrap();
    assert!(width.as_f64().unwrap() <= 375.0, "the application page fits a phone: {width}");
    assert!(dir.path().join(format!("outgoing/{}/x202612345/0000/index.xml", demo.id("org.kc"))).is_file());
    // Sent from the page: the three acknowledgements come back and are shown.
    c.find(Locator::Css("#sequence-0000 form[action$='/send'] button")).await.unwrap().click().await.unwrap();
    wait_notice(&c, "序列已发送，药监部门已完整接收、受理并完成技术审核，三级回执均已验签留存").await;
    let seq = c.find(Locator::Css("#sequence-0000")).await.unwrap().text().await.unwrap();
    assert!(seq.contains("已发送") && seq.contains("传输编号"), "{seq}");
    // For review: the page after the send (YAOLIAN_SCREENSHOTS=DIR).
    let shoot = |name: &'static str| {
        let c = c.clone();
        async move {
            if let Ok(dir) = std::env::var("YAOLIAN_SCREENSHOTS") {
                let shot = c.screenshot().await.unwrap();
                std::fs::write(std::path::Path::new(&dir).join(format!("{name}-phone.png")), shot).unwrap();
            }
        }
    };
    shoot("submission-sent").await;
    c.goto(&server.url("/submission")).await.unwrap();
    let list = c.find(Locator::Css("#applications-table")).await.unwrap().text().await.unwrap();
    assert!(list.contains("x202612345"), "{list}");
    let transfers = c.find(Locator::Css("#transfers-table")).await.unwrap().text().await.unwrap();
    assert!(transfers.contains("已完成技术审核"), "{transfers}");
    // The receipt number's column is left out on a phone; it is in the table.
    let all = c.execute("return document.querySelector('#transfers-table').textContent", vec![]).await.unwrap();
    assert!(all.as_str().unwrap().contains("DZ"), "{all}");
    c.execute("document.querySelector('#transfers').scrollIntoView()", vec![]).await.unwrap();
    shoot("submission-transfers").await;
    c.close().await.unwrap();
    server.stop().await;
    regulator.stop().await;
    db.finish().await;
}
