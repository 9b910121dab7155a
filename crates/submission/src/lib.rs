//! Electronic submission (电子申报, issue 22): eCTD v3.2.2 packages with China's regional
//! Module 1.
//!
//! The published files are compiled in and read as data: ICH's backbone DTD and CDE's regional
//! schema define the tree ([`ctd`]) and are what a package is checked against ([`dtd`], which
//! reads both a DTD and the subset of XML Schema CDE's schema uses). [`naming`], [`pdf`],
//! [`regional`], [`rules`], [`samples`], [`ctd`] and [`dtd`] do no I/O; XML is read by
//! `yaolian_core::xml`. [`package`]
//! writes a sequence to disk and [`validate`] reads any package on disk and reports each
//! finding under a versioned rule set ([`rules`]; `data/rules-yaolian-1.1.toml`), as HTML, JSON
//! or Excel ([`report`]). [`transfer`] is the transfer's format (manifest, sealed chunks,
//! acknowledgements) and [`transfers`] its two ends in the database: the receiver's steps and
//! the sender, over HTTP.

pub mod applications;
mod claim;
pub mod ctd;
pub mod dtd;
pub mod error;
pub mod naming;
pub mod package;
pub mod pdf;
pub mod regional;
pub mod report;
pub mod rules;
pub mod samples;
mod sender;
pub mod transfer;
pub mod transfers;
pub mod validate;

pub use error::{Result, SubmissionError};
