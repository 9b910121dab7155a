//! Who may read what of the trace data (追溯数据范围; the decision is written down in
//! docs/architecture.md, "Scope (数据范围) decisions"): the national bureau (NMPA, a regulator at
//! the root of the organization tree) with `trace.read` all of it; a provincial or municipal
//! bureau with `trace.read` its area (属地监管): what happened at the sites of organizations in
//! its subtree, and the whole history of a code that passed through one of them; a company with
//! `trace.read` what happened at its own sites; the operator at the command line everything.

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
    /// A provincial or municipal bureau: keys of the sites of the organizations in its subtree
    /// (its 行政区域); a code that passed through one of them it may trace end to end.
    Area(HashSet<String>),
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
            Reach::Area(s) | Reach::Sites(s) => s.contains(site),
        }
    }

    /// The reader's sites, or `None` for every site.
    pub(crate) fn sites(&self) -> Option<&HashSet<String>> {
        match &self.0 {
            Reach::All => None,
            Reach::Area(s) | Reach::Sites(s) => Some(s),
        }
    }

    /// May the reader see the whole history of a code whose events happened at `sites`? The
    /// national bureau any; a bureau one with at least one event in its area (a product that
    /// passed through it can be traced end to end, as recall and investigation need).
    pub fn traces_through(&self, sites: impl IntoIterator<Item = impl AsRef<str>>) -> bool {
        match &self.0 {
            Reach::All => true,
            Reach::Area(area) => sites.into_iter().any(|s| area.contains(s.as_ref())),
            Reach::Sites(_) => false,
        }
    }
}

/// The operator, or a bureau at the root of the organization tree (the national bureau) or
/// holding `trace.read` for all organizations: reads every site's data.
pub fn reads_all(principal: &Principal) -> bool {
    national(principal, perm::TRACE_READ)
}

/// The operator, or a bureau holding `permission` at the root of the organization tree or for
/// all organizations: [`reads_all`] and [`manages_all`] for their permission.
fn national(principal: &Principal, permission: &str) -> bool {
    principal.is_system()
        || (principal.org_kind().is_regulator()
            && (principal.scope_for(permission) == Some(yaolian_access::Scope::All)
                || (principal.has(permission) && is_root(principal.org_path()))))
}

/// The operator, or the national bureau (a regulator at the root, or holding `trace.manage`
/// for all organizations): manages trace records at every site. A local bureau manages those in
/// its own area ([`may_manage`], [`area_sites`]).
pub fn manages_all(principal: &Principal) -> bool {
    national(principal, perm::TRACE_MANAGE)
}

/// The sites of the principal's own area (the organizations of its subtree): where a local
/// bureau may act, and where a company may report.
pub async fn area_sites(store: &Store, principal: &Principal) -> Result<HashSet<String>, TraceError> {
    Ok(sites::keys_under(store, principal.org_path()).await?.into_iter().collect())
}

/// A bureau with `trace.read`, national or local (or the operator): regulatory reading, such
/// as recalls, which every bureau must be able to act on (应急召回), and capture jobs.
pub fn is_bureau_reader(principal: &Principal) -> bool {
    principal.is_system() || (principal.org_kind().is_regulator() && principal.has(perm::TRACE_READ))
}

/// `/1/` is the root; `/1/3/` is not.
fn is_root(org_path: &str) -> bool {
    let inner = org_path.trim_matches('/');
    !inner.is_empty() && !inner.contains('/')
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
        let keys = area_sites(store, principal).await?;
        if principal.org_kind().is_regulator() {
            return Ok(TraceReach(Reach::Area(keys)));
        }
        return Ok(TraceReach(Reach::Sites(keys)));
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

/// Only a bureau (or the operator) reads flows across companies (a code's history, where-to,
/// the dashboard): the national bureau everywhere, a local bureau in its area. A company is
/// refused (and the refusal audited).
pub async fn regulator(
    store: &Store,
    principal: &Principal,
    target: &str,
    client: &ClientInfo,
) -> Result<TraceReach, TraceError> {
    let reach = reach(store, principal, target, client).await?;
    match reach.0 {
        Reach::All | Reach::Area(_) => Ok(reach),
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_one_level_path_is_the_root() {
        for (path, root) in [("/1/", true), ("/12/", true), ("/1/3/", false), ("/1/3/7/", false), ("", false)] {
            assert_eq!(super::is_root(path), root, "{path}");
        }
    }
}
