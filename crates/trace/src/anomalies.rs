//! Anomalies (异常) found at capture: listed for regulators (and for a company, those that
//! concern it: at its own sites, or on codes its sites hold), counted by kind, answered by the
//! company concerned (异常说明, with attachments) while open, and closed with a note by whoever
//! may manage trace data — or by the system, when the missing earlier event of a `not_holder`
//! anomaly arrives (自动撤销, [`withdraw_superseded`]).

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
use yaolian_records::files::{self, FileRef, Upload};

/// An anomaly closure (异常处置) as a versioned record.
pub const ENTITY: &str = "trace_anomaly";
/// A company's answer to an anomaly (异常说明) as a versioned record.
pub const ANSWER_ENTITY: &str = "trace_anomaly_answer";
/// Most attachments per answer, and the largest.
pub const MAX_ANSWER_FILES: usize = 10;
pub const MAX_ANSWER_FILE_BYTES: usize = 5 * 1024 * 1024;
/// The longest answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 2_000;

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
    /// As `ingest` stored it (stable, machine-made per kind).
    pub detail: String,
    /// The detail as a Chinese sentence, sites by name (`labels::anomaly_detail`).
    pub detail_zh: String,
    pub event_time: i64,
    pub detected_at: i64,
    pub status: String,
    pub note: String,
    /// Closed by the system (自动撤销) rather than by a bureau.
    pub withdrawn: bool,
    /// The companies' answers (异常说明): all of them for a bureau, its own for a company.
    pub answers: Vec<Answer>,
}

/// A company's answer to an anomaly (异常说明).
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub user_name: String,
    pub text: String,
    pub created_at: i64,
    pub files: Vec<FileRef>,
}

/// Filters of the anomaly list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Sort key: `id`, `kind`, `time` (发生时间) or `status`; default: newest detected first.
    pub sort: Option<String>,
    #[serde(default)]
    pub desc: bool,
}

impl Filter {
    /// The ORDER BY of the sort key, from an allow-list (the key never reaches the SQL).
    fn order_by(&self) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        // Within a kind or a status, by detection time: the order of their indexes
        // (trace_anomalies_kind, trace_anomalies_status), so no query sorts in memory.
        let column = match self.sort.as_deref() {
            Some("id") => return format!("a.id {dir}"),
            Some("kind") => return format!("a.kind {dir}, a.detected_at {dir}, a.id {dir}"),
            Some("time") => "a.event_time",
            Some("status") => return format!("a.status {dir}, a.detected_at {dir}, a.id {dir}"),
            _ => return "a.detected_at DESC, a.id DESC".into(),
        };
        format!("{column} {dir}, a.id {dir}")
    }
}

pub fn kind_zh(kind: &str) -> &'static str {
    ANOMALY_KINDS.iter().find(|k| k.0 == kind).map_or("", |k| k.1)
}

/// What `principal` may see: the national bureau with `trace.read` all, a local bureau its
/// area's sites', a company those that concern it — at its own sites, or on a code one of its
/// sites holds (`access`).
fn scope(principal: &Principal, p: &mut Params) -> Option<String> {
    if crate::access::reads_all(principal) {
        return Some("1 = 1".into());
    }
    if principal.has(perm::TRACE_READ) {
        let (lo, hi) = yaolian_store::sql::prefix_range(principal.org_path());
        let (lo, hi) = (p.push(lo), p.push(hi));
        let sites = format!(
            "SELECT s.id FROM trace_sites s JOIN orgs o ON o.id = s.org_id WHERE o.path >= {lo} AND o.path < {hi}"
        );
        if principal.org_kind().is_regulator() {
            return Some(format!("a.site IN ({sites})"));
        }
        return Some(format!(
            "(a.site IN ({sites}) OR a.epc IN (SELECT c.epc FROM trace_codes c WHERE c.holder IN ({sites})))"
        ));
    }
    None
}

const COLUMNS: &str = "a.id, a.kind, a.epc, a.event_id, a.site, s.name, a.detail, a.event_time, a.detected_at, \
     a.status, a.note, a.closed_by, a.closed_at";
