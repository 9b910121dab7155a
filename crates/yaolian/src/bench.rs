//! `yaolian bench …`: load benchmarks that print figures for docs/benchmarks.md.
//!
//! `bench http` seeds the demo into a fresh database (SQLite in a temporary directory, or a
//! fresh PostgreSQL database when `--database-url postgres://…` names a server), serves it on
//! a loopback port in this process, logs in as a demo user and drives concurrent keep-alive
//! clients. Each target is measured in the same run as two baselines, so the ratio survives
//! a noisy machine: a static asset (the HTTP stack alone) and `/healthz` (one `SELECT 1`).
//! It then measures logins per second, alone and beside `/healthz` load.

use anyhow::{Context, Result};
use clap::Subcommand;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use yaolian_store::testing::TestDb;
use yaolian_store::Store;
use yaolian_web::{AppState, WebConfig};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Authenticated GET /api/v1/me throughput and latency against two baselines; then logins
    /// per second, alone and beside /healthz load.
    Http {
        /// Seconds per target.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Public license verification (no login) under concurrent load against two baselines in
    /// the same run, on SQLite and (with --database-url postgres://…) PostgreSQL.
    License {
        /// Licenses issued (signed) before the load starts.
        #[arg(long, default_value_t = 10_000)]
        licenses: usize,
        /// Seconds per target.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
    /// Drug traceability: bulk ingest against raw inserts of the same rows, capture over HTTP in
    /// documents of 1,000 events, verification latency under load at a large store, and the
    /// recall of a 100,000-pack batch; SQLite, and PostgreSQL with --database-url postgres://….
    Trace {
        /// Events in the store when verification is measured.
        #[arg(long, default_value_t = 10_000_000)]
        events: usize,
        /// Packs in the batch that is ingested first and recalled last.
        #[arg(long, default_value_t = 100_000)]
        recall_packs: usize,
        /// Seconds per load target.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Measure bulk ingest and its baseline only (for tuning the engine).
        #[arg(long)]
        bulk_only: bool,
    },
    /// Ledger appends (single and batched) against raw inserts, proof latency, and full
    /// verification against a bare read of the same rows by the same native reader.
    Ledger {
        /// Entries in the tree for the proof-latency and verification figures (seeded in
        /// batches of 1,000 through the write path; seeding is not timed).
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Proofs to time.
        #[arg(long, default_value_t = 2_000)]
        proofs: usize,
    },
    /// Finding a reagent among many: registers `--items` items through the write path, then
    /// times the search by synonym, part of the Chinese name and CAS number against a plain
    /// LIKE over every name; SQLite, and PostgreSQL with --database-url postgres://….
    Inventory {
        #[arg(long, default_value_t = 100_000)]
        items: usize,
        /// Queries timed per kind.
        #[arg(long, default_value_t = 200)]
        samples: usize,
    },
    /// The instrument capture agent delivering `--results` files to the server (results/s)
    /// against bare round trips, and the page of a 500-field lab record against a static asset;
    /// SQLite, and PostgreSQL with --database-url postgres://….
    Lab {
        #[arg(long, default_value_t = 1_000)]
        results: usize,
        /// Requests per page, one after another.
        #[arg(long, default_value_t = 50)]
        samples: usize,
    },
    /// Risk scores and credit grades recomputed for a province's companies with their history,
    /// and the annual inspection plan generated from them, each next to the ledger appends of as
    /// many versions, on SQLite and (with --database-url postgres://…) PostgreSQL.
    Supervision {
        #[arg(long, default_value_t = 100_000)]
        companies: usize,
    },
    /// Signal detection over adverse reaction reports (the counts of a million of them by
    /// default): reading the counts, the detection itself, and a bureau's whole run, on SQLite
    /// and (with --database-url postgres://…) PostgreSQL.
    Signals {
        #[arg(long, default_value_t = 1_000_000)]
        reports: usize,
        /// Black-box process points to stream.
        #[arg(long, default_value_t = 200_000)]
        points: usize,
    },
    /// eCTD: validation of one large sequence (5,000 PDF leaves, 2 GB) against reading and
    /// hashing the same files.
    Ectd {
        #[arg(long, default_value_t = 5_000)]
        files: usize,
        /// Total size of the leaves in MB.
        #[arg(long, default_value_t = 2_048)]
        megabytes: u64,
    },
    /// Every page kind each demo role reaches, and the API lists, at a province's volume: p50
    /// / p99 per page next to a static asset, on SQLite and (with --database-url
    /// postgres://…) PostgreSQL.
    Pages {
        /// How much data: demo, city or province.
        #[arg(long, value_enum, default_value = "province")]
        scale: crate::scale::Scale,
        /// Requests per page, one after another.
        #[arg(long, default_value_t = 30)]
        samples: usize,
        /// Page kinds visited per role at most.
        #[arg(long, default_value_t = 60)]
        max_pages: usize,
        /// Measure a database already seeded by `yaolian demo --scale …` (sqlite://PATH, or
        /// postgres://…) instead of seeding fresh ones.
        #[arg(long)]
        existing: Option<String>,
        /// Only pages and API lists whose path starts with this (repeatable), e.g. `--only /overview`.
        #[arg(long)]
        only: Vec<String>,
    },
}

pub async fn run(cmd: BenchCommand, database_url: Option<String>) -> Result<()> {
    match cmd {
        BenchCommand::Http { duration, concurrency } => {
            http(database_url, Duration::from_secs(duration), concurrency.max(1)).await
        }
        BenchCommand::License { licenses, duration, concurrency } => {
            for pg in backends(database_url) {
                license_bench(pg.as_deref(), licenses.max(1), Duration::from_secs(duration), concurrency.max(1))
                    .await?;
            }
            Ok(())
        }
        BenchCommand::Trace { events, recall_packs, duration, concurrency, bulk_only } => {
            let bench = crate::bench_trace::TraceBench {
                events,
                recall_packs: recall_packs.max(200),
                duration: Duration::from_secs(duration),
                concurrency: concurrency.max(1),
                bulk_only,
            };
            for pg in backends(database_url) {
                crate::bench_trace::run(pg.as_deref(), &bench).await?;
            }
            Ok(())
        }
        BenchCommand::Pages { scale, samples, max_pages, existing, only } => {
            let bench = crate::bench_pages::PagesBench {
                scale,
                samples: samples.max(1),
                max_pages: max_pages.max(1),
                existing,
                only,
            };
            if bench.existing.is_some() {
                return crate::bench_pages::run(None, &bench).await;
            }
            for pg in backends(database_url) {
                crate::bench_pages::run(pg.as_deref(), &bench).await?;
            }
            Ok(())
        }
        BenchCommand::Inventory { items, samples } => {
            for pg in backends(database_url) {
                crate::bench_inventory::run(pg.as_deref(), items.max(1), samples.max(1)).await?;
            }
            Ok(())
        }
        BenchCommand::Lab { results, samples } => {
            for pg in backends(database_url) {
                crate::bench_lab::run(pg.as_deref(), results.max(1), samples.max(1)).await?;
            }
            Ok(())
        }
        BenchCommand::Supervision { companies } => {
            for pg in backends(database_url) {
                crate::bench_supervision::run(pg.as_deref(), companies.max(10)).await?;
            }
            Ok(())
        }
        BenchCommand::Signals { reports, points } => {
            for pg in backends(database_url) {
                crate::bench_signals::run(pg.as_deref(), reports.max(100)).await?;
                crate::bench_signals::run_blackbox(pg.as_deref(), points.max(5_000)).await?;
            }
            Ok(())
        }
        BenchCommand::Ectd { files, megabytes } => crate::bench_ectd::run(files.max(1), megabytes.max(1)).await,
        BenchCommand::Ledger { entries, proofs } => {
            for pg in backends(database_url) {
                ledger_bench(pg.as_deref(), entries.max(1), proofs.max(1)).await?;
            }
            Ok(())
        }
    }
}

/// Logs in over the API; returns the session cookie (`name=value`) and the CSRF token.
pub(crate) async fn login(
    client: &reqwest::Client,
    addr: &str,
    username: &str,
    password: &str,
) -> Result<(String, String)> {
    let r = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "benchmark login failed: {}", r.status());
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?
        .to_string();
    let body: serde_json::Value = r.json().await?;
    Ok((cookie, body["csrf_token"].as_str().unwrap_or_default().to_string()))
}

