//! The working calendar (工作日历): which days are working days and which hours of them
//! are working hours, and working-time arithmetic over it.
//!
//! The calendar is data: one TOML file per year with `holidays` (days off) and
//! `make_up_workdays` (调休: weekend days that are working days), as the State Council
//! publishes each November. Saturdays and Sundays are off unless listed as make-up days.
//! The centre may replace the built-in file or add years ([`Calendar::add_year_toml`]).
//! A year with no file is taken as plain weeks (weekends off, no holidays).
//!
//! Working hours default to 08:30–12:00 and 13:30–17:30 at UTC+08:00 (Asia/Shanghai has
//! kept that offset without daylight saving since 1991, so a fixed offset is exact and
//! needs no time-zone database). Both are configurable ([`WorkingHours`]).

use std::collections::BTreeSet;

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Weekday};
use serde::{Deserialize, Serialize};

/// The built-in 2026 calendar file.
pub const CALENDAR_2026: &str = include_str!("../data/calendar-2026.toml");

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// How far working-time arithmetic looks ahead before giving up (a calendar with no
/// working time at all).
const MAX_SCAN_DAYS: i64 = 3_660;

/// A calendar file or working-hours setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The TOML could not be read.
    #[error("calendar file: {0}")]
    Parse(String),
    /// A date listed under another year.
    #[error("{date} is not in the file's year {year}")]
    DateOutsideYear {
        /// The file's year.
        year: i32,
        /// The stray date.
        date: NaiveDate,
    },
    /// A date listed both as holiday and as make-up working day.
    #[error("{0} is both a holiday and a make-up working day")]
    Contradiction(NaiveDate),
    /// A working period that is not `HH:MM-HH:MM` with start before end, or periods that
    /// overlap or are out of order, or none at all.
    #[error("working hours: {0}")]
    BadHours(String),
    /// No working time within ten years: deadlines cannot be computed.
    #[error("no working time in the calendar")]
    NoWorkingTime,
}

/// One year's calendar file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearFile {
    /// The year every date belongs to.
    pub year: i32,
    /// Days off.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    #[serde(default)]
    pub make_up_workdays: Vec<NaiveDate>,
}

/// The working hours of a working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkingHours {
    /// Periods as `"HH:MM-HH:MM"`, in order, not overlapping.
    pub periods: Vec<String>,
    /// The local offset from UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl Default for WorkingHours {
    fn default() -> Self {
        WorkingHours {
            periods: vec!["08:30-12:00".into(), "13:30-17:30".into()],
            utc_offset_minutes: 8 * 60,
        }
    }
}

/// Which days and hours are working time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    off: BTreeSet<NaiveDate>,
    on: BTreeSet<NaiveDate>,
    /// Working periods as [start, end) minutes after local midnight.
    periods: Vec<(i64, i64)>,
    offset: FixedOffset,
}

fn minute_of(text: &str) -> Result<i64, CalendarError> {
    let time = NaiveTime::parse_from_str(text.trim(), "%H:%M")
        .map_err(|_| CalendarError::BadHours(format!("{text:?} is not HH:MM")))?;
    Ok(i64::from(chrono::Timelike::num_seconds_from_midnight(&time)) / 60)
}

impl Calendar {
    /// A calendar with the given working hours and no holiday files yet.
    pub fn new(hours: &WorkingHours) -> Result<Self, CalendarError> {
        let mut periods = Vec::new();
        for period in &hours.periods {
            let (start, end) = period
                .split_once('-')
                .ok_or_else(|| CalendarError::BadHours(format!("{period:?} is not HH:MM-HH:MM")))?;
            let (start, end) = (minute_of(start)?, minute_of(end)?);
            let after_last = periods
                .last()
                .is_none_or(|&(_, last_end)| start >= last_end);
            if start >= end || !after_last {
                return Err(CalendarError::BadHours(format!(
                    "{period:?} is empty or overlaps the one before"
                )));
            }
            periods.push((start, end));
        }
        if periods.is_empty() {
            return Err(CalendarError::BadHours("no working period".into()));
        }
        let offset = FixedOffset::east_opt(hours.utc_offset_minutes.saturating_mul(60))
            .ok_or_else(|| CalendarError::BadHours("UTC offset out of range".into()))?;
        Ok(Calendar {
            off: BTreeSet::new(),
            on: BTreeSet::new(),
            periods,
            offset,
        })
    }

