//! Sampling (抽检, 《药品质量抽查检验管理办法》): a bureau's sampling plan (抽检计划) for a year
//! picks products by class and by their maker's risk level, riskiest first, up to a quota, and
//! each becomes a task (抽检任务). A task is given to a sampling team of at least two
//! (《药品管理法实施条例》第五十二条, docs/supervision-sources.md §5), who take the sample (batch, quantity, place, seal
//! number); the sample then passes hand to hand (chain of custody, 样品流转: who held it from
//! when, where) until the testing side receives it with its seal intact. The results are entered
//! item by item against the specification (标准规定), each item judged pass or fail, and compared
//! with the product's other batches and with other makers of the same product. The report (检验
//! 报告) is signed by someone other than who entered the results; a failing batch's signed report
//! in the same transaction raises the disposal case (风险处置, source `sample`) and orders the
//! recall of the batch in the trace module (责令召回), both named on the sample.
//!
//! Every plan and sample step is a version (entities `sup_sampling_plan`, `sup_sample`; the
//! sample's image holds its custody and results). Who may do what, in the bureau's scope:
//! `supervision.read` reads; `supervision.manage` plans, assigns, receives, tests and signs; the
//! team takes the sample; the holder hands it over. The testing side is the bureau's own here
//! (a 药品检验机构 as an organization of its own is not modelled yet).

use crate::error::{Result, SupervisionError};
use crate::models::Models;
use crate::risk::{self, ProductFact, Score};
use crate::rows::{decode_json, encode_json};
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
use yaolian_store::{versions, RecordVersion, Store, StoreError, Tx};

pub const PLAN_ENTITY: &str = "sup_sampling_plan";
pub const ENTITY: &str = "sup_sample";

/// A sample's states, code and Chinese name, in order.
pub const STATUSES: &[(&str, &str)] = &[
    ("planned", "待派发"),
    ("assigned", "待抽样"),
    ("sampled", "已抽样，待送检"),
    ("received", "检验中"),
    ("tested", "待签发报告"),
    ("passed", "合格"),
    ("failed", "不合格"),
];

/// Custody steps, code and Chinese name.
pub const CUSTODY: &[(&str, &str)] = &[("sampled", "抽样封存"), ("handover", "移交"), ("received", "收样")];

/// An item's verdict, code and Chinese name.
pub const VERDICTS: &[(&str, &str)] = &[("pass", "符合规定"), ("fail", "不符合规定")];

/// Most tasks one plan makes, and most result items per sample.
pub const MAX_QUOTA: i64 = 5_000;
pub const MAX_ITEMS: usize = 40;

/// The recall level a failing batch's recall is ordered at (二级召回, 《药品召回管理办法》
/// Art. 13: may cause temporary or reversible harm); the case that follows may raise it.
pub const RECALL_LEVEL: i64 = 2;

/// What a sampling plan takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewPlan {
    pub year: i64,
    pub title: String,
    /// 抽检依据, e.g. the province's sampling work programme.
    #[serde(default)]
    pub basis: String,
    /// Product class codes of the risk model (`sterile`, `vaccine` …); none: every product.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Risk levels of the maker (`high`, `medium`, `low`); none: every company, scored or not.
    #[serde(default)]
    pub levels: Vec<String>,
    /// Most tasks to make.
    pub quota: i64,
}

/// A sampling plan with its tasks counted by state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SamplingPlan {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub year: i64,
    pub title: String,
    pub basis: String,
    pub classes: Vec<String>,
    pub levels: Vec<String>,
    pub quota: i64,
    pub created_by: String,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
    /// Tasks per state, in [`STATUSES`]' order.
    pub counts: Vec<(String, i64)>,
}

/// One step of a sample's chain of custody.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Custody {
    pub seq: i64,
    /// One of [`CUSTODY`]' codes.
    pub action: String,
    /// Who holds the sample from this step (login).
    pub holder: String,
    pub place: String,
    pub note: String,
    #[schema(value_type = i64)]
    pub at: Timestamp,
}

/// A test item (检验项目) against its specification: numeric with a lower and/or upper limit
/// (decimal text, e.g. `90.0` and `110.0`), or, with no limits, a judgement in words whose value
/// is 符合规定 or 不符合规定.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TestItem {
    pub item: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub low: String,
    #[serde(default)]
    pub high: String,
    pub value: String,
    /// `pass` or `fail`, judged as the results are recorded (what a caller sends is ignored).
    #[serde(default)]
    pub verdict: String,
}

/// A sample (样品) and its task.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Sample {
    pub id: i64,
    pub plan_id: i64,
    pub org_id: i64,
    pub number: String,
    pub company_id: i64,
    pub company_name: String,
    pub product_id: i64,
    /// 通用名 and strength.
    pub product_name: String,
    pub generic_name: String,
    pub mah_org_id: i64,
    /// The maker's risk level when planned ('' unscored).
    pub level: String,
    pub status: String,
    pub team: Vec<String>,
    pub batch: String,
    pub quantity: String,
    pub place: String,
    pub seal: String,
    #[schema(value_type = Option<i64>)]
    pub sampled_at: Option<Timestamp>,
    pub tested_by: Option<String>,
    /// `pass`, `fail` or '' (not tested).
    pub verdict: String,
    pub conclusion: String,
    pub case_id: Option<i64>,
    pub recall_id: Option<i64>,
    pub custody: Vec<Custody>,
    pub results: Vec<TestItem>,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

impl Sample {
    /// Who holds the sample now (the last custody step's holder).
    pub fn holder(&self) -> Option<&str> {
        self.custody.last().map(|c| c.holder.as_str())
    }
}

