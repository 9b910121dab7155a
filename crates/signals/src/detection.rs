//! Signal detection (信号检测) over the reports in a bureau's region, and the signals it keeps.
//!
//! A run reads the counts ([`crate::adr::counts`]), fits the gamma-Poisson shrinker's prior to
//! every reported drug × event pair, and measures each pair four ways (PRR with χ² by Evans's
//! criteria; ROR with its 95% interval; the IC with IC₀₂₅; EBGM with EB05; formulas in
//! [`crate::stats`]). A pair is a signal when a frequentist method (PRR or ROR) and a Bayesian
//! one (IC or EBGM) both flag it ([`is_signal`]), each with its own threshold ([`flags`]) and
//! every method asking for at least 3 reports: the frequentist measures alone flag many pairs of
//! few reports by chance (2% of the pairs of a million random reports in `bench signals`), which
//! the shrinkage of the Bayesian ones holds back. Signals are
//! kept per bureau (entity `adr_signal`): found, re-measured at each run (a version when a
//! figure changed), decided — kept under watch (继续观察), refuted (排除) — or raised as a case
//! in supervision's closed loop about the holder its reports name most. The run itself is a
//! version (entity `adr_run`) with its counts and the fitted prior.
//!
//! `signals.manage` in the bureau runs and decides; `signals.read` reads.

use crate::adr::{self, Counts};
use crate::error::{Result, SignalError};
use crate::stats::disproportionality::{self as dp, Interval, Table};
use crate::stats::ebgm::{self, Cell, Fit};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::HashSet;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::{Timestamp, ValidationError};
use yaolian_identity::IdentityError;
use yaolian_store::sql::{Params, Value};
use yaolian_store::{Store, StoreError, Tx};

pub const ENTITY: &str = "adr_signal";
pub const RUN_ENTITY: &str = "adr_run";

/// States, code and Chinese name.
pub const STATUSES: &[(&str, &str)] =
    &[("new", "新信号，待评价"), ("watch", "继续观察"), ("refuted", "已排除"), ("case", "已转风险处置")];

/// The methods, code and Chinese name with its threshold.
pub const METHODS: &[(&str, &str)] = &[
    ("prr", "比例报告比法（比值≥2、χ²≥4）"),
    ("ror", "报告比值比法（95%置信区间下限>1）"),
    ("ic", "贝叶斯置信传播神经网络法（信息成分下限>0）"),
    ("ebgm", "伽马泊松缩减法（几何均数 5%下限≥2）"),
];

/// Whether the methods that flag a pair make it a signal: a frequentist one and a Bayesian one.
pub fn is_signal(methods: &[String]) -> bool {
    let has = |m: &str| methods.iter().any(|x| x == m);
    (has("prr") || has("ror")) && (has("ic") || has("ebgm"))
}

/// Reports a pair needs before any method flags it (Evans et al. 2001's n ≥ 3, applied to all).
pub const MIN_REPORTS: u64 = 3;

/// One pair's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Measures {
    pub drug: String,
    /// The event term's code.
    pub term: String,
    /// Reports naming both (a).
    pub n: u64,
    pub n_drug: u64,
    pub n_term: u64,
    pub total: u64,
    /// Expected count E.
    pub expected: f64,
    #[schema(value_type = Option<Object>)]
    pub prr: Option<Interval>,
    pub chi2: f64,
    #[schema(value_type = Option<Object>)]
    pub ror: Option<Interval>,
    #[schema(value_type = Object)]
    pub ic: Interval,
    pub ebgm: Option<f64>,
    pub eb05: Option<f64>,
    /// The methods that flag the pair.
    pub methods: Vec<String>,
}

/// The methods that flag a pair with these figures (n ≥ [`MIN_REPORTS`] for every one).
pub fn flags(t: &Table, ic: &Interval, eb05: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    if t.a < MIN_REPORTS {
        return out;
    }
    if dp::evans_signal(t) {
        out.push("prr".to_string());
    }
    if dp::ror(t).is_some_and(|r| r.lower > 1.0) {
        out.push("ror".to_string());
    }
    if ic.lower > 0.0 {
        out.push("ic".to_string());
    }
    if eb05.is_some_and(|e| e >= 2.0) {
        out.push("ebgm".to_string());
    }
    out
}

