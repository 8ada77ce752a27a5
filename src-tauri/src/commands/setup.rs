//! First run and start-up: `app_info`, `enroll`, `start_demo`, `day_summary`.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::store::DaySummary;

use crate::dto::AppInfo;
use crate::error::AppResult;
use crate::state::AppState;

/// What the UI needs at start: set-up state, grids, today.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    Ok(state.info())
}

/// Enrolls this device at a relay with a one-time code.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn enroll(
    state: State<'_, AppState>,
    relay_url: String,
    code: String,
) -> AppResult<AppInfo> {
    state.enroll(&relay_url, &code).await
}

/// Enrolls this device with an enrollment link (`wangge://enroll?…`, pasted or scanned).
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn enroll_link(state: State<'_, AppState>, link: String) -> AppResult<AppInfo> {
    state.enroll_link(&link).await
}

/// Starts the offline demo.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn start_demo(state: State<'_, AppState>) -> AppResult<AppInfo> {
    state.start_demo()
}

/// Today (or `day`) at a glance over the member's grids.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn day_summary(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<DaySummary> {
    let grids = state.grids();
    state.with_store(|s| s.summary_on(&grids, day))
}

/// The directory (名录): the divisions, departments and grids under this device's scopes,
/// by name, as the relay last sent it (empty on a demo device and before the first sync).
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn directory(state: State<'_, AppState>) -> AppResult<Vec<wangge_core::Unit>> {
    state.with_store(|s| s.directory())
}
