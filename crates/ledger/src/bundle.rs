//! Proof bundles: a record's whole history with inclusion proofs to one signed checkpoint, the
//! site's public key, and nothing else needed to check it offline (`yaolian ledger verify
//! --bundle`).

use crate::entry::{canonical_json, Entry, TreeHead};
use crate::esign::ESignature;
use crate::hash::Hash;
use crate::merkle;
use crate::sign;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "yaolian-ledger-bundle/1";

/// One version of the record with its proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleVersion {
    pub entry: Entry,
    /// The record's after-image (its canonical JSON is what `entry.data_hash` covers).
    pub data: serde_json::Value,
    /// Inclusion proof of the entry in the checkpoint's tree.
    pub inclusion_proof: Vec<Hash>,
}

/// An electronic signature on one of the versions, with its own ledger entry and proof.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleSignature {
    pub signature: ESignature,
    /// The signature's ledger entry (entity `signature`); its data hash covers `signature`.
    pub entry: Entry,
    pub inclusion_proof: Vec<Hash>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub entity: String,
    pub id: String,
    pub versions: Vec<BundleVersion>,
    pub checkpoint: TreeHead,
    /// SM2 signature of the checkpoint, DER, hex.
    pub signature: String,
    pub key_id: String,
    /// The site's public key, SubjectPublicKeyInfo PEM.
    pub public_key: String,
    /// Electronic signatures on the versions (absent in bundles of unsigned records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signatures: Vec<BundleSignature>,
}

/// What an offline check established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSummary {
    pub versions: usize,
    pub tree_size: u64,
    pub key_id: String,
    pub signatures: usize,
}

/// Checks a bundle: the checkpoint signature under the included (or a pinned) public key, and
/// for every version its data hash, its leaf and its inclusion in the checkpoint's tree. The
/// error names the first thing that does not hold.
pub fn verify(bundle: &Bundle, pinned_public_key: Option<&str>) -> Result<BundleSummary, String> {
    if bundle.format != FORMAT {
        return Err(format!("unknown bundle format {:?}, expected {FORMAT}", bundle.format));
    }
    check_checkpoint(&bundle.checkpoint, &bundle.signature, &bundle.public_key, pinned_public_key)?;
    let alg = bundle.checkpoint.hash_alg;
    if bundle.versions.is_empty() {
        return Err("the bundle holds no versions".into());
    }
    for (i, v) in bundle.versions.iter().enumerate() {
        let e = &v.entry;
        let name = format!("entry {} ({} {} version {})", e.index, e.entity, e.id, e.version);
        if e.entity != bundle.entity || e.id != bundle.id {
            return Err(format!("{name}: belongs to another record"));
        }
        if e.version != i as i64 + 1 {
            return Err(format!("{name}: versions must run 1, 2, 3 … without gaps"));
        }
        if alg.digest(&[&canonical_json(&v.data)]) != e.data_hash {
            return Err(format!("{name}: data does not match its hash"));
        }
        let leaf = e.leaf_hash(alg);
        if !merkle::verify_inclusion(
            alg,
            e.index,
            bundle.checkpoint.tree_size,
            &leaf,
            &v.inclusion_proof,
            &bundle.checkpoint.root_hash,
        ) {
            return Err(format!("{name}: inclusion proof does not lead to the checkpoint root"));
        }
    }
    for s in &bundle.signatures {
        let c = &s.signature.content;
        let name = format!("signature entry {} ({} on version {})", s.entry.index, c.signer, c.version);
        // Checked: a version of i64::MIN must not overflow (found by crates/ledger/tests/fuzz.rs).
        let at = usize::try_from(c.version).ok().and_then(|v| v.checked_sub(1));
        let Some(version) = at.and_then(|i| bundle.versions.get(i)) else {
            return Err(format!("{name}: signs a version the bundle does not hold"));
        };
        if c.entity != bundle.entity || c.id != bundle.id {
            return Err(format!("{name}: signs another record"));
        }
        s.signature.verify(Some(&version.data))?;
        if s.entry.entity != "signature" || alg.digest(&[&canonical_json(&s.signature.to_json())]) != s.entry.data_hash
        {
            return Err(format!("{name}: does not match its ledger entry"));
        }
        let leaf = s.entry.leaf_hash(alg);
        if !merkle::verify_inclusion(
            alg,
            s.entry.index,
            bundle.checkpoint.tree_size,
            &leaf,
            &s.inclusion_proof,
            &bundle.checkpoint.root_hash,
        ) {
            return Err(format!("{name}: inclusion proof does not lead to the checkpoint root"));
        }
    }
    Ok(BundleSummary {
        signatures: bundle.signatures.len(),
        versions: bundle.versions.len(),
        tree_size: bundle.checkpoint.tree_size,
        key_id: bundle.key_id.clone(),
    })
}

/// Checks a checkpoint's signature (hex DER) under the bundle's public key, which must be the
/// pinned one when a key is pinned.
pub(crate) fn check_checkpoint(
    checkpoint: &TreeHead,
    signature: &str,
    public_key: &str,
    pinned_public_key: Option<&str>,
) -> Result<(), String> {
    if let Some(pinned) = pinned_public_key {
        if pinned.trim() != public_key.trim() {
            return Err("the bundle's public key is not the pinned one".into());
        }
    }
    let signature = hex::decode(signature).map_err(|_| "signature: not hex".to_string())?;
    match sign::verify(public_key, &checkpoint.message(), &signature) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("checkpoint at size {}: signature does not verify", checkpoint.tree_size)),
        Err(e) => Err(format!("checkpoint: {e}")),
    }
}
