//! Storing checked events: each batch in one transaction, with set-based reads and multi-row
//! writes. For a batch the engine
//!
//! 1. drops events already stored (by event hash) or repeated within the batch;
//! 2. resolves the product (一品一档) of every commissioned code, refusing codes of no
//!    registered product;
//! 3. loads the current state of every code the batch names, and of everything packed inside
//!    them, with one query per 1,000 codes;
//! 4. applies the events in order of event time in memory: state, holder, parent; an event on a
//!    case applies to what it contains; each rule broken is an anomaly (see `Anomaly`). An event
//!    older than what a code has seen since (a late report) is kept in its history but changes
//!    neither its state, holder nor parent, and is judged only by the rules its own time decides;
//! 5. writes the events, which codes they name, the changed code states, the anomalies and the
//!    day's sales per site, each as multi-row statements.
//!
//! Architecture Invariant: this is the only code that writes `trace_events`, `trace_codes` and
//! `trace_anomalies` (recalls write `trace_codes.recall_id` through `recall`).

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

mod io;

use serde::Serialize;
use yaolian_core::{FieldError, Timestamp};
use yaolian_ledger::batch::{self, BatchRecord};
use yaolian_ledger::{Hash, HashAlg};
use yaolian_store::sql::Value;
use yaolian_store::{Backend, NewVersion, Store};

pub(crate) use io::code_from;
use io::{native_error, By, Io};
use yaolian_store::exec::finish_now;

use crate::codes::epc::{self, ProductKey};
use crate::epcis::{Event, Role};
use crate::TraceError;

/// How long a code needs at least to get from one site to another: within a province, and
/// between provinces. Seen sooner than this at another site is an anomaly.
pub const MIN_GAP_SAME_PROVINCE_MS: i64 = 5 * 60 * 1000;
pub const MIN_GAP_OTHER_PROVINCE_MS: i64 = 2 * 60 * 60 * 1000;

/// A pharmacy selling more than this many times its own daily mean over the previous 30 days
/// (and at least `SPIKE_MIN_UNITS` units) in one day is an anomaly; it needs 7 days of history.
pub const SPIKE_FACTOR: i64 = 5;
pub const SPIKE_MIN_UNITS: i64 = 20;
pub const SPIKE_MIN_HISTORY_DAYS: i64 = 7;

/// An event to store: checked, with its place in what was sent and its JSON as sent.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub index: usize,
    pub event: Event,
    pub body: String,
    /// Its leaf in a batch's tree under SM3, the ledger's default hash
    /// (`yaolian_ledger::batch::event_leaf`), computed where the event is checked — on the
    /// checking thread of a bulk import, beside the writer.
    pub sm3_leaf: Hash,
}

impl Incoming {
    pub fn new(index: usize, event: Event, body: String) -> Incoming {
        let sm3_leaf = batch::event_leaf(HashAlg::Sm3, &event.hash, body.as_bytes());
        Incoming { index, event, body, sm3_leaf }
    }

    fn leaf(&self, alg: HashAlg) -> Hash {
        match alg {
            HashAlg::Sm3 => self.sm3_leaf,
            other => batch::event_leaf(other, &self.event.hash, self.body.as_bytes()),
        }
    }
}

/// How a batch is stored.
#[derive(Debug, Clone)]
pub struct Options {
    pub capture_id: Option<i64>,
    /// Store nothing when any event is refused (EPCIS `GS1-Capture-Error-Behaviour: rollback`).
    pub all_or_nothing: bool,
    /// An event already stored is refused (capture) rather than skipped (a resumed import).
    pub duplicates_are_errors: bool,
    /// Who reported the batch, as its ledger entry names them.
    pub reporter: Reporter,
}

impl Options {
    /// A bulk load by the operator (import, demo, generator): a refused event is left out and
    /// an event stored before is skipped.
    pub fn bulk() -> Options {
        Options { capture_id: None, all_or_nothing: false, duplicates_are_errors: false, reporter: Reporter::system() }
    }
}

/// The reporting party of a batch: the user (`system` for the operator) and their company.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub actor: String,
    pub org_id: Option<i64>,
}

impl Reporter {
    pub fn of(principal: &yaolian_access::Principal) -> Reporter {
        Reporter {
            actor: principal.username().to_string(),
            org_id: (!principal.is_system()).then_some(principal.org_id()),
        }
    }

    pub fn system() -> Reporter {
        Reporter { actor: "system".into(), org_id: None }
    }
}

/// What a batch did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Outcome {
    pub stored: usize,
    pub duplicates: usize,
    /// Stored events declared in error by this batch (EPCIS error declarations).
    pub declared: usize,
    pub anomalies: usize,
    /// Refused events: index as sent, and why.
    pub refused: Vec<(usize, Vec<FieldError>)>,
    /// The stored events' row ids, in the order stored.
    pub ids: Vec<i64>,
    /// `not_holder` anomalies withdrawn because a late receipt supplied the missing event.
    pub withdrawn: usize,
    /// Late receipts of this batch, for the withdrawal after the commit.
    #[serde(skip)]
    pub(crate) late_receipts: Vec<crate::anomalies::LateReceipt>,
}

