//! The daily work journal: drafted from the day's own records, edited as one text.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::JournalEntry;

use crate::error::AppResult;
use crate::state::AppState;

/// A draft for the day from its visits, checks and reports (录一次,处处用).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn draft_journal(state: State<'_, AppState>, day: NaiveDate) -> AppResult<JournalEntry> {
    state.with_store(|s| s.draft_journal(day))
}

/// The saved entry for a day, if any (none before set-up).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn journal_entry(
    state: State<'_, AppState>,
    day: NaiveDate,
) -> AppResult<Option<JournalEntry>> {
    let Ok(grid) = state.grid() else {
        return Ok(None);
    };
    state.with_store(|s| s.journal_entry(&grid, day))
}

/// Saves the day's journal text (kept as the entry's `notes`, merged across devices
/// character by character).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn save_journal(state: State<'_, AppState>, day: NaiveDate, text: String) -> AppResult<()> {
    let grid = state.grid()?;
    state.with_store(|s| s.save_journal(&grid, day, &[], &text))
}

/// Days with a saved entry, newest first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn journal_days(state: State<'_, AppState>) -> AppResult<Vec<NaiveDate>> {
    state.with_store(|s| s.journal_days())
}
