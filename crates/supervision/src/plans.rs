//! Annual inspection plans (年度检查计划). A bureau generates its plan for a year from the risk
//! model: every company in its scope with a kept score is visited as often as its overall risk
//! level asks ([`crate::risk::Intervals`]: months between routine inspections), or as often as a
//! statutory minimum asks where one of its product classes carries one (narcotic and class-I
//! psychotropic manufacturers at least four times a year, [`crate::risk::MINIMUM_BASIS`]) —
//! whichever is more. Visits are spread evenly over the year (four: one a quarter) and staggered
//! between companies so the months carry a like load; a company visited less than once a year is
//! due when its interval since the last planned visit ends within the year, or it was never
//! visited. The planner then moves, cancels and adds visits, each with its reason, and publishes
//! the plan with an electronic signature (批准).
//!
//! Each visit is an inspection (检查, entity `sup_inspection`) numbered `JC-年份-计划-序号`; the
//! plan is entity `sup_plan`. A plan is written in one transaction: all of it or none.
//!
//! Who may do what: `supervision.read` reads plans in scope; `supervision.manage` generates and
//! edits its bureau's plan; `supervision.configure` publishes it.

use crate::error::{Result, SupervisionError};
use crate::models::Models;
use crate::risk::{self, Model, Score};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::{IdentityConfig, IdentityError};
use yaolian_records::esign;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{versions, NewVersion, RecordVersion, Store, StoreError, Tx};

pub const PLAN_ENTITY: &str = "sup_plan";
pub const ENTITY: &str = "sup_inspection";

/// Kinds of inspection, code and Chinese name.
pub const KINDS: &[(&str, &str)] =
    &[("routine", "常规检查"), ("minimum", "法定频次检查"), ("for_cause", "有因检查"), ("follow_up", "跟踪检查")];

/// States of an inspection, code and Chinese name.
pub const STATUSES: &[(&str, &str)] = &[
    ("planned", "计划中"),
    ("on_site", "现场检查中"),
    ("signing", "待企业签字"),
    ("signed", "现场检查记录已签字"),
    ("cancelled", "已取消"),
];

/// States of a plan, code and Chinese name.
pub const PLAN_STATUSES: &[(&str, &str)] = &[("draft", "草案"), ("published", "已发布")];

/// Visits written per statement batch inside the plan's transaction.
const BATCH: usize = 2_000;

/// The Chinese name of a code in a `(code, name)` list.
pub fn zh(list: &[(&'static str, &'static str)], code: &str) -> &'static str {
    list.iter().find(|(c, _)| *c == code).map(|(_, z)| *z).unwrap_or("")
}

/// The months (1–12) of `year` a company is visited in. `per_year` visits at least one a year
/// are spread evenly — visit k of n in month ⌊12k/n⌋ + 1, shifted by `stagger` within the
/// spacing (four a year: one a quarter, in the quarter's first, second or third month). Fewer
/// than one a year (`interval` months apart, more than twelve): one visit when the interval since
/// the `last` visit (a month index, year × 12 + month − 1) ends within the year — in that month,
/// or the staggered month if it ended before — and one when never visited.
pub fn months(per_year: f64, interval: i64, last: Option<i64>, year: i64, stagger: i64) -> Vec<i64> {
    let stagger = stagger.max(0);
    if per_year >= 1.0 {
        let n = (per_year.ceil() as i64).clamp(1, 12);
        let spacing = 12 / n;
        let shift = stagger % spacing;
        return (0..n).map(|k| k * 12 / n + shift + 1).collect();
    }
    let start = year * 12;
    match last {
        None => vec![stagger % 12 + 1],
        Some(last) => {
            let next = last + interval.max(1);
            if next >= start + 12 {
                Vec::new()
            } else if next >= start {
                vec![next - start + 1]
            } else {
                vec![stagger % 12 + 1]
            }
        }
    }
}

