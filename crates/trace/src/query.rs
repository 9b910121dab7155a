//! Reading trace data: EPCIS 2.0 event queries (SimpleEventQuery parameters over REST), a code's
//! full history including what it inherited through its case and pallet, where-to for a
//! product batch, where-from for a site's stock.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use yaolian_core::{FieldError, Timestamp, ValidationError};
use yaolian_store::sql::Params;
use yaolian_store::Store;

use crate::access::TraceReach;
use crate::codes::epc;
use crate::epcis::{BIZ_STEPS, DISPOSITIONS, EVENT_TYPES};
use crate::hash;
use crate::ingest::{code_from, CODE_COLUMNS};
use crate::TraceError;

/// The most events one page returns.
pub const MAX_PER_PAGE: i64 = 1_000;
const DEFAULT_PER_PAGE: i64 = 100;

/// One page of events and the token of the next.
#[derive(Debug, Clone, Serialize)]
pub struct EventPage {
    pub events: Vec<Value>,
    pub next_page_token: Option<String>,
}

/// Runs an EPCIS query given as its REST parameters (`EQ_bizStep=shipping`, …). Lists are
/// separated by `|` (EPCIS 2.0 REST binding; a comma belongs to the value: a `geo:` read point,
/// a serial); EPCs, read points and locations may be given in any form `codes::epc` reads.
/// `orderBy` (`eventTime`, `recordTime`) and `orderDirection` (`ASC`, `DESC`) sort the result;
/// the page token carries the sort key. Unknown parameters are refused, as EPCIS requires.
pub async fn events(
    store: &Store,
    reach: &TraceReach,
    params: &[(String, String)],
    today: chrono::NaiveDate,
) -> Result<EventPage, TraceError> {
    let mut p = Params::new();
    let mut filters: Vec<String> = Vec::new();
    if let Some(sites) = reach.sites() {
        let mut list: Vec<String> = sites.iter().map(|s| p.push(s.as_str())).collect();
        if list.is_empty() {
            list.push("NULL".into());
        }
        filters.push(format!("COALESCE(e.biz_location, e.read_point) IN ({})", list.join(",")));
    }
    let mut errors = Vec::new();
    let mut per_page = DEFAULT_PER_PAGE;
    let mut after: Option<(i64, i64)> = None;
    let mut order = Order::default();
    let split = |v: &str| -> Vec<String> {
        v.split('|').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
    };
    for (name, value) in params {
        let values = split(value);
        let in_list = |column: &str, vals: Vec<String>, p: &mut Params| {
            let list: Vec<String> = vals.into_iter().map(|v| p.push(v)).collect();
            format!("{column} IN ({})", list.join(","))
        };
        match name.as_str() {
            "eventType" => {
                if let Some(bad) = values.iter().find(|v| !EVENT_TYPES.contains(&v.as_str())) {
                    errors.push(FieldError::new(name, "event_type", format!("unknown event type {bad:?}")));
                }
                filters.push(in_list("e.event_type", values, &mut p));
            }
            "EQ_bizStep" | "EQ_disposition" => {
                let (urn, web, known, column) = if name == "EQ_bizStep" {
                    ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", BIZ_STEPS, "e.biz_step")
                } else {
                    ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", DISPOSITIONS, "e.disposition")
                };
                let bare: Vec<String> = values
                    .iter()
                    .map(|v| v.strip_prefix(urn).or_else(|| v.strip_prefix(web)).unwrap_or(v).to_string())
                    .collect();
                if let Some(bad) = bare.iter().find(|b| !b.contains(':') && !known.contains(&b.as_str())) {
                    errors.push(FieldError::new(name, "cbv", format!("{bad:?} is not a CBV 2.0 value")));
                }
                filters.push(in_list(column, bare, &mut p));
            }
            "EQ_action" => {
                if let Some(bad) = values.iter().find(|v| !matches!(v.as_str(), "ADD" | "OBSERVE" | "DELETE")) {
                    errors.push(FieldError::new(name, "one_of:ADD,OBSERVE,DELETE", format!("unknown action {bad:?}")));
                }
                filters.push(in_list("e.action", values, &mut p));
            }
            "EQ_readPoint" | "EQ_bizLocation" => {
                let keys = keys_of(name, &values, today, &mut errors);
                let column = if name == "EQ_readPoint" { "e.read_point" } else { "e.biz_location" };
                filters.push(in_list(column, keys, &mut p));
            }
            "GE_eventTime" | "LT_eventTime" | "GE_recordTime" | "LT_recordTime" => {
                match chrono::DateTime::parse_from_rfc3339(value.trim()) {
                    Ok(t) => {
                        let column = if name.ends_with("eventTime") { "e.event_time" } else { "e.record_time" };
                        let op = if name.starts_with("GE_") { ">=" } else { "<" };
                        filters.push(format!("{column} {op} {}", p.push(t.timestamp_millis())));
                    }
                    Err(_) => errors.push(FieldError::new(name, "datetime", format!("{value:?} is not RFC 3339"))),
                }
            }
            "MATCH_epc" | "MATCH_parentID" | "MATCH_anyEPC" | "MATCH_inputEPC" | "MATCH_outputEPC" => {
                // EPC pattern URIs match a range of keys (index-served: the keys sort bytewise on
                // both backends); everything else one key.
                let mut matches = Vec::new();
                let mut exact = Vec::new();
                for v in values {
                    match epc::pattern_prefixes(&v) {
                        Some(Ok(prefixes)) => {
                            for lo in prefixes {
                                let hi = after_prefix(&lo);
                                matches.push(format!("(x.epc >= {} AND x.epc < {})", p.push(lo), p.push(hi)));
                            }
                        }
                        Some(Err(e)) => errors.push(FieldError::new(name, e.rule, format!("{v:?}: {e}"))),
                        None => exact.push(v),
                    }
                }
                let keys = keys_of(name, &exact, today, &mut errors);
                if !keys.is_empty() || matches.is_empty() {
                    matches.push(in_list("x.epc", keys, &mut p));
                }
                let roles = match name.as_str() {
                    "MATCH_epc" => "AND x.role IN (0, 2)",
                    "MATCH_parentID" => "AND x.role = 1",
                    "MATCH_inputEPC" => "AND x.role = 3",
                    "MATCH_outputEPC" => "AND x.role = 4",
                    _ => "",
                };
                let list = matches.join(" OR ");
                filters.push(format!("e.id IN (SELECT x.event_id FROM trace_event_epcs x WHERE ({list}) {roles})"));
            }
            // EPCIS 2.0 §8.2.7.1: events declared in error (their declaration is returned).
            "EXISTS_errorDeclaration" => filters.push("e.id IN (SELECT event_id FROM trace_event_declarations)".into()),
            "EQ_eventID" => {
                let mut ors = Vec::new();
                for v in values {
                    match hash::parse_hash_id(&v) {
                        Some(h) => ors.push(format!("e.hash = {}", p.push_bytes(h.to_vec()))),
                        None => ors.push(format!("e.event_id = {}", p.push(v))),
                    }
                }
                if !ors.is_empty() {
                    filters.push(format!("({})", ors.join(" OR ")));
                }
            }
            "perPage" => match value.trim().parse::<i64>() {
                Ok(n) if (1..=MAX_PER_PAGE).contains(&n) => per_page = n,
                _ => errors.push(FieldError::new(name, format!("range:1..{MAX_PER_PAGE}"), "perPage is 1 to 1000")),
            },
            "nextPageToken" => match parse_token(value) {
                Some(t) => after = Some(t),
                None => errors.push(FieldError::new(name, "token", "not a token this server gave")),
            },
            "orderBy" => match value.trim() {
                "eventTime" => order.column = "e.event_time",
                "recordTime" => order.column = "e.record_time",
                other => errors.push(FieldError::new(
                    name,
                    "one_of:eventTime,recordTime",
                    format!("events are ordered by eventTime or recordTime, not {other:?}"),
                )),
            },
            "orderDirection" => match value.trim() {
                "ASC" => order.descending = false,
                "DESC" => order.descending = true,
                other => errors.push(FieldError::new(name, "one_of:ASC,DESC", format!("{other:?} is not ASC or DESC"))),
            },
            // EPCIS 2.0 §8.2.7.1 EXISTS_field for the fields kept in columns.
            "EXISTS_bizStep" | "EXISTS_disposition" | "EXISTS_readPoint" | "EXISTS_bizLocation" | "EXISTS_action" => {
                let column = match name.as_str() {
                    "EXISTS_bizStep" => "e.biz_step",
                    "EXISTS_disposition" => "e.disposition",
                    "EXISTS_readPoint" => "e.read_point",
                    "EXISTS_bizLocation" => "e.biz_location",
                    _ => "e.action",
                };
                filters.push(format!("{column} IS NOT NULL"));
            }
            other if other.starts_with("HASATTR_") || other.starts_with("EQATTR_") => {
                match master_data_filter(other, &values, &mut p) {
                    Ok(f) => filters.push(f),
                    Err(e) => errors.push(e),
                }
            }
            _ => errors.push(FieldError::new(name, "unknown_parameter", format!("{name} is not a query parameter"))),
        }
    }
    if !errors.is_empty() {
        return Err(ValidationError { errors }.into());
    }
    // Keyset pagination on (sort key, id): a page goes on after the last row of the one before.
    let (op, dir) = if order.descending { ("<", "DESC") } else { (">", "ASC") };
    if let Some((key, id)) = after {
        let (k, i) = (p.push(key), p.push(id));
        filters.push(format!("({col} {op} {k} OR ({col} = {k} AND e.id {op} {i}))", col = order.column));
    }
    let limit = p.push(per_page + 1);
    let sql = format!(
        "SELECT e.id, e.hash, e.event_id, e.record_time, e.body, d.declaration, {col} AS sort_key FROM trace_events e \
         LEFT JOIN trace_event_declarations d ON d.event_id = e.id WHERE {} ORDER BY {col} {dir}, e.id {dir} \
         LIMIT {limit}",
        if filters.is_empty() { "1 = 1".to_string() } else { filters.join(" AND ") },
        col = order.column,
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let more = rows.len() as i64 > per_page;
    let mut events = Vec::with_capacity(rows.len());
    let mut last = (0_i64, 0_i64);
    for r in rows.iter().take(per_page as usize) {
        last = (r.try_get("sort_key")?, r.try_get(0)?);
        events.push(event_json(r)?);
    }
    Ok(EventPage { events, next_page_token: more.then(|| format!("{}.{}", last.0, last.1)) })
}

/// `HASATTR_{field}={attr}` and `EQATTR_{field}_{attr}={values}` (EPCIS 2.0 §8.2.7.1) over the
/// location master data this system holds (`trace_sites`) for `readPoint` and `bizLocation`:
/// the CBV 2.0 attributes `name` and `state` (the site's province), by their bare name, as
/// `cbvmda:{attr}` or as `urn:epcglobal:cbv:mda#{attr}`.
fn master_data_filter(name: &str, values: &[String], p: &mut Params) -> Result<String, FieldError> {
    let attribute = |a: &str| -> Option<&'static str> {
        let bare = a.trim().trim_start_matches("urn:epcglobal:cbv:mda#").trim_start_matches("cbvmda:");
        match bare {
            "name" => Some("name"),
            "state" => Some("province"),
            _ => None,
        }
    };
    let unknown = |a: &str| {
        FieldError::new(
            name,
            "one_of:name,state",
            format!("{a:?}: the location master data held here are name and state (province)"),
        )
    };
    let (field, rest) = if let Some(rest) = name.strip_prefix("HASATTR_") {
        (rest, None)
    } else {
        let rest = name.strip_prefix("EQATTR_").unwrap_or(name);
        let (field, attr) = rest.split_once('_').unwrap_or((rest, ""));
        (field, Some(attr))
    };
    let column = match field {
        "readPoint" => "e.read_point",
        "bizLocation" => "e.biz_location",
        _ => {
            return Err(FieldError::new(
                name,
                "one_of:readPoint,bizLocation",
                format!("{name}: master data are held for readPoint and bizLocation"),
            ))
        }
    };
    match rest {
        None => {
            let mut ors = Vec::new();
            for a in values {
                let col = attribute(a).ok_or_else(|| unknown(a))?;
                ors.push(format!("s.{col} <> ''"));
            }
            if ors.is_empty() {
                return Err(unknown(""));
            }
            Ok(format!("{column} IN (SELECT s.id FROM trace_sites s WHERE {})", ors.join(" OR ")))
        }
        Some(attr) => {
            let col = attribute(attr).ok_or_else(|| unknown(attr))?;
            let list: Vec<String> = values.iter().map(|v| p.push(v.as_str())).collect();
            if list.is_empty() {
                return Err(FieldError::new(name, "required", format!("{name} names the values to match")));
            }
            Ok(format!("{column} IN (SELECT s.id FROM trace_sites s WHERE s.{col} IN ({}))", list.join(",")))
        }
    }
}

