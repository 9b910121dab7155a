//! Transfers in the database, at both ends (电子申报网络传输).
//!
//! The receiver (the regulator's yaolian) takes a signed manifest from a company's account
//! ([`open`]), its sealed chunks in any order and any number of times ([`put_chunk`]; a chunk
//! whose tag or SM3 fails is refused naming the rule, and sent again), and when every chunk is
//! in ([`complete`]) rebuilds the sequence's files, checks each file's and the whole package's
//! SM3, and answers with three signed acknowledgements, each a step of its record: level 1
//! received intact, level 2 queued with the official receipt number and time, level 3 the
//! validation report. The sender ([`send`]) keeps its own record of the same transfer: the
//! manifest it signed and each acknowledgement it checked, so either side can prove what was
//! sent and received. A cut connection is resumed by asking the receiver which chunks it is
//! missing.

use crate::error::{invalid, Result, SubmissionError};
use crate::transfer::{self, Acknowledgement, Manifest, SignedManifest, FORMAT};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_ledger::sign::{KeyPair, Sealing};
use yaolian_records::step::{self, Step};
use yaolian_store::sql::Value;
use yaolian_store::Store;

/// The record kind of a transfer's versions.
pub const ENTITY: &str = "submission_transfer";

/// Transfers one applicant may have arriving at once: each reserves its package's length on
/// the receiver's disk.
pub const MAX_OPEN_PER_ORG: i64 = 4;

/// A transfer's states, with their Chinese names.
pub const STATUSES: &[(&str, &str)] = &[
    ("sending", "发送中"),
    ("receiving", "接收中"),
    ("received", "已完整接收"),
    ("queued", "已受理排队"),
    ("validated", "已完成技术审核"),
    ("cancelled", "已撤回"),
    ("refused", "被拒收"),
];

/// One side's record of a transfer.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transfer {
    pub id: i64,
    /// `sent` (the applicant's record) or `received` (the regulator's).
    pub side: String,
    pub transfer_id: String,
    pub org_id: i64,
    pub application: String,
    pub sequence: String,
    pub status: String,
    pub manifest_sm3: String,
    pub total_bytes: i64,
    pub chunk_count: i64,
    pub chunks_received: i64,
    /// Chunks the receiver does not hold yet (while receiving).
    pub missing: Vec<u64>,
    pub package_sm3: String,
    pub receipt_number: String,
    /// The official receipt time, UTC milliseconds.
    pub received_at: Option<i64>,
    pub errors: Option<i64>,
    pub warnings: Option<i64>,
    pub acks: Vec<Acknowledgement>,
    pub created_at: i64,
    pub version: i64,
}

/// What a sender needs to know of a receiver.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiverInfo {
    pub format: String,
    /// The SM2 key transfers' SM4 keys are sealed to.
    pub encryption_key_id: String,
    pub encryption_public_pem: String,
    /// The SM2 key that signs acknowledgements (the site's signing key).
    pub signing_public_pem: String,
    /// The signing key's SM2 signature (DER, hex) over [`ReceiverInfo::key_statement`]: a
    /// sender that pins the signing key trusts the encryption key through it.
    pub encryption_key_signature: String,
    pub chunk_size: u64,
    pub max_package_bytes: u64,
}

/// What a chunk's receipt answers.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChunkReceipt {
    pub index: u64,
    pub chunks_received: i64,
    pub chunk_count: i64,
}

impl ReceiverInfo {
    /// What the signing key signs of the encryption key: the format, its id and its PEM.
    pub fn key_statement(&self) -> Vec<u8> {
        format!("{}\n{}\n{}", self.format, self.encryption_key_id, self.encryption_public_pem).into_bytes()
    }

    /// The signing key's id (SM3 of its PEM), as a sender pins it.
    pub fn signing_key_id(&self) -> String {
        yaolian_store::ledger::key_id(&self.signing_public_pem)
    }
}

/// The receiver's means: where packages go, the sealing key that opens its encryption key,
/// and the key that signs its acknowledgements.
pub struct Receiver<'a> {
    pub dir: &'a Path,
    pub sealing: &'a Sealing,
    /// `None` when the site runs without its signing key: nothing can be acknowledged.
    pub signer: Option<&'a KeyPair>,
}

impl Receiver<'_> {
    fn signer(&self) -> Result<&KeyPair> {
        self.signer.ok_or(SubmissionError::NoSigningKey)
    }
}

