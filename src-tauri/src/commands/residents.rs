//! Residents: add, edit (the form gets the unmasked values), validate as typed, mark as
//! moved out, and settle a field edited on two devices.

use tauri::State;
use wangge_core::{FieldError, FieldValue, HouseholdId, ResidentId, ResidentInput};

use crate::error::AppResult;
use crate::state::AppState;

/// Adds a resident to a household; returns its id (every field problem comes back at once).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn add_resident(
    state: State<'_, AppState>,
    household: HouseholdId,
    input: ResidentInput,
) -> AppResult<ResidentId> {
    state.with_store(|s| s.add_resident(household, &input))
}

/// Edits a resident (only changed fields are written).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn update_resident(
    state: State<'_, AppState>,
    id: ResidentId,
    input: ResidentInput,
) -> AppResult<()> {
    state.with_store(|s| s.update_resident(id, &input))
}

/// The edit form's values: numbers unmasked.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn resident_input(state: State<'_, AppState>, id: ResidentId) -> AppResult<ResidentInput> {
    state.with_store(|s| s.resident_input(id))
}

/// Every problem with a resident form, as the user types.
#[tauri::command(async)]
pub fn validate_resident(
    state: State<'_, AppState>,
    input: ResidentInput,
) -> AppResult<Vec<FieldError>> {
    state.with_store(|s| Ok(s.resident_problems(&input)))
}

/// Marks a resident as moved out (迁出), or back in. The record stays, with its history.
#[tauri::command(async)]
#[tracing::instrument(skip_all, fields(moved_out))]
pub fn set_moved_out(
    state: State<'_, AppState>,
    resident: ResidentId,
    moved_out: bool,
) -> AppResult<()> {
    state.with_store(|s| s.set_moved_out(resident, moved_out))
}

/// Settles a conflicting resident field on the value the member picked.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn resolve_conflict(
    state: State<'_, AppState>,
    resident: ResidentId,
    field: String,
    value: FieldValue,
) -> AppResult<()> {
    state.with_store(|s| s.resolve_resident_conflict(resident, &field, &value))
}