/// How a query's events are ordered: by id (the order of capture) unless `orderBy` says.
struct Order {
    column: &'static str,
    descending: bool,
}

impl Default for Order {
    fn default() -> Order {
        Order { column: "e.id", descending: false }
    }
}

/// A page token: `{sort key}.{id}` (or a bare id, as earlier pages gave).
fn parse_token(value: &str) -> Option<(i64, i64)> {
    let t = value.trim();
    let (k, i) = t.split_once('.').unwrap_or((t, t));
    let (k, i) = (k.parse::<i64>().ok()?, i.parse::<i64>().ok()?);
    (i >= 0).then_some((k, i))
}

/// The least string after every string that starts with `prefix` (an ASCII key prefix).
fn after_prefix(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    if let Some(last) = bytes.last_mut() {
        *last = last.saturating_add(1);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn keys_of(name: &str, values: &[String], today: chrono::NaiveDate, errors: &mut Vec<FieldError>) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| match epc::key(v, today) {
            Ok(k) => Some(k),
            Err(e) => {
                errors.push(FieldError::new(name, e.rule, format!("{v:?}: {e}")));
                None
            }
        })
        .collect()
}

/// An event as stored, with `eventID` (its hash ID if it came without one), `recordTime` and,
/// when it was declared in error since, the `errorDeclaration`.
fn event_json(r: &sqlx::any::AnyRow) -> Result<Value, sqlx::Error> {
    let body: String = r.try_get("body")?;
    let declaration: Option<String> = r.try_get("declaration")?;
    let hash: Vec<u8> = r.try_get("hash")?;
    let event_id: Option<String> = r.try_get("event_id")?;
    let record_time: i64 = r.try_get("record_time")?;
    let mut v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        let id = event_id.unwrap_or_else(|| {
            let h: [u8; 32] = hash.as_slice().try_into().unwrap_or([0; 32]);
            hash::hash_id(&h)
        });
        o.insert("eventID".into(), Value::String(id));
        o.insert("recordTime".into(), Value::String(Timestamp(record_time).to_rfc3339()));
        if let Some(d) = declaration.and_then(|d| serde_json::from_str::<Value>(&d).ok()) {
            o.insert("errorDeclaration".into(), d);
        }
    }
    Ok(v)
}

