//! Trace data in the ledger (追溯数据存证). Every stored batch is one ledger entry whose record
//! (`yaolian_ledger::batch::BatchRecord`) holds the Merkle root over its events' leaves; `ingest`
//! writes it in the batch's transaction. Here: an event's two-level proof (event → batch root →
//! signed checkpoint), a code's whole history as an offline bundle, and the check that every
//! stored event is still what its batch's ledgered root says, naming the event that is not.

use std::collections::{BTreeMap, HashSet};

use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::Row;
use tokio::sync::mpsc;
use yaolian_access::{ClientInfo, Principal};
use yaolian_core::Timestamp;
use yaolian_ledger::batch::{self, BatchRecord, TraceBundle, TraceBundleBatch, TraceBundleEvent, TRACE_BATCH_ENTITY};
use yaolian_ledger::merkle::MemoryTree;
use yaolian_ledger::sign::KeyPair;
use yaolian_ledger::{Entry, Hash, HashAlg};
use yaolian_store::ledger::{self, Checkpoint};
use yaolian_store::{versions, Store, StoreError};

use crate::access;
use crate::codes::epc;
use crate::epcis::{self, Role};
use crate::{query, TraceError};

/// An event's proof: its leaf in its batch's tree, and the batch's entry in the ledger.
#[derive(Debug, Clone, Serialize)]
pub struct EventProof {
    pub event_id: i64,
    /// The EPCIS event hash (SHA-256), hex.
    pub event_hash: String,
    /// The ledger hash of the event's JSON as stored (the leaf is `leaf(event_hash ‖ body_hash)`).
    pub body_hash: Hash,
    pub leaf: Hash,
    pub hash_alg: String,
    /// The batch's ledgered record (with its root).
    pub batch: BatchRecord,
    pub index_in_batch: u64,
    /// Inclusion proof of the leaf in the batch's tree of `batch.count` leaves (RFC 9162 §2.1.3).
    pub batch_proof: Vec<Hash>,
    /// The batch's ledger entry and its inclusion proof in the checkpoint's tree.
    pub entry: Entry,
    pub ledger_proof: Vec<Hash>,
    pub checkpoint: Checkpoint,
}

/// An event–code row: (code key, event id, role code).
type EpcRow = (String, i64, i64);

/// Stored events by id: (id, event hash, body, event's site).
type StoredEvent = (i64, [u8; 32], String, Option<String>);

fn event_hash_of(bytes: Vec<u8>, id: i64) -> Result<[u8; 32], TraceError> {
    bytes.try_into().map_err(|_| StoreError::Corrupt(format!("event {id}: stored hash is not 32 bytes")).into())
}

/// The stored event by its id (digits), eventID as sent, or hash ID (`ni:///sha-256;…`).
async fn find_event(store: &Store, event: &str) -> Result<StoredEvent, TraceError> {
    let select = "SELECT id, hash, body, COALESCE(biz_location, read_point) FROM trace_events";
    let row = if let Ok(id) = event.parse::<i64>() {
        sqlx::query(&format!("{select} WHERE id = $1")).bind(id).fetch_optional(store.pool()).await?
    } else if let Some(hex) = event.strip_prefix("ni:///sha-256;").map(|h| h.split('?').next().unwrap_or(h)) {
        let bytes = hex::decode(hex).map_err(|_| TraceError::not_found("event"))?;
        sqlx::query(&format!("{select} WHERE hash = $1")).bind(bytes).fetch_optional(store.pool()).await?
    } else {
        sqlx::query(&format!("{select} WHERE event_id = $1 ORDER BY id LIMIT 1"))
            .bind(event)
            .fetch_optional(store.pool())
            .await?
    };
    let row = row.ok_or(TraceError::not_found("event"))?;
    let id: i64 = row.try_get(0)?;
    Ok((id, event_hash_of(row.try_get(1)?, id)?, row.try_get(2)?, row.try_get(3)?))
}

