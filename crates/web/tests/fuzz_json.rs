//! A bounded JSON fuzz of the API (issue "Keep the attack suite"), on SQLite and PostgreSQL:
//! every endpoint of the OpenAPI document that takes a JSON body gets [`BODIES`] malformed and
//! random bodies — invalid JSON, the wrong type for each property of its schema, NUL
//! characters, 1 MB strings, 10,000 levels of nesting, numbers beyond any integer, negative
//! ids, `{}`, arrays for objects — each sent as several users whose roles reach the route (a
//! system administrator, a bureau leader, a reviewer, a company master). No answer may be a 5xx, and every 4xx is
//! `application/problem+json`. The bodies come from a seeded xorshift, so a failure repeats.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Instant;

use common::demo::{self, Demo};
use common::{login, Server, Session};
use reqwest::Method;
use serde_json::{json, Map, Value};
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

/// Bodies per endpoint: the fixed attacks first, then random mutations of the schema's shape.
const BODIES: usize = 30;

/// The users every body is sent as.
const USERS: &[&str] = &["admin", "zj.leader", "zj.reviewer", "kc.master"];

/// Marsaglia's xorshift64: small, seeded, the same sequence on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The concrete path the fuzz sends for a documented route template; a new parameterised
/// route needs a line here (the test says which).
fn concrete(template: &str, world: &Demo) -> String {
    let fixed = [
        ("/api/v1/users/{id}/roles", "/api/v1/users/{user.kc.target}/roles"),
        ("/api/v1/users/{id}/status", "/api/v1/users/{user.kc.target}/status"),
        ("/api/v1/users/{id}/password", "/api/v1/users/{user.kc.target}/password"),
        ("/api/v1/roles/{code}/mfa", "/api/v1/roles/lab_analyst/mfa"),
        ("/api/v1/audit/alert-rules/{code}", "/api/v1/audit/alert-rules/bulk_export"),
        ("/api/v1/records/{entity}/{id}/signatures", "/api/v1/records/product/{product.kc}/signatures"),
        ("/api/v1/products/{id}", "/api/v1/products/{product.kc}"),
        ("/api/v1/companies/{id}/profile", "/api/v1/companies/{org.kc}/profile"),
        ("/api/v1/licenses/{id}/change", "/api/v1/licenses/{license.kc}/change"),
        ("/api/v1/licenses/{id}/renew", "/api/v1/licenses/{license.kc}/renew"),
        ("/api/v1/licenses/{id}/status", "/api/v1/licenses/{license.kc}/status"),
        ("/api/v1/services/types/{code}", "/api/v1/services/types/drug_retail_issue"),
        ("/api/v1/services/calendar/{day}", "/api/v1/services/calendar/2030-01-03"),
        ("/api/v1/applications/{id}/resubmit", "/api/v1/applications/{application.kc}/resubmit"),
        ("/api/v1/applications/{id}/withdraw", "/api/v1/applications/{application.kc}/withdraw"),
        ("/api/v1/applications/{id}/act", "/api/v1/applications/{application.kc}/act"),
        ("/api/v1/applications/{id}/decide", "/api/v1/applications/{application.kc}/decide"),
        ("/api/v1/trace/anomalies/{id}/close", "/api/v1/trace/anomalies/999999/close"),
        ("/api/v1/trace/anomalies/{id}/answers", "/api/v1/trace/anomalies/999999/answers"),
        ("/api/v1/role-requests/{id}/decision", "/api/v1/role-requests/{role_request.ht}/decision"),
        ("/api/v1/inventory/lots/{id}/return", "/api/v1/inventory/lots/{lot.kc}/return"),
        ("/api/v1/inventory/lots/{id}/count", "/api/v1/inventory/lots/{lot.kc}/count"),
        ("/api/v1/inventory/lots/{id}/dispose", "/api/v1/inventory/lots/{lot.kc}/dispose"),
        ("/api/v1/inventory/lots/{id}/transfer", "/api/v1/inventory/lots/{lot.kc}/transfer"),
        ("/api/v1/inventory/adjustments/{id}/decision", "/api/v1/inventory/adjustments/{adjustment.kc}/decision"),
        ("/api/v1/quality/deviations/{id}/investigation", "/api/v1/quality/deviations/{deviation.kc}/investigation"),
        ("/api/v1/quality/deviations/{id}/extension", "/api/v1/quality/deviations/{deviation.kc}/extension"),
        ("/api/v1/quality/deviations/{id}/approval", "/api/v1/quality/deviations/{deviation.kc}/approval"),
        ("/api/v1/quality/capas/{id}/action-done", "/api/v1/quality/capas/{capa.kc}/action-done"),
        ("/api/v1/quality/capas/{id}/actions", "/api/v1/quality/capas/{capa.kc}/actions"),
        ("/api/v1/quality/capas/{id}/closure", "/api/v1/quality/capas/{capa.kc}/closure"),
        ("/api/v1/quality/capas/{id}/effectiveness", "/api/v1/quality/capas/{capa.kc}/effectiveness"),
        ("/api/v1/quality/documents/{id}/revisions", "/api/v1/quality/documents/{doc.kc}/revisions"),
        ("/api/v1/quality/documents/{id}/approval", "/api/v1/quality/documents/{doc.kc}/approval"),
        ("/api/v1/quality/documents/{id}/trainings", "/api/v1/quality/documents/{doc.kc}/trainings"),
        ("/api/v1/quality/documents/{id}/obsolete", "/api/v1/quality/documents/{doc.kc}/obsolete"),
        ("/api/v1/quality/documents/{id}/review", "/api/v1/quality/documents/{doc.kc}/review"),
        ("/api/v1/quality/changes/{id}/assessment", "/api/v1/quality/changes/{change.kc}/assessment"),
        ("/api/v1/quality/changes/{id}/decision", "/api/v1/quality/changes/{change.kc}/decision"),
        ("/api/v1/quality/changes/{id}/task-done", "/api/v1/quality/changes/{change.kc}/task-done"),
        ("/api/v1/quality/changes/{id}/batch-review", "/api/v1/quality/changes/{change.kc}/batch-review"),
        ("/api/v1/quality/changes/{id}/document-revision", "/api/v1/quality/changes/{change.kc}/document-revision"),
        ("/api/v1/quality/changes/{id}/closure", "/api/v1/quality/changes/{change.kc}/closure"),
        ("/api/v1/lab/instruments/{id}/calibrations", "/api/v1/lab/instruments/{instrument.kc}/calibrations"),
        ("/api/v1/lab/instruments/{id}/uses", "/api/v1/lab/instruments/{instrument.kc}/uses"),
        ("/api/v1/lab/templates/{id}", "/api/v1/lab/templates/{template.kc}"),
        ("/api/v1/lab/templates/{id}/versions", "/api/v1/lab/templates/{template.kc}/versions"),
        ("/api/v1/lab/templates/{id}/approval", "/api/v1/lab/templates/{template.kc}/approval"),
        ("/api/v1/lab/records/{id}/entries", "/api/v1/lab/records/{record.kc}/entries"),
        ("/api/v1/lab/records/{id}/submission", "/api/v1/lab/records/{record.kc}/submission"),
        ("/api/v1/lab/records/{id}/review", "/api/v1/lab/records/{record.kc}/review"),
        ("/api/v1/lab/records/{id}/send-back", "/api/v1/lab/records/{record.kc}/send-back"),
        ("/api/v1/lab/records/{id}/approval", "/api/v1/lab/records/{record.kc}/approval"),
        ("/api/v1/lab/rooms/{id}/readings", "/api/v1/lab/rooms/{room.kc}/readings"),
        ("/api/v1/lab/projects/{id}/decision", "/api/v1/lab/projects/{project.kc}/decision"),
        ("/api/v1/lab/projects/{id}/tasks", "/api/v1/lab/projects/{project.kc}/tasks"),
        ("/api/v1/lab/projects/{id}/progress", "/api/v1/lab/projects/{project.kc}/progress"),
        ("/api/v1/lab/projects/{id}/closure", "/api/v1/lab/projects/{project.kc}/closure"),
        ("/api/v1/supervision/cases/{id}/assignment", "/api/v1/supervision/cases/{case.zj}/assignment"),
        ("/api/v1/supervision/cases/{id}/disposal", "/api/v1/supervision/cases/{case.zj}/disposal"),
        ("/api/v1/supervision/cases/{id}/verification", "/api/v1/supervision/cases/{case.zj}/verification"),
        ("/api/v1/supervision/cases/{id}/closure", "/api/v1/supervision/cases/{case.zj}/closure"),
        ("/api/v1/supervision/plans/{id}/inspections", "/api/v1/supervision/plans/{plan.zj}/inspections"),
        ("/api/v1/supervision/plans/{id}/publication", "/api/v1/supervision/plans/{plan.zj}/publication"),
        ("/api/v1/supervision/inspections/{id}/schedule", "/api/v1/supervision/inspections/{inspection.zj}/schedule"),
        ("/api/v1/supervision/inspections/{id}/start", "/api/v1/supervision/inspections/{inspection.zj}/start"),
        ("/api/v1/supervision/inspections/{id}/progress", "/api/v1/supervision/inspections/{inspection.zj}/progress"),
        ("/api/v1/supervision/inspections/{id}/findings", "/api/v1/supervision/inspections/{inspection.zj}/findings"),
        (
            "/api/v1/supervision/inspections/{id}/signatures/inspector",
            "/api/v1/supervision/inspections/{inspection.zj}/signatures/inspector",
        ),
        (
            "/api/v1/supervision/inspections/{id}/signatures/company",
            "/api/v1/supervision/inspections/{inspection.zj}/signatures/company",
        ),
        ("/api/v1/supervision/findings/{id}/evidence", "/api/v1/supervision/findings/{finding.zj}/evidence"),
        ("/api/v1/supervision/findings/{id}/capa", "/api/v1/supervision/findings/{finding.zj}/capa"),
        (
            "/api/v1/supervision/findings/{id}/capa-verification",
            "/api/v1/supervision/findings/{finding.zj}/capa-verification",
        ),
        ("/api/v1/supervision/samples/{id}/assignment", "/api/v1/supervision/samples/{sample.zj}/assignment"),
        ("/api/v1/supervision/samples/{id}/taking", "/api/v1/supervision/samples/{sample.zj}/taking"),
        ("/api/v1/supervision/samples/{id}/handover", "/api/v1/supervision/samples/{sample.zj}/handover"),
        ("/api/v1/supervision/samples/{id}/receipt", "/api/v1/supervision/samples/{sample.zj}/receipt"),
        ("/api/v1/supervision/samples/{id}/results", "/api/v1/supervision/samples/{sample.zj}/results"),
        ("/api/v1/supervision/samples/{id}/report", "/api/v1/supervision/samples/{sample.zj}/report"),
        ("/api/v1/supervision/complaints/{id}/triage", "/api/v1/supervision/complaints/{complaint.zj}/triage"),
        ("/api/v1/supervision/complaints/{id}/reply", "/api/v1/supervision/complaints/{complaint.zj}/reply"),
        (
            "/api/v1/supervision/complaints/{id}/enforcement",
            "/api/v1/supervision/complaints/{complaint.zj}/enforcement",
        ),
        ("/api/v1/supervision/cases/{id}/enforcement", "/api/v1/supervision/cases/{case.zj}/enforcement"),
        ("/api/v1/supervision/enforcements/{id}/filing", "/api/v1/supervision/enforcements/{enforcement.zj}/filing"),
        ("/api/v1/supervision/enforcements/{id}/ending", "/api/v1/supervision/enforcements/{enforcement.zj}/ending"),
        (
            "/api/v1/supervision/enforcements/{id}/evidence",
            "/api/v1/supervision/enforcements/{enforcement.zj}/evidence",
        ),
        ("/api/v1/supervision/enforcements/{id}/report", "/api/v1/supervision/enforcements/{enforcement.zj}/report"),
        ("/api/v1/supervision/enforcements/{id}/review", "/api/v1/supervision/enforcements/{enforcement.zj}/review"),
        ("/api/v1/supervision/enforcements/{id}/notice", "/api/v1/supervision/enforcements/{enforcement.zj}/notice"),
        (
            "/api/v1/supervision/enforcements/{id}/statement",
            "/api/v1/supervision/enforcements/{enforcement.zj}/statement",
        ),
        ("/api/v1/supervision/enforcements/{id}/hearing", "/api/v1/supervision/enforcements/{enforcement.zj}/hearing"),
        (
            "/api/v1/supervision/enforcements/{id}/hearing-report",
            "/api/v1/supervision/enforcements/{enforcement.zj}/hearing-report",
        ),
        ("/api/v1/supervision/enforcements/{id}/pauses", "/api/v1/supervision/enforcements/{enforcement.zj}/pauses"),
        (
            "/api/v1/supervision/enforcements/{id}/resumption",
            "/api/v1/supervision/enforcements/{enforcement.zj}/resumption",
        ),
        (
            "/api/v1/supervision/enforcements/{id}/extension",
            "/api/v1/supervision/enforcements/{enforcement.zj}/extension",
        ),
        (
            "/api/v1/supervision/enforcements/{id}/decision",
            "/api/v1/supervision/enforcements/{enforcement.zj}/decision",
        ),
        ("/api/v1/supervision/enforcements/{id}/service", "/api/v1/supervision/enforcements/{enforcement.zj}/service"),
        (
            "/api/v1/supervision/enforcements/{id}/execution",
            "/api/v1/supervision/enforcements/{enforcement.zj}/execution",
        ),
        ("/api/v1/supervision/enforcements/{id}/closure", "/api/v1/supervision/enforcements/{enforcement.zj}/closure"),
        ("/api/v1/signals/adr-signals/{id}/decision", "/api/v1/signals/adr-signals/{signal.zj}/decision"),
        ("/api/v1/signals/adr-signals/{id}/case", "/api/v1/signals/adr-signals/{signal.zj}/case"),
        ("/api/v1/signals/blackbox/lines/{id}/parameters", "/api/v1/signals/blackbox/lines/{bbline.kc}/parameters"),
        (
            "/api/v1/signals/blackbox/warnings/{id}/decision",
            "/api/v1/signals/blackbox/warnings/{bbwarning.kc}/decision",
        ),
        ("/api/v1/signals/blackbox/warnings/{id}/case", "/api/v1/signals/blackbox/warnings/{bbwarning.kc}/case"),
        ("/api/v1/submission/applications/{id}/sequences", "/api/v1/submission/applications/{ectd.kc}/sequences"),
    ];
    if !template.contains('{') {
        return template.to_string();
    }
    let (_, path) = fixed
        .iter()
        .find(|(t, _)| *t == template)
        .unwrap_or_else(|| panic!("{template} takes a JSON body: give it a concrete path in fuzz_json.rs"));
    world.fill(path)
}

