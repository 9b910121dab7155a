//! The online-services domain's errors (政务服务), each with a stable `code()` that the web layer
//! maps to a status and a problem document (never by matching a message).

use thiserror::Error;
use yaolian_identity::IdentityError;
use yaolian_license::LicenseError;
use yaolian_registry::RegistryError;
use yaolian_store::StoreError;

#[derive(Debug, Error)]
pub enum ServiceError {
    /// The refusals every domain shares: validation, permission, not found, conflict, storage.
    #[error(transparent)]
    Shared(#[from] IdentityError),
    /// A license refusal met while carrying out a decision (e.g. the license was revoked).
    #[error(transparent)]
    License(LicenseError),
    /// The step does not apply in the application's present state.
    #[error("application {number} is {status} ({status_zh}); {step} is not possible now")]
    WrongState { number: String, status: String, status_zh: &'static str, step: &'static str },
    /// Someone changed the application (or the service type) since the form was read.
    #[error("{what} changed meanwhile; reload and try again")]
    StaleVersion { what: String },
    /// 补正 is notified once, with everything missing (行政许可法 Art. 32).
    #[error("补正 is notified once, with everything missing (行政许可法 Art. 32)")]
    CorrectionAlreadyNotified,
    /// A permit (许可) is decided only after a reviewer gave an opinion.
    #[error("a permit is decided after at least one review opinion")]
    ReviewMissing,
    /// A change or renewal application that names no license.
    #[error("the application names no license")]
    NoLicense,
}

impl ServiceError {
    /// Stable code for API clients (problem+json `code`).
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Shared(e) => e.code(),
            ServiceError::License(e) => e.code(),
            ServiceError::WrongState { .. } => "application_state",
            ServiceError::StaleVersion { .. } => "stale_version",
            ServiceError::CorrectionAlreadyNotified => "correction_already_notified",
            ServiceError::ReviewMissing => "review_missing",
            ServiceError::NoLicense => "no_license",
        }
    }

    /// The refusal in Chinese for a person, for the domain's own refusals (`None` for the shared
    /// ones, which the page says about the field's label).
    pub fn zh(&self) -> Option<String> {
        Some(match self {
            ServiceError::Shared(_) | ServiceError::License(_) => return None,
            ServiceError::WrongState { number, status_zh, step, .. } => {
                format!("申请 {number} 当前为“{status_zh}”，不能{step}")
            }
            ServiceError::StaleVersion { .. } => "申请已被他人更新，请刷新页面后重新操作".into(),
            ServiceError::CorrectionAlreadyNotified => {
                "补正告知应一次性告知需要补正的全部内容，本件已告知过（《行政许可法》第三十二条）".into()
            }
            ServiceError::ReviewMissing => "尚无审查意见，审查人员提交后方可决定".into(),
            ServiceError::NoLicense => "申请未指明要变更或延续的许可证".into(),
        })
    }

    /// A stored record that does not read back: storage corruption, not the caller's fault.
    pub(crate) fn unreadable(what: &str, e: impl std::fmt::Display) -> ServiceError {
        ServiceError::Shared(StoreError::Corrupt(format!("stored {what} unreadable: {e}")).into())
    }
}

impl From<LicenseError> for ServiceError {
    fn from(e: LicenseError) -> Self {
        match e {
            LicenseError::Shared(e) => ServiceError::Shared(e),
            own => ServiceError::License(own),
        }
    }
}

impl From<RegistryError> for ServiceError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Shared(e) => ServiceError::Shared(e),
        }
    }
}

yaolian_identity::domain_error!(ServiceError);

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