/// The ledgered record of the batch that holds event `id`, from the ledger (not the projection).
async fn batch_of(store: &Store, id: i64) -> Result<BatchRecord, TraceError> {
    let first: i64 = sqlx::query("SELECT id FROM trace_batches WHERE id <= $1 ORDER BY id DESC LIMIT 1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("event {id} is in no anchored batch")))?
        .try_get(0)?;
    let history = versions::history(store.pool(), TRACE_BATCH_ENTITY, &first.to_string()).await?;
    let version =
        history.into_iter().next().ok_or_else(|| StoreError::Corrupt(format!("batch {first} has no ledger record")))?;
    let record: BatchRecord =
        serde_json::from_value(version.data).map_err(|e| StoreError::Corrupt(format!("batch {first}: {e}")))?;
    if id >= record.first_event + record.count as i64 {
        return Err(StoreError::Corrupt(format!("event {id} is in no anchored batch")).into());
    }
    Ok(record)
}

/// The Merkle tree of a batch's events as stored (leaves in id order), checked against the
/// batch's ledgered count and root.
async fn batch_tree(store: &Store, alg: HashAlg, record: &BatchRecord) -> Result<MemoryTree, TraceError> {
    let rows = sqlx::query("SELECT id, hash, body FROM trace_events WHERE id >= $1 AND id < $2 ORDER BY id")
        .bind(record.first_event)
        .bind(record.first_event + record.count as i64)
        .fetch_all(store.pool())
        .await?;
    let mut tree = MemoryTree::new(alg);
    for r in rows {
        let id: i64 = r.try_get(0)?;
        let body: String = r.try_get(2)?;
        tree.push_hash(batch::event_leaf(alg, &event_hash_of(r.try_get(1)?, id)?, body.as_bytes()));
    }
    if tree.size() != record.count || tree.root() != record.root {
        return Err(StoreError::Corrupt(format!(
            "batch {} no longer matches its ledgered root: run `yaolian ledger verify`",
            record.first_event
        ))
        .into());
    }
    Ok(tree)
}

/// A signed checkpoint that covers ledger entry `index`: the newest one, or one signed now when
/// `signer` is given and the newest is older than the entry.
async fn checkpoint_covering(
    store: &Store,
    index: u64,
    signer: Option<(&str, &KeyPair)>,
) -> Result<Checkpoint, TraceError> {
    if let Some(cp) = ledger::latest_checkpoint(store).await?.filter(|cp| cp.head.tree_size > index) {
        return Ok(cp);
    }
    match signer {
        Some((key_id, key)) => Ok(ledger::make_checkpoint(store, key, key_id).await?),
        None => Err(TraceError::NotYetCheckpointed),
    }
}

/// The batch's ledger entry.
async fn batch_entry(store: &Store, first_event: i64) -> Result<Entry, TraceError> {
    let entries = ledger::entries_of(store, TRACE_BATCH_ENTITY, &first_event.to_string()).await?;
    Ok(entries
        .into_iter()
        .next()
        .ok_or_else(|| StoreError::Corrupt(format!("batch {first_event} has no ledger entry")))?)
}

/// The two-level proof of one event, for a reader whose reach covers the event's site.
pub async fn proof(
    store: &Store,
    principal: &Principal,
    event: &str,
    signer: Option<(&str, &KeyPair)>,
    client: &ClientInfo,
) -> Result<EventProof, TraceError> {
    let reach = access::reach(store, principal, "trace_event", client).await?;
    let (id, hash, body, site) = find_event(store, event).await?;
    if !reach.is_all() && !site.as_deref().is_some_and(|s| reach.covers(s)) {
        return Err(TraceError::not_found("event"));
    }
    let (alg, _) = ledger::head(store.pool()).await?;
    let record = batch_of(store, id).await?;
    let tree = batch_tree(store, alg, &record).await?;
    let index_in_batch = (id - record.first_event) as u64;
    let batch_proof =
        tree.inclusion_proof(index_in_batch, record.count).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let entry = batch_entry(store, record.first_event).await?;
    let checkpoint = checkpoint_covering(store, entry.index, signer).await?;
    let ledger_proof = ledger::inclusion_proof(store, entry.index, checkpoint.head.tree_size).await?;
    Ok(EventProof {
        event_id: id,
        event_hash: hex::encode(hash),
        body_hash: alg.digest(&[body.as_bytes()]),
        leaf: batch::event_leaf(alg, &hash, body.as_bytes()),
        hash_alg: alg.name().into(),
        batch: record,
        index_in_batch,
        batch_proof,
        entry,
        ledger_proof,
        checkpoint,
    })
}

/// A code's whole history (the events that name it and those inherited from its case and
/// pallet) with two-level proofs to a checkpoint signed now, for `yaolian ledger export
/// --trace-code` and offline `ledger verify --bundle`. The operator's tool: no reach check.
pub async fn export_bundle(store: &Store, code: &str, key_id: &str, key: &KeyPair) -> Result<TraceBundle, TraceError> {
    let key_text = epc::key(code, Timestamp::now().china_date())
        .map_err(|e| yaolian_core::ValidationError::single("code", e.rule, e.message))?;
    let history = query::history(store, &key_text).await?;
    if history.is_empty() {
        return Err(TraceError::not_found("code"));
    }
    let (alg, _) = ledger::head(store.pool()).await?;
    let checkpoint = ledger::make_checkpoint(store, key, key_id).await?;
    let size = checkpoint.head.tree_size;
    let mut trees: BTreeMap<i64, (BatchRecord, MemoryTree)> = BTreeMap::new();
    let mut events = Vec::with_capacity(history.len());
    // The history's events as stored, in one statement (ids are few: one code's history).
    let ids: Vec<i64> = history.iter().map(|h| h.id).collect();
    let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!("SELECT id, hash, body FROM trace_events WHERE id IN ({}) ORDER BY id", list.join(","));
    let mut q = sqlx::query(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    for row in q.fetch_all(store.pool()).await? {
        let id: i64 = row.try_get(0)?;
        let hash = event_hash_of(row.try_get(1)?, id)?;
        let body: String = row.try_get(2)?;
        let first = match trees.range(..=id).next_back() {
            Some((first, (r, _))) if id < first + r.count as i64 => *first,
            _ => {
                let record = batch_of(store, id).await?;
                let tree = batch_tree(store, alg, &record).await?;
                let first = record.first_event;
                trees.insert(first, (record, tree));
                first
            }
        };
        let (record, tree) = &trees[&first];
        let batch_proof =
            tree.inclusion_proof((id - first) as u64, record.count).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        events.push(TraceBundleEvent { id, event_hash: hex::encode(hash), body, batch: first, batch_proof });
    }
    let mut batches = Vec::with_capacity(trees.len());
    for (first, (record, _)) in &trees {
        let entry = batch_entry(store, *first).await?;
        let inclusion_proof = ledger::inclusion_proof(store, entry.index, size).await?;
        batches.push(TraceBundleBatch { entry, data: record.to_json(), inclusion_proof });
    }
    Ok(TraceBundle {
        format: batch::TRACE_FORMAT.into(),
        code: key_text,
        events,
        batches,
        checkpoint: checkpoint.head,
        signature: hex::encode(&checkpoint.signature),
        key_id: checkpoint.key_id.clone(),
        public_key: ledger::public_key(store, &checkpoint.key_id).await?,
    })
}

/// What the offline verifier cannot know: that an event's body hashes (EPCIS event hash) to the
/// claimed hash. For `yaolian_ledger::batch::verify_trace`.
pub fn check_bundle_event(event: &TraceBundleEvent) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(&event.body).map_err(|e| format!("body is not JSON: {e}"))?;
    let today = Timestamp::now().china_date();
    let hash = crate::hash::event_hash(&value, &crate::hash::Context::default(), today);
    if hex::encode(hash) != event.event_hash {
        return Err("its body's EPCIS event hash is not the one anchored".into());
    }
    Ok(())
}

/// What the trace check found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    pub batches: u64,
    pub events: u64,
}

