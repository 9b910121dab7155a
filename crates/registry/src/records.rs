//! Record history for the registry's entities: the access check is the entity's own, then the
//! common view of versions, ledger anchoring and signatures.

use yaolian_identity::error::Result;
use yaolian_identity::esign::{self, SignRequest, SignatureView};
use yaolian_identity::records::{self, RecordView};
use yaolian_identity::{ClientInfo, IdentityConfig, IdentityError, Principal};
use yaolian_store::Store;

/// A record's view, for registry entities and everything `identity` knows.
pub async fn view(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<RecordView> {
    match access_id(entity, id)? {
        Some(numeric) => {
            crate::products::get(store, principal, numeric, client).await?;
            records::view_checked(store, principal, entity, id).await
        }
        None => records::view(store, principal, entity, id, client).await,
    }
}

fn access_id(entity: &str, id: &str) -> Result<Option<i64>> {
    if entity == crate::products::ENTITY {
        return id.parse::<i64>().map(Some).map_err(|_| IdentityError::NotFound("record"));
    }
    Ok(None)
}

/// Signs a version of any record, after the entity's own access check.
pub async fn sign(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    client: &ClientInfo,
) -> Result<SignatureView> {
    match access_id(req.entity, req.entity_id)? {
        Some(id) => {
            crate::products::get(store, principal, id, client).await?;
            esign::sign_checked(store, config, principal, req, client).await
        }
        None => esign::sign(store, config, principal, req, client).await,
    }
}

/// The signatures on any record, each verified, after the entity's own access check.
pub async fn signatures(
    store: &Store,
    principal: &Principal,
    entity: &str,
    id: &str,
    client: &ClientInfo,
) -> Result<Vec<SignatureView>> {
    Ok(view(store, principal, entity, id, client).await?.signatures)
}
