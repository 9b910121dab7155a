//! The versioning helper (记录版本): the one place through which a regulated record changes.
//!
//! Every change writes a new row `(entity, id, version, time, actor, action, reason, data)`;
//! an old row is never overwritten. Callers keep their own current-state ("projection") tables,
//! updated in the same transaction, so that lists stay fast while history stays complete.
//! The trusted-records ledger hooks in here: every version is appended to the ledger in the
//! same transaction, so a version and its ledger entry exist together or not at all.

use crate::exec::Writer;
use crate::sql::Value;
use crate::{StoreError, Tx};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use yaolian_core::Timestamp;

/// A change about to be recorded.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    /// Kind of record, e.g. `org`, `user`, `role`.
    pub entity: &'a str,
    pub entity_id: &'a str,
    /// Who made the change (user name, or `system`).
    pub actor: &'a str,
    /// What was done, e.g. `create`, `update`, `disable`.
    pub action: &'a str,
    /// Why (修改原因). Required for every change after the first version.
    pub reason: &'a str,
    /// The record's full state after the change (after-image).
    pub data: &'a serde_json::Value,
    /// When given, the change only applies if the record is still at this version
    /// (optimistic concurrency); otherwise it is a [`StoreError::Conflict`].
    pub expected_version: Option<i64>,
}

/// One stored version of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordVersion {
    pub entity: String,
    pub entity_id: String,
    pub version: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub reason: String,
    pub data: serde_json::Value,
}

/// Appends the next version of a record inside `tx` and returns it.
pub async fn append(tx: &mut Tx<'_>, change: NewVersion<'_>) -> Result<RecordVersion, StoreError> {
    let mut written = append_many(tx, std::slice::from_ref(&change)).await?;
    written.pop().ok_or_else(|| StoreError::Corrupt("append wrote no version".into()))
}

/// Appends many changes inside `tx` (a batch, e.g. an import): each gets the next version of its
/// record (the same record may appear more than once) and a ledger entry, in the given order.
/// The batch costs a handful of statements, not a few per change; any refused change (missing
/// reason, stale `expected_version`) refuses the whole batch, and the caller's rollback leaves
/// nothing behind.
pub async fn append_many(tx: &mut Tx<'_>, changes: &[NewVersion<'_>]) -> Result<Vec<RecordVersion>, StoreError> {
    append_on(tx, changes).await
}