/// The anomaly kinds (异常类型), each a rule of the supply chain.
pub const ANOMALY_KINDS: &[(&str, &str, &str)] = &[
    ("duplicate_commissioning", "重复赋码", "code commissioned again"),
    ("not_holder", "非持有方流转", "moved or sold by a party that does not hold it"),
    ("receipt_without_shipment", "无发货收货", "received without a shipment"),
    ("unknown_code", "未赋码", "code never commissioned"),
    ("sale_expired", "销售过期药品", "expired pack sold"),
    ("sale_recalled", "销售召回药品", "recalled pack sold"),
    ("sale_destroyed", "销售已销毁药品", "destroyed pack sold"),
    ("sold_twice", "重复销售", "pack sold twice"),
    ("already_aggregated", "重复包装关联", "packed while inside another case"),
    ("too_close", "异地间隔过短", "seen at two places too close in time"),
    ("sales_spike", "销量异常", "daily sales far above the site's 30-day level"),
];

/// Physical states of a code.
pub const STATES: &[(&str, &str, &str)] = &[
    ("commissioned", "已赋码", "commissioned"),
    ("packed", "已包装", "packed"),
    ("shipped", "已发货", "shipped"),
    ("received", "已收货", "received"),
    ("sold", "已售出", "sold"),
    ("dispensed", "已调配", "dispensed"),
    ("destroyed", "已销毁", "destroyed"),
    ("returned", "已退回", "returned"),
];

pub(crate) use crate::packs::PackLevel as Level;

/// A level as `trace_codes` and the prefix lookup store it (a unit unless it says otherwise).
pub(crate) fn level_of(s: &str) -> Level {
    Level::parse(s).unwrap_or(Level::Unit)
}

/// A code's current state as stored in `trace_codes`.
#[derive(Debug, Clone)]
pub(crate) struct CodeState {
    pub level: Level,
    pub product_id: Option<i64>,
    pub batch: Option<String>,
    pub expiry: Option<String>,
    pub state: &'static str,
    pub holder: Option<String>,
    pub source: Option<String>,
    pub parent: Option<String>,
    pub first_time: i64,
    pub last_time: i64,
    pub last_site: Option<String>,
    pub recall_id: Option<i64>,
}

macro_rules! code_columns {
    () => {
        "epc, level, product_id, batch, expiry, state, holder, source, parent, first_time, last_time, last_site, recall_id"
    };
}

pub(crate) const CODE_COLUMNS: &str = code_columns!();

/// The rows the engine writes, as (`INSERT` head, values per row): events, which codes each
/// names in which role, and code states. The benchmark's raw-insert baseline writes the same.
pub const EVENT_ROWS: (&str, usize) = (
    "INSERT INTO trace_events (id, hash, event_id, event_type, action, biz_step, disposition, read_point, \
     biz_location, event_time, record_time, capture_id, body)",
    13,
);
pub const DECLARATION_ROWS: (&str, usize) =
    ("INSERT INTO trace_event_declarations (event_id, declaration, record_time)", 3);
pub const EVENT_EPC_ROWS: (&str, usize) = ("INSERT INTO trace_event_epcs (epc, event_id, role)", 3);
pub const CODE_ROWS: (&str, usize) = (concat!("INSERT INTO trace_codes (", code_columns!(), ")"), 13);

pub(crate) fn state_name(s: &str) -> &'static str {
    STATES.iter().find(|(k, _, _)| *k == s).map_or("commissioned", |(k, _, _)| k)
}

/// An anomaly found while applying a batch.
#[derive(Debug, Clone)]
struct Found {
    kind: &'static str,
    epc: Option<String>,
    site: Option<String>,
    detail: String,
    /// Position of the event in the stored list; `None` for a site-day rule.
    event: Option<usize>,
    time: i64,
    dedup: Option<String>,
}

/// The codes of a batch: loaded state, what changed, and who contains what.
#[derive(Default)]
struct World {
    codes: HashMap<String, CodeState>,
    dirty: HashSet<String>,
    children: HashMap<String, Vec<String>>,
    sites: HashMap<String, String>,
    /// Open recalls by id (to tell a recalled pack's sale).
    found: Vec<Found>,
    /// Units sold per (site, China day).
    sales: HashMap<(String, String), i64>,
    /// China calendar days by day number, formatted once per batch.
    days: HashMap<i64, String>,
    /// Receipts older than what their code had seen (迟报): they may withdraw a `not_holder`.
    late_receipts: Vec<crate::anomalies::LateReceipt>,
}

impl World {
    fn insert(&mut self, key: String, code: CodeState) {
        if let Some(p) = &code.parent {
            self.children.entry(p.clone()).or_default().push(key.clone());
        }
        self.dirty.insert(key.clone());
        self.codes.insert(key, code);
    }

    fn set_parent(&mut self, key: &str, parent: Option<String>) {
        let Some(code) = self.codes.get_mut(key) else { return };
        if let Some(old) = code.parent.take() {
            if let Some(list) = self.children.get_mut(&old) {
                list.retain(|c| c != key);
            }
        }
        if let Some(p) = &parent {
            self.children.entry(p.clone()).or_default().push(key.to_string());
        }
        code.parent = parent;
        self.dirty.insert(key.to_string());
    }

    /// Everything packed inside `key`, at any depth.
    fn descendants(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.children.get(key).is_none_or(Vec::is_empty) {
            return out;
        }
        let mut stack = vec![key.to_string()];
        let mut depth = 0;
        while let Some(k) = stack.pop() {
            depth += 1;
            if depth > 1_000_000 {
                break;
            }
            if let Some(list) = self.children.get(&k) {
                for c in list {
                    out.push(c.clone());
                    stack.push(c.clone());
                }
            }
        }
        out
    }