/// What the plan gives one company: its visits, their kind, why, and the scope (its classes).
pub fn visits(model: &Model, score: &Score, last: Option<i64>, year: i64, stagger: i64) -> Planned {
    let (per_year, minimum) = model.per_year(&score.level, &score.classes);
    let interval = model.intervals.months(&score.level);
    let classes: Vec<&str> = score
        .classes
        .iter()
        .filter_map(|c| model.classes.iter().find(|k| k.code == *c).map(|k| k.name.as_str()))
        .collect();
    let (kind, basis) = match minimum {
        Some(m) => {
            let name = model.classes.iter().find(|k| k.code == m.class).map(|k| k.name.as_str()).unwrap_or("");
            ("minimum", format!("{name}：每年不少于 {} 次（{}）", m.per_year, m.basis))
        }
        None => ("routine", format!("{}：每 {interval} 个月检查一次", risk::level_zh(&score.level))),
    };
    let scope = if classes.is_empty() {
        "全面检查".to_string()
    } else {
        format!("全面检查，重点：{}", classes.join("、"))
    };
    Planned { months: months(per_year, interval, last, year, stagger), kind, basis, scope }
}

/// One company's part of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub months: Vec<i64>,
    pub kind: &'static str,
    pub basis: String,
    pub scope: String,
}

/// A plan, with its figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub year: i64,
    /// One of [`PLAN_STATUSES`]' codes.
    pub status: String,
    pub model_org_id: Option<i64>,
    pub model_version: i64,
    /// What generation left out (companies without a score …).
    pub note: String,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub published_by: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub published_at: Option<Timestamp>,
    pub version: i64,
}

/// An inspection (a plan's visit).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Inspection {
    pub id: i64,
    pub plan_id: Option<i64>,
    /// The inspecting bureau.
    pub org_id: i64,
    pub company_id: i64,
    pub company_name: String,
    /// 检查编号, JC-年份-计划-序号.
    pub number: String,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    pub year: i64,
    pub month: i64,
    /// The company's overall risk level when planned.
    pub level: String,
    /// Why it is planned (the frequency rule and its source).
    pub basis: String,
    pub scope: String,
    /// One of [`STATUSES`]' codes.
    pub status: String,
    pub note: String,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

/// A plan's figures: visits per month, per level and per kind (cancelled ones left out).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    /// Twelve counts, January first.
    pub by_month: Vec<i64>,
    pub by_level: Vec<(String, i64)>,
    pub by_kind: Vec<(String, i64)>,
    pub companies: i64,
    pub visits: i64,
}

/// What generating a plan did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Generated {
    pub plan: Plan,
    pub companies: i64,
    pub visits: i64,
    /// Companies in scope left out because they have no score yet.
    pub unscored: i64,
}

/// A visit added by hand (计划调整).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewVisit {
    pub company_id: i64,
    pub month: i64,
    /// One of [`KINDS`]' codes.
    pub kind: String,
    #[serde(default)]
    pub scope: String,
    pub reason: String,
}

/// A visit moved to another month, or cancelled.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct VisitChange {
    /// The new month (1–12); `None` with `cancel`.
    #[serde(default)]
    pub month: Option<i64>,
    #[serde(default)]
    pub cancel: bool,
    pub reason: String,
    pub version: i64,
}

/// Filters of a plan's visits.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    #[serde(default)]
    pub month: Option<i64>,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub status: String,
    /// Part of the company's name or the inspection's number.
    #[serde(default)]
    pub q: String,
}

const PLAN_COLUMNS: &str = "p.id, p.org_id, o.name AS org_name, p.year, p.status, p.model_org_id, p.model_version, \
     p.note, p.created_by, p.created_at, p.published_by, p.published_at, p.version";
const PLAN_FROM: &str = "sup_plans p JOIN orgs o ON o.id = p.org_id";
const COLUMNS: &str = "i.id, i.plan_id, i.org_id, i.company_id, m.name AS company_name, i.number, i.kind, i.year, \
     i.month, i.level, i.basis, i.scope, i.status, i.note, i.created_by, i.created_at, i.version";
const FROM: &str = "sup_inspections i JOIN orgs o ON o.id = i.org_id JOIN orgs m ON m.id = i.company_id";

