//! Pack-level codes (包装层级码): the 药品标识码 or GTIN that a product's cases (中码) and
//! pallets (大码) carry, registered against the product (一品一档). A case commissioned under
//! its own code then resolves to the product and takes its level; a scan of it verifies.
//! Unit-level codes stay with the product itself (`products.drug_code`, `product_gtins`).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{gtin::Gtin, ValidationError};
use yaolian_store::Store;

use crate::resolve::PREFIX_PRODUCTS;
use crate::TraceError;

/// A pack-level code registration as a versioned record.
pub const ENTITY: &str = "trace_pack_code";

/// The packaging level a code names (包装层级): the smallest sale unit (小码), a case (中码) or a
/// pallet (大码).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PackLevel {
    Unit,
    Case,
    Pallet,
}

impl PackLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PackLevel::Unit => "unit",
            PackLevel::Case => "case",
            PackLevel::Pallet => "pallet",
        }
    }

    pub fn parse(s: &str) -> Option<PackLevel> {
        Some(match s {
            "unit" => PackLevel::Unit,
            "case" => PackLevel::Case,
            "pallet" => PackLevel::Pallet,
            _ => return None,
        })
    }

    /// zh-CN label.
    pub fn label_zh(self) -> &'static str {
        match self {
            PackLevel::Unit => "小码（最小销售单元）",
            PackLevel::Case => "中包装（箱）",
            PackLevel::Pallet => "大包装（托）",
        }
    }
}

impl std::fmt::Display for PackLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pack levels a pack-level code may name.
pub const LEVELS: &[PackLevel] = &[PackLevel::Case, PackLevel::Pallet];

/// A pack-level code to register, as typed: the level is checked with the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPackCode {
    /// 7-digit 药品标识码 of the pack level, or its GTIN (8, 12, 13 or 14 digits).
    pub prefix: String,
    pub product_id: i64,
    /// `case` or `pallet`.
    pub level: String,
    /// Units per case, or cases per pallet; 0 when not stated.
    #[serde(default)]
    pub per_parent: i64,
}

/// A pack-level code as registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackCode {
    /// 7-digit 药品标识码 of the pack level, or its GTIN (kept as 14 digits).
    pub prefix: String,
    pub product_id: i64,
    pub level: PackLevel,
    /// Units per case, or cases per pallet; 0 when not stated.
    #[serde(default)]
    pub per_parent: i64,
}

/// A registered pack-level code with its product's name.
#[derive(Debug, Clone, Serialize)]
pub struct PackCodeRow {
    #[serde(flatten)]
    pub code: PackCode,
    pub product_name: String,
    pub approval_number: String,
}

/// The code in its stored form, or what is wrong with it (each field named).
pub fn check(input: &NewPackCode) -> Result<PackCode, ValidationError> {
    let mut errors = ValidationError::new();
    let raw = input.prefix.trim();
    let prefix = if raw.len() == 7 && raw.bytes().all(|b| b.is_ascii_digit()) {
        raw.to_string()
    } else if raw.len() == 7 {
        errors.push("prefix", "digits", "a 药品标识码 has 7 digits");
        String::new()
    } else {
        match Gtin::parse("prefix", raw) {
            Ok(g) => g.as_str().to_string(),
            Err(e) => {
                errors.push(e.field, e.rule, format!("neither a 7-digit 药品标识码 nor a GTIN: {}", e.message));
                String::new()
            }
        }
    };
    let level = PackLevel::parse(input.level.trim()).filter(|l| LEVELS.contains(l));
    if level.is_none() {
        errors.push("level", "one_of:case,pallet", "a pack-level code names a case or a pallet");
    }
    if !(0..=1_000_000).contains(&input.per_parent) {
        errors.push("per_parent", "range:0..1000000", "units per case or cases per pallet, 0 when not stated");
    }
    errors.into_result()?;
    let level = level.unwrap_or(PackLevel::Case);
    Ok(PackCode { prefix, product_id: input.product_id, level, per_parent: input.per_parent })
}

/// May `principal` register pack codes of a product whose MAH is at `owner_path`: the MAH with
/// `trace.capture`, or a bureau whose `trace.manage` reaches it ([`access::may_manage`]).
pub fn may_register(principal: &Principal, owner_path: &str) -> bool {
    crate::access::may_manage(principal, owner_path) || principal.reaches(perm::TRACE_CAPTURE, owner_path)
}

/// The products `principal` may register pack codes of, as (id, label) for a form's choice.
pub async fn products_to_register(store: &Store, principal: &Principal) -> Result<Vec<(i64, String)>, TraceError> {
    crate::query::product_choices_where(store, |owner_path| may_register(principal, owner_path)).await
}

