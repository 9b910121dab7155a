//! EPCIS 2.0 over HTTP, on SQLite and PostgreSQL: a document with all five event types is
//! captured (asynchronously) and queried back; an invalid one is refused with per-event errors
//! and nothing of it stored under rollback; `proceed` keeps the good events; the same event
//! again is a 409; a company may report only at its own sites; verification answers.

#![allow(clippy::unwrap_used)]

mod common;

use common::{demo, login, seed, Server, Session};
use reqwest::Method;
use serde_json::{json, Value};
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_registry::products::{self, NewProduct};
use yaolian_store::testing::each_backend;
use yaolian_store::Store;
use yaolian_trace::sites::{self, Site};
use yaolian_web::WebConfig;

const SITE: &str = "urn:epc:id:sgln:9506000.00001.0";

/// One event of each type along a drug's way (the GS1 EPCIS 2.0 example company prefix).
fn document() -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-28T10:00:00+08:00",
        "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "epcList": ["urn:epc:id:sgtin:9506000.013435.1001", "https://id.gs1.org/01/09506000134352/21/1002"],
             "action": "ADD", "bizStep": "commissioning", "disposition": "active", "readPoint": {"id": SITE},
             "ilmd": {"cbvmda:lotNumber": "B2026001", "cbvmda:itemExpirationDate": "2028-11-30"}},
            {"type": "AggregationEvent", "eventTime": "2026-11-28T08:10:00+08:00", "eventTimeZoneOffset": "+08:00",
             "parentID": "urn:epc:id:sscc:9506000.1000000001", "childEPCs": ["urn:epc:id:sgtin:9506000.013435.1001"],
             "action": "ADD", "bizStep": "packing", "disposition": "in_progress", "readPoint": {"id": SITE}},
            {"type": "TransactionEvent", "eventTime": "2026-11-28T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000001:DA-1"}],
             "epcList": ["urn:epc:id:sscc:9506000.1000000001"], "action": "ADD", "bizStep": "shipping",
             "disposition": "in_transit", "readPoint": {"id": SITE}},
            {"type": "TransformationEvent", "eventTime": "2026-11-28T09:30:00+08:00", "eventTimeZoneOffset": "+08:00",
             "inputEPCList": ["urn:epc:id:sgtin:9506000.013435.1002"],
             "outputEPCList": ["urn:epc:id:sgtin:9506000.013435.2001"], "bizStep": "repackaging", "readPoint": {"id": SITE}},
            {"type": "AssociationEvent", "eventTime": "2026-11-28T09:40:00+08:00", "eventTimeZoneOffset": "+08:00",
             "parentID": "urn:epc:id:sscc:9506000.1000000001", "childEPCs": ["urn:epc:id:giai:9506000.SENSOR1"],
             "action": "ADD", "bizStep": "assembling", "readPoint": {"id": SITE}}
        ]}
    })
}

async fn get(s: &Session, server: &Server, path: &str) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
    let r = s.client.get(server.url(path)).send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    (status, headers, r.json().await.unwrap_or(Value::Null))
}

