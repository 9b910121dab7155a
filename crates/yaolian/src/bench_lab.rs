//! `yaolian bench lab` (issue 19): the instrument capture agent delivering results to the
//! server, in results per second, against bare authenticated round trips to the same server one
//! after another (`GET /healthz`) in the same run; and the page of a lab record with 500 fields
//! (a table of 100 rows × 5 columns, one of them calculated), for its author (every field an
//! input) and for its reviewer (read-only), against a static asset in the same run.

use anyhow::{Context, Result};
use std::time::{Duration, Instant};
use yaolian_access::ClientInfo;
use yaolian_identity::{fixtures, IdentityConfig};
use yaolian_lab::records::{self, Entries, Input, NewRecord};
use yaolian_lab::templates::{self, Definition, Field, NewTemplate, Section};
use yaolian_web::{AppState, WebConfig};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))]
}

/// p50 and p99 of `samples` GETs of `url` with `cookie`, one after another.
async fn timed(http: &reqwest::Client, url: &str, cookie: &str, samples: usize) -> Result<(f64, f64)> {
    let mut lat = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let r = http.get(url).header("cookie", cookie).send().await?;
        anyhow::ensure!(r.status().is_success(), "GET {url}: {}", r.status());
        let _ = r.bytes().await?;
        lat.push(ms(t.elapsed()));
    }
    lat.sort_by(f64::total_cmp);
    Ok((percentile(&lat, 0.5), percentile(&lat, 0.99)))
}

