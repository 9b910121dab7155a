//! Record history for the registry's entities: the access check is the entity's own, then the
//! common view of versions, ledger anchoring and signatures. Modules above the registry chain
//! their own checks in front of [`checked`] (see `services::records`, the one door the web
//! layer uses).

use crate::error::Result;
use yaolian_access::{ClientInfo, Principal};
use yaolian_identity::IdentityError;
use yaolian_records::{history as records, history::RecordView};
use yaolian_store::Store;

/// A record's view, for registry entities and everything `identity` knows.
pub async fn view(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<RecordView> {
    if checked(store, principal, entity, id, client).await? {
        return Ok(records::view_checked(store, entity, id).await?);
    }
    Ok(records::view(store, principal, entity, id, client).await?)
}

/// The registry's own access check for a record, when the entity is the registry's: `Ok(true)`
/// after the check passed, `Ok(false)` for entities the registry does not own.
pub async fn checked(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<bool> {
    let numeric = || id.parse::<i64>().map_err(|_| IdentityError::NotFound("record"));
    match entity {
        crate::products::ENTITY => {
            crate::products::get(store, principal, numeric()?, client).await?;
        }
        crate::companies::ENTITY => crate::companies::check_read(store, principal, numeric()?, client).await?,
        crate::persons::ENTITY => {
            crate::persons::get(store, principal, numeric()?, client).await?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}
