//! The transfer of one sequence to the regulator (网络传输), both ends' formats and checks.
//!
//! The sequence's files, in the manifest's order, are one stream cut into chunks
//! ([`CHUNK_SIZE`]). Each chunk is sealed with SM4-GCM under a key made for this transfer,
//! its nonce the transfer's 4-byte prefix ‖ the chunk's index (8 bytes, big-endian), its
//! additional data the transfer id ‖ the index, so a chunk cannot be replayed in another place
//! or transfer. The key travels SM2-encrypted to the receiver's published key (GB/T 32918.4)
//! inside the manifest, which lists every file's size and SM3, every chunk's SM3 and the SM3 of
//! the whole stream, and is signed with the sender's SM2 key over its RFC 8785 form. The
//! receiver opens each chunk (GCM tag), checks its SM3 against the manifest, keeps it, and
//! answers with acknowledgements signed by its own key: level 1 received intact (the SM3 of the
//! whole package it rebuilt), level 2 queued with the official receipt time and number, level 3
//! the validation report.

use crate::validate::Report;
use serde::{Deserialize, Serialize};
use sm3::{Digest, Sm3};
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use yaolian_core::ValidationError;
use yaolian_ledger::sign::{self, KeyPair};

/// The manifest's and acknowledgements' format.
pub const FORMAT: &str = "yaolian-ectd-transfer/1";
/// Bytes per chunk (the last one is shorter).
pub const CHUNK_SIZE: u64 = 4 * 1024 * 1024;
/// The largest chunk a receiver accepts: 16 MiB.
pub const MAX_CHUNK_SIZE: u64 = 16 * 1024 * 1024;
/// The smallest chunk size a manifest may name: 64 KiB (each chunk costs the receiver a
/// request, a row and a write).
pub const MIN_CHUNK_SIZE: u64 = 64 * 1024;
/// The largest package sent online: under 10 GB (CDE: larger packages go on media).
pub const MAX_PACKAGE_BYTES: u64 = 10_000_000_000;
/// Files one sequence may hold.
pub const MAX_FILES: usize = 100_000;
/// GCM's tag after each chunk's ciphertext.
pub const TAG_BYTES: u64 = 16;

/// One file of the sequence, its path relative to the application folder (`0001/index.xml`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// SM3, lowercase hex.
    pub sm3: String,
}

/// What the sender promises: the files, the chunks and the whole, and the sealed key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Manifest {
    pub format: String,
    /// 32 hex digits the sender draws.
    pub transfer_id: String,
    /// The application number (受理号 / 申请编号), the folder the sequences sit in.
    pub application: String,
    /// The sequence number, 4 digits.
    pub sequence: String,
    pub chunk_size: u64,
    pub total_bytes: u64,
    pub files: Vec<FileEntry>,
    /// SM3 of each chunk's plain bytes, lowercase hex, in order.
    pub chunks: Vec<String>,
    /// SM3 of the whole stream (every file in order).
    pub package_sm3: String,
    /// The SM4 key, SM2-encrypted (C1 ‖ C3 ‖ C2) to the receiver's key, hex.
    pub sealed_key: String,
    /// The receiver's encryption key it was sealed to.
    pub receiver_key_id: String,
    /// The nonces' first 4 bytes, hex.
    pub nonce_prefix: String,
    /// The sender's SM2 signing key, SubjectPublicKeyInfo PEM.
    pub sender_public_pem: String,
    /// UTC milliseconds.
    pub created_at: i64,
}

/// A manifest with the sender's SM2 signature (DER, hex) over its canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub signature: String,
}