/// The first stored event (or batch) that no longer matches the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceFailure {
    pub event_id: Option<i64>,
    /// Display form of a code the event names.
    pub code: Option<String>,
    pub batch: Option<i64>,
    pub problem: String,
}

impl std::fmt::Display for TraceFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(id) = self.event_id {
            write!(f, "trace event {id}")?;
            if let Some(code) = &self.code {
                write!(f, " (code {code})")?;
            }
        } else if let Some(b) = self.batch {
            write!(f, "trace batch {b}")?;
        } else {
            f.write_str("trace data")?;
        }
        write!(f, ": {}", self.problem)
    }
}

fn batch_record(id: &str, data: &str) -> Result<BatchRecord, TraceError> {
    Ok(serde_json::from_str(data).map_err(|e| StoreError::Corrupt(format!("batch record {id}: {e}")))?)
}

/// The batches as ledgered (record versions, which `ledger::verify` checks against the ledger),
/// by first event id.
async fn ledgered_batches(store: &Store) -> Result<BTreeMap<i64, BatchRecord>, TraceError> {
    let rows = sqlx::query("SELECT entity_id, data FROM record_versions WHERE entity = $1 AND version = 1")
        .bind(TRACE_BATCH_ENTITY)
        .fetch_all(store.pool())
        .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let id: String = r.try_get(0)?;
        let data: String = r.try_get(1)?;
        let record = batch_record(&id, &data)?;
        out.insert(record.first_event, record);
    }
    Ok(out)
}

