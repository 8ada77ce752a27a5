//! The Tauri commands, one file per area. Each command takes the state and calls one
//! method here, which calls `wangge-core`; tests call the methods without a webview.
//! Every command runs off the main thread (`async`), so the window never waits on SQLite.

pub mod checks;
pub mod households;
pub mod journal;
pub mod photos;
pub mod reports;
pub mod residents;
pub mod setup;
pub mod sync;
pub mod visits;

use chrono::NaiveDate;

use crate::state::AppState;

impl AppState {
    /// `day`, or today's local day when absent.
    pub(crate) fn day_or_today(&self, day: Option<NaiveDate>) -> NaiveDate {
        match day {
            Some(d) => d,
            None => self.with_store(|s| Ok(s.today())).unwrap_or_default(),
        }
    }
}
