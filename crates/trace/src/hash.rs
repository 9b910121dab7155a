//! The EPCIS event hash ID (GS1 CBV 2.0 §8.9): a SHA-256 over a pre-hash string that lists an
//! event's fields in a fixed order, each list sorted, times in UTC to the millisecond, EPCs and
//! locations as canonical GS1 Digital Link URIs and CBV values as their web URIs, so that the
//! same event sent as JSON-LD or XML, with its lists in any order and its identifiers in URN or
//! Digital Link form, gets one ID: `ni:///sha-256;{hex}?ver=CBV2.0`.
//!
//! Standard fields are written as the reference implementation (GS1 epcis-event-hash-generator)
//! writes them; ilmd, sensor data and user extensions are included in a deterministic order
//! (sorted keys) so that events differing there get different IDs, but are not promised to
//! match other implementations byte for byte.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::codes::epc;

/// Fields that are lists of EPCs, in pre-hash order (with parentID between the first two).
const EPC_LISTS: &[&str] = &["epcList", "inputEPCList", "childEPCs"];
const QUANTITY_LISTS: &[&str] = &["quantityList", "childQuantityList", "inputQuantityList"];

/// Fields the pre-hash string never includes: the ID itself, when it was recorded, and the
/// JSON-LD framing.
const EXCLUDED: &[&str] = &["eventID", "recordTime", "@context", "type", "errorDeclaration", "certificationInfo"];

/// Every field the standard order covers (a `match`: called for every field of every event).
fn is_standard(name: &str) -> bool {
    matches!(
        name,
        "eventTime"
            | "eventTimeZoneOffset"
            | "epcList"
            | "parentID"
            | "inputEPCList"
            | "childEPCs"
            | "quantityList"
            | "childQuantityList"
            | "inputQuantityList"
            | "outputEPCList"
            | "outputQuantityList"
            | "action"
            | "transformationID"
            | "bizStep"
            | "disposition"
            | "persistentDisposition"
            | "readPoint"
            | "bizLocation"
            | "bizTransactionList"
            | "sourceList"
            | "destinationList"
            | "sensorElementList"
            | "ilmd"
    )
}

/// The event hash of `event` (a JSON object of one EPCIS 2.0 event).
pub fn event_hash(event: &Value, today: chrono::NaiveDate) -> [u8; 32] {
    Sha256::digest(prehash(event, today).as_bytes()).into()
}

/// The hash as an event ID URI.
pub fn hash_id(hash: &[u8; 32]) -> String {
    format!("ni:///sha-256;{}?ver=CBV2.0", hex::encode(hash))
}

/// The hash of an event ID URI written by `hash_id`.
pub fn parse_hash_id(id: &str) -> Option<[u8; 32]> {
    let hex_part = id.strip_prefix("ni:///sha-256;")?.split('?').next()?;
    let bytes = hex::decode(hex_part).ok()?;
    bytes.try_into().ok()
}

