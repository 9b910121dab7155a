//! Record history (版本记录) for the UI and API: every version of a regulated record with who,
//! when and why, after the access check that the record's kind asks for.

use crate::{audit, esign, orgs, perm, roles, users, ClientInfo, IdentityError, Principal, Result};
use serde::Serialize;
use utoipa::ToSchema;
use yaolian_core::Timestamp;
use yaolian_store::{ledger, versions, RecordVersion, Store};

/// Every version of `entity` `id`, oldest first. Auditors (`audit.read`) read every history;
/// others read the history of what they may read itself.
pub async fn history(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<Vec<RecordVersion>> {
    if !principal.has(perm::AUDIT_READ) {
        let numeric = id.parse::<i64>().map_err(|_| IdentityError::NotFound("record"))?;
        match entity {
            "user" => {
                users::get(store, principal, numeric, client).await?;
            }
            "org" => {
                orgs::get(store, principal, numeric, client).await?;
            }
            "role" => {
                roles::list(store, principal, client).await?;
            }
            _ => return Err(audit::deny(store, principal, perm::AUDIT_READ, &format!("{entity}:{id}"), client).await),
        }
    }
    let list = versions::history(store.pool(), entity, id).await?;
    if list.is_empty() {
        return Err(IdentityError::NotFound("record"));
    }
    Ok(list)
}

/// One version as the history page and API show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i64,
    #[schema(value_type = i64)]
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    /// Position of the version's ledger entry.
    pub ledger_index: Option<u64>,
    /// Tree size of the newest checkpoint that covers the entry (its proof anchors there).
    pub anchored_in: Option<u64>,
}

/// A record's whole story: versions with their ledger anchoring, and its signatures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordView {
    pub entity: String,
    pub id: String,
    pub versions: Vec<VersionView>,
    pub signatures: Vec<esign::SignatureView>,
    /// Some version is signed but the current one is not (签名后已修改).
    pub current_unsigned_after_signing: bool,
    /// The newest checkpoint's tree size.
    pub checkpoint_size: Option<u64>,
}

/// Reads a record's versions, ledger positions and signatures (access-checked like [`history`]).
/// Four queries whatever the number of versions.
pub async fn view(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<RecordView> {
    let list = history(store, principal, entity, id, client).await?;
    assemble(store, entity, id, list).await
}

/// The same view when the caller's module has already checked that the principal may read
/// the record (registry entities, later modules' records).
pub async fn view_checked(store: &Store, entity: &str, id: &str) -> Result<RecordView> {
    let list = versions::history(store.pool(), entity, id).await?;
    if list.is_empty() {
        return Err(IdentityError::NotFound("record"));
    }
    assemble(store, entity, id, list).await
}

async fn assemble(store: &Store, entity: &str, id: &str, list: Vec<RecordVersion>) -> Result<RecordView> {
    let entries = ledger::entries_of(store, entity, id).await?;
    let checkpoint = ledger::latest_checkpoint(store).await?.map(|c| c.head.tree_size);
    let signatures = esign::signatures_for(store, &list).await?;
    let current = list.last().map(|v| v.version).unwrap_or(0);
    let current_unsigned_after_signing =
        !signatures.is_empty() && !signatures.iter().any(|s| s.version == current && s.valid);
    let versions = list
        .into_iter()
        .map(|v| {
            let ledger_index = entries.iter().find(|e| e.version == v.version).map(|e| e.index);
            VersionView {
                anchored_in: checkpoint.filter(|size| ledger_index.is_some_and(|i| i < *size)),
                ledger_index,
                version: v.version,
                at: v.at,
                actor: v.actor,
                action: v.action,
                reason: v.reason,
                data: v.data,
            }
        })
        .collect();
    Ok(RecordView {
        entity: entity.to_string(),
        id: id.to_string(),
        versions,
        signatures,
        current_unsigned_after_signing,
        checkpoint_size: checkpoint,
    })
}

/// One ledger entry by position, for auditors (`audit.read`).
pub async fn ledger_entry(
    store: &Store,
    principal: &Principal,
    index: u64,
    client: &ClientInfo,
) -> Result<yaolian_ledger::Entry> {
    if !principal.has(perm::AUDIT_READ) {
        return Err(audit::deny(store, principal, perm::AUDIT_READ, "ledger", client).await);
    }
    Ok(ledger::entry(store, index).await?)
}

/// Signs a checkpoint of the ledger now with the site key (`ledger.checkpoint`).
///
/// `signer` is the site key, when the server runs with one: `None` comes back for an allowed
/// caller when it does not (the permission is checked first, so a refusal never depends on
/// the server's configuration).
pub async fn checkpoint_now(
    store: &Store,
    principal: &Principal,
    signer: Option<(&str, &yaolian_ledger::sign::KeyPair)>,
    client: &ClientInfo,
) -> Result<Option<ledger::Checkpoint>> {
    if !principal.has(perm::LEDGER_CHECKPOINT) {
        return Err(audit::deny(store, principal, perm::LEDGER_CHECKPOINT, "ledger", client).await);
    }
    let Some((key_id, key)) = signer else {
        return Ok(None);
    };
    Ok(Some(ledger::make_checkpoint(store, key, key_id).await?))
}
