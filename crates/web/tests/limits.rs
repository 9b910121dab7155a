//! Uploads over HTTP are read within limits and refused with problem+json naming the limit
//! (issue 15, item 1), on SQLite and PostgreSQL: the 1.5 KB xlsx that claimed cell XFD1048576
//! (422, `max_rows:10000`, before anything is allocated for it), a product list over the row
//! limit, a body over the upload size (413, `max_bytes:…`), and EPCIS capture documents nested
//! too deep or holding too many events (422, `max_depth:32`, `max_events:10000`). The server
//! answers other requests while and after it refuses them.

#![allow(clippy::unwrap_used)]

mod common;

use common::{login, seed, Server, Session};
use serde_json::{json, Value};
use yaolian_store::testing::each_backend;
use yaolian_web::WebConfig;

async fn import(s: &Session, server: &Server, body: Vec<u8>) -> (u16, Value, String) {
    let r = s
        .client
        .post(server.url("/api/v1/products/import"))
        .header("X-CSRF-Token", &s.csrf)
        .header("Content-Type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, r.json().await.unwrap_or(Value::Null), kind)
}

async fn capture(s: &Session, server: &Server, body: Vec<u8>) -> (u16, Value) {
    let r = s
        .client
        .post(server.url("/epcis/capture"))
        .header("X-CSRF-Token", &s.csrf)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn oversized_and_malicious_uploads_are_refused_naming_the_limit() {
    each_backend(|store| async move {
        seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let a = login(&server, "a.master").await;

        // The tester's xlsx: a header and one cell at XFD1048576. It once grew the server to 15 GB.
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        ws.write_string(0, 0, "批准文号").unwrap();
        ws.write_string(1_048_575, 16_383, "x").unwrap();
        let bomb = book.save_to_buffer().unwrap();
        assert!(bomb.len() < 8 * 1024);
        let (status, body, kind) = import(&a, &server, bomb).await;
        assert_eq!(status, 422, "{body}");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
        assert_eq!(body["errors"][0]["field"], "file", "{body}");
        assert_eq!(body["errors"][0]["rule"], "max_rows:10000", "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("XFD1048576"), "{body}");

        // A CSV list of 10,001 rows below the header.
        let mut csv = String::from("批准文号,通用名,剂型,规格,上市许可持有人\n");
        csv.push_str(&"x,y,z,w,v\n".repeat(10_001));
        let (status, body, _) = import(&a, &server, csv.into_bytes()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["rule"], "max_rows:10000", "{body}");

        // A body over the upload size: 413, naming the limit.
        let max = yaolian_registry::table::MAX_UPLOAD_BYTES;
        let (status, body, kind) = import(&a, &server, vec![b'a'; max + 1]).await;
        assert_eq!(status, 413, "{body}");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
        assert_eq!(body["code"], "body_too_large", "{body}");
        assert_eq!(body["errors"][0]["rule"], format!("max_bytes:{max}"), "{body}");

        // EPCIS capture: a document nested deeper than 32 levels (serde_json alone takes 128).
        let mut deep = json!("leaf");
        for _ in 0..40 {
            deep = json!({ "n": deep });
        }
        let doc = json!({"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "ext:deep": deep}
        ]}});
        let (status, body) = capture(&a, &server, serde_json::to_vec(&doc).unwrap()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["rule"], "max_depth:32", "{body}");
        // More events than the capture limit (announced in GS1-EPCIS-Capture-Limit).
        let event = json!({"type": "ObjectEvent"});
        let doc = json!({"type": "EPCISDocument", "schemaVersion": "2.0",
            "epcisBody": {"eventList": vec![event; 10_001]}});
        let (status, body) = capture(&a, &server, serde_json::to_vec(&doc).unwrap()).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "epcisBody.eventList", "{body}");
        assert_eq!(body["errors"][0]["rule"], "max_events:10000", "{body}");
        // Malformed JSON stays a 400.
        let (status, body) = capture(&a, &server, b"{\"type\": ".to_vec()).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("malformed_json")), "{body}");

        // GS1's EPCIS 2.0 JSON Schema: a document without @context is refused naming it; an
        // event with a quantity given as text is refused naming the member.
        let doc = json!({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-28T10:00:00+08:00",
            "epcisBody": {"eventList": []}});
        let (status, body) = capture(&a, &server, serde_json::to_vec(&doc).unwrap()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!((body["errors"][0]["field"].as_str(), body["errors"][0]["rule"].as_str()),
            (Some("@context"), Some("schema:required")), "{body}");
        let event = json!({"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "200"}]});
        let (st, body) = a.send_json(reqwest::Method::POST, server.url("/epcis/events"), &event).await;
        assert_eq!(st.as_u16(), 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "eventList[0].quantityList[0].quantity", "{body}");

        // The server still answers.
        let r = a.client.get(server.url("/api/v1/products")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        server.stop().await;
    })
    .await;
}