const COLUMNS: &str = "t.id, t.side, t.transfer_id, t.org_id, t.application, t.sequence, t.status, t.manifest_sm3, \
     t.total_bytes, t.chunk_count, t.chunks_received, t.package_sm3, t.receipt_number, t.received_at, t.errors, \
     t.warnings, t.acks, t.created_at, t.version, o.path AS org_path";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Transfer> {
    let acks: String = r.try_get("acks")?;
    Ok(Transfer {
        id: r.try_get("id")?,
        side: r.try_get("side")?,
        transfer_id: r.try_get("transfer_id")?,
        org_id: r.try_get("org_id")?,
        application: r.try_get("application")?,
        sequence: r.try_get("sequence")?,
        status: r.try_get("status")?,
        manifest_sm3: r.try_get("manifest_sm3")?,
        total_bytes: r.try_get("total_bytes")?,
        chunk_count: r.try_get("chunk_count")?,
        chunks_received: r.try_get("chunks_received")?,
        missing: Vec::new(),
        package_sm3: r.try_get("package_sm3")?,
        receipt_number: r.try_get("receipt_number")?,
        received_at: r.try_get("received_at")?,
        errors: r.try_get("errors")?,
        warnings: r.try_get("warnings")?,
        acks: serde_json::from_str(&acks).unwrap_or_default(),
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

/// The after-image a version carries: everything but the running chunk count.
pub(crate) fn image(t: &Transfer) -> serde_json::Value {
    serde_json::json!({
        "side": t.side,
        "transfer_id": t.transfer_id,
        "org_id": t.org_id,
        "application": t.application,
        "sequence": t.sequence,
        "status": t.status,
        "manifest_sm3": t.manifest_sm3,
        "total_bytes": t.total_bytes,
        "chunk_count": t.chunk_count,
        "package_sm3": t.package_sm3,
        "receipt_number": t.receipt_number,
        "received_at": t.received_at,
        "errors": t.errors,
        "warnings": t.warnings,
        "acks": t.acks.iter().map(|a| transfer::sm3_hex(a.signature.as_bytes())).collect::<Vec<_>>(),
    })
}

/// Refused (and audited) unless the principal holds `permission`.
pub(crate) async fn require(
    store: &Store,
    principal: &Principal,
    permission: &str,
    target: &str,
    client: &ClientInfo,
) -> Result<()> {
    if principal.has(permission) {
        return Ok(());
    }
    Err(SubmissionError::Shared(audit::deny::<IdentityError>(store, principal, permission, target, client).await))
}

/// The row id of one side's record of `transfer_id`.
async fn find(store: &Store, side: &str, transfer_id: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM submission_transfers WHERE side = $1 AND transfer_id = $2")
        .bind(side)
        .bind(transfer_id)
        .fetch_optional(store.pool())
        .await?)
}

/// One side's row of `transfer_id`, if the principal holds `permission` in its organization;
/// not found otherwise (refusal audited). `missing` lists the chunks a receiving transfer
/// still lacks (a chunk's own call needs no list).
async fn load(
    store: &Store,
    principal: &Principal,
    permission: &str,
    (side, transfer_id): (&str, &str),
    missing: bool,
    client: &ClientInfo,
) -> Result<Transfer> {
    let id = find(store, side, transfer_id).await?.ok_or(IdentityError::NotFound("transfer"))?;
    let sql = format!("SELECT {COLUMNS} FROM submission_transfers t JOIN orgs o ON o.id = t.org_id WHERE t.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, permission, &sql, id, (ENTITY, "transfer"), client).await?;
    let mut t = from_row(&row)?;
    if missing && t.status == "receiving" {
        let have: Vec<i64> = sqlx::query_scalar("SELECT idx FROM submission_transfer_chunks WHERE transfer = $1")
            .bind(t.id)
            .fetch_all(store.pool())
            .await?;
        let have: std::collections::HashSet<i64> = have.into_iter().collect();
        t.missing = (0..t.chunk_count).filter(|i| !have.contains(i)).map(|i| i as u64).collect();
    }
    Ok(t)
}

/// The manifest a row holds.
async fn manifest_of(store: &Store, id: i64) -> Result<Manifest> {
    let text: String = sqlx::query_scalar("SELECT manifest FROM submission_transfers WHERE id = $1")
        .bind(id)
        .fetch_one(store.pool())
        .await?;
    serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))
}

/// The receiver's encryption key pair: the active one, made and stored sealed at first use.
pub async fn receiver_key(store: &Store, sealing: &Sealing) -> Result<(String, KeyPair)> {
    let row = sqlx::query(
        "SELECT key_id, sealed_private FROM submission_keys WHERE active = 1 ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    if let Some(row) = row {
        let id: String = row.try_get(0)?;
        let sealed: Vec<u8> = row.try_get(1)?;
        let key = unseal(&id, &sealed, sealing)?;
        return Ok((id, key));
    }
    let key = KeyPair::generate();
    let pem = key.public_pem();
    let id = yaolian_store::ledger::key_id(&pem);
    sqlx::query(
        "INSERT INTO submission_keys (key_id, public_pem, sealed_private, created_at, active) VALUES ($1, $2, $3, $4, 1)",
    )
    .bind(&id)
    .bind(&pem)
    .bind(key.seal(&sealing.0))
    .bind(Timestamp::now().0)
    .execute(store.pool())
    .await?;
    Ok((id, key))
}

fn unseal(id: &str, sealed: &[u8], sealing: &Sealing) -> Result<KeyPair> {
    KeyPair::unseal(sealed, &sealing.0).map_err(|e| corrupt(format!("submission key {id}: {e}")))
}

async fn key_by_id(store: &Store, sealing: &Sealing, key_id: &str) -> Result<KeyPair> {
    let sealed: Option<Vec<u8>> = sqlx::query_scalar("SELECT sealed_private FROM submission_keys WHERE key_id = $1")
        .bind(key_id)
        .fetch_optional(store.pool())
        .await?;
    let sealed = sealed
        .ok_or_else(|| invalid("manifest.receiver_key_id", "known_key", "not an encryption key of this receiver"))?;
    unseal(key_id, &sealed, sealing)
}

/// What a sender needs: the keys and the chunk size (`submission.send`).
pub async fn receiver_info(
    store: &Store,
    principal: &Principal,
    rx: &Receiver<'_>,
    client: &ClientInfo,
) -> Result<ReceiverInfo> {
    require(store, principal, perm::SUBMISSION_SEND, "submission_receiver", client).await?;
    let (id, key) = receiver_key(store, rx.sealing).await?;
    let signer = rx.signer()?;
    let mut info = ReceiverInfo {
        format: FORMAT.into(),
        encryption_key_id: id,
        encryption_public_pem: key.public_pem(),
        signing_public_pem: signer.public_pem(),
        encryption_key_signature: String::new(),
        chunk_size: transfer::CHUNK_SIZE,
        max_package_bytes: transfer::MAX_PACKAGE_BYTES,
    };
    info.encryption_key_signature = hex::encode(signer.sign(&info.key_statement()));
    Ok(info)
}

fn part_path(dir: &Path, id: i64) -> PathBuf {
    dir.join("incoming").join(format!("{id}.part"))
}

fn application_dir(dir: &Path, org_id: i64, application: &str) -> PathBuf {
    dir.join("received").join(org_id.to_string()).join(application)
}

/// Takes a signed manifest from the applicant's account (`submission.send`): checks it and its
/// signature, that it is sealed to this receiver, that the application number is not another
/// organization's and that the sequence was not received before (a unique index holds this
/// against racing manifests), and opens the transfer. The same manifest again answers the
/// transfer as it stands (a resumed sender).
pub async fn open(
    store: &Store,
    principal: &Principal,
    signed: &SignedManifest,
    rx: &Receiver<'_>,
    client: &ClientInfo,
) -> Result<Transfer> {
    require(store, principal, perm::SUBMISSION_SEND, "submission_transfer", client).await?;
    signed.verify()?;
    let m = &signed.manifest;
    let key = key_by_id(store, rx.sealing, &m.receiver_key_id).await?;
    transfer::open_key(m, &key)?;
    if find(store, "received", &m.transfer_id).await?.is_some() {
        return reopen(store, principal, signed, client).await;
    }
    let org_id = principal.org_id();
    let others: Option<i64> = sqlx::query_scalar(
        "SELECT org_id FROM submission_transfers WHERE application = $1 AND side = 'received' AND org_id <> $2 \
         AND status NOT IN ('cancelled', 'refused') LIMIT 1",
    )
    .bind(&m.application)
    .bind(org_id)
    .fetch_optional(store.pool())
    .await?;
    if others.is_some() {
        return Err(invalid("manifest.application", "applicant", "this application number is another applicant's"));
    }
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM submission_transfers WHERE org_id = $1 AND side = 'received' AND status = 'receiving'",
    )
    .bind(org_id)
    .fetch_one(store.pool())
    .await?;
    if open >= MAX_OPEN_PER_ORG {
        return Err(IdentityError::Conflict(format!(
            "{open} transfers of this applicant are still arriving; complete or cancel one first"
        ))
        .into());
    }
    let used = || SubmissionError::SequenceUsed { application: m.application.clone(), sequence: m.sequence.clone() };
    if application_dir(rx.dir, org_id, &m.application).join(&m.sequence).exists() {
        return Err(used());
    }
    let mut tx = store.begin().await?;
    let mut t = match insert(&mut tx, principal, ("received", "receiving", ""), signed, client).await {
        Ok(t) => t,
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            // The same manifest racing itself is answered; another one for the sequence is refused.
            return match find(store, "received", &m.transfer_id).await? {
                Some(_) => reopen(store, principal, signed, client).await,
                None => Err(used()),
            };
        }
        Err(e) => return Err(e),
    };
    t.missing = (0..m.chunk_count()).collect();
    // The stream's file, its full length reserved, before the row is visible.
    let part = part_path(rx.dir, t.id);
    let made = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(part.parent().unwrap_or(rx.dir))?;
        std::fs::File::create(&part)?.set_len(m.total_bytes)
    })();
    made.map_err(|e| invalid("package", "storage", format!("cannot make room for the package: {e}")))?;
    tx.commit().await?;
    Ok(t)
}

