//! The R&D laboratory (研发实验室, issue 19). First part: the pure calculations a lab record
//! runs — chromatographic system suitability and assay (`chroma`), the rounding of a reported
//! result to its places or significant figures under the pharmacopoeia's rule (`rounding`), a
//! template's calculated fields (`formula`), and the parsers of what instruments write
//! (`capture`). No I/O: the record, template and instrument-capture modules call these.

pub mod capture;
pub mod chroma;
pub mod formula;
pub mod rounding;
