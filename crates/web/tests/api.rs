//! API acceptance tests, on SQLite and (with `YAOLIAN_TEST_PG`) PostgreSQL.

#![allow(clippy::unwrap_used)] // helpers outside #[test] functions may unwrap too

mod common;

use common::{login, seed, Server, PW};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

fn is_problem(r: &reqwest::Response) -> bool {
    r.headers().get("content-type").and_then(|v| v.to_str().ok()) == Some("application/problem+json")
}

#[tokio::test]
async fn login_then_me_returns_user_org_and_roles() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store, WebConfig::default()).await;
        let health = reqwest::get(server.url("/healthz")).await.unwrap();
        assert_eq!(health.status(), 200);
        let s = login(&server, "a.master").await;
        let me: Value = s.client.get(server.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["username"], "a.master");
        assert_eq!(me["organization"]["name"], "甲制药有限公司");
        assert_eq!(me["organization"]["kind"], "company");
        let codes: Vec<&str> = me["roles"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
        assert_eq!(codes, vec!["company_master", "quality_head"]);
        assert!(me["permissions"].as_array().unwrap().contains(&json!("user.manage")));
        // Without the cookie: 401 problem.
        let anon = reqwest::get(server.url("/api/v1/me")).await.unwrap();
        assert_eq!(anon.status(), 401);
        assert!(is_problem(&anon));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn six_wrong_passwords_lock_and_audit_shows_each_failure() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store, WebConfig::default()).await;
        let c = reqwest::Client::new();
        let attempt = |pw: &'static str| {
            let c = c.clone();
            let url = server.url("/api/v1/auth/login");
            async move { c.post(url).json(&json!({"username": "a.sub", "password": pw})).send().await.unwrap() }
        };
        let mut codes = Vec::new();
        for _ in 0..6 {
            let r = attempt("Wrong-pass1").await;
            assert!(is_problem(&r));
            let body: Value = r.json().await.unwrap();
            codes.push(body["code"].as_str().unwrap().to_string());
        }
        assert_eq!(codes[..4], ["invalid_credentials"; 4]);
        assert_eq!(codes[5], "account_locked", "the sixth attempt");
        let right = attempt(PW).await;
        assert_eq!(right.status(), 423);
        let body: Value = right.json().await.unwrap();
        assert_eq!(body["code"], "account_locked", "the right password right after");
        // The audit administrator sees every failure.
        let auditor = login(&server, "auditor").await;
        let log: Value = auditor
            .client
            .get(server.url("/api/v1/audit?user=a.sub&action=login_failed"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(log.as_array().unwrap().len(), 7, "six wrong passwords and the refused right one");
        let lock: Value =
            auditor.client.get(server.url("/api/v1/audit?action=lockout")).send().await.unwrap().json().await.unwrap();
        assert_eq!(lock.as_array().unwrap().len(), 1);
        // CSV export has a header and the rows.
        let csv =
            auditor.client.get(server.url("/api/v1/audit.csv?user=a.sub")).send().await.unwrap().text().await.unwrap();
        assert!(csv.starts_with("\u{feff}id,time,actor,action"));
        assert!(csv.lines().count() >= 9);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn audit_admin_role_for_the_system_admin_is_refused() {
    each_backend(|store| async move {
        seed(&store).await;
        let admin_id = yaolian_identity::users::id_by_username(&store, "admin").await.unwrap();
        let server = Server::start(store, WebConfig::default()).await;
        let sec = login(&server, "secadmin").await;
        let r = sec
            .client
            .put(server.url(&format!("/api/v1/users/{admin_id}/roles")))
            .header("x-csrf-token", &sec.csrf)
            .json(&json!({"roles": ["sys_admin", "audit_admin"], "reason": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "separation_of_duties");
        assert!(body["detail"].as_str().unwrap().contains("三员分立"), "{body}");
        // Without the CSRF header the same call is refused before it reaches the domain.
        let r = sec
            .client
            .put(server.url(&format!("/api/v1/users/{admin_id}/roles")))
            .json(&json!({"roles": ["sys_admin"], "reason": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "csrf_failed");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn sub_account_cannot_list_or_read_other_companies_users() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let server = Server::start(store, WebConfig::default()).await;
        let sub = login(&server, "a.sub").await;
        let r = sub.client.get(server.url("/api/v1/users")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = sub.client.get(server.url(&format!("/api/v1/users/{}", w.b_user))).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = sub.client.get(server.url(&format!("/api/v1/users?org_id={}", w.co_b))).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // A master account sees only its own company.
        let master = login(&server, "a.master").await;
        let page: Value = master.client.get(server.url("/api/v1/users?limit=100")).send().await.unwrap().json().await.unwrap();
        let items = page["items"].as_array().unwrap();
        assert_eq!(page["total"], 2);
        assert!(items.iter().all(|u| u["org_id"] == w.co_a));
        let r = master.client.get(server.url(&format!("/api/v1/users/{}", w.b_user))).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // ... and creates sub-accounts only there.
        let r = master
            .client
            .post(server.url("/api/v1/users"))
            .header("x-csrf-token", &master.csrf)
            .json(&json!({"org_id": w.co_b, "username": "intruder", "display_name": "x", "password": PW}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = master
            .client
            .post(server.url("/api/v1/users"))
            .header("x-csrf-token", &master.csrf)
            .json(&json!({"org_id": w.co_a, "username": "a.new", "display_name": "新人", "password": PW, "roles": ["quality_head"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_and_wrong_input_gets_problem_json_never_500() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let config = WebConfig { max_body_bytes: 16 * 1024, ..WebConfig::default() };
        let server = Server::start(store, config).await;
        let c = reqwest::Client::new();
        let post = |path: &str, ct: &str, body: Vec<u8>| {
            c.post(server.url(path)).header("content-type", ct.to_string()).body(body).send()
        };
        // Malformed JSON → 400 malformed_json.
        let r = post("/api/v1/auth/login", "application/json", b"{\"username\": ".to_vec()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "malformed_json");
        // Missing field → 422 naming it.
        let r = post("/api/v1/auth/login", "application/json", br#"{"username": "a"}"#.to_vec()).await.unwrap();
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "password");
        assert_eq!(body["errors"][0]["rule"], "required");
        // Wrong type → 422 naming it.
        let r = post("/api/v1/auth/login", "application/json", br#"{"username": 5, "password": "x"}"#.to_vec())
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["errors"][0]["field"], "username");
        assert_eq!(body["errors"][0]["rule"], "type");
        // Wrong content type → 415.
        let r = post("/api/v1/auth/login", "text/plain", b"hello".to_vec()).await.unwrap();
        assert_eq!(r.status(), 415);
        assert!(is_problem(&r));
        // Oversized body → 413.
        let big = format!(r#"{{"username": "{}", "password": "x"}}"#, "a".repeat(64 * 1024));
        let r = post("/api/v1/auth/login", "application/json", big.into_bytes()).await.unwrap();
        assert_eq!(r.status(), 413);
        assert_eq!(r.json::<Value>().await.unwrap()["code"], "body_too_large");
        // Unknown route and wrong method → problem+json.
        let r = c.get(server.url("/api/v1/nope")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(is_problem(&r));
        let r = c.delete(server.url("/api/v1/auth/login")).send().await.unwrap();
        assert_eq!(r.status(), 405);
        assert!(is_problem(&r));
        // Validation from the domain names field and rule.
        let admin = login(&server, "admin").await;
        let r = admin
            .client
            .post(server.url("/api/v1/users"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"org_id": w.co_a, "username": "ok.name", "display_name": "x", "password": "short"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body: Value = r.json().await.unwrap();
        let rules: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["rule"].as_str().unwrap()).collect();
        assert!(rules.contains(&"min_length:8") && rules.contains(&"min_classes:3"), "{body}");

        // Random bodies at login and user creation: every answer is a 4xx problem (or a 2xx).
        let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
        let fragments = [
            "{",
            "}",
            "[",
            "]",
            "\"username\"",
            "\"password\"",
            "\"org_id\"",
            "\"roles\"",
            ":",
            ",",
            "null",
            "true",
            "-1",
            "1e999",
            "\"\\u0000\"",
            "\"张三\"",
            "99999999999999999999",
            "\"a\"",
            "{}",
            "[]",
            "\"\\ud800\"",
            " ",
        ];
        for i in 0..300 {
            let body: Vec<u8> = if i % 3 == 0 {
                (0..rng.gen_range(0..64)).map(|_| rng.gen::<u8>()).collect()
            } else {
                (0..rng.gen_range(1..24))
                    .map(|_| fragments[rng.gen_range(0..fragments.len())])
                    .collect::<String>()
                    .into_bytes()
            };
            for (path, client, csrf) in
                [("/api/v1/auth/login", &c, ""), ("/api/v1/users", &admin.client, admin.csrf.as_str())]
            {
                let r = client
                    .post(server.url(path))
                    .header("content-type", "application/json")
                    .header("x-csrf-token", csrf)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                assert!(!status.is_server_error(), "{path} answered {status} to {:?}", String::from_utf8_lossy(&body));
                if status.is_client_error() {
                    assert!(is_problem(&r), "{path} {status} without problem+json");
                }
            }
        }
        // The server is still fine.
        assert_eq!(c.get(server.url("/healthz")).send().await.unwrap().status(), 200);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn openapi_document_and_metrics() {
    each_backend(|store| async move {
        seed(&store).await;
        let config = WebConfig {
            metrics_token: Some(yaolian_web::MetricsToken("scrape-Token-2026".into())),
            ..WebConfig::default()
        };
        let server = Server::start(store, config).await;
        let doc: Value = reqwest::get(server.url("/api/openapi.json")).await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for path in ["/api/v1/auth/login", "/api/v1/me", "/api/v1/users", "/api/v1/audit", "/api/v1/portal/todos"] {
            assert!(doc["paths"].get(path).is_some(), "{path} documented");
        }
        let s = login(&server, "a.sub").await;
        s.client.get(server.url("/api/v1/me")).send().await.unwrap();
        // Issue 15 item 18: /metrics was open to anyone; now only to the scraper's token.
        let c = reqwest::Client::new();
        assert_eq!(c.get(server.url("/metrics")).send().await.unwrap().status(), 401);
        let wrong = c.get(server.url("/metrics")).bearer_auth("scrape-Token-2027").send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let metrics = c.get(server.url("/metrics")).bearer_auth("scrape-Token-2026").send().await.unwrap();
        assert_eq!(metrics.status(), 200);
        let metrics = metrics.text().await.unwrap();
        assert!(
            metrics.contains("yaolian_http_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"} 1"),
            "{metrics}"
        );
        assert!(metrics.contains("yaolian_http_request_duration_seconds_bucket"));
        assert!(metrics.contains("yaolian_db_pool_connections{state=\"open\"}"));
        let docs = reqwest::get(server.url("/api/docs")).await.unwrap().text().await.unwrap();
        assert!(docs.contains("/assets/vendor/swagger-ui/swagger-ui-bundle.js"));
        let js = reqwest::get(server.url("/assets/vendor/swagger-ui/swagger-ui-bundle.js")).await.unwrap();
        assert_eq!(js.status(), 200);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn api_token_with_scopes_and_portal_todos() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let server = Server::start(store, WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let r = admin
            .client
            .post(server.url("/api/v1/tokens"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"name": "trace gateway", "scopes": ["portal.notify", "org.read"], "valid_days": 30}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let secret = r.json::<Value>().await.unwrap()["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("ylt_"));
        let c = reqwest::Client::new();
        // A token raises a to-do for a company; it cannot read users (not in its scopes).
        let r = c
            .post(server.url("/api/v1/portal/todos"))
            .bearer_auth(&secret)
            .json(&json!({"org_id": w.co_a, "module": "trace", "title": "召回通知：批号 B2026001"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let r = c.get(server.url("/api/v1/users")).bearer_auth(&secret).send().await.unwrap();
        assert_eq!(r.status(), 403);
        // The company sees it on its portal.
        let sub = login(&server, "a.sub").await;
        let todos: Value =
            sub.client.get(server.url("/api/v1/portal/todos")).send().await.unwrap().json().await.unwrap();
        assert!(todos.as_array().unwrap().iter().any(|t| t["title"] == "召回通知：批号 B2026001"));
        // A scope the user does not hold cannot be requested.
        let r = admin
            .client
            .post(server.url("/api/v1/tokens"))
            .header("x-csrf-token", &admin.csrf)
            .json(&json!({"name": "x", "scopes": ["audit.read"], "valid_days": 30}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = c.get(server.url("/api/v1/me")).bearer_auth("ylt_not-a-token").send().await.unwrap();
        assert_eq!(r.status(), 401);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn ledger_endpoints_give_checkpoints_proofs_and_entries() {
    each_backend(|store| async move {
        seed(&store).await;
        let (key_id, key) = yaolian_store::ledger::site_key(&store, &[5u8; 16]).await.unwrap();
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let c = reqwest::Client::new();
        let r = c.get(server.url("/api/v1/ledger/checkpoint")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(is_problem(&r));
        let cp = yaolian_store::ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        // Anyone can read the checkpoint and the key, and check the signature.
        let got: Value = c.get(server.url("/api/v1/ledger/checkpoint")).send().await.unwrap().json().await.unwrap();
        assert_eq!(got["head"]["tree_size"], cp.head.tree_size);
        let pk: Value = c.get(server.url("/api/v1/ledger/public-key")).send().await.unwrap().json().await.unwrap();
        assert_eq!(pk["key_id"], key_id.as_str());
        let sig = hex::decode(got["signature"].as_str().unwrap()).unwrap();
        assert_eq!(yaolian_ledger::sign::verify(pk["pem"].as_str().unwrap(), &cp.head.message(), &sig), Ok(true));
        // An inclusion proof from the API leads to the signed root.
        let size = cp.head.tree_size;
        let proof: Value = c
            .get(server.url(&format!("/api/v1/ledger/proof/inclusion?index=3&tree_size={size}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let path: Vec<yaolian_ledger::Hash> = serde_json::from_value(proof["proof"].clone()).unwrap();
        let auditor = login(&server, "auditor").await;
        let entry: yaolian_ledger::Entry =
            auditor.client.get(server.url("/api/v1/ledger/entries/3")).send().await.unwrap().json().await.unwrap();
        let alg = yaolian_ledger::HashAlg::Sm3;
        assert!(yaolian_ledger::merkle::verify_inclusion(
            alg,
            3,
            size,
            &entry.leaf_hash(alg),
            &path,
            &cp.head.root_hash
        ));
        // Entries are for auditors; bad sizes are named.
        let sub = login(&server, "a.sub").await;
        assert_eq!(sub.client.get(server.url("/api/v1/ledger/entries/3")).send().await.unwrap().status(), 403);
        let r = c
            .get(server.url(&format!("/api/v1/ledger/proof/inclusion?index=3&tree_size={}", size + 5)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["errors"][0]["field"], "tree_size");
        let r = c.get(server.url("/api/v1/ledger/proof/consistency?first=0&second=3")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = c.get(server.url("/api/v1/ledger/proof/inclusion?index=x&tree_size=3")).send().await.unwrap();
        assert_eq!(r.status(), 422);
        // On-demand checkpoints need the site key in the server.
        let admin = login(&server, "admin").await;
        let r = admin
            .client
            .post(server.url("/api/v1/ledger/checkpoints"))
            .header("x-csrf-token", &admin.csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn records_are_signed_over_the_api_and_shown_on_the_history_page() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let admin = login(&server, "admin").await;
        let url = server.url(&format!("/api/v1/records/user/{}/signatures", w.b_user));
        let post = reqwest::Method::POST;

        // Bad input names the field; a wrong password is a 401 and is audited.
        let (status, body) =
            admin.send_json(post.clone(), url.clone(), &json!({"version": 1, "meaning": "x", "password": PW})).await;
        assert_eq!(status, 422);
        assert_eq!(body["errors"][0]["field"], "meaning");
        let (status, body) = admin.send_json(post.clone(), url.clone(), &json!({"version": 1})).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = admin
            .send_json(post.clone(), url.clone(), &json!({"version": 1, "meaning": "approve", "password": "nope"}))
            .await;
        assert_eq!((status.as_u16(), body["code"].as_str()), (401, Some("invalid_credentials")));

        let (status, sig) = admin
            .send_json(post.clone(), url.clone(), &json!({"version": 1, "meaning": "review", "password": PW}))
            .await;
        assert_eq!(status, 201, "{sig}");
        assert_eq!(sig["meaning_zh"], "审核");
        assert_eq!(sig["name"], "测试admin");
        assert!(sig["at_text"].as_str().unwrap().ends_with("+08:00"));

        let list: Value = admin.client.get(url.clone()).send().await.unwrap().json().await.unwrap();
        assert_eq!(list[0]["valid"], true);
        let record: Value = admin
            .client
            .get(server.url(&format!("/api/v1/records/user/{}", w.b_user)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(record["versions"].as_array().unwrap().len(), 1);
        assert_eq!(record["current_unsigned_after_signing"], false);

        // Someone outside the record's reach gets a 403, not its history.
        let outsider = login(&server, "a.master").await;
        let r = outsider.client.get(server.url(&format!("/api/v1/records/user/{}", w.b_user))).send().await.unwrap();
        assert_eq!(r.status(), 403);

        // The auditor sees the sign_failed event.
        let auditor = login(&server, "auditor").await;
        let events: Value = auditor
            .client
            .get(server.url("/api/v1/audit?action=sign_failed"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(events.as_array().map(|a| a.len()), Some(1), "{events}");
        let summary: Value =
            auditor.client.get(server.url("/api/v1/audit/summary")).send().await.unwrap().json().await.unwrap();
        assert!(summary["by_action"].as_array().unwrap().iter().any(|c| c["key"] == "sign"), "{summary}");

        // The page shows the manifestation and the sign form; a wrong password keeps the meaning.
        let page = admin.client.get(server.url(&format!("/records/user/{}", w.b_user))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("测试admin") && html.contains("审核") && html.contains("+08:00"), "{html}");
        let form = [("_csrf", admin.csrf.as_str()), ("version", "1"), ("meaning", "confirm"), ("password", "bad")];
        let page =
            admin.client.post(server.url(&format!("/records/user/{}", w.b_user))).form(&form).send().await.unwrap();
        let html = page.text().await.unwrap();
        assert!(html.contains(r#"value="confirm" selected"#), "meaning kept");
        assert!(html.contains("aria-invalid"), "password marked");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn products_over_the_api_name_bad_fields_and_guard_versions() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let a = login(&server, "a.master").await;
        let url = server.url("/api/v1/products");
        let post = reqwest::Method::POST;
        let body = json!({
            "approval_number": "国药准字H20230001", "generic_name": "盐酸二甲双胍片", "dosage_form": "片剂",
            "strength": "0.5g", "mah_org_id": w.co_a, "gtins": ["09506000134352"]
        });
        let (status, created) = a.send_json(post.clone(), url.clone(), &body).await;
        assert_eq!(status, 201, "{created}");
        let mut bad = body.clone();
        bad["gtins"] = json!(["09506000134357"]);
        bad["approval_number"] = json!("国药准字H20230009");
        let (status, problem) = a.send_json(post.clone(), url.clone(), &bad).await;
        assert_eq!(status, 422);
        assert_eq!(problem["errors"][0]["field"], "gtins[0]");
        assert_eq!(problem["errors"][0]["message"], "GTIN check digit: expected 2, found 7");
        // Another company's holder: 403, and nothing written.
        let mut other = body.clone();
        other["mah_org_id"] = json!(w.co_b);
        other["approval_number"] = json!("国药准字H20230010");
        let (status, _) = a.send_json(post.clone(), url.clone(), &other).await;
        assert_eq!(status, 403);
        let page: Value = a.client.get(url.clone()).send().await.unwrap().json().await.unwrap();
        assert_eq!(page["total"], 1);
        // A change on a stale version is a 409; with the right one, version 2.
        let id = created["id"].as_i64().unwrap();
        let put = reqwest::Method::PUT;
        let mut change = body.clone();
        change["pack"] = json!("30片/盒");
        change["reason"] = json!("包装变更");
        change["expected_version"] = json!(5);
        let item = server.url(&format!("/api/v1/products/{id}"));
        let (status, _) = a.send_json(put.clone(), item.clone(), &change).await;
        assert_eq!(status, 409);
        change["expected_version"] = json!(1);
        let (status, changed) = a.send_json(put.clone(), item.clone(), &change).await;
        assert_eq!((status.as_u16(), changed["version"].as_i64()), (200, Some(2)), "{changed}");
        // The record API shows the product's history to those who may read it.
        let record: Value = a
            .client
            .get(server.url(&format!("/api/v1/records/product/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(record["versions"][1]["reason"], "包装变更");
        let b = login(&server, "b.master").await;
        let r = b.client.get(item).send().await.unwrap();
        assert_eq!(r.status(), 403);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn product_lists_upload_as_files_and_download_as_excel() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let a = login(&server, "a.master").await;
        let csv = "批准文号,通用名,剂型,规格,上市许可持有人\n国药准字H20230001,盐酸二甲双胍片,片剂,0.5g,甲制药有限公司\n国药准字H2023,坏文号,片剂,0.5g,甲制药有限公司\n";
        let r = a
            .client
            .post(server.url("/api/v1/products/import"))
            .header("X-CSRF-Token", &a.csrf)
            .header("Content-Type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.unwrap();
        assert_eq!(report["created"].as_array().map(Vec::len), Some(1), "{report}");
        assert_eq!(report["errors"][0]["row"], 3);
        assert_eq!(report["errors"][0]["field"], "approval_number");
        // Uploads larger than the ordinary body limit (256 KiB) are accepted here, up to 10 MiB
        // and 10,000 rows below the header (crates/web/tests/limits.rs has the refusals).
        let big = format!("批准文号,通用名,剂型,规格,上市许可持有人\n{}", "xxxxxxxxxxxxxxxxxxxx,y,z,w,v\n".repeat(10_000));
        assert!(big.len() > 256 * 1024);
        let r = a
            .client
            .post(server.url("/api/v1/products/import"))
            .header("X-CSRF-Token", &a.csrf)
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let report: Value = r.json().await.unwrap();
        assert_eq!(report["errors"].as_array().map(Vec::len), Some(10_000));
        let x = a.client.get(server.url("/api/v1/products.xlsx")).send().await.unwrap();
        assert_eq!(x.status(), 200);
        let bytes = x.bytes().await.unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let rows = yaolian_registry::table::read(&bytes).unwrap();
        assert_eq!(rows[1][0], "国药准字H20230001");
        server.stop().await;
    })
    .await;
}

/// Registering a person (执业人员) checks the caller's permission before the body: one without
/// `registry.manage` over the employer gets 403 for an invalid body as for a valid one, never a
/// 422 that describes the form; one with it gets the 422.
#[tokio::test]
async fn registering_a_person_checks_permission_before_the_body() {
    each_backend(|store| async move {
        let world = common::demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let url = server.url("/api/v1/persons");
        let invalid = json!({"name": "", "qualification": "wizard", "cert_number": "", "employer_org_id": world.id("org.kc"),
            "valid_from": "someday", "valid_until": "never"});
        let callers = [("js.inspector", 403), ("zj.leader", 403), ("ht.master", 403), ("kc.master", 422), ("zj.reviewer", 422)];
        for (user, expected) in callers {
            let s = login(&server, user).await;
            let (st, body) = s.send_json(reqwest::Method::POST, url.clone(), &invalid).await;
            assert_eq!(st, expected, "{user}: {body}");
        }
        server.stop().await;
    })
    .await;
}
