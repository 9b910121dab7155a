//! The 工作台 (`/`) over HTTP, on SQLite and PostgreSQL: a bureau's cards count what the
//! filtered lists they link to hold and its charts are there; a company sees its licenses'
//! expiry, its open applications, its anomalies and recalls, and no bureau card; a legally timed
//! to-do (受理 …) offers no 完成 button, marking it done is refused on the page and over the API,
//! and it closes when its action is done; any other to-do keeps the button.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::{login, seed, Server, Session};
use reqwest::Method;
use serde_json::{json, Value};
use yaolian_identity::fixtures;
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

fn file(label: &str) -> Value {
    json!({"label": label, "name": "f.txt", "content_type": "text/plain",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(label.as_bytes())})
}

fn retail_application() -> Value {
    let form = json!({
        "enterprise_name": "甲制药有限公司", "legal_representative": "张明", "principal": "李华",
        "quality_head": "王芳（执业药师）", "registered_address": "杭州市西湖区文三路 100 号",
        "business_scope": "处方药、非处方药：化学药、中成药", "contact_phone": "0571-87654321",
    });
    let files: Vec<Value> =
        ["营业执照", "质量负责人执业药师注册证", "经营场所和仓库平面布置图", "质量管理文件目录"].map(file).to_vec();
    json!({"type_code": "drug_retail_issue", "form": form, "files": files})
}

