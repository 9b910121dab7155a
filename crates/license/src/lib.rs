//! Electronic licenses (电子证照): drug manufacturing, drug distribution (wholesale / retail) and
//! medical-institution preparation licenses, with the metadata of the national e-license
//! standards GB/T 36901–36906, issued, changed, renewed, suspended and revoked as versioned,
//! records signed by the issuing authority's SM2 key, and verified by anyone.
//!
//! - `identifier`: the GB/T 36902 license identifier and its ISO/IEC 7064 MOD 37,36 check.
//! - `kinds`: the license types and the fields each carries.
//! - `document`: the signed license document and its offline verification.
//! - `licenses`: the stored licenses, their life cycle and the public verification.
//!
//! Architecture Invariant: `identifier`, `kinds` and `document` do no I/O, so that an exported
//! license verifies offline with nothing but the authority's public key. Every state change in
//! `licenses` goes through the one write path (a record version and a ledger entry in the same
//! transaction as the signed document).

pub mod document;
pub mod error;
pub mod identifier;
pub mod kinds;
pub mod labels;
pub mod licenses;

pub use document::{LicenseDocument, SignedLicense};
pub use error::LicenseError;
pub use identifier::LicenseId;
pub use kinds::Kind;
