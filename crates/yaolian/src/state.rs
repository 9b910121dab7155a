//! Current state against the ledger, for `ledger verify` and `restore`: every domain's rows that
//! matter (users with roles and credential fingerprints, roles, organizations, role requests,
//! products, licenses, applications, recalls, trace error declarations, inventory items, lots and
//! movements, deviations, CAPAs and controlled documents) compared with their latest ledgered versions
//! (`yaolian_store::state`).

use anyhow::{bail, Result};
use yaolian_store::state::Drift;
use yaolian_store::Store;

/// How many differences a refusal lists before "and N more".
const SHOWN: usize = 20;

/// Every row that differs from its latest ledgered version, domain by domain.
pub async fn drifts(store: &Store) -> Result<Vec<Drift>> {
    let mut all = yaolian_identity::state::drifts(store).await?;
    all.extend(yaolian_registry::products::drifts(store).await?);
    all.extend(yaolian_license::licenses::drifts(store).await?);
    all.extend(yaolian_services::applications::drifts(store).await?);
    all.extend(yaolian_trace::recall::drifts(store).await?);
    all.extend(yaolian_trace::ingest::declaration_drifts(store).await?);
    all.extend(yaolian_inventory::items::drifts(store).await?);
    all.extend(yaolian_inventory::stock::drifts(store).await?);
    all.extend(yaolian_quality::deviations::drifts(store).await?);
    all.extend(yaolian_quality::capa::drifts(store).await?);
    all.extend(yaolian_quality::changes::drifts(store).await?);
    all.extend(yaolian_lab::instruments::drifts(store).await?);
    all.extend(yaolian_lab::results::drifts(store).await?);
    all.extend(yaolian_lab::templates::drifts(store).await?);
    all.extend(yaolian_lab::records::drifts(store).await?);
    all.extend(yaolian_lab::environment::drifts(store).await?);
    all.extend(yaolian_lab::projects::drifts(store).await?);
    all.extend(yaolian_supervision::cases::drifts(store).await?);
    all.extend(yaolian_supervision::models::drifts(store).await?);
    all.extend(yaolian_supervision::scores::drifts(store).await?);
    all.extend(yaolian_supervision::plans::drifts(store).await?);
    all.extend(yaolian_supervision::onsite::drifts(store).await?);
    all.extend(yaolian_supervision::sampling::drifts(store).await?);
    all.extend(yaolian_supervision::enforcement::drifts(store).await?);
    all.extend(yaolian_supervision::complaints::drifts(store).await?);
    all.extend(yaolian_signals::adr::drifts(store).await?);
    all.extend(yaolian_signals::detection::drifts(store).await?);
    all.extend(yaolian_signals::detection::run_drifts(store).await?);
    all.extend(yaolian_signals::blackbox::drifts(store).await?);
    all.extend(yaolian_quality::documents::drifts(store).await?);
    all.extend(yaolian_submission::transfers::drifts(store).await?);
    all.extend(yaolian_submission::applications::drifts(store).await?);
    Ok(all)
}

/// Checks current state; an error naming each differing row (the first [`SHOWN`]) when any does.
pub async fn check(store: &Store) -> Result<String> {
    let found = drifts(store).await?;
    if found.is_empty() {
        return Ok("state OK: users, roles, organizations, role requests, products, licenses, applications, \
                   recalls, trace error declarations and inventory items, lots and movements, deviations, CAPAs and controlled documents match their latest ledgered \
                   versions, and every lot's stock is the sum of its movements"
            .to_string());
    }
    let mut lines: Vec<String> = found.iter().take(SHOWN).map(|d| format!("  {d}")).collect();
    if found.len() > SHOWN {
        lines.push(format!("  … and {} more", found.len() - SHOWN));
    }
    bail!("current state differs from the ledger in {} places:\n{}", found.len(), lines.join("\n"))
}
