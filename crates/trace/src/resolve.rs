//! Which registered product (一品一档) a scanned code is: by its 药品标识码 (NMPA) or its GTIN
//! (GS1), both kept with the product in the registry.

use serde::Serialize;
use sqlx::Row;
use yaolian_store::{Store, StoreError};

use crate::codes::{Code, CodeError};

/// A product as a code resolves to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductRef {
    pub id: i64,
    pub approval_number: String,
    pub generic_name: String,
    pub mah_org_id: i64,
    /// The pack level the code's prefix names: a unit, or a case or pallet for a registered
    /// pack-level code (`packs`).
    pub level: crate::packs::PackLevel,
}

/// Why a code resolves to no product.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{0}")]
    Code(CodeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ResolveError {
    fn from(e: sqlx::Error) -> Self {
        ResolveError::Store(StoreError::from(e))
    }
}

/// What each code prefix names, as (prefix, product_id, level): a product's units by its
/// 药品标识码 or GTIN, its cases and pallets by a registered pack-level code (`packs`). `{in}`
/// stands for the prefixes asked about (a list, or one placeholder).
pub(crate) const PREFIX_PRODUCTS: &str =
    "SELECT drug_code AS prefix, id AS product_id, 'unit' AS level FROM products WHERE drug_code IN ({in}) \
     UNION ALL SELECT gtin, product_id, 'unit' FROM product_gtins WHERE gtin IN ({in}) \
     UNION ALL SELECT prefix, product_id, level FROM trace_pack_codes WHERE prefix IN ({in})";

/// The registered product of a code; a code whose 药品标识码 or GTIN no product carries is
/// refused, naming the digits and the rule.
pub async fn product_of(store: &Store, code: &Code) -> Result<ProductRef, ResolveError> {
    let key = match code {
        Code::Nmpa(n) => n.drug_code.clone(),
        Code::Gs1(g) => match &g.gtin {
            Some(gtin) => gtin.clone(),
            None => {
                return Err(ResolveError::Code(CodeError::at(1, "gtin_required", "the code carries no (01) GTIN")));
            }
        },
    };
    let sql = format!(
        "SELECT p.id, p.approval_number, p.generic_name, p.mah_org_id, x.level FROM ({}) x \
         JOIN products p ON p.id = x.product_id",
        PREFIX_PRODUCTS.replace("{in}", "$1")
    );
    let row = sqlx::query(&sql).bind(&key).fetch_optional(store.pool()).await?;
    let Some(r) = row else {
        return Err(ResolveError::Code(match code {
            Code::Nmpa(n) => n.unknown_product(),
            Code::Gs1(_) => {
                CodeError::at(3, "gtin_unknown_product", format!("GTIN {key} belongs to no registered product"))
            }
        }));
    };
    Ok(ProductRef {
        id: r.try_get(0)?,
        approval_number: r.try_get(1)?,
        generic_name: r.try_get(2)?,
        mah_org_id: r.try_get(3)?,
        level: crate::packs::stored_level(&r.try_get::<String, _>(4)?)?,
    })
}
