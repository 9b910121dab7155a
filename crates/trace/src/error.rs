//! The trace domain's errors, each with a stable `code()` that the web layer maps to a status
//! and a problem document (never by matching a message or a rule string).

use thiserror::Error;
use yaolian_identity::IdentityError;

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
    /// The bureau has closed this anomaly: it takes no more answers (异常说明).
    #[error("this anomaly is closed; it takes no more answers")]
    AnomalyClosed,
}

impl TraceError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            TraceError::Shared(e) => e.code(),
            TraceError::DuplicateEvent => "duplicate_event",
            TraceError::NotYetCheckpointed => "not_yet_checkpointed",
            TraceError::AnomalyClosed => "anomaly_closed",
        }
    }

    pub(crate) fn not_found(what: &'static str) -> TraceError {
        TraceError::Shared(IdentityError::NotFound(what))
    }
}

yaolian_identity::domain_error!(TraceError);