fn plan_row(r: &sqlx::any::AnyRow) -> std::result::Result<Plan, sqlx::Error> {
    Ok(Plan {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        year: r.try_get("year")?,
        status: r.try_get("status")?,
        model_org_id: r.try_get("model_org_id")?,
        model_version: r.try_get("model_version")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        published_by: r.try_get("published_by")?,
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(Timestamp),
        version: r.try_get("version")?,
    })
}

fn inspection_row(r: &sqlx::any::AnyRow) -> std::result::Result<Inspection, sqlx::Error> {
    Ok(Inspection {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        org_id: r.try_get("org_id")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        number: r.try_get("number")?,
        kind: r.try_get("kind")?,
        year: r.try_get("year")?,
        month: r.try_get("month")?,
        level: r.try_get("level")?,
        basis: r.try_get("basis")?,
        scope: r.try_get("scope")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

fn plan_image(p: &Plan) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "org_id": p.org_id,
        "year": p.year,
        "status": p.status,
        "model_org_id": p.model_org_id,
        "model_version": p.model_version,
        "note": p.note,
        "created_by": p.created_by,
        "published_by": p.published_by,
        "published_at": p.published_at.map(|t| t.0),
    })
}

/// The ledgered image of an inspection: its own columns (not the company's name).
fn image(i: &Inspection) -> serde_json::Value {
    serde_json::json!({
        "id": i.id,
        "plan_id": i.plan_id,
        "org_id": i.org_id,
        "company_id": i.company_id,
        "number": i.number,
        "kind": i.kind,
        "year": i.year,
        "month": i.month,
        "level": i.level,
        "basis": i.basis,
        "scope": i.scope,
        "status": i.status,
        "note": i.note,
        "created_by": i.created_by,
    })
}

fn check_year(year: i64) -> Result<()> {
    if !(2000..=2100).contains(&year) {
        return Err(ValidationError::single("year", "range:2000..2100", "the plan's year").into());
    }
    Ok(())
}

