//! Lab record templates (实验记录模板): designed as data, not code — sections, typed fields
//! (a number with its unit and significant figures or decimal places, text, a choice list, a
//! date or time, an instrument, a reagent lot, an instrument result), tables (a section whose
//! fields repeat over a number of rows), calculated fields with formulas over other fields, and
//! checks (entry limits, the specification that flags a result out of specification, required
//! fields).
//!
//! A template is a controlled document (受控文件) in the sense of China GMP 2010 Art. 150–162:
//! each version is drafted, and approved under an electronic signature by someone who did not
//! draft it; only the newest approved version is used for new records, an older one is
//! superseded, and an approved version is never edited again — a change is a new version. A
//! template may name the analytical method (检验方法, a controlled document of the quality
//! module) it carries out: a record is then made only by someone trained on its effective
//! revision.
//!
//! The definition's rules (`compile`) are pure; the rest stores each version as entity
//! `lab_template_version`. `lab.manage` designs and approves, `lab.read` reads.

use crate::error::{LabError, Result};
use crate::formula::{self, Expr};
use crate::rounding::Rule;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_store::sql::Params;
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

/// The versioned-record entity of template versions.
pub const ENTITY: &str = "lab_template_version";

/// Field kinds, code and Chinese name.
pub const KINDS: &[(&str, &str)] = &[
    ("number", "数值"),
    ("calculated", "计算结果"),
    ("text", "文本"),
    ("choice", "选项"),
    ("date", "日期"),
    ("datetime", "日期时间"),
    ("instrument", "仪器"),
    ("reagent", "试剂批次"),
    ("result", "仪器数据"),
    ("attachment", "附件"),
];

/// Version states, code and Chinese name.
pub const STATUSES: &[(&str, &str)] =
    &[("draft", "草稿"), ("approved", "已批准，现行"), ("superseded", "已被新版本替代")];

/// Rounding rules a template may report under, code and Chinese name.
pub const RULES: &[(&str, &str)] =
    &[("chp", "中国药典凡例（GB/T 8170 四舍六入五成双）"), ("usp", "USP 通则 7.20（四舍五入）")];

/// Limits that keep one definition small enough to check and render.
pub const MAX_DEFINITION_BYTES: usize = 256 * 1024;
pub const MAX_SECTIONS: usize = 50;
pub const MAX_FIELDS_PER_SECTION: usize = 200;
pub const MAX_ROWS: u32 = 200;
/// Fields after the tables' rows are expanded.
pub const MAX_SLOTS: usize = 2000;

/// A template's definition (模板定义).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Definition {
    /// `chp` or `usp` ([`RULES`]): how calculated results are rounded.
    #[serde(default = "chp")]
    pub rounding: String,
    /// The analytical method (检验方法) carried out: a controlled document's id; a record is
    /// made only by someone trained on its effective revision.
    #[serde(default)]
    pub method_document_id: Option<i64>,
    pub sections: Vec<Section>,
}

fn chp() -> String {
    "chp".into()
}

/// A section (段落); with `rows` it is a table whose fields repeat on each row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Section {
    pub title: String,
    /// 0 for a plain section; n for a table of n rows (fields `key_1` … `key_n`).
    #[serde(default)]
    pub rows: u32,
    pub fields: Vec<Field>,
}

/// A field (字段). Limits and specification limits are decimal text, so that they are kept as
/// written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Field {
    /// Letters, digits and `_`, from a lower-case letter; formulas read the field by it.
    pub key: String,
    pub label: String,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    #[serde(default)]
    pub unit: String,
    /// Significant figures a calculated result is reported to (有效数字).
    #[serde(default)]
    pub figures: Option<u32>,
    /// Decimal places a number is entered with, or a calculated result reported to (小数位数).
    #[serde(default)]
    pub places: Option<u32>,
    #[serde(default)]
    pub choices: Vec<String>,
    /// For a calculated field: the formula over other fields' keys (`key[]`: every row of a
    /// table's column).
    #[serde(default)]
    pub formula: String,
    #[serde(default)]
    pub required: bool,
    /// Entry limits: a value outside is refused (a typing error, not a result).
    #[serde(default)]
    pub min: Option<String>,
    #[serde(default)]
    pub max: Option<String>,
    /// Specification (标准规定): a reported value outside is out of specification (OOS).
    #[serde(default)]
    pub spec_low: Option<String>,
    #[serde(default)]
    pub spec_high: Option<String>,
    /// For a number: filled from the instrument result another field of the template names
    /// (its weighing, or a named peak's area, retention time …), never typed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FromResult>,
}

