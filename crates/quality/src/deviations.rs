//! Deviations (偏差): report → investigate → approve (QA, signed) → closed, with a deadline and
//! its extensions, and the CAPA it links to.
//!
//! Who may do what, in the organization's data scope: `quality.read` reads; `quality.report`
//! reports (by hand, or an OOS result); `quality.manage` (QA) investigates, classifies, extends
//! the deadline and approves. Every change is a version of `qa_deviation` with the row's
//! after-image, in the transaction that writes the row.

use crate::error::{QualityError, Result};
use crate::{day_of, today, QualityConfig, CAUSES};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, scope_filter, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::day_text;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityConfig;
use yaolian_records::esign;
use yaolian_store::sql::Params;
use yaolian_store::{RecordVersion, Store, StoreError, Tx};

/// The versioned-record entity of deviations.
pub const ENTITY: &str = "qa_deviation";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] =
    &[("open", "已报告，待调查"), ("investigated", "已调查，待批准"), ("closed", "已批准关闭")];

/// Where a deviation came from, code and Chinese name.
pub const SOURCES: &[(&str, &str)] = &[
    ("manual", "人工报告"),
    ("oos", "检验结果超标"),
    ("black_box", "设备黑匣子告警"),
    ("environment", "环境监测超标"),
];

/// A deviation reported by hand.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewDeviation {
    /// The organization it happened in (the company or its site or lab).
    pub org_id: i64,
    pub title: String,
    /// What happened.
    pub description: String,
    /// Where (车间, 实验室, 设备).
    #[serde(default)]
    pub location: String,
    /// When, `YYYY-MM-DD HH:MM` China time; now when empty.
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub batch: String,
    /// The record affected (批记录, 检验记录 number).
    #[serde(default)]
    pub record_ref: String,
    /// 已采取的紧急措施.
    #[serde(default)]
    pub immediate_actions: String,
}

/// An out-of-specification result (检验结果超标), from the lab or over the API.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Oos {
    pub org_id: i64,
    /// The test (检验项目), e.g. 含量测定.
    pub test: String,
    /// The result as reported, e.g. 93.2%.
    pub result: String,
    /// The specification, e.g. 95.0%–105.0%.
    pub specification: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub batch: String,
    /// The lab record (检验记录) the result is in.
    #[serde(default)]
    pub record_ref: String,
}

/// A monitoring signal that opens a deviation by itself: an environment excursion (环境监测超标,
/// a reading outside its alert or action limit at a monitoring point) or an equipment's
/// black-box alarm (设备黑匣子告警: its data recorder reporting a parameter out of range or an
/// audit-trail event such as a changed setpoint).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Signal {
    pub org_id: i64,
    /// `environment` or `black_box`.
    pub source: String,
    /// The monitoring point (监测点) or the equipment (设备), e.g. B级区 灌装间 / 冻干机 LY-02.
    pub at: String,
    /// The parameter or event, e.g. 悬浮粒子 ≥0.5 µm, 板层温度.
    pub parameter: String,
    /// The reading, e.g. 3 620 个/m³.
    pub reading: String,
    /// The limit it broke, e.g. 行动限 3 520 个/m³.
    pub limit: String,
    /// When, `YYYY-MM-DD HH:MM` China time; now when empty.
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub product: String,
    #[serde(default)]
    pub batch: String,
    /// The monitoring record or the recorder's event id.
    #[serde(default)]
    pub record_ref: String,
}

/// QA's investigation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Investigation {
    /// One of the configured classes (`major`, `minor` …).
    pub classification: String,
    /// Why this class (分级理由).
    pub classification_reason: String,
    /// 人机料法环测: man, machine, material, method, environment, measurement.
    pub cause_category: String,
    /// The five whys, in order (at least one).
    #[serde(default)]
    pub five_whys: Vec<String>,
    pub root_cause: String,
    /// Impact on product quality, other batches, shelf life (影响评估).
    pub impact: String,
}