/// The web application served on a loopback port inside this process, for a benchmark's
/// clients; [`Local::stop`] shuts it down and waits for it.
pub(crate) struct Local {
    pub addr: std::net::SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Local {
    pub(crate) async fn start(state: AppState) -> Result<Local> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(yaolian_web::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));
        Ok(Local { addr, stop, server })
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.server.await;
    }
}

/// SQLite, then PostgreSQL when `database_url` names a server (a fresh database is made there).
fn backends(database_url: Option<String>) -> Vec<Option<String>> {
    let mut out = vec![None];
    match database_url.filter(|u| u.starts_with("postgres")) {
        Some(url) => out.push(Some(url)),
        None => println!("(PostgreSQL half skipped: pass --database-url postgres://… to measure it in the same run)"),
    }
    out
}

/// The load table: each target's figures and its ratio to the first (the baseline).
pub(crate) fn print_figures(results: &[(&str, Figures)]) {
    let base = results.first().map(|r| r.1.rps()).unwrap_or(1.0);
    println!("{:<40} {:>10} {:>9} {:>9} {:>8} {:>7}", "target", "req/s", "p50 ms", "p99 ms", "errors", "ratio");
    for (name, f) in results {
        println!(
            "{:<40} {:>10.0} {:>9.2} {:>9.2} {:>8} {:>7.2}",
            name,
            f.rps(),
            f.p50_us as f64 / 1000.0,
            f.p99_us as f64 / 1000.0,
            f.errors,
            f.rps() / base
        );
    }
}

