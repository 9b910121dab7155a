//! `yaolian bench pages`: every page kind each demo role reaches, and the API lists, timed at
//! a province's volume (`demo --scale province`) on SQLite and PostgreSQL.
//!
//! The world is seeded into a fresh database and served on a loopback port in this process.
//! For each demo account the benchmark logs in and walks the site from the 工作台 the way the
//! demo crawl does (one page of each kind: `crate::crawl::pattern`), then requests each page
//! `samples` times one after another (no concurrency: the figure is one user's wait) and
//! prints p50 / p99 / max per page kind next to a static asset requested the same way in the
//! same run — the HTTP stack alone.

use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};
use yaolian_web::{AppState, WebConfig};

use crate::bench::Local;
use crate::scale::Scale;

pub struct PagesBench {
    pub scale: Scale,
    /// Requests per page.
    pub samples: usize,
    /// Pages visited per role at most.
    pub max_pages: usize,
    /// A database already seeded by `yaolian demo --scale …` (sqlite://PATH): measured as it
    /// is, without seeding a fresh one.
    pub existing: Option<String>,
    /// Only the pages and API lists whose path starts with one of these (all when empty).
    pub only: Vec<String>,
}

/// API lists and summaries timed beside the pages (those a role may read; a 403 is skipped).
const API: &[&str] = &[
    "/api/v1/me",
    "/api/v1/portal/todos",
    "/api/v1/products",
    "/api/v1/persons",
    "/api/v1/licenses",
    "/api/v1/applications",
    "/api/v1/services/statistics",
    "/api/v1/orgs",
    "/api/v1/users",
    "/api/v1/audit",
    "/api/v1/audit/summary",
    "/api/v1/trace/anomalies",
    "/api/v1/trace/recalls",
];

/// The latency figures of one page kind for one role.
struct Timing {
    role: String,
    page: String,
    url: String,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl PagesBench {
    fn wanted(&self, url: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| url.starts_with(o.as_str()))
    }
}

pub async fn run(pg: Option<&str>, b: &PagesBench) -> Result<()> {
    let password = crate::demo::DEFAULT_PASSWORD;
    let seeding = Instant::now();
    let (store, db, usernames) = match &b.existing {
        Some(url) => {
            let options = yaolian_store::StoreOptions::default();
            let store = yaolian_store::Store::connect(url, &options).await.context("opening --existing")?;
            // A database seeded by an earlier build gets this build's migrations first.
            store.migrate().await?;
            (store, None, crate::demo::usernames())
        }
        None => {
            let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
            let store = db.store.clone();
            store.migrate().await?;
            let sealing = yaolian_license::licenses::Sealing([7; 16]);
            let accounts = crate::demo::seed(&store, password, &sealing).await.context("seeding the demo")?;
            if let Some(sizes) = b.scale.sizes() {
                crate::scale::grow(&store, &sealing, password, &sizes).await.context("growing the demo")?;
                crate::scale::grade(&store).await.context("grading the companies")?;
            }
            (store, Some(db), accounts.into_iter().map(|a| a.username).collect())
        }
    };
    let seeded_s = seeding.elapsed().as_secs_f64();
    let entries = yaolian_store::ledger::head(store.pool()).await?.1;
    let backend = store.backend().name();
    let web = WebConfig { public_per_minute: u32::MAX, ..WebConfig::default() };
    let local = Local::start(AppState::new(store, Default::default(), web)).await?;
    let base = format!("http://{}", local.addr);
    println!(
        "bench pages: backend {backend}, {}, ready in {seeded_s:.0} s (ledger {entries} entries), \
         {} requests per page one at a time, {} cores",
        match &b.existing {
            Some(url) => format!("existing database {}", yaolian_store::redact_url(url)),
            None => format!("scale {:?}", b.scale),
        },
        b.samples,
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    );
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let baseline = time(&client, &format!("{base}/assets/app.css"), "", b.samples).await?;
    let mut all = Vec::new();
    for username in &usernames {
        let (cookie, _) = crate::bench::login(&client, &local.addr.to_string(), username, password).await?;
        let mut pages = discover(&client, &base, &cookie, b.max_pages).await?;
        pages.retain(|(_, url)| b.wanted(url));
        for (page, url) in pages {
            let lat = time(&client, &format!("{base}{url}"), &cookie, b.samples).await?;
            all.push(Timing { role: username.clone(), page, url, ..lat });
        }
        let slowest = all.iter().filter(|t| &t.role == username).max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms));
        if let Some(t) = slowest {
            eprintln!("  {username}: {} pages, slowest {} (p99 {:.1} ms)", pages_len(&all, username), t.url, t.p99_ms);
        }
        for path in API.iter().filter(|p| b.wanted(p)) {
            let r = client.get(format!("{base}{path}")).header("cookie", &cookie).send().await?;
            if r.status().is_success() {
                let lat = time(&client, &format!("{base}{path}"), &cookie, b.samples).await?;
                all.push(Timing { role: username.clone(), page: path.to_string(), url: path.to_string(), ..lat });
            }
        }
    }
    local.stop().await;
    report(&baseline, &mut all);
    if let Some(db) = db {
        db.finish().await;
    }
    Ok(())
}

