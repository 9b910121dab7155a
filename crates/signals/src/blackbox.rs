//! The production black box (生产黑匣子): a company's systems stream the key process parameters of
//! its production lines (temperature, pressure, fill weight, sterilization F₀ …) per production
//! batch; every point is kept and anchored, every series is judged by statistical process control
//! as it comes, and a breach raises a warning (预警) that the bureau decides or turns into a case
//! in supervision's closed loop.
//!
//! - **Lines and parameters** (entities `bb_line`, `bb_parameter`): a parameter has its control
//!   centre and σ (of individual values) and its specification; subgroup 1 charts individuals and
//!   moving ranges (I-MR), 2 to 10 the means and ranges of the values one sampling time gives
//!   (X̄-R; a sample is the values of one parameter, batch and time).
//! - **Ingest** ([`ingest`]): one call carries up to [`MAX_POINTS`] points of any series of the
//!   company's lines; the points are kept in the call's order, their Merkle root (RFC 9162 over
//!   `leaf(parameter ‖ batch ‖ time ‖ value)`) bound by the ingest's one ledgered version
//!   (entity `bb_ingest`), in the transaction that stores them. Points may come late and out of
//!   order: a series (parameter × batch) is folded sample by sample as points come in time order,
//!   and refolded from its stored points when one comes older than the series' latest.
//! - **Rules**: the eight Nelson rules on the chart's values (window of the 15 samples before the
//!   first new one, the longest pattern), the EWMA (λ = [`LAMBDA`], limits ±[`EWMA_L`]σ) and the
//!   tabular CUSUM (k = [`CUSUM_K`]σ, h = [`CUSUM_H`]σ) per batch, σ of a subgroup mean being
//!   σ/√n ([`crate::stats::spc`]). The first breach of a rule by a series is a warning (entity
//!   `bb_warning`, one per parameter × batch × rule); later breaches of the same rule in that
//!   batch show on the chart, recomputed from the anchored points.
//! - **Capability** per parameter and batch: Cp and Cpk with σ within (M̄R/d₂ or R̄/d₂), Pp and
//!   Ppk with the overall standard deviation.
//!
//! `signals.report` in a company defines its lines and streams points; `signals.read` reads (a
//! bureau over its region); `signals.manage` in a bureau decides a warning or raises its case.

use crate::detection::{Decision, Raise};
use crate::error::{Result, SignalError};
use crate::stats::spc::{self, CusumPoint};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_ledger::hash::HashAlg;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{Store, StoreError, Tx};

pub const LINE_ENTITY: &str = "bb_line";
pub const PARAMETER_ENTITY: &str = "bb_parameter";
pub const INGEST_ENTITY: &str = "bb_ingest";
pub const ENTITY: &str = "bb_warning";

/// Points one ingest may carry.
pub const MAX_POINTS: usize = 50_000;
/// The EWMA's weight λ and its limits' width L (Montgomery §9.2: λ = 0.2 with L ≈ 3 gives an
/// in-control average run length near 500).
pub const LAMBDA: f64 = 0.2;
pub const EWMA_L: f64 = 3.0;
/// The CUSUM's reference value k and decision interval h, in σ (Montgomery §9.1: k = ½σ, h = 5σ).
pub const CUSUM_K: f64 = 0.5;
pub const CUSUM_H: f64 = 5.0;
/// Samples before the first new one that the Nelson rules see (rule 7's run of 15 is the longest).
const WINDOW: usize = 15;
/// Refusals one ingest names at most (a stream of bad points is not echoed back whole).
const MAX_ERRORS: usize = 50;
/// How far ahead of the server's clock a point's time may be.
const FUTURE_MS: i64 = 5 * 60 * 1000;

/// The rules, code and Chinese description.
pub const RULES: &[(&str, &str)] = &[
    ("n1", "1 个点落在 3σ 控制限以外"),
    ("n2", "连续 9 个点落在中心线同一侧"),
    ("n3", "连续 6 个点递增或递减"),
    ("n4", "连续 14 个点上下交替"),
    ("n5", "3 个点中有 2 个落在中心线同一侧的 2σ 以外"),
    ("n6", "5 个点中有 4 个落在中心线同一侧的 1σ 以外"),
    ("n7", "连续 15 个点落在中心线两侧的 1σ 以内"),
    ("n8", "连续 8 个点落在中心线两侧且无一在 1σ 以内"),
    ("ewma", "指数加权移动平均超出控制限"),
    ("cusum", "累积和超出决策区间"),
];

/// A rule's description.
pub fn rule_zh(code: &str) -> &str {
    RULES.iter().find(|(c, _)| *c == code).map(|(_, z)| *z).unwrap_or(code)
}

/// Warning states, code and Chinese name.
pub const STATUSES: &[(&str, &str)] =
    &[("new", "新预警，待处置"), ("watch", "继续观察"), ("refuted", "已排除"), ("case", "已转风险处置")];

// ---------------------------------------------------------------------------------------------
// Lines and parameters

/// A new production line.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewLine {
    /// The company's own code of the line (letters, digits, `-` and `_`), unique in the company.
    pub code: String,
    pub name: String,
    /// What it makes (dosage form, product), free text.
    #[serde(default)]
    pub product: String,
}

/// A new parameter of a line.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewParameter {
    /// The code the company's systems send (letters, digits, `-` and `_`), unique on the line.
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub unit: String,
    /// Values per sampling time: 1 (individuals) or 2 to 10 (subgroup means and ranges).
    #[serde(default = "one")]
    pub subgroup: i64,
    /// Control centre of the individual values.
    pub center: f64,
    /// σ of the individual values (> 0).
    pub sigma: f64,
    /// Specification limits; at least one for capability.
    #[serde(default)]
    pub lsl: Option<f64>,
    #[serde(default)]
    pub usl: Option<f64>,
}

fn one() -> i64 {
    1
}

/// A parameter.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Parameter {
    pub id: i64,
    pub line_id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub subgroup: i64,
    pub center: f64,
    pub sigma: f64,
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    pub version: i64,
}

/// A production line with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Line {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub code: String,
    pub name: String,
    pub product: String,
    pub parameters: Vec<Parameter>,
    /// Warnings not yet decided (new or under watch).
    pub open_warnings: i64,
    /// The latest point's time, UTC ms.
    pub last_point: Option<i64>,
    pub version: i64,
}

fn code_rule(errors: &mut ValidationError, field: &str, code: &str) {
    errors.length(field, code, 1, 32);
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        errors.push(field, "code", "letters, digits, - and _ only");
    }
}

/// The principal's company, if it may define lines and stream points (`signals.report` in a
/// company).
async fn company(store: &Store, principal: &Principal, target: &str, client: &ClientInfo) -> Result<i64> {
    if principal.org_kind().is_regulator() || !principal.reaches(perm::SIGNALS_REPORT, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SIGNALS_REPORT, target, client).await);
    }
    Ok(principal.org_id())
}

fn line_image(l: &Line) -> serde_json::Value {
    serde_json::json!({"id": l.id, "org_id": l.org_id, "code": l.code, "name": l.name, "product": l.product})
}

fn parameter_image(p: &Parameter) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "line_id": p.line_id, "code": p.code, "name": p.name, "unit": p.unit,
        "subgroup": p.subgroup, "center": fig(p.center), "sigma": fig(p.sigma),
        "lsl": p.lsl.map(fig), "usl": p.usl.map(fig),
    })
}

/// A limit as its versions bind it (a real in a ledgered image is text).
fn fig(x: f64) -> String {
    format!("{x}")
}

