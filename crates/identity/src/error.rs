//! Errors of the identity domain, each with a stable machine code.

use thiserror::Error;
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

impl From<sqlx::Error> for IdentityError {
    fn from(e: sqlx::Error) -> Self {
        IdentityError::from(StoreError::from(e))
    }
}

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
