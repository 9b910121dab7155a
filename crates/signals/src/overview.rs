//! The regulator's overview (监管大屏): the state of a bureau's area at a glance — companies by
//! risk level per region (the 风险分布图), the closed loop's open and overdue cases, open trace
//! anomalies, applications past their time limit (超期办件), sampling pass rate per month,
//! adverse-reaction signals and black-box warnings.
//!
//! A region is the organization directly under the viewer on the materialized path (a province
//! sees its cities, the NMPA its provinces); companies directly under the viewer are its own
//! region (本级直管). Every figure is one `GROUP BY` query in the viewer's scope, so the page
//! costs the same at a province's scale as at the demo's: no query per region or per row.
//!
//! The regions are drawn as tiles, not as a geographic map: a boundary map published in China
//! needs an approved map (审图号, 《地图管理条例》), which a platform cannot ship for every area.

use crate::error::Result;
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use yaolian_access::{perm, ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::time::{date_of_day_number, day_number, CHINA_MS, DAY_MS};
use yaolian_core::Timestamp;
use yaolian_identity::IdentityError;
use yaolian_store::sql::Params;
use yaolian_store::Store;

/// Months of sampling pass rate shown.
pub const MONTHS: usize = 12;
/// Days of black-box warnings shown.
pub const DAYS: i64 = 14;
/// Open signals and warnings listed.
pub const LATEST: i64 = 5;

/// One region's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Region {
    /// The region's short name (its administrative area below the viewer's, else its name).
    pub name: String,
    /// The region organization's materialized path.
    pub path: String,
    /// Companies graded (with a current risk score).
    pub companies: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    /// Risk cases of its companies not closed.
    pub open_cases: i64,
    /// Of those, past their step's due day.
    pub overdue_cases: i64,
}

impl Region {
    /// The share of high-risk companies, in percent (0 without companies).
    pub fn high_percent(&self) -> f64 {
        if self.companies == 0 {
            return 0.0;
        }
        (self.high as f64 * 1000.0 / self.companies as f64).round() / 10.0
    }

    /// How the tile reads: `danger` (high-risk share ≥ 20 % or an overdue case), `warn`
    /// (≥ 10 % or an open case), else `ok`.
    pub fn tone(&self) -> &'static str {
        let share = self.high_percent();
        if share >= 20.0 || self.overdue_cases > 0 {
            "danger"
        } else if share >= 10.0 || self.open_cases > 0 {
            "warn"
        } else {
            "ok"
        }
    }
}

/// Samples concluded in one month (by the month they were taken).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub tested: i64,
    pub passed: i64,
}

impl Month {
    /// Pass rate in percent with one decimal; `None` without samples.
    pub fn rate(&self) -> Option<f64> {
        (self.tested > 0).then(|| (self.passed as f64 * 1000.0 / self.tested as f64).round() / 10.0)
    }
}

/// An open signal or warning, listed with a link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Item {
    pub id: i64,
    pub number: String,
    /// What it is about (drug × event; company, line, parameter and batch).
    pub title: String,
    /// Its state's Chinese name.
    pub status: String,
}

/// Adverse-reaction signals and black-box warnings (for a viewer with `signals.read`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Signals {
    /// Signals per state, in [`crate::detection::STATUSES`]' order.
    pub signals_by_status: Vec<(String, i64)>,
    /// Warnings per state, in [`crate::blackbox::STATUSES`]' order.
    pub warnings_by_status: Vec<(String, i64)>,
    /// Warnings raised per day over the last [`DAYS`] days (`YYYY-MM-DD`, count).
    pub warnings_per_day: Vec<(String, i64)>,
    pub open_signals: Vec<Item>,
    pub open_warnings: Vec<Item>,
}

impl Signals {
    /// Signals or warnings still to decide (new or watched).
    fn open(by_status: &[(String, i64)]) -> i64 {
        by_status.iter().filter(|(s, _)| s == "new" || s == "watch").map(|(_, n)| n).sum()
    }

    pub fn signals_open(&self) -> i64 {
        Self::open(&self.signals_by_status)
    }

    pub fn warnings_open(&self) -> i64 {
        Self::open(&self.warnings_by_status)
    }
}

