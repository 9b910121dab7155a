//! Drug traceability (药品追溯). This first part reads the codes on packs:
//!
//! - `codes::gs1`: GS1 element strings as scanners send them (FNC1/GS-separated, with or without
//!   a symbology identifier, bracketed human-readable form, GS1 Digital Link URIs), validated per
//!   Application Identifier, and written back as element string, bracketed form, Digital Link
//!   and EPC URN.
//! - `codes::nmpa`: the 20-digit NMPA 药品追溯码 (NMPAB/T 1002-2019).
//! - `codes::Code`: either, from one scanned input.
//!
//! `resolve` finds the registered product (一品一档) of a code; `epcis` checks EPCIS 2.0 events
//! per event type with CBV 2.0 vocabularies, naming each bad event's fields.
//!
//! Architecture Invariant: `codes` does no I/O; whether a 药品标识码 belongs to a registered
//! product is asked of the registry through `resolve`.

pub mod codes;
pub mod epcis;
pub mod hash;
pub mod resolve;
