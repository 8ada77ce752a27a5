//! Households: the grid's list, search, the household page and its form.

use tauri::State;
use wangge_core::store::{HouseholdSummary, ResidentHit};
use wangge_core::views::{HouseholdView, SEARCH_HITS};
use wangge_core::{FieldError, HouseholdId, HouseholdInput};

use crate::error::AppResult;
use crate::state::AppState;

/// The member's grid's households, by address (none before set-up).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn list_households(state: State<'_, AppState>) -> AppResult<Vec<HouseholdSummary>> {
    let Ok(grid) = state.grid() else {
        return Ok(vec![]);
    };
    state.with_store(|s| s.households_of_grid(&grid))
}

/// Residents by name, pinyin, phone or ID tail, or address, in the member's grids
/// (everywhere on the device for a role scoped to a division).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn search_residents(state: State<'_, AppState>, query: String) -> AppResult<Vec<ResidentHit>> {
    let grids = state.grids();
    state.with_store(|s| s.search_residents(&query, &grids, SEARCH_HITS))
}

/// The household page: residents masked, concurrent edits to settle.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn get_household(state: State<'_, AppState>, id: HouseholdId) -> AppResult<HouseholdView> {
    state.with_store(|s| s.household_view(id))
}

/// Adds a household to the member's grid; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn create_household(
    state: State<'_, AppState>,
    input: HouseholdInput,
) -> AppResult<HouseholdId> {
    let grid = state.grid()?;
    state.with_store(|s| s.create_household(&grid, &input))
}

/// Edits a household's own fields.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn update_household(
    state: State<'_, AppState>,
    id: HouseholdId,
    input: HouseholdInput,
) -> AppResult<()> {
    state.with_store(|s| s.update_household(id, &input))
}

/// Every problem with a household form, as the user types.
#[tauri::command(async)]
pub fn validate_household(input: HouseholdInput) -> AppResult<Vec<FieldError>> {
    Ok(input.problems())
}