/// Defines a production line of the principal's company (`signals.report`).
pub async fn create_line(store: &Store, principal: &Principal, new: &NewLine, client: &ClientInfo) -> Result<Line> {
    let org = company(store, principal, "bb_lines", client).await?;
    let mut errors = ValidationError::new();
    code_rule(&mut errors, "code", new.code.trim());
    errors.length("name", new.name.trim(), 1, 100);
    errors.length("product", new.product.trim(), 0, 200);
    errors.into_result()?;
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO bb_lines (org_id, code, name, product, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 1, $6) RETURNING id",
    )
    .bind(org)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(new.product.trim())
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let id = match yaolian_store::returned_id(inserted) {
        Ok(Some(id)) => id,
        // A unique violation: the code is taken.
        Ok(None) => {
            return Err(ValidationError::single("code", "unique", "a line of yours has this code already").into())
        }
        Err(e) => return Err(IdentityError::Store(e).into()),
    };
    let line = load_line(&mut tx, id).await?;
    let step = yaolian_records::step::Step {
        entity: LINE_ENTITY,
        id,
        version: 1,
        data: line_image(&line),
        action: "create",
        reason: "",
        audit: audit::action::BB_LINE,
        target: format!("bb_line:{id} {}", line.code),
    };
    yaolian_records::step::record(&mut tx, principal, step, client).await?;
    tx.commit().await?;
    Ok(line)
}

/// Adds a parameter to a line of the principal's company (`signals.report`).
pub async fn add_parameter(
    store: &Store,
    principal: &Principal,
    line_id: i64,
    new: &NewParameter,
    client: &ClientInfo,
) -> Result<Parameter> {
    let org = company(store, principal, &format!("bb_line:{line_id}"), client).await?;
    let owner: Option<i64> = sqlx::query_scalar("SELECT org_id FROM bb_lines WHERE id = $1")
        .bind(line_id)
        .fetch_optional(store.pool())
        .await?;
    if owner != Some(org) {
        return Err(IdentityError::NotFound("line").into());
    }
    let mut errors = ValidationError::new();
    code_rule(&mut errors, "code", new.code.trim());
    errors.length("name", new.name.trim(), 1, 100);
    errors.length("unit", new.unit.trim(), 0, 20);
    if !(1..=10).contains(&new.subgroup) {
        errors.push("subgroup", "range:1..10", "1 to 10 values per sampling time");
    }
    if !new.center.is_finite() {
        errors.push("center", "number", "a number");
    }
    if !(new.sigma.is_finite() && new.sigma > 0.0) {
        errors.push("sigma", "positive", "a number above 0");
    }
    for (field, v) in [("lsl", new.lsl), ("usl", new.usl)] {
        if v.is_some_and(|v| !v.is_finite()) {
            errors.push(field, "number", "a number");
        }
    }
    if let (Some(l), Some(u)) = (new.lsl, new.usl) {
        if l >= u {
            errors.push("usl", "above:lsl", "above the lower specification limit");
        }
    }
    errors.into_result()?;
    let now = Timestamp::now().0;
    let mut tx = store.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO bb_parameters (line_id, code, name, unit, subgroup, center, sigma, lsl, usl, created_by, \
           created_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $11) RETURNING id",
    )
    .bind(line_id)
    .bind(new.code.trim())
    .bind(new.name.trim())
    .bind(new.unit.trim())
    .bind(new.subgroup)
    .bind(new.center)
    .bind(new.sigma)
    .bind(new.lsl)
    .bind(new.usl)
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut *tx)
    .await;
    let id = match yaolian_store::returned_id(inserted) {
        Ok(Some(id)) => id,
        // A unique violation: the code is taken.
        Ok(None) => {
            return Err(ValidationError::single("code", "unique", "the line has a parameter of this code").into())
        }
        Err(e) => return Err(IdentityError::Store(e).into()),
    };
    let p = parameters_where(&mut tx, "p.id = $1", id).await?.pop().ok_or(IdentityError::NotFound("parameter"))?;
    let step = yaolian_records::step::Step {
        entity: PARAMETER_ENTITY,
        id,
        version: 1,
        data: parameter_image(&p),
        action: "create",
        reason: "",
        audit: audit::action::BB_LINE,
        target: format!("bb_parameter:{id} {}", p.code),
    };
    yaolian_records::step::record(&mut tx, principal, step, client).await?;
    tx.commit().await?;
    Ok(p)
}

const LINE_COLUMNS: &str = "l.id, l.org_id, o.name AS org_name, o.path AS org_path, l.code, l.name, l.product, \
     l.version, (SELECT COUNT(*) FROM bb_warnings w WHERE w.org_id = l.org_id AND w.status IN ('new', 'watch') \
       AND w.parameter_id IN (SELECT p.id FROM bb_parameters p WHERE p.line_id = l.id)) AS open_warnings, \
     (SELECT MAX(s.last_ts) FROM bb_series s JOIN bb_parameters p ON p.id = s.parameter_id WHERE p.line_id = l.id) \
       AS last_point";
const LINE_FROM: &str = "bb_lines l JOIN orgs o ON o.id = l.org_id";

fn line_from_row(r: &sqlx::any::AnyRow) -> Result<Line> {
    Ok(Line {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        product: r.try_get("product")?,
        parameters: Vec::new(),
        open_warnings: r.try_get("open_warnings")?,
        last_point: r.try_get("last_point")?,
        version: r.try_get("version")?,
    })
}

async fn load_line(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Line> {
    let sql = format!("SELECT {LINE_COLUMNS} FROM {LINE_FROM} WHERE l.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?.ok_or(IdentityError::NotFound("line"))?;
    let mut line = line_from_row(&row)?;
    line.parameters = parameters_where(conn, "p.line_id = $1", id).await?;
    Ok(line)
}

async fn parameters_where(conn: &mut sqlx::AnyConnection, condition: &str, id: i64) -> Result<Vec<Parameter>> {
    let sql = format!(
        "SELECT p.id, p.line_id, p.code, p.name, p.unit, p.subgroup, p.center, p.sigma, p.lsl, p.usl, p.version \
         FROM bb_parameters p WHERE {condition} ORDER BY p.id"
    );
    let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| {
            Ok(Parameter {
                id: r.try_get("id")?,
                line_id: r.try_get("line_id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                unit: r.try_get("unit")?,
                subgroup: r.try_get("subgroup")?,
                center: r.try_get("center")?,
                sigma: r.try_get("sigma")?,
                lsl: r.try_get("lsl")?,
                usl: r.try_get("usl")?,
                version: r.try_get("version")?,
            })
        })
        .collect()
}

/// One line with its parameters, if the principal may read it (`signals.read` over its company).
pub async fn line(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Line> {
    let sql = format!("SELECT {LINE_COLUMNS} FROM {LINE_FROM} WHERE l.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::SIGNALS_READ, &sql, id, (LINE_ENTITY, "line"), client)
            .await?;
    let mut line = line_from_row(&row)?;
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    line.parameters = parameters_where(&mut conn, "p.line_id = $1", id).await?;
    Ok(line)
}

/// The lines in the principal's scope (`signals.read`), a company's own or a region's, with
/// their open warnings and latest point; `q` narrows by line or company name.
pub async fn lines(
    store: &Store,
    principal: &Principal,
    q: &str,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Line>, i64)> {
    let narrow = |p: &mut Params| {
        let q = q.trim();
        (!q.is_empty()).then(|| p.like_any(&["l.name", "l.code", "o.name"], q))
    };
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SIGNALS_READ,
        "bb_lines",
        (LINE_COLUMNS, LINE_FROM, "open_warnings DESC, o.name, l.code"),
        narrow,
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(line_from_row).collect::<Result<_>>()?, total))
}

// ---------------------------------------------------------------------------------------------
// Ingest

/// Points of one series.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct SeriesIn {
    /// The line's code.
    pub line: String,
    /// The parameter's code on the line.
    pub parameter: String,
    /// The production batch (批号).
    pub batch: String,
    pub points: Vec<PointIn>,
}

/// One measured value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PointIn {
    /// When it was measured, RFC 3339 with its offset (`2026-12-02T09:30:00+08:00`).
    pub time: String,
    pub value: f64,
}