/// Compares the `trace_batches` projection with the ledgered batches.
async fn check_projection(store: &Store, out: &BTreeMap<i64, BatchRecord>) -> Result<Option<TraceFailure>, TraceError> {
    let projected = sqlx::query("SELECT id, count, root, capture_id, record_time FROM trace_batches ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    let mut seen = 0;
    for r in projected {
        let id: i64 = r.try_get(0)?;
        let same = out.get(&id).is_some_and(|b| {
            let root: Vec<u8> = r.try_get(2).unwrap_or_default();
            r.try_get::<i64, _>(1).ok() == Some(b.count as i64)
                && root == b.root.0
                && r.try_get::<Option<i64>, _>(3).ok() == Some(b.capture_id)
                && r.try_get::<i64, _>(4).ok() == Some(b.record_time)
        });
        if !same {
            let problem = "the batch table differs from the batch's ledger record".to_string();
            return Ok(Some(TraceFailure { event_id: None, code: None, batch: Some(id), problem }));
        }
        seen += 1;
    }
    if seen != out.len() {
        let missing = out.keys().next().copied();
        let problem = format!("{} ledgered batches are missing from the batch table", out.len() - seen);
        return Ok(Some(TraceFailure { event_id: None, code: None, batch: missing, problem }));
    }
    Ok(None)
}

/// The ledgered batches the event check goes through: all of them read up front, or received
/// from the ledger's own pass as it vouches for them (in ledger order, which need not be the
/// order of their events: a batch is looked for until it comes or the pass has ended).
struct Batches {
    /// By first event id; `true` once its events have been checked.
    known: BTreeMap<i64, (BatchRecord, bool)>,
    from_ledger: Option<mpsc::UnboundedReceiver<ledger::WatchedRecord>>,
}

impl Batches {
    fn read_up_front(records: BTreeMap<i64, BatchRecord>) -> Batches {
        Batches { known: records.into_iter().map(|(k, b)| (k, (b, false))).collect(), from_ledger: None }
    }

    fn covers(&self, id: i64) -> bool {
        self.known.range(..=id).next_back().is_some_and(|(first, (b, _))| id < first + b.count as i64)
    }

    /// Takes records from the ledger's pass until one covers event `id` or the pass has ended.
    async fn receive_until(&mut self, id: Option<i64>) -> Result<(), TraceError> {
        while id.is_none_or(|id| !self.covers(id)) {
            let Some(rx) = self.from_ledger.as_mut() else { break };
            match rx.recv().await {
                // A batch has one version; a second one would be a forgery the ledger names.
                Some(r) if r.version == 1 => {
                    let record = batch_record(&r.id, &r.data)?;
                    self.known.insert(record.first_event, (record, false));
                }
                Some(_) => {}
                None => self.from_ledger = None,
            }
        }
        Ok(())
    }

    /// The first batch after `after` that was never opened and ends at or before `id`.
    fn skipped_before(&self, after: Option<i64>, id: i64) -> Option<&BatchRecord> {
        let from = after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
        self.known
            .range((from, std::ops::Bound::Unbounded))
            .find(|(_, (_, opened))| !opened)
            .map(|(_, (b, _))| b)
            .filter(|b| b.first_event + b.count as i64 <= id)
    }

    /// Opens the batch covering `id`.
    fn open(&mut self, id: i64) -> Option<BatchRecord> {
        let (_, (b, opened)) = self.known.range_mut(..=id).next_back()?;
        (id < b.first_event + b.count as i64).then(|| {
            *opened = true;
            b.clone()
        })
    }

    fn records(&self) -> BTreeMap<i64, BatchRecord> {
        self.known.iter().map(|(k, (b, _))| (*k, b.clone())).collect()
    }
}

/// The ledger's own check and the trace check in one pass: the ledger verification hands each
/// `trace_batch` record to the event check as soon as it has checked its entry, and the event
/// check reads the stored events beside it. What [`verify_with_ledger`] found.
#[derive(Debug)]
pub struct FullVerification {
    pub ledger: Result<ledger::VerifySummary, ledger::VerifyFailure>,
    /// How long the ledger's own check took.
    pub ledger_time: std::time::Duration,
    pub trace: Result<TraceSummary, TraceFailure>,
}

/// `yaolian ledger verify`: [`ledger::verify`] and the trace check of [`verify`] at once, the
/// batch records coming from the ledger pass itself. A ledger failure comes first when both
/// fail (the trace check then may have missed batches the ledger did not vouch for).
pub async fn verify_with_ledger(store: &Store) -> Result<FullVerification, TraceError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let watch = ledger::Watch { entity: TRACE_BATCH_ENTITY.into(), records: tx };
    let started = std::time::Instant::now();
    let ledger_pass = async {
        let verdict = ledger::verify_watching(store, watch).await;
        (verdict, started.elapsed())
    };
    let batches = Batches { known: BTreeMap::new(), from_ledger: Some(rx) };
    let ((ledger, ledger_time), trace) = tokio::join!(ledger_pass, check_events(store, batches));
    let ledger = ledger?;
    let trace = match (&ledger, trace) {
        (Err(_), Err(_)) => Ok(TraceSummary { batches: 0, events: 0 }),
        (_, trace) => trace?,
    };
    Ok(FullVerification { ledger, ledger_time, trace })
}

