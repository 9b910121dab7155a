//! Items (物料): reagents, reference standards, materials and consumables a stockroom keeps.
//!
//! Who may do what: `inventory.read` finds and reads the items of stockrooms (organizations)
//! in the reader's data scope; `inventory.manage` registers and changes them there. Every
//! change is a record version with a reason (entity `inv_item`).

use crate::error::{InventoryError, Result};
use crate::{qty, search};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{CasNumber, Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::{versions, NewVersion, Store, StoreError, Tx};

/// The versioned-record entity of items.
pub const ENTITY: &str = "inv_item";

/// Kinds of item (物料类别), code and Chinese name.
pub const CATEGORIES: &[(&str, &str)] =
    &[("reagent", "试剂"), ("standard", "标准品/对照品"), ("material", "原辅料/物料"), ("consumable", "耗材")];

/// Control classes (管制类别), code and Chinese name. Items of any class but `""` move only
/// under two signatures (双人收发、双人保管, 《危险化学品安全管理条例》 Art. 24; 易制毒化学品
/// 台账 per 国务院令第445号 Art. 19).
pub const CONTROLS: &[(&str, &str)] =
    &[("", "非管制"), ("toxic", "剧毒化学品"), ("precursor", "易制毒化学品"), ("explosive", "易制爆危险化学品")];

/// GHS hazard pictograms (危险象形图) by their CLP Annex V codes, with the Chinese names used on
/// Chinese labels.
pub const PICTOGRAMS: &[(&str, &str)] = &[
    ("GHS01", "爆炸弹"),
    ("GHS02", "火焰"),
    ("GHS03", "圆圈上方火焰"),
    ("GHS04", "气瓶"),
    ("GHS05", "腐蚀"),
    ("GHS06", "骷髅和交叉骨"),
    ("GHS07", "感叹号"),
    ("GHS08", "健康危害"),
    ("GHS09", "环境"),
];

/// Input for an item (register and change).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewItem {
    /// The stockroom's organization (a company, or its site or lab).
    pub org_id: i64,
    /// 物料编码, unique in the stockroom.
    pub code: String,
    /// 中文名.
    pub name_zh: String,
    /// English name.
    #[serde(default)]
    pub name_en: String,
    /// 别名 / synonyms (abbreviations, trade names, older names).
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// CAS 登记号, e.g. 75-05-8 (check digit verified).
    #[serde(default)]
    pub cas: Option<String>,
    /// 分子式, e.g. C2H3N.
    #[serde(default)]
    pub formula: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// One of [`qty::UNITS`].
    pub unit: String,
    /// One of [`CONTROLS`] (`""`: not controlled).
    #[serde(default)]
    pub control: String,
    /// GHS pictogram codes, GHS01 … GHS09.
    #[serde(default)]
    pub ghs: Vec<String>,
    /// H and P statement codes, e.g. H225, P210, P303+P361+P353.
    #[serde(default)]
    pub hazards: Vec<String>,
    /// 储存条件, e.g. 2–8 ℃ 避光.
    #[serde(default)]
    pub storage: String,
    /// 单次领用限量 in the item's unit, e.g. "500"; none: no limit.
    #[serde(default)]
    pub requisition_limit: Option<String>,
}

/// An item as stored, with the stock of its lots.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Item {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub synonyms: Vec<String>,
    pub cas: Option<String>,
    pub formula: String,
    pub category: String,
    pub unit: String,
    pub control: String,
    pub ghs: Vec<String>,
    pub hazards: Vec<String>,
    pub storage: String,
    /// Thousandths of the unit.
    pub requisition_limit: Option<i64>,
    /// Quantity on hand over the item's lots, in thousandths of the unit.
    pub on_hand: i64,
    pub status: String,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

impl Item {
    /// Whether the item moves only under two signatures.
    pub fn controlled(&self) -> bool {
        !self.control.is_empty()
    }

    /// Every text the item is found by.
    pub fn names(&self) -> Vec<&str> {
        let mut out = vec![self.name_zh.as_str(), self.name_en.as_str(), self.code.as_str(), self.formula.as_str()];
        out.extend(self.synonyms.iter().map(String::as_str));
        out.extend(self.cas.as_deref());
        out.retain(|n| !n.is_empty());
        out
    }
}