/// Posts a capture and waits for its job to end; returns the final status document.
async fn capture(s: &Session, server: &Server, doc: &Value, behaviour: Option<&str>) -> Value {
    let mut req = s.client.post(server.url("/epcis/capture")).header("X-CSRF-Token", &s.csrf).json(doc);
    if let Some(b) = behaviour {
        req = req.header("GS1-Capture-Error-Behaviour", b);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 202);
    let location = r.headers()[reqwest::header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with("/epcis/capture/"), "{location}");
    for _ in 0..200 {
        let (st, _, body) = get(s, server, &location).await;
        assert_eq!(st, 200, "{body}");
        if body["running"] == false {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("capture did not finish");
}

/// Registers `new` (a 0.5 g tablet of company A) and A's site, starts a server and logs in A's and
/// B's masters.
async fn start_with_product(store: &Store, new: NewProduct) -> (i64, Server, Session, Session) {
    let mah = new.mah_org_id;
    let new = NewProduct { dosage_form: "片剂".into(), strength: "0.5g".into(), ..new };
    let product = products::create(store, &yaolian_access::run_as_system::principal(), &new, &ClientInfo::default())
        .await
        .unwrap();
    let site = Site {
        id: SITE.into(),
        name: "甲制药 生产基地".into(),
        kind: "manufacturer".into(),
        org_id: Some(mah),
        province: "浙江".into(),
    };
    sites::upsert(store, &[site]).await.unwrap();
    let server = Server::start(store.clone(), WebConfig::default()).await;
    let a = login(&server, "a.master").await;
    let b = login(&server, "b.master").await;
    (product.id, server, a, b)
}

fn events_of(doc: &Value) -> Vec<Value> {
    doc.pointer("/epcisBody/queryResults/resultsBody/eventList").and_then(Value::as_array).cloned().unwrap_or_default()
}

#[tokio::test]
async fn epcis_capture_and_query_over_http() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let new = NewProduct {
            approval_number: "国药准字H20230001".into(),
            generic_name: "盐酸二甲双胍片".into(),
            mah_org_id: w.co_a,
            gtins: vec!["09506000134352".into()],
            ..Default::default()
        };
        let (product_id, server, a, b) = start_with_product(&store, new).await;

        // Not logged in: 401 as problem+json.
        let r = reqwest::Client::new().get(server.url("/epcis/events")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()[reqwest::header::CONTENT_TYPE], "application/problem+json");

        // All five event types captured and queried back.
        let status = capture(&a, &server, &document(), None).await;
        assert_eq!((status["success"].clone(), status["stored"].clone()), (json!(true), json!(5)), "{status}");
        let (st, headers, body) = get(&a, &server, "/epcis/events").await;
        assert_eq!(st, 200);
        assert_eq!(headers["GS1-EPCIS-Version"], "2.0.0");
        let types: Vec<String> = events_of(&body).iter().map(|e| e["type"].as_str().unwrap().to_string()).collect();
        assert_eq!(
            types,
            ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"]
        );
        let first = &events_of(&body)[0];
        assert!(first["eventID"].as_str().unwrap().starts_with("ni:///sha-256;"), "{first}");
        assert!(first["recordTime"].is_string());

        // Filters: bizStep in any form, EPC in another form than captured, parent, time.
        let (_, _, body) = get(&a, &server, "/epcis/events?EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping").await;
        assert_eq!(events_of(&body).len(), 1);
        // EPC pattern URIs: every serial of the GTIN (as epcList or childEPCs), everything of
        // the company prefix in any role, and a pattern that names nothing is refused.
        let (_, _, body) = get(&a, &server, "/epcis/events?MATCH_epc=urn:epc:idpat:sgtin:9506000.013435.*").await;
        let steps: Vec<String> =
            events_of(&body).iter().map(|e| e["bizStep"].as_str().unwrap_or("").to_string()).collect();
        assert_eq!(steps, ["commissioning", "packing"], "{body}");
        let (_, _, body) = get(&a, &server, "/epcis/events?MATCH_anyEPC=urn:epc:idpat:sgtin:9506000.*.*").await;
        assert_eq!(events_of(&body).len(), 3, "commissioning, packing, repackaging: {body}");
        let (st, _, body) = get(&a, &server, "/epcis/events?MATCH_epc=urn:epc:idpat:sgtin:*.*.*").await;
        assert_eq!((st.as_u16(), body["errors"][0]["rule"].clone()), (422, json!("epc_pattern")), "{body}");
        let (_, _, body) =
            get(&a, &server, "/epcis/events?MATCH_epc=https://id.gs1.org/01/09506000134352/21/1001").await;
        let steps: Vec<String> = events_of(&body).iter().map(|e| e["bizStep"].as_str().unwrap().to_string()).collect();
        assert_eq!(steps, ["commissioning", "packing"]);
        let (_, _, body) = get(&a, &server, "/epcis/events?MATCH_parentID=urn:epc:id:sscc:9506000.1000000001").await;
        assert_eq!(events_of(&body).len(), 2, "aggregation and association");
        let (_, _, body) =
            get(&a, &server, "/epcis/events?GE_eventTime=2026-11-28T09:00:00%2B08:00&EQ_action=ADD").await;
        assert_eq!(events_of(&body).len(), 2, "the transaction and the association");
        let (st, _, body) = get(&a, &server, "/epcis/events?EQ_action=MOVE").await;
        assert_eq!(st, 422, "{body}");
        assert_eq!(body["errors"][0]["field"], "EQ_action");
        let (st, _, _) = get(&a, &server, "/epcis/events?EQ_colour=red").await;
        assert_eq!(st, 422);

        // Paging: 2 per page, following Link rel=next to the end.
        let (_, headers, body) = get(&a, &server, "/epcis/events?perPage=2").await;
        assert_eq!(events_of(&body).len(), 2);
        let link = headers[reqwest::header::LINK].to_str().unwrap().to_string();
        let next = link.trim_start_matches('<').split('>').next().unwrap().to_string();
        let (_, _, body) = get(&a, &server, &next).await;
        assert_eq!(events_of(&body).len(), 2);

        // One event by its hash ID, and by EPC.
        let id = first["eventID"].as_str().unwrap();
        let (st, _, one) = get(&a, &server, &format!("/epcis/events/{}", urlencoding::encode(id))).await;
        assert_eq!((st.as_u16(), one["bizStep"].as_str()), (200, Some("commissioning")));
        let (_, _, body) = get(&a, &server, "/epcis/epcs/urn:epc:id:sscc:9506000.1000000001/events").await;
        assert_eq!(events_of(&body).len(), 3, "packed, shipped, associated");

        // Its proof: refused while no signed checkpoint covers its batch (this server has no
        // signing key), then event → batch root → checkpoint once one is signed.
        let proof_path = format!("/api/v1/trace/events/{}/proof", urlencoding::encode(id));
        let (st, _, body) = get(&a, &server, &proof_path).await;
        assert_eq!((st.as_u16(), body["code"].as_str()), (409, Some("not_yet_checkpointed")), "{body}");
        let (key_id, key) = yaolian_store::ledger::site_key(&store, &[3; 16]).await.unwrap();
        yaolian_store::ledger::make_checkpoint(&store, &key, &key_id).await.unwrap();
        let (st, _, proof) = get(&a, &server, &proof_path).await;
        assert_eq!(st, 200, "{proof}");
        assert_eq!((proof["index_in_batch"].as_u64(), proof["batch"]["count"].as_u64()), (Some(0), Some(5)), "{proof}");
        assert_eq!(proof["entry"]["entity"], "trace_batch");
        assert!(proof["checkpoint"]["head"]["tree_size"].as_u64().unwrap() > proof["entry"]["index"].as_u64().unwrap());
        let (st, _, body) = get(&a, &server, "/api/v1/trace/events/ni:%2F%2F%2Fsha-256;00/proof").await;
        assert_eq!((st.as_u16(), body["code"].as_str()), (404, Some("not_found")), "{body}");

        // An invalid document: every bad event named, nothing stored under rollback.
        let mut bad = document();
        let list = bad.pointer_mut("/epcisBody/eventList").and_then(Value::as_array_mut).unwrap();
        for (i, e) in list.iter_mut().enumerate() {
            e["eventTime"] = json!(format!("2026-11-28T11:0{i}:00+08:00"));
        }
        list[0].as_object_mut().unwrap().remove("eventTime");
        list[1]["action"] = json!("MOVE");
        list[2]["epcList"] = json!(["not-an-epc"]);
        let status = capture(&a, &server, &bad, None).await;
        assert_eq!(status["success"], false, "{status}");
        let refused: Vec<(i64, String)> = status["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["eventIndex"].as_i64().unwrap(), e["errors"][0]["field"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            refused,
            [
                (0, "eventList[0].eventTime".into()),
                (1, "eventList[1].action".into()),
                (2, "eventList[2].epcList[0]".into())
            ]
        );
        let (_, _, body) = get(&a, &server, "/epcis/events").await;
        assert_eq!(events_of(&body).len(), 5, "nothing of the bad document stored");

        // proceed: the two good events are stored.
        let status = capture(&a, &server, &bad, Some("proceed")).await;
        assert_eq!((status["stored"].clone(), status["errors"].as_array().unwrap().len()), (json!(2), 3), "{status}");
        let (_, _, body) = get(&a, &server, "/epcis/events").await;
        assert_eq!(events_of(&body).len(), 7);

        // The same event again: 409, not a second row. A new one: 201 with its ID.
        let mut event = document()["epcisBody"]["eventList"][2].clone();
        // A standalone event carries its JSON-LD context.
        event["@context"] = document()["@context"].clone();
        let (st, body) = a.send_json(Method::POST, server.url("/epcis/events"), &event).await;
        assert_eq!(st, 409, "{body}");
        assert_eq!(body["code"], "duplicate_event");
        let mut fresh = event.clone();
        fresh["eventTime"] = json!("2026-11-28T12:00:00+08:00");
        let (st, body) = a.send_json(Method::POST, server.url("/epcis/events"), &fresh).await;
        assert_eq!(st, 201, "{body}");
        assert!(body["eventID"].as_str().unwrap().starts_with("ni:///sha-256;"));
        let mut broken = fresh.clone();
        broken["action"] = json!("JUMP");
        let (st, body) = a.send_json(Method::POST, server.url("/epcis/events"), &broken).await;
        assert_eq!((st.as_u16(), body["errors"][0]["field"].as_str()), (422, Some("eventList[0].action")));

        // Company B may not report at company A's site, nor see A's events.
        fresh["eventTime"] = json!("2026-11-28T13:00:00+08:00");
        let (st, body) = b.send_json(Method::POST, server.url("/epcis/events"), &fresh).await;
        assert_eq!((st.as_u16(), body["errors"][0]["rule"].as_str()), (422, Some("own_site")), "{body}");
        let (_, _, body) = get(&b, &server, "/epcis/events").await;
        assert!(events_of(&body).is_empty());

        // Verification of a scanned GS1 code: known, packed, dispensable; a bad check digit is
        // named by position and rule.
        let (st, _, v) = get(&a, &server, "/api/v1/trace/verify/0109506000134352211001").await;
        assert_eq!(st, 200, "{v}");
        assert_eq!((v["valid"].clone(), v["dispensable"].clone()), (json!(true), json!(true)), "{v}");
        assert_eq!(v["code"]["batch"], "B2026001");
        let (_, _, v) = get(&a, &server, "/api/v1/trace/verify/0109506000134357211001").await;
        assert_eq!(v["reasons"][0]["code"], "FORMAT");
        assert!(v["reasons"][0]["message_en"].as_str().unwrap().contains("check digit"), "{v}");

        // The consumer lookup: public, no holder shown; an unknown code is a 404 page that says
        // the pack may be counterfeit.
        let r = reqwest::Client::new().get(server.url("/t/0109506000134352211001")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("盐酸二甲双胍片") && html.contains("B2026001"), "{html}");
        assert!(!html.contains("甲制药 生产基地"), "a consumer does not see the supply chain");
        let r = reqwest::Client::new().get(server.url("/t/81000011234567890123")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        assert!(r.text().await.unwrap().contains("假冒"));

        // A recall: the holding company gets a to-do linking to the recall, and may open it;
        // another company may not.
        let leader = {
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
            login(&server, "zj.leader").await
        };
        let (st, body) = leader
            .send_json(
                Method::POST,
                server.url("/api/v1/trace/recalls"),
                &json!({"product_id": product_id, "batches": ["B2026001"], "level": 1, "reason": "无菌检查不合格"}),
            )
            .await;
        assert_eq!(st, 201, "{body}");
        assert_eq!(body["holders"][0]["initial"], 1, "1001 at A's site (1002 was repackaged): {body}");
        let link = format!("/trace/recalls/{}", body["id"]);
        let (_, _, todos) = get(&a, &server, "/api/v1/portal/todos").await;
        assert!(todos.to_string().contains(&link), "{todos}");
        let r = a.client.get(server.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = b.client.get(server.url(&link)).send().await.unwrap();
        assert_eq!(r.status(), 404);
        let (st, body) = leader
            .send_json(
                Method::POST,
                server.url("/api/v1/trace/recalls"),
                &json!({"product_id": product_id, "batches": [], "level": 4, "reason": ""}),
            )
            .await;
        assert_eq!(st, 422);
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["batches", "level", "reason"]);
        // A company may not open a recall of another company's product.
        let (st, _) = b
            .send_json(
                Method::POST,
                server.url("/api/v1/trace/recalls"),
                &json!({"product_id": product_id, "batches": ["B2026001"], "level": 2, "reason": "x"}),
            )
            .await;
        assert_eq!(st, 403);
        let (_, _, v) = get(&a, &server, "/api/v1/trace/verify/0109506000134352211001").await;
        assert_eq!((v["recalled"].clone(), v["dispensable"].clone()), (json!(true), json!(false)), "{v}");
        server.stop().await;
    })
    .await;
}