/// A transfer opened before, answered as it stands when `signed` is the manifest it was opened
/// with.
async fn reopen(
    store: &Store,
    principal: &Principal,
    signed: &SignedManifest,
    client: &ClientInfo,
) -> Result<Transfer> {
    let m = &signed.manifest;
    let t = load(store, principal, perm::SUBMISSION_SEND, ("received", &m.transfer_id), true, client).await?;
    if t.manifest_sm3 != m.sm3() {
        return Err(
            IdentityError::Conflict(format!("transfer {} was opened with another manifest", m.transfer_id)).into()
        );
    }
    Ok(t)
}

fn is_unique_violation(e: &SubmissionError) -> bool {
    matches!(e, SubmissionError::Shared(IdentityError::Store(s)) if s.is_unique_violation())
}

/// One side's record of a transfer opened with `signed`, in `tx`: the row and its first
/// version (`receive-manifest` at the receiver, `send` at the sender), `peer` the receiver's
/// URL on the sender's side.
pub(crate) async fn insert(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &Principal,
    (side, status, peer): (&str, &str, &str),
    signed: &SignedManifest,
    client: &ClientInfo,
) -> Result<Transfer> {
    let m = &signed.manifest;
    let now = Timestamp::now().0;
    let mut t = Transfer {
        id: 0,
        side: side.into(),
        transfer_id: m.transfer_id.clone(),
        org_id: principal.org_id(),
        application: m.application.clone(),
        sequence: m.sequence.clone(),
        status: status.into(),
        manifest_sm3: m.sm3(),
        total_bytes: m.total_bytes as i64,
        chunk_count: m.chunk_count() as i64,
        chunks_received: 0,
        missing: Vec::new(),
        package_sm3: String::new(),
        receipt_number: String::new(),
        received_at: None,
        errors: None,
        warnings: None,
        acks: Vec::new(),
        created_at: now,
        version: 1,
    };
    t.id = sqlx::query_scalar(
        "INSERT INTO submission_transfers (side, transfer_id, org_id, application, sequence, manifest, signature, \
         manifest_sm3, total_bytes, chunk_count, status, peer, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $14) RETURNING id",
    )
    .bind(side)
    .bind(&t.transfer_id)
    .bind(t.org_id)
    .bind(&t.application)
    .bind(&t.sequence)
    .bind(String::from_utf8(m.canonical()).unwrap_or_default())
    .bind(&signed.signature)
    .bind(&t.manifest_sm3)
    .bind(t.total_bytes)
    .bind(t.chunk_count)
    .bind(status)
    .bind(peer)
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    let action = if side == "sent" { "send" } else { "receive-manifest" };
    let s = Step {
        entity: ENTITY,
        id: t.id,
        version: 1,
        data: image(&t),
        action,
        reason: "",
        audit: audit::action::SUBMISSION_TRANSFER,
        target: format!("{ENTITY}:{} {} {} {action}", t.id, t.application, t.sequence),
    };
    step::record(tx, principal, s, client).await?;
    Ok(t)
}

