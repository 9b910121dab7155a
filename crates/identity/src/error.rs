//! Errors of the identity domain, each with a stable machine code, and the conversions every
//! domain crate's error enum shares.

/// Identity's refusals are the shared ones (`yaolian_access::AccessError`), login's among them.
pub use yaolian_access::AccessError as IdentityError;

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;

/// What the [`domain_error!`](crate::domain_error) macro names, so a domain crate needs no
/// direct dependency for them.
#[doc(hidden)]
pub mod deps {
    pub use sqlx::Error as SqlxError;
    pub use yaolian_core::ValidationError;
    pub use yaolian_store::StoreError;
}

/// The conversions every domain crate's error enum has. The enum has a `Shared(IdentityError)`
/// case for the refusals all domains share (validation, permission, not found, conflict,
/// storage); they arrive there from wherever they come. A page, which shows every refusal one
/// way, takes any domain error as an [`IdentityError`]: the domain's own refusals become a
/// conflict with their message. The web layer maps the domain's own refusals by `code()`.
#[macro_export]
macro_rules! domain_error {
    ($name:ident) => {
        impl From<$crate::error::deps::StoreError> for $name {
            fn from(e: $crate::error::deps::StoreError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$crate::error::deps::SqlxError> for $name {
            fn from(e: $crate::error::deps::SqlxError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$crate::error::deps::ValidationError> for $name {
            fn from(e: $crate::error::deps::ValidationError) -> Self {
                $name::Shared(e.into())
            }
        }
        impl From<$name> for $crate::IdentityError {
            #[allow(unreachable_patterns)]
            fn from(e: $name) -> Self {
                match e {
                    $name::Shared(e) => e,
                    other => $crate::IdentityError::Conflict(other.to_string()),
                }
            }
        }
    };
}
