//! GS1's own EPCIS 2.0 JSON-LD examples (tests/data/epcis-examples, from github.com/gs1/EPCIS
//! `JSON/`, see SOURCE.md there): every one passes the official JSON Schema as we apply it, and
//! every one is captured once the products their GTINs name are registered.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;
use yaolian_trace::{capture, epcis, schema};

fn examples() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "jsonld") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/epcis-examples"), &mut out);
    out.sort();
    out
}

/// The events of an EPCIS document as a capture takes them (each with the document's
/// `@context`), or of a query document's results.
fn events(doc: &Value) -> Vec<Value> {
    if doc["type"] == "EPCISDocument" {
        return capture::event_list(doc).unwrap_or_else(|e| panic!("{:?}", e.errors));
    }
    let list = doc.pointer("/epcisBody/queryResults/resultsBody/eventList").and_then(Value::as_array);
    let mut list = list.cloned().unwrap_or_default();
    capture::carry_context(doc, &mut list);
    list
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

#[test]
fn every_official_example_passes_the_schema_and_the_checks() {
    let files = examples();
    // github.com/gs1/EPCIS JSON/ at 2b888be: 47 .jsonld files.
    assert_eq!(files.len(), 47);
    let mut problems = Vec::new();
    let mut count = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let doc: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        for e in schema::envelope(&doc) {
            problems.push(format!("{name}: {}: {} ({})", e.field, e.message, e.rule));
        }
        for (i, event) in events(&doc).iter().enumerate() {
            count += 1;
            if let Err(errors) = epcis::check(event, i, today()) {
                for e in errors {
                    problems.push(format!("{name}: {}: {} ({})", e.field, e.message, e.rule));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    // 56 events in the 47 files.
    assert_eq!(count, 56);
}

#[test]
fn capture_documents_pass_the_envelope_check() {
    for file in examples() {
        let doc: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        if doc["type"] == "EPCISDocument" {
            let list = capture::event_list(&doc).unwrap_or_else(|e| panic!("{}: {:?}", file.display(), e.errors));
            assert!(!list.is_empty());
        }
    }
}

/// Every example is captured: its events stored, or known as one stored already (several
/// examples repeat the same event in another form: with a comment, with Digital Links).
#[tokio::test]
async fn every_official_example_is_captured() {
    use yaolian_trace::codes::epc::{self, ProductKey};
    use yaolian_trace::ingest::{self, Options};
    yaolian_store::testing::each_backend(|s| async move {
        let w = yaolian_identity::fixtures::world(&s).await.unwrap();
        let docs: Vec<(String, Vec<Value>)> = examples()
            .iter()
            .map(|f| {
                let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
                (f.file_name().unwrap().to_string_lossy().to_string(), events(&doc))
            })
            .collect();
        // Register first the GTINs the examples' objects carry.
        let mut gtins: Vec<String> = Vec::new();
        for (_, list) in &docs {
            for (i, e) in list.iter().enumerate() {
                let event = epcis::check(e, i, today()).unwrap();
                for (key, _) in &event.keys {
                    if let ProductKey::Gtin(g) = epc::product_key(key) {
                        if !gtins.iter().any(|x| x == g) {
                            gtins.push(g.to_string());
                        }
                    }
                }
            }
        }
        assert!(!gtins.is_empty());
        let refs: Vec<&str> = gtins.iter().map(String::as_str).collect();
        common::product(&s, w.company_a, 1, "8100001", &refs).await;
        let (mut stored, mut seen, mut declared) = (0, 0, 0);
        for (name, list) in &docs {
            let (good, bad) = capture::prepare(list, 0, None, today());
            assert!(bad.is_empty(), "{name}: {bad:?}");
            let options = Options { all_or_nothing: false, duplicates_are_errors: false, ..Options::bulk() };
            let o = ingest::store(&s, good, options).await.unwrap();
            assert!(o.refused.is_empty(), "{name}: {:?}", o.refused);
            // Each event is stored, a duplicate, or an error declaration of a stored event (one
            // declaring an event never captured is stored, declared in error).
            assert!(o.stored + o.duplicates <= list.len(), "{name}: {o:?}");
            assert!(o.stored + o.duplicates + o.declared >= list.len(), "{name}: {o:?}");
            declared += o.declared;
            stored += o.stored;
            seen += list.len();
        }
        assert_eq!(seen, 56);
        eprintln!("{stored} of {seen} events stored, {declared} declarations");
        assert!(stored > 40, "{stored} stored");
        // Nine events of the examples carry an errorDeclaration (grep -c errorDeclaration):
        // each declares its event in error, none is refused or counted a duplicate.
        assert_eq!(declared, 9);
    })
    .await;
}