/// A code's current state, with its product and holder named.
#[derive(Debug, Clone, Serialize)]
pub struct CodeView {
    pub key: String,
    pub uri: String,
    pub display: String,
    pub level: crate::packs::PackLevel,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub approval_number: Option<String>,
    pub manufacturer: Option<String>,
    pub batch: Option<String>,
    pub expiry: Option<String>,
    pub state: String,
    pub holder: Option<String>,
    pub holder_name: Option<String>,
    pub parent: Option<String>,
    pub children: i64,
    pub first_time: i64,
    pub last_time: i64,
    pub recall_id: Option<i64>,
    /// Open recalls of its product (any batch) and open anomalies on it: when both are 0, as
    /// nearly always, verification needs no further query.
    #[serde(skip)]
    pub open_recalls_of_product: i64,
    #[serde(skip)]
    pub open_anomalies: i64,
}

/// The state of one code (by key).
pub async fn code(store: &Store, key: &str) -> Result<Option<CodeView>, TraceError> {
    let cols: Vec<String> = CODE_COLUMNS.split(", ").map(|c| format!("c.{c}")).collect();
    let sql = format!(
        "SELECT {}, p.generic_name, p.approval_number, o.name, s.name, \
         (SELECT COUNT(*) FROM trace_codes k WHERE k.parent = c.epc), \
         (SELECT COUNT(*) FROM trace_recalls r WHERE r.product_id = c.product_id AND r.status = 'open'), \
         (SELECT COUNT(*) FROM trace_anomalies a WHERE a.epc = c.epc AND a.status = 'open') \
         FROM trace_codes c LEFT JOIN products p ON p.id = c.product_id LEFT JOIN orgs o ON o.id = p.mah_org_id \
         LEFT JOIN trace_sites s ON s.id = c.holder WHERE c.epc = $1",
        cols.join(", ")
    );
    let Some(r) = sqlx::query(&sql).bind(key).fetch_optional(store.pool()).await? else { return Ok(None) };
    let (key, c) = code_from(&r)?;
    Ok(Some(CodeView {
        uri: epc::uri(&key),
        display: epc::display(&key),
        level: c.level,
        product_id: c.product_id,
        product_name: r.try_get(13)?,
        approval_number: r.try_get(14)?,
        manufacturer: r.try_get(15)?,
        batch: c.batch,
        expiry: c.expiry,
        state: c.state.into(),
        holder: c.holder,
        holder_name: r.try_get(16)?,
        parent: c.parent,
        children: r.try_get(17)?,
        first_time: c.first_time,
        last_time: c.last_time,
        recall_id: c.recall_id,
        open_recalls_of_product: r.try_get(18)?,
        open_anomalies: r.try_get(19)?,
        key,
    }))
}

