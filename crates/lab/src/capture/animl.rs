//! AnIML (Analytical Information Markup Language, ASTM E13.15; core schema draft 0.90, namespace
//! `urn:org:astm:animl:schema:core:draft:0.90`): the samples with their parameters and the
//! experiment steps with their results' series.
//!
//! The rules read (animl-core.xsd): `ExperimentStep` → `Result` → `SeriesSet` (`name`, `length`:
//! the points each series holds) → `Series` (`name`, `seriesID`, `dependency`, `seriesType` one
//! of Int32 Int64 Float32 Float64 String Boolean DateTime …; then an optional `Unit` with its
//! `label`) holding one kind of value set: `IndividualValueSet` (elements `I L F D S Boolean
//! DateTime`, one per point), `AutoIncrementedValueSet` (`StartValue`, `Increment`, each one
//! numeric element) or `EncodedValueSet` (base64 of little-endian values, 4 bytes for Int32 and
//! Float32, 8 for Int64 and Float64 — the width comes from `seriesType`); each set may start and
//! end at a zero-based, inclusive `startIndex` / `endIndex` (sparse data). `Parameter` (`name`,
//! `parameterType`, one value element, optional `Unit`) sits in a `Category` of a sample, a
//! method or a result. A document without the namespace (some vendors' exports) is read by local
//! names all the same.
//!
//! Limits come before allocation: the document's size, nesting depth, element count and each
//! series' length.

use super::{refuse, ParseError};
use serde::{Deserialize, Serialize};

/// The namespace of AnIML core draft 0.90.
pub const NAMESPACE: &str = "urn:org:astm:animl:schema:core:draft:0.90";
/// Largest document read.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
pub const MAX_DEPTH: usize = 64;
pub const MAX_ELEMENTS: usize = 500_000;
/// Longest series (points).
pub const MAX_POINTS: usize = 1_000_000;

/// A value as the document types it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Integer(i64),
    Number(f64),
    Boolean(bool),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameter {
    pub name: String,
    /// `parameterType`, e.g. Float32.
    pub kind: String,
    pub value: Value,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    pub name: String,
    pub sample_id: String,
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    pub name: String,
    pub id: String,
    /// `independent` or `dependent`.
    pub dependency: String,
    /// `seriesType`, e.g. Float32.
    pub kind: String,
    pub unit: String,
    /// One per point of the series set; `None` where a sparse set leaves a point out.
    pub values: Vec<Option<Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesSet {
    pub name: String,
    pub length: usize,
    pub series: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepResult {
    pub name: String,
    pub series_sets: Vec<SeriesSet>,
    pub parameters: Vec<Parameter>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    pub id: String,
    /// The method's parameters (e.g. the wavelength).
    pub parameters: Vec<Parameter>,
    pub results: Vec<StepResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The root's `version`.
    pub version: String,
    /// Whether the root is in the AnIML 0.90 namespace.
    pub namespaced: bool,
    pub samples: Vec<Sample>,
    pub steps: Vec<Step>,
}

/// An element: local name, attributes, text, children, the line it starts on.
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
    line: usize,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn required(&self, name: &str) -> Result<String, ParseError> {
        self.attr(name)
            .map(str::to_string)
            .ok_or_else(|| refuse(self.line, "attribute", format!("{} has no {name} attribute", self.name)))
    }
}

impl Node {
    /// The element with its names and attribute keys reduced to local names, as AnIML is read.
    fn from_element(e: yaolian_core::xml::Element) -> Node {
        let local = |n: &str| n.rsplit(':').next().unwrap_or(n).to_string();
        Node {
            name: local(&e.name),
            attrs: e
                .attrs
                .iter()
                .filter(|(k, _)| k != "xmlns" && !k.starts_with("xmlns:"))
                .map(|(k, v)| (local(k), v.clone()))
                .collect(),
            text: e.text,
            children: e.children.into_iter().map(Node::from_element).collect(),
            line: e.line,
        }
    }
}

/// Reads the document into elements (the shared reader, within this module's limits); whether
/// the root is in the AnIML namespace.
fn tree(text: &str) -> Result<(Node, bool), ParseError> {
    let limits = yaolian_core::xml::Limits { elements: MAX_ELEMENTS, depth: MAX_DEPTH };
    let doc = yaolian_core::xml::parse_with(text, limits).map_err(|e| refuse(e.line, e.rule, e.message))?;
    let namespaced = doc.root.attr("xmlns") == Some(NAMESPACE);
    Ok((Node::from_element(doc.root), namespaced))
}

/// One typed value element (`I L F D S Boolean DateTime`).
fn value_of(n: &Node) -> Result<Value, ParseError> {
    let t = n.text.trim();
    let bad = |what: &str| refuse(n.line, "number", format!("{} is not {what}: {t}", n.name));
    Ok(match n.name.as_str() {
        "I" | "L" => Value::Integer(t.parse().map_err(|_| bad("an integer"))?),
        "F" | "D" => {
            Value::Number(t.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| bad("a finite number"))?)
        }
        "Boolean" => Value::Boolean(match t {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(bad("a boolean")),
        }),
        "S" | "DateTime" | "EmbeddedXML" | "SVG" | "PNG" => Value::Text(t.to_string()),
        other => return Err(refuse(n.line, "value", format!("{other} is not a value element"))),
    })
}

