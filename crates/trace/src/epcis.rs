//! EPCIS 2.0 events (GS1 EPCIS 2.0, JSON/JSON-LD binding) checked for what each of the five
//! event types requires, with CBV 2.0 business steps and dispositions. Refusals name the event
//! (by its index in the document) and the field, so that a capture can report every bad event.

use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use yaolian_core::FieldError;

use crate::codes::epc;
use crate::hash;

/// The five event types.
pub const EVENT_TYPES: &[&str] =
    &["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"];

/// CBV 2.0 business steps used along a drug supply chain (and the rest of the CBV list).
pub const BIZ_STEPS: &[&str] = &[
    "accepting",
    "arriving",
    "assembling",
    "collecting",
    "commissioning",
    "consigning",
    "creating_class_instance",
    "cycle_counting",
    "decommissioning",
    "departing",
    "destroying",
    "disassembling",
    "dispensing",
    "encoding",
    "entering_exiting",
    "holding",
    "inspecting",
    "installing",
    "killing",
    "loading",
    "other",
    "packing",
    "picking",
    "receiving",
    "removing",
    "repackaging",
    "repairing",
    "replacing",
    "reserving",
    "retail_selling",
    "sampling",
    "sensor_reporting",
    "shipping",
    "staging_outbound",
    "stock_taking",
    "stocking",
    "storing",
    "transporting",
    "unloading",
    "unpacking",
    "void_shipping",
];

/// CBV 2.0 dispositions.
pub const DISPOSITIONS: &[&str] = &[
    "active",
    "available",
    "completeness_inferred",
    "completeness_verified",
    "conformant",
    "container_closed",
    "container_open",
    "damaged",
    "destroyed",
    "dispensed",
    "disposed",
    "encoded",
    "expired",
    "in_progress",
    "in_transit",
    "inactive",
    "mismatch_instance",
    "mismatch_class",
    "mismatch_quantity",
    "needs_replacement",
    "no_pedigree_match",
    "non_conformant",
    "non_sellable_other",
    "partially_dispensed",
    "recalled",
    "reserved",
    "retail_sold",
    "returned",
    "sellable_accessible",
    "sellable_not_accessible",
    "stolen",
    "unavailable",
    "unknown",
];

/// A checked event: the fields traceability works with, normalized (bare CBV names).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_type: String,
    pub event_time_ms: i64,
    pub time_zone_offset: String,
    pub action: Option<String>,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    /// Key (see `codes::epc`) of the read point and business location.
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    /// Key of parentID.
    pub parent: Option<String>,
    /// Keys of epcList, childEPCs, or inputEPCList + outputEPCList, as the type has them, each
    /// once per role.
    pub keys: Vec<(String, Role)>,
    /// From ilmd (cbvmda:lotNumber, cbvmda:itemExpirationDate).
    pub batch: Option<String>,
    pub expiry: Option<String>,
    /// eventID as sent, if any.
    pub event_id: Option<String>,
    /// `errorDeclaration` as sent (JSON): this event declares the stored event with the same
    /// event hash in error (EPCIS 2.0 §7.4.1.2).
    pub declaration: Option<String>,
    /// The EPCIS event hash (CBV 2.0 §8.9), SHA-256.
    #[serde(skip)]
    pub hash: [u8; 32],
}

impl Event {
    /// Where the event happened: its business location, else its read point.
    pub fn site(&self) -> Option<&str> {
        self.biz_location.as_deref().or(self.read_point.as_deref())
    }
}

/// Which list of an event names a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Epc = 0,
    Parent = 1,
    Child = 2,
    Input = 3,
    Output = 4,
}

impl Role {
    fn of_field(name: &str) -> Role {
        match name {
            "childEPCs" => Role::Child,
            "inputEPCList" => Role::Input,
            "outputEPCList" => Role::Output,
            _ => Role::Epc,
        }
    }