/// A receiver's signed answer (回执).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Acknowledgement {
    pub format: String,
    pub transfer_id: String,
    /// 1 received intact (接收完整), 2 accepted into the queue (受理排队), 3 validated (技术审核).
    pub level: u8,
    /// SM3 of the manifest's canonical form: which promise this answers.
    pub manifest_sm3: String,
    /// SM3 of the whole package as the receiver rebuilt it.
    pub package_sm3: String,
    /// Level 2 on: the official receipt number and time (UTC milliseconds).
    pub receipt_number: Option<String>,
    pub received_at: Option<i64>,
    /// Level 3: the validation's counts and the SM3 of its JSON report.
    pub errors: Option<u64>,
    pub warnings: Option<u64>,
    pub report_sm3: Option<String>,
    pub at: i64,
    /// The receiver's SM2 signing key, PEM.
    pub receiver_public_pem: String,
    /// SM2 signature over the canonical form with this field empty, DER hex.
    pub signature: String,
}

fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    let v = serde_json::to_value(value).unwrap_or_default();
    yaolian_ledger::entry::canonical_json(&v)
}

/// SM3 of `bytes`, lowercase hex.
pub fn sm3_hex(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A path a receiver may write under its folder: relative, '/'-separated names of printable
/// characters, no `.` or `..`, at most 256 bytes.
fn safe_path(path: &str) -> bool {
    path.len() <= 256
        && !path.starts_with('/')
        && path.split('/').all(|n| {
            !n.is_empty() && n != "." && n != ".." && n.chars().all(|c| !c.is_control() && c != '\\' && c != ':')
        })
}

impl Manifest {
    /// RFC 8785 canonical JSON: what is signed and hashed.
    pub fn canonical(&self) -> Vec<u8> {
        canonical(self)
    }

    pub fn sm3(&self) -> String {
        sm3_hex(&self.canonical())
    }

    /// Bytes of chunk `i`.
    pub fn chunk_len(&self, i: u64) -> u64 {
        let start = i.saturating_mul(self.chunk_size);
        self.total_bytes.saturating_sub(start).min(self.chunk_size)
    }

    pub fn chunk_count(&self) -> u64 {
        self.chunks.len() as u64
    }

    pub fn nonce(&self, i: u64) -> [u8; 12] {
        let mut n = [0u8; 12];
        let prefix = hex::decode(&self.nonce_prefix).unwrap_or_default();
        for (d, s) in n.iter_mut().zip(prefix.iter().take(4)) {
            *d = *s;
        }
        n[4..].copy_from_slice(&i.to_be_bytes());
        n
    }

    pub fn aad(&self, i: u64) -> Vec<u8> {
        let mut a = self.transfer_id.as_bytes().to_vec();
        a.extend_from_slice(&i.to_be_bytes());
        a
    }

    /// Every field within its form and limit, and the figures consistent with each other.
    pub fn check(&self) -> Result<(), ValidationError> {
        if self.format != FORMAT {
            return Err(ValidationError::single("manifest.format", "format", format!("expected {FORMAT}")));
        }
        if !is_hex(&self.transfer_id, 32) {
            return Err(ValidationError::single("manifest.transfer_id", "hex32", "32 lowercase hex digits"));
        }
        if !crate::regional::is_application_id(&self.application) {
            return Err(ValidationError::single(
                "manifest.application",
                "application_id",
                "an application number such as x202612345",
            ));
        }
        if self.sequence.len() != 4 || !self.sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::single("manifest.sequence", "sequence", "4 digits"));
        }
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&self.chunk_size) {
            return Err(ValidationError::single(
                "manifest.chunk_size",
                format!("range:{MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}"),
                "chunk size out of range",
            ));
        }
        if self.total_bytes == 0 || self.total_bytes > MAX_PACKAGE_BYTES {
            return Err(ValidationError::single(
                "manifest.total_bytes",
                format!("max:{MAX_PACKAGE_BYTES}"),
                "packages online are under 10 GB",
            ));
        }
        if self.files.is_empty() || self.files.len() > MAX_FILES {
            return Err(ValidationError::single(
                "manifest.files",
                format!("count:1..={MAX_FILES}"),
                "file count out of range",
            ));
        }
        let mut sum = 0u64;
        let mut seen = std::collections::HashSet::new();
        for (i, f) in self.files.iter().enumerate() {
            let field = format!("manifest.files[{i}]");
            if !safe_path(&f.path) || !f.path.starts_with(&format!("{}/", self.sequence)) {
                return Err(ValidationError::single(&field, "path", "a relative path inside the sequence's folder"));
            }
            if !seen.insert(f.path.as_str()) {
                return Err(ValidationError::single(&field, "unique", "the path is listed twice"));
            }
            if !is_hex(&f.sm3, 64) {
                return Err(ValidationError::single(&field, "sm3", "64 lowercase hex digits"));
            }
            sum = sum.saturating_add(f.size);
        }
        if sum != self.total_bytes {
            return Err(ValidationError::single("manifest.total_bytes", "sum", "not the sum of the files' sizes"));
        }
        if self.chunk_count() != self.total_bytes.div_ceil(self.chunk_size) {
            return Err(ValidationError::single("manifest.chunks", "count", "one hash per chunk of chunk_size bytes"));
        }
        if let Some(i) = self.chunks.iter().position(|h| !is_hex(h, 64)) {
            return Err(ValidationError::single(format!("manifest.chunks[{i}]"), "sm3", "64 lowercase hex digits"));
        }
        if !is_hex(&self.package_sm3, 64) {
            return Err(ValidationError::single("manifest.package_sm3", "sm3", "64 lowercase hex digits"));
        }
        if !is_hex(&self.nonce_prefix, 8) {
            return Err(ValidationError::single("manifest.nonce_prefix", "hex8", "8 lowercase hex digits"));
        }
        if self.sealed_key.len() > 512 || hex::decode(&self.sealed_key).is_err() {
            return Err(ValidationError::single("manifest.sealed_key", "hex", "the SM2-encrypted key, hex"));
        }
        Ok(())
    }
}

