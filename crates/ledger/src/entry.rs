//! Ledger entries and their canonical form: RFC 8785 JSON Canonicalization Scheme (JCS), so
//! that anyone can recompute a leaf hash from the entry's fields with any JCS implementation.

use crate::hash::{Hash, HashAlg};
use serde::{Deserialize, Serialize};

/// One ledger entry: a record version was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log, from 0.
    pub index: u64,
    /// UTC milliseconds.
    pub time: i64,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub id: String,
    pub version: i64,
    /// Hash of the canonical JSON of the record's after-image.
    pub data_hash: Hash,
    pub reason: String,
}

/// An entry's fields borrowed from wherever they were read (a verifier reading millions of rows
/// writes their canonical form without building an [`Entry`] per row).
#[derive(Debug, Clone, Copy)]
pub struct EntryFields<'a> {
    pub index: u64,
    pub time: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub id: &'a str,
    pub version: i64,
    pub data_hash: &'a Hash,
    pub reason: &'a str,
}

impl EntryFields<'_> {
    /// Appends the canonical bytes ([`Entry::canonical`]) to `out`.
    ///
    /// Written directly rather than through a generic canonicalizer, because verification does
    /// this for every entry: the keys are ASCII, so their JCS order (UTF-16 code units) is the
    /// byte order below; strings are escaped exactly as JCS asks (`"`, `\\` and control
    /// characters only, which is serde_json's escaping); the integers are below 2^53 and print
    /// as plain digits. A property test checks it against the generic canonicalizer.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let text = |out: &mut Vec<u8>, t: &str| {
            // Writing a &str into a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *out, t);
        };
        out.extend_from_slice(b"{\"action\":");
        text(out, self.action);
        out.extend_from_slice(b",\"actor\":");
        text(out, self.actor);
        out.extend_from_slice(b",\"data_hash\":\"");
        for b in self.data_hash.0 {
            out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        out.extend_from_slice(b"\",\"entity\":");
        text(out, self.entity);
        out.extend_from_slice(b",\"id\":");
        text(out, self.id);
        out.extend_from_slice(b",\"index\":");
        digits(out, false, self.index);
        out.extend_from_slice(b",\"reason\":");
        text(out, self.reason);
        out.extend_from_slice(b",\"time\":");
        digits(out, self.time < 0, self.time.unsigned_abs());
        out.extend_from_slice(b",\"version\":");
        digits(out, self.version < 0, self.version.unsigned_abs());
        out.push(b'}');
    }
}

/// Appends an integer in plain decimal (what `to_string` prints), without the formatter.
fn digits(out: &mut Vec<u8>, negative: bool, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

/// RFC 8785 canonical JSON of any JSON value.
pub fn canonical_json(value: &serde_json::Value) -> Vec<u8> {
    // Serializing a `Value` cannot fail: its keys are strings and its numbers finite.
    serde_json_canonicalizer::to_vec(value).unwrap_or_default()
}

impl Entry {
    /// The entry's canonical bytes, the input of its leaf hash: RFC 8785 JCS of its fields.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160 + self.reason.len() + self.actor.len() + self.id.len());
        self.fields().write_canonical(&mut out);
        out
    }

    /// The entry's fields, borrowed.
    pub fn fields(&self) -> EntryFields<'_> {
        EntryFields {
            index: self.index,
            time: self.time,
            actor: &self.actor,
            action: &self.action,
            entity: &self.entity,
            id: &self.id,
            version: self.version,
            data_hash: &self.data_hash,
            reason: &self.reason,
        }
    }

    /// The same bytes through the generic RFC 8785 canonicalizer (the reference for tests).
    pub fn canonical_generic(&self) -> Vec<u8> {
        canonical_json(&serde_json::json!({
            "index": self.index,
            "time": self.time,
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "id": self.id,
            "version": self.version,
            "data_hash": self.data_hash.to_hex(),
            "reason": self.reason,
        }))
    }

    /// RFC 9162 leaf hash of the entry.
    pub fn leaf_hash(&self, alg: HashAlg) -> Hash {
        alg.leaf(&self.canonical())
    }
}

/// A signed tree head (检查点): what the site's SM2 key signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    pub hash_alg: HashAlg,
    pub tree_size: u64,
    pub root_hash: Hash,
    /// UTC milliseconds.
    pub time: i64,
}

impl TreeHead {
    /// The signed bytes: canonical JSON of the four fields.
    pub fn message(&self) -> Vec<u8> {
        canonical_json(&serde_json::json!({
            "hash_alg": self.hash_alg.name(),
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.to_hex(),
            "time": self.time,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form_sorts_keys_and_formats_numbers_per_rfc8785() {
        // RFC 8785 §3.2.3 sorts by UTF-16 code units; §3.2.2.3 uses ECMAScript number form.
        let v = serde_json::json!({"b": 1.0, "a": [1e21, 0.000001, -0.0], "€": "x\u{0}\n"});
        assert_eq!(String::from_utf8(canonical_json(&v)).unwrap(), r#"{"a":[1e+21,0.000001,0],"b":1,"€":"x\u0000\n"}"#);
    }

    #[test]
    fn entry_canonical_bytes_are_stable() {
        let e = Entry {
            index: 7,
            time: 1_790_812_800_000,
            actor: "admin".into(),
            action: "create".into(),
            entity: "org".into(),
            id: "5".into(),
            version: 1,
            data_hash: HashAlg::Sm3.digest(&[b"{}"]),
            reason: "新建".into(),
        };
        let text = String::from_utf8(e.canonical()).unwrap();
        assert!(text.starts_with(r#"{"action":"create","actor":"admin","data_hash":""#), "{text}");
        assert!(
            text.ends_with(r#""entity":"org","id":"5","index":7,"reason":"新建","time":1790812800000,"version":1}"#),
            "{text}"
        );
        assert_ne!(e.leaf_hash(HashAlg::Sm3), e.leaf_hash(HashAlg::Sha256));
        assert_eq!(e.canonical(), e.canonical_generic());
    }

    /// The direct writer agrees with the generic canonicalizer on random entries, including
    /// quotes, backslashes, control characters, non-ASCII text and emoji.
    #[test]
    fn direct_canonical_form_matches_the_generic_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(8785);
        let alphabet: Vec<char> = "aZ09 \"\\/\u{0}\u{1f}\u{7f}\n\t\r\u{8}\u{c}é药链€\u{2028}😀<>&'".chars().collect();
        let text = |rng: &mut rand::rngs::StdRng| -> String {
            let n = rng.gen_range(0..12);
            (0..n).map(|_| alphabet[rng.gen_range(0..alphabet.len())]).collect()
        };
        for _ in 0..2_000 {
            let e = Entry {
                index: rng.gen_range(0..(1u64 << 53)),
                time: rng.gen_range(-(1i64 << 53)..(1i64 << 53)),
                actor: text(&mut rng),
                action: text(&mut rng),
                entity: text(&mut rng),
                id: text(&mut rng),
                version: rng.gen_range(-5..(1i64 << 40)),
                data_hash: HashAlg::Sm3.digest(&[text(&mut rng).as_bytes()]),
                reason: text(&mut rng),
            };
            assert_eq!(String::from_utf8(e.canonical()).unwrap(), String::from_utf8(e.canonical_generic()).unwrap());
        }
    }
}
