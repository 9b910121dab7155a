//! Time: stored as UTC milliseconds since the Unix epoch (portable across SQLite and
//! PostgreSQL, sortable, indexable), shown to people in China Standard Time (UTC+08:00,
//! the zone of Asia/Shanghai, which has had no daylight saving since 1991).

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in time, UTC milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// China Standard Time, UTC+08:00 (checked at compile time).
pub const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+08:00 is a valid offset"),
};

pub fn china_offset() -> FixedOffset {
    CHINA_OFFSET
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;
/// China Standard Time's offset from UTC in milliseconds: the day number of a time is
/// `(ms + CHINA_MS) / DAY_MS`, as rollups keyed by China day compute it in SQL.
pub const CHINA_MS: i64 = 8 * 3_600_000;

/// The day number (days since 1970-01-01) of a calendar date.
pub fn day_number(date: NaiveDate) -> i64 {
    (date - NaiveDate::default()).num_days()
}

/// The calendar date of a day number; `None` out of chrono's range.
pub fn date_of_day_number(number: i64) -> Option<NaiveDate> {
    NaiveDate::default().checked_add_signed(chrono::Duration::try_days(number)?)
}

/// A day number as `YYYY-MM-DD`, empty for one out of range.
pub fn day_text(number: i64) -> String {
    date_of_day_number(number).map(|d| d.to_string()).unwrap_or_default()
}

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(Utc::now().timestamp_millis())
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn plus_seconds(self, s: i64) -> Self {
        Timestamp(self.0.saturating_add(s.saturating_mul(1000)))
    }

    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default()
    }

    /// RFC 3339 in UTC, e.g. `2026-11-23T20:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        self.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }

    /// Local China time with zone, e.g. `2026-11-24 04:00:00 +08:00`.
    pub fn to_china_string(self) -> String {
        self.to_utc().with_timezone(&china_offset()).format("%Y-%m-%d %H:%M:%S %:z").to_string()
    }

    /// The calendar day in China time.
    pub fn china_date(self) -> NaiveDate {
        self.to_utc().with_timezone(&china_offset()).date_naive()
    }

    /// The China calendar day as a day number, `(ms + 8 h) / 1 day` (see [`day_number`]).
    pub fn china_day_number(self) -> i64 {
        self.0.saturating_add(CHINA_MS).div_euclid(DAY_MS)
    }

    /// When China day number `day` starts.
    pub fn china_day_number_start(day: i64) -> Self {
        Timestamp(day.saturating_mul(DAY_MS).saturating_sub(CHINA_MS))
    }

    /// Start of a calendar day in China time.
    pub fn china_day_start(date: NaiveDate) -> Self {
        let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
        let dt = china_offset().from_local_datetime(&naive).single();
        Timestamp(dt.map(|d| d.timestamp_millis()).unwrap_or(0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_count_china_days_from_the_epoch() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(day_number(day(1970, 1, 2)), 1);
        assert_eq!(date_of_day_number(day_number(day(2026, 11, 30))), Some(day(2026, 11, 30)));
        // 2026-10-01T00:00:00Z is already 08:00 on 1 October in Beijing; 15:59:59.999Z is
        // the last moment of that China day.
        let t = Timestamp(1_790_812_800_000);
        assert_eq!(t.china_day_number(), day_number(day(2026, 10, 1)));
        let start = Timestamp::china_day_number_start(t.china_day_number());
        assert_eq!(start, Timestamp::china_day_start(day(2026, 10, 1)));
        assert_eq!(Timestamp(start.0 - 1).china_day_number(), day_number(day(2026, 9, 30)));
        assert_eq!(Timestamp(start.0 + DAY_MS - 1).china_day_number(), t.china_day_number());
        assert_eq!(date_of_day_number(i64::MAX), None);
    }

    #[test]
    fn china_time_is_eight_hours_ahead() {
        // 2026-10-01T00:00:00Z is 08:00 on National Day in Beijing.
        let t = Timestamp(1_790_812_800_000);
        assert_eq!(t.to_rfc3339(), "2026-10-01T00:00:00.000Z");
        assert_eq!(t.to_china_string(), "2026-10-01 08:00:00 +08:00");
        let d = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
        assert_eq!(Timestamp::china_day_start(d).0, 1_790_812_800_000 - 8 * 3_600_000);
    }
}
