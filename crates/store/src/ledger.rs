//! Storage of the trusted-records ledger: entries, perfect-subtree hashes, tree heads, proofs
//! and full verification. The pure algorithms live in `yaolian-ledger`; this module plans which
//! nodes a question needs, fetches them in one statement and hands them over.

use crate::exec::Writer;
use crate::sql::Value;
use crate::{Store, StoreError, Tx};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;
use yaolian_ledger::merkle::{self, NodeId, Nodes};
use yaolian_ledger::sign::KeyPair;
use yaolian_ledger::{Entry, Hash, HashAlg, TreeHead};

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

pub(crate) fn hash_of(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| corrupt("stored hash is not 32 bytes"))?;
    Ok(Hash(arr))
}

/// The ledger's hash function and current size.
pub async fn head<'e, E>(executor: E) -> Result<(HashAlg, u64), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query("SELECT hash_alg, size FROM ledger_head WHERE id = 1").fetch_one(executor).await?;
    let alg: String = row.try_get(0)?;
    let size: i64 = row.try_get(1)?;
    let alg = HashAlg::parse(&alg).ok_or_else(|| corrupt(format!("unknown ledger hash {alg}")))?;
    Ok((alg, size as u64))
}

/// Chooses the hash function of an empty ledger (SM3 is the default).
pub async fn set_hash_alg(store: &Store, alg: HashAlg) -> Result<(), StoreError> {
    let (current, size) = head(store.pool()).await?;
    if current == alg {
        return Ok(());
    }
    if size > 0 {
        return Err(StoreError::Conflict(format!(
            "the ledger already uses {} for {size} entries; its hash cannot change",
            current.name()
        )));
    }
    sqlx::query("UPDATE ledger_head SET hash_alg = $1 WHERE id = 1 AND size = 0")
        .bind(alg.name())
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Fields of an entry before it has a position.
pub struct NewEntry<'a> {
    pub at: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub version: i64,
    /// Canonical JSON of the after-image; its hash goes into the entry.
    pub data: &'a [u8],
    pub reason: &'a str,
}

/// A position taken in the log by an open transaction.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    pub alg: HashAlg,
    pub index: u64,
}

/// Takes the next position in the caller's transaction. Call it before any read the append
/// depends on: the head row then serializes concurrent writers on both backends (a row lock on
/// PostgreSQL, the write lock on SQLite), and a rollback gives the position back.
pub async fn reserve(tx: &mut Tx<'_>) -> Result<Position, StoreError> {
    reserve_many(tx, 1).await
}

/// Takes `count` consecutive positions; the first is returned.
pub async fn reserve_many(tx: &mut Tx<'_>, count: u64) -> Result<Position, StoreError> {
    reserve_on(tx, count).await
}

pub(crate) async fn reserve_on<W: Writer>(w: &mut W, count: u64) -> Result<Position, StoreError> {
    let (alg, size) = w.grow_ledger(count).await?;
    let alg = HashAlg::parse(&alg).ok_or_else(|| corrupt(format!("unknown ledger hash {alg}")))?;
    Ok(Position { alg, index: size as u64 - count })
}

/// Writes the entry at a reserved position, with the subtree hashes it completes.
pub async fn append(tx: &mut Tx<'_>, pos: Position, new: NewEntry<'_>) -> Result<Entry, StoreError> {
    let mut entries = append_many(tx, pos, &[new]).await?;
    entries.pop().ok_or_else(|| corrupt("append wrote no entry"))
}

/// Writes entries at consecutive reserved positions starting at `pos`, with every subtree hash
/// they complete: multi-row statements for entries and nodes, plus one read of the (at most 64)
/// older subtree hashes the new nodes build on.
pub async fn append_many(tx: &mut Tx<'_>, pos: Position, new: &[NewEntry<'_>]) -> Result<Vec<Entry>, StoreError> {
    append_on(tx, pos, new).await
}

const ENTRY_ROWS: (&str, usize) = (
    "INSERT INTO ledger_entries (idx, at, actor, action, entity, entity_id, version, data_hash, reason, leaf_hash)",
    10,
);
const NODE_ROWS: (&str, usize) = ("INSERT INTO ledger_nodes (level, idx, hash)", 3);