/// Generates the principal's bureau's plan for `year` (`supervision.manage`) from the kept
/// scores of the companies in its scope and the model each is scored with.
pub async fn generate(store: &Store, principal: &Principal, year: i64, client: &ClientInfo) -> Result<Generated> {
    check_year(year)?;
    let mut p = Params::new();
    let scope = match yaolian_access::scope_filter(principal, perm::SUPERVISION_MANAGE, &mut p) {
        Some(scope) if principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path()) => scope,
        _ => return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_plans", client).await),
    };
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM sup_plans WHERE org_id = $1 AND year = $2")
        .bind(principal.org_id())
        .bind(year)
        .fetch_optional(store.pool())
        .await?;
    if exists.is_some() {
        return Err(ValidationError::single("year", "unique", "a plan for the year exists; edit it").into());
    }
    // The companies in scope with their kept scores (none: left out, counted).
    let sql = format!(
        "SELECT o.id, o.path, s.detail FROM orgs o LEFT JOIN sup_scores s ON s.subject = 'company' \
         AND s.subject_id = o.id WHERE o.kind = 'company' AND {scope} ORDER BY o.id"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    // The month index of each company's last visit before the year.
    let mut last: HashMap<i64, i64> = HashMap::new();
    let before = sqlx::query(
        "SELECT company_id, MAX(year * 12 + month - 1) AS last FROM sup_inspections \
         WHERE status <> 'cancelled' AND year < $1 GROUP BY company_id",
    )
    .bind(year)
    .fetch_all(store.pool())
    .await?;
    for r in &before {
        last.insert(r.try_get("company_id")?, r.try_get("last")?);
    }
    let models = Models::load(store).await?;
    let own = models.for_path(principal.org_path());
    let mut planned: Vec<(i64, String, Planned)> = Vec::new();
    let mut unscored = 0i64;
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let Some(detail) = r.try_get::<Option<String>, _>("detail")? else {
            unscored += 1;
            continue;
        };
        let score: Score = serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(format!("score: {e}")))?;
        let path: String = r.try_get("path")?;
        let model = &models.for_path(&path).model;
        let visit = visits(model, &score, last.get(&id).copied(), year, id);
        if !visit.months.is_empty() {
            planned.push((id, score.level, visit));
        }
    }

    let now = Timestamp::now();
    let note =
        if unscored > 0 { format!("{unscored} 家企业尚无风险评分，未列入计划") } else { String::new() };
    let mut tx = store.begin().await?;
    let plan_id: i64 = sqlx::query(
        "INSERT INTO sup_plans (org_id, year, status, model_org_id, model_version, note, created_by, created_at, \
         version, updated_at) VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, 1, $7) RETURNING id",
    )
    .bind(principal.org_id())
    .bind(year)
    .bind(own.org_id)
    .bind(own.version)
    .bind(&note)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let mut values = Vec::new();
    let mut seq = 0i64;
    for (company, level, visit) in &planned {
        for month in &visit.months {
            seq += 1;
            values.extend([
                Value::I64(plan_id),
                Value::I64(principal.org_id()),
                Value::I64(*company),
                Value::Text(format!("JC-{year}-{plan_id}-{seq:05}")),
                Value::from(visit.kind),
                Value::I64(year),
                Value::I64(*month),
                Value::from(level.as_str()),
                Value::from(visit.basis.as_str()),
                Value::from(visit.scope.as_str()),
                Value::from(principal.username()),
                Value::I64(now.0),
                Value::from("planned"),
                Value::from(""),
                Value::I64(1),
                Value::I64(now.0),
            ]);
        }
    }
    const HEAD: &str = "INSERT INTO sup_inspections (plan_id, org_id, company_id, number, kind, year, month, level, \
         basis, scope, created_by, created_at, status, note, version, updated_at)";
    yaolian_store::sql::insert_rows(&mut tx, HEAD, "", 16, values).await.map_err(StoreError::from)?;
    version_visits(&mut tx, principal, plan_id).await?;
    let plan = plan_in(&mut tx, plan_id).await?;
    let reason = format!("生成 {year} 年度检查计划：{} 家企业，{seq} 次检查", planned.len());
    let step = plan_step(&plan, "generate", &reason);
    yaolian_records::step::record(&mut tx, principal, step, client).await?;
    tx.commit().await?;
    Ok(Generated { plan, companies: planned.len() as i64, visits: seq, unscored })
}

/// Versions every visit of a just generated plan, in batches, inside the plan's transaction.
async fn version_visits(tx: &mut Tx<'_>, principal: &Principal, plan_id: i64) -> Result<()> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE i.plan_id = $1 ORDER BY i.id"))
        .bind(plan_id)
        .fetch_all(&mut **tx)
        .await?;
    let visits: Vec<Inspection> = rows.iter().map(inspection_row).collect::<std::result::Result<_, _>>()?;
    let images: Vec<(String, serde_json::Value)> = visits.iter().map(|v| (v.id.to_string(), image(v))).collect();
    version_new(tx, principal, ENTITY, &images, ("plan", "列入年度检查计划")).await
}

/// Writes the first version of many just inserted records of `entity` (`(id, image)`), in
/// batches of [`BATCH`], inside the transaction that inserted them.
pub(crate) async fn version_new(
    tx: &mut Tx<'_>,
    principal: &Principal,
    entity: &str,
    images: &[(String, serde_json::Value)],
    (action, reason): (&str, &str),
) -> Result<()> {
    for chunk in images.chunks(BATCH) {
        let new: Vec<NewVersion<'_>> = chunk
            .iter()
            .map(|(id, data)| NewVersion {
                entity,
                entity_id: id,
                actor: principal.username(),
                action,
                reason,
                data,
                expected_version: Some(0),
            })
            .collect();
        versions::append_many(tx, &new).await?;
    }
    Ok(())
}

async fn plan_in(tx: &mut Tx<'_>, id: i64) -> Result<Plan> {
    let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM {PLAN_FROM} WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(plan_row(&row)?)
}

