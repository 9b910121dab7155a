//! The one write path over two connections. `versions::append_many` and `ledger::append_many`
//! are written once, over [`Writer`]: the pool's transaction (`Tx`, both backends) and a native
//! SQLite transaction (`rusqlite`, used by bulk writers such as trace ingest, which must ledger
//! their batch in the same transaction as their rows).
//!
//! The native methods never wait, so a future over them finishes in one poll ([`finish_now`]).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use sqlx::Row;
use yaolian_ledger::merkle::{NodeId, Nodes};

use crate::sql::{insert_rows, insert_rows_native, Value};
use crate::{StoreError, Tx};

/// What the write path asks of a connection inside its transaction.
pub(crate) trait Writer {
    /// Adds `count` to the ledger's size; returns (hash function name, new size).
    async fn grow_ledger(&mut self, count: u64) -> Result<(String, i64), StoreError>;
    /// (entity id, latest version) of the given ids (a JSON array of strings) of `entity`.
    async fn latest_versions(&mut self, entity: &str, ids_json: &str) -> Result<Vec<(String, i64)>, StoreError>;
    /// The stored perfect-subtree hashes among `ids`.
    async fn nodes(&mut self, ids: &[NodeId]) -> Result<Nodes, StoreError>;
    /// Inserts rows of `width` values (see [`crate::sql::insert_rows`]).
    async fn insert(&mut self, head: &str, width: usize, values: Vec<Value>) -> Result<u64, StoreError>;
}

const GROW: &str = "UPDATE ledger_head SET size = size + $1 WHERE id = 1 RETURNING hash_alg, size";
const LATEST_SQLITE: &str = "SELECT entity_id, MAX(version) AS v FROM record_versions WHERE entity = $1 \
     AND entity_id IN (SELECT value FROM json_each($2)) GROUP BY entity_id";
/// PostgreSQL: one backward probe of the primary key per id. The `IN (SELECT …)` form that
/// SQLite drives from its index was planned by PostgreSQL as a hash join over every version of
/// the entity kind — each write read them all, and seeding a province slowed to a crawl as they
/// grew (5,000 products a minute after the first 6,000).
pub const LATEST_POSTGRES: &str = "SELECT e.id, m.v FROM \
     (SELECT DISTINCT id FROM jsonb_array_elements_text(CAST($2 AS jsonb)) AS j(id)) e \
     CROSS JOIN LATERAL (SELECT MAX(r.version) AS v FROM record_versions r \
       WHERE r.entity = $1 AND r.entity_id = e.id) m WHERE m.v IS NOT NULL";

/// `SELECT level, idx, hash FROM ledger_nodes WHERE (level = ? AND idx = ?) OR …` with `$n`
/// placeholders, and its values.
pub(crate) fn nodes_query(ids: &[NodeId]) -> (String, Vec<i64>) {
    let mut values = Vec::with_capacity(ids.len() * 2);
    let conds: Vec<String> = ids
        .iter()
        .map(|id| {
            values.push(i64::from(id.level));
            values.push(id.index as i64);
            format!("(level = ${} AND idx = ${})", values.len() - 1, values.len())
        })
        .collect();
    (format!("SELECT level, idx, hash FROM ledger_nodes WHERE {}", conds.join(" OR ")), values)
}

impl Writer for Tx<'_> {
    async fn grow_ledger(&mut self, count: u64) -> Result<(String, i64), StoreError> {
        let row = sqlx::query(GROW).bind(count as i64).fetch_one(&mut **self).await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    async fn latest_versions(&mut self, entity: &str, ids_json: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = if self.backend_name() == "PostgreSQL" { LATEST_POSTGRES } else { LATEST_SQLITE };
        let rows = sqlx::query(sql).bind(entity).bind(ids_json).fetch_all(&mut **self).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn nodes(&mut self, ids: &[NodeId]) -> Result<Nodes, StoreError> {
        crate::ledger::fetch_nodes(&mut **self, ids).await
    }

    async fn insert(&mut self, head: &str, width: usize, values: Vec<Value>) -> Result<u64, StoreError> {
        Ok(insert_rows(self, head, "", width, values).await?)
    }
}

impl Writer for &rusqlite::Connection {
    async fn grow_ledger(&mut self, count: u64) -> Result<(String, i64), StoreError> {
        Ok(self.query_row(GROW, [count as i64], |r| Ok((r.get(0)?, r.get(1)?)))?)
    }

    async fn latest_versions(&mut self, entity: &str, ids_json: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self.prepare_cached(LATEST_SQLITE)?;
        let rows = stmt.query_map([entity, ids_json], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn nodes(&mut self, ids: &[NodeId]) -> Result<Nodes, StoreError> {
        let mut nodes = Nodes::new();
        if ids.is_empty() {
            return Ok(nodes);
        }
        let (sql, values) = nodes_query(ids);
        let mut stmt = self.prepare(&sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        while let Some(row) = rows.next()? {
            let id = NodeId { level: row.get::<_, i64>(0)? as u32, index: row.get::<_, i64>(1)? as u64 };
            nodes.insert(id, crate::ledger::hash_of(row.get(2)?)?);
        }
        Ok(nodes)
    }

    async fn insert(&mut self, head: &str, width: usize, values: Vec<Value>) -> Result<u64, StoreError> {
        Ok(insert_rows_native(self, head, "", width, &values)?)
    }
}

/// Runs a future whose awaits all complete at once (work over a native SQLite connection) to
/// its end without a runtime; an error, never a hang, should one ever wait.
pub fn finish_now<T, E: From<StoreError>>(f: impl Future<Output = Result<T, E>>) -> Result<T, E> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(out) => out,
        Poll::Pending => Err(StoreError::Corrupt("work on a native SQLite connection waited on I/O".into()).into()),
    }
}