/// The sample as taken.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Taken {
    pub batch: String,
    pub quantity: String,
    pub place: String,
    /// 封签编号.
    pub seal: String,
    pub version: i64,
}

/// A custody step: handing the sample to `to` (a `handover`), or receiving it for testing with
/// its seal checked (a `received`, `to` unused).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Handover {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub note: String,
    /// For a receipt: the seal is intact (封签完好); a broken seal is refused.
    #[serde(default)]
    pub seal_intact: bool,
    pub version: i64,
}

/// The results as entered.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Results {
    pub items: Vec<TestItem>,
    #[serde(default)]
    pub conclusion: String,
    pub version: i64,
}

/// Figures of one item over a set of other samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Figures {
    pub samples: i64,
    pub failed: i64,
    pub mean: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One result item beside the product's other batches (same maker) and other makers of the same
/// product (same 通用名).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    pub item: String,
    pub unit: String,
    pub value: String,
    pub verdict: String,
    pub own_batches: Figures,
    pub other_makers: Figures,
    /// The value lies outside the range of both sets that have one (an outlier among them).
    pub outside: bool,
}

/// A page's narrowing of a plan's samples.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub q: String,
}

pub use crate::plans::zh;

const PLAN_COLUMNS: &str = "p.id, p.org_id, o.name AS org_name, p.year, p.title, p.basis, p.classes, p.levels, \
     p.quota, p.created_by, p.created_at, p.version";
const PLAN_FROM: &str = "sup_sampling_plans p JOIN orgs o ON o.id = p.org_id";
const COLUMNS: &str = "s.id, s.plan_id, s.org_id, s.number, s.company_id, m.name AS company_name, s.product_id, \
     d.generic_name, d.strength, d.mah_org_id, s.level, s.status, s.team, s.batch, s.quantity, s.place, s.seal, \
     s.sampled_at, s.tested_by, s.verdict, s.conclusion, s.case_id, s.recall_id, s.created_at, s.version";
const FROM: &str = "sup_samples s JOIN orgs o ON o.id = s.org_id JOIN orgs m ON m.id = s.company_id \
     JOIN products d ON d.id = s.product_id";

fn plan_row(r: &sqlx::any::AnyRow) -> Result<SamplingPlan> {
    Ok(SamplingPlan {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        org_name: r.try_get("org_name")?,
        year: r.try_get("year")?,
        title: r.try_get("title")?,
        basis: r.try_get("basis")?,
        classes: decode_json(&r.try_get::<String, _>("classes")?, "classes")?,
        levels: decode_json(&r.try_get::<String, _>("levels")?, "levels")?,
        quota: r.try_get("quota")?,
        created_by: r.try_get("created_by")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
        counts: Vec::new(),
    })
}

fn plan_image(p: &SamplingPlan) -> serde_json::Value {
    serde_json::json!({
        "id": p.id, "org_id": p.org_id, "year": p.year, "title": p.title, "basis": p.basis,
        "classes": p.classes, "levels": p.levels, "quota": p.quota, "created_by": p.created_by,
    })
}

