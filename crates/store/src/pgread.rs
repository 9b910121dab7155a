//! The ledger verifier's reader on PostgreSQL: its own connection (not through `Any`), one
//! `REPEATABLE READ` snapshot, and the entries and subtree hashes streamed with binary
//! `COPY … TO STDOUT`, decoded in place ([`crate::pgcopy`]).

use futures_util::TryStreamExt;
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};

use crate::pgcopy::{int8, CopyReader};
use crate::verify::{self as sql, corrupt, Feed, Halt, HeadTx, RawEntry, StoredCheckpoint, Tail};

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

pub(crate) async fn read_ledger(target: &PgTarget, mut feed: Feed, head: HeadTx) -> Result<Tail, Halt> {
    let mut conn = PgConnection::connect(&target.0).await.map_err(Halt::from)?;
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").execute(&mut conn).await?;
    // One long ordered join: let it sort and hash in memory.
    sqlx::query("SET LOCAL work_mem = '256MB'").execute(&mut conn).await?;
    let row = sqlx::query(sql::HEAD_SQL).fetch_one(&mut conn).await?;
    let _ = head.send((row.try_get(0)?, row.try_get(1)?));
    {
        let mut stream = conn.copy_out_raw(&format!("COPY ({}) TO STDOUT (FORMAT binary)", sql::ENTRIES_SQL)).await?;
        let mut reader = CopyReader::new(sql::ENTRY_WIDTH);
        let mut full = Vec::new();
        while let Some(piece) = stream.try_next().await? {
            reader
                .feed(&piece, |f: &[Option<&[u8]>]| {
                    let raw = RawEntry {
                        index: int(f[0], "idx")?,
                        at: int(f[1], "at")?,
                        actor: need(f[2], "actor")?,
                        action: need(f[3], "action")?,
                        entity: need(f[4], "entity")?,
                        id: need(f[5], "entity_id")?,
                        version: int(f[6], "version")?,
                        data_hash: need(f[7], "data_hash")?,
                        reason: need(f[8], "reason")?,
                        leaf: need(f[9], "leaf_hash")?,
                        data: f[10],
                        same: int(f[11], "same")? == 1,
                    };
                    if let Some(c) = feed.push(raw)? {
                        full.push(c);
                    }
                    Ok::<(), Stop>(())
                })
                .map_err(halt)?;
            for c in full.drain(..) {
                feed.send(c).await?;
            }
        }
        reader.finish::<Stop>().map_err(halt)?;
    }
    feed.entries_done().await?;
    {
        let mut stream = conn.copy_out_raw(&format!("COPY ({}) TO STDOUT (FORMAT binary)", sql::NODES_SQL)).await?;
        let mut reader = CopyReader::new(3);
        let mut full = Vec::new();
        while let Some(piece) = stream.try_next().await? {
            reader
                .feed(&piece, |f: &[Option<&[u8]>]| {
                    if let Some(n) = feed.push_node(int(f[0], "level")?, int(f[1], "idx")?, need(f[2], "hash")?)? {
                        full.push(n);
                    }
                    Ok::<(), Stop>(())
                })
                .map_err(halt)?;
            for n in full.drain(..) {
                feed.send_nodes(n).await?;
            }
        }
        reader.finish::<Stop>().map_err(halt)?;
    }
    if let Some(n) = feed.node_rest() {
        feed.send_nodes(n).await?;
    }
    drop(feed);
    let mut tail = Tail::default();
    for r in sqlx::query(sql::CHECKPOINTS_SQL).fetch_all(&mut conn).await? {
        tail.checkpoints.push(StoredCheckpoint {
            tree_size: r.try_get(0)?,
            root: r.try_get(1)?,
            at: r.try_get(2)?,
            signature: r.try_get(3)?,
            key_id: r.try_get(4)?,
        });
    }
    for r in sqlx::query(sql::KEYS_SQL).fetch_all(&mut conn).await? {
        tail.keys.insert(r.try_get(0)?, r.try_get(1)?);
    }
    sqlx::query("COMMIT").execute(&mut conn).await?;
    let _ = conn.close().await;
    Ok(tail)
}
