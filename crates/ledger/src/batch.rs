//! Batches anchored in the ledger (批次存证): bulk data (trace events) is not a ledger entry per
//! item; each stored batch is one entry whose record carries the RFC 9162 Merkle root over its
//! items' leaves in stored order. An item's proof has two levels: its leaf → the batch root
//! (an inclusion proof in the batch's tree), and the batch's entry → a signed checkpoint.
//!
//! The leaf of a trace event is `leaf(event_hash ‖ H(body))`: the EPCIS event hash (CBV 2.0
//! §8.9, SHA-256; the event's identity) followed by the ledger hash of the event's JSON as
//! stored, so that neither the event nor any byte of what was kept of it can change unseen.

use crate::bundle::check_checkpoint;
use crate::entry::{canonical_json, Entry, TreeHead};
use crate::hash::{Hash, HashAlg};
use crate::merkle;
use serde::{Deserialize, Serialize};

/// The ledger entity of an anchored trace batch; its id is the batch's first event id.
pub const TRACE_BATCH_ENTITY: &str = "trace_batch";

/// The leaf of one trace event in its batch's tree.
pub fn event_leaf(alg: HashAlg, event_hash: &[u8; 32], body: &[u8]) -> Hash {
    let body_hash = alg.digest(&[body]);
    let mut input = [0u8; 64];
    input[..32].copy_from_slice(event_hash);
    input[32..].copy_from_slice(&body_hash.0);
    alg.leaf(&input)
}

/// The root over leaves in order (the empty tree's hash for none).
pub fn root(alg: HashAlg, leaves: &[Hash]) -> Hash {
    let mut tree = merkle::MemoryTree::new(alg);
    for l in leaves {
        tree.push_hash(*l);
    }
    tree.root()
}

/// What the ledger records of a stored trace batch (the after-image of its one version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// The first event's id; the batch holds ids `first_event .. first_event + count`.
    pub first_event: i64,
    pub count: u64,
    /// Merkle root over the events' leaves ([`event_leaf`]) in id order.
    pub root: Hash,
    /// The capture job that stored it, if any.
    pub capture_id: Option<i64>,
    /// The reporting company (the capturing user's organization), if a user captured it.
    pub org_id: Option<i64>,
    /// When it was stored (every event of the batch has this record time), UTC ms.
    pub record_time: i64,
    /// Earliest and latest event time in the batch, UTC ms.
    pub event_time_from: i64,
    pub event_time_to: i64,
}

impl BatchRecord {
    pub fn to_json(&self) -> serde_json::Value {
        // A struct of plain fields always serializes.
        serde_json::to_value(self).unwrap_or_default()
    }
}

pub const TRACE_FORMAT: &str = "yaolian-trace-bundle/1";

/// One event of a code's history with its proof to its batch root.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceBundleEvent {
    pub id: i64,
    /// The EPCIS event hash (SHA-256), hex.
    pub event_hash: String,
    /// The event's JSON as stored.
    pub body: String,
    /// The batch's first event id.
    pub batch: i64,
    /// Inclusion proof of the event's leaf (at `id - batch`) in the batch's tree.
    pub batch_proof: Vec<Hash>,
}

/// A batch's ledger entry, its record and the entry's proof to the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceBundleBatch {
    pub entry: Entry,
    /// The batch record (its canonical JSON is what `entry.data_hash` covers).
    pub data: serde_json::Value,
    pub inclusion_proof: Vec<Hash>,
}

/// A code's whole trace history with two-level proofs to one signed checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceBundle {
    pub format: String,
    /// The code's key (see `trace::codes::epc`).
    pub code: String,
    pub events: Vec<TraceBundleEvent>,
    pub batches: Vec<TraceBundleBatch>,
    pub checkpoint: TreeHead,
    /// SM2 signature of the checkpoint, DER, hex.
    pub signature: String,
    pub key_id: String,
    pub public_key: String,
}

/// What an offline check of a trace bundle established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceBundleSummary {
    pub events: usize,
    pub batches: usize,
    pub tree_size: u64,
    pub key_id: String,
}

