//! Online government services (互联网+政务服务): applications from submission to delivery with
//! the law's time limits counted in working days, 智能秒办 rules, overdue alerts and statistics.
//!
//! - `calendar`: working days, public holidays and adjusted working days.
//! - `types`: application types configured in data.
//! - `rules`: 智能秒办 rules and what they record.
//! - `applications`: the flow, the clock, the to-dos, the statistics.
//! - `records`: record history of every entity, each behind its own module's access check.
//!
//! Architecture Invariant: every function takes the acting `Principal` and checks permission,
//! data scope and separation of duties itself; a decision, its signature and the license it
//! issues commit in one transaction. `services` knows nothing about HTTP.

pub mod applications;
pub mod calendar;
pub mod error;
pub mod labels;
pub mod records;
pub mod rules;
pub mod types;

pub use applications::{Application, ApplicationView};
pub use calendar::Calendar;
pub use error::ServiceError;
