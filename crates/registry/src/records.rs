//! Record history for the registry's entities: the access check is the entity's own, then the
//! common view of versions, ledger anchoring and signatures.

use yaolian_identity::error::Result;
use yaolian_identity::esign::{self, SignRequest, SignatureView};
use yaolian_identity::records::{self, RecordView};
use yaolian_identity::{ClientInfo, IdentityConfig, IdentityError, Principal};
use yaolian_store::{versions, Store};

/// A record's view, for registry entities and everything `identity` knows.
pub async fn view(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<RecordView> {
    if checked(store, principal, entity, id, client).await? {
        return records::view_checked(store, entity, id).await;
    }
    records::view(store, principal, entity, id, client).await
}

/// The registry's own access check for a record, when the entity is the registry's: `Ok(true)`
/// after the check passed, `Ok(false)` for entities the registry does not own.
async fn checked(store: &Store, principal: &Principal, entity: &str, id: &str, client: &ClientInfo) -> Result<bool> {
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

/// Signs a version of any record, after the entity's own access check.
pub async fn sign(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    client: &ClientInfo,
) -> Result<SignatureView> {
    if checked(store, principal, req.entity, req.entity_id, client).await? {
        return esign::sign_checked(store, config, principal, req, client).await;
    }
    esign::sign(store, config, principal, req, client).await
}

/// The signatures on any record, each verified, after the entity's own access check.
pub async fn signatures(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<Vec<SignatureView>> {
    if checked(store, principal, entity, id, client).await? {
        let history = versions::history(store.pool(), entity, id).await?;
        return esign::signatures_for(store, &history).await;
    }
    esign::signatures_of(store, principal, entity, id, client).await
}
