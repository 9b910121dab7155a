//! Full verification of the ledger ([`crate::ledger::verify`]) at the speed of the hash.
//!
//! A reader decodes each entry with its record version using the backend's native driver inside
//! one read snapshot — a `rusqlite` connection on a SQLite file (`native::read_ledger`), binary
//! `COPY … TO STDOUT` on PostgreSQL (`pgread`), the pool for an in-memory SQLite — into chunks
//! of [`CHUNK`] rows whose text sits in one buffer. Chunks go round-robin through bounded queues
//! to one hashing thread per core, which checks every row (position, data hash, who/when/what/
//! why, leaf hash) and hashes the perfect subtrees inside its chunk; the verifying task takes the
//! results back in order, stops at the first failure, builds the rest of the tree and compares
//! the stored subtree hashes as the reader delivers them; last come the checkpoints and site
//! keys of the same snapshot. Memory stays bounded by the queues, besides the tree's hashes
//! (64 bytes per entry).

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use yaolian_ledger::merkle::{self, LevelTree, NodeId};
use yaolian_ledger::{EntryFields, Hash, HashAlg};

use crate::ledger::{Checkpoint, VerifyFailure, VerifySummary};
use crate::{Store, StoreError};

/// Rows per chunk: a power of two, so that a chunk is an aligned block of the tree.
const CHUNK: usize = 4096;
/// A chunk is sent early when its text passes this, to keep memory bounded for large records.
const CHUNK_TEXT: usize = 16 << 20;
/// Chunks queued per hashing thread.
const QUEUE: usize = 4;

pub(crate) const HEAD_SQL: &str = "SELECT hash_alg, size FROM ledger_head WHERE id = 1";
/// The entries with their record versions; `same` is 1 when the version's who, when, what and
/// why are the entry's (compared by the database: bytewise on both backends).
pub(crate) const ENTRIES_SQL: &str =
    "SELECT e.idx, e.at, e.actor, e.action, e.entity, e.entity_id, e.version, e.data_hash, \
     e.reason, e.leaf_hash, v.data, CAST(CASE WHEN v.at = e.at AND v.actor = e.actor AND v.action = e.action \
     AND v.reason = e.reason THEN 1 ELSE 0 END AS BIGINT) \
     FROM ledger_entries e LEFT JOIN record_versions v \
     ON v.entity = e.entity AND v.entity_id = e.entity_id AND v.version = e.version ORDER BY e.idx";
pub(crate) const NODES_SQL: &str = "SELECT level, idx, hash FROM ledger_nodes";
pub(crate) const CHECKPOINTS_SQL: &str =
    "SELECT tree_size, root_hash, at, signature, key_id FROM ledger_checkpoints ORDER BY tree_size";
pub(crate) const KEYS_SQL: &str = "SELECT key_id, public_pem FROM site_keys";

/// A record whose entry the verification has checked, handed to a [`Watch`].
#[derive(Debug, Clone, PartialEq)]
pub struct WatchedRecord {
    pub index: u64,
    pub id: String,
    pub version: i64,
    /// The after-image as stored (its hash is the entry's data hash).
    pub data: String,
}

/// Asks [`crate::ledger::verify_watching`] to hand on, in ledger order, every record of
/// `entity` whose entry it has checked: checks above the store (trace batch roots) then run in
/// the same pass, on the records the ledger vouches for.
#[derive(Debug)]
pub struct Watch {
    pub entity: String,
    pub records: mpsc::UnboundedSender<WatchedRecord>,
}

/// Why a reader stopped early: an error, or nobody listens any more (a failure was found).
#[derive(Debug)]
pub(crate) enum Halt {
    Error(StoreError),
    Stopped,
}

impl<E: Into<StoreError>> From<E> for Halt {
    fn from(e: E) -> Self {
        Halt::Error(e.into())
    }
}

pub(crate) fn corrupt(message: impl Into<String>) -> Halt {
    Halt::Error(StoreError::Corrupt(message.into()))
}

/// A text span in a chunk's buffer.
type Span = (usize, usize);

/// One entry row, decoded.
struct Row {
    index: i64,
    at: i64,
    version: i64,
    same: bool,
    data_hash: Hash,
    leaf: Hash,
    actor: Span,
    action: Span,
    entity: Span,
    id: Span,
    reason: Span,
    data: Option<Span>,
}

