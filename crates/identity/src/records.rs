//! Record history (版本记录) for the UI and API: every version of a regulated record with who,
//! when and why, after the access check that the record's kind asks for.

use crate::error::Result;
use crate::model::perm;
use crate::{audit, orgs, roles, users, ClientInfo, IdentityError, Principal};
use yaolian_store::{versions, RecordVersion, Store};

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