/// Checks every stored event against its batch's ledgered root: each event's body still hashes
/// to its stored EPCIS event hash, its columns and event–code rows are what its body says, every
/// batch holds exactly its events (none deleted, none inserted) and their leaves give its root.
/// `Ok(Err(failure))` names the first event (id and a code) or batch that does not hold.
pub async fn verify(store: &Store) -> Result<Result<TraceSummary, TraceFailure>, TraceError> {
    let batches = ledgered_batches(store).await?;
    if let Some(f) = check_projection(store, &batches).await? {
        return Ok(Err(f));
    }
    check_events(store, Batches::read_up_front(batches)).await
}

/// The event check of [`verify`] over the given batches; with batches from the ledger's pass,
/// the projection is compared at the end, once every batch has come.
async fn check_events(store: &Store, mut batches: Batches) -> Result<Result<TraceSummary, TraceFailure>, TraceError> {
    let streaming = batches.from_ledger.is_some();
    let (alg, _) = ledger::head(store.pool()).await?;
    let mut rows = sqlx::query(
        "SELECT id, hash, event_id, event_type, action, biz_step, disposition, read_point, biz_location, event_time, \
         record_time, capture_id, body FROM trace_events ORDER BY id",
    )
    .fetch(store.pool());
    // The batch being read: its record, the tree of its events so far, the event–code rows
    // (code, event, role) its events name; and the last batch opened.
    let mut current: Option<(BatchRecord, MemoryTree, Vec<EpcRow>)> = None;
    let mut last_opened: Option<i64> = None;
    let (mut events, mut expected_epcs) = (0u64, 0u64);
    let fail = |event_id: Option<i64>, code: Option<String>, batch: Option<i64>, problem: String| {
        Ok(Err(TraceFailure { event_id, code, batch, problem }))
    };
    loop {
        let row = rows.try_next().await?;
        let id = match &row {
            Some(r) => Some(r.try_get::<i64, _>(0)?),
            None => None,
        };
        // Close the current batch when this event is past it (or there are no more events).
        if let Some((record, tree, keys)) = current.take() {
            let end = record.first_event + record.count as i64;
            if id.is_some_and(|i| i < end) {
                current = Some((record, tree, keys));
            } else {
                if tree.size() != record.count {
                    let missing = record.first_event + tree.size() as i64;
                    let problem = format!(
                        "deleted: batch {} was ledgered with {} events, {} are stored",
                        record.first_event,
                        record.count,
                        tree.size()
                    );
                    let code = code_of(store, missing).await?;
                    return fail(Some(missing), code, Some(record.first_event), problem);
                }
                if tree.root() != record.root {
                    let problem = format!(
                        "batch {} (events {}–{}) no longer gives its ledgered root: an event was changed in \
                         its body, columns and hash together",
                        record.first_event,
                        record.first_event,
                        end - 1
                    );
                    return fail(None, None, Some(record.first_event), problem);
                }
                if let Some((event, code, problem)) = check_epc_rows(store, &record, &keys).await? {
                    return fail(Some(event), Some(code), Some(record.first_event), problem);
                }
                expected_epcs += keys.len() as u64;
            }
        }
        let Some(row) = row else { break };
        let id = id.unwrap_or_default();
        if current.is_none() {
            batches.receive_until(Some(id)).await?;
            // Batches with no event left at all.
            if let Some(b) = batches.skipped_before(last_opened, id) {
                let problem =
                    format!("deleted: batch {} was ledgered with {} events, none is stored", b.first_event, b.count);
                return fail(Some(b.first_event), None, Some(b.first_event), problem);
            }
            match batches.open(id) {
                Some(b) => {
                    last_opened = Some(b.first_event);
                    current = Some((b, MemoryTree::new(alg), Vec::new()));
                }
                None => {
                    let body: String = row.try_get(12)?;
                    let code = first_code(&body);
                    let problem = "inserted: this event is in no ledgered batch".to_string();
                    return fail(Some(id), code, None, problem);
                }
            }
        }
        let Some((record, tree, keys)) = current.as_mut() else { break };
        let expected_id = record.first_event + tree.size() as i64;
        if id != expected_id {
            let code = code_of(store, expected_id).await?;
            return fail(
                Some(expected_id),
                code,
                Some(record.first_event),
                "deleted: this event of the batch is missing".into(),
            );
        }
        let hash = event_hash_of(row.try_get(1)?, id)?;
        let body: String = row.try_get(12)?;
        let record_time: i64 = row.try_get(10)?;
        let code = first_code(&body);
        let event = match serde_json::from_str::<serde_json::Value>(&body)
            .map_err(|e| vec![yaolian_core::FieldError::new("body", "json", e.to_string())])
            .and_then(|v| epcis::check(&v, 0, Timestamp(record_time).china_date()))
        {
            Ok(e) => e,
            Err(errors) => {
                let problem = format!("edited: its stored JSON no longer reads as an event ({})", errors[0].message);
                return fail(Some(id), code, Some(record.first_event), problem);
            }
        };
        if event.hash != hash {
            return fail(
                Some(id),
                code,
                Some(record.first_event),
                "edited: its JSON or its event hash was changed".into(),
            );
        }
        let text = |i: usize| row.try_get::<Option<String>, _>(i);
        let columns_agree = text(2)? == event.event_id
            && text(3)?.as_deref() == Some(event.event_type.as_str())
            && text(4)? == event.action
            && text(5)? == event.biz_step
            && text(6)? == event.disposition
            && text(7)? == event.read_point
            && text(8)? == event.biz_location
            && row.try_get::<i64, _>(9)? == event.event_time_ms
            && record_time == record.record_time
            && row.try_get::<Option<i64>, _>(11)? == record.capture_id;
        if !columns_agree {
            let problem = "edited: a stored field (type, action, step, disposition, place or time) differs from \
                           the event as captured"
                .to_string();
            return fail(Some(id), code, Some(record.first_event), problem);
        }
        tree.push_hash(batch::event_leaf(alg, &hash, body.as_bytes()));
        keys.extend(event.keys.into_iter().map(|(k, role)| (k, id, role.code())));
        keys.extend(event.parent.map(|p| (p, id, Role::Parent.code())));
        events += 1;
    }
    drop(rows);
    batches.receive_until(None).await?;
    if let Some(b) = batches.known.values().find(|(_, opened)| !opened).map(|(b, _)| b) {
        let problem = format!("deleted: batch {} was ledgered with {} events, none is stored", b.first_event, b.count);
        return fail(Some(b.first_event), None, Some(b.first_event), problem);
    }
    if streaming {
        if let Some(f) = check_projection(store, &batches.records()).await? {
            return Ok(Err(f));
        }
    }
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM trace_event_epcs").fetch_one(store.pool()).await?.try_get(0)?;
    if stored as u64 != expected_epcs {
        let problem = format!(
            "{} event–code rows are stored, the events name {expected_epcs}: rows were inserted behind the application",
            stored
        );
        return fail(None, None, None, problem);
    }
    Ok(Ok(TraceSummary { batches: batches.known.len() as u64, events }))
}

