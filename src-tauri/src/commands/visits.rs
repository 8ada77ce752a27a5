//! Door-to-door visits (入户走访).

use chrono::NaiveDate;
use tauri::State;
use wangge_core::{Visit, VisitId, VisitInput};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl AppState {
    /// Records a visit and the needs collected.
    pub fn record_visit(&self, input: &VisitInput) -> AppResult<VisitId> {
        AppError::check(input.problems())?;
        let id = self.with_store(|s| Ok(s.record_visit(input)?))?;
        self.nudge();
        Ok(id)
    }

    /// The member's visits on a day, oldest first.
    pub fn visits_of_day(&self, day: Option<NaiveDate>) -> AppResult<Vec<Visit>> {
        let day = self.day_or_today(day);
        let grids = self.grids();
        self.with_store(|s| {
            let mut out = vec![];
            for g in &grids {
                out.extend(s.visits_of_day(g, day)?);
            }
            out.sort_by_key(|v| v.at);
            Ok(out)
        })
    }
}

/// Records a visit; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn record_visit(state: State<'_, AppState>, input: VisitInput) -> AppResult<VisitId> {
    state.record_visit(&input)
}

/// The member's visits on a day (today when absent).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn visits_of_day(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<Vec<Visit>> {
    state.visits_of_day(day)
}
