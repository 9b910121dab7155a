//! `yaolian bench trace`: drug traceability at volume, on SQLite and PostgreSQL in one run.
//!
//! 1. Bulk ingest of a generated chain whose 100,000-pack batch is later recalled: events/s
//!    through the whole engine (check, hash, dedupe, state, hierarchy, anomalies), against a
//!    baseline that inserts the same rows (events, event–code rows, code states) with no logic
//!    into a fresh database of the same backend.
//! 2. Capture through HTTP: EPCIS documents of 1,000 events posted to `/epcis/capture`, each
//!    awaited to its end.
//! 3. Growing the store to the target size (default 10 million events) with further chains of
//!    distinct codes; the setup time is printed.
//! 4. Verification (`GET /api/v1/trace/verify/{code}`) of random stored packs under concurrent
//!    load, against `/healthz` (one `SELECT 1`) in the same run.
//! 5. A recall of the 100,000-pack batch: holders, counts, marking, to-dos.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;
use yaolian_access::ClientInfo;
use yaolian_identity::fixtures;
use yaolian_registry::products::{self, NewProduct};
use yaolian_store::sql::{insert_rows, insert_rows_native, Value as Bind};
use yaolian_store::Store;
use yaolian_trace::capture::{prepare, prepare_in_background};
use yaolian_trace::generate::{generate, unit_code, Plan};
use yaolian_trace::ingest::{self, Incoming, Options};
use yaolian_web::{AppState, WebConfig};

/// What to measure.
pub struct TraceBench {
    pub events: usize,
    pub recall_packs: usize,
    pub duration: Duration,
    pub concurrency: usize,
    pub bulk_only: bool,
}

const CHUNK: usize = 25_000;
const DRUG_CODES: [&str; 2] = ["8100001", "8100002"];

fn day(offset: u64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default() + chrono::Days::new(offset)
}

/// Registers the two products and returns the fixture world and the generator's product list.
async fn products(store: &Store) -> Result<(fixtures::World, Vec<(String, i64)>)> {
    let w = fixtures::world(store).await?;
    let mut out = Vec::new();
    for (i, code) in DRUG_CODES.iter().enumerate() {
        let new = NewProduct {
            approval_number: format!("国药准字H2023{:04}", i + 1),
            generic_name: "盐酸二甲双胍片".into(),
            dosage_form: "片剂".into(),
            strength: "0.5g".into(),
            mah_org_id: w.company_a,
            drug_code: Some((*code).into()),
            ..Default::default()
        };
        let p =
            products::create(store, &yaolian_access::run_as_system::principal(), &new, &ClientInfo::default()).await?;
        out.push(((*code).to_string(), p.id));
    }
    Ok((w, out))
}

fn checked(events: &[Value], today: chrono::NaiveDate) -> Vec<Incoming> {
    events.chunks(CHUNK).enumerate().flat_map(|(n, c)| prepare(c, n * CHUNK, None, today).0).collect()
}

/// `events` in chunks of `CHUNK`, moved rather than copied.
fn chunked(events: Vec<Value>) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        out.push(rest.by_ref().take(CHUNK).collect());
    }
    out
}

/// Stores events (in chunks of `CHUNK`) through the engine, a transaction per chunk; returns
/// (stored, anomalies).
async fn ingest_all(store: &Store, chunks: Vec<Vec<Value>>) -> Result<(usize, usize)> {
    let today = day(1_000);
    let (mut stored, mut anomalies) = (0, 0);
    let options = Options::bulk();
    let mut pending = None;
    for chunk in chunks {
        let next = prepare_in_background(chunk, 0, today);
        if let Some(prev) = pending.replace(next) {
            let (good, _) = prev.await?;
            let o = ingest::store(store, good, options.clone()).await?;
            stored += o.stored;
            anomalies += o.anomalies;
        }
    }
    if let Some(prev) = pending {
        let (good, _) = prev.await?;
        let o = ingest::store(store, good, options.clone()).await?;
        stored += o.stored;
        anomalies += o.anomalies;
    }
    Ok((stored, anomalies))
}

