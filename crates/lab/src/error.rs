//! The laboratory's errors, each with a stable `code()` that the web layer maps to a status and a
//! problem document.

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum LabError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// An instrument not in calibration (never calibrated, due date passed, or out of service
    /// after a failed calibration) cannot be used or selected.
    #[error("instrument {code} is not in calibration ({state})")]
    OutOfCalibration { code: String, state: &'static str, due: Option<String> },
    /// An idempotency key delivered before with other content.
    #[error("idempotency key {key} was used before for another result")]
    KeyReused { key: String },
}

impl LabError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            LabError::Shared(e) => e.code(),
            LabError::OutOfCalibration { .. } => "out_of_calibration",
            LabError::KeyReused { .. } => "key_reused",
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            LabError::Shared(_) => return None,
            LabError::OutOfCalibration { code, state, due } => match (*state, due) {
                ("never", _) => format!("仪器 {code} 尚未校准，不能使用"),
                ("out_of_service", _) => format!("仪器 {code} 校准不合格已停用，重新校准合格后方可使用"),
                (_, Some(due)) => format!("仪器 {code} 的校准已于 {due} 到期，校准合格后方可使用"),
                _ => format!("仪器 {code} 不在校准有效期内"),
            },
            LabError::KeyReused { key } => format!("幂等键 {key} 已用于另一份结果"),
        })
    }
}

yaolian_identity::domain_error!(LabError);

pub type Result<T, E = LabError> = std::result::Result<T, E>;
