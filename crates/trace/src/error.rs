//! The trace domain's errors, each with a stable `code()` that the web layer maps to a status
//! and a problem document (never by matching a message or a rule string).

use thiserror::Error;
use yaolian_core::ValidationError;
use yaolian_identity::IdentityError;
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum TraceError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// The same event (by EPCIS event hash) is stored already.
    #[error("this event (same EPCIS event hash) is already captured")]
    DuplicateEvent,
    /// An event's batch is in the ledger but no signed checkpoint covers it yet.
    #[error("this event's batch is not in a signed checkpoint yet; checkpoints are signed every minute")]
    NotYetCheckpointed,
}

impl TraceError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            TraceError::Shared(e) => e.code(),
            TraceError::DuplicateEvent => "duplicate_event",
            TraceError::NotYetCheckpointed => "not_yet_checkpointed",
        }
    }

    pub(crate) fn not_found(what: &'static str) -> TraceError {
        TraceError::Shared(IdentityError::NotFound(what))
    }
}

impl From<StoreError> for TraceError {
    fn from(e: StoreError) -> Self {
        TraceError::Shared(e.into())
    }
}

impl From<yaolian_access::AccessError> for TraceError {
    fn from(e: yaolian_access::AccessError) -> Self {
        TraceError::Shared(e.into())
    }
}

impl From<sqlx::Error> for TraceError {
    fn from(e: sqlx::Error) -> Self {
        TraceError::Shared(e.into())
    }
}

impl From<ValidationError> for TraceError {
    fn from(e: ValidationError) -> Self {
        TraceError::Shared(e.into())
    }
}

/// A trace refusal in the shared terms (for pages, which show every refusal one way): the
/// trace-specific ones become conflicts with their message.
impl From<TraceError> for IdentityError {
    fn from(e: TraceError) -> Self {
        match e {
            TraceError::Shared(e) => e,
            other => IdentityError::Conflict(other.to_string()),
        }
    }
}
