//! The ledger verifier's reader on PostgreSQL: its own connections (not through `Any`) in one
//! `REPEATABLE READ` snapshot, the entries, record versions and subtree hashes streamed side by
//! side with binary `COPY … TO STDOUT`, decoded in place ([`crate::pgcopy`]).

use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

use crate::pgcopy::{int8, CopyReader};
use crate::verify::{self as sql, corrupt, Feed, Halt, HeadTx, NodeFeed, RawEntry, Tail};

/// Where the PostgreSQL server is; the URL's password never reaches `Debug`.
#[derive(Clone)]
pub(crate) struct PgTarget(pub(crate) std::sync::Arc<str>);

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::redact_url(&self.0))
    }
}

/// A COPY format error or a reader's halt.
enum Stop {
    Format(String),
    Halt(Halt),
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Format(s)
    }
}

impl From<Halt> for Stop {
    fn from(h: Halt) -> Self {
        Stop::Halt(h)
    }
}

fn halt(stop: Stop) -> Halt {
    match stop {
        Stop::Format(message) => corrupt(format!("reading the ledger: {message}")),
        Stop::Halt(h) => h,
    }
}

fn int(field: Option<&[u8]>, what: &str) -> Result<i64, Stop> {
    int8(field).ok_or_else(|| Stop::Halt(corrupt(format!("{what} is not a bigint"))))
}

fn need<'a>(field: Option<&'a [u8]>, what: &str) -> Result<&'a [u8], Stop> {
    field.ok_or_else(|| Stop::Halt(corrupt(format!("{what} is NULL"))))
}

/// The entries in log order, without the join: the versions come from a second stream.
const ENTRIES_SQL: &str =
    "SELECT idx, at, actor, action, entity, entity_id, version, data_hash, reason, leaf_hash FROM ledger_entries \
     ORDER BY idx";
/// The record versions as stored (no order asked: they were written in log order, in the
/// transaction of their entry, and a heap scan returns them nearly so).
const VERSIONS_SQL: &str = "SELECT entity, entity_id, version, at, actor, action, reason, data FROM record_versions";
const VERSION_SQL: &str =
    "SELECT at, actor, action, reason, data FROM record_versions WHERE entity = $1 AND entity_id = $2 AND version = $3";
/// Versions read ahead of their entry and kept for it; past this, they are looked up one by one.
const LOOKAHEAD: usize = 1 << 16;

async fn begin(conn: &mut PgConnection, snapshot: Option<&str>) -> Result<(), Halt> {
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut *conn).await?;
    if let Some(id) = snapshot {
        if !id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(corrupt(format!("unexpected snapshot id {id:?}")));
        }
        sqlx::query(&format!("SET TRANSACTION SNAPSHOT '{id}'")).execute(&mut *conn).await?;
    }
    // Plain scans: compiling them would cost more than it saves.
    sqlx::query("SET LOCAL jit = off").execute(&mut *conn).await?;
    Ok(())
}

/// A row's text fields in one buffer.
struct Packed<const N: usize> {
    buf: Vec<u8>,
    spans: [(usize, usize); N],
}

impl<const N: usize> Packed<N> {
    fn new(fields: [&[u8]; N]) -> Self {
        let mut buf = Vec::with_capacity(fields.iter().map(|f| f.len()).sum());
        let spans = fields.map(|f| {
            let start = buf.len();
            buf.extend_from_slice(f);
            (start, buf.len())
        });
        Packed { buf, spans }
    }

    fn get(&self, i: usize) -> &[u8] {
        let (a, b) = self.spans[i];
        &self.buf[a..b]
    }
}

/// A record version: entity, id, actor, action, reason, data.
struct Version {
    text: Packed<6>,
    version: i64,
    at: i64,
}

