//! Supervision (监管, issue 20): risk and credit grading, the closed loop from an alert to its
//! closure, risk-based inspections, sampling (抽检) and enforcement cases (执法办案).
//!
//! So far: [`cases`], the closed loop (风险处置) — an alert becomes a case that is assigned,
//! disposed, verified and closed, each step due on the working-day calendar; and [`clock`], the
//! statutory time limits of an administrative penalty case, with the periods the law does not
//! count (docs/supervision-sources.md §4 gives each limit's article). `clock` does no I/O.

pub mod cases;
pub mod clock;
pub mod complaints;
pub mod documents;
pub mod enforcement;
pub mod error;
pub mod models;
pub mod onsite;
pub mod plans;
pub mod risk;
mod rows;
pub mod sampling;
pub mod scores;

pub use error::SupervisionError;