/// A deviation as stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Deviation {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub number: String,
    pub title: String,
    pub description: String,
    pub location: String,
    #[schema(value_type = i64)]
    pub occurred_at: Timestamp,
    pub product: String,
    pub batch: String,
    pub record_ref: String,
    pub immediate_actions: String,
    pub source: String,
    pub source_ref: String,
    pub classification: String,
    pub classification_reason: String,
    pub cause_category: String,
    pub five_whys: Vec<String>,
    pub root_cause: String,
    pub impact: String,
    /// YYYY-MM-DD.
    pub due_on: String,
    pub overdue: bool,
    pub status: String,
    pub reporter: String,
    pub approved_by: Option<String>,
    pub capa_id: Option<i64>,
    pub version: i64,
    #[schema(value_type = i64)]
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "d.id, d.org_id, o.name AS org_name, d.number, d.title, d.description, d.location, \
     d.occurred_at, d.product, d.batch, d.record_ref, d.immediate_actions, d.source, d.source_ref, d.classification, \
     d.classification_reason, d.cause_category, d.five_whys, d.root_cause, d.impact, d.due_on, d.status, d.reporter, \
     d.approved_by, d.capa_id, d.version, d.updated_at";
const FROM: &str = "qa_deviations d JOIN orgs o ON o.id = d.org_id";

fn from_row(r: &sqlx::any::AnyRow) -> std::result::Result<Deviation, sqlx::Error> {
    let whys: String = r.try_get("five_whys")?;
    let due: i64 = r.try_get("due_on")?;
    let status: String = r.try_get("status")?;
    Ok(Deviation {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        number: r.try_get("number")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        location: r.try_get("location")?,
        occurred_at: Timestamp(r.try_get("occurred_at")?),
        product: r.try_get("product")?,
        batch: r.try_get("batch")?,
        record_ref: r.try_get("record_ref")?,
        immediate_actions: r.try_get("immediate_actions")?,
        source: r.try_get("source")?,
        source_ref: r.try_get("source_ref")?,
        classification: r.try_get("classification")?,
        classification_reason: r.try_get("classification_reason")?,
        cause_category: r.try_get("cause_category")?,
        five_whys: serde_json::from_str(&whys).unwrap_or_default(),
        root_cause: r.try_get("root_cause")?,
        impact: r.try_get("impact")?,
        due_on: day_text(due),
        overdue: status != "closed" && due < today(),
        status,
        reporter: r.try_get("reporter")?,
        approved_by: r.try_get("approved_by")?,
        capa_id: r.try_get("capa_id")?,
        version: r.try_get("version")?,
        updated_at: Timestamp(r.try_get("updated_at")?),
    })
}

/// The after-image the version log holds: the row's fields as stored.
fn image(d: &Deviation) -> serde_json::Value {
    serde_json::json!({
        "id": d.id,
        "org_id": d.org_id,
        "number": d.number,
        "title": d.title,
        "description": d.description,
        "location": d.location,
        "occurred_at": d.occurred_at.0,
        "product": d.product,
        "batch": d.batch,
        "record_ref": d.record_ref,
        "immediate_actions": d.immediate_actions,
        "source": d.source,
        "source_ref": d.source_ref,
        "classification": d.classification,
        "classification_reason": d.classification_reason,
        "cause_category": d.cause_category,
        "five_whys": d.five_whys,
        "root_cause": d.root_cause,
        "impact": d.impact,
        "due_on": d.due_on,
        "status": d.status,
        "reporter": d.reporter,
        "approved_by": d.approved_by,
        "capa_id": d.capa_id,
    })
}

/// Every deviation whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY d.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let d = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: d.id.to_string(), data: image(&d) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}

/// Versions the deviation as its row now stands, inside `tx`, and audits the step.
pub(crate) async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let d = from_row(&row)?;
    let step = crate::Step {
        entity: ENTITY,
        id,
        version: d.version,
        data: image(&d),
        action,
        reason,
        audit: audit::action::QUALITY_DEVIATION,
        target: format!("qa_deviation:{id} {} {action}", d.number),
    };
    crate::record_step(tx, principal, step, client).await
}

/// The path of the record's organization, or a refusal of `org_id`.
pub(crate) async fn org_path(store: &Store, id: i64) -> Result<String> {
    Ok(yaolian_identity::orgs::path_of(store, "org_id", id).await?)
}