/// The pre-hash string.
pub fn prehash(event: &Value, today: chrono::NaiveDate) -> String {
    let mut out = String::with_capacity(1024);
    let text = |name: &str| event.get(name).and_then(Value::as_str).map(str::trim);
    let canonical_id = |s: &str| epc::key(s, today).map(|k| epc::uri(&k)).unwrap_or_else(|_| s.trim().to_string());
    let epcs = |out: &mut String, name: &str| {
        if let Some(list) = event.get(name).and_then(Value::as_array) {
            let mut items: Vec<String> =
                list.iter().filter_map(Value::as_str).map(|e| format!("epc={}", canonical_id(e))).collect();
            items.sort();
            out.push_str(name);
            out.extend(items);
        }
    };
    let quantities = |out: &mut String, name: &str| {
        if let Some(list) = event.get(name).and_then(Value::as_array) {
            let mut items: Vec<String> = list
                .iter()
                .map(|q| {
                    let mut s = String::new();
                    if let Some(c) = q.get("epcClass").and_then(Value::as_str) {
                        let _ = write!(s, "epcClass={}", canonical_id(c));
                    }
                    if let Some(n) = q.get("quantity") {
                        let _ = write!(s, "quantity={}", number(n));
                    }
                    if let Some(u) = q.get("uom").and_then(Value::as_str) {
                        let _ = write!(s, "uom={u}");
                    }
                    s
                })
                .collect();
            items.sort();
            out.push_str(name);
            out.extend(items);
        }
    };
    if let Some(t) = text("type") {
        let _ = write!(out, "eventType={t}");
    }
    if let Some(t) = text("eventTime") {
        let _ = write!(out, "eventTime={}", utc_millis(t));
    }
    if let Some(t) = text("eventTimeZoneOffset") {
        let _ = write!(out, "eventTimeZoneOffset={t}");
    }
    epcs(&mut out, EPC_LISTS[0]);
    if let Some(p) = text("parentID") {
        let _ = write!(out, "parentID={}", canonical_id(p));
    }
    epcs(&mut out, EPC_LISTS[1]);
    epcs(&mut out, EPC_LISTS[2]);
    for q in QUANTITY_LISTS {
        quantities(&mut out, q);
    }
    epcs(&mut out, "outputEPCList");
    quantities(&mut out, "outputQuantityList");
    for name in ["action", "transformationID"] {
        if let Some(v) = text(name) {
            let _ = write!(out, "{name}={v}");
        }
    }
    if let Some(v) = text("bizStep") {
        let _ = write!(out, "bizStep={}", cbv_uri(v, "urn:epcglobal:cbv:bizstep:", "BizStep-"));
    }
    if let Some(v) = text("disposition") {
        let _ = write!(out, "disposition={}", cbv_uri(v, "urn:epcglobal:cbv:disp:", "Disp-"));
    }
    if let Some(p) = event.get("persistentDisposition") {
        out.push_str("persistentDisposition");
        for part in ["set", "unset"] {
            let mut items: Vec<String> = p
                .get(part)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|d| format!("{part}={}", cbv_uri(d, "urn:epcglobal:cbv:disp:", "Disp-")))
                        .collect()
                })
                .unwrap_or_default();
            items.sort();
            out.extend(items);
        }
    }
    for name in ["readPoint", "bizLocation"] {
        if let Some(id) = event.get(name).and_then(|p| p.get("id")).and_then(Value::as_str) {
            let _ = write!(out, "{name}id={}", canonical_id(id));
        }
    }
    let typed = |out: &mut String, name: &str, child: &str, urn: &str, web: &str| {
        if let Some(list) = event.get(name).and_then(Value::as_array) {
            let mut items: Vec<String> = list
                .iter()
                .map(|e| {
                    let mut parts = Vec::new();
                    if let Some(v) = e.get(child).and_then(Value::as_str) {
                        parts.push(format!("{child}={}", v.trim()));
                    }
                    if let Some(t) = e.get("type").and_then(Value::as_str) {
                        parts.push(format!("type={}", cbv_uri(t, urn, web)));
                    }
                    parts.sort();
                    parts.concat()
                })
                .collect();
            items.sort();
            out.push_str(name);
            out.extend(items);
        }
    };
    typed(&mut out, "bizTransactionList", "bizTransaction", "urn:epcglobal:cbv:btt:", "BTT-");
    typed(&mut out, "sourceList", "source", "urn:epcglobal:cbv:sdt:", "SDT-");
    typed(&mut out, "destinationList", "destination", "urn:epcglobal:cbv:sdt:", "SDT-");
    for name in ["sensorElementList", "ilmd"] {
        if let Some(v) = event.get(name) {
            out.push_str(name);
            flatten(&mut out, v);
        }
    }
    // User extensions: every other field, by name.
    if let Some(obj) = event.as_object() {
        let mut names: Vec<&String> =
            obj.keys().filter(|k| !is_standard(k) && !EXCLUDED.contains(&k.as_str())).collect();
        names.sort();
        for name in names {
            out.push_str(name);
            flatten(&mut out, &obj[name.as_str()]);
        }
    }
    out
}

