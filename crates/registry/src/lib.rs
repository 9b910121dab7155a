//! The registry (档案): 一企一档 (companies), 一品一档 (products), 一员一档 (licensed persons).
//!
//! 一品一档: products with their 批准文号, names, dosage form, strength, pack, marketing-
//! authorization holder (上市许可持有人, MAH), manufacturer, 药品标识码 and GTINs. 一企一档: a
//! company's profile, products and timeline (`timeline`, the interface every module adds to).
//! 一员一档: licensed persons with certificate, employer and validity. `search` looks across all
//! three. Every change is a versioned, ledgered record with a reason.
//!
//! Architecture Invariant: like `identity`, every function takes the acting `Principal` and
//! checks permission and data scope itself; `registry` knows nothing about HTTP.

pub mod companies;
pub mod error;
pub mod import;
pub mod labels;
pub mod persons;
pub mod products;
pub mod records;
pub mod search;
pub mod table;
pub mod timeline;

pub use error::RegistryError;
pub use products::{NewProduct, Product, ProductQuery};