/// The overview of the viewer's area.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Overview {
    /// When the figures were read.
    #[schema(value_type = i64)]
    pub at: Timestamp,
    /// Regions, most high-risk companies first.
    pub regions: Vec<Region>,
    /// The closed loop's figures.
    pub cases: yaolian_supervision::cases::Statistics,
    /// Applications past their legal time limit (超期办件; `None` for a viewer who handles none).
    pub applications_overdue: Option<i64>,
    /// Open trace anomalies by kind, most first (`None` without `trace.read`).
    pub anomalies: Option<Vec<(String, i64)>>,
    /// Sampling per month, oldest first, the last [`MONTHS`] months.
    pub sampling: Vec<Month>,
    /// `None` without `signals.read`.
    pub signals: Option<Signals>,
}

impl Overview {
    pub fn companies(&self) -> i64 {
        self.regions.iter().map(|r| r.companies).sum()
    }

    pub fn high(&self) -> i64 {
        self.regions.iter().map(|r| r.high).sum()
    }

    /// Open trace anomalies (`None` without `trace.read`).
    pub fn open_anomalies(&self) -> Option<i64> {
        self.anomalies.as_ref().map(|kinds| kinds.iter().map(|(_, n)| n).sum())
    }

    pub fn open_cases(&self) -> i64 {
        self.cases.by_status.iter().filter(|(s, _)| s != "closed").map(|(_, n)| n).sum()
    }

    /// Pass rate over the months shown.
    pub fn pass_rate(&self) -> Option<f64> {
        let all = Month {
            month: String::new(),
            tested: self.sampling.iter().map(|m| m.tested).sum(),
            passed: self.sampling.iter().map(|m| m.passed).sum(),
        };
        all.rate()
    }
}

/// The region path of `path` seen from `viewer`: the viewer's path and the next segment, or
/// the viewer's own path for itself and for anything not under it.
pub fn region_of(viewer: &str, path: &str) -> String {
    match path.strip_prefix(viewer) {
        Some(rest) if !rest.is_empty() => match rest.split_once('/') {
            Some((next, _)) => format!("{viewer}{next}/"),
            None => viewer.to_string(),
        },
        _ => viewer.to_string(),
    }
}

/// The overview of the principal's area: a bureau with `supervision.read`.
pub async fn overview(store: &Store, principal: &Principal, client: &ClientInfo) -> Result<Overview> {
    if !principal.org_kind().is_regulator() || !principal.has(perm::SUPERVISION_READ) {
        return Err(audit::deny(store, principal, perm::SUPERVISION_READ, "overview", client).await);
    }
    let now = Timestamp::now();
    let today = now.china_date();
    let cases = yaolian_supervision::cases::statistics(store, principal, client).await?;
    let anomalies = yaolian_trace::anomalies::open_by_kind(store, principal)
        .await
        .map_err(IdentityError::from)?
        .map(|kinds| kinds.into_iter().map(|k| (k.label, k.count)).collect());
    let applications_overdue = yaolian_services::applications::dashboard::pending(store, principal)
        .await
        .map_err(IdentityError::from)?
        .map(|p| p.overdue);
    let signals =
        if principal.has(perm::SIGNALS_READ) { Some(signals(store, principal, now, client).await?) } else { None };
    Ok(Overview {
        at: now,
        regions: regions(store, principal, day_number(today)).await?,
        cases,
        applications_overdue,
        anomalies,
        sampling: sampling(store, principal, today).await?,
        signals,
    })
}

