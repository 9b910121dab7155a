//! Tests of the grown demo world and of the queries it runs.
//!
//! `every_query_a_page_runs_reads_through_an_index` grows the demo (a small `Sizes`, the same
//! code as `--scale province`), walks every page kind of every demo role over HTTP, records
//! each SELECT that the growing (the write path) and the pages ran — sqlx reports every
//! statement to `tracing` under the target `sqlx::query` — and asks SQLite for the plan of each
//! (`EXPLAIN QUERY PLAN`). No statistics are gathered, so the planner assumes large tables and
//! uses an index wherever one fits: a `SCAN` of a table that grows with the province means no
//! index serves that query, which at 100,000 rows is a page (or a write) that waits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Tables that stay small however large the province grows: catalogues, configuration,
/// keys. A scan of these is as good as an index.
const SMALL: &[&str] = &[
    "roles",
    "service_types",
    "calendar_days",
    "ledger_keys",
    "site_keys",
    "authority_keys",
    "alert_rules",
    "ledger_head",
    // Requests to change an account's roles (三员分立): a few per account over the years.
    "role_requests",
];

struct Capture;

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
}

impl tracing::field::Visit for Fields {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.to_string(),
            _ => {}
        }
    }
    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut f = Fields::default();
        event.record(&mut f);
        let sql = if f.statement.trim().is_empty() { f.summary } else { f.statement };
        if let Ok(mut all) = STATEMENTS.lock() {
            all.push(sql.trim().to_string());
        }
    }
}

/// The tables a statement names after FROM, JOIN or UPDATE, by alias (and by their own name).
fn aliases(sql: &str) -> BTreeMap<String, String> {
    let words: Vec<&str> = sql.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',').collect();
    let mut out = BTreeMap::new();
    for (i, w) in words.iter().enumerate() {
        if ["FROM", "JOIN", "UPDATE"].iter().any(|k| w.eq_ignore_ascii_case(k)) {
            let Some(table) = words[i + 1..].iter().find(|s| !s.is_empty()) else { continue };
            let rest: Vec<&&str> = words[i + 1..].iter().filter(|s| !s.is_empty()).skip(1).take(2).collect();
            let alias = match rest.as_slice() {
                [a, b, ..] if a.eq_ignore_ascii_case("AS") => b.to_string(),
                [a, ..] if a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !is_keyword(a) => a.to_string(),
                _ => table.to_string(),
            };
            out.insert(alias, table.to_string());
            out.insert(table.to_string(), table.to_string());
        }
    }
    out
}