impl SignedManifest {
    /// The manifest checked and its signature verified with the key it names.
    pub fn verify(&self) -> Result<(), ValidationError> {
        self.manifest.check()?;
        let der = hex::decode(&self.signature)
            .map_err(|_| ValidationError::single("signature", "hex", "DER signature, hex"))?;
        match sign::verify(&self.manifest.sender_public_pem, &self.manifest.canonical(), &der) {
            Ok(true) => Ok(()),
            Ok(false) => Err(ValidationError::single("signature", "sm2", "the signature does not match the manifest")),
            Err(e) => Err(ValidationError::single("manifest.sender_public_pem", "sm2_key", e.to_string())),
        }
    }
}

impl Acknowledgement {
    fn message(&self) -> Vec<u8> {
        canonical(&Acknowledgement { signature: String::new(), ..self.clone() })
    }

    /// Signs with the receiver's key (setting `receiver_public_pem` and `signature`).
    pub fn signed(mut self, key: &KeyPair) -> Acknowledgement {
        self.receiver_public_pem = key.public_pem();
        self.signature = hex::encode(key.sign(&self.message()));
        self
    }

    /// The signature checks with the key the sender trusts for this receiver.
    pub fn verify(&self, receiver_public_pem: &str) -> bool {
        self.receiver_public_pem.trim() == receiver_public_pem.trim()
            && hex::decode(&self.signature)
                .ok()
                .is_some_and(|der| sign::verify(receiver_public_pem, &self.message(), &der).unwrap_or(false))
    }
}

/// Why a chunk was refused: the receiver says which, the sender sends it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFault {
    /// No such chunk or the wrong length.
    Shape,
    /// The GCM tag does not open (a changed byte on the way).
    Tag,
    /// Opened, but not the bytes the manifest's SM3 promises.
    Hash,
}

impl ChunkFault {
    pub fn rule(self) -> &'static str {
        match self {
            ChunkFault::Shape => "length",
            ChunkFault::Tag => "sm4_gcm_tag",
            ChunkFault::Hash => "sm3",
        }
    }
}