/// Where a number comes from in an instrument result (取自仪器数据).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FromResult {
    /// The key of the template's `result` field (in a table, the same row's when the result is
    /// a column of the same table).
    pub result: String,
    /// One of [`RESULT_VALUES`]' codes.
    pub value: String,
    /// For a peak's value: the peak's name as the data system exports it.
    #[serde(default)]
    pub peak: String,
}

/// What a number can take from a result, code and Chinese name: a balance's stable weighing, or
/// a named peak's column of a peak table.
pub const RESULT_VALUES: &[(&str, &str)] = &[
    ("weight", "称量值"),
    ("area", "峰面积"),
    ("retention_time", "保留时间"),
    ("height", "峰高"),
    ("amount", "含量"),
    ("tailing", "拖尾因子"),
    ("plates", "理论板数"),
    ("resolution", "分离度"),
];

/// One field of a compiled template: a plain field, or a table's field on one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The key a record's entries use: the field's key, or `key_row` in a table.
    pub key: String,
    pub section: usize,
    /// 1-based row of a table.
    pub row: Option<u32>,
    pub field: Field,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub spec_low: Option<f64>,
    pub spec_high: Option<f64>,
    /// The key of the result slot the value is taken from (see [`Field::from`]).
    pub from: Option<String>,
}

impl Slot {
    /// The label with its row, e.g. 峰面积（第 2 行）.
    pub fn label(&self) -> String {
        match self.row {
            Some(r) => format!("{}（第 {r} 行）", self.field.label),
            None => self.field.label.clone(),
        }
    }

    /// The specification as written, e.g. `98.0–102.0 %`, or empty.
    pub fn specification(&self) -> String {
        let unit = if self.field.unit.is_empty() { String::new() } else { format!(" {}", self.field.unit) };
        match (&self.field.spec_low, &self.field.spec_high) {
            (Some(l), Some(h)) => format!("{l}–{h}{unit}"),
            (Some(l), None) => format!("不低于 {l}{unit}"),
            (None, Some(h)) => format!("不高于 {h}{unit}"),
            (None, None) => String::new(),
        }
    }

    /// Whether a reported value is out of specification.
    pub fn out_of_spec(&self, value: f64) -> bool {
        self.spec_low.is_some_and(|l| value < l) || self.spec_high.is_some_and(|h| value > h)
    }
}

/// A definition checked and expanded: every slot in display order, the calculated ones in an
/// order where each follows what it reads.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub rule: Rule,
    pub slots: Vec<Slot>,
    index: BTreeMap<String, usize>,
    /// (slot index, formula over slot keys), in evaluation order.
    calculated: Vec<(usize, Expr)>,
}

impl Compiled {
    pub fn slot(&self, key: &str) -> Option<&Slot> {
        self.index.get(key).map(|i| &self.slots[*i])
    }

    /// The calculated slots in evaluation order, each with its formula over slot keys.
    pub fn calculated(&self) -> impl Iterator<Item = (&Slot, &Expr)> {
        self.calculated.iter().map(|(i, e)| (&self.slots[*i], e))
    }
}

