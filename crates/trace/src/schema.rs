//! EPCIS 2.0 documents and events checked against GS1's own JSON Schema
//! (`data/epcis/EPCIS-JSON-Schema.json`, draft-07, unmodified; see `data/epcis/SOURCE.md`)
//! before the semantic checks of [`crate::epcis`]. The schema is compiled once, with format
//! checking on (`uri`, `date-time`) and an ECMA-style regex engine (its patterns use negative
//! look-ahead).
//!
//! Three entry points share the one compiled schema:
//! - an event inside a document ([`event`]), against the schema's `EPCIS-Document-Event`, which
//!   dispatches on `type`;
//! - a document's envelope ([`envelope`]): everything but the events, against the root schema,
//!   so that a document's events are checked one by one (and a capture can keep the good ones);
//! - a standalone event (`POST /epcis/events`), which must also carry `@context`
//!   ([`standalone_context`], the schema's `required-ld-context`).
//!
//! A refusal names the field the way the rest of capture does (`eventList[3].quantityList[0].
//! quantity`) and the schema keyword that failed (`schema:type`).

use std::sync::LazyLock;

use serde_json::{Map, Value};
use yaolian_core::FieldError;

/// The schema as GS1 publishes it.
pub const SCHEMA_JSON: &str = include_str!("../data/epcis/EPCIS-JSON-Schema.json");

/// At most this many schema errors are reported per event (one bad value can break several
/// branches of an `anyOf`; the first few say what is wrong).
const MAX_ERRORS: usize = 8;

struct Compiled {
    root: jsonschema::Validator,
    event: jsonschema::Validator,
}

/// The schema compiled twice: as published (documents, standalone events) and rooted at
/// `#/definitions/EPCIS-Document-Event` (an event inside a document). `Err` only if the
/// vendored file were broken, which the tests below rule out.
static COMPILED: LazyLock<Result<Compiled, String>> = LazyLock::new(compile);

fn compile() -> Result<Compiled, String> {
    let schema: Value = serde_json::from_str(SCHEMA_JSON).map_err(|e| format!("EPCIS schema: {e}"))?;
    let build = |s: &Value| {
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft7)
            .should_validate_formats(true)
            .build(s)
            .map_err(|e| format!("EPCIS schema: {e}"))
    };
    let root = build(&schema)?;
    // The same definitions, rooted at the in-document event: a copy of the schema whose root
    // is a reference to that definition.
    let mut rooted = Map::new();
    for key in ["$schema", "definitions"] {
        if let Some(v) = schema.get(key) {
            rooted.insert(key.to_string(), v.clone());
        }
    }
    rooted.insert("$ref".into(), Value::String("#/definitions/EPCIS-Document-Event".into()));
    let event = build(&Value::Object(rooted))?;
    Ok(Compiled { root, event })
}

/// Whether the schema compiled (for the server's start-up check).
pub fn ready() -> Result<(), String> {
    COMPILED.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// `/epcisBody/eventList/3/quantityList/0/quantity` as `epcisBody.eventList[3].quantityList[0].
/// quantity`, under `prefix` when given.
fn field_name(prefix: &str, pointer: &str) -> String {
    let mut out = String::from(prefix);
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&token);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    if out.is_empty() {
        "document".into()
    } else {
        out
    }
}

fn errors_of(validator: &jsonschema::Validator, value: &Value, prefix: &str) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for e in validator.iter_errors(value) {
        let at = field_name(prefix, &e.instance_path().to_string());
        let error = explain(&at, &e);
        if !out.iter().any(|x| x.field == error.field && x.rule == error.rule) {
            out.push(error);
        }
        if out.len() == MAX_ERRORS * 4 {
            break;
        }
    }
    // A branch keyword (anyOf, oneOf) that failed because of a value inside it says less than
    // the error about that value: keep the specific one.
    let specific: Vec<String> = out.iter().filter(|e| !is_branch(&e.rule)).map(|e| e.field.clone()).collect();
    out.retain(|e| !is_branch(&e.rule) || !specific.iter().any(|f| f.starts_with(&e.field)));
    out.truncate(MAX_ERRORS);
    out
}

