//! 一品一档: the product dossier. A product is identified by its 批准文号; it belongs to a
//! marketing-authorization holder (上市许可持有人, MAH) — a company in the organization tree — and
//! carries the codes trace data refers to (药品标识码, GTINs).
//!
//! Who may do what: `registry.read` lists and reads products whose MAH lies in the reader's data
//! scope (a bureau sees its jurisdiction, a company its own); `registry.manage` creates and
//! changes them in the same scope. Every change is a record version with a reason.

use crate::error::{RegistryError, Result};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, OrgKind};
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{ApprovalNumber, Gtin, Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, StoreError, Tx};

use crate::timeline::{self, NewEvent};

/// The versioned-record entity of products.
pub const ENTITY: &str = "product";

/// Common dosage forms (剂型, 《中国药典》 通则 0100 series) offered by forms; others are accepted.
pub const DOSAGE_FORMS: &[&str] = &[
    "片剂",
    "胶囊剂",
    "颗粒剂",
    "注射剂",
    "口服溶液剂",
    "糖浆剂",
    "丸剂",
    "散剂",
    "软膏剂",
    "乳膏剂",
    "滴眼剂",
    "气雾剂",
    "喷雾剂",
    "贴剂",
    "栓剂",
    "混悬剂",
];

/// Input for a product (create and change).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewProduct {
    /// 批准文号, e.g. 国药准字H20230001.
    pub approval_number: String,
    /// 通用名.
    pub generic_name: String,
    /// 商品名.
    #[serde(default)]
    pub trade_name: String,
    /// 剂型, e.g. 片剂.
    pub dosage_form: String,
    /// 规格, e.g. 0.5g.
    pub strength: String,
    /// 包装规格, e.g. 12片/盒.
    #[serde(default)]
    pub pack: String,
    /// The marketing-authorization holder (a company).
    pub mah_org_id: i64,
    /// The manufacturer, when not the MAH.
    #[serde(default)]
    pub manufacturer_org_id: Option<i64>,
    /// 药品标识码: the 7 leading digits of the product's NMPA trace codes.
    #[serde(default)]
    pub drug_code: Option<String>,
    /// GTINs of the pack levels (8, 12, 13 or 14 digits; stored as GTIN-14).
    #[serde(default)]
    pub gtins: Vec<String>,
}

/// A product as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Product {
    pub id: i64,
    pub approval_number: String,
    /// H, Z, S … from the 批准文号.
    pub category: String,
    pub generic_name: String,
    pub trade_name: String,
    pub dosage_form: String,
    pub strength: String,
    pub pack: String,
    pub mah_org_id: i64,
    pub mah_name: String,
    pub manufacturer_org_id: Option<i64>,
    pub manufacturer_name: Option<String>,
    pub drug_code: Option<String>,
    pub gtins: Vec<String>,
    pub status: String,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

/// Checked input.
struct Valid {
    approval: ApprovalNumber,
    gtins: Vec<Gtin>,
    drug_code: Option<String>,
}

fn validate(new: &NewProduct) -> Result<Valid, ValidationError> {
    let mut errors = ValidationError::new();
    let approval = ApprovalNumber::parse("approval_number", &new.approval_number)
        .map_err(|e| errors.push(e.field, e.rule, e.message))
        .ok();
    errors.length("generic_name", &new.generic_name, 1, 100);
    errors.length("trade_name", &new.trade_name, 0, 100);
    errors.length("dosage_form", &new.dosage_form, 1, 20);
    errors.length("strength", &new.strength, 1, 100);
    errors.length("pack", &new.pack, 0, 100);
    let drug_code = new.drug_code.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(code) = &drug_code {
        if code.len() != 7 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push("drug_code", "digits:7", "药品标识码 has 7 digits");
        }
    }
    let mut gtins = Vec::new();
    for (i, raw) in new.gtins.iter().filter(|g| !g.trim().is_empty()).enumerate() {
        match Gtin::parse(&format!("gtins[{i}]"), raw) {
            Ok(g) if gtins.contains(&g) => errors.push(format!("gtins[{i}]"), "unique", "the same GTIN twice"),
            Ok(g) => gtins.push(g),
            Err(e) => errors.push(e.field, e.rule, e.message),
        }
    }
    errors.into_result()?;
    match approval {
        Some(approval) => Ok(Valid { approval, gtins, drug_code }),
        None => Err(ValidationError::single("approval_number", "required", "批准文号 is required")),
    }
}

