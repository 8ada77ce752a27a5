//! Reports (事件上报): file with photos, list, and the report page.

use tauri::State;
use wangge_core::store::ReportRow;
use wangge_core::views::ReportView;
use wangge_core::{ReportId, ReportInput, ReportStatus};

use crate::error::AppResult;
use crate::state::AppState;

/// Files a report in the member's grid (its photos come from `add_photo`); returns its id.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn file_report(state: State<'_, AppState>, input: ReportInput) -> AppResult<ReportId> {
    let grid = state.grid()?;
    state.with_store(|s| s.file_report(&grid, &input))
}

/// Reports in the member's grids (every report on the device for a role scoped to a
/// division), optionally of one status, newest first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn list_reports(
    state: State<'_, AppState>,
    status: Option<ReportStatus>,
) -> AppResult<Vec<ReportRow>> {
    let grids = state.grids();
    state.with_store(|s| s.reports(&grids, status))
}

/// The report page: the report, its history, and which of its photos are not here yet.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn get_report(state: State<'_, AppState>, id: ReportId) -> AppResult<ReportView> {
    state.with_store(|s| s.report_view(id))
}
