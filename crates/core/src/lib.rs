//! Shared value types for every yaolian crate: validation errors that name the field and the
//! rule, timestamps, and the code formats of Chinese drug regulation (统一社会信用代码 …).
//!
//! Architecture Invariant: `core` does no I/O and knows nothing about databases or HTTP.

pub mod approval;
pub mod cas;
pub mod diff;
pub mod error;
pub mod fuzz;
pub mod gtin;
pub mod refusal;
pub mod time;
pub mod uscc;
pub mod xml;

pub use approval::ApprovalNumber;
pub use cas::CasNumber;
pub use error::{FieldError, ValidationError};
pub use gtin::Gtin;
pub use time::Timestamp;
pub use uscc::Uscc;

/// What a hand-written `Debug` prints in place of a secret (a password, a session or API token,
/// a TOTP secret or code, a key): secrets never reach `Debug` output or logs. The tidy test
/// `secrets_never_derive_debug` (crates/store/tests/tidy.rs) finds a secret field under a
/// derived `Debug`.
pub const REDACTED: &str = "[redacted]";

/// For the tests of every crate whose values carry a secret: `debug` (a `{:?}` text of `what`)
/// must not show `secret` and must mark what it left out with [`REDACTED`].
pub fn assert_redacted(what: &str, debug: &str, secret: &str) {
    assert!(!debug.contains(secret), "{what} shows its secret: {debug}");
    assert!(debug.contains(REDACTED), "{what} marks what it left out: {debug}");
}