/// The sender's record opened with the manifest it signed, in its own ledger, with the
/// transfer's key sealed for resuming.
pub(crate) async fn record_sent(
    store: &Store,
    principal: &Principal,
    signed: &SignedManifest,
    (peer, own_key): (&str, &[u8]),
    client: &ClientInfo,
) -> Result<Transfer> {
    let mut tx = store.begin().await?;
    let t = insert(&mut tx, principal, ("sent", "sending", peer), signed, client).await?;
    sqlx::query("UPDATE submission_transfers SET own_key = $1 WHERE id = $2")
        .bind(own_key)
        .bind(t.id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(t)
}

/// A send that stopped before its acknowledgements: the sender's record, where it went, the
/// manifest it signed and the transfer's sealed key.
pub(crate) struct Kept {
    pub transfer: Transfer,
    pub peer: String,
    pub signed: SignedManifest,
    pub own_key: Vec<u8>,
}

/// The organization's send of a sequence still under way, if any: still sending, or
/// acknowledged at level 1 or 2 but not yet 3 (a send stopped between acknowledgements).
pub(crate) async fn sending(store: &Store, org_id: i64, (application, sequence): (&str, &str)) -> Result<Option<Kept>> {
    let sql = format!(
        "SELECT {COLUMNS}, t.peer, t.manifest, t.signature, t.own_key FROM submission_transfers t \
         JOIN orgs o ON o.id = t.org_id \
         WHERE t.org_id = $1 AND t.application = $2 AND t.sequence = $3 AND t.side = 'sent' \
         AND t.status IN ('sending', 'received', 'queued') ORDER BY t.id DESC LIMIT 1"
    );
    let Some(r) = sqlx::query(&sql).bind(org_id).bind(application).bind(sequence).fetch_optional(store.pool()).await?
    else {
        return Ok(None);
    };
    let manifest: String = r.try_get("manifest")?;
    let manifest = serde_json::from_str(&manifest).map_err(|e| corrupt(e.to_string()))?;
    Ok(Some(Kept {
        transfer: from_row(&r)?,
        peer: r.try_get("peer")?,
        signed: SignedManifest { manifest, signature: r.try_get("signature")? },
        own_key: r.try_get::<Option<Vec<u8>>, _>("own_key")?.unwrap_or_default(),
    }))
}

/// The organization's send of a sequence the receiver acknowledged at all three levels, if
/// any (the newest).
pub(crate) async fn acknowledged_send(
    store: &Store,
    org_id: i64,
    (application, sequence): (&str, &str),
) -> Result<Option<Transfer>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM submission_transfers t JOIN orgs o ON o.id = t.org_id \
         WHERE t.org_id = $1 AND t.application = $2 AND t.sequence = $3 AND t.side = 'sent' \
         AND t.status = 'validated' ORDER BY t.id DESC LIMIT 1"
    );
    let row = sqlx::query(&sql).bind(org_id).bind(application).bind(sequence).fetch_optional(store.pool()).await?;
    row.as_ref().map(from_row).transpose()
}

