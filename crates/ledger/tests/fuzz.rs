//! Fuzzing the proof-bundle reader (issue "Keep the attack suite"): what `yaolian ledger verify
//! --bundle` does with a file — JSON, then a record bundle or a trace bundle by its `format`,
//! then [`bundle::verify`] or [`batch::verify_trace`] — fed random bytes and mutations of real
//! signed bundles (a record of three versions with an electronic signature, and a code's trace
//! history over two batches), built here with the crate's own tree, entries and SM2 key. No
//! input may panic; every refusal is a message; and a bundle only verifies when what it proves
//! is what was signed (a mutant that verifies must carry the signed checkpoint and the original
//! data). `YAOLIAN_FUZZ_SECONDS` runs the target that long (`scripts/fuzz-long`); unset, it
//! stops after 20,000 cases or three seconds.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{json, Value};
use yaolian_core::fuzz::{self, Budget};
use yaolian_ledger::batch::{self, BatchRecord, TraceBundle, TraceBundleBatch, TraceBundleEvent};
use yaolian_ledger::bundle::{self, Bundle, BundleSignature, BundleVersion};
use yaolian_ledger::entry::{canonical_json, Entry, TreeHead};
use yaolian_ledger::esign::{ESignature, SignedContent};
use yaolian_ledger::hash::{Hash, HashAlg};
use yaolian_ledger::merkle::MemoryTree;
use yaolian_ledger::sign::KeyPair;

const ALG: HashAlg = HashAlg::Sm3;

fn entry(index: u64, entity: &str, id: &str, version: i64, data: &Value) -> Entry {
    Entry {
        index,
        time: 1_795_399_200_000 + index as i64,
        actor: "zj.reviewer".into(),
        action: if version == 1 { "create" } else { "update" }.into(),
        entity: entity.into(),
        id: id.into(),
        version,
        data_hash: ALG.digest(&[&canonical_json(data)]),
        reason: "审核通过".into(),
    }
}

/// A signed checkpoint over `tree`.
fn checkpoint(tree: &MemoryTree, key: &KeyPair) -> (TreeHead, String) {
    let head = TreeHead { hash_alg: ALG, tree_size: tree.size(), root_hash: tree.root(), time: 1_795_400_000_000 };
    let signature = hex::encode(key.sign(&head.message()));
    (head, signature)
}

/// A product's three versions, the second signed by a reviewer, among other entries.
fn record_bundle(key: &KeyPair) -> Bundle {
    let signer = KeyPair::generate();
    let datas: Vec<Value> = (1..=3)
        .map(|v| json!({"approval_number": "国药准字H20260001", "name": "阿莫西林胶囊", "version": v, "gtin": "09506000134352"}))
        .collect();
    let mut tree = MemoryTree::new(ALG);
    let mut versions = Vec::new();
    let mut entries = Vec::new();
    for (i, data) in datas.iter().enumerate() {
        // Another record's entry between ours.
        let other = entry(tree.size(), "license", "L-1", i as i64 + 1, &json!({"n": i}));
        tree.push_hash(other.leaf_hash(ALG));
        let e = entry(tree.size(), "product", "P-1", i as i64 + 1, data);
        tree.push_hash(e.leaf_hash(ALG));
        entries.push(e);
    }
    let content = SignedContent {
        entity: "product".into(),
        id: "P-1".into(),
        version: 2,
        hash_alg: ALG,
        data_hash: ALG.digest(&[&canonical_json(&datas[1])]),
        meaning: "approve".into(),
        signer: "zj.leader".into(),
        name: "王局长".into(),
        time: 1_795_399_300_000,
        zone: "+08:00".into(),
    };
    let esig = ESignature {
        signature: hex::encode(signer.sign(&content.message())),
        content,
        key_id: "u-7".into(),
        public_key: signer.public_pem(),
    };
    let sig_entry = entry(tree.size(), "signature", "S-1", 1, &esig.to_json());
    tree.push_hash(sig_entry.leaf_hash(ALG));
    let (head, signature) = checkpoint(&tree, key);
    for (e, data) in entries.into_iter().zip(datas) {
        let inclusion_proof = tree.inclusion_proof(e.index, tree.size()).unwrap();
        versions.push(BundleVersion { entry: e, data, inclusion_proof });
    }
    let inclusion_proof = tree.inclusion_proof(sig_entry.index, tree.size()).unwrap();
    Bundle {
        format: bundle::FORMAT.into(),
        entity: "product".into(),
        id: "P-1".into(),
        versions,
        checkpoint: head,
        signature,
        key_id: "site-1".into(),
        public_key: key.public_pem(),
        signatures: vec![BundleSignature { signature: esig, entry: sig_entry, inclusion_proof }],
    }
}

