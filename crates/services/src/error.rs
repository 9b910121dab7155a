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