    /// The list an EPCIS query's MATCH_epc / MATCH_anyEPC / MATCH_parentID looks in.
    pub fn code(self) -> i64 {
        self as i64
    }
}

/// A CBV value as a bare name: `shipping` from itself, `urn:epcglobal:cbv:bizstep:shipping` or
/// `https://ref.gs1.org/cbv/BizStep-shipping`; `None` for another URI (a private vocabulary,
/// kept as it is) and `Some(Err)` for an unknown bare name.
fn cbv(value: &str, urn_prefix: &str, web_prefix: &str, known: &[&str]) -> Option<Result<String, ()>> {
    let bare = value.strip_prefix(urn_prefix).or_else(|| value.strip_prefix(web_prefix)).unwrap_or(value);
    if bare.contains(':') || bare.contains('/') {
        return None;
    }
    Some(if known.contains(&bare) { Ok(bare.to_string()) } else { Err(()) })
}

/// Whether `epc` names an object this system can key: an EPC URI, a GS1 Digital Link URI that
/// reads, or an NMPA 药品追溯码 (`urn:nmpa:code:…`).
pub fn epc_ok(epc: &str, today: chrono::NaiveDate) -> bool {
    epc::key(epc, today).is_ok() && (epc.contains(':'))
}

/// One event being checked: its JSON, its place in the document, and the problems found so
/// far, each with the field named `eventList[i].field`.
struct Ctx<'a> {
    v: &'a Value,
    index: usize,
    today: chrono::NaiveDate,
    errors: Vec<FieldError>,
}

impl Ctx<'_> {
    fn field(&self, name: &str) -> String {
        format!("eventList[{}].{name}", self.index)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.v.get(name).and_then(Value::as_str).map(str::to_string)
    }

    fn has_list(&self, name: &str) -> bool {
        self.v.get(name).and_then(Value::as_array).is_some_and(|a| !a.is_empty())
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.v
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|e| e.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }

    fn refuse(&mut self, name: &str, rule: impl Into<String>, message: impl Into<String>) {
        let field = self.field(name);
        self.errors.push(FieldError::new(field, rule, message));
    }

    /// `eventTime` in milliseconds (0 when refused).
    fn event_time(&mut self) -> i64 {
        match self.text("eventTime") {
            None => self.refuse("eventTime", "required", "eventTime is required"),
            Some(t) => match DateTime::parse_from_rfc3339(&t) {
                Ok(dt) => return dt.timestamp_millis(),
                Err(_) => self.refuse("eventTime", "datetime", format!("{t:?} is not an RFC 3339 date-time")),
            },
        }
        0
    }

    /// `eventTimeZoneOffset`, `±HH:MM`.
    fn time_zone_offset(&mut self) -> String {
        let offset = self.text("eventTimeZoneOffset").unwrap_or_default();
        let ok = offset.len() == 6
            && matches!(offset.as_bytes()[0], b'+' | b'-')
            && offset.as_bytes()[3] == b':'
            && offset[1..3].parse::<u8>().is_ok_and(|h| h <= 14)
            && offset[4..6].parse::<u8>().is_ok_and(|m| m < 60);
        if !ok {
            self.refuse("eventTimeZoneOffset", "offset:±HH:MM", "eventTimeZoneOffset is required, like +08:00");
        }
        offset
    }

    /// `action`: ADD, OBSERVE or DELETE on every type but a TransformationEvent, which has none.
    fn action(&mut self, event_type: &str) -> Option<String> {
        let action = self.text("action");
        match (&action, event_type != "TransformationEvent") {
            (None, true) => self.refuse("action", "required", "action is required (ADD, OBSERVE or DELETE)"),
            (Some(a), true) if !matches!(a.as_str(), "ADD" | "OBSERVE" | "DELETE") => {
                self.refuse("action", "one_of:ADD,OBSERVE,DELETE", format!("unknown action {a:?}"))
            }
            (Some(_), false) => self.refuse("action", "absent", "a TransformationEvent has no action"),
            _ => {}
        }
        action
    }

    /// A CBV value as a bare name, a private vocabulary's URI as it is.
    fn vocab(&mut self, name: &str, urn: &str, web: &str, known: &[&str]) -> Option<String> {
        let raw = self.text(name)?;
        match cbv(&raw, urn, web, known) {
            Some(Ok(bare)) => Some(bare),
            Some(Err(())) => {
                self.refuse(name, "cbv", format!("{raw:?} is not a CBV 2.0 {name}"));
                None
            }
            None => Some(raw),
        }
    }

    /// The key of a code field's value, or a refusal naming it.
    fn key(&mut self, field: String, value: &str, rule: &str) -> Option<String> {
        match epc::key(value, self.today) {
            Ok(k) => Some(k),
            Err(e) => {
                let message = if rule == "location" {
                    format!("{value:?}: {e}")
                } else {
                    format!("{value:?} is not an EPC URI, GS1 Digital Link or 药品追溯码: {e}")
                };
                self.errors.push(FieldError::new(field, rule, message));
                None
            }
        }
    }

    /// The keys of the code lists the type carries, each once per role.
    fn keys(&mut self, lists: &[&str]) -> Vec<(String, Role)> {
        let mut keys: Vec<(String, Role)> = Vec::new();
        for name in lists {
            let role = Role::of_field(name);
            for (i, epc) in self.list(name).into_iter().enumerate() {
                let field = format!("{}[{i}]", self.field(name));
                if let Some(k) = self.key(field, &epc, "epc") {
                    if !keys.iter().any(|(x, r)| *x == k && *r == role) {
                        keys.push((k, role));
                    }
                }
            }
        }
        keys
    }

    /// The key of `readPoint.id` or `bizLocation.id`.
    fn location(&mut self, name: &str) -> Option<String> {
        let id = self.v.get(name).and_then(|p| p.get("id")).and_then(Value::as_str)?.to_string();
        let field = format!("{}.id", self.field(name));
        self.key(field, &id, "location")
    }

    /// A master-data attribute of `ilmd` under any of its names.
    fn ilmd(&self, names: &[&str]) -> Option<String> {
        let m = self.v.get("ilmd")?;
        names.iter().find_map(|n| m.get(*n).and_then(Value::as_str)).map(str::to_string)
    }
}

