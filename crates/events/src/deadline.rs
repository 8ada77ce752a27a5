//! Time limits (时限) and deadlines: [`Limit`], [`due`], [`mark`] and the configurable
//! [`TimeLimits`] table (category × severity × stage → limit).
//!
//! - `WorkingDays(n)`: due at the close of the n-th working day after the start's local
//!   day (the start day itself does not count, as in "n个工作日内"); `WorkingDays(0)` is
//!   the close of the start day, or of the next working day if the start day is off.
//! - `WorkingHours(n)`: due when n hours of working time have passed after the start.
//! - Approved delays add whole working days of working time (each a full day's working
//!   minutes) after that, so a due at 17:30 moves to 17:30 and a due at 10:00 to 10:00.
//!
//! [`mark`]: on time until 70 % of the working time from start to due has passed, then
//! yellow (黄灯), and overdue (超期) once the due instant has passed.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::category::top_of;
use crate::code_enum;
use crate::step::Severity;

/// The built-in time-limit table.
pub const TIME_LIMITS: &str = include_str!("../data/time-limits.toml");

/// The share of working time after which a deadline shows yellow, in percent.
pub const YELLOW_PERCENT: i64 = 70;

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// A time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Working days after the start day.
    WorkingDays(u32),
    /// Hours of working time after the start.
    WorkingHours(u32),
}

impl Limit {
    /// The number of days or hours.
    pub fn amount(self) -> u32 {
        match self {
            Limit::WorkingDays(n) | Limit::WorkingHours(n) => n,
        }
    }
}

/// The due instant (ms since the epoch) of a limit started at `start_ms`, with
/// `extension_days` of approved delay.
pub fn due(
    start_ms: i64,
    limit: Limit,
    calendar: &Calendar,
    extension_days: u32,
) -> Result<i64, CalendarError> {
    let base = match limit {
        Limit::WorkingHours(n) => calendar.add_working(start_ms, i64::from(n) * HOUR_MS)?,
        Limit::WorkingDays(n) => {
            let mut day = calendar.local_date(start_ms);
            if n == 0 && !calendar.is_workday(day) {
                day = calendar.next_workday(day)?;
            }
            for _ in 0..n {
                day = calendar.next_workday(day)?;
            }
            calendar.end_of_day(day)
        }
    };
    let extra = i64::from(extension_days) * calendar.daily_minutes() * MINUTE_MS;
    if extra == 0 {
        return Ok(base);
    }
    calendar.add_working(base, extra)
}

code_enum! {
    /// How a running deadline looks now.
    pub enum Mark {
        /// Less than 70 % of the working time used.
        OnTime = "on_time",
        /// 黄灯: at least 70 % of the working time used, not yet due.
        Yellow = "yellow",
        /// 超期: past due.
        Overdue = "overdue",
    }
}

/// The mark at `now` of a deadline from `start` to `due` (instants in ms).
pub fn mark(now: i64, start: i64, due: i64, calendar: &Calendar) -> Mark {
    if now > due {
        return Mark::Overdue;
    }
    let total = calendar.working_between(start, due);
    let used = calendar.working_between(start, now);
    if used * 100 >= total * YELLOW_PERCENT {
        Mark::Yellow
    } else {
        Mark::OnTime
    }
}

code_enum! {
    /// The stage a time limit applies to.
    pub enum Stage {
        /// 受理: from filing to acceptance or dispatch.
        Accept = "accept",
        /// 办理: from acceptance or dispatch to 办结.
        Handle = "handle",
        /// 核查: from 办结 to the check.
        Check = "check",
    }
}

/// The limit of each stage when no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageLimits {
    /// 受理.
    pub accept: Limit,
    /// 办理.
    pub handle: Limit,
    /// 核查.
    pub check: Limit,
}

/// One rule of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRule {
    /// The stage.
    pub stage: Stage,
    /// A top-level or sub-category code.
    pub category: String,
    /// If given, only for this severity.
    #[serde(default)]
    pub severity: Option<Severity>,
    /// The limit.
    pub limit: Limit,
}

/// A time-limit file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// The TOML could not be read.
    #[error("time-limit file: {0}")]
    Parse(String),
    /// A limit of zero.
    #[error("a time limit of zero for {0:?}")]
    Zero(String),
}

/// The time-limit table: category × severity × stage → limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeLimits {
    /// Fallbacks per stage.
    pub default: StageLimits,
    /// Rules; the most specific match wins.
    #[serde(default, rename = "rule")]
    pub rules: Vec<LimitRule>,
}

impl TimeLimits {
    /// Reads and checks a time-limit file.
    pub fn from_toml(text: &str) -> Result<Self, LimitsError> {
        let table: TimeLimits =
            toml::from_str(text).map_err(|e| LimitsError::Parse(e.to_string()))?;
        let d = table.default;
        if [d.accept, d.handle, d.check]
            .iter()
            .any(|l| l.amount() == 0)
        {
            return Err(LimitsError::Zero("default".into()));
        }
        if let Some(rule) = table.rules.iter().find(|r| r.limit.amount() == 0) {
            return Err(LimitsError::Zero(rule.category.clone()));
        }
        Ok(table)
    }

