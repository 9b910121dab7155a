//! `yaolian bench signals`: signal detection over a million adverse reaction reports (issue 21:
//! "signal detection time over 1,000,000 reports, aim < 10 s").
//!
//! Makes `reports` reports from a seeded generator — 600 drugs reported with Zipf-like
//! frequencies, one or two suspected drugs and one to three of the 71 terms each, twenty planted
//! drug × event pairs reported five times as often as chance — and tallies them as the write path
//! counts a report (`adr::Counts::tally`). The counts go into `adr_counts` of a fresh database
//! under the fixture province, as the write path leaves them. Then it times, in the same run:
//! reading the counts (`adr::counts`, the baseline: what any detection must read), the pure
//! detection (`detection::detect`: the prior's fit and every pair's four measures), and the whole
//! run a bureau starts (`detection::run`: read, detect, keep the signals as ledgered versions).
//! Reports themselves are not stored: detection reads only the counts.

use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::time::Instant;
use yaolian_access::ClientInfo;
use yaolian_signals::adr::{self, Counts};
use yaolian_signals::detection;
use yaolian_store::sql::Value;

/// Marsaglia's xorshift64: seeded, the same reports every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A draw from 0..n, small values more often (a drug's share ∝ 1 / (rank + 10)).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        // Inverse of the CDF of 1/(x + 10) on [0, n).
        let x = 10.0 * ((n as f64 + 10.0) / 10.0).powf(u) - 10.0;
        (x as usize).min(n - 1)
    }
}

const DRUGS: usize = 600;
const PLANTED: usize = 20;

