//! `yaolian bench supervision`: recomputing the risk scores and credit grades of a province's
//! companies with their history (issue 20: "risk recompute time for 100,000 companies with their
//! history"). Grows `companies` companies under the fixture province (a tenth manufacturers with
//! a product each — some narcotic, some sterile — the rest with a site), valid licenses, trace
//! anomalies at a fifth of them, closed and open risk cases at a tenth, and open recalls; then
//! times `scores::recompute` — the function the page, the API and a case's closure call — three
//! ways: the first scoring (every score new, each a ledgered version), a recompute where nothing
//! changed (read, score, compare, write nothing), and one after 1% of the companies gained an
//! anomaly. The baselines measured in the same run: for the first scoring, the ledger alone —
//! appending as many versions of the same size through `versions::append_many` in the same
//! batches; for the incremental one, the recompute that found nothing to write. Last, the
//! province's annual inspection plan is generated from those scores (`plans::generate`), against
//! the ledger appending as many versions of a visit's size.

use anyhow::{Context, Result};
use std::time::Instant;
use yaolian_access::{ClientInfo, OrgKind};
use yaolian_identity::orgs::{self, NewOrg};
use yaolian_store::sql::Value;
use yaolian_store::Store;

/// Products the generated manufacturers make: a narcotic, a sterile product, a plain tablet.
const MADE: &[(&str, &str)] =
    &[("盐酸吗啡注射液", "注射剂"), ("注射用头孢曲松钠", "注射剂"), ("阿莫西林胶囊", "胶囊剂")];

