//! EPCIS capture: a document (or one event) checked, authorized site by site, and stored by
//! `ingest`; asynchronous captures are tracked as jobs whose status lists per-event errors.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{FieldError, Timestamp, ValidationError};
use yaolian_store::Store;

use crate::epcis;
use crate::ingest::{self, Incoming, Options, Outcome};
use crate::TraceError;

/// The most events one capture document may hold (EPCIS lets a server set its limit and say it
/// in `GS1-EPCIS-Capture-Limit`); the limits of a capture document are
/// [`epcis::DocumentLimits::CAPTURE`].
pub const CAPTURE_LIMIT: usize = epcis::DocumentLimits::CAPTURE.max_events;

/// Parses a capture document within [`epcis::DocumentLimits::CAPTURE`] on a blocking thread,
/// so that a large document never holds an async worker.
pub async fn read_document<B: AsRef<[u8]> + Send + 'static>(body: B) -> Result<Value, epcis::DocumentError> {
    let parsed =
        tokio::task::spawn_blocking(move || epcis::parse_document(body.as_ref(), &epcis::DocumentLimits::CAPTURE))
            .await;
    parsed.unwrap_or_else(|e| Err(epcis::DocumentError::Malformed(format!("the document could not be read: {e}"))))
}

/// `GS1-Capture-Error-Behaviour`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Behaviour {
    Rollback,
    Proceed,
}

impl Behaviour {
    pub fn parse(s: Option<&str>) -> Result<Behaviour, FieldError> {
        match s.map(str::trim) {
            None | Some("") | Some("rollback") => Ok(Behaviour::Rollback),
            Some("proceed") => Ok(Behaviour::Proceed),
            Some(other) => Err(FieldError::new(
                "GS1-Capture-Error-Behaviour",
                "one_of:rollback,proceed",
                format!("unknown capture error behaviour {other:?}"),
            )),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Behaviour::Rollback => "rollback",
            Behaviour::Proceed => "proceed",
        }
    }
}

/// Which sites a principal may report events for: `None` for any (a bureau, the operator).
pub async fn reporting_sites(
    store: &Store,
    principal: &Principal,
    client: &ClientInfo,
) -> Result<Option<HashSet<String>>, TraceError> {
    if crate::access::manages_all(principal) {
        return Ok(None);
    }
    // A local bureau reports where it supervises (属地); a company at its own sites.
    let bureau = principal.org_kind().is_regulator() && principal.has(perm::TRACE_MANAGE);
    if !bureau && !principal.has(perm::TRACE_CAPTURE) {
        return Err(audit::deny(store, principal, perm::TRACE_CAPTURE, "epcis", client).await);
    }
    Ok(Some(crate::access::area_sites(store, principal).await?))
}

/// Events checked: those to store, and each refused one's index and errors.
pub type Prepared = (Vec<Incoming>, Vec<(usize, Vec<FieldError>)>);

/// Checks events (the document's `eventList`, numbered from `first_index`) and, with
/// `allowed`, that each happened at one of those sites.
pub fn prepare(
    events: &[Value],
    first_index: usize,
    allowed: Option<&HashSet<String>>,
    today: chrono::NaiveDate,
) -> Prepared {
    let mut good = Vec::with_capacity(events.len());
    let mut bad = Vec::new();
    for (i, v) in events.iter().enumerate() {
        let index = first_index + i;
        match epcis::check(v, index, today) {
            Ok(event) => {
                if let Some(allowed) = allowed {
                    let ok = event.site().is_some_and(|s| allowed.contains(s));
                    if !ok {
                        bad.push((
                            index,
                            vec![FieldError::new(
                                format!("eventList[{index}].bizLocation"),
                                "own_site",
                                "name one of your company's registered sites as bizLocation or readPoint",
                            )],
                        ));
                        continue;
                    }
                }
                good.push(Incoming::new(index, event, v.to_string()));
            }
            Err(errors) => bad.push((index, errors)),
        }
    }
    (good, bad)
}

/// `prepare` on a blocking thread, so that checking one batch overlaps storing the one before
/// (bulk imports: the CPU work and the database work then use two cores).
pub fn prepare_in_background(
    events: Vec<Value>,
    first_index: usize,
    today: chrono::NaiveDate,
) -> tokio::task::JoinHandle<Prepared> {
    tokio::task::spawn_blocking(move || prepare(&events, first_index, None, today))
}