/// A code's state and whole history as `reach` may see them: `None` when no such code has been
/// reported, or when none of its events happened in the reader's area (a local bureau traces a
/// code that passed through its area end to end; any other code does not exist for it). The
/// page and the API both read a code through here.
pub async fn traced(
    store: &Store,
    reach: &TraceReach,
    key: &str,
) -> Result<Option<(CodeView, Vec<HistoryItem>)>, TraceError> {
    let Some(view) = code(store, key).await? else { return Ok(None) };
    let history = history(store, key).await?;
    if !reach.traces_through(history.iter().filter_map(|h| h.site.as_deref())) {
        return Ok(None);
    }
    Ok(Some((view, history)))
}

/// One line of a code's history: an event, and through which container it reached the code
/// (`None` when the event names the code itself).
#[derive(Debug, Clone, Serialize)]
pub struct HistoryItem {
    /// The event's stored id (its proof: `anchor::proof`).
    pub id: i64,
    pub via: Option<String>,
    pub event_time: i64,
    /// When it was captured.
    pub record_time: i64,
    /// Captured after an event later in time had been (迟报, a late report): it is history,
    /// and did not change the code's state.
    pub late: bool,
    pub event_type: String,
    pub action: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub site: Option<String>,
    pub site_name: Option<String>,
    pub event: Value,
}

