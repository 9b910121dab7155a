//! The trusted-records ledger (可信记录账本): an append-only log whose entries are the leaves
//! of a Merkle tree in the sense of RFC 9162 §2.1, hashed with SM3 (GB/T 32905) by default or
//! SHA-256 for interoperability. This crate is the pure core: hashing, tree heads, inclusion and
//! consistency proofs and their verification, all without I/O. Storage plans which subtree
//! hashes a proof needs ([`merkle::inclusion_nodes`] …), fetches them in one query and hands
//! them back, so a root or a proof costs O(log n) reads, never a rebuild.
//!
//! Architecture Invariant: `ledger` does no I/O and knows nothing of databases or HTTP.

pub mod batch;
pub mod bundle;
pub mod entry;
pub mod esign;
pub mod hash;
pub mod merkle;
pub mod pke;
pub mod sign;

pub use entry::{canonical_json, Entry, EntryFields, TreeHead};
pub use hash::{Hash, HashAlg};
