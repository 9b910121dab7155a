//! The list pages over HTTP, on SQLite and PostgreSQL (docs/ui.md §5, §7, §8): a header sorts
//! the list on the server, shows its arrow and says so in `aria-sort`; a list exports the rows its
//! filter selects as CSV and as an Excel workbook, and the export is in the audit log; an empty
//! list says 暂无… with the next action, a filter that matches nothing offers to clear it; secondary
//! columns are marked to fold away on a phone; every page starts with a 跳到正文 link.

#![allow(clippy::unwrap_used)]

mod common;

use common::{login, seed, Server, Session};
use serde_json::Value;
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

/// A page's HTML, with the `&` of its links unescaped (askama writes `&#38;`) for reading.
async fn page(s: &Session, server: &Server, path: &str) -> String {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap().replace("&#38;", "&")
}

/// The user names of the users list, in the order shown.
fn usernames(html: &str) -> Vec<String> {
    html.split("<td><a href=\"/admin/users/")
        .skip(1)
        .filter_map(|s| s.split("<code>").nth(1)?.split("</code>").next().map(str::to_string))
        .collect()
}

/// The `<th …>` opening tag of the header that links to `sort=key`.
fn header<'a>(html: &'a str, key: &str) -> &'a str {
    let html = &html[html.find("<thead>").unwrap()..];
    let at = html.find(&format!("sort={key}&")).unwrap_or_else(|| panic!("no header sorts by {key}"));
    let start = html[..at].rfind("<th").unwrap();
    let end = start + html[start..].find('>').unwrap() + 1;
    &html[start..end]
}

