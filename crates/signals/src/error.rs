//! The signal modules' errors, each with a stable `code()` that the web layer maps to a status
//! and a problem document.

use thiserror::Error;
use yaolian_identity::IdentityError;
use yaolian_supervision::SupervisionError;

#[derive(Debug, Error)]
pub enum SignalError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// A step in the wrong state (deciding a signal already turned into a case …).
    #[error("{number} is {status}: cannot {action}")]
    WrongState { number: String, status: String, action: &'static str },
    /// A refusal of the supervision module (the case a signal or a warning raises).
    #[error(transparent)]
    Supervision(SupervisionError),
}

impl From<SupervisionError> for SignalError {
    fn from(e: SupervisionError) -> Self {
        match e {
            SupervisionError::Shared(e) => SignalError::Shared(e),
            other => SignalError::Supervision(other),
        }
    }
}

impl SignalError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            SignalError::Shared(e) => e.code(),
            SignalError::WrongState { .. } => "case_state",
            SignalError::Supervision(e) => e.code(),
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            SignalError::Shared(_) => return None,
            SignalError::Supervision(e) => return e.zh(),
            SignalError::WrongState { number, status, .. } => {
                // A warning's number starts YJ (预警), a signal's XH (信号).
                let states =
                    if number.starts_with("YJ") { crate::blackbox::STATUSES } else { crate::detection::STATUSES };
                let zh = states.iter().find(|(c, _)| c == status).map(|(_, z)| *z).unwrap_or(status.as_str());
                format!("{number} 当前为“{zh}”，不能进行这一步")
            }
        })
    }
}

yaolian_identity::domain_error!(SignalError);

pub type Result<T, E = SignalError> = std::result::Result<T, E>;
