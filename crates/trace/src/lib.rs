//! Drug traceability (药品追溯):
//!
//! - `codes`: the codes on packs. `codes::gs1` reads GS1 element strings as scanners send them
//!   (FNC1/GS-separated, with or without a symbology identifier, bracketed, Digital Link URIs);
//!   `codes::nmpa` the 20-digit NMPA 药品追溯码 (NMPAB/T 1002-2019); `codes::epc` gives every
//!   form of one identifier one key.
//! - `epcis`: EPCIS 2.0 events checked per event type with CBV 2.0 vocabularies; `hash` their
//!   event hash IDs (CBV 2.0 §8.9).
//! - `ingest`: storing events — the state, holder and packing of every code, and the anomalies
//!   found on the way.
//! - `resolve` finds the registered product (一品一档) of a scanned code.
//!
//! Architecture Invariant: `codes`, `epcis` and `hash` do no I/O; whether a 药品标识码 belongs to
//! a registered product is asked of the database by `resolve` and `ingest`.

pub mod access;
pub mod anchor;
pub mod anomalies;
pub mod capture;
pub mod codes;
pub mod epcis;
pub mod generate;
pub mod hash;
pub mod ingest;
pub mod labels;
pub mod ops;
pub mod packs;
pub mod query;
pub mod recall;
pub mod resolve;
pub mod schema;
pub mod sites;
pub mod upload;
pub mod verify;

mod error;

pub use error::TraceError;

/// Writes the next version of one of this module's records (recall, anomaly closure, pack-level
/// code) with its ledger entry, in the caller's transaction, as `principal`.
pub(crate) async fn record_version(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &yaolian_access::Principal,
    (entity, id): (&str, &str),
    (action, reason): (&str, &str),
    data: &serde_json::Value,
) -> Result<(), TraceError> {
    let version = yaolian_store::NewVersion {
        entity,
        entity_id: id,
        actor: principal.username(),
        action,
        reason,
        data,
        expected_version: None,
    };
    yaolian_store::versions::append(tx, version).await?;
    Ok(())
}
