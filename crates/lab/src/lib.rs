//! The R&D laboratory (研发实验室, issue 19). First part: the pure calculations a lab record
//! runs — chromatographic system suitability and assay (`chroma`), the rounding of a reported
//! result to its places or significant figures under the pharmacopoeia's rule (`rounding`), a
//! template's calculated fields (`formula`), and the parsers of what instruments write
//! (`capture`) — no I/O; and the instruments (`instruments`): registered, calibrated, used only
//! while in calibration, each change a versioned record.

pub mod capture;
pub mod chroma;
pub mod environment;
pub mod error;
pub mod formula;
pub mod instruments;
pub mod labels;
pub mod projects;
pub mod records;
pub mod reports;
pub mod results;
pub mod rounding;
pub mod templates;

pub use error::LabError;