/// Checks a trace bundle offline: the checkpoint's signature; every batch entry's record, data
/// hash and inclusion in the checkpoint's tree; every event's leaf and inclusion in its batch's
/// root. `check_event` adds what this crate cannot know (that the body's EPCIS event hash is
/// `event_hash` and that it names the code). The error names the first thing that fails.
pub fn verify_trace(
    bundle: &TraceBundle,
    pinned_public_key: Option<&str>,
    check_event: &dyn Fn(&TraceBundleEvent) -> Result<(), String>,
) -> Result<TraceBundleSummary, String> {
    if bundle.format != TRACE_FORMAT {
        return Err(format!("unknown bundle format {:?}, expected {TRACE_FORMAT}", bundle.format));
    }
    check_checkpoint(&bundle.checkpoint, &bundle.signature, &bundle.public_key, pinned_public_key)?;
    let alg = bundle.checkpoint.hash_alg;
    if bundle.events.is_empty() {
        return Err("the bundle holds no events".into());
    }
    let mut records = std::collections::HashMap::new();
    for b in &bundle.batches {
        let e = &b.entry;
        let name = format!("batch entry {} ({} {})", e.index, e.entity, e.id);
        if e.entity != TRACE_BATCH_ENTITY || e.version != 1 {
            return Err(format!("{name}: not a trace batch record"));
        }
        if alg.digest(&[&canonical_json(&b.data)]) != e.data_hash {
            return Err(format!("{name}: record does not match its hash"));
        }
        let record: BatchRecord =
            serde_json::from_value(b.data.clone()).map_err(|err| format!("{name}: not a batch record: {err}"))?;
        if e.id != record.first_event.to_string() {
            return Err(format!("{name}: record is of batch {}", record.first_event));
        }
        let leaf = e.leaf_hash(alg);
        let size = bundle.checkpoint.tree_size;
        if !merkle::verify_inclusion(alg, e.index, size, &leaf, &b.inclusion_proof, &bundle.checkpoint.root_hash) {
            return Err(format!("{name}: inclusion proof does not lead to the checkpoint root"));
        }
        records.insert(record.first_event, record);
    }
    for ev in &bundle.events {
        let name = format!("event {}", ev.id);
        let record =
            records.get(&ev.batch).ok_or_else(|| format!("{name}: its batch {} is not in the bundle", ev.batch))?;
        // Checked: ids far apart must not overflow (found by crates/ledger/tests/fuzz.rs).
        let offset = ev.id.checked_sub(record.first_event).and_then(|o| u64::try_from(o).ok());
        let Some(offset) = offset.filter(|o| *o < record.count) else {
            return Err(format!("{name}: not in batch {} of {} events", ev.batch, record.count));
        };
        let hash: [u8; 32] = hex::decode(&ev.event_hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{name}: event_hash is not 64 hex digits"))?;
        let leaf = event_leaf(alg, &hash, ev.body.as_bytes());
        if !merkle::verify_inclusion(alg, offset, record.count, &leaf, &ev.batch_proof, &record.root) {
            return Err(format!("{name}: does not lead to the root of batch {} (event changed?)", ev.batch));
        }
        check_event(ev).map_err(|problem| format!("{name}: {problem}"))?;
    }
    Ok(TraceBundleSummary {
        events: bundle.events.len(),
        batches: bundle.batches.len(),
        tree_size: bundle.checkpoint.tree_size,
        key_id: bundle.key_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batch tree is RFC 9162's: two leaves hash to node(leaf(a), leaf(b)) with the 0x00 /
    /// 0x01 prefixes, and a proof from `MemoryTree` verifies against `root`.
    #[test]
    fn batch_root_is_an_rfc9162_tree_over_event_leaves() {
        let alg = HashAlg::Sm3;
        let a = event_leaf(alg, &[1; 32], b"{\"a\":1}");
        let b = event_leaf(alg, &[2; 32], b"{\"b\":2}");
        assert_eq!(root(alg, &[a, b]), alg.node(&a, &b));
        let mut input = [1u8; 64];
        input[32..].copy_from_slice(&alg.digest(&[b"{\"a\":1}"]).0);
        assert_eq!(a, alg.leaf(&input));
        // One byte of the body changes the leaf.
        assert_ne!(a, event_leaf(alg, &[1; 32], b"{\"a\":2}"));
        let leaves: Vec<Hash> = (0..7u8).map(|i| event_leaf(alg, &[i; 32], &[i])).collect();
        let mut tree = merkle::MemoryTree::new(alg);
        leaves.iter().for_each(|l| tree.push_hash(*l));
        let proof = tree.inclusion_proof(5, 7).unwrap();
        assert!(merkle::verify_inclusion(alg, 5, 7, &leaves[5], &proof, &root(alg, &leaves)));
        assert!(!merkle::verify_inclusion(alg, 4, 7, &leaves[5], &proof, &root(alg, &leaves)));
    }
}