fn is_branch(rule: &str) -> bool {
    matches!(rule, "schema:anyOf" | "schema:oneOf" | "schema:allOf")
}

/// One schema error as a field error: the field named down to the member at fault (a missing,
/// unexpected or unknown member is named itself), the keyword as the rule, and a message that
/// says what the standard wants.
fn explain(at: &str, e: &jsonschema::ValidationError<'_>) -> FieldError {
    use jsonschema::error::ValidationErrorKind as K;
    let (kind, instance) = (e.kind(), e.instance().as_ref());
    let rule = format!("schema:{}", kind.keyword());
    let member = |name: &str| if at == "document" { name.to_string() } else { format!("{at}.{name}") };
    match kind {
        K::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            FieldError::new(member(name), rule, format!("{name} is required"))
        }
        K::AdditionalProperties { unexpected } => {
            let name = unexpected.first().map(String::as_str).unwrap_or_default();
            FieldError::new(member(name), rule, format!("{name} is not a member of this EPCIS structure"))
        }
        K::PropertyNames { error } => {
            let name = error.instance().as_str().unwrap_or_default().to_string();
            let message = format!(
                "{name} is not a field of this EPCIS 2.0 structure; an extension field is written \
                 prefix:name with its namespace declared in @context"
            );
            FieldError::new(member(&name), rule, message)
        }
        K::AnyOf { .. } | K::OneOfNotValid { .. } => {
            let message = match instance.as_str() {
                Some(v) if v.starts_with("urn:epcglobal:cbv:") => {
                    let bare = v.rsplit(':').next().unwrap_or(v);
                    format!("{v:?}: EPCIS 2.0 JSON writes a CBV value by its bare name ({bare:?}), not as a URN")
                }
                Some(v) => format!("{v:?} is none of the forms EPCIS 2.0 allows here"),
                None => format!("{instance} is none of the forms EPCIS 2.0 allows here"),
            };
            FieldError::new(at, rule, message)
        }
        _ => FieldError::new(at, rule, e.to_string()),
    }
}

fn unavailable(e: &str) -> Vec<FieldError> {
    vec![FieldError::new("document", "schema", e.to_string())]
}

/// Schema errors of the `index`-th event of a document, named `eventList[index].…`.
pub fn event(v: &Value, index: usize) -> Vec<FieldError> {
    match COMPILED.as_ref() {
        Ok(c) => errors_of(&c.event, v, &format!("eventList[{index}]")),
        Err(e) => unavailable(e),
    }
}

/// Schema errors of a document's envelope: the document with an empty event list against the
/// root schema (its events are checked one by one with [`event`]).
pub fn envelope(doc: &Value) -> Vec<FieldError> {
    let Some(obj) = doc.as_object() else {
        return vec![FieldError::new("document", "schema:type", "an EPCIS document is a JSON object")];
    };
    let mut shell = Map::with_capacity(obj.len());
    for (k, v) in obj {
        if k == "epcisBody" {
            let mut body = v.as_object().cloned().unwrap_or_default();
            if body.contains_key("eventList") {
                body.insert("eventList".into(), Value::Array(Vec::new()));
            }
            shell.insert(k.clone(), Value::Object(body));
        } else {
            shell.insert(k.clone(), v.clone());
        }
    }
    match COMPILED.as_ref() {
        Ok(c) => errors_of(&c.root, &Value::Object(shell), ""),
        Err(e) => unavailable(e),
    }
}