/// Opens chunk `i` with the transfer's key and checks it against the manifest.
pub fn open_chunk(m: &Manifest, key: &[u8; 16], i: u64, sealed: &[u8]) -> Result<Vec<u8>, ChunkFault> {
    if i >= m.chunk_count() || sealed.len() as u64 != m.chunk_len(i) + TAG_BYTES {
        return Err(ChunkFault::Shape);
    }
    let plain = sign::sm4_gcm_open(key, &m.nonce(i), &m.aad(i), sealed).map_err(|_| ChunkFault::Tag)?;
    if sm3_hex(&plain) != m.chunks[i as usize] {
        return Err(ChunkFault::Hash);
    }
    Ok(plain)
}

/// The transfer's SM4 key from the manifest, with the receiver's encryption key.
pub fn open_key(m: &Manifest, receiver: &KeyPair) -> Result<[u8; 16], ValidationError> {
    let sealed =
        hex::decode(&m.sealed_key).map_err(|_| ValidationError::single("manifest.sealed_key", "hex", "not hex"))?;
    let key = receiver
        .decrypt(&sealed)
        .map_err(|_| ValidationError::single("manifest.sealed_key", "sm2", "not sealed to this receiver's key"))?;
    key.try_into().map_err(|_| ValidationError::single("manifest.sealed_key", "sm4_key", "not a 128-bit key"))
}

/// A sequence ready to send: its manifest, the signature, and the way to read its chunks.
pub struct Outgoing {
    pub signed: SignedManifest,
    key: [u8; 16],
    root: PathBuf,
    /// Where each file starts in the stream.
    starts: Vec<u64>,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing").field("transfer_id", &self.signed.manifest.transfer_id).finish_non_exhaustive()
    }
}

/// The regular files under `dir`, '/'-separated paths relative to it, sorted; a link, FIFO
/// or device is refused.
pub fn files_under(dir: &Path) -> std::io::Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            let name = e.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let t = e.file_type()?;
            if t.is_dir() {
                stack.push((e.path(), path));
            } else if t.is_file() {
                out.push((path, e.metadata()?.len()));
            } else {
                return Err(std::io::Error::other(format!("{path} is not a regular file")));
            }
            if out.len() > MAX_FILES {
                return Err(std::io::Error::other(format!("more than {MAX_FILES} files")));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What one pass over a sequence folder gives: its names, every file's size and SM3, every
/// chunk's SM3, the whole stream's SM3, and where each file starts in the stream.
struct Digested {
    application: String,
    sequence: String,
    total: u64,
    files: Vec<FileEntry>,
    chunks: Vec<String>,
    package_sm3: String,
    starts: Vec<u64>,
}

/// The application number and sequence number a sequence folder stands for: its parent's name
/// and its own.
pub fn names(sequence_dir: &Path) -> Result<(String, String), ValidationError> {
    let full =
        sequence_dir.canonicalize().map_err(|e| ValidationError::single("package", "readable", e.to_string()))?;
    let name = |p: &Path| p.file_name().map(|s| s.to_string_lossy().into_owned());
    match (full.parent().and_then(name), name(&full)) {
        (Some(application), Some(sequence)) => Ok((application, sequence)),
        _ => Err(ValidationError::single("package", "folder", "a sequence folder inside its application's folder")),
    }
}

/// Reads every file of the sequence folder once, hashing files, chunks and the whole.
fn digest(sequence_dir: &Path, chunk_size: u64) -> Result<Digested, ValidationError> {
    let io = |e: std::io::Error| ValidationError::single("package", "readable", e.to_string());
    let (application, sequence) = names(sequence_dir)?;
    let listed = files_under(sequence_dir).map_err(io)?;
    let mut files = Vec::with_capacity(listed.len());
    let mut starts = Vec::with_capacity(listed.len());
    let mut chunks = Vec::new();
    let mut whole = Sm3::new();
    let mut chunk = Sm3::new();
    let mut in_chunk = 0u64;
    let mut total = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    for (rel, _) in &listed {
        let mut f = std::fs::File::open(sequence_dir.join(rel)).map_err(io)?;
        let mut h = Sm3::new();
        let mut size = 0u64;
        starts.push(total);
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            let mut part = &buf[..n];
            h.update(part);
            whole.update(part);
            while !part.is_empty() {
                let take = ((chunk_size - in_chunk) as usize).min(part.len());
                chunk.update(&part[..take]);
                in_chunk += take as u64;
                part = &part[take..];
                if in_chunk == chunk_size {
                    chunks.push(hex::encode(std::mem::take(&mut chunk).finalize()));
                    in_chunk = 0;
                }
            }
            size += n as u64;
        }
        total += size;
        files.push(FileEntry { path: format!("{sequence}/{rel}"), size, sm3: hex::encode(h.finalize()) });
    }
    if in_chunk > 0 {
        chunks.push(hex::encode(chunk.finalize()));
    }
    Ok(Digested { application, sequence, total, files, chunks, package_sm3: hex::encode(whole.finalize()), starts })
}