pub(crate) async fn append_on<W: Writer>(
    w: &mut W,
    pos: Position,
    new: &[NewEntry<'_>],
) -> Result<Vec<Entry>, StoreError> {
    let Position { alg, index: first } = pos;
    let entries: Vec<Entry> = new
        .iter()
        .zip(first..)
        .map(|(n, index)| Entry {
            index,
            time: n.at,
            actor: n.actor.to_string(),
            action: n.action.to_string(),
            entity: n.entity.to_string(),
            id: n.entity_id.to_string(),
            version: n.version,
            data_hash: alg.digest(&[n.data]),
            reason: n.reason.to_string(),
        })
        .collect();
    let leaves: Vec<Hash> = entries.iter().map(|e| e.leaf_hash(alg)).collect();
    let mut values = Vec::with_capacity(entries.len() * ENTRY_ROWS.1);
    for (e, leaf) in entries.iter().zip(&leaves) {
        values.extend([
            Value::I64(e.index as i64),
            Value::I64(e.time),
            Value::from(e.actor.as_str()),
            Value::from(e.action.as_str()),
            Value::from(e.entity.as_str()),
            Value::from(e.id.as_str()),
            Value::I64(e.version),
            Value::Bytes(e.data_hash.0.to_vec()),
            Value::from(e.reason.as_str()),
            Value::Bytes(leaf.0.to_vec()),
        ]);
    }
    w.insert(ENTRY_ROWS.0, ENTRY_ROWS.1, values).await?;
    // The nodes these leaves complete, bottom-up in leaf order; left children that cover
    // leaves before the batch come from the store, the rest were just computed.
    let completed: Vec<_> = (first..first + entries.len() as u64).flat_map(merkle::completed_by).collect();
    let older: Vec<NodeId> =
        completed.iter().filter_map(|(_, c)| c.map(|(l, _)| l)).filter(|l| (l.index << l.level) < first).collect();
    let mut known = w.nodes(&older).await?;
    let mut values = Vec::with_capacity(completed.len() * NODE_ROWS.1);
    for (id, children) in completed {
        let hash = match children {
            None => leaves[(id.index - first) as usize],
            Some((l, r)) => {
                let left = known.get(&l).ok_or(StoreError::Corrupt(format!("ledger node {l:?} missing")))?;
                let right = known.get(&r).ok_or(StoreError::Corrupt(format!("ledger node {r:?} missing")))?;
                alg.node(left, right)
            }
        };
        known.insert(id, hash);
        values.extend([Value::I64(i64::from(id.level)), Value::I64(id.index as i64), Value::Bytes(hash.0.to_vec())]);
    }
    w.insert(NODE_ROWS.0, NODE_ROWS.1, values).await?;
    Ok(entries)
}

/// Fetches the given perfect-subtree hashes in one statement.
pub(crate) async fn fetch_nodes<'e, E>(executor: E, ids: &[NodeId]) -> Result<Nodes, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let mut nodes = Nodes::new();
    if ids.is_empty() {
        return Ok(nodes);
    }
    let (sql, values) = crate::exec::nodes_query(ids);
    let mut query = sqlx::query(&sql);
    for v in values {
        query = query.bind(v);
    }
    for row in query.fetch_all(executor).await? {
        let level: i64 = row.try_get(0)?;
        let idx: i64 = row.try_get(1)?;
        nodes.insert(NodeId { level: level as u32, index: idx as u64 }, hash_of(row.try_get(2)?)?);
    }
    Ok(nodes)
}

fn proof_error(e: merkle::ProofError) -> StoreError {
    match e {
        merkle::ProofError::MissingNode(_) => corrupt(e),
        other => StoreError::Invalid { field: "tree_size".into(), rule: "range".into(), message: other.to_string() },
    }
}

