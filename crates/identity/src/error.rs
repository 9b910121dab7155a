//! Errors of the identity domain, each with a stable machine code.

use thiserror::Error;
use yaolian_access::AccessError;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum IdentityError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    #[error("wrong user name or password")]
    InvalidCredentials,
    #[error("account locked after repeated failed logins until {}", .until.to_china_string())]
    AccountLocked { until: Timestamp },
    #[error("account disabled")]
    AccountDisabled,
    #[error("wrong or reused one-time code")]
    InvalidTotp,
    #[error("not logged in, or the session has expired")]
    Unauthenticated,
    #[error("permission {permission} is required for this action")]
    Forbidden { permission: String },
    #[error("separation of duties (三员分立): {0}")]
    SeparationOfDuties(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("storage: {0}")]
    Store(StoreError),
}

impl IdentityError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::Validation(_) => "validation_failed",
            IdentityError::InvalidCredentials => "invalid_credentials",
            IdentityError::AccountLocked { .. } => "account_locked",
            IdentityError::AccountDisabled => "account_disabled",
            IdentityError::InvalidTotp => "invalid_totp",
            IdentityError::Unauthenticated => "unauthenticated",
            IdentityError::Forbidden { .. } => "forbidden",
            IdentityError::SeparationOfDuties(_) => "separation_of_duties",
            IdentityError::NotFound(_) => "not_found",
            IdentityError::Conflict(_) => "conflict",
            IdentityError::Store(_) => "storage_error",
        }
    }
}

impl From<StoreError> for IdentityError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => IdentityError::NotFound("record"),
            StoreError::Conflict(m) => IdentityError::Conflict(m),
            StoreError::Invalid { field, rule, message } => {
                IdentityError::Validation(ValidationError::single(field, rule, message))
            }
            other => IdentityError::Store(other),
        }
    }
}

impl From<AccessError> for IdentityError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Validation(v) => IdentityError::Validation(v),
            AccessError::Forbidden { permission } => IdentityError::Forbidden { permission },
            AccessError::SeparationOfDuties(m) => IdentityError::SeparationOfDuties(m),
            AccessError::NotFound(what) => IdentityError::NotFound(what),
            AccessError::Conflict(m) => IdentityError::Conflict(m),
            AccessError::Store(e) => IdentityError::Store(e),
        }
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::from(StoreError::from(e))
    }
}

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;

/// What the [`domain_error!`](crate::domain_error) macro names, so a domain crate needs no
/// direct dependency for them.
#[doc(hidden)]
pub mod deps {
    pub use sqlx::Error as SqlxError;
    pub use yaolian_access::AccessError;
    pub use yaolian_core::ValidationError;
    pub use yaolian_store::StoreError;
}

/// The conversions every domain crate's error enum has. The enum has a `Shared(IdentityError)`
/// case for the refusals all domains share (validation, permission, not found, conflict,
/// storage); they arrive there from wherever they come. A page, which shows every refusal one
/// way, takes any domain error as an [`IdentityError`]: the domain's own refusals become a
/// conflict with their message. The web layer maps the domain's own refusals by `code()`.
#[macro_export]
macro_rules! domain_error {
    ($name:ident) => {
        impl From<$crate::error::deps::StoreError> for $name {
            fn from(e: $crate::error::deps::StoreError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$crate::error::deps::SqlxError> for $name {
            fn from(e: $crate::error::deps::SqlxError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$crate::error::deps::ValidationError> for $name {
            fn from(e: $crate::error::deps::ValidationError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$crate::error::deps::AccessError> for $name {
            fn from(e: $crate::error::deps::AccessError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$name> for $crate::IdentityError {
            #[allow(unreachable_patterns)]
            fn from(e: $name) -> Self {
                match e {
                    $name::Shared(e) => e,
                    other => $crate::IdentityError::Conflict(other.to_string()),
                }
            }
        }
    };
}
