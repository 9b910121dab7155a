//! Fuzzing the readers of scanned codes and EPCIS documents (issue "Keep the attack suite"):
//! random bytes and mutations of known-good samples, guided by the outcomes they reach
//! (`yaolian_core::fuzz`). No input may panic; every refusal is a typed error; a document is
//! never read past its [`DocumentLimits`]. `YAOLIAN_FUZZ_SECONDS` runs each target that long
//! (`scripts/fuzz-long`); unset, each stops after a few thousand cases or two seconds.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;
use yaolian_core::fuzz::{self, Budget};
use yaolian_core::Gtin;
use yaolian_trace::codes::{epc, gs1, nmpa::NmpaCode, Code};
use yaolian_trace::epcis::{self, DocumentLimits};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

/// Codes in every form scanners and clients send.
const CODES: &[&str] = &[
    "]d2\u{1d}0109506000134352172612311010ABC\u{1d}21123",
    "010950600013435217261231",
    "(01)09506000134352(17)261200(10)ABC(21)123",
    "(00)195060000000000012",
    "(414)9506000000015(254)12",
    "https://id.gs1.org/01/09506000134352/10/ABC/21/123?17=261231",
    "https://example.com/x/01/9506000134352/21/%41B",
    "urn:epc:id:sgtin:9506000.013435.1001",
    "urn:epc:id:sscc:9506000.1000000001",
    "urn:epc:id:sgln:9506000.00001.0",
    "urn:epc:class:lgtin:9506000.013435.B1",
    "urn:epc:idpat:sgtin:9506000.013435.*",
    "urn:epc:idpat:sscc:9506000.*",
    "urn:nmpa:code:81234560000000011234",
    "81234560000000011234",
    "]C1\u{1d}00195060000000000012\u{1d}37100\u{1d}4009999",
    "0109506000134352\u{1d}7003261231235\u{1d}2112",
];

const CODE_TOKENS: &[&[u8]] = &[
    b"\x1d",
    b"]d2",
    b"]C1",
    b"(01)",
    b"(00)",
    b"(10)",
    b"(17)",
    b"(21)",
    b"(7003)",
    b"(",
    b")",
    b"01",
    b"09506000134352",
    b"17",
    b"10",
    b"21",
    b"00",
    b"?",
    b"&",
    b"=",
    b"/01/",
    b"/21/",
    b"%",
    b"%ZZ",
    b"%E4%B8",
    b"https://",
    b"urn:epc:id:",
    b"urn:epc:idpat:",
    b"sgtin:",
    b"*",
    b".",
    b"\xe8\x8d\xaf",
    b"991232",
    b"260230",
];

/// One scan through every reader of codes: the results are values or typed refusals, and a
/// code that reads is written back in every form without panicking.
fn read_code(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let day = today();
    let mut outcome = String::new();
    match Code::parse(&text, day) {
        Ok(Code::Gs1(code)) => {
            outcome.push_str("gs1");
            let written = code.element_string();
            let again = gs1::parse(&written, day)
                .unwrap_or_else(|e| panic!("the element string {written:?} of a read code does not read: {e}"));
            assert_eq!(again.elements, code.elements, "the element string {written:?} reads differently");
            let _ = code.human_readable();
            if let Some(link) = code.digital_link(epc::GS1_DOMAIN) {
                let _ = gs1::parse(&link, day);
            }
            for cp in 5..=13 {
                let _ = code.epc_urn(cp);
            }
            let _ = epc::gs1_key(&code);
        }
        Ok(Code::Nmpa(code)) => {
            outcome.push_str("nmpa");
            let _ = code.unknown_product();
        }
        Err(e) => {
            assert!(e.position >= 1, "{e:?}");
            outcome.push_str(e.rule);
        }
    }
    match epc::key(&text, day) {
        Ok(key) => {
            let _ = epc::uri(&key);
            let _ = epc::product_key(&key);
            let _ = epc::display(&key);
            outcome.push_str("/key");
        }
        Err(e) => outcome.push_str(&format!("/{}", e.rule)),
    }
    if let Some(result) = epc::pattern_prefixes(&text) {
        outcome.push_str(if result.is_ok() { "/pattern" } else { "/bad_pattern" });
    }
    let _ = NmpaCode::parse(&text);
    let _ = epcis::epc_ok(&text, day);
    if let Err(e) = Gtin::parse("gtin", &text) {
        outcome.push_str(&format!("/{}", e.rule));
    }
    outcome
}