async fn page(s: &Session, server: &Server, path: &str) -> (reqwest::StatusCode, String) {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn api(s: &Session, server: &Server, method: Method, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    s.send_json(method, server.url(path), &body).await
}

async fn get_json(s: &Session, server: &Server, path: &str) -> (reqwest::StatusCode, Value) {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The element of `html` with this id, up to its closing tag (cards are `<a>`, to-dos `<tr>`,
/// lists `<section>`; none nests in its own kind).
fn element<'a>(html: &'a str, id: &str) -> Option<&'a str> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let start = html[..at].rfind('<')?;
    let tag: String = html[start + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    let close = format!("</{tag}>");
    let end = html[start..].find(&close)? + close.len();
    Some(&html[start..start + end])
}

/// A 工作台 card: (link, count), or `None` when the page has no such card.
fn card(html: &str, id: &str) -> Option<(String, i64)> {
    let el = element(html, id)?;
    let href = el.split("href=\"").nth(1)?.split('"').next()?.replace("&amp;", "&");
    let count = el.split("class=\"stat").nth(1)?.split('>').nth(1)?.split('<').next()?.trim().parse().ok()?;
    Some((href, count))
}

/// `共 N 条` of a list page.
fn total(html: &str) -> i64 {
    let after = html.split("共 ").nth(1).unwrap();
    after.split_whitespace().next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_home_page_opens_on_what_to_act_on_and_timed_to_dos_close_with_their_action() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        fixtures::user(&store, &sys, w.province, "zj.clerk", false, &["window_clerk"]).await.unwrap();
        fixtures::user(&store, &sys, w.province, "zj.leader", false, &["regulator_leader"]).await.unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let company = login(&server, "a.master").await;
        let clerk = login(&server, "zj.clerk").await;
        let leader = login(&server, "zj.leader").await;

        // Before anything: the bureau's cards are there, at zero.
        let (st, html) = page(&clerk, &server, "/").await;
        assert_eq!(st, 200);
        assert_eq!(card(&html, "card-to-accept"), Some(("/services?status=submitted".into(), 0)));

        // The company applies; the bureau issues it a license that expires in 30 days.
        let (st, app) = api(&company, &server, Method::POST, "/api/v1/applications", retail_application()).await;
        assert_eq!(st, 201, "{app}");
        let number = app["number"].as_str().unwrap().to_string();
        let today = yaolian_core::Timestamp::now().china_date();
        let until = (today + chrono::Duration::days(30)).to_string();
        let from = (today - chrono::Duration::days(1000)).to_string();
        let fields = json!({"legal_representative": "张明", "principal": "李华", "quality_head": "王芳",
            "registered_address": "杭州市西湖区文三路 100 号", "business_scope": "化学药"});
        let body = json!({"kind": "drug_wholesale", "holder_org_id": w.co_a, "valid_from": from, "valid_until": until,
            "fields": fields});
        let (st, lic) = api(&leader, &server, Method::POST, "/api/v1/licenses", body).await;
        assert_eq!(st, 201, "{lic}");
        let license_number = lic["document"]["number"].as_str().unwrap().to_string();

        // The clerk's cards count what the lists they link to hold.
        let (_, html) = page(&clerk, &server, "/").await;
        let cards = [
            ("card-to-accept", "/services?status=submitted", 1),
            ("card-due-soon", "/services?status=due_soon", 0),
            ("card-overdue", "/services?status=overdue", 0),
            ("card-expiring", "/licenses?state=expiring", 1),
        ];
        for (id, link, count) in cards {
            assert_eq!(card(&html, id), Some((link.to_string(), count)), "{id}");
            let (st, list) = page(&clerk, &server, link).await;
            assert_eq!(st, 200, "{link}");
            assert_eq!(total(&list), count, "{link}");
        }
        let (_, list) = page(&clerk, &server, "/services?status=submitted").await;
        assert!(list.contains(&number), "the card's list holds the application");
        // A clerk reads no trace data: no anomaly or recall card, and no chart of anomalies.
        assert_eq!(card(&html, "card-anomalies"), None);
        assert_eq!(card(&html, "card-recalls"), None);
        assert!(html.contains("id=\"chart-per-week\"") && html.contains("id=\"chart-licenses\""));
        assert!(!html.contains("id=\"chart-anomalies\""));
        assert!(html.contains(app["type_name"].as_str().unwrap()), "the chart names the type in Chinese");

        // The leader reads trace data too: anomaly and recall cards, all charts.
        let (_, html) = page(&leader, &server, "/").await;
        assert_eq!(card(&html, "card-anomalies"), Some(("/trace/anomalies?status=open".into(), 0)));
        assert_eq!(card(&html, "card-recalls"), Some(("/trace/recalls?status=open".into(), 0)));
        for chart in ["chart-per-week", "chart-average-days", "chart-anomalies", "chart-licenses"] {
            assert!(html.contains(&format!("id=\"{chart}\"")), "{chart}");
        }
        let (st, _) = page(&leader, &server, "/trace/recalls?status=open").await;
        assert_eq!(st, 200);

        // The company: no bureau card; its license with the days left, its application, and its
        // anomalies and recalls.
        let (_, html) = page(&company, &server, "/").await;
        assert_eq!(card(&html, "card-to-accept"), None);
        assert_eq!(card(&html, "card-overdue"), None);
        assert_eq!(card(&html, "card-expiring"), Some(("/licenses?state=expiring".into(), 1)));
        assert_eq!(card(&html, "card-anomalies"), Some(("/trace/anomalies?status=open".into(), 0)));
        assert_eq!(card(&html, "card-recalls"), Some(("#recalls".into(), 0)));
        let licenses = element(&html, "my-licenses").unwrap();
        assert!(licenses.contains(&license_number) && licenses.contains("剩余 30 天"), "{licenses}");
        let applications = element(&html, "my-applications").unwrap();
        assert!(applications.contains(&number) && applications.contains("待受理"), "{applications}");
        assert!(element(&html, "recalls").unwrap().contains("暂无进行中的召回"));
        assert!(!html.contains("chart-per-week"), "charts are the bureau's");

        // A recall of the company's product: 召回中 for the bureau (its filtered list holds it)
        // and for the company (listed on its home page); not for another company.
        let product = yaolian_registry::products::NewProduct {
            approval_number: "国药准字H20230001".into(),
            generic_name: "盐酸二甲双胍片".into(),
            trade_name: String::new(),
            dosage_form: "片剂".into(),
            strength: "0.5g".into(),
            pack: "20片/盒".into(),
            mah_org_id: w.co_a,
            manufacturer_org_id: None,
            drug_code: None,
            gtins: vec![],
        };
        let c = yaolian_access::ClientInfo::default();
        let product = yaolian_registry::products::create(&store, &sys, &product, &c).await.unwrap();
        let recall = yaolian_trace::recall::NewRecall {
            product_id: product.id,
            batches: vec!["B2026001".into()],
            level: 2,
            reason: "抽检含量测定不符合规定".into(),
        };
        yaolian_trace::recall::open(&store, &sys, &recall, &c).await.unwrap();
        let (_, html) = page(&leader, &server, "/").await;
        assert_eq!(card(&html, "card-recalls"), Some(("/trace/recalls?status=open".into(), 1)));
        let (_, list) = page(&leader, &server, "/trace/recalls?status=open").await;
        assert!(element(&list, "recalls-table").unwrap().contains("盐酸二甲双胍片"));
        let (_, list) = page(&leader, &server, "/trace/recalls?status=closed").await;
        let table = element(&list, "recalls-table").unwrap();
        assert!(!table.contains("盐酸二甲双胍片") && table.contains("没有符合筛选条件的记录"), "{table}");
        let (_, html) = page(&company, &server, "/").await;
        assert_eq!(card(&html, "card-recalls"), Some(("#recalls".into(), 1)));
        assert!(element(&html, "recalls").unwrap().contains("盐酸二甲双胍片"));
        let other = login(&server, "b.master").await;
        let (_, html) = page(&other, &server, "/").await;
        assert_eq!(card(&html, "card-recalls"), Some(("#recalls".into(), 0)));

        // The clerk's 受理 to-do is timed: no 完成 button, and marking it done is refused.
        let (_, todos) = get_json(&clerk, &server, "/api/v1/portal/todos").await;
        let accept =
            todos.as_array().unwrap().iter().find(|t| t["title"].as_str().unwrap().starts_with("受理：")).unwrap();
        assert_eq!(accept["statutory"], true);
        let id = accept["id"].as_i64().unwrap();
        let (_, html) = page(&clerk, &server, "/").await;
        let row = element(&html, &format!("todo-{id}")).unwrap();
        assert!(!row.contains("/done"), "{row}");
        assert!(row.contains("办理后自动办结"), "{row}");
        let r = clerk
            .client
            .post(server.url(&format!("/todos/{id}/done")))
            .form(&[("_csrf", clerk.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("role=\"alert\"") && html.contains("法定办理时限"), "the refusal is on the page");
        assert!(!html.contains("closes_with_action"), "no code on the page");
        let (st, body) =
            api(&clerk, &server, Method::POST, &format!("/api/v1/portal/todos/{id}/done"), json!({})).await;
        assert_eq!(st, 422, "{body}");
        assert!(body.to_string().contains(yaolian_portal::CLOSES_WITH_ACTION), "{body}");

        // It closes when the application is accepted; the next timed to-do (指派审查) is raised.
        let path = format!("/api/v1/applications/{}/act", app["id"]);
        let (st, body) =
            api(&clerk, &server, Method::POST, &path, json!({"action": "accept", "expected_version": 1})).await;
        assert_eq!(st, 200, "{body}");
        let (_, todos) = get_json(&clerk, &server, "/api/v1/portal/todos").await;
        let todos = todos.as_array().unwrap();
        assert!(todos.iter().all(|t| t["id"] != id), "the 受理 to-do closed: {todos:?}");
        assert!(todos.iter().any(|t| t["title"].as_str().unwrap().starts_with("指派审查：") && t["statutory"] == true));
        let (_, html) = page(&clerk, &server, "/").await;
        assert_eq!(card(&html, "card-to-accept"), Some(("/services?status=submitted".into(), 0)));

        // Any other to-do keeps its button, and the button closes it.
        let other = yaolian_portal::NewTodo {
            user_id: None,
            org_id: Some(w.province),
            module: "identity".into(),
            title: "完善本局通讯录".into(),
            link: String::new(),
            due_at: None,
            statutory: false,
        };
        let other = yaolian_portal::add_todo(store.pool(), &other).await.unwrap();
        let (_, html) = page(&clerk, &server, "/").await;
        assert!(element(&html, &format!("todo-{other}")).unwrap().contains(&format!("/todos/{other}/done")));
        let r = clerk
            .client
            .post(server.url(&format!("/todos/{other}/done")))
            .form(&[("_csrf", clerk.csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "done, and back on the home page");
        assert!(!r.text().await.unwrap().contains(&format!("todo-{other}\"")));
        server.stop().await;
    })
    .await;
}

/// A company's QA sees the stockroom and quality cards, each counting what the list it links
/// to holds: a lot expiring within 30 days, a count awaiting approval, a deviation to investigate.
/// A bureau reads no stockroom and has none of them.
#[tokio::test]
async fn stockroom_and_quality_cards_count_what_their_lists_hold() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        fixtures::user(&store, &sys, w.province, "zj.leader", false, &["regulator_leader"]).await.unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let qa = login(&server, "a.master").await;
        let soon = (yaolian_core::Timestamp::now().china_date() + chrono::Duration::days(10)).to_string();
        let item = json!({"org_id": w.co_a, "code": "R-1", "name_zh": "乙腈", "category": "reagent", "unit": "mL"});
        let (st, item) = api(&qa, &server, Method::POST, "/api/v1/inventory/items", item).await;
        assert_eq!(st, 201, "{item}");
        let lot = json!({"item_id": item["id"], "lot_no": "L-SOON", "expires_on": soon, "qty": "100"});
        let (st, lot) = api(&qa, &server, Method::POST, "/api/v1/inventory/lots", lot).await;
        assert_eq!(st, 201, "{lot}");
        let path = format!("/api/v1/inventory/lots/{}/count", lot["id"]);
        let (st, _) = api(&qa, &server, Method::POST, &path, json!({"counted": "99", "reason": "盘点"})).await;
        assert_eq!(st, 200);
        let oos = json!({"org_id": w.co_a, "test": "含量测定", "result": "93.2%", "specification": "95.0%～105.0%"});
        let (st, _) = api(&qa, &server, Method::POST, "/api/v1/quality/oos", oos).await;
        assert_eq!(st, 201);

        // A procedure in force today with a one-month review interval is due for review.
        let c = yaolian_access::ClientInfo::default();
        let doc = yaolian_quality::documents::NewDocument {
            org_id: w.co_a,
            code: "SOP-QC-040".into(),
            title: "稳定性考察规程".into(),
            review_months: 1,
            file: yaolian_records::files::Upload {
                label: "文件".into(),
                name: "a.txt".into(),
                content_type: String::new(),
                content_base64: "YWJj".into(),
            },
        };
        let d = yaolian_quality::documents::create(&store, &sys, &doc, &c).await.unwrap();
        yaolian_quality::documents::submit(&store, &sys, d.id, &c).await.unwrap();
        let master = yaolian_identity::users::id_by_username(&store, "a.master").await.unwrap();
        let master = yaolian_identity::auth::principal_for_user(&store, master).await.unwrap();
        let today = yaolian_core::Timestamp::now().china_date().to_string();
        let id_cfg = yaolian_identity::IdentityConfig::default();
        yaolian_quality::documents::approve(&store, &id_cfg, &master, d.id, &today, fixtures::PASSWORD, &c)
            .await
            .unwrap();

        let (_, html) = page(&qa, &server, "/").await;
        assert_eq!(card(&html, "card-reviews-due"), Some(("/quality/documents?review=due".into(), 1)));
        let (_, list) = page(&qa, &server, "/quality/documents?review=due").await;
        assert!(list.contains("SOP-QC-040"));
        assert_eq!(card(&html, "card-lots-expiring"), Some(("/inventory/expiry?days=30".into(), 1)));
        assert_eq!(card(&html, "card-adjustments"), Some(("/inventory/adjustments".into(), 1)));
        assert_eq!(card(&html, "card-deviations"), Some(("/quality?status=open".into(), 1)));
        let (_, list) = page(&qa, &server, "/inventory/expiry?days=30").await;
        assert!(list.contains("L-SOON"));
        let (_, list) = page(&qa, &server, "/quality?status=open").await;
        assert!(list.contains("检验结果超标：含量测定"));
        let (_, list) = page(&qa, &server, "/inventory/adjustments").await;
        assert!(list.contains("L-SOON"));

        let leader = login(&server, "zj.leader").await;
        let (_, html) = page(&leader, &server, "/").await;
        assert_eq!(card(&html, "card-lots-expiring"), None);
        assert_eq!(card(&html, "card-deviations"), None);
        assert_eq!(card(&html, "card-reviews-due"), None);
        server.stop().await;
    })
    .await;
}

/// The 监管大屏 (`/overview`) of a province: each figure equals the total of the list it links
/// to, the risk map has a tile per region with its companies, the live part is the body alone,
/// a city sees its own area only, and a company neither sees the page in its menu nor opens it.
#[tokio::test]
async fn the_overview_counts_what_its_figures_link_to() {
    each_backend(|store| async move {
        common::demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let leader = login(&server, "zj.leader").await;
        let (st, html) = page(&leader, &server, "/overview").await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("href=\"/overview\""), "the menu offers the overview");
        // Each figure links to its list; the API's list of the same filter holds as many.
        let figures = [
            ("ov-companies", "/supervision/scores", "/api/v1/supervision/scores?limit=500"),
            ("ov-high", "/supervision/scores?level=high", "/api/v1/supervision/scores?level=high&limit=500"),
            ("ov-cases", "/supervision/cases?status=active", "/api/v1/supervision/cases?status=active&limit=500"),
            ("ov-overdue", "/supervision/cases?status=overdue", "/api/v1/supervision/cases?status=overdue&limit=500"),
            ("ov-signals", "/signals?status=open", "/api/v1/signals/adr-signals?status=open&limit=500"),
            ("ov-warnings", "/signals/blackbox?status=open", "/api/v1/signals/blackbox/warnings?status=open&limit=500"),
            ("ov-applications-overdue", "/services?status=overdue", "/api/v1/applications?status=overdue&limit=100"),
        ];
        let mut companies = 0;
        for (id, link, api) in figures {
            let (href, count) = card(&html, id).unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(href, link, "{id}");
            let (st, _) = page(&leader, &server, link).await;
            assert_eq!(st, 200, "{link}");
            let (st, list) = get_json(&leader, &server, api).await;
            assert_eq!(st, 200, "{api}: {list}");
            // A list is an array, or a page with its total.
            let listed = list.as_array().map(|a| a.len() as i64).or_else(|| list["total"].as_i64()).unwrap();
            assert_eq!(listed, count, "{id} counts what {api} lists");
            if id == "ov-companies" {
                companies = count;
            }
        }
        assert!(companies > 0, "the demo's companies are graded");
        assert!(card(&html, "ov-signals").unwrap().1 > 0, "the demo's planted signal is open");
        assert!(card(&html, "ov-warnings").unwrap().1 > 0, "the demo's drifting line warned");
        // The tiles: one per region, their companies summing to the figure.
        let map = element(&html, "risk-map").unwrap();
        let tiles: i64 =
            map.split("企业 ").skip(1).map(|t| t.split_whitespace().next().unwrap().parse::<i64>().unwrap()).sum();
        assert_eq!(tiles, companies);
        assert!(map.contains("杭州市市场监督管理局"), "the city is a region of the province");
        for chart in ["chart-risk-regions", "chart-case-sources", "chart-sampling", "chart-warnings"] {
            assert!(html.contains(&format!("id=\"{chart}\"")), "{chart}");
        }

        // The live part: the body without the page around it, with the same figures.
        let (st, body) = page(&leader, &server, "/overview?part=body").await;
        assert_eq!(st, 200);
        assert!(!body.contains("<html") && !body.contains("<nav"));
        assert_eq!(card(&body, "ov-companies"), card(&html, "ov-companies"));

        // A city bureau's inspector sees its own area: no more companies than the province.
        let city = login(&server, "hz.inspector").await;
        let (st, mine) = page(&city, &server, "/overview").await;
        assert_eq!(st, 200);
        let (_, own) = card(&mine, "ov-companies").unwrap();
        assert!(own <= companies);
        let (_, list) = get_json(&city, &server, "/api/v1/supervision/scores?limit=500").await;
        assert_eq!(list.as_array().unwrap().len() as i64, own);

        // A company: not in its menu, and refused.
        let company = login(&server, "kc.master").await;
        let (_, home) = page(&company, &server, "/").await;
        assert!(!home.contains("href=\"/overview\""));
        let (st, _) = page(&company, &server, "/overview").await;
        assert_eq!(st, 403);
        server.stop().await;
    })
    .await;
}