fn pages_len(all: &[Timing], role: &str) -> usize {
    all.iter().filter(|t| t.role == role).count()
}

/// One page of each kind the role reaches from its 工作台, breadth first: (kind, URL).
pub(crate) async fn discover(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    max: usize,
) -> Result<Vec<(String, String)>> {
    let mut seen_kinds = BTreeSet::new();
    let mut out = Vec::new();
    let mut queue = VecDeque::from([String::from("/")]);
    while let Some(url) = queue.pop_front() {
        if out.len() >= max {
            break;
        }
        let kind = crate::crawl::pattern(&url);
        if !seen_kinds.insert(kind.clone()) {
            continue;
        }
        let r = client.get(format!("{base}{url}")).header("cookie", cookie).send().await?;
        if !r.status().is_success() {
            continue;
        }
        let html = r.text().await?;
        queue
            .extend(crate::crawl::links(&html).into_iter().filter(|l| !seen_kinds.contains(&crate::crawl::pattern(l))));
        out.push((kind, url));
    }
    Ok(out)
}

/// `n` requests one after another; p50, p99 and max in milliseconds. A failed request is an
/// error: a page that fails is not a fast page.
async fn time(client: &reqwest::Client, url: &str, cookie: &str, n: usize) -> Result<Timing> {
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let t = Instant::now();
        let r = client.get(url).header("cookie", cookie).send().await?;
        let status = r.status();
        r.bytes().await?;
        anyhow::ensure!(status.is_success(), "{url}: {status}");
        lat.push(t.elapsed());
    }
    lat.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
    Ok(Timing {
        role: String::new(),
        page: String::new(),
        url: url.to_string(),
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(lat[lat.len() - 1]),
    })
}

fn report(baseline: &Timing, all: &mut [Timing]) {
    println!("{:<44} {:>8} {:>8} {:>8}", "static asset (baseline: HTTP stack)", "p50 ms", "p99 ms", "max ms");
    println!("{:<44} {:>8.2} {:>8.2} {:>8.2}", "/assets/app.css", baseline.p50_ms, baseline.p99_ms, baseline.max_ms);
    println!();
    // Per page kind, the slowest role's figures.
    let mut worst: BTreeMap<&str, &Timing> = BTreeMap::new();
    for t in all.iter() {
        let e = worst.entry(t.page.as_str()).or_insert(t);
        if t.p99_ms > e.p99_ms {
            *e = t;
        }
    }
    let mut rows: Vec<&&Timing> = worst.values().collect();
    rows.sort_by(|a, b| b.p99_ms.total_cmp(&a.p99_ms));
    println!(
        "{:<44} {:<14} {:>8} {:>8} {:>8} {:>9}",
        "page kind (slowest role)", "role", "p50 ms", "p99 ms", "max ms", "p99/base"
    );
    for t in &rows {
        println!(
            "{:<44} {:<14} {:>8.2} {:>8.2} {:>8.2} {:>9.1}",
            t.page,
            t.role,
            t.p50_ms,
            t.p99_ms,
            t.max_ms,
            t.p99_ms / baseline.p99_ms.max(0.001)
        );
    }
    let over: Vec<&Timing> = all.iter().filter(|t| t.p99_ms >= 100.0).collect();
    println!();
    println!("{} page kinds over {} role×page measurements; {} with p99 ≥ 100 ms", rows.len(), all.len(), over.len());
    for t in over {
        println!("  over 100 ms: {} as {} ({}): p99 {:.1} ms", t.page, t.role, t.url, t.p99_ms);
    }
}