/// Pack-level codes (中码 / 大码): the product's holder registers a case code; another company
/// may not; bad and taken codes are refused naming the field; a case commissioned under the
/// code resolves to the product at the case level, and its scan verifies.
#[tokio::test]
async fn pack_level_codes_are_registered_and_resolve_cases() {
    each_backend(|store| async move {
        let w = seed(&store).await;
        let new = NewProduct {
            approval_number: "国药准字H20230002".into(),
            generic_name: "阿莫西林片".into(),
            mah_org_id: w.co_a,
            drug_code: Some("8100001".into()),
            ..Default::default()
        };
        let (product_id, server, a, b) = start_with_product(&store, new).await;
        let url = server.url("/api/v1/trace/pack-codes");
        let case = json!({"prefix": "8100002", "product_id": product_id, "level": "case", "per_parent": 20});
        let (st, body) = a.send_json(Method::POST, url.clone(), &case).await;
        assert_eq!(st, 201, "{body}");
        let (st, _) = b
            .send_json(
                Method::POST,
                url.clone(),
                &json!({"prefix": "8100003", "product_id": product_id, "level": "case"}),
            )
            .await;
        assert_eq!(st, 403, "only the product's holder (or a bureau) registers its pack codes");
        let (st, body) = a
            .send_json(
                Method::POST,
                url.clone(),
                &json!({"prefix": "8100001", "product_id": product_id, "level": "pallet"}),
            )
            .await;
        assert_eq!((st.as_u16(), body["errors"][0]["rule"].clone()), (422, json!("unique")), "the unit code: {body}");
        let (st, body) = a
            .send_json(
                Method::POST,
                url.clone(),
                &json!({"prefix": "81000x2", "product_id": product_id, "level": "unit", "per_parent": -1}),
            )
            .await;
        assert_eq!(st, 422);
        let fields: Vec<&str> =
            body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["prefix", "level", "per_parent"]);
        let (st, _, list) = get(&a, &server, &format!("/api/v1/trace/pack-codes?product_id={}", product_id)).await;
        assert_eq!(st, 200);
        assert_eq!(
            (list[0]["prefix"].clone(), list[0]["product_name"].clone()),
            (json!("8100002"), json!("阿莫西林片"))
        );

        // A case commissioned under its own 20-digit code is the product's, at the case level.
        let case_code = "81000020000000011234";
        let doc = json!({"@context": document()["@context"], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-28T10:00:00+08:00",
            "epcisBody": {"eventList": [
                {"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "epcList": [format!("urn:nmpa:code:{case_code}")], "action": "ADD", "bizStep": "commissioning",
                 "disposition": "active", "readPoint": {"id": SITE},
                 "ilmd": {"cbvmda:lotNumber": "B2026002", "cbvmda:itemExpirationDate": "2028-11-30"}}]}});
        let status = capture(&a, &server, &doc, None).await;
        assert_eq!(status["stored"], 1, "{status}");
        let (_, _, v) = get(&a, &server, &format!("/api/v1/trace/verify/{case_code}")).await;
        assert_eq!(v["valid"], true, "{v}");
        let code = &v["code"];
        assert_eq!((code["level"].clone(), code["product_id"].clone()), (json!("case"), json!(product_id)), "{v}");
        assert_eq!(code["product_name"], "阿莫西林片");
        server.stop().await;
    })
    .await;
}

