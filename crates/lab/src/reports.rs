//! Laboratory statistics (实验室统计), generated from the records, instruments and results in
//! the reader's scope (`lab.read`), never typed: records per analyst, per project and per month
//! (made, approved, out of specification, corrected after submission), and per instrument (uses
//! recorded at submission, results its workstation delivered). Each dimension is one grouped
//! query; the months are counted from the last twelve months' records.

use crate::error::Result;
use chrono::Datelike;
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::Timestamp;
use yaolian_store::sql::Params;
use yaolian_store::Store;

/// Records counted under one name (an analyst, a project, a month).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Tally {
    /// The login name, the project's code or the month (`2026-12`).
    pub key: String,
    /// The person's name or the project's title.
    pub name: String,
    pub records: i64,
    pub approved: i64,
    pub oos: i64,
    /// Records with at least one correction after submission.
    pub corrected: i64,
}

/// One instrument's use.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct InstrumentTally {
    pub code: String,
    pub name: String,
    pub status: String,
    /// Uses recorded (by records submitted and by hand).
    pub uses: i64,
    /// Results its capture agent delivered.
    pub results: i64,
}

/// The statistics of the laboratories in reach.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Statistics {
    pub analysts: Vec<Tally>,
    pub projects: Vec<Tally>,
    pub instruments: Vec<InstrumentTally>,
    /// The last twelve months, oldest first, months without records included.
    pub months: Vec<Tally>,
}

const COUNTS: &str = "COUNT(*) AS records, \
     COALESCE(SUM(CASE WHEN r.status = 'approved' THEN 1 ELSE 0 END), 0) AS approved, \
     COALESCE(SUM(r.oos), 0) AS oos, \
     COALESCE(SUM(CASE WHEN r.entries LIKE '%\"corrections\"%' THEN 1 ELSE 0 END), 0) AS corrected";

fn tally(r: &sqlx::any::AnyRow) -> std::result::Result<Tally, sqlx::Error> {
    Ok(Tally {
        key: r.try_get("key")?,
        name: r.try_get("name")?,
        records: r.try_get("records")?,
        approved: r.try_get("approved")?,
        oos: r.try_get("oos")?,
        corrected: r.try_get("corrected")?,
    })
}

/// The statistics (`lab.read`, in its scope).
pub async fn statistics(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Statistics> {
    let scope = |p: &mut Params| yaolian_access::scope_filter(principal, perm::LAB_READ, p);
    let mut p = Params::new();
    let Some(filter) = scope(&mut p) else {
        return Err(audit::deny(store, principal, perm::LAB_READ, "lab_statistics", client).await);
    };
    let sql = format!(
        "SELECT r.author AS key, COALESCE(MAX(u.display_name), r.author) AS name, {COUNTS} \
         FROM lab_records r JOIN orgs o ON o.id = r.org_id LEFT JOIN users u ON u.username = r.author \
         WHERE {filter} GROUP BY r.author ORDER BY records DESC, key"
    );
    let analysts = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;

    let mut p = Params::new();
    let filter = scope(&mut p).unwrap_or_else(|| "1 = 0".into());
    let sql = format!(
        "SELECT j.code AS key, j.title AS name, {COUNTS} \
         FROM lab_records r JOIN lab_projects j ON j.id = r.project_id JOIN orgs o ON o.id = r.org_id \
         WHERE {filter} GROUP BY j.code, j.title ORDER BY key"
    );
    let projects = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;

    let mut p = Params::new();
    let filter = scope(&mut p).unwrap_or_else(|| "1 = 0".into());
    let sql = format!(
        "SELECT i.code, i.name, i.status, COALESCE(u.n, 0) AS uses, COALESCE(x.n, 0) AS results \
         FROM lab_instruments i JOIN orgs o ON o.id = i.org_id \
         LEFT JOIN (SELECT instrument_id, COUNT(*) AS n FROM lab_instrument_uses GROUP BY instrument_id) u \
           ON u.instrument_id = i.id \
         LEFT JOIN (SELECT org_id, instrument, COUNT(*) AS n FROM lab_results GROUP BY org_id, instrument) x \
           ON x.org_id = i.org_id AND x.instrument = i.code \
         WHERE {filter} ORDER BY i.code"
    );
    let instruments = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;

    // Twelve months back from the first of this month (China time).
    let today = Timestamp::now().china_date();
    let first = today.with_day(1).unwrap_or(today);
    let start = first.checked_sub_months(chrono::Months::new(11)).unwrap_or(first);
    let start_ms = yaolian_core::time::day_number(start) * yaolian_core::time::DAY_MS - yaolian_core::time::CHINA_MS;
    let mut p = Params::new();
    let filter = scope(&mut p).unwrap_or_else(|| "1 = 0".into());
    let since = p.push(start_ms);
    let sql = format!(
        "SELECT r.created_at, r.status, r.oos, CASE WHEN r.entries LIKE '%\"corrections\"%' THEN 1 ELSE 0 END AS corrected \
         FROM lab_records r JOIN orgs o ON o.id = r.org_id WHERE {filter} AND r.created_at >= {since}"
    );
    let rows = p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await?;
    let mut months: Vec<Tally> = (0..12)
        .filter_map(|i| start.checked_add_months(chrono::Months::new(i)))
        .map(|m| Tally {
            key: m.format("%Y-%m").to_string(),
            name: m.format("%Y年%-m月").to_string(),
            ..Tally::default()
        })
        .collect();
    for r in &rows {
        let month = Timestamp(r.try_get("created_at")?).china_date().format("%Y-%m").to_string();
        let Some(t) = months.iter_mut().find(|t| t.key == month) else { continue };
        t.records += 1;
        t.approved += i64::from(r.try_get::<String, _>("status")? == "approved");
        t.oos += r.try_get::<i64, _>("oos")?;
        t.corrected += r.try_get::<i64, _>("corrected")?;
    }

    Ok(Statistics {
        analysts: analysts.iter().map(tally).collect::<std::result::Result<_, _>>()?,
        projects: projects.iter().map(tally).collect::<std::result::Result<_, _>>()?,
        instruments: instruments
            .iter()
            .map(|r| {
                Ok(InstrumentTally {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    status: r.try_get("status")?,
                    uses: r.try_get("uses")?,
                    results: r.try_get("results")?,
                })
            })
            .collect::<std::result::Result<_, sqlx::Error>>()?,
        months,
    })
}

/// The statistics as one table for export: a dimension column, then the counts.
pub fn table(s: &Statistics) -> audit::Table {
    let tally = |dimension: &str, t: &Tally| {
        vec![
            dimension.to_string(),
            t.key.clone(),
            t.name.clone(),
            t.records.to_string(),
            t.approved.to_string(),
            t.oos.to_string(),
            t.corrected.to_string(),
            String::new(),
            String::new(),
        ]
    };
    let rows = s
        .analysts
        .iter()
        .map(|t| tally("按人员", t))
        .chain(s.projects.iter().map(|t| tally("按项目", t)))
        .chain(s.months.iter().map(|t| tally("按月份", t)))
        .chain(s.instruments.iter().map(|i| {
            vec![
                "按仪器".to_string(),
                i.code.clone(),
                i.name.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                i.uses.to_string(),
                i.results.to_string(),
            ]
        }));
    audit::Table::new(
        "实验室统计",
        &["维度", "编号", "名称", "记录数", "已批准", "超标", "有更正", "仪器使用次数", "仪器数据份数"],
        rows,
    )
}
