//! Signals (信号, issue 21): adverse drug reaction reports (药品不良反应报告) and the
//! disproportionality signals found in them, the production black box (生产黑匣子) with
//! statistical process control, and the regulator's overview (监管大屏).
//!
//! [`stats`] holds the statistics and does no I/O: PRR, ROR, χ², the information component and
//! the gamma-Poisson shrinker's EBGM ([`stats::disproportionality`], [`stats::ebgm`]); control
//! charts, Nelson's rules, EWMA, CUSUM and capability ([`stats::spc`]). [`adr`] keeps the reports
//! (every one a versioned record; duplicates kept and marked, not counted) and the counts the
//! detection reads; [`detection`] runs it for a bureau and keeps the signals found, each decision
//! on one a version, a confirmed one raised as a case in supervision's closed loop.

pub mod adr;
pub mod blackbox;
pub mod detection;
pub mod error;
pub mod overview;
pub mod stats;
pub mod terms;

pub use error::SignalError;
