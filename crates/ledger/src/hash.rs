//! Hash functions of the ledger and the RFC 9162 domain separation of leaves and nodes.

use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::fmt;

/// A 32-byte digest (both SM3 and SHA-256 produce 256 bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<Hash> {
        let bytes = hex::decode(s).ok()?;
        let arr: [u8; 32] = bytes.try_into().ok()?;
        Some(Hash(arr))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Hash::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// The hash function of a ledger, fixed when the ledger is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashAlg {
    /// SM3, GB/T 32905-2016 (default).
    Sm3,
    /// SHA-256, FIPS 180-4 (for interoperability with RFC 6962 tooling).
    Sha256,
}

impl HashAlg {
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sm3 => "sm3",
            HashAlg::Sha256 => "sha256",
        }
    }

    pub fn parse(s: &str) -> Option<HashAlg> {
        match s {
            "sm3" => Some(HashAlg::Sm3),
            "sha256" => Some(HashAlg::Sha256),
            _ => None,
        }
    }

    /// The digest of the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Hash {
        fn run<D: Digest>(parts: &[&[u8]]) -> Hash {
            let mut h = D::new();
            for p in parts {
                h.update(p);
            }
            let out = h.finalize();
            let mut arr = [0u8; 32];
            arr.copy_from_slice(&out[..32]);
            Hash(arr)
        }
        match self {
            HashAlg::Sm3 => run::<sm3::Sm3>(parts),
            HashAlg::Sha256 => run::<sha2::Sha256>(parts),
        }
    }

    /// RFC 9162 §2.1.1: the hash of an empty tree, `HASH()`.
    pub fn empty(self) -> Hash {
        self.digest(&[])
    }

    /// RFC 9162 §2.1.1: a leaf hash, `HASH(0x00 || entry)`.
    pub fn leaf(self, entry: &[u8]) -> Hash {
        self.digest(&[&[0x00], entry])
    }

    /// RFC 9162 §2.1.1: an interior node, `HASH(0x01 || left || right)`.
    pub fn node(self, left: &Hash, right: &Hash) -> Hash {
        self.digest(&[&[0x01], &left.0, &right.0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sm3_reference_vectors() {
        // GB/T 32905-2016, Appendix A, example 1: "abc".
        assert_eq!(
            HashAlg::Sm3.digest(&[b"abc"]).to_hex(),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        // Example 2: "abcd" repeated 16 times (512 bits), fed in pieces.
        let abcd = b"abcd".repeat(16);
        assert_eq!(
            HashAlg::Sm3.digest(&[&abcd[..10], &abcd[10..]]).to_hex(),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    #[test]
    fn sha256_reference_vector() {
        // FIPS 180-4 example "abc".
        assert_eq!(
            HashAlg::Sha256.digest(&[b"abc"]).to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn hex_round_trip_and_rejects_wrong_length() {
        let h = HashAlg::Sm3.leaf(b"x");
        assert_eq!(Hash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(Hash::from_hex("abcd"), None);
        assert_eq!(Hash::from_hex(&"zz".repeat(32)), None);
    }
}