/// One ingest: series of points, up to [`MAX_POINTS`] in all.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Ingest {
    pub series: Vec<SeriesIn>,
}

/// What an ingest stored.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Receipt {
    pub ingest_id: i64,
    pub points: i64,
    /// Points older than their series' latest when they came.
    pub late: i64,
    /// The Merkle root over the points' leaves, hex; the ingest's ledgered version binds it.
    pub root: String,
    /// Warnings the points raised, by number.
    pub warnings: Vec<String>,
}

/// A point as stored and hashed.
#[derive(Debug, Clone, PartialEq)]
struct Point {
    parameter_id: i64,
    batch: String,
    ts: i64,
    value: f64,
}

/// The leaf of one point in its ingest's tree: the ledger hash's leaf over
/// `parameter_id ␟ batch ␟ time (UTC ms) ␟ value` (the value in Rust's shortest round-trip form).
fn point_leaf(alg: HashAlg, p: &Point) -> yaolian_ledger::hash::Hash {
    let text = format!("{}\u{1f}{}\u{1f}{}\u{1f}{}", p.parameter_id, p.batch, p.ts, p.value);
    alg.leaf(text.as_bytes())
}

/// A parameter as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Judge {
    id: i64,
    org_id: i64,
    subgroup: usize,
    center: f64,
    sigma: f64,
}

impl Judge {
    /// σ of a chart value (a subgroup's mean has σ/√n).
    fn chart_sigma(&self) -> f64 {
        self.sigma / (self.subgroup as f64).sqrt()
    }
}

/// Adds a refusal unless [`MAX_ERRORS`] are there already.
fn refuse(errors: &mut ValidationError, field: String, rule: &str, message: &str) {
    if errors.errors.len() < MAX_ERRORS {
        errors.push(field, rule, message);
    }
}

/// Parses a point's time.
fn point_time(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim()).ok().map(|t| t.timestamp_millis())
}

/// Stores the points of an ingest and judges every series they touch (`signals.report` in the
/// company whose lines they name): checked first (a refusal names `series[i].points[j].time` …,
/// at most 50), then stored, folded, judged and anchored in one transaction, or nothing is.
pub async fn ingest(store: &Store, principal: &Principal, input: &Ingest, client: &ClientInfo) -> Result<Receipt> {
    let org = company(store, principal, "bb_points", client).await?;
    let total: usize = input.series.iter().map(|s| s.points.len()).sum();
    if total == 0 || total > MAX_POINTS {
        return Err(ValidationError::single(
            "series",
            format!("count:1..{MAX_POINTS}"),
            format!("1 to {MAX_POINTS} points in one call"),
        )
        .into());
    }
    let judges = judges_of(store, org).await?;
    let now = Timestamp::now().0;
    let mut errors = ValidationError::new();
    let mut points: Vec<Point> = Vec::with_capacity(total);
    for (i, s) in input.series.iter().enumerate() {
        let judge = judges.get(&(s.line.trim().to_string(), s.parameter.trim().to_string()));
        if judge.is_none() {
            refuse(&mut errors, format!("series[{i}].parameter"), "known", "a parameter of one of your lines");
        }
        let batch = s.batch.trim();
        if batch.is_empty() || batch.chars().count() > 64 {
            refuse(&mut errors, format!("series[{i}].batch"), "length:1..64", "the batch number, 1 to 64 characters");
        }
        for (j, p) in s.points.iter().enumerate() {
            let ts = point_time(&p.time);
            match ts {
                None => refuse(
                    &mut errors,
                    format!("series[{i}].points[{j}].time"),
                    "rfc3339",
                    "a time such as 2026-12-02T09:30:00+08:00",
                ),
                Some(t) if t > now + FUTURE_MS => {
                    refuse(&mut errors, format!("series[{i}].points[{j}].time"), "not_future", "not in the future")
                }
                _ => {}
            }
            if !p.value.is_finite() {
                refuse(&mut errors, format!("series[{i}].points[{j}].value"), "number", "a number");
            }
            if let (Some(judge), Some(ts)) = (judge, ts) {
                points.push(Point { parameter_id: judge.id, batch: batch.to_string(), ts, value: p.value });
            }
        }
    }
    errors.into_result()?;
    let by_id: HashMap<i64, Judge> = judges.values().map(|j| (j.id, *j)).collect();
    let (alg, _) = yaolian_store::ledger::head(store.pool()).await?;
    let leaves: Vec<_> = points.iter().map(|p| point_leaf(alg, p)).collect();
    let root = yaolian_ledger::batch::root(alg, &leaves).to_hex();
    let mut series: BTreeMap<(i64, String), Vec<(i64, f64)>> = BTreeMap::new();
    for p in &points {
        series.entry((p.parameter_id, p.batch.clone())).or_default().push((p.ts, p.value));
    }
    let time_from = points.iter().map(|p| p.ts).min().unwrap_or(0);
    let time_to = points.iter().map(|p| p.ts).max().unwrap_or(0);

    let mut tx = store.begin().await?;
    let states = states_of(&mut tx, series.keys()).await?;
    let late: i64 = series
        .iter()
        .map(|(k, pts)| match states.get(k) {
            Some(s) => pts.iter().filter(|(ts, _)| *ts < s.last_ts).count() as i64,
            None => 0,
        })
        .sum();
    let count = points.len() as i64;
    let ingest_id: i64 = sqlx::query(
        "INSERT INTO bb_ingests (org_id, count, late, root, time_from, time_to, actor, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(org)
    .bind(count)
    .bind(late)
    .bind(&root)
    .bind(time_from)
    .bind(time_to)
    .bind(principal.username())
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let mut values = Vec::with_capacity(points.len() * 6);
    for (pos, p) in points.iter().enumerate() {
        values.extend([
            Value::I64(ingest_id),
            Value::I64(pos as i64),
            Value::I64(p.parameter_id),
            Value::Text(p.batch.clone()),
            Value::I64(p.ts),
            Value::F64(p.value),
        ]);
    }
    yaolian_store::sql::insert_rows(
        &mut tx,
        "INSERT INTO bb_points (ingest_id, pos, parameter_id, batch, ts, value)",
        "",
        6,
        values,
    )
    .await
    .map_err(StoreError::from)?;

    let mut breaches: Vec<Breach> = Vec::new();
    for ((parameter_id, batch), mut new) in series {
        let Some(judge) = by_id.get(&parameter_id).copied() else { continue };
        new.sort_by_key(|(ts, _)| *ts);
        let before = states.get(&(parameter_id, batch.clone()));
        let judged = judge_series(&mut tx, judge, &batch, before, &new).await?;
        save_state(&mut tx, judge.id, &batch, before, &judged.state, now).await?;
        breaches.extend(judged.breaches.into_iter().map(|(rule, ts, value)| Breach {
            judge,
            batch: batch.clone(),
            rule,
            ts,
            value,
        }));
    }
    let warnings = raise_warnings(&mut tx, principal, ingest_id, breaches, client).await?;

    let data = ingest_image(ingest_id, org, (count, late), &root, (time_from, time_to), now);
    yaolian_store::versions::append(
        &mut tx,
        yaolian_store::NewVersion {
            entity: INGEST_ENTITY,
            entity_id: &ingest_id.to_string(),
            actor: principal.username(),
            action: "ingest",
            reason: "",
            data: &data,
            expected_version: Some(0),
        },
    )
    .await?;
    let target = format!("bb_ingest:{ingest_id} {count} points, {late} late, {} warnings", warnings.len());
    audit::record(&mut tx, audit::Event::by(principal, audit::action::BB_INGEST, &target, client)).await?;
    tx.commit().await?;
    Ok(Receipt { ingest_id, points: count, late, root, warnings })
}

fn ingest_image(
    id: i64,
    org_id: i64,
    (count, late): (i64, i64),
    root: &str,
    (time_from, time_to): (i64, i64),
    received_at: i64,
) -> serde_json::Value {
    serde_json::json!({
        "id": id, "org_id": org_id, "count": count, "late": late, "root": root,
        "time_from": time_from, "time_to": time_to, "received_at": received_at,
    })
}

/// The company's parameters by (line code, parameter code).
async fn judges_of(store: &Store, org: i64) -> Result<HashMap<(String, String), Judge>> {
    let rows = sqlx::query(
        "SELECT p.id, l.code AS line, p.code, p.subgroup, p.center, p.sigma FROM bb_parameters p \
         JOIN bb_lines l ON l.id = p.line_id WHERE l.org_id = $1",
    )
    .bind(org)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let subgroup: i64 = r.try_get("subgroup")?;
            let judge = Judge {
                id: r.try_get("id")?,
                org_id: org,
                subgroup: usize::try_from(subgroup).unwrap_or(1).clamp(1, 10),
                center: r.try_get("center")?,
                sigma: r.try_get("sigma")?,
            };
            Ok(((r.try_get("line")?, r.try_get("code")?), judge))
        })
        .collect()
}

