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
        // … a phone no check could accept is refused on the form (issue 17), not sent to a person …
        let (st, refused) = post(&a, &server, "/api/v1/applications", json!({
            "type_code": "contact_change_filing",
            "form": {"contact_person": "赵敏", "contact_phone": "12345", "email": ""}
        })).await;
        assert_eq!(st, 422, "{refused}");
        assert_eq!((refused["errors"][0]["field"].as_str(), refused["errors"][0]["rule"].as_str()), (Some("form.contact_phone"), Some("format:phone")));
        // … and a check on stored facts that fails (no valid license held) goes to a person,
        // with the failed check recorded.
        let (_, manual) = post(&b, &server, "/api/v1/applications", json!({
            "type_code": "contact_change_filing",
            "form": {"contact_person": "钱进", "contact_phone": "13912345678", "email": ""}
        })).await;
        assert_eq!(manual["status"], "submitted", "{manual}");
        assert_eq!(manual["auto"]["passed"], false);
        assert!(manual["auto"]["checks"].as_array().unwrap().iter().any(|c| c["check"] == "holds_valid_license" && c["passed"] == false));

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

/// A multipart body of text fields and files, as a browser posts the application form.
fn multipart(csrf: &str, texts: &[(&str, &str)], files: &[(&str, &str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----yaolian-test-boundary";
    let mut body = String::new();
    for (name, value) in [("_csrf", csrf)].iter().chain(texts) {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    for (name, file, text) in files {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/plain\r\n\r\n{text}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body.into_bytes())
}

/// A page form post: the status, where it redirects and the page it answers with.
async fn post_page(s: &Session, server: &Server, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut form: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
    form.extend_from_slice(fields);
    let r = s.client.post(server.url(path)).form(&form).send().await.unwrap();
    let status = r.status().as_u16();
    let at = r.url().to_string();
    (status, at, r.text().await.unwrap())
}

async fn page(s: &Session, server: &Server, path: &str) -> String {
    s.client.get(server.url(path)).send().await.unwrap().text().await.unwrap()
}

/// Issue 17, the application workflow in the browser's pages: each step has its own form with
/// the field it needs; refusals come back next to the form, in Chinese, with the input kept;
/// the decision is not offered before a review; reviewers are picked by name, role and
/// workload; the applicant answers 补正 and withdraws from the progress page; a filing reads
/// 已备案; a phone the 秒办 rule could never accept and a file attached twice are refused on
/// the form; the new form is pre-filled from the 一企一档 profile.
#[tokio::test]
async fn the_progress_page_offers_each_step_its_form_and_keeps_refused_input() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let sys = yaolian_access::run_as_system::principal();
        fixtures::user(&store, &sys, w.province, "zj.clerk", false, &["window_clerk"]).await.unwrap();
        fixtures::user(&store, &sys, w.province, "zj.leader", false, &["regulator_leader"]).await.unwrap();
        fixtures::user(&store, &sys, w.province, "zj.reviewer", false, &["reviewer"]).await.unwrap();
        let master = yaolian_identity::auth::principal_for_user(
            &store,
            yaolian_identity::users::id_by_username(&store, "a.master").await.unwrap(),
        )
        .await
        .unwrap();
        let profile = yaolian_registry::companies::Profile {
            legal_rep: "张明".into(),
            address: "杭州市西湖区文三路 100 号".into(),
            business_scope: "处方药、非处方药".into(),
            contact_phone: "0571-87654321".into(),
        };
        yaolian_registry::companies::update_profile(&store, &master, w.co_a, &profile, "", 0, &Default::default())
            .await
            .unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let a = login(&server, "a.master").await;
        let clerk = login(&server, "zj.clerk").await;
        let leader = login(&server, "zj.leader").await;
        let reviewer = login(&server, "zj.reviewer").await;

        // The new form is pre-filled from the profile.
        let html = page(&a, &server, "/services/new/drug_retail_issue").await;
        assert!(html.contains("value=\"张明\"") && html.contains("value=\"0571-87654321\""), "{html}");
        assert!(html.contains("一企一档"), "the form says where the values came from");

        // The same file as two materials is refused on the form, in Chinese, input kept.
        let form = retail_form();
        let texts: Vec<(String, String)> = form
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (format!("form.{k}"), v.as_str().unwrap().to_string()))
            .collect();
        let texts: Vec<(&str, &str)> = texts.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let same = [
            ("file_0", "a.txt", "营业执照"),
            ("file_1", "b.txt", "注册证"),
            ("file_2", "c.txt", "平面图"),
            ("file_3", "d.txt", "平面图"),
        ];
        let (ct, body) = multipart(&a.csrf, &texts, &same);
        let r = a
            .client
            .post(server.url("/services/new/drug_retail_issue"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("质量管理文件目录与已上传的另一份文件内容相同"), "{html}");
        assert!(html.contains("value=\"李华\""), "typed values are kept");

        // Submitted through the form: the progress page says so.
        let ok = [
            ("file_0", "a.txt", "营业执照"),
            ("file_1", "b.txt", "注册证"),
            ("file_2", "c.txt", "平面图"),
            ("file_3", "d.txt", "目录"),
        ];
        let (ct, body) = multipart(&a.csrf, &texts, &ok);
        let r = a
            .client
            .post(server.url("/services/new/drug_retail_issue"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let path = r.url().path().to_string();
        let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("申请已提交"), "{html}");
        let app_path = format!("/services/applications/{id}");

        // The clerk: one form per step, with the field it needs; no catch-all box.
        let html = page(&clerk, &server, &app_path).await;
        for form in ["accept-form", "correction-form", "refuse-form"] {
            assert!(html.contains(&format!("id=\"{form}\"")), "{form}: {html}");
        }
        assert!(html.contains("不予受理理由") && html.contains("补正事项") && !html.contains("意见 / 原因"), "{html}");
        // A refusal on the same page, next to its form, in Chinese, the text kept.
        let long = "理".repeat(2001);
        let (st, _, html) = post_page(
            &clerk,
            &server,
            &format!("{app_path}/act"),
            &[("action", "refuse"), ("reason", &long), ("expected_version", "1")],
        )
        .await;
        assert_eq!(st, 422);
        assert!(html.contains("不予受理理由的长度应为 1 至 2000 个字符") && html.contains(&long), "{html}");
        assert!(!html.contains("must have"), "no English on the page");

        // 补正 through its form; the applicant answers it with the missing material.
        let (st, at, html) = post_page(
            &clerk,
            &server,
            &format!("{app_path}/act"),
            &[
                ("action", "request_correction"),
                ("items", "仓库地址未填写\n平面布置图缺少比例尺"),
                ("expected_version", "1"),
            ],
        )
        .await;
        assert_eq!((st, at.ends_with("?done=correction")), (200, true), "{html}");
        assert!(html.contains("补正告知已发出"), "{html}");
        let html = page(&a, &server, &app_path).await;
        assert!(html.contains("id=\"resubmit-form\"") && html.contains("平面布置图缺少比例尺"), "{html}");
        // An answer with nothing in it, and a file already attached, are refused in place.
        let (ct, body) = multipart(&a.csrf, &[("expected_version", "2")], &[]);
        let r = a
            .client
            .post(server.url(&format!("{app_path}/resubmit")))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("补正材料为必填项"));
        let (ct, body) = multipart(&a.csrf, &[("expected_version", "2")], &[("file_1", "again.txt", "平面图")]);
        let r = a
            .client
            .post(server.url(&format!("{app_path}/resubmit")))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("请勿重复上传"));
        let (ct, body) = multipart(
            &a.csrf,
            &[("expected_version", "2"), ("form.warehouse_address", "杭州市余杭区仓前街道 8 号")],
            &[("file_1", "plan-v2.txt", "平面图（含比例尺）")],
        );
        let r = a
            .client
            .post(server.url(&format!("{app_path}/resubmit")))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("补正材料已提交") && html.contains("plan-v2.txt") && html.contains("仓前街道"), "{html}");

        // 受理; the leader is not offered a decision before a review, and told what is missing.
        let (st, _, html) = post_page(
            &clerk,
            &server,
            &format!("{app_path}/act"),
            &[("action", "accept"), ("opinion", "材料齐全"), ("expected_version", "3")],
        )
        .await;
        assert_eq!(st, 200, "{html}");
        let html = page(&leader, &server, &app_path).await;
        assert!(html.contains("尚未指派审查人员") && !html.contains("id=\"decide-form\""), "{html}");
        let (st, _, html) = post_page(
            &leader,
            &server,
            &format!("{app_path}/decide"),
            &[("outcome", "approve"), ("opinion", "拟准予"), ("password", PW), ("expected_version", "4")],
        )
        .await;
        assert_eq!(st, 422);
        assert!(html.contains("尚无审查意见，审查人员提交后方可决定"), "{html}");

        // Reviewers are picked by name, role and workload; picking none is refused in place.
        let html = page(&clerk, &server, &app_path).await;
        assert!(
            html.contains("id=\"reviewers-table\"") && html.contains("在办审查") && html.contains("审查人员"),
            "{html}"
        );
        assert!(!html.contains("type=\"number\""), "no typed user ids");
        let (st, _, html) =
            post_page(&clerk, &server, &format!("{app_path}/act"), &[("action", "assign"), ("expected_version", "4")])
                .await;
        assert_eq!(st, 422);
        assert!(html.contains("审查人员为必填项"), "{html}");
        let reviewer_id = yaolian_identity::users::id_by_username(&store, "zj.reviewer").await.unwrap().to_string();
        let (st, _, _) = post_page(
            &clerk,
            &server,
            &format!("{app_path}/act"),
            &[("action", "assign"), ("reviewer_ids", &reviewer_id), ("expected_version", "4")],
        )
        .await;
        assert_eq!(st, 200);
        let html = page(&leader, &server, &app_path).await;
        assert!(html.contains("尚无审查意见") && !html.contains("id=\"decide-form\""), "{html}");
        let (st, _, html) = post_page(
            &reviewer,
            &server,
            &format!("{app_path}/act"),
            &[
                ("action", "review"),
                ("conclusion", "approve"),
                ("opinion", "符合《药品经营质量管理规范》"),
                ("expected_version", "5"),
            ],
        )
        .await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("审查意见已提交"));

        // A wrong password: the refusal next to the decision form, the opinion kept.
        let html = page(&leader, &server, &app_path).await;
        assert!(html.contains("id=\"decide-form\""), "{html}");
        let (st, _, html) = post_page(
            &leader,
            &server,
            &format!("{app_path}/decide"),
            &[
                ("outcome", "approve"),
                ("opinion", "符合条件，准予许可"),
                ("password", "Wrong-pass1"),
                ("expected_version", "6"),
            ],
        )
        .await;
        assert_eq!(st, 422);
        assert!(html.contains("密码不正确") && html.contains("符合条件，准予许可"), "{html}");
        let (st, _, html) = post_page(
            &leader,
            &server,
            &format!("{app_path}/decide"),
            &[("outcome", "approve"), ("opinion", "符合条件，准予许可"), ("password", PW), ("expected_version", "6")],
        )
        .await;
        assert_eq!(st, 200, "{html}");
        assert!(html.contains("决定已签名作出") && html.contains("准予许可"), "{html}");

        // A filing: the phone "abc" is refused on the form (never silently sent to a person) …
        let (ct, body) = multipart(&a.csrf, &[("form.contact_person", "赵敏"), ("form.contact_phone", "abc")], &[]);
        let r = a
            .client
            .post(server.url("/services/new/contact_change_filing"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("联系电话应为 11 位手机号或带区号的固定电话") && html.contains("value=\"赵敏\""),
            "{html}"
        );
        // … and, right, it is filed at once and reads 已备案.
        let (ct, body) =
            multipart(&a.csrf, &[("form.contact_person", "赵敏"), ("form.contact_phone", "13812345678")], &[]);
        let r = a
            .client
            .post(server.url("/services/new/contact_change_filing"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let html = r.text().await.unwrap();
        assert!(html.contains("已备案") && html.contains("备案结果") && !html.contains("准予许可"), "{html}");

        // Withdrawal from the progress page.
        let (ct, body) = multipart(&a.csrf, &texts, &ok);
        let r = a
            .client
            .post(server.url("/services/new/drug_retail_issue"))
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let second = r.url().path().to_string();
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"withdraw-form\""), "{html}");
        let (st, _, html) = post_page(&a, &server, &format!("{second}/withdraw"), &[("expected_version", "1")]).await;
        assert_eq!(st, 200);
        assert!(
            html.contains("申请已撤回") && html.contains("已撤回") && !html.contains("id=\"withdraw-form\""),
            "{html}"
        );
        server.stop().await;
    })
    .await;
}
