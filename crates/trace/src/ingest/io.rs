//! What the ingest engine asks of the database, on two connections: the pool's transaction
//! (PostgreSQL, or SQLite in memory) and a native SQLite transaction (a SQLite file), where
//! statements are prepared once and stepped per key or row.
//!
//! The engine (`super::run`) is one `async fn` over [`Io`]. The native methods never wait, so
//! on the native side the whole batch runs to its end in one poll on a blocking thread
//! (`yaolian_store::exec::finish_now`); the rules and the rows written are the same code on both sides.

use foldhash::{HashSet, HashSetExt};
use sqlx::Row;
use yaolian_ledger::HashAlg;
use yaolian_store::sql::{insert_rows, insert_rows_native, Value};
use yaolian_store::{Backend, NewVersion, StoreError, Tx};

use super::{state_name, CodeState, Level, CODE_COLUMNS};
use crate::resolve::PREFIX_PRODUCTS;
use crate::TraceError;

/// Keys per `IN (…)` list on the pool.
const IN_CHUNK: usize = 1_000;

/// Which column of `trace_codes` a lookup matches.
#[derive(Debug, Clone, Copy)]
pub(super) enum By {
    Epc,
    Parent,
}

impl By {
    fn column(self) -> &'static str {
        match self {
            By::Epc => "epc",
            By::Parent => "parent",
        }
    }
}

/// A product code prefix (GTIN, 药品标识码 or pack-level code) and what it names.
pub(super) type ProductRow = (String, i64, Level);

pub(super) trait Io {
    /// Which of `hashes` are stored already.
    async fn stored_hashes(&mut self, hashes: &[[u8; 32]]) -> Result<HashSet<[u8; 32]>, TraceError>;
    /// (hash, row id, declared in error already) of the stored events among `hashes`.
    async fn declarable(&mut self, hashes: &[[u8; 32]]) -> Result<Vec<([u8; 32], i64, bool)>, TraceError>;
    /// Declares the stored event `id` in error: its declaration's JSON beside it.
    async fn declare(&mut self, id: i64, declaration: &str, record_time: i64) -> Result<(), TraceError>;
    /// The products of these code prefixes (those that name one).
    async fn products(&mut self, prefixes: &[String]) -> Result<Vec<ProductRow>, TraceError>;
    /// Codes whose `by` column is one of `keys`.
    async fn codes(&mut self, by: By, keys: &[String]) -> Result<Vec<(String, CodeState)>, TraceError>;
    /// (site key, province) of these sites.
    async fn provinces(&mut self, sites: &[String]) -> Result<Vec<(String, String)>, TraceError>;
    /// The first of `n` consecutive new event ids.
    async fn first_event_id(&mut self, n: usize) -> Result<i64, TraceError>;
    /// (site, day, sold) of these sites from `from` on.
    async fn site_days(&mut self, sites: &[String], from: &str) -> Result<Vec<(String, String, i64)>, TraceError>;
    /// Inserts rows of `width` values (see `yaolian_store::sql::insert_rows`).
    async fn insert(&mut self, head: &str, tail: &str, width: usize, values: Vec<Value>) -> Result<u64, TraceError>;
    /// The ledger's hash function.
    async fn ledger_alg(&mut self) -> Result<HashAlg, TraceError>;
    /// Appends a record version and its ledger entry (the one write path).
    async fn record(&mut self, version: NewVersion<'_>) -> Result<(), TraceError>;
}

/// The pool's transaction.
pub(super) struct Pooled<'t> {
    pub tx: Tx<'t>,
    pub backend: Backend,
}