/// Registers (or, for the same product, restates) a pack-level code as one who
/// [`may_register`]; a code that already names another product, or any product's units, is
/// refused.
pub async fn register(
    store: &Store,
    principal: &Principal,
    input: &NewPackCode,
    client: &ClientInfo,
) -> Result<PackCode, TraceError> {
    // Who may register for this product before what is wrong with the code.
    let owner = sqlx::query("SELECT o.path FROM products p JOIN orgs o ON o.id = p.mah_org_id WHERE p.id = $1")
        .bind(input.product_id)
        .fetch_optional(store.pool())
        .await?;
    let Some(owner) = owner else {
        return Err(ValidationError::single("product_id", "exists", "no registered product has this id").into());
    };
    let owner_path: String = owner.try_get(0)?;
    if !may_register(principal, &owner_path) {
        let target = format!("product:{}", input.product_id);
        return Err(audit::deny(store, principal, perm::TRACE_CAPTURE, &target, client).await);
    }
    let code = check(input)?;
    let mut tx = store.begin().await?;
    let taken = sqlx::query(&PREFIX_PRODUCTS.replace("{in}", "$1")).bind(&code.prefix).fetch_all(&mut *tx).await?;
    for r in &taken {
        let product: i64 = r.try_get(1)?;
        let level: String = r.try_get(2)?;
        if level == "unit" || product != code.product_id {
            return Err(ValidationError::single(
                "prefix",
                "unique",
                format!("{} already names the {level} level of product {product}", code.prefix),
            )
            .into());
        }
    }
    sqlx::query(
        "INSERT INTO trace_pack_codes (prefix, product_id, level, per_parent) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (prefix) DO UPDATE SET level = excluded.level, per_parent = excluded.per_parent",
    )
    .bind(&code.prefix)
    .bind(code.product_id)
    .bind(code.level.as_str())
    .bind(code.per_parent)
    .execute(&mut *tx)
    .await?;
    // The registration as a versioned record; restating it is a new version.
    let data = serde_json::json!({
        "prefix": code.prefix, "product_id": code.product_id, "level": code.level, "per_parent": code.per_parent,
    });
    let restated = !taken.is_empty();
    let change = if restated { ("update", "重新登记包装层级码") } else { ("create", "") };
    crate::record_version(&mut tx, principal, (ENTITY, &code.prefix), change, &data).await?;
    let detail =
        format!("{} = {} of product {} ({} per parent)", code.prefix, code.level, code.product_id, code.per_parent);
    let target = format!("product:{}", code.product_id);
    audit::record(
        &mut tx,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, audit::action::TRACE_PACK_CODE, &target, client)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// A level as stored; anything else is a damaged row.
pub(crate) fn stored_level(s: &str) -> Result<PackLevel, yaolian_store::StoreError> {
    PackLevel::parse(s).ok_or_else(|| yaolian_store::StoreError::Corrupt(format!("unknown pack level {s:?}")))
}

/// Registered pack-level codes, of one product or of all, by product and level.
pub async fn list(store: &Store, product_id: Option<i64>) -> Result<Vec<PackCodeRow>, TraceError> {
    let rows = sqlx::query(
        "SELECT x.prefix, x.product_id, x.level, x.per_parent, p.generic_name, p.approval_number \
         FROM trace_pack_codes x JOIN products p ON p.id = x.product_id \
         WHERE ($1 = 0 OR x.product_id = $1) ORDER BY x.product_id, x.level, x.prefix",
    )
    .bind(product_id.unwrap_or(0))
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PackCodeRow {
                code: PackCode {
                    prefix: r.try_get(0)?,
                    product_id: r.try_get(1)?,
                    level: stored_level(&r.try_get::<String, _>(2)?)?,
                    per_parent: r.try_get(3)?,
                },
                product_name: r.try_get(4)?,
                approval_number: r.try_get(5)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(prefix: &str, level: &str, per_parent: i64) -> NewPackCode {
        NewPackCode { prefix: prefix.into(), product_id: 1, level: level.into(), per_parent }
    }

    #[test]
    fn drug_codes_and_gtins_are_read_and_bad_ones_named() {
        assert_eq!(check(&code("8100001", "case", 20)).map(|c| c.prefix), Ok("8100001".to_string()));
        // GS1 General Specifications' example GTIN-13 5012345678900 (check digit 0), kept as 14.
        assert_eq!(check(&code("5012345678900", "pallet", 10)).map(|c| c.prefix), Ok("05012345678900".to_string()));
        let e = check(&code("5012345678901", "case", 0)).unwrap_err();
        assert_eq!((e.errors[0].field.as_str(), e.errors[0].rule.as_str()), ("prefix", "gtin_check"));
        let e = check(&code("81000a1", "unit", -1)).unwrap_err();
        let fields: Vec<(&str, &str)> = e.errors.iter().map(|f| (f.field.as_str(), f.rule.as_str())).collect();
        assert_eq!(
            fields,
            vec![("prefix", "digits"), ("level", "one_of:case,pallet"), ("per_parent", "range:0..1000000")]
        );
    }
}