    fn found(&mut self, kind: &'static str, epc: &str, site: Option<&str>, event: usize, time: i64, detail: String) {
        self.found.push(Found {
            kind,
            epc: Some(epc.to_string()),
            site: site.map(str::to_string),
            detail,
            event: Some(event),
            time,
            dedup: None,
        });
    }

    /// The China calendar day (`YYYY-MM-DD`) of a time in milliseconds.
    fn day(&mut self, ms: i64) -> String {
        let n = Timestamp(ms).china_day_number();
        self.days.entry(n).or_insert_with(|| china_day(ms)).clone()
    }

    /// `k` has seen something later than `t`.
    fn is_late(&self, k: &str, t: i64) -> bool {
        self.codes.get(k).is_some_and(|c| t < c.last_time)
    }

    fn province(&self, site: &str) -> Option<&str> {
        self.sites.get(site).map(String::as_str).filter(|p| !p.is_empty())
    }
}

/// The China calendar day of a time in milliseconds.
fn china_day(ms: i64) -> String {
    Timestamp(ms).china_date().format("%Y-%m-%d").to_string()
}

/// Stores a batch of checked events (see the module documentation) in one transaction: on a
/// SQLite file through its native connection, otherwise through the pool.
pub async fn store(store: &Store, incoming: Vec<Incoming>, options: Options) -> Result<Outcome, TraceError> {
    if store.has_native_sqlite() {
        let native = store.with_native_sqlite(move |conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(native_error)?;
            let outcome = finish_now(run(&mut io::Native { tx: &tx }, incoming, options))?;
            let t = std::time::Instant::now();
            tx.commit().map_err(native_error)?;
            tracing::debug!(commit = ?t.elapsed(), "trace batch committed");
            Ok::<_, TraceError>(outcome)
        });
        return withdraw_superseded(store, native.await?).await;
    }
    let mut db = io::Pooled { tx: store.begin().await?, backend: store.backend() };
    if store.backend() == Backend::Sqlite {
        // Serialize writers: SQLite takes its write lock here rather than at the first insert,
        // so that the state read below stays current; PostgreSQL locks in `first_event_id`.
        sqlx::query("UPDATE trace_captures SET id = id WHERE id = -1").execute(&mut *db.tx).await?;
    }
    let outcome = run(&mut db, incoming, options).await?;
    db.tx.commit().await?;
    withdraw_superseded(store, outcome).await
}

/// After a batch's commit: the `not_holder` anomalies its late receipts show were wrong are
/// withdrawn (自动撤销, `anomalies::withdraw_superseded`).
async fn withdraw_superseded(store: &Store, mut outcome: Outcome) -> Result<Outcome, TraceError> {
    let late = std::mem::take(&mut outcome.late_receipts);
    if !late.is_empty() {
        outcome.withdrawn = crate::anomalies::withdraw_superseded(store, &late).await?;
    }
    Ok(outcome)
}