/// The baseline: the rows the engine writes for these events — one per event, one per
/// (event, code, role), one state row per code — inserted as they are in transactions of the
/// same size, with no checking, hashing beyond what `prepare` did, dedupe, state or anomaly logic.
/// Returns the whole time and the time spent inserting into each of the three tables.
async fn raw_inserts(store: &Store, incoming: &[Incoming]) -> Result<(Duration, [Duration; 3])> {
    let started = Instant::now();
    let mut per_table = [Duration::ZERO; 3];
    let mut id = 0_i64;
    let mut seen = std::collections::HashSet::new();
    for chunk in incoming.chunks(CHUNK) {
        let mut events = Vec::with_capacity(chunk.len() * ingest::EVENT_ROWS.1);
        let mut epcs = Vec::new();
        let mut codes = Vec::new();
        for inc in chunk {
            id += 1;
            let e = &inc.event;
            events.extend([
                Bind::I64(id),
                Bind::Bytes(e.hash.to_vec()),
                e.event_id.clone().into(),
                Bind::Text(e.event_type.clone()),
                e.action.clone().into(),
                e.biz_step.clone().into(),
                e.disposition.clone().into(),
                e.read_point.clone().into(),
                e.biz_location.clone().into(),
                Bind::I64(e.event_time_ms),
                Bind::I64(e.event_time_ms),
                Bind::NullI64,
                Bind::Text(inc.body.clone()),
            ]);
            for (k, role) in e.keys.iter().map(|(k, r)| (k, r.code())).chain(e.parent.iter().map(|p| (p, 1))) {
                epcs.extend([Bind::Text(k.clone()), Bind::I64(id), Bind::I64(role)]);
                if seen.insert(k.clone()) {
                    codes.extend([
                        Bind::Text(k.clone()),
                        Bind::Text("unit".into()),
                        Bind::NullI64,
                        e.batch.clone().into(),
                        e.expiry.clone().into(),
                        Bind::Text("commissioned".into()),
                        e.site().map(str::to_string).into(),
                        Bind::NullText,
                        e.parent.clone().into(),
                        Bind::I64(e.event_time_ms),
                        Bind::I64(e.event_time_ms),
                        e.site().map(str::to_string).into(),
                        Bind::NullI64,
                    ]);
                }
            }
        }
        // The same connection and statements the engine writes through: native on a SQLite file.
        let tables: [((&'static str, usize), Vec<Bind>); 3] =
            [(ingest::EVENT_ROWS, events), (ingest::EVENT_EPC_ROWS, epcs), (ingest::CODE_ROWS, codes)];
        if store.has_native_sqlite() {
            let written = store.with_native_sqlite(move |conn| {
                let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let mut times = [Duration::ZERO; 3];
                for (((head, width), values), time) in tables.iter().zip(&mut times) {
                    let t = Instant::now();
                    insert_rows_native(&tx, head, "", *width, values)?;
                    *time = t.elapsed();
                }
                tx.commit()?;
                Ok::<_, anyhow::Error>(times)
            });
            for (sum, t) in per_table.iter_mut().zip(written.await?) {
                *sum += t;
            }
            continue;
        }
        let mut tx = store.begin().await?;
        for (((head, width), values), sum) in tables.into_iter().zip(&mut per_table) {
            let t = Instant::now();
            insert_rows(&mut tx, head, "", width, values).await?;
            *sum += t.elapsed();
        }
        tx.commit().await?;
    }
    Ok((started.elapsed(), per_table))
}

pub async fn run(pg: Option<&str>, b: &TraceBench) -> Result<()> {
    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let backend = store.backend().name();
    let (w, products) = products(&store).await?;
    println!(
        "bench trace: backend {backend}, {} cores, target {} events",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        b.events
    );

    // 1. Bulk ingest (a chain whose first batch has `recall_packs` packs), and the baseline.
    let plan = Plan {
        packs: b.recall_packs,
        batch_size: b.recall_packs,
        products: products[..1].to_vec(),
        start: day(0),
        anomalies: false,
        first_serial: 0,
    };
    let chain = generate(&plan);
    yaolian_trace::sites::upsert(&store, &chain.sites).await?;
    let n = chain.events.len();
    let chunks = chain.events.chunks(CHUNK).map(<[Value]>::to_vec).collect();
    let t = Instant::now();
    let (stored, anomalies) = ingest_all(&store, chunks).await?;
    let ours = t.elapsed();
    anyhow::ensure!(stored == n, "stored {stored} of {n}");
    let base_db = crate::bench::fresh(pg).await?;
    let t = Instant::now();
    let incoming = checked(&chain.events, day(1_000));
    let check_time = t.elapsed();
    // The EPCIS 2.0 JSON Schema's share of that (GS1's schema, per event).
    let t = Instant::now();
    let schema_refusals: usize =
        chain.events.iter().enumerate().map(|(i, e)| yaolian_trace::schema::event(e, i).len()).sum();
    let schema_time = t.elapsed();
    anyhow::ensure!(schema_refusals == 0, "the generated events fail the EPCIS schema");
    let t = Instant::now();
    let context = yaolian_trace::hash::Context::default();
    let hashed = chain
        .events
        .iter()
        .map(|e| yaolian_trace::hash::event_hash(e, &context, day(1_000))[0])
        .fold(0u8, |a, b| a ^ b);
    let hash_time = t.elapsed();
    let (base, per_table) = raw_inserts(&base_db.store, &incoming).await?;
    base_db.finish().await;
    let (ours_rate, base_rate) = (n as f64 / ours.as_secs_f64(), n as f64 / base.as_secs_f64());
    println!("{:<52} {:>12} {:>10} {:>8}", "bulk ingest", "events/s", "seconds", "ratio");
    println!(
        "{:<52} {:>12.0} {:>10.2}",
        "of which: checking and hashing (EPCIS, CBV, keys)",
        n as f64 / check_time.as_secs_f64(),
        check_time.as_secs_f64()
    );
    println!(
        "{:<52} {:>12.0} {:>10.2}",
        "of which: the EPCIS 2.0 JSON Schema alone",
        n as f64 / schema_time.as_secs_f64(),
        schema_time.as_secs_f64()
    );
    println!(
        "{:<52} {:>12.0} {:>10.2}",
        format!("of which: the CBV 2.0 event hash alone ({hashed:02x})"),
        n as f64 / hash_time.as_secs_f64(),
        hash_time.as_secs_f64()
    );
    println!("{:<52} {:>12.0} {:>10.2} {:>8.2}", "baseline: same rows, no logic", base_rate, base.as_secs_f64(), 1.0);
    // What each table alone would allow: the ceiling any engine writing that table has here.
    for (name, t) in ["events", "event–code rows", "code states"].iter().zip(per_table) {
        println!(
            "{:<52} {:>12.0} {:>10.2}",
            format!("of which: inserting {name}"),
            n as f64 / t.as_secs_f64(),
            t.as_secs_f64()
        );
    }
    println!(
        "{:<52} {:>12.0} {:>10.2} {:>8.2}",
        format!("engine: {n} events of {} packs, {anomalies} anomalies", b.recall_packs),
        ours_rate,
        ours.as_secs_f64(),
        ours_rate / base_rate
    );

    if b.bulk_only {
        db.finish().await;
        return Ok(());
    }

    // 2. Capture through HTTP in documents of 1,000 events.
    let sys = yaolian_access::run_as_system::principal();
    fixtures::user(&store, &sys, w.province, "bench.leader", false, &["regulator_leader"]).await?;
    let state = AppState::new(store.clone(), Default::default(), WebConfig::default());
    let local = crate::bench::Local::start(state).await?;
    let addr = local.addr;
    let client = reqwest::Client::builder().pool_max_idle_per_host(b.concurrency).build()?;
    let (cookie, csrf) = crate::bench::login(&client, &addr.to_string(), "bench.leader", fixtures::PASSWORD).await?;
    let http_plan =
        Plan { packs: 20_000, batch_size: 2_000, start: day(200), first_serial: 50_000_000, ..plan.clone() };
    let http_chain = generate(&http_plan);
    let t = Instant::now();
    let mut captured = 0;
    for docs in http_chain.events.chunks(2_000) {
        // Two documents in flight at a time.
        let mut jobs = Vec::new();
        for part in docs.chunks(1_000) {
            let doc = serde_json::json!({"type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-28T10:00:00+08:00", "epcisBody": {"eventList": part}});
            let r = client
                .post(format!("http://{addr}/epcis/capture"))
                .header("cookie", &cookie)
                .header("X-CSRF-Token", &csrf)
                .json(&doc)
                .send()
                .await?;
            anyhow::ensure!(r.status().as_u16() == 202, "capture: {}", r.status());
            jobs.push(r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string());
        }
        for job in jobs {
            loop {
                let s: Value =
                    client.get(format!("http://{addr}{job}")).header("cookie", &cookie).send().await?.json().await?;
                if s["running"] == false {
                    anyhow::ensure!(s["success"] == true, "capture failed: {s}");
                    captured += s["stored"].as_u64().unwrap_or(0) as usize;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let http_time = t.elapsed();
    println!(
        "{:<52} {:>12.0} {:>10.2}",
        format!("capture over HTTP: {captured} events in documents of 1,000"),
        captured as f64 / http_time.as_secs_f64(),
        http_time.as_secs_f64()
    );

    // 3. Grow the store to the target.
    let t = Instant::now();
    let mut total: usize = n + captured;
    let mut round = 0_u64;
    while total < b.events {
        round += 1;
        let grow = Plan {
            packs: 100_000,
            batch_size: 10_000,
            products: products.clone(),
            start: day(300 + round),
            anomalies: false,
            first_serial: 100_000_000 + round * 200_000,
        };
        let chain = generate(&grow);
        let (s, _) = ingest_all(&store, chunked(chain.events)).await?;
        total += s;
        eprint!("\rgrowing: {total} events, {:.0} s", t.elapsed().as_secs_f64());
    }
    if round > 0 {
        eprintln!();
    }
    println!("setup: grew the store to {total} events in {:.0} s", t.elapsed().as_secs_f64());
    if store.has_native_sqlite() {
        // A server at rest has its write-ahead log checkpointed; a bulk load just ended has not.
        let t = Instant::now();
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(store.pool()).await?;
        println!("settle: WAL checkpointed in {:.1} s", t.elapsed().as_secs_f64());
    }

    // 4. Verification of random stored packs under load.
    let mut urls = Vec::new();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // A unit of the bulk chain (one product), or of a growth round (products by pallet).
        let (code, serial) = if round == 0 || x.is_multiple_of(4) {
            (DRUG_CODES[0], 1 + (x >> 16) % b.recall_packs as u64)
        } else {
            let r = 1 + x % round;
            let k = (x >> 16) % 100_000;
            let pallet = k / 200;
            (DRUG_CODES[(pallet % 2) as usize], 100_000_000 + r * 200_000 + 1 + k)
        };
        let uri = unit_code(code, serial);
        urls.push(format!("http://{addr}/api/v1/trace/verify/{}", uri.trim_start_matches("urn:nmpa:code:")));
    }
    let probe = client.get(&urls[0]).header("cookie", &cookie).send().await?;
    let probe: Value = probe.json().await?;
    anyhow::ensure!(probe["valid"] == true, "verification probe: {probe}");
    let urls = std::sync::Arc::new(urls);
    let _ = crate::bench::load_many(&client, urls.clone(), &cookie, Duration::from_secs(1), b.concurrency).await;
    // Half the connections, then all: where latency is service time, and where it is queueing
    // on two shared cores.
    for conc in [(b.concurrency / 2).max(1), b.concurrency] {
        let health = crate::bench::load_many(
            &client,
            std::sync::Arc::new(vec![format!("http://{addr}/healthz")]),
            &cookie,
            b.duration,
            conc,
        )
        .await;
        let verify = crate::bench::load_many(&client, urls.clone(), &cookie, b.duration, conc).await;
        println!("verification at {total} events, {conc} connections:");
        crate::bench::print_figures(&[
            ("GET /healthz (baseline: SELECT 1)", health),
            ("GET /api/v1/trace/verify/{code}", verify),
        ]);
    }

    // 5. Recall of the 100,000-pack batch.
    let (product_id, batch) = (products[0].1, chain.batches[0].1.clone());
    let t = Instant::now();
    let r = yaolian_trace::recall::open(
        &store,
        &sys,
        &yaolian_trace::recall::NewRecall {
            product_id,
            batches: vec![batch.clone()],
            level: 1,
            reason: "bench".into(),
        },
        &ClientInfo::default(),
    )
    .await?;
    let recall_time = t.elapsed();
    println!(
        "recall of batch {batch} ({} packs): {} units still in the chain at {} holders, {:.3} s",
        b.recall_packs,
        r.total,
        r.holders.len(),
        recall_time.as_secs_f64()
    );
    local.stop().await;
    db.finish().await;
    Ok(())
}