fn sample_row(r: &sqlx::any::AnyRow) -> Result<Sample> {
    let generic: String = r.try_get("generic_name")?;
    let strength: String = r.try_get("strength")?;
    Ok(Sample {
        id: r.try_get("id")?,
        plan_id: r.try_get("plan_id")?,
        org_id: r.try_get("org_id")?,
        number: r.try_get("number")?,
        company_id: r.try_get("company_id")?,
        company_name: r.try_get("company_name")?,
        product_id: r.try_get("product_id")?,
        product_name: format!("{generic}（{strength}）"),
        generic_name: generic,
        mah_org_id: r.try_get("mah_org_id")?,
        level: r.try_get("level")?,
        status: r.try_get("status")?,
        team: decode_json(&r.try_get::<String, _>("team")?, "team")?,
        batch: r.try_get("batch")?,
        quantity: r.try_get("quantity")?,
        place: r.try_get("place")?,
        seal: r.try_get("seal")?,
        sampled_at: r.try_get::<Option<i64>, _>("sampled_at")?.map(Timestamp),
        tested_by: r.try_get("tested_by")?,
        verdict: r.try_get("verdict")?,
        conclusion: r.try_get("conclusion")?,
        case_id: r.try_get("case_id")?,
        recall_id: r.try_get("recall_id")?,
        custody: Vec::new(),
        results: Vec::new(),
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

/// The sample's image: what its versions (and the report's signature) bind.
fn image(s: &Sample) -> serde_json::Value {
    serde_json::json!({
        "id": s.id, "plan_id": s.plan_id, "number": s.number, "company_id": s.company_id,
        "product_id": s.product_id, "level": s.level, "status": s.status, "team": s.team,
        "batch": s.batch, "quantity": s.quantity, "place": s.place, "seal": s.seal,
        "sampled_at": s.sampled_at.map(|t| t.0), "tested_by": s.tested_by, "verdict": s.verdict,
        "conclusion": s.conclusion, "case_id": s.case_id, "recall_id": s.recall_id,
        "custody": s.custody, "results": s.results,
    })
}

/// The custody steps and results of the samples `rows` holds, filled in (two queries).
async fn fill(conn: &mut sqlx::AnyConnection, list: &mut [Sample]) -> Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let ids: Vec<String> = list.iter().map(|s| p.push(s.id)).collect();
    let ids = ids.join(", ");
    let sql = format!(
        "SELECT sample_id, seq, action, holder, place, note, at FROM sup_sample_custody \
         WHERE sample_id IN ({ids}) ORDER BY sample_id, seq"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let index: HashMap<i64, usize> = list.iter().enumerate().map(|(n, s)| (s.id, n)).collect();
    for r in &rows {
        let Some(&n) = index.get(&r.try_get::<i64, _>("sample_id")?) else { continue };
        list[n].custody.push(Custody {
            seq: r.try_get("seq")?,
            action: r.try_get("action")?,
            holder: r.try_get("holder")?,
            place: r.try_get("place")?,
            note: r.try_get("note")?,
            at: Timestamp(r.try_get("at")?),
        });
    }
    let sql = format!(
        "SELECT sample_id, item, unit, low, high, value, verdict FROM sup_sample_results \
         WHERE sample_id IN ({ids}) ORDER BY sample_id, seq"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    for r in &rows {
        let Some(&n) = index.get(&r.try_get::<i64, _>("sample_id")?) else { continue };
        list[n].results.push(TestItem {
            item: r.try_get("item")?,
            unit: r.try_get("unit")?,
            low: r.try_get("low")?,
            high: r.try_get("high")?,
            value: r.try_get("value")?,
            verdict: r.try_get("verdict")?,
        });
    }
    Ok(())
}

/// Samples by id with their custody and results, read on `conn` (a transaction's view or the
/// pool's), in id order.
async fn load(conn: &mut sqlx::AnyConnection, condition: &str, id: i64) -> Result<Vec<Sample>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE {condition} = $1 ORDER BY s.id");
    let rows = sqlx::query(&sql).bind(id).fetch_all(&mut *conn).await?;
    let mut list: Vec<Sample> = rows.iter().map(sample_row).collect::<Result<_>>()?;
    fill(conn, &mut list).await?;
    Ok(list)
}

async fn load_one(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Sample> {
    load(conn, "s.id", id).await?.pop().ok_or(IdentityError::NotFound("sample").into())
}

/// Writes a sample's current state as its next version, in `tx`.
async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    (action, reason): (&str, &str),
    client: &ClientInfo,
) -> Result<RecordVersion> {
    let s = load_one(tx, id).await?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: s.version,
        data: image(&s),
        action,
        reason,
        audit: audit::action::SUP_SAMPLE,
        target: format!("sup_sample:{id} {} {action}", s.number),
    };
    Ok(yaolian_records::step::record(tx, principal, step, client).await?)
}

fn check_plan(new: &NewPlan, model: &risk::Model) -> Result<()> {
    let mut e = ValidationError::new();
    if !(2000..=2100).contains(&new.year) {
        e.push("year", "range:2000..2100", "the plan's year");
    }
    e.length("title", &new.title, 1, 200);
    e.length("basis", &new.basis, 0, 2000);
    if !(1..=MAX_QUOTA).contains(&new.quota) {
        e.push("quota", format!("range:1..{MAX_QUOTA}"), "how many batches to sample");
    }
    if new.classes.len() > model.classes.len() {
        e.push("classes", "count", "the model's product classes");
    }
    for (n, c) in new.classes.iter().enumerate().take(model.classes.len() + 1) {
        if !model.classes.iter().any(|k| &k.code == c) {
            e.push(format!("classes[{n}]"), "one_of_model_classes", "a product class of the risk model");
        }
    }
    if new.levels.len() > risk::LEVELS.len() {
        e.push("levels", "count", "risk levels");
    }
    for (n, l) in new.levels.iter().enumerate().take(risk::LEVELS.len() + 1) {
        if !risk::LEVELS.iter().any(|(c, _)| c == l) {
            e.push(format!("levels[{n}]"), "one_of:high,medium,low", "a risk level");
        }
    }
    Ok(e.into_result()?)
}

/// Makes a sampling plan (`supervision.manage` in the principal's bureau) and its tasks, in one
/// transaction: the active products of the companies in reach whose class and maker's risk level
/// the plan names, the riskiest makers first (level, then points), up to the quota.
pub async fn create_plan(
    store: &Store,
    principal: &Principal,
    new: &NewPlan,
    client: &ClientInfo,
) -> Result<SamplingPlan> {
    let mut p = Params::new();
    let scope = match yaolian_access::scope_filter(principal, perm::SUPERVISION_MANAGE, &mut p) {
        Some(scope) if principal.reaches(perm::SUPERVISION_MANAGE, principal.org_path()) => scope,
        _ => return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, "sup_sampling_plans", client).await),
    };
    let models = Models::load(store).await?;
    check_plan(new, &models.for_path(principal.org_path()).model)?;
    let sql = format!(
        "SELECT d.id, d.approval_number, d.generic_name, d.dosage_form, o.id AS company_id, o.path, sc.detail \
         FROM products d JOIN orgs o ON o.id = d.mah_org_id \
         LEFT JOIN sup_scores sc ON sc.subject = 'company' AND sc.subject_id = o.id \
         WHERE d.status = 'active' AND o.kind = 'company' AND {scope} ORDER BY d.id"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    // (level index: high first, points, product, company, level)
    let mut picked: Vec<(usize, i64, i64, i64, String)> = Vec::new();
    for r in &rows {
        let (level, points) = match r.try_get::<Option<String>, _>("detail")? {
            Some(detail) => {
                let score: Score = decode_json(&detail, "score")?;
                (score.level.clone(), score.intrinsic + score.compliance)
            }
            None => (String::new(), 0),
        };
        if !new.levels.is_empty() && !new.levels.contains(&level) {
            continue;
        }
        if !new.classes.is_empty() {
            let fact = ProductFact {
                id: r.try_get("id")?,
                approval_number: r.try_get("approval_number")?,
                generic_name: r.try_get("generic_name")?,
                dosage_form: r.try_get("dosage_form")?,
                makes: true,
            };
            let model = &models.for_path(&r.try_get::<String, _>("path")?).model;
            if !model.classes_of(&fact).iter().any(|c| new.classes.contains(&c.code)) {
                continue;
            }
        }
        let rank = risk::LEVELS.iter().position(|(c, _)| *c == level).unwrap_or(risk::LEVELS.len());
        picked.push((rank, -points, r.try_get("id")?, r.try_get("company_id")?, level));
    }
    picked.sort();
    picked.truncate(new.quota as usize);
    if picked.is_empty() {
        return Err(ValidationError::single("classes", "matches", "no product in reach matches the plan").into());
    }

    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let plan_id: i64 = sqlx::query(
        "INSERT INTO sup_sampling_plans (org_id, year, title, basis, classes, levels, quota, created_by, created_at, \
         version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $9) RETURNING id",
    )
    .bind(principal.org_id())
    .bind(new.year)
    .bind(new.title.trim())
    .bind(new.basis.trim())
    .bind(encode_json(&new.classes)?)
    .bind(encode_json(&new.levels)?)
    .bind(new.quota)
    .bind(principal.username())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(StoreError::from)?
    .try_get(0)?;
    let mut values = Vec::with_capacity(picked.len() * 10);
    for (seq, (_, _, product, company, level)) in picked.iter().enumerate() {
        values.extend([
            Value::I64(plan_id),
            Value::I64(principal.org_id()),
            Value::Text(format!("CY-{}-{plan_id}-{:04}", new.year, seq + 1)),
            Value::I64(*company),
            Value::I64(*product),
            Value::from(level.as_str()),
            Value::from("planned"),
            Value::I64(now.0),
            Value::I64(1),
            Value::I64(now.0),
        ]);
    }
    const HEAD: &str = "INSERT INTO sup_samples (plan_id, org_id, number, company_id, product_id, level, status, \
         created_at, version, updated_at)";
    yaolian_store::sql::insert_rows(&mut tx, HEAD, "", 10, values).await.map_err(StoreError::from)?;
    let samples = load(&mut tx, "s.plan_id", plan_id).await?;
    let images: Vec<(String, serde_json::Value)> = samples.iter().map(|s| (s.id.to_string(), image(s))).collect();
    crate::plans::version_new(&mut tx, principal, ENTITY, &images, ("plan", "列入抽检计划")).await?;
    let plan = plan_in(&mut tx, plan_id).await?;
    let reason = format!("制定 {} 年抽检计划“{}”：{} 批次", new.year, plan.title, samples.len());
    let step = yaolian_records::step::Step {
        entity: PLAN_ENTITY,
        id: plan_id,
        version: 1,
        data: plan_image(&plan),
        action: "create",
        reason: &reason,
        audit: audit::action::SUP_SAMPLE,
        target: format!("sup_sampling_plan:{plan_id} create"),
    };
    yaolian_records::step::record(&mut tx, principal, step, client).await?;
    tx.commit().await?;
    with_counts(store, plan).await
}

async fn plan_in(conn: &mut sqlx::AnyConnection, id: i64) -> Result<SamplingPlan> {
    let row = sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM {PLAN_FROM} WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    plan_row(&row)
}

async fn with_counts(store: &Store, plan: SamplingPlan) -> Result<SamplingPlan> {
    let mut one = [plan];
    fill_counts(store, &mut one).await?;
    let [plan] = one;
    Ok(plan)
}

/// Each plan's tasks counted by state, in [`STATUSES`]' order (one grouped query).
async fn fill_counts(store: &Store, list: &mut [SamplingPlan]) -> Result<()> {
    for plan in list.iter_mut() {
        plan.counts = STATUSES.iter().map(|(c, _)| (c.to_string(), 0)).collect();
    }
    if list.is_empty() {
        return Ok(());
    }
    let mut p = Params::new();
    let ids: Vec<String> = list.iter().map(|x| p.push(x.id)).collect();
    let sql = format!(
        "SELECT plan_id, status, COUNT(*) AS n FROM sup_samples WHERE plan_id IN ({}) GROUP BY plan_id, status",
        ids.join(", ")
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    for r in &rows {
        let (plan_id, status, n): (i64, String, i64) = (r.try_get("plan_id")?, r.try_get("status")?, r.try_get("n")?);
        if let Some(plan) = list.iter_mut().find(|x| x.id == plan_id) {
            if let Some(slot) = plan.counts.iter_mut().find(|(c, _)| *c == status) {
                slot.1 = n;
            }
        }
    }
    Ok(())
}

/// One sampling plan the principal reads (`supervision.read` in its bureau).
pub async fn plan(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<SamplingPlan> {
    let sql = format!("SELECT {PLAN_COLUMNS}, o.path AS org_path FROM {PLAN_FROM} WHERE p.id = $1");
    let row = yaolian_identity::readable::row(
        store,
        principal,
        perm::SUPERVISION_READ,
        &sql,
        id,
        (PLAN_ENTITY, "sampling plan"),
        client,
    )
    .await?;
    with_counts(store, plan_row(&row)?).await
}

/// The sampling plans the principal reads, newest first, with their tasks counted by state.
pub async fn plans(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<SamplingPlan>> {
    let shape = (PLAN_COLUMNS, PLAN_FROM, "p.year DESC, p.id DESC");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_sampling_plans",
        shape,
        |_| None,
        1_000,
        0,
        client,
    );
    let (rows, _) = page.await?;
    let mut list: Vec<SamplingPlan> = rows.iter().map(plan_row).collect::<Result<_>>()?;
    fill_counts(store, &mut list).await?;
    Ok(list)
}

/// A page of a plan's samples (the plan read by the principal), by number, and the total.
pub async fn samples_of(
    store: &Store,
    principal: &Principal,
    plan_id: i64,
    filter: &Filter,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Sample>, i64)> {
    plan(store, principal, plan_id, client).await?;
    let narrow = |p: &mut Params| {
        let mut w = vec![format!("s.plan_id = {}", p.push(plan_id))];
        if STATUSES.iter().any(|(c, _)| *c == filter.status) {
            w.push(format!("s.status = {}", p.push(filter.status.clone())));
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["m.name", "d.generic_name", "s.number", "s.batch"], q));
        }
        Some(w.join(" AND "))
    };
    let shape = (COLUMNS, FROM, "s.id");
    let page = yaolian_identity::readable::page(
        store,
        principal,
        perm::SUPERVISION_READ,
        "sup_samples",
        shape,
        narrow,
        limit,
        offset,
        client,
    );
    let (rows, total) = page.await?;
    let list = rows.iter().map(sample_row).collect::<Result<_>>()?;
    Ok((list, total))
}

/// One sample the principal reads, with its custody and results.
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Sample> {
    let sql = format!("SELECT s.id, o.path AS org_path FROM {FROM} WHERE s.id = $1");
    yaolian_identity::readable::row(store, principal, perm::SUPERVISION_READ, &sql, id, (ENTITY, "sample"), client)
        .await?;
    let mut conn = store.pool().acquire().await?;
    load_one(&mut conn, id).await
}

fn wrong(s: &Sample, action: &'static str) -> SupervisionError {
    SupervisionError::WrongState { number: s.number.clone(), status: s.status.clone(), action }
}

/// The sample, refused unless the principal holds `supervision.manage` in its bureau, it is in
/// one of `states` and at `version`.
async fn managed(
    store: &Store,
    principal: &Principal,
    id: i64,
    (states, action): (&[&str], &'static str),
    version: i64,
    client: &ClientInfo,
) -> Result<Sample> {
    let s = get(store, principal, id, client).await?;
    let path = yaolian_identity::orgs::path_of(store, "org_id", s.org_id).await?;
    if !principal.reaches(perm::SUPERVISION_MANAGE, &path) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_sample:{id}"), client).await);
    }
    if !states.contains(&s.status.as_str()) {
        return Err(wrong(&s, action));
    }
    if s.version != version {
        return Err(IdentityError::Conflict(format!("sample {} changed meanwhile; reload", s.number)).into());
    }
    Ok(s)
}

/// Bumps the sample's version (expecting `s.version`) with the columns `set` names, in `tx`.
async fn update(tx: &mut Tx<'_>, s: &Sample, set: &str, values: Vec<Value>) -> Result<()> {
    crate::rows::bump(tx, ("sup_samples", s.id, s.version), set, values, &format!("sample {}", s.number)).await
}

/// Adds a custody step, in `tx`.
async fn add_custody(
    tx: &mut Tx<'_>,
    s: &Sample,
    (action, holder): (&str, &str),
    place: &str,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sup_sample_custody (sample_id, seq, action, holder, place, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.id)
    .bind(s.custody.len() as i64 + 1)
    .bind(action)
    .bind(holder)
    .bind(place.trim())
    .bind(note.trim())
    .bind(Timestamp::now().0)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from)?;
    Ok(())
}