/// An ObjectEvent names its objects, or reports sensor data (EPCIS 2.0 §7.4.2: GS1's sensor
/// examples observe a place with no object); only an ADD (commissioning) carries `ilmd`.
fn object_event(c: &mut Ctx<'_>, action: Option<&str>) -> &'static [&'static str] {
    if !c.has_list("epcList") && !c.has_list("quantityList") && !c.has_list("sensorElementList") {
        c.refuse(
            "epcList",
            "required",
            "an ObjectEvent names its objects (epcList or quantityList) or reports sensor data",
        );
    }
    if c.v.get("ilmd").is_some() && action != Some("ADD") {
        c.refuse("ilmd", "action:ADD", "ilmd belongs to an ADD (commissioning) event");
    }
    &["epcList"]
}

/// An AggregationEvent or AssociationEvent names its parent (an aggregation's OBSERVE may not)
/// and, on ADD, its children.
fn parent_child_event(
    c: &mut Ctx<'_>,
    event_type: &str,
    action: Option<&str>,
    parent_id: Option<&str>,
) -> &'static [&'static str] {
    let needs_parent = event_type == "AssociationEvent" || action != Some("OBSERVE");
    if needs_parent && parent_id.is_none() {
        c.refuse("parentID", "required", format!("an {event_type} names its parentID"));
    }
    if action == Some("ADD") && !c.has_list("childEPCs") && !c.has_list("childQuantityList") {
        c.refuse("childEPCs", "required", "an ADD names the children (childEPCs or childQuantityList)");
    }
    &["childEPCs"]
}

