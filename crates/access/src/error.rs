//! The refusals every crate shares, from the record services (audit, portal, records) and
//! identity (which calls it `IdentityError`) up: what a domain's own error enum wraps as its
//! shared case.

use thiserror::Error;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum AccessError {
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

impl AccessError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            AccessError::Validation(_) => "validation_failed",
            AccessError::InvalidCredentials => "invalid_credentials",
            AccessError::AccountLocked { .. } => "account_locked",
            AccessError::AccountDisabled => "account_disabled",
            AccessError::InvalidTotp => "invalid_totp",
            AccessError::Unauthenticated => "unauthenticated",
            AccessError::Forbidden { .. } => "forbidden",
            AccessError::SeparationOfDuties(_) => "separation_of_duties",
            AccessError::NotFound(_) => "not_found",
            AccessError::Conflict(_) => "conflict",
            AccessError::Store(_) => "storage_error",
        }
    }
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AccessError::NotFound("record"),
            StoreError::Conflict(m) => AccessError::Conflict(m),
            StoreError::Invalid { field, rule, message } => {
                AccessError::Validation(ValidationError::single(field, rule, message))
            }
            other => AccessError::Store(other),
        }
    }
}

impl From<sqlx::Error> for AccessError {
    fn from(e: sqlx::Error) -> Self {
        AccessError::from(StoreError::from(e))
    }
}

pub type Result<T, E = AccessError> = std::result::Result<T, E>;
