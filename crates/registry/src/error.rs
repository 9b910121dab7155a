//! The registry's errors, each with a stable `code()` that the web layer maps to a status and
//! a problem document. Today every registry refusal is one all domains share (a field that
//! breaks a rule, a missing permission, an unknown record, a stale version); a refusal of the
//! registry's own gets its case here, beside `Shared`.

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum RegistryError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
}

impl RegistryError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Shared(e) => e.code(),
        }
    }
}

yaolian_identity::domain_error!(RegistryError);

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