/// A standalone event (not inside a document) carries its JSON-LD `@context`
/// (the schema's `required-ld-context`).
pub fn standalone_context(v: &Value) -> Option<FieldError> {
    v.get("@context").is_none().then(|| {
        FieldError::new("@context", "schema:required", "a standalone EPCIS event carries its JSON-LD @context")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_vendored_schema_is_gs1s_file_and_compiles() {
        // data/epcis/SOURCE.md: the digest of the file at gs1/EPCIS commit 2b888be.
        let digest = hex::encode(Sha256::digest(SCHEMA_JSON.as_bytes()));
        assert_eq!(digest, "ed3228d7867198b4a5be9748fe77f473457c6ed98224fab28a950b4ce634a041");
        assert_eq!(ready(), Ok(()));
    }

    fn event_json() -> Value {
        json!({"type": "ObjectEvent", "eventTime": "2026-11-28T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
               "epcList": ["urn:epc:id:sgtin:9506000.013435.1001"], "action": "OBSERVE", "bizStep": "shipping"})
    }

    #[test]
    fn the_five_kinds_of_schema_error_name_their_path() {
        assert!(event(&event_json(), 0).is_empty(), "{:?}", event(&event_json(), 0));
        let with = |f: &dyn Fn(&mut Value)| {
            let mut v = event_json();
            f(&mut v);
            event(&v, 2)
        };
        // A quantity given as text.
        let errs = with(&|v| {
            v["quantityList"] = json!([{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "200"}])
        });
        assert!(errs.iter().any(|e| e.field == "eventList[2].quantityList[0].quantity"), "{errs:?}");
        // An unknown field inside a standard structure.
        let errs = with(&|v| {
            v["quantityList"] =
                json!([{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 2, "colour": "red"}])
        });
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            (errs[0].field.as_str(), errs[0].rule.as_str()),
            ("eventList[2].quantityList[0].colour", "schema:additionalProperties")
        );
        // A malformed certificationInfo.
        let errs = with(&|v| v["certificationInfo"] = json!({"cert": 1}));
        assert!(errs.iter().any(|e| e.field == "eventList[2].certificationInfo"), "{errs:?}");
        // An ILMD field without a namespace.
        let errs = with(&|v| {
            v["action"] = json!("ADD");
            v["ilmd"] = json!({"lotNumber": "B1"});
        });
        assert_eq!(
            (errs[0].field.as_str(), errs[0].rule.as_str()),
            ("eventList[2].ilmd.lotNumber", "schema:propertyNames")
        );
        // A field of no EPCIS structure, without a namespace, and a CBV URN where JSON wants the bare name.
        let errs = with(&|v| v["colour"] = json!("red"));
        assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("eventList[2].colour", "schema:propertyNames"));
        let errs = with(&|v| v["bizStep"] = json!("urn:epcglobal:cbv:bizstep:shipping"));
        assert_eq!(errs[0].field, "eventList[2].bizStep");
        assert!(errs[0].message.contains("bare name (\"shipping\")"), "{errs:?}");
        // A missing required member is named itself.
        let errs = with(&|v| {
            v.as_object_mut().map(|o| o.remove("action"));
        });
        assert_eq!((errs[0].field.as_str(), errs[0].rule.as_str()), ("eventList[2].action", "schema:required"));
        // A document without @context.
        let doc = json!({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-28T08:00:00Z",
                         "epcisBody": {"eventList": [event_json()]}});
        let errs = envelope(&doc);
        assert!(errs.iter().any(|e| e.field == "@context" && e.rule == "schema:required"), "{errs:?}");
        assert!(standalone_context(&event_json()).is_some());
    }

    #[test]
    fn pointers_become_field_names() {
        assert_eq!(
            field_name("", "/epcisBody/eventList/3/quantityList/0/quantity"),
            "epcisBody.eventList[3].quantityList[0].quantity"
        );
        assert_eq!(field_name("eventList[1]", "/ilmd/a~1b"), "eventList[1].ilmd.a/b");
        assert_eq!(field_name("", ""), "document");
    }
}
