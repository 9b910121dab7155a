//! A native SQLite connection beside the pool, for bulk writers (trace ingest) whose cost is
//! binding many small rows: `rusqlite` statements prepared once and stepped row by row skip the
//! per-value conversions of the `Any` layer. Same file, same pragmas, same busy timeout; the
//! work runs on a blocking thread so the async runtime keeps serving.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::verify::{self as sql, corrupt, Feed, Halt, HeadTx, NodeFeed, RawEntry, StoredCheckpoint, Tail};
use crate::StoreError;

/// The native side of a SQLite store: where the file is, and one idle connection kept so that
/// its prepared statements outlive a call.
#[derive(Debug)]
pub(crate) struct Native {
    path: PathBuf,
    busy_timeout: Duration,
    idle: Mutex<Option<rusqlite::Connection>>,
    /// A checkpoint is running on its own thread.
    checkpointing: AtomicBool,
}

impl Native {
    /// `None` for an in-memory database, which a second connection could not see.
    pub(crate) fn for_url(url: &str, busy_timeout: Duration) -> Option<Native> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        Some(Native {
            path: PathBuf::from(path),
            busy_timeout,
            idle: Mutex::new(None),
            checkpointing: AtomicBool::new(false),
        })
    }

    fn take(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        if let Some(c) = self.idle.lock().ok().and_then(|mut idle| idle.take()) {
            return Ok(c);
        }
        let c = self.open()?;
        // Bulk commits do not checkpoint: `checkpoint_behind` does, beside the next batch.
        c.pragma_update(None, "wal_autocheckpoint", 0)?;
        c.set_prepared_statement_cache_capacity(64);
        Ok(c)
    }

    fn open(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        let c = rusqlite::Connection::open(&self.path)?;
        c.busy_timeout(self.busy_timeout)?;
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; \
             PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY;",
        )?;
        Ok(c)
    }

    /// A connection for the ledger verifier that refuses to write (`query_only`; opened for
    /// writing all the same, so that it can take part in the WAL however the file was left),
    /// with a large page cache and the file mapped, for one long scan.
    pub(crate) fn reader(&self) -> Result<rusqlite::Connection, rusqlite::Error> {
        use rusqlite::OpenFlags;
        let c = rusqlite::Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        c.busy_timeout(self.busy_timeout)?;
        c.execute_batch(
            "PRAGMA query_only=1; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA mmap_size=1073741824;",
        )?;
        Ok(c)
    }

    /// Copies what the write-ahead log holds into the database file on a thread of its own,
    /// unless one is at it already: a passive checkpoint waits for no reader or writer, so the
    /// next batch is written meanwhile (the checkpoint used to take a fifth of a batch's time).
    fn checkpoint_behind(self: &Arc<Self>) {
        if self.checkpointing.swap(true, Ordering::AcqRel) {
            return;
        }
        let native = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let done = native.open().and_then(|c| c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())));
            if let Err(e) = done {
                tracing::warn!(error = %e, "background WAL checkpoint failed");
            }
            native.checkpointing.store(false, Ordering::Release);
        });
    }

    fn give_back(&self, c: rusqlite::Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            *idle = Some(c);
        }
    }
}

impl crate::Store {
    /// True for a SQLite file, where [`Store::with_native_sqlite`] runs its work.
    pub fn has_native_sqlite(&self) -> bool {
        self.native.is_some()
    }

