//! Online services and electronic licenses end to end over HTTP, on SQLite and PostgreSQL:
//! a company applies for a 药品经营许可证 (retail), the bureau asks for 补正, accepts, reviews and
//! decides; the license is issued, its QR link verifies; revoked, the same link says so; an
//! exported license verifies offline and fails after a changed byte. Role rules throughout.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::{login, seed, Server, Session, PW};
use reqwest::Method;
use serde_json::{json, Value};
use yaolian_identity::fixtures;
use yaolian_license::SignedLicense;
use yaolian_services::Calendar;
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

fn file(label: &str, name: &str, text: &str) -> Value {
    json!({
        "label": label,
        "name": name,
        "content_type": "text/plain",
        "content_base64": base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
    })
}

fn retail_form() -> Value {
    json!({
        "enterprise_name": "甲制药有限公司",
        "legal_representative": "张明",
        "principal": "李华",
        "quality_head": "王芳（执业药师）",
        "registered_address": "杭州市西湖区文三路 100 号",
        "business_scope": "处方药、非处方药：化学药、中成药",
        "contact_phone": "0571-87654321",
    })
}

async fn post(s: &Session, server: &Server, path: &str, body: Value) -> (reqwest::StatusCode, Value) {
    s.send_json(Method::POST, server.url(path), &body).await
}

async fn put_day(s: &Session, server: &Server, day: &str, body: Value) -> reqwest::StatusCode {
    s.send_json(Method::PUT, server.url(&format!("/api/v1/services/calendar/{day}")), &body).await.0
}