/// The measures of one pair under a fitted prior (`None`: no EBGM). EB05 is computed when EBGM
/// reaches 2 or `always` (the 5% quantile lies below the geometric mean, so below 2 it cannot flag).
pub fn measure(counts: &Counts, drug: &str, term: &str, prior: Option<&ebgm::Prior>, always: bool) -> Option<Measures> {
    let n = counts.pairs.get(&(drug.to_string(), term.to_string())).copied().unwrap_or(0);
    let n_drug = counts.drugs.get(drug).copied().unwrap_or(0);
    let n_term = counts.terms.get(term).copied().unwrap_or(0);
    let t = Table::from_margins(n, n_drug, n_term, counts.total)?;
    Some(measure_table(drug, term, &t, prior, always))
}

fn measure_table(drug: &str, term: &str, t: &Table, prior: Option<&ebgm::Prior>, always: bool) -> Measures {
    let expected = t.expected();
    let ic = dp::information_component(t);
    let (ebgm, eb05) = match prior {
        Some(p) if expected > 0.0 => {
            let post = ebgm::posterior(p, t.a, expected);
            let gm = post.ebgm();
            let eb05 = (always || gm >= 2.0).then(|| post.quantile(0.05)).filter(|q| q.is_finite());
            (Some(gm).filter(|g| g.is_finite()), eb05)
        }
        _ => (None, None),
    };
    let methods = flags(t, &ic, eb05);
    Measures {
        drug: drug.to_string(),
        term: term.to_string(),
        n: t.a,
        n_drug: t.a + t.b,
        n_term: t.a + t.c,
        total: t.total(),
        expected,
        prr: dp::prr(t),
        chi2: dp::chi_square_yates(t),
        ror: dp::ror(t),
        ic,
        ebgm,
        eb05,
        methods,
    }
}

/// What a run finds: the fitted prior and the pairs that are signals.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub fit: Option<Fit>,
    pub pairs: usize,
    pub signals: Vec<Measures>,
}

/// Detection over counts (pure; the benchmark times it): fit the prior to every reported pair,
/// measure each, keep the signals ([`is_signal`]).
pub fn detect(counts: &Counts) -> Detection {
    let mut keys: Vec<(&(String, String), u64)> = counts.pairs.iter().map(|(k, n)| (k, *n)).collect();
    keys.sort();
    let tables: Vec<(&(String, String), Table)> = keys
        .iter()
        .filter_map(|(k, n)| {
            let nd = counts.drugs.get(&k.0).copied().unwrap_or(0);
            let nt = counts.terms.get(&k.1).copied().unwrap_or(0);
            Table::from_margins(*n, nd, nt, counts.total).map(|t| (*k, t))
        })
        .collect();
    let cells: Vec<Cell> =
        tables.iter().filter(|(_, t)| t.a > 0).map(|(_, t)| Cell { n: t.a, e: t.expected(), weight: 1.0 }).collect();
    let fit = ebgm::fit(&cells, &[]);
    let prior = fit.as_ref().map(|f| &f.prior);
    let signals = tables
        .iter()
        .filter(|(_, t)| t.a >= MIN_REPORTS)
        .map(|((drug, term), t)| measure_table(drug, term, t, prior, false))
        .filter(|m| is_signal(&m.methods))
        .collect();
    Detection { fit, pairs: tables.len(), signals }
}

/// A kept signal.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Signal {
    pub id: i64,
    pub org_id: i64,
    /// XH-YYYY-NNNNN.
    pub number: String,
    pub drug: String,
    pub term: String,
    pub term_zh: String,
    pub n: i64,
    pub expected: f64,
    pub prr: Option<f64>,
    pub prr_lower: Option<f64>,
    pub chi2: f64,
    pub ror: Option<f64>,
    pub ror_lower: Option<f64>,
    pub ic: f64,
    pub ic025: f64,
    pub ebgm: Option<f64>,
    pub eb05: Option<f64>,
    /// Methods that flagged it at the latest run, comma-separated.
    pub methods: String,
    pub status: String,
    pub note: String,
    pub decided_by: Option<String>,
    pub case_id: Option<i64>,
    pub case_number: Option<String>,
    pub run_id: i64,
    pub first_run_id: i64,
    #[schema(value_type = i64)]
    pub created_at: Timestamp,
    pub version: i64,
}