/// The organization path of a company, or a field error naming `field`.
pub(crate) async fn company_path(store: &Store, field: &str, id: i64) -> Result<String> {
    let row = sqlx::query("SELECT path, kind FROM orgs WHERE id = $1").bind(id).fetch_optional(store.pool()).await?;
    let Some(row) = row else {
        return Err(ValidationError::single(field, "exists", format!("no organization {id}")).into());
    };
    let kind: String = row.try_get(1)?;
    if kind != OrgKind::Company.as_str() {
        return Err(ValidationError::single(field, "kind:company", "must be a company (企业)").into());
    }
    Ok(row.try_get(0)?)
}

/// The after-image the version log holds. GTINs in sorted order, as the table gives them back
/// ([`image`] builds the same from a stored row).
fn data_of(id: i64, v: &Valid, new: &NewProduct, status: &str) -> serde_json::Value {
    let mut gtins: Vec<&str> = v.gtins.iter().map(Gtin::as_str).collect();
    gtins.sort_unstable();
    serde_json::json!({
        "id": id,
        "approval_number": v.approval.as_str(),
        "generic_name": new.generic_name.trim(),
        "trade_name": new.trade_name.trim(),
        "dosage_form": new.dosage_form.trim(),
        "strength": new.strength.trim(),
        "pack": new.pack.trim(),
        "mah_org_id": new.mah_org_id,
        "manufacturer_org_id": new.manufacturer_org_id,
        "drug_code": v.drug_code,
        "gtins": gtins,
        "status": status,
    })
}

/// A stored product's after-image: what [`data_of`] wrote for it, if nobody edited the row.
fn image(p: &Product) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "approval_number": p.approval_number,
        "generic_name": p.generic_name,
        "trade_name": p.trade_name,
        "dosage_form": p.dosage_form,
        "strength": p.strength,
        "pack": p.pack,
        "mah_org_id": p.mah_org_id,
        "manufacturer_org_id": p.manufacturer_org_id,
        "drug_code": p.drug_code,
        "gtins": p.gtins,
        "status": p.status,
    })
}

/// Every product whose row differs from its latest ledgered version (现状与台账比对).
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY p.id")).fetch_all(store.pool()).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
    let mut gtins = HashMap::new();
    for chunk in ids.chunks(500) {
        gtins.extend(gtins_of(store, chunk).await?);
    }
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let p = from_row(r, gtins.remove(&id).unwrap_or_default())?;
        images.push(yaolian_store::state::Image { entity_id: id.to_string(), data: image(&p) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// Turns a uniqueness refusal into the field it concerns.
async fn unique_field(store: &Store, v: &Valid, id: i64) -> IdentityError {
    let taken = |sql: &'static str, value: String| async move {
        sqlx::query(sql).bind(value).bind(id).fetch_optional(store.pool()).await.ok().flatten().is_some()
    };
    if taken("SELECT 1 FROM products WHERE approval_number = $1 AND id <> $2", v.approval.to_string()).await {
        return ValidationError::single("approval_number", "unique", "another product has this 批准文号").into();
    }
    if let Some(code) = &v.drug_code {
        if taken("SELECT 1 FROM products WHERE drug_code = $1 AND id <> $2", code.clone()).await {
            return ValidationError::single("drug_code", "unique", "another product has this 药品标识码").into();
        }
    }
    ValidationError::single("gtins", "unique", "a GTIN belongs to another product").into()
}

async fn check_scope(
    store: &Store,
    principal: &Principal,
    new: &NewProduct,
    target: &str,
    client: &ClientInfo,
) -> Result<()> {
    let path = company_path(store, "mah_org_id", new.mah_org_id).await?;
    if let Some(m) = new.manufacturer_org_id {
        company_path(store, "manufacturer_org_id", m).await?;
    }
    if !principal.reaches(perm::REGISTRY_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, target, client).await);
    }
    Ok(())
}

async fn write_gtins(tx: &mut Tx<'_>, id: i64, gtins: &[Gtin]) -> Result<()> {
    sqlx::query("DELETE FROM product_gtins WHERE product_id = $1").bind(id).execute(&mut **tx).await?;
    if gtins.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let values: Vec<String> = gtins.iter().map(|g| format!("({}, {})", p.push(g.as_str()), p.push(id))).collect();
    let sql = format!("INSERT INTO product_gtins (gtin, product_id) VALUES {}", values.join(", "));
    p.bind(sqlx::query(&sql)).execute(&mut **tx).await?;
    Ok(())
}