pub(crate) struct Figures {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50_us: u64,
    p99_us: u64,
}

impl Figures {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

async fn load(client: &reqwest::Client, url: &str, cookie: &str, duration: Duration, concurrency: usize) -> Figures {
    load_many(client, std::sync::Arc::new(vec![url.to_string()]), cookie, duration, concurrency).await
}

/// Drives `concurrency` clients for `duration`; each request takes the next of `urls`, the
/// clients starting at different places in the list.
pub(crate) async fn load_many(
    client: &reqwest::Client,
    urls: std::sync::Arc<Vec<String>>,
    cookie: &str,
    duration: Duration,
    concurrency: usize,
) -> Figures {
    let cookie = cookie.to_string();
    drive(client, duration, concurrency, move |client, n| {
        client.get(&urls[n % urls.len().max(1)]).header("cookie", &cookie)
    })
    .await
}

/// Drives `concurrency` clients for `duration`; each sends the requests `request` builds, the
/// `n` it is given counting up from a different place per client.
async fn drive<F>(client: &reqwest::Client, duration: Duration, concurrency: usize, request: F) -> Figures
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = std::sync::Arc::new(request);
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let client = client.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0usize;
            let mut next = task.wrapping_mul(7919);
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match request(&client, next).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                next = next.wrapping_add(1);
                if ok {
                    lat.push(t.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    let elapsed = start.elapsed();
    all.sort_unstable();
    let pct =
        |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
    Figures { requests: all.len(), errors, elapsed, p50_us: pct(0.50), p99_us: pct(0.99) }
}

/// `concurrency` clients logging in as `username` over and over for `duration` (argon2id
/// verification, a session row and an audit event per login).
async fn load_logins(
    client: &reqwest::Client,
    addr: &str,
    username: &str,
    duration: Duration,
    concurrency: usize,
) -> Figures {
    let url = format!("http://{addr}/api/v1/auth/login");
    let body = serde_json::json!({"username": username, "password": crate::demo::DEFAULT_PASSWORD});
    drive(client, duration, concurrency, move |client, _| client.post(&url).json(&body)).await
}

async fn http(database_url: Option<String>, duration: Duration, concurrency: usize) -> Result<()> {
    let (store, cleanup): (Store, Option<TestDb>) = match database_url {
        Some(url) if url.starts_with("postgres") => {
            let db = TestDb::try_postgres(&url).await.context("creating a benchmark database")?;
            (db.store.clone(), Some(db))
        }
        Some(_) => anyhow::bail!(
            "--database-url: bench makes a fresh database; pass a postgres:// server URL, or nothing for SQLite"
        ),
        None => {
            let db = TestDb::try_sqlite().await.context("creating a benchmark database")?;
            (db.store.clone(), Some(db))
        }
    };
    store.migrate().await?;
    let setup = Instant::now();
    crate::demo::seed(&store, crate::demo::DEFAULT_PASSWORD, &yaolian_license::licenses::Sealing([7; 16]))
        .await
        .context("seeding the benchmark database")?;
    let backend = store.backend().name();
    // The load comes from one address: the per-source limit of the public endpoints is lifted
    // (the figures are the verifier's throughput, not the limiter's).
    let web = WebConfig { public_per_minute: u32::MAX, ..WebConfig::default() };
    let state = AppState::new(store, Default::default(), web);
    let local = Local::start(state).await?;
    let addr = local.addr;
    // Twice the connections: the last measurement runs two loads side by side.
    let client = reqwest::Client::builder().pool_max_idle_per_host(2 * concurrency).build()?;
    let (cookie, _) = login(&client, &addr.to_string(), "kc.qa", crate::demo::DEFAULT_PASSWORD).await?;
    println!(
        "bench http: backend {backend}, {concurrency} connections, {} s per target, setup {:.1} s, {} cores",
        duration.as_secs(),
        setup.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    // Warm up connections and caches.
    let _ = load(&client, &format!("http://{addr}/api/v1/me"), &cookie, Duration::from_secs(1), concurrency).await;
    let targets = [
        ("static asset (baseline: HTTP stack)", "/assets/favicon.svg"),
        ("GET /healthz (baseline: SELECT 1)", "/healthz"),
        ("GET /api/v1/me (authenticated)", "/api/v1/me"),
    ];
    let mut results = Vec::new();
    for (name, path) in targets {
        let f = load(&client, &format!("http://{addr}{path}"), &cookie, duration, concurrency).await;
        results.push((name, f));
    }
    print_figures(&results);
    // Logins: argon2id costs tens of milliseconds of CPU each. Measured alone, and then with
    // /healthz load running at the same time, whose latency shows whether password hashing
    // holds up the async workers that serve every other request.
    let addr = addr.to_string();
    let logins = load_logins(&client, &addr, "kc.qa", duration, concurrency).await;
    let healthz = format!("http://{addr}/healthz");
    let (during, logins_during) = tokio::join!(
        load(&client, &healthz, &cookie, duration, concurrency),
        load_logins(&client, &addr, "kc.qa", duration, concurrency)
    );
    println!();
    print_figures(&[
        ("GET /healthz (baseline, from above)", results.swap_remove(1).1),
        ("POST /api/v1/auth/login", logins),
        ("GET /healthz while logging in", during),
        ("POST /api/v1/auth/login beside /healthz", logins_during),
    ]);
    local.stop().await;
    if let Some(db) = cleanup {
        db.finish().await;
    }
    Ok(())
}

pub(crate) async fn fresh(pg: Option<&str>) -> Result<TestDb> {
    Ok(match pg {
        Some(url) => TestDb::try_postgres(url).await?,
        None => TestDb::try_sqlite().await?,
    })
}

const BENCH_DATA: &str = r#"{"batch":"B2026001","name":"盐酸二甲双胍片","ok":true,"qty":1200}"#;

/// Appends `n` versions of `data` in transactions of `batch` through the one write path:
/// single-entry transactions use `versions::append`, batches `versions::append_many`.
pub(crate) async fn append_versions(
    store: &Store,
    data: &serde_json::Value,
    start: u64,
    n: u64,
    batch: u64,
) -> Result<()> {
    let ids: Vec<String> = (start..start + n).map(|j| j.to_string()).collect();
    for chunk in ids.chunks(batch as usize) {
        let changes: Vec<yaolian_store::NewVersion> = chunk
            .iter()
            .map(|id| yaolian_store::NewVersion {
                entity: "bench",
                entity_id: id,
                actor: "bench",
                action: "create",
                reason: "",
                data,
                expected_version: None,
            })
            .collect();
        let mut tx = store.begin().await?;
        if let [one] = changes.as_slice() {
            yaolian_store::versions::append(&mut tx, one.clone()).await?;
        } else {
            yaolian_store::versions::append_many(&mut tx, &changes).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// The baseline: the same record-version and entry rows, every value bound as the ledger path
/// binds it, in the same statements (one row per statement for single transactions,
/// multi-row statements of 500 for batches), with no ledger logic: no position, no version
/// lookup, no hashing (zero hashes), no subtree hashes.
async fn append_raw(store: &Store, start: u64, n: u64, batch: u64) -> Result<()> {
    let zero = vec![0u8; 32];
    let ids: Vec<u64> = (start..start + n).collect();
    for chunk in ids.chunks(batch as usize) {
        let mut tx = store.begin().await?;
        for rows in chunk.chunks(500) {
            let mut p = Params::new();
            let values: Vec<String> = rows
                .iter()
                .map(|j| {
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {})",
                        p.push("bench"),
                        p.push(j.to_string()),
                        p.push(1),
                        p.push(*j as i64),
                        p.push("bench"),
                        p.push("create"),
                        p.push(""),
                        p.push(BENCH_DATA)
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO record_versions (entity, entity_id, version, at, actor, action, reason, data) VALUES {}",
                values.join(", ")
            );
            p.bind(sqlx_query(&sql)).execute(&mut *tx).await?;
            let mut p = Params::new();
            let values: Vec<String> = rows
                .iter()
                .map(|j| {
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                        p.push(*j as i64),
                        p.push(*j as i64),
                        p.push("bench"),
                        p.push("create"),
                        p.push("bench"),
                        p.push(j.to_string()),
                        p.push(1),
                        p.push_bytes(zero.clone()),
                        p.push(""),
                        p.push_bytes(zero.clone())
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO ledger_entries (idx, at, actor, action, entity, entity_id, version, data_hash, reason, leaf_hash) \
                 VALUES {}",
                values.join(", ")
            );
            p.bind(sqlx_query(&sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    }
    Ok(())
}

use yaolian_store::sql::Params;
use yaolian_store::sqlx_query;

async fn ledger_bench(pg: Option<&str>, entries: u64, proofs: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    let data: serde_json::Value = serde_json::from_str(BENCH_DATA)?;
    println!("\nbench ledger: backend {name}");
    println!("{:<44} {:>12} {:>12} {:>8}", "appends", "entries/s", "baseline/s", "ratio");
    for (label, n, batch) in [("single-entry transactions", 2_000u64, 1u64), ("batches of 1,000", 20_000, 1_000)] {
        let ours = fresh(pg).await?;
        let t = Instant::now();
        append_versions(&ours.store, &data, 0, n, batch).await?;
        let ours_rate = n as f64 / t.elapsed().as_secs_f64();
        ours.finish().await;
        let base = fresh(pg).await?;
        let t = Instant::now();
        append_raw(&base.store, 0, n, batch).await?;
        let base_rate = n as f64 / t.elapsed().as_secs_f64();
        base.finish().await;
        println!("{label:<44} {ours_rate:>12.0} {base_rate:>12.0} {:>8.2}", ours_rate / base_rate);
    }
    let db = fresh(pg).await?;
    let t = Instant::now();
    append_versions(&db.store, &data, 0, entries, 1_000).await?;
    println!("setup: {entries} entries in {:.1} s", t.elapsed().as_secs_f64());
    let mut lat = Vec::with_capacity(proofs);
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..proofs {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let index = state % entries;
        let t = Instant::now();
        let proof = yaolian_store::ledger::inclusion_proof(&db.store, index, entries).await?;
        lat.push(t.elapsed().as_micros() as u64);
        anyhow::ensure!(!proof.is_empty() || entries == 1, "empty proof");
    }
    lat.sort_unstable();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)] as f64 / 1000.0;
    println!("inclusion proof at {entries} entries: p50 {:.3} ms, p99 {:.3} ms ({proofs} proofs)", pct(0.5), pct(0.99));
    // The verifier's own reader with no hashing (the same rows, decoded into the same chunks
    // and handed through the same queues), then the full verification: the ratio is what the
    // hashing costs on top of reading.
    let t = Instant::now();
    let (read, nodes) = yaolian_store::ledger::bare_read(&db.store).await?;
    let read_rate = read as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let summary = yaolian_store::ledger::verify(&db.store).await?.map_err(|f| anyhow::anyhow!("{f}"))?;
    let secs = t.elapsed().as_secs_f64();
    let verify_rate = summary.entries as f64 / secs;
    println!("{:<44} {:>12} {:>12} {:>8}", "full verification", "entries/s", "bare read/s", "ratio");
    println!(
        "{:<44} {verify_rate:>12.0} {read_rate:>12.0} {:>8.2}",
        format!("{} entries, {nodes} subtree hashes, {secs:.2} s", summary.entries),
        verify_rate / read_rate
    );
    db.finish().await;
    Ok(())
}

/// Issues `n` signed licenses, then loads the public verification endpoint and page with
/// identifiers spread over all of them, next to `/assets/favicon.svg` and `/healthz`.
async fn license_bench(pg: Option<&str>, n: usize, duration: Duration, concurrency: usize) -> Result<()> {
    use yaolian_license::licenses::{self, NewLicense, Sealing};
    let db = fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let sealing = Sealing([7; 16]);
    crate::demo::seed(&store, crate::demo::DEFAULT_PASSWORD, &sealing).await.context("seeding")?;
    // The demo's 浙江省药品监督管理局 issues.
    let issuer: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE code = $1")
        .bind("113300000024870444")
        .fetch_one(store.pool())
        .await?;
    let holder: i64 = sqlx::query_scalar("SELECT id FROM orgs WHERE kind = 'company' ORDER BY id LIMIT 1")
        .fetch_one(store.pool())
        .await?;
    let fields: std::collections::BTreeMap<String, String> = [
        ("legal_representative", "张明"),
        ("principal", "李华"),
        ("quality_head", "王芳"),
        ("registered_address", "杭州市西湖区文三路 100 号"),
        ("business_scope", "处方药、非处方药"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let actor = yaolian_access::run_as_system::principal();
    let setup = Instant::now();
    let mut issued = 0;
    while issued < n {
        let mut tx = store.begin().await?;
        for _ in 0..(n - issued).min(500) {
            let new = NewLicense {
                kind: "drug_retail".into(),
                holder_org_id: holder,
                fields: fields.clone(),
                ..Default::default()
            };
            licenses::issue_in_tx(&mut tx, &sealing, &actor, issuer, &new, "bench").await?;
            issued += 1;
        }
        tx.commit().await?;
    }
    let setup_s = setup.elapsed().as_secs_f64();
    let identifiers: Vec<String> =
        sqlx::query_scalar("SELECT identifier FROM license_documents").fetch_all(store.pool()).await?;
    let backend = store.backend().name();
    let state = AppState::new(store, Default::default(), WebConfig::default());
    let local = Local::start(state).await?;
    let addr = local.addr;
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let urls = |prefix: &str| {
        std::sync::Arc::new(identifiers.iter().map(|i| format!("http://{addr}{prefix}{i}")).collect::<Vec<_>>())
    };
    println!(
        "bench license: backend {backend}, {} licenses issued and signed in {setup_s:.1} s ({:.0}/s), {concurrency} connections, {} s per target, {} cores",
        identifiers.len(),
        identifiers.len() as f64 / setup_s,
        duration.as_secs(),
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let healthz = std::sync::Arc::new(vec![format!("http://{addr}/healthz")]);
    let _ = load_many(&client, healthz.clone(), "", Duration::from_secs(1), concurrency).await;
    // The first pass over the identifiers verifies each signature (SM2); later passes find the
    // verification remembered for the same bytes.
    let targets = [
        ("static asset (baseline: HTTP stack)", std::sync::Arc::new(vec![format!("http://{addr}/assets/favicon.svg")])),
        ("GET /healthz (baseline: SELECT 1)", healthz),
        ("public API, first checks (SM2 verify)", urls("/api/v1/public/licenses/")),
        ("public API, repeated checks", urls("/api/v1/public/licenses/")),
        ("GET /v/{id} (QR page, HTML)", urls("/v/")),
    ];
    let mut results = Vec::new();
    for (name, list) in targets {
        results.push((name, load_many(&client, list, "", duration, concurrency).await));
    }
    print_figures(&results);
    local.stop().await;
    db.finish().await;
    Ok(())
}
