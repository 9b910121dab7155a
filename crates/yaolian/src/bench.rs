//! `yaolian bench …`: load benchmarks that print figures for docs/benchmarks.md.
//!
//! `bench http` seeds the demo into a fresh database (SQLite in a temporary directory, or a
//! fresh PostgreSQL database when `--database-url postgres://…` names a server), serves it on
//! a loopback port in this process, logs in as a demo user and drives concurrent keep-alive
//! clients. Each target is measured in the same run as two baselines, so the ratio survives
//! a noisy machine: a static asset (the HTTP stack alone) and `/healthz` (one `SELECT 1`).

use anyhow::{Context, Result};
use clap::Subcommand;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use yaolian_store::testing::TestDb;
use yaolian_store::Store;
use yaolian_web::{AppState, WebConfig};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Authenticated GET /api/v1/me throughput and latency, against two baselines.
    Http {
        /// Seconds per target.
        #[arg(long, default_value_t = 10)]
        duration: u64,
        /// Concurrent connections.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
    },
}

pub async fn run(cmd: BenchCommand, database_url: Option<String>) -> Result<()> {
    match cmd {
        BenchCommand::Http { duration, concurrency } => {
            http(database_url, Duration::from_secs(duration), concurrency.max(1)).await
        }
    }
}

struct Figures {
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
    let deadline = Instant::now() + duration;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_string();
        let cookie = cookie.to_string();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(100_000);
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = match client.get(&url).header("cookie", &cookie).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
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
    crate::demo::seed(&store, crate::demo::DEFAULT_PASSWORD).await.context("seeding the benchmark database")?;
    let backend = store.backend().name();
    let state = AppState::new(store, Default::default(), WebConfig::default());
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yaolian_web::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let login = client
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"username": "kc.qa", "password": crate::demo::DEFAULT_PASSWORD}))
        .send()
        .await?;
    anyhow::ensure!(login.status().is_success(), "benchmark login failed: {}", login.status());
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("no session cookie")?
        .to_string();
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
    let base = results.first().map(|r| r.1.rps()).unwrap_or(1.0);
    println!("{:<40} {:>10} {:>9} {:>9} {:>8} {:>7}", "target", "req/s", "p50 ms", "p99 ms", "errors", "ratio");
    for (name, f) in &results {
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
    let _ = stop_tx.send(());
    let _ = server.await;
    if let Some(db) = cleanup {
        db.finish().await;
    }
    Ok(())
}