/// A code's five events over two batches (ids 100–102 and 103–104).
fn trace_bundle(key: &KeyPair) -> TraceBundle {
    let mut tree = MemoryTree::new(ALG);
    tree.push_hash(entry(0, "product", "P-1", 1, &json!({})).leaf_hash(ALG));
    let mut events = Vec::new();
    let mut batches = Vec::new();
    for (first, count) in [(100i64, 3u64), (103, 2)] {
        let bodies: Vec<(Hash, String)> = (0..count)
            .map(|i| {
                let body =
                    json!({"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "n": first + i as i64})
                        .to_string();
                (ALG.digest(&[body.as_bytes()]), body)
            })
            .collect();
        let leaves: Vec<Hash> = bodies.iter().map(|(h, b)| batch::event_leaf(ALG, &h.0, b.as_bytes())).collect();
        let mut batch_tree = MemoryTree::new(ALG);
        leaves.iter().for_each(|l| batch_tree.push_hash(*l));
        let record = BatchRecord {
            first_event: first,
            count,
            root: batch::root(ALG, &leaves),
            capture_id: Some(7),
            org_id: Some(3),
            record_time: 1_795_399_200_000,
            event_time_from: 1_795_399_000_000,
            event_time_to: 1_795_399_100_000,
        };
        for (i, (hash, body)) in bodies.into_iter().enumerate() {
            events.push(TraceBundleEvent {
                id: first + i as i64,
                event_hash: hash.to_hex(),
                body,
                batch: first,
                batch_proof: batch_tree.inclusion_proof(i as u64, count).unwrap(),
            });
        }
        let data = record.to_json();
        let e = entry(tree.size(), batch::TRACE_BATCH_ENTITY, &first.to_string(), 1, &data);
        tree.push_hash(e.leaf_hash(ALG));
        batches.push((e, data));
    }
    let (head, signature) = checkpoint(&tree, key);
    let batches = batches
        .into_iter()
        .map(|(entry, data)| {
            let inclusion_proof = tree.inclusion_proof(entry.index, tree.size()).unwrap();
            TraceBundleBatch { entry, data, inclusion_proof }
        })
        .collect();
    TraceBundle {
        format: batch::TRACE_FORMAT.into(),
        code: "/01/09506000134352/21/1001".into(),
        events,
        batches,
        checkpoint: head,
        signature,
        key_id: "site-1".into(),
        public_key: key.public_pem(),
    }
}

/// What the `trace` crate adds when it checks an event (its body is JSON; here the hash is the
/// body's own digest, as the sample bundle was built).
fn check_event(ev: &TraceBundleEvent) -> Result<(), String> {
    serde_json::from_str::<Value>(&ev.body).map_err(|e| format!("body is not JSON: {e}"))?;
    if ALG.digest(&[ev.body.as_bytes()]).to_hex() != ev.event_hash {
        return Err("its body's hash is not the one anchored".into());
    }
    Ok(())
}

/// The reader of `yaolian ledger verify --bundle`, on bytes.
fn read_bundle(bytes: &[u8], pinned: Option<&str>) -> Result<String, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| "json".to_string())?;
    if value.get("format").and_then(Value::as_str) == Some(batch::TRACE_FORMAT) {
        let b: TraceBundle = serde_json::from_value(value).map_err(|_| "not a trace bundle".to_string())?;
        let s = batch::verify_trace(&b, pinned, &check_event)?;
        assert_eq!(s.events, b.events.len());
        return Ok(format!("trace:{}:{}", b.checkpoint.root_hash, b.checkpoint.tree_size));
    }
    let b: Bundle = serde_json::from_value(value).map_err(|_| "not a bundle".to_string())?;
    let s = bundle::verify(&b, pinned)?;
    assert_eq!(s.versions, b.versions.len());
    Ok(format!("record:{}:{}", b.checkpoint.root_hash, b.checkpoint.tree_size))
}

