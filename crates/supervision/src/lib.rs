//! Supervision (监管, issue 20): risk and credit grading, the closed loop from an alert to its
//! closure, risk-based inspections, sampling (抽检) and enforcement cases (执法办案).
//!
//! First part: [`clock`], the statutory time limits of an administrative penalty case on the
//! working-day calendar, with the periods the law does not count (docs/supervision-sources.md
//! §4 gives each limit's article).

pub mod clock;
