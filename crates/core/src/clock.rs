//! Time: the device clock and the local day (Asia/Shanghai unless configured).

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Where the store reads "now" from; tests pin it.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stays where it is set (tests, benchmarks, demo data).
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock reading `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = at;
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|g| *g)
            .unwrap_or_else(|p| *p.into_inner())
    }
}

/// The local calendar day of an instant in `tz`.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_the_local_day_not_the_utc_day() {
        // 2026-11-24 17:30 UTC is already 2026-11-25 01:30 in Shanghai.
        let at = DateTime::parse_from_rfc3339("2026-11-24T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            local_day(at, chrono_tz::Asia::Shanghai).to_string(),
            "2026-11-25"
        );
        assert_eq!(local_day(at, chrono_tz::UTC).to_string(), "2026-11-24");
    }
}
