//! Recalls (药品召回): a product's batches called back. Opening one finds every holder of the
//! batches' units still in the supply chain, with counts, marks those units, and gives each
//! holder a to-do; closure is the share of them returned or destroyed since.

use serde::Serialize;
use sqlx::Row;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::{insert_rows, Value};
use yaolian_store::{versions, Store, StoreError};

use crate::{access, TraceError};

/// A recall (召回) as a versioned record.
pub const ENTITY: &str = "trace_recall";

/// States a unit can be recalled from: still in the supply chain.
const IN_CHAIN: &str = "('commissioned', 'packed', 'shipped', 'received')";

/// What opening a recall takes.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct NewRecall {
    pub product_id: i64,
    pub batches: Vec<String>,
    /// 召回级别: 1 (serious harm), 2, 3 (《药品召回管理办法》 Art. 13).
    pub level: i64,
    pub reason: String,
}

/// A recall with its progress.
#[derive(Debug, Clone, Serialize)]
pub struct Recall {
    pub id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub mah_org_id: i64,
    pub batches: Vec<String>,
    pub level: i64,
    pub reason: String,
    pub status: String,
    /// Units in the supply chain when it opened.
    pub total: i64,
    /// Of those, returned or destroyed since.
    pub closed_units: i64,
    /// closed_units / total, in percent (100 when total is 0).
    pub closure_percent: f64,
    pub created_at: i64,
    pub closed_at: Option<i64>,
    pub holders: Vec<RecallHolder>,
}

/// One holder's part of a recall.
#[derive(Debug, Clone, Serialize)]
pub struct RecallHolder {
    pub site: String,
    pub site_name: Option<String>,
    pub org_id: Option<i64>,
    /// Units it held when the recall opened.
    pub initial: i64,
    /// Units of the recall it still holds in the supply chain (not sold, returned or destroyed).
    pub remaining: i64,
}

/// Who may open or close a recall of a product whose MAH is at `mah_path`: a bureau whose
/// `trace.manage` reaches the MAH ([`access::may_manage`]), or the MAH itself with
/// `trace.manage` in its own scope (主动召回).
pub fn may_manage(principal: &Principal, mah_path: &str) -> bool {
    access::may_manage(principal, mah_path) || principal.reaches(perm::TRACE_MANAGE, mah_path)
}

/// May `principal` close `recall` (it is open and [`may_manage`] holds for its MAH)? For a page
/// deciding whether to offer the form.
pub async fn may_close(store: &Store, principal: &Principal, recall: &Recall) -> Result<bool, TraceError> {
    if recall.status != "open" {
        return Ok(false);
    }
    Ok(may_manage(principal, &org_path(store, recall.mah_org_id).await?))
}

/// The products whose recall `principal` may open, as (id, label) for a form's choice.
pub async fn products_to_open(store: &Store, principal: &Principal) -> Result<Vec<(i64, String)>, TraceError> {
    crate::query::product_choices_where(store, |mah_path| may_manage(principal, mah_path)).await
}

async fn org_path(store: &Store, org_id: i64) -> Result<String, TraceError> {
    let row = sqlx::query("SELECT path FROM orgs WHERE id = $1").bind(org_id).fetch_one(store.pool()).await?;
    Ok(row.try_get(0)?)
}

async fn check_manage(
    store: &Store,
    principal: &Principal,
    mah_path: &str,
    client: &ClientInfo,
) -> Result<(), TraceError> {
    if may_manage(principal, mah_path) {
        Ok(())
    } else {
        Err(audit::deny(store, principal, perm::TRACE_MANAGE, "recalls", client).await)
    }
}

/// A request's batches (trimmed, blank ones dropped), the path of its product's MAH, and what is
/// wrong with it (the product missing: `None`, the errors say so).
async fn checked(
    conn: &mut sqlx::AnyConnection,
    new: &NewRecall,
) -> Result<(Vec<String>, Option<String>, ValidationError), TraceError> {
    let mut errors = ValidationError::new();
    let batches: Vec<String> = new.batches.iter().map(|b| b.trim().to_string()).filter(|b| !b.is_empty()).collect();
    if batches.is_empty() {
        errors.push("batches", "required", "name at least one batch (批号)");
    }
    if batches.iter().any(|b| b.contains(',') || b.chars().count() > 20) {
        errors.push("batches", "batch", "a batch number has at most 20 characters and no comma");
    }
    if batches.len() > 100 {
        errors.push("batches", "count:1..100", "at most 100 batches per recall");
    }
    if !(1..=3).contains(&new.level) {
        errors.push("level", "one_of:1,2,3", "recall level is 1, 2 or 3 (一级/二级/三级)");
    }
    if new.reason.trim().is_empty() {
        errors.push("reason", "required", "give the reason for the recall");
    }
    let mah_path: Option<String> =
        sqlx::query_scalar("SELECT o.path FROM products p JOIN orgs o ON o.id = p.mah_org_id WHERE p.id = $1")
            .bind(new.product_id)
            .fetch_optional(&mut *conn)
            .await?;
    if mah_path.is_none() {
        errors.push("product_id", "exists", "no such product");
    }
    Ok((batches, mah_path, errors))
}