/// A series' running state (a row of `bb_series`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct State {
    pub samples: i64,
    pub points: i64,
    pub first_ts: i64,
    pub last_ts: i64,
    pub last_mean: f64,
    pub ewma: f64,
    pub cusum_high: f64,
    pub cusum_low: f64,
    /// Running mean of the individual values and the sum of their squared deviations.
    pub mean: f64,
    pub m2: f64,
    /// Sum of the moving ranges (subgroup 1) or subgroup ranges, and how many.
    pub spread_total: f64,
    pub spreads: i64,
}

impl State {
    /// Capability of the series against a specification.
    pub fn capability(&self, subgroup: usize, lsl: Option<f64>, usl: Option<f64>) -> Option<spc::Capability> {
        if self.points < 2 || self.spreads < 1 {
            return None;
        }
        let (d2, ..) = spc::factors(subgroup.max(2))?;
        let within = self.spread_total / self.spreads as f64 / d2;
        let overall = (self.m2 / (self.points - 1) as f64).sqrt();
        spc::capability(self.mean, within, overall, lsl, usl)
    }
}

/// One sample: the values of one time (one value for individuals).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub ts: i64,
    pub values: Vec<f64>,
}

impl Sample {
    pub fn mean(&self) -> f64 {
        spc::mean(&self.values)
    }
}

/// Points (time order) as samples: each point alone for individuals, the points of one time
/// together for subgroups.
pub fn samples(points: &[(i64, f64)], subgroup: usize) -> Vec<Sample> {
    let mut out: Vec<Sample> = Vec::new();
    for (ts, v) in points {
        match out.last_mut() {
            Some(last) if subgroup > 1 && last.ts == *ts => last.values.push(*v),
            _ => out.push(Sample { ts: *ts, values: vec![*v] }),
        }
    }
    out
}

/// Folds samples into a series' state; answers the EWMA and CUSUM breaches (rule, sample index).
fn fold(state: &mut State, judge: &Judge, new: &[Sample]) -> Vec<(&'static str, usize)> {
    let sigma = judge.chart_sigma();
    let mut breaches = Vec::new();
    for (i, s) in new.iter().enumerate() {
        let m = s.mean();
        let previous = if state.samples == 0 { judge.center } else { state.ewma };
        let t = usize::try_from(state.samples).unwrap_or(0) + 1;
        let e = spc::ewma_step(previous, m, t, (judge.center, sigma, LAMBDA, EWMA_L));
        let c = spc::cusum_step(
            CusumPoint { high: state.cusum_high, low: state.cusum_low, out: false },
            m,
            (judge.center, CUSUM_K * sigma, CUSUM_H * sigma),
        );
        if e.out {
            breaches.push(("ewma", i));
        }
        if c.out {
            breaches.push(("cusum", i));
        }
        if judge.subgroup == 1 {
            if state.samples > 0 {
                state.spread_total += (m - state.last_mean).abs();
                state.spreads += 1;
            }
        } else if s.values.len() >= 2 {
            state.spread_total += spc::range(&s.values);
            state.spreads += 1;
        }
        for v in &s.values {
            state.points += 1;
            let d = v - state.mean;
            state.mean += d / state.points as f64;
            state.m2 += d * (v - state.mean);
        }
        if state.samples == 0 {
            state.first_ts = s.ts;
        }
        state.first_ts = state.first_ts.min(s.ts);
        state.samples += 1;
        state.last_ts = s.ts;
        state.last_mean = m;
        state.ewma = e.value;
        state.cusum_high = c.high;
        state.cusum_low = c.low;
    }
    breaches
}

/// A series' judgement: its new state and the first breach of each rule (rule, time, value).
struct Judged {
    state: State,
    breaches: Vec<(String, i64, f64)>,
}

/// Judges the new points of one series: folded onto its state when they all come after its
/// latest (the Nelson rules over the 15 samples before them and the new), refolded from all its
/// stored points otherwise.
async fn judge_series(
    tx: &mut Tx<'_>,
    judge: Judge,
    batch: &str,
    before: Option<&State>,
    new: &[(i64, f64)],
) -> Result<Judged> {
    let first_new = new.first().map(|(ts, _)| *ts).unwrap_or(0);
    let in_order = match before {
        None => true,
        Some(s) => first_new > s.last_ts || (judge.subgroup == 1 && first_new == s.last_ts),
    };
    let (state, series, hits) = if in_order {
        let mut state = before.copied().unwrap_or_default();
        let limit = i64::try_from((WINDOW + 1) * judge.subgroup).unwrap_or(i64::MAX);
        let rows = sqlx::query(
            "SELECT ts, value FROM bb_points WHERE parameter_id = $1 AND batch = $2 AND ts < $3 \
             ORDER BY ts DESC, ingest_id DESC, pos DESC LIMIT $4",
        )
        .bind(judge.id)
        .bind(batch)
        .bind(first_new)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?;
        let mut earlier: Vec<(i64, f64)> =
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
        earlier.reverse();
        let mut window = samples(&earlier, judge.subgroup);
        if earlier.len() as i64 == limit && judge.subgroup > 1 && !window.is_empty() {
            window.remove(0);
        }
        let new_samples = samples(new, judge.subgroup);
        let folded = fold(&mut state, &judge, &new_samples);
        let from = window.len();
        window.extend(new_samples);
        let mut breaches: Vec<(String, usize)> = folded.into_iter().map(|(r, i)| (r.to_string(), from + i)).collect();
        breaches.extend(nelson_breaches(&judge, &window, from));
        (state, window, breaches)
    } else {
        let rows = sqlx::query(
            "SELECT ts, value FROM bb_points WHERE parameter_id = $1 AND batch = $2 ORDER BY ts, ingest_id, pos",
        )
        .bind(judge.id)
        .bind(batch)
        .fetch_all(&mut **tx)
        .await?;
        let all: Vec<(i64, f64)> = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
        let all = samples(&all, judge.subgroup);
        let mut state = State::default();
        let folded = fold(&mut state, &judge, &all);
        let from = all.iter().position(|s| s.ts >= first_new).unwrap_or(all.len());
        let mut breaches: Vec<(String, usize)> =
            folded.into_iter().filter(|(_, i)| *i >= from).map(|(r, i)| (r.to_string(), i)).collect();
        breaches.extend(nelson_breaches(&judge, &all, from));
        (state, all, breaches)
    };
    // The first breach of each rule.
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for (rule, i) in hits {
        let at = first.entry(rule).or_insert(i);
        *at = (*at).min(i);
    }
    let breaches = first.into_iter().filter_map(|(rule, i)| series.get(i).map(|s| (rule, s.ts, s.mean()))).collect();
    Ok(Judged { state, breaches })
}

