//! Households: the grid's list, search, the household page and its form.

use tauri::State;
use wangge_core::store::{HouseholdSummary, ResidentHit};
use wangge_core::{FieldError, HouseholdId, HouseholdInput};

use crate::dto::{ConflictView, HouseholdDetail, HouseholdView};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Most search hits returned.
const SEARCH_LIMIT: usize = 50;

impl AppState {
    /// The member's grid's households, by address (none before set-up).
    pub fn list_households(&self) -> AppResult<Vec<HouseholdSummary>> {
        let Ok(grid) = self.grid() else {
            return Ok(vec![]);
        };
        self.with_store(|s| Ok(s.households_of_grid(&grid)?))
    }

    /// Residents by name, pinyin, phone or ID tail, or address, in the member's grids
    /// (everywhere on the device for a role scoped to a division).
    pub fn search_residents(&self, query: &str) -> AppResult<Vec<ResidentHit>> {
        let grids = self.grids();
        self.with_store(|s| Ok(s.search_residents(query, &grids, SEARCH_LIMIT)?))
    }

    /// One household, residents masked, with any concurrent edits to settle.
    pub fn get_household(&self, id: HouseholdId) -> AppResult<HouseholdView> {
        self.with_store(|s| {
            let h = s.household(id)?;
            let mut conflicts: Vec<ConflictView> = s
                .household_conflicts(id)?
                .into_iter()
                .map(|c| ConflictView {
                    resident: None,
                    field: c.field,
                    values: c.values,
                })
                .collect();
            for r in &h.residents {
                conflicts.extend(
                    s.resident_conflicts(r.id)?
                        .into_iter()
                        .map(|c| ConflictView {
                            resident: Some(r.id),
                            field: c.field,
                            values: c.values,
                        }),
                );
            }
            Ok(HouseholdView {
                household: HouseholdDetail::from(&h),
                conflicts,
            })
        })
    }

    /// Adds a household to the member's grid.
    pub fn create_household(&self, input: &HouseholdInput) -> AppResult<HouseholdId> {
        AppError::check(input.problems())?;
        let grid = self.grid()?;
        let id = self.with_store(|s| Ok(s.create_household(&grid, input)?))?;
        self.nudge();
        Ok(id)
    }

    /// Edits a household's own fields.
    pub fn update_household(&self, id: HouseholdId, input: &HouseholdInput) -> AppResult<()> {
        AppError::check(input.problems())?;
        self.with_store(|s| Ok(s.update_household(id, input)?))?;
        self.nudge();
        Ok(())
    }
}

/// The member's grid's households.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn list_households(state: State<'_, AppState>) -> AppResult<Vec<HouseholdSummary>> {
    state.list_households()
}

/// Resident search.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn search_residents(state: State<'_, AppState>, query: String) -> AppResult<Vec<ResidentHit>> {
    state.search_residents(&query)
}

/// The household page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn get_household(state: State<'_, AppState>, id: HouseholdId) -> AppResult<HouseholdView> {
    state.get_household(id)
}

/// Creates a household; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn create_household(
    state: State<'_, AppState>,
    input: HouseholdInput,
) -> AppResult<HouseholdId> {
    state.create_household(&input)
}

/// Edits a household.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn update_household(
    state: State<'_, AppState>,
    id: HouseholdId,
    input: HouseholdInput,
) -> AppResult<()> {
    state.update_household(id, &input)
}

/// Every problem with a household form, as the user types.
#[tauri::command(async)]
pub fn validate_household(input: HouseholdInput) -> AppResult<Vec<FieldError>> {
    Ok(input.problems())
}