/// Checked input.
pub(crate) struct Valid {
    cas: Option<CasNumber>,
    synonyms: Vec<String>,
    ghs: Vec<String>,
    hazards: Vec<String>,
    limit: Option<i64>,
}

/// Whether `code` is an H, EUH or P statement code (UN GHS Annex 3 §A3.1.2, §A3.2.2: H plus a
/// type digit 2 physical / 3 health / 4 environmental and two more; P plus a type digit 1–5
/// and two more, combined with `+`). The reproductive-toxicity codes carry the CLP Annex III
/// letters of what they concern — H360F, H360FD, H360Fd, H361d, H361fd —, whose case matters
/// (F/D: may damage, f/d: suspected).
fn hazard_code(code: &str) -> bool {
    let three = |s: &str, first: std::ops::RangeInclusive<u8>| {
        s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) && first.contains(&s.as_bytes()[0])
    };
    if let Some(rest) = code.strip_prefix("EUH") {
        return rest.len() == 3 && rest.bytes().all(|b| b.is_ascii_digit());
    }
    if let Some(rest) = code.strip_prefix('H') {
        let digits = rest.get(..3).unwrap_or(rest);
        let letters = rest.get(3..).unwrap_or("");
        let letters_ok = letters.is_empty()
            || (matches!(digits, "360" | "361") && letters.len() <= 2 && letters.chars().all(|c| "FDfd".contains(c)));
        return three(digits, b'2'..=b'4') && letters_ok;
    }
    code.starts_with('P') && code.split('+').all(|part| part.strip_prefix('P').is_some_and(|d| three(d, b'1'..=b'5')))
}

/// A typed code with its prefix in capitals (`h225` → `H225`, `euh066` → `EUH066`) and the rest
/// as typed (the letters of H360Fd differ by case).
fn hazard_form(text: &str) -> String {
    let split = text.find(|c: char| c.is_ascii_digit()).unwrap_or(text.len());
    let (head, tail) = text.split_at(split);
    let tail = tail.replace('p', "P");
    format!("{}{}", head.to_ascii_uppercase(), tail)
}

fn validate(new: &NewItem) -> Result<Valid, ValidationError> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 40);
    errors.length("name_zh", &new.name_zh, 1, 100);
    errors.length("name_en", &new.name_en, 0, 200);
    errors.length("formula", &new.formula, 0, 100);
    errors.length("storage", &new.storage, 0, 200);
    let cas = match new.cas.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => CasNumber::parse("cas", text).map_err(|e| errors.push(e.field, e.rule, e.message)).ok(),
    };
    let mut synonyms: Vec<String> = Vec::new();
    if new.synonyms.len() > 30 {
        errors.push("synonyms", "range:0..30", "at most 30 synonyms");
    }
    for (i, s) in new.synonyms.iter().take(30).enumerate() {
        let s = s.trim();
        if s.is_empty() || synonyms.iter().any(|x| x == s) {
            continue;
        }
        errors.length(&format!("synonyms[{i}]"), s, 1, 100);
        synonyms.push(s.to_string());
    }
    if !CATEGORIES.iter().any(|(c, _)| *c == new.category) {
        let codes: Vec<&str> = CATEGORIES.iter().map(|c| c.0).collect();
        errors.push("category", format!("one_of:{}", codes.join(",")), "unknown category");
    }
    if !qty::known_unit(new.unit.trim()) {
        errors.push("unit", "unit", format!("one of {}", qty::UNITS.join(" ")));
    }
    if !CONTROLS.iter().any(|(c, _)| *c == new.control) {
        errors.push("control", "one_of:toxic,precursor,explosive", "unknown control class");
    }
    let mut ghs: Vec<String> = Vec::new();
    for (i, g) in new.ghs.iter().enumerate().take(9) {
        let g = g.trim().to_ascii_uppercase();
        if !PICTOGRAMS.iter().any(|(c, _)| *c == g) {
            errors.push(format!("ghs[{i}]"), "ghs", "GHS01 … GHS09");
        } else if !ghs.contains(&g) {
            ghs.push(g);
        }
    }
    ghs.sort();
    let mut hazards: Vec<String> = Vec::new();
    for (i, h) in new.hazards.iter().enumerate().take(60) {
        let h = hazard_form(h.trim());
        if h.is_empty() {
            continue;
        }
        if !hazard_code(&h) {
            errors.push(format!("hazards[{i}]"), "hazard_code", "an H, EUH or P code such as H225 or P303+P361+P353");
        } else if !hazards.contains(&h) {
            hazards.push(h);
        }
    }
    let limit = match new.requisition_limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(t) => {
            qty::parse_positive("requisition_limit", t).map_err(|e| errors.push(e.field, e.rule, e.message)).ok()
        }
    };
    errors.into_result()?;
    Ok(Valid { cas, synonyms, ghs, hazards, limit })
}