pub async fn run(pg: Option<&str>, n: usize) -> Result<()> {
    let name = if pg.is_some() { "postgres" } else { "sqlite" };
    println!("\nbench supervision: backend {name}, {n} companies");
    let db = crate::bench::fresh(pg).await.context("creating a benchmark database")?;
    let store = db.store.clone();
    let world = yaolian_identity::fixtures::world(&store).await?;
    let sys = yaolian_access::run_as_system::principal();
    let client = ClientInfo::default();
    let t = Instant::now();
    let mut companies = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let batch = chunk
            .iter()
            .map(|i| {
                Ok(NewOrg {
                    kind: OrgKind::Company,
                    name: format!("基准企业{i:06}有限公司"),
                    code: crate::scale::uscc(format!("91330100MA{:07}", 3_000_000 + i))?,
                    parent_id: Some(world.province),
                    region: "浙江省".into(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        companies.extend(orgs::create_many(&store, &sys, &batch, &client).await?.into_iter().map(|o| o.id));
    }
    history(&store, &companies).await?;
    println!("grew {n} companies with their history in {:.1} s", t.elapsed().as_secs_f64());
    if store.backend() == yaolian_store::Backend::Postgres {
        sqlx::query("VACUUM ANALYZE").execute(store.pool()).await?;
    }
    let leader = {
        let id = yaolian_identity::fixtures::user(
            &store,
            &sys,
            world.province,
            "bench.leader",
            false,
            &["regulator_leader"],
        )
        .await?;
        yaolian_identity::auth::principal_for_user(&store, id).await?
    };

    println!(
        "{:<44} {:>9} {:>9} {:>9} {:>7}",
        "recompute (scores::recompute)", "seconds", "written", "base s", "ratio"
    );
    let t = Instant::now();
    let first = yaolian_supervision::scores::recompute(&store, &leader, None, "", &client).await?;
    let took = t.elapsed().as_secs_f64();
    let base = baseline(&store, first.changed as usize).await?;
    anyhow::ensure!(first.companies == n as i64 + 2, "scored {} companies", first.companies);
    println!(
        "{:<44} {took:>9.2} {:>9} {base:>9.2} {:>7.2}",
        "first scoring (every score new)",
        first.changed,
        took / base
    );
    let t = Instant::now();
    let same = yaolian_supervision::scores::recompute(&store, &leader, None, "", &client).await?;
    let unchanged = t.elapsed().as_secs_f64();
    anyhow::ensure!(same.changed == 0, "an unchanged world rewrote {} scores", same.changed);
    println!("{:<44} {unchanged:>9.2} {:>9} {:>9} {:>7}", "nothing changed", 0, "-", "-");
    // 1% of the companies gain an urgent anomaly at their site.
    let moved: Vec<i64> = companies.iter().step_by(100).copied().collect();
    anomalies(&store, &moved, 1_000_000).await?;
    let t = Instant::now();
    let after = yaolian_supervision::scores::recompute(&store, &leader, None, "", &client).await?;
    let took = t.elapsed().as_secs_f64();
    // Its baseline: the recompute that found nothing to write.
    println!(
        "{:<44} {took:>9.2} {:>9} {unchanged:>9.2} {:>7.2}",
        "after 1% of companies gained an anomaly",
        after.changed,
        took / unchanged.max(1e-6)
    );
    println!(
        "({} products scored; {} risk cases raised by companies turning high risk)",
        after.products,
        after.raised.len()
    );
    // The annual inspection plan of the province, from those scores; its baseline: the ledger
    // alone appending as many versions of a visit's size in the same batches.
    let t = Instant::now();
    let plan = yaolian_supervision::plans::generate(&store, &leader, 2027, &client).await?;
    let took = t.elapsed().as_secs_f64();
    let visit = serde_json::json!({
        "id": 1, "plan_id": 1, "org_id": 1, "company_id": 1, "number": "JC-2027-1-00001", "kind": "routine",
        "year": 2027, "month": 3, "level": "low", "basis": "低风险：每 24 个月检查一次", "scope": "全面检查",
        "status": "planned", "note": "", "created_by": "bench.leader"
    });
    let t = Instant::now();
    crate::bench::append_versions(&store, &visit, 10_000_000, plan.visits as u64, 2_000).await?;
    let base = t.elapsed().as_secs_f64();
    println!(
        "{:<44} {took:>9.2} {:>9} {base:>9.2} {:>7.2}",
        "annual plan generation (plans::generate)",
        plan.visits,
        took / base.max(1e-6)
    );
    println!("({} companies in the plan, {} visits, {} unscored)", plan.companies, plan.visits, plan.unscored);
    db.finish().await;
    Ok(())
}

/// The history the scores read: a product per manufacturer (every tenth company), a license
/// each, a site for every fifth with an anomaly, a case at every tenth (closed with measures or
/// open), an open recall at every fiftieth manufacturer — raw rows, as another module wrote them.
async fn history(store: &Store, companies: &[i64]) -> Result<()> {
    let now = yaolian_core::Timestamp::now().0;
    let mut conn = store.pool().acquire().await?;
    let mut products = Vec::new();
    let mut licenses = Vec::new();
    let mut sites = Vec::new();
    let mut cases = Vec::new();
    for (i, id) in companies.iter().enumerate() {
        let kind = if i % 10 == 0 {
            "drug_manufacturing"
        } else if i % 10 == 1 {
            "drug_wholesale"
        } else {
            "drug_retail"
        };
        licenses.extend([
            Value::from(kind),
            Value::Text(format!("浙{i:08}")),
            Value::Text(format!("S{i:08}")),
            Value::Text(format!("bench-{i}")),
            Value::I64(1),
            Value::I64(*id),
            Value::Text(format!("基准企业{i:06}有限公司")),
            Value::I64(1),
            Value::from("2025-01-01"),
            Value::from("2025-01-01"),
            Value::from("2030-01-01"),
            Value::from("valid"),
            Value::I64(1),
            Value::I64(now),
        ]);
        if i % 10 == 0 {
            let (generic, form) = MADE[(i / 10) % MADE.len()];
            products.extend([
                Value::Text(format!("国药准字H{:08}", 20_000_000 + i)),
                Value::from("化学药品"),
                Value::from(generic),
                Value::from(form),
                Value::from("1ml"),
                Value::I64(*id),
                Value::I64(1),
                Value::I64(now),
            ]);
        }
        if i % 5 == 0 {
            sites.extend([
                Value::Text(format!("urn:epc:id:sgln:bench.{i}.0")),
                Value::from("门店"),
                Value::from("pharmacy"),
                Value::I64(*id),
            ]);
        }
        if i % 10 == 3 {
            let closed = i % 20 == 3;
            cases.extend([
                Value::I64(*id),
                Value::Text(format!("FX-BENCH-{i:07}")),
                Value::from("manual"),
                Value::from("基准案件"),
                Value::from("medium"),
                Value::from(if closed { "closed" } else { "assigned" }),
                Value::I64(0),
                Value::from(if closed { r#"["file_case","rectify"]"# } else { "[]" }),
                Value::from("bench"),
                Value::I64(now),
                if closed { Value::I64(now) } else { Value::NullI64 },
                Value::I64(1),
                Value::I64(now),
            ]);
        }
    }
    let ins = yaolian_store::sql::insert_rows;
    ins(
        &mut conn,
        "INSERT INTO licenses (kind, number, serial, identifier, doc_version, holder_org_id, holder_name, issuer_org_id, \
         issued_on, valid_from, valid_until, status, version, updated_at)",
        "",
        14,
        licenses,
    )
    .await?;
    ins(
        &mut conn,
        "INSERT INTO products (approval_number, category, generic_name, dosage_form, strength, mah_org_id, version, updated_at)",
        "",
        8,
        products,
    )
    .await?;
    ins(&mut conn, "INSERT INTO trace_sites (id, name, kind, org_id)", "", 4, sites).await?;
    // The case rows name the province as their bureau.
    let province: i64 =
        sqlx::query_scalar("SELECT parent_id FROM orgs WHERE id = $1").bind(companies[0]).fetch_one(&mut *conn).await?;
    let cases: Vec<Value> =
        cases.chunks(13).flat_map(|row| std::iter::once(Value::I64(province)).chain(row.iter().cloned())).collect();
    ins(
        &mut conn,
        "INSERT INTO sup_cases (org_id, company_id, number, source, title, level, status, due_on, measures, created_by, \
         created_at, closed_at, version, updated_at)",
        "",
        14,
        cases,
    )
    .await?;
    drop(conn);
    let with_anomaly: Vec<i64> = companies.iter().step_by(5).copied().collect();
    anomalies(store, &with_anomaly, 0).await?;
    // Open recalls, overdue, of every fiftieth manufacturer's product.
    sqlx::query(
        "INSERT INTO trace_recalls (product_id, batches, level, reason, status, total, created_by, created_at) \
         SELECT id, '[\"B1\"]', 2, 'bench', 'open', 0, 1, $1 FROM products WHERE id % 5 = 0",
    )
    .bind(now - 90 * yaolian_core::time::DAY_MS)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// An urgent anomaly (a recalled pack sold) at each company's bench site.
async fn anomalies(store: &Store, companies: &[i64], salt: usize) -> Result<()> {
    let now = yaolian_core::Timestamp::now().0;
    let sites: Vec<(String, i64)> =
        sqlx::query_as("SELECT id, org_id FROM trace_sites WHERE id LIKE 'urn:epc:id:sgln:bench.%'")
            .fetch_all(store.pool())
            .await?;
    let by_org: std::collections::HashMap<i64, String> = sites.into_iter().map(|(s, o)| (o, s)).collect();
    let mut values = Vec::new();
    for (i, id) in companies.iter().enumerate() {
        let Some(site) = by_org.get(id) else { continue };
        values.extend([
            Value::Text(format!("bench:{}", salt + i)),
            Value::from("sale_recalled"),
            Value::Text(site.clone()),
            Value::from("bench"),
            Value::I64(now),
            Value::I64(now),
        ]);
    }
    let mut conn = store.pool().acquire().await?;
    yaolian_store::sql::insert_rows(
        &mut conn,
        "INSERT INTO trace_anomalies (dedup, kind, site, detail, event_time, detected_at)",
        "",
        6,
        values,
    )
    .await?;
    Ok(())
}

/// The ledger alone: `n` versions of a score-sized image appended in batches of 2,000.
async fn baseline(store: &Store, n: usize) -> Result<f64> {
    let data = serde_json::json!({
        "subject": "company", "subject_id": 1, "company_id": 1, "model_org_id": null, "model_version": 0,
        "score": {"intrinsic": 20, "compliance": 11, "intrinsic_level": "medium", "compliance_level": "medium",
                  "level": "medium", "classes": [], "credit": 98, "grade": "A", "factors": [
                    {"code": "license:drug_retail", "part": "intrinsic", "name": "持有药品经营许可证（零售）", "count": 1,
                     "weight": 5, "points": 5, "sources": []},
                    {"code": "anomalies", "part": "compliance", "name": "追溯异常", "count": 1, "weight": 3, "points": 3,
                     "sources": [{"label": "追溯异常 #1：销售召回药品", "link": "/trace/anomalies#anomaly-1"}]}]}
    });
    let t = Instant::now();
    crate::bench::append_versions(store, &data, 0, n as u64, 2_000).await?;
    Ok(t.elapsed().as_secs_f64())
}
