//! The error every shared record service (audit, portal, records) and every access door can
//! give: what a module's own error enum wraps as its shared case.

use thiserror::Error;
use yaolian_core::ValidationError;
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum AccessError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
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