const COLUMNS: &str = "s.id, s.org_id, s.number, s.drug, s.term, s.n, s.expected, s.prr, s.prr_lower, s.chi2, s.ror, \
     s.ror_lower, s.ic, s.ic025, s.ebgm, s.eb05, s.methods, s.status, s.note, s.decided_by, s.case_id, \
     k.number AS case_number, s.run_id, s.first_run_id, s.created_at, s.version, o.path AS org_path";
const FROM: &str = "adr_signals s JOIN orgs o ON o.id = s.org_id LEFT JOIN sup_cases k ON k.id = s.case_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Signal> {
    let term: String = r.try_get("term")?;
    Ok(Signal {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        number: r.try_get("number")?,
        drug: r.try_get("drug")?,
        term_zh: crate::terms::zh(&term).to_string(),
        term,
        n: r.try_get("n")?,
        expected: r.try_get("expected")?,
        prr: r.try_get("prr")?,
        prr_lower: r.try_get("prr_lower")?,
        chi2: r.try_get("chi2")?,
        ror: r.try_get("ror")?,
        ror_lower: r.try_get("ror_lower")?,
        ic: r.try_get("ic")?,
        ic025: r.try_get("ic025")?,
        ebgm: r.try_get("ebgm")?,
        eb05: r.try_get("eb05")?,
        methods: r.try_get("methods")?,
        status: r.try_get("status")?,
        note: r.try_get("note")?,
        decided_by: r.try_get("decided_by")?,
        case_id: r.try_get("case_id")?,
        case_number: r.try_get("case_number")?,
        run_id: r.try_get("run_id")?,
        first_run_id: r.try_get("first_run_id")?,
        created_at: Timestamp(r.try_get("created_at")?),
        version: r.try_get("version")?,
    })
}

/// A figure as its versions bind it: four decimals of text (a real in a ledgered image is text).
fn fig(x: f64) -> String {
    format!("{x:.4}")
}

fn fig_opt(x: Option<f64>) -> Option<String> {
    x.filter(|v| v.is_finite()).map(fig)
}

/// The image its versions bind.
fn image(s: &Signal) -> serde_json::Value {
    serde_json::json!({
        "id": s.id, "org_id": s.org_id, "number": s.number, "drug": s.drug, "term": s.term, "n": s.n,
        "expected": fig(s.expected), "prr": fig_opt(s.prr), "prr_lower": fig_opt(s.prr_lower),
        "chi2": fig(s.chi2), "ror": fig_opt(s.ror), "ror_lower": fig_opt(s.ror_lower), "ic": fig(s.ic),
        "ic025": fig(s.ic025), "ebgm": fig_opt(s.ebgm), "eb05": fig_opt(s.eb05), "methods": s.methods,
        "status": s.status, "note": s.note, "decided_by": s.decided_by, "case_id": s.case_id,
        "first_run_id": s.first_run_id,
    })
}

async fn load(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Signal> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut *conn).await?;
    from_row(&row.ok_or(IdentityError::NotFound("signal"))?)
}

async fn save(
    tx: &mut Tx<'_>,
    principal: &Principal,
    id: i64,
    action: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<Signal> {
    let s = load(tx, id).await?;
    let step = yaolian_records::step::Step {
        entity: ENTITY,
        id,
        version: s.version,
        data: image(&s),
        action,
        reason,
        audit: audit::action::ADR_SIGNAL,
        target: format!("adr_signal:{id} {} {action}", s.number),
    };
    yaolian_records::step::record(tx, principal, step, client).await?;
    Ok(s)
}

/// A run's summary.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Run {
    pub id: i64,
    pub org_id: i64,
    pub ran_by: String,
    #[schema(value_type = i64)]
    pub ran_at: Timestamp,
    pub reports: i64,
    pub pairs: i64,
    pub signals: i64,
    /// The fitted prior (α₁, β₁, α₂, β₂, P), JSON; `null` when there was nothing to fit.
    pub prior: String,
    pub millis: i64,
    /// Signals found for the first time in this run.
    pub new_signals: i64,
}