/// Rows read, their text in one buffer; `first` is the position the first row should have.
pub(crate) struct Chunk {
    first: u64,
    text: Vec<u8>,
    rows: Vec<Row>,
}

/// One row as a reader sees it.
pub(crate) struct RawEntry<'a> {
    pub index: i64,
    pub at: i64,
    pub actor: &'a [u8],
    pub action: &'a [u8],
    pub entity: &'a [u8],
    pub id: &'a [u8],
    pub version: i64,
    pub data_hash: &'a [u8],
    pub reason: &'a [u8],
    pub leaf: &'a [u8],
    pub data: Option<&'a [u8]>,
    pub same: bool,
}

fn hash32(bytes: &[u8], index: i64, what: &str) -> Result<Hash, Halt> {
    let arr: [u8; 32] =
        bytes.try_into().map_err(|_| corrupt(format!("entry {index}: stored {what} is not 32 bytes")))?;
    Ok(Hash(arr))
}

/// Packs rows into chunks and deals them to the hashing threads.
pub(crate) struct Feed {
    chunk: Chunk,
    read: u64,
    workers: Vec<mpsc::Sender<Chunk>>,
    next: usize,
}

/// Stored subtree hashes, in batches, to the task that holds the tree.
pub(crate) struct NodeFeed {
    nodes: mpsc::Sender<Vec<(NodeId, Hash)>>,
    buf: Vec<(NodeId, Hash)>,
}

impl Feed {
    fn empty_chunk(first: u64) -> Chunk {
        Chunk { first, text: Vec::with_capacity(CHUNK * 192), rows: Vec::with_capacity(CHUNK) }
    }

    /// Adds a row; a full chunk is returned for sending.
    pub(crate) fn push(&mut self, r: RawEntry<'_>) -> Result<Option<Chunk>, Halt> {
        let data_hash = hash32(r.data_hash, r.index, "data hash")?;
        let leaf = hash32(r.leaf, r.index, "leaf hash")?;
        let c = &mut self.chunk;
        let mut span = |bytes: &[u8]| {
            let start = c.text.len();
            c.text.extend_from_slice(bytes);
            (start, c.text.len())
        };
        let row = Row {
            index: r.index,
            at: r.at,
            version: r.version,
            same: r.same,
            data_hash,
            leaf,
            actor: span(r.actor),
            action: span(r.action),
            entity: span(r.entity),
            id: span(r.id),
            reason: span(r.reason),
            data: r.data.map(&mut span),
        };
        c.rows.push(row);
        self.read += 1;
        // Chunks end at multiples of CHUNK rows (aligned blocks), or early for large text.
        if self.read.is_multiple_of(CHUNK as u64) || c.text.len() >= CHUNK_TEXT {
            return Ok(Some(std::mem::replace(&mut self.chunk, Self::empty_chunk(self.read))));
        }
        Ok(None)
    }

    /// The last, partial chunk.
    fn rest(&mut self) -> Option<Chunk> {
        (!self.chunk.rows.is_empty()).then(|| std::mem::replace(&mut self.chunk, Self::empty_chunk(self.read)))
    }

    fn worker(&mut self) -> mpsc::Sender<Chunk> {
        let w = self.workers[self.next % self.workers.len()].clone();
        self.next += 1;
        w
    }

    pub(crate) fn send_blocking(&mut self, chunk: Chunk) -> Result<(), Halt> {
        self.worker().blocking_send(chunk).map_err(|_| Halt::Stopped)
    }

    pub(crate) async fn send(&mut self, chunk: Chunk) -> Result<(), Halt> {
        self.worker().send(chunk).await.map_err(|_| Halt::Stopped)
    }

    /// Ends the entries: sends the partial chunk, then lets the hashing threads finish.
    pub(crate) fn entries_done_blocking(&mut self) -> Result<(), Halt> {
        if let Some(c) = self.rest() {
            self.send_blocking(c)?;
        }
        self.workers.clear();
        Ok(())
    }

    pub(crate) async fn entries_done(&mut self) -> Result<(), Halt> {
        if let Some(c) = self.rest() {
            self.send(c).await?;
        }
        self.workers.clear();
        Ok(())
    }
}

