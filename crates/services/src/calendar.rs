//! The working-day calendar (工作日历): weekends off, public holidays off, adjusted working days
//! (调休上班日) on, as the State Council announces them each year (table `calendar_days`).
//!
//! Time limits count working days (行政许可法 Art. 82) and start the day after the event
//! (民法典 Art. 201: the first day of a period counted in days is not included).

use crate::error::Result;
use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use sqlx::Row;
use std::collections::HashMap;
use utoipa::ToSchema;
use yaolian_access::perm;
use yaolian_access::{ClientInfo, Principal};
use yaolian_audit as audit;
use yaolian_core::ValidationError;
use yaolian_store::{versions, NewVersion, Store};

/// The versioned-record entity of calendar days.
pub const ENTITY: &str = "calendar_day";

/// A day that differs from the weekday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A weekday off (法定节假日).
    Holiday,
    /// A weekend day worked (调休上班).
    Workday,
}

/// One configured day, as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SpecialDay {
    pub day: String,
    /// holiday or workday.
    pub kind: String,
    pub name: String,
}

/// The calendar: the weekday rule and its exceptions.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    days: HashMap<NaiveDate, DayKind>,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Calendar {
        Calendar { days: days.into_iter().collect() }
    }

    /// The calendar as configured in the database.
    pub async fn load(store: &Store) -> Result<Calendar> {
        let rows = sqlx::query("SELECT day, kind FROM calendar_days").fetch_all(store.pool()).await?;
        let mut days = HashMap::with_capacity(rows.len());
        for r in rows {
            let day: String = r.try_get(0)?;
            let kind: String = r.try_get(1)?;
            if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                days.insert(d, if kind == "workday" { DayKind::Workday } else { DayKind::Holiday });
            }
        }
        Ok(Calendar { days })
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `start` (`start` itself does not count); `start` when n = 0.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            match d.succ_opt() {
                Some(next) => d = next,
                None => return d,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days in `(from, to]`; negative when `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        from.iter_days().skip(1).take_while(|d| *d <= to).filter(|d| self.is_working_day(*d)).count() as i64
    }
}

/// The configured special days of a year.
pub async fn special_days(store: &Store, year: i32) -> Result<Vec<SpecialDay>> {
    let rows = sqlx::query("SELECT day, kind, name FROM calendar_days WHERE day LIKE $1 ORDER BY day")
        .bind(format!("{year}-%"))
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(|r| Ok(SpecialDay { day: r.try_get(0)?, kind: r.try_get(1)?, name: r.try_get(2)? })).collect()
}

/// Sets a day's kind (`holiday` or `workday`) with its name, or clears it back to the weekday
/// rule (`kind` empty), as the State Council announces each year (`service.configure`). Each
/// change is a record version of the day with the reason.
pub async fn set_day(
    store: &Store,
    principal: &Principal,
    day: &str,
    kind: &str,
    name: &str,
    reason: &str,
    client: &ClientInfo,
) -> Result<()> {
    let target = format!("calendar_day:{day}");
    if !principal.has(perm::SERVICE_CONFIGURE) {
        return Err(audit::deny(store, principal, perm::SERVICE_CONFIGURE, &target, client).await);
    }
    let mut errors = ValidationError::new();
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok();
    if date.is_none() {
        errors.push("day", "date:YYYY-MM-DD", "day must be a date like 2026-10-01");
    }
    if !matches!(kind, "" | "holiday" | "workday") {
        errors.push("kind", "one_of:holiday,workday,", "kind is holiday, workday, or empty to clear");
    }
    if !kind.is_empty() && (name.trim().is_empty() || name.chars().count() > 50) {
        errors.push("name", "length:1..50", "name the holiday, e.g. 国庆节");
    }
    if reason.trim().is_empty() {
        errors.push("reason", "required", "give the reason, e.g. the State Council notice");
    }
    errors.into_result()?;
    let day = date.map(|d| d.to_string()).unwrap_or_default();
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(&day).execute(&mut *tx).await?;
    if !kind.is_empty() {
        sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)")
            .bind(&day)
            .bind(kind)
            .bind(name.trim())
            .execute(&mut *tx)
            .await?;
    }
    let data = serde_json::json!({"day": day, "kind": kind, "name": name.trim()});
    versions::append(
        &mut tx,
        NewVersion {
            entity: ENTITY,
            entity_id: &day,
            actor: principal.username(),
            action: if kind.is_empty() { "clear" } else { "set" },
            reason: reason.trim(),
            data: &data,
            expected_version: None,
        },
    )
    .await?;
    let detail = format!("{day} {kind} {}", name.trim());
    audit::record(
        &mut tx,
        audit::Event {
            detail: &detail,
            ..audit::Event::by(principal, audit::action::SERVICE_TYPE_UPDATE, &target, client)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    /// The 2026 National Day arrangement (国务院办公厅关于2026年部分节假日安排的通知):
    /// 1–7 October off, Sunday 20 September and Saturday 10 October worked.
    fn national_day_2026() -> Calendar {
        let mut days: Vec<(NaiveDate, DayKind)> =
            (1..=7).map(|day| (d(&format!("2026-10-0{day}")), DayKind::Holiday)).collect();
        days.push((d("2026-09-20"), DayKind::Workday));
        days.push((d("2026-10-10"), DayKind::Workday));
        days.extend(["2026-09-25", "2026-09-26", "2026-09-27"].map(|s| (d(s), DayKind::Holiday)));
        Calendar::new(days)
    }

    #[test]
    fn the_adjusted_saturday_is_a_working_day_and_the_holiday_is_not() {
        let c = national_day_2026();
        assert!(c.is_working_day(d("2026-10-10")), "Saturday 10 October is worked");
        assert!(c.is_working_day(d("2026-09-20")), "Sunday 20 September is worked");
        assert!(!c.is_working_day(d("2026-10-01")));
        assert!(!c.is_working_day(d("2026-10-05")), "a Monday inside the holiday");
        assert!(!c.is_working_day(d("2026-10-11")), "an ordinary Sunday");
        assert!(c.is_working_day(d("2026-10-08")));
    }

    #[test]
    fn limits_run_across_national_day() {
        let c = national_day_2026();
        // Submitted Wednesday 30 September: working days are 8 Oct (Thu), 9 Oct (Fri),
        // 10 Oct (the adjusted Saturday), 12 Oct (Mon), 13 Oct (Tue) …
        assert_eq!(c.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
        assert_eq!(c.add_working_days(d("2026-09-30"), 3), d("2026-10-10"));
        assert_eq!(c.add_working_days(d("2026-09-30"), 5), d("2026-10-13"));
        // Twenty working days from 30 September (the usual decision limit) end on 3 November;
        // counting weekends only, they would wrongly end on 28 October.
        assert_eq!(c.add_working_days(d("2026-09-30"), 20), d("2026-11-03"));
        let plain = Calendar::default();
        assert_eq!(plain.add_working_days(d("2026-09-30"), 20), d("2026-10-28"));
        assert_eq!(c.working_days_between(d("2026-09-30"), d("2026-10-13")), 5);
        assert_eq!(c.working_days_between(d("2026-10-13"), d("2026-09-30")), -5);
        assert_eq!(c.add_working_days(d("2026-09-30"), 0), d("2026-09-30"));
        // From Friday 18 September: Sunday 20 September counts, the Mid-Autumn days do not.
        assert_eq!(c.add_working_days(d("2026-09-18"), 1), d("2026-09-20"));
        assert_eq!(c.working_days_between(d("2026-09-24"), d("2026-09-28")), 1);
    }
}