/// An ObjectEvent at 康辰's site at `hh:mm` on 2026-11-28.
fn event_at_kc(time: &str) -> Value {
    json!({"@context": document()["@context"], "type": "ObjectEvent", "eventTime": format!("2026-11-28T{time}:00+08:00"),
        "eventTimeZoneOffset": "+08:00", "epcList": ["urn:epc:id:sgtin:6901234.000001.1001"], "action": "ADD", "bizStep": "commissioning",
        "disposition": "active", "readPoint": {"id": demo::KC_SITE},
        "ilmd": {"cbvmda:lotNumber": "B2026001", "cbvmda:itemExpirationDate": "2028-11-30"}})
}

/// 追溯监管范围: a bureau manages the trace records of the companies under it, no others. 江苏's
/// inspector, and 杭州's (康辰 is under 浙江, not under 杭州), are refused opening a recall of
/// 康辰's product, registering 康辰's site and registering a pack code of its product — 403 each,
/// and none of it stored — and the pages offer them no such form; 浙江's inspector does all three.
/// A bureau cannot move another area's site into its own either, nor report events at another
/// area's sites.
#[tokio::test]
async fn a_bureau_manages_trace_records_only_in_its_own_area() {
    each_backend(|store| async move {
        let world = demo::seed(&store).await;
        let server = Server::start(store.clone(), WebConfig::default()).await;
        let product = world.id("product.kc");
        let recall = json!({"product_id": product, "batches": ["B2026009"], "level": 3, "reason": "范围"});
        let site =
            json!([{"id": demo::KC_SITE, "name": "越权改名", "kind": "manufacturer", "org_id": world.id("org.kc")}]);
        let pack = json!({"prefix": "8110009", "product_id": product, "level": "case", "per_parent": 20});
        let writes =
            [("/api/v1/trace/recalls", &recall), ("/api/v1/trace/sites", &site), ("/api/v1/trace/pack-codes", &pack)];
        let page = |s: &Session, path: &str| {
            let req = s.client.get(server.url(path));
            async move { req.send().await.unwrap().text().await.unwrap() }
        };
        let recall_page = format!("/trace/recalls/{}", world.id("recall.kc"));
        // 康辰's product as a form's choice (通用名（批准文号）).
        let kc_choice = "（国药准字H20230001）</option>";
        for outsider in ["js.inspector", "hz.inspector"] {
            let s = login(&server, outsider).await;
            for (path, body) in writes {
                let (st, answer) = s.send_json(Method::POST, server.url(path), body).await;
                assert_eq!(st, 403, "{outsider} POST {path}: {answer}");
            }
            // The forms offer 江苏's inspector 恒泰's product, not 康辰's; 杭州's none.
            assert!(!page(&s, "/trace/recalls").await.contains(kc_choice), "{outsider}");
            assert!(!page(&s, "/trace/pack-codes").await.contains(kc_choice), "{outsider}");
            assert!(!page(&s, &recall_page).await.contains("/close\""), "{outsider}");
            // A bad request is refused for who sends it before for what is wrong with it.
            let bad_recall = json!({"product_id": product, "batches": [], "level": 9, "reason": ""});
            let bad_pack = json!({"prefix": "x", "product_id": product, "level": "crate"});
            for (path, body) in [("/api/v1/trace/recalls", &bad_recall), ("/api/v1/trace/pack-codes", &bad_pack)] {
                let (st, answer) = s.send_json(Method::POST, server.url(path), body).await;
                assert_eq!(st, 403, "{outsider} POST {path} (invalid body): {answer}");
            }
            // Nor reports events at 康辰's site (before, any bureau reported anywhere).
            let (st, answer) = s.send_json(Method::POST, server.url("/epcis/events"), &event_at_kc("08:00")).await;
            assert_eq!((st.as_u16(), answer["errors"][0]["rule"].as_str()), (422, Some("own_site")), "{answer}");
        }
        let (st, answer) = login(&server, "zj.inspector")
            .await
            .send_json(Method::POST, server.url("/epcis/events"), &event_at_kc("08:00"))
            .await;
        assert_eq!(st, 201, "浙江's inspector reports in its area: {answer}");
        let zj = login(&server, "zj.inspector").await;
        let (_, _, sites) = get(&zj, &server, "/api/v1/trace/sites").await;
        assert!(!sites.to_string().contains("越权改名"), "{sites}");
        let (_, _, codes) = get(&zj, &server, "/api/v1/trace/pack-codes").await;
        assert_eq!(codes, json!([]));
        let (_, _, recalls) = get(&zj, &server, "/api/v1/trace/recalls").await;
        assert_eq!(recalls.as_array().map(Vec::len), Some(1), "only the seeded recall: {recalls}");

        assert!(page(&zj, "/trace/recalls").await.contains(kc_choice));
        assert!(page(&zj, "/trace/pack-codes").await.contains(kc_choice));
        assert!(page(&zj, &recall_page).await.contains("/close\""));
        for ((path, body), expected) in writes.into_iter().zip([201, 200, 201]) {
            let (st, answer) = zj.send_json(Method::POST, server.url(path), body).await;
            assert_eq!(st, expected, "zj.inspector POST {path}: {answer}");
        }

        // 江苏's inspector registers a site of 恒泰 (江苏); 浙江's may not claim it for 康辰.
        let js = login(&server, "js.inspector").await;
        let ht_site = |org: &str| {
            json!([{"id": "urn:epc:id:sgln:6907654.00001.0", "name": "恒泰 生产基地", "kind": "manufacturer",
                    "org_id": world.id(org)}])
        };
        let (st, answer) = js.send_json(Method::POST, server.url("/api/v1/trace/sites"), &ht_site("org.ht")).await;
        assert_eq!(st, 200, "{answer}");
        let (st, answer) = zj.send_json(Method::POST, server.url("/api/v1/trace/sites"), &ht_site("org.kc")).await;
        assert_eq!(st, 403, "{answer}");
        server.stop().await;
    })
    .await;
}
