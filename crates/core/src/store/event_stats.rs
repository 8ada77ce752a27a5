//! Statistics (统计) over the events this device holds: the figures of
//! [`wangge_events::stats`] for a period of local days, for the party's own units (a grid
//! role its grids, a community or centre everything under its code, a department what it
//! was given), read from the `event_state` index without opening a document.

use chrono::NaiveDate;
use rusqlite::params;
use wangge_events::{EventState, Period, Stats, stats};

use super::Store;
use super::event_index::rules;
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::user_id;

/// The longest period the statistics screen asks for, in days (a few years).
pub const MAX_STATS_DAYS: i64 = 3 * 366;

impl Store {
    /// The period from local day `from` through local day `to` (both included), as
    /// instants on the working calendar's time zone. `to` before `from`, or a span longer
    /// than [`MAX_STATS_DAYS`], is a field error.
    pub fn stats_period(from: NaiveDate, to: NaiveDate) -> Result<Period> {
        let days = (to - from).num_days();
        if !(0..MAX_STATS_DAYS).contains(&days) {
            return Err(CoreError::Invalid(vec![FieldError::new(
                "period",
                ErrorCode::InvalidValue,
                format!("a period of 1 to {MAX_STATS_DAYS} days, from the first day to the last"),
            )]));
        }
        let calendar = &rules()?.calendar;
        let next = to.succ_opt().unwrap_or(to);
        Ok(Period {
            from_ms: calendar.instant(from, 0),
            to_ms: calendar.instant(next, 0),
        })
    }

    /// The figures of `period` over every event this device's party covers: events of a
    /// grid under its unit's code, and events assigned to or to be checked by it.
    pub fn event_stats(&self, period: Period) -> Result<Stats> {
        let party = &self.cfg.party;
        let user = user_id(&self.cfg.member).to_string();
        let mut stmt = self.conn().prepare_cached(
            "SELECT derived FROM event_state
             WHERE ?1 = '' OR substr(grid, 1, length(?1)) = ?1
                OR assignee_id IN (?1, ?2) OR verifier = ?2",
        )?;
        let rows = stmt.query_map(params![party.unit, user], |r| r.get::<_, String>(0))?;
        let mut events: Vec<EventState> = Vec::new();
        for json in rows {
            match serde_json::from_str(&json?) {
                Ok(event) => events.push(event),
                // As in the to-do list: one row from another build must not hide the rest;
                // the next change to its document rewrites it.
                Err(e) => tracing::warn!(cause = %e, "event index row not readable"),
            }
        }
        Ok(stats(&events, period, &rules()?.calendar))
    }
}