/// A code's full history: the events that name it, and the events on each case or pallet it
/// was packed in while it was inside (from the packing to the unpacking), oldest first.
pub async fn history(store: &Store, key: &str) -> Result<Vec<HistoryItem>, TraceError> {
    // (container, from, until) intervals, found level by level (a unit's case, the case's pallet).
    let mut intervals: Vec<(Option<String>, i64, i64)> = vec![(None, i64::MIN, i64::MAX)];
    let mut frontier: Vec<(String, i64, i64)> = vec![(key.to_string(), i64::MIN, i64::MAX)];
    let mut seen = HashSet::from([key.to_string()]);
    for _ in 0..3 {
        let mut next = Vec::new();
        for (child, lo, hi) in &frontier {
            // Aggregation events naming `child` as a child, in time order.
            let rows = sqlx::query(
                "SELECT e.event_time, e.action, p.epc FROM trace_event_epcs x JOIN trace_events e ON e.id = x.event_id \
                 JOIN trace_event_epcs p ON p.event_id = e.id AND p.role = 1 \
                 WHERE x.epc = $1 AND x.role = 2 AND e.event_type = 'AggregationEvent' ORDER BY e.event_time, e.id",
            )
            .bind(child)
            .fetch_all(store.pool())
            .await?;
            let mut adds = Vec::new();
            for r in rows {
                let action: Option<String> = r.try_get(1)?;
                if action.as_deref() == Some("ADD") {
                    adds.push((r.try_get::<String, _>(2)?, r.try_get::<i64, _>(0)?));
                }
            }
            // It leaves the container when an unpacking names it (or names no child: all out),
            // or when it is sold, dispensed or destroyed itself.
            let until_own = sqlx::query(
                "SELECT MIN(e.event_time) FROM trace_event_epcs x JOIN trace_events e ON e.id = x.event_id \
                 WHERE x.epc = $1 AND x.role = 0 AND e.biz_step IN ('retail_selling', 'dispensing', 'destroying')",
            )
            .bind(child)
            .fetch_one(store.pool())
            .await?
            .try_get::<Option<i64>, _>(0)?
            .unwrap_or(i64::MAX);
            let mut spans = Vec::new();
            for (parent, from) in adds {
                let unpacked = sqlx::query(
                    "SELECT MIN(e.event_time) FROM trace_event_epcs p JOIN trace_events e ON e.id = p.event_id \
                     WHERE p.epc = $1 AND p.role = 1 AND e.event_type = 'AggregationEvent' AND e.action = 'DELETE' \
                     AND e.event_time >= $2 AND (EXISTS (SELECT 1 FROM trace_event_epcs c WHERE c.event_id = e.id \
                     AND c.role = 2 AND c.epc = $3) OR NOT EXISTS (SELECT 1 FROM trace_event_epcs c \
                     WHERE c.event_id = e.id AND c.role = 2))",
                )
                .bind(&parent)
                .bind(from)
                .bind(child)
                .fetch_one(store.pool())
                .await?
                .try_get::<Option<i64>, _>(0)?
                .unwrap_or(i64::MAX);
                spans.push((parent, from, unpacked.min(until_own)));
            }
            for (parent, from, until) in spans {
                let (a, b) = (from.max(*lo), until.min(*hi));
                if a <= b && seen.insert(parent.clone()) {
                    intervals.push((Some(parent.clone()), a, b));
                    next.push((parent, a, b));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let mut out = Vec::new();
    // An event that names the code and its container (a packing) is listed once, as its own.
    let mut listed = HashSet::new();
    for (via, lo, hi) in &intervals {
        let target = via.as_deref().unwrap_or(key);
        let rows = sqlx::query(
            "SELECT e.id, e.hash, e.event_id, e.record_time, e.body, e.event_time, e.event_type, e.action, e.biz_step, \
             e.disposition, COALESCE(e.biz_location, e.read_point), s.name, d.declaration FROM trace_events e \
             LEFT JOIN trace_event_declarations d ON d.event_id = e.id \
             LEFT JOIN trace_sites s ON s.id = COALESCE(e.biz_location, e.read_point) \
             WHERE e.id IN (SELECT event_id FROM trace_event_epcs WHERE epc = $1) \
             AND e.event_time >= $2 AND e.event_time <= $3 ORDER BY e.event_time, e.id",
        )
        .bind(target)
        .bind(*lo)
        .bind(*hi)
        .fetch_all(store.pool())
        .await?;
        for r in rows {
            let id: i64 = r.try_get(0)?;
            if !listed.insert(id) {
                continue;
            }
            out.push(HistoryItem {
                id,
                via: via.clone(),
                event_time: r.try_get(5)?,
                record_time: r.try_get(3)?,
                late: false,
                event_type: r.try_get(6)?,
                action: r.try_get(7)?,
                biz_step: r.try_get(8)?,
                disposition: r.try_get(9)?,
                site: r.try_get(10)?,
                site_name: r.try_get(11)?,
                event: event_json(&r)?,
            });
        }
    }
    out.sort_by_key(|h| (h.event_time, h.via.is_some()));
    mark_late(&mut out);
    Ok(out)
}

/// Marks the items (in event-time order) captured after an item later in event time was.
fn mark_late(items: &mut [HistoryItem]) {
    // Walking back in event time: the earliest capture among strictly later events.
    let mut earliest_later = i64::MAX;
    for same_time in items.chunk_by_mut(|a, b| a.event_time == b.event_time).rev() {
        for h in same_time.iter_mut() {
            h.late = h.record_time > earliest_later;
        }
        earliest_later = same_time.iter().map(|h| h.record_time).fold(earliest_later, i64::min);
    }
}

/// Units of a batch at one holder in one state.
#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    pub site: Option<String>,
    pub site_name: Option<String>,
    pub site_kind: Option<String>,
    pub org_id: Option<i64>,
    pub state: String,
    pub units: i64,
}

/// Where-to (去向) for a product's batch: every holder of its units that `reach` covers (a
/// local bureau: the holders in its area), with counts per state.
pub async fn where_to(
    store: &Store,
    reach: &TraceReach,
    product_id: i64,
    batch: &str,
) -> Result<Vec<Holding>, TraceError> {
    let rows = sqlx::query(
        "SELECT c.holder, s.name, s.kind, s.org_id, c.state, COUNT(*) FROM trace_codes c \
         LEFT JOIN trace_sites s ON s.id = c.holder \
         WHERE c.product_id = $1 AND c.batch = $2 AND c.level = 'unit' \
         GROUP BY c.holder, s.name, s.kind, s.org_id, c.state ORDER BY COUNT(*) DESC, c.holder",
    )
    .bind(product_id)
    .bind(batch)
    .fetch_all(store.pool())
    .await?;
    let holdings: Vec<Holding> = rows
        .iter()
        .map(|r| {
            Ok::<_, sqlx::Error>(Holding {
                site: r.try_get(0)?,
                site_name: r.try_get(1)?,
                site_kind: r.try_get(2)?,
                org_id: r.try_get(3)?,
                state: r.try_get(4)?,
                units: r.try_get(5)?,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(holdings.into_iter().filter(|h| reach.is_all() || h.site.as_deref().is_some_and(|s| reach.covers(s))).collect())
}

/// Stock of a site by where it came from (来源).
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub source: Option<String>,
    pub source_name: Option<String>,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    pub batch: Option<String>,
    pub units: i64,
}

/// Where-from (来源) for a site the reader may see (a bureau: any; a company: its own), the
/// site given in any form `codes::epc` reads; another company's site does not exist for it.
pub async fn where_from_for(
    store: &Store,
    principal: &yaolian_access::Principal,
    site: &str,
    client: &yaolian_access::ClientInfo,
) -> Result<Vec<Source>, TraceError> {
    let reach = crate::access::reach(store, principal, "trace.where_from", client).await?;
    let key = epc::key(site, Timestamp::now().china_date())
        .map_err(|e| yaolian_core::ValidationError { errors: vec![e.into_field("site")] })?;
    if !reach.covers(&key) {
        return Err(TraceError::not_found("site"));
    }
    where_from(store, &key).await
}

/// Where-from (来源) for the units a site holds now (received, not yet sold or destroyed).
pub(crate) async fn where_from(store: &Store, site: &str) -> Result<Vec<Source>, TraceError> {
    let rows = sqlx::query(
        "SELECT c.source, s.name, c.product_id, p.generic_name, c.batch, COUNT(*) FROM trace_codes c \
         LEFT JOIN trace_sites s ON s.id = c.source LEFT JOIN products p ON p.id = c.product_id \
         WHERE c.holder = $1 AND c.state IN ('received', 'packed', 'commissioned', 'returned') AND c.level = 'unit' \
         GROUP BY c.source, s.name, c.product_id, p.generic_name, c.batch ORDER BY COUNT(*) DESC",
    )
    .bind(site)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Source {
                source: r.try_get(0)?,
                source_name: r.try_get(1)?,
                product_id: r.try_get(2)?,
                product_name: r.try_get(3)?,
                batch: r.try_get(4)?,
                units: r.try_get(5)?,
            })
        })
        .collect()
}

/// Products to pick from in trace forms (recall, where-to): id and "通用名（批准文号）".
pub async fn product_choices(store: &Store) -> Result<Vec<(i64, String)>, TraceError> {
    product_choices_where(store, |_| true).await
}

/// The products of [`product_choices`] whose MAH's organization path passes `keep` (the
/// products a form may offer to act on).
pub(crate) async fn product_choices_where(
    store: &Store,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<(i64, String)>, TraceError> {
    let rows = sqlx::query(
        "SELECT p.id, p.generic_name, p.approval_number, o.path FROM products p JOIN orgs o ON o.id = p.mah_org_id \
         ORDER BY p.generic_name, p.id LIMIT 500",
    )
    .fetch_all(store.pool())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        if keep(&r.try_get::<String, _>(3)?) {
            out.push((r.try_get(0)?, format!("{}（{}）", r.try_get::<String, _>(1)?, r.try_get::<String, _>(2)?)));
        }
    }
    Ok(out)
}

/// Stored events, codes and sites that `reach` covers (a local bureau: events at the sites in
/// its area, codes held there, those sites).
pub async fn totals(store: &Store, reach: &TraceReach) -> Result<(i64, i64, i64), TraceError> {
    let Some(sites) = reach.sites() else {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM trace_events), (SELECT COUNT(*) FROM trace_codes), (SELECT COUNT(*) FROM trace_sites)",
        )
        .fetch_one(store.pool())
        .await?;
        return Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
    };
    let mut p = Params::new();
    let mut list: Vec<String> = sites.iter().map(|s| p.push(s.as_str())).collect();
    if list.is_empty() {
        list.push("NULL".into());
    }
    let list = list.join(",");
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM trace_events e WHERE COALESCE(e.biz_location, e.read_point) IN ({list})), \
         (SELECT COUNT(*) FROM trace_codes c WHERE c.holder IN ({list}))"
    );
    let row = p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?;
    Ok((row.try_get(0)?, row.try_get(1)?, sites.len() as i64))
}