/// Parses a decimal as written (digits, one point, a sign; no exponent, no separators).
pub fn decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok = !body.is_empty()
        && body.chars().all(|c| c.is_ascii_digit() || c == '.')
        && body.chars().filter(|c| *c == '.').count() <= 1
        && body.chars().any(|c| c.is_ascii_digit())
        && body.len() <= 30;
    if !ok {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Places after the decimal point as written.
pub fn places_of(text: &str) -> u32 {
    text.trim().split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0)
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `key[]` → `key_1, key_2, …` for a table's column, before the formula is parsed.
fn expand_columns(text: &str, rows_of: &BTreeMap<String, u32>) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut ident = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() || c == '_' {
            ident.push(c);
            continue;
        }
        if c == '[' && chars.peek() == Some(&']') && !ident.is_empty() {
            chars.next();
            let Some(rows) = rows_of.get(&ident) else {
                return Err(ident);
            };
            let list: Vec<String> = (1..=*rows).map(|r| format!("{ident}_{r}")).collect();
            out.push_str(&list.join(", "));
            ident.clear();
            continue;
        }
        out.push_str(&ident);
        ident.clear();
        out.push(c);
    }
    out.push_str(&ident);
    Ok(out)
}

/// The formula with a table row's own columns read on that row.
fn on_row(expr: &Expr, columns: &BTreeSet<String>, row: u32) -> Expr {
    match expr {
        Expr::Number(n) => Expr::Number(*n),
        Expr::Field(k) if columns.contains(k) => Expr::Field(format!("{k}_{row}")),
        Expr::Field(k) => Expr::Field(k.clone()),
        Expr::Neg(e) => Expr::Neg(Box::new(on_row(e, columns, row))),
        Expr::Binary(op, a, b) => {
            Expr::Binary(*op, Box::new(on_row(a, columns, row)), Box::new(on_row(b, columns, row)))
        }
        Expr::Call(f, args) => Expr::Call(f.clone(), args.iter().map(|a| on_row(a, columns, row)).collect()),
    }
}

/// The section and field index of a field's key.
fn field_at(def: &Definition, key: &str) -> (usize, usize) {
    def.sections
        .iter()
        .enumerate()
        .find_map(|(si, s)| s.fields.iter().position(|f| f.key == key).map(|fi| (si, fi)))
        .unwrap_or((0, 0))
}

fn limit(errors: &mut ValidationError, at: &str, name: &str, text: &Option<String>) -> Option<f64> {
    let t = text.as_deref().map(str::trim).filter(|t| !t.is_empty())?;
    let v = decimal(t);
    if v.is_none() {
        errors.push(format!("{at}.{name}"), "decimal", "a number as written, e.g. 98.0");
    }
    v
}