/// Runs detection over the reports in the principal's region (`signals.manage` in its bureau;
/// the counts of its `signals.read` scope) and keeps what it finds: a new signal per pair not kept
/// before, the figures of every kept signal brought up to date (a version where one changed).
pub async fn run(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Run> {
    if !principal.org_kind().is_regulator() || !principal.reaches(perm::SIGNALS_MANAGE, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SIGNALS_MANAGE, "adr_signals", client).await);
    }
    let started = std::time::Instant::now();
    let counts = adr::counts(store, principal, client).await?;
    let (counts, found) = tokio::task::spawn_blocking(move || {
        let d = detect(&counts);
        (counts, d)
    })
    .await
    .map_err(|e| IdentityError::Store(StoreError::Corrupt(format!("detection stopped: {e}"))))?;
    let prior = found.fit.as_ref().map(|f| f.prior);
    let kept: Vec<Signal> = {
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.org_id = $1 ORDER BY s.id");
        let rows = sqlx::query(&sql).bind(principal.org_id()).fetch_all(store.pool()).await?;
        rows.iter().map(from_row).collect::<Result<_>>()?
    };
    let millis = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let now = Timestamp::now();
    let prior_json = serde_json::to_string(&prior).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut tx = store.begin().await?;
    let run_id: i64 = sqlx::query(
        "INSERT INTO adr_runs (org_id, ran_by, ran_at, reports, pairs, signals, prior, millis) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(principal.org_id())
    .bind(principal.username())
    .bind(now.0)
    .bind(i64::try_from(counts.total).unwrap_or(i64::MAX))
    .bind(to_i64(found.pairs))
    .bind(to_i64(found.signals.len()))
    .bind(&prior_json)
    .bind(millis)
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    let run_version = run_image(
        run_id,
        principal.org_id(),
        now.0,
        (i64::try_from(counts.total).unwrap_or(i64::MAX), to_i64(found.pairs), to_i64(found.signals.len())),
        &prior_json,
    );
    yaolian_store::versions::append(
        &mut tx,
        yaolian_store::NewVersion {
            entity: RUN_ENTITY,
            entity_id: &run_id.to_string(),
            actor: principal.username(),
            action: "run",
            reason: "",
            data: &run_version,
            expected_version: Some(0),
        },
    )
    .await?;
    let target = format!("adr_run:{run_id} {} reports, {} signals", counts.total, found.signals.len());
    audit::record(&mut tx, audit::Event::by(principal, audit::action::ADR_RUN, &target, client)).await?;
    let by_pair: HashSet<(&str, &str)> = kept.iter().map(|s| (s.drug.as_str(), s.term.as_str())).collect();
    let mut new_signals = 0i64;
    // Kept signals, re-measured (flagged or not any more): a version when a figure changed.
    for s in &kept {
        let Some(m) = measure(&counts, &s.drug, &s.term, prior.as_ref(), true) else { continue };
        let changed = image(&apply(s, &m)) != image(s);
        set_measures(&mut tx, s, &m, run_id, changed).await?;
        if changed {
            save(&mut tx, principal, s.id, "measure", "信号检测重新计算", client).await?;
        }
    }
    for m in &found.signals {
        if by_pair.contains(&(m.drug.as_str(), m.term.as_str())) {
            continue;
        }
        let m = measure(&counts, &m.drug, &m.term, prior.as_ref(), true).unwrap_or_else(|| m.clone());
        let id = insert(&mut tx, principal.org_id(), &m, run_id, now).await?;
        save(&mut tx, principal, id, "found", "", client).await?;
        new_signals += 1;
    }
    tx.commit().await?;
    Ok(Run {
        id: run_id,
        org_id: principal.org_id(),
        ran_by: principal.username().to_string(),
        ran_at: now,
        reports: i64::try_from(counts.total).unwrap_or(i64::MAX),
        pairs: i64::try_from(found.pairs).unwrap_or(i64::MAX),
        signals: i64::try_from(found.signals.len()).unwrap_or(i64::MAX),
        prior: prior_json,
        millis,
        new_signals,
    })
}