/// A TransactionEvent names its business transactions.
fn transaction_event(c: &mut Ctx<'_>) -> &'static [&'static str] {
    if !c.has_list("bizTransactionList") {
        c.refuse("bizTransactionList", "required", "a TransactionEvent names its business transactions");
    }
    &["epcList"]
}

/// A TransformationEvent has inputs and outputs, or a transformationID.
fn transformation_event(c: &mut Ctx<'_>) -> &'static [&'static str] {
    let inputs = c.has_list("inputEPCList") || c.has_list("inputQuantityList");
    let outputs = c.has_list("outputEPCList") || c.has_list("outputQuantityList");
    if !(inputs && outputs) && c.text("transformationID").is_none() {
        c.refuse("inputEPCList", "required", "a TransformationEvent has inputs and outputs, or a transformationID");
    }
    &["inputEPCList", "outputEPCList"]
}

/// Checks one event (the `index`-th of its document): against the EPCIS 2.0 JSON Schema
/// ([`crate::schema`]), then the fields every event has, then what its type requires (one function per type), then its codes, places and master data. Every problem
/// is listed, each with the field named `eventList[i].field`.
pub fn check(v: &Value, index: usize, today: chrono::NaiveDate) -> Result<Event, Vec<FieldError>> {
    let Some(obj) = v.as_object() else {
        return Err(vec![FieldError::new(format!("eventList[{index}]"), "object", "an event is a JSON object")]);
    };
    // GS1's JSON Schema first: what it refuses is named by its path; the rules below assume a
    // well-formed event.
    let schema_errors = crate::schema::event(v, index);
    if !schema_errors.is_empty() {
        return Err(schema_errors);
    }
    let mut c = Ctx { v, index, today, errors: Vec::new() };
    let event_type = obj.get("type").and_then(Value::as_str).unwrap_or("");
    if !EVENT_TYPES.contains(&event_type) {
        let rule = format!("one_of:{}", EVENT_TYPES.join(","));
        c.refuse("type", rule, format!("unknown event type {event_type:?}"));
    }
    let event_time_ms = c.event_time();
    let time_zone_offset = c.time_zone_offset();
    let action = c.action(event_type);
    let biz_step = c.vocab("bizStep", "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", BIZ_STEPS);
    let disposition = c.vocab("disposition", "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", DISPOSITIONS);
    let parent_id = c.text("parentID");
    let lists = match event_type {
        "ObjectEvent" => object_event(&mut c, action.as_deref()),
        "AggregationEvent" | "AssociationEvent" => {
            parent_child_event(&mut c, event_type, action.as_deref(), parent_id.as_deref())
        }
        "TransactionEvent" => transaction_event(&mut c),
        "TransformationEvent" => transformation_event(&mut c),
        _ => &[],
    };
    let keys = c.keys(lists);
    let parent = parent_id.as_deref().and_then(|p| {
        let field = c.field("parentID");
        c.key(field, p, "epc")
    });
    let read_point = c.location("readPoint");
    let biz_location = c.location("bizLocation");
    let batch = c.ilmd(&["cbvmda:lotNumber", "lotNumber", "https://gs1.org/voc/lotNumber"]);
    let expiry = c.ilmd(&["cbvmda:itemExpirationDate", "itemExpirationDate", "https://gs1.org/voc/itemExpirationDate"]);
    if let Some(x) = &expiry {
        if chrono::NaiveDate::parse_from_str(x, "%Y-%m-%d").is_err() {
            c.refuse("ilmd.itemExpirationDate", "date", format!("{x:?} is not YYYY-MM-DD"));
        }
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(Event {
        event_type: event_type.into(),
        event_time_ms,
        time_zone_offset,
        action,
        biz_step,
        disposition,
        read_point,
        biz_location,
        parent,
        keys,
        batch,
        expiry,
        event_id: c.text("eventID"),
        declaration: v.get("errorDeclaration").map(Value::to_string),
        hash: hash::event_hash(v, &hash::Context::default(), today),
    })
}

/// A document's events after checking: the good ones, and each bad one's index and errors.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    pub good: Vec<Event>,
    pub bad: Vec<(usize, Vec<FieldError>)>,
}

/// How much of an EPCIS document is read. Size, nesting depth and the number of JSON values
/// are checked on the bytes, in one pass that allocates nothing, before the document is
/// parsed; the number of events right after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Bytes of the document.
    pub max_bytes: usize,
    /// Nesting of objects and arrays. An EPCIS 2.0 event nests about eight deep (document,
    /// body, event list, event, sensor element list, sensor element, report list, report).
    pub max_depth: usize,
    /// JSON values (objects, arrays, members and elements): what the parsed document takes in
    /// memory is proportional to it (about 100 bytes each).
    pub max_values: usize,
    /// Events in `epcisBody.eventList`.
    pub max_events: usize,
}

impl DocumentLimits {
    /// A capture over HTTP (`POST /epcis/capture`): 10,000 events (announced in
    /// `GS1-EPCIS-Capture-Limit`) of a few hundred bytes each fit 32 MiB with room; 2,000,000
    /// values is 200 per event on average (an aggregation of 100 cartons is about 120), about
    /// 200 MB parsed at most; 32 levels is four times what EPCIS needs and well inside
    /// serde_json's own recursion limit (128), so that refusal is ours and named.
    pub const CAPTURE: DocumentLimits =
        DocumentLimits { max_bytes: 32 * 1024 * 1024, max_depth: 32, max_values: 2_000_000, max_events: 10_000 };

    /// A file the operator names (`yaolian trace import`, a whole EPCIS document read at once):
    /// as deep as a capture, as large as a machine reads comfortably in one piece.
    pub const OPERATOR_FILE: DocumentLimits = DocumentLimits {
        max_bytes: 4 * 1024 * 1024 * 1024,
        max_depth: 32,
        max_values: 400_000_000,
        max_events: 100_000_000,
    };
}

/// Why a document was not read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    /// Not JSON.
    #[error("malformed JSON: {0}")]
    Malformed(String),
    /// Over a limit of [`DocumentLimits`]; the rule names it (`max_depth:32`).
    #[error("{}", .0.message)]
    OverLimit(FieldError),
}

