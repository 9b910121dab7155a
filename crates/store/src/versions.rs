//! The versioning helper (记录版本): the one place through which a regulated record changes.
//!
//! Every change writes a new row `(entity, id, version, time, actor, action, reason, data)`;
//! an old row is never overwritten. Callers keep their own current-state ("projection") tables,
//! updated in the same transaction, so that lists stay fast while history stays complete.
//! The trusted-records ledger hooks in here: every version is appended to the ledger in the
//! same transaction, so a version and its ledger entry exist together or not at all.

use crate::{StoreError, Tx};
use serde::Serialize;
use sqlx::Row;
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
    let position = crate::ledger::reserve(tx).await?;
    let current: Option<i64> =
        sqlx::query("SELECT MAX(version) FROM record_versions WHERE entity = $1 AND entity_id = $2")
            .bind(change.entity)
            .bind(change.entity_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
    let current = current.unwrap_or(0);
    if let Some(expected) = change.expected_version {
        if expected != current {
            return Err(StoreError::Conflict(format!(
                "{} {} is at version {current}, not {expected}; reload and try again",
                change.entity, change.entity_id
            )));
        }
    }
    let reason = change.reason.trim();
    if current > 0 && reason.is_empty() {
        return Err(StoreError::Invalid {
            field: "reason".into(),
            rule: "required".into(),
            message: "a change to a regulated record needs a reason (修改原因)".into(),
        });
    }
    let version = current + 1;
    let at = Timestamp::now();
    // Stored canonical (RFC 8785), so that the ledger's data hash can be recomputed from it.
    let data = String::from_utf8(yaolian_ledger::canonical_json(change.data))
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let inserted = sqlx::query(
        "INSERT INTO record_versions (entity, entity_id, version, at, actor, action, reason, data) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(change.entity)
    .bind(change.entity_id)
    .bind(version)
    .bind(at.0)
    .bind(change.actor)
    .bind(change.action)
    .bind(reason)
    .bind(&data)
    .execute(&mut **tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) => {
            let err = StoreError::from(e);
            // Two writers raced for the same version: the primary key kept one of them.
            if err.is_unique_violation() {
                return Err(StoreError::Conflict(format!(
                    "{} {} was changed concurrently; reload and try again",
                    change.entity, change.entity_id
                )));
            }
            return Err(err);
        }
    }
    crate::ledger::append(
        tx,
        position,
        crate::ledger::NewEntry {
            at: at.0,
            actor: change.actor,
            action: change.action,
            entity: change.entity,
            entity_id: change.entity_id,
            version,
            data: data.as_bytes(),
            reason,
        },
    )
    .await?;
    Ok(RecordVersion {
        entity: change.entity.to_string(),
        entity_id: change.entity_id.to_string(),
        version,
        at,
        actor: change.actor.to_string(),
        action: change.action.to_string(),
        reason: reason.to_string(),
        data: change.data.clone(),
    })
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
    rows.iter()
        .map(|r| {
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
        })
        .collect()
}
