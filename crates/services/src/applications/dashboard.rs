//! The 工作台's figures of applications (办件): what a bureau must act on (待受理, 即将超期, 超期)
//! and how things trend (submissions per week by type, average working days to decision). Each
//! figure is one GROUP BY query over the applications the caller handles, as the list would
//! select them (the trends over their rollup, `application_rollup`); a caller who handles none
//! gets `None` (the home page then shows no card — a question, not a refused request, so
//! nothing is audited).

use super::*;
use yaolian_core::time::{date_of_day_number, day_number};

/// An open application counts as 即将超期 when its phase is due within this many working days.
pub const DUE_SOON_DAYS: u32 = 3;
/// Weeks the trend charts cover, this one included.
pub const WEEKS: i64 = 12;

/// What the bureau must act on: counts behind the 待受理, 即将超期 and 超期 cards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Pending {
    /// Submitted, waiting for 受理 (`status=submitted`).
    pub to_accept: i64,
    /// In a timed phase, due within [`DUE_SOON_DAYS`] working days (`status=due_soon`).
    pub due_soon: i64,
    /// In a timed phase, past its due date (`status=overdue`).
    pub overdue: i64,
}

/// Submissions per week by type and average working days to decision, over [`WEEKS`] weeks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Trends {
    /// The Monday (China time) of each week, oldest first.
    pub weeks: Vec<String>,
    /// Per type (its Chinese name): submissions in each of `weeks`.
    pub per_week: Vec<TypeWeeks>,
    /// Per type decided in these weeks: average working days from submission to decision,
    /// 补正 excluded (as the statistics page counts them).
    pub average_days: Vec<TypeDays>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct TypeWeeks {
    pub type_code: String,
    pub type_name: String,
    pub counts: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct TypeDays {
    pub type_code: String,
    pub type_name: String,
    pub decided: i64,
    pub average_days: f64,
}

/// The scope of a bureau's handling (`service.handle` or `service.decide` over the applicant),
/// as the list selects for it; `None` for a company or a bureau that handles nothing.
fn bureau_scope(principal: &Principal, p: &mut Params) -> Option<String> {
    if !principal.org_kind().is_regulator() {
        return None;
    }
    yaolian_access::scope_filter_any(principal, &[perm::SERVICE_HANDLE, perm::SERVICE_DECIDE], p)
}

/// The last day that still counts as 即将超期 when today is `today`.
pub(crate) fn due_soon_until(cal: &Calendar, today: NaiveDate) -> NaiveDate {
    cal.add_working_days(today, DUE_SOON_DAYS)
}

// Every figure here is bounded by its applications — the open ones, or a recent window — and
// the scope is a range of organization paths that covers a whole province for its bureau. The
// queries read `applications a CROSS JOIN orgs o`: SQLite keeps that order, so it starts from
// the status or date index and looks each applicant up, instead of starting from the path range
// and reading every application of the province (7.5 s against 25 ms for the decisions of the
// last twelve weeks at province scale, docs/benchmarks.md). PostgreSQL plans it as the join it is.

/// 待受理, 即将超期 and 超期 of the applications the caller handles: one query.
pub async fn pending(store: &Store, principal: &Principal) -> Result<Option<Pending>> {
    let mut p = Params::new();
    let Some(scope) = bureau_scope(principal, &mut p) else { return Ok(None) };
    let cal = Calendar::load(store).await?;
    let today = today();
    let day = p.push(today.to_string());
    let soon = p.push(due_soon_until(&cal, today).to_string());
    let timed = "a.status IN ('submitted', 'accepted')";
    let sql = format!(
        "SELECT \
         COALESCE(SUM(CASE WHEN a.status = 'submitted' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {timed} AND a.phase_due_on >= {day} AND a.phase_due_on <= {soon} THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN {timed} AND a.phase_due_on < {day} THEN 1 ELSE 0 END), 0) \
         FROM applications a CROSS JOIN orgs o \
         WHERE o.id = a.applicant_org_id AND a.status IN ('submitted', 'accepted') AND {scope}"
    );
    let row = p.bind(sqlx::query(&sql)).fetch_one(store.pool()).await?;
    Ok(Some(Pending { to_accept: row.try_get(0)?, due_soon: row.try_get(1)?, overdue: row.try_get(2)? }))
}

/// The Monday (China time) `WEEKS - 1` weeks before this week's.
fn first_monday(today: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    monday - chrono::Duration::weeks(WEEKS - 1)
}

/// Submissions per week by type (one query) and average working days to decision by type (one
/// query) over the last [`WEEKS`] weeks, of the applications the caller handles: sums over the
/// rollup of applications (`application_rollup`), whose groups keep the days submitted and
/// decided.
pub async fn trends(store: &Store, principal: &Principal) -> Result<Option<Trends>> {
    let handles = [perm::SERVICE_HANDLE, perm::SERVICE_DECIDE];
    let mut p = Params::new();
    let Some(region) = super::rollup::region_filter(principal, &handles, &mut p) else { return Ok(None) };
    let start = first_monday(today());
    let first = day_number(start);
    let weeks: Vec<String> = (0..WEEKS).map(|w| (start + chrono::Duration::weeks(w)).to_string()).collect();

    // Rows first (see above): the rollup's recent days by their index, each region looked up.
    let from = "application_rollup r CROSS JOIN orgs o JOIN service_types t ON t.code = r.type_code";
    let since = p.push(first);
    let sql = format!(
        "SELECT r.type_code, t.name_zh, r.sday, CAST(SUM(r.n) AS BIGINT) FROM {from} \
         WHERE o.id = r.region_org_id AND r.sday >= {since} AND {region} \
         GROUP BY r.type_code, t.name_zh, r.sday ORDER BY r.type_code"
    );
    let mut per_week: Vec<TypeWeeks> = Vec::new();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let code: String = r.try_get(0)?;
        let week = (r.try_get::<i64, _>(2)? - first) / 7;
        let count: i64 = r.try_get(3)?;
        if per_week.last().is_none_or(|t| t.type_code != code) {
            per_week.push(TypeWeeks { type_code: code, type_name: r.try_get(1)?, counts: vec![0; weeks.len()] });
        }
        if let (Some(t), Ok(i)) = (per_week.last_mut(), usize::try_from(week)) {
            if let Some(slot) = t.counts.get_mut(i) {
                *slot += count;
            }
        }
    }

    // Working days need the calendar, so the groups keep (type, day submitted, day decided) and
    // the sum is taken here; the days 补正 paused the clock are summed beside them.
    let mut p = Params::new();
    let Some(region) = super::rollup::region_filter(principal, &handles, &mut p) else { return Ok(None) };
    let since = p.push(first);
    let sql = format!(
        "SELECT r.type_code, t.name_zh, r.sday, r.dday, CAST(SUM(r.n) AS BIGINT), CAST(SUM(r.paused) AS BIGINT) \
         FROM {from} WHERE o.id = r.region_org_id AND r.dday >= {since} AND {region} \
         GROUP BY r.type_code, t.name_zh, r.sday, r.dday ORDER BY r.type_code"
    );
    let cal = Calendar::load(store).await?;
    let mut average_days: Vec<TypeDays> = Vec::new();
    let mut totals: Vec<i64> = Vec::new();
    for r in p.bind(sqlx::query(&sql)).fetch_all(store.pool()).await? {
        let code: String = r.try_get(0)?;
        let (Some(submitted), Some(decided)) = (date_of_day_number(r.try_get(2)?), date_of_day_number(r.try_get(3)?))
        else {
            continue;
        };
        let count: i64 = r.try_get(4)?;
        let paused: i64 = r.try_get(5)?;
        if average_days.last().is_none_or(|t| t.type_code != code) {
            average_days.push(TypeDays { type_code: code, type_name: r.try_get(1)?, decided: 0, average_days: 0.0 });
            totals.push(0);
        }
        if let (Some(t), Some(total)) = (average_days.last_mut(), totals.last_mut()) {
            t.decided += count;
            *total += count * cal.working_days_between(submitted, decided) - paused;
        }
    }
    for (t, total) in average_days.iter_mut().zip(totals) {
        if t.decided > 0 {
            t.average_days = (total as f64 / t.decided as f64 * 10.0).round() / 10.0;
        }
    }
    Ok(Some(Trends { weeks, per_week, average_days }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weeks_start_on_the_monday_eleven_weeks_back() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // 2026-11-30 is a Monday; so is 2026-09-14, eleven weeks before.
        assert_eq!(first_monday(day("2026-11-30")), day("2026-09-14"));
        assert_eq!(first_monday(day("2026-12-06")), day("2026-09-14"));
    }
}