/// Compares a batch's event–code rows with those its events name: for the codes named, the rows
/// in the batch's id range must be exactly these.
async fn check_epc_rows(
    store: &Store,
    record: &BatchRecord,
    expected: &[EpcRow],
) -> Result<Option<(i64, String, String)>, TraceError> {
    let want: HashSet<(&str, i64, i64)> = expected.iter().map(|(k, id, r)| (k.as_str(), *id, *r)).collect();
    let mut codes: Vec<&str> = expected.iter().map(|(k, _, _)| k.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    let end = record.first_event + record.count as i64;
    let mut found: HashSet<(String, i64, i64)> = HashSet::with_capacity(want.len());
    for chunk in codes.chunks(500) {
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
        let sql = format!(
            "SELECT epc, event_id, role FROM trace_event_epcs WHERE event_id >= $1 AND event_id < $2 AND epc IN ({})",
            list.join(",")
        );
        let mut q = sqlx::query(&sql).bind(record.first_event).bind(end);
        for c in chunk {
            q = q.bind(*c);
        }
        for r in q.fetch_all(store.pool()).await? {
            found.insert((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
        }
    }
    if let Some((k, id, _)) = expected.iter().find(|(k, id, r)| !found.contains(&(k.clone(), *id, *r))) {
        return Ok(Some((
            *id,
            epc::display(k),
            "edited: an event–code row of this event was deleted or changed".into(),
        )));
    }
    if let Some((k, id, _)) = found.iter().find(|(k, id, r)| !want.contains(&(k.as_str(), *id, *r))) {
        return Ok(Some((*id, epc::display(k), "edited: an event–code row was added to this event".into())));
    }
    Ok(None)
}

/// A code the stored event `id` names, for naming it (rows may be gone: then none).
async fn code_of(store: &Store, id: i64) -> Result<Option<String>, TraceError> {
    let row = sqlx::query("SELECT epc FROM trace_event_epcs WHERE event_id = $1 LIMIT 1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(match row {
        Some(r) => Some(epc::display(&r.try_get::<String, _>(0)?)),
        None => None,
    })
}

/// The first code an event's JSON names (for messages).
fn first_code(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    ["epcList", "childEPCs", "inputEPCList", "outputEPCList"]
        .iter()
        .find_map(|f| v.get(f).and_then(|l| l.get(0)).and_then(|e| e.as_str()).map(str::to_string))
        .or_else(|| v.get("parentID").and_then(|p| p.as_str()).map(str::to_string))
}