    /// Runs `work` with a native connection to this SQLite store's file on a blocking thread.
    /// A store that is not a SQLite file ([`Store::has_native_sqlite`] is false: PostgreSQL, or
    /// in memory) has none; ask first and use the pool there.
    pub async fn with_native_sqlite<T, E>(
        &self,
        work: impl FnOnce(&mut rusqlite::Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let Some(native) = self.native.clone() else {
            return Err(E::from(StoreError::Corrupt("this store has no native SQLite connection".into())));
        };
        let joined = tokio::task::spawn_blocking(move || {
            let mut conn = native.take().map_err(|e| E::from(StoreError::Native(e)))?;
            let out = work(&mut conn);
            // A connection left inside a transaction (the work failed half way) is not reused.
            if conn.is_autocommit() {
                native.give_back(conn);
            }
            native.checkpoint_behind();
            out
        })
        .await;
        joined.unwrap_or_else(|e| Err(E::from(StoreError::Corrupt(format!("native SQLite task: {e}")))))
    }
}

/// The ledger verifier's reader on a SQLite file: head, entries, subtree hashes, checkpoints
/// and site keys in one read transaction (one snapshot), each row decoded in place.
pub(crate) fn read_ledger(
    conn: rusqlite::Connection,
    mut feed: Feed,
    mut nodes: NodeFeed,
    head: HeadTx,
) -> Result<Tail, Halt> {
    use rusqlite::types::ValueRef;
    fn int(row: &rusqlite::Row<'_>, i: usize) -> Result<i64, Halt> {
        match row.get_ref(i)? {
            ValueRef::Integer(n) => Ok(n),
            other => Err(corrupt(format!("column {i} holds {:?} where a number belongs", other.data_type()))),
        }
    }
    fn bytes<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r [u8]>, Halt> {
        match row.get_ref(i)? {
            ValueRef::Text(b) | ValueRef::Blob(b) => Ok(Some(b)),
            ValueRef::Null => Ok(None),
            other => Err(corrupt(format!("column {i} holds {:?} where text belongs", other.data_type()))),
        }
    }
    fn need<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r [u8], Halt> {
        bytes(row, i)?.ok_or_else(|| corrupt(format!("column {i} is NULL")))
    }
    conn.execute_batch("BEGIN")?;
    let (alg, size): (String, i64) = conn.query_row(sql::HEAD_SQL, [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let _ = head.send((alg, size));
    {
        let mut stmt = conn.prepare(sql::ENTRIES_SQL)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let raw = RawEntry {
                index: int(r, 0)?,
                at: int(r, 1)?,
                actor: need(r, 2)?,
                action: need(r, 3)?,
                entity: need(r, 4)?,
                id: need(r, 5)?,
                version: int(r, 6)?,
                data_hash: need(r, 7)?,
                reason: need(r, 8)?,
                leaf: need(r, 9)?,
                data: bytes(r, 10)?,
                same: int(r, 11)? == 1,
            };
            if let Some(c) = feed.push(raw)? {
                feed.send_blocking(c)?;
            }
        }
    }
    feed.entries_done_blocking()?;
    {
        let mut stmt = conn.prepare(sql::NODES_SQL)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(n) = nodes.push(int(r, 0)?, int(r, 1)?, need(r, 2)?)? {
                nodes.send_blocking(n)?;
            }
        }
    }
    if let Some(n) = nodes.rest() {
        nodes.send_blocking(n)?;
    }
    drop((feed, nodes));
    let mut tail = Tail::default();
    {
        let mut stmt = conn.prepare(sql::CHECKPOINTS_SQL)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            tail.checkpoints.push(StoredCheckpoint {
                tree_size: r.get(0)?,
                root: r.get(1)?,
                at: r.get(2)?,
                signature: r.get(3)?,
                key_id: r.get(4)?,
            });
        }
        let mut stmt = conn.prepare(sql::KEYS_SQL)?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            tail.keys.insert(r.get(0)?, r.get(1)?);
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use super::Native;
    use std::time::Duration;

    #[test]
    fn file_urls_have_a_native_side_and_memory_does_not() {
        let t = Duration::from_secs(1);
        assert_eq!(
            Native::for_url("sqlite:///tmp/a/yaolian.db?mode=rwc", t).map(|n| n.path),
            Some("/tmp/a/yaolian.db".into())
        );
        assert_eq!(Native::for_url("sqlite:data.db", t).map(|n| n.path), Some("data.db".into()));
        assert!(Native::for_url("sqlite::memory:", t).is_none());
        assert!(Native::for_url("sqlite://x.db?mode=memory", t).is_none());
        assert!(Native::for_url("postgres://localhost/test", t).is_none());
    }
}