fn corrupt(message: String) -> SubmissionError {
    SubmissionError::Shared(IdentityError::Store(yaolian_store::StoreError::Corrupt(message)))
}

/// A receiving transfer's manifest and opened key, kept for its chunks: each chunk would
/// otherwise parse the manifest again (up to 16 MiB) and SM2-decrypt the key again.
struct Opened {
    transfer_id: String,
    manifest_sm3: String,
    manifest: Manifest,
    key: [u8; 16],
}

/// The most recent transfers' [`Opened`], newest first.
static OPENED: std::sync::Mutex<std::collections::VecDeque<Arc<Opened>>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());
const OPENED_KEPT: usize = 4;

async fn opened(store: &Store, rx: &Receiver<'_>, t: &Transfer) -> Result<Arc<Opened>> {
    let kept = |o: &&Arc<Opened>| o.transfer_id == t.transfer_id && o.manifest_sm3 == t.manifest_sm3;
    if let Some(o) = OPENED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(kept).cloned() {
        return Ok(o);
    }
    let manifest = manifest_of(store, t.id).await?;
    let key = transfer::open_key(&manifest, &key_by_id(store, rx.sealing, &manifest.receiver_key_id).await?)?;
    let o =
        Arc::new(Opened { transfer_id: t.transfer_id.clone(), manifest_sm3: t.manifest_sm3.clone(), manifest, key });
    let mut q = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    q.push_front(o.clone());
    q.truncate(OPENED_KEPT);
    Ok(o)
}

/// Takes chunk `index` of a transfer still receiving: opens it with the transfer's key, checks
/// its SM3 against the manifest and writes it in place. A refused chunk names its rule
/// (`sm4_gcm_tag`, `sm3`, `length`), for the sender to send it again.
pub async fn put_chunk(
    store: &Store,
    principal: &Principal,
    transfer_id: &str,
    index: u64,
    body: &[u8],
    rx: &Receiver<'_>,
    client: &ClientInfo,
) -> Result<ChunkReceipt> {
    require(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await?;
    let mut t = load(store, principal, perm::SUBMISSION_SEND, ("received", transfer_id), false, client).await?;
    if t.status != "receiving" {
        return Err(SubmissionError::WrongState {
            transfer_id: t.transfer_id,
            status: t.status,
            action: "take a chunk",
        });
    }
    let opened = opened(store, rx, &t).await?;
    let (m, key) = (&opened.manifest, &opened.key);
    let plain = transfer::open_chunk(m, key, index, body).map_err(|fault| {
        tracing::warn!(transfer = %t.transfer_id, index, rule = fault.rule(), "chunk refused");
        invalid(
            "chunk",
            fault.rule(),
            format!("chunk {index} does not open or does not match the manifest; send it again"),
        )
    })?;
    let part = part_path(rx.dir, t.id);
    let offset = index * m.chunk_size;
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new().write(true).open(&part)?;
        f.write_all_at(&plain, offset)?;
        f.sync_data()
    })
    .await
    .map_err(|e| invalid("chunk", "storage", e.to_string()))?
    .map_err(|e| match e.kind() {
        // The stream's file is gone: the transfer completed or was cancelled meanwhile.
        std::io::ErrorKind::NotFound => SubmissionError::Busy { what: format!("transfer {}", t.transfer_id) },
        _ => invalid("chunk", "storage", format!("cannot store the chunk: {e}")),
    })?;
    let mut tx = store.begin().await?;
    // Counted only while the transfer still receives (not after a cancel or a completion
    // that overtook this chunk).
    let added = sqlx::query(
        "INSERT INTO submission_transfer_chunks (transfer, idx, at) \
         SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM submission_transfers WHERE id = $1 AND status = 'receiving') \
         ON CONFLICT (transfer, idx) DO NOTHING",
    )
    .bind(t.id)
    .bind(index as i64)
    .bind(Timestamp::now().0)
    .execute(&mut *tx)
    .await?;
    if added.rows_affected() == 1 {
        sqlx::query("UPDATE submission_transfers SET chunks_received = chunks_received + 1 WHERE id = $1")
            .bind(t.id)
            .execute(&mut *tx)
            .await?;
        t.chunks_received += 1;
    }
    tx.commit().await?;
    Ok(ChunkReceipt { index, chunks_received: t.chunks_received, chunk_count: t.chunk_count })
}