/// The path of the stockroom's organization, or a refusal of `org_id`.
pub(crate) async fn org_path(store: &Store, id: i64) -> Result<String> {
    Ok(yaolian_identity::orgs::path_of(store, "org_id", id).await?)
}

/// The after-image the version log holds; [`image`] builds the same from a stored row.
fn data_of(id: i64, v: &Valid, new: &NewItem, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "org_id": new.org_id,
        "code": new.code.trim(),
        "name_zh": new.name_zh.trim(),
        "name_en": new.name_en.trim(),
        "synonyms": v.synonyms,
        "cas": v.cas.as_ref().map(CasNumber::as_str),
        "formula": new.formula.trim(),
        "category": new.category,
        "unit": new.unit.trim(),
        "control": new.control,
        "ghs": v.ghs,
        "hazards": v.hazards,
        "storage": new.storage.trim(),
        "requisition_limit": v.limit,
        "status": status,
    })
}

fn image(i: &Item) -> serde_json::Value {
    serde_json::json!({
        "id": i.id,
        "org_id": i.org_id,
        "code": i.code,
        "name_zh": i.name_zh,
        "name_en": i.name_en,
        "synonyms": i.synonyms,
        "cas": i.cas,
        "formula": i.formula,
        "category": i.category,
        "unit": i.unit,
        "control": i.control,
        "ghs": i.ghs,
        "hazards": i.hazards,
        "storage": i.storage,
        "requisition_limit": i.requisition_limit,
        "status": i.status,
    })
}

/// Every item whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS}, 0 AS on_hand FROM {FROM} ORDER BY i.id"))
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let item = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: item.id.to_string(), data: image(&item) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

fn joined(list: &[String]) -> String {
    list.join("\n")
}

