//! The registry (档案): 一企一档 (companies), 一品一档 (products), 一员一档 (licensed persons).
//!
//! This first part is 一品一档: products with their 批准文号, generic and trade name, dosage form,
//! strength, pack, marketing-authorization holder (上市许可持有人, MAH), manufacturer, 药品标识码
//! and GTINs, each change a versioned, ledgered record with a reason.
//!
//! Architecture Invariant: like `identity`, every function takes the acting `Principal` and
//! checks permission and data scope itself; `registry` knows nothing about HTTP.

pub mod companies;
pub mod products;
pub mod records;
pub mod timeline;

pub use products::{NewProduct, Product, ProductQuery};