    /// The default working hours with the built-in year files (2026).
    pub fn builtin() -> Result<Self, CalendarError> {
        let mut calendar = Calendar::new(&WorkingHours::default())?;
        calendar.add_year_toml(CALENDAR_2026)?;
        Ok(calendar)
    }

    /// Adds (or replaces) one year from its TOML file.
    pub fn add_year_toml(&mut self, text: &str) -> Result<(), CalendarError> {
        let file: YearFile =
            toml::from_str(text).map_err(|e| CalendarError::Parse(e.to_string()))?;
        self.add_year(&file)
    }

    /// Adds (or replaces) one year.
    pub fn add_year(&mut self, file: &YearFile) -> Result<(), CalendarError> {
        for date in file.holidays.iter().chain(&file.make_up_workdays) {
            if date.year() != file.year {
                return Err(CalendarError::DateOutsideYear {
                    year: file.year,
                    date: *date,
                });
            }
        }
        if let Some(date) = file
            .holidays
            .iter()
            .find(|d| file.make_up_workdays.contains(d))
        {
            return Err(CalendarError::Contradiction(*date));
        }
        self.off.retain(|d| d.year() != file.year);
        self.on.retain(|d| d.year() != file.year);
        self.off.extend(file.holidays.iter().copied());
        self.on.extend(file.make_up_workdays.iter().copied());
        Ok(())
    }

    /// Whether `date` is a working day.
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        if self.on.contains(&date) {
            return true;
        }
        if self.off.contains(&date) {
            return false;
        }
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// Working minutes in one working day.
    pub fn daily_minutes(&self) -> i64 {
        self.periods.iter().map(|(s, e)| e - s).sum()
    }

    /// The local date of an instant (milliseconds since the Unix epoch).
    pub fn local_date(&self, ms: i64) -> NaiveDate {
        let local = ms + i64::from(self.offset.local_minus_utc()) * 1000;
        let days = local.div_euclid(DAY_MS);
        NaiveDate::default() + Duration::days(days)
    }

    /// The instant `minute` minutes after local midnight of `date`.
    pub fn instant(&self, date: NaiveDate, minute: i64) -> i64 {
        let midnight = date.and_time(NaiveTime::MIN);
        let utc_midnight = self
            .offset
            .from_local_datetime(&midnight)
            .single()
            .map(|t| t.timestamp_millis())
            .unwrap_or_default();
        utc_midnight + minute * MINUTE_MS
    }