/// Opens a recall.
pub async fn open(
    store: &Store,
    principal: &Principal,
    new: &NewRecall,
    client: &ClientInfo,
) -> Result<Recall, TraceError> {
    let mut conn = store.pool().acquire().await?;
    let (batches, mah_path, errors) = checked(&mut conn, new).await?;
    drop(conn);
    let Some(mah_path) = mah_path else { return Err(errors.into()) };
    // Who may recall this product before what is wrong with the request.
    check_manage(store, principal, &mah_path, client).await?;
    errors.into_result()?;
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, principal, new, &batches, client).await?;
    tx.commit().await?;
    get(store, id).await
}

/// Opens the recall a supervision decision orders (责令召回, e.g. a batch failing its sampling
/// test) in the decision's own transaction, answering its id: the principal holds
/// `supervision.manage` over the product's MAH (or may open recalls of it, [`may_manage`]).
pub async fn order(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &Principal,
    new: &NewRecall,
    client: &ClientInfo,
) -> Result<i64, TraceError> {
    let (batches, mah_path, errors) = checked(tx, new).await?;
    let Some(mah_path) = mah_path else { return Err(errors.into()) };
    if !(principal.reaches(perm::SUPERVISION_MANAGE, &mah_path) || may_manage(principal, &mah_path)) {
        return Err(IdentityError::Forbidden { permission: perm::SUPERVISION_MANAGE.into() }.into());
    }
    errors.into_result()?;
    insert(tx, principal, new, &batches, client).await
}