fn split(text: &str) -> Vec<String> {
    text.split('\n').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// Registers an item in a stockroom the principal manages.
pub async fn create(store: &Store, principal: &Principal, new: &NewItem, client: &ClientInfo) -> Result<Item> {
    let ids = create_many(store, principal, std::slice::from_ref(new), client).await?;
    let id = ids.first().copied().ok_or_else(|| StoreError::Corrupt("no item written".into()))?;
    get(store, principal, id, client).await
}

/// Registers many items in one transaction (批量登记), each written as [`create`] writes one;
/// the first refusal refuses the whole batch and names the item by its code.
pub async fn create_many(
    store: &Store,
    principal: &Principal,
    news: &[NewItem],
    client: &ClientInfo,
) -> Result<Vec<i64>> {
    let mut paths: HashMap<i64, String> = HashMap::new();
    let mut valid = Vec::with_capacity(news.len());
    for new in news {
        valid.push(validate(new)?);
        if let std::collections::hash_map::Entry::Vacant(e) = paths.entry(new.org_id) {
            e.insert(org_path(store, new.org_id).await?);
        }
        let path = paths.get(&new.org_id).map(String::as_str).unwrap_or("");
        if !principal.reaches(perm::INVENTORY_MANAGE, path) {
            return Err(audit::deny(store, principal, perm::INVENTORY_MANAGE, "inv_items", client).await);
        }
    }
    let mut tx = store.begin().await?;
    let mut ids = Vec::with_capacity(news.len());
    for (new, v) in news.iter().zip(&valid) {
        match insert(&mut tx, principal, new, v, client).await {
            Ok(id) => ids.push(id),
            Err(InventoryError::Shared(IdentityError::Store(e))) if e.is_unique_violation() => {
                return Err(
                    ValidationError::single("code", "unique", format!("物料编码 {} is taken", new.code.trim())).into()
                )
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(ids)
}

async fn write_grams(tx: &mut Tx<'_>, id: i64, names: &[&str]) -> Result<()> {
    sqlx::query("DELETE FROM inv_item_grams WHERE item_id = $1").bind(id).execute(&mut **tx).await?;
    let grams = search::grams(names.iter().copied());
    let mut values = Vec::with_capacity(grams.len() * 2);
    for g in grams {
        values.push(g.into());
        values.push(id.into());
    }
    yaolian_store::sql::insert_rows(tx, "INSERT INTO inv_item_grams (gram, item_id)", "", 2, values)
        .await
        .map_err(StoreError::from)?;
    Ok(())
}

async fn insert(tx: &mut Tx<'_>, principal: &Principal, new: &NewItem, v: &Valid, client: &ClientInfo) -> Result<i64> {
    let now = Timestamp::now();
    let id: i64 = sqlx::query(
        "INSERT INTO inv_items (org_id, code, name_zh, name_en, synonyms, cas, formula, category, unit, control, ghs, \
         hazards, storage, requisition_limit, status, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'active', 1, $15) RETURNING id",
    )
    .bind(new.org_id)
    .bind(new.code.trim())
    .bind(new.name_zh.trim())
    .bind(new.name_en.trim())
    .bind(joined(&v.synonyms))
    .bind(v.cas.as_ref().map(|c| c.as_str().to_string()))
    .bind(new.formula.trim())
    .bind(&new.category)
    .bind(new.unit.trim())
    .bind(&new.control)
    .bind(v.ghs.join(","))
    .bind(v.hazards.join(","))
    .bind(new.storage.trim())
    .bind(v.limit)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let mut names = vec![new.name_zh.trim(), new.name_en.trim(), new.code.trim(), new.formula.trim()];
    names.extend(v.synonyms.iter().map(String::as_str));
    names.extend(v.cas.as_ref().map(CasNumber::as_str));
    write_grams(tx, id, &names).await?;
    let data = data_of(id, v, new, "active");
    versions::append(
        tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &id.to_string(),
            actor: principal.username(),
            action: "create",
            reason: "",
            data: &data,
            expected_version: Some(0),
        },
    )
    .await?;
    let target = format!("inv_item:{id} {}", new.name_zh.trim());
    audit::record(tx, audit::Event::by(principal, audit::action::INVENTORY_ITEM, &target, client)).await?;
    Ok(id)
}

const COLUMNS: &str = "i.id, i.org_id, o.name AS org_name, i.code, i.name_zh, i.name_en, i.synonyms, i.cas, \
     i.formula, i.category, i.unit, i.control, i.ghs, i.hazards, i.storage, i.requisition_limit, i.status, \
     i.version, i.updated_at";
const FROM: &str = "inv_items i JOIN orgs o ON o.id = i.org_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Item, sqlx::Error> {
    let list = |col: &str| -> std::result::Result<Vec<String>, sqlx::Error> {
        let text: String = r.try_get(col)?;
        Ok(text.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
    };
    Ok(Item {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        code: r.try_get("code")?,
        name_zh: r.try_get("name_zh")?,
        name_en: r.try_get("name_en")?,
        synonyms: split(&r.try_get::<String, _>("synonyms")?),
        cas: r.try_get("cas")?,
        formula: r.try_get("formula")?,
        category: r.try_get("category")?,
        unit: r.try_get("unit")?,
        control: r.try_get("control")?,
        ghs: list("ghs")?,
        hazards: list("hazards")?,
        storage: r.try_get("storage")?,
        requisition_limit: r.try_get("requisition_limit")?,
        on_hand: r.try_get("on_hand")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

/// The stock of each item, over its lots (PostgreSQL sums BIGINT as NUMERIC: cast back).
const ON_HAND: &str =
    "CAST(COALESCE((SELECT SUM(l.on_hand) FROM inv_lots l WHERE l.item_id = i.id), 0) AS BIGINT) AS on_hand";

/// One item, if the principal may read it (not found otherwise, the refusal audited).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Item> {
    let row = sqlx::query(&format!("SELECT {COLUMNS}, {ON_HAND}, o.path AS org_path FROM {FROM} WHERE i.id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?
        .ok_or(IdentityError::NotFound("item"))?;
    let path: String = row.try_get("org_path")?;
    if !principal.reaches(perm::INVENTORY_READ, &path) {
        let _: IdentityError =
            audit::deny(store, principal, perm::INVENTORY_READ, &format!("inv_item:{id}"), client).await;
        return Err(IdentityError::NotFound("item").into());
    }
    Ok(from_row(&row)?)
}

/// Filters, sort and page for finding items.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Any name, synonym, a part of one, the CAS number, the formula or the code.
    pub q: Option<String>,
    /// One of [`CONTROLS`]' codes; `"any"`: every controlled item.
    pub control: Option<String>,
    pub org_id: Option<i64>,
    /// `code`, `name` (default), `updated_at`.
    pub sort: Option<String>,
    pub desc: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Items the principal may read that match the query, with their count (up to the list cap).
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: &ItemQuery,
    client: &ClientInfo,
) -> Result<(Vec<Item>, i64)> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::INVENTORY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::INVENTORY_READ, "inv_items", client).await);
    };
    let mut wheres = vec![scope];
    let text = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(text) = text {
        let Some(grams) = search::query_grams(text) else {
            return Ok((Vec::new(), 0));
        };
        wheres.push(candidates(store, &grams, &mut p).await?);
    }
    if let Some(org) = q.org_id {
        wheres.push(format!("i.org_id = {}", p.push(org)));
    }
    match q.control.as_deref() {
        Some("any") => wheres.push("i.control <> ''".into()),
        Some(c) if CONTROLS.iter().any(|(k, _)| *k == c && !c.is_empty()) => {
            wheres.push(format!("i.control = {}", p.push(c)))
        }
        _ => {}
    }
    let order = match q.sort.as_deref() {
        Some("code") => "i.code",
        Some("updated_at") => "i.updated_at",
        _ => "i.name_zh",
    };
    let dir = if q.desc { "DESC" } else { "ASC" };
    let filter = wheres.join(" AND ");
    let limit = q.limit.clamp(1, 10_000);
    let Some(text) = text else {
        let (rows, total) = yaolian_store::sql::page(
            store.pool(),
            &mut p,
            &format!("{COLUMNS}, {ON_HAND}"),
            FROM,
            &filter,
            &format!("{order} {dir}, i.id {dir}"),
            limit,
            q.offset,
        )
        .await?;
        let items = rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?;
        return Ok((items, total));
    };
    // A text query: the grams give candidates (through the index); their names are read and
    // only those with the query in one of them, in order, are kept; the page's rows are read
    // whole after that.
    let cap = p.push(yaolian_store::sql::COUNT_CAP + 1);
    let sql = format!(
        "SELECT i.id, i.code, i.name_zh, i.name_en, i.synonyms, i.cas, i.formula FROM inv_items i \
         JOIN orgs o ON o.id = i.org_id WHERE {filter} ORDER BY {order} {dir}, i.id {dir} LIMIT {cap}"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut found: Vec<i64> = Vec::new();
    for r in &rows {
        let texts: [Option<String>; 6] = [
            r.try_get("code")?,
            r.try_get("name_zh")?,
            r.try_get("name_en")?,
            r.try_get("synonyms")?,
            r.try_get("cas")?,
            r.try_get("formula")?,
        ];
        if search::matches(text, texts.iter().flatten().flat_map(|t| t.split('\n'))) {
            found.push(r.try_get("id")?);
        }
    }
    let total = found.len() as i64;
    let page: Vec<i64> = found.into_iter().skip(q.offset.max(0) as usize).take(limit as usize).collect();
    let mut items = by_ids(store, &page).await?;
    items.sort_by_key(|i| page.iter().position(|id| *id == i.id));
    Ok((items, total))
}

/// Postings read per gram to tell a rare gram from a common one.
const RARE: i64 = 2_000;

/// The filter selecting the candidates of a query's grams. The rarest gram alone when one has
/// fewer than [`RARE`] items (each gram's items counted through the index up to that cap):
/// reading its few postings beats intersecting several long lists, and the names are checked
/// after anyway. Otherwise the items that have every gram.
async fn candidates(store: &Store, grams: &[String], p: &mut Params) -> Result<String> {
    // Every gram's capped count in one statement (one round trip).
    let mut counts = Params::new();
    let parts: Vec<String> = grams
        .iter()
        .enumerate()
        .map(|(k, g)| {
            format!(
                "SELECT {k} AS k, COUNT(*) AS n FROM (SELECT 1 FROM inv_item_grams WHERE gram = {} LIMIT {RARE}) c{k}",
                counts.push(g.as_str())
            )
        })
        .collect();
    let rows = counts.bind(sqlx::query(&parts.join(" UNION ALL "))).fetch_all(store.pool()).await?;
    let mut rarest: Option<(i64, &str)> = None;
    for r in &rows {
        let (k, n): (i64, i64) = (r.try_get("k")?, r.try_get("n")?);
        let Some(g) = grams.get(k as usize) else { continue };
        if rarest.is_none_or(|(m, _)| n < m) {
            rarest = Some((n, g));
        }
    }
    Ok(match rarest {
        Some((n, g)) if n < RARE => format!("i.id IN (SELECT item_id FROM inv_item_grams WHERE gram = {})", p.push(g)),
        _ => {
            let list: Vec<String> = grams.iter().map(|g| p.push(g.as_str())).collect();
            format!(
                "i.id IN (SELECT item_id FROM inv_item_grams WHERE gram IN ({}) GROUP BY item_id HAVING COUNT(*) = {})",
                list.join(", "),
                grams.len()
            )
        }
    })
}

/// Items by id, whole (with their stock), in no particular order.
async fn by_ids(store: &Store, ids: &[i64]) -> Result<Vec<Item>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = Params::new();
    let list: Vec<String> = ids.iter().map(|id| p.push(*id)).collect();
    let sql = format!("SELECT {COLUMNS}, {ON_HAND} FROM {FROM} WHERE i.id IN ({})", list.join(", "));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// The Chinese name of a category, control class or pictogram code.
pub fn label(table: &[(&str, &'static str)], code: &str) -> &'static str {
    table.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

/// Items as a table for export (CSV and Excel): the list's columns, in its order.
pub fn table(items: &[Item]) -> audit::Table {
    let header = [
        "物料编码",
        "中文名称",
        "英文名称",
        "别名",
        "CAS号",
        "分子式",
        "类别",
        "管制类别",
        "库存",
        "单位",
        "储存条件",
        "库房",
    ];
    audit::Table::new(
        "物料",
        &header,
        items.iter().map(|i| {
            vec![
                i.code.clone(),
                i.name_zh.clone(),
                i.name_en.clone(),
                i.synonyms.join("；"),
                i.cas.clone().unwrap_or_default(),
                i.formula.clone(),
                label(CATEGORIES, &i.category).to_string(),
                label(CONTROLS, &i.control).to_string(),
                qty::format(i.on_hand),
                i.unit.clone(),
                i.storage.clone(),
                i.org_name.clone(),
            ]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::hazard_code;

    /// Codes as UN GHS Annex 3 builds them (H2xx physical, H3xx health, H4xx environment;
    /// P1xx–P5xx, combined with "+"), e.g. CLP Table 2.6.2's flammable liquid cat. 2 set.
    #[test]
    fn hazard_codes_follow_ghs_annex_3() {
        for ok in [
            "H225",
            "H290",
            "H314",
            "H410",
            "EUH066",
            "P210",
            "P303+P361+P353",
            "P403+P235",
            "P501",
            "H360FD",
            "H361d",
            "H360Fd",
        ] {
            assert!(hazard_code(ok), "{ok}");
        }
        for bad in
            ["H125", "H5000", "H22", "P610", "P303+", "P303+H225", "X210", "", "EUH06", "H225x", "H314F", "H361x"]
        {
            assert!(!hazard_code(bad), "{bad}");
        }
        assert_eq!(super::hazard_form("h225"), "H225");
        assert_eq!(super::hazard_form("p303+p361+p353"), "P303+P361+P353");
        assert_eq!(super::hazard_form("H361d"), "H361d");
    }
}