/// Captures a whole document synchronously: every event checked, then stored in one
/// transaction; under `Rollback` nothing is stored when any event is refused.
pub async fn capture_events(
    store: &Store,
    events: &[Value],
    allowed: Option<&HashSet<String>>,
    behaviour: Behaviour,
    capture_id: Option<i64>,
    reporter: ingest::Reporter,
) -> Result<Outcome, TraceError> {
    let today = Timestamp::now().china_date();
    let (good, mut bad) = prepare(events, 0, allowed, today);
    if behaviour == Behaviour::Rollback && !bad.is_empty() {
        return Ok(Outcome { refused: bad, ..Outcome::default() });
    }
    let options =
        Options { capture_id, all_or_nothing: behaviour == Behaviour::Rollback, duplicates_are_errors: true, reporter };
    let mut outcome = ingest::store(store, good, options).await?;
    bad.append(&mut outcome.refused);
    bad.sort_by_key(|(i, _)| *i);
    outcome.refused = bad;
    Ok(outcome)
}

/// Captures one event synchronously (`POST /epcis/events`) as `principal`: checked, authorized
/// for the principal's sites, stored as a capture job of one. Returns its event ID (as sent, or
/// the hash ID); an event already stored is `TraceError::DuplicateEvent`.
pub async fn capture_one(
    store: &Store,
    principal: &Principal,
    event: Value,
    client: &ClientInfo,
) -> Result<String, TraceError> {
    let allowed = reporting_sites(store, principal, client).await?;
    if let Some(e) = crate::schema::standalone_context(&event) {
        return Err(ValidationError { errors: vec![e] }.into());
    }
    let events = [event];
    let (good, bad) = prepare(&events, 0, allowed.as_ref(), Timestamp::now().china_date());
    if let Some((_, errors)) = bad.into_iter().next() {
        return Err(ValidationError { errors }.into());
    }
    let hash = good.first().map(|g| g.event.hash).unwrap_or([0; 32]);
    let id = start(store, principal, 1, Behaviour::Rollback, client).await?;
    let reporter = ingest::Reporter::of(principal);
    let result = capture_events(store, &events, allowed.as_ref(), Behaviour::Rollback, Some(id), reporter).await;
    finish(store, id, &result).await?;
    let outcome = result?;
    if outcome.duplicates > 0 {
        return Err(TraceError::DuplicateEvent);
    }
    if let Some((_, errors)) = outcome.refused.into_iter().next() {
        return Err(ValidationError { errors }.into());
    }
    Ok(events[0].get("eventID").and_then(Value::as_str).map_or_else(|| crate::hash::hash_id(&hash), str::to_string))
}

/// The events of an EPCIS document (see `epcis::event_list`), at most `CAPTURE_LIMIT`, once
/// the document's envelope passes the EPCIS 2.0 JSON Schema (its events are checked one by one
/// when they are prepared), each carrying the document's `@context` (see [`carry_context`]).
pub fn event_list(doc: &Value) -> Result<Vec<Value>, ValidationError> {
    let list = epcis::event_list(doc).map_err(|e| ValidationError { errors: vec![e] })?;
    if list.len() > CAPTURE_LIMIT {
        return Err(ValidationError {
            errors: vec![FieldError::new(
                "epcisBody.eventList",
                format!("max_events:{CAPTURE_LIMIT}"),
                format!("at most {CAPTURE_LIMIT} events per capture; send {} in several documents", list.len()),
            )],
        });
    }
    let errors = crate::schema::envelope(doc);
    if !errors.is_empty() {
        return Err(ValidationError { errors });
    }
    let mut events = list.to_vec();
    carry_context(doc, &mut events);
    Ok(events)
}

/// Gives each event the document's `@context` when that defines prefixes (an object in it) and
/// the event has no `@context` of its own. The event's JSON, stored alone, then still says what
/// its extension prefixes mean, and hashes (`hash::event_hash`) as it did inside its document.
pub fn carry_context(doc: &Value, events: &mut [Value]) {
    let Some(context) = doc.get("@context") else { return };
    let defines = match context {
        Value::Array(items) => items.iter().any(Value::is_object),
        other => other.is_object(),
    };
    if !defines {
        return;
    }
    for e in events {
        if let Some(m) = e.as_object_mut() {
            m.entry("@context").or_insert_with(|| context.clone());
        }
    }
}