/// The engine: every read, rule and write of one batch, inside the caller's transaction.
async fn run<D: Io>(db: &mut D, incoming: Vec<Incoming>, options: Options) -> Result<Outcome, TraceError> {
    let started = std::time::Instant::now();
    let mut phases: Vec<(&str, std::time::Duration)> = Vec::new();
    let lap = |name: &'static str, phases: &mut Vec<(&str, std::time::Duration)>| {
        phases.push((name, started.elapsed()));
    };
    let mut outcome = Outcome::default();

    // 1. Duplicates, and error declarations (an event sent again with `errorDeclaration`
    //    declares the one with its event hash in error; it is no duplicate).
    let mut seen = HashSet::new();
    let mut fresh = Vec::with_capacity(incoming.len());
    let mut repeated = Vec::new();
    let mut declarations = Vec::new();
    for inc in incoming {
        if inc.event.declaration.is_some() {
            declarations.push(inc);
        } else if seen.insert(inc.event.hash) {
            fresh.push(inc);
        } else {
            repeated.push(inc.index);
        }
    }
    let hashes: Vec<[u8; 32]> = fresh.iter().map(|i| i.event.hash).collect();
    let stored_hashes = db.stored_hashes(&hashes).await?;
    let (dups, mut events): (Vec<Incoming>, Vec<Incoming>) =
        fresh.into_iter().partition(|i| stored_hashes.contains(&i.event.hash));
    repeated.extend(dups.iter().map(|i| i.index));
    let (declare, declared_alone) = sort_declarations(db, declarations, &events, &mut repeated).await?;
    events.extend(declared_alone);
    outcome.duplicates = repeated.len();
    if options.duplicates_are_errors {
        for index in &repeated {
            outcome.refused.push((
                *index,
                vec![FieldError::new(
                    format!("eventList[{index}]"),
                    "duplicate",
                    "this event (same EPCIS event hash) is already captured",
                )],
            ));
        }
    }

    lap("dedupe", &mut phases);
    // 2. Products of commissioned codes.
    let products = resolve_products(db, &events).await?;
    events.retain(|inc| {
        let unknown: Vec<FieldError> = commissioned(&inc.event)
            .filter_map(|k| match products.get(k) {
                Some(None) => Some(FieldError::new(
                    format!("eventList[{}].epcList", inc.index),
                    "unknown_product",
                    format!("{} belongs to no registered product (一品一档)", epc::display(k)),
                )),
                _ => None,
            })
            .collect();
        if unknown.is_empty() {
            true
        } else {
            outcome.refused.push((inc.index, unknown));
            false
        }
    });
    outcome.refused.sort_by_key(|(i, _)| *i);
    if options.all_or_nothing && !outcome.refused.is_empty() {
        return Ok(outcome);
    }

    lap("products", &mut phases);
    // 3. Current state of every code named, and of what they contain.
    let mut world = World::default();
    let mut keys: HashSet<&str> = HashSet::new();
    let mut site_keys: HashSet<&str> = HashSet::new();
    for inc in &events {
        keys.extend(inc.event.keys.iter().map(|(k, _)| k.as_str()));
        keys.extend(inc.event.parent.as_deref());
        site_keys.extend(inc.event.site());
    }
    let keys: Vec<String> = keys.into_iter().map(str::to_string).collect();
    // Cases and pallets, then what they hold (cases of a pallet, units of a case).
    let mut containers = load_codes(db, By::Epc, &keys, &mut world).await?;
    for _ in 0..2 {
        if containers.is_empty() {
            break;
        }
        containers = load_codes(db, By::Parent, &containers, &mut world).await?;
    }
    world.dirty.clear();
    let site_keys: Vec<String> = site_keys.into_iter().map(str::to_string).collect();
    world.sites.extend(db.provinces(&site_keys).await?);

    lap("load", &mut phases);
    // 4. Apply, in order of event time (a document need not be sorted); ties keep their order.
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&pos| events[pos].event.event_time_ms);
    for pos in order {
        // An event that arrives declared in error changes nothing.
        if events[pos].event.declaration.is_none() {
            apply(&mut world, &events[pos].event, pos, &products);
        }
    }

    lap("apply", &mut phases);
    // 5. Write.
    let record_time = Timestamp::now().millis();
    let alg = db.ledger_alg().await?;
    let first_id = db.first_event_id(events.len()).await?;
    let ids: Vec<i64> = (0..events.len() as i64).map(|i| first_id + i).collect();
    let mut values = Vec::with_capacity(events.len() * 13);
    let mut epc_values = Vec::new();
    let mut leaves = Vec::with_capacity(events.len());
    let mut batch_ids: HashMap<[u8; 32], i64> = HashMap::new();
    let (mut time_from, mut time_to) = (i64::MAX, i64::MIN);
    // The events are spent here: their strings move into the rows.
    for (inc, id) in events.into_iter().zip(&ids) {
        leaves.push(inc.leaf(alg));
        let e = inc.event;
        batch_ids.entry(e.hash).or_insert(*id);
        time_from = time_from.min(e.event_time_ms);
        time_to = time_to.max(e.event_time_ms);
        for (k, role) in e.keys {
            epc_values.extend([Value::Text(k), Value::I64(*id), Value::I64(role.code())]);
        }
        values.extend([
            Value::I64(*id),
            Value::Bytes(e.hash.to_vec()),
            e.event_id.into(),
            e.event_type.into(),
            e.action.into(),
            e.biz_step.into(),
            e.disposition.into(),
            e.read_point.into(),
            e.biz_location.into(),
            Value::I64(e.event_time_ms),
            Value::I64(record_time),
            options.capture_id.into(),
            Value::Text(inc.body),
        ]);
        if let Some(p) = e.parent {
            epc_values.extend([Value::Text(p), Value::I64(*id), Value::I64(Role::Parent.code())]);
        }
    }
    db.insert(EVENT_ROWS.0, "", EVENT_ROWS.1, values).await?;
    db.insert(EVENT_EPC_ROWS.0, "", EVENT_EPC_ROWS.1, epc_values).await?;
    lap("write events", &mut phases);
    write_codes(db, &world).await?;
    lap("write codes", &mut phases);
    outcome.anomalies = write_anomalies(db, &mut world, &ids).await?;
    lap("anomalies", &mut phases);
    outcome.declared = declare_in_error(db, declare, &batch_ids, &options.reporter.actor, record_time).await?;
    if !ids.is_empty() {
        let record = BatchRecord {
            first_event: first_id,
            count: ids.len() as u64,
            root: batch::root(alg, &leaves),
            capture_id: options.capture_id,
            org_id: options.reporter.org_id,
            record_time,
            event_time_from: time_from,
            event_time_to: time_to,
        };
        anchor(db, &record, &options.reporter.actor).await?;
    }
    outcome.stored = ids.len();
    outcome.ids = ids;
    outcome.late_receipts = std::mem::take(&mut world.late_receipts);
    lap("ledger", &mut phases);
    tracing::debug!(events = outcome.stored, codes = world.dirty.len(), phases = ?phases, "trace batch stored");
    Ok(outcome)
}

/// The ledger entity of an error declaration; its id is the declared event's row id.
pub const DECLARATION_ENTITY: &str = "trace_error_declaration";

/// Where each error declaration goes: onto a stored event (row id known), onto an event of
/// this batch (found by its hash once written), or — when no event with its hash is known —
/// stored as an event of its own, declared in error from the start. A second declaration of
/// the same event is a duplicate.
async fn sort_declarations<D: Io>(
    db: &mut D,
    declarations: Vec<Incoming>,
    batch: &[Incoming],
    repeated: &mut Vec<usize>,
) -> Result<(Vec<(Option<i64>, Incoming)>, Vec<Incoming>), TraceError> {
    if declarations.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let hashes: Vec<[u8; 32]> = declarations.iter().map(|i| i.event.hash).collect();
    let stored: HashMap<[u8; 32], (i64, bool)> =
        db.declarable(&hashes).await?.into_iter().map(|(h, id, d)| (h, (id, d))).collect();
    let in_batch: HashSet<[u8; 32]> = batch.iter().map(|i| i.event.hash).collect();
    let mut done: HashSet<[u8; 32]> = HashSet::new();
    let (mut declare, mut alone) = (Vec::new(), Vec::new());
    for inc in declarations {
        let h = inc.event.hash;
        if !done.insert(h) {
            repeated.push(inc.index);
            continue;
        }
        match stored.get(&h) {
            Some((_, true)) => repeated.push(inc.index),
            Some((id, false)) => declare.push((Some(*id), inc)),
            None if in_batch.contains(&h) => declare.push((None, inc)),
            // Stored as an event of its own, and its declaration ledgered like any other.
            None => {
                alone.push(inc.clone());
                declare.push((None, inc));
            }
        }
    }
    Ok((declare, alone))
}

