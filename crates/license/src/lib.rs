//! Electronic licenses (电子证照): drug manufacturing, drug distribution (wholesale / retail) and
//! medical-institution preparation licenses, with the metadata of the national e-license
//! standards GB/T 36901–36906, issued, changed, renewed, suspended and revoked as versioned,
//! signed records.
//!
//! This first part is the license identifier (证照标识) of GB/T 36902: its form, its
//! ISO/IEC 7064 MOD 37,36 check character, generation on issue and validation on input.
//!
//! Architecture Invariant: `license` validates and computes; it does no I/O of its own.

pub mod identifier;

pub use identifier::LicenseId;
