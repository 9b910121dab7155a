//! Merkle tree heads and proofs, RFC 9162 §2.1.
//!
//! Hashes are kept for *perfect* subtrees only: [`NodeId`] `{level, index}` covers leaves
//! `[index·2^level, (index+1)·2^level)`. Appending leaf `i` completes the node at level 0 and,
//! for every level `l` where `i + 1` is a multiple of `2^l`, one node above it
//! ([`completed_by`]). Any tree head or proof over a tree of `n` leaves is then a function of at
//! most O(log n) perfect nodes: the `*_nodes` functions list exactly which, the caller fetches
//! them (one query), and the matching function computes the result from them.

use crate::hash::{Hash, HashAlg};
use std::collections::HashMap;
use thiserror::Error;

/// A perfect subtree: leaves `[index << level, (index + 1) << level)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId {
    pub level: u32,
    pub index: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree sizes must satisfy 0 < first <= second, got {first} and {second}")]
    BadSizes { first: u64, second: u64 },
    #[error("subtree hash missing for level {} index {}", .0.level, .0.index)]
    MissingNode(NodeId),
}

/// Hashes of perfect subtrees by id.
pub type Nodes = HashMap<NodeId, Hash>;

/// The largest power of two strictly below `n` (n ≥ 2), the split point `k` of RFC 9162.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// The perfect subtree equal to `[lo, hi)`, if it is one.
fn as_perfect(lo: u64, hi: u64) -> Option<NodeId> {
    let width = hi - lo;
    (width.is_power_of_two() && lo.is_multiple_of(width))
        .then(|| NodeId { level: width.trailing_zeros(), index: lo / width })
}

/// Perfect nodes whose hashes determine `MTH(D[lo:hi])`, following the RFC's split.
fn range_nodes(lo: u64, hi: u64, out: &mut Vec<NodeId>) {
    if let Some(id) = as_perfect(lo, hi) {
        out.push(id);
        return;
    }
    let k = split(hi - lo);
    range_nodes(lo, lo + k, out);
    range_nodes(lo + k, hi, out);
}

/// `MTH(D[lo:hi])` from perfect node hashes.
fn range_hash(alg: HashAlg, lo: u64, hi: u64, nodes: &Nodes) -> Result<Hash, ProofError> {
    if let Some(id) = as_perfect(lo, hi) {
        return nodes.get(&id).copied().ok_or(ProofError::MissingNode(id));
    }
    let k = split(hi - lo);
    Ok(alg.node(&range_hash(alg, lo, lo + k, nodes)?, &range_hash(alg, lo + k, hi, nodes)?))
}

/// Nodes completed by appending the leaf with index `i`: `(node, Some((left, right)))` for
/// interior nodes, bottom-up, starting with the leaf itself (`None`).
pub fn completed_by(i: u64) -> Vec<(NodeId, Option<(NodeId, NodeId)>)> {
    let mut out = vec![(NodeId { level: 0, index: i }, None)];
    let mut level = 1;
    while level < 64 && (i + 1).is_multiple_of(1u64 << level) {
        let index = i >> level;
        let left = NodeId { level: level - 1, index: index * 2 };
        let right = NodeId { level: level - 1, index: index * 2 + 1 };
        out.push((NodeId { level, index }, Some((left, right))));
        level += 1;
    }
    out
}

/// Nodes needed for the head of a tree of `size` leaves: the perfect subtrees of its binary
/// decomposition, left to right.
pub fn root_nodes(size: u64) -> Vec<NodeId> {
    let mut out = Vec::new();
    if size > 0 {
        range_nodes(0, size, &mut out);
    }
    out
}

/// RFC 9162 §2.1.1: the Merkle tree head of the first `size` leaves.
pub fn root(alg: HashAlg, size: u64, nodes: &Nodes) -> Result<Hash, ProofError> {
    if size == 0 {
        return Ok(alg.empty());
    }
    range_hash(alg, 0, size, nodes)
}

/// RFC 9162 §2.1.3.1 `PATH(m, D[lo:hi])` as the ranges whose heads form the path, leaf first.
fn inclusion_ranges(m: u64, lo: u64, hi: u64, out: &mut Vec<(u64, u64)>) {
    if hi - lo <= 1 {
        return;
    }
    let k = split(hi - lo);
    if m < lo + k {
        inclusion_ranges(m, lo, lo + k, out);
        out.push((lo + k, hi));
    } else {
        inclusion_ranges(m, lo + k, hi, out);
        out.push((lo, lo + k));
    }
}