#[test]
fn proof_bundles_are_verified_or_refused_and_never_panic() {
    let key = KeyPair::generate();
    let pem = key.public_pem();
    let record = record_bundle(&key);
    let trace = trace_bundle(&key);
    let samples: Vec<Vec<u8>> = vec![
        serde_json::to_vec_pretty(&record).unwrap(),
        serde_json::to_vec(&record).unwrap(),
        serde_json::to_vec_pretty(&trace).unwrap(),
        serde_json::to_vec(&trace).unwrap(),
    ];
    let signed_record = format!("record:{}:{}", record.checkpoint.root_hash, record.checkpoint.tree_size);
    let signed_trace = format!("trace:{}:{}", trace.checkpoint.root_hash, trace.checkpoint.tree_size);
    for s in &samples {
        let verified = read_bundle(s, Some(&pem)).unwrap();
        assert!(verified == signed_record || verified == signed_trace);
    }
    let tokens: &[&[u8]] = &[
        b"\"version\": ",
        b"\"index\": ",
        b"\"tree_size\": ",
        b"\"first_event\": ",
        b"\"count\": ",
        b"\"id\": ",
        b"\"batch\": ",
        b"\"inclusion_proof\": []",
        b"\"batch_proof\": []",
        b"\"signatures\": []",
        b"\"events\": []",
        b"\"hash_alg\": \"sha256\"",
        b"\"0000000000000000000000000000000000000000000000000000000000000000\"",
        b"null",
        b"-9223372036854775808",
        b"9223372036854775807",
        b"18446744073709551615",
        b"-1",
        b"\"",
        b"yaolian-trace-bundle/1",
        b"yaolian-ledger-bundle/1",
        b"-----BEGIN PUBLIC KEY-----",
    ];
    let budget = Budget::from_env(20_000, Duration::from_secs(3));
    let last = fuzz::last_case_path("bundle");
    let report = fuzz::run("bundle", &samples, tokens, budget, |input| {
        save(&last, input);
        outcome(read_bundle(input, Some(&pem)), &signed_record, &signed_trace)
    });
    assert!(report.outcomes > 10, "the cases reach many checks: {report}");
}

/// The outcome label of one case; only what was signed verifies.
fn outcome(result: Result<String, String>, signed_record: &str, signed_trace: &str) -> String {
    match result {
        Ok(verified) => {
            // Only what was signed verifies: the checkpoint is the signed one.
            assert!(verified == signed_record || verified == signed_trace, "a mutant verified: {verified}");
            "ok".into()
        }
        Err(problem) => problem.split(':').next_back().unwrap_or("").trim().chars().take(40).collect(),
    }
}

/// Findings of the target above (29 November 2026, case 16,942 of a 45-second run, and the
/// run after its fix): a signature on version `-9223372036854775808` made `bundle::verify`
/// subtract past i64::MIN, and an event id of `-9223372036854775808` did the same in
/// `batch::verify_trace` (panics in debug builds; in release a wrapped number). Both are now
/// refusals naming the signature or event.
#[test]
fn fuzz_finding_extreme_versions_and_event_ids_are_refused() {
    let key = KeyPair::generate();
    let mut record = record_bundle(&key);
    record.signatures[0].signature.content.version = i64::MIN;
    let e = bundle::verify(&record, None).unwrap_err();
    assert!(e.contains("signs a version the bundle does not hold"), "{e}");
    let mut trace = trace_bundle(&key);
    trace.events[1].id = i64::MIN;
    let e = batch::verify_trace(&trace, None, &check_event).unwrap_err();
    assert!(e.contains("not in batch 100"), "{e}");
    trace.events[1].id = i64::MAX;
    trace.batches[0].data["first_event"] = json!(i64::MIN);
    assert!(batch::verify_trace(&trace, None, &check_event).is_err());
}

/// Writes the case about to run where `YAOLIAN_FUZZ_LAST` says (see `fuzz::last_case_path`).
fn save(path: &Option<std::path::PathBuf>, input: &[u8]) {
    if let Some(path) = path {
        let _ = std::fs::write(path, input);
    }
}