/// A kept signal with a run's figures.
fn apply(s: &Signal, m: &Measures) -> Signal {
    Signal {
        n: i64::try_from(m.n).unwrap_or(i64::MAX),
        expected: m.expected,
        prr: m.prr.map(|p| p.estimate),
        prr_lower: m.prr.map(|p| p.lower),
        chi2: m.chi2,
        ror: m.ror.map(|r| r.estimate),
        ror_lower: m.ror.map(|r| r.lower),
        ic: m.ic.estimate,
        ic025: m.ic.lower,
        ebgm: m.ebgm,
        eb05: m.eb05,
        methods: m.methods.join(","),
        ..s.clone()
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The image a run's version binds.
fn run_image(
    id: i64,
    org_id: i64,
    ran_at: i64,
    (reports, pairs, signals): (i64, i64, i64),
    prior: &str,
) -> serde_json::Value {
    serde_json::json!({
        "id": id, "org_id": org_id, "ran_at": ran_at, "reports": reports, "pairs": pairs,
        "signals": signals, "prior": prior,
    })
}

/// Runs whose row differs from their version.
pub async fn run_drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query("SELECT id, org_id, ran_at, reports, pairs, signals, prior FROM adr_runs ORDER BY id")
        .fetch_all(store.pool())
        .await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let counts = (r.try_get("reports")?, r.try_get("pairs")?, r.try_get("signals")?);
        let prior: String = r.try_get("prior")?;
        let data = run_image(id, r.try_get("org_id")?, r.try_get("ran_at")?, counts, &prior);
        images.push(yaolian_store::state::Image { entity_id: id.to_string(), data });
    }
    Ok(yaolian_store::state::check(store, RUN_ENTITY, images).await?)
}

fn measure_values(m: &Measures) -> Vec<Value> {
    // A figure that is not a number (no interval, a quantile that did not converge) is NULL.
    let opt = |x: Option<f64>| x.filter(|v| v.is_finite()).map(Value::F64).unwrap_or(Value::NullF64);
    vec![
        Value::I64(i64::try_from(m.n).unwrap_or(i64::MAX)),
        Value::F64(m.expected),
        opt(m.prr.map(|p| p.estimate)),
        opt(m.prr.map(|p| p.lower)),
        Value::F64(m.chi2),
        opt(m.ror.map(|r| r.estimate)),
        opt(m.ror.map(|r| r.lower)),
        Value::F64(m.ic.estimate),
        Value::F64(m.ic.lower),
        opt(m.ebgm),
        opt(m.eb05),
        Value::Text(m.methods.join(",")),
    ]
}

/// Writes a run's figures on a kept signal, a new version of it when `changed`.
async fn set_measures(tx: &mut Tx<'_>, s: &Signal, m: &Measures, run_id: i64, changed: bool) -> Result<()> {
    let mut p = Params::new();
    for v in measure_values(m) {
        p.push(v);
    }
    let run = p.push(run_id);
    let step = p.push(i64::from(changed));
    let now = p.push(Timestamp::now().0);
    let row = p.push(s.id);
    let version = p.push(s.version);
    let sql = format!(
        "UPDATE adr_signals SET n = $1, expected = $2, prr = $3, prr_lower = $4, chi2 = $5, ror = $6, ror_lower = $7, \
         ic = $8, ic025 = $9, ebgm = $10, eb05 = $11, methods = $12, run_id = {run}, version = version + {step}, \
         updated_at = {now} WHERE id = {row} AND version = {version}"
    );
    let done = p.bind(sqlx::query(&sql)).execute(&mut **tx).await?;
    if done.rows_affected() == 0 {
        return Err(IdentityError::Conflict(format!("signal {} changed meanwhile; run again", s.number)).into());
    }
    Ok(())
}

