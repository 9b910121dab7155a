//! One step of a regulated record, written inside the caller's transaction: the record's
//! after-image as a new version (expecting the previous one, so a change made meanwhile is
//! refused) and the audit event that says who did what — the pair every module's write path ends
//! with.

use crate::{audit, ClientInfo, Principal, Result};
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