/// The properties of a request body schema (following a `$ref`), each with its JSON type.
fn properties(doc: &Value, schema: &Value) -> Vec<(String, String)> {
    let schema = match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    let Some(props) = schema["properties"].as_object() else { return Vec::new() };
    props
        .iter()
        .map(|(name, s)| {
            let ty = match &s["type"] {
                Value::String(t) => t.clone(),
                Value::Array(ts) => {
                    ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("string").into()
                }
                _ if s.get("$ref").is_some() || s.get("allOf").is_some() => "object".into(),
                _ => "string".into(),
            };
            (name.clone(), ty)
        })
        .collect()
}

/// A plausible value of a JSON type.
fn plausible(ty: &str) -> Value {
    match ty {
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" => json!([]),
        "object" => json!({}),
        _ => json!("x"),
    }
}

/// A value of any type but `ty`.
fn wrong(ty: &str, rng: &mut Rng) -> Value {
    let options =
        [json!("文本"), json!(7), json!(-1), json!(2.5), json!(true), json!(null), json!([1, "a"]), json!({"k": 1})];
    loop {
        let v = options[rng.below(options.len())].clone();
        let same = matches!(
            (ty, &v),
            ("string", Value::String(_))
                | ("integer", Value::Number(_))
                | ("number", Value::Number(_))
                | ("boolean", Value::Bool(_))
                | ("array", Value::Array(_))
                | ("object", Value::Object(_))
        );
        if !same {
            return v;
        }
    }
}