    /// The built-in table.
    pub fn builtin() -> Result<Self, LimitsError> {
        TimeLimits::from_toml(TIME_LIMITS)
    }

    /// The limit for an event of `category` (a sub-category code) and `severity` at
    /// `stage`: the rule matching the sub-category beats one matching its top level, and
    /// among those a rule naming the severity beats one without; the first of equals wins.
    pub fn limit(&self, category: &str, severity: Severity, stage: Stage) -> Limit {
        let mut best: Option<((u8, u8), Limit)> = None;
        for rule in &self.rules {
            if rule.stage != stage || rule.severity.is_some_and(|s| s != severity) {
                continue;
            }
            let by_category = if rule.category == category {
                2
            } else if rule.category == top_of(category) {
                1
            } else {
                continue;
            };
            let score = (by_category, u8::from(rule.severity.is_some()));
            if best.is_none_or(|(b, _)| score > b) {
                best = Some((score, rule.limit));
            }
        }
        best.map_or(
            match stage {
                Stage::Accept => self.default.accept,
                Stage::Handle => self.default.handle,
                Stage::Check => self.default.check,
            },
            |(_, limit)| limit,
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn cal() -> Calendar {
        Calendar::builtin().expect("built-in calendar parses")
    }

    /// The instant of a local date and time (Asia/Shanghai).
    fn at(cal: &Calendar, y: i32, m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        let date = NaiveDate::from_ymd_opt(y, m, d).expect("a real date");
        cal.instant(date, hh * 60 + mm)
    }

    #[test]
    fn three_working_days_from_before_the_spring_festival_skip_it_but_count_the_make_up_saturday() {
        let cal = cal();
        // From Thu 12 Feb: Fri 13 (1), Sat 14 make-up (2), 15–23 off, Tue 24 (3).
        let start = at(&cal, 2026, 2, 12, 10, 0);
        let due = due(start, Limit::WorkingDays(3), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 2, 24, 17, 30));
    }

    #[test]
    fn working_hours_run_into_the_make_up_saturday() {
        let cal = cal();
        // Fri 13 Feb 16:00–17:30 is 1.5 h; Sat 14 (make-up) 08:30–11:00 is the other 2.5 h.
        let start = at(&cal, 2026, 2, 13, 16, 0);
        let due = due(start, Limit::WorkingHours(4), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 2, 14, 11, 0));
    }