/// The Nelson rules' breaches at samples from `from` on.
fn nelson_breaches(judge: &Judge, series: &[Sample], from: usize) -> Vec<(String, usize)> {
    let x: Vec<f64> = series.iter().map(Sample::mean).collect();
    spc::nelson(&x, judge.center, judge.chart_sigma())
        .into_iter()
        .filter(|v| v.index >= from)
        .map(|v| (format!("n{}", v.rule), v.index))
        .collect()
}

/// The states of the series named, by (parameter, batch).
async fn states_of<'k>(
    tx: &mut Tx<'_>,
    keys: impl Iterator<Item = &'k (i64, String)>,
) -> Result<HashMap<(i64, String), State>> {
    let keys: Vec<&(i64, String)> = keys.collect();
    let mut out = HashMap::new();
    for chunk in keys.chunks(400) {
        let mut p = Params::new();
        let ids: Vec<String> = chunk.iter().map(|(id, _)| p.push(*id)).collect();
        let batches: Vec<String> = chunk.iter().map(|(_, b)| p.push(b.clone())).collect();
        let sql = format!(
            "SELECT parameter_id, batch, samples, points, first_ts, last_ts, last_mean, ewma, cusum_high, cusum_low, \
               mean, m2, spread_total, spreads FROM bb_series WHERE parameter_id IN ({}) AND batch IN ({})",
            ids.join(", "),
            batches.join(", ")
        );
        for r in p.bind(sqlx::query(&sql)).fetch_all(&mut **tx).await? {
            let key: (i64, String) = (r.try_get("parameter_id")?, r.try_get("batch")?);
            let state = State {
                samples: r.try_get("samples")?,
                points: r.try_get("points")?,
                first_ts: r.try_get("first_ts")?,
                last_ts: r.try_get("last_ts")?,
                last_mean: r.try_get("last_mean")?,
                ewma: r.try_get("ewma")?,
                cusum_high: r.try_get("cusum_high")?,
                cusum_low: r.try_get("cusum_low")?,
                mean: r.try_get("mean")?,
                m2: r.try_get("m2")?,
                spread_total: r.try_get("spread_total")?,
                spreads: r.try_get("spreads")?,
            };
            out.insert(key, state);
        }
    }
    Ok(out)
}