fn plan_step<'a>(plan: &Plan, action: &'a str, reason: &'a str) -> yaolian_records::step::Step<'a> {
    yaolian_records::step::Step {
        entity: PLAN_ENTITY,
        id: plan.id,
        version: plan.version,
        data: plan_image(plan),
        action,
        reason,
        audit: audit::action::SUP_PLAN,
        target: format!("sup_plan:{} {} {action}", plan.id, plan.year),
    }
}

/// One plan, if the principal may read it (`supervision.read` in its bureau).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Plan> {
    let sql = format!("SELECT {PLAN_COLUMNS}, o.path AS org_path FROM {PLAN_FROM} WHERE p.id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        id,
        (PLAN_ENTITY, "plan"),
        client,
    )
    .await?;
    Ok(plan_row(&row)?)
}

/// The plans in the principal's scope (`supervision.read`), newest year first.
pub async fn plans(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Plan>> {
    let shape = (PLAN_COLUMNS, PLAN_FROM, "p.year DESC, p.id DESC");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_plans",
        shape,
        |_| None,
        1_000,
        0,
        client,
    );
    let (rows, _) = page.await?;
    Ok(rows.iter().map(plan_row).collect::<std::result::Result<_, _>>()?)
}

/// A page of a plan's visits (the plan read by the principal), by month and number, and the
/// total.
pub async fn visits_of(
    store: &Store,
    principal: &Principal,
    plan_id: i64,
    filter: &Filter,
    limit: i64,
    offset: i64,
    client: &ClientInfo,
) -> Result<(Vec<Inspection>, i64)> {
    get(store, principal, plan_id, client).await?;
    let narrow = |p: &mut Params| {
        let mut w = vec![format!("i.plan_id = {}", p.push(plan_id))];
        if let Some(m) = filter.month.filter(|m| (1..=12).contains(m)) {
            w.push(format!("i.month = {}", p.push(m)));
        }
        if risk::LEVELS.iter().any(|(c, _)| *c == filter.level) {
            w.push(format!("i.level = {}", p.push(filter.level.clone())));
        }
        if KINDS.iter().any(|(c, _)| *c == filter.kind) {
            w.push(format!("i.kind = {}", p.push(filter.kind.clone())));
        }
        if STATUSES.iter().any(|(c, _)| *c == filter.status) {
            w.push(format!("i.status = {}", p.push(filter.status.clone())));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["m.name", "i.number"], q));
        }
        Some(w.join(" AND "))
    };
    let shape = (COLUMNS, FROM, "i.month, i.id");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_inspections",
        shape,
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    Ok((rows.iter().map(inspection_row).collect::<std::result::Result<_, _>>()?, total))
}

/// A plan's figures (the plan read by the principal).
pub async fn figures(store: &Store, principal: &Principal, plan_id: i64, client: &ClientInfo) -> Result<Figures> {
    get(store, principal, plan_id, client).await?;
    let rows = sqlx::query(
        "SELECT month, level, kind, COUNT(*) AS n FROM sup_inspections WHERE plan_id = $1 AND status <> 'cancelled' \
         GROUP BY month, level, kind",
    )
    .bind(plan_id)
    .fetch_all(store.pool())
    .await?;
    let mut f = Figures {
        by_month: vec![0; 12],
        by_level: risk::LEVELS.iter().map(|(c, _)| (c.to_string(), 0)).collect(),
        by_kind: KINDS.iter().map(|(c, _)| (c.to_string(), 0)).collect(),
        ..Figures::default()
    };
    for r in &rows {
        let (month, level, kind, n): (i64, String, String, i64) =
            (r.try_get("month")?, r.try_get("level")?, r.try_get("kind")?, r.try_get("n")?);
        if let Some(x) = f.by_month.get_mut((month - 1).clamp(0, 11) as usize) {
            *x += n;
        }
        if let Some(x) = f.by_level.iter_mut().find(|(c, _)| *c == level) {
            x.1 += n;
        }
        if let Some(x) = f.by_kind.iter_mut().find(|(c, _)| *c == kind) {
            x.1 += n;
        }
        f.visits += n;
    }
    f.companies = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT company_id) FROM sup_inspections WHERE plan_id = $1 AND status <> 'cancelled'",
    )
    .bind(plan_id)
    .fetch_one(store.pool())
    .await?;
    Ok(f)
}

