//! Readable record history and the pages that explain raw files, over HTTP on SQLite and
//! PostgreSQL: a license's and an application's history name the record by its business
//! identity and show each changed field by its Chinese label with read values (China Standard
//! Time, status names), never a field key, a status code or epoch milliseconds; the license's
//! seal and personal signatures are told apart; the license file, the authority key, the
//! revocation list and an inclusion proof open pages that explain them and offer the raw file
//! as a download.

#![allow(clippy::unwrap_used)]

mod common;

use common::{login, Server, Session};
use reqwest::Method;
use serde_json::json;
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

async fn page(s: &Session, server: &Server, path: &str) -> (reqwest::StatusCode, String) {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The visible text of a page's `<main>`-ish content: everything after the side navigation,
/// without tags (good enough to look for keys and numbers that must not show).
fn visible(html: &str) -> String {
    let body = html.split("</nav>").last().unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// No run of 13 digits (epoch milliseconds of this century) in `text`.
fn has_epoch_millis(text: &str) -> Option<String> {
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            if run.len() == 13 && (run.starts_with("17") || run.starts_with("18")) {
                return Some(run);
            }
            run.clear();
        }
    }
    None
}

#[tokio::test]
async fn license_and_application_histories_read_in_chinese() {
    each_backend(|store| async move {
        let mut world = common::demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        world.records(&server).await;
        let leader = login(&server, "zj.leader").await;
        let clerk = login(&server, "zj.clerk").await;

        // A second license version: suspended.
        let lid = world.id("license.kc");
        let body = json!({"action": "suspend", "reason": "飞行检查发现问题，责令整改", "expected_version": 1});
        let (st, lic) =
            leader.send_json(Method::POST, server.url(&format!("/api/v1/licenses/{lid}/status")), &body).await;
        assert_eq!(st, 200, "{lic}");
        let number = lic["document"]["number"].as_str().unwrap().to_string();

        let (st, html) = page(&leader, &server, &format!("/records/license/{lid}")).await;
        assert_eq!(st, 200, "{html}");
        let text = visible(&html);
        assert!(
            html.contains(&format!("<title>药品经营许可证 {number} · 版本记录")),
            "the title names the license: {html}"
        );
        assert!(html.contains(&format!("href=\"/licenses/{lid}\"")), "a back link to the license");
        // The newest change: the status, by its Chinese label and names.
        assert!(text.contains("证照状态"), "{text}");
        assert!(text.contains("有效") && text.contains("已暂停"), "{text}");
        assert!(text.contains("状态变更原因"), "{text}");
        assert!(text.contains("暂停"), "the version's action by name: {text}");
        for raw in ["status_reason", "document.", ">valid<", "suspended", "license 3", ">suspend<"] {
            assert!(!html.contains(raw), "{raw} shows on the page: {text}");
        }
        // Seal and personal signatures each under its own heading.
        assert!(text.contains("颁证机关签章") && text.contains("签章有效"), "{text}");
        assert!(text.contains("个人电子签名"), "{text}");
        assert!(html.contains(&format!("href=\"/licenses/{lid}/file\"")), "the seal links the license file page");

        // The first version against nothing: every field, labelled, with dates and codes read.
        let (_, html) = page(&leader, &server, &format!("/records/license/{lid}?a=0&b=1")).await;
        let text = visible(&html);
        for label in
            ["持证主体", "证照编号", "有效期截止日期", "照面信息 · 经营范围", "照面信息 · 法定代表人", "证照类型"]
        {
            assert!(text.contains(label), "{label} missing: {text}");
        }
        assert!(text.contains("药品经营许可证（批发）"), "the kind by its name: {text}");
        for raw in ["drug_wholesale", "holder_code", "valid_until", "business_scope", "其他字段"] {
            assert!(!text.contains(raw), "{raw} shows: {text}");
        }
        assert_eq!(has_epoch_millis(&text), None, "{text}");
        // Times in China Standard Time.
        assert!(text.contains("+08:00"), "{text}");

        // An application: submitted, then accepted by the window.
        let aid = world.id("application.kc");
        let body = json!({"action": "accept", "expected_version": 1});
        let (st, app) =
            clerk.send_json(Method::POST, server.url(&format!("/api/v1/applications/{aid}/act")), &body).await;
        assert_eq!(st, 200, "{app}");
        let app_number = app["number"].as_str().unwrap().to_string();
        let (st, html) = page(&clerk, &server, &format!("/records/application/{aid}")).await;
        assert_eq!(st, 200, "{html}");
        let text = visible(&html);
        assert!(html.contains(&format!("<title>申请 {app_number} · 版本记录")), "{html}");
        assert!(html.contains(&format!("href=\"/services/applications/{aid}\"")), "a back link to the application");
        assert!(text.contains("办理状态") && text.contains("待受理") && text.contains("审查中"), "{text}");
        assert!(text.contains("办理过程 第 2 项 · 时间"), "a step's time by its place: {text}");
        assert!(text.contains("办理过程 第 2 项 · 环节") && text.contains("受理"), "{text}");
        assert!(text.contains("法定时限 · 当前阶段") && text.contains("审查决定"), "{text}");
        assert!(text.contains("+08:00"), "{text}");
        assert_eq!(has_epoch_millis(&text), None, "{text}");
        for raw in ["steps[", "clock.", ">accepted<", ">submitted<", "phase", "其他字段"] {
            assert!(!text.contains(raw), "{raw} shows: {text}");
        }
        // The first version: the form by its type's own labels.
        let (_, html) = page(&clerk, &server, &format!("/records/application/{aid}?a=0&b=1")).await;
        let text = visible(&html);
        for label in ["申请表 · 企业名称", "申请表 · 经营范围", "申请材料 第 1 项 · 材料名称", "提交时间", "事项"]
        {
            assert!(text.contains(label), "{label} missing: {text}");
        }
        assert!(text.contains("药品经营许可证核发（零售）"), "{text}");
        for raw in ["form.", "enterprise_name", "drug_retail_issue", "submitted_at", "其他字段"] {
            assert!(!text.contains(raw), "{raw} shows: {text}");
        }
        assert_eq!(has_epoch_millis(&text), None, "{text}");

        // A company's history is named by the company.
        let kc = world.id("org.kc");
        let kc_master = login(&server, "kc.master").await;
        let (_, html) = page(&kc_master, &server, &format!("/records/product/{}", world.id("product.kc"))).await;
        assert!(html.contains("<title>盐酸二甲双胍片 国药准字H20230001 · 版本记录"), "{html}");
        let _ = kc;
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn raw_files_open_pages_that_explain_them() {
    each_backend(|store| async move {
        let mut world = common::demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        world.records(&server).await;
        let leader = login(&server, "zj.leader").await;
        let lid = world.id("license.kc");

        // The license page links the explaining page, not the JSON.
        let (_, html) = page(&leader, &server, &format!("/licenses/{lid}")).await;
        assert!(html.contains(&format!("href=\"/licenses/{lid}/file\"")), "{html}");
        assert!(!html.contains(&format!("href=\"/api/v1/licenses/{lid}/export\"")), "{html}");

        let (st, html) = page(&leader, &server, &format!("/licenses/{lid}/file")).await;
        assert_eq!(st, 200, "{html}");
        let text = visible(&html);
        assert!(
            text.contains("电子证照文件") && text.contains("外部人员如何验证") && text.contains("签章时间"),
            "{text}"
        );
        assert!(text.contains("+08:00"), "the seal's time in China Standard Time: {text}");
        assert!(html.contains(&format!("href=\"/api/v1/licenses/{lid}/export\" download=")), "{html}");
        let key_id = html.split("/licenses/keys/").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();

        let (st, html) = page(&leader, &server, &format!("/licenses/keys/{key_id}")).await;
        assert_eq!(st, 200, "{html}");
        assert!(visible(&html).contains("颁证机关公钥"), "{html}");
        assert!(html.contains(&format!("href=\"/api/v1/public/authority-keys/{key_id}\" download=")), "{html}");
        let (st, _) = page(&leader, &server, "/licenses/keys/nope").await;
        assert_eq!(st, 404);

        // The revocation list: the list page links it; revoked, the license is in the table.
        let (_, html) = page(&leader, &server, "/licenses").await;
        assert!(html.contains("href=\"/licenses/revoked\""), "{html}");
        let body = json!({"action": "revoke", "reason": "销售假药，依法吊销", "expected_version": 1});
        let (st, lic) =
            leader.send_json(Method::POST, server.url(&format!("/api/v1/licenses/{lid}/status")), &body).await;
        assert_eq!(st, 200, "{lic}");
        let (st, html) = page(&leader, &server, "/licenses/revoked").await;
        assert_eq!(st, 200, "{html}");
        let text = visible(&html);
        assert!(
            text.contains("吊销/暂停清单") && text.contains("已吊销") && text.contains("销售假药，依法吊销"),
            "{text}"
        );
        assert!(text.contains(lic["document"]["number"].as_str().unwrap()), "{text}");
        assert!(text.contains("+08:00") && !text.contains(">revoked<"), "{text}");
        assert!(html.contains("href=\"/api/v1/public/licenses/revoked\" download="), "{html}");

        // An inclusion proof, once a checkpoint covers the version.
        let (key_id, key) = yaolian_store::ledger::site_key(&store, &[1u8; 16]).await.unwrap();
        yaolian_store::ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        let (_, html) = page(&leader, &server, &format!("/records/license/{lid}")).await;
        let link = html.split("href=\"/ledger/proof?").nth(1).and_then(|s| s.split('"').next()).expect(&html);
        let link = format!("/ledger/proof?{}", link.replace("&amp;", "&").replace("&#38;", "&"));
        let (st, proof) = page(&leader, &server, &link).await;
        assert_eq!(st, 200, "{proof}");
        let text = visible(&proof);
        assert!(
            text.contains("账本包含证明") && text.contains("外部人员如何验证") && text.contains("检查点树根"),
            "{text}"
        );
        assert!(text.contains("+08:00"), "the checkpoint's time in China Standard Time: {text}");
        assert!(text.contains("签名有效"), "the checkpoint's signature checked with the site key: {text}");
        assert!(proof.contains("href=\"/api/v1/ledger/proof/inclusion?index="), "{proof}");
        assert!(proof.contains("download=\"inclusion-proof-"), "{proof}");
        assert!(proof.contains(&format!("href=\"/records/license/{lid}\"")), "back to the history");
        assert!(
            !proof.contains("href=\"/api/v1/ledger/proof/inclusion?index=0&amp;tree_size=1\">"),
            "no bare raw link"
        );
        let (st, _) = page(&leader, &server, "/ledger/proof?index=0&tree_size=1").await;
        assert_eq!(st, 200);
        let (st, html) = page(&leader, &server, "/ledger/proof?index=x&tree_size=1").await;
        assert_eq!(st, 422, "{html}");
        assert!(visible(&html).contains("应为数字"), "{html}");
        server.stop().await;
    })
    .await;
}
