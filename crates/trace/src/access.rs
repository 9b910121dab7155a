//! Who may read what of the trace data: a bureau with `trace.read` all of it; a company with
//! `trace.read` what happened at its own sites (and where-to for products it holds the
//! authorization of); the operator at the command line everything.

use std::collections::HashSet;

use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_store::Store;

use crate::{sites, TraceError};

/// What a reader may see (追溯数据范围): a capability. Only [`reach`] makes one, after the
/// permission check, so a function that takes a `&TraceReach` cannot be called by code that has
/// not passed the check.
#[derive(Debug, Clone)]
pub struct TraceReach(Reach);

#[derive(Debug, Clone)]
pub(crate) enum Reach {
    All,
    /// Keys of the sites of the reader's company.
    Sites(HashSet<String>),
}

impl TraceReach {
    pub fn is_all(&self) -> bool {
        matches!(self.0, Reach::All)
    }

    /// May the reader see what happened at `site`?
    pub fn covers(&self, site: &str) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Sites(s) => s.contains(site),
        }
    }

    /// The reader's sites, or `None` for every site.
    pub(crate) fn sites(&self) -> Option<&HashSet<String>> {
        match &self.0 {
            Reach::All => None,
            Reach::Sites(s) => Some(s),
        }
    }
}

/// A bureau with `trace.read`, or the operator: reads every site's data.
pub fn reads_all(principal: &Principal) -> bool {
    principal.is_system() || (principal.org_kind().is_regulator() && principal.has(perm::TRACE_READ))
}

/// The reach of `principal`, or a logged denial.
pub async fn reach(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<TraceReach, TraceError> {
    if reads_all(principal) {
        return Ok(TraceReach(Reach::All));
    }
    if principal.has(perm::TRACE_READ) {
        let keys = sites::keys_under(store, principal.org_path()).await?;
        return Ok(TraceReach(Reach::Sites(keys.into_iter().collect())));
    }
    Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await)
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
    Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await)
}

/// Only a bureau (or the operator) may read everything: national flows, anomalies across
/// companies.
pub async fn regulator(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<(), TraceError> {
    match reach(store, principal, target, client).await?.0 {
        Reach::All => Ok(()),
        Reach::Sites(_) => Err(audit::deny(store, principal, perm::TRACE_READ, target, client).await),
    }
}

/// May `principal`, as a bureau, manage the trace records of the organization at `owner_path`
/// (追溯监管范围) — open or close a recall of its product, register its sites, register pack
/// codes of its product? The operator everywhere; a bureau with `trace.manage` only where that
/// permission reaches the owner: 浙江省局 over the companies under it, not over 江苏's, and
/// 杭州市局 only over the companies under 杭州. A company's own rights (主动召回, its own pack
/// codes) are the caller's to add; the pages offer an action exactly where this (with them) holds.
pub fn may_manage(principal: &Principal, owner_path: &str) -> bool {
    principal.is_system() || (principal.org_kind().is_regulator() && principal.reaches(perm::TRACE_MANAGE, owner_path))
}