/// The plan, refused unless the principal holds `permission` in its bureau.
async fn held(store: &Store, principal: &Principal, id: i64, permission: &str, client: &ClientInfo) -> Result<Plan> {
    let plan = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", plan.org_id).await?;
    if !principal.reaches(permission, &path) {
        return Err(audit::deny(store, principal, permission, &format!("sup_plan:{id}"), client).await);
    }
    Ok(plan)
}

/// Whether the principal edits the plan's visits (`supervision.manage` in its bureau).
pub async fn may_edit(store: &Store, principal: &Principal, plan: &Plan) -> Result<bool> {
    let path = yaolian_identity::orgs::path_of(store, "org_id", plan.org_id).await?;
    Ok(principal.reaches(perm::SUPERVISION_MANAGE, &path))
}

/// Whether the principal publishes the plan (`supervision.configure` in its bureau).
pub async fn may_publish(store: &Store, principal: &Principal, plan: &Plan) -> Result<bool> {
    let path = yaolian_identity::orgs::path_of(store, "org_id", plan.org_id).await?;
    Ok(principal.reaches(perm::SUPERVISION_CONFIGURE, &path))
}

fn check_reason(errors: &mut ValidationError, reason: &str) {
    errors.length("reason", reason.trim(), 1, 500);
}

fn check_month(errors: &mut ValidationError, month: i64) {
    if !(1..=12).contains(&month) {
        errors.push("month", "range:1..12", "a month of the plan's year");
    }
}

/// Adds a visit to a plan (`supervision.manage` in its bureau): a company under the bureau, in a
/// month of the year, with the reason (计划调整).
pub async fn add(
    store: &Store,
    principal: &Principal,
    plan_id: i64,
    v: &NewVisit,
    client: &ClientInfo,
) -> Result<Inspection> {
    let mut errors = ValidationError::new();
    check_month(&mut errors, v.month);
    check_reason(&mut errors, &v.reason);
    errors.length("scope", &v.scope, 0, 500);
    if !KINDS.iter().any(|(c, _)| *c == v.kind) {
        errors.push("kind", "one_of:routine,minimum,for_cause,follow_up", "the inspection's kind");
    }
    errors.into_result()?;
    let plan = held(store, principal, plan_id, perm::SUPERVISION_MANAGE, client).await?;
    let row = sqlx::query(
        "SELECT o.kind, o.path, s.level FROM orgs o LEFT JOIN sup_scores s ON s.subject = 'company' \
         AND s.subject_id = o.id WHERE o.id = $1",
    )
    .bind(v.company_id)
    .fetch_optional(store.pool())
    .await?;
    let company = match row {
        Some(r) => Some((
            r.try_get::<String, _>("kind")?,
            r.try_get::<String, _>("path")?,
            r.try_get::<Option<String>, _>("level")?,
        )),
        None => None,
    };
    let bureau = yaolian_identity::orgs::path_of(store, "org_id", plan.org_id).await?;
    let level = match company {
        Some((kind, path, level)) if kind == "company" && path.starts_with(&bureau) => {
            level.unwrap_or_else(|| "medium".into())
        }
        _ => return Err(ValidationError::single("company_id", "exists", "a company under the bureau").into()),
    };
    let now = Timestamp::now();
    let scope = if v.scope.trim().is_empty() { "全面检查".to_string() } else { v.scope.trim().to_string() };
    let mut tx = store.begin().await?;
    let seq: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sup_inspections WHERE plan_id = $1")
        .bind(plan_id)
        .fetch_one(&mut *tx)
        .await?;
    let id: i64 = sqlx::query(
        "INSERT INTO sup_inspections (plan_id, org_id, company_id, number, kind, year, month, level, basis, scope, \
         status, note, created_by, created_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'planned', '', $11, $12, 1, $12) RETURNING id",
    )
    .bind(plan_id)
    .bind(plan.org_id)
    .bind(v.company_id)
    .bind(format!("JC-{}-{plan_id}-{:05}", plan.year, seq + 1))
    .bind(&v.kind)
    .bind(plan.year)
    .bind(v.month)
    .bind(&level)
    .bind(format!("计划调整：{}", v.reason.trim()))
    .bind(&scope)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    save(&mut tx, principal, id, "add", v.reason.trim(), client).await?;
    tx.commit().await?;
    inspection(store, principal, id, client).await
}

