//! Change control (变更控制, China GMP 2010 §240–246; ICH Q10 §3.2.3; risk per ICH Q9(R1)):
//! requested → assessed by QA (主要 / 次要 with the reasoning, an FMEA whose RPN = severity ×
//! occurrence × detection is graded by configurable thresholds, the functions that must approve,
//! implementation tasks) → approved by each function concerned under its own electronic
//! signature (one person signs for one function; a refusal rejects the change) → implemented
//! (tasks done with evidence; every affected controlled document revised under the change; for
//! a material or process change the first batches made after it evaluated, §244: 3 by default)
//! → closed by QA under a signature.
//!
//! Who may do what, in the organization's scope: `quality.read` reads; `quality.report` requests
//! a change, signs for a function other than QA, does a task and records a batch evaluation;
//! `quality.manage` (QA) assesses, signs for QA, revises the affected documents and closes.
//! Every change is a version of `qa_change`.

use crate::deviations::org_path;
use crate::documents::{self, Document};
use crate::error::{QualityError, Result};
use crate::{today, QualityConfig};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_records::files::Upload;
use yaolian_store::sql::Params;
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

pub use crate::capa::{Action, NewAction};

/// The versioned-record entity of changes.
pub const ENTITY: &str = "qa_change";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("requested", "已申请，待评估"),
    ("assessed", "已评估，待批准"),
    ("implementing", "已批准，实施中"),
    ("closed", "已关闭"),
    ("rejected", "未批准"),
];

/// What a change alters, code and Chinese name; `material` and `process` changes need the
/// first batches after them evaluated (§244).
pub const KINDS: &[(&str, &str)] = &[
    ("material", "物料（原辅料、包材、供应商）"),
    ("process", "生产工艺"),
    ("method", "检验方法与质量标准"),
    ("equipment", "设备与设施"),
    ("document", "文件"),
    ("other", "其他"),
];

/// Change classes (变更分类, GMP §242), code and Chinese name.
pub const CLASSES: &[(&str, &str)] = &[("major", "主要变更"), ("minor", "次要变更")];

/// Functions that approve a change (相关部门), code and Chinese name; QA always signs.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("qa", "质量保证"),
    ("qc", "质量控制"),
    ("production", "生产"),
    ("rd", "研发"),
    ("regulatory", "注册"),
    ("engineering", "设备工程"),
];

/// Risk levels from the highest RPN, code and Chinese name.
pub const RISKS: &[(&str, &str)] = &[("high", "高风险"), ("medium", "中风险"), ("low", "低风险")];

/// A change as requested.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewChange {
    pub org_id: i64,
    pub title: String,
    /// What changes, from what to what.
    pub description: String,
    /// Why (变更理由).
    pub reason: String,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    /// Affected controlled documents, by id.
    #[serde(default)]
    pub documents: Vec<i64>,
    /// Affected products, methods and equipment, by name.
    #[serde(default)]
    pub products: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub equipment: Vec<String>,
}

/// One failure mode of the FMEA as entered; each score 1 to 10.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewRisk {
    /// 失效模式.
    pub mode: String,
    /// 失效后果.
    pub effect: String,
    pub severity: i64,
    pub occurrence: i64,
    pub detection: i64,
    /// 控制措施; required when the RPN is at the high threshold or above.
    #[serde(default)]
    pub controls: String,
}

/// One failure mode as stored, with its RPN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Risk {
    pub mode: String,
    pub effect: String,
    pub severity: i64,
    pub occurrence: i64,
    pub detection: i64,
    /// Risk priority number (风险优先数) = severity × occurrence × detection.
    pub rpn: i64,
    pub controls: String,
}

/// QA's assessment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Assessment {
    /// One of [`CLASSES`]' codes.
    pub classification: String,
    pub classification_reason: String,
    pub risks: Vec<NewRisk>,
    /// Functions besides QA that must approve ([`FUNCTIONS`]' codes).
    #[serde(default)]
    pub functions: Vec<String>,
    pub tasks: Vec<NewAction>,
}

/// An affected controlled document and the revision drafted under the change, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AffectedDocument {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub revision_id: Option<i64>,
    pub revision: Option<i64>,
}

/// A function's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Approval {
    pub function: String,
    pub by: String,
    pub approved: bool,
    pub note: String,
    /// YYYY-MM-DD.
    pub on: String,
}

