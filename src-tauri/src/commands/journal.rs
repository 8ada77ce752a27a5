//! The daily work journal: drafted from the day's own records, edited as one text.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::JournalEntry;

use crate::error::AppResult;
use crate::state::AppState;

impl AppState {
    /// A draft for the day from its visits, checks and reports (录一次,处处用).
    pub fn draft_journal(&self, day: NaiveDate) -> AppResult<JournalEntry> {
        self.with_store(|s| Ok(s.draft_journal(day)?))
    }

    /// The saved entry for a day, if any.
    pub fn journal_entry(&self, day: NaiveDate) -> AppResult<Option<JournalEntry>> {
        let Ok(grid) = self.grid() else {
            return Ok(None);
        };
        self.with_store(|s| Ok(s.journal_entry(&grid, day)?))
    }

    /// Saves the day's journal text (kept as the entry's `notes`, merged across devices
    /// character by character).
    pub fn save_journal(&self, day: NaiveDate, text: &str) -> AppResult<()> {
        let grid = self.grid()?;
        self.with_store(|s| Ok(s.save_journal(&grid, day, &[], text)?))?;
        self.nudge();
        Ok(())
    }

    /// Days with a saved entry, newest first.
    pub fn journal_days(&self) -> AppResult<Vec<NaiveDate>> {
        self.with_store(|s| Ok(s.journal_days()?))
    }
}

/// A draft for the day.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn draft_journal(state: State<'_, AppState>, day: NaiveDate) -> AppResult<JournalEntry> {
    state.draft_journal(day)
}

/// The saved entry for a day.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn journal_entry(
    state: State<'_, AppState>,
    day: NaiveDate,
) -> AppResult<Option<JournalEntry>> {
    state.journal_entry(day)
}

/// Saves the day's journal text.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn save_journal(state: State<'_, AppState>, day: NaiveDate, text: String) -> AppResult<()> {
    state.save_journal(day, &text)
}

/// Days with a saved entry.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn journal_days(state: State<'_, AppState>) -> AppResult<Vec<NaiveDate>> {
    state.journal_days()
}