pub async fn run(pg: Option<&str>, reports: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    println!("\nbench signals: backend {name}, {reports} reports");
    let terms: Vec<&str> = yaolian_signals::terms::TERMS.iter().map(|t| t.code).collect();
    let drugs: Vec<String> = (0..DRUGS).map(|i| format!("基准药品{i:03}")).collect();
    // Planted pairs: drug 3k+1 with term k·3 (reported far more often than chance).
    let planted: Vec<(usize, usize)> = (0..PLANTED).map(|k| (3 * k + 1, (k * 3) % terms.len())).collect();
    let t = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut made: Vec<(BTreeSet<&str>, BTreeSet<&str>)> = Vec::with_capacity(reports);
    for _ in 0..reports {
        let mut ds = BTreeSet::new();
        let mut ts = BTreeSet::new();
        let first = rng.skewed(DRUGS);
        ds.insert(drugs[first].as_str());
        if rng.next().is_multiple_of(4) {
            ds.insert(drugs[rng.skewed(DRUGS)].as_str());
        }
        let events = 1 + (rng.next() % 3) as usize;
        for _ in 0..events {
            ts.insert(terms[(rng.next() % terms.len() as u64) as usize]);
        }
        if let Some((_, term)) = planted.iter().find(|(d, _)| *d == first) {
            if rng.next().is_multiple_of(8) {
                ts.insert(terms[*term]);
            }
        }
        made.push((ds, ts));
    }
    let generated = t.elapsed();
    let t = Instant::now();
    let counts = Counts::tally(made.iter().map(|(d, t)| (d.clone(), t.clone())));
    let tallied = t.elapsed();
    drop(made);
    println!(
        "made {reports} reports in {:.1} s; tallied {} pairs, {} drugs, {} terms in {:.2} s",
        generated.as_secs_f64(),
        counts.pairs.len(),
        counts.drugs.len(),
        counts.terms.len(),
        tallied.as_secs_f64()
    );

    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let world = yaolian_identity::fixtures::world(&store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo::default();
    let mut values = Vec::with_capacity((counts.pairs.len() + counts.drugs.len() + counts.terms.len() + 1) * 4);
    let mut row = |drug: &str, term: &str, n: u64| {
        values.extend([
            Value::I64(world.province),
            Value::Text(drug.to_string()),
            Value::Text(term.to_string()),
            Value::I64(i64::try_from(n).unwrap_or(i64::MAX)),
        ]);
    };
    for ((d, t), n) in &counts.pairs {
        row(d, t, *n);
    }
    for (d, n) in &counts.drugs {
        row(d, "", *n);
    }
    for (t, n) in &counts.terms {
        row("", t, *n);
    }
    row("", "", counts.total);
    {
        let mut tx = store.begin().await?;
        yaolian_store::sql::insert_rows(
            &mut tx,
            "INSERT INTO adr_counts (region_org_id, drug, term, n)",
            "",
            4,
            values,
        )
        .await?;
        tx.commit().await?;
    }
    let inspector = {
        let id =
            yaolian_identity::fixtures::user(&store, &sys, world.province, "bench.inspector", false, &["inspector"])
                .await?;
        yaolian_identity::auth::principal_for_user(&store, id).await?
    };

    let t = Instant::now();
    let read = adr::counts(&store, &inspector, &client).await?;
    let read_time = t.elapsed();
    anyhow::ensure!(read == counts, "the stored counts read back differ");
    let t = Instant::now();
    let found = detection::detect(&read);
    let detect_time = t.elapsed();
    let found_planted = planted
        .iter()
        .filter(|(d, k)| found.signals.iter().any(|s| s.drug == drugs[*d] && s.term == terms[*k]))
        .count();
    let t = Instant::now();
    let outcome = detection::run(&store, &inspector, &client).await?;
    let run_time = t.elapsed();
    let fit = found.fit.as_ref();
    println!("baseline: read the counts of {} pairs in {:.2} s", read.pairs.len(), read_time.as_secs_f64());
    println!(
        "detect (fit the prior in {} likelihood evaluations, measure {} pairs four ways): {:.2} s; {} signals, {found_planted} of {PLANTED} planted pairs",
        fit.map(|f| f.evaluations).unwrap_or(0),
        found.pairs,
        detect_time.as_secs_f64(),
        found.signals.len()
    );
    println!(
        "whole run (read, detect, keep {} new signals as versions): {:.2} s = {:.1}× the read",
        outcome.new_signals,
        run_time.as_secs_f64(),
        run_time.as_secs_f64() / read_time.as_secs_f64().max(1e-9)
    );
    if let Some(f) = fit {
        println!(
            "prior: α₁ {:.4} β₁ {:.4} α₂ {:.4} β₂ {:.4} P {:.4}",
            f.prior.alpha1, f.prior.beta1, f.prior.alpha2, f.prior.beta2, f.prior.p
        );
    }
    Ok(())
}

/// Parameters the black-box bench streams (10 lines of 5).
const LINES: usize = 10;
const PER_LINE: usize = 5;
/// Points per call, and per parameter and batch.
const CALL: usize = 5_000;
const BATCH: usize = 2_000;

/// `yaolian bench signals`, black box part: `points` process points streamed through
/// `blackbox::ingest` in calls of 5,000 (50 parameters × 100 points, 1% of them late: their
/// time a few minutes before their series' latest), each call stored, folded, judged by the
/// eight Nelson rules, EWMA and CUSUM and anchored; against the baseline of inserting the same
/// point rows in the same calls into a fresh database (multi-row inserts, one transaction each).
pub async fn run_blackbox(pg: Option<&str>, points: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    println!("\nbench signals (black box): backend {name}, {points} points in calls of {CALL}");
    let parameters = LINES * PER_LINE;
    let per_call = CALL / parameters;
    let calls = points.div_ceil(CALL);
    let start = yaolian_core::Timestamp::now().0 - (calls * per_call) as i64 * 1_000 - 3_600_000;
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    // Call c, parameter p, point k: time start + (c·per_call + k) s; batch by BATCH points.
    let made: Vec<Vec<(usize, String, i64, f64)>> = (0..calls)
        .map(|c| {
            let mut call = Vec::with_capacity(CALL);
            for p in 0..parameters {
                for k in 0..per_call {
                    let i = c * per_call + k;
                    let late = rng.next().is_multiple_of(100) && i > 10;
                    let t = if late { i - 5 } else { i };
                    // A sum of three uniforms: near normal, σ = 1.
                    let z = (0..3).map(|_| (rng.next() % 10_000) as f64 / 10_000.0 - 0.5).sum::<f64>() * 2.0;
                    call.push((p, format!("B{:04}", i / BATCH), start + t as i64 * 1_000, z));
                }
            }
            call
        })
        .collect();

    // Baseline: the same rows, inserted raw.
    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let (store, ids, qa) = blackbox_world(&db.store).await?;
    let t = Instant::now();
    for call in &made {
        let mut tx = store.begin().await?;
        let ingest: i64 = sqlx::query_scalar(
            "INSERT INTO bb_ingests (org_id, count, late, root, time_from, time_to, actor, received_at) \
             VALUES ($1, 0, 0, '', 0, 0, 'bench', 0) RETURNING id",
        )
        .bind(qa.org_id())
        .fetch_one(&mut *tx)
        .await?;
        let mut values = Vec::with_capacity(call.len() * 6);
        for (pos, (p, batch, ts, v)) in call.iter().enumerate() {
            values.extend([
                Value::I64(ingest),
                Value::I64(pos as i64),
                Value::I64(ids[*p]),
                Value::Text(batch.clone()),
                Value::I64(*ts),
                Value::F64(*v),
            ]);
        }
        yaolian_store::sql::insert_rows(
            &mut tx,
            "INSERT INTO bb_points (ingest_id, pos, parameter_id, batch, ts, value)",
            "",
            6,
            values,
        )
        .await?;
        tx.commit().await?;
    }
    let raw = t.elapsed();

    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let (store, _, qa) = blackbox_world(&db.store).await?;
    let client = ClientInfo::default();
    let t = Instant::now();
    let (mut late, mut warnings) = (0i64, 0usize);
    for call in &made {
        let mut by: std::collections::BTreeMap<(usize, &str), Vec<yaolian_signals::blackbox::PointIn>> =
            std::collections::BTreeMap::new();
        for (p, batch, ts, v) in call {
            by.entry((*p, batch.as_str())).or_default().push(yaolian_signals::blackbox::PointIn {
                time: yaolian_core::Timestamp(*ts).to_rfc3339(),
                value: *v,
            });
        }
        let series = by
            .into_iter()
            .map(|((p, batch), points)| yaolian_signals::blackbox::SeriesIn {
                line: format!("L{:02}", p / PER_LINE),
                parameter: format!("p{}", p % PER_LINE),
                batch: batch.to_string(),
                points,
            })
            .collect();
        let receipt =
            yaolian_signals::blackbox::ingest(&store, &qa, &yaolian_signals::blackbox::Ingest { series }, &client)
                .await?;
        late += receipt.late;
        warnings += receipt.warnings.len();
    }
    let judged = t.elapsed();
    let total = made.iter().map(Vec::len).sum::<usize>() as f64;
    println!(
        "baseline: raw insert of the same rows: {:.2} s = {:.0} points/s",
        raw.as_secs_f64(),
        total / raw.as_secs_f64().max(1e-9)
    );
    println!(
        "ingest (check, store, fold, judge by 10 rules, anchor): {:.2} s = {:.0} points/s = {:.1}× the raw insert; \
         {late} late points, {warnings} warnings",
        judged.as_secs_f64(),
        total / judged.as_secs_f64().max(1e-9),
        judged.as_secs_f64() / raw.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// A fresh database's company with [`LINES`] lines of [`PER_LINE`] parameters (centre 0, σ 1):
/// the parameters' ids and the company's quality head.
async fn blackbox_world(
    store: &yaolian_store::Store,
) -> Result<(yaolian_store::Store, Vec<i64>, yaolian_access::Principal)> {
    use yaolian_signals::blackbox::{self, NewLine, NewParameter};
    let world = yaolian_identity::fixtures::world(store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let id =
        yaolian_identity::fixtures::user(store, &sys, world.company_a, "bench.qa", false, &["quality_head"]).await?;
    let qa = yaolian_identity::auth::principal_for_user(store, id).await?;
    let client = ClientInfo::default();
    let mut ids = Vec::new();
    for l in 0..LINES {
        let line = NewLine { code: format!("L{l:02}"), name: format!("生产线{l}"), product: String::new() };
        let line = blackbox::create_line(store, &qa, &line, &client).await?;
        for p in 0..PER_LINE {
            let new = NewParameter {
                code: format!("p{p}"),
                name: format!("参数{p}"),
                unit: String::new(),
                subgroup: 1,
                center: 0.0,
                sigma: 1.0,
                lsl: Some(-4.0),
                usl: Some(4.0),
            };
            ids.push(blackbox::add_parameter(store, &qa, line.id, &new, &client).await?.id);
        }
    }
    Ok((store.clone(), ids, qa))
}
