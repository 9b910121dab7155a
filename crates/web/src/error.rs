//! API errors as RFC 9457 problem details (`application/problem+json`) with a stable `code`
//! and, for validation, the list of `{field, rule, message}` that failed.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use yaolian_core::{FieldError, ValidationError};
use yaolian_identity::IdentityError;

/// The problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the problem type: `urn:yaolian:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `account_locked`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

/// An error returned by an API handler.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError { status, code, detail: detail.into(), errors: Vec::new() }
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn validation(v: ValidationError) -> Self {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            detail: v.to_string(),
            errors: v.errors,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first, or the session has expired")
    }

    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong CSRF token (send the X-CSRF-Token header given at login)",
        )
    }

    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "an internal error occurred; it has been logged")
    }

    pub fn problem(&self) -> Problem {
        Problem {
            type_uri: format!("urn:yaolian:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.errors.clone(),
        }
    }
}

/// Renders any problem as a response.
pub fn problem_response(status: StatusCode, body: &Problem) -> Response {
    let json = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = (status, json).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    resp
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = problem_response(self.status, &self.problem());
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let code = e.code();
        let status = match &e {
            IdentityError::Validation(v) => return ApiError::validation(v.clone()),
            IdentityError::InvalidCredentials | IdentityError::InvalidTotp | IdentityError::Unauthenticated => {
                StatusCode::UNAUTHORIZED
            }
            IdentityError::AccountLocked { .. } => StatusCode::LOCKED,
            IdentityError::AccountDisabled | IdentityError::Forbidden { .. } => StatusCode::FORBIDDEN,
            IdentityError::SeparationOfDuties(_) | IdentityError::Conflict(_) => StatusCode::CONFLICT,
            IdentityError::NotFound(_) => StatusCode::NOT_FOUND,
            IdentityError::Store(inner) if inner.is_unavailable() => {
                tracing::warn!(error = %inner, "database unavailable");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "the database does not answer; try again shortly",
                );
            }
            IdentityError::Store(inner) => {
                tracing::error!(error = %inner, "storage error");
                return ApiError::internal();
            }
        };
        ApiError::new(status, code, e.to_string())
    }
}

/// A domain error: its shared refusals map as identity's do; its own refusals (a license
/// already revoked, an application in the wrong state, a duplicate event …) are conflicts with
/// the domain's stable code.
macro_rules! domain_errors {
    ($($name:ident in $krate:ident),* $(,)?) => {$(
        impl From<$krate::$name> for ApiError {
            #[allow(unreachable_patterns)]
            fn from(e: $krate::$name) -> Self {
                match e {
                    $krate::$name::Shared(e) => ApiError::from(e),
                    own => ApiError::new(StatusCode::CONFLICT, own.code(), own.to_string()),
                }
            }
        }
    )*};
}

domain_errors!(
    RegistryError in yaolian_registry,
    LicenseError in yaolian_license,
    ServiceError in yaolian_services,
    TraceError in yaolian_trace,
    InventoryError in yaolian_inventory,
    QualityError in yaolian_quality,
    LabError in yaolian_lab,
    SupervisionError in yaolian_supervision,
    SignalError in yaolian_signals,
    SubmissionError in yaolian_submission,
);

/// An EPCIS document that is not JSON is a bad request (400); one over a limit is refused with
/// the limit named (422, `max_depth:32`).
impl From<yaolian_trace::epcis::DocumentError> for ApiError {
    fn from(e: yaolian_trace::epcis::DocumentError) -> Self {
        use yaolian_trace::epcis::DocumentError;
        match e {
            DocumentError::OverLimit(field) => ApiError::validation(ValidationError { errors: vec![field] }),
            malformed @ DocumentError::Malformed(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, malformed.code(), malformed.to_string())
            }
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(v: ValidationError) -> Self {
        ApiError::validation(v)
    }
}

impl From<yaolian_store::StoreError> for ApiError {
    fn from(e: yaolian_store::StoreError) -> Self {
        ApiError::from(IdentityError::from(e))
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