async fn insert(tx: &mut Tx<'_>, org_id: i64, m: &Measures, run_id: i64, now: Timestamp) -> Result<i64> {
    let provisional = format!("new-{org_id}-{run_id}-{}-{}", m.drug, m.term);
    let mut p = Params::new();
    for v in measure_values(m) {
        p.push(v);
    }
    let rest: Vec<String> = [
        Value::I64(org_id),
        Value::Text(provisional),
        Value::Text(m.drug.clone()),
        Value::Text(m.term.clone()),
        Value::I64(run_id),
        Value::I64(now.0),
    ]
    .into_iter()
    .map(|v| p.push(v))
    .collect();
    let sql = format!(
        "INSERT INTO adr_signals (n, expected, prr, prr_lower, chi2, ror, ror_lower, ic, ic025, ebgm, eb05, methods, \
           org_id, number, drug, term, run_id, first_run_id, created_at, status, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, {org}, {number}, {drug}, {term}, {run}, {run}, \
           {now}, 'new', 1, {now}) RETURNING id",
        org = rest[0],
        number = rest[1],
        drug = rest[2],
        term = rest[3],
        run = rest[4],
        now = rest[5],
    );
    let id: i64 = p.bind(sqlx::query(&sql)).fetch_one(&mut **tx).await.map_err(StoreError::from)?.try_get(0)?;
    // 信号编号: XH + year + the signal's number.
    let number = format!("XH-{}-{id:05}", now.china_date().format("%Y"));
    sqlx::query("UPDATE adr_signals SET number = $1 WHERE id = $2").bind(&number).bind(id).execute(&mut **tx).await?;
    Ok(id)
}

/// One signal, if the principal may read it (`signals.read` in its bureau).
pub async fn get(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<Signal> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1");
    let row =
        yaolian_identity::readable::row(store, principal, perm::SIGNALS_READ, &sql, id, (ENTITY, "signal"), client)
            .await?;
    from_row(&row)
}

/// What a list of signals is narrowed by.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Filter {
    /// A state's code, or `open` (new and watched).
    #[serde(default)]
    pub status: String,
    /// Drug name or number.
    #[serde(default)]
    pub q: String,
}

/// Sort keys of the signal list.
pub const SORTS: &[(&str, &str)] = &[
    ("recent", "s.id DESC"),
    ("n", "s.n DESC, s.id DESC"),
    ("ic025", "s.ic025 DESC, s.id DESC"),
    ("prr", "s.prr DESC, s.id DESC"),
];

/// A page of the signals in the principal's scope (`signals.read`).
pub async fn list(
    store: &Store,
    principal: &Principal,
    filter: &Filter,
    sort: &str,
    (limit, offset): (i64, i64),
    client: &ClientInfo,
) -> Result<(Vec<Signal>, i64)> {
    let narrow = |p: &mut Params| {
        let mut w = Vec::new();
        match filter.status.as_str() {
            "open" => w.push("s.status IN ('new', 'watch')".to_string()),
            s if STATUSES.iter().any(|(c, _)| *c == s) => w.push(format!("s.status = {}", p.push(s.to_string()))),
            _ => {}
        }
        let q = filter.q.trim();
        if !q.is_empty() {
            w.push(p.like_any(&["s.drug", "s.number"], q));
        }
        (!w.is_empty()).then(|| w.join(" AND "))
    };
    let order = SORTS.iter().find(|(k, _)| *k == sort).map(|(_, o)| *o).unwrap_or(SORTS[0].1);
    let (rows, total) = yaolian_identity::readable::page(
        store,
        principal,
        perm::SIGNALS_READ,
        "adr_signals",
        (COLUMNS, FROM, order),
        narrow,
        limit,
        offset,
        client,
    )
    .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_>>()?, total))
}

/// The latest runs of the principal's bureau.
pub async fn runs(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Vec<Run>> {
    if !principal.reaches(perm::SIGNALS_READ, principal.org_path()) {
        return Err(audit::deny(store, principal, perm::SIGNALS_READ, "adr_runs", client).await);
    }
    let rows = sqlx::query(
        "SELECT r.id, r.org_id, r.ran_by, r.ran_at, r.reports, r.pairs, r.signals, r.prior, r.millis, \
           (SELECT COUNT(*) FROM adr_signals s WHERE s.first_run_id = r.id) AS new_signals \
         FROM adr_runs r WHERE r.org_id = $1 ORDER BY r.id DESC LIMIT 20",
    )
    .bind(principal.org_id())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Run {
                id: r.try_get("id")?,
                org_id: r.try_get("org_id")?,
                ran_by: r.try_get("ran_by")?,
                ran_at: Timestamp(r.try_get("ran_at")?),
                reports: r.try_get("reports")?,
                pairs: r.try_get("pairs")?,
                signals: r.try_get("signals")?,
                prior: r.try_get("prior")?,
                millis: r.try_get("millis")?,
                new_signals: r.try_get("new_signals")?,
            })
        })
        .collect()
}

