//! Temperature checks: the keypad's judgement, saving a household's readings, readings
//! pasted as text matched to residents, the household's and the grid's fever lists.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::store::CheckRow;
use wangge_core::views::PastedReadings;
use wangge_core::{CheckInput, ChecksRecorded, HouseholdId, Slot, TemperatureReading};

use crate::error::AppResult;
use crate::state::AppState;

/// A household's checks on a day (today when absent).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn household_checks(
    state: State<'_, AppState>,
    household: HouseholdId,
    day: Option<NaiveDate>,
) -> AppResult<Vec<CheckRow>> {
    state.with_store(|s| s.household_checks_on(household, day))
}

/// Judges keypad text as the member types: tenths, fever, or why it is not valid.
#[tauri::command(async)]
pub fn validate_temperature(text: String) -> AppResult<TemperatureReading> {
    Ok(TemperatureReading::of(&text))
}

/// Saves a slot's readings: every valid row, and why each other row was refused.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn record_checks(
    state: State<'_, AppState>,
    slot: Slot,
    checks: Vec<CheckInput>,
) -> AppResult<ChecksRecorded> {
    state.with_store(|s| s.record_checks(slot, &checks))
}

/// The household to check next, walking the grid in address order: after `household`, the
/// first one still with someone unchecked today in `slot`; without it, the first such
/// household of the member's grids. None when all are done.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn next_household_due(
    state: State<'_, AppState>,
    household: Option<HouseholdId>,
    slot: Slot,
) -> AppResult<Option<HouseholdId>> {
    let grids = state.grids();
    state.with_store(|s| s.next_household_due(&grids, household, slot))
}

/// Readings pasted as text ("张三 36.5，李四 36.8"), each matched to a resident of the
/// member's grids or told why not; nothing is saved (the screen saves the checked ones with
/// `record_checks`, method reported).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn match_pasted_readings(
    state: State<'_, AppState>,
    text: String,
) -> AppResult<PastedReadings> {
    let grids = state.grids();
    state.with_store(|s| s.match_pasted_readings(&grids, &text))
}

/// The day's fever readings in the member's grids.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn fever_list(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<Vec<CheckRow>> {
    let grids = state.grids();
    state.with_store(|s| s.fevers_on(&grids, day))
}
