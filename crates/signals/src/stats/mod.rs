//! The statistics signals are found with. Pure: no I/O, a function of its inputs.

pub mod disproportionality;
pub mod ebgm;
pub mod spc;