impl DocumentError {
    /// Stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            DocumentError::Malformed(_) => "malformed_json",
            DocumentError::OverLimit(_) => "validation_failed",
        }
    }
}

fn over(field: &str, limit: &str, max: usize, message: String) -> DocumentError {
    DocumentError::OverLimit(FieldError::new(field, format!("{limit}:{max}"), message))
}

/// Parses an EPCIS document (or a JSON array of events) within `limits`: size, depth and
/// values are counted on the bytes before anything is parsed, events right after parsing.
pub fn parse_document(bytes: &[u8], limits: &DocumentLimits) -> Result<Value, DocumentError> {
    if bytes.len() > limits.max_bytes {
        let message = format!("the document has {} bytes; at most {} are read", bytes.len(), limits.max_bytes);
        return Err(over("document", "max_bytes", limits.max_bytes, message));
    }
    // One pass over the bytes: strings skipped, containers and separators counted. Every value
    // is a container, the first element of one, or follows a comma, so 2 × containers + commas
    // bounds the number of values from above.
    let (mut depth, mut values, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                values += 2;
                if depth > limits.max_depth {
                    let message = format!("the document nests deeper than {} levels", limits.max_depth);
                    return Err(over("document", "max_depth", limits.max_depth, message));
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' => values += 1,
            _ => {}
        }
        if values > limits.max_values {
            let message = format!("the document holds more than {} JSON values", limits.max_values);
            return Err(over("document", "max_values", limits.max_values, message));
        }
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| DocumentError::Malformed(e.to_string()))?;
    let events = match &doc {
        Value::Array(list) => Some(list.len()),
        _ => doc.pointer("/epcisBody/eventList").and_then(Value::as_array).map(Vec::len),
    };
    if let Some(n) = events.filter(|n| *n > limits.max_events) {
        let message = format!("at most {} events per document; send {n} in several documents", limits.max_events);
        return Err(over("epcisBody.eventList", "max_events", limits.max_events, message));
    }
    Ok(doc)
}