impl NodeFeed {
    /// Adds a stored subtree hash; a full batch is returned for sending.
    pub(crate) fn push(&mut self, level: i64, idx: i64, hash: &[u8]) -> Result<Option<Vec<(NodeId, Hash)>>, Halt> {
        let (Ok(level), Ok(index)) = (u32::try_from(level), u64::try_from(idx)) else {
            return Err(corrupt(format!("ledger node at level {level} index {idx}: no such position")));
        };
        let arr: [u8; 32] = hash
            .try_into()
            .map_err(|_| corrupt(format!("ledger node at level {level} index {index}: stored hash is not 32 bytes")))?;
        self.buf.push((NodeId { level, index }, Hash(arr)));
        if self.buf.len() >= CHUNK {
            return Ok(Some(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK))));
        }
        Ok(None)
    }

    pub(crate) fn send_blocking(&mut self, nodes: Vec<(NodeId, Hash)>) -> Result<(), Halt> {
        self.nodes.blocking_send(nodes).map_err(|_| Halt::Stopped)
    }

    pub(crate) async fn send(&mut self, nodes: Vec<(NodeId, Hash)>) -> Result<(), Halt> {
        self.nodes.send(nodes).await.map_err(|_| Halt::Stopped)
    }

    pub(crate) fn rest(&mut self) -> Option<Vec<(NodeId, Hash)>> {
        (!self.buf.is_empty()).then(|| std::mem::take(&mut self.buf))
    }
}

/// A checkpoint row as stored.
pub(crate) struct StoredCheckpoint {
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub at: i64,
    pub signature: Vec<u8>,
    pub key_id: String,
}

/// What a reader hands back besides the rows: the snapshot's checkpoints and site keys.
#[derive(Default)]
pub(crate) struct Tail {
    pub checkpoints: Vec<StoredCheckpoint>,
    pub keys: HashMap<String, String>,
}

impl Tail {
    /// The tail from the rows of [`CHECKPOINTS_SQL`] and [`KEYS_SQL`], whichever driver read them.
    pub(crate) fn from_rows<R: sqlx::Row>(checkpoints: &[R], keys: &[R]) -> Result<Tail, sqlx::Error>
    where
        usize: sqlx::ColumnIndex<R>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    {
        let mut tail = Tail::default();
        for r in checkpoints {
            tail.checkpoints.push(StoredCheckpoint {
                tree_size: r.try_get(0)?,
                root: r.try_get(1)?,
                at: r.try_get(2)?,
                signature: r.try_get(3)?,
                key_id: r.try_get(4)?,
            });
        }
        for r in keys {
            tail.keys.insert(r.try_get(0)?, r.try_get(1)?);
        }
        Ok(tail)
    }
}

/// Where a reader reports the head it read (hash function name, size).
pub(crate) type HeadTx = oneshot::Sender<(String, i64)>;

/// What a worker found in one chunk.
struct ChunkDone {
    first: u64,
    count: u64,
    levels: Vec<Vec<Hash>>,
    failure: Option<VerifyFailure>,
    last: Option<(String, String)>,
    watched: Vec<WatchedRecord>,
}

fn text(buf: &[u8], span: Span) -> Option<&str> {
    std::str::from_utf8(buf.get(span.0..span.1)?).ok()
}