const FROM: &str = "trace_anomalies a LEFT JOIN trace_sites s ON s.id = a.site";

fn anomaly_from(r: &sqlx::any::AnyRow) -> Result<Anomaly, sqlx::Error> {
    let kind: String = r.try_get(1)?;
    let epc_key: Option<String> = r.try_get(2)?;
    let status: String = r.try_get(9)?;
    let closed_by: Option<i64> = r.try_get(11)?;
    let closed_at: Option<i64> = r.try_get(12)?;
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
        detail_zh: String::new(),
        event_time: r.try_get(7)?,
        detected_at: r.try_get(8)?,
        withdrawn: status == "closed" && closed_by.is_none() && closed_at.is_some(),
        status,
        note: r.try_get(10)?,
        answers: Vec::new(),
    })
}

/// A page of anomalies, newest first or as `filter.sort` says, and how many the filter selects.
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
    let (rows, total) =
        page(store.pool(), &mut p, COLUMNS, FROM, &wheres.join(" AND "), &filter.order_by(), per_page, offset).await?;
    let mut list = rows.iter().map(anomaly_from).collect::<Result<Vec<_>, sqlx::Error>>()?;
    explain(store, &mut list).await?;
    let own_org = (!principal.org_kind().is_regulator() && !principal.is_system()).then_some(principal.org_id());
    attach_answers(store, &mut list, own_org).await?;
    Ok((list, total))
}

/// Fills in each anomaly's Chinese detail, naming the sites it mentions.
async fn explain(store: &Store, list: &mut [Anomaly]) -> Result<(), TraceError> {
    let mentioned: Vec<String> = list
        .iter()
        .flat_map(|a| a.detail.split_whitespace().filter(|w| w.starts_with('/')).map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let names = crate::sites::names(store, &mentioned).await?;
    let name = |key: &str| names.get(key).cloned().unwrap_or_else(|| format!("场所 {key}"));
    for a in list {
        a.detail_zh = crate::labels::anomaly_detail(&a.kind, &a.detail, &name);
    }
    Ok(())
}

/// Loads the answers (and their files' references) of the listed anomalies; with `own_org`
/// only that organization's.
async fn attach_answers(store: &Store, list: &mut [Anomaly], own_org: Option<i64>) -> Result<(), TraceError> {
    if list.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let ids: Vec<String> = list.iter().map(|a| p.push(a.id)).collect();
    let mut sql = format!(
        "SELECT w.id, w.anomaly_id, w.org_id, o.name, u.display_name, w.text, w.created_at \
         FROM trace_anomaly_answers w JOIN orgs o ON o.id = w.org_id JOIN users u ON u.id = w.user_id \
         WHERE w.anomaly_id IN ({})",
        ids.join(",")
    );
    if let Some(org) = own_org {
        sql.push_str(&format!(" AND w.org_id = {}", p.push(org)));
    }
    sql.push_str(" ORDER BY w.id");
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut answers: Vec<(i64, Answer)> = Vec::with_capacity(rows.len());
    for r in &rows {
        answers.push((
            r.try_get(1)?,
            Answer {
                id: r.try_get(0)?,
                org_id: r.try_get(2)?,
                org_name: r.try_get(3)?,
                user_name: r.try_get(4)?,
                text: r.try_get(5)?,
                created_at: r.try_get(6)?,
                files: Vec::new(),
            },
        ));
    }
    if !answers.is_empty() {
        let mut p = Params::new();
        let ids: Vec<String> = answers.iter().map(|(_, w)| p.push(w.id)).collect();
        let sql = format!(
            "SELECT id, answer_id, label, name, size, sm3 FROM trace_answer_files WHERE answer_id IN ({}) ORDER BY id",
            ids.join(",")
        );
        for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
            let answer: i64 = r.try_get(1)?;
            let f = FileRef {
                id: r.try_get(0)?,
                label: r.try_get(2)?,
                name: r.try_get(3)?,
                size: r.try_get(4)?,
                sm3: r.try_get(5)?,
            };
            if let Some((_, w)) = answers.iter_mut().find(|(_, w)| w.id == answer) {
                w.files.push(f);
            }
        }
    }
    for (anomaly, w) in answers {
        if let Some(a) = list.iter_mut().find(|a| a.id == anomaly) {
            a.answers.push(w);
        }
    }
    Ok(())
}