/// Checks a definition and expands its tables: every refusal names the field by its path
/// (`sections[0].fields[2].formula`) and rule.
pub fn compile(def: &Definition) -> std::result::Result<Compiled, ValidationError> {
    let mut errors = ValidationError::new();
    let rule = match def.rounding.as_str() {
        "chp" => Rule::HalfEven,
        "usp" => Rule::HalfUp,
        _ => {
            errors.push("rounding", "one_of:chp,usp", "the pharmacopoeia whose rounding rule applies");
            Rule::HalfEven
        }
    };
    if def.sections.is_empty() || def.sections.len() > MAX_SECTIONS {
        errors.push("sections", format!("count:1..{MAX_SECTIONS}"), "one section or more");
    }
    let mut slots: Vec<Slot> = Vec::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut rows_of: BTreeMap<String, u32> = BTreeMap::new();
    for (si, s) in def.sections.iter().enumerate().take(MAX_SECTIONS) {
        let at = format!("sections[{si}]");
        errors.length(&format!("{at}.title"), &s.title, 1, 100);
        if s.rows > MAX_ROWS {
            errors.push(format!("{at}.rows"), format!("range:0..{MAX_ROWS}"), "rows of a table");
        }
        if s.fields.is_empty() || s.fields.len() > MAX_FIELDS_PER_SECTION {
            errors.push(format!("{at}.fields"), format!("count:1..{MAX_FIELDS_PER_SECTION}"), "fields of a section");
        }
        for (fi, f) in s.fields.iter().enumerate().take(MAX_FIELDS_PER_SECTION) {
            let at = format!("{at}.fields[{fi}]");
            if !valid_key(&f.key) {
                errors.push(format!("{at}.key"), "key", "a lower-case letter, then letters, digits or _ (40 at most)");
            } else if !keys.insert(f.key.clone()) {
                errors.push(format!("{at}.key"), "unique", "another field has this key");
            }
            errors.length(&format!("{at}.label"), &f.label, 1, 100);
            errors.length(&format!("{at}.unit"), &f.unit, 0, 20);
            if !KINDS.iter().any(|(k, _)| *k == f.kind) {
                let codes: Vec<&str> = KINDS.iter().map(|k| k.0).collect();
                errors.push(format!("{at}.kind"), format!("one_of:{}", codes.join(",")), "the field's kind");
            }
            let numeric = f.kind == "number" || f.kind == "calculated";
            if f.figures.is_some() && f.places.is_some() {
                errors.push(
                    format!("{at}.figures"),
                    "one_of:figures,places",
                    "significant figures or places, not both",
                );
            }
            if f.figures.is_some_and(|n| !(1..=15).contains(&n)) {
                errors.push(format!("{at}.figures"), "range:1..15", "significant figures");
            }
            if f.places.is_some_and(|n| n > 10) {
                errors.push(format!("{at}.places"), "range:0..10", "decimal places");
            }
            if !numeric && (f.figures.is_some() || f.places.is_some()) {
                errors.push(format!("{at}.figures"), "numeric", "only a number or a calculated result has figures");
            }
            if f.kind == "choice" {
                if f.choices.is_empty() || f.choices.len() > 50 {
                    errors.push(format!("{at}.choices"), "count:1..50", "the choices offered");
                }
                for (ci, c) in f.choices.iter().enumerate().take(50) {
                    errors.length(&format!("{at}.choices[{ci}]"), c, 1, 100);
                }
            } else if !f.choices.is_empty() {
                errors.push(format!("{at}.choices"), "choice", "only a choice field has choices");
            }
            if f.kind == "calculated" {
                errors.length(&format!("{at}.formula"), &f.formula, 1, formula::MAX_LEN);
            } else if !f.formula.trim().is_empty() {
                errors.push(format!("{at}.formula"), "calculated", "only a calculated field has a formula");
            }
            let min = limit(&mut errors, &at, "min", &f.min);
            let max = limit(&mut errors, &at, "max", &f.max);
            let low = limit(&mut errors, &at, "spec_low", &f.spec_low);
            let high = limit(&mut errors, &at, "spec_high", &f.spec_high);
            if !numeric && (min.is_some() || max.is_some() || low.is_some() || high.is_some()) {
                errors.push(format!("{at}.min"), "numeric", "only a number or a calculated result has limits");
            }
            if f.kind == "calculated" && (min.is_some() || max.is_some()) {
                errors.push(
                    format!("{at}.min"),
                    "calculated",
                    "a calculated result is not entered: give it a specification",
                );
            }
            if let (Some(a), Some(b)) = (min, max) {
                if a > b {
                    errors.push(format!("{at}.max"), "order", "the upper limit is below the lower");
                }
            }
            if let (Some(a), Some(b)) = (low, high) {
                if a > b {
                    errors.push(format!("{at}.spec_high"), "order", "the upper limit is below the lower");
                }
            }
            if let Some(from) = &f.from {
                if f.kind != "number" {
                    errors.push(format!("{at}.from"), "numeric", "only a number is taken from a result");
                }
                let peak_value = from.value != "weight";
                if !RESULT_VALUES.iter().any(|(k, _)| *k == from.value) {
                    let codes: Vec<&str> = RESULT_VALUES.iter().map(|k| k.0).collect();
                    errors.push(format!("{at}.from.value"), format!("one_of:{}", codes.join(",")), "what to take");
                } else if peak_value {
                    errors.length(&format!("{at}.from.peak"), &from.peak, 1, 100);
                } else if !from.peak.trim().is_empty() {
                    errors.push(format!("{at}.from.peak"), "weight", "a weighing has no peak");
                }
            }
            if s.rows > 0 {
                rows_of.insert(f.key.clone(), s.rows.min(MAX_ROWS));
            }
            let rows: Vec<Option<u32>> =
                if s.rows == 0 { vec![None] } else { (1..=s.rows.min(MAX_ROWS)).map(Some).collect() };
            for row in rows {
                if slots.len() >= MAX_SLOTS {
                    break;
                }
                slots.push(Slot {
                    key: row.map(|r| format!("{}_{r}", f.key)).unwrap_or_else(|| f.key.clone()),
                    section: si,
                    row,
                    field: f.clone(),
                    min,
                    max,
                    spec_low: low,
                    spec_high: high,
                    from: None,
                });
            }
        }
    }
    if slots.len() >= MAX_SLOTS {
        errors.push("sections", format!("max_fields:{MAX_SLOTS}"), "fields with the tables' rows counted");
    }
    let mut index = BTreeMap::new();
    for (i, s) in slots.iter().enumerate() {
        if index.insert(s.key.clone(), i).is_some() {
            errors.push("sections", "unique", format!("two fields come out as {} (a table row's key)", s.key));
        }
    }
    // A taken value names a result field: the same row's in its own table, or a plain one.
    let mut taken = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        let Some(from) = &slot.field.from else { continue };
        let same_table = def.sections[slot.section].rows > 0
            && def.sections[slot.section].fields.iter().any(|c| c.key == from.result);
        let key = match (same_table, slot.row) {
            (true, Some(r)) => format!("{}_{r}", from.result),
            _ => from.result.clone(),
        };
        if index.get(&key).is_some_and(|j| slots[*j].field.kind == "result") {
            taken.push((i, key));
        } else {
            let (si, fi) = field_at(def, &slot.field.key);
            errors.push(
                format!("sections[{si}].fields[{fi}].from.result"),
                "result_field",
                format!("{} is not an instrument-data field of this template (or of its row)", from.result),
            );
        }
    }
    for (i, key) in taken {
        slots[i].from = Some(key);
    }
    errors.into_result()?;
    let mut errors = ValidationError::new();
    // Formulas: parsed once per field, read on each row of its table.
    let mut parsed: BTreeMap<String, Expr> = BTreeMap::new();
    let mut by_slot: BTreeMap<String, (usize, Expr)> = BTreeMap::new();
    for (si, s) in def.sections.iter().enumerate() {
        let columns: BTreeSet<String> =
            if s.rows > 0 { s.fields.iter().map(|f| f.key.clone()).collect() } else { BTreeSet::new() };
        for (fi, f) in s.fields.iter().enumerate().filter(|(_, f)| f.kind == "calculated") {
            let at = format!("sections[{si}].fields[{fi}].formula");
            let text = match expand_columns(&f.formula, &rows_of) {
                Ok(t) => t,
                Err(name) => {
                    errors.push(
                        at,
                        "column",
                        format!("{name}[] reads every row of a table's column; {name} is not one"),
                    );
                    continue;
                }
            };
            let expr = match Expr::parse(&text) {
                Ok(e) => e,
                Err(e) => {
                    errors.push(at, format!("formula:{}", e.rule), e.to_string());
                    continue;
                }
            };
            for name in expr.fields() {
                let local = columns.contains(&name);
                let target = if local { None } else { index.get(&name).map(|i| &slots[*i]) };
                let readable = local
                    && s.fields.iter().any(|c| c.key == name && matches!(c.kind.as_str(), "number" | "calculated"))
                    || target.is_some_and(|t| matches!(t.field.kind.as_str(), "number" | "calculated"));
                if !readable {
                    errors.push(
                        at.clone(),
                        "formula:unknown_field",
                        format!("{name} is not a number or calculated field of this template"),
                    );
                }
            }
            parsed.insert(f.key.clone(), expr);
        }
    }
    errors.into_result()?;
    for (i, slot) in slots.iter().enumerate().filter(|(_, s)| s.field.kind == "calculated") {
        let Some(expr) = parsed.get(&slot.field.key) else { continue };
        let expr = match slot.row {
            Some(r) => {
                let columns: BTreeSet<String> =
                    def.sections[slot.section].fields.iter().map(|f| f.key.clone()).collect();
                on_row(expr, &columns, r)
            }
            None => expr.clone(),
        };
        by_slot.insert(slot.key.clone(), (i, expr));
    }
    let inputs: BTreeSet<String> = slots.iter().filter(|s| s.field.kind == "number").map(|s| s.key.clone()).collect();
    let exprs: BTreeMap<String, Expr> = by_slot.iter().map(|(k, (_, e))| (k.clone(), e.clone())).collect();
    let order = formula::order(&inputs, &exprs)
        .map_err(|e| ValidationError::single("sections", format!("formula:{}", e.rule), e.message))?;
    let calculated = order.into_iter().filter_map(|k| by_slot.remove(&k)).collect();
    Ok(Compiled { rule, slots, index, calculated })
}

