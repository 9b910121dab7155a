//! Statutory time limits (法定期限) of an administrative penalty case, as 《市场监督管理行政处罚程序
//! 规定》 (2018, amended 2021 and 2022; 第八十五条: it applies to drug regulators) sets them, read
//! on the working-day calendar ([`Calendar`]: weekends and public holidays off, 调休 working
//! days on).
//!
//! How a period is counted (第八十条, 民法典 第二百零一条): the day it starts from is not counted;
//! a period in days whose last day is not a working day ends on the next working day; a period in
//! working days counts working days only. A period the law does not count is a [`Pause`] of one
//! of the [`PAUSE_KINDS`], both of its days included; it pushes back only the deadlines whose
//! article names its kind ([`Limit::pauses`]: 第十八条 the 立案 check, 检测 … 鉴别; 第三十八条
//! 查封扣押, 检测; 第六十四条 the decision, 中止、听证、公告、检测 …、责令退还多收价款), by
//! the days (or working days) it covers; a hearing does not stop the 法制审核 clock. An extension
//! (延长) approved by the bureau's head adds the limit's extension once.

use chrono::NaiveDate;
use serde::Serialize;
use yaolian_services::calendar::Calendar;

/// How a limit counts its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Unit {
    /// 工作日.
    WorkingDays,
    /// 日 (calendar days).
    Days,
}

/// A statutory time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limit {
    pub code: &'static str,
    /// What must be done within it.
    pub name: &'static str,
    pub length: u32,
    pub unit: Unit,
    /// What one approved extension adds (0: none fixed by the rule).
    pub extension: u32,
    /// The article that sets it.
    pub source: &'static str,
    /// The [`PAUSE_KINDS`] its article does not count.
    pub pauses: &'static [&'static str],
}

/// Periods the rules do not count, code and Chinese name.
pub const PAUSE_KINDS: &[(&str, &str)] = &[
    ("suspension", "中止调查"),
    ("hearing", "听证"),
    ("notice", "公告"),
    ("testing", "检测、检验、检疫、鉴定"),
    ("identification", "权利人辨认或者鉴别"),
    ("refund", "责令退还多收价款"),
];

/// 第十八条: what the 立案 check does not count.
const VERIFY_PAUSES: &[&str] = &["testing", "identification"];
/// 第六十四条: what the decision's 90 days do not count.
const DECIDE_PAUSES: &[&str] = &["suspension", "hearing", "notice", "testing", "identification", "refund"];

use Unit::{Days, WorkingDays};

/// The limits of the ordinary procedure (普通程序), in the order a case meets them.
pub const LIMITS: &[Limit] = &[
    Limit {
        code: "verify",
        name: "核查线索并决定是否立案",
        length: 15,
        unit: WorkingDays,
        extension: 15,
        source: "《市场监督管理行政处罚程序规定》第十八条",
        pauses: VERIFY_PAUSES,
    },
    Limit {
        code: "preserve",
        name: "对先行登记保存的证据作出处理决定",
        length: 7,
        unit: WorkingDays,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第三十五条",
        pauses: &[],
    },
    Limit {
        code: "seize",
        name: "查封、扣押",
        length: 30,
        unit: Days,
        extension: 30,
        source: "《市场监督管理行政处罚程序规定》第三十八条",
        pauses: &["testing"],
    },
    Limit {
        code: "review",
        name: "法制审核",
        length: 10,
        unit: WorkingDays,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第五十五条",
        pauses: &[],
    },
    Limit {
        code: "statement",
        name: "当事人陈述、申辩或者要求听证",
        length: 5,
        unit: WorkingDays,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第五十七条",
        pauses: &[],
    },
    Limit {
        code: "decide",
        name: "自立案之日起作出处理决定",
        length: 90,
        unit: Days,
        extension: 30,
        source: "《市场监督管理行政处罚程序规定》第六十四条",
        pauses: DECIDE_PAUSES,
    },
    Limit {
        code: "deliver",
        name: "当事人不在场时送达决定书",
        length: 7,
        unit: WorkingDays,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第八十一条",
        pauses: &[],
    },
    Limit {
        code: "pay",
        name: "当事人缴纳罚款",
        length: 15,
        unit: Days,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第七十二条",
        pauses: &[],
    },
    Limit {
        code: "close",
        name: "结案",
        length: 15,
        unit: WorkingDays,
        extension: 0,
        source: "《市场监督管理行政处罚程序规定》第七十七条",
        pauses: &[],
    },
];

