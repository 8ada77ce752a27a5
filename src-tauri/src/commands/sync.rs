//! Sync status and "sync now".

use tauri::State;

use wangge_core::views::SyncView;

use crate::error::AppResult;
use crate::state::AppState;

/// The latest sync view (also pushed as `sync://status` on every change).
#[tauri::command(async)]
pub fn sync_status(state: State<'_, AppState>) -> AppResult<SyncView> {
    Ok(state.sync_view())
}

/// Asks the engine to exchange changes now.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn sync_now(state: State<'_, AppState>) -> AppResult<()> {
    state.nudge();
    Ok(())
}