/// The tree head over the first `size` entries (`size` ≤ the ledger's size).
pub async fn root(store: &Store, size: u64) -> Result<Hash, StoreError> {
    let (alg, current) = head(store.pool()).await?;
    check_size(size, current)?;
    let nodes = fetch_nodes(store.pool(), &merkle::root_nodes(size)).await?;
    merkle::root(alg, size, &nodes).map_err(proof_error)
}

fn check_size(size: u64, current: u64) -> Result<(), StoreError> {
    if size > current {
        return Err(StoreError::Invalid {
            field: "tree_size".into(),
            rule: "max".into(),
            message: format!("the ledger has {current} entries, fewer than {size}"),
        });
    }
    Ok(())
}

/// An inclusion proof (audit path) of entry `index` in the tree of `size` entries.
pub async fn inclusion_proof(store: &Store, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
    let (alg, current) = head(store.pool()).await?;
    check_size(size, current)?;
    let plan = merkle::inclusion_nodes(index, size).map_err(proof_error)?;
    let nodes = fetch_nodes(store.pool(), &plan).await?;
    merkle::inclusion_proof(alg, index, size, &nodes).map_err(proof_error)
}

/// A consistency proof between the trees of `first` and `second` entries.
pub async fn consistency_proof(store: &Store, first: u64, second: u64) -> Result<Vec<Hash>, StoreError> {
    let (alg, current) = head(store.pool()).await?;
    check_size(second, current)?;
    let plan = merkle::consistency_nodes(first, second).map_err(proof_error)?;
    let nodes = fetch_nodes(store.pool(), &plan).await?;
    merkle::consistency_proof(alg, first, second, &nodes).map_err(proof_error)
}

const ENTRY_COLUMNS: &str = "idx, at, actor, action, entity, entity_id, version, data_hash, reason, leaf_hash";

fn entry_from_row(row: &AnyRow) -> Result<(Entry, Hash), StoreError> {
    let entry = Entry {
        index: row.try_get::<i64, _>("idx")? as u64,
        time: row.try_get("at")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        entity: row.try_get("entity")?,
        id: row.try_get("entity_id")?,
        version: row.try_get("version")?,
        data_hash: hash_of(row.try_get("data_hash")?)?,
        reason: row.try_get("reason")?,
    };
    Ok((entry, hash_of(row.try_get("leaf_hash")?)?))
}

/// One entry by position.
pub async fn entry(store: &Store, index: u64) -> Result<Entry, StoreError> {
    let row = sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE idx = $1"))
        .bind(index as i64)
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(entry_from_row(&row)?.0)
}

/// Every entry of one record, oldest first.
pub async fn entries_of(store: &Store, entity: &str, entity_id: &str) -> Result<Vec<Entry>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ledger_entries WHERE entity = $1 AND entity_id = $2 ORDER BY idx"
    ))
    .bind(entity)
    .bind(entity_id)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(|r| entry_from_row(r).map(|(e, _)| e)).collect()
}

/// A signed tree head as stored and published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checkpoint {
    pub head: TreeHead,
    /// SM2 signature over `head.message()`, DER, hex in JSON.
    #[serde(serialize_with = "hex_bytes")]
    pub signature: Vec<u8>,
    pub key_id: String,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// Identifier of a public key: the first 16 hex digits of SM3 over its PEM text.
pub fn key_id(public_pem: &str) -> String {
    HashAlg::Sm3.digest(&[public_pem.as_bytes()]).to_hex()[..16].to_string()
}

/// The site's active signing key, unsealed with `sealing`; created (and stored sealed) at
/// first start.
pub async fn site_key(store: &Store, sealing: &[u8; 16]) -> Result<(String, KeyPair), StoreError> {
    let row =
        sqlx::query("SELECT key_id, sealed_private FROM site_keys WHERE active = 1 ORDER BY created_at DESC LIMIT 1")
            .fetch_optional(store.pool())
            .await?;
    if let Some(row) = row {
        let id: String = row.try_get(0)?;
        let sealed: Vec<u8> = row.try_get(1)?;
        let key = KeyPair::unseal(&sealed, sealing)
            .map_err(|e| corrupt(format!("site key {id}: {e}; is the sealing key the one it was created with?")))?;
        return Ok((id, key));
    }
    let key = KeyPair::generate();
    let pem = key.public_pem();
    let id = key_id(&pem);
    sqlx::query(
        "INSERT INTO site_keys (key_id, public_pem, sealed_private, created_at, active) VALUES ($1, $2, $3, $4, 1)",
    )
    .bind(&id)
    .bind(&pem)
    .bind(key.seal(sealing))
    .bind(yaolian_core::Timestamp::now().0)
    .execute(store.pool())
    .await?;
    Ok((id, key))
}