/// Writes a series' state, expecting the one read (a concurrent ingest of the same series is
/// refused as a conflict, to be sent again).
async fn save_state(
    tx: &mut Tx<'_>,
    parameter_id: i64,
    batch: &str,
    before: Option<&State>,
    s: &State,
    now: i64,
) -> Result<()> {
    let values: Vec<Value> = vec![
        s.samples.into(),
        s.points.into(),
        s.first_ts.into(),
        s.last_ts.into(),
        Value::F64(s.last_mean),
        Value::F64(s.ewma),
        Value::F64(s.cusum_high),
        Value::F64(s.cusum_low),
        Value::F64(s.mean),
        Value::F64(s.m2),
        Value::F64(s.spread_total),
        s.spreads.into(),
        now.into(),
        parameter_id.into(),
        batch.into(),
    ];
    let mut p = Params::new();
    for v in values {
        p.push(v);
    }
    let done = match before {
        None => {
            let sql = "INSERT INTO bb_series (samples, points, first_ts, last_ts, last_mean, ewma, cusum_high, \
                 cusum_low, mean, m2, spread_total, spreads, updated_at, parameter_id, batch) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
            p.bind(sqlx::query(sql)).execute(&mut **tx).await.map_err(StoreError::from)
        }
        Some(b) => {
            let seen = p.push(b.points);
            let sql = format!(
                "UPDATE bb_series SET samples = $1, points = $2, first_ts = $3, last_ts = $4, last_mean = $5, \
                   ewma = $6, cusum_high = $7, cusum_low = $8, mean = $9, m2 = $10, spread_total = $11, \
                   spreads = $12, updated_at = $13 WHERE parameter_id = $14 AND batch = $15 AND points = {seen}"
            );
            p.bind(sqlx::query(&sql)).execute(&mut **tx).await.map_err(StoreError::from)
        }
    };
    match done {
        Ok(r) if r.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(IdentityError::Conflict(format!("batch {batch} received points meanwhile; send again")).into()),
        Err(e) if e.is_unique_violation() => {
            Err(IdentityError::Conflict(format!("batch {batch} received points meanwhile; send again")).into())
        }
        Err(e) => Err(IdentityError::Store(e).into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Warnings

struct Breach {
    judge: Judge,
    batch: String,
    rule: String,
    ts: i64,
    value: f64,
}

/// Inserts a warning for each breach whose series has none of its rule yet; answers their numbers.
async fn raise_warnings(
    tx: &mut Tx<'_>,
    principal: &Principal,
    ingest_id: i64,
    breaches: Vec<Breach>,
    client: &ClientInfo,
) -> Result<Vec<String>> {
    let mut numbers = Vec::new();
    let mut known: HashMap<(i64, String), Vec<String>> = HashMap::new();
    for b in breaches {
        let key = (b.judge.id, b.batch.clone());
        if !known.contains_key(&key) {
            let rules: Vec<String> =
                sqlx::query_scalar("SELECT rule FROM bb_warnings WHERE parameter_id = $1 AND batch = $2")
                    .bind(b.judge.id)
                    .bind(&b.batch)
                    .fetch_all(&mut **tx)
                    .await?;
            known.insert(key.clone(), rules);
        }
        let rules = known.entry(key).or_default();
        if rules.contains(&b.rule) {
            continue;
        }
        rules.push(b.rule.clone());
        let now = Timestamp::now();
        let provisional = format!("new-{}-{}-{}", b.judge.id, b.batch, b.rule);
        let id: i64 = sqlx::query(
            "INSERT INTO bb_warnings (number, org_id, parameter_id, batch, rule, ts, value, ingest_id, status, \
               created_at, version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $9, 1, $9) RETURNING id",
        )
        .bind(&provisional)
        .bind(b.judge.org_id)
        .bind(b.judge.id)
        .bind(&b.batch)
        .bind(&b.rule)
        .bind(b.ts)
        .bind(b.value)
        .bind(ingest_id)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        // 预警编号: YJ + year + the warning's number.
        let number = format!("YJ-{}-{id:05}", now.china_date().format("%Y"));
        sqlx::query("UPDATE bb_warnings SET number = $1 WHERE id = $2")
            .bind(&number)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        save(tx, principal, id, "raise", rule_zh(&b.rule), client).await?;
        numbers.push(number);
    }
    Ok(numbers)
}

/// A warning.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Warning {
    pub id: i64,
    /// YJ-YYYY-NNNNN.
    pub number: String,
    pub org_id: i64,
    pub org_name: String,
    pub line_id: i64,
    pub line_name: String,
    pub parameter_id: i64,
    pub parameter_name: String,
    pub unit: String,
    pub batch: String,
    /// A rule's code ([`RULES`]).
    pub rule: String,
    pub rule_zh: String,
    /// The breaching sample's time, UTC ms, and its value (a subgroup's mean).
    pub ts: i64,
    pub value: f64,
    pub ingest_id: i64,
    pub status: String,
    pub note: String,
    pub decided_by: Option<String>,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "w.id, w.number, w.org_id, o.name AS org_name, o.path AS org_path, l.id AS line_id, \
     l.name AS line_name, w.parameter_id, p.name AS parameter_name, p.unit, w.batch, w.rule, w.ts, w.value, \
     w.ingest_id, w.status, w.note, w.decided_by, w.case_id, k.number AS case_number, w.created_at, w.version";
const FROM: &str = "bb_warnings w JOIN orgs o ON o.id = w.org_id JOIN bb_parameters p ON p.id = w.parameter_id \
     JOIN bb_lines l ON l.id = p.line_id LEFT JOIN sup_cases k ON k.id = w.case_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Warning> {
    let rule: String = r.try_get("rule")?;
    Ok(Warning {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        line_id: r.try_get("line_id")?,
        line_name: r.try_get("line_name")?,
        parameter_id: r.try_get("parameter_id")?,
        parameter_name: r.try_get("parameter_name")?,
        unit: r.try_get("unit")?,
        batch: r.try_get("batch")?,
        rule_zh: rule_zh(&rule).to_string(),
        rule,
        ts: r.try_get("ts")?,
        value: r.try_get("value")?,
        ingest_id: r.try_get("ingest_id")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        decided_by: r.try_get("decided_by")?,
        case_id: r.try_get("case_id")?,
        case_number: r.try_get("case_number")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

fn image(w: &Warning) -> serde_json::Value {
    serde_json::json!({
        "id": w.id, "number": w.number, "org_id": w.org_id, "parameter_id": w.parameter_id, "batch": w.batch,
        "rule": w.rule, "ts": w.ts, "value": fig(w.value), "ingest_id": w.ingest_id, "status": w.status,
        "note": w.note, "decided_by": w.decided_by, "case_id": w.case_id,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Warning> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE w.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    from_row(&row.ok_or(IdentityError::NotFound("warning"))?)
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<Warning> {
    let w = load(tx, id).await?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: w.version,
        data: image(&w),
        action,
        reason,
        audit: audit::action::BB_WARNING,
        target: format!("bb_warning:{id} {} {action}", w.number),
    };
    yaolian_records::step::record(tx, principal, step, client).await?;
    Ok(w)
}

/// One warning, if the principal may read it (`signals.read` over its company).
pub async fn warning(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Warning> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE w.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::SIGNALS_READ, &sql, id, (ENTITY, "warning"), client)
            .await?;
    from_row(&row)
}

/// What a list of warnings is narrowed by.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    /// A state's code, or `open` (new and watched).
    #[serde(default)]
    pub status: String,
    /// A line's id.
    #[serde(default)]
    pub line: Option<i64>,
    /// Company, line, parameter, batch or number.
    #[serde(default)]
    pub q: String,
}

/// A page of the warnings in the principal's scope (`signals.read`), newest first.
pub async fn warnings(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Warning>, i64)> {
    let narrow = |p: &mut Params| {
        let mut w = Vec::new();
        match filter.status.as_str() {
            "open" => w.push("w.status IN ('new', 'watch')".to_string()),
            s if STATUSES.iter().any(|(c, _)| *c == s) => w.push(format!("w.status = {}", p.push(s.to_string()))),
            _ => {}
        }
        if let Some(line) = filter.line {
            w.push(format!("p.line_id = {}", p.push(line)));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["o.name", "l.name", "p.name", "w.batch", "w.number"], q));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SIGNALS_READ,
        "bb_warnings",
        (COLUMNS, FROM, "w.id DESC"),
        narrow,
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// Whether the principal may decide the warning (a bureau over its company: `signals.manage`).
pub async fn may_manage(store: &Store, principal: &Principal, w: &Warning) -> Result<bool> {
    if !principal.org_kind().is_regulator() || !principal.has(perm::SIGNALS_MANAGE) {
        return Ok(false);
    }
    let path: String =
        sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(w.org_id).fetch_one(store.pool()).await?;
    Ok(principal.reaches(perm::SIGNALS_MANAGE, &path))
}

async fn managed(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Warning> {
    let w = warning(store, principal, id, client).await?;
    if !may_manage(store, principal, &w).await? {
        return Err(audit::deny(store, principal, perm::SIGNALS_MANAGE, &format!("bb_warning:{id}"), client).await);
    }
    Ok(w)
}

async fn bump(tx: &mut Tx<'_>, w: &Warning, set: &str, values: Vec<Value>) -> Result<()> {
    let what = format!("warning {}", w.number);
    Ok(yaolian_records::step::bump(tx, ("bb_warnings", w.id, w.version), set, values, &what).await?)
}

/// Keeps a new or watched warning under watch or refutes it, with a note (`signals.manage` in a
/// bureau over the company).
pub async fn decide(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Decision,
    client: &ClientInfo,
) -> Result<Warning> {
    let w = managed(store, principal, id, client).await?;
    let status = crate::detection::decision_status(d)?;
    if !["new", "watch"].contains(&w.status.as_str()) {
        return Err(SignalError::WrongState { number: w.number, status: w.status, action: "decide" });
    }
    let mut tx = store.begin().await?;
    bump(
        &mut tx,
        &w,
        "status = $1, note = $2, decided_by = $3",
        vec![status.into(), d.note.trim().into(), principal.username().into()],
    )
    .await?;
    save(&mut tx, principal, id, &d.action, d.note.trim(), client).await?;
    tx.commit().await?;
    warning(store, principal, id, client).await
}

/// Raises a case about the warning's company in supervision's closed loop (source `blackbox`,
/// one per warning), in one transaction: `signals.manage` over the company and
/// `supervision.manage` with it in reach. `company_id` is ignored: a warning's company is its own.
pub async fn raise_case(
    store: &Store,
    principal: &Principal,
    id: i64,
    r: &Raise,
    client: &ClientInfo,
) -> Result<Warning> {
    let w = managed(store, principal, id, client).await?;
    let mut errors = ValidationError::new();
    errors.length("note", &r.note, 1, 2000);
    errors.into_result()?;
    if !["new", "watch"].contains(&w.status.as_str()) {
        return Err(SignalError::WrongState { number: w.number, status: w.status, action: "raise a case" });
    }
    let reach = yaolian_supervision::cases::raise_reach(store, principal, w.org_id, client).await?;
    let level = if w.rule == "n1" { "high" } else { "medium" };
    let title = format!("生产预警：{} {} — {}", w.line_name, w.parameter_name, w.rule_zh);
    let description = format!(
        "预警 {}：批号 {}，{} 于 {} 测得 {}{}，判定规则“{}”。{}",
        w.number,
        w.batch,
        w.parameter_name,
        Timestamp(w.ts).to_china_string(),
        w.value,
        w.unit,
        w.rule_zh,
        r.note.trim()
    );
    let mut tx = store.begin().await?;
    let source_ref = w.id.to_string();
    let (case_id, number) = yaolian_supervision::cases::raise_in(
        &mut tx,
        principal,
        &reach,
        ("blackbox", &source_ref),
        (&title, &description, level),
        client,
    )
    .await?;
    bump(
        &mut tx,
        &w,
        "status = 'case', note = $1, decided_by = $2, case_id = $3",
        vec![r.note.trim().into(), principal.username().into(), case_id.into()],
    )
    .await?;
    save(&mut tx, principal, id, "raise_case", &format!("转风险处置 {number}：{}", r.note.trim()), client).await?;
    tx.commit().await?;
    warning(store, principal, id, client).await
}

// ---------------------------------------------------------------------------------------------
// Charts

/// Samples a chart shows at most (the latest).
pub const CHART_SAMPLES: usize = 200;
/// Points a chart reads at most (the latest): its EWMA and CUSUM start from the first read.
pub const CHART_POINTS: i64 = 20_000;

/// One parameter's charts for one batch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Chart {
    pub parameter_id: i64,
    pub code: String,
    pub name: String,
    pub unit: String,
    pub subgroup: i64,
    pub batch: String,
    /// Sample times, UTC ms, and values (subgroup means).
    pub ts: Vec<i64>,
    pub values: Vec<f64>,
    /// Moving ranges (from the second sample) or subgroup ranges.
    pub spreads: Vec<Option<f64>>,
    pub center: f64,
    pub lcl: f64,
    pub ucl: f64,
    /// The spread chart's centre and upper limit (its lower is D₃·R̄, 0 for n ≤ 6).
    pub spread_center: f64,
    pub spread_ucl: f64,
    pub ewma: Vec<f64>,
    pub ewma_lower: Vec<f64>,
    pub ewma_upper: Vec<f64>,
    pub cusum_high: Vec<f64>,
    pub cusum_low: Vec<f64>,
    pub cusum_h: f64,
    /// Nelson breaches among the samples shown: (rule, index).
    #[schema(value_type = Vec<Object>)]
    pub breaches: Vec<(u8, usize)>,
    /// Samples and points in the whole batch.
    pub samples: i64,
    pub points: i64,
    pub lsl: Option<f64>,
    pub usl: Option<f64>,
    #[schema(value_type = Option<Object>)]
    pub capability: Option<spc::Capability>,
}

/// A line's charts: every parameter in one batch (the latest one of the line when `batch` is
/// empty), and the batches of the line, latest first (`signals.read` over the company).
pub async fn charts(
    store: &Store,
    principal: &Principal,
    line_id: i64,
    batch: &str,
    client: &ClientInfo,
) -> Result<(Line, Vec<String>, Vec<Chart>)> {
    let line = line(store, principal, line_id, client).await?;
    let batches: Vec<String> = sqlx::query_scalar(
        "SELECT s.batch FROM bb_series s JOIN bb_parameters p ON p.id = s.parameter_id WHERE p.line_id = $1 \
         GROUP BY s.batch ORDER BY MAX(s.last_ts) DESC LIMIT 30",
    )
    .bind(line_id)
    .fetch_all(store.pool())
    .await?;
    let batch =
        if batch.trim().is_empty() { batches.first().cloned().unwrap_or_default() } else { batch.trim().to_string() };
    let mut out = Vec::with_capacity(line.parameters.len());
    for p in &line.parameters {
        out.push(chart(store, p, &batch).await?);
    }
    Ok((line, batches, out))
}

async fn chart(store: &Store, p: &Parameter, batch: &str) -> Result<Chart> {
    let subgroup = usize::try_from(p.subgroup).unwrap_or(1).clamp(1, 10);
    let judge = Judge { id: p.id, org_id: 0, subgroup, center: p.center, sigma: p.sigma };
    let state = {
        let mut tx = store.begin().await?;
        let key = (p.id, batch.to_string());
        let states = states_of(&mut tx, std::iter::once(&key)).await?;
        tx.commit().await?;
        states.get(&key).copied().unwrap_or_default()
    };
    // The batch's latest CHART_POINTS points (all of a batch of usual length), the last
    // CHART_SAMPLES samples shown, the EWMA and CUSUM carried from the first point read.
    let rows = sqlx::query(
        "SELECT ts, value FROM bb_points WHERE parameter_id = $1 AND batch = $2 \
         ORDER BY ts DESC, ingest_id DESC, pos DESC LIMIT $3",
    )
    .bind(p.id)
    .bind(batch)
    .bind(CHART_POINTS)
    .fetch_all(store.pool())
    .await?;
    let mut all: Vec<(i64, f64)> = rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<_>>()?;
    all.reverse();
    let all = samples(&all, subgroup);
    let x: Vec<f64> = all.iter().map(Sample::mean).collect();
    let sigma = judge.chart_sigma();
    let ewma = spc::ewma(&x, p.center, sigma, LAMBDA, EWMA_L);
    let cusum = spc::cusum(&x, p.center, CUSUM_K * sigma, CUSUM_H * sigma);
    let spreads: Vec<Option<f64>> = if subgroup == 1 {
        std::iter::once(None).chain(x.windows(2).map(|w| Some((w[1] - w[0]).abs()))).collect()
    } else {
        all.iter().map(|s| (s.values.len() >= 2).then(|| spc::range(&s.values))).collect()
    };
    let skip = all.len().saturating_sub(CHART_SAMPLES);
    let breaches = spc::nelson(&x, p.center, sigma)
        .into_iter()
        .filter(|v| v.index >= skip)
        .map(|v| (v.rule, v.index - skip))
        .collect();
    let (d2, _, _, d4) = spc::factors(subgroup.max(2)).unwrap_or((1.128, 2.66, 0.0, 3.267));
    let spread_center = d2 * p.sigma;
    Ok(Chart {
        parameter_id: p.id,
        code: p.code.clone(),
        name: p.name.clone(),
        unit: p.unit.clone(),
        subgroup: p.subgroup,
        batch: batch.to_string(),
        ts: all[skip..].iter().map(|s| s.ts).collect(),
        values: x[skip..].to_vec(),
        spreads: spreads[skip..].to_vec(),
        center: p.center,
        lcl: p.center - 3.0 * sigma,
        ucl: p.center + 3.0 * sigma,
        spread_center,
        spread_ucl: d4 * spread_center,
        ewma: ewma[skip..].iter().map(|e| e.value).collect(),
        ewma_lower: ewma[skip..].iter().map(|e| e.lower).collect(),
        ewma_upper: ewma[skip..].iter().map(|e| e.upper).collect(),
        cusum_high: cusum[skip..].iter().map(|c| c.high).collect(),
        cusum_low: cusum[skip..].iter().map(|c| c.low).collect(),
        cusum_h: CUSUM_H * sigma,
        breaches,
        samples: state.samples,
        points: state.points,
        lsl: p.lsl,
        usl: p.usl,
        capability: state.capability(subgroup, p.lsl, p.usl),
    })
}

// ---------------------------------------------------------------------------------------------
// State against the ledger

/// Lines, parameters, ingests and warnings whose rows differ from their versions; an ingest's
/// image is rebuilt with the Merkle root recomputed from its stored points, so a changed point
/// shows as its ingest's drift.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    use yaolian_store::state::{check, Image};
    let mut out = Vec::new();
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM bb_lines ORDER BY id").fetch_all(&mut *conn).await?;
    let mut lines = Vec::with_capacity(ids.len());
    let mut params = Vec::new();
    for id in ids {
        let l = load_line(&mut conn, id).await?;
        lines.push(Image { entity_id: id.to_string(), data: line_image(&l) });
        params.extend(l.parameters.iter().map(|p| Image { entity_id: p.id.to_string(), data: parameter_image(p) }));
    }
    drop(conn);
    out.extend(check(store, LINE_ENTITY, lines).await?);
    out.extend(check(store, PARAMETER_ENTITY, params).await?);
    let (alg, _) = yaolian_store::ledger::head(store.pool()).await?;
    let rows =
        sqlx::query("SELECT id, org_id, count, late, time_from, time_to, received_at FROM bb_ingests ORDER BY id")
            .fetch_all(store.pool())
            .await?;
    let mut ingests = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let points =
            sqlx::query("SELECT parameter_id, batch, ts, value FROM bb_points WHERE ingest_id = $1 ORDER BY pos")
                .bind(id)
                .fetch_all(store.pool())
                .await?;
        let leaves: Vec<_> = points
            .iter()
            .map(|p| {
                let point = Point {
                    parameter_id: p.try_get(0)?,
                    batch: p.try_get(1)?,
                    ts: p.try_get(2)?,
                    value: p.try_get(3)?,
                };
                Ok(point_leaf(alg, &point))
            })
            .collect::<Result<_>>()?;
        let root = yaolian_ledger::batch::root(alg, &leaves).to_hex();
        let data = ingest_image(
            id,
            r.try_get("org_id")?,
            (points.len() as i64, r.try_get("late")?),
            &root,
            (r.try_get("time_from")?, r.try_get("time_to")?),
            r.try_get("received_at")?,
        );
        ingests.push(Image { entity_id: id.to_string(), data });
    }
    out.extend(check(store, INGEST_ENTITY, ingests).await?);
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY w.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let w = from_row(r)?;
        images.push(Image { entity_id: w.id.to_string(), data: image(&w) });
    }
    out.extend(check(store, ENTITY, images).await?);
    Ok(out)
}

/// Warnings as an exported table.
pub fn table(list: &[Warning]) -> audit::Table {
    let rows = list.iter().map(|w| {
        vec![
            w.number.clone(),
            w.org_name.clone(),
            w.line_name.clone(),
            w.parameter_name.clone(),
            w.batch.clone(),
            w.rule_zh.clone(),
            Timestamp(w.ts).to_china_string(),
            format!("{}{}", w.value, w.unit),
            STATUSES.iter().find(|(c, _)| *c == w.status).map(|(_, z)| *z).unwrap_or("").to_string(),
            w.case_number.clone().unwrap_or_default(),
        ]
    });
    audit::Table::new(
        "生产预警",
        &["预警编号", "企业", "生产线", "参数", "批号", "判定规则", "时间", "测得值", "状态", "风险处置编号"],
        rows,
    )
}

/// The reference drift the demo seeds and the tests check, as z-scores: 30 values in control
/// (none of the eight rules fires) and then a sustained shift of +0.8σ that stays within 1σ, so
/// that the first rule to fire is [`DRIFT_RULE`] (nine in a row on one side) at point
/// [`DRIFT_AT`], the ninth of the shift.
pub fn drift_z(points: usize) -> Vec<f64> {
    const CALM: [f64; 10] = [0.4, -0.3, 1.2, 0.1, -0.8, -1.1, 0.5, 0.2, 0.7, -0.4];
    const SHIFTED: [f64; 6] = [0.85, 0.7, 0.9, 0.8, 0.75, 0.92];
    (0..points).map(|i| if i < 30 { CALM[i % CALM.len()] } else { SHIFTED[(i - 30) % SHIFTED.len()] }).collect()
}
pub const DRIFT_AT: usize = 38;
pub const DRIFT_RULE: &str = "n2";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_drift_fires_rule_2_first_at_its_ninth_shifted_point() {
        let z = drift_z(60);
        let v = spc::nelson(&z, 0.0, 1.0);
        let first = v.first().copied().map(|v| (format!("n{}", v.rule), v.index));
        assert_eq!(first, Some((DRIFT_RULE.to_string(), DRIFT_AT)));
        assert!(spc::nelson(&z[..30], 0.0, 1.0).is_empty());
    }

    fn judge(subgroup: usize) -> Judge {
        Judge { id: 1, org_id: 1, subgroup, center: 10.0, sigma: 1.0 }
    }

    #[test]
    fn samples_group_one_time_for_subgroups_only() {
        let pts = [(1, 1.0), (1, 2.0), (2, 3.0)];
        assert_eq!(samples(&pts, 1).len(), 3);
        let s = samples(&pts, 2);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].values, vec![1.0, 2.0]);
    }

    #[test]
    fn folding_in_pieces_equals_folding_at_once_and_the_charts() {
        let x: Vec<(i64, f64)> = (0..40).map(|i| (i, 10.0 + ((i * 7) % 5) as f64 * 0.3 - 0.6)).collect();
        let j = judge(1);
        let all = samples(&x, 1);
        let mut once = State::default();
        fold(&mut once, &j, &all);
        let mut pieces = State::default();
        fold(&mut pieces, &j, &all[..13]);
        fold(&mut pieces, &j, &all[13..]);
        assert_eq!(once, pieces);
        let values: Vec<f64> = x.iter().map(|p| p.1).collect();
        let e = spc::ewma(&values, 10.0, 1.0, LAMBDA, EWMA_L);
        assert!((once.ewma - e[39].value).abs() < 1e-12);
        let c = spc::cusum(&values, 10.0, CUSUM_K, CUSUM_H);
        assert!((once.cusum_high - c[39].high).abs() < 1e-12 && (once.cusum_low - c[39].low).abs() < 1e-12);
        assert!((once.mean - spc::mean(&values)).abs() < 1e-12);
        let s = spc::std_dev(&values);
        assert!(((once.m2 / 39.0).sqrt() - s).abs() < 1e-12);
        let mr: f64 = values.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / 39.0;
        assert!((once.spread_total / once.spreads as f64 - mr).abs() < 1e-12);
    }

    #[test]
    fn a_shift_breaks_the_cusum_and_ewma_and_the_points_of_one_time_are_a_subgroup() {
        let j = judge(4);
        let x: Vec<(i64, f64)> = (0..20).flat_map(|t| (0..4).map(move |_| (t, 11.2))).collect();
        let all = samples(&x, 4);
        assert_eq!(all.len(), 20);
        let mut s = State::default();
        let breaches = fold(&mut s, &j, &all);
        // σ of a mean of 4 is 0.5: a shift of 1.2 = 2.4σ̄ goes out on both charts.
        assert!(breaches.iter().any(|(r, _)| *r == "ewma"));
        assert!(breaches.iter().any(|(r, _)| *r == "cusum"));
        assert_eq!(s.points, 80);
        assert_eq!(s.spreads, 20);
        assert_eq!(s.spread_total, 0.0);
    }

    #[test]
    fn a_point_leaf_binds_every_field() {
        let p = Point { parameter_id: 3, batch: "B1".into(), ts: 1000, value: 1.5 };
        let a = point_leaf(HashAlg::Sm3, &p);
        assert_ne!(a, point_leaf(HashAlg::Sm3, &Point { value: 1.5000001, ..p.clone() }));
        assert_ne!(a, point_leaf(HashAlg::Sm3, &Point { batch: "B2".into(), ..p.clone() }));
        assert_ne!(a, point_leaf(HashAlg::Sm3, &Point { ts: 1001, ..p.clone() }));
    }
}
