//! Record history for every entity, the one door the web layer uses: licenses and applications
//! behind their own access checks, registry and inventory entities behind theirs, and the rest as
//! identity decides.

use crate::error::Result;
use yaolian_access::{ClientInfo, Principal};
use yaolian_core::diff::Catalogue;
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::{esign, esign::SignRequest, esign::SignatureView};
use yaolian_records::{history as records, history::RecordView};
use yaolian_store::ledger::SIGNATURE_ENTITY;
use yaolian_store::{versions, Store};

use crate::labels;

/// The owning module's access check: `Ok(true)` after it passed, `Ok(false)` for entities
/// identity owns.
async fn checked(store: &Store, principal: &Principal, entity: &str, id: &str, client: &ClientInfo) -> Result<bool> {
    let numeric = || id.parse::<i64>().map_err(|_| IdentityError::NotFound("record"));
    match entity {
        yaolian_license::licenses::ENTITY => {
            yaolian_license::licenses::get(store, principal, numeric()?, client).await?;
        }
        crate::applications::ENTITY => {
            crate::applications::get(store, principal, numeric()?, client).await?;
        }
        yaolian_inventory::items::ENTITY => {
            yaolian_inventory::items::get(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        yaolian_inventory::stock::LOT_ENTITY => {
            yaolian_inventory::stock::lot(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        yaolian_inventory::stock::MOVEMENT_ENTITY => {
            yaolian_inventory::stock::movement(store, principal, numeric()?, client)
                .await
                .map_err(IdentityError::from)?;
        }
        yaolian_quality::deviations::ENTITY => {
            yaolian_quality::deviations::get(store, principal, numeric()?, client)
                .await
                .map_err(IdentityError::from)?;
        }
        yaolian_quality::documents::ENTITY => {
            yaolian_quality::documents::get(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        yaolian_quality::capa::ENTITY => {
            yaolian_quality::capa::get(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        yaolian_quality::changes::ENTITY => {
            yaolian_quality::changes::get(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        yaolian_lab::instruments::ENTITY => {
            yaolian_lab::instruments::get(store, principal, numeric()?, client).await.map_err(IdentityError::from)?;
        }
        // Configuration (application types, the working-day calendar) is public to every user.
        crate::types::ENTITY | crate::calendar::ENTITY => {}
        _ => return Ok(yaolian_registry::records::checked(store, principal, entity, id, client).await?),
    }
    Ok(true)
}

/// A record's view with versions, ledger anchoring and signatures.
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

/// Signs a version of any record after the entity's own access check.
pub async fn sign(
    store: &Store,
    config: &IdentityConfig,
    principal: &Principal,
    req: &SignRequest<'_>,
    client: &ClientInfo,
) -> Result<SignatureView> {
    if checked(store, principal, req.entity, req.entity_id, client).await? {
        return Ok(esign::sign_checked(store, config, principal, req, client).await?);
    }
    Ok(esign::sign(store, config, principal, req, client).await?)
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
        return Ok(esign::signatures_for(store, &history).await?);
    }
    Ok(esign::signatures_of(store, principal, entity, id, client).await?)
}

/// The field catalogue of a record's history (字段目录): the owning module's, for every entity
/// below this crate; `data` is the newest version (it names the record). An application's form
/// fields take its type's labels, a user's roles their names. `None` for an entity of a module
/// above this one (trace), which the caller asks itself.
pub async fn catalogue(store: &Store, entity: &str, data: &serde_json::Value) -> Option<Catalogue> {
    let role_names = || async {
        yaolian_identity::roles::all(store)
            .await
            .map(|roles| roles.into_iter().map(|r| (r.code, r.name_zh)).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    Some(match entity {
        yaolian_license::licenses::ENTITY => yaolian_license::labels::catalogue(data),
        crate::applications::ENTITY => {
            let form = match data["type_code"].as_str() {
                Some(code) => crate::types::get(store, code).await.map(|t| t.form).unwrap_or_default(),
                None => Vec::new(),
            };
            labels::application(data, &form)
        }
        crate::types::ENTITY => labels::service_type(data),
        crate::calendar::ENTITY => labels::calendar_day(data),
        yaolian_registry::companies::ENTITY => yaolian_registry::labels::company(data),
        yaolian_registry::products::ENTITY => yaolian_registry::labels::product(data),
        yaolian_registry::persons::ENTITY => yaolian_registry::labels::person(data),
        "user" => yaolian_identity::labels::user(data, &role_names().await),
        "org" => yaolian_identity::labels::org(data),
        "role" => yaolian_identity::labels::role(data),
        "role_request" => yaolian_identity::labels::role_request(data, &role_names().await),
        SIGNATURE_ENTITY => esign::labels(data),
        "alert_rule" => yaolian_audit::labels::alert_rule(data),
        yaolian_inventory::items::ENTITY => yaolian_inventory::labels::item(data),
        yaolian_inventory::stock::LOT_ENTITY => yaolian_inventory::labels::lot(data),
        yaolian_inventory::stock::MOVEMENT_ENTITY => yaolian_inventory::labels::movement(data),
        yaolian_quality::deviations::ENTITY => yaolian_quality::labels::deviation(data),
        yaolian_quality::capa::ENTITY => yaolian_quality::labels::capa(data),
        yaolian_quality::changes::ENTITY => yaolian_quality::labels::change(data),
        yaolian_lab::instruments::ENTITY => yaolian_lab::labels::instrument(data),
        yaolian_lab::instruments::USE_ENTITY => yaolian_lab::labels::instrument_use(data),
        yaolian_quality::documents::ENTITY => yaolian_quality::labels::document(data),
        yaolian_quality::documents::REVISION_ENTITY => yaolian_quality::labels::revision(data),
        _ => return None,
    })
}