/// The evaluation of one batch made after the change (首批评估).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BatchReview {
    pub batch: String,
    pub acceptable: bool,
    pub conclusion: String,
    pub by: String,
    /// YYYY-MM-DD.
    pub on: String,
}

/// A change as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Change {
    pub id: i64,
    pub org_id: i64,
    pub number: String,
    pub title: String,
    pub description: String,
    pub reason: String,
    pub kind: String,
    pub classification: String,
    pub classification_reason: String,
    pub risks: Vec<Risk>,
    /// The highest RPN, 0 before the assessment.
    pub max_rpn: i64,
    /// One of [`RISKS`]' codes, empty before the assessment.
    pub risk_level: String,
    pub documents: Vec<AffectedDocument>,
    pub products: Vec<String>,
    pub methods: Vec<String>,
    pub equipment: Vec<String>,
    /// Functions that must approve, QA first.
    pub functions: Vec<String>,
    pub approvals: Vec<Approval>,
    pub tasks: Vec<Action>,
    /// Acceptable batch evaluations needed before closure.
    pub batches_required: i64,
    pub batch_reviews: Vec<BatchReview>,
    pub status: String,
    pub requester: String,
    pub closure_note: String,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

impl Change {
    /// Functions that have not signed yet.
    pub fn awaiting(&self) -> Vec<String> {
        self.functions.iter().filter(|f| !self.approvals.iter().any(|a| &a.function == *f)).cloned().collect()
    }

    /// What still stands between the change and its closure, in Chinese (empty when it may close).
    pub fn outstanding(&self) -> Vec<String> {
        let mut out = Vec::new();
        let open = self.tasks.iter().filter(|t| t.done_on.is_none()).count();
        if open > 0 {
            out.push(format!("{open} 项实施任务未完成"));
        }
        for d in &self.documents {
            if d.revision_id.is_none() {
                out.push(format!("文件 {} 尚未按本变更修订", d.code));
            }
        }
        let ok = self.batch_reviews.iter().filter(|b| b.acceptable).count() as i64;
        if ok < self.batches_required {
            out.push(format!("变更后首批评估合格 {ok} 批，需 {} 批", self.batches_required));
        }
        out
    }
}

/// The risk level of an RPN under the configured thresholds.
pub fn risk_level(cfg: &QualityConfig, rpn: i64) -> &'static str {
    if rpn >= cfg.rpn_high {
        "high"
    } else if rpn >= cfg.rpn_medium {
        "medium"
    } else {
        "low"
    }
}

const COLUMNS: &str = "c.id, c.org_id, c.number, c.title, c.description, c.reason, c.kind, c.classification, \
     c.classification_reason, c.risks, c.max_rpn, c.risk_level, c.affected, c.functions, c.approvals, c.tasks, \
     c.batches_required, c.batch_reviews, c.status, c.requester, c.closure_note, c.version, c.updated_at";

#[derive(Serialize, Deserialize, Default)]
struct Affected {
    documents: Vec<AffectedDocument>,
    products: Vec<String>,
    methods: Vec<String>,
    equipment: Vec<String>,
}