fn unit_of(n: &Node) -> String {
    n.child("Unit").and_then(|u| u.attr("label")).unwrap_or("").to_string()
}

fn parameters(n: &Node, out: &mut Vec<Parameter>) -> Result<(), ParseError> {
    for c in n.all("Category") {
        for p in c.all("Parameter") {
            let value = p
                .children
                .iter()
                .find(|v| v.name != "Unit")
                .ok_or_else(|| refuse(p.line, "value", "a parameter without its value"))?;
            out.push(Parameter {
                name: p.attr("name").unwrap_or("").to_string(),
                kind: p.attr("parameterType").unwrap_or("").to_string(),
                value: value_of(value)?,
                unit: unit_of(p),
            });
        }
        parameters(c, out)?;
    }
    Ok(())
}

fn index(n: &Node, name: &str) -> Result<Option<usize>, ParseError> {
    match n.attr(name) {
        None => Ok(None),
        Some(v) => {
            v.trim().parse().map(Some).map_err(|_| refuse(n.line, "index", format!("{name} is not a count: {v}")))
        }
    }
}

fn number_of(n: Option<&Node>, what: &str, at: usize) -> Result<Value, ParseError> {
    let el = n.and_then(|n| n.children.first()).ok_or_else(|| refuse(at, "value", format!("{what} has no value")))?;
    match value_of(el)? {
        v @ (Value::Integer(_) | Value::Number(_)) => Ok(v),
        _ => Err(refuse(el.line, "number", format!("{what} is not a number"))),
    }
}

fn decode(text: &str, kind: &str, at: usize) -> Result<Vec<Value>, ParseError> {
    use base64::Engine;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| refuse(at, "base64", format!("EncodedValueSet is not base64: {e}")))?;
    let width = match kind {
        "Int32" | "Float32" => 4,
        "Int64" | "Float64" => 8,
        other => return Err(refuse(at, "encoded_type", format!("values of type {other} are not encoded as numbers"))),
    };
    if bytes.len() % width != 0 {
        return Err(refuse(at, "encoded_width", format!("{} bytes are not whole {kind} values", bytes.len())));
    }
    Ok(bytes
        .chunks_exact(width)
        .map(|c| match (kind, c) {
            ("Int32", &[a, b, c2, d]) => Value::Integer(i64::from(i32::from_le_bytes([a, b, c2, d]))),
            ("Float32", &[a, b, c2, d]) => Value::Number(f64::from(f32::from_le_bytes([a, b, c2, d]))),
            ("Int64", c) => Value::Integer(i64::from_le_bytes(c.try_into().unwrap_or([0; 8]))),
            (_, c) => Value::Number(f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))),
        })
        .collect())
}

