//! One step of a regulated record, written inside the caller's transaction: the record's
//! after-image as a new version (expecting the previous one, so a change made meanwhile is
//! refused) and the audit event that says who did what — the pair every module's write path ends
//! with.

use crate::{audit, ClientInfo, IdentityError, Principal, Result};
use yaolian_core::Timestamp;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{versions, NewVersion, RecordVersion, Tx};

/// What one step writes.
pub struct Step<'a> {
    pub entity: &'a str,
    pub id: i64,
    /// The row's version after the step.
    pub version: i64,
    /// The row's after-image.
    pub data: serde_json::Value,
    pub action: &'a str,
    pub reason: &'a str,
    /// The audit action (`audit::action::…`).
    pub audit: &'a str,
    /// The audit target, e.g. `lab_record:12 SY-2026-00012 submit`.
    pub target: String,
}

/// Versions the step and records its audit event, in `tx`.
pub async fn record(
    tx: &mut Tx<'_>,
    principal: &Principal,
    step: Step<'_>,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let written = versions::append(
        tx,
        NewVersion {
            entity: step.entity,
            entity_id: &step.id.to_string(),
            actor: principal.username(),
            action: step.action,
            reason: step.reason,
            data: &step.data,
            expected_version: Some(step.version - 1),
        },
    )
    .await?;
    let event = audit::Event { detail: step.reason, ..audit::Event::by(principal, step.audit, &step.target, client) };
    audit::record(tx, event).await?;
    Ok(written)
}

/// Sets the columns `set` names (`$1` … for `values`) on row `id` of `table` and bumps its
/// version, in `tx`, expecting it still at `version`; `Conflict` naming `what` otherwise. The
/// update of a step whose version [`record`] then writes.
pub async fn bump(
    tx: &mut Tx<'_>,
    (table, id, version): (&str, i64, i64),
    set: &str,
    values: Vec<Value>,
    what: &str,
) -> Result<()> {
    let n = values.len();
    let sql = format!(
        "UPDATE {table} SET {set}, version = version + 1, updated_at = ${} WHERE id = ${} AND version = ${}",
        n + 1,
        n + 2,
        n + 3
    );
    let mut p = Params::new();
    for v in values {
        p.push(v);
    }
    let done = p.bind(sqlx::query(&sql)).bind(Timestamp::now().0).bind(id).bind(version).execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("{what} changed meanwhile; reload")));
    }
    Ok(())
}