/// Reads the sequence folder `sequence_dir` (its name is the sequence number; its parent's
/// the application number), hashes every file and chunk in one pass, seals a fresh key to the
/// receiver and signs the manifest.
pub fn prepare(
    sequence_dir: &Path,
    receiver: (&str, &str),
    sender: &KeyPair,
    chunk_size: u64,
) -> Result<Outgoing, ValidationError> {
    if chunk_size == 0 {
        return Err(ValidationError::single("chunk_size", format!("min:{MIN_CHUNK_SIZE}"), "chunk size out of range"));
    }
    let d = digest(sequence_dir, chunk_size)?;
    let (receiver_key_id, receiver_pem) = receiver;
    let mut key = [0u8; 16];
    let mut prefix = [0u8; 4];
    let mut id = [0u8; 16];
    for b in [&mut key[..], &mut prefix[..], &mut id[..]] {
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, b);
    }
    let sealed_key = yaolian_ledger::pke::encrypt_to_pem(receiver_pem, &key)
        .map_err(|e| ValidationError::single("receiver.public_pem", "sm2_key", e.to_string()))?;
    let manifest = Manifest {
        format: FORMAT.into(),
        transfer_id: hex::encode(id),
        application: d.application,
        sequence: d.sequence,
        chunk_size,
        total_bytes: d.total,
        files: d.files,
        chunks: d.chunks,
        package_sm3: d.package_sm3,
        sealed_key: hex::encode(sealed_key),
        receiver_key_id: receiver_key_id.into(),
        nonce_prefix: hex::encode(prefix),
        sender_public_pem: sender.public_pem(),
        created_at: yaolian_core::Timestamp::now().0,
    };
    manifest.check()?;
    let signature = hex::encode(sender.sign(&manifest.canonical()));
    Ok(Outgoing {
        signed: SignedManifest { manifest, signature },
        key,
        root: sequence_dir.to_path_buf(),
        starts: d.starts,
    })
}

impl Outgoing {
    pub fn manifest(&self) -> &Manifest {
        &self.signed.manifest
    }

    /// The transfer's SM4 key, for the sender to keep sealed and resume with.
    pub fn key(&self) -> &[u8; 16] {
        &self.key
    }

    /// A transfer begun before (its signed manifest and key, kept by the sender) resumed from
    /// `sequence_dir`, which must still hold exactly the files the manifest lists.
    pub fn resume(sequence_dir: &Path, signed: SignedManifest, key: [u8; 16]) -> Result<Outgoing, ValidationError> {
        let m = &signed.manifest;
        let d = digest(sequence_dir, m.chunk_size)?;
        if (d.application.as_str(), d.sequence.as_str()) != (m.application.as_str(), m.sequence.as_str())
            || d.files != m.files
            || d.chunks != m.chunks
            || d.package_sm3 != m.package_sm3
        {
            return Err(ValidationError::single(
                "package",
                "unchanged",
                format!(
                    "the sequence changed since transfer {} began; cancel it to send the sequence anew",
                    m.transfer_id
                ),
            ));
        }
        Ok(Outgoing { signed, key, root: sequence_dir.to_path_buf(), starts: d.starts })
    }