/// A decision on a signal.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Decision {
    /// `watch` (继续观察) or `refute` (排除).
    pub action: String,
    /// Why: required.
    #[serde(default)]
    pub note: String,
}

fn check_manage(principal: &Principal, s: &Signal, path: &str) -> bool {
    principal.reaches(perm::SIGNALS_MANAGE, path) && s.org_id == principal.org_id()
}

async fn managed(store: &Store, principal: &Principal, id: i64, client: &ClientInfo) -> Result<(Signal, String)> {
    let s = get(store, principal, id, client).await?;
    let path: String =
        sqlx::query_scalar("SELECT path FROM orgs WHERE id = $1").bind(s.org_id).fetch_one(store.pool()).await?;
    if !check_manage(principal, &s, &path) {
        return Err(audit::deny(store, principal, perm::SIGNALS_MANAGE, &format!("adr_signal:{id}"), client).await);
    }
    Ok((s, path))
}

/// Whether the principal may decide signals of its bureau (what the pages offer).
pub fn may_manage(principal: &Principal, s: &Signal) -> bool {
    principal.has(perm::SIGNALS_MANAGE) && s.org_id == principal.org_id()
}

/// Decides a new or watched signal: keep it under watch or refute it, with a note
/// (`signals.manage` in the signal's bureau).
pub async fn decide(
    store: &Store,
    principal: &Principal,
    id: i64,
    d: &Decision,
    client: &ClientInfo,
) -> Result<Signal> {
    let (s, _) = managed(store, principal, id, client).await?;
    let status = decision_status(d)?;
    if !["new", "watch"].contains(&s.status.as_str()) {
        return Err(SignalError::WrongState { number: s.number, status: s.status, action: "decide" });
    }
    let mut tx = store.begin().await?;
    bump(
        &mut tx,
        &s,
        "status = $1, note = $2, decided_by = $3",
        vec![status.into(), d.note.trim().into(), principal.username().into()],
    )
    .await?;
    save(&mut tx, principal, id, &d.action, d.note.trim(), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The state a decision leads to (`watch` or `refuted`), its note checked: the rules of a
/// signal's and a black-box warning's decisions.
pub fn decision_status(d: &Decision) -> Result<&'static str> {
    let mut errors = ValidationError::new();
    let status = match d.action.as_str() {
        "watch" => "watch",
        "refute" => "refuted",
        _ => {
            errors.push("action", "one_of:watch,refute", "继续观察 or 排除");
            ""
        }
    };
    errors.length("note", &d.note, 1, 2000);
    errors.into_result()?;
    Ok(status)
}

async fn bump(tx: &mut Tx<'_>, s: &Signal, set: &str, values: Vec<Value>) -> Result<()> {
    let what = format!("signal {}", s.number);
    Ok(yaolian_records::step::bump(tx, ("adr_signals", s.id, s.version), set, values, &what).await?)
}

/// What raising a case from a signal takes.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Raise {
    /// The company the case concerns; the holder the signal's reports name most when absent.
    #[serde(default)]
    pub company_id: Option<i64>,
    /// Why: required.
    #[serde(default)]
    pub note: String,
}

