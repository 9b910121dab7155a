//! The license domain's errors, each with a stable `code()` that the web layer maps to a
//! status and a problem document (never by matching a message).

use thiserror::Error;
use yaolian_identity::IdentityError;
use yaolian_registry::RegistryError;
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum LicenseError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// A revoked license (注销) is final.
    #[error("a revoked license cannot be changed or renewed")]
    Revoked,
    /// The action does not apply in the license's present state (e.g. reinstating a valid one).
    #[error("a {status} license cannot be {action}d")]
    WrongState { status: &'static str, action: &'static str },
    /// Someone changed the license since the form was read.
    #[error("the license is at version {current}, not {expected}; reload and try again")]
    StaleVersion { current: i64, expected: i64 },
    /// The authority's signing key does not open with this site's sealing key.
    #[error(
        "authority key {key_id} cannot be opened ({detail}); is the site sealing key the one it was created with?"
    )]
    SealingKey { key_id: String, detail: String },
}

impl LicenseError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            LicenseError::Shared(e) => e.code(),
            LicenseError::Revoked => "license_revoked",
            LicenseError::WrongState { .. } => "license_state",
            LicenseError::StaleVersion { .. } => "stale_version",
            LicenseError::SealingKey { .. } => "sealing_key_mismatch",
        }
    }

    /// A stored license that does not read back: storage corruption, not the caller's fault.
    pub(crate) fn unreadable(what: impl std::fmt::Display) -> LicenseError {
        LicenseError::Shared(StoreError::Corrupt(format!("stored license unreadable: {what}")).into())
    }
}

impl From<RegistryError> for LicenseError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Shared(e) => LicenseError::Shared(e),
        }
    }
}

yaolian_identity::domain_error!(LicenseError);

pub type Result<T, E = LicenseError> = std::result::Result<T, E>;
