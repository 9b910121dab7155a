//! Importing and exporting product lists as Excel or CSV. The export's columns are what the
//! import reads, so an exported list can be edited and brought back. Every row is registered
//! on its own: a bad row is reported with its row number, field and rule and never stops the
//! good ones.

use crate::error::{RegistryError, Result};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::ValidationError;
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::Store;

use crate::products::{self, NewProduct, Product};
use crate::table::{self, Rows};

/// Columns: (Chinese header, English header). The first five are required.
pub const PRODUCT_COLUMNS: &[(&str, &str)] = &[
    ("批准文号", "approval_number"),
    ("通用名", "generic_name"),
    ("剂型", "dosage_form"),
    ("规格", "strength"),
    ("上市许可持有人", "mah"),
    ("商品名", "trade_name"),
    ("包装规格", "pack"),
    ("生产企业", "manufacturer"),
    ("药品标识码", "drug_code"),
    ("GTIN", "gtins"),
];
const REQUIRED: usize = 5;

/// One refused row.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RowError {
    /// Row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    pub field: String,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Data rows read (without the header).
    pub rows: usize,
    /// Ids of the products registered, in row order.
    pub created: Vec<i64>,
    pub errors: Vec<RowError>,
}

/// Companies the principal may register products for, by 统一社会信用代码 and by name.
async fn companies(store: &Store, principal: &Principal) -> Result<HashMap<String, i64>> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::REGISTRY_MANAGE, &mut p) else {
        return Ok(HashMap::new());
    };
    let sql = format!("SELECT o.id, o.name, o.code FROM orgs o WHERE o.kind = 'company' AND {filter}");
    let mut out = HashMap::new();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let id: i64 = r.try_get(0)?;
        out.insert(r.try_get::<String, _>(1)?, id);
        out.insert(r.try_get::<String, _>(2)?.to_uppercase(), id);
    }
    Ok(out)
}

/// Which column holds which field; a missing required column refuses the whole file.
fn header_map(header: &[String]) -> Result<HashMap<&'static str, usize>, ValidationError> {
    let mut map = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if let Some((_, en)) = PRODUCT_COLUMNS.iter().find(|(zh, en)| h == *zh || h.eq_ignore_ascii_case(en)) {
            map.insert(*en, i);
        }
    }
    let mut errors = ValidationError::new();
    for (zh, en) in &PRODUCT_COLUMNS[..REQUIRED] {
        if !map.contains_key(en) {
            errors.push("file", "column_required", format!("the first row must have a column {zh} ({en})"));
        }
    }
    errors.into_result().map(|_| map)
}

/// Reads an upload within [`table::Limits::UPLOAD`] on a blocking thread, so that parsing a
/// large file never holds an async worker; a refusal names the file and the rule it breaks
/// (`max_rows:10000` for a limit).
async fn read_upload(file: Vec<u8>) -> Result<Rows> {
    let read = tokio::task::spawn_blocking(move || table::read(&file)).await;
    match read {
        Ok(Ok(rows)) => Ok(rows),
        Ok(Err(e)) => Err(ValidationError::single("file", e.rule(), e.to_string()).into()),
        // The reader panicked on a file it could not make sense of (it is third-party code).
        Err(e) => {
            let message = format!("not a spreadsheet this system reads (xlsx, xls, csv): {e}");
            Err(ValidationError::single("file", "format", message).into())
        }
    }
}