/// The events of an EPCIS document, or the field error that makes it no document.
pub fn event_list(doc: &Value) -> Result<&[Value], FieldError> {
    if doc.get("type").and_then(Value::as_str) != Some("EPCISDocument") {
        return Err(FieldError::new("type", "EPCISDocument", "an EPCIS document has type EPCISDocument"));
    }
    doc.pointer("/epcisBody/eventList")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .ok_or_else(|| FieldError::new("epcisBody.eventList", "required", "the document has no eventList"))
}

/// Checks every event of an EPCIS document (`epcisBody.eventList`).
pub fn check_document(doc: &Value, today: chrono::NaiveDate) -> Result<Checked, FieldError> {
    let mut out = Checked::default();
    for (i, e) in event_list(doc)?.iter().enumerate() {
        match check(e, i, today) {
            Ok(ev) => out.good.push(ev),
            Err(errs) => out.bad.push((i, errs)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(bytes: &[u8], limits: &DocumentLimits) -> (String, String) {
        match parse_document(bytes, limits) {
            Err(DocumentError::OverLimit(e)) => (e.field, e.rule),
            other => panic!("not refused by a limit: {other:?}"),
        }
    }

    #[test]
    fn documents_are_refused_by_depth_values_and_events_before_they_are_parsed() {
        let limits = DocumentLimits::CAPTURE;
        // 40 levels: serde_json alone (128 levels) would parse it.
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(refusal(deep.as_bytes(), &limits), ("document".into(), "max_depth:32".into()));
        // Brackets inside strings are text, not nesting.
        let text = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(parse_document(text.as_bytes(), &limits).is_ok());
        // Values are counted on the bytes.
        let small = DocumentLimits { max_values: 100, ..limits };
        let many = format!("[{}0]", "0,".repeat(200));
        assert_eq!(refusal(many.as_bytes(), &small), ("document".into(), "max_values:100".into()));
        // Events, in a document or a bare list.
        let events = json!({"type": "EPCISDocument", "epcisBody": {"eventList": vec![json!({}); 10_001]}});
        let bytes = serde_json::to_vec(&events).unwrap();
        assert_eq!(refusal(&bytes, &limits), ("epcisBody.eventList".into(), "max_events:10000".into()));
        let few = DocumentLimits { max_events: 2, ..limits };
        assert_eq!(refusal(b"[{}, {}, {}]", &few).1, "max_events:2");
        let tiny = DocumentLimits { max_bytes: 4, ..limits };
        assert_eq!(refusal(b"[{}, {}]", &tiny).1, "max_bytes:4");
        assert!(matches!(parse_document(b"{\"a\": ", &limits), Err(DocumentError::Malformed(_))));
        assert!(parse_document(br#"{"type": "EPCISDocument", "epcisBody": {"eventList": [{}]}}"#, &limits).is_ok());
    }

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    /// One event of each type along a drug's way: commissioning at the plant, packing into a
    /// case, shipping against a despatch advice, a transformation (repackaging) and an
    /// association of a sensor to a case.
    fn document() -> Value {
        json!({
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-11-28T10:00:00+08:00",
            "epcisBody": {"eventList": [
                {"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "epcList": ["urn:epc:id:sgtin:9506000.013435.1001", "https://id.gs1.org/01/09506000134352/21/1002"],
                 "action": "ADD", "bizStep": "commissioning", "disposition": "active",
                 "readPoint": {"id": "urn:epc:id:sgln:9506000.00001.0"},
                 "ilmd": {"cbvmda:lotNumber": "B2026001"}},
                {"type": "AggregationEvent", "eventTime": "2026-11-28T08:10:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "parentID": "urn:epc:id:sscc:9506000.1000000001",
                 "childEPCs": ["urn:epc:id:sgtin:9506000.013435.1001"],
                 "action": "ADD", "bizStep": "https://ref.gs1.org/cbv/BizStep-packing", "disposition": "in_progress"},
                {"type": "TransactionEvent", "eventTime": "2026-11-28T09:00:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "bizTransactionList": [{"type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000001:DA-1"}],
                 "epcList": ["urn:epc:id:sscc:9506000.1000000001"], "action": "ADD",
                 "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping", "disposition": "in_transit"},
                {"type": "TransformationEvent", "eventTime": "2026-11-28T09:30:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "inputEPCList": ["urn:epc:id:sgtin:9506000.013435.1002"],
                 "outputEPCList": ["urn:epc:id:sgtin:9506000.013435.2001"], "bizStep": "repackaging"},
                {"type": "AssociationEvent", "eventTime": "2026-11-28T09:40:00+08:00", "eventTimeZoneOffset": "+08:00",
                 "parentID": "urn:epc:id:sscc:9506000.1000000001", "childEPCs": ["urn:epc:id:giai:9506000.SENSOR1"],
                 "action": "ADD", "bizStep": "assembling"}
            ]}
        })
    }

    #[test]
    fn a_document_with_all_five_event_types_is_accepted() {
        let Checked { good, bad } = check_document(&document(), today()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(bad.is_empty(), "{bad:?}");
        let types: Vec<&str> = good.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, EVENT_TYPES);
        // CBV values are normalized from bare, URN and web forms alike.
        assert_eq!(good[1].biz_step.as_deref(), Some("packing"));
        assert_eq!(good[2].biz_step.as_deref(), Some("shipping"));
        assert_eq!(good[0].read_point.as_deref(), Some("/414/9506000000015"));
        assert_eq!(good[0].keys.len(), 2);
        assert_eq!(good[0].batch.as_deref(), Some("B2026001"));
        assert_eq!(good[3].keys.len(), 2, "inputs and outputs");
        assert_eq!(good[1].parent.as_deref(), Some("/00/195060000000000012"));
    }

    #[test]
    fn each_bad_event_is_named_with_its_fields() {
        let mut doc = document();
        let list =
            doc.pointer_mut("/epcisBody/eventList").and_then(Value::as_array_mut).unwrap_or_else(|| panic!("list"));
        list[0].as_object_mut().map(|o| o.remove("eventTime"));
        list[1]["action"] = json!("MOVE");
        list[2]["epcList"] = json!(["not-an-epc"]);
        list[3]["action"] = json!("ADD");
        list[4]["bizStep"] = json!("teleporting");
        let Checked { good, bad } = check_document(&doc, today()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(good.is_empty());
        let fields: Vec<(usize, String)> =
            bad.iter().flat_map(|(i, errs)| errs.iter().map(move |e| (*i, e.field.clone()))).collect();
        assert_eq!(
            fields,
            vec![
                (0, "eventList[0].eventTime".to_string()),
                (1, "eventList[1].action".to_string()),
                (2, "eventList[2].epcList[0]".to_string()),
                (3, "eventList[3].action".to_string()),
                (4, "eventList[4].bizStep".to_string()),
            ]
        );
        assert!(check_document(&json!({"type": "x"}), today()).is_err());
    }

    #[test]
    fn epcs_are_uris_of_known_schemes_or_digital_links() {
        let t = today();
        assert!(epc_ok("urn:epc:id:sgtin:9506000.013435.12%265", t));
        assert!(epc_ok("urn:nmpa:code:81000011234567890123", t));
        assert!(epc_ok("https://id.gs1.org/01/09506000134352/21/7", t));
        assert!(!epc_ok("https://id.gs1.org/01/09506000134357/21/7", t), "bad check digit");
        assert!(!epc_ok("urn:epc:id:sgtin:9506000..1", t));
        assert!(!epc_ok("urn:epc:id:xyz:1.2", t));
    }
}