/// The anomaly `id` if `principal` may see it (as [`list`] would show it), else not found.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Anomaly, TraceError> {
    let mut p = Params::new();
    let Some(scope) = scope(principal, &mut p) else {
        return Err(audit::deny(store, principal, perm::TRACE_READ, "anomalies", client).await);
    };
    let sql = format!("SELECT a.id FROM trace_anomalies a WHERE a.id = {} AND {scope}", p.push(id));
    if p.bind(sqlx::query(&sql)).fetch_optional(store.pool()).await?.is_none() {
        return Err(TraceError::not_found("anomaly"));
    }
    let mut p = Params::new();
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE a.id = {}", p.push(id));
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut list = rows.iter().map(anomaly_from).collect::<Result<Vec<_>, sqlx::Error>>()?;
    explain(store, &mut list).await?;
    let own_org = (!principal.org_kind().is_regulator() && !principal.is_system()).then_some(principal.org_id());
    attach_answers(store, &mut list, own_org).await?;
    list.pop().ok_or(TraceError::not_found("anomaly"))
}

/// Who answers an anomaly (异常说明): a company's user who reports its trace data
/// (`trace.capture`), for an open anomaly that concerns the company. The page offers the
/// answering form to exactly these.
pub fn may_answer(principal: &Principal, anomaly: &Anomaly) -> bool {
    !principal.is_system()
        && !principal.org_kind().is_regulator()
        && principal.has(perm::TRACE_CAPTURE)
        && anomaly.status == "open"
}