/// Confirms a signal and raises a case about it in supervision's closed loop (source `signal`,
/// one per signal), in one transaction: `signals.manage` in the signal's bureau and
/// `supervision.manage` with the company in reach.
pub async fn raise_case(
    store: &Store,
    principal: &Principal,
    id: i64,
    r: &Raise,
    client: &ClientInfo,
) -> Result<Signal> {
    let (s, _) = managed(store, principal, id, client).await?;
    let mut errors = ValidationError::new();
    errors.length("note", &r.note, 1, 2000);
    errors.into_result()?;
    if !["new", "watch"].contains(&s.status.as_str()) {
        return Err(SignalError::WrongState { number: s.number, status: s.status, action: "raise a case" });
    }
    let company = match r.company_id {
        Some(c) => c,
        None => adr::top_holder(store, principal, &s.drug, &s.term, client).await?.ok_or_else(|| {
            ValidationError::single("company_id", "required", "the reports name no holder: choose the company")
        })?,
    };
    let reach = yaolian_supervision::cases::raise_reach(store, principal, company, client).await?;
    let level = if s.methods.split(',').filter(|m| !m.is_empty()).count() >= 3 { "high" } else { "medium" };
    let title = format!("不良反应信号：{} — {}", s.drug, crate::terms::zh(&s.term));
    let description = format!(
        "信号 {}：报告数 {}，期望数 {:.2}；PRR {}，χ² {:.2}；ROR {}；IC₀₂₅ {:.2}；EB05 {}。检测方法：{}。{}",
        s.number,
        s.n,
        s.expected,
        s.prr.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into()),
        s.chi2,
        s.ror.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into()),
        s.ic025,
        s.eb05.map(|x| format!("{x:.2}")).unwrap_or_else(|| "—".into()),
        methods_zh(&s.methods),
        r.note.trim()
    );
    let mut tx = store.begin().await?;
    let source_ref = s.id.to_string();
    let (case_id, number) = yaolian_supervision::cases::raise_in(
        &mut tx,
        principal,
        &reach,
        ("signal", &source_ref),
        (&title, &description, level),
        client,
    )
    .await?;
    bump(
        &mut tx,
        &s,
        "status = 'case', note = $1, decided_by = $2, case_id = $3",
        vec![r.note.trim().into(), principal.username().into(), case_id.into()],
    )
    .await?;
    save(&mut tx, principal, id, "raise", &format!("转风险处置 {number}：{}", r.note.trim()), client).await?;
    tx.commit().await?;
    get(store, principal, id, client).await
}

/// The Chinese names of a comma-separated list of methods.
pub fn methods_zh(methods: &str) -> String {
    let names: Vec<&str> =
        methods.split(',').filter_map(|m| METHODS.iter().find(|(c, _)| *c == m).map(|(_, z)| *z)).collect();
    if names.is_empty() {
        "本次检测未提示".to_string()
    } else {
        names.join("、")
    }
}

/// Signals as an exported table.
pub fn table(list: &[Signal]) -> audit::Table {
    let opt = |x: Option<f64>| x.map(|v| format!("{v:.2}")).unwrap_or_default();
    let rows = list.iter().map(|s| {
        vec![
            s.number.clone(),
            s.drug.clone(),
            s.term_zh.clone(),
            s.n.to_string(),
            format!("{:.2}", s.expected),
            opt(s.prr),
            format!("{:.2}", s.chi2),
            opt(s.ror),
            opt(s.ror_lower),
            format!("{:.2}", s.ic),
            format!("{:.2}", s.ic025),
            opt(s.ebgm),
            opt(s.eb05),
            methods_zh(&s.methods),
            STATUSES.iter().find(|(c, _)| *c == s.status).map(|(_, z)| *z).unwrap_or("").to_string(),
            s.case_number.clone().unwrap_or_default(),
        ]
    });
    audit::Table::new(
        "不良反应信号",
        &[
            "信号编号",
            "药品",
            "不良反应",
            "报告数",
            "期望数",
            "PRR",
            "χ²",
            "ROR",
            "ROR下限",
            "IC",
            "IC025",
            "EBGM",
            "EB05",
            "提示方法",
            "状态",
            "风险处置编号",
        ],
        rows,
    )
}

/// Signals whose row differs from their latest version.
pub async fn drifts(store: &Store) -> Result<Vec<yaolian_store::state::Drift>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY s.id")).fetch_all(store.pool()).await?;
    let mut images = Vec::with_capacity(rows.len());
    for r in &rows {
        let s = from_row(r)?;
        images.push(yaolian_store::state::Image { entity_id: s.id.to_string(), data: image(&s) });
    }
    Ok(yaolian_store::state::check(store, ENTITY, images).await?)
}