/// The right to report deviations in one organization (`quality.report`), checked once, for
/// a deviation written inside another module's transaction (a lab record's OOS result).
#[derive(Debug, Clone)]
pub struct ReportReach {
    org_id: i64,
}

/// Checks that the principal may report deviations in `org_id` (the refusal audited).
pub async fn report_reach(
    store: &Store,
    principal: &Principal,
    org_id: i64,
    client: &ClientInfo,
) -> Result<ReportReach> {
    let path = org_path(store, org_id).await?;
    if !principal.reaches(perm::QUALITY_REPORT, &path) {
        return Err(audit::deny(store, principal, perm::QUALITY_REPORT, "qa_deviations", client).await);
    }
    Ok(ReportReach { org_id })
}

fn check_new(new: &NewDeviation) -> Result<Timestamp> {
    let mut errors = ValidationError::new();
    errors.length("title", &new.title, 1, 200);
    errors.length("description", &new.description, 1, 4000);
    for (field, value) in
        [("location", &new.location), ("product", &new.product), ("batch", &new.batch), ("record_ref", &new.record_ref)]
    {
        errors.length(field, value, 0, 200);
    }
    errors.length("immediate_actions", &new.immediate_actions, 0, 4000);
    let occurred = match new.occurred_at.trim() {
        "" => Some(Timestamp::now()),
        t => match chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M") {
            Ok(dt) => Some(Timestamp(dt.and_utc().timestamp_millis() - yaolian_core::time::CHINA_MS)),
            Err(_) => {
                errors.push("occurred_at", "datetime", "a time as YYYY-MM-DD HH:MM");
                None
            }
        },
    };
    errors.into_result()?;
    Ok(occurred.unwrap_or_else(Timestamp::now))
}

