//! Anomalies (异常) found at capture: listed for regulators (and for a company, those at its
//! own sites), counted by kind, and closed with a note by whoever may manage trace data.

use serde::Serialize;
use sqlx::Row;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_store::sql::{page, Params};
use yaolian_store::Store;

use crate::access::TraceReach;
use crate::codes::epc;
use crate::ingest::ANOMALY_KINDS;
use crate::TraceError;

/// An anomaly closure (异常处置) as a versioned record.
pub const ENTITY: &str = "trace_anomaly";

#[derive(Debug, Clone, Serialize)]
pub struct Anomaly {
    pub id: i64,
    pub kind: String,
    pub kind_zh: String,
    pub epc: Option<String>,
    pub code: Option<String>,
    pub event_id: Option<i64>,
    pub site: Option<String>,
    pub site_name: Option<String>,
    pub detail: String,
    pub event_time: i64,
    pub detected_at: i64,
    pub status: String,
    pub note: String,
}

/// Filters of the anomaly list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

pub fn kind_zh(kind: &str) -> &'static str {
    ANOMALY_KINDS.iter().find(|k| k.0 == kind).map_or("", |k| k.1)
}

/// What `principal` may see: the national bureau with `trace.read` all, a local bureau its
/// area's sites', a company its own sites' (`access`).
fn scope(principal: &Principal, p: &mut Params) -> Option<String> {
    if crate::access::reads_all(principal) {
        return Some("1 = 1".into());
    }
    if principal.has(perm::TRACE_READ) {
        let path = p.push(format!("{}%", principal.org_path()));
        return Some(format!(
            "a.site IN (SELECT s.id FROM trace_sites s JOIN orgs o ON o.id = s.org_id WHERE o.path LIKE {path})"
        ));
    }
    None
}

/// A page of anomalies, newest first, and how many the filter selects.
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    client: &ClientInfo,
) -> Result<(Vec<Anomaly>, i64), TraceError> {
    let mut p = Params::new();
    let Some(scope) = scope(principal, &mut p) else {
        return Err(audit::deny(store, principal, perm::TRACE_READ, "anomalies", client).await);
    };
    let mut wheres = vec![scope];
    if let Some(k) = filter.kind.as_deref().filter(|k| !k.is_empty()) {
        wheres.push(format!("a.kind = {}", p.push(k)));
    }
    if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
        wheres.push(format!("a.status = {}", p.push(s)));
    }
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let key = epc::key(q, Timestamp::now().china_date()).unwrap_or_else(|_| q.to_string());
        wheres.push(format!("(a.epc = {} OR {})", p.push(key), p.like_any(&["a.detail", "s.name"], q)));
    }
    let per_page = filter.per_page.unwrap_or(50).clamp(1, 500);
    let offset = (filter.page.unwrap_or(1).max(1) - 1) * per_page;
    let (rows, total) = page(
        store.pool(),
        &mut p,
        "a.id, a.kind, a.epc, a.event_id, a.site, s.name, a.detail, a.event_time, a.detected_at, a.status, a.note",
        "trace_anomalies a LEFT JOIN trace_sites s ON s.id = a.site",
        &wheres.join(" AND "),
        "a.detected_at DESC, a.id DESC",
        per_page,
        offset,
    )
    .await?;
    let list = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get(1)?;
            let epc_key: Option<String> = r.try_get(2)?;
            Ok(Anomaly {
                id: r.try_get(0)?,
                kind_zh: kind_zh(&kind).into(),
                kind,
                code: epc_key.as_deref().map(epc::display),
                epc: epc_key,
                event_id: r.try_get(3)?,
                site: r.try_get(4)?,
                site_name: r.try_get(5)?,
                detail: r.try_get(6)?,
                event_time: r.try_get(7)?,
                detected_at: r.try_get(8)?,
                status: r.try_get(9)?,
                note: r.try_get(10)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((list, total))
}

/// Open anomalies by kind at the sites `reach` covers (for the dashboard and the to-do count).
pub async fn open_counts(store: &Store, reach: &TraceReach) -> Result<Vec<(String, i64)>, TraceError> {
    let mut p = Params::new();
    let within = match reach.sites() {
        None => String::new(),
        Some(sites) => {
            let mut list: Vec<String> = sites.iter().map(|s| p.push(s.as_str())).collect();
            if list.is_empty() {
                list.push("NULL".into());
            }
            format!(" AND site IN ({})", list.join(","))
        }
    };
    let sql =
        format!("SELECT kind, COUNT(*) FROM trace_anomalies WHERE status = 'open'{within} GROUP BY kind ORDER BY kind");
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Who closes an anomaly (异常处置): a bureau with `trace.manage`, or the system. The page shows
/// the closing form to exactly these.
pub fn may_close(principal: &Principal) -> bool {
    principal.is_system() || (principal.org_kind().is_regulator() && principal.has(perm::TRACE_MANAGE))
}

/// Closes an anomaly with a note saying how it was handled (处置说明).
pub async fn close(
    store: &Store,
    principal: &Principal,
    id: i64,
    note: &str,
    client: &ClientInfo,
) -> Result<(), TraceError> {
    if !may_close(principal) {
        return Err(audit::deny(store, principal, perm::TRACE_MANAGE, "anomalies", client).await);
    }
    // A local bureau closes anomalies at sites of its own area (属地), as it lists them.
    if !crate::access::manages_all(principal) {
        let site: Option<String> = sqlx::query("SELECT site FROM trace_anomalies WHERE id = $1")
            .bind(id)
            .fetch_optional(store.pool())
            .await?
            .map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()?
            .flatten();
        let area = crate::access::area_sites(store, principal).await?;
        if !site.is_some_and(|s| area.contains(&s)) {
            return Err(TraceError::not_found("open anomaly"));
        }
    }
    if note.trim().is_empty() {
        return Err(ValidationError::single("note", "required", "say how the anomaly was handled").into());
    }
    let mut tx = store.begin().await?;
    let n = sqlx::query(
        "UPDATE trace_anomalies SET status = 'closed', closed_by = $1, closed_at = $2, note = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(principal.user_id())
    .bind(Timestamp::now().millis())
    .bind(note.trim())
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(TraceError::not_found("open anomaly"));
    }
    // The closure as a versioned record (the inspector's note is its reason).
    let row = sqlx::query(
        "SELECT kind, epc, event_id, site, detail, event_time, closed_at FROM trace_anomalies WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let data = serde_json::json!({
        "id": id, "kind": row.try_get::<String, _>(0)?, "epc": row.try_get::<Option<String>, _>(1)?,
        "event_id": row.try_get::<Option<i64>, _>(2)?, "site": row.try_get::<Option<String>, _>(3)?,
        "detail": row.try_get::<String, _>(4)?, "event_time": row.try_get::<i64, _>(5)?,
        "status": "closed", "note": note.trim(), "closed_by": principal.user_id(),
        "closed_at": row.try_get::<Option<i64>, _>(6)?,
    });
    let id_text = id.to_string();
    crate::record_version(&mut tx, principal, (ENTITY, &id_text), ("close", note.trim()), &data).await?;
    let target = format!("anomaly:{id}");
    audit::record(
        &mut tx,
        audit::Event {
            detail: note.trim(),
            ..audit::Event::by(principal, audit::action::ANOMALY_CLOSE, &target, client)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