fn series_of(s: &Node, length: usize) -> Result<Series, ParseError> {
    let kind = s.required("seriesType")?;
    let mut values: Vec<Option<Value>> = vec![None; length];
    let mut place = |start: usize, list: Vec<Value>, at: usize| -> Result<(), ParseError> {
        if start + list.len() > length {
            return Err(refuse(
                at,
                "length",
                format!("{} values from {start} overrun the series set's {length}", list.len()),
            ));
        }
        for (i, v) in list.into_iter().enumerate() {
            values[start + i] = Some(v);
        }
        Ok(())
    };
    for set in &s.children {
        let start = index(set, "startIndex")?.unwrap_or(0);
        let end = index(set, "endIndex")?;
        match set.name.as_str() {
            "IndividualValueSet" => {
                let list = set.children.iter().map(value_of).collect::<Result<Vec<_>, _>>()?;
                place(start, list, set.line)?;
            }
            "EncodedValueSet" => place(start, decode(&set.text, &kind, set.line)?, set.line)?,
            "AutoIncrementedValueSet" => {
                let first = number_of(set.child("StartValue"), "StartValue", set.line)?;
                let step = number_of(set.child("Increment"), "Increment", set.line)?;
                let last = end.unwrap_or(length.saturating_sub(1));
                if last < start || last >= length {
                    return Err(refuse(
                        set.line,
                        "length",
                        format!("endIndex {last} outside the series set's {length}"),
                    ));
                }
                let list = (0..=last - start)
                    .map(|i| match (&first, &step) {
                        (Value::Integer(a), Value::Integer(b)) => Value::Integer(a + b * i as i64),
                        (a, b) => Value::Number(as_f64(a) + as_f64(b) * i as f64),
                    })
                    .collect();
                place(start, list, set.line)?;
            }
            _ => {}
        }
    }
    Ok(Series {
        name: s.attr("name").unwrap_or("").to_string(),
        id: s.attr("seriesID").unwrap_or("").to_string(),
        dependency: s.attr("dependency").unwrap_or("").to_string(),
        kind,
        unit: unit_of(s),
        values,
    })
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Number(n) => *n,
        _ => 0.0,
    }
}

fn series_sets(n: &Node) -> Result<Vec<SeriesSet>, ParseError> {
    let mut out = Vec::new();
    for set in n.all("SeriesSet") {
        let length: usize = set
            .required("length")?
            .trim()
            .parse()
            .map_err(|_| refuse(set.line, "length", "SeriesSet length is not a count"))?;
        if length > MAX_POINTS {
            return Err(refuse(set.line, "too_large", format!("series of more than {MAX_POINTS} points")));
        }
        let series = set.all("Series").map(|s| series_of(s, length)).collect::<Result<Vec<_>, _>>()?;
        out.push(SeriesSet { name: set.attr("name").unwrap_or("").to_string(), length, series });
    }
    Ok(out)
}

fn steps(n: &Node, out: &mut Vec<Step>) -> Result<(), ParseError> {
    for step in n.all("ExperimentStep") {
        let mut params = Vec::new();
        if let Some(m) = step.child("Method") {
            parameters(m, &mut params)?;
        }
        let mut results = Vec::new();
        for r in step.all("Result") {
            let mut rp = Vec::new();
            parameters(r, &mut rp)?;
            let mut sets = series_sets(r)?;
            for c in r.all("Category") {
                sets.extend(series_sets(c)?);
            }
            results.push(StepResult {
                name: r.attr("name").unwrap_or("").to_string(),
                series_sets: sets,
                parameters: rp,
            });
            if let Some(inner) = r.child("ExperimentStepSet") {
                steps(inner, out)?;
            }
        }
        out.push(Step {
            name: step.attr("name").unwrap_or("").to_string(),
            id: step.attr("experimentStepID").unwrap_or("").to_string(),
            parameters: params,
            results,
        });
    }
    Ok(())
}

/// Reads an AnIML document.
pub fn parse(bytes: &[u8]) -> Result<Document, ParseError> {
    if bytes.len() > MAX_BYTES {
        return Err(refuse(0, "too_large", format!("more than {MAX_BYTES} bytes")));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| refuse(0, "encoding", "not UTF-8"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (root, namespaced) = tree(text)?;
    if root.name != "AnIML" {
        return Err(refuse(root.line, "root", format!("the root is {}, not AnIML", root.name)));
    }
    let mut samples = Vec::new();
    if let Some(set) = root.child("SampleSet") {
        for s in set.all("Sample") {
            let mut ps = Vec::new();
            parameters(s, &mut ps)?;
            samples.push(Sample {
                name: s.attr("name").unwrap_or("").to_string(),
                sample_id: s.attr("sampleID").unwrap_or("").to_string(),
                parameters: ps,
            });
        }
    }
    let mut out = Vec::new();
    if let Some(set) = root.child("ExperimentStepSet") {
        steps(set, &mut out)?;
    }
    Ok(Document { version: root.attr("version").unwrap_or("").to_string(), namespaced, samples, steps: out })
}