/// A strange but well-typed value: NUL, control and odd Unicode characters, long strings,
/// extreme and negative numbers.
fn strange(ty: &str, rng: &mut Rng) -> Value {
    match ty {
        "integer" | "number" => {
            let options = [
                json!(-1),
                json!(0),
                json!(i64::MIN),
                json!(i64::MAX),
                json!(u64::MAX),
                json!(1e308),
                json!(-1e308),
                json!(0.5),
            ];
            options[rng.below(options.len())].clone()
        }
        "boolean" => json!(rng.below(2) == 0),
        "array" => json!(["\u{0}", -1, {"a": [null]}, "x".repeat(10_000)]),
        "object" => json!({"\u{0}": "\u{0}", "": -1, "k": "x".repeat(10_000)}),
        _ => {
            let options = [
                json!("a\u{0}b"),
                json!(""),
                json!("   "),
                json!("\u{202e}\u{feff}\u{fffd}😀\u{10ffff}"),
                json!("x".repeat(100_000)),
                json!("' OR 1=1 --"),
                json!("9999-99-99"),
                json!("-1"),
                json!("\r\n\t\u{1b}[31m"),
            ];
            options[rng.below(options.len())].clone()
        }
    }
}

/// The bodies for one endpoint: raw bytes, as some are not JSON at all.
fn bodies(props: &[(String, String)], rng: &mut Rng) -> Vec<Vec<u8>> {
    let skeleton: Map<String, Value> = props.iter().map(|(n, t)| (n.clone(), plausible(t))).collect();
    let with = |f: &mut dyn FnMut(&str, &str) -> Option<Value>| {
        let mut m = skeleton.clone();
        for (n, t) in props {
            if let Some(v) = f(n, t) {
                m.insert(n.clone(), v);
            }
        }
        serde_json::to_vec(&Value::Object(m)).unwrap()
    };
    let mut out: Vec<Vec<u8>> = vec![
        b"{\"a\": ".to_vec(),
        b"{'single': 'quotes'}".to_vec(),
        b"{\"s\": \"\xff\xfe invalid UTF-8\"}".to_vec(),
        b"{\"s\": \"\\ud800 lone surrogate\"}".to_vec(),
        b"{}".to_vec(),
        b"[]".to_vec(),
        b"null".to_vec(),
        b"\"a string\"".to_vec(),
        b"123456789012345678901234567890".to_vec(),
        [b"[".repeat(10_000), b"]".repeat(10_000)].concat(),
        [b"{\"a\":".repeat(10_000), b"1".to_vec(), b"}".repeat(10_000)].concat(),
        serde_json::to_vec(&json!([skeleton.clone()])).unwrap(),
        serde_json::to_vec(&Value::Object(skeleton.clone())).unwrap(),
        with(&mut |_, t| (t == "string").then(|| json!("a\u{0}b"))),
        {
            // One 1 MB string (the first string property): under the body limit, so it reaches
            // validation and, where no length rule stops it, the database.
            let mut first = true;
            with(&mut |_, t| (t == "string" && std::mem::take(&mut first)).then(|| json!("长".repeat(350_000))))
        },
        with(&mut |_, t| matches!(t, "integer" | "number").then(|| json!(-1))),
        with(&mut |_, t| matches!(t, "integer" | "number").then(|| json!(i64::MIN))),
        with(&mut |_, t| matches!(t, "integer" | "number").then(|| json!(1e308))),
        with(&mut |_, _| Some(json!(null))),
    ];
    // The wrong type for each property in turn, then random mutations.
    for (name, ty) in props {
        if out.len() >= BODIES {
            break;
        }
        let v = wrong(ty, rng);
        out.push(with(&mut |n, _| (n == name.as_str()).then(|| v.clone())));
    }
    while out.len() < BODIES {
        let mut m = skeleton.clone();
        for (n, t) in props {
            match rng.below(4) {
                0 => {
                    m.remove(n);
                }
                1 => {
                    m.insert(n.clone(), wrong(t, rng));
                }
                2 => {
                    m.insert(n.clone(), strange(t, rng));
                }
                _ => {}
            }
        }
        if rng.below(3) == 0 {
            m.insert("unexpected".into(), strange("string", rng));
        }
        out.push(serde_json::to_vec(&Value::Object(m)).unwrap());
    }
    out
}

