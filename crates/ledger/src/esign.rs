//! Electronic signatures (电子签名) on record versions, in the sense of 21 CFR Part 11 §11.50 and
//! §11.70: the signed content carries the manifestation (printed name, date and time with zone,
//! meaning) and is bound to the version's data hash, the same hash its ledger entry carries, so a
//! signature cannot be moved to another version or record.

use crate::entry::canonical_json;
use crate::hash::{Hash, HashAlg};
use crate::sign;
use serde::{Deserialize, Serialize};

/// Meanings of a signature (签名含义): code, Chinese and English label.
pub const MEANINGS: &[(&str, &str, &str)] = &[
    ("author", "编写", "Authored"),
    ("review", "审核", "Reviewed"),
    ("approve", "批准", "Approved"),
    ("confirm", "确认", "Confirmed"),
    ("verify", "复核", "Verified"),
    ("decide", "决定", "Decided"),
];

/// The labels of a meaning code, if it is one.
pub fn meaning(code: &str) -> Option<(&'static str, &'static str)> {
    MEANINGS.iter().find(|m| m.0 == code).map(|m| (m.1, m.2))
}

/// What a signer signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedContent {
    pub entity: String,
    pub id: String,
    pub version: i64,
    pub hash_alg: HashAlg,
    /// Hash of the version's canonical JSON (the ledger entry's `data_hash`).
    pub data_hash: Hash,
    /// Meaning code, one of [`MEANINGS`].
    pub meaning: String,
    /// The signer's user name (unique) and printed name.
    pub signer: String,
    pub name: String,
    /// UTC milliseconds, and the zone the manifestation shows it in.
    pub time: i64,
    pub zone: String,
}

impl SignedContent {
    /// The signed bytes: RFC 8785 canonical JSON of the content.
    pub fn message(&self) -> Vec<u8> {
        canonical_json(&serde_json::json!({
            "entity": self.entity,
            "id": self.id,
            "version": self.version,
            "hash_alg": self.hash_alg.name(),
            "data_hash": self.data_hash.to_hex(),
            "meaning": self.meaning,
            "signer": self.signer,
            "name": self.name,
            "time": self.time,
            "zone": self.zone,
        }))
    }
}

/// A signature with what is needed to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ESignature {
    pub content: SignedContent,
    pub key_id: String,
    /// The signer's SM2 public key, SubjectPublicKeyInfo PEM.
    pub public_key: String,
    /// SM2 signature over [`SignedContent::message`], DER, hex.
    pub signature: String,
}

impl ESignature {
    /// Checks the signature over its content, and that it signs `data` when given (the record
    /// version's after-image).
    pub fn verify(&self, data: Option<&serde_json::Value>) -> Result<(), String> {
        let c = &self.content;
        let name = format!("signature of {} on {} {} version {}", c.signer, c.entity, c.id, c.version);
        if let Some(data) = data {
            if c.hash_alg.digest(&[&canonical_json(data)]) != c.data_hash {
                return Err(format!("{name}: signs other data than this version"));
            }
        }
        let der = hex::decode(&self.signature).map_err(|_| format!("{name}: signature is not hex"))?;
        match sign::verify(&self.public_key, &c.message(), &der) {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("{name}: does not verify under the signer's key")),
            Err(e) => Err(format!("{name}: {e}")),
        }
    }

    /// The signature as the JSON the ledger records for it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::KeyPair;

    fn signed(key: &KeyPair, data: &serde_json::Value) -> ESignature {
        let content = SignedContent {
            entity: "deviation".into(),
            id: "DEV-1".into(),
            version: 2,
            hash_alg: HashAlg::Sm3,
            data_hash: HashAlg::Sm3.digest(&[&canonical_json(data)]),
            meaning: "approve".into(),
            signer: "qa.li".into(),
            name: "李质量".into(),
            time: 1_795_399_200_000,
            zone: "+08:00".into(),
        };
        let signature = hex::encode(key.sign(&content.message()));
        ESignature { content, key_id: "k1".into(), public_key: key.public_pem(), signature }
    }

    #[test]
    fn signature_binds_content_and_data() {
        let key = KeyPair::generate();
        let data = serde_json::json!({"title": "温度超限", "status": "closed"});
        let sig = signed(&key, &data);
        assert_eq!(sig.verify(Some(&data)), Ok(()));
        let other = serde_json::json!({"title": "温度超限", "status": "open"});
        assert!(sig.verify(Some(&other)).unwrap_err().contains("other data"));
        let mut moved = sig.clone();
        moved.content.version = 3;
        assert!(moved.verify(None).unwrap_err().contains("does not verify"));
        let mut renamed = sig.clone();
        renamed.content.meaning = "author".into();
        assert!(renamed.verify(None).is_err());
        let mut foreign = sig;
        foreign.public_key = KeyPair::generate().public_pem();
        assert!(foreign.verify(Some(&data)).is_err());
    }

    #[test]
    fn meanings_have_labels() {
        assert_eq!(meaning("approve"), Some(("批准", "Approved")));
        assert_eq!(meaning("bless"), None);
    }
}