/// Current state against the ledger for error declarations: every declaration beside an
/// event is the ledgered one (see `yaolian_store::state`).
pub async fn declaration_drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>, TraceError> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT event_id, declaration FROM trace_event_declarations ORDER BY event_id")
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get(0)?;
        let text: String = r.try_get(1)?;
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        let data = serde_json::json!({"event": id, "errorDeclaration": parsed});
        images.push(yaolian_store::state::Image { entity_id: id.to_string(), data });
    }
    Ok(yaolian_store::state::check(store, DECLARATION_ENTITY, images).await?)
}

/// Declares events in error: the declaration's JSON on the event's row and a ledgered record
/// version (entity `trace_error_declaration`, id the event's row id) in the batch's transaction.
async fn declare_in_error<D: Io>(
    db: &mut D,
    declare: Vec<(Option<i64>, Incoming)>,
    batch_ids: &HashMap<[u8; 32], i64>,
    actor: &str,
    record_time: i64,
) -> Result<usize, TraceError> {
    let mut n = 0;
    for (id, inc) in declare {
        let Some(id) = id.or_else(|| batch_ids.get(&inc.event.hash).copied()) else { continue };
        let Some(declaration) = inc.event.declaration.as_deref() else { continue };
        db.declare(id, declaration, record_time).await?;
        let entity_id = id.to_string();
        let parsed: serde_json::Value = serde_json::from_str(declaration).unwrap_or_default();
        let data = serde_json::json!({"event": id, "errorDeclaration": parsed});
        db.record(NewVersion {
            entity: DECLARATION_ENTITY,
            entity_id: &entity_id,
            actor,
            action: "declare_error",
            reason: "",
            data: &data,
            expected_version: Some(0),
        })
        .await?;
        n += 1;
    }
    Ok(n)
}

/// The rows of `trace_batches`, the projection of the batches' ledgered records.
pub const BATCH_ROWS: (&str, usize) =
    ("INSERT INTO trace_batches (id, count, root, capture_id, org_id, actor, record_time, time_from, time_to)", 9);

/// Anchors a stored batch in the ledger (one record version, hence one entry, in the batch's
/// transaction) and writes its projection row. Last in the batch: on PostgreSQL the ledger's
/// head row is locked from here to the commit.
async fn anchor<D: Io>(db: &mut D, record: &BatchRecord, actor: &str) -> Result<(), TraceError> {
    db.insert(
        BATCH_ROWS.0,
        "",
        BATCH_ROWS.1,
        vec![
            Value::I64(record.first_event),
            Value::I64(record.count as i64),
            Value::Bytes(record.root.0.to_vec()),
            record.capture_id.into(),
            record.org_id.into(),
            Value::Text(actor.to_string()),
            Value::I64(record.record_time),
            Value::I64(record.event_time_from),
            Value::I64(record.event_time_to),
        ],
    )
    .await?;
    let id = record.first_event.to_string();
    let data = record.to_json();
    db.record(NewVersion {
        entity: batch::TRACE_BATCH_ENTITY,
        entity_id: &id,
        actor,
        action: "capture",
        reason: "",
        data: &data,
        expected_version: Some(0),
    })
    .await
}

/// The codes an event brings into being: an ObjectEvent ADD's epcList, a transformation's
/// outputs.
fn commissioned(e: &Event) -> impl Iterator<Item = &String> {
    let adds = e.event_type == "ObjectEvent" && e.action.as_deref() == Some("ADD");
    e.keys.iter().filter(move |(_, r)| (adds && *r == Role::Epc) || *r == Role::Output).map(|(k, _)| k)
}

/// Product id (and pack level) by code key for every commissioned code that names a product:
/// `Some(None)` for a code whose GTIN or 药品标识码 no product carries.
async fn resolve_products(
    db: &mut impl Io,
    events: &[Incoming],
) -> Result<HashMap<String, Option<(i64, Level)>>, TraceError> {
    let mut by_prefix: HashMap<String, Option<(i64, Level)>> = HashMap::new();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for inc in events {
        for k in commissioned(&inc.event) {
            let prefix = match epc::product_key(k) {
                ProductKey::Gtin(g) => g,
                ProductKey::DrugCode(d) => d,
                ProductKey::None => continue,
            };
            wanted.push((k.clone(), prefix.to_string()));
            by_prefix.entry(prefix.to_string()).or_insert(None);
        }
    }
    let prefixes: Vec<String> = by_prefix.keys().cloned().collect();
    for (prefix, id, level) in db.products(&prefixes).await? {
        by_prefix.insert(prefix, Some((id, level)));
    }
    Ok(wanted.into_iter().map(|(k, p)| (k, by_prefix.get(&p).copied().flatten())).collect())
}