#[tokio::test]
async fn a_header_sorts_the_list_on_the_server_with_its_arrow_and_aria_sort() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;

        let up = page(&admin, &server, "/admin/users?sort=username&desc=").await;
        let down = page(&admin, &server, "/admin/users?sort=username&desc=1").await;
        let (asc, mut desc) = (usernames(&up), usernames(&down));
        assert!(asc.len() >= 7, "{asc:?}");
        desc.reverse();
        assert_eq!(asc, desc, "descending is ascending reversed");
        // The sorted header carries its arrow (the CSS class) and aria-sort; the others neither.
        assert_eq!(header(&up, "username"), r#"<th aria-sort="ascending">"#);
        assert!(up.contains(r#"class="sorted" href="?q=&org_id=&status=&sort=username&desc=1&page=1""#), "{up}");
        assert_eq!(header(&down, "username"), r#"<th aria-sort="descending">"#);
        assert!(down.contains(r#"class="sorted desc""#));
        assert_eq!(header(&down, "display_name"), "<th>");
        assert_eq!(up.matches("aria-sort=").count(), 1);
        // A key that is not on the allow-list orders as the default, never reaching the SQL.
        let odd = page(&admin, &server, "/admin/users?sort=id%3B%20DROP%20TABLE%20users&desc=1").await;
        assert_eq!(usernames(&odd).len(), asc.len());
        assert!(!odd.contains("aria-sort="));

        // The audit log sorts by time, newest first by default, oldest first from its header.
        let auditor = login(&server, "auditor").await;
        let newest = page(&auditor, &server, "/admin/audit").await;
        assert!(
            newest.contains(
                r#"<th aria-sort="descending"><a class="sorted desc" href="?user=&action=&from=&to=&order=oldest">"#
            ),
            "{newest}"
        );
        let oldest = page(&auditor, &server, "/admin/audit?order=oldest").await;
        assert!(oldest.contains(r#"<th aria-sort="ascending"><a class="sorted" href="?user=&action=&from=&to=">"#));
        let first_id = |html: &str| -> i64 {
            html.split("href=\"/records/audit/").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        assert!(first_id(&oldest) < first_id(&newest));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_list_exports_its_filtered_rows_as_csv_and_excel_and_each_export_is_audited() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let listed = usernames(&page(&admin, &server, "/admin/users?q=a.").await);
        assert!(listed.contains(&"a.master".to_string()) && !listed.contains(&"b.master".to_string()));
        // The organization filter takes the picker's text and shows the organization as
        // 名称 代码; text that names none is refused beside the field and lists nobody.
        let by_org = page(&admin, &server, &format!("/admin/users?org_id={}", urlencoding::encode("甲制药"))).await;
        assert!(by_org.contains("未找到这个机构") && usernames(&by_org).is_empty(), "{by_org}");
        let typed = urlencoding::encode("91350100M000100Y43");
        let by_org = page(&admin, &server, &format!("/admin/users?org_id={typed}")).await;
        let listed = usernames(&by_org);
        assert!(listed.contains(&"a.master".to_string()) && !listed.contains(&"b.master".to_string()), "{listed:?}");
        assert!(by_org.contains(r#"value="甲制药有限公司 91350100M000100Y43""#), "{by_org}");

        let r = admin.client.get(server.url("/admin/users.xlsx?q=a.&sort=username&desc=1")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"users.xlsx\"");
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(rows[0][..3], ["编号", "用户名", "姓名"]);
        let mut exported: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
        assert_eq!(exported.len(), listed.len(), "the filtered rows, all of them: {exported:?}");
        exported.sort();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        assert_eq!(exported, listed_sorted);

        // The CSV holds the same table.
        let csv = admin.client.get(server.url("/admin/users.csv?q=a.")).send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("\u{feff}编号,用户名,姓名,机构,账号类型,状态,角色"), "{text}");
        // Account type, status and roles in words, as on the page.
        let master = text.lines().find(|l| l.contains(",a.master,")).unwrap();
        assert!(master.contains(",主账号,正常,") && master.contains("企业主账号"), "{master}");
        assert!(!text.contains("company_master") && !text.contains(",active,"), "{text}");
        assert_eq!(text.lines().count(), listed.len() + 1);

        // Both exports are in the audit log with their row counts.
        let auditor = login(&server, "auditor").await;
        let r = auditor.client.get(server.url("/api/v1/audit?action=export")).send().await.unwrap();
        let events: Value = r.json().await.unwrap();
        let of = |file: &str| events.as_array().unwrap().iter().find(|e| e["target"] == file).cloned();
        let xlsx = of("users.xlsx").expect("the Excel export is audited");
        assert_eq!(xlsx["detail"], format!("{} rows", listed.len()));
        assert_eq!(xlsx["actor_name"], "admin");
        assert!(of("users.csv").is_some(), "the CSV export is audited");

        // The audit log exports itself the same way.
        let r = auditor.client.get(server.url("/admin/audit.xlsx?action=export")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        // For people: Chinese headings, each action and outcome by name.
        assert_eq!(rows[0][..6], ["编号", "时间", "操作人", "操作", "对象", "结果"], "{:?}", rows[0]);
        assert!(rows.len() >= 3 && rows[1..].iter().all(|r| r[3] == "导出" && r[5] == "成功"), "{rows:?}");
        // And over the API, audited too.
        let r = auditor.client.get(server.url("/api/v1/audit.xlsx?action=export")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        // For programs: the codes.
        assert_eq!(rows[0][3], "action");
        assert!(rows[1..].iter().any(|r| r[4] == "audit.xlsx" && r[3] == "export"), "{rows:?}");
        let r = auditor.client.get(server.url("/api/v1/audit?action=export")).send().await.unwrap();
        let events: Value = r.json().await.unwrap();
        let targets: Vec<&str> = events.as_array().unwrap().iter().filter_map(|e| e["target"].as_str()).collect();
        assert_eq!(targets.iter().filter(|t| **t == "audit.xlsx").count(), 2, "{targets:?}");
        // Another extension is no export.
        let r = admin.client.get(server.url("/admin/users.pdf")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn an_empty_list_says_so_with_the_next_action_and_a_filter_that_matches_nothing_offers_to_clear_it() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let none = page(&admin, &server, "/admin/users?q=no-such-user").await;
        assert!(usernames(&none).is_empty());
        assert!(none.contains(r#"没有符合筛选条件的记录 · <a href="/admin/users">清除筛选</a>"#), "{none}");

        // The fixture world has no product and no license yet.
        let master = login(&server, "a.master").await;
        let products = page(&master, &server, "/registry/products").await;
        assert!(products.contains(r#"class="muted empty">暂无药品"#), "{products}");
        let licenses = page(&master, &server, "/licenses").await;
        assert!(licenses.contains(r#"class="muted empty">暂无电子证照"#), "{licenses}");
        let filtered = page(&master, &server, "/licenses?state=revoked").await;
        assert!(filtered.contains("没有符合筛选条件的记录"), "{filtered}");

        // Every list's text is in the catalogue in both languages (a missing key shows ??).
        let lists = ["/registry/products", "/licenses", "/services", "/admin/users"];
        for lang in ["zh", "en"] {
            master.client.get(server.url(&format!("/lang/{lang}?next=/"))).send().await.unwrap();
            for path in lists {
                let html = page(&master, &server, path).await;
                assert!(!html.contains("??"), "{lang} {path}");
            }
        }
        let english = page(&master, &server, "/registry/products").await;
        assert!(english.contains("No products yet"), "{english}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn lists_fold_secondary_columns_on_phones_and_every_page_skips_to_its_content() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let users = page(&admin, &server, "/admin/users").await;
        // Key columns (user name, name, status) stay; organization, type and roles fold away.
        let head = &users[users.find("<thead>").unwrap()..users.find("</thead>").unwrap()];
        assert_eq!(head.matches("<th class=\"wide\"").count(), 3, "{head}");
        let css = reqwest::get(server.url("/assets/app.css")).await.unwrap().text().await.unwrap();
        assert!(css.contains("th.wide, td.wide { display: none; }"));

        for (who, path) in [(Some(&admin), "/admin/users"), (None, "/login")] {
            let html = match who {
                Some(s) => page(s, &server, path).await,
                None => reqwest::get(server.url(path)).await.unwrap().text().await.unwrap(),
            };
            let body = &html[html.find("<body>").unwrap()..];
            assert!(body[6..].trim_start().starts_with(r##"<a class="skip" href="#main">跳到正文</a>"##), "{path}");
            assert_eq!(html.matches(r#"<main id="main""#).count(), 1, "{path}");
            assert_eq!(html.matches("<main").count(), 1, "one main landmark on {path}");
        }

        // A refused field points at its message.
        let r = admin
            .client
            .post(server.url("/admin/orgs"))
            .form(&[
                ("_csrf", admin.csrf.as_str()),
                ("kind", "company"),
                ("name", ""),
                ("code", "x"),
                ("parent_id", ""),
            ])
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"aria-invalid="true" aria-describedby="name-error""#), "{html}");
        assert!(html.contains(r#"<div class="field-error" id="name-error">"#), "{html}");
        server.stop().await;
    })
    .await;
}

/// The values of a list's first column (its links' text), in the order shown.
fn first_column(html: &str, link: &str) -> Vec<String> {
    let body = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    body.split(&format!("<td><a href=\"{link}"))
        .skip(1)
        .filter_map(|s| s.split('>').nth(1)?.split('<').next().map(str::to_string))
        .collect()
}

/// The holders of the license list, in the order shown (the third column).
fn holders(html: &str) -> Vec<String> {
    let body = &html[html.find("<tbody>").unwrap()..html.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .filter_map(|row| row.split("<td").nth(3)?.split_once('>')?.1.split("</td>").next().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn licenses_and_applications_sort_by_their_headers_and_export_what_the_filter_selects() {
    each_backend(|store| async move {
        let demo = common::demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let leader = login(&server, "zj.leader").await;
        for holder in ["org.kc", "org.ms", "org.zjph"] {
            let body = common::demo::license_body(demo.id(holder));
            let (st, lic) = leader.send_json(reqwest::Method::POST, server.url("/api/v1/licenses"), &body).await;
            assert_eq!(st, 201, "{lic}");
        }
        let up = page(&leader, &server, "/licenses?sort=holder").await;
        let down = page(&leader, &server, "/licenses?sort=holder&desc=1").await;
        let (asc, mut desc) = (holders(&up), holders(&down));
        assert_eq!(asc.len(), 3, "{asc:?}");
        assert_ne!(asc[0], asc[2]);
        desc.reverse();
        assert_eq!(asc, desc);
        assert_eq!(header(&up, "holder"), r#"<th aria-sort="ascending">"#);
        assert_eq!(header(&down, "holder"), r#"<th aria-sort="descending">"#);
        assert_eq!(header(&up, "number"), "<th>");
        // The workbook holds the filtered rows in the list's order.
        let r = leader.client.get(server.url("/licenses.xlsx?sort=holder&desc=1")).send().await.unwrap();
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(rows[0][..3], ["许可证编号", "证照类型", "持证主体"]);
        let exported: Vec<String> = rows[1..].iter().map(|r| r[2].clone()).collect();
        desc.reverse();
        assert_eq!(exported, desc);
        let r = leader.client.get(server.url("/licenses.xlsx?q=民生")).send().await.unwrap();
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");

        // Two applications, listed by number both ways.
        for who in ["kc.master", "ms.master"] {
            let s = login(&server, who).await;
            let body = common::demo::retail_application();
            let (st, app) = s.send_json(reqwest::Method::POST, server.url("/api/v1/applications"), &body).await;
            assert_eq!(st, 201, "{app}");
        }
        let up = page(&leader, &server, "/services?sort=number").await;
        let down = page(&leader, &server, "/services?sort=number&desc=1").await;
        let (asc, mut desc) =
            (first_column(&up, "/services/applications/"), first_column(&down, "/services/applications/"));
        assert_eq!(asc.len(), 2, "{asc:?}");
        assert!(asc[0] < asc[1], "{asc:?}");
        desc.reverse();
        assert_eq!(asc, desc);
        assert_eq!(header(&up, "number"), r#"<th aria-sort="ascending">"#);
        // The page's links keep the order: the next page, the filter form and the exports.
        assert!(up.contains(r#"<input type="hidden" name="sort" value="number">"#));
        assert!(up.contains("/services/applications.xlsx?q=&type_code=&status=&sort=number&desc=&page=1"));
        let r =
            leader.client.get(server.url(&format!("/services/applications.xlsx?q={}", asc[1]))).send().await.unwrap();
        let rows = yaolian_registry::table::read(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], asc[1]);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn recalls_sort_by_their_headers() {
    each_backend(|store| async move {
        let demo = common::demo::seed(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        let second = yaolian_trace::recall::NewRecall {
            product_id: demo.id("product.ht"),
            batches: vec!["B2026002".into()],
            level: 1,
            reason: "包装破损".into(),
        };
        yaolian_trace::recall::open(&store, &sys, &second, &Default::default()).await.unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let leader = login(&server, "nmpa.leader").await;
        let ids = |html: &str| first_column(html, "/trace/recalls/");
        let up = page(&leader, &server, "/trace/recalls?sort=id").await;
        let down = page(&leader, &server, "/trace/recalls?sort=id&desc=1").await;
        let (asc, mut desc) = (ids(&up), ids(&down));
        assert_eq!(asc.len(), 2, "{asc:?}");
        assert!(asc[0].parse::<i64>().unwrap() < asc[1].parse::<i64>().unwrap());
        desc.reverse();
        assert_eq!(asc, desc);
        assert_eq!(header(&up, "id"), r#"<th aria-sort="ascending">"#);
        // By level: the class I recall (the second one opened) first.
        let by_level = ids(&page(&leader, &server, "/trace/recalls?sort=level").await);
        assert_eq!(by_level, [asc[1].clone(), asc[0].clone()]);
        server.stop().await;
    })
    .await;
}
