//! Residents: add, edit (the form gets the unmasked values), validate as typed, mark as
//! moved out, and settle a field edited on two devices.

use tauri::State;
use wangge_core::{FieldError, FieldValue, HouseholdId, ResidentId, ResidentInput};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl AppState {
    /// Every problem with a resident form (GB 11643 ID numbers, phones, required fields).
    pub fn validate_resident(&self, input: &ResidentInput) -> AppResult<Vec<FieldError>> {
        let today = self.day_or_today(None);
        Ok(input.problems(today))
    }

    /// Adds a resident to a household; every field problem comes back at once.
    pub fn add_resident(
        &self,
        household: HouseholdId,
        input: &ResidentInput,
    ) -> AppResult<ResidentId> {
        AppError::check(self.validate_resident(input)?)?;
        let id = self.with_store(|s| Ok(s.add_resident(household, input)?))?;
        self.nudge();
        Ok(id)
    }

    /// Edits a resident (only changed fields are written).
    pub fn update_resident(&self, id: ResidentId, input: &ResidentInput) -> AppResult<()> {
        AppError::check(self.validate_resident(input)?)?;
        self.with_store(|s| Ok(s.update_resident(id, input)?))?;
        self.nudge();
        Ok(())
    }

    /// A resident as the edit form needs it: numbers unmasked.
    pub fn resident_input(&self, id: ResidentId) -> AppResult<ResidentInput> {
        self.with_store(|s| {
            let household = s.household_of(id)?;
            let h = s.household(household)?;
            let r = h
                .residents
                .iter()
                .find(|r| r.id == id)
                .ok_or_else(|| AppError::new("not_found", "resident not found"))?;
            Ok(ResidentInput {
                name: r.name.clone(),
                id_number: r
                    .id_number
                    .as_ref()
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
                phone: r
                    .phone
                    .as_ref()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default(),
                relation: Some(r.relation),
                status: Some(r.status),
                tags: r.tags.iter().copied().collect(),
                notes: r.notes.clone(),
            })
        })
    }

    /// Marks a resident as moved out (迁出), or back in. The record stays, with its history;
    /// a moved-out resident leaves the household's list, the checks due and search.
    pub fn set_moved_out(&self, resident: ResidentId, moved_out: bool) -> AppResult<()> {
        self.with_store(|s| Ok(s.set_moved_out(resident, moved_out)?))?;
        self.nudge();
        Ok(())
    }

    /// Settles a conflicting resident field on the value the member picked.
    pub fn resolve_conflict(
        &self,
        resident: ResidentId,
        field: &str,
        value: &FieldValue,
    ) -> AppResult<()> {
        self.with_store(|s| Ok(s.resolve_resident_conflict(resident, field, value)?))?;
        self.nudge();
        Ok(())
    }
}

/// Adds a resident; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn add_resident(
    state: State<'_, AppState>,
    household: HouseholdId,
    input: ResidentInput,
) -> AppResult<ResidentId> {
    state.add_resident(household, &input)
}

/// Edits a resident.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn update_resident(
    state: State<'_, AppState>,
    id: ResidentId,
    input: ResidentInput,
) -> AppResult<()> {
    state.update_resident(id, &input)
}

/// The edit form's values.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn resident_input(state: State<'_, AppState>, id: ResidentId) -> AppResult<ResidentInput> {
    state.resident_input(id)
}

/// Every problem with a resident form, as the user types.
#[tauri::command(async)]
pub fn validate_resident(
    state: State<'_, AppState>,
    input: ResidentInput,
) -> AppResult<Vec<FieldError>> {
    state.validate_resident(&input)
}

/// Marks a resident as moved out, or back in.
#[tauri::command(async)]
#[tracing::instrument(skip_all, fields(moved_out))]
pub fn set_moved_out(
    state: State<'_, AppState>,
    resident: ResidentId,
    moved_out: bool,
) -> AppResult<()> {
    state.set_moved_out(resident, moved_out)
}

/// Picks one of a conflicting field's values.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn resolve_conflict(
    state: State<'_, AppState>,
    resident: ResidentId,
    field: String,
    value: FieldValue,
) -> AppResult<()> {
    state.resolve_conflict(resident, &field, &value)
}