/// Checks one chunk's rows and hashes the subtrees inside it.
fn check_chunk(alg: HashAlg, chunk: Chunk, watch: Option<&str>) -> ChunkDone {
    let Chunk { first, text: buf, rows } = chunk;
    let mut leaves = Vec::with_capacity(rows.len());
    let mut canonical = Vec::with_capacity(512);
    let mut watched = Vec::new();
    let mut last = None;
    let mut failure = None;
    for (row, expected) in rows.iter().zip(first..) {
        let name = |s: Span| text(&buf, s).unwrap_or_default().to_string();
        let fail =
            |problem: String| VerifyFailure { index: expected, entity: name(row.entity), id: name(row.id), problem };
        if row.index != expected as i64 {
            failure = Some(fail(format!("entry {expected} is missing (next stored entry is {})", row.index)));
            break;
        }
        let fields = (text(&buf, row.actor), text(&buf, row.action), text(&buf, row.entity), text(&buf, row.id));
        let (Some(actor), Some(action), Some(entity), Some(id), Some(reason)) =
            (fields.0, fields.1, fields.2, fields.3, text(&buf, row.reason))
        else {
            failure = Some(fail("a text field of the entry is not UTF-8 (content changed)".into()));
            break;
        };
        let Some(data) = row.data.and_then(|s| buf.get(s.0..s.1)) else {
            failure = Some(fail(format!("record version {} is missing", row.version)));
            break;
        };
        if alg.digest(&[data]) != row.data_hash {
            failure = Some(fail(format!("record version {} content does not match its hash", row.version)));
            break;
        }
        if !row.same {
            failure = Some(fail("who, when, what or why of the record version differs from the entry".into()));
            break;
        }
        canonical.clear();
        canonical.push(0x00);
        EntryFields {
            index: expected,
            time: row.at,
            actor,
            action,
            entity,
            id,
            version: row.version,
            data_hash: &row.data_hash,
            reason,
        }
        .write_canonical(&mut canonical);
        // RFC 9162 leaf: HASH(0x00 || entry), the prefix written first.
        if alg.digest(&[&canonical]) != row.leaf {
            failure = Some(fail("leaf hash does not match the entry (content or order changed)".into()));
            break;
        }
        if watch == Some(entity) {
            watched.push(WatchedRecord {
                index: expected,
                id: id.to_string(),
                version: row.version,
                data: String::from_utf8_lossy(data).into_owned(),
            });
        }
        leaves.push(row.leaf);
        last = Some((entity, id));
    }
    let count = leaves.len() as u64;
    let last = last.map(|(e, i)| (e.to_string(), i.to_string()));
    // Inner subtrees are perfect subtrees of the log only when the block is aligned.
    let top = if leaves.is_empty() { 0 } else { 63 - (leaves.len() as u64).leading_zeros() };
    let levels = if failure.is_none() && first.is_multiple_of(1u64 << top) {
        merkle::block_levels(alg, leaves)
    } else {
        vec![leaves]
    };
    ChunkDone { first, count, levels, failure, last, watched }
}

fn spawn_workers(
    alg: HashAlg,
    inputs: Vec<mpsc::Receiver<Chunk>>,
    watch: Option<Arc<str>>,
    hash: bool,
) -> Result<Vec<mpsc::Receiver<ChunkDone>>, StoreError> {
    let mut outputs = Vec::with_capacity(inputs.len());
    for (n, mut input) in inputs.into_iter().enumerate() {
        let (tx, rx) = mpsc::channel::<ChunkDone>(QUEUE);
        let watch = watch.clone();
        std::thread::Builder::new()
            .name(format!("ledger-verify-{n}"))
            .spawn(move || {
                while let Some(chunk) = input.blocking_recv() {
                    let done = if hash {
                        check_chunk(alg, chunk, watch.as_deref())
                    } else {
                        // A bare read: the rows are dropped unhashed.
                        let count = chunk.rows.len() as u64;
                        ChunkDone {
                            first: chunk.first,
                            count,
                            levels: Vec::new(),
                            failure: None,
                            last: None,
                            watched: Vec::new(),
                        }
                    };
                    if tx.blocking_send(done).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("cannot start a verification thread: {e}")))?;
        outputs.push(rx);
    }
    Ok(outputs)
}

/// Starts the reader for this store's backend.
fn start_reader(store: &Store, feed: Feed, nodes: NodeFeed, head: HeadTx) -> oneshot::Receiver<Result<Tail, Halt>> {
    let (done_tx, done_rx) = oneshot::channel();
    if let Some(conn) = store.native.as_ref().map(|n| n.reader()) {
        let spawned = std::thread::Builder::new().name("ledger-verify-read".into()).spawn(move || {
            let out = conn.map_err(Halt::from).and_then(|c| crate::native::read_ledger(c, feed, nodes, head));
            let _ = done_tx.send(out);
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "cannot start the ledger reader thread");
        }
    } else if let Some(url) = store.pg.clone() {
        tokio::spawn(async move {
            let _ = done_tx.send(crate::pgread::read_ledger(&url, feed, nodes, head).await);
        });
    } else {
        let pool = store.pool().clone();
        tokio::spawn(async move {
            let _ = done_tx.send(read_pool(pool, feed, nodes, head).await);
        });
    }
    done_rx
}

/// The reader over the pool (an in-memory SQLite has no second connection to read natively).
async fn read_pool(pool: sqlx::AnyPool, mut feed: Feed, mut nodes: NodeFeed, head: HeadTx) -> Result<Tail, Halt> {
    use futures_util::TryStreamExt;
    use sqlx::Row;
    let mut tx = pool.begin().await?;
    let row = sqlx::query(HEAD_SQL).fetch_one(&mut *tx).await?;
    let _ = head.send((row.try_get(0)?, row.try_get(1)?));
    {
        let mut rows = sqlx::query(ENTRIES_SQL).fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let s = |i: usize| r.try_get::<String, _>(i);
            let (actor, action, entity, id, reason) = (s(2)?, s(3)?, s(4)?, s(5)?, s(8)?);
            let (data_hash, leaf): (Vec<u8>, Vec<u8>) = (r.try_get(7)?, r.try_get(9)?);
            let data: Option<String> = r.try_get(10)?;
            let raw = RawEntry {
                index: r.try_get(0)?,
                at: r.try_get(1)?,
                actor: actor.as_bytes(),
                action: action.as_bytes(),
                entity: entity.as_bytes(),
                id: id.as_bytes(),
                version: r.try_get(6)?,
                data_hash: &data_hash,
                reason: reason.as_bytes(),
                leaf: &leaf,
                data: data.as_deref().map(str::as_bytes),
                same: r.try_get::<i64, _>(11)? == 1,
            };
            if let Some(c) = feed.push(raw)? {
                feed.send(c).await?;
            }
        }
    }
    feed.entries_done().await?;
    {
        let mut rows = sqlx::query(NODES_SQL).fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let hash: Vec<u8> = r.try_get(2)?;
            if let Some(n) = nodes.push(r.try_get(0)?, r.try_get(1)?, &hash)? {
                nodes.send(n).await?;
            }
        }
    }
    if let Some(n) = nodes.rest() {
        nodes.send(n).await?;
    }
    drop((feed, nodes));
    let checkpoints = sqlx::query(CHECKPOINTS_SQL).fetch_all(&mut *tx).await?;
    let keys = sqlx::query(KEYS_SQL).fetch_all(&mut *tx).await?;
    let tail = Tail::from_rows(&checkpoints, &keys)?;
    tx.rollback().await?;
    Ok(tail)
}

