//! Access (访问控制): who is acting and what they may reach — the [`Principal`], the
//! permissions roles carry, data scopes and organization kinds, and the shared error that the
//! record services below the domain crates give.
//!
//! Architecture Invariant: this crate reads nothing. It sits below `audit`, `portal`,
//! `identity`, `records` and every domain crate, so each of them can take the acting principal
//! without reaching up into identity's internals.

pub mod error;
pub mod kinds;
pub mod perm;
pub mod principal;

pub use error::AccessError;
pub use kinds::{AdminKind, OrgKind, Scope};
pub use principal::{
    run_as_system, scope_filter, scope_filter_any, scoped_join, AuthVia, Authenticated, Principal, RoleGrant,
};

/// Request context recorded with every audit event.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}