/// Maps a failed write: a uniqueness refusal names its field; anything else passes through.
async fn refused(store: &Store, v: &Valid, id: i64, e: RegistryError) -> RegistryError {
    match e {
        RegistryError::Shared(IdentityError::Store(ref inner)) if inner.is_unique_violation() => {
            unique_field(store, v, id).await.into()
        }
        other => other,
    }
}

/// Registers a product.
pub async fn create(store: &Store, principal: &Principal, new: &NewProduct, client: &ClientInfo) -> Result<Product> {
    let v = validate(new)?;
    check_scope(store, principal, new, "products", client).await?;
    match create_tx(store, principal, new, &v, client).await {
        Ok(id) => get(store, principal, id, client).await,
        Err(e) => Err(refused(store, &v, 0, e).await),
    }
}

async fn create_tx(
    store: &Store,
    principal: &Principal,
    new: &NewProduct,
    v: &Valid,
    client: &ClientInfo,
) -> Result<i64> {
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, principal, new, v, client).await?;
    tx.commit().await?;
    Ok(id)
}

/// Registers many products in one transaction (批量登记): each is checked and written as
/// [`create`] writes one — its row, record version with ledger entry, dossier event and audit
/// event — with one commit for all. The first refusal refuses the whole batch and names the
/// product by its 批准文号. The province-scale demo seeds its 100,000 products through here.
pub async fn create_many(
    store: &Store,
    principal: &Principal,
    news: &[NewProduct],
    client: &ClientInfo,
) -> Result<Vec<i64>> {
    let mut paths: HashMap<i64, String> = HashMap::new();
    let mut valid = Vec::with_capacity(news.len());
    for new in news {
        let v = validate(new)?;
        for (field, org) in [("mah_org_id", Some(new.mah_org_id)), ("manufacturer_org_id", new.manufacturer_org_id)] {
            let Some(org) = org else { continue };
            if let std::collections::hash_map::Entry::Vacant(e) = paths.entry(org) {
                e.insert(company_path(store, field, org).await?);
            }
        }
        let path = paths.get(&new.mah_org_id).map(String::as_str).unwrap_or("");
        if !principal.reaches(perm::REGISTRY_MANAGE, path) {
            return Err(audit::deny(store, principal, perm::REGISTRY_MANAGE, "products", client).await);
        }
        valid.push(v);
    }
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(news.len());
    for (new, v) in news.iter().zip(&valid) {
        match insert(&mut tx, principal, new, v, client).await {
            Ok(id) => ids.push(id),
            Err(e) => {
                drop(tx);
                return Err(refused(store, v, 0, e).await);
            }
        }
    }
    tx.commit().await?;
    Ok(ids)
}

/// The writes of one new product inside the caller's transaction.
async fn insert(
    tx: &mut Tx<'_>,
    principal: &Principal,
    new: &NewProduct,
    v: &Valid,
    client: &ClientInfo,
) -> Result<i64> {
    let now = Timestamp::now();
    let id: i64 = sqlx::query(
        "INSERT INTO products (approval_number, category, generic_name, trade_name, dosage_form, strength, pack, \
         mah_org_id, manufacturer_org_id, drug_code, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11) RETURNING id",
    )
    .bind(v.approval.as_str())
    .bind(v.approval.category().to_string())
    .bind(new.generic_name.trim())
    .bind(new.trade_name.trim())
    .bind(new.dosage_form.trim())
    .bind(new.strength.trim())
    .bind(new.pack.trim())
    .bind(new.mah_org_id)
    .bind(new.manufacturer_org_id)
    .bind(v.drug_code.as_deref())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    write_gtins(tx, id, &v.gtins).await?;
    let data = data_of(id, v, new, "active");
    let version = NewVersion {
        entity: ENTITY,
        entity_id: &id.to_string(),
        actor: principal.username(),
        action: "create",
        reason: "",
        data: &data,
        expected_version: Some(0),
    };
    versions::append(tx, version).await?;
    let title = format!("药品登记：{} {}", new.generic_name.trim(), v.approval);
    dossier_event(tx, new.mah_org_id, id, "product_registered", &title).await?;
    let target = format!("product:{id} {}", v.approval);
    audit::record(tx, audit::Event::by(principal, audit::action::PRODUCT_CREATE, &target, client)).await?;
    Ok(id)
}