/// A template version as stored, with its template's code and title.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TemplateVersion {
    pub id: i64,
    pub template_id: i64,
    pub org_id: i64,
    pub code: String,
    pub title: String,
    /// 1, 2, …
    pub number: i64,
    pub definition: Definition,
    pub change_note: String,
    /// One of [`STATUSES`]' codes.
    pub status: String,
    pub author: String,
    pub approved_by: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub approved_at: Option<Timestamp>,
    pub version: i64,
    /// Records made from this version.
    pub records: i64,
}

/// A template to create: its code, title and first draft.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewTemplate {
    pub org_id: i64,
    /// 模板编号, unique in the organization, e.g. TPL-HPLC-001.
    pub code: String,
    pub title: String,
    pub definition: Definition,
}

const COLUMNS: &str = "v.id, v.template_id, v.org_id, t.code, t.title, v.number, v.definition, v.change_note, \
     v.status, v.author, v.approved_by, v.approved_at, v.version, \
     (SELECT COUNT(*) FROM lab_records r WHERE r.template_version_id = v.id) AS records";
const FROM: &str = "lab_template_versions v JOIN lab_templates t ON t.id = v.template_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<TemplateVersion, sqlx::Error> {
    let text: String = r.try_get("definition")?;
    let definition: Definition =
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(format!("template definition: {e}").into()))?;
    Ok(TemplateVersion {
        id: r.try_get("id")?,
        template_id: r.try_get("template_id")?,
        org_id: r.try_get("org_id")?,
        code: r.try_get("code")?,
        title: r.try_get("title")?,
        number: r.try_get("number")?,
        definition,
        change_note: r.try_get("change_note")?,
        status: r.try_get("status")?,
        author: r.try_get("author")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get::<Option<i64>, _>("approved_at")?.map(Timestamp),
        version: r.try_get("version")?,
        records: r.try_get("records")?,
    })
}