async fn insert(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    new: &NewDeviation,
    source: &str,
    source_ref: &str,
    client: &ClientInfo,
) -> Result<Deviation> {
    check_new(new)?;
    let reach = report_reach(store, principal, new.org_id, client).await?;
    let mut tx = store.begin().await?;
    let (id, _) = write_new(&mut tx, cfg, principal, &reach, new, source, source_ref, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Writes a checked new deviation in `tx`: the row, its number (PC-年份-编号) and first version.
#[allow(clippy::too_many_arguments)]
async fn write_new(
    tx: &mut Tx<'_>,
    cfg: &QualityConfig,
    principal: &Principal,
    reach: &ReportReach,
    new: &NewDeviation,
    source: &str,
    source_ref: &str,
    client: &ClientInfo,
) -> Result<(i64, String)> {
    let occurred = check_new(new)?;
    let now = Timestamp::now();
    let provisional = format!("new-{}-{}", principal.user_id(), now.0);
    let id: i64 = sqlx::query(
        "INSERT INTO qa_deviations (org_id, number, title, description, location, occurred_at, product, batch, \
         record_ref, immediate_actions, source, source_ref, due_on, status, reporter, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14, 1, $15) RETURNING id",
    )
    .bind(reach.org_id)
    .bind(&provisional)
    .bind(new.title.trim())
    .bind(new.description.trim())
    .bind(new.location.trim())
    .bind(occurred.0)
    .bind(new.product.trim())
    .bind(new.batch.trim())
    .bind(new.record_ref.trim())
    .bind(new.immediate_actions.trim())
    .bind(source)
    .bind(source_ref)
    .bind(today() + cfg.deviation_days)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    // 偏差编号: PC (偏差) + year + the record's number.
    let number = format!("PC-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE qa_deviations SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut **tx).await?;
    save(tx, principal, id, "report", "", client).await?;
    Ok((id, number))
}

/// Reports a deviation (偏差报告) in an organization the principal reports for.
pub async fn report(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    new: &NewDeviation,
    client: &ClientInfo,
) -> Result<Deviation> {
    insert(store, cfg, principal, new, "manual", "", client).await
}

/// Opens a deviation from an out-of-specification result (OOS): what, where and the record
/// come from the result; QA investigates it as any other.
pub async fn from_oos(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    oos: &Oos,
    client: &ClientInfo,
) -> Result<Deviation> {
    let new = oos_deviation(oos)?;
    insert(store, cfg, principal, &new, "oos", oos.record_ref.trim(), client).await
}

/// Opens a deviation from an OOS result inside the caller's transaction (a lab record's
/// submission), so that the record and its deviation commit together; `reach` is the checked
/// right to report in the result's organization, whose `org_id` wins over the result's.
/// Returns the deviation's id and number.
pub async fn from_oos_in(
    tx: &mut Tx<'_>,
    cfg: &QualityConfig,
    principal: &Principal,
    reach: &ReportReach,
    oos: &Oos,
    client: &ClientInfo,
) -> Result<(i64, String)> {
    let new = oos_deviation(oos)?;
    write_new(tx, cfg, principal, reach, &new, "oos", oos.record_ref.trim(), client).await
}

fn oos_deviation(oos: &Oos) -> Result<NewDeviation> {
    let mut errors = ValidationError::new();
    errors.length("test", &oos.test, 1, 100);
    errors.length("result", &oos.result, 1, 100);
    errors.length("specification", &oos.specification, 1, 100);
    errors.into_result()?;
    Ok(NewDeviation {
        org_id: oos.org_id,
        title: format!("检验结果超标：{}", oos.test.trim()),
        description: format!(
            "{}结果 {}，不符合标准规定（{}）。",
            oos.test.trim(),
            oos.result.trim(),
            oos.specification.trim()
        ),
        location: String::new(),
        occurred_at: String::new(),
        product: oos.product.clone(),
        batch: oos.batch.clone(),
        record_ref: oos.record_ref.clone(),
        immediate_actions: String::new(),
    })
}

/// A deviation with its organization's path, checked for `permission`.
async fn reach(
    store: &Store,
    principal: &Principal,
    id: i64,
    permission: &str,
    client: &ClientInfo,
) -> Result<Deviation> {
    let d = get(store, principal, id, client).await?;
    let path = org_path(store, d.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("qa_deviation:{id}"), client).await);
    }
    Ok(d)
}

fn wrong_state(d: &Deviation, action: &'static str) -> QualityError {
    QualityError::WrongState { what: format!("deviation {}", d.number), status: d.status.clone(), action }
}

/// Opens a deviation from a monitoring signal (`quality.report`): what was read where, against
/// which limit; the source and its record are kept.
pub async fn from_signal(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    signal: &Signal,
    client: &ClientInfo,
) -> Result<Deviation> {
    let new = signal_deviation(signal)?;
    insert(store, cfg, principal, &new, &signal.source, signal.record_ref.trim(), client).await
}

/// Opens a deviation from a monitoring signal inside the caller's transaction (an environment
/// reading recorded out of its limits), as [`from_oos_in`] does for a lab result. Returns the
/// deviation's id and number.
pub async fn from_signal_in(
    tx: &mut Tx<'_>,
    cfg: &QualityConfig,
    principal: &Principal,
    reach: &ReportReach,
    signal: &Signal,
    client: &ClientInfo,
) -> Result<(i64, String)> {
    let new = signal_deviation(signal)?;
    write_new(tx, cfg, principal, reach, &new, &signal.source, signal.record_ref.trim(), client).await
}

fn signal_deviation(signal: &Signal) -> Result<NewDeviation> {
    let mut errors = ValidationError::new();
    let kind = match signal.source.as_str() {
        "environment" => "环境监测超标",
        "black_box" => "设备黑匣子告警",
        _ => {
            errors.push("source", "one_of:environment,black_box", "environment or black_box");
            ""
        }
    };
    let fields =
        [("at", &signal.at), ("parameter", &signal.parameter), ("reading", &signal.reading), ("limit", &signal.limit)];
    for (field, value) in fields {
        errors.length(field, value, 1, 100);
    }
    errors.into_result()?;
    Ok(NewDeviation {
        org_id: signal.org_id,
        title: format!("{kind}：{} {}", signal.at.trim(), signal.parameter.trim()),
        description: format!(
            "{}的{}读数 {}，超出{}。",
            signal.at.trim(),
            signal.parameter.trim(),
            signal.reading.trim(),
            signal.limit.trim()
        ),
        location: signal.at.trim().to_string(),
        occurred_at: signal.occurred_at.clone(),
        product: signal.product.clone(),
        batch: signal.batch.clone(),
        record_ref: signal.record_ref.clone(),
        immediate_actions: String::new(),
    })
}

/// Records QA's investigation and classification (调查与分级); the deviation then waits for
/// approval. Again while not closed, with a reason (a new version).
pub async fn investigate(
    store: &Store,
    cfg: &QualityConfig,
    principal: &Principal,
    id: i64,
    inv: &Investigation,
    reason: &str,
    client: &ClientInfo,
) -> Result<Deviation> {
    let mut errors = ValidationError::new();
    if !cfg.classes.contains(&inv.classification) {
        errors.push("classification", format!("one_of:{}", cfg.classes.join(",")), "one of the configured classes");
    }
    errors.length("classification_reason", &inv.classification_reason, 1, 2000);
    if !CAUSES.iter().any(|(c, _)| *c == inv.cause_category) {
        let codes: Vec<&str> = CAUSES.iter().map(|c| c.0).collect();
        errors.push("cause_category", format!("one_of:{}", codes.join(",")), "人机料法环测");
    }
    let whys: Vec<String> = inv.five_whys.iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
    if whys.is_empty() || whys.len() > 7 {
        errors.push("five_whys", "range:1..7", "one to seven whys");
    }
    for (i, w) in whys.iter().enumerate() {
        errors.length(&format!("five_whys[{i}]"), w, 1, 500);
    }
    errors.length("root_cause", &inv.root_cause, 1, 2000);
    errors.length("impact", &inv.impact, 1, 2000);
    errors.into_result()?;
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.status == "closed" {
        return Err(wrong_state(&d, "investigate"));
    }
    let reason = if d.status == "open" { "" } else { reason.trim() };
    if d.status != "open" && reason.is_empty() {
        return Err(
            ValidationError::single("reason", "required", "a change of the investigation needs a reason").into()
        );
    }
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE qa_deviations SET classification = $1, classification_reason = $2, cause_category = $3, five_whys = $4, \
         root_cause = $5, impact = $6, status = 'investigated', version = version + 1, updated_at = $7 WHERE id = $8",
    )
    .bind(&inv.classification)
    .bind(inv.classification_reason.trim())
    .bind(&inv.cause_category)
    .bind(serde_json::to_string(&whys).unwrap_or_else(|_| "[]".into()))
    .bind(inv.root_cause.trim())
    .bind(inv.impact.trim())
    .bind(Timestamp::now().0)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let reason = if reason.is_empty() { "调查与分级" } else { reason };
    save(&mut tx, principal, id, "investigate", reason, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Extends the deadline (延期) with a reason; never into the past, never after closure.
pub async fn extend(
    store: &Store,
    principal: &Principal,
    id: i64,
    new_due: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<Deviation> {
    let mut errors = ValidationError::new();
    let due = day_of(&mut errors, "due_on", new_due);
    errors.length("reason", reason, 1, 500);
    errors.into_result()?;
    let Some(due) = due else { return Err(ValidationError::single("due_on", "date", "date").into()) };
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.status == "closed" {
        return Err(wrong_state(&d, "extend"));
    }
    if due <= today() {
        return Err(ValidationError::single("due_on", "future", "the new deadline lies ahead").into());
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE qa_deviations SET due_on = $1, version = version + 1, updated_at = $2 WHERE id = $3")
        .bind(due)
        .bind(Timestamp::now().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    save(&mut tx, principal, id, "extend", reason.trim(), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// QA approves and closes an investigated deviation under an electronic signature (meaning
/// `approve`); a class that needs a CAPA closes only with one linked.
#[allow(clippy::too_many_arguments)]
pub async fn approve(
    store: &Store,
    cfg: &QualityConfig,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    password: &str,
    totp: Option<&str>,
    client: &ClientInfo,
) -> Result<Deviation> {
    let d = reach(store, principal, id, perm::QUALITY_MANAGE, client).await?;
    if d.status != "investigated" {
        return Err(wrong_state(&d, "approve"));
    }
    if cfg.needs_capa.contains(&d.classification) && d.capa_id.is_none() {
        return Err(QualityError::CapaMissing { class: d.classification });
    }
    let target = format!("qa_deviation:{id} approve");
    esign::reauthenticate(store, identity, principal, password, totp, &target, client).await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE qa_deviations SET status = 'closed', approved_by = $1, version = version + 1, updated_at = $2 \
         WHERE id = $3 AND status = 'investigated'",
    )
    .bind(principal.username())
    .bind(Timestamp::now().0)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(wrong_state(&d, "approve"));
    }
    let written = save(&mut tx, principal, id, "approve", "质量保证部门批准关闭", client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Links a CAPA to the deviation (a new version), inside the CAPA's transaction.
pub(crate) async fn link_capa(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    capa_id: i64,
    number: &str,
    client: &ClientInfo,
) -> Result<()> {
    sqlx::query("UPDATE qa_deviations SET capa_id = $1, version = version + 1, updated_at = $2 WHERE id = $3")
        .bind(capa_id)
        .bind(Timestamp::now().0)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    save(tx, principal, id, "link_capa", &format!("关联纠正预防措施 {number}"), client).await?;
    Ok(())
}

/// One deviation, if the principal may read it (not found otherwise, the refusal audited).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Deviation> {
    let sql = format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} WHERE d.id = $1");
    Ok(from_row(&crate::readable_row(store, principal, &sql, id, (ENTITY, "deviation"), client).await?)?)
}

/// Deviations the principal may read, newest first; `status` one of [`STATUSES`]' codes or
/// `overdue`.
pub async fn list(
    store: &Store,
    principal: &Principal,
    status: Option<&str>,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Deviation>, i64)> {
    let narrow = |p: &mut Params| match status {
        Some("overdue") => Some(format!("d.status <> 'closed' AND d.due_on < {}", p.push(today()))),
        Some(s) if STATUSES.iter().any(|(c, _)| *c == s) => Some(format!("d.status = {}", p.push(s))),
        _ => None,
    };
    let shape = (COLUMNS, FROM, "d.updated_at DESC, d.id DESC");
    let (rows, total) =
        crate::readable_page(store, principal, "qa_deviations", shape, narrow, limit, offset, client).await?;
    Ok((rows.iter().map(from_row).collect::<std::result::Result<_, _>>()?, total))
}

/// Deviations per fishbone cause category (人机料法环测) in the principal's organizations, the
/// trend chart's figures: one GROUP BY.
pub async fn by_cause(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<(String, i64)>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::QUALITY_READ, &mut p) else {
        return Err(audit::deny(store, principal, perm::QUALITY_READ, "qa_deviations", client).await);
    };
    let sql = format!(
        "SELECT d.cause_category, COUNT(*) AS n FROM {FROM} WHERE {scope} AND d.cause_category <> '' \
         GROUP BY d.cause_category"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut out = Vec::new();
    for r in &rows {
        out.push((r.try_get::<String, _>(0)?, r.try_get::<i64, _>(1)?));
    }
    out.sort_by_key(|(c, _)| CAUSES.iter().position(|(k, _)| k == c));
    Ok(out)
}

/// Whether the principal may act as QA (investigate, approve, manage CAPAs) in the
/// organization `org_id`: what a page offers.
pub async fn may_manage(store: &Store, principal: &Principal, org_id: i64) -> bool {
    match org_path(store, org_id).await {
        Ok(path) => principal.reaches(perm::QUALITY_MANAGE, &path),
        Err(_) => false,
    }
}

/// Whether the principal may report deviations and do CAPA actions in organization `org_id`.
pub async fn may_report(store: &Store, principal: &Principal, org_id: i64) -> bool {
    match org_path(store, org_id).await {
        Ok(path) => principal.reaches(perm::QUALITY_REPORT, &path),
        Err(_) => false,
    }
}

/// Deviations reported and not yet investigated in the principal's organizations (what
/// `/quality?status=open` lists), or `None` for a principal who reads none (not audited: the
/// home page asks what to show).
pub async fn open_count(store: &Store, principal: &Principal) -> Result<Option<i64>> {
    let mut p = Params::new();
    let Some(scope) = scope_filter(principal, perm::QUALITY_READ, &mut p) else { return Ok(None) };
    let sql = format!("SELECT COUNT(*) FROM {FROM} WHERE {scope} AND d.status = 'open'");
    Ok(Some(p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?.try_get(0)?))
}