/// [`append_many`] inside a native SQLite transaction (see `Store::with_native_sqlite`): for
/// bulk writers that must ledger what they write in the transaction that writes it.
pub fn append_native(
    tx: &rusqlite::Transaction<'_>,
    changes: &[NewVersion<'_>],
) -> Result<Vec<RecordVersion>, StoreError> {
    let mut conn: &rusqlite::Connection = tx;
    crate::exec::finish_now(append_on(&mut conn, changes))
}

const VERSION_ROWS: (&str, usize) =
    ("INSERT INTO record_versions (entity, entity_id, version, at, actor, action, reason, data)", 8);

async fn append_on<W: Writer>(w: &mut W, changes: &[NewVersion<'_>]) -> Result<Vec<RecordVersion>, StoreError> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let position = crate::ledger::reserve_on(w, changes.len() as u64).await?;
    let mut current = current_versions(w, changes).await?;
    let at = Timestamp::now();
    let mut planned = Vec::with_capacity(changes.len());
    for change in changes {
        let key = (change.entity.to_string(), change.entity_id.to_string());
        let latest = current.get(&key).copied().unwrap_or(0);
        if let Some(expected) = change.expected_version {
            if expected != latest {
                return Err(StoreError::Conflict(format!(
                    "{} {} is at version {latest}, not {expected}; reload and try again",
                    change.entity, change.entity_id
                )));
            }
        }
        let reason = change.reason.trim();
        if latest > 0 && reason.is_empty() {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                rule: "required".into(),
                message: "a change to a regulated record needs a reason (修改原因)".into(),
            });
        }
        current.insert(key, latest + 1);
        // Stored canonical (RFC 8785), so that the ledger's data hash can be recomputed from it.
        let data = String::from_utf8(yaolian_ledger::canonical_json(change.data))
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        planned.push((change, latest + 1, reason, data));
    }
    let mut values = Vec::with_capacity(planned.len() * VERSION_ROWS.1);
    for (c, version, reason, data) in &planned {
        values.extend([
            Value::from(c.entity),
            Value::from(c.entity_id),
            Value::I64(*version),
            Value::I64(at.0),
            Value::from(c.actor),
            Value::from(c.action),
            Value::from(*reason),
            Value::from(data.as_str()),
        ]);
    }
    if let Err(err) = w.insert(VERSION_ROWS.0, VERSION_ROWS.1, values).await {
        // Two writers raced for the same version: the primary key kept one of them.
        if err.is_unique_violation() {
            return Err(StoreError::Conflict(
                "a record in this change was changed concurrently; reload and try again".into(),
            ));
        }
        return Err(err);
    }
    let entries: Vec<crate::ledger::NewEntry> = planned
        .iter()
        .map(|(c, version, reason, data)| crate::ledger::NewEntry {
            at: at.0,
            actor: c.actor,
            action: c.action,
            entity: c.entity,
            entity_id: c.entity_id,
            version: *version,
            data: data.as_bytes(),
            reason,
        })
        .collect();
    crate::ledger::append_on(w, position, &entries).await?;
    Ok(planned
        .iter()
        .map(|(c, version, reason, _)| RecordVersion {
            entity: c.entity.to_string(),
            entity_id: c.entity_id.to_string(),
            version: *version,
            at,
            actor: c.actor.to_string(),
            action: c.action.to_string(),
            reason: reason.to_string(),
            data: c.data.clone(),
        })
        .collect())
}

/// The latest version of every record the changes touch (absent: no version yet): one
/// statement per entity, the ids passed as one JSON array (a handful of bound values rather than
/// one per record, which is what costs most through the `Any` driver), read by an index range.
async fn current_versions<W: Writer>(
    w: &mut W,
    changes: &[NewVersion<'_>],
) -> Result<HashMap<(String, String), i64>, StoreError> {
    let mut keys: Vec<(&str, &str)> = changes.iter().map(|c| (c.entity, c.entity_id)).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = HashMap::with_capacity(keys.len());
    for group in keys.chunk_by(|a, b| a.0 == b.0) {
        let entity = group[0].0;
        let ids: Vec<&str> = group.iter().map(|(_, id)| *id).collect();
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for (id, v) in w.latest_versions(entity, &ids).await? {
            out.insert((entity.to_string(), id), v);
        }
    }
    Ok(out)
}

/// Every version of a record, oldest first.
pub async fn history<'e, E>(executor: E, entity: &str, entity_id: &str) -> Result<Vec<RecordVersion>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT entity, entity_id, version, at, actor, action, reason, data FROM record_versions \
         WHERE entity = $1 AND entity_id = $2 ORDER BY version",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(executor)
    .await?;
    rows.iter().map(version_from_row).collect()
}

/// The latest version of a record, if it has any.
pub async fn latest<'e, E>(executor: E, entity: &str, entity_id: &str) -> Result<Option<RecordVersion>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let row = sqlx::query(
        "SELECT entity, entity_id, version, at, actor, action, reason, data FROM record_versions \
         WHERE entity = $1 AND entity_id = $2 ORDER BY version DESC LIMIT 1",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(version_from_row).transpose()
}

fn version_from_row(r: &sqlx::any::AnyRow) -> Result<RecordVersion, StoreError> {
    let data: String = r.try_get("data")?;
    Ok(RecordVersion {
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        version: r.try_get("version")?,
        at: Timestamp(r.try_get("at")?),
        actor: r.try_get("actor")?,
        action: r.try_get("action")?,
        reason: r.try_get("reason")?,
        data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}