/// A JSON value written deterministically: objects by sorted key, arrays sorted.
fn flatten(out: &mut String, v: &Value) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for k in keys {
                let mut inner = String::new();
                flatten(&mut inner, &m[k.as_str()]);
                if matches!(m[k.as_str()], Value::Object(_) | Value::Array(_)) {
                    let _ = write!(out, "{k}{inner}");
                } else {
                    let _ = write!(out, "{k}={inner}");
                }
            }
        }
        Value::Array(a) => {
            let mut items: Vec<String> = a
                .iter()
                .map(|x| {
                    let mut s = String::new();
                    flatten(&mut s, x);
                    s
                })
                .collect();
            items.sort();
            out.extend(items);
        }
        Value::String(s) => out.push_str(s.trim()),
        other => out.push_str(&number(other)),
    }
}

/// A number without trailing zeros (`2.50` → `2.5`, `3.0` → `3`).
fn number(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => v.to_string(),
    }
}

/// A CBV value as its web URI: `shipping` or `urn:epcglobal:cbv:bizstep:shipping` →
/// `https://ref.gs1.org/cbv/BizStep-shipping`; other URIs unchanged.
fn cbv_uri(v: &str, urn_prefix: &str, web_prefix: &str) -> String {
    let bare = v.strip_prefix(urn_prefix).unwrap_or(v);
    if bare.contains(':') || bare.contains('/') {
        bare.to_string()
    } else {
        format!("https://ref.gs1.org/cbv/{web_prefix}{bare}")
    }
}

/// An RFC 3339 time in UTC with exactly three decimals, rounded half up at the fourth.
fn utc_millis(t: &str) -> String {
    match DateTime::parse_from_rfc3339(t) {
        Ok(dt) => {
            let nanos = dt.timestamp_subsec_nanos() as i64;
            let ms = dt.timestamp() * 1000 + (nanos + 500_000) / 1_000_000;
            Utc.timestamp_millis_opt(ms)
                .single()
                .map(|u| u.to_rfc3339_opts(SecondsFormat::Millis, true))
                .unwrap_or_else(|| t.to_string())
        }
        Err(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default()
    }

    /// The single-event example of the GS1 reference implementation
    /// (tests/examples/epcisDocWithSingleEvent.jsonld) and its published hash.
    fn reference_event() -> Value {
        json!({
            "type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"],
            "eventTime": "2022-02-16T20:33:31.116000-06:00", "eventTimeZoneOffset": "-06:00",
            "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
            "bizTransactionList": [{"type": "po", "bizTransaction": "http://transaction.acme.com/po/12345678"}]
        })
    }

    #[test]
    fn matches_the_reference_implementation() {
        let e = reference_event();
        assert_eq!(
            prehash(&e, today()),
            "eventType=ObjectEventeventTime=2022-02-17T02:33:31.116ZeventTimeZoneOffset=-06:00\
             epcListepc=https://id.gs1.org/01/10614141073464/21/2017epc=https://id.gs1.org/01/10614141073464/21/2018\
             action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-shipping\
             disposition=https://ref.gs1.org/cbv/Disp-in_transit\
             readPointid=https://id.gs1.org/414/0614141073467/254/1234\
             bizTransactionListbizTransaction=http://transaction.acme.com/po/12345678type=https://ref.gs1.org/cbv/BTT-po"
        );
        assert_eq!(
            hash_id(&event_hash(&e, today())),
            "ni:///sha-256;3e0f2437f4cb5e8a1b832b769c0eed1bf3e1421f14061132e9800ded03f10182?ver=CBV2.0"
        );
    }

    #[test]
    fn the_same_event_in_other_forms_has_the_same_hash_and_a_change_changes_it() {
        let e = reference_event();
        let mut same = e.clone();
        // Lists in another order, Digital Link instead of URN, CBV URN form, another offset.
        same["epcList"] =
            json!(["https://id.gs1.org/01/10614141073464/21/2018", "urn:epc:id:sgtin:0614141.107346.2017"]);
        same["bizStep"] = json!("urn:epcglobal:cbv:bizstep:shipping");
        same["eventTime"] = json!("2022-02-17T02:33:31.116Z");
        same["eventID"] = json!("urn:uuid:1");
        assert_eq!(event_hash(&e, today()), event_hash(&same, today()));
        let mut other = e.clone();
        other["disposition"] = json!("in_progress");
        assert_ne!(event_hash(&e, today()), event_hash(&other, today()));
        let h = event_hash(&e, today());
        assert_eq!(parse_hash_id(&hash_id(&h)), Some(h));
    }
}