fn placeholders(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

impl Pooled<'_> {
    /// Rows of `{select} … IN (keys)`, a statement per `IN_CHUNK` keys; `{in}` in `select`
    /// stands for the list, `extra` are bound after it.
    async fn rows_in(
        &mut self,
        select: &str,
        keys: &[String],
        extra: &[&str],
    ) -> Result<Vec<sqlx::any::AnyRow>, TraceError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(IN_CHUNK) {
            let mut sql = select.replace("{in}", &placeholders(chunk.len()));
            for (i, _) in extra.iter().enumerate() {
                sql = sql.replace(&format!("{{x{i}}}"), &format!("${}", chunk.len() + i + 1));
            }
            let mut q = sqlx::query(&sql);
            for k in chunk {
                q = q.bind(k.as_str());
            }
            for x in extra {
                q = q.bind(*x);
            }
            out.extend(q.fetch_all(&mut *self.tx).await?);
        }
        Ok(out)
    }
}

impl Io for Pooled<'_> {
    async fn stored_hashes(&mut self, hashes: &[[u8; 32]]) -> Result<HashSet<[u8; 32]>, TraceError> {
        let mut out = HashSet::new();
        for chunk in hashes.chunks(IN_CHUNK) {
            let sql = format!("SELECT hash FROM trace_events WHERE hash IN ({})", placeholders(chunk.len()));
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(h.to_vec());
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                let h: Vec<u8> = r.try_get(0)?;
                out.extend(<[u8; 32]>::try_from(h.as_slice()).ok());
            }
        }
        Ok(out)
    }

    async fn declarable(&mut self, hashes: &[[u8; 32]]) -> Result<Vec<([u8; 32], i64, bool)>, TraceError> {
        let mut out = Vec::new();
        for chunk in hashes.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT e.hash, e.id, (SELECT COUNT(*) FROM trace_event_declarations d WHERE d.event_id = e.id) \
                 FROM trace_events e WHERE e.hash IN ({})",
                placeholders(chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for h in chunk {
                q = q.bind(h.to_vec());
            }
            for r in q.fetch_all(&mut *self.tx).await? {
                let h: Vec<u8> = r.try_get(0)?;
                let declared: i64 = r.try_get(2)?;
                if let Ok(h) = <[u8; 32]>::try_from(h.as_slice()) {
                    out.push((h, r.try_get(1)?, declared != 0));
                }
            }
        }
        Ok(out)
    }

    async fn declare(&mut self, id: i64, declaration: &str, record_time: i64) -> Result<(), TraceError> {
        let values = vec![Value::I64(id), Value::Text(declaration.to_string()), Value::I64(record_time)];
        insert_rows(&mut self.tx, super::DECLARATION_ROWS.0, "", super::DECLARATION_ROWS.1, values).await?;
        Ok(())
    }

    async fn products(&mut self, prefixes: &[String]) -> Result<Vec<ProductRow>, TraceError> {
        let rows = self.rows_in(PREFIX_PRODUCTS, prefixes, &[]).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, super::level_of(&r.try_get::<String, _>(2)?)))).collect()
    }

    async fn codes(&mut self, by: By, keys: &[String]) -> Result<Vec<(String, CodeState)>, TraceError> {
        let sql = format!("SELECT {CODE_COLUMNS} FROM trace_codes WHERE {} IN ({{in}})", by.column());
        let rows = self.rows_in(&sql, keys, &[]).await?;
        rows.iter().map(|r| Ok(code_from(r)?)).collect()
    }

    async fn provinces(&mut self, sites: &[String]) -> Result<Vec<(String, String)>, TraceError> {
        let rows = self.rows_in("SELECT id, province FROM trace_sites WHERE id IN ({in})", sites, &[]).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn first_event_id(&mut self, n: usize) -> Result<i64, TraceError> {
        match self.backend {
            Backend::Sqlite => {
                // The write lock is ours since `super::store` began (see there).
                let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM trace_events").fetch_one(&mut *self.tx).await?;
                Ok(row.try_get::<i64, _>(0)? + 1)
            }
            Backend::Postgres => {
                // A block of the identity sequence: setval under an advisory lock keeps blocks whole.
                sqlx::query("SELECT pg_advisory_xact_lock(7233001)").execute(&mut *self.tx).await?;
                let row = sqlx::query(
                    "SELECT setval(pg_get_serial_sequence('trace_events', 'id'), \
                     nextval(pg_get_serial_sequence('trace_events', 'id')) + $1 - 1)",
                )
                .bind(n.max(1) as i64)
                .fetch_one(&mut *self.tx)
                .await?;
                let last: i64 = row.try_get(0)?;
                Ok(last - n.max(1) as i64 + 1)
            }
        }
    }

    async fn site_days(&mut self, sites: &[String], from: &str) -> Result<Vec<(String, String, i64)>, TraceError> {
        let sql = "SELECT site, day, sold FROM trace_site_days WHERE site IN ({in}) AND day >= {x0} ORDER BY day";
        let rows = self.rows_in(sql, sites, &[from]).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).collect()
    }

    async fn insert(&mut self, head: &str, tail: &str, width: usize, values: Vec<Value>) -> Result<u64, TraceError> {
        Ok(insert_rows(&mut self.tx, head, tail, width, values).await?)
    }

    async fn ledger_alg(&mut self) -> Result<HashAlg, TraceError> {
        Ok(yaolian_store::ledger::head(&mut *self.tx).await?.0)
    }

    async fn record(&mut self, version: NewVersion<'_>) -> Result<(), TraceError> {
        yaolian_store::versions::append(&mut self.tx, version).await?;
        Ok(())
    }
}

