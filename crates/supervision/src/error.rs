//! Supervision's errors, each with a stable `code()` that the web layer maps to a status and a
//! problem document.

use thiserror::Error;
use yaolian_identity::IdentityError;

#[derive(Debug, Error)]
pub enum SupervisionError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// A case step in the wrong state (verifying an open case, closing an unverified one …).
    #[error("{number} is {status}: cannot {action}")]
    WrongState { number: String, status: String, action: &'static str },
    /// A step that must be someone else's: the disposal verified by whoever disposed it.
    #[error("the same person cannot {step}")]
    SamePerson { step: &'static str },
    /// A refusal of the trace module (the anomaly a case is raised from).
    #[error(transparent)]
    Trace(yaolian_trace::TraceError),
    /// A refusal of the service module (its working-day calendar).
    #[error(transparent)]
    Services(yaolian_services::ServiceError),
    /// A refusal of the license module (the bureau's sealing key).
    #[error(transparent)]
    License(yaolian_license::LicenseError),
}

impl From<yaolian_license::LicenseError> for SupervisionError {
    fn from(e: yaolian_license::LicenseError) -> Self {
        match e {
            yaolian_license::LicenseError::Shared(e) => SupervisionError::Shared(e),
            other => SupervisionError::License(other),
        }
    }
}

impl From<yaolian_trace::TraceError> for SupervisionError {
    fn from(e: yaolian_trace::TraceError) -> Self {
        match e {
            yaolian_trace::TraceError::Shared(e) => SupervisionError::Shared(e),
            other => SupervisionError::Trace(other),
        }
    }
}

impl From<yaolian_registry::RegistryError> for SupervisionError {
    fn from(e: yaolian_registry::RegistryError) -> Self {
        match e {
            yaolian_registry::RegistryError::Shared(e) => SupervisionError::Shared(e),
        }
    }
}

impl From<yaolian_services::ServiceError> for SupervisionError {
    fn from(e: yaolian_services::ServiceError) -> Self {
        match e {
            yaolian_services::ServiceError::Shared(e) => SupervisionError::Shared(e),
            other => SupervisionError::Services(other),
        }
    }
}

impl SupervisionError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            SupervisionError::Shared(e) => e.code(),
            SupervisionError::WrongState { .. } => "case_state",
            SupervisionError::SamePerson { .. } => "same_person",
            SupervisionError::Trace(e) => e.code(),
            SupervisionError::Services(e) => e.code(),
            SupervisionError::License(e) => e.code(),
        }
    }

    /// The refusal in Chinese, for pages (`None` for the shared refusals).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            SupervisionError::Shared(_)
            | SupervisionError::Trace(_)
            | SupervisionError::Services(_)
            | SupervisionError::License(_) => return None,
            SupervisionError::WrongState { number, status, .. } => {
                let zh = [
                    crate::cases::STATUSES,
                    crate::plans::STATUSES,
                    crate::plans::PLAN_STATUSES,
                    crate::sampling::STATUSES,
                    crate::enforcement::STATUSES,
                ]
                .iter()
                .find_map(|list| list.iter().find(|(c, _)| c == status))
                .map(|(_, z)| *z)
                // A state named in Chinese already (a finding's rectification).
                .unwrap_or(status.as_str());
                format!("{number} 当前为“{zh}”，不能进行这一步")
            }
            SupervisionError::SamePerson { step: "report" } => "检验报告须由检验人以外的人审核签发".to_string(),
            SupervisionError::SamePerson { step: "review" } => "法制审核须由办案人员以外的人进行".to_string(),
            SupervisionError::SamePerson { .. } => "处置结果须由处置人以外的人核查".to_string(),
        })
    }
}

yaolian_identity::domain_error!(SupervisionError);

pub type Result<T, E = SupervisionError> = std::result::Result<T, E>;
