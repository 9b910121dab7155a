//! Who may read what of the trace data: a bureau with `trace.read` all of it; a company with
//! `trace.read` what happened at its own sites (and where-to for products it holds the
//! authorization of); the operator at the command line everything.

use std::collections::HashSet;

use yaolian_identity::model::perm;
use yaolian_identity::{audit, ClientInfo, Principal};
use yaolian_store::Store;

use crate::{sites, TraceError};

/// What a reader may see.
#[derive(Debug, Clone)]
pub enum Reach {
    All,
    /// Keys of the sites of the reader's company.
    Sites(HashSet<String>),
}

impl Reach {
    pub fn is_all(&self) -> bool {
        matches!(self, Reach::All)
    }

    pub fn covers(&self, site: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Sites(s) => s.contains(site),
        }
    }
}

/// A bureau with `trace.read`, or the operator: reads every site's data.
pub fn reads_all(principal: &Principal) -> bool {
    principal.is_system() || (principal.org_kind.is_regulator() && principal.has(perm::TRACE_READ))
}

/// The reach of `principal`, or a logged denial.
pub async fn reach(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<Reach, TraceError> {
    if reads_all(principal) {
        return Ok(Reach::All);
    }
    if principal.has(perm::TRACE_READ) {
        return Ok(Reach::Sites(sites::keys_under(store, &principal.org_path).await?.into_iter().collect()));
    }
    Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await.into())
}

/// May `principal` read trace data at all (a scan's verification needs no more than that)?
/// Unlike [`reach`] it reads nothing.
pub async fn may_read(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<(), TraceError> {
    if principal.is_system() || principal.has(perm::TRACE_READ) {
        return Ok(());
    }
    Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await.into())
}

/// Only a bureau (or the operator) may read everything: national flows, anomalies across
/// companies.
pub async fn regulator(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<(), TraceError> {
    match reach(store, principal, target, client).await? {
        Reach::All => Ok(()),
        Reach::Sites(_) => Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await.into()),
    }
}