/// Moves a planned visit to another month, or cancels it (`supervision.manage` in its bureau),
/// with the reason.
pub async fn change(
    store: &Store,
    principal: &Principal,
    id: i64,
    c: &VisitChange,
    client: &ClientInfo,
) -> Result<Inspection> {
    let mut errors = ValidationError::new();
    check_reason(&mut errors, &c.reason);
    match (c.cancel, c.month) {
        (false, Some(m)) => check_month(&mut errors, m),
        (false, None) => errors.push("month", "required", "the new month, or cancel"),
        (true, _) => {}
    }
    errors.into_result()?;
    let before = inspection(store, principal, id, client).await?;
    let Some(plan_id) = before.plan_id else { return Err(IdentityError::NotFound("plan").into()) };
    held(store, principal, plan_id, perm::SUPERVISION_MANAGE, client).await?;
    if before.status != "planned" {
        return Err(SupervisionError::WrongState {
            number: before.number.clone(),
            status: before.status.clone(),
            action: "change",
        });
    }
    if before.version != c.version {
        return Err(IdentityError::Conflict(format!("inspection {} changed meanwhile; reload", before.number)).into());
    }
    let (status, month, action) = if c.cancel {
        ("cancelled", before.month, "cancel")
    } else {
        ("planned", c.month.unwrap_or(before.month), "reschedule")
    };
    let reason = if c.cancel {
        format!("取消：{}", c.reason.trim())
    } else {
        format!("{} 月改为 {month} 月：{}", before.month, c.reason.trim())
    };
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE sup_inspections SET status = $1, month = $2, note = $3, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(status)
    .bind(month)
    .bind(c.reason.trim())
    .bind(Timestamp::now().0)
    .bind(id)
    .bind(c.version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("inspection {} changed meanwhile; reload", before.number)).into());
    }
    save(&mut tx, principal, id, action, &reason, client).await?;
    tx.commit().await?;
    inspection(store, principal, id, client).await
}