/// RFC 9162 §2.1.4.1 `SUBPROOF(m, D[lo:hi], b)` as ranges.
fn consistency_ranges(m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<(u64, u64)>) {
    let n = hi - lo;
    if m == n {
        if !b {
            out.push((lo, hi));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        consistency_ranges(m, lo, lo + k, b, out);
        out.push((lo + k, hi));
    } else {
        consistency_ranges(m - k, lo + k, hi, false, out);
        out.push((lo, lo + k));
    }
}

fn nodes_of(ranges: &[(u64, u64)]) -> Vec<NodeId> {
    let mut out = Vec::new();
    for &(lo, hi) in ranges {
        range_nodes(lo, hi, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn check_index(index: u64, size: u64) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    Ok(())
}

fn check_sizes(first: u64, second: u64) -> Result<(), ProofError> {
    if first == 0 || first > second {
        return Err(ProofError::BadSizes { first, second });
    }
    Ok(())
}

/// Nodes needed for the inclusion proof of leaf `index` in a tree of `size` leaves.
pub fn inclusion_nodes(index: u64, size: u64) -> Result<Vec<NodeId>, ProofError> {
    check_index(index, size)?;
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    Ok(nodes_of(&ranges))
}

/// RFC 9162 §2.1.3.1: the inclusion proof (audit path) of leaf `index` in a tree of `size`.
pub fn inclusion_proof(alg: HashAlg, index: u64, size: u64, nodes: &Nodes) -> Result<Vec<Hash>, ProofError> {
    check_index(index, size)?;
    let mut ranges = Vec::new();
    inclusion_ranges(index, 0, size, &mut ranges);
    ranges.iter().map(|&(lo, hi)| range_hash(alg, lo, hi, nodes)).collect()
}

/// Nodes needed for the consistency proof between trees of `first` and `second` leaves.
pub fn consistency_nodes(first: u64, second: u64) -> Result<Vec<NodeId>, ProofError> {
    check_sizes(first, second)?;
    let mut ranges = Vec::new();
    if first < second {
        consistency_ranges(first, 0, second, true, &mut ranges);
    }
    Ok(nodes_of(&ranges))
}

/// RFC 9162 §2.1.4.1: the consistency proof between trees of `first` and `second` leaves
/// (empty when they are equal).
pub fn consistency_proof(alg: HashAlg, first: u64, second: u64, nodes: &Nodes) -> Result<Vec<Hash>, ProofError> {
    check_sizes(first, second)?;
    let mut ranges = Vec::new();
    if first < second {
        consistency_ranges(first, 0, second, true, &mut ranges);
    }
    ranges.iter().map(|&(lo, hi)| range_hash(alg, lo, hi, nodes)).collect()
}

/// RFC 9162 §2.1.3.2: verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves
/// with head `root`.
pub fn verify_inclusion(alg: HashAlg, index: u64, size: u64, leaf_hash: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = alg.node(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = alg.node(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: verifies that the tree of `second` leaves with head `second_root`
/// extends the tree of `first` leaves with head `first_root`.
pub fn verify_consistency(
    alg: HashAlg,
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let mut fr = path[0];
    let mut sr = path[0];
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = alg.node(c, &fr);
            sr = alg.node(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = alg.node(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *first_root && sr == *second_root && sn == 0
}

/// An in-memory tree: every perfect node of the leaves appended so far. Used to verify proof
/// bundles offline, by tests, and as the model the stored tree must agree with.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    alg: HashAlg,
    size: u64,
    nodes: Nodes,
}

impl MemoryTree {
    pub fn new(alg: HashAlg) -> Self {
        MemoryTree { alg, size: 0, nodes: Nodes::new() }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its entry bytes.
    pub fn push(&mut self, entry: &[u8]) {
        self.push_hash(self.alg.leaf(entry));
    }

    /// Appends a leaf by its leaf hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        for (id, children) in completed_by(self.size) {
            let h = match children {
                None => leaf,
                Some((l, r)) => match (self.nodes.get(&l), self.nodes.get(&r)) {
                    (Some(l), Some(r)) => self.alg.node(l, r),
                    _ => return,
                },
            };
            self.nodes.insert(id, h);
        }
        self.size += 1;
    }

    pub fn nodes(&self) -> &Nodes {
        &self.nodes
    }

    /// Head of the first `size` leaves (any size up to the current one).
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        root(self.alg, size, &self.nodes)
    }

    pub fn root(&self) -> Hash {
        self.root_at(self.size).unwrap_or_else(|_| self.alg.empty())
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        inclusion_proof(self.alg, index, size, &self.nodes)
    }

    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, ProofError> {
        consistency_proof(self.alg, first, second, &self.nodes)
    }
}

/// Every perfect subtree hash of a tree, level by level: level `l` holds the nodes
/// `0 .. size >> l` in a vector. Built for verifying a whole log: no map, half the memory of
/// [`MemoryTree`], and leaves arrive in aligned blocks whose inner subtrees another thread
/// has hashed ([`block_levels`]), so only the nodes above a block are hashed here.
#[derive(Debug, Clone)]
pub struct LevelTree {
    alg: HashAlg,
    levels: Vec<Vec<Hash>>,
}

/// The perfect subtrees inside a block of leaves, level by level (`[0]` is the leaves): what
/// [`LevelTree::append_block`] takes. Hashing a block is independent of every other block.
pub fn block_levels(alg: HashAlg, leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaves];
    while let Some(below) = levels.last().filter(|l| l.len() >= 2) {
        let above: Vec<Hash> = below.chunks_exact(2).map(|p| alg.node(&p[0], &p[1])).collect();
        levels.push(above);
    }
    levels
}

impl LevelTree {
    pub fn new(alg: HashAlg) -> Self {
        LevelTree { alg, levels: vec![Vec::new()] }
    }

    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Appends one leaf.
    pub fn push_hash(&mut self, leaf: Hash) {
        self.levels[0].push(leaf);
        self.carry();
    }

    /// Appends a block of leaves with its inner subtrees (`block_levels` of the leaves). The
    /// block is placed at the current size; when that is not a multiple of the block's largest
    /// subtree, its leaves are appended one by one instead (the inner nodes would not be
    /// perfect subtrees of the whole tree).
    pub fn append_block(&mut self, block: Vec<Vec<Hash>>) {
        let top = block.len().saturating_sub(1) as u32;
        if top >= 64 || !self.size().is_multiple_of(1u64 << top) {
            for leaf in block.into_iter().next().unwrap_or_default() {
                self.push_hash(leaf);
            }
            return;
        }
        for (level, nodes) in block.into_iter().enumerate() {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].extend(nodes);
        }
        self.carry();
    }

    /// Hashes every node that the leaves so far complete and that is not stored yet.
    fn carry(&mut self) {
        let mut level = 0;
        while self.levels[level].len() >= 2 {
            if self.levels.len() <= level + 1 {
                self.levels.push(Vec::new());
            }
            let (below, above) = self.levels.split_at_mut(level + 1);
            let (below, above) = (&below[level], &mut above[0]);
            while above.len() < below.len() / 2 {
                let k = above.len() * 2;
                above.push(self.alg.node(&below[k], &below[k + 1]));
            }
            level += 1;
        }
    }

    /// A perfect subtree's hash, if the tree has it.
    pub fn get(&self, id: NodeId) -> Option<&Hash> {
        self.levels.get(id.level as usize)?.get(usize::try_from(id.index).ok()?)
    }

    /// How many perfect subtrees the tree has (leaves included).
    pub fn node_count(&self) -> u64 {
        self.levels.iter().map(|l| l.len() as u64).sum()
    }

    /// Every perfect subtree, level by level: (level, nodes `0..`).
    pub fn levels(&self) -> impl Iterator<Item = (u32, &[Hash])> {
        self.levels.iter().enumerate().map(|(l, nodes)| (l as u32, nodes.as_slice()))
    }

    /// Head of the first `size` leaves (any size up to the current one).
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        let mut nodes = Nodes::new();
        for id in root_nodes(size) {
            let hash = self.get(id).ok_or(ProofError::MissingNode(id))?;
            nodes.insert(id, *hash);
        }
        root(self.alg, size, &nodes)
    }

    pub fn root(&self) -> Hash {
        self.root_at(self.size()).unwrap_or_else(|_| self.alg.empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The eight leaves of the RFC 6962 test vectors used by certificate-transparency
    /// implementations (merkle tree tests in certificate-transparency-go and Trillian).
    fn ct_leaves() -> Vec<Vec<u8>> {
        vec![
            vec![],
            vec![0x00],
            vec![0x10],
            vec![0x20, 0x21],
            vec![0x30, 0x31],
            vec![0x40, 0x41, 0x42, 0x43],
            (0x50..0x58).collect(),
            (0x60..0x70).collect(),
        ]
    }

    fn ct_tree(n: usize) -> MemoryTree {
        let mut t = MemoryTree::new(HashAlg::Sha256);
        for l in &ct_leaves()[..n] {
            t.push(l);
        }
        t
    }

    fn h(s: &str) -> Hash {
        Hash::from_hex(s).unwrap()
    }

    #[test]
    fn ct_roots_for_one_to_eight_leaves() {
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let t = ct_tree(8);
        for (i, expected) in roots.iter().enumerate() {
            assert_eq!(t.root_at(i as u64 + 1).unwrap(), h(expected), "root of {} leaves", i + 1);
        }
        // RFC 9162 §2.1.1: the empty tree's head is the hash of the empty string.
        assert_eq!(t.root_at(0).unwrap(), h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    #[test]
    fn ct_inclusion_proofs() {
        // (leaf index, tree size, path) from the CT test vectors.
        let cases: &[(u64, u64, &[&str])] = &[
            (0, 1, &[]),
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let t = ct_tree(8);
        let leaves = ct_leaves();
        for &(index, size, path) in cases {
            let proof = t.inclusion_proof(index, size).unwrap();
            let expected: Vec<Hash> = path.iter().map(|s| h(s)).collect();
            assert_eq!(proof, expected, "PATH({index}, D[{size}])");
            let leaf = HashAlg::Sha256.leaf(&leaves[index as usize]);
            assert!(verify_inclusion(HashAlg::Sha256, index, size, &leaf, &proof, &t.root_at(size).unwrap()));
        }
    }

    #[test]
    fn ct_consistency_proofs() {
        let cases: &[(u64, u64, &[&str])] = &[
            (1, 1, &[]),
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        let t = ct_tree(8);
        for &(first, second, path) in cases {
            let proof = t.consistency_proof(first, second).unwrap();
            let expected: Vec<Hash> = path.iter().map(|s| h(s)).collect();
            assert_eq!(proof, expected, "PROOF({first}, D[{second}])");
            assert!(verify_consistency(
                HashAlg::Sha256,
                first,
                second,
                &t.root_at(first).unwrap(),
                &t.root_at(second).unwrap(),
                &proof
            ));
        }
    }

    fn flip(h: &Hash, bit: usize) -> Hash {
        let mut x = *h;
        x.0[bit / 8] ^= 1 << (bit % 8);
        x
    }

    /// For random trees and positions every proof verifies, and any flipped bit in the proof,
    /// the leaf or the roots makes it fail.
    #[test]
    fn random_proofs_verify_and_any_flipped_bit_fails() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9162);
        for alg in [HashAlg::Sm3, HashAlg::Sha256] {
            let mut t = MemoryTree::new(alg);
            let mut leaves = Vec::new();
            for i in 0..300u32 {
                let entry = i.to_be_bytes().to_vec();
                t.push(&entry);
                leaves.push(alg.leaf(&entry));
            }
            for _ in 0..200 {
                let size = rng.gen_range(1..=t.size());
                let index = rng.gen_range(0..size);
                let root = t.root_at(size).unwrap();
                let proof = t.inclusion_proof(index, size).unwrap();
                assert!(verify_inclusion(alg, index, size, &leaves[index as usize], &proof, &root));
                assert!(!verify_inclusion(
                    alg,
                    index,
                    size,
                    &flip(&leaves[index as usize], rng.gen_range(0..256)),
                    &proof,
                    &root
                ));
                assert!(!verify_inclusion(
                    alg,
                    index,
                    size,
                    &leaves[index as usize],
                    &proof,
                    &flip(&root, rng.gen_range(0..256))
                ));
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    let at = rng.gen_range(0..bad.len());
                    bad[at] = flip(&bad[at], rng.gen_range(0..256));
                    assert!(!verify_inclusion(alg, index, size, &leaves[index as usize], &bad, &root));
                    assert!(
                        !verify_inclusion(alg, index, size, &leaves[index as usize], &proof[1..], &root),
                        "short proof"
                    );
                }
                if size > 1 {
                    let other = (index + 1) % size;
                    assert!(!verify_inclusion(alg, other, size, &leaves[index as usize], &proof, &root), "wrong index");
                }

                let second = rng.gen_range(1..=t.size());
                let first = rng.gen_range(1..=second);
                let (r1, r2) = (t.root_at(first).unwrap(), t.root_at(second).unwrap());
                let proof = t.consistency_proof(first, second).unwrap();
                assert!(verify_consistency(alg, first, second, &r1, &r2, &proof), "{first} {second}");
                assert!(!verify_consistency(alg, first, second, &flip(&r1, rng.gen_range(0..256)), &r2, &proof));
                assert!(!verify_consistency(alg, first, second, &r1, &flip(&r2, rng.gen_range(0..256)), &proof));
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    let at = rng.gen_range(0..bad.len());
                    bad[at] = flip(&bad[at], rng.gen_range(0..256));
                    assert!(!verify_consistency(alg, first, second, &r1, &r2, &bad));
                }
            }
        }
    }

    /// Proofs need only the planned nodes: a store fetching exactly those gives the same result.
    #[test]
    fn planned_nodes_suffice_and_are_logarithmic() {
        let mut t = MemoryTree::new(HashAlg::Sm3);
        for i in 0..1000u32 {
            t.push(&i.to_le_bytes());
        }
        let pick = |ids: Vec<NodeId>| -> Nodes { ids.into_iter().map(|id| (id, t.nodes()[&id])).collect() };
        for (index, size) in [(0, 1000), (999, 1000), (513, 777), (511, 512), (3, 5)] {
            let plan = inclusion_nodes(index, size).unwrap();
            assert!(plan.len() <= 2 * 10, "{} nodes for size {size}", plan.len());
            let got = inclusion_proof(HashAlg::Sm3, index, size, &pick(plan)).unwrap();
            assert_eq!(got, t.inclusion_proof(index, size).unwrap());
        }
        for (first, second) in [(1, 1000), (500, 1000), (999, 1000), (512, 513)] {
            let plan = consistency_nodes(first, second).unwrap();
            let got = consistency_proof(HashAlg::Sm3, first, second, &pick(plan)).unwrap();
            assert_eq!(got, t.consistency_proof(first, second).unwrap());
        }
        let plan = root_nodes(1000);
        assert_eq!(plan.len(), 1000u64.count_ones() as usize);
        assert_eq!(root(HashAlg::Sm3, 1000, &pick(plan)).unwrap(), t.root());
        // A missing node is named, not a panic.
        assert!(matches!(root(HashAlg::Sm3, 1000, &Nodes::new()), Err(ProofError::MissingNode(_))));
        assert!(matches!(inclusion_nodes(5, 5), Err(ProofError::IndexOutOfRange { .. })));
        assert!(matches!(consistency_nodes(0, 5), Err(ProofError::BadSizes { .. })));
    }

    /// The level tree built from blocks (aligned or not) and leaf by leaf holds exactly the
    /// memory tree's nodes and heads.
    #[test]
    fn level_tree_agrees_with_the_memory_tree() {
        let alg = HashAlg::Sm3;
        let leaves: Vec<Hash> = (0..300u32).map(|i| alg.leaf(&i.to_be_bytes())).collect();
        let mut model = MemoryTree::new(alg);
        leaves.iter().for_each(|l| model.push_hash(*l));
        for block in [1usize, 3, 8, 64, 300] {
            let mut tree = LevelTree::new(alg);
            for chunk in leaves.chunks(block) {
                tree.append_block(block_levels(alg, chunk.to_vec()));
            }
            assert_eq!(tree.size(), 300);
            assert_eq!(tree.node_count(), model.nodes().len() as u64, "block {block}");
            for (id, hash) in model.nodes() {
                assert_eq!(tree.get(*id), Some(hash), "block {block}: {id:?}");
            }
            for size in [0, 1, 2, 5, 64, 255, 256, 300] {
                assert_eq!(tree.root_at(size), model.root_at(size), "block {block}, size {size}");
            }
            assert!(tree.root_at(301).is_err());
        }
    }
}
