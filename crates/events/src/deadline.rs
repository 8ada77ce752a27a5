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