/// Publishes a draft plan (`supervision.configure` in its bureau), signed by the publisher
/// (批准) after re-entering the password.
pub async fn publish(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    version: i64,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Plan> {
    let plan = held(store, principal, id, perm::SUPERVISION_CONFIGURE, client).await?;
    if plan.status != "draft" {
        return Err(SupervisionError::WrongState {
            number: format!("{} 年度检查计划", plan.year),
            status: plan.status.clone(),
            action: "publish",
        });
    }
    if plan.version != version {
        return Err(IdentityError::Conflict(format!("plan {} changed meanwhile; reload", plan.year)).into());
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_plan:{id} publish"), client)
        .await?;
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE sup_plans SET status = 'published', published_by = $1, published_at = $2, version = version + 1, \
         updated_at = $2 WHERE id = $3 AND version = $4",
    )
    .bind(principal.username())
    .bind(now.0)
    .bind(id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("plan {} changed meanwhile; reload", plan.year)).into());
    }
    let after = plan_in(&mut tx, id).await?;
    let reason = format!("发布 {} 年度检查计划", plan.year);
    let written =
        yaolian_records::step::record(&mut tx, principal, plan_step(&after, "publish", &reason), client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Versions an inspection's current row in `tx`.
pub(crate) async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE i.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    let i = inspection_row(&row)?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: i.version,
        data: image(&i),
        action,
        reason,
        audit: audit::action::SUP_INSPECTION,
        target: format!("sup_inspection:{id} {} {action}", i.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

/// One inspection, read for a check that runs under no principal (the state check).
pub(crate) async fn unchecked(store: &Store, id: i64) -> Result<Inspection> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE i.id = $1")).bind(id).fetch_one(store.pool()).await?;
    Ok(inspection_row(&row)?)
}

/// One inspection, if the principal may read it (`supervision.read` in its bureau).
pub async fn inspection(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Inspection> {
    let sql = format!("SELECT {COLUMNS}, o.path AS org_path FROM {FROM} WHERE i.id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        id,
        (ENTITY, "inspection"),
        client,
    )
    .await?;
    Ok(inspection_row(&row)?)
}

/// A plan's visits as an exported table.
pub fn table(list: &[Inspection]) -> audit::Table {
    let rows = list.iter().map(|i| {
        vec![
            i.number.clone(),
            i.company_name.clone(),
            format!("{} 月", i.month),
            risk::level_zh(&i.level).to_string(),
            zh(KINDS, &i.kind).to_string(),
            i.basis.clone(),
            i.scope.clone(),
            zh(STATUSES, &i.status).to_string(),
            i.note.clone(),
        ]
    });
    audit::Table::new(
        "年度检查计划",
        &["检查编号", "企业", "月份", "风险等级", "检查类型", "依据", "检查范围", "状态", "调整说明"],
        rows,
    )
}

/// Every plan and inspection whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM {PLAN_FROM} ORDER BY p.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let p = plan_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: p.id.to_string(), data: plan_image(&p) });
    }
    let mut drifts = yaolian_store::state::check(store, PLAN_ENTITY, images).await?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY i.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let i = inspection_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: i.id.to_string(), data: image(&i) });
    }
    drifts.extend(yaolian_store::state::check(store, ENTITY, images).await?);
    Ok(drifts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_a_year_is_one_a_quarter_and_staggered() {
        assert_eq!(months(4.0, 3, None, 2027, 0), vec![1, 4, 7, 10]);
        assert_eq!(months(4.0, 3, None, 2027, 5), vec![3, 6, 9, 12]);
        assert_eq!(months(2.0, 6, Some(2026 * 12), 2027, 7), vec![2, 8]);
        assert_eq!(months(1.0, 12, None, 2027, 11), vec![12]);
        // More than twelve a year stays twelve.
        assert_eq!(months(20.0, 1, None, 2027, 0).len(), 12);
    }

    #[test]
    fn less_than_yearly_is_due_when_its_interval_ends_in_the_year() {
        // Every 24 months: never visited → this year; visited March 2026 → March 2028, not 2027.
        assert_eq!(months(0.5, 24, None, 2027, 14), vec![3]);
        assert!(months(0.5, 24, Some(2026 * 12 + 2), 2027, 0).is_empty());
        assert_eq!(months(0.5, 24, Some(2026 * 12 + 2), 2028, 0), vec![3]);
        // Overdue since before the year: the staggered month.
        assert_eq!(months(0.5, 24, Some(2020 * 12), 2027, 4), vec![5]);
    }

    #[test]
    fn a_narcotic_maker_is_planned_by_the_minimum_with_its_basis() {
        let m = Model::default();
        let score = Score {
            intrinsic: 60,
            compliance: 0,
            intrinsic_level: "high".into(),
            compliance_level: "low".into(),
            level: "medium".into(),
            classes: vec!["narcotic".into(), "sterile".into()],
            credit: 100,
            grade: "A".into(),
            factors: vec![],
        };
        let v = visits(&m, &score, None, 2027, 2);
        assert_eq!(v.months, vec![3, 6, 9, 12]);
        assert_eq!(v.kind, "minimum");
        assert!(v.basis.contains("每年不少于 4 次") && v.basis.contains(risk::MINIMUM_BASIS), "{}", v.basis);
        assert!(v.scope.contains("麻醉药品"), "{}", v.scope);
        let plain = Score { classes: vec![], level: "high".into(), ..score };
        let v = visits(&m, &plain, None, 2027, 0);
        assert_eq!((v.months.len(), v.kind), (2, "routine"));
    }
}
