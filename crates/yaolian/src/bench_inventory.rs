//! `yaolian bench inventory`: finding a reagent among many (issue 18: "measure search latency
//! on 100,000 items"). Registers the items through the write path in batches of 1,000 (versions,
//! ledger entries, search grams), then times `items::list` — the function the page and the API
//! call — for three kinds of query (a synonym, a part of the Chinese name, the CAS number)
//! against the baseline measured in the same run: the same match done the plain way, a
//! `LIKE '%…%'` over every name column of every item.

use anyhow::{Context, Result};
use std::time::Instant;
use yaolian_access::ClientInfo;
use yaolian_inventory::items::{self, ItemQuery, NewItem};

/// Name parts of the generated items: a substituent, a parent compound and a salt or ester,
/// the way reagent catalogues name things.
const PREFIXES: &[&str] = &[
    "甲基",
    "乙基",
    "丙基",
    "丁基",
    "异丙基",
    "氯",
    "溴",
    "碘",
    "氟",
    "硝基",
    "氨基",
    "羟基",
    "甲氧基",
    "乙酰",
    "苯基",
    "苄基",
    "环己基",
    "二甲基",
    "三氟甲基",
    "叔丁基",
];
const CORES: &[&str] = &[
    "苯",
    "甲苯",
    "吡啶",
    "嘧啶",
    "萘",
    "喹啉",
    "吲哚",
    "呋喃",
    "噻吩",
    "咪唑",
    "哌啶",
    "吗啉",
    "苯甲酸",
    "乙酸",
    "丙酸",
    "苯酚",
    "苯胺",
    "苯甲醛",
    "吡嗪",
    "丙酮",
];
const SUFFIXES: &[&str] = &["", "钠", "钾", "盐酸盐", "甲酯", "乙酯", "酰胺", "硫酸盐"];

/// The `i`-th generated item's Chinese name, synonym and CAS number (check digit computed).
fn generated(i: usize) -> (String, String, String) {
    let name = format!(
        "{}-{}{}{}",
        2 + i % 5,
        PREFIXES[i % PREFIXES.len()],
        CORES[(i / PREFIXES.len()) % CORES.len()],
        SUFFIXES[(i / 400) % SUFFIXES.len()]
    );
    let first = 1000 + i;
    let digits = format!("{first}{:02}", i % 100);
    let check = yaolian_core::cas::check_digit(&digits).unwrap_or(0);
    (name, format!("化合物{i:06}"), format!("{first}-{:02}-{check}", i % 100))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1))]
}

pub async fn run(pg: Option<&str>, n: usize, samples: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    println!("\nbench inventory: backend {name}, {n} items");
    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let world = yaolian_identity::fixtures::world(&store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo::default();
    let t = Instant::now();
    let mut batch = Vec::with_capacity(1_000);
    for i in 0..n {
        let (zh, synonym, cas) = generated(i);
        batch.push(NewItem {
            org_id: world.company_a,
            code: format!("B-{i:06}"),
            name_zh: zh,
            name_en: format!("Compound {i}"),
            synonyms: vec![synonym],
            cas: Some(cas),
            category: "reagent".into(),
            unit: "g".into(),
            ..NewItem::default()
        });
        if batch.len() == 1_000 || i + 1 == n {
            items::create_many(&store, &sys, &batch, &client).await?;
            batch.clear();
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("registered {n} items through the write path in {secs:.1} s ({:.0} items/s)", n as f64 / secs);
    if store.backend() == yaolian_store::Backend::Postgres {
        sqlx::query("VACUUM ANALYZE").execute(store.pool()).await?;
    }
    let reader = {
        let id =
            yaolian_identity::fixtures::user(&store, &sys, world.company_a, "bench.keeper", false, &["storekeeper"])
                .await?;
        yaolian_identity::auth::principal_for_user(&store, id).await?
    };
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "query (items::list, first page)", "p50 ms", "p99 ms", "base p50", "base p99", "ratio"
    );
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for kind in ["synonym", "part of the Chinese name", "CAS number"] {
        let (mut ours, mut base) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
        let mut found = 0usize;
        for _ in 0..samples {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % n as u64) as usize;
            let (zh, synonym, cas) = generated(i);
            let q = match kind {
                "synonym" => synonym,
                // Three characters from inside the name: parent and salt, e.g. 吡啶盐.
                "part of the Chinese name" => {
                    zh.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().take(3).collect()
                }
                _ => cas,
            };
            let query = ItemQuery { q: Some(q.clone()), limit: 25, ..ItemQuery::default() };
            let t = Instant::now();
            let (page, total) = items::list(&store, &reader, &query, &client).await?;
            ours.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(total > 0 && !page.is_empty(), "{kind} {q:?} found nothing");
            found += total as usize;
            // The plain way: every item's names read and matched.
            let like = format!("%{q}%");
            let t = Instant::now();
            let rows: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM inv_items WHERE name_zh LIKE $1 OR name_en LIKE $1 OR synonyms LIKE $1 OR cas LIKE $1 \
                 OR code LIKE $1 ORDER BY name_zh, id LIMIT 25",
            )
            .bind(&like)
            .fetch_all(store.pool())
            .await?;
            base.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(!rows.is_empty(), "baseline {q:?} found nothing");
        }
        ours.sort_by(f64::total_cmp);
        base.sort_by(f64::total_cmp);
        let (p50, p99, b50, b99) =
            (percentile(&ours, 0.5), percentile(&ours, 0.99), percentile(&base, 0.5), percentile(&base, 0.99));
        println!(
            "{:<34} {p50:>9.2} {p99:>9.2} {b50:>9.2} {b99:>9.2} {:>7.2}   ({} matches per query on average)",
            kind,
            p50 / b50,
            found / samples.max(1)
        );
    }
    db.finish().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn generated_items_carry_valid_cas_numbers() {
        for i in [0, 1, 99, 12_345, 99_999] {
            let (_, _, cas) = super::generated(i);
            assert!(yaolian_core::CasNumber::parse("cas", &cas).is_ok(), "{cas}");
        }
    }
}