/// The bureau's officers who may sample, hold and test (`supervision.manage` there), as
/// `(login, name)`.
pub async fn officers(store: &Store, s: &Sample) -> Result<Vec<(String, String)>> {
    crate::cases::managers_of(store, s.org_id).await
}

/// Gives a planned (or re-gives an assigned) task to a sampling team of at least two of the
/// bureau's officers (`supervision.manage`).
pub async fn assign(
    store: &Store,
    principal: &Principal,
    id: i64,
    members: &[String],
    version: i64,
    client: &ClientInfo,
) -> Result<Sample> {
    let s = managed(store, principal, id, (&["planned", "assigned"], "assign"), version, client).await?;
    let allowed = officers(store, &s).await?;
    let mut team: Vec<String> = Vec::new();
    let mut e = ValidationError::new();
    if members.len() > 10 {
        e.push("members", "count:2..10", "two to ten samplers");
        return Err(e.into());
    }
    for (n, m) in members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).enumerate() {
        if team.iter().any(|t| t == m) {
            continue;
        }
        if !allowed.iter().any(|(login, _)| login == m) {
            e.push(format!("members[{n}]"), "may_sample", "an officer of the bureau");
            continue;
        }
        team.push(m.to_string());
    }
    if team.len() < 2 {
        e.push("members", "two_samplers", "sampling needs at least two samplers (抽样人员不得少于2名)");
    }
    e.into_result()?;
    let who = crate::onsite::joined_names(store, &team.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let mut tx = store.begin().await?;
    update(&mut tx, &s, "team = $1, status = 'assigned'", vec![Value::Text(encode_json(&team)?)]).await?;
    save(&mut tx, principal, id, ("assign", &format!("派发抽样任务，抽样人员：{who}")), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Records the sample as taken by a member of its team, who then holds it.
pub async fn take(store: &Store, principal: &Principal, id: i64, t: &Taken, client: &ClientInfo) -> Result<Sample> {
    let s = managed(store, principal, id, (&["assigned"], "sample"), t.version, client).await?;
    if !s.team.iter().any(|m| m == principal.username()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_sample:{id}"), client).await);
    }
    let mut e = ValidationError::new();
    e.length("batch", &t.batch, 1, 20);
    if t.batch.contains(',') {
        e.push("batch", "batch", "a batch number has no comma");
    }
    e.length("quantity", &t.quantity, 1, 100);
    e.length("place", &t.place, 1, 200);
    e.length("seal", &t.seal, 1, 50);
    e.into_result()?;
    let mut tx = store.begin().await?;
    let set = "batch = $1, quantity = $2, place = $3, seal = $4, sampled_at = $5, status = 'sampled'";
    let values = vec![
        Value::from(t.batch.trim()),
        Value::from(t.quantity.trim()),
        Value::from(t.place.trim()),
        Value::from(t.seal.trim()),
        Value::I64(Timestamp::now().0),
    ];
    update(&mut tx, &s, set, values).await?;
    add_custody(&mut tx, &s, ("sampled", principal.username()), &t.place, &format!("封签 {}", t.seal.trim())).await?;
    let reason = format!("抽样：批号 {}，数量 {}，封签 {}", t.batch.trim(), t.quantity.trim(), t.seal.trim());
    save(&mut tx, principal, id, ("sample", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Hands the sample on (its holder, while it travels to testing): the new holder is one of the
/// bureau's officers.
pub async fn hand_over(
    store: &Store,
    principal: &Principal,
    id: i64,
    h: &Handover,
    client: &ClientInfo,
) -> Result<Sample> {
    let s = managed(store, principal, id, (&["sampled"], "hand over"), h.version, client).await?;
    if s.holder() != Some(principal.username()) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_MANAGE, &format!("sup_sample:{id}"), client).await);
    }
    let mut e = ValidationError::new();
    e.length("place", &h.place, 0, 200);
    e.length("note", &h.note, 0, 500);
    let to = h.to.trim();
    if to == principal.username() || !officers(store, &s).await?.iter().any(|(login, _)| login == to) {
        e.push("to", "officer", "another officer of the bureau");
    }
    e.into_result()?;
    let mut tx = store.begin().await?;
    update(&mut tx, &s, "status = $1", vec![Value::from("sampled")]).await?;
    add_custody(&mut tx, &s, ("handover", to), &h.place, &h.note).await?;
    let reason = format!(
        "样品移交：{} → {}",
        crate::onsite::joined_names(store, &[principal.username()]).await?,
        crate::onsite::joined_names(store, &[to]).await?
    );
    save(&mut tx, principal, id, ("handover", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Receives the sample for testing (an officer not on the sampling team, or its holder), its
/// seal checked intact; the receiver holds it and it is being tested.
pub async fn receive(
    store: &Store,
    principal: &Principal,
    id: i64,
    h: &Handover,
    client: &ClientInfo,
) -> Result<Sample> {
    let s = managed(store, principal, id, (&["sampled"], "receive"), h.version, client).await?;
    let mut e = ValidationError::new();
    e.length("place", &h.place, 0, 200);
    e.length("note", &h.note, 0, 500);
    if !h.seal_intact {
        e.push("seal_intact", "accepted", "a sample whose seal is not intact is refused (封签不完整，拒收)");
    }
    if s.team.iter().any(|m| m == principal.username()) && s.holder() != Some(principal.username()) {
        e.push("to", "holder", "the sample is received by its holder or someone not on the sampling team");
    }
    e.into_result()?;
    let mut tx = store.begin().await?;
    update(&mut tx, &s, "status = $1", vec![Value::from("received")]).await?;
    add_custody(&mut tx, &s, ("received", principal.username()), &h.place, &h.note).await?;
    save(&mut tx, principal, id, ("receive", "收样，封签完好"), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// A decimal as text (digits, at most one point, an optional sign), and its value.
fn decimal(text: &str) -> Option<f64> {
    let t = text.trim();
    let digits = t.strip_prefix('-').unwrap_or(t);
    let ok = !digits.is_empty()
        && digits.len() <= 20
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|c| *c == '.').count() <= 1
        && digits.chars().any(|c| c.is_ascii_digit());
    if ok {
        t.parse().ok()
    } else {
        None
    }
}

/// Judges an item against its specification: `Err((rule, message))` names what is wrong with it.
pub fn judge(item: &TestItem) -> std::result::Result<&'static str, (&'static str, &'static str)> {
    let (low, high) = (item.low.trim(), item.high.trim());
    if low.is_empty() && high.is_empty() {
        return match item.value.trim() {
            "符合规定" => Ok("pass"),
            "不符合规定" => Ok("fail"),
            _ => Err(("one_of:符合规定,不符合规定", "a judgement in words: 符合规定 or 不符合规定")),
        };
    }
    let lo = if low.is_empty() { None } else { Some(decimal(low).ok_or(("decimal", "the lower limit as a number"))?) };
    let hi =
        if high.is_empty() { None } else { Some(decimal(high).ok_or(("decimal", "the upper limit as a number"))?) };
    let v = decimal(&item.value).ok_or(("decimal", "the measured value as a number"))?;
    if let (Some(l), Some(h)) = (lo, hi) {
        if l > h {
            return Err(("limits", "the lower limit is not above the upper"));
        }
    }
    let within = lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
    Ok(if within { "pass" } else { "fail" })
}

/// Records the test results (an officer of the bureau, once received; again before the report
/// is signed), each item judged; the sample fails when any item does.
pub async fn record_results(
    store: &Store,
    principal: &Principal,
    id: i64,
    r: &Results,
    client: &ClientInfo,
) -> Result<Sample> {
    let s = managed(store, principal, id, (&["received", "tested"], "test"), r.version, client).await?;
    let mut e = ValidationError::new();
    if r.items.is_empty() || r.items.len() > MAX_ITEMS {
        e.push("items", format!("count:1..{MAX_ITEMS}"), "the items tested");
        return Err(e.into());
    }
    e.length("conclusion", &r.conclusion, 0, 2000);
    let mut items = Vec::with_capacity(r.items.len());
    for (n, item) in r.items.iter().enumerate() {
        e.length(&format!("items[{n}].item"), &item.item, 1, 100);
        e.length(&format!("items[{n}].unit"), &item.unit, 0, 20);
        e.length(&format!("items[{n}].value"), &item.value, 1, 50);
        if r.items[..n].iter().any(|other| other.item.trim() == item.item.trim()) {
            e.push(format!("items[{n}].item"), "unique", "each item once");
        }
        match judge(item) {
            Ok(verdict) => items.push(TestItem {
                item: item.item.trim().into(),
                unit: item.unit.trim().into(),
                low: item.low.trim().into(),
                high: item.high.trim().into(),
                value: item.value.trim().into(),
                verdict: verdict.into(),
            }),
            Err((rule, message)) => {
                let field = if message.contains("limit") { "low" } else { "value" };
                e.push(format!("items[{n}].{field}"), rule, message);
            }
        }
    }
    e.into_result()?;
    let verdict = if items.iter().any(|i| i.verdict == "fail") { "fail" } else { "pass" };
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM sup_sample_results WHERE sample_id = $1").bind(id).execute(&mut *tx).await?;
    let mut values = Vec::with_capacity(items.len() * 10);
    for (n, item) in items.iter().enumerate() {
        values.extend([
            Value::I64(id),
            Value::I64(n as i64 + 1),
            Value::from(item.item.as_str()),
            Value::from(item.unit.as_str()),
            Value::from(item.low.as_str()),
            Value::from(item.high.as_str()),
            Value::from(item.value.as_str()),
            decimal(&item.value).map_or(Value::NullF64, Value::F64),
            Value::from(item.verdict.as_str()),
        ]);
    }
    const HEAD: &str =
        "INSERT INTO sup_sample_results (sample_id, seq, item, unit, low, high, value, value_num, verdict)";
    yaolian_store::sql::insert_rows(&mut tx, HEAD, "", 9, values).await.map_err(StoreError::from)?;
    let set = "verdict = $1, conclusion = $2, tested_by = $3, status = 'tested'";
    let values = vec![Value::from(verdict), Value::from(r.conclusion.trim()), Value::from(principal.username())];
    update(&mut tx, &s, set, values).await?;
    let failed: Vec<&str> = items.iter().filter(|i| i.verdict == "fail").map(|i| i.item.as_str()).collect();
    let reason = if failed.is_empty() {
        format!("录入检验结果：{} 项，均符合规定", items.len())
    } else {
        format!("录入检验结果：{} 项，{} 不符合规定", items.len(), failed.join("、"))
    };
    save(&mut tx, principal, id, ("test", &reason), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// Signs the report (检验报告, an officer other than who entered the results, re-entering their
/// password): the sample is `passed` or `failed`. A failing batch's report, in the same
/// transaction, raises its disposal case and orders the recall of the batch (level
/// [`RECALL_LEVEL`]), both named on the sample; the maker's 一企一档 timeline shows it and its
/// score is recomputed.
#[allow(clippy::too_many_arguments)]
pub async fn sign_report(
    store: &Store,
    identity: &IdentityConfig,
    principal: &Principal,
    id: i64,
    version: i64,
    (password, totp): (&str, Option<&str>),
    client: &ClientInfo,
) -> Result<Sample> {
    let s = managed(store, principal, id, (&["tested"], "report"), version, client).await?;
    if s.tested_by.as_deref() == Some(principal.username()) {
        return Err(SupervisionError::SamePerson { step: "report" });
    }
    esign::reauthenticate(store, identity, principal, password, totp, &format!("sup_sample:{id} report"), client)
        .await?;
    let failed = s.verdict == "fail";
    let cal = if failed { Some(yaolian_services::Calendar::load(store).await?) } else { None };
    let mut tx = store.begin().await?;
    let status = if failed { "failed" } else { "passed" };
    update(&mut tx, &s, "status = $1", vec![Value::from(status)]).await?;
    let items: Vec<&str> = s.results.iter().filter(|i| i.verdict == "fail").map(|i| i.item.as_str()).collect();
    let mut reason = format!("签发检验报告：{}", zh(STATUSES, status));
    if let Some(cal) = &cal {
        let title = format!("抽检不合格：{} 批号 {}", s.product_name, s.batch);
        let description =
            format!("抽检编号 {}，{} 项不符合规定：{}。已责令召回该批次。", s.number, items.len(), items.join("、"));
        let source_ref = s.id.to_string();
        let text = (title.as_str(), description.as_str(), "high");
        let case_id =
            crate::cases::insert(&mut tx, principal, cal, s.mah_org_id, ("sample", &source_ref), text, client).await?;
        let recall = yaolian_trace::recall::NewRecall {
            product_id: s.product_id,
            batches: vec![s.batch.clone()],
            level: RECALL_LEVEL,
            reason: format!("抽检不合格（{}）：{}", s.number, items.join("、")),
        };
        let recall_id = yaolian_trace::recall::order(&mut tx, principal, &recall, client).await?;
        sqlx::query("UPDATE sup_samples SET case_id = $1, recall_id = $2 WHERE id = $3")
            .bind(case_id)
            .bind(recall_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        reason.push_str(&format!("，立风险处置案件并责令召回（召回 #{recall_id}）"));
    }
    let written = save(&mut tx, principal, id, ("report", &reason), client).await?;
    esign::sign_in_tx(&mut tx, principal, password, "approve", &written, client).await?;
    let title = format!("抽检 {} {} 批号 {}：{}", s.number, s.product_name, s.batch, zh(STATUSES, status));
    let link = format!("/supervision/samples/{id}");
    let event = yaolian_registry::timeline::NewEvent {
        org_id: s.mah_org_id,
        product_id: Some(s.product_id),
        module: "supervision",
        kind: if failed { "sample_failed" } else { "sample_passed" },
        title: &title,
        link: &link,
    };
    yaolian_registry::timeline::add(&mut tx, &event).await?;
    tx.commit().await?;
    if failed {
        let trigger = format!("抽检 {} 不合格", s.number);
        crate::scores::recompute(store, principal, Some(&[s.mah_org_id]), &trigger, client).await?;
    }
    get(store, principal, id, client).await
}

/// The report's signatures.
pub async fn signatures(store: &Store, id: i64) -> Result<Vec<esign::SignatureView>> {
    let history = versions::history(store.pool(), ENTITY, &id.to_string()).await?;
    Ok(esign::signatures_for(store, &history).await?)
}

/// Each numeric result item of a tested sample beside the same item of the product's other
/// tested batches of the same maker, and of other makers' products of the same 通用名 (one
/// grouped query).
pub async fn compare(store: &Store, s: &Sample) -> Result<Vec<Comparison>> {
    let rows = sqlx::query(
        "SELECT r.item, CASE WHEN d.mah_org_id = $1 THEN 1 ELSE 0 END AS own, COUNT(*) AS n, \
         SUM(CASE WHEN r.verdict = 'fail' THEN 1 ELSE 0 END) AS failed, \
         AVG(r.value_num) AS mean, MIN(r.value_num) AS lo, MAX(r.value_num) AS hi \
         FROM sup_sample_results r JOIN sup_samples s ON s.id = r.sample_id JOIN products d ON d.id = s.product_id \
         WHERE d.generic_name = $2 AND s.id <> $3 AND s.status IN ('tested', 'passed', 'failed') \
         AND r.value_num IS NOT NULL GROUP BY r.item, CASE WHEN d.mah_org_id = $1 THEN 1 ELSE 0 END",
    )
    .bind(s.mah_org_id)
    .bind(&s.generic_name)
    .bind(s.id)
    .fetch_all(store.pool())
    .await?;
    let mut by: HashMap<(String, i64), Figures> = HashMap::new();
    for r in &rows {
        let key = (r.try_get::<String, _>("item")?, r.try_get::<i64, _>("own")?);
        by.insert(
            key,
            Figures {
                samples: r.try_get("n")?,
                failed: r.try_get("failed")?,
                mean: r.try_get("mean")?,
                min: r.try_get("lo")?,
                max: r.try_get("hi")?,
            },
        );
    }
    let mut out = Vec::new();
    for item in &s.results {
        let Some(v) = decimal(&item.value) else { continue };
        let own = by.get(&(item.item.clone(), 1)).cloned().unwrap_or_default();
        let others = by.get(&(item.item.clone(), 0)).cloned().unwrap_or_default();
        let beyond = |f: &Figures| match (f.min, f.max) {
            (Some(lo), Some(hi)) => v < lo || v > hi,
            _ => false,
        };
        let known = [&own, &others].iter().filter(|f| f.min.is_some()).count();
        let outside = known > 0 && [&own, &others].iter().filter(|f| f.min.is_some()).all(|f| beyond(f));
        out.push(Comparison {
            item: item.item.clone(),
            unit: item.unit.clone(),
            value: item.value.clone(),
            verdict: item.verdict.clone(),
            own_batches: own,
            other_makers: others,
            outside,
        });
    }
    Ok(out)
}

/// A plan's samples as an exported table.
pub fn table(list: &[Sample]) -> audit::Table {
    let rows = list.iter().map(|s| {
        vec![
            s.number.clone(),
            s.company_name.clone(),
            s.product_name.clone(),
            risk::level_zh(&s.level).to_string(),
            s.batch.clone(),
            zh(STATUSES, &s.status).to_string(),
            zh(VERDICTS, &s.verdict).to_string(),
        ]
    });
    audit::Table {
        title: "抽检任务".into(),
        header: ["抽检编号", "企业", "品种", "风险等级", "批号", "状态", "检验结论"].map(String::from).to_vec(),
        rows: rows.collect(),
    }
}

/// Every sampling plan and sample whose row differs from its latest ledgered version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows =
        sqlx::query(&format!("SELECT {PLAN_COLUMNS} FROM {PLAN_FROM} ORDER BY p.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let p = plan_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: p.id.to_string(), data: plan_image(&p) });
    }
    let mut drifts = yaolian_store::state::check(store, PLAN_ENTITY, images).await?;
    let mut conn = store.pool().acquire().await?;
    let mut images = Vec::new();
    for r in &rows {
        for s in load(&mut conn, "s.plan_id", r.try_get("id")?).await? {
            images.push(yaolian_store::state::Image { entity_id: s.id.to_string(), data: image(&s) });
        }
    }
    drop(conn);
    drifts.extend(yaolian_store::state::check(store, ENTITY, images).await?);
    Ok(drifts)
}