/// Answers an anomaly that concerns the principal's company (异常说明), with attachments, while
/// it is open: the answer, its files and its record version with the ledger entry and the audit
/// event in one transaction. Returns the answer's id.
pub async fn answer(
    store: &Store,
    principal: &Principal,
    id: i64,
    text: &str,
    uploads: &[Upload],
    client: &ClientInfo,
) -> Result<i64, TraceError> {
    if principal.is_system() || principal.org_kind().is_regulator() || !principal.has(perm::TRACE_CAPTURE) {
        return Err(audit::deny(store, principal, perm::TRACE_CAPTURE, "anomalies", client).await);
    }
    // Not found for an anomaly that does not concern the company.
    let anomaly = get(store, principal, id, client).await?;
    let text = text.trim();
    let mut errors = ValidationError::new();
    if text.is_empty() {
        errors.push("text", "required", "write what happened (说明)");
    } else if text.chars().count() > MAX_ANSWER_CHARS {
        errors.push("text", format!("max_chars:{MAX_ANSWER_CHARS}"), format!("at most {MAX_ANSWER_CHARS} characters"));
    }
    let decoded = match files::decode(uploads, MAX_ANSWER_FILES, MAX_ANSWER_FILE_BYTES) {
        Ok(d) => d,
        Err(e) => {
            errors.errors.extend(e.errors);
            Vec::new()
        }
    };
    errors.into_result()?;
    let mut tx = store.begin().await?;
    // The bureau may have closed it meanwhile: read its state in the transaction.
    let status: String = sqlx::query("SELECT status FROM trace_anomalies WHERE id = $1")
        .bind(anomaly.id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if status != "open" {
        return Err(TraceError::AnomalyClosed);
    }
    let now = Timestamp::now().millis();
    let answer_id: i64 = sqlx::query(
        "INSERT INTO trace_anomaly_answers (anomaly_id, org_id, user_id, text, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(anomaly.id)
    .bind(principal.org_id())
    .bind(principal.user_id())
    .bind(text)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    const AT: yaolian_records::files::FileTable =
        yaolian_records::files::FileTable { table: "trace_answer_files", owner: "answer_id" };
    let refs = yaolian_records::files::store(&mut tx, &AT, answer_id, &decoded, now).await?;
    let data = serde_json::json!({
        "id": answer_id, "anomaly_id": anomaly.id, "org_id": principal.org_id(),
        "user_id": principal.user_id(), "text": text, "created_at": now, "files": refs,
    });
    let id_text = answer_id.to_string();
    crate::record_version(&mut tx, principal, (ANSWER_ENTITY, &id_text), ("answer", ""), &data).await?;
    let target = format!("anomaly:{}", anomaly.id);
    audit::record(
        &mut tx,
        audit::Event { detail: text, ..audit::Event::by(principal, audit::action::ANOMALY_ANSWER, &target, client) },
    )
    .await?;
    tx.commit().await?;
    Ok(answer_id)
}

/// An attachment of an answer, for whoever sees the answer: its reference, content type and
/// bytes.
pub async fn answer_file(
    store: &Store,
    principal: &Principal,
    anomaly_id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<(FileRef, String, Vec<u8>), TraceError> {
    let anomaly = get(store, principal, anomaly_id, client).await?;
    let Some(meta) = anomaly.answers.iter().flat_map(|w| &w.files).find(|f| f.id == file_id).cloned() else {
        return Err(TraceError::not_found("attachment"));
    };
    let r = sqlx::query("SELECT content_type, content FROM trace_answer_files WHERE id = $1")
        .bind(file_id)
        .fetch_one(store.pool())
        .await?;
    Ok((meta, r.try_get(0)?, r.try_get(1)?))
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

/// How many anomalies of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub kind: String,
    /// The kind in Chinese (`labels::anomaly_kind`).
    pub label: String,
    pub count: i64,
}

/// Open anomalies (待处置异常) by kind, of those the [`list`] would show `principal`: one
/// GROUP BY query, for the 工作台's card (their sum, linking to `/trace/anomalies?status=open`)
/// and its chart, most first. `None` when the principal reads no trace data (nothing is
/// audited: the home page only asks what to show).
pub async fn open_by_kind(store: &Store, principal: &Principal) -> Result<Option<Vec<KindCount>>, TraceError> {
    let mut p = Params::new();
    let Some(scope) = scope(principal, &mut p) else { return Ok(None) };
    let sql = format!(
        "SELECT a.kind, COUNT(*) FROM trace_anomalies a WHERE a.status = 'open' AND {scope} \
         GROUP BY a.kind ORDER BY COUNT(*) DESC, a.kind"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let counts = rows
        .iter()
        .map(|r| {
            let kind: String = r.try_get(0)?;
            let label = crate::labels::anomaly_kind(&kind).to_string();
            Ok(KindCount { kind, label, count: r.try_get(1)? })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(counts))
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
    // The closure as a versioned record (the inspector's note is its reason).
    let closed = close_row(&mut tx, id, Some(principal.user_id()), note.trim(), Timestamp::now().millis()).await?;
    let Some(data) = closed else {
        return Err(TraceError::not_found("open anomaly"));
    };
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

/// A receipt that arrived late (迟报): `epc` received at `site` at `time`, after later events of
/// the code had been stored. `ingest` hands these to [`withdraw_superseded`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LateReceipt {
    pub epc: String,
    pub site: String,
    pub time: i64,
}

/// Withdraws (自动撤销) the open `not_holder` anomalies that a late receipt shows were wrong: the
/// code was moved or sold at `site` after `time`, while what was known then said another site
/// held it — and no receipt at another site came between. Each is closed by the system with a
/// note naming when the missing event was reported, its closure versioned and audited as a
/// bureau's is, in one transaction. Returns how many were withdrawn.
pub async fn withdraw_superseded(store: &Store, late: &[LateReceipt]) -> Result<usize, TraceError> {
    let mut withdrawn = 0;
    for r in late {
        let rows = sqlx::query(
            "SELECT a.id FROM trace_anomalies a WHERE a.kind = 'not_holder' AND a.status = 'open' \
             AND a.epc = $1 AND a.site = $2 AND a.event_time >= $3 \
             AND NOT EXISTS (SELECT 1 FROM trace_event_epcs x JOIN trace_events e ON e.id = x.event_id \
                 WHERE x.epc = a.epc AND e.event_time > $3 AND e.event_time < a.event_time \
                 AND e.biz_step IN ('receiving', 'arriving', 'accepting') AND e.biz_location <> $2) \
             ORDER BY a.id",
        )
        .bind(&r.epc)
        .bind(&r.site)
        .bind(r.time)
        .fetch_all(store.pool())
        .await?;
        for row in rows {
            let id: i64 = row.try_get(0)?;
            if withdraw(store, id, r).await? {
                withdrawn += 1;
            }
        }
    }
    Ok(withdrawn)
}

/// Closes an open anomaly (by `closed_by`, or the system) with `note` and returns the closed
/// anomaly's after-image for its record version; `None` when it is no longer open.
async fn close_row(
    tx: &mut yaolian_store::Tx<'_>,
    id: i64,
    closed_by: Option<i64>,
    note: &str,
    at: i64,
) -> Result<Option<serde_json::Value>, TraceError> {
    let n = sqlx::query(
        "UPDATE trace_anomalies SET status = 'closed', closed_by = $1, closed_at = $2, note = $3 \
         WHERE id = $4 AND status = 'open'",
    )
    .bind(closed_by)
    .bind(at)
    .bind(note)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT kind, epc, event_id, site, detail, event_time FROM trace_anomalies WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Some(serde_json::json!({
        "id": id, "kind": row.try_get::<String, _>(0)?, "epc": row.try_get::<Option<String>, _>(1)?,
        "event_id": row.try_get::<Option<i64>, _>(2)?, "site": row.try_get::<Option<String>, _>(3)?,
        "detail": row.try_get::<String, _>(4)?, "event_time": row.try_get::<i64, _>(5)?,
        "status": "closed", "note": note, "closed_by": closed_by, "closed_at": at,
    })))
}

/// Closes one anomaly as the system (自动撤销), if it is still open.
async fn withdraw(store: &Store, id: i64, r: &LateReceipt) -> Result<bool, TraceError> {
    let now = Timestamp::now();
    let note = format!(
        "已自动撤销：缺失的前序事件（{} 在本场所收货）已于 {} 补报",
        Timestamp(r.time).to_china_string(),
        now.to_china_string()
    );
    let mut tx = store.begin().await?;
    let Some(data) = close_row(&mut tx, id, None, &note, now.millis()).await? else {
        return Ok(false);
    };
    let id_text = id.to_string();
    let version = yaolian_store::NewVersion {
        entity: ENTITY,
        entity_id: &id_text,
        actor: "system",
        action: "withdraw",
        reason: &note,
        data: &data,
        expected_version: None,
    };
    yaolian_store::versions::append(&mut tx, version).await?;
    let target = format!("anomaly:{id}");
    let client = ClientInfo::default();
    audit::record(
        &mut tx,
        audit::Event {
            actor_id: None,
            actor_name: "system",
            action: audit::action::ANOMALY_WITHDRAW,
            target: &target,
            outcome: "ok",
            client: &client,
            detail: &note,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::Filter;

    /// The list's order comes from an allow-list: a known key sorts its column (then the id,
    /// so that pages do not overlap), anything else is the default, newest detected first.
    #[test]
    fn a_sort_key_orders_by_its_column_or_by_the_default() {
        let order = |sort: Option<&str>, desc: bool| {
            Filter { sort: sort.map(str::to_string), desc, ..Filter::default() }.order_by()
        };
        assert_eq!(order(Some("time"), false), "a.event_time ASC, a.id ASC");
        assert_eq!(order(Some("kind"), true), "a.kind DESC, a.detected_at DESC, a.id DESC");
        assert_eq!(order(Some("id"), true), "a.id DESC");
        assert_eq!(order(Some("status"), false), "a.status ASC, a.detected_at ASC, a.id ASC");
        assert_eq!(order(None, true), "a.detected_at DESC, a.id DESC");
        assert_eq!(order(Some("a.id; DROP TABLE trace_anomalies"), false), "a.detected_at DESC, a.id DESC");
    }
}