/// The pipeline's parts before the reader starts.
struct Pipeline {
    feed: Feed,
    node_feed: NodeFeed,
    inputs: Vec<mpsc::Receiver<Chunk>>,
    nodes: mpsc::Receiver<Vec<(NodeId, Hash)>>,
}

fn pipeline() -> Pipeline {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 4);
    let (mut workers, mut inputs) = (Vec::new(), Vec::new());
    for _ in 0..threads {
        let (tx, rx) = mpsc::channel(QUEUE);
        workers.push(tx);
        inputs.push(rx);
    }
    let (nodes_tx, nodes) = mpsc::channel(QUEUE * threads);
    let feed = Feed { chunk: Feed::empty_chunk(0), read: 0, workers, next: 0 };
    let node_feed = NodeFeed { nodes: nodes_tx, buf: Vec::with_capacity(CHUNK) };
    Pipeline { feed, node_feed, inputs, nodes }
}

async fn reader_result(done: oneshot::Receiver<Result<Tail, Halt>>) -> Result<Option<Tail>, StoreError> {
    match done.await {
        Ok(Ok(tail)) => Ok(Some(tail)),
        Ok(Err(Halt::Stopped)) => Ok(None),
        Ok(Err(Halt::Error(e))) => Err(e),
        Err(_) => Err(StoreError::Corrupt("the ledger reader stopped without an answer".into())),
    }
}

/// Reads what [`verify`] reads, with the same reader, and hashes nothing: the baseline of
/// `bench ledger`. Returns (entries, stored subtree hashes).
pub async fn bare_read(store: &Store) -> Result<(u64, u64), StoreError> {
    let Pipeline { feed, node_feed, inputs, mut nodes } = pipeline();
    let (head_tx, head_rx) = oneshot::channel();
    let done = start_reader(store, feed, node_feed, head_tx);
    let mut outputs = spawn_workers(HashAlg::Sm3, inputs, None, false)?;
    let _ = head_rx.await;
    let entries = async {
        let mut entries = 0u64;
        for n in 0.. {
            let k = outputs.len();
            match outputs[n % k].recv().await {
                Some(d) => entries += d.count,
                None => break,
            }
        }
        entries
    };
    let node_count = async {
        let mut count = 0u64;
        while let Some(batch) = nodes.recv().await {
            count += batch.len() as u64;
        }
        count
    };
    let (entries, node_count) = tokio::join!(entries, node_count);
    reader_result(done).await?;
    Ok((entries, node_count))
}

type Verdict = Result<VerifySummary, VerifyFailure>;