/// Loads into `world` every code whose `by` column is one of `keys`; returns the cases and
/// pallets among those new to it.
async fn load_codes(db: &mut impl Io, by: By, keys: &[String], world: &mut World) -> Result<Vec<String>, TraceError> {
    let mut containers = Vec::new();
    for (k, c) in db.codes(by, keys).await? {
        if !world.codes.contains_key(&k) {
            if c.level != Level::Unit {
                containers.push(k.clone());
            }
            world.insert(k, c);
        }
    }
    Ok(containers)
}

/// Applies one event (the `pos`-th stored) to the world.
fn apply(world: &mut World, e: &Event, pos: usize, products: &HashMap<String, Option<(i64, Level)>>) {
    let t = e.event_time_ms;
    let site = e.site().map(str::to_string);
    let site_ref = site.as_deref();
    let named: Vec<&String> = e.keys.iter().filter(|(_, r)| *r == Role::Epc).map(|(k, _)| k).collect();
    // Seen at two places too close in time.
    if let Some(here) = site_ref {
        for (k, _) in &e.keys {
            if let Some(c) = world.codes.get(k) {
                let Some(there) = c.last_site.as_deref() else { continue };
                if there == here || t < c.last_time {
                    continue;
                }
                let gap = t - c.last_time;
                let other_province = match (world.province(here), world.province(there)) {
                    (Some(a), Some(b)) => a != b,
                    _ => false,
                };
                let min = if other_province { MIN_GAP_OTHER_PROVINCE_MS } else { MIN_GAP_SAME_PROVINCE_MS };
                if gap < min {
                    let detail = format!("seen at {there} and {} min later at {here}", gap / 60_000);
                    world.found("too_close", k, Some(here), pos, t, detail);
                }
            }
        }
    }
    match (e.event_type.as_str(), e.action.as_deref()) {
        ("ObjectEvent", Some("ADD")) => {
            for k in named {
                if world.codes.contains_key(k) {
                    world.found("duplicate_commissioning", k, site_ref, pos, t, "commissioned again".into());
                    continue;
                }
                let (product_id, level) =
                    products.get(k).copied().flatten().map_or((None, Level::Unit), |(p, l)| (Some(p), l));
                world.insert(k.clone(), new_code(level, product_id, e, t, site.clone()));
            }
        }
        ("AggregationEvent", Some("ADD")) => {
            let Some(parent) = &e.parent else { return };
            let children: Vec<&String> = e.keys.iter().filter(|(_, r)| *r == Role::Child).map(|(k, _)| k).collect();
            let holds_cases = children.iter().any(|c| world.codes.get(*c).is_some_and(|x| x.level != Level::Unit));
            if !world.codes.contains_key(parent) {
                let level = if holds_cases { Level::Pallet } else { Level::Case };
                let mut code = new_code(level, None, e, t, site.clone());
                code.state = "packed";
                code.batch = None;
                code.expiry = None;
                world.insert(parent.clone(), code);
            } else if let Some(p) = world.codes.get_mut(parent) {
                if holds_cases && p.level == Level::Case {
                    p.level = Level::Pallet;
                }
                world.dirty.insert(parent.clone());
            }
            for c in children {
                // Packed before what it has seen since: history only.
                if world.is_late(c, t) {
                    continue;
                }
                match world.codes.get(c).map(|x| (x.parent.clone(), x.holder.clone())) {
                    None => {
                        world.found("unknown_code", c, site_ref, pos, t, "packed but never commissioned".into());
                        world.insert(c.clone(), new_code(Level::Unit, None, e, t, site.clone()));
                    }
                    Some((in_parent, holder)) => {
                        if let Some(other) = in_parent.as_deref().filter(|p| *p != parent.as_str()) {
                            let detail = format!("already inside {}", epc::display(other));
                            world.found("already_aggregated", c, site_ref, pos, t, detail);
                        }
                        if holder.is_some() && holder.as_deref() != site_ref {
                            let detail = format!("held by {}", holder.as_deref().unwrap_or(""));
                            world.found("not_holder", c, site_ref, pos, t, detail);
                        }
                    }
                }
                world.set_parent(c, Some(parent.clone()));
                touch(world, c, t, site_ref, Some("packed"));
            }
            touch(world, parent, t, site_ref, None);
        }
        ("AggregationEvent", Some("DELETE")) => {
            let Some(parent) = &e.parent else { return };
            let mut children: Vec<String> =
                e.keys.iter().filter(|(_, r)| *r == Role::Child).map(|(k, _)| k.clone()).collect();
            if children.is_empty() {
                children = world.children.get(parent).cloned().unwrap_or_default();
            }
            for c in &children {
                if !world.is_late(c, t) {
                    world.set_parent(c, None);
                    touch(world, c, t, site_ref, None);
                }
            }
            touch(world, parent, t, site_ref, None);
        }
        ("TransformationEvent", _) => {
            for (k, r) in &e.keys {
                match r {
                    Role::Input => touch(world, k, t, site_ref, Some("destroyed")),
                    Role::Output if !world.codes.contains_key(k) => {
                        let (product_id, level) =
                            products.get(k).copied().flatten().map_or((None, Level::Unit), |(p, l)| (Some(p), l));
                        world.insert(k.clone(), new_code(level, product_id, e, t, site.clone()));
                    }
                    _ => {}
                }
            }
        }
        ("ObjectEvent" | "TransactionEvent", _) => {
            let step = e.biz_step.as_deref().unwrap_or("");
            let returned = e.disposition.as_deref() == Some("returned");
            for k in named {
                // What the rules look at, without cloning the whole state.
                let Some(code) = world.codes.get(k).map(|c| Seen {
                    state: c.state,
                    holder: c.holder.clone(),
                    expiry: c.expiry.clone(),
                    recall_id: c.recall_id,
                    late: t < c.last_time,
                }) else {
                    world.found("unknown_code", k, site_ref, pos, t, format!("{step} of a code never commissioned"));
                    continue;
                };
                // Who holds it and in what state it is now says nothing of a late event's time.
                let held_elsewhere = !code.late && code.holder.is_some() && code.holder.as_deref() != site_ref;
                let new_state: Option<&'static str>;
                let mut new_holder = None;
                match step {
                    "shipping" | "departing" => {
                        if held_elsewhere && !returned {
                            let detail = format!("shipped while held by {}", code.holder.as_deref().unwrap_or(""));
                            world.found("not_holder", k, site_ref, pos, t, detail);
                        }
                        new_state = Some(if returned { "returned" } else { "shipped" });
                    }
                    "receiving" | "arriving" | "accepting" => {
                        if !code.late && code.state != "shipped" && !(returned && code.state == "returned") {
                            let detail = format!("received while {}", code.state);
                            world.found("receipt_without_shipment", k, site_ref, pos, t, detail);
                        }
                        new_state = Some(if returned { "returned" } else { "received" });
                        new_holder = site.clone();
                        if let Some(s) = site_ref.filter(|_| code.late) {
                            for epc in std::iter::once(k.clone()).chain(world.descendants(k)) {
                                let receipt = crate::anomalies::LateReceipt { epc, site: s.to_string(), time: t };
                                world.late_receipts.push(receipt);
                            }
                        }
                    }
                    "retail_selling" | "dispensing" => {
                        sale_checks(world, k, &code, held_elsewhere, site_ref, pos, t);
                        new_state = Some(if step == "dispensing" { "dispensed" } else { "sold" });
                        if let Some(s) = site_ref {
                            let day = world.day(t);
                            *world.sales.entry((s.to_string(), day)).or_default() += 1;
                        }
                    }
                    "destroying" | "decommissioning" => new_state = Some("destroyed"),
                    _ if e.action.as_deref() == Some("DELETE") => new_state = Some("destroyed"),
                    _ if returned => new_state = Some("returned"),
                    _ => new_state = None,
                }
                let mut affected = vec![k.clone()];
                affected.extend(world.descendants(k));
                for a in &affected {
                    if let Some(h) = &new_holder {
                        if let Some(c) = world.codes.get_mut(a).filter(|c| t >= c.last_time) {
                            c.source = c.holder.clone();
                            c.holder = Some(h.clone());
                        }
                    }
                    touch(world, a, t, site_ref, new_state);
                }
                // A pack sold leaves its case.
                if !code.late && matches!(new_state, Some("sold" | "dispensed")) {
                    world.set_parent(k, None);
                }
            }
        }
        _ => {
            for (k, _) in &e.keys {
                touch(world, k, t, site_ref, None);
            }
        }
    }
}