fn parse<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Change, sqlx::Error> {
    let affected: Affected = parse(&r.try_get::<String, _>("affected")?);
    Ok(Change {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        reason: r.try_get("reason")?,
        kind: r.try_get("kind")?,
        classification: r.try_get("classification")?,
        classification_reason: r.try_get("classification_reason")?,
        risks: parse(&r.try_get::<String, _>("risks")?),
        max_rpn: r.try_get("max_rpn")?,
        risk_level: r.try_get("risk_level")?,
        documents: affected.documents,
        products: affected.products,
        methods: affected.methods,
        equipment: affected.equipment,
        functions: parse(&r.try_get::<String, _>("functions")?),
        approvals: parse(&r.try_get::<String, _>("approvals")?),
        tasks: parse(&r.try_get::<String, _>("tasks")?),
        batches_required: r.try_get("batches_required")?,
        batch_reviews: parse(&r.try_get::<String, _>("batch_reviews")?),
        status: r.try_get("status")?,
        requester: r.try_get("requester")?,
        closure_note: r.try_get("closure_note")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

fn image(c: &Change) -> serde_json::Value {
    serde_json::json!({
        "id": c.id,
        "org_id": c.org_id,
        "number": c.number,
        "title": c.title,
        "description": c.description,
        "reason": c.reason,
        "kind": c.kind,
        "classification": c.classification,
        "classification_reason": c.classification_reason,
        "risks": c.risks,
        "max_rpn": c.max_rpn,
        "risk_level": c.risk_level,
        "documents": c.documents,
        "products": c.products,
        "methods": c.methods,
        "equipment": c.equipment,
        "functions": c.functions,
        "approvals": c.approvals,
        "tasks": c.tasks,
        "batches_required": c.batches_required,
        "batch_reviews": c.batch_reviews,
        "status": c.status,
        "requester": c.requester,
        "closure_note": c.closure_note,
    })
}

/// Every change whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM qa_changes c ORDER BY c.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: c.id.to_string(), data: image(&c) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

fn names(errors: &mut ValidationError, field: &str, list: &[String]) -> Vec<String> {
    if list.len() > 30 {
        errors.push(field, "range:0..30", "at most 30");
    }
    let mut out: Vec<String> = Vec::new();
    for (i, n) in list.iter().enumerate().take(30) {
        errors.length(&format!("{field}[{i}]"), n, 1, 200);
        if !out.iter().any(|o| o == n.trim()) {
            out.push(n.trim().to_string());
        }
    }
    out
}

fn known(table: &[(&str, &str)], code: &str) -> bool {
    table.iter().any(|(c, _)| *c == code)
}

/// Requests a change (`quality.report`).
pub async fn request(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    new: &NewChange,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    errors.length("description", &new.description, 1, 4000);
    errors.length("reason", &new.reason, 1, 2000);
    if !known(KINDS, &new.kind) {
        errors.push("kind", "one_of", "one of material, process, method, equipment, document, other");
    }
    if new.documents.len() > 30 {
        errors.push("documents", "range:0..30", "at most 30 documents");
    }
    let products = names(&mut errors, "products", &new.products);
    let methods = names(&mut errors, "methods", &new.methods);
    let equipment = names(&mut errors, "equipment", &new.equipment);
    errors.into_result()?;
    let path = org_path(store, new.org_id).await?;
    if !principal.reaches(perm::QUALITY_REPORT, &path) {
        return Err(audit::deny(store, principal, perm::QUALITY_REPORT, "qa_changes", client).await);
    }
    let mut docs: Vec<AffectedDocument> = Vec::new();
    for (i, id) in new.documents.iter().enumerate() {
        let d = match documents::get(store, principal, *id, client).await {
            Ok(d) if d.org_id == new.org_id && d.status != "obsolete" => d,
            _ => {
                return Err(ValidationError::single(
                    format!("documents[{i}]"),
                    "exists",
                    "a controlled document in force of the same organization",
                )
                .into())
            }
        };
        if !docs.iter().any(|x| x.id == d.id) {
            docs.push(AffectedDocument { id: d.id, code: d.code, title: d.title, revision_id: None, revision: None });
        }
    }
    let affected = Affected { documents: docs, products, methods, equipment };
    let batches = if ["material", "process"].contains(&new.kind.as_str()) { cfg.first_batches } else { 0 };
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO qa_changes (org_id, number, title, description, reason, kind, affected, batches_required, \
         status, requester, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9, 1, $10) \
         RETURNING id",
    )
    .bind(new.org_id)
    .bind(&provisional)
    .bind(new.title.trim())
    .bind(new.description.trim())
    .bind(new.reason.trim())
    .bind(&new.kind)
    .bind(json(&affected))
    .bind(batches)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let number = format!("CC-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE qa_changes SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut *tx).await?;
    let c = read_in(&mut tx, id).await?;
    save(&mut tx, principal, &c, "request", "", client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

async fn read_in(tx: &mut Tx<'_>, id: i64) -> Result<Change> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM qa_changes c WHERE c.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(from_row(&row)?)
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    c: &Change,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let step = crate::Step {
        entity: ENTITY,
        id: c.id,
        version: c.version,
        data: image(c),
        action,
        reason,
        audit: audit::action::QUALITY_CHANGE,
        target: format!("qa_change:{} {} {action}", c.id, c.number),
    };
    crate::record_step(tx, principal, step, client).await
}

/// Writes `next` over `before` (refused when someone changed it meanwhile) and versions it.
async fn write(
    tx: &mut Tx<'_>,
    principal: &Principal,
    before: &Change,
    next: &Change,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let affected = Affected {
        documents: next.documents.clone(),
        products: next.products.clone(),
        methods: next.methods.clone(),
        equipment: next.equipment.clone(),
    };
    let done = sqlx::query(
        "UPDATE qa_changes SET classification = $1, classification_reason = $2, risks = $3, max_rpn = $4, \
         risk_level = $5, affected = $6, functions = $7, approvals = $8, tasks = $9, batch_reviews = $10, \
         status = $11, closure_note = $12, version = version + 1, updated_at = $13 WHERE id = $14 AND version = $15",
    )
    .bind(&next.classification)
    .bind(&next.classification_reason)
    .bind(json(&next.risks))
    .bind(next.max_rpn)
    .bind(&next.risk_level)
    .bind(json(&affected))
    .bind(json(&next.functions))
    .bind(json(&next.approvals))
    .bind(json(&next.tasks))
    .bind(json(&next.batch_reviews))
    .bind(&next.status)
    .bind(&next.closure_note)
    .bind(Timestamp::now().0)
    .bind(before.id)
    .bind(before.version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("change {} changed meanwhile; reload", before.number)).into());
    }
    let written = read_in(tx, before.id).await?;
    save(tx, principal, &written, action, reason, client).await
}

async fn reach(store: &Store, principal: &Principal, id: i64, permission: &str, client: &ClientInfo) -> Result<Change> {
    let c = get(store, principal, id, client).await?;
    let path = org_path(store, c.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("qa_change:{id}"), client).await);
    }
    Ok(c)
}

fn wrong_state(c: &Change, action: &'static str) -> QualityError {
    QualityError::WrongState { what: format!("change {}", c.number), status: c.status.clone(), action }
}

/// The FMEA rows checked, each with its RPN.
pub fn risks_of(cfg: &QualityConfig, news: &[NewRisk], errors: &mut ValidationError) -> Vec<Risk> {
    if news.is_empty() || news.len() > 30 {
        errors.push("risks", "range:1..30", "one to thirty failure modes");
    }
    let mut out = Vec::new();
    for (i, r) in news.iter().enumerate().take(30) {
        errors.length(&format!("risks[{i}].mode"), &r.mode, 1, 500);
        errors.length(&format!("risks[{i}].effect"), &r.effect, 1, 500);
        for (name, score) in [("severity", r.severity), ("occurrence", r.occurrence), ("detection", r.detection)] {
            if !(1..=10).contains(&score) {
                errors.push(format!("risks[{i}].{name}"), "range:1..10", "a score from 1 to 10");
            }
        }
        let rpn = r.severity.clamp(0, 10) * r.occurrence.clamp(0, 10) * r.detection.clamp(0, 10);
        if rpn >= cfg.rpn_high && r.controls.trim().is_empty() {
            errors.push(
                format!("risks[{i}].controls"),
                "required_when_high",
                format!("controls for an RPN of {rpn} (high from {})", cfg.rpn_high),
            );
        }
        errors.length(&format!("risks[{i}].controls"), &r.controls, 0, 1000);
        out.push(Risk {
            mode: r.mode.trim().to_string(),
            effect: r.effect.trim().to_string(),
            severity: r.severity,
            occurrence: r.occurrence,
            detection: r.detection,
            rpn,
            controls: r.controls.trim().to_string(),
        });
    }
    out
}

/// QA classifies the change, assesses its risk (FMEA), names the functions that must approve
/// and the implementation tasks; the change then waits for the approvals. A change whose highest
/// RPN is high is major. Assessing again before any approval replaces the assessment.
pub async fn assess(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    id: i64,
    a: &Assessment,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    if !known(CLASSES, &a.classification) {
        errors.push("classification", "one_of", "major or minor");
    }
    errors.length("classification_reason", &a.classification_reason, 1, 2000);
    let risks = risks_of(cfg, &a.risks, &mut errors);
    let max_rpn = risks.iter().map(|r| r.rpn).max().unwrap_or(0);
    let level = risk_level(cfg, max_rpn);
    if level == "high" && a.classification == "minor" {
        errors.push(
            "classification",
            "major_when_high",
            format!("a change with an RPN of {max_rpn} (high from {}) is major", cfg.rpn_high),
        );
    }
    let mut functions = vec!["qa".to_string()];
    for (i, f) in a.functions.iter().enumerate().take(FUNCTIONS.len() + 1) {
        if !known(FUNCTIONS, f) {
            errors.push(
                format!("functions[{i}]"),
                "one_of",
                "a function: qa, qc, production, rd, regulatory, engineering",
            );
        } else if !functions.contains(f) {
            functions.push(f.clone());
        }
    }
    let tasks = crate::capa::actions_of(&a.tasks, &mut errors, "tasks");
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if !(c.status == "requested" || (c.status == "assessed" && c.approvals.is_empty())) {
        return Err(wrong_state(&c, "assess"));
    }
    let next = Change {
        classification: a.classification.clone(),
        classification_reason: a.classification_reason.trim().to_string(),
        risks,
        max_rpn,
        risk_level: level.to_string(),
        functions,
        tasks,
        status: "assessed".into(),
        ..c.clone()
    };
    let reason = format!("最高风险优先数 {max_rpn}");
    let mut tx = store.begin().await?;
    write(&mut tx, principal, &c, &next, "assess", &reason, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A function's decision on an assessed change, under the signer's electronic signature
/// (`approve`): QA's needs `quality.manage`, another function's `quality.report`; one person signs
/// for one function. The last approval starts the implementation; a refusal rejects the change.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    function: &str,
    approved: bool,
    note: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    if !known(FUNCTIONS, function) {
        errors.push("function", "one_of", "a function: qa, qc, production, rd, regulatory, engineering");
    }
    errors.length("note", note, if approved { 0 } else { 1 }, 1000);
    errors.into_result()?;
    let needed = if function == "qa" { perm::QUALITY_MANAGE } else { perm::QUALITY_REPORT };
    let c = reach(store, principal, id, needed, client).await?;
    if c.status != "assessed" {
        return Err(wrong_state(&c, "approve"));
    }
    if !c.awaiting().iter().any(|f| f == function) {
        return Err(
            ValidationError::single("function", "awaiting", "this function does not approve or has signed").into()
        );
    }
    if c.approvals.iter().any(|a| a.by == principal.username()) {
        return Err(ValidationError::single("function", "one_per_person", "one person signs for one function").into());
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_change:{id} approve"), client)
        .await?;
    let mut next = c.clone();
    next.approvals.push(Approval {
        function: function.to_string(),
        by: principal.username().to_string(),
        approved,
        note: note.trim().to_string(),
        on: day_text(today()),
    });
    let name = FUNCTIONS.iter().find(|(f, _)| *f == function).map(|(_, n)| *n).unwrap_or_default();
    let (action, reason) = if !approved {
        next.status = "rejected".into();
        ("reject", format!("{name}不批准"))
    } else if next.awaiting().is_empty() {
        next.status = "implementing".into();
        ("approve", format!("{name}批准，开始实施"))
    } else {
        ("approve", format!("{name}批准"))
    };
    let mut tx = store.begin().await?;
    let written = write(&mut tx, principal, &c, &next, action, &reason, client).await?;
    esign::sign_in_tx(&mut tx, principal, password, if approved { "approve" } else { "decide" }, &written, client)
        .await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Marks implementation task `index` (from 0) done with its evidence (`quality.report`).
pub async fn complete_task(
    store: &Store,
    principal: &Principal,
    id: i64,
    index: usize,
    evidence: &str,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    errors.length("evidence", evidence, 1, 2000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_REPORT, client).await?;
    if c.status != "implementing" {
        return Err(wrong_state(&c, "complete a task"));
    }
    let mut next = c.clone();
    let Some(t) = next.tasks.get_mut(index) else {
        return Err(ValidationError::single("index", "exists", "no such task").into());
    };
    if t.done_on.is_some() {
        return Err(ValidationError::single("index", "done", "the task is done already").into());
    }
    t.done_on = Some(day_text(today()));
    t.evidence = evidence.trim().to_string();
    let mut tx = store.begin().await?;
    write(&mut tx, principal, &c, &next, "task_done", &format!("任务 {} 完成", index + 1), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the evaluation of a batch made after the change (`quality.report`).
pub async fn review_batch(
    store: &Store,
    principal: &Principal,
    id: i64,
    batch: &str,
    acceptable: bool,
    conclusion: &str,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    errors.length("batch", batch, 1, 60);
    errors.length("conclusion", conclusion, 1, 2000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_REPORT, client).await?;
    if c.status != "implementing" || c.batches_required == 0 {
        return Err(wrong_state(&c, "evaluate a batch"));
    }
    if c.batch_reviews.iter().any(|b| b.batch == batch.trim()) || c.batch_reviews.len() >= 50 {
        return Err(ValidationError::single("batch", "unique", "this batch is evaluated already").into());
    }
    let mut next = c.clone();
    next.batch_reviews.push(BatchReview {
        batch: batch.trim().to_string(),
        acceptable,
        conclusion: conclusion.trim().to_string(),
        by: principal.username().to_string(),
        on: day_text(today()),
    });
    let verdict = if acceptable { "合格" } else { "不合格" };
    let mut tx = store.begin().await?;
    write(&mut tx, principal, &c, &next, "batch_review", &format!("批 {} 评估{verdict}", batch.trim()), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Drafts the next revision of an affected controlled document under the change (QA), in one
/// transaction with the change's new version naming the revision. The revision then goes through
/// the document's own review and approval.
#[allow(clippy::too_many_arguments)]
pub async fn revise_document(
    store: &Store,
    principal: &Principal,
    id: i64,
    document_id: i64,
    file: &Upload,
    reason: &str,
    client: &ClientInfo,
) -> Result<Document> {
    let mut errors = ValidationError::new();
    errors.length("reason", reason, 1, 500);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if c.status != "implementing" {
        return Err(wrong_state(&c, "revise a document"));
    }
    let Some(pos) = c.documents.iter().position(|d| d.id == document_id) else {
        return Err(ValidationError::single("document_id", "affected", "a document this change affects").into());
    };
    if c.documents[pos].revision_id.is_some() {
        return Err(ValidationError::single("document_id", "revised", "revised under this change already").into());
    }
    documents::revisable(store, principal, document_id, client).await?;
    let mut tx = store.begin().await?;
    let full_reason = format!("{}：{}", c.number, reason.trim());
    let (rev_id, revision) =
        documents::insert_revision(&mut tx, principal, document_id, file, &full_reason, client).await?;
    let mut next = c.clone();
    next.documents[pos].revision_id = Some(rev_id);
    next.documents[pos].revision = Some(revision);
    let code = next.documents[pos].code.clone();
    write(&mut tx, principal, &c, &next, "revise_document", &format!("修订文件 {code} 第 {revision} 版"), client)
        .await?;
    tx.commit().await?;
    documents::get(store, principal, document_id, client).await
}

/// QA closes an implemented change under a signature: every task done, every affected document
/// revised under it and that revision approved, and enough acceptable first batches.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    note: &str,
    password: &str,
    client: &ClientInfo,
) -> Result<Change> {
    let mut errors = ValidationError::new();
    errors.length("note", note, 1, 2000);
    errors.into_result()?;
    let c = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if c.status != "implementing" {
        return Err(wrong_state(&c, "close"));
    }
    let mut outstanding = c.outstanding();
    for d in &c.documents {
        let Some(rev_id) = d.revision_id else { continue };
        let doc = documents::get(store, principal, d.id, client).await?;
        let approved = doc
            .revisions
            .iter()
            .any(|r| r.id == rev_id && ["pending", "effective", "superseded"].contains(&r.state.as_str()));
        if !approved {
            outstanding.push(format!("文件 {} 的修订版尚未批准", d.code));
        }
    }
    if !outstanding.is_empty() {
        return Err(QualityError::ChangeOpen { outstanding });
    }
    esign::reauthenticate(store, identity, principal, password, None, &format!("qa_change:{id} close"), client).await?;
    let next = Change { status: "closed".into(), closure_note: note.trim().to_string(), ..c.clone() };
    let mut tx = store.begin().await?;
    let written = write(&mut tx, principal, &c, &next, "close", note.trim(), client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// One change, if the principal may read it (not found otherwise).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Change> {
    let sql = format!(
        "SELECT {COLUMNS}, o.path AS org_path FROM qa_changes c JOIN orgs o ON o.id = c.org_id WHERE c.id = $1"
    );
    Ok(from_row(&crate::readable_row(store, principal, &sql, id, (ENTITY, "change"), client).await?)?)
}

/// Changes the principal may read, newest first; `status` one of [`STATUSES`]' codes.
pub async fn list(
    store: &Store,
    principal: &Principal,
    status: Option<&str>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Change>, i64)> {
    let narrow = |p: &mut Params| status.filter(|s| known(STATUSES, s)).map(|s| format!("c.status = {}", p.push(s)));
    let shape = (COLUMNS, "qa_changes c JOIN orgs o ON o.id = c.org_id", "c.updated_at DESC, c.id DESC");
    let (rows, total) =
        crate::readable_page(store, principal, "qa_changes", shape, narrow, limit, offset, client).await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}