#[test]
fn gs1_codes_digital_links_and_epc_uris_never_panic() {
    let samples: Vec<Vec<u8>> = CODES.iter().map(|c| c.as_bytes().to_vec()).collect();
    let budget = Budget::from_env(40_000, Duration::from_secs(3));
    let last = fuzz::last_case_path("gs1");
    let report = fuzz::run("gs1", &samples, CODE_TOKENS, budget, |input| {
        save(&last, input);
        read_code(input)
    });
    assert!(report.outcomes > 20, "the cases reach many rules: {report}");
}

/// The known-good document: one event of each of the five types.
const DOCUMENT: &str = r#"{
 "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
 "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-28T10:00:00+08:00",
 "epcisBody": {"eventList": [
  {"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
   "epcList": ["urn:epc:id:sgtin:9506000.013435.1001", "https://id.gs1.org/01/09506000134352/21/1002"],
   "action": "ADD", "bizStep": "commissioning", "disposition": "active",
   "readPoint": {"id": "urn:epc:id:sgln:9506000.00001.0"}, "bizLocation": {"id": "https://id.gs1.org/414/9506000000015"},
   "ilmd": {"cbvmda:lotNumber": "B2026001", "cbvmda:itemExpirationDate": "2028-11-30"},
   "sensorElementList": [{"sensorMetadata": {"time": "2026-11-28T08:00:00+08:00"},
     "sensorReport": [{"type": "gs1:Temperature", "value": 4.5, "uom": "CEL"}]}]},
  {"type": "AggregationEvent", "eventTime": "2026-11-28T08:10:00+08:00", "eventTimeZoneOffset": "+08:00",
   "parentID": "urn:epc:id:sscc:9506000.1000000001", "childEPCs": ["urn:epc:id:sgtin:9506000.013435.1001"],
   "childQuantityList": [{"epcClass": "urn:epc:class:lgtin:9506000.013435.B1", "quantity": 10, "uom": "EA"}],
   "action": "ADD", "bizStep": "https://ref.gs1.org/cbv/BizStep-packing", "disposition": "in_progress"},
  {"type": "TransactionEvent", "eventTime": "2026-11-28T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
   "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000001:DA-1"}],
   "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:9506000.00001"}],
   "epcList": ["urn:epc:id:sscc:9506000.1000000001"], "action": "ADD",
   "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping", "disposition": "in_transit"},
  {"type": "TransformationEvent", "eventTime": "2026-11-28T09:30:00+08:00", "eventTimeZoneOffset": "+08:00",
   "inputEPCList": ["urn:epc:id:sgtin:9506000.013435.1002"],
   "outputEPCList": ["urn:epc:id:sgtin:9506000.013435.2001"], "bizStep": "repackaging"},
  {"type": "AssociationEvent", "eventTime": "2026-11-28T09:40:00.123Z", "eventTimeZoneOffset": "-05:30",
   "parentID": "urn:epc:id:sscc:9506000.1000000001", "childEPCs": ["urn:epc:id:giai:9506000.SENSOR1"],
   "action": "ADD", "bizStep": "assembling", "errorDeclaration": {"declarationTime": "2026-11-28T10:00:00Z"}}
 ]}
}"#;

