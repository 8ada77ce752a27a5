//! Reports (事件上报): file with photos, list, and the report page.

use tauri::State;
use wangge_core::store::ReportRow;
use wangge_core::{ReportId, ReportInput, ReportStatus};

use crate::dto::ReportView;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

impl AppState {
    /// Files a report in the member's grid; its photos must come from `add_photo`.
    pub fn file_report(&self, input: &ReportInput) -> AppResult<ReportId> {
        AppError::check(input.problems())?;
        let grid = self.grid()?;
        let id = self.with_store(|s| Ok(s.file_report(&grid, input)?))?;
        self.nudge();
        Ok(id)
    }

    /// Reports in the member's grids (every report on the device for a role scoped to a
    /// division), optionally of one status, newest first.
    pub fn list_reports(&self, status: Option<ReportStatus>) -> AppResult<Vec<ReportRow>> {
        let grids = self.grids();
        self.with_store(|s| Ok(s.reports(&grids, status)?))
    }

    /// One report, its status history, and which of its photos are not here yet.
    pub fn get_report(&self, id: ReportId) -> AppResult<ReportView> {
        self.with_store(|s| {
            let (report, timeline) = s.report(id)?;
            let mut photos_missing = vec![];
            for h in &report.photos {
                if !s.has_blob(h)? {
                    photos_missing.push(h.clone());
                }
            }
            Ok(ReportView {
                report,
                timeline,
                photos_missing,
            })
        })
    }
}

/// Files a report; returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn file_report(state: State<'_, AppState>, input: ReportInput) -> AppResult<ReportId> {
    state.file_report(&input)
}

/// Reports, newest first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn list_reports(
    state: State<'_, AppState>,
    status: Option<ReportStatus>,
) -> AppResult<Vec<ReportRow>> {
    state.list_reports(status)
}

/// The report page.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn get_report(state: State<'_, AppState>, id: ReportId) -> AppResult<ReportView> {
    state.get_report(id)
}