fn is_keyword(w: &str) -> bool {
    ["WHERE", "JOIN", "LEFT", "INNER", "ON", "ORDER", "GROUP", "LIMIT", "UNION", "CROSS", "USING", "AND", "OR"]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// The highest `$n` placeholder of a statement.
fn placeholders(sql: &str) -> usize {
    let mut max = 0;
    let b = sql.as_bytes();
    for (i, c) in b.iter().enumerate() {
        if *c == b'$' {
            let digits: String = sql[i + 1..].chars().take_while(char::is_ascii_digit).collect();
            max = max.max(digits.parse().unwrap_or(0));
        }
    }
    max
}

#[test]
fn aliases_and_placeholders_are_read_from_the_statement() {
    let sql = "SELECT p.id FROM products p JOIN orgs AS o ON o.id = p.mah_org_id WHERE p.id = $1 AND o.path >= $12";
    let a = aliases(sql);
    assert_eq!(a.get("p").map(String::as_str), Some("products"));
    assert_eq!(a.get("o").map(String::as_str), Some("orgs"));
    assert_eq!(placeholders(sql), 12);
    assert_eq!(
        aliases("SELECT COUNT(*) FROM licenses WHERE status = $1").get("licenses").map(String::as_str),
        Some("licenses")
    );
    let update = aliases("UPDATE todos SET status = 'done' WHERE link = $1");
    assert_eq!(update.get("todos").map(String::as_str), Some("todos"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_a_page_runs_reads_through_an_index() {
    let filter = tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE);
    let _ = tracing_subscriber::registry().with(Capture.with_filter(filter)).try_init();
    let db = yaolian_store::testing::TestDb::sqlite().await;
    let store = db.store.clone();
    let sealing = yaolian_license::licenses::Sealing([7; 16]);
    let password = crate::demo::DEFAULT_PASSWORD;
    let accounts = crate::demo::seed(&store, password, &sealing).await.unwrap();
    // The electronic submission's application, its three sequences built: its pages read them.
    let submission = tempfile::tempdir().unwrap();
    crate::demo::seed_submission(&store, submission.path(), password).await.unwrap();
    // The demo site sends to itself, its own key pinned and a wildcard address reached on loopback.
    let to_itself = crate::demo::submission_receiver(&store, &[7; 16], "0.0.0.0:8080").await.unwrap();
    assert_eq!(to_itself.base_url, "http://127.0.0.1:8080");
    assert_eq!(to_itself.pinned_key, Some(yaolian_store::ledger::site_key(&store, &[7; 16]).await.unwrap().0));
    let count = |sql: &'static str| {
        let store = store.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(store.pool()).await.unwrap() }
    };
    const TABLES: [&str; 5] = [
        "SELECT COUNT(*) FROM orgs",
        "SELECT COUNT(*) FROM products",
        "SELECT COUNT(*) FROM persons",
        "SELECT COUNT(*) FROM licenses",
        "SELECT COUNT(*) FROM applications",
    ];
    let mut before = Vec::new();
    for sql in TABLES {
        before.push(count(sql).await);
    }
    let sizes = crate::scale::Sizes::divided(1_000);
    STATEMENTS.lock().unwrap().clear();
    let grown = crate::scale::grow(&store, &sealing, password, &sizes).await.unwrap();
    // The reads of the write path (registering, issuing, each step of an application) too:
    // at a province's volume a write that scans is as slow as a page that does.
    let writes: Vec<String> = std::mem::take(&mut *STATEMENTS.lock().unwrap());

    // The grown world is what was asked for, through the write path: every record has its
    // versions in the ledger, and the projections are what the versions say.
    assert_eq!((grown.orgs, grown.products, grown.persons, grown.applications), (10 + 30, 100, 200, 100));
    let mut added = Vec::new();
    for (sql, was) in TABLES.iter().zip(&before) {
        added.push(count(sql).await - was);
    }
    // Licenses: the 20 issued, and one more for each permit the leader approved.
    assert_eq!(added[..3], [10 + 30, 100, 200]);
    assert!(added[3] >= 20, "licenses added: {}", added[3]);
    assert_eq!(added[4], 100);
    assert!(grown.ledger_entries > 2 * (40 + 100 + 200 + 20 + 100), "ledger: {}", grown.ledger_entries);
    let checked = yaolian_store::ledger::verify(&store).await.unwrap();
    assert!(checked.is_ok(), "the grown ledger verifies: {checked:?}");
    assert!(yaolian_registry::products::drifts(&store).await.unwrap().is_empty());
    assert!(yaolian_services::applications::drifts(&store).await.unwrap().is_empty());
    assert!(yaolian_license::licenses::drifts(&store).await.unwrap().is_empty());

    // Every page kind of every role, read over HTTP; the statements they ran are recorded.
    STATEMENTS.lock().unwrap().clear();
    STATEMENTS.lock().unwrap().extend(writes);
    let web = yaolian_web::WebConfig { public_per_minute: u32::MAX, ..Default::default() };
    let local =
        crate::bench::Local::start(yaolian_web::AppState::new(store.clone(), Default::default(), web)).await.unwrap();
    let base = format!("http://{}", local.addr);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut pages = 0;
    for a in &accounts {
        let (cookie, _) = crate::bench::login(&client, &local.addr.to_string(), &a.username, password).await.unwrap();
        pages += crate::bench_pages::discover(&client, &base, &cookie, 200).await.unwrap().len();
    }
    local.stop().await;
    let statements: BTreeSet<String> = STATEMENTS
        .lock()
        .unwrap()
        .iter()
        .filter(|s| {
            let head = s.trim_start().get(..6).unwrap_or("").to_ascii_uppercase();
            ["SELECT", "UPDATE", "DELETE"].contains(&head.as_str()) || head.starts_with("WITH")
        })
        .cloned()
        .collect();
    assert!(pages > 100 && statements.len() > 50, "{pages} pages ran {} distinct SELECTs", statements.len());

    let mut unindexed = Vec::new();
    for sql in &statements {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut q = sqlx::query(&explain);
        for _ in 0..placeholders(sql) {
            q = q.bind(None::<i64>);
        }
        let plan = q.fetch_all(store.pool()).await.unwrap_or_else(|e| panic!("EXPLAIN {sql}: {e}"));
        let details: Vec<String> = plan.iter().map(|row| sqlx::Row::try_get(row, 3).unwrap()).collect();
        // Reading a table in its primary-key order under a LIMIT, with no sort after, reads the
        // newest rows of a page and stops: the audit log's first page, the latest checkpoint.
        let in_key_order = sql.contains(" LIMIT ") && !details.iter().any(|d| d.contains("TEMP B-TREE"));
        let names = aliases(sql);
        for detail in &details {
            let Some(rest) = detail.strip_prefix("SCAN ") else { continue };
            if rest.contains("USING") || rest.starts_with("CONSTANT") || rest.contains("VIRTUAL TABLE") || in_key_order
            {
                continue;
            }
            let alias = rest.split_whitespace().next().unwrap_or("");
            // A scan of a subquery, a CTE or a VALUES list is a scan of rows already chosen.
            let Some(table) = names.get(alias) else { continue };
            if SMALL.contains(&table.as_str()) {
                continue;
            }
            unindexed.push(format!("{table} ({detail}) in: {sql}"));
        }
    }
    assert!(
        unindexed.is_empty(),
        "{} of {} statements read a growing table without an index:\n{}",
        unindexed.len(),
        statements.len(),
        unindexed.join("\n\n")
    );
    db.finish().await;
}