/// Writes an opened recall in `tx`: its holders and their to-dos, its units marked, its version
/// and audit.
async fn insert(
    tx: &mut yaolian_store::Tx<'_>,
    principal: &Principal,
    new: &NewRecall,
    batches: &[String],
    client: &ClientInfo,
) -> Result<i64, TraceError> {
    let list = batches.join(",");
    let now = Timestamp::now().millis();
    let id: i64 = sqlx::query(
        "INSERT INTO trace_recalls (product_id, batches, level, reason, status, total, created_by, created_at) \
         VALUES ($1, $2, $3, $4, 'open', 0, $5, $6) RETURNING id",
    )
    .bind(new.product_id)
    .bind(&list)
    .bind(new.level)
    .bind(new.reason.trim())
    .bind(principal.user_id())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    let in_batches: Vec<String> = (0..batches.len()).map(|i| format!("${}", i + 2)).collect();
    let filter =
        format!("product_id = $1 AND batch IN ({}) AND level = 'unit' AND state IN {IN_CHAIN}", in_batches.join(","));
    let select = format!("SELECT COALESCE(holder, ''), COUNT(*) FROM trace_codes WHERE {filter} GROUP BY holder");
    let mut q = sqlx::query(&select).bind(new.product_id);
    for b in batches {
        q = q.bind(b.clone());
    }
    let holders = q.fetch_all(&mut **tx).await?;
    let mut values = Vec::new();
    let mut total = 0;
    for r in &holders {
        let n: i64 = r.try_get(1)?;
        total += n;
        values.extend([Value::I64(id), Value::Text(r.try_get(0)?), Value::I64(n)]);
    }
    insert_rows(tx, "INSERT INTO trace_recall_holders (recall_id, site, initial)", "", 3, values).await?;
    let set = format!("UPDATE trace_codes SET recall_id = ${} WHERE {filter}", batches.len() + 2);
    let mut q = sqlx::query(&set).bind(new.product_id);
    for b in batches {
        q = q.bind(b.clone());
    }
    q.bind(id).execute(&mut **tx).await?;
    sqlx::query("UPDATE trace_recalls SET total = $1 WHERE id = $2").bind(total).bind(id).execute(&mut **tx).await?;
    // A to-do for every holding company: stop selling, send back.
    let product_name: String = sqlx::query("SELECT generic_name FROM products WHERE id = $1")
        .bind(new.product_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    let orgs = sqlx::query(
        "SELECT s.org_id, CAST(SUM(h.initial) AS BIGINT) FROM trace_recall_holders h JOIN trace_sites s ON s.id = h.site \
         WHERE h.recall_id = $1 AND s.org_id IS NOT NULL GROUP BY s.org_id",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    for r in orgs {
        let (org_id, units): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        let todo = yaolian_portal::NewTodo {
            user_id: None,
            org_id: Some(org_id),
            module: "trace".into(),
            title: format!("召回通知：{product_name} 批号 {list}，请立即停售并退回 {units} 盒"),
            link: format!("/trace/recalls/{id}"),
            due_at: Some(Timestamp(now).plus_seconds(if new.level == 1 { 86_400 } else { 3 * 86_400 })),
            statutory: false,
        };
        yaolian_portal::add_todo(&mut **tx, &todo).await?;
    }
    // The recall as a versioned record: its ledger entry in this transaction.
    let holders: Vec<serde_json::Value> = holders
        .iter()
        .map(|r| Ok(serde_json::json!({"site": r.try_get::<String, _>(0)?, "initial": r.try_get::<i64, _>(1)?})))
        .collect::<Result<_, sqlx::Error>>()?;
    let data = serde_json::json!({
        "id": id, "product_id": new.product_id, "batches": batches, "level": new.level,
        "reason": new.reason.trim(), "status": "open", "total": total, "holders": holders,
        "created_by": principal.user_id(), "created_at": now,
    });
    let id_text = id.to_string();
    crate::record_version(tx, principal, (ENTITY, &id_text), ("open", new.reason.trim()), &data).await?;
    let target = format!("recall:{id}");
    let detail = format!("product {} batches {list} level {} units {total}", new.product_id, new.level);
    audit::record(
        tx,
        audit::Event { detail: &detail, ..audit::Event::by(principal, audit::action::RECALL_OPEN, &target, client) },
    )
    .await?;
    Ok(id)
}

/// Every recall whose row differs from its latest ledgered version (现状与台账比对).
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>, TraceError> {
    let rows = sqlx::query(
        "SELECT id, product_id, batches, level, reason, status, total, created_by, created_at, closed_by, closed_at \
         FROM trace_recalls ORDER BY id",
    )
    .fetch_all(store.pool())
    .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let batches: String = r.try_get("batches")?;
        let status: String = r.try_get("status")?;
        let mut data = serde_json::json!({
            "id": id,
            "product_id": r.try_get::<i64, _>("product_id")?,
            "batches": batches.split(',').filter(|b| !b.is_empty()).collect::<Vec<_>>(),
            "level": r.try_get::<i64, _>("level")?,
            "reason": r.try_get::<String, _>("reason")?,
            "status": status,
            "total": r.try_get::<i64, _>("total")?,
            "created_by": r.try_get::<i64, _>("created_by")?,
            "created_at": r.try_get::<i64, _>("created_at")?,
        });
        if status == "closed" {
            data["closed_by"] = serde_json::json!(r.try_get::<Option<i64>, _>("closed_by")?);
            data["closed_at"] = serde_json::json!(r.try_get::<Option<i64>, _>("closed_at")?);
        }
        images.push(yaolian_store::state::Image { entity_id: id.to_string(), data });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// Closes a recall (by whoever may open it).
pub async fn close(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Recall, TraceError> {
    let recall = get(store, id).await?;
    let mah_path = org_path(store, recall.mah_org_id).await?;
    check_manage(store, principal, &mah_path, client).await?;
    if recall.status == "closed" {
        return Err(IdentityError::Conflict(format!("recall #{id} is already closed")).into());
    }
    let mut tx = store.begin().await?;
    let now = Timestamp::now().millis();
    sqlx::query("UPDATE trace_recalls SET status = 'closed', closed_by = $1, closed_at = $2 WHERE id = $3")
        .bind(principal.user_id())
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = format!("closure {:.1}%", recall.closure_percent);
    let id_text = id.to_string();
    let mut data = versions::history(&mut *tx, ENTITY, &id_text)
        .await?
        .pop()
        .map(|v| v.data)
        // A recall opened before recalls were versioned: its first version is this closure.
        .map_or_else(|| serde_json::to_value(&recall), Ok)
        .map_err(|e| StoreError::Corrupt(format!("recall {id}: {e}")))?;
    data["status"] = "closed".into();
    data["closed_by"] = principal.user_id().into();
    data["closed_at"] = now.into();
    data["closure_percent"] = serde_json::json!(recall.closure_percent);
    let reason = format!("召回关闭，回收率 {:.1}%", recall.closure_percent);
    crate::record_version(&mut tx, principal, (ENTITY, &id_text), ("close", &reason), &data).await?;
    let target = format!("recall:{id}");
    audit::record(
        &mut tx,
        audit::Event { detail: &detail, ..audit::Event::by(principal, audit::action::RECALL_CLOSE, &target, client) },
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// A recall as `principal` may see it: a bureau (and the operator) whole; the product's
/// marketing authorization holder whole; a holding company with only its own sites among the
/// holders; to anyone else it does not exist (and the refusal is audited). The page and the
/// API both read a recall through here.
pub async fn read(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Recall, TraceError> {
    let found = get(store, id).await;
    // Recalls are nationwide: every bureau must be able to act on one (应急召回).
    if crate::access::is_bureau_reader(principal) {
        return found;
    }
    if principal.has(perm::TRACE_READ) {
        if let Ok(mut r) = found {
            if r.mah_org_id == principal.org_id() {
                return Ok(r);
            }
            if r.holders.iter().any(|h| h.org_id == Some(principal.org_id())) {
                r.holders.retain(|h| h.org_id == Some(principal.org_id()));
                return Ok(r);
            }
        }
    }
    let _: TraceError = audit::deny(store, principal, perm::TRACE_READ, &format!("recall:{id}"), client).await;
    Err(TraceError::not_found("recall"))
}

/// A recall with its holders and closure.
pub(crate) async fn get(store: &Store, id: i64) -> Result<Recall, TraceError> {
    let row = sqlx::query(
        "SELECT r.id, r.product_id, p.generic_name, p.mah_org_id, r.batches, r.level, r.reason, r.status, r.total, \
         r.created_at, r.closed_at, \
         (SELECT COUNT(*) FROM trace_codes c WHERE c.recall_id = r.id AND c.state IN ('returned', 'destroyed')) \
         FROM trace_recalls r JOIN products p ON p.id = r.product_id WHERE r.id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or(TraceError::not_found("recall"))?;
    let sql = format!(
        "SELECT h.site, s.name, s.org_id, h.initial, \
         (SELECT COUNT(*) FROM trace_codes c WHERE c.recall_id = h.recall_id AND c.holder = h.site \
          AND c.state IN {IN_CHAIN}) \
         FROM trace_recall_holders h LEFT JOIN trace_sites s ON s.id = h.site WHERE h.recall_id = $1 \
         ORDER BY h.initial DESC, h.site"
    );
    let holders = sqlx::query(&sql)
        .bind(id)
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(RecallHolder {
                site: r.try_get(0)?,
                site_name: r.try_get(1)?,
                org_id: r.try_get(2)?,
                initial: r.try_get(3)?,
                remaining: r.try_get(4)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    recall_from_row(&row, holders)
}

fn recall_from_row(r: &sqlx::any::AnyRow, holders: Vec<RecallHolder>) -> Result<Recall, TraceError> {
    let total: i64 = r.try_get(8)?;
    let closed_units: i64 = r.try_get(11)?;
    let batches: String = r.try_get(4)?;
    Ok(Recall {
        id: r.try_get(0)?,
        product_id: r.try_get(1)?,
        product_name: r.try_get(2)?,
        mah_org_id: r.try_get(3)?,
        batches: batches.split(',').map(str::to_string).collect(),
        level: r.try_get(5)?,
        reason: r.try_get(6)?,
        status: r.try_get(7)?,
        total,
        closed_units,
        closure_percent: if total == 0 { 100.0 } else { closed_units as f64 * 100.0 / total as f64 },
        created_at: r.try_get(9)?,
        closed_at: r.try_get(10)?,
        holders,
    })
}

const LIST_COLUMNS: &str = "r.id, r.product_id, p.generic_name, p.mah_org_id, r.batches, r.level, r.reason, \
     r.status, r.total, r.created_at, r.closed_at, \
     (SELECT COUNT(*) FROM trace_codes c WHERE c.recall_id = r.id AND c.state IN ('returned', 'destroyed'))";

/// Every recall, newest first, without holders.
pub async fn list(store: &Store) -> Result<Vec<Recall>, TraceError> {
    list_status(store, None).await
}

/// The recalls in `status` (`open`: 召回中, `closed`), or every recall, newest first, without
/// holders.
pub async fn list_status(store: &Store, status: Option<&str>) -> Result<Vec<Recall>, TraceError> {
    list_sorted(store, status, None, false).await
}

/// [`list_status`] in the order of a sort key — `id` (发起), `product`, `level` or `status`, from
/// an allow-list (the key never reaches the SQL); newest first when there is none. At most 500.
pub async fn list_sorted(
    store: &Store,
    status: Option<&str>,
    sort: Option<&str>,
    desc: bool,
) -> Result<Vec<Recall>, TraceError> {
    let dir = if desc { "DESC" } else { "ASC" };
    let order = match sort {
        Some("id") => format!("r.id {dir}"),
        Some("product") => format!("p.generic_name {dir}, r.id {dir}"),
        Some("level") => format!("r.level {dir}, r.id {dir}"),
        Some("status") => format!("r.status {dir}, r.id {dir}"),
        _ => "r.id DESC".to_string(),
    };
    let status = status.filter(|s| !s.is_empty());
    if let Some(s) = status.filter(|s| !matches!(*s, "open" | "closed")) {
        return Err(ValidationError::single("status", "one_of:open,closed", format!("unknown status {s:?}")).into());
    }
    let mut p = yaolian_store::sql::Params::new();
    let filter = match status {
        Some(s) => format!("WHERE r.status = {}", p.push(s)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT {LIST_COLUMNS} FROM trace_recalls r JOIN products p ON p.id = r.product_id {filter} \
         ORDER BY {order} LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    rows.iter().map(|r| recall_from_row(r, Vec::new())).collect()
}

/// Recalls in progress (召回中) as `principal` may see them ([`read`]): every open recall for
/// a bureau; for a company with `trace.read`, the open recalls of its products or in which its
/// sites held units. How many, and the newest `limit` of them, without holders; `None` for
/// whoever reads no trace data (the 工作台 asks what to show; nothing is audited).
pub async fn in_progress(
    store: &Store,
    principal: &Principal,
    limit: i64,
) -> Result<Option<(i64, Vec<Recall>)>, TraceError> {
    let mut p = yaolian_store::sql::Params::new();
    let mut filter = "r.status = 'open'".to_string();
    if !access::is_bureau_reader(principal) {
        if !principal.has(perm::TRACE_READ) {
            return Ok(None);
        }
        let org = p.push(principal.org_id());
        filter.push_str(&format!(
            " AND (p.mah_org_id = {org} OR EXISTS (SELECT 1 FROM trace_recall_holders h \
             JOIN trace_sites s ON s.id = h.site WHERE h.recall_id = r.id AND s.org_id = {org}))"
        ));
    }
    let (rows, total) = yaolian_store::sql::page(
        store.pool(),
        &mut p,
        LIST_COLUMNS,
        "trace_recalls r JOIN products p ON p.id = r.product_id",
        &filter,
        "r.id DESC",
        limit.clamp(1, 100),
        0,
    )
    .await?;
    let recalls = rows.iter().map(|r| recall_from_row(r, Vec::new())).collect::<Result<Vec<_>, _>>()?;
    Ok(Some((total, recalls)))
}

/// A holder's to-do: an open recall in which the organization's sites still hold units.
#[derive(Debug, Clone, Serialize)]
pub struct RecallTodo {
    pub recall_id: i64,
    pub product_name: String,
    pub batches: String,
    pub site_name: String,
    pub remaining: i64,
}

/// The open recalls in which sites of `org_id` still hold units.
pub async fn todos_of(store: &Store, org_id: i64) -> Result<Vec<RecallTodo>, TraceError> {
    let sql = format!(
        "SELECT r.id, p.generic_name, r.batches, s.name, \
         (SELECT COUNT(*) FROM trace_codes c WHERE c.recall_id = r.id AND c.holder = s.id \
          AND c.state IN {IN_CHAIN}) AS remaining \
         FROM trace_recall_holders h JOIN trace_recalls r ON r.id = h.recall_id AND r.status = 'open' \
         JOIN trace_sites s ON s.id = h.site JOIN products p ON p.id = r.product_id \
         WHERE s.org_id = $1 ORDER BY r.id"
    );
    let rows = sqlx::query(&sql).bind(org_id).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in rows {
        let remaining: i64 = r.try_get(4)?;
        if remaining > 0 {
            out.push(RecallTodo {
                recall_id: r.try_get(0)?,
                product_name: r.try_get(1)?,
                batches: r.try_get(2)?,
                site_name: r.try_get(3)?,
                remaining,
            });
        }
    }
    Ok(out)
}

/// The organizations whose sites held units of a recall when it opened.
pub async fn holding_orgs(store: &Store, id: i64) -> Result<Vec<i64>, TraceError> {
    let rows = sqlx::query(
        "SELECT DISTINCT s.org_id FROM trace_recall_holders h JOIN trace_sites s ON s.id = h.site \
         WHERE h.recall_id = $1 AND s.org_id IS NOT NULL",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?)
}