pub async fn run(pg: Option<&str>, results: usize, samples: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    println!("\nbench lab: backend {name}, {results} results, {samples} page samples");
    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let w = fixtures::world(&store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo::default();
    let mut people = Vec::new();
    for (user, role) in
        [("bench.analyst", "lab_analyst"), ("bench.qa", "quality_head"), ("bench.head", "company_master")]
    {
        let id = fixtures::user(&store, &sys, w.company_a, user, false, &[role]).await?;
        people.push(yaolian_identity::auth::principal_for_user(&store, id).await?);
    }
    let (analyst, qa, head) = (&people[0], &people[1], &people[2]);
    let local =
        crate::bench::Local::start(AppState::new(store.clone(), IdentityConfig::default(), WebConfig::default()))
            .await?;
    let addr = local.addr.to_string();
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();

    // The workstation's token (lab.use) and its files.
    let (cookie, csrf) = crate::bench::login(&http, &addr, "bench.analyst", fixtures::PASSWORD).await?;
    let created: serde_json::Value = http
        .post(format!("{base}/api/v1/tokens"))
        .header("cookie", &cookie)
        .header("X-CSRF-Token", &csrf)
        .json(&serde_json::json!({"name": "bench workstation", "scopes": ["lab.use"], "valid_days": 1}))
        .send()
        .await?
        .json()
        .await?;
    let token = created["secret"].as_str().context("no token")?.to_string();
    let dir = std::env::temp_dir().join(format!("yaolian-bench-lab-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let watch = dir.join("export");
    std::fs::create_dir_all(&watch)?;
    for i in 0..results {
        let text = format!(
            "Peak Name,RT [min],Area,Height\nMetformin,4.{i:04},{},80211\nImpurity B,6.104,{},95\n",
            1_500_000 + i,
            1800 + i
        );
        std::fs::write(watch.join(format!("inj-{i:05}.csv")), text)?;
    }
    let outbox = yaolian_agent::outbox::Outbox::open(&dir.join("outbox.db")).await?;
    let captured = yaolian_agent::scan(&outbox, &watch, "HPLC-01").await?;
    anyhow::ensure!(captured == results, "captured {captured} of {results}");

    // Baseline: as many bare round trips, one after another.
    let t = Instant::now();
    for _ in 0..results {
        let r = http.get(format!("{base}/healthz")).send().await?;
        let _ = r.bytes().await?;
    }
    let bare = results as f64 / t.elapsed().as_secs_f64();
    let target = yaolian_agent::Target {
        server: base.clone(),
        token,
        org_id: w.company_a,
        instrument: "HPLC-01".into(),
        operator: "bench".into(),
        first_retry_ms: yaolian_agent::FIRST_RETRY_MS,
    };
    let t = Instant::now();
    let mut delivered = 0;
    while delivered < results {
        let round = yaolian_agent::deliver_due(&outbox, &http, &target, 500).await?;
        anyhow::ensure!(round.failed == 0 && round.rejected == 0, "a delivery failed: {round:?}");
        anyhow::ensure!(round.delivered > 0, "nothing delivered");
        delivered += round.delivered;
    }
    let rate = results as f64 / t.elapsed().as_secs_f64();
    println!("{:<52} {:>10} {:>7}", "target", "per s", "ratio");
    println!("{:<52} {:>10.0} {:>7.2}", "GET /healthz one after another (baseline)", bare, 1.0);
    println!("{:<52} {:>10.0} {:>7.2}", "agent → POST /api/v1/lab/results (parsed, ledgered)", rate, rate / bare);

    // A record of 500 fields: 100 rows of four measured values and one calculated.
    let number = |key: &str, label: &str, places: u32| Field {
        key: key.into(),
        label: label.into(),
        kind: "number".into(),
        places: Some(places),
        required: true,
        ..Field::default()
    };
    let definition = Definition {
        rounding: "chp".into(),
        method_document_id: None,
        sections: vec![Section {
            title: "含量均匀度".into(),
            rows: 100,
            fields: vec![
                number("w", "称样量", 2),
                number("a_smp", "供试品峰面积", 0),
                number("a_std", "对照品峰面积", 0),
                number("rt", "保留时间", 3),
                Field {
                    key: "content".into(),
                    label: "含量".into(),
                    kind: "calculated".into(),
                    unit: "%".into(),
                    places: Some(1),
                    formula: "a_smp / a_std * 100".into(),
                    spec_low: Some("85.0".into()),
                    spec_high: Some("115.0".into()),
                    ..Field::default()
                },
            ],
        }],
    };
    let new =
        NewTemplate { org_id: w.company_a, code: "TPL-BENCH".into(), title: "含量均匀度".into(), definition };
    let tv = templates::create(&store, qa, &new, &client).await?;
    let tv =
        templates::approve(&store, &IdentityConfig::default(), head, tv.id, fixtures::PASSWORD, None, &client).await?;
    let r = records::create(
        &store,
        analyst,
        &NewRecord { template_version_id: tv.id, title: "含量均匀度".into(), project_id: None },
        &client,
    )
    .await?;
    let mut values = std::collections::BTreeMap::new();
    for row in 1..=100 {
        for (k, v) in [
            ("w", format!("25.{:02}", row % 100)),
            ("a_smp", format!("{}", 1_500_000 + row * 100)),
            ("a_std", "1530100".to_string()),
            ("rt", format!("4.{:03}", 800 + row)),
        ] {
            values.insert(format!("{k}_{row}"), Input { value: v, amount: String::new(), file: None });
        }
    }
    let t = Instant::now();
    let r =
        records::enter(&store, analyst, r.id, &Entries { values, reason: String::new(), version: r.version }, &client)
            .await?;
    let entered = t.elapsed();
    anyhow::ensure!(r.entries.len() == 500, "{} entries", r.entries.len());
    println!("entered 400 values, 100 calculated, in one version: {:.1} ms", ms(entered));
    let (reviewer_cookie, _) = crate::bench::login(&http, &addr, "bench.qa", fixtures::PASSWORD).await?;
    let page = format!("{base}/lab/records/{}", r.id);
    let (a50, a99) = timed(&http, &format!("{base}/assets/app.css"), &cookie, samples).await?;
    let (e50, e99) = timed(&http, &page, &cookie, samples).await?;
    let (v50, v99) = timed(&http, &page, &reviewer_cookie, samples).await?;
    println!("{:<52} {:>9} {:>9} {:>7}", "page (500 fields)", "p50 ms", "p99 ms", "ratio");
    println!("{:<52} {:>9.2} {:>9.2} {:>7.2}", "GET /assets/app.css (baseline)", a50, a99, 1.0);
    println!("{:<52} {:>9.2} {:>9.2} {:>7.2}", "record page, author (500 inputs)", e50, e99, e50 / a50);
    println!("{:<52} {:>9.2} {:>9.2} {:>7.2}", "record page, reviewer (read-only)", v50, v99, v50 / a50);
    local.stop().await;
    drop(outbox);
    let _ = std::fs::remove_dir_all(&dir);
    db.finish().await;
    Ok(())
}