    #[test]
    fn working_hours_jump_the_whole_festival_and_the_lunch_break() {
        let cal = cal();
        // Sat 14 Feb 15:00–17:30: 2.5 h; 15–23 off; Tue 24 08:30–12:00: 3.5 h (6 h);
        // 13:30–15:30: the last 2 h.
        let start = at(&cal, 2026, 2, 14, 15, 0);
        let due = due(start, Limit::WorkingHours(8), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 2, 24, 15, 30));
    }

    #[test]
    fn a_sunday_make_up_day_after_new_year_counts_as_a_working_day() {
        let cal = cal();
        // From Wed 31 Dec 2025 (a year without a file: plain week): 1–3 Jan off,
        // Sun 4 Jan is a make-up working day.
        let start = at(&cal, 2025, 12, 31, 9, 0);
        let due = due(start, Limit::WorkingDays(1), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 1, 4, 17, 30));
    }

    #[test]
    fn zero_working_days_on_a_holiday_end_with_the_next_working_day() {
        let cal = cal();
        let start = at(&cal, 2026, 2, 16, 9, 0);
        let due = due(start, Limit::WorkingDays(0), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 2, 24, 17, 30));
    }

    #[test]
    fn an_approved_delay_adds_whole_working_days_to_the_due_time() {
        let cal = cal();
        let start = at(&cal, 2026, 2, 12, 10, 0);
        // Due Tue 24 Feb 17:30 as above; two more working days: Wed 25, Thu 26.
        let due = due(start, Limit::WorkingDays(3), &cal, 2).expect("due");
        assert_eq!(due, at(&cal, 2026, 2, 26, 17, 30));
    }

    #[test]
    fn a_delay_on_an_hours_limit_keeps_the_time_of_day_and_skips_the_weekend() {
        let cal = cal();
        // Fri 6 Mar 08:30 + 1 h = 09:30; one working day (7.5 h) later is Mon 9 Mar 09:30.
        let start = at(&cal, 2026, 3, 6, 8, 30);
        let plain = due(start, Limit::WorkingHours(1), &cal, 0).expect("due");
        assert_eq!(plain, at(&cal, 2026, 3, 6, 9, 30));
        let due = due(start, Limit::WorkingHours(1), &cal, 1).expect("due");
        assert_eq!(due, at(&cal, 2026, 3, 9, 9, 30));
    }

    #[test]
    fn the_mark_turns_yellow_at_seventy_percent_of_working_time() {
        let cal = cal();
        // Mon 2 Mar 08:30 + 10 working hours: Mon gives 7.5 h, Tue 08:30–11:00 the rest.
        let start = at(&cal, 2026, 3, 2, 8, 30);
        let due = due(start, Limit::WorkingHours(10), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 3, 3, 11, 0));
        // 70 % of 10 h is 7 h: 08:30–12:00 (3.5 h) + 13:30–17:00 (3.5 h).
        let seven_hours = at(&cal, 2026, 3, 2, 17, 0);
        assert_eq!(mark(seven_hours - 60_000, start, due, &cal), Mark::OnTime);
        assert_eq!(mark(seven_hours, start, due, &cal), Mark::Yellow);
        // Overnight no working time passes: still yellow, not overdue.
        assert_eq!(
            mark(at(&cal, 2026, 3, 2, 23, 0), start, due, &cal),
            Mark::Yellow
        );
    }

    #[test]
    fn the_mark_is_overdue_only_after_the_due_instant() {
        let cal = cal();
        let start = at(&cal, 2026, 3, 2, 8, 30);
        let due = due(start, Limit::WorkingHours(10), &cal, 0).expect("due");
        assert_eq!(mark(due, start, due, &cal), Mark::Yellow);
        assert_eq!(mark(due + 1, start, due, &cal), Mark::Overdue);
    }

    #[test]
    fn lunch_time_does_not_count_toward_the_yellow_mark() {
        let cal = cal();
        // 4 working hours from Mon 2 Mar 10:00: 10:00–12:00, 13:30–15:30. 70 % = 2.8 h =
        // 2 h 48 min: 10:00–12:00 then 13:30–14:18. At 13:00 only 2 h are used.
        let start = at(&cal, 2026, 3, 2, 10, 0);
        let due = due(start, Limit::WorkingHours(4), &cal, 0).expect("due");
        assert_eq!(due, at(&cal, 2026, 3, 2, 15, 30));
        assert_eq!(
            mark(at(&cal, 2026, 3, 2, 13, 0), start, due, &cal),
            Mark::OnTime
        );
        assert_eq!(
            mark(at(&cal, 2026, 3, 2, 14, 17), start, due, &cal),
            Mark::OnTime
        );
        assert_eq!(
            mark(at(&cal, 2026, 3, 2, 14, 18), start, due, &cal),
            Mark::Yellow
        );
    }

    #[test]
    fn the_most_specific_time_limit_rule_wins() {
        let limits = TimeLimits::builtin().expect("built-in limits parse");
        let handle = |category, severity| limits.limit(category, severity, Stage::Handle);
        // safety + urgent beats safety.
        assert_eq!(
            handle("safety.fire", Severity::Urgent),
            Limit::WorkingHours(4)
        );
        assert_eq!(
            handle("safety.fire", Severity::Normal),
            Limit::WorkingDays(2)
        );
        // A sub-category rule beats the default.
        assert_eq!(
            handle("property.repair", Severity::Urgent),
            Limit::WorkingDays(10)
        );
        assert_eq!(
            handle("property.road", Severity::Normal),
            Limit::WorkingDays(5)
        );
        assert_eq!(
            limits.limit("safety.gas", Severity::Normal, Stage::Accept),
            Limit::WorkingHours(1)
        );
        assert_eq!(
            limits.limit("security.theft", Severity::Urgent, Stage::Check),
            Limit::WorkingDays(2)
        );
    }

    #[test]
    fn a_sub_category_rule_beats_a_top_level_rule_with_a_severity() {
        let text = r#"
            [default]
            accept = { working_hours = 1 }
            handle = { working_days = 1 }
            check = { working_days = 1 }
            [[rule]]
            stage = "handle"
            category = "safety"
            severity = "urgent"
            limit = { working_hours = 3 }
            [[rule]]
            stage = "handle"
            category = "safety.gas"
            limit = { working_hours = 2 }
        "#;
        let limits = TimeLimits::from_toml(text).expect("parses");
        assert_eq!(
            limits.limit("safety.gas", Severity::Urgent, Stage::Handle),
            Limit::WorkingHours(2)
        );
        assert_eq!(
            limits.limit("safety.fire", Severity::Urgent, Stage::Handle),
            Limit::WorkingHours(3)
        );
    }

    #[test]
    fn a_time_limit_of_zero_is_refused() {
        let text = r#"
            [default]
            accept = { working_hours = 0 }
            handle = { working_days = 1 }
            check = { working_days = 1 }
        "#;
        assert!(matches!(
            TimeLimits::from_toml(text),
            Err(LimitsError::Zero(_))
        ));
    }
}