/// See [`crate::ledger::verify_watching`].
pub(crate) async fn verify(store: &Store, watch: Option<Watch>) -> Result<Verdict, StoreError> {
    let Pipeline { feed, node_feed, inputs, nodes } = pipeline();
    let (head_tx, head_rx) = oneshot::channel();
    let done = start_reader(store, feed, node_feed, head_tx);
    let Ok((alg_name, size)) = head_rx.await else {
        reader_result(done).await?;
        return Err(StoreError::Corrupt("the ledger reader stopped before reading the head".into()));
    };
    let alg =
        HashAlg::parse(&alg_name).ok_or_else(|| StoreError::Corrupt(format!("unknown ledger hash {alg_name}")))?;
    let size = size as u64;
    let entity: Option<Arc<str>> = watch.as_ref().map(|w| Arc::from(w.entity.as_str()));
    let outputs = spawn_workers(alg, inputs, entity, true)?;
    let checked = check_tree(alg, size, outputs, nodes, watch).await;
    // On a failure the queues are closed and the reader stops: its error, if any, comes first.
    let tail = reader_result(done).await?;
    let (tree, last) = match checked {
        Ok(t) => t,
        Err(failure) => return Ok(Err(failure)),
    };
    let Some(tail) = tail else {
        return Err(StoreError::Corrupt("the ledger reader stopped early".into()));
    };
    if let Some(failure) = crate::ledger::verify_audit_projection(store, size).await? {
        return Ok(Err(failure));
    }
    check_checkpoints(alg, size, &tree, &last, tail)
}

/// The comparison of stored subtree hashes with the recomputed tree, batch by batch as they
/// come (each once the tree covers it).
#[derive(Default)]
struct NodeCheck {
    /// Which recomputed nodes a stored hash matched, by level.
    seen: Vec<Vec<bool>>,
    matched: u64,
    extra: u64,
    first_bad: Option<NodeId>,
}

/// Where a node stands among the leaves (its first leaf, then its level), for naming the
/// earliest of several.
fn leaf_order(id: &NodeId) -> (u64, u32) {
    (id.index.checked_shl(id.level).unwrap_or(u64::MAX), id.level)
}

/// True when the tree of `size` leaves has every node of the batch (each is complete).
fn covered(batch: &[(NodeId, Hash)], size: u64) -> bool {
    batch.iter().all(|(id, _)| {
        id.level < 64
            && id.index.checked_add(1).and_then(|i| i.checked_mul(1u64 << id.level)).is_some_and(|end| end <= size)
    })
}

impl NodeCheck {
    fn check(&mut self, tree: &LevelTree, batch: Vec<(NodeId, Hash)>) {
        for (id, hash) in batch {
            match tree.get(id) {
                Some(h) if *h == hash => {
                    let level = id.level as usize;
                    if self.seen.len() <= level {
                        self.seen.resize(level + 1, Vec::new());
                    }
                    let seen = &mut self.seen[level];
                    let at = id.index as usize;
                    if seen.len() <= at {
                        seen.resize(at + 1, false);
                    }
                    self.matched += u64::from(!seen[at]);
                    seen[at] = true;
                }
                Some(_) => {
                    if self.first_bad.is_none_or(|b| leaf_order(&id) < leaf_order(&b)) {
                        self.first_bad = Some(id);
                    }
                }
                None => self.extra += 1,
            }
        }
    }

    /// The earliest recomputed node no stored hash matched.
    fn first_missing(&self, tree: &LevelTree) -> Option<NodeId> {
        tree.levels()
            .filter_map(|(level, nodes)| {
                let seen = self.seen.get(level as usize).map(Vec::as_slice).unwrap_or_default();
                (0..nodes.len())
                    .find(|&i| !seen.get(i).copied().unwrap_or(false))
                    .map(|i| NodeId { level, index: i as u64 })
            })
            .min_by_key(leaf_order)
    }
}