/// A native SQLite transaction (`BEGIN IMMEDIATE`: the write lock is ours from the start).
pub(super) struct Native<'c> {
    pub tx: &'c rusqlite::Transaction<'c>,
}

pub(super) fn native_error(e: rusqlite::Error) -> TraceError {
    StoreError::from(e).into()
}

impl Native<'_> {
    /// Rows of `sql` (one `?1` key, then `extra`) for each key, mapped by `row`.
    fn per_key<T>(
        &self,
        sql: &str,
        keys: &[String],
        extra: &[&str],
        mut row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, TraceError> {
        let mut stmt = self.tx.prepare_cached(sql).map_err(native_error)?;
        let mut out = Vec::new();
        for k in keys {
            let params: Vec<&dyn rusqlite::ToSql> = std::iter::once(k as &dyn rusqlite::ToSql)
                .chain(extra.iter().map(|x| x as &dyn rusqlite::ToSql))
                .collect();
            let mut rows = stmt.query(params.as_slice()).map_err(native_error)?;
            while let Some(r) = rows.next().map_err(native_error)? {
                out.push(row(r).map_err(native_error)?);
            }
        }
        Ok(out)
    }
}

impl Io for Native<'_> {
    async fn stored_hashes(&mut self, hashes: &[[u8; 32]]) -> Result<HashSet<[u8; 32]>, TraceError> {
        let mut stmt = self.tx.prepare_cached("SELECT 1 FROM trace_events WHERE hash = ?1").map_err(native_error)?;
        let mut out = HashSet::new();
        for h in hashes {
            if stmt.exists([&h[..]]).map_err(native_error)? {
                out.insert(*h);
            }
        }
        Ok(out)
    }

    async fn declarable(&mut self, hashes: &[[u8; 32]]) -> Result<Vec<([u8; 32], i64, bool)>, TraceError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT e.id, EXISTS (SELECT 1 FROM trace_event_declarations d WHERE d.event_id = e.id) \
                 FROM trace_events e WHERE e.hash = ?1",
            )
            .map_err(native_error)?;
        let mut out = Vec::new();
        for h in hashes {
            let mut rows = stmt.query([&h[..]]).map_err(native_error)?;
            while let Some(r) = rows.next().map_err(native_error)? {
                out.push((*h, r.get(0).map_err(native_error)?, r.get(1).map_err(native_error)?));
            }
        }
        Ok(out)
    }

    async fn declare(&mut self, id: i64, declaration: &str, record_time: i64) -> Result<(), TraceError> {
        let values = [Value::I64(id), Value::Text(declaration.to_string()), Value::I64(record_time)];
        insert_rows_native(self.tx, super::DECLARATION_ROWS.0, "", super::DECLARATION_ROWS.1, &values)
            .map_err(native_error)?;
        Ok(())
    }

    async fn products(&mut self, prefixes: &[String]) -> Result<Vec<ProductRow>, TraceError> {
        let sql = PREFIX_PRODUCTS.replace("{in}", "?1");
        self.per_key(&sql, prefixes, &[], |r| Ok((r.get(0)?, r.get(1)?, super::level_of(&r.get::<_, String>(2)?))))
    }

    async fn codes(&mut self, by: By, keys: &[String]) -> Result<Vec<(String, CodeState)>, TraceError> {
        let sql = format!("SELECT {CODE_COLUMNS} FROM trace_codes WHERE {} = ?1", by.column());
        self.per_key(&sql, keys, &[], |r| code_from(r))
    }

    async fn provinces(&mut self, sites: &[String]) -> Result<Vec<(String, String)>, TraceError> {
        self.per_key("SELECT id, province FROM trace_sites WHERE id = ?1", sites, &[], |r| Ok((r.get(0)?, r.get(1)?)))
    }

    async fn first_event_id(&mut self, _n: usize) -> Result<i64, TraceError> {
        let max: i64 = self
            .tx
            .query_row("SELECT COALESCE(MAX(id), 0) FROM trace_events", [], |r| r.get(0))
            .map_err(native_error)?;
        Ok(max + 1)
    }

    async fn site_days(&mut self, sites: &[String], from: &str) -> Result<Vec<(String, String, i64)>, TraceError> {
        let sql = "SELECT site, day, sold FROM trace_site_days WHERE site = ?1 AND day >= ?2 ORDER BY day";
        let mut rows = self.per_key(sql, sites, &[from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.sort_by(|a: &(String, String, i64), b| a.1.cmp(&b.1));
        Ok(rows)
    }

    async fn insert(&mut self, head: &str, tail: &str, width: usize, values: Vec<Value>) -> Result<u64, TraceError> {
        insert_rows_native(self.tx, head, tail, width, &values).map_err(native_error)
    }

    async fn ledger_alg(&mut self) -> Result<HashAlg, TraceError> {
        let name: String = self
            .tx
            .query_row("SELECT hash_alg FROM ledger_head WHERE id = 1", [], |r| r.get(0))
            .map_err(native_error)?;
        HashAlg::parse(&name).ok_or_else(|| StoreError::Corrupt(format!("unknown ledger hash {name}")).into())
    }

    async fn record(&mut self, version: NewVersion<'_>) -> Result<(), TraceError> {
        yaolian_store::versions::append_native(self.tx, std::slice::from_ref(&version))?;
        Ok(())
    }
}

/// A row of `trace_codes` (columns `CODE_COLUMNS`) from either connection.
pub(crate) trait Cells {
    type Error;
    fn text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    fn int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
}

impl Cells for sqlx::any::AnyRow {
    type Error = sqlx::Error;
    fn text(&self, i: usize) -> Result<Option<String>, sqlx::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(i)
    }
}

impl Cells for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> Result<Option<String>, rusqlite::Error> {
        self.get(i)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, rusqlite::Error> {
        self.get(i)
    }
}

pub(crate) fn code_from<R: Cells>(r: &R) -> Result<(String, CodeState), R::Error> {
    let state = r.text(5)?.unwrap_or_default();
    Ok((
        r.text(0)?.unwrap_or_default(),
        CodeState {
            level: super::level_of(&r.text(1)?.unwrap_or_default()),
            product_id: r.int(2)?,
            batch: r.text(3)?,
            expiry: r.text(4)?,
            state: state_name(&state),
            holder: r.text(6)?,
            source: r.text(7)?,
            parent: r.text(8)?,
            first_time: r.int(9)?.unwrap_or_default(),
            last_time: r.int(10)?.unwrap_or_default(),
            last_site: r.text(11)?,
            recall_id: r.int(12)?,
        },
    ))
}