/// The limit with `code`.
pub fn limit(code: &str) -> Option<&'static Limit> {
    LIMITS.iter().find(|l| l.code == code)
}

/// A period not counted, both days included; `to` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// One of [`PAUSE_KINDS`]' codes.
    pub kind: String,
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// What it was for (which test, whose hearing).
    pub why: String,
}

impl Pause {
    /// Whether `limit`'s article leaves this period uncounted.
    pub fn stops(&self, limit: &Limit) -> bool {
        limit.pauses.contains(&self.kind.as_str())
    }
}

/// The longest a count runs, in days, before it gives up (a calendar without working days, a
/// pause of decades): ten years.
const MAX_DAYS: i64 = 3660;

/// Where a limit stands on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub limit: Limit,
    pub started: NaiveDate,
    pub extended: bool,
    /// The last day to act; while a pause lasts, the deadline if it ended on the day read.
    pub deadline: NaiveDate,
    /// Days (or working days) left after the day read; negative once overdue.
    pub left: i64,
    pub paused: bool,
}

impl Clock {
    pub fn overdue(&self) -> bool {
        self.left < 0
    }
}

fn paused_on(limit: &Limit, pauses: &[Pause], day: NaiveDate, today: NaiveDate) -> bool {
    pauses.iter().filter(|p| p.stops(limit)).any(|p| {
        let to = p.to.unwrap_or(today);
        p.from <= day && day <= to
    })
}

/// The deadline of `limit` started on `start`, with those of `pauses` its article does not count
/// (a pause still open counts up to `today`) and the extension if `extended`.
pub fn deadline(
    cal: &Calendar,
    limit: &Limit,
    start: NaiveDate,
    extended: bool,
    pauses: &[Pause],
    today: NaiveDate,
) -> NaiveDate {
    let mut left = limit.length + if extended { limit.extension } else { 0 };
    let mut day = start;
    let mut steps = 0;
    while left > 0 && steps < MAX_DAYS {
        let Some(next) = day.succ_opt() else { break };
        day = next;
        steps += 1;
        if paused_on(limit, pauses, day, today) {
            continue;
        }
        if limit.unit == Days || cal.is_working_day(day) {
            left -= 1;
        }
    }
    // 第八十条: a period's last day that is not a working day moves to the next working day.
    while !cal.is_working_day(day) && steps < MAX_DAYS {
        let Some(next) = day.succ_opt() else { break };
        day = next;
        steps += 1;
    }
    day
}