/// Takes the workers' results in order and builds the tree; meanwhile compares the stored
/// subtree hashes with it as they come.
async fn check_tree(
    alg: HashAlg,
    size: u64,
    mut outputs: Vec<mpsc::Receiver<ChunkDone>>,
    mut nodes: mpsc::Receiver<Vec<(NodeId, Hash)>>,
    watch: Option<Watch>,
) -> Result<(LevelTree, (String, String)), VerifyFailure> {
    let fail = |index: u64, entity: &str, id: &str, problem: String| {
        Err(VerifyFailure { index, entity: entity.to_string(), id: id.to_string(), problem })
    };
    let mut tree = LevelTree::new(alg);
    let mut last: (String, String) = Default::default();
    let mut node_check = NodeCheck::default();
    // A batch of stored hashes that waits for the tree to cover it; no more are taken meanwhile.
    let mut waiting: Option<Vec<(NodeId, Hash)>> = None;
    let mut nodes_open = true;
    let mut n = 0usize;
    loop {
        let k = outputs.len();
        tokio::select! {
            done = outputs[n % k].recv() => {
                let Some(done) = done else { break };
                n += 1;
                if let Some(failure) = done.failure {
                    return Err(failure);
                }
                if done.first != tree.size() {
                    // A chunk came back out of place: cannot happen with round-robin queues.
                    return fail(tree.size(), "", "", "the verification lost its place in the log".into());
                }
                if let Some(w) = &watch {
                    for r in done.watched {
                        // The watcher may have stopped at its own failure; the ledger check goes on.
                        let _ = w.records.send(r);
                    }
                }
                tree.append_block(done.levels);
                if let Some(l) = done.last {
                    last = l;
                }
                if waiting.as_ref().is_some_and(|b| covered(b, tree.size())) {
                    node_check.check(&tree, waiting.take().unwrap_or_default());
                }
            }
            batch = nodes.recv(), if nodes_open && waiting.is_none() => match batch {
                Some(b) if covered(&b, tree.size()) => node_check.check(&tree, b),
                Some(b) => waiting = Some(b),
                None => nodes_open = false,
            },
        }
    }
    drop(watch);
    drop(outputs);
    let stored = tree.size();
    if stored != size {
        return fail(stored, &last.0, &last.1, format!("the ledger head says {size} entries, {stored} are stored"));
    }
    // Every stored subtree hash must be the recomputed one, and none may be missing or extra.
    if let Some(b) = waiting.take() {
        node_check.check(&tree, b);
    }
    while let Some(b) = nodes.recv().await {
        node_check.check(&tree, b);
    }
    let mut first_bad = node_check.first_bad;
    if first_bad.is_none() && node_check.matched < tree.node_count() {
        first_bad = node_check.first_missing(&tree);
    }
    if let Some(id) = first_bad {
        return fail(
            id.index << id.level,
            "",
            "",
            format!("stored subtree hash at level {} index {} does not match", id.level, id.index),
        );
    }
    if node_check.extra > 0 {
        return fail(size, "", "", format!("{} stored subtree hashes beyond the last entry", node_check.extra));
    }
    Ok((tree, last))
}

/// Each checkpoint's signature verifies with its site key and its root is the recomputed head
/// of its size.
fn check_checkpoints(
    alg: HashAlg,
    size: u64,
    tree: &LevelTree,
    last: &(String, String),
    tail: Tail,
) -> Result<Verdict, StoreError> {
    let fail = |index: u64, entity: &str, id: &str, problem: String| {
        Ok(Err(VerifyFailure { index, entity: entity.to_string(), id: id.to_string(), problem }))
    };
    let count = tail.checkpoints.len() as u64;
    for c in tail.checkpoints {
        let root_hash = crate::ledger::hash_of(c.root)?;
        let cp = Checkpoint {
            head: yaolian_ledger::TreeHead { hash_alg: alg, tree_size: c.tree_size as u64, root_hash, time: c.at },
            signature: c.signature,
            key_id: c.key_id,
        };
        let (cp_size, cp_root) = (cp.head.tree_size, cp.head.root_hash);
        let signed = tail
            .keys
            .get(&cp.key_id)
            .is_some_and(|pem| yaolian_ledger::sign::verify(pem, &cp.head.message(), &cp.signature) == Ok(true));
        if !signed {
            return fail(
                cp_size.saturating_sub(1),
                "",
                "",
                format!("checkpoint at size {cp_size}: signature does not verify with site key {}", cp.key_id),
            );
        }
        if cp_size > size {
            return fail(
                size,
                &last.0,
                &last.1,
                format!("checkpoint at size {cp_size} is beyond the {size} entries stored: the log was truncated"),
            );
        }
        let recomputed = tree.root_at(cp_size).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if recomputed != cp_root {
            return fail(
                cp_size.saturating_sub(1),
                "",
                "",
                format!("checkpoint at size {cp_size} does not match the recomputed root"),
            );
        }
    }
    Ok(Ok(VerifySummary { hash_alg: alg.name().into(), entries: size, root: tree.root(), checkpoints: count }))
}