const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"null",
    b"true",
    b"[[[[[[[[[[",
    b"{\"a\":{\"a\":{\"a\":",
    b"\"type\": \"EPCISDocument\"",
    b"\"eventList\": [",
    b"{\"type\": \"ObjectEvent\"}",
    b"\"epcList\"",
    b"\"childEPCs\"",
    b"\"quantity\"",
    b"\"eventTime\"",
    b"\"action\"",
    b"\"DELETE\"",
    b"\"OBSERVE\"",
    b"\"2026-02-30T25:61:00+08:00\"",
    b"\"+14:00\"",
    b"\"-99:99\"",
    b"\"urn:epc:id:sgtin:\"",
    b"\"https://id.gs1.org/01/\"",
    b"\"bizStep\"",
    b"\"disposition\"",
    b"\"readPoint\"",
    b"\"ilmd\"",
    b"\"sensorElementList\"",
    b"{},{},{},{},{},{},{},{}",
    b"1e999",
    b"-0.0",
];

/// Limits small enough that mutants cross them.
const FUZZ_LIMITS: DocumentLimits =
    DocumentLimits { max_bytes: 64 * 1024, max_depth: 12, max_values: 400, max_events: 8 };

fn check_epcis(bytes: &[u8]) -> String {
    let doc = match epcis::parse_document(bytes, &FUZZ_LIMITS) {
        Ok(doc) => doc,
        Err(epcis::DocumentError::Malformed(_)) => return "malformed".into(),
        Err(epcis::DocumentError::OverLimit(e)) => return format!("over:{}", e.rule),
    };
    // Within the limits: the events counted, the depth bounded.
    fn depth(v: &Value) -> usize {
        match v {
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    assert!(bytes.len() <= FUZZ_LIMITS.max_bytes);
    assert!(depth(&doc) <= FUZZ_LIMITS.max_depth, "a document deeper than the limit was read");
    let day = today();
    match epcis::check_document(&doc, day) {
        Ok(checked) => {
            let events = epcis::event_list(&doc).unwrap();
            assert!(events.len() <= FUZZ_LIMITS.max_events);
            assert_eq!(checked.good.len() + checked.bad.len(), events.len(), "every event is judged once");
            for event in events {
                let _ = yaolian_trace::hash::event_hash(event, &yaolian_trace::hash::Context::of_document(&doc), day);
            }
            for e in &checked.good {
                let _ = e.site();
            }
            let mut rules: Vec<String> =
                checked.bad.iter().flat_map(|(_, errs)| errs.iter().map(|e| e.rule.clone())).collect();
            rules.sort();
            rules.dedup();
            format!("checked:{}:{}", checked.good.len().min(1), rules.join(","))
        }
        Err(e) => format!("doc:{}", e.rule),
    }
}

#[test]
fn epcis_documents_are_checked_within_their_limits_and_never_panic() {
    let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
    let checked = epcis::check_document(&doc, today()).unwrap();
    assert!(checked.bad.is_empty(), "the sample is good: {:?}", checked.bad);
    let mut samples = vec![DOCUMENT.as_bytes().to_vec(), serde_json::to_vec(&doc).unwrap()];
    // Each event alone, and a bare array of events.
    let events = doc.pointer("/epcisBody/eventList").unwrap().as_array().unwrap();
    for e in events {
        let one = serde_json::json!({"type": "EPCISDocument", "epcisBody": {"eventList": [e]}});
        samples.push(serde_json::to_vec(&one).unwrap());
    }
    samples.push(serde_json::to_vec(events).unwrap());
    let budget = Budget::from_env(20_000, Duration::from_secs(3));
    let last = fuzz::last_case_path("epcis");
    let report = fuzz::run("epcis", &samples, JSON_TOKENS, budget, |input| {
        save(&last, input);
        check_epcis(input)
    });
    assert!(report.outcomes > 20, "the cases reach many rules: {report}");
    if let Some(peak) = peak_memory() {
        assert!(peak < 1 << 30, "peak memory {peak} bytes");
    }
}

/// Writes the case about to run where `YAOLIAN_FUZZ_LAST` says (see `fuzz::last_case_path`).
fn save(path: &Option<std::path::PathBuf>, input: &[u8]) {
    if let Some(path) = path {
        let _ = std::fs::write(path, input);
    }
}

/// The process's peak resident memory in bytes (`VmHWM`), where the system tells it (Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