/// A stored site key (active or retired) opened with `sealing`, reading only: proof that the
/// key belongs to the site that holds the sealing key.
pub async fn open_site_key(store: &Store, key_id: &str, sealing: &[u8; 16]) -> Result<KeyPair, StoreError> {
    let row = sqlx::query("SELECT sealed_private FROM site_keys WHERE key_id = $1")
        .bind(key_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
    let sealed: Vec<u8> = row.try_get(0)?;
    KeyPair::unseal(&sealed, sealing).map_err(|e| corrupt(format!("site key {key_id}: {e}")))
}

/// Public key PEM by key id.
pub async fn public_key(store: &Store, key_id: &str) -> Result<String, StoreError> {
    Ok(sqlx::query("SELECT public_pem FROM site_keys WHERE key_id = $1")
        .bind(key_id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get(0)?)
}

/// The active public key: (key id, PEM).
pub async fn active_public_key(store: &Store) -> Result<(String, String), StoreError> {
    let row = sqlx::query("SELECT key_id, public_pem FROM site_keys WHERE active = 1 ORDER BY created_at DESC LIMIT 1")
        .fetch_optional(store.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

fn checkpoint_from_row(alg: HashAlg, row: &AnyRow) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        head: TreeHead {
            hash_alg: alg,
            tree_size: row.try_get::<i64, _>("tree_size")? as u64,
            root_hash: hash_of(row.try_get("root_hash")?)?,
            time: row.try_get("at")?,
        },
        signature: row.try_get("signature")?,
        key_id: row.try_get("key_id")?,
    })
}

/// The newest checkpoint, if any.
pub async fn latest_checkpoint(store: &Store) -> Result<Option<Checkpoint>, StoreError> {
    let (alg, _) = head(store.pool()).await?;
    let row = sqlx::query(
        "SELECT tree_size, root_hash, at, signature, key_id FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1",
    )
    .fetch_optional(store.pool())
    .await?;
    row.map(|r| checkpoint_from_row(alg, &r)).transpose()
}

/// The checkpoint for a tree size.
pub async fn checkpoint_at(store: &Store, size: u64) -> Result<Checkpoint, StoreError> {
    let (alg, _) = head(store.pool()).await?;
    let row =
        sqlx::query("SELECT tree_size, root_hash, at, signature, key_id FROM ledger_checkpoints WHERE tree_size = $1")
            .bind(size as i64)
            .fetch_optional(store.pool())
            .await?
            .ok_or(StoreError::NotFound)?;
    checkpoint_from_row(alg, &row)
}

/// Signs and stores a checkpoint of the current tree, unless the newest one already covers
/// every entry (then that one is returned).
pub async fn make_checkpoint(store: &Store, key: &KeyPair, key_id: &str) -> Result<Checkpoint, StoreError> {
    let (alg, size) = head(store.pool()).await?;
    if let Some(latest) = latest_checkpoint(store).await? {
        if latest.head.tree_size == size {
            return Ok(latest);
        }
    }
    let head = TreeHead {
        hash_alg: alg,
        tree_size: size,
        root_hash: root(store, size).await?,
        time: yaolian_core::Timestamp::now().0,
    };
    let signature = key.sign(&head.message());
    store_checkpoint(store, size, &head.root_hash, head.time, &signature, key_id).await?;
    Ok(Checkpoint { head, signature, key_id: key_id.to_string() })
}

/// A record's whole history with inclusion proofs to a fresh checkpoint, for offline checking.
pub async fn export_bundle(
    store: &Store,
    entity: &str,
    entity_id: &str,
    key: &KeyPair,
    key_id: &str,
) -> Result<yaolian_ledger::bundle::Bundle, StoreError> {
    let entries = entries_of(store, entity, entity_id).await?;
    if entries.is_empty() {
        return Err(StoreError::NotFound);
    }
    let cp = make_checkpoint(store, key, key_id).await?;
    let history = crate::versions::history(store.pool(), entity, entity_id).await?;
    let mut versions = Vec::with_capacity(entries.len());
    for entry in entries {
        let data =
            history.iter().find(|v| v.version == entry.version).map(|v| v.data.clone()).ok_or_else(|| {
                corrupt(format!("record version {} of {entity} {entity_id} is missing", entry.version))
            })?;
        let inclusion_proof = inclusion_proof(store, entry.index, cp.head.tree_size).await?;
        versions.push(yaolian_ledger::bundle::BundleVersion { entry, data, inclusion_proof });
    }
    let signatures = bundle_signatures(store, entity, entity_id, cp.head.tree_size).await?;
    Ok(yaolian_ledger::bundle::Bundle {
        format: yaolian_ledger::bundle::FORMAT.into(),
        entity: entity.into(),
        id: entity_id.into(),
        versions,
        checkpoint: cp.head,
        signature: hex::encode(&cp.signature),
        key_id: cp.key_id.clone(),
        public_key: public_key(store, &cp.key_id).await?,
        signatures,
    })
}

/// The electronic signatures on a record, each with its ledger entry and inclusion proof.
async fn bundle_signatures(
    store: &Store,
    entity: &str,
    entity_id: &str,
    tree_size: u64,
) -> Result<Vec<yaolian_ledger::bundle::BundleSignature>, StoreError> {
    let ids = sqlx::query("SELECT id FROM signatures WHERE entity = $1 AND entity_id = $2 ORDER BY id")
        .bind(entity)
        .bind(entity_id)
        .fetch_all(store.pool())
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for row in ids {
        let id = row.try_get::<i64, _>(0)?.to_string();
        let history = crate::versions::history(store.pool(), SIGNATURE_ENTITY, &id).await?;
        let entries = entries_of(store, SIGNATURE_ENTITY, &id).await?;
        let (Some(version), Some(entry)) = (history.into_iter().next(), entries.into_iter().next()) else {
            return Err(corrupt(format!("signature {id} has no ledger entry")));
        };
        if entry.index >= tree_size {
            continue;
        }
        let signature: yaolian_ledger::esign::ESignature = serde_json::from_value(version.data).map_err(corrupt)?;
        let inclusion_proof = inclusion_proof(store, entry.index, tree_size).await?;
        out.push(yaolian_ledger::bundle::BundleSignature { signature, entry, inclusion_proof });
    }
    Ok(out)
}

/// The ledger entity under which audit events are recorded.
pub const AUDIT_ENTITY: &str = "audit";

/// One security audit event's fields: the `audit_events` row is the queryable projection of
/// the ledgered after-image [`audit_event_json`], and [`verify`] checks that they still agree.
#[derive(Debug, Clone)]
pub struct AuditEventData<'a> {
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub detail: &'a str,
}