/// Changes a product (a new version; `reason` required; `expected_version` guards against
/// overwriting a change made meanwhile).
pub async fn update(
    store: &Store,
    principal: &Principal,
    id: i64,
    new: &NewProduct,
    reason: &str,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<Product> {
    let current = get(store, principal, id, client).await?;
    let v = validate(new)?;
    let target = format!("product:{id}");
    // Both the old and the new holder must be in the principal's reach.
    let old = NewProduct { mah_org_id: current.mah_org_id, manufacturer_org_id: None, ..NewProduct::default() };
    check_scope(store, principal, &old, &target, client).await?;
    check_scope(store, principal, new, &target, client).await?;
    match update_tx(store, principal, id, new, &v, reason, expected_version, &current.status, client).await {
        Ok(()) => get(store, principal, id, client).await,
        Err(e) => Err(refused(store, &v, id, e).await),
    }
}

#[allow(clippy::too_many_arguments)]
async fn update_tx(
    store: &Store,
    principal: &Principal,
    id: i64,
    new: &NewProduct,
    v: &Valid,
    reason: &str,
    expected_version: i64,
    status: &str,
    client: &ClientInfo,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let data = data_of(id, v, new, status);
    let version = NewVersion {
        entity: ENTITY,
        entity_id: &id.to_string(),
        actor: principal.username(),
        action: "update",
        reason,
        data: &data,
        expected_version: Some(expected_version),
    };
    let written = versions::append(&mut tx, version).await?;
    sqlx::query(
        "UPDATE products SET approval_number = $1, category = $2, generic_name = $3, trade_name = $4, dosage_form = $5, \
         strength = $6, pack = $7, mah_org_id = $8, manufacturer_org_id = $9, drug_code = $10, version = $11, \
         updated_at = $12 WHERE id = $13",
    )
    .bind(v.approval.as_str())
    .bind(v.approval.category().to_string())
    .bind(new.generic_name.trim())
    .bind(new.trade_name.trim())
    .bind(new.dosage_form.trim())
    .bind(new.strength.trim())
    .bind(new.pack.trim())
    .bind(new.mah_org_id)
    .bind(new.manufacturer_org_id)
    .bind(v.drug_code.as_deref())
    .bind(written.version)
    .bind(written.at.0)
    .bind(id)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    write_gtins(&mut tx, id, &v.gtins).await?;
    let title = format!("药品档案变更：{} {}（{}）", new.generic_name.trim(), v.approval, reason.trim());
    dossier_event(&mut tx, new.mah_org_id, id, "product_changed", &title).await?;
    let target = format!("product:{id} {}", v.approval);
    let event =
        audit::Event { detail: reason, ..audit::Event::by(principal, audit::action::PRODUCT_UPDATE, &target, client) };
    audit::record(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

async fn dossier_event(tx: &mut Tx<'_>, org_id: i64, product_id: i64, kind: &str, title: &str) -> Result<()> {
    let link = format!("/registry/products/{product_id}");
    let event = NewEvent { org_id, product_id: Some(product_id), module: "registry", kind, title, link: &link };
    timeline::add(tx, &event).await?;
    Ok(())
}

/// Filters, sort and page for listing products.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// Matches generic or trade name, 批准文号 or 药品标识码 (substring).
    pub q: Option<String>,
    pub mah_org_id: Option<i64>,
    pub dosage_form: Option<String>,
    /// `approval_number`, `generic_name`, `updated_at` (default), `mah`.
    pub sort: Option<String>,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str = "p.id, p.approval_number, p.category, p.generic_name, p.trade_name, p.dosage_form, p.strength, \
     p.pack, p.mah_org_id, o.name AS mah_name, p.manufacturer_org_id, m.name AS manufacturer_name, p.drug_code, \
     p.status, p.version, p.updated_at";
/// A product with its holder (`o`, also the scope's organization) and its maker (`m`).
const FROM: &str = "products p JOIN orgs o ON o.id = p.mah_org_id LEFT JOIN orgs m ON m.id = p.manufacturer_org_id";
/// The maker's name, after a list's own join of the holder (`access::scoped_join`).
const MAKER: &str = "LEFT JOIN orgs m ON m.id = p.manufacturer_org_id";

/// Products the principal may read, with the total count; GTINs in one more query.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &ProductQuery,
    client: &ClientInfo,
) -> Result<(Vec<Product>, i64)> {
    let mut p = Params::new();
    let Some(filter) = scope_filter(principal, perm::REGISTRY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::REGISTRY_READ, "products", client).await);
    };
    let (from, joined) =
        yaolian_access::scoped_join(store, principal, perm::REGISTRY_READ, "products p", "p.mah_org_id").await?;
    let from = format!("{from} {MAKER}");
    let mut wheres = vec![joined, filter];
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        wheres.push(p.like_any(&["p.generic_name", "p.trade_name", "p.approval_number", "p.drug_code"], text));
    }
    if let Some(org) = q.mah_org_id {
        wheres.push(format!("p.mah_org_id = {}", p.push(org)));
    }
    if let Some(form) = q.dosage_form.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("p.dosage_form = {}", p.push(form)));
    }
    let order = match q.sort.as_deref() {
        Some("approval_number") => "p.approval_number",
        Some("generic_name") => "p.generic_name",
        Some("mah") => "o.name",
        _ => "p.updated_at",
    };
    let dir = if q.desc || q.sort.is_none() { "DESC" } else { "ASC" };
    let (rows, total) = yaolian_store::sql::page(
        store.pool(),
        &mut p,
        COLUMNS,
        &from,
        &wheres.join(" AND "),
        &format!("{order} {dir}, p.id {dir}"),
        q.limit.clamp(1, 10_000),
        q.offset,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
    let mut gtins = gtins_of(store, &ids).await?;
    let products = rows
        .iter()
        .map(|r| from_row(r, gtins.remove(&r.try_get::<i64, _>("id")?).unwrap_or_default()))
        .collect::<std::result::Result<_, sqlx::Error>>()?;
    Ok((products, total))
}