/// Companies per risk level and open cases per region: two GROUP BY queries by the companies'
/// parent organization, rolled up to the regions in memory (there are few parents).
async fn regions(store: &Store, principal: &Principal, today: i64) -> Result<Vec<Region>> {
    let viewer = principal.org_path().to_string();
    let mut by_path: BTreeMap<String, Region> = BTreeMap::new();

    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT par.path, s.level, COUNT(*) FROM sup_scores s JOIN orgs o ON o.id = s.company_id \
         JOIN orgs par ON par.id = o.parent_id WHERE s.subject = 'company' AND {scope} GROUP BY par.path, s.level"
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (path, level, n): (String, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let region = by_path.entry(region_of(&viewer, &path)).or_default();
        region.companies += n;
        match level.as_str() {
            "high" => region.high += n,
            "medium" => region.medium += n,
            _ => region.low += n,
        }
    }

    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Ok(Vec::new());
    };
    let today = p.push(today);
    let sql = format!(
        "SELECT par.path, COUNT(*), CAST(COALESCE(SUM(CASE WHEN c.due_on < {today} THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM sup_cases c JOIN orgs o ON o.id = c.org_id JOIN orgs m ON m.id = c.company_id \
         JOIN orgs par ON par.id = m.parent_id WHERE c.status <> 'closed' AND {scope} GROUP BY par.path"
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let path: String = r.try_get(0)?;
        let region = by_path.entry(region_of(&viewer, &path)).or_default();
        region.open_cases += r.try_get::<i64, _>(1)?;
        region.overdue_cases += r.try_get::<i64, _>(2)?;
    }

    // The regions' names: one query for the few region paths and the viewer's own.
    let mut p = Params::new();
    let mut wanted: Vec<String> = by_path.keys().cloned().collect();
    wanted.push(viewer.clone());
    let list: Vec<String> = wanted.iter().map(|w| p.push(w.clone())).collect();
    let sql = format!("SELECT path, name, region FROM orgs WHERE path IN ({})", list.join(", "));
    let mut names: HashMap<String, (String, String)> = HashMap::new();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        names.insert(r.try_get(0)?, (r.try_get(1)?, r.try_get(2)?));
    }
    let own_area = names.get(&viewer).map(|(_, area)| area.clone()).unwrap_or_default();
    let mut out: Vec<Region> = by_path
        .into_iter()
        .map(|(path, mut region)| {
            region.name = if path == viewer {
                "本级直管".to_string()
            } else {
                let (name, area) = names.get(&path).cloned().unwrap_or_default();
                // Its area below the viewer's (浙江省杭州市 seen from 浙江省: 杭州市), else its
                // whole area, else (no area, or the viewer's own) its name.
                match area.strip_prefix(own_area.as_str()) {
                    Some(rest) if !own_area.is_empty() && !rest.is_empty() => rest.to_string(),
                    _ if !area.is_empty() && area != own_area => area,
                    _ => name,
                }
            };
            region.path = path;
            region
        })
        .collect();
    out.sort_by(|a, b| b.high.cmp(&a.high).then(b.companies.cmp(&a.companies)).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// Concluded samples (合格 / 不合格) per month taken, the last [`MONTHS`] months: one GROUP BY
/// by China day, folded into months.
async fn sampling(store: &Store, principal: &Principal, today: chrono::NaiveDate) -> Result<Vec<Month>> {
    use chrono::Datelike;
    let mut months: Vec<Month> = (0..MONTHS)
        .rev()
        .filter_map(|back| today.checked_sub_months(chrono::Months::new(u32::try_from(back).unwrap_or(0))))
        .map(|d| Month { month: format!("{:04}-{:02}", d.year(), d.month()), ..Month::default() })
        .collect();
    let Some(first) =
        months.first().and_then(|m| chrono::NaiveDate::parse_from_str(&format!("{}-01", m.month), "%Y-%m-%d").ok())
    else {
        return Ok(months);
    };
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SUPERVISION_READ, &mut p) else {
        return Ok(months);
    };
    let since = p.push(Timestamp::china_day_start(first).0);
    let (shift, day) = (p.push(CHINA_MS), p.push(DAY_MS));
    let sql = format!(
        "SELECT (s.sampled_at + {shift}) / {day}, s.status, COUNT(*) FROM sup_samples s JOIN orgs o ON o.id = s.org_id \
         WHERE s.status IN ('passed', 'failed') AND s.sampled_at >= {since} AND {scope} GROUP BY 1, 2"
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (d, status, n): (i64, String, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let Some(date) = date_of_day_number(d) else { continue };
        let key = format!("{:04}-{:02}", date.year(), date.month());
        if let Some(m) = months.iter_mut().find(|m| m.month == key) {
            m.tested += n;
            if status == "passed" {
                m.passed += n;
            }
        }
    }
    Ok(months)
}

/// Signals and warnings in the principal's `signals.read` scope: per state, warnings per day,
/// and the latest open ones.
async fn signals(store: &Store, principal: &Principal, now: Timestamp, client: &ClientInfo) -> Result<Signals> {
    let zero = |states: &[(&str, &str)]| states.iter().map(|(c, _)| (c.to_string(), 0)).collect::<Vec<_>>();
    let zh = |states: &[(&str, &'static str)], code: &str| {
        states.iter().find(|(c, _)| *c == code).map(|(_, z)| z.to_string()).unwrap_or_default()
    };
    let mut out = Signals {
        signals_by_status: zero(crate::detection::STATUSES),
        warnings_by_status: zero(crate::blackbox::STATUSES),
        ..Signals::default()
    };
    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SIGNALS_READ, &mut p) else {
        return Ok(out);
    };
    let sql = format!(
        "SELECT s.status, COUNT(*) FROM adr_signals s JOIN orgs o ON o.id = s.org_id WHERE {scope} GROUP BY s.status"
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (status, n): (String, i64) = (r.try_get(0)?, r.try_get(1)?);
        if let Some(x) = out.signals_by_status.iter_mut().find(|(c, _)| *c == status) {
            x.1 += n;
        }
    }
    let sql = format!(
        "SELECT s.id, s.number, s.drug, s.term, s.status FROM adr_signals s JOIN orgs o ON o.id = s.org_id \
         WHERE s.status IN ('new', 'watch') AND {scope} ORDER BY s.id DESC LIMIT {LATEST}"
    );
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (drug, term, status): (String, String, String) = (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
        out.open_signals.push(Item {
            id: r.try_get(0)?,
            number: r.try_get(1)?,
            title: format!("{drug} × {}", crate::terms::zh(&term)),
            status: zh(crate::detection::STATUSES, &status),
        });
    }

    let mut p = Params::new();
    let Some(scope) = yaolian_access::scope_filter(principal, perm::SIGNALS_READ, &mut p) else {
        return Ok(out);
    };
    let first_day = now.china_day_number() - (DAYS - 1);
    let (shift, day) = (p.push(CHINA_MS), p.push(DAY_MS));
    let sql = format!(
        "SELECT w.status, (w.created_at + {shift}) / {day}, COUNT(*) FROM bb_warnings w JOIN orgs o ON o.id = w.org_id \
         WHERE {scope} GROUP BY 1, 2"
    );
    let mut per_day: BTreeMap<i64, i64> = (first_day..=now.china_day_number()).map(|d| (d, 0)).collect();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let (status, d, n): (String, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if let Some(x) = out.warnings_by_status.iter_mut().find(|(c, _)| *c == status) {
            x.1 += n;
        }
        if let Some(x) = per_day.get_mut(&d) {
            *x += n;
        }
    }
    out.warnings_per_day = per_day
        .into_iter()
        .map(|(d, n)| (date_of_day_number(d).map(|d| d.to_string()).unwrap_or_default(), n))
        .collect();
    let filter = crate::blackbox::Filter { status: "open".into(), ..Default::default() };
    let (open, _) = crate::blackbox::warnings(store, principal, &filter, (LATEST, 0), client).await?;
    out.open_warnings = open
        .into_iter()
        .map(|w| Item {
            id: w.id,
            number: w.number.clone(),
            title: format!("{} {} · {} · 批次 {}", w.org_name, w.line_name, w.parameter_name, w.batch),
            status: zh(crate::blackbox::STATUSES, &w.status),
        })
        .collect();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_the_organization_directly_under_the_viewer() {
        assert_eq!(region_of("/1/2/", "/1/2/5/"), "/1/2/5/");
        assert_eq!(region_of("/1/2/", "/1/2/5/9/"), "/1/2/5/");
        assert_eq!(region_of("/1/2/", "/1/2/"), "/1/2/");
        assert_eq!(region_of("/1/2/", "/1/3/"), "/1/2/");
        assert_eq!(region_of("/1/", "/1/20/7/"), "/1/20/");
    }

    #[test]
    fn tiles_read_by_high_share_and_overdue_cases() {
        let r = |companies, high, open_cases, overdue_cases| Region {
            companies,
            high,
            open_cases,
            overdue_cases,
            ..Region::default()
        };
        assert_eq!(r(10, 2, 0, 0).tone(), "danger");
        assert_eq!(r(10, 1, 0, 0).tone(), "warn");
        assert_eq!(r(10, 0, 1, 0).tone(), "warn");
        assert_eq!(r(10, 0, 1, 1).tone(), "danger");
        assert_eq!(r(0, 0, 0, 0).tone(), "ok");
        assert_eq!(r(3, 1, 0, 0).high_percent(), 33.3);
        assert_eq!(Month { tested: 3, passed: 2, ..Month::default() }.rate(), Some(66.7));
        assert_eq!(Month::default().rate(), None);
    }
}
