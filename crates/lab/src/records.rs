//! Electronic lab records (电子实验记录), filled from an approved template version.
//!
//! A field's value is typed, or comes from an instrument in calibration (its use recorded when
//! the record is submitted), a reagent lot in the inventory (taken out of stock when the record
//! is approved) or a result the instrument capture agent delivered; a calculated field follows
//! from its formula and is never typed — the record keeps its exact value and the value
//! reported under the template's rounding rule (`rounding`). A reported value outside its
//! specification is out of specification (OOS, 检验结果超标) and, on submission, opens a
//! deviation in the quality module in the same transaction.
//!
//! Workflow (China GMP 2010 Art. 159–163; NMPA 《药品记录与数据管理要求（试行）》): draft →
//! submitted (the author signs, meaning `author`) → reviewed (someone else, `review`) →
//! approved (`lab.manage`, neither the author nor the reviewer, `approve`). After submission a
//! change is a correction: it needs a reason, keeps the value it replaces beside the new one,
//! and sends the record back for review. Every step is a version of entity `lab_record` with
//! the row's after-image.
//!
//! Who may do what, in the organization's scope: `lab.read` reads, `lab.use` makes, fills and
//! reviews records, `lab.manage` approves them.

use crate::error::{LabError, Result};
use crate::instruments::{self, Instrument};
use crate::rounding::{to_figures, to_places};
use crate::templates::{self, decimal, places_of, Compiled, Slot, TemplateVersion};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_inventory::stock::{self, ReagentUse};
use yaolian_quality::{deviations, QualityConfig};
use yaolian_records::esign;
use yaolian_store::sql::Params;
use yaolian_store::{versions, RecordVersion, Store, StoreError, Tx};

/// The versioned-record entity of lab records.
pub const ENTITY: &str = "lab_record";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("draft", "记录中"),
    ("submitted", "已提交，待复核"),
    ("returned", "已退回，待更正"),
    ("reviewed", "已复核，待批准"),
    ("approved", "已批准"),
];

/// Where a value came from, code and Chinese name.
pub const SOURCES: &[(&str, &str)] = &[
    ("typed", "录入"),
    ("calculated", "计算"),
    ("instrument", "仪器"),
    ("reagent", "试剂领用"),
    ("result", "仪器数据"),
    ("attachment", "附件"),
];

/// The longest value a field takes.
pub const MAX_VALUE_CHARS: usize = 2000;

/// The largest file an attachment field takes, and the most files entered at once.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_ATTACHMENTS_AT_ONCE: usize = 10;

/// Where a record's attachments are kept.
const FILES: yaolian_records::files::FileTable =
    yaolian_records::files::FileTable { table: "lab_record_files", owner: "record_id" };

/// One field's value in a record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    /// As typed; the reported (rounded) result of a calculation; the instrument's number, the
    /// lot number or the result's file name.
    pub value: String,
    /// A calculated result to twelve significant figures, before rounding.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub exact: String,
    /// One of [`SOURCES`]' codes.
    pub source: String,
    /// The instrument, lot or result the value came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_id: Option<i64>,
    /// A reagent's amount used, in its item's unit, as typed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub amount: String,
    /// What the value's source adds: the reagent's name and unit, the result's instrument and
    /// SM3, why a calculation could not be done.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
    pub by: String,
    pub at: i64,
    /// Out of specification.
    #[serde(default)]
    pub oos: bool,
    /// Corrections after submission, oldest first; each keeps the value it replaced.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
}

/// A correction (更正): what the value was, what it became, why, by whom, when.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Correction {
    pub from: String,
    pub to: String,
    pub reason: String,
    pub by: String,
    pub at: i64,
}

/// A record as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Record {
    pub id: i64,
    pub org_id: i64,
    /// 记录编号, SY-年份-编号.
    pub number: String,
    pub title: String,
    pub template_version_id: i64,
    pub template_code: String,
    pub template_title: String,
    pub template_number: i64,
    pub entries: BTreeMap<String, Entry>,
    /// One of [`STATUSES`]' codes.
    pub status: String,
    /// A reported value is out of specification.
    pub oos: bool,
    /// The deviation the OOS opened.
    pub deviation_id: Option<i64>,
    /// The R&D project the record is a deliverable of.
    pub project_id: Option<i64>,
    pub author: String,
    pub reviewed_by: Option<String>,
    pub approved_by: Option<String>,
    /// Why the reviewer or approver sent it back (while `returned`).
    pub return_note: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

/// A record to make.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewRecord {
    /// An approved template version.
    pub template_version_id: i64,
    /// 实验名称, e.g. 阿司匹林片含量测定（批号 240301）.
    pub title: String,
    /// The R&D project it is done for (active, of the template's laboratory).
    #[serde(default)]
    pub project_id: Option<i64>,
}