fn image(v: &TemplateVersion) -> Result<serde_json::Value> {
    Ok(serde_json::json!({
        "id": v.id,
        "template_id": v.template_id,
        "org_id": v.org_id,
        "code": v.code,
        "title": v.title,
        "number": v.number,
        "definition": serde_json::to_value(&v.definition).map_err(|e| IdentityError::Conflict(e.to_string()))?,
        "change_note": v.change_note,
        "status": v.status,
        "author": v.author,
        "approved_by": v.approved_by,
        "approved_at": v.approved_at.map(|t| t.0),
    }))
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE v.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let v = from_row(&row)?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: v.version,
        data: image(&v)?,
        action,
        reason,
        audit: audit::action::LAB_TEMPLATE,
        target: format!("lab_template_version:{id} {} 第{}版 {action}", v.code, v.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

fn stored(def: &Definition) -> Result<String> {
    let text = serde_json::to_string(def).map_err(|e| IdentityError::Conflict(e.to_string()))?;
    if text.len() > MAX_DEFINITION_BYTES {
        return Err(ValidationError::single(
            "definition",
            format!("max_bytes:{MAX_DEFINITION_BYTES}"),
            "definition too large",
        )
        .into());
    }
    Ok(text)
}

async fn check_definition(store: &Store, principal: &Principal, def: &Definition, client: &ClientInfo) -> Result<()> {
    compile(def)?;
    if let Some(doc) = def.method_document_id {
        if yaolian_quality::documents::get(store, principal, doc, client).await.is_err() {
            return Err(ValidationError::single("method_document_id", "exists", "no such controlled document").into());
        }
    }
    Ok(())
}

/// Creates a template with its first version as a draft (`lab.manage`).
pub async fn create(
    store: &Store,
    principal: &Principal,
    new: &NewTemplate,
    client: &ClientInfo,
) -> Result<TemplateVersion> {
    let mut errors = ValidationError::new();
    errors.length("code", &new.code, 1, 60);
    errors.length("title", &new.title, 1, 200);
    errors.into_result()?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", new.org_id).await?;
    if !principal.reaches(perm::LAB_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_MANAGE, "lab_templates", client).await);
    }
    check_definition(store, principal, &new.definition, client).await?;
    let text = stored(&new.definition)?;
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    let inserted =
        sqlx::query("INSERT INTO lab_templates (org_id, code, title, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(new.org_id)
            .bind(new.code.trim())
            .bind(new.title.trim())
            .bind(now)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from);
    let template_id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        Err(e) if e.is_unique_violation() => {
            return Err(ValidationError::single("code", "unique", "another template has this code").into())
        }
        Err(e) => return Err(e.into()),
    };
    let id = insert_version(&mut tx, principal, template_id, new.org_id, 1, &text, "").await?;
    save(&mut tx, principal, id, "draft", "", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn insert_version(
    tx: &mut Tx<'_>,
    principal: &Principal,
    template_id: i64,
    org_id: i64,
    number: i64,
    definition: &str,
    note: &str,
) -> Result<i64> {
    Ok(sqlx::query(
        "INSERT INTO lab_template_versions (template_id, org_id, number, definition, change_note, status, author, version, \
         updated_at) VALUES ($1, $2, $3, $4, $5, 'draft', $6, 1, $7) RETURNING id",
    )
    .bind(template_id)
    .bind(org_id)
    .bind(number)
    .bind(definition)
    .bind(note)
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?)
}

async fn reach(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<TemplateVersion> {
    let v = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", v.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("lab_template_version:{id}"), client).await);
    }
    Ok(v)
}

fn locked(v: &TemplateVersion) -> LabError {
    LabError::TemplateLocked { code: v.code.clone(), number: v.number, status: v.status.clone(), records: v.records }
}

/// Whether the principal may design and approve templates in the version's organization.
pub fn may_manage(principal: &Principal, org_path: &str) -> bool {
    principal.reaches(perm::LAB_MANAGE, org_path)
}

/// Replaces a draft's definition (`lab.manage`). An approved or superseded version — one in
/// use — is never edited: `template_locked`; a change is a new version.
pub async fn edit(
    store: &Store,
    principal: &Principal,
    id: i64,
    definition: &Definition,
    expected_version: i64,
    client: &ClientInfo,
) -> Result<TemplateVersion> {
    let v = reach(store, principal, id, perm::LAB_MANAGE, client).await?;
    if v.status != "draft" {
        return Err(locked(&v));
    }
    check_definition(store, principal, definition, client).await?;
    let text = stored(definition)?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_template_versions SET definition = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND version = $4 AND status = 'draft'",
    )
    .bind(&text)
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(expected_version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("template {} changed meanwhile; reload", v.code)).into());
    }
    save(&mut tx, principal, id, "edit", "修改草稿", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Drafts the next version of a template from its newest version (`lab.manage`), with what
/// changes and why; refused while a draft is open.
pub async fn new_version(
    store: &Store,
    principal: &Principal,
    id: i64,
    note: &str,
    client: &ClientInfo,
) -> Result<TemplateVersion> {
    let mut errors = ValidationError::new();
    errors.length("change_note", note, 1, 500);
    errors.into_result()?;
    let v = reach(store, principal, id, perm::LAB_MANAGE, client).await?;
    let newest =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE v.template_id = $1 ORDER BY v.number DESC LIMIT 1"))
            .bind(v.template_id)
            .fetch_one(store.pool())
            .await?;
    let newest = from_row(&newest)?;
    if newest.status == "draft" {
        return Err(ValidationError::single(
            "change_note",
            "draft_open",
            format!("version {} is a draft still", newest.number),
        )
        .into());
    }
    let text = stored(&newest.definition)?;
    let mut tx = store.begin().await?;
    let id = insert_version(&mut tx, principal, v.template_id, v.org_id, newest.number + 1, &text, note.trim()).await?;
    save(&mut tx, principal, id, "draft", note.trim(), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Approves a draft under an electronic signature (`lab.manage`, meaning `approve`) by someone
/// who did not draft it; the version approved before is superseded in the same transaction.
#[allow(clippy::too_many_arguments)]
pub async fn approve(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<TemplateVersion> {
    let v = reach(store, principal, id, perm::LAB_MANAGE, client).await?;
    if v.status != "draft" {
        return Err(locked(&v));
    }
    if v.author == principal.username() {
        return Err(LabError::SamePerson { step: "approve_template" });
    }
    compile(&v.definition)?;
    let target = format!("lab_template_version:{id} approve");
    esign::reauthenticate(store, identity, principal, password, totp, &target, client).await?;
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    let older: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM lab_template_versions WHERE template_id = $1 AND status = 'approved' ORDER BY id",
    )
    .bind(v.template_id)
    .fetch_all(&mut *tx)
    .await?;
    for old in older {
        sqlx::query(
            "UPDATE lab_template_versions SET status = 'superseded', version = version + 1, updated_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        save(&mut tx, principal, old, "supersede", &format!("被第 {} 版替代", v.number), client).await?;
    }
    let done = sqlx::query(
        "UPDATE lab_template_versions SET status = 'approved', approved_by = $1, approved_at = $2, version = version + 1, \
         updated_at = $2 WHERE id = $3 AND status = 'draft' AND version = $4",
    )
    .bind(principal.username())
    .bind(now)
    .bind(id)
    .bind(v.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("template {} changed meanwhile; reload", v.code)).into());
    }
    let written = save(&mut tx, principal, id, "approve", "批准使用", client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One template version, if the principal may read it (not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<TemplateVersion> {
    let sql =
        format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} JOIN orgs o ON o.id = v.org_id WHERE v.id = $1");
    let what = (ENTITY, "template");
    let row = yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, what, client).await?;
    Ok(from_row(&row)?)
}

/// The versions of the version's template, newest first.
pub async fn versions_of(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<Vec<TemplateVersion>> {
    let v = get(store, principal, id, client).await?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE v.template_id = $1 ORDER BY v.number DESC"))
        .bind(v.template_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// Template versions the principal may read: each template's newest version, by code.
pub async fn list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<TemplateVersion>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LAB_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::LAB_READ, "lab_templates", client).await);
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} JOIN orgs o ON o.id = v.org_id WHERE {scope} AND v.number = \
         (SELECT MAX(n.number) FROM lab_template_versions n WHERE n.template_id = v.template_id) ORDER BY t.code LIMIT 500"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// The approved versions a new record may be made from, by code (`lab.use`).
pub async fn usable_list(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<TemplateVersion>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::LAB_USE, &mut p) else {
        return Ok(Vec::new());
    };
    let sql = format!("SELECT {COLUMNS} FROM {FROM} JOIN orgs o ON o.id = v.org_id WHERE {scope} AND v.status = 'approved' ORDER BY t.code LIMIT 500");
    let _ = client;
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    Ok(rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?)
}

/// The version a new record is made from (`lab.use`): approved and not superseded, compiled.
pub async fn usable(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<(TemplateVersion, Compiled)> {
    let v = reach(store, principal, id, perm::LAB_USE, client).await?;
    if v.status != "approved" {
        return Err(LabError::TemplateNotApproved { code: v.code.clone(), number: v.number, status: v.status.clone() });
    }
    let compiled = compile(&v.definition)?;
    Ok((v, compiled))
}

/// Every template version whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY v.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let v = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: v.id.to_string(), data: image(&v)? });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