async fn gtins_of(store: &Store, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut p = Params::new();
    let list: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let sql =
        format!("SELECT product_id, gtin FROM product_gtins WHERE product_id IN ({}) ORDER BY gtin", list.join(", "));
    for row in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        out.entry(row.try_get(0)?).or_default().push(row.try_get(1)?);
    }
    Ok(out)
}

fn from_row(r: &sqlx::any::AnyRow, gtins: Vec<String>) -> std::result::Result<Product, sqlx::Error> {
    Ok(Product {
        id: r.try_get("id")?,
        approval_number: r.try_get("approval_number")?,
        category: r.try_get("category")?,
        generic_name: r.try_get("generic_name")?,
        trade_name: r.try_get("trade_name")?,
        dosage_form: r.try_get("dosage_form")?,
        strength: r.try_get("strength")?,
        pack: r.try_get("pack")?,
        mah_org_id: r.try_get("mah_org_id")?,
        mah_name: r.try_get("mah_name")?,
        manufacturer_org_id: r.try_get("manufacturer_org_id")?,
        manufacturer_name: r.try_get("manufacturer_name")?,
        drug_code: r.try_get("drug_code")?,
        gtins,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

/// One product, if the principal may read it.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Product> {
    let row = sqlx::query(&format!("SELECT {COLUMNS}, o.path AS mah_path FROM {FROM} WHERE p.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("product"))?;
    let path: String = row.try_get("mah_path")?;
    if !principal.reaches(perm::REGISTRY_READ, &path) {
        return Err(audit::deny(store, principal, perm::REGISTRY_READ, &format!("product:{id}"), client).await);
    }
    let gtins = gtins_of(store, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(from_row(&row, gtins)?)
}

/// Products as CSV (UTF-8 with BOM for Excel), formulas defused.
pub fn to_csv(products: &[Product]) -> String {
    let header = [
        "批准文号",
        "通用名",
        "商品名",
        "剂型",
        "规格",
        "包装规格",
        "上市许可持有人",
        "生产企业",
        "药品标识码",
        "GTIN",
        "状态",
        "版本",
    ];
    audit::csv_table(
        &header,
        products.iter().map(|p| {
            vec![
                p.approval_number.clone(),
                p.generic_name.clone(),
                p.trade_name.clone(),
                p.dosage_form.clone(),
                p.strength.clone(),
                p.pack.clone(),
                p.mah_name.clone(),
                p.manufacturer_name.clone().unwrap_or_default(),
                p.drug_code.clone().unwrap_or_default(),
                p.gtins.join(" "),
                p.status.clone(),
                p.version.to_string(),
            ]
        }),
    )
}