    /// The working periods of `date` as instants, empty on a day off.
    fn periods_of(&self, date: NaiveDate) -> impl Iterator<Item = (i64, i64)> + '_ {
        let work = self.is_workday(date);
        self.periods
            .iter()
            .filter(move |_| work)
            .map(move |&(s, e)| (self.instant(date, s), self.instant(date, e)))
    }

    /// The instant when `working_ms` of working time has passed after `from`.
    pub fn add_working(&self, from: i64, working_ms: i64) -> Result<i64, CalendarError> {
        let mut left = working_ms.max(0);
        let mut date = self.local_date(from);
        for _ in 0..MAX_SCAN_DAYS {
            for (start, end) in self.periods_of(date) {
                if end <= from {
                    continue;
                }
                let start = start.max(from);
                if left <= end - start {
                    return Ok(start + left);
                }
                left -= end - start;
            }
            date = date.succ_opt().ok_or(CalendarError::NoWorkingTime)?;
        }
        Err(CalendarError::NoWorkingTime)
    }

    /// Working time between two instants, in milliseconds (zero if `to` is not after
    /// `from`).
    pub fn working_between(&self, from: i64, to: i64) -> i64 {
        let mut total = 0;
        let mut date = self.local_date(from);
        while self.instant(date, 0) < to {
            for (start, end) in self.periods_of(date) {
                let (s, e) = (start.max(from), end.min(to));
                if e > s {
                    total += e - s;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// The end of the last working period of `date`.
    pub fn end_of_day(&self, date: NaiveDate) -> i64 {
        let end = self.periods.last().map(|&(_, e)| e).unwrap_or_default();
        self.instant(date, end)
    }

    /// The first working day strictly after `date`.
    pub fn next_workday(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        for _ in 0..MAX_SCAN_DAYS {
            day = day.succ_opt().ok_or(CalendarError::NoWorkingTime)?;
            if self.is_workday(day) {
                return Ok(day);
            }
        }
        Err(CalendarError::NoWorkingTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    #[test]
    fn the_spring_festival_2026_days_are_off_and_its_make_up_saturdays_are_on() {
        let cal = Calendar::builtin().expect("built-in calendar parses");
        for d in 15..=23 {
            assert!(!cal.is_workday(day(2026, 2, d)), "2026-02-{d} is a holiday");
        }
        assert!(
            cal.is_workday(day(2026, 2, 14)),
            "Saturday 14 Feb is a make-up day"
        );
        assert!(
            cal.is_workday(day(2026, 2, 28)),
            "Saturday 28 Feb is a make-up day"
        );
        assert!(
            cal.is_workday(day(2026, 2, 24)),
            "Tuesday after the festival"
        );
        assert!(!cal.is_workday(day(2026, 3, 1)), "an ordinary Sunday");
        assert!(cal.is_workday(day(2026, 3, 2)), "an ordinary Monday");
    }

    #[test]
    fn a_year_file_with_a_date_of_another_year_is_refused() {
        let mut cal = Calendar::new(&WorkingHours::default()).expect("default hours");
        let err = cal.add_year_toml("year = 2027\nholidays = [\"2026-10-01\"]\n");
        assert!(matches!(
            err,
            Err(CalendarError::DateOutsideYear { year: 2027, .. })
        ));
    }

    #[test]
    fn a_day_both_off_and_on_is_refused() {
        let mut cal = Calendar::new(&WorkingHours::default()).expect("default hours");
        let text =
            "year = 2027\nholidays = [\"2027-01-02\"]\nmake_up_workdays = [\"2027-01-02\"]\n";
        assert!(matches!(
            cal.add_year_toml(text),
            Err(CalendarError::Contradiction(_))
        ));
    }

    #[test]
    fn overlapping_working_periods_are_refused() {
        let hours = WorkingHours {
            periods: vec!["08:30-12:00".into(), "11:00-17:00".into()],
            utc_offset_minutes: 480,
        };
        assert!(matches!(
            Calendar::new(&hours),
            Err(CalendarError::BadHours(_))
        ));
    }

    #[test]
    fn local_dates_follow_utc_plus_eight() {
        let cal = Calendar::builtin().expect("built-in calendar parses");
        // 2026-02-13 16:30 UTC is 2026-02-14 00:30 in Shanghai.
        let ms = cal.instant(day(2026, 2, 14), 30);
        assert_eq!(cal.local_date(ms), day(2026, 2, 14));
        assert_eq!(cal.local_date(ms - 31 * MINUTE_MS), day(2026, 2, 13));
    }

    #[test]
    fn a_working_day_has_seven_and_a_half_hours() {
        let cal = Calendar::builtin().expect("built-in calendar parses");
        assert_eq!(cal.daily_minutes(), 7 * 60 + 30);
        let mon = day(2026, 3, 2);
        let whole = cal.working_between(cal.instant(mon, 0), cal.instant(mon, 24 * 60));
        assert_eq!(whole, 450 * MINUTE_MS);
    }
}