async fn get(s: &Session, server: &Server, path: &str) -> (reqwest::StatusCode, Value) {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_retail_license_from_application_to_revocation() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        fixtures::user(&store, &sys, w.province, "zj.clerk", false, &["window_clerk"]).await.unwrap();
        fixtures::user(&store, &sys, w.province, "zj.leader", false, &["regulator_leader"]).await.unwrap();
        // One person holding both the reviewer and the leader role: may review or decide, never both.
        let both = fixtures::user(&store, &sys, w.province, "zj.both", false, &["reviewer", "regulator_leader"]).await.unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let a = login(&server, "a.master").await;
        let b = login(&server, "b.master").await;
        let clerk = login(&server, "zj.clerk").await;
        let leader = login(&server, "zj.leader").await;
        let reviewer = login(&server, "zj.both").await;

        // A missing required attachment is named; nothing is stored.
        let files = vec![
            file("营业执照", "license.txt", "营业执照扫描件"),
            file("质量负责人执业药师注册证", "pharmacist.txt", "注册证"),
            file("经营场所和仓库平面布置图", "plan.txt", "平面图"),
        ];
        let (st, body) = post(&a, &server, "/api/v1/applications", json!({"type_code": "drug_retail_issue", "form": retail_form(), "files": files})).await;
        assert_eq!(st, 422, "{body}");
        assert!(body.to_string().contains("required:质量管理文件目录"), "{body}");
        let (_, list) = get(&a, &server, "/api/v1/applications").await;
        assert_eq!(list["total"], 0);

        // A bad form field is named too.
        let mut bad_form = retail_form();
        bad_form["colour"] = json!("red");
        let (st, body) = post(&a, &server, "/api/v1/applications", json!({"type_code": "drug_retail_issue", "form": bad_form})).await;
        assert_eq!(st, 422);
        assert!(body.to_string().contains("form.colour"), "{body}");

        // 申请.
        let mut files = files;
        files.push(file("质量管理文件目录", "qms.txt", "质量管理文件目录 v1"));
        let (st, app) = post(&a, &server, "/api/v1/applications", json!({"type_code": "drug_retail_issue", "form": retail_form(), "files": files})).await;
        assert_eq!(st, 201, "{app}");
        let id = app["id"].as_i64().unwrap();
        assert_eq!(app["status"], "submitted");
        assert_eq!(app["authority_name"], "浙江省药品监督管理局");
        assert_eq!(app["clock"]["phase"], "accept");
        assert_eq!(app["files"].as_array().unwrap().len(), 4);
        // SM3 of the attachment bytes ("质量管理文件目录 v1"), hex, 64 digits.
        let sm3 = app["files"][3]["sm3"].as_str().unwrap();
        assert_eq!(sm3.len(), 64);
        let r = a.client.get(server.url(&format!("/api/v1/applications/{id}/files/{}", app["files"][3]["id"]))).send().await.unwrap();
        assert_eq!(r.headers()["x-content-sm3"].to_str().unwrap(), sm3);
        assert_eq!(r.bytes().await.unwrap().as_ref(), "质量管理文件目录 v1".as_bytes());

        // Roles: another company sees nothing and cannot read it; the applicant cannot handle it.
        let (st, _) = get(&b, &server, &format!("/api/v1/applications/{id}")).await;
        assert_eq!(st, 403);
        let (_, blist) = get(&b, &server, "/api/v1/applications").await;
        assert_eq!(blist["total"], 0);
        let (st, _) = post(&a, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "accept", "expected_version": 1})).await;
        assert_eq!(st, 403, "an applicant never acts as the bureau");
        let (_, todos) = get(&clerk, &server, "/api/v1/portal/todos").await;
        assert!(todos.to_string().contains("受理"), "the window has a to-do: {todos}");

        // 补正: one notice with everything missing; the clock pauses.
        let (st, app) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"),
            json!({"action": "request_correction", "items": ["仓库地址未填写", "平面布置图缺少比例尺"], "note": "请一次补齐", "expected_version": 1})).await;
        assert_eq!(st, 200, "{app}");
        assert_eq!(app["status"], "correction");
        assert_eq!(app["clock"]["phase"], "paused");
        assert!(app["clock"]["due_on"].is_null());
        assert!(app["remaining_days"].is_null(), "no countdown while paused");
        let (st, _) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "accept", "expected_version": 2})).await;
        assert_eq!(st, 409, "nothing is accepted while 补正 is pending");

        // The applicant answers: the clock runs again from the submission day plus the pause.
        let (st, app) = post(&a, &server, &format!("/api/v1/applications/{id}/resubmit"), json!({
            "form": {"warehouse_address": "杭州市余杭区仓前街道 8 号"},
            "files": [file("经营场所和仓库平面布置图", "plan-v2.txt", "平面图（含比例尺）")],
            "expected_version": 2
        })).await;
        assert_eq!(st, 200, "{app}");
        assert_eq!(app["status"], "submitted");
        assert_eq!(app["clock"]["phase"], "accept");
        assert!(app["clock"]["due_on"].is_string());
        assert_eq!(app["correction"]["answered_on"].as_str().unwrap().len(), 10);
        let (st, _) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"),
            json!({"action": "request_correction", "items": ["again"], "expected_version": 3})).await;
        assert_eq!(st, 409, "补正 is asked once");

        // 受理: the decision clock starts with the type's 20 working days on the calendar.
        let (st, app) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "accept", "opinion": "材料齐全", "expected_version": 3})).await;
        assert_eq!(st, 200, "{app}");
        assert_eq!(app["status"], "accepted");
        let cal = Calendar::load(&store).await.unwrap();
        let today = yaolian_core::Timestamp::now().china_date();
        assert_eq!(app["clock"]["due_on"], cal.add_working_days(today, 20).to_string());
        assert_eq!(app["remaining_days"], 20);

        // A decision needs a review first.
        let decide = |pw: &str, v: i64| json!({"outcome": "approve", "opinion": "符合条件，准予许可", "password": pw, "expected_version": v});
        let (st, _) = post(&leader, &server, &format!("/api/v1/applications/{id}/decide"), decide(PW, 4)).await;
        assert_eq!(st, 409);
        // Issue 15 item 19: only those who may review are offered and accepted — the audit
        // administrator (no 审查 permission) was accepted before.
        let auditor = yaolian_identity::users::id_by_username(&store, "auditor").await.unwrap();
        let (st, offered) = get(&clerk, &server, &format!("/api/v1/applications/{id}/reviewers")).await;
        assert_eq!(st, 200, "{offered}");
        let offered: Vec<i64> = offered.as_array().unwrap().iter().map(|r| r["user_id"].as_i64().unwrap()).collect();
        assert!(offered.contains(&both) && !offered.contains(&auditor), "{offered:?}");
        let (st, refused) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "assign", "reviewer_ids": [auditor], "expected_version": 4})).await;
        assert_eq!((st.as_u16(), refused["errors"][0]["rule"].as_str()), (422, Some("may_review")), "{refused}");
        let (st, _) = get(&a, &server, &format!("/api/v1/applications/{id}/reviewers")).await;
        assert_eq!(st, 403, "the applicant is not offered the bureau's people");
        let (st, app) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "assign", "reviewer_ids": [both], "expected_version": 4})).await;
        assert_eq!(st, 200, "{app}");
        let (st, _) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "assign", "reviewer_ids": [w.b_user], "expected_version": 5})).await;
        assert_eq!(st, 422, "a company's user cannot review");
        let (st, _) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"),
            json!({"action": "review", "opinion": "x", "conclusion": "approve", "expected_version": 5})).await;
        assert_eq!(st, 403, "only an assigned reviewer reviews");
        let (st, app) = post(&reviewer, &server, &format!("/api/v1/applications/{id}/act"),
            json!({"action": "review", "opinion": "现场检查符合《药品经营质量管理规范》", "conclusion": "approve", "expected_version": 5})).await;
        assert_eq!(st, 200, "{app}");
        let (st, _) = post(&clerk, &server, &format!("/api/v1/applications/{id}/act"), json!({"action": "inspection", "reference": "JC-2026-0117", "expected_version": 6})).await;
        assert_eq!(st, 200);

        // Separation of duties: the reviewer may not decide; a wrong password decides nothing.
        let (st, body) = post(&reviewer, &server, &format!("/api/v1/applications/{id}/decide"), decide(PW, 7)).await;
        assert_eq!(st, 403, "{body}");
        let (st, _) = post(&leader, &server, &format!("/api/v1/applications/{id}/decide"), decide("Wrong-pass1", 7)).await;
        assert_eq!(st, 401);
        let (_, still) = get(&leader, &server, &format!("/api/v1/applications/{id}")).await;
        assert_eq!(still["status"], "accepted");

        // 决定 and 送达: signed, and the license is issued.
        let (st, app) = post(&leader, &server, &format!("/api/v1/applications/{id}/decide"), decide(PW, 7)).await;
        assert_eq!(st, 200, "{app}");
        assert_eq!(app["status"], "approved");
        assert!(app["decision"]["signature_id"].is_i64());
        let (_, read_back) = get(&a, &server, &format!("/api/v1/applications/{id}")).await;
        assert_eq!(read_back["decision"]["signature_id"], app["decision"]["signature_id"], "the stored decision shows its signature");
        assert!(app["steps"].as_array().unwrap().iter().any(|s| s["step"] == "deliver"));
        let license_id = app["license_id"].as_i64().unwrap();
        let (st, sigs) = get(&leader, &server, &format!("/api/v1/records/application/{id}/signatures")).await;
        assert_eq!(st, 200);
        assert_eq!(sigs[0]["meaning"], "decide");
        assert_eq!(sigs[0]["valid"], true);
        let (_, msgs) = get(&a, &server, "/api/v1/portal/messages").await;
        assert!(msgs.to_string().contains("许可证已核发"), "{msgs}");

        let (st, lic) = get(&a, &server, &format!("/api/v1/licenses/{license_id}")).await;
        assert_eq!(st, 200, "{lic}");
        assert_eq!(lic["state"], "valid");
        assert_eq!(lic["document"]["name"], "药品经营许可证");
        assert_eq!(lic["document"]["fields"]["mode"], "零售");
        assert_eq!(lic["document"]["fields"]["warehouse_address"], "杭州市余杭区仓前街道 8 号");
        assert!(lic["document"]["number"].as_str().unwrap().starts_with("浙CB"));
        let identifier = lic["document"]["identifier"].as_str().unwrap().to_string();
        yaolian_license::LicenseId::parse("identifier", &identifier).unwrap();
        let (st, _) = get(&b, &server, &format!("/api/v1/licenses/{license_id}")).await;
        assert_eq!(st, 403, "another company's license is not readable");

        // The QR link: anyone, no login.
        let anon = reqwest::Client::new();
        let page = anon.get(server.url(&format!("/v/{identifier}"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("有效") && html.contains("签名验证通过"), "{html}");
        let v: Value = anon.get(server.url(&format!("/api/v1/public/licenses/{identifier}"))).send().await.unwrap().json().await.unwrap();
        assert_eq!(v["state"], "valid");
        assert_eq!(v["signature_valid"], true);
        // Issue 15 item 17: an anonymous verifier learns whether the license holds, not the names
        // of the people who run the company (the signed export keeps every field).
        let fields = v["document"]["fields"].as_object().unwrap();
        assert!(fields.contains_key("registered_address") && !fields.contains_key("legal_representative"), "{v}");
        assert!(!fields.contains_key("quality_head") && !fields.contains_key("principal"), "{v}");

        // Export; verify offline with the authority's public key; one changed byte fails.
        let exported = a.client.get(server.url(&format!("/api/v1/licenses/{license_id}/export"))).send().await.unwrap().bytes().await.unwrap();
        let signed = SignedLicense::from_json(&exported).unwrap();
        let pem = anon.get(server.url(&format!("/api/v1/public/authority-keys/{}", signed.signature.key_id))).send().await.unwrap().text().await.unwrap();
        assert_eq!(signed.verify(&pem), Ok(()));
        let text = String::from_utf8(exported.to_vec()).unwrap();
        let changed = text.replacen("李华", "李一", 1);
        assert_ne!(changed, text);
        assert!(SignedLicense::from_json(changed.as_bytes()).unwrap().verify(&pem).is_err());

        // 秒办: a contact-details filing decides itself when every check passes …
        let (st, filing) = post(&a, &server, "/api/v1/applications", json!({
            "type_code": "contact_change_filing",
            "form": {"contact_person": "赵敏", "contact_phone": "13812345678", "email": "qa@jia.example.cn"}
        })).await;
        assert_eq!(st, 201, "{filing}");
        assert_eq!(filing["status"], "approved");
        assert_eq!(filing["decision"]["rule"]["rule"], "contact_change");
        assert_eq!(filing["decision"]["rule"]["inputs"]["contact_phone"], "13812345678");
        assert!(filing["decision"]["rule"]["checks"].as_array().unwrap().iter().all(|c| c["passed"] == true));
        // … and goes to a person, with the failed check recorded, when one fails.
        let (_, manual) = post(&a, &server, "/api/v1/applications", json!({
            "type_code": "contact_change_filing",
            "form": {"contact_person": "赵敏", "contact_phone": "12345", "email": ""}
        })).await;
        assert_eq!(manual["status"], "submitted");
        assert_eq!(manual["auto"]["passed"], false);
        assert!(manual["auto"]["checks"].as_array().unwrap().iter().any(|c| c["check"] == "contact_phone" && c["passed"] == false));

        // Revocation: the same link now says revoked, with the reason; the list carries it.
        let (st, lic) = post(&leader, &server, &format!("/api/v1/licenses/{license_id}/status"),
            json!({"action": "revoke", "reason": "违法销售假药，依法吊销", "expected_version": 1})).await;
        assert_eq!(st, 200, "{lic}");
        assert_eq!(lic["state"], "revoked");
        let html = anon.get(server.url(&format!("/v/{identifier}"))).send().await.unwrap().text().await.unwrap();
        assert!(html.contains("已吊销") && html.contains("违法销售假药，依法吊销"), "{html}");
        let crl: Value = anon.get(server.url("/api/v1/public/licenses/revoked")).send().await.unwrap().json().await.unwrap();
        assert!(crl.as_array().unwrap().iter().any(|r| r["identifier"] == identifier.as_str()));
        let (st, _) = post(&leader, &server, &format!("/api/v1/licenses/{license_id}/status"),
            json!({"action": "reinstate", "reason": "x", "expected_version": 2})).await;
        assert_eq!(st, 409, "a revoked license stays revoked");
        let (st, _) = post(&a, &server, &format!("/api/v1/licenses/{license_id}/status"),
            json!({"action": "revoke", "reason": "x", "expected_version": 2})).await;
        assert_eq!(st, 403, "a company never revokes");

        // Every state change is in the record history and the ledger verifies.
        let (_, hist) = get(&leader, &server, &format!("/api/v1/records/application/{id}")).await;
        let actions: Vec<&str> = hist["versions"].as_array().unwrap().iter().map(|v| v["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["submit", "correction", "resubmit", "accept", "assign", "review", "inspection", "approve"]);
        let (_, lhist) = get(&leader, &server, &format!("/api/v1/records/license/{license_id}")).await;
        let actions: Vec<&str> = lhist["versions"].as_array().unwrap().iter().map(|v| v["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["issue", "revoke"]);
        let summary = yaolian_store::ledger::verify(&store).await.unwrap();
        assert!(summary.is_ok(), "{summary:?}");
        // Lists export as CSV (Excel reads the BOM), each in the reader's scope, and audited.
        let csv = leader.client.get(server.url("/licenses.csv?state=revoked")).send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("\u{feff}许可证编号") && text.contains("违法销售假药"), "{text}");
        let number = app["number"].as_str().unwrap();
        let mine = a.client.get(server.url("/services/applications.csv")).send().await.unwrap().text().await.unwrap();
        assert!(mine.contains(number), "{mine}");
        let theirs = b.client.get(server.url("/services/applications.csv")).send().await.unwrap().text().await.unwrap();
        assert!(!theirs.contains(number) && theirs.starts_with("\u{feff}申请编号"), "{theirs}");
        let (_, dossier) = get(&a, &server, &format!("/api/v1/companies/{}/dossier", w.co_a)).await;
        assert!(dossier.to_string().contains("license_issued"), "the dossier timeline has the license");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_license_changes_and_renews_with_new_versions_and_old_ones_superseded() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        fixtures::user(
            &store,
            &yaolian_access::run_as_system::principal(),
            w.province,
            "zj.leader",
            false,
            &["regulator_leader"],
        )
        .await
        .unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let leader = login(&server, "zj.leader").await;
        let fields = json!({"legal_representative": "张明", "principal": "李华", "quality_head": "王芳",
            "registered_address": "杭州市文三路 1 号", "business_scope": "化学药"});
        let new = json!({"kind": "drug_wholesale", "holder_org_id": w.co_a, "fields": fields});
        let (st, lic) = post(&leader, &server, "/api/v1/licenses", new.clone()).await;
        assert_eq!(st, 201, "{lic}");
        let id = lic["id"].as_i64().unwrap();
        let first = lic["document"]["identifier"].as_str().unwrap().to_string();
        assert!(lic["document"]["number"].as_str().unwrap().starts_with("浙AA"));
        // The same number twice for the same type and authority is refused.
        let mut dup = new.clone();
        dup["number"] = lic["document"]["number"].clone();
        let (st, body) = post(&leader, &server, "/api/v1/licenses", dup).await;
        assert_eq!(st, 422);
        assert!(body.to_string().contains("unique"), "{body}");
        // Bad input names the field.
        let (st, body) = post(
            &leader,
            &server,
            "/api/v1/licenses",
            json!({"kind": "drug_wholesale", "holder_org_id": w.co_a, "fields": {}}),
        )
        .await;
        assert_eq!(st, 422);
        assert!(body.to_string().contains("fields.legal_representative"), "{body}");

        let (st, changed) = post(
            &leader,
            &server,
            &format!("/api/v1/licenses/{id}/change"),
            json!({"fields": {"quality_head": "陈静"}, "reason": "质量负责人变更", "expected_version": 1}),
        )
        .await;
        assert_eq!(st, 200, "{changed}");
        assert_eq!(changed["document"]["version"], 2);
        assert_eq!(changed["document"]["fields"]["quality_head"], "陈静");
        let second = changed["document"]["identifier"].as_str().unwrap().to_string();
        assert!(second.contains(".002."), "{second}");
        let (st, renewed) = post(
            &leader,
            &server,
            &format!("/api/v1/licenses/{id}/renew"),
            json!({"reason": "延续", "expected_version": 2}),
        )
        .await;
        assert_eq!(st, 200, "{renewed}");
        assert!(
            renewed["document"]["valid_until"].as_str().unwrap() > changed["document"]["valid_until"].as_str().unwrap()
        );

        let anon = reqwest::Client::new();
        let check = |ident: String| {
            let anon = anon.clone();
            let url = server.url(&format!("/api/v1/public/licenses/{ident}"));
            async move { anon.get(url).send().await.unwrap().json::<Value>().await.unwrap() }
        };
        assert_eq!(check(first).await["state"], "superseded");
        assert_eq!(check(second).await["state"], "superseded");
        let third = check(renewed["document"]["identifier"].as_str().unwrap().to_string()).await;
        assert_eq!(third["state"], "valid");
        assert_eq!(third["signature_valid"], true);
        let (st, sus) = post(
            &leader,
            &server,
            &format!("/api/v1/licenses/{id}/status"),
            json!({"action": "suspend", "reason": "停业整改", "expected_version": 3}),
        )
        .await;
        assert_eq!(st, 200, "{sus}");
        let after = check(renewed["document"]["identifier"].as_str().unwrap().to_string()).await;
        assert_eq!(after["state"], "suspended");
        assert_eq!(after["reason"], "停业整改");
        let r = anon.get(server.url("/api/v1/public/licenses/1.2.156.3005.2.X.Y.1.001.Z")).send().await.unwrap();
        assert_eq!(r.status(), 404);

        // A row changed behind the system's back no longer carries the authority's signature
        // (the answer for the untouched bytes was remembered; the changed bytes are checked anew).
        let ident = renewed["document"]["identifier"].as_str().unwrap().to_string();
        sqlx::query("UPDATE license_documents SET document = REPLACE(document, '陈静', '陈一') WHERE identifier = $1")
            .bind(&ident)
            .execute(store.pool())
            .await
            .unwrap();
        let tampered = check(ident).await;
        assert_eq!(tampered["signature_valid"], false);
        // (The changed field names a person, so the anonymous answer leaves it out either way.)
        assert!(tampered["document"]["fields"].get("quality_head").is_none(), "{tampered}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_configured_2026_calendar_and_overdue_alerts() {
    each_backend(|store| async move {
        seed(&store).await;
        let cal = Calendar::load(&store).await.unwrap();
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 国务院办公厅关于2026年部分节假日安排的通知: 1–7 October off, Saturday 10 October worked.
        assert!(!cal.is_working_day(d("2026-10-05")));
        assert!(cal.is_working_day(d("2026-10-10")));
        assert!(cal.is_working_day(d("2026-02-28")), "the Spring Festival's adjusted Saturday");
        assert_eq!(cal.add_working_days(d("2026-09-30"), 20), d("2026-11-03"));
        let n = yaolian_services::applications::sweep_overdue(&store).await.unwrap();
        assert_eq!(n, 0, "nothing is overdue in an empty system");

        // The calendar is configured in data: the system administrator adds a day and clears
        // it again, each a record version; others may not; a bad day is named.
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let a = login(&server, "a.master").await;
        let body = json!({"kind": "holiday", "name": "测试假日", "reason": "测试"});
        assert_eq!(put_day(&admin, &server, "2026-12-31", body.clone()).await, 204);
        assert!(!Calendar::load(&store).await.unwrap().is_working_day(d("2026-12-31")));
        assert_eq!(put_day(&a, &server, "2026-12-30", body.clone()).await, 403);
        assert_eq!(put_day(&admin, &server, "2026-13-01", body.clone()).await, 422);
        assert_eq!(put_day(&admin, &server, "2026-12-31", json!({"kind": "", "reason": "撤销"})).await, 204);
        assert!(Calendar::load(&store).await.unwrap().is_working_day(d("2026-12-31")));
        let (_, hist) = get(&admin, &server, "/api/v1/records/calendar_day/2026-12-31").await;
        assert_eq!(hist["versions"].as_array().map(Vec::len), Some(2), "{hist}");
        server.stop().await;
    })
    .await;
}