/// The after-image under which an audit event is ledgered.
pub fn audit_event_json(e: &AuditEventData<'_>) -> serde_json::Value {
    serde_json::json!({
        "at": e.at,
        "actor_id": e.actor_id,
        "actor_name": e.actor_name,
        "action": e.action,
        "target": e.target,
        "outcome": e.outcome,
        "ip": e.ip,
        "user_agent": e.user_agent,
        "detail": e.detail,
    })
}

/// Checks the audit table against the ledger: every ledgered event still has its row with the
/// same content, and no row exists that the ledger does not know.
pub(crate) async fn verify_audit_projection(store: &Store, size: u64) -> Result<Option<VerifyFailure>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.idx, v.entity_id, v.data, a.id AS aid, a.at, a.actor_id, a.actor_name, a.action, a.target, \
         a.outcome, a.ip, a.user_agent, a.detail FROM record_versions v \
         JOIN ledger_entries e ON e.entity = v.entity AND e.entity_id = v.entity_id AND e.version = v.version \
         LEFT JOIN audit_events a ON a.id = CAST(v.entity_id AS BIGINT) WHERE v.entity = $1 ORDER BY e.idx",
    )
    .bind(AUDIT_ENTITY)
    .fetch_all(store.pool())
    .await?;
    let failure = |index: i64, id: String, problem: String| {
        Ok(Some(VerifyFailure { index: index as u64, entity: AUDIT_ENTITY.into(), id, problem }))
    };
    for r in &rows {
        let index: i64 = r.try_get("idx")?;
        let id: String = r.try_get("entity_id")?;
        if r.try_get::<Option<i64>, _>("aid")?.is_none() {
            return failure(index, id.clone(), format!("audit event {id} was deleted from the audit table"));
        }
        let text = |c: &str| -> Result<String, sqlx::Error> { r.try_get::<String, _>(c) };
        let (actor_name, action, target, outcome, ip, user_agent, detail) = (
            text("actor_name")?,
            text("action")?,
            text("target")?,
            text("outcome")?,
            text("ip")?,
            text("user_agent")?,
            text("detail")?,
        );
        let projected = audit_event_json(&AuditEventData {
            at: r.try_get("at")?,
            actor_id: r.try_get("actor_id")?,
            actor_name: &actor_name,
            action: &action,
            target: &target,
            outcome: &outcome,
            ip: &ip,
            user_agent: &user_agent,
            detail: &detail,
        });
        let stored: String = r.try_get("data")?;
        if yaolian_ledger::canonical_json(&projected) != stored.as_bytes() {
            return failure(
                index,
                id.clone(),
                format!("audit event {id} in the audit table differs from its ledger entry"),
            );
        }
    }
    let total: i64 = sqlx::query("SELECT COUNT(*) FROM audit_events").fetch_one(store.pool()).await?.try_get(0)?;
    if total as usize != rows.len() {
        return failure(
            size as i64,
            String::new(),
            format!("{} audit events are not in the ledger", total - rows.len() as i64),
        );
    }
    Ok(None)
}