/// Routes whose bodies carry the caller's password or a login: fuzzed last, as failed password
/// checks may lock the caller out.
fn carries_password(path: &str) -> bool {
    ["/auth/", "/me/password", "/signatures", "/decide"].iter().any(|p| path.contains(p))
}

async fn send(server: &Server, s: &Session, method: &Method, path: &str, body: &[u8]) -> Result<(), String> {
    let r = s
        .client
        .request(method.clone(), server.url(path))
        .header("X-CSRF-Token", &s.csrf)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .map_err(|e| format!("transport error: {e}"))?;
    let status = r.status();
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if status.is_server_error() {
        let text = r.text().await.unwrap_or_default();
        return Err(format!("{status}: {}", text.chars().take(300).collect::<String>()));
    }
    if status.is_client_error() && !content_type.starts_with("application/problem+json") {
        return Err(format!("{status} as {content_type:?}"));
    }
    Ok(())
}

#[tokio::test]
async fn malformed_and_random_json_bodies_never_give_5xx() {
    each_backend(|store| async move {
        let started = Instant::now();
        let mut world = demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        world.records(&server).await;
        let mut sessions = Vec::new();
        for u in USERS {
            sessions.push(login(&server, u).await);
        }
        let doc = serde_json::to_value(<yaolian_web::openapi::ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
        let mut endpoints = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(content) = op["requestBody"]["content"].as_object() else { continue };
                let Some((_, media)) = content.iter().find(|(ct, _)| ct.ends_with("json")) else { continue };
                endpoints.push((
                    method.to_uppercase().parse::<Method>().unwrap(),
                    path.clone(),
                    properties(&doc, &media["schema"]),
                ));
            }
        }
        endpoints.sort_by_key(|(_, path, _)| carries_password(path));
        assert!(endpoints.len() > 30, "only {} JSON endpoints found", endpoints.len());
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut failures = Vec::new();
        let mut sent = 0;
        for (method, template, props) in &endpoints {
            let path = concrete(template, &world);
            for (i, body) in bodies(props, &mut rng).iter().enumerate() {
                for (user, session) in USERS.iter().zip(&sessions) {
                    sent += 1;
                    if let Err(e) = send(&server, session, method, &path, body).await {
                        let shown = String::from_utf8_lossy(&body[..body.len().min(160)]).into_owned();
                        failures.push(format!("{method} {template} body #{i} as {user}: {e}\n    body: {shown}"));
                    }
                }
            }
        }
        eprintln!("fuzz: {} endpoints, {sent} requests in {:?}", endpoints.len(), started.elapsed());
        assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
        server.stop().await;
    })
    .await;
}