/// The part of a code's state the movement and sale rules read.
struct Seen {
    state: &'static str,
    holder: Option<String>,
    expiry: Option<String>,
    recall_id: Option<i64>,
    /// The event is older than what the code has seen since.
    late: bool,
}

/// The rules a sale breaks. A late sale is judged only by what does not depend on when it came:
/// a second sale, and the expiry against its own day.
fn sale_checks(world: &mut World, k: &str, code: &Seen, held_elsewhere: bool, site: Option<&str>, pos: usize, t: i64) {
    if held_elsewhere {
        let detail = format!("sold while held by {}", code.holder.as_deref().unwrap_or(""));
        world.found("not_holder", k, site, pos, t, detail);
    }
    match code.state {
        "sold" | "dispensed" => world.found("sold_twice", k, site, pos, t, format!("already {}", code.state)),
        "destroyed" if !code.late => world.found("sale_destroyed", k, site, pos, t, "destroyed before".into()),
        _ => {}
    }
    if let Some(x) = &code.expiry {
        let day = world.day(t);
        if day.as_str() > x.as_str() {
            world.found("sale_expired", k, site, pos, t, format!("expired {x}, sold {day}"));
        }
    }
    if let Some(r) = code.recall_id.filter(|_| !code.late) {
        world.found("sale_recalled", k, site, pos, t, format!("under recall #{r}"));
    }
}

fn new_code(level: Level, product_id: Option<i64>, e: &Event, t: i64, site: Option<String>) -> CodeState {
    CodeState {
        level,
        product_id,
        batch: e.batch.clone(),
        expiry: e.expiry.clone(),
        state: "commissioned",
        holder: site.clone(),
        source: None,
        parent: None,
        first_time: t,
        last_time: t,
        last_site: site,
        recall_id: None,
    }
}

/// Records that `k` was seen at `t` at `site`, optionally with a new state; nothing when `k` has
/// seen something later (a late event is history, not state).
fn touch(world: &mut World, k: &str, t: i64, site: Option<&str>, state: Option<&'static str>) {
    if let Some(c) = world.codes.get_mut(k).filter(|c| t >= c.last_time) {
        if let Some(s) = state {
            c.state = s;
        }
        c.last_time = t;
        if site.is_some() && c.last_site.as_deref() != site {
            c.last_site = site.map(str::to_string);
        }
        if !world.dirty.contains(k) {
            world.dirty.insert(k.to_string());
        }
    }
}

