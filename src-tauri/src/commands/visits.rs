//! Door-to-door visits (入户走访).

use chrono::NaiveDate;
use tauri::State;
use wangge_core::{Visit, VisitId, VisitInput};

use crate::error::AppResult;
use crate::state::AppState;

/// Records a visit and the needs collected; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn record_visit(state: State<'_, AppState>, input: VisitInput) -> AppResult<VisitId> {
    state.with_store(|s| s.record_visit(&input))
}

/// The member's visits in their grids on a day (today when absent), oldest first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn visits_of_day(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<Vec<Visit>> {
    let grids = state.grids();
    state.with_store(|s| s.visits_on(&grids, day))
}