fn key(entity: &[u8], id: &[u8], version: i64) -> Vec<u8> {
    // 0xff never occurs in UTF-8, so the parts cannot run into each other.
    let mut k = Vec::with_capacity(entity.len() + id.len() + 10);
    k.extend_from_slice(entity);
    k.push(0xff);
    k.extend_from_slice(id);
    k.push(0xff);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// The versions stream, pulled a row at a time, with the rows read ahead of their entry.
struct Versions<S> {
    stream: S,
    reader: CopyReader,
    queue: std::collections::VecDeque<Version>,
    ended: bool,
    ahead: std::collections::HashMap<Vec<u8>, Version>,
    /// Rows were dropped for want of room: a version not found may be further on.
    overflowed: bool,
}

impl<S, B> Versions<S>
where
    S: futures_util::Stream<Item = Result<B, sqlx::Error>> + Unpin,
    B: std::ops::Deref<Target = [u8]>,
{
    async fn next(&mut self) -> Result<Option<Version>, Halt> {
        while self.queue.is_empty() && !self.ended {
            match self.stream.try_next().await? {
                Some(piece) => {
                    let queue = &mut self.queue;
                    self.reader
                        .feed(&piece, |f: &[Option<&[u8]>]| {
                            queue.push_back(Version {
                                text: Packed::new([
                                    need(f[0], "entity")?,
                                    need(f[1], "entity_id")?,
                                    need(f[4], "actor")?,
                                    need(f[5], "action")?,
                                    need(f[6], "reason")?,
                                    need(f[7], "data")?,
                                ]),
                                version: int(f[2], "version")?,
                                at: int(f[3], "at")?,
                            });
                            Ok::<(), Stop>(())
                        })
                        .map_err(halt)?;
                }
                None => {
                    self.reader.finish::<Stop>().map_err(halt)?;
                    self.ended = true;
                }
            }
        }
        Ok(self.queue.pop_front())
    }

    /// The version of an entry: read ahead until it comes (keeping the others for their
    /// entries), or `None` when the stream has no such row.
    async fn find(&mut self, entity: &[u8], id: &[u8], version: i64) -> Result<Option<Version>, Halt> {
        if !self.ahead.is_empty() {
            if let Some(v) = self.ahead.remove(&key(entity, id, version)) {
                return Ok(Some(v));
            }
        }
        while let Some(v) = self.next().await? {
            if v.version == version && v.text.get(0) == entity && v.text.get(1) == id {
                return Ok(Some(v));
            }
            if self.ahead.len() < LOOKAHEAD {
                self.ahead.insert(key(v.text.get(0), v.text.get(1), v.version), v);
            } else {
                self.overflowed = true;
            }
        }
        Ok(None)
    }
}

/// One version by its key, in the snapshot (when the stream's order was too far from the log's).
async fn version_by_key(
    conn: &mut PgConnection,
    entity: &[u8],
    id: &[u8],
    version: i64,
) -> Result<Option<Version>, Halt> {
    let (Ok(entity_text), Ok(id_text)) = (std::str::from_utf8(entity), std::str::from_utf8(id)) else {
        return Ok(None);
    };
    let row = sqlx::query(VERSION_SQL).bind(entity_text).bind(id_text).bind(version).fetch_optional(conn).await?;
    let Some(r) = row else { return Ok(None) };
    let text = |i: usize| r.try_get::<String, _>(i);
    let (actor, action, reason, data) = (text(1)?, text(2)?, text(3)?, text(4)?);
    Ok(Some(Version {
        text: Packed::new([entity, id, actor.as_bytes(), action.as_bytes(), reason.as_bytes(), data.as_bytes()]),
        version,
        at: r.try_get(0)?,
    }))
}

/// The ledger verifier's reader on PostgreSQL: the entries in log order on one connection, the
/// record versions beside them on a second and the subtree hashes on a third, all in the first
/// one's snapshot; each entry is matched with its version here rather than by a join and sort
/// in the server, which cost more than the rest of the verification.
pub(crate) async fn read_ledger(
    target: &PgTarget,
    mut feed: Feed,
    mut nodes: NodeFeed,
    head: HeadTx,
) -> Result<Tail, Halt> {
    let mut main = PgConnection::connect(&target.0).await?;
    begin(&mut main, None).await?;
    let row = sqlx::query(sql::HEAD_SQL).fetch_one(&mut main).await?;
    let _ = head.send((row.try_get(0)?, row.try_get(1)?));
    let snapshot: String = sqlx::query_scalar("SELECT pg_export_snapshot()").fetch_one(&mut main).await?;
    let mut side = Vec::with_capacity(3);
    for _ in 0..3 {
        let mut c = PgConnection::connect(&target.0).await?;
        begin(&mut c, Some(&snapshot)).await?;
        side.push(c);
    }
    let (Some(mut lookup), Some(mut node_conn), Some(mut version_conn)) = (side.pop(), side.pop(), side.pop()) else {
        return Err(corrupt("connections to read the ledger"));
    };
    let entries = async {
        let mut versions = Versions {
            stream: version_conn.copy_out_raw(&format!("COPY ({VERSIONS_SQL}) TO STDOUT (FORMAT binary)")).await?,
            reader: CopyReader::new(8),
            queue: Default::default(),
            ended: false,
            ahead: Default::default(),
            overflowed: false,
        };
        let mut stream = main.copy_out_raw(&format!("COPY ({ENTRIES_SQL}) TO STDOUT (FORMAT binary)")).await?;
        let mut reader = CopyReader::new(10);
        // The entries of one piece (PostgreSQL sends a row per piece): text, then numbers.
        let mut rows: Vec<(Packed<8>, [i64; 3])> = Vec::new();
        while let Some(piece) = stream.try_next().await? {
            reader
                .feed(&piece, |f: &[Option<&[u8]>]| {
                    let text = Packed::new([
                        need(f[2], "actor")?,
                        need(f[3], "action")?,
                        need(f[4], "entity")?,
                        need(f[5], "entity_id")?,
                        need(f[7], "data_hash")?,
                        need(f[8], "reason")?,
                        need(f[9], "leaf_hash")?,
                        &[],
                    ]);
                    rows.push((text, [int(f[0], "idx")?, int(f[1], "at")?, int(f[6], "version")?]));
                    Ok::<(), Stop>(())
                })
                .map_err(halt)?;
            for (t, [index, at, version]) in rows.drain(..) {
                let (entity, id) = (t.get(2), t.get(3));
                let mut found = versions.find(entity, id, version).await?;
                if found.is_none() && versions.overflowed {
                    found = version_by_key(&mut lookup, entity, id, version).await?;
                }
                let same = found.as_ref().is_some_and(|v| {
                    v.at == at && v.text.get(2) == t.get(0) && v.text.get(3) == t.get(1) && v.text.get(4) == t.get(5)
                });
                let raw = RawEntry {
                    index,
                    at,
                    actor: t.get(0),
                    action: t.get(1),
                    entity,
                    id,
                    version,
                    data_hash: t.get(4),
                    reason: t.get(5),
                    leaf: t.get(6),
                    data: found.as_ref().map(|v| v.text.get(5)),
                    same,
                };
                if let Some(c) = feed.push(raw)? {
                    feed.send(c).await?;
                }
            }
        }
        reader.finish::<Stop>().map_err(halt)?;
        feed.entries_done().await?;
        drop(feed);
        Ok::<(), Halt>(())
    };
    let subtree_hashes = async {
        let mut stream =
            node_conn.copy_out_raw(&format!("COPY ({}) TO STDOUT (FORMAT binary)", sql::NODES_SQL)).await?;
        let mut reader = CopyReader::new(3);
        let mut full = Vec::new();
        while let Some(piece) = stream.try_next().await? {
            reader
                .feed(&piece, |f: &[Option<&[u8]>]| {
                    if let Some(n) = nodes.push(int(f[0], "level")?, int(f[1], "idx")?, need(f[2], "hash")?)? {
                        full.push(n);
                    }
                    Ok::<(), Stop>(())
                })
                .map_err(halt)?;
            for n in full.drain(..) {
                nodes.send(n).await?;
            }
        }
        reader.finish::<Stop>().map_err(halt)?;
        if let Some(n) = nodes.rest() {
            nodes.send(n).await?;
        }
        drop(nodes);
        Ok::<(), Halt>(())
    };
    let (read_entries, read_nodes) = tokio::join!(entries, subtree_hashes);
    // An error beats a stop (the other side stops when this one fails).
    match (read_entries, read_nodes) {
        (Err(Halt::Error(e)), _) | (_, Err(Halt::Error(e))) => return Err(Halt::Error(e)),
        (Err(h), _) | (_, Err(h)) => return Err(h),
        (Ok(()), Ok(())) => {}
    }
    let checkpoints = sqlx::query(sql::CHECKPOINTS_SQL).fetch_all(&mut main).await?;
    let keys = sqlx::query(sql::KEYS_SQL).fetch_all(&mut main).await?;
    let tail = Tail::from_rows(&checkpoints, &keys)?;
    for c in [main, version_conn, node_conn, lookup] {
        let _ = c.close().await;
    }
    Ok(tail)
}