    /// Chunk `i` read from the files and sealed.
    pub fn sealed_chunk(&self, i: u64) -> std::io::Result<Vec<u8>> {
        use std::io::{Seek, SeekFrom};
        let m = self.manifest();
        let start = i * m.chunk_size;
        let len = m.chunk_len(i);
        let mut plain = Vec::with_capacity(len as usize);
        let mut f = self.starts.partition_point(|s| *s <= start).saturating_sub(1);
        let mut at = start;
        while (plain.len() as u64) < len && f < m.files.len() {
            let entry = &m.files[f];
            let within = at - self.starts[f];
            let want = (entry.size - within).min(len - plain.len() as u64);
            if want > 0 {
                let rel = entry.path.split_once('/').map(|(_, r)| r).unwrap_or(&entry.path);
                let mut file = std::fs::File::open(self.root.join(rel))?;
                file.seek(SeekFrom::Start(within))?;
                let before = plain.len();
                (&mut file).take(want).read_to_end(&mut plain)?;
                if (plain.len() - before) as u64 != want {
                    return Err(std::io::Error::other(format!("{} changed while being sent", entry.path)));
                }
                at += want;
            }
            f += 1;
        }
        Ok(sign::sm4_gcm_seal(&self.key, &m.nonce(i), &m.aad(i), &plain))
    }
}