/// The ledger entity under which electronic signatures are recorded.
pub const SIGNATURE_ENTITY: &str = "signature";

/// Stores a signed tree head. The caller has signed `root` for `size`.
pub async fn store_checkpoint(
    store: &Store,
    size: u64,
    root: &Hash,
    at: i64,
    signature: &[u8],
    key_id: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ledger_checkpoints (tree_size, root_hash, at, signature, key_id) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(size as i64)
    .bind(root.0.to_vec())
    .bind(at)
    .bind(signature.to_vec())
    .bind(key_id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// What a full verification found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifySummary {
    pub hash_alg: String,
    pub entries: u64,
    pub root: Hash,
    pub checkpoints: u64,
}

/// The first thing that does not hold, named by entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyFailure {
    pub index: u64,
    pub entity: String,
    pub id: String,
    pub problem: String,
}

impl std::fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "entry {} ({} {}): {}", self.index, self.entity, self.id, self.problem)
    }
}

/// Recomputes every leaf from the stored record versions, every stored subtree hash and every
/// checkpoint root, and checks the audit table against its ledgered events. `Ok(Err(failure))`
/// names the first entry whose content, order or hash does not match; `Err` is a storage error
/// (a stored hash that is not 32 bytes is one).
///
/// The rows are read with the backend's native driver in one snapshot and hashed on every
/// core while they are read (see `verify.rs` in this crate).
pub async fn verify(store: &Store) -> Result<Result<VerifySummary, VerifyFailure>, StoreError> {
    crate::verify::verify(store, None).await
}

/// [`verify`], handing every checked record of `watch.entity` to `watch.records` as the pass
/// goes (in ledger order): a check above the store runs beside it on records the ledger vouches
/// for. The sender is dropped when the pass ends.
pub async fn verify_watching(store: &Store, watch: Watch) -> Result<Result<VerifySummary, VerifyFailure>, StoreError> {
    crate::verify::verify(store, Some(watch)).await
}

pub use crate::verify::{bare_read, Watch, WatchedRecord};