async fn write_codes(db: &mut impl Io, world: &World) -> Result<(), TraceError> {
    let mut values = Vec::with_capacity(world.dirty.len() * 13);
    let mut dirty: Vec<&String> = world.dirty.iter().collect();
    dirty.sort();
    for k in dirty {
        let Some(c) = world.codes.get(k) else { continue };
        values.extend([
            Value::Text(k.clone()),
            Value::Text(c.level.as_str().into()),
            c.product_id.into(),
            c.batch.clone().into(),
            c.expiry.clone().into(),
            Value::Text(c.state.into()),
            c.holder.clone().into(),
            c.source.clone().into(),
            c.parent.clone().into(),
            Value::I64(c.first_time),
            Value::I64(c.last_time),
            c.last_site.clone().into(),
            c.recall_id.into(),
        ]);
    }
    db.insert(
        CODE_ROWS.0,
        // Only what events change: product, batch and expiry are a code's from its
        // commissioning, and an index is rewritten only when a column of it is SET.
        "ON CONFLICT (epc) DO UPDATE SET level = excluded.level, state = excluded.state, \
         holder = excluded.holder, source = excluded.source, parent = excluded.parent, \
         last_time = excluded.last_time, last_site = excluded.last_site",
        CODE_ROWS.1,
        values,
    )
    .await?;
    Ok(())
}

/// Writes the anomalies found and the day's sales, and checks each site-day sold for a spike.
async fn write_anomalies(db: &mut impl Io, world: &mut World, ids: &[i64]) -> Result<usize, TraceError> {
    if !world.sales.is_empty() {
        let mut values = Vec::new();
        let mut sales: Vec<(&(String, String), &i64)> = world.sales.iter().collect();
        sales.sort();
        for ((site, day), n) in sales {
            values.extend([Value::Text(site.clone()), Value::Text(day.clone()), Value::I64(*n)]);
        }
        db.insert(
            "INSERT INTO trace_site_days (site, day, sold)",
            "ON CONFLICT (site, day) DO UPDATE SET sold = trace_site_days.sold + excluded.sold",
            3,
            values,
        )
        .await?;
        spikes(db, world).await?;
    }
    let now = Timestamp::now().millis();
    let mut values = Vec::with_capacity(world.found.len() * 8);
    for f in &world.found {
        let event_id = f.event.and_then(|p| ids.get(p).copied());
        let dedup = f.dedup.clone().unwrap_or_else(|| {
            format!("{}:{}:{}", f.kind, f.epc.as_deref().unwrap_or(""), event_id.unwrap_or_default())
        });
        values.extend([
            Value::Text(dedup),
            Value::Text(f.kind.into()),
            f.epc.clone().into(),
            event_id.into(),
            f.site.clone().into(),
            Value::Text(f.detail.clone()),
            Value::I64(f.time),
            Value::I64(now),
        ]);
    }
    let n = db
        .insert(
            "INSERT INTO trace_anomalies (dedup, kind, epc, event_id, site, detail, event_time, detected_at)",
            "ON CONFLICT (dedup) DO NOTHING",
            8,
            values,
        )
        .await?;
    Ok(n as usize)
}

/// Site-days whose sales are far above the site's own level of the 30 days before.
async fn spikes(db: &mut impl Io, world: &mut World) -> Result<(), TraceError> {
    let sites: Vec<String> = world.sales.keys().map(|(s, _)| s.clone()).collect::<HashSet<_>>().into_iter().collect();
    let Some(min_day) = world.sales.keys().map(|(_, d)| d.clone()).min() else { return Ok(()) };
    let from = chrono::NaiveDate::parse_from_str(&min_day, "%Y-%m-%d")
        .map(|d| (d - chrono::Days::new(30)).format("%Y-%m-%d").to_string())
        .unwrap_or(min_day);
    let mut history: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for (site, day, sold) in db.site_days(&sites, &from).await? {
        history.entry(site).or_default().push((day, sold));
    }
    let days: Vec<(String, String)> = world.sales.keys().cloned().collect();
    for (site, day) in days {
        let Ok(d) = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d") else { continue };
        let window_start = (d - chrono::Days::new(30)).format("%Y-%m-%d").to_string();
        let rows = history.get(&site).map(Vec::as_slice).unwrap_or_default();
        let today = rows.iter().find(|(x, _)| *x == day).map_or(0, |(_, n)| *n);
        let before: Vec<&(String, i64)> = rows.iter().filter(|(x, _)| *x >= window_start && *x < day).collect();
        let Some(first) = before.first() else { continue };
        let Ok(first_day) = chrono::NaiveDate::parse_from_str(&first.0, "%Y-%m-%d") else { continue };
        let history_days = (d - first_day).num_days();
        if history_days < SPIKE_MIN_HISTORY_DAYS {
            continue;
        }
        let sum: i64 = before.iter().map(|(_, n)| n).sum();
        // today > FACTOR × (sum / history_days), kept in integers.
        if today >= SPIKE_MIN_UNITS && today * history_days > SPIKE_FACTOR * sum {
            let mean = sum as f64 / history_days as f64;
            world.found.push(Found {
                kind: "sales_spike",
                epc: None,
                site: Some(site.clone()),
                detail: format!("{today} units on {day}; mean {mean:.1}/day over the {history_days} days before"),
                event: None,
                time: Timestamp::china_day_start(d).millis(),
                dedup: Some(format!("sales_spike:{site}:{day}")),
            });
        }
    }
    Ok(())
}