/// Splits the received stream `part` (every chunk in place) into the manifest's files under
/// `app_dir`, checking each file's SM3; returns the SM3 of the whole stream.
pub fn unpack(m: &Manifest, part: &Path, app_dir: &Path) -> Result<String, ValidationError> {
    let io = |e: std::io::Error| ValidationError::single("package", "writable", e.to_string());
    let mut input = std::fs::File::open(part).map_err(io)?;
    let mut whole = Sm3::new();
    let mut buf = vec![0u8; 1 << 20];
    for (i, f) in m.files.iter().enumerate() {
        let rel: PathBuf = f.path.split('/').collect();
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(ValidationError::single(format!("manifest.files[{i}]"), "path", "not a plain relative path"));
        }
        let target = app_dir.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut out = std::fs::File::create(&target).map_err(io)?;
        let mut h = Sm3::new();
        let mut left = f.size;
        while left > 0 {
            let n = (left as usize).min(buf.len());
            input.read_exact(&mut buf[..n]).map_err(io)?;
            h.update(&buf[..n]);
            whole.update(&buf[..n]);
            std::io::Write::write_all(&mut out, &buf[..n]).map_err(io)?;
            left -= n as u64;
        }
        if hex::encode(h.finalize()) != f.sm3 {
            return Err(ValidationError::single(
                format!("manifest.files[{i}]"),
                "sm3",
                format!("{} does not match its SM3", f.path),
            ));
        }
        out.sync_all().map_err(io)?;
    }
    // Every folder's entries made durable too, deepest first.
    let mut dirs: Vec<PathBuf> = m
        .files
        .iter()
        .flat_map(|f| {
            let file = app_dir.join(&f.path);
            file.ancestors().skip(1).take_while(|d| d.starts_with(app_dir)).map(Path::to_path_buf).collect::<Vec<_>>()
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs.iter().rev() {
        sync_dir(d).map_err(io)?;
    }
    Ok(hex::encode(whole.finalize()))
}

/// Makes a folder's entries (files made, renamed or removed in it) durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// A level-3 acknowledgement's figures from a validation report: errors, warnings and the SM3
/// of the report's JSON.
pub fn report_figures(report: &Report) -> (u64, u64, String) {
    let json = serde_json::to_vec(report).unwrap_or_default();
    (report.errors as u64, report.warnings as u64, sm3_hex(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sequence_goes_through_chunk_by_chunk_and_comes_out_the_same() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let app = tmp.path().join("x202612345");
        let built = crate::package::write(&app, &crate::samples::large_sequence(5, 500_000));
        built.unwrap_or_else(|e| panic!("{e}"));
        let receiver = KeyPair::generate();
        let sender = KeyPair::generate();
        // The smallest chunk size, so that chunks straddle files.
        let out = prepare(&app.join("0000"), ("rk", &receiver.public_pem()), &sender, MIN_CHUNK_SIZE)
            .unwrap_or_else(|e| panic!("{e}"));
        let m = out.manifest().clone();
        assert_eq!((m.application.as_str(), m.sequence.as_str()), ("x202612345", "0000"));
        assert!(m.files.iter().any(|f| f.size > MIN_CHUNK_SIZE));
        // Below the floor, a manifest is refused.
        let small = Manifest { chunk_size: MIN_CHUNK_SIZE - 1, ..m.clone() };
        assert_eq!(small.check().err().map(|e| e.errors[0].field.clone()), Some("manifest.chunk_size".into()));
        assert!(out.signed.verify().is_ok());
        assert!(m.chunk_count() > 3);
        let key = open_key(&m, &receiver).unwrap_or_else(|e| panic!("{e}"));
        let part = tmp.path().join("part");
        let mut stream = Vec::new();
        for i in 0..m.chunk_count() {
            let sealed = out.sealed_chunk(i).unwrap_or_else(|e| panic!("{e}"));
            stream.extend(open_chunk(&m, &key, i, &sealed).unwrap_or_else(|e| panic!("{e:?}")));
        }
        std::fs::write(&part, &stream).unwrap_or_else(|e| panic!("{e}"));
        let dest = tmp.path().join("received").join("x202612345");
        assert_eq!(unpack(&m, &part, &dest).as_deref(), Ok(m.package_sm3.as_str()));
        let original = std::fs::read(app.join("0000/index.xml")).unwrap_or_default();
        assert_eq!(std::fs::read(dest.join("0000/index.xml")).unwrap_or_default(), original);

        // A flipped byte, a chunk in another place, another receiver: each refused.
        let mut sealed = out.sealed_chunk(1).unwrap_or_default();
        sealed[5] ^= 1;
        assert_eq!(open_chunk(&m, &key, 1, &sealed), Err(ChunkFault::Tag));
        let other = out.sealed_chunk(2).unwrap_or_default();
        assert_eq!(open_chunk(&m, &key, 1, &other), Err(ChunkFault::Tag));
        assert_eq!(open_chunk(&m, &key, 1, &other[..10]), Err(ChunkFault::Shape));
        assert!(open_key(&m, &KeyPair::generate()).is_err());
        // A manifest changed after signing.
        let mut forged = out.signed.clone();
        forged.manifest.files[0].size += 1;
        forged.manifest.total_bytes += 1;
        assert_eq!(forged.verify().err().map(|e| e.errors[0].rule.clone()), Some("sm2".into()));
        let mut escape = out.signed.clone();
        escape.manifest.files[0].path = "0000/../../etc/passwd".into();
        assert_eq!(escape.verify().err().map(|e| e.errors[0].rule.clone()), Some("path".into()));
    }

    #[test]
    fn acknowledgements_are_signed_by_the_receiver() {
        let receiver = KeyPair::generate();
        let ack = Acknowledgement {
            format: FORMAT.into(),
            transfer_id: "0".repeat(32),
            level: 1,
            manifest_sm3: "a".repeat(64),
            package_sm3: "b".repeat(64),
            receipt_number: None,
            received_at: None,
            errors: None,
            warnings: None,
            report_sm3: None,
            at: 1,
            receiver_public_pem: String::new(),
            signature: String::new(),
        }
        .signed(&receiver);
        assert!(ack.verify(&receiver.public_pem()));
        assert!(!ack.verify(&KeyPair::generate().public_pem()));
        let changed = Acknowledgement { package_sm3: "c".repeat(64), ..ack };
        assert!(!changed.verify(&receiver.public_pem()));
    }
}
