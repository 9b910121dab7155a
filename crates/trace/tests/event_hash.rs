//! The EPCIS event hash against every JSON-LD example of the GS1 CBV 2.0 event hash reference
//! implementation (RalphTro/epcis-event-hash-generator@5d2f1c3, tests/examples; copied into
//! tests/data/event-hash, see its NOTICE.md): each event's hash ID must equal the line of the
//! example's `.hashes` file for it.

use std::path::Path;

use serde_json::Value;
use yaolian_trace::hash::{event_hash, hash_id, prehash, Context};

/// Examples whose hashes this implementation deliberately does not reproduce, with the reason.
/// Empty: every published example matches.
const EXCEPTIONS: &[(&str, usize, &str)] = &[];

#[test]
fn every_reference_example_hashes_as_published() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/event-hash");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".jsonld").map(str::to_string))
        .collect();
    names.sort();
    assert_eq!(names.len(), 22, "the 22 JSON-LD examples");
    let (mut checked, mut matched, mut failures) = (0, 0, Vec::new());
    for name in &names {
        let read = |ext: &str| {
            let path = dir.join(format!("{name}.{ext}"));
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        let doc: Value = serde_json::from_str(&read("jsonld")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<String> = read("hashes").lines().map(str::to_string).collect();
        let body = &doc["epcisBody"];
        let events = body["eventList"]
            .as_array()
            .or_else(|| body.pointer("/queryResults/resultsBody/eventList").and_then(Value::as_array))
            .unwrap_or_else(|| panic!("{name}: no eventList"));
        assert_eq!(events.len(), expected.len(), "{name}: one hash line per event");
        let context = Context::of_document(&doc);
        for (i, (event, want)) in events.iter().zip(&expected).enumerate() {
            checked += 1;
            let got = hash_id(&event_hash(event, &context, today));
            let excepted = EXCEPTIONS.iter().any(|(n, k, _)| n == name && *k == i);
            if got == *want {
                matched += 1;
                assert!(!excepted, "{name} event {i} matches: remove it from EXCEPTIONS");
            } else if !excepted {
                failures.push(format!(
                    "{name} event {i}\n  expected {want}\n  got      {got}\n  prehash  {}",
                    prehash(event, &context, today)
                ));
            }
        }
    }
    assert_eq!(checked, 43, "43 events in the 22 examples");
    assert!(failures.is_empty(), "{matched}/{checked} match; mismatches:\n{}", failures.join("\n"));
}