/// A capture job's status (`GET /epcis/capture/{id}`).
#[derive(Debug, Clone, Serialize)]
pub struct CaptureStatus {
    #[serde(rename = "captureID")]
    pub id: String,
    pub running: bool,
    pub success: bool,
    #[serde(rename = "captureErrorBehaviour")]
    pub behaviour: String,
    pub total: i64,
    pub stored: i64,
    pub errors: Vec<Value>,
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "finishedAt", skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// Starts a capture job.
pub async fn start(
    store: &Store,
    principal: &Principal,
    total: usize,
    behaviour: Behaviour,
    client: &ClientInfo,
) -> Result<i64, TraceError> {
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO trace_captures (status, behaviour, total, user_id, created_at) VALUES ('accepted', $1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(behaviour.as_str())
    .bind(total as i64)
    .bind((!principal.is_system()).then_some(principal.user_id()))
    .bind(Timestamp::now().millis())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let target = format!("capture:{id}");
    let detail = format!("{total} events, {}", behaviour.as_str());
    audit::record(
        &mut tx,
        audit::Event { detail: &detail, ..audit::Event::by(principal, audit::action::TRACE_CAPTURE, &target, client) },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Records how a capture job ended: its per-event errors as EPCIS problem entries.
pub async fn finish(store: &Store, id: i64, result: &Result<Outcome, TraceError>) -> Result<(), TraceError> {
    let (failed, stored, errors) = match result {
        Ok(o) => {
            let failed = !o.refused.is_empty() && o.stored == 0;
            let errors: Vec<Value> = o
                .refused
                .iter()
                .map(|(index, errs)| serde_json::json!({"eventIndex": index, "errors": errs}))
                .collect();
            (failed, o.stored as i64, errors)
        }
        Err(e) => (true, 0, vec![serde_json::json!({"detail": e.to_string()})]),
    };
    finish_with(store, id, failed, stored, errors).await
}

/// Records how a capture job ended: failed or not, how many events were stored, and the
/// refusals (for an upload, each naming its line: `{"line": 7, "errors": […]}`).
pub async fn finish_with(
    store: &Store,
    id: i64,
    failed: bool,
    stored: i64,
    errors: Vec<Value>,
) -> Result<(), TraceError> {
    let status = if failed { "failed" } else { "succeeded" };
    sqlx::query("UPDATE trace_captures SET status = $1, stored = $2, errors = $3, finished_at = $4 WHERE id = $5")
        .bind(status)
        .bind(stored)
        .bind(Value::Array(errors).to_string())
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Marks as failed the capture jobs accepted more than 10 minutes ago and still running: a job
/// runs inside the process that accepted it and takes seconds, so such a job's process stopped
/// (its one transaction never committed). Returns how many.
pub async fn fail_interrupted(store: &Store) -> Result<u64, TraceError> {
    let errors = serde_json::json!([{"detail": "the server stopped before this capture finished; nothing of it was stored, send it again"}]);
    let now = Timestamp::now();
    let n = sqlx::query(
        "UPDATE trace_captures SET status = 'failed', errors = $1, finished_at = $2 \
         WHERE status = 'accepted' AND created_at < $3",
    )
    .bind(errors.to_string())
    .bind(now.millis())
    .bind(now.plus_seconds(-600).millis())
    .execute(store.pool())
    .await?
    .rows_affected();
    Ok(n)
}

/// A capture job's status, for the user who started it (or anyone reading all trace data).
pub async fn status(store: &Store, principal: &Principal, id: i64) -> Result<CaptureStatus, TraceError> {
    let row = sqlx::query(
        "SELECT status, behaviour, total, stored, errors, created_at, finished_at, user_id FROM trace_captures WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?
    .ok_or(TraceError::not_found("capture"))?;
    let owner: Option<i64> = row.try_get(7)?;
    let reader = crate::access::is_bureau_reader(principal);
    if !reader && owner != Some(principal.user_id()) {
        return Err(TraceError::not_found("capture"));
    }
    let status: String = row.try_get(0)?;
    let errors: String = row.try_get(4)?;
    let finished: Option<i64> = row.try_get(6)?;
    Ok(CaptureStatus {
        id: id.to_string(),
        running: status == "accepted",
        success: status == "succeeded",
        behaviour: row.try_get(1)?,
        total: row.try_get(2)?,
        stored: row.try_get(3)?,
        errors: serde_json::from_str(&errors).unwrap_or_default(),
        created_at: Timestamp(row.try_get(5)?).to_rfc3339(),
        finished_at: finished.map(|f| Timestamp(f).to_rfc3339()),
    })
}