/// A transfer as one side holds it (`submission.read`, or `submission.send` for the sender's
/// account at the receiver).
pub async fn status(
    store: &Store,
    principal: &Principal,
    (side, transfer_id): (&str, &str),
    client: &ClientInfo,
) -> Result<Transfer> {
    let permission = if principal.has(perm::SUBMISSION_READ) { perm::SUBMISSION_READ } else { perm::SUBMISSION_SEND };
    require(store, principal, permission, ENTITY, client).await?;
    load(store, principal, permission, (side, transfer_id), true, client).await
}

/// Writes one step of a transfer's record: the row's new state, its version and audit event.
pub(crate) async fn advance(
    store: &Store,
    principal: &Principal,
    t: &mut Transfer,
    (action, reason): (&'static str, &str),
    client: &ClientInfo,
    report: Option<&str>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let acks = serde_json::to_string(&t.acks).unwrap_or_else(|_| "[]".into());
    step::bump(
        &mut tx,
        ("submission_transfers", t.id, t.version),
        "status = $1, package_sm3 = $2, receipt_number = $3, received_at = $4, errors = $5, warnings = $6, acks = $7, \
         report = COALESCE($8, report)",
        vec![
            Value::Text(t.status.clone()),
            Value::Text(t.package_sm3.clone()),
            Value::Text(t.receipt_number.clone()),
            t.received_at.map_or(Value::NullI64, Value::I64),
            t.errors.map_or(Value::NullI64, Value::I64),
            t.warnings.map_or(Value::NullI64, Value::I64),
            Value::Text(acks),
            report.map_or(Value::NullText, |r| Value::Text(r.to_string())),
        ],
        "transfer",
    )
    .await?;
    t.version += 1;
    let target = format!("{ENTITY}:{} {} {} {action}", t.id, t.application, t.sequence);
    let s = Step {
        entity: ENTITY,
        id: t.id,
        version: t.version,
        data: image(t),
        action,
        reason,
        audit: audit::action::SUBMISSION_TRANSFER,
        target,
    };
    step::record(&mut tx, principal, s, client).await?;
    tx.commit().await?;
    Ok(())
}

/// How long a claim on a transfer holds (UTC milliseconds): a call that crashed while
/// completing lets the next one resume after this.
const CLAIM_MS: i64 = 15 * 60 * 1000;

/// Claims the transfer as loaded (its version) for one call; refused while another call's
/// claim holds.
async fn claim(store: &Store, t: &Transfer) -> Result<crate::claim::Claim> {
    crate::claim::take(store, "submission_transfers", (t.id, t.version), CLAIM_MS)
        .await?
        .ok_or_else(|| SubmissionError::Busy { what: format!("transfer {}", t.transfer_id) })
}

/// Holds the claim through the next step; refused when it lapsed and another call took over.
async fn renew(store: &Store, claim: &mut crate::claim::Claim, t: &Transfer) -> Result<()> {
    if claim.renew(store, CLAIM_MS).await? {
        Ok(())
    } else {
        Err(SubmissionError::Busy { what: format!("transfer {}", t.transfer_id) })
    }
}

/// With every chunk in: rebuilds the files, checks them and the whole package against the
/// manifest, and answers with the three acknowledgements, each its own step. One call at a
/// time holds the transfer (others are told it is busy), in a task of its own so that a
/// caller who leaves does not stop it half-way; a call that failed or crashed part way is
/// resumed by the next from the last step recorded. A package that does not rebuild to its
/// signed manifest is refused for good (the sequence may be sent anew). Again on a validated
/// transfer, answers it as it stands.
pub async fn complete(
    store: &Store,
    principal: &Principal,
    transfer_id: &str,
    rx: &Receiver<'_>,
    client: &ClientInfo,
) -> Result<Transfer> {
    require(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await?;
    let t = load(store, principal, perm::SUBMISSION_SEND, ("received", transfer_id), true, client).await?;
    match t.status.as_str() {
        "validated" => return Ok(t),
        "cancelled" | "refused" => {
            return Err(SubmissionError::WrongState {
                transfer_id: t.transfer_id,
                status: t.status,
                action: "complete",
            })
        }
        _ => {}
    }
    let signer = rx.signer()?.clone();
    if !t.missing.is_empty() {
        return Err(IdentityError::Conflict(format!(
            "{} of {} chunks are missing (first: {})",
            t.missing.len(),
            t.chunk_count,
            t.missing[0]
        ))
        .into());
    }
    let mut claim = claim(store, &t).await?;
    let (store, principal, client) = (store.clone(), principal.clone(), client.clone());
    let (dir, sealing) = (rx.dir.to_path_buf(), rx.sealing.clone());
    let task = tokio::spawn(async move {
        let rx = Receiver { dir: &dir, sealing: &sealing, signer: Some(&signer) };
        let done = finish(&store, &principal, t, (&rx, &signer), &mut claim, &client).await;
        claim.release(&store).await;
        done
    });
    task.await.map_err(|e| invalid("package", "storage", e.to_string()))?
}

/// The acknowledgement of `level` for the transfer as it stands.
fn acknowledgement(t: &Transfer, level: u8, report_sm3: Option<String>) -> Acknowledgement {
    Acknowledgement {
        format: FORMAT.into(),
        transfer_id: t.transfer_id.clone(),
        level,
        manifest_sm3: t.manifest_sm3.clone(),
        package_sm3: t.package_sm3.clone(),
        receipt_number: (level >= 2).then(|| t.receipt_number.clone()),
        received_at: if level >= 2 { t.received_at } else { None },
        errors: if level >= 3 { t.errors.map(|e| e as u64) } else { None },
        warnings: if level >= 3 { t.warnings.map(|w| w as u64) } else { None },
        report_sm3,
        at: Timestamp::now().0,
        receiver_public_pem: String::new(),
        signature: String::new(),
    }
}

/// Removes the staging folders earlier calls on transfer `id` left (`incoming/<id>-*.files`).
fn sweep_staging(incoming: &Path, id: i64) {
    let prefix = format!("{id}-");
    for e in std::fs::read_dir(incoming).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && name.ends_with(".files") {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Rebuilds the stream `part` into a staging folder of its own, synced, checks it against the
/// manifest, and moves the sequence's folder into the application whole; the package's SM3.
fn rebuild(m: &Manifest, part: &Path, (incoming, id): (&Path, i64), app_dir: &Path) -> Result<String, ValidationError> {
    sweep_staging(incoming, id);
    let staging = incoming.join(format!("{id}-{}.files", Timestamp::now().0));
    let filed = transfer::unpack(m, part, &staging).and_then(|sum| {
        if sum != m.package_sm3 {
            return Err(ValidationError::single("package", "sm3", "the rebuilt package's SM3 is not the manifest's"));
        }
        let io =
            |e: std::io::Error| ValidationError::single("package", "storage", format!("cannot file the package: {e}"));
        // A sequence folder already there is this transfer's own, filed by a call that stopped
        // before level 1 was recorded (the sequence was free when the transfer opened, and the
        // unique index keeps it so): it is filed again.
        let seq_dir = app_dir.join(&m.sequence);
        if seq_dir.exists() {
            std::fs::remove_dir_all(&seq_dir).map_err(io)?;
        }
        std::fs::create_dir_all(app_dir).map_err(io)?;
        std::fs::rename(staging.join(&m.sequence), &seq_dir).map_err(io)?;
        transfer::sync_dir(app_dir).map_err(io)?;
        Ok(sum)
    });
    let _ = std::fs::remove_dir_all(&staging);
    filed
}

/// The steps of completion from where the transfer stands, under the caller's claim.
async fn finish(
    store: &Store,
    principal: &Principal,
    mut t: Transfer,
    (rx, signer): (&Receiver<'_>, &KeyPair),
    claim: &mut crate::claim::Claim,
    client: &ClientInfo,
) -> Result<Transfer> {
    let app_dir = application_dir(rx.dir, t.org_id, &t.application);
    let seq_dir = app_dir.join(&t.sequence);
    let part = part_path(rx.dir, t.id);
    if t.status == "receiving" {
        let m = manifest_of(store, t.id).await?;
        let (pp, incoming, ad, id) = (part.clone(), rx.dir.join("incoming"), app_dir.clone(), t.id);
        let rebuilt = tokio::task::spawn_blocking(move || rebuild(&m, &pp, (&incoming, id), &ad))
            .await
            .map_err(|e| invalid("package", "storage", e.to_string()))?;
        let rebuilt = match rebuilt {
            Ok(sum) => sum,
            // Every chunk matched the manifest, so a file or the whole not matching it is the
            // manifest's own fault: refused for good, what arrived dropped.
            Err(v) if v.errors.iter().any(|e| e.rule == "sm3") => {
                t.status = "refused".into();
                advance(store, principal, &mut t, ("refuse", "重组后的校验值与清单不符"), client, None).await?;
                drop_received(store, rx, &t).await?;
                return Err(v.into());
            }
            Err(v) => return Err(v.into()),
        };
        // Level 1: received intact.
        renew(store, claim, &t).await?;
        t.package_sm3 = rebuilt;
        t.status = "received".into();
        t.acks.push(acknowledgement(&t, 1, None).signed(signer));
        advance(store, principal, &mut t, ("receive", "完整接收"), client, None).await?;
    }
    // The stream's file and the chunk rows are not needed once level 1 is recorded.
    let _ = std::fs::remove_file(&part);
    if t.status == "received" {
        // Level 2: into the queue, with the official receipt number and time.
        renew(store, claim, &t).await?;
        let now = Timestamp::now();
        t.receipt_number = format!("DZ{}{:06}", now.china_date().format("%Y%m%d"), t.id);
        t.received_at = Some(now.0);
        t.status = "queued".into();
        t.acks.push(acknowledgement(&t, 2, None).signed(signer));
        advance(store, principal, &mut t, ("queue", "受理排队"), client, None).await?;
    }
    if t.status == "queued" {
        // Level 3: the validation report. A failure here leaves the transfer queued for the
        // next call to validate; its particulars (paths of this site) stay in the log.
        renew(store, claim, &t).await?;
        let dir = seq_dir.clone();
        let validated =
            tokio::task::spawn_blocking(move || crate::validate::validate(&dir, &crate::rules::RuleSet::shipped()))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()));
        let report = validated.map_err(|e| {
            tracing::error!(transfer = %t.transfer_id, error = %e, "a received package could not be validated");
            invalid("package", "validation", "the package could not be validated yet; ask again later")
        })?;
        renew(store, claim, &t).await?;
        let (errors, warnings, report_sm3) = transfer::report_figures(&report);
        t.errors = Some(errors as i64);
        t.warnings = Some(warnings as i64);
        t.status = "validated".into();
        t.acks.push(acknowledgement(&t, 3, Some(report_sm3)).signed(signer));
        let json = serde_json::to_string(&report).unwrap_or_default();
        advance(store, principal, &mut t, ("validate", "技术审核"), client, Some(&json)).await?;
    }
    Ok(t)
}

/// What arrived of a transfer that ends without a package (cancelled, refused): the sequence's
/// folder a stopped completion filed (this transfer's own), the stream's file, the staging
/// folders and the chunk rows.
async fn drop_received(store: &Store, rx: &Receiver<'_>, t: &Transfer) -> Result<()> {
    let seq_dir = application_dir(rx.dir, t.org_id, &t.application).join(&t.sequence);
    let (part, incoming, id) = (part_path(rx.dir, t.id), rx.dir.join("incoming"), t.id);
    tokio::task::spawn_blocking(move || {
        if seq_dir.exists() {
            std::fs::remove_dir_all(&seq_dir)?;
        }
        sweep_staging(&incoming, id);
        match std::fs::remove_file(&part) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    })
    .await
    .map_err(|e| invalid("package", "storage", e.to_string()))?
    .map_err(|e| invalid("package", "storage", format!("cannot remove what arrived: {e}")))?;
    sqlx::query("DELETE FROM submission_transfer_chunks WHERE transfer = $1").bind(t.id).execute(store.pool()).await?;
    Ok(())
}

/// The applicant cancels a transfer still arriving (`submission.send`, its own account): what
/// arrived is dropped, then the transfer is cancelled, and the sequence number is free to be
/// sent again under a new transfer. Cancelling again repeats the cleaning.
pub async fn cancel(
    store: &Store,
    principal: &Principal,
    transfer_id: &str,
    rx: &Receiver<'_>,
    client: &ClientInfo,
) -> Result<Transfer> {
    require(store, principal, perm::SUBMISSION_SEND, ENTITY, client).await?;
    let mut t = load(store, principal, perm::SUBMISSION_SEND, ("received", transfer_id), false, client).await?;
    match t.status.as_str() {
        "cancelled" => {
            drop_received(store, rx, &t).await?;
            return Ok(t);
        }
        "receiving" => {}
        _ => {
            return Err(SubmissionError::WrongState { transfer_id: t.transfer_id, status: t.status, action: "cancel" })
        }
    }
    let claim = claim(store, &t).await?;
    let done = async {
        drop_received(store, rx, &t).await?;
        t.status = "cancelled".into();
        advance(store, principal, &mut t, ("cancel", "申请人撤回"), client, None).await
    }
    .await;
    claim.release(store).await;
    done?;
    Ok(t)
}

/// The receiver's validation report of a transfer (JSON), once level 3 is given.
pub async fn report(
    store: &Store,
    principal: &Principal,
    (side, transfer_id): (&str, &str),
    client: &ClientInfo,
) -> Result<String> {
    let t = status(store, principal, (side, transfer_id), client).await?;
    let text: String = sqlx::query_scalar("SELECT report FROM submission_transfers WHERE id = $1")
        .bind(t.id)
        .fetch_one(store.pool())
        .await?;
    Ok(text)
}

/// Every transfer's row rebuilt as its image and compared with its latest version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    use yaolian_store::state::{check, Image};
    let sql = format!("SELECT {COLUMNS} FROM submission_transfers t JOIN orgs o ON o.id = t.org_id ORDER BY t.id");
    let rows = sqlx::query(&sql).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let t = from_row(r)?;
        images.push(Image { entity_id: t.id.to_string(), data: image(&t) });
    }
    Ok(check(store, ENTITY, images).await?)
}

pub use crate::sender::{cancel as cancel_send, send, Remote, SendReport, SenderKeys};

/// Transfers in the principal's scope (`submission.read`), newest first: a company's sent and
/// received records, a regulator's received ones.
pub async fn list(
    store: &Store,
    principal: &Principal,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Transfer>, i64)> {
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUBMISSION_READ,
        "submission_transfers",
        (COLUMNS, "submission_transfers t JOIN orgs o ON o.id = t.org_id", "t.created_at DESC, t.id DESC"),
        |_| principal.org_kind().is_regulator().then(|| "t.side = 'received'".to_string()),
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<Vec<_>>>()?, total))
}

/// The Chinese name of a transfer state.
pub fn state_zh(code: &str) -> &'static str {
    STATUSES.iter().find(|(c, _)| *c == code).map_or("", |(_, z)| z)
}