/// The clock of `limit` as read on `today`.
pub fn read(
    cal: &Calendar,
    limit: &Limit,
    start: NaiveDate,
    extended: bool,
    pauses: &[Pause],
    today: NaiveDate,
) -> Clock {
    let deadline = deadline(cal, limit, start, extended, pauses, today);
    let left = match limit.unit {
        Days => (deadline - today).num_days(),
        WorkingDays => cal.working_days_between(today, deadline),
    };
    let left = left.clamp(-MAX_DAYS, MAX_DAYS);
    let paused = pauses.iter().any(|p| p.stops(limit) && p.from <= today && p.to.is_none_or(|t| today <= t));
    Clock { limit: *limit, started: start, extended, deadline, left, paused }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yaolian_services::calendar::DayKind;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    /// A calendar written out for the test (not the State Council's: a National Day week off,
    /// the Saturday after it worked).
    fn calendar() -> Calendar {
        let mut days: Vec<(NaiveDate, DayKind)> =
            (1..=7).map(|i| (d(&format!("2026-10-{i:02}")), DayKind::Holiday)).collect();
        days.push((d("2026-10-10"), DayKind::Workday));
        Calendar::new(days)
    }

    fn pause(kind: &str, from: &str, to: Option<&str>) -> Pause {
        Pause { kind: kind.into(), from: d(from), to: to.map(d), why: String::new() }
    }

    fn l(code: &str) -> &'static Limit {
        limit(code).unwrap_or(&LIMITS[0])
    }

    #[test]
    fn a_period_in_days_ending_on_a_weekend_ends_on_the_next_working_day() {
        let cal = calendar();
        // 立案 on Monday 2026-03-02: 90 days later is Sunday 2026-05-31 → Monday 2026-06-01.
        assert_eq!(deadline(&cal, l("decide"), d("2026-03-02"), false, &[], d("2026-03-02")), d("2026-06-01"));
        // Extended by 30 days: Tuesday 2026-06-30.
        assert_eq!(deadline(&cal, l("decide"), d("2026-03-02"), true, &[], d("2026-03-02")), d("2026-06-30"));
    }

    #[test]
    fn a_hearing_is_not_counted() {
        let cal = calendar();
        let hearing = pause("hearing", "2026-04-10", Some("2026-04-20"));
        // Eleven days paused: 2026-05-31 + 11 = Thursday 2026-06-11.
        let c = read(&cal, l("decide"), d("2026-03-02"), false, &[hearing], d("2026-06-01"));
        assert_eq!((c.deadline, c.left, c.paused, c.overdue()), (d("2026-06-11"), 10, false, false));
        // While a pause lasts the deadline moves with each day read.
        let open = pause("testing", "2026-04-10", None);
        let c = read(&cal, l("decide"), d("2026-03-02"), false, std::slice::from_ref(&open), d("2026-04-15"));
        assert!(c.paused);
        assert_eq!(c.deadline, d("2026-06-08"), "six days paused so far: 2026-05-31 + 6 = Saturday 06-06 → Monday");
        let later = read(&cal, l("decide"), d("2026-03-02"), false, &[open], d("2026-04-16"));
        assert_eq!(later.deadline, d("2026-06-08"), "seven days: Sunday 06-07 → Monday 06-08");
    }

    #[test]
    fn working_days_skip_holidays_and_count_a_worked_saturday() {
        let cal = calendar();
        // Clue received Friday 2026-09-25: Sep 28, 29, 30, Oct 8, 9, 10 (worked), 12 … 22 is the 15th.
        assert_eq!(deadline(&cal, l("verify"), d("2026-09-25"), false, &[], d("2026-09-25")), d("2026-10-22"));
        // Notice served Friday 2026-06-05: five working days end Friday 2026-06-12.
        let c = read(&cal, l("statement"), d("2026-06-05"), false, &[], d("2026-06-15"));
        assert_eq!((c.deadline, c.left, c.overdue()), (d("2026-06-12"), -1, true));
    }

    #[test]
    fn a_pause_stops_only_the_limits_whose_article_names_it() {
        let cal = calendar();
        let hearing = pause("hearing", "2026-04-10", Some("2026-04-12"));
        // 法制审核 counts through a hearing: ten working days from Wednesday 2026-04-08 end 04-22.
        let review = read(&cal, l("review"), d("2026-04-08"), false, std::slice::from_ref(&hearing), d("2026-04-11"));
        assert_eq!((review.deadline, review.paused), (d("2026-04-22"), false));
        // The decision's 90 days do not: three days later than 05-31, Wednesday 06-03.
        let decide = read(&cal, l("decide"), d("2026-03-02"), false, std::slice::from_ref(&hearing), d("2026-04-11"));
        assert_eq!((decide.deadline, decide.paused), (d("2026-06-03"), true));
        // A test (检验) stops the 立案 check (第十八条): three working days more; a hearing does not.
        let testing = pause("testing", "2026-09-28", Some("2026-09-30"));
        assert_eq!(deadline(&cal, l("verify"), d("2026-09-25"), false, &[testing], d("2026-10-30")), d("2026-10-27"));
        let heard = pause("hearing", "2026-09-28", Some("2026-09-30"));
        assert_eq!(deadline(&cal, l("verify"), d("2026-09-25"), false, &[heard], d("2026-10-30")), d("2026-10-22"));
    }

    #[test]
    fn every_limit_names_its_article_and_known_pauses() {
        for l in LIMITS {
            assert!(l.source.contains("第") && l.source.ends_with('条'), "{}", l.code);
            assert!(l.length > 0);
            for kind in l.pauses {
                assert!(PAUSE_KINDS.iter().any(|(c, _)| c == kind), "{}: {kind}", l.code);
            }
        }
        assert!(limit("nonesuch").is_none());
        assert_eq!(limit("pay").map(|l| (l.length, l.unit)), Some((15, Days)));
    }
}