/// What a field is given: the value (an instrument's, lot's or result's id for those kinds)
/// and, for a reagent, the amount used in its item's unit.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Input {
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub amount: String,
    /// For an attachment field: the file (a new one replaces the one before, which stays in
    /// the record's history).
    #[serde(default)]
    pub file: Option<yaolian_records::files::Upload>,
}

/// Values entered at once, by field key; after submission with the reason for the correction.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Entries {
    pub values: BTreeMap<String, Input>,
    #[serde(default)]
    pub reason: String,
    /// The record's version the values were entered against.
    pub version: i64,
}

const COLUMNS: &str = "r.id, r.org_id, r.number, r.title, r.template_version_id, t.code AS template_code, \
     t.title AS template_title, v.number AS template_number, r.entries, r.status, r.oos, r.deviation_id, r.project_id, r.author, \
     r.reviewed_by, r.approved_by, r.return_note, r.created_at, r.version";
const FROM: &str = "lab_records r JOIN lab_template_versions v ON v.id = r.template_version_id \
     JOIN lab_templates t ON t.id = v.template_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Record, sqlx::Error> {
    let text: String = r.try_get("entries")?;
    let entries =
        serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(format!("record entries: {e}").into()))?;
    Ok(Record {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        template_version_id: r.try_get("template_version_id")?,
        template_code: r.try_get("template_code")?,
        template_title: r.try_get("template_title")?,
        template_number: r.try_get("template_number")?,
        entries,
        status: r.try_get("status")?,
        oos: r.try_get::<i64, _>("oos")? != 0,
        deviation_id: r.try_get("deviation_id")?,
        project_id: r.try_get("project_id")?,
        author: r.try_get("author")?,
        reviewed_by: r.try_get("reviewed_by")?,
        approved_by: r.try_get("approved_by")?,
        return_note: r.try_get("return_note")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

fn image(r: &Record) -> Result<serde_json::Value> {
    let mut image = serde_json::json!({
        "id": r.id,
        "org_id": r.org_id,
        "number": r.number,
        "title": r.title,
        "template_version_id": r.template_version_id,
        "entries": serde_json::to_value(&r.entries).map_err(|e| IdentityError::Conflict(e.to_string()))?,
        "status": r.status,
        "oos": r.oos,
        "deviation_id": r.deviation_id,
        "author": r.author,
        "reviewed_by": r.reviewed_by,
        "approved_by": r.approved_by,
    });
    // In the image only once set, so the images of records made before projects stay as
    // ledgered.
    if let (Some(project), Some(map)) = (r.project_id, image.as_object_mut()) {
        map.insert("project_id".into(), project.into());
    }
    if let (false, Some(map)) = (r.return_note.is_empty(), image.as_object_mut()) {
        map.insert("return_note".into(), r.return_note.clone().into());
    }
    Ok(image)
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
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let x = from_row(&row)?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: x.version,
        data: image(&x)?,
        action,
        reason,
        audit: audit::action::LAB_RECORD,
        target: format!("lab_record:{id} {} {action}", x.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// Makes a record from an approved template version (`lab.use`); when the template names its
/// analytical method, only someone trained on the method's effective revision may.
pub async fn create(store: &Store, principal: &Principal, new: &NewRecord, client: &ClientInfo) -> Result<Record> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    errors.into_result()?;
    let (tv, _) = templates::usable(store, principal, new.template_version_id, client).await?;
    if let Some(doc) = tv.definition.method_document_id {
        yaolian_quality::documents::effective_for(store, principal, doc, principal.user_id(), client).await?;
    }
    if let Some(project) = new.project_id {
        crate::projects::for_record(store, principal, project, tv.org_id, client).await?;
    }
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO lab_records (org_id, number, title, template_version_id, entries, status, oos, author, created_at, \
         version, updated_at, project_id) VALUES ($1, $2, $3, $4, '{}', 'draft', 0, $5, $6, 1, $6, $7) RETURNING id",
    )
    .bind(tv.org_id)
    .bind(&provisional)
    .bind(new.title.trim())
    .bind(tv.id)
    .bind(principal.username())
    .bind(now.0)
    .bind(new.project_id)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    // 实验记录编号: SY (实验) + year + the record's number.
    let number = format!("SY-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE lab_records SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut *tx).await?;
    save(&mut tx, principal, id, "create", "", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A record and its template version, checked for `permission` in its organization.
async fn reach(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<(Record, TemplateVersion)> {
    let r = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", r.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("lab_record:{id}"), client).await);
    }
    let tv = templates::get(store, principal, r.template_version_id, client).await?;
    Ok((r, tv))
}

fn wrong_state(r: &Record, action: &'static str) -> LabError {
    LabError::WrongState { number: r.number.clone(), status: r.status.clone(), action }
}

fn only_author(r: &Record, principal: &Principal) -> Result<()> {
    if r.author != principal.username() {
        return Err(
            IdentityError::Forbidden { permission: format!("record {} is {}'s to fill", r.number, r.author) }.into()
        );
    }
    Ok(())
}

/// A typed value checked against its field: the entry, or the refusal pushed under the key.
fn typed(slot: &Slot, value: &str, errors: &mut ValidationError) -> Option<(String, bool)> {
    let key = slot.key.as_str();
    let f = &slot.field;
    match f.kind.as_str() {
        "number" => {
            let Some(v) = decimal(value) else {
                errors.push(key, "decimal", "a number as written, e.g. 25.31");
                return None;
            };
            if let Some(p) = f.places.filter(|p| places_of(value) > *p) {
                errors.push(key, format!("places:{p}"), format!("entered to {p} decimal places at most"));
                return None;
            }
            let (low, high) = (f.min.as_deref().unwrap_or("").trim(), f.max.as_deref().unwrap_or("").trim());
            let rule = match (slot.min.is_some_and(|m| v < m), slot.max.is_some_and(|m| v > m)) {
                (false, false) => None,
                _ if !low.is_empty() && !high.is_empty() => Some(format!("range:{low}..{high}")),
                (true, _) => Some(format!("min:{low}")),
                (_, true) => Some(format!("max:{high}")),
            };
            if let Some(rule) = rule {
                errors.push(key, rule, "outside the field's entry limits");
                return None;
            }
            Some((value.to_string(), slot.out_of_spec(v)))
        }
        "choice" => {
            if !f.choices.iter().any(|c| c == value) {
                errors.push(key, format!("one_of:{}", f.choices.join(",")), "one of the field's choices");
                return None;
            }
            Some((value.to_string(), false))
        }
        "date" => match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            Ok(_) => Some((value.to_string(), false)),
            Err(_) => {
                errors.push(key, "date", "a date as YYYY-MM-DD");
                None
            }
        },
        "datetime" => match chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M") {
            Ok(_) => Some((value.to_string(), false)),
            Err(_) => {
                errors.push(key, "datetime", "a time as YYYY-MM-DD HH:MM");
                None
            }
        },
        _ => Some((value.to_string(), false)),
    }
}

fn id_of(key: &str, value: &str, errors: &mut ValidationError) -> Option<i64> {
    let id = value.parse::<i64>().ok().filter(|v| *v > 0);
    if id.is_none() {
        errors.push(key, "exists", "choose one from the list");
    }
    id
}

/// Recalculates every calculated field from the entries as they now stand; a correction
/// carries its reason to the results it changes.
fn recalculate(c: &Compiled, entries: &mut BTreeMap<String, Entry>, correction: Option<&str>, by: &str, at: i64) {
    for (slot, expr) in c.calculated() {
        let lookup = |k: &str| {
            let e = entries.get(k)?;
            decimal(if e.source == "calculated" { &e.exact } else { &e.value })
        };
        let computed = match expr.eval(&lookup) {
            Ok(v) => {
                let exact = to_figures(v, 12, c.rule).unwrap_or_default();
                let value = match (slot.field.figures, slot.field.places) {
                    (Some(n), _) => to_figures(v, n, c.rule),
                    (_, Some(n)) => to_places(v, n, c.rule),
                    _ => None,
                }
                .unwrap_or_else(|| exact.clone());
                let oos = decimal(&value).is_some_and(|r| slot.out_of_spec(r));
                Some(Entry { value, exact, oos, ..Entry::default() })
            }
            Err(e) if e.rule == "missing_value" => None,
            Err(e) => Some(Entry { detail: e.message, ..Entry::default() }),
        };
        let old = entries.get(&slot.key).cloned();
        let same = match (&old, &computed) {
            (Some(o), Some(n)) => o.value == n.value && o.exact == n.exact && o.detail == n.detail,
            (None, None) => true,
            _ => false,
        };
        if same {
            continue;
        }
        let mut corrections = old.as_ref().map(|o| o.corrections.clone()).unwrap_or_default();
        if let (Some(reason), Some(o)) = (correction, &old) {
            corrections.push(Correction {
                from: o.value.clone(),
                to: computed.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
                reason: format!("{reason}（输入更正后重新计算）"),
                by: by.to_string(),
                at,
            });
        }
        match computed {
            Some(n) => {
                entries.insert(
                    slot.key.clone(),
                    Entry { source: "calculated".into(), by: by.to_string(), at, corrections, ..n },
                );
            }
            None if !corrections.is_empty() => {
                entries.insert(
                    slot.key.clone(),
                    Entry { source: "calculated".into(), by: by.to_string(), at, corrections, ..Entry::default() },
                );
            }
            None => {
                entries.remove(&slot.key);
            }
        }
    }
}

/// Puts one field's new value (or its clearing) into the entries: `false` when nothing changes.
/// After submission (`correction` names the reason) the replaced value is kept in the field's
/// corrections.
fn put(
    entries: &mut BTreeMap<String, Entry>,
    key: &str,
    new: Option<Entry>,
    correction: Option<&str>,
    by: &str,
    now: i64,
) -> bool {
    let old = entries.get(key);
    let unchanged = match (old, &new) {
        (Some(o), Some(n)) => o.value == n.value && o.amount == n.amount && o.ref_id == n.ref_id,
        (Some(o), None) => o.value.is_empty(),
        (None, None) => true,
        (None, Some(_)) => false,
    };
    if unchanged {
        return false;
    }
    let mut corrections = old.map(|o| o.corrections.clone()).unwrap_or_default();
    if let Some(reason) = correction {
        corrections.push(Correction {
            from: old.map(|o| o.value.clone()).unwrap_or_default(),
            to: new.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
            reason: reason.to_string(),
            by: by.to_string(),
            at: now,
        });
    }
    match new {
        Some(n) => {
            entries.insert(key.to_string(), Entry { corrections, ..n });
        }
        None if !corrections.is_empty() => {
            let source = old.map(|o| o.source.clone()).unwrap_or_default();
            entries.insert(
                key.to_string(),
                Entry { source, by: by.to_string(), at: now, corrections, ..Entry::default() },
            );
        }
        None => {
            entries.remove(key);
        }
    }
    true
}

/// Enters values (`lab.use`, the record's author): in a draft freely; once submitted as a
/// correction, with its reason, keeping each replaced value, and back to review. A calculated
/// field is refused (`calculated`); an instrument must be in calibration, a reagent lot usable
/// with the amount in stock, a result readable.
pub async fn enter(
    store: &Store,
    principal: &Principal,
    id: i64,
    input: &Entries,
    client: &ClientInfo,
) -> Result<Record> {
    let mut errors = ValidationError::new();
    if input.values.len() > templates::MAX_SLOTS {
        errors.push("values", format!("count:1..{}", templates::MAX_SLOTS), "fields at once");
    }
    errors.length("reason", &input.reason, 0, 500);
    for (key, v) in &input.values {
        errors.length(key, &v.value, 0, MAX_VALUE_CHARS);
        errors.length(key, &v.amount, 0, 40);
        // A file's size is bounded before it is decoded: base64 is 4 characters per 3 bytes.
        if v.file.as_ref().is_some_and(|f| f.content_base64.len() > MAX_ATTACHMENT_BYTES / 3 * 4 + 4) {
            errors.push(key, format!("max_bytes:{MAX_ATTACHMENT_BYTES}"), "a file of at most 10 MiB");
        }
    }
    if input.values.values().filter(|v| v.file.is_some()).count() > MAX_ATTACHMENTS_AT_ONCE {
        errors.push("values", format!("max_items:{MAX_ATTACHMENTS_AT_ONCE}"), "files at once");
    }
    errors.into_result()?;
    let (r, tv) = reach(store, principal, id, perm::LAB_USE, client).await?;
    only_author(&r, principal)?;
    let correcting = match r.status.as_str() {
        "draft" => false,
        "submitted" | "returned" | "reviewed" => true,
        _ => return Err(wrong_state(&r, "enter")),
    };
    if correcting && input.reason.trim().is_empty() {
        return Err(
            ValidationError::single("reason", "required", "a correction after submission needs its reason").into()
        );
    }
    let compiled = templates::compile(&tv.definition)?;
    let by = principal.username();
    let now = Timestamp::now().0;
    let mut entries = r.entries.clone();
    let mut errors = ValidationError::new();
    // What was entered, then what the entered results give the numbers taken from them.
    let mut changes: Vec<(String, Option<Entry>)> = Vec::new();
    let mut taken: Vec<(String, Option<Entry>)> = Vec::new();
    // Attachments to store in the transaction, by field key.
    let mut files: Vec<(String, yaolian_records::files::Decoded)> = Vec::new();
    for (key, inp) in &input.values {
        let Some(slot) = compiled.slot(key) else {
            errors.push(key.as_str(), "exists", "the template has no such field");
            continue;
        };
        let value = inp.value.trim();
        if slot.from.is_some() {
            errors.push(key.as_str(), "from_result", "taken from its instrument result; not typed");
            continue;
        }
        let base = Entry { by: by.to_string(), at: now, ..Entry::default() };
        if slot.field.kind == "result" && value.is_empty() {
            taken.extend(compiled.slots.iter().filter(|s| s.from.as_ref() == Some(key)).map(|s| (s.key.clone(), None)));
        }
        if slot.field.kind == "attachment" {
            let new = match &inp.file {
                Some(upload) => {
                    let decoded =
                        match yaolian_records::files::decode(std::slice::from_ref(upload), 1, MAX_ATTACHMENT_BYTES) {
                            Ok(mut d) => d.pop(),
                            Err(v) => {
                                for e in v.errors {
                                    errors.push(key.as_str(), e.rule, e.message);
                                }
                                continue;
                            }
                        };
                    let Some(d) = decoded else { continue };
                    let e = Entry {
                        value: d.name.clone(),
                        detail: format!("{} 字节 · SM3 {}", d.size(), d.sm3),
                        source: "attachment".into(),
                        ..base
                    };
                    files.push((key.clone(), d));
                    Some(e)
                }
                None if value.is_empty() => None,
                // The file it holds, named again: unchanged.
                None if r.entries.get(key.as_str()).is_some_and(|e| e.value == value) => continue,
                None => {
                    errors.push(key.as_str(), "file", "an attachment is a file, not text");
                    continue;
                }
            };
            changes.push((key.clone(), new));
            continue;
        }
        let new = if value.is_empty() {
            None
        } else {
            match slot.field.kind.as_str() {
                "calculated" => {
                    errors.push(
                        key.as_str(),
                        "calculated",
                        "a calculated result follows from its formula; it is not typed",
                    );
                    continue;
                }
                "instrument" => {
                    let Some(iid) = id_of(key, value, &mut errors) else { continue };
                    let i = instruments::usable(store, principal, iid, client).await?;
                    if i.org_id != r.org_id {
                        errors.push(key.as_str(), "exists", "an instrument of the record's laboratory");
                        continue;
                    }
                    Some(Entry {
                        value: i.code,
                        ref_id: Some(i.id),
                        source: "instrument".into(),
                        detail: i.name,
                        ..base
                    })
                }
                "reagent" => {
                    let Some(lot_id) = id_of(key, value, &mut errors) else { continue };
                    let amount = match yaolian_inventory::qty::parse_positive(key, &inp.amount) {
                        Ok(a) => a,
                        Err(e) => {
                            errors.push(
                                key.as_str(),
                                format!("amount:{}", e.rule),
                                "the amount used, in the item's unit",
                            );
                            continue;
                        }
                    };
                    let u =
                        stock::usable_for_record(store, principal, lot_id, amount, key, perm::INVENTORY_USE, client)
                            .await?;
                    let lot = u.lot();
                    Some(Entry {
                        value: lot.lot_no.clone(),
                        ref_id: Some(lot.id),
                        amount: inp.amount.trim().to_string(),
                        detail: format!("{}（{}）", lot.item_name, lot.unit),
                        source: "reagent".into(),
                        ..base
                    })
                }
                "result" => {
                    let Some(rid) = id_of(key, value, &mut errors) else { continue };
                    let res = crate::results::get(store, principal, rid, client).await?;
                    if res.org_id != r.org_id {
                        errors.push(key.as_str(), "exists", "a result of the record's laboratory");
                        continue;
                    }
                    for dep in compiled.slots.iter().filter(|s| s.from.as_ref() == Some(key)) {
                        let Some(from) = &dep.field.from else { continue };
                        match res.take(from) {
                            Ok((_, unit))
                                if !unit.is_empty() && !dep.field.unit.is_empty() && unit != dep.field.unit =>
                            {
                                errors.push(
                                    dep.key.as_str(),
                                    format!("result_unit:{unit}"),
                                    format!("the result is in {unit}, the field in {}", dep.field.unit),
                                );
                            }
                            Ok((v, _)) => {
                                let oos = decimal(&v).is_some_and(|x| dep.out_of_spec(x));
                                let e = Entry {
                                    value: v,
                                    oos,
                                    ref_id: Some(res.id),
                                    detail: format!("取自 {}", res.raw_name),
                                    source: "result".into(),
                                    ..base.clone()
                                };
                                taken.push((dep.key.clone(), Some(e)));
                            }
                            Err((rule, why)) => errors.push(dep.key.as_str(), rule, why),
                        }
                    }
                    Some(Entry {
                        value: res.raw_name,
                        ref_id: Some(res.id),
                        detail: format!("{} · SM3 {}", res.instrument, res.raw_sm3),
                        source: "result".into(),
                        ..base
                    })
                }
                _ => {
                    let Some((v, oos)) = typed(slot, value, &mut errors) else { continue };
                    Some(Entry { value: v, oos, source: "typed".into(), ..base })
                }
            }
        };
        changes.push((key.clone(), new));
    }
    errors.into_result()?;
    let correction = correcting.then(|| input.reason.trim());
    let mut changed = 0usize;
    for (key, new) in changes.into_iter().chain(taken) {
        if put(&mut entries, &key, new, correction, by, now) {
            changed += 1;
        }
    }
    if changed == 0 {
        return Ok(r);
    }
    recalculate(&compiled, &mut entries, correction, by, now);
    let oos = entries.values().any(|e| e.oos);
    let mut tx = store.begin().await?;
    for (key, d) in &files {
        let stored = yaolian_records::files::store(&mut tx, &FILES, id, std::slice::from_ref(d), now).await?;
        if let (Some(e), Some(f)) = (entries.get_mut(key), stored.first()) {
            e.ref_id = Some(f.id);
        }
    }
    let text = serde_json::to_string(&entries).map_err(|e| IdentityError::Conflict(e.to_string()))?;
    let done = sqlx::query(
        "UPDATE lab_records SET entries = $1, oos = $2, status = CASE WHEN $3 = 1 THEN 'submitted' ELSE status END, \
         reviewed_by = CASE WHEN $3 = 1 THEN NULL ELSE reviewed_by END, \
         return_note = CASE WHEN $3 = 1 THEN '' ELSE return_note END, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6 AND status = $7",
    )
    .bind(&text)
    .bind(i64::from(oos))
    .bind(i64::from(correcting))
    .bind(now)
    .bind(id)
    .bind(input.version)
    .bind(&r.status)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("record {} changed meanwhile; reload", r.number)).into());
    }
    let (action, why) = if correcting { ("correct", input.reason.trim()) } else { ("enter", "录入数据") };
    save(&mut tx, principal, id, action, why, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The instruments a record names, each checked to be in calibration now.
async fn instruments_now(
    store: &Store,
    principal: &Principal,
    r: &Record,
    client: &ClientInfo,
) -> Result<Vec<Instrument>> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for e in r.entries.values().filter(|e| e.source == "instrument") {
        let Some(iid) = e.ref_id.filter(|i| !seen.contains(i)) else { continue };
        seen.push(iid);
        out.push(instruments::usable(store, principal, iid, client).await?);
    }
    Ok(out)
}

/// Submits a draft (`lab.use`, its author, signing as `author`): every required field filled,
/// every instrument still in calibration (its use recorded), and an OOS result opening a
/// deviation — all in one transaction.
#[allow(clippy::too_many_arguments)]
pub async fn submit(
    store: &Store,
    identity: &IdentityConfig,
    quality: &QualityConfig,
    principal: &Principal,
    id: i64,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Record> {
    let (r, tv) = reach(store, principal, id, perm::LAB_USE, client).await?;
    only_author(&r, principal)?;
    if r.status != "draft" {
        return Err(wrong_state(&r, "submit"));
    }
    let compiled = templates::compile(&tv.definition)?;
    let mut errors = ValidationError::new();
    for slot in compiled.slots.iter().filter(|s| s.field.required) {
        match r.entries.get(&slot.key) {
            Some(e) if !e.value.is_empty() => {}
            Some(e) if !e.detail.is_empty() => errors.push(slot.key.as_str(), "calculation", e.detail.clone()),
            _ => errors.push(slot.key.as_str(), "required", "a required field"),
        }
    }
    errors.into_result()?;
    let used = instruments_now(store, principal, &r, client).await?;
    let oos: Vec<&Slot> = compiled.slots.iter().filter(|s| r.entries.get(&s.key).is_some_and(|e| e.oos)).collect();
    let report = match (oos.is_empty(), r.deviation_id) {
        (false, None) => Some(deviations::report_reach(store, principal, r.org_id, client).await?),
        _ => None,
    };
    esign::reauthenticate(store, identity, principal, password, totp, &format!("lab_record:{id} submit"), client)
        .await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_records SET status = 'submitted', version = version + 1, updated_at = $1 \
         WHERE id = $2 AND status = 'draft' AND version = $3",
    )
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("record {} changed meanwhile; reload", r.number)).into());
    }
    for i in &used {
        instruments::record_use(
            &mut tx,
            principal,
            i,
            &format!("实验记录 {} {}", r.number, r.title),
            &r.number,
            client,
        )
        .await?;
    }
    let mut reason = "提交复核".to_string();
    if let (Some(reach), Some(first)) = (report, oos.first()) {
        let value = r.entries.get(&first.key).map(|e| e.value.clone()).unwrap_or_default();
        let more = if oos.len() > 1 { format!("等 {} 项", oos.len()) } else { String::new() };
        let test: String = format!("{}{more}", first.label()).chars().take(100).collect();
        let o = deviations::Oos {
            org_id: r.org_id,
            test,
            result: format!("{value} {}", first.field.unit).trim().to_string(),
            specification: first.specification(),
            product: String::new(),
            batch: String::new(),
            record_ref: r.number.clone(),
        };
        let (dev_id, dev_number) = deviations::from_oos_in(&mut tx, quality, principal, &reach, &o, client).await?;
        sqlx::query("UPDATE lab_records SET deviation_id = $1 WHERE id = $2")
            .bind(dev_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        reason = format!("提交复核；结果超标，已开启偏差 {dev_number}");
    }
    let written = save(&mut tx, principal, id, "submit", &reason, client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "author", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Reviews a submitted record (复核; `lab.use`, someone other than its author, signing as
/// `review`).
pub async fn review(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Record> {
    let (r, _) = reach(store, principal, id, perm::LAB_READ, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", r.org_id).await?;
    if !principal.reaches(perm::LAB_USE, &path) && !principal.reaches(perm::LAB_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::LAB_USE, &format!("lab_record:{id}"), client).await);
    }
    if r.status != "submitted" {
        return Err(wrong_state(&r, "review"));
    }
    if r.author == principal.username() {
        return Err(LabError::SamePerson { step: "review" });
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("lab_record:{id} review"), client)
        .await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_records SET status = 'reviewed', reviewed_by = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND status = 'submitted' AND version = $4",
    )
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("record {} changed meanwhile; reload", r.number)).into());
    }
    let written = save(&mut tx, principal, id, "review", "复核无误", client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "review", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// An attachment of a record (`lab.read` on the record): its name, type, SM3 and content.
pub async fn file(
    store: &Store,
    principal: &Principal,
    id: i64,
    file_id: i64,
    client: &ClientInfo,
) -> Result<(String, String, String, Vec<u8>)> {
    reach(store, principal, id, perm::LAB_READ, client).await?;
    let Some(f) = yaolian_records::files::read(store.pool(), &FILES, id, file_id).await? else {
        return Err(IdentityError::NotFound("file").into());
    };
    Ok((f.name, f.content_type, f.sm3, f.bytes))
}

/// Sends a submitted record back to its author (退回), or a reviewed one back from approval:
/// by someone who may review (`lab.use`) or approve (`lab.manage`) it, never the author, with the
/// reason. The author then corrects it — each change with its reason, the replaced value kept
/// — which returns it to review.
pub async fn send_back(
    store: &Store,
    principal: &Principal,
    id: i64,
    reason: &str,
    version: i64,
    client: &ClientInfo,
) -> Result<Record> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason.trim(), 1, 500);
    errors.into_result()?;
    let (r, _) = reach(store, principal, id, perm::LAB_READ, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", r.org_id).await?;
    let may = match r.status.as_str() {
        "submitted" => principal.reaches(perm::LAB_USE, &path) || principal.reaches(perm::LAB_MANAGE, &path),
        "reviewed" => principal.reaches(perm::LAB_MANAGE, &path),
        _ => return Err(wrong_state(&r, "send_back")),
    };
    if !may {
        return Err(audit::deny(store, principal, perm::LAB_USE, &format!("lab_record:{id}"), client).await);
    }
    if r.author == principal.username() {
        return Err(LabError::SamePerson { step: "send_back" });
    }
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_records SET status = 'returned', reviewed_by = NULL, return_note = $1, version = version + 1, \
         updated_at = $2 WHERE id = $3 AND status = $4 AND version = $5",
    )
    .bind(reason.trim())
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(&r.status)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("record {} changed meanwhile; reload", r.number)).into());
    }
    save(&mut tx, principal, id, "send_back", reason.trim(), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Approves a reviewed record (`lab.manage`, neither its author nor its reviewer, signing as
/// `approve`); each reagent lot it used gives up the amount used, in the same transaction.
pub async fn approve(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Record> {
    let (r, _) = reach(store, principal, id, perm::LAB_MANAGE, client).await?;
    if r.status != "reviewed" {
        return Err(wrong_state(&r, "approve"));
    }
    if r.author == principal.username() {
        return Err(LabError::SamePerson { step: "approve" });
    }
    if r.reviewed_by.as_deref() == Some(principal.username()) {
        return Err(LabError::SamePerson { step: "approve_reviewed" });
    }
    let mut uses: Vec<(String, ReagentUse)> = Vec::new();
    for (key, e) in r.entries.iter().filter(|(_, e)| e.source == "reagent" && !e.value.is_empty()) {
        let (Some(lot_id), Ok(amount)) = (e.ref_id, yaolian_inventory::qty::parse_positive(key, &e.amount)) else {
            continue;
        };
        let u = stock::usable_for_record(store, principal, lot_id, amount, key, perm::INVENTORY_READ, client).await?;
        uses.push((key.clone(), u));
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("lab_record:{id} approve"), client)
        .await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE lab_records SET status = 'approved', approved_by = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND status = 'reviewed' AND version = $4",
    )
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(r.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("record {} changed meanwhile; reload", r.number)).into());
    }
    for (key, u) in &uses {
        let purpose = format!("实验记录 {} {}（{}，记录人 {}）", r.number, r.title, key, r.author);
        stock::consume(&mut tx, principal, u, &purpose, client).await?;
    }
    let written = save(&mut tx, principal, id, "approve", "批准", client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One record, if the principal may read it (`lab.read`; not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Record> {
    let sql =
        format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} JOIN orgs o ON o.id = r.org_id WHERE r.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::LAB_READ, &sql, id, (ENTITY, "record"), client).await?;
    Ok(from_row(&row)?)
}

/// A record with its template version compiled, for its page.
pub async fn with_template(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<(Record, TemplateVersion, Compiled)> {
    let r = get(store, principal, id, client).await?;
    let tv = templates::get(store, principal, r.template_version_id, client).await?;
    let compiled = templates::compile(&tv.definition)?;
    Ok((r, tv, compiled))
}

/// A record for printing (`lab.read`): the record, its template, and every version of it (the
/// audit trail the copy carries); the print is an `export` audit event naming the record.
pub async fn print_copy(
    store: &Store,
    principal: &Principal,
    id: i64,
    client: &ClientInfo,
) -> Result<(Record, TemplateVersion, Compiled, Vec<RecordVersion>)> {
    let (r, tv, compiled) = with_template(store, principal, id, client).await?;
    let history = versions::history(store.pool(), ENTITY, &id.to_string()).await?;
    let target = format!("lab_record:{id} {} print", r.number);
    audit::record_now(store, audit::Event::by(principal, audit::action::EXPORT, &target, client)).await?;
    Ok((r, tv, compiled, history))
}

/// Records as an export table (CSV / Excel): one row each.
pub fn table(list: &[Record]) -> audit::Table {
    let status = |c: &str| STATUSES.iter().find(|(k, _)| *k == c).map(|(_, l)| *l).unwrap_or("").to_string();
    audit::Table::new(
        "实验记录",
        &["记录编号", "实验名称", "模板", "模板版本", "状态", "结果超标", "记录人", "复核人", "批准人", "创建时间"],
        list.iter().map(|r| {
            vec![
                r.number.clone(),
                r.title.clone(),
                r.template_code.clone(),
                r.template_number.to_string(),
                status(&r.status),
                if r.oos { "是".into() } else { "否".into() },
                r.author.clone(),
                r.reviewed_by.clone().unwrap_or_default(),
                r.approved_by.clone().unwrap_or_default(),
                r.created_at.to_china_string(),
            ]
        }),
    )
}

/// One page of the records the principal may read, newest first; `status` one of
/// [`STATUSES`]' codes or `oos`.
pub async fn list(
    store: &Store,
    principal: &Principal,
    status: Option<&str>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Record>, i64)> {
    let narrow = |p: &mut Params| match status {
        Some("oos") => Some("r.oos = 1".to_string()),
        Some(s) if STATUSES.iter().any(|(c, _)| *c == s) => Some(format!("r.status = {}", p.push(s))),
        _ => None,
    };
    page_of(store, principal, narrow, limit, offset, client).await
}

/// The records made for a project (its deliverables), newest first.
pub async fn of_project(
    store: &Store,
    principal: &Principal,
    project_id: i64,
    client: &ClientInfo,
) -> Result<Vec<Record>> {
    crate::projects::get(store, principal, project_id, client).await?;
    let narrow = |p: &mut Params| Some(format!("r.project_id = {}", p.push(project_id)));
    Ok(page_of(store, principal, narrow, 500, 0, client).await?.0)
}

async fn page_of(
    store: &Store,
    principal: &Principal,
    narrow: impl FnOnce(&mut Params) -> Option<String>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Record>, i64)> {
    let from = format!("{FROM} JOIN orgs o ON o.id = r.org_id");
    let shape = (COLUMNS, from.as_str(), "r.id DESC");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::LAB_READ,
        "lab_records",
        shape,
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}

/// Every record whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY r.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let rec = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: rec.id.to_string(), data: image(&rec)? });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