/// Reads a file and registers every good row. The file is parsed off the async workers; the
/// rows are then registered one transaction each, every one an await, so a long list never
/// holds a worker either.
pub async fn import_products(
    store: &Store,
    principal: &Principal,
    file: &[u8],
    client: &ClientInfo,
) -> Result<ImportReport> {
    if !principal.has(perm::REGISTRY_MANAGE) {
        return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "products import", client).await);
    }
    let rows = read_upload(file.to_vec()).await?;
    let columns = header_map(&rows[0])?;
    let orgs = companies(store, principal).await?;
    let mut report = ImportReport { rows: rows.len() - 1, created: Vec::new(), errors: Vec::new() };
    for (i, row) in rows.iter().enumerate().skip(1) {
        let row_number = i + 1;
        let cell = |field: &str| columns.get(field).and_then(|&c| row.get(c)).map(|s| s.trim()).unwrap_or("");
        let org = |field: &str| -> std::result::Result<Option<i64>, RowError> {
            let v = cell(field);
            if v.is_empty() {
                return Ok(None);
            }
            orgs.get(v).or_else(|| orgs.get(&v.to_uppercase())).copied().map(Some).ok_or_else(|| RowError {
                row: row_number,
                field: field.into(),
                rule: "company".into(),
                message: format!("{v}: no company by that name or 统一社会信用代码 that you may register for"),
            })
        };
        let mah = match org("mah") {
            Ok(Some(id)) => id,
            Ok(None) => {
                let message = "上市许可持有人 is required".to_string();
                report.errors.push(RowError { row: row_number, field: "mah".into(), rule: "required".into(), message });
                continue;
            }
            Err(e) => {
                report.errors.push(e);
                continue;
            }
        };
        let manufacturer = match org("manufacturer") {
            Ok(m) => m,
            Err(e) => {
                report.errors.push(e);
                continue;
            }
        };
        let new = NewProduct {
            approval_number: cell("approval_number").into(),
            generic_name: cell("generic_name").into(),
            trade_name: cell("trade_name").into(),
            dosage_form: cell("dosage_form").into(),
            strength: cell("strength").into(),
            pack: cell("pack").into(),
            mah_org_id: mah,
            manufacturer_org_id: manufacturer,
            drug_code: Some(cell("drug_code").to_string()).filter(|s| !s.is_empty()),
            gtins: cell("gtins").split([' ', ',', ';', '，']).filter(|s| !s.is_empty()).map(str::to_string).collect(),
        };
        match products::create(store, principal, &new, client).await {
            Ok(p) => report.created.push(p.id),
            Err(RegistryError::Shared(IdentityError::Validation(v))) => {
                report.errors.extend(v.errors.into_iter().map(|f| RowError {
                    row: row_number,
                    field: f.field,
                    rule: f.rule,
                    message: f.message,
                }))
            }
            Err(RegistryError::Shared(IdentityError::Forbidden { permission })) => report.errors.push(RowError {
                row: row_number,
                field: "mah".into(),
                rule: "forbidden".into(),
                message: format!("{permission} is needed over this holder"),
            }),
            Err(other) => return Err(other),
        }
    }
    Ok(report)
}

/// Products as an Excel workbook with the columns the import reads (plus status and version).
pub fn products_xlsx(items: &[Product]) -> Result<Vec<u8>> {
    table::table_xlsx(&products_table(items)).map_err(|e| ValidationError::single("file", "xlsx", e.to_string()).into())
}

/// Products as an exported table with the columns the import reads (plus status and version),
/// so that an exported workbook can be edited and imported again.
pub fn products_table(items: &[Product]) -> audit::Table {
    let mut header: Vec<&str> = PRODUCT_COLUMNS.iter().map(|(zh, _)| *zh).collect();
    header.extend(["状态", "版本"]);
    audit::Table::new(
        "一品一档",
        &header,
        items.iter().map(|p| {
            vec![
                p.approval_number.clone(),
                p.generic_name.clone(),
                p.dosage_form.clone(),
                p.strength.clone(),
                p.mah_name.clone(),
                p.trade_name.clone(),
                p.pack.clone(),
                p.manufacturer_name.clone().unwrap_or_default(),
                p.drug_code.clone().unwrap_or_default(),
                p.gtins.join(" "),
                p.status.clone(),
                p.version.to_string(),
            ]
        }),
    )
}
