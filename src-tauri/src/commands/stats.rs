//! Statistics (统计): a period's event figures on the screen, and the same as an `.xlsx`
//! file an upper level takes as it is.

use chrono::NaiveDate;
use serde::Serialize;
use tauri::State;
use wangge_core::ErrorCode;
use wangge_core::views::StatsView;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// The figures of local days `from` through `to`, for every event this device's party
/// covers: in total, by grid and by category.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn event_stats(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<StatsView> {
    state.with_store(|s| s.stats_view(from, to))
}

/// A file the app wrote for the user.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportedFile {
    /// Where it is.
    pub path: String,
    /// Its name.
    pub name: String,
    /// Its size.
    pub bytes: u64,
}

/// Writes the statistics of `from` through `to` as `事件统计_<from>_<to>.xlsx` and says where.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn export_stats(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<ExportedFile> {
    let view = state.with_store(|s| s.stats_view(from, to))?;
    let bytes = wangge_ledger::export::stats_workbook(&view)?;
    save_export(&state, &format!("事件统计_{from}_{to}.xlsx"), &bytes)
}

/// Writes `bytes` as `name` in the export folder and says where. Characters a file name
/// may not hold become `_`. Written aside and renamed, so an interrupted export never
/// leaves half a file under the name the user looks for.
pub(crate) fn save_export(state: &AppState, name: &str, bytes: &[u8]) -> AppResult<ExportedFile> {
    let dir = state.export_dir();
    let io = |e: std::io::Error| AppError::new(ErrorCode::IoError, format!("export: {e}"));
    std::fs::create_dir_all(&dir).map_err(io)?;
    let name: String = name
        .chars()
        .map(|c| {
            if "/\\:*?\"<>|".contains(c) || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let path = dir.join(&name);
    let part = dir.join(format!(".{name}.part"));
    std::fs::write(&part, bytes).map_err(io)?;
    std::fs::rename(&part, &path).map_err(io)?;
    Ok(ExportedFile {
        path: path.to_string_lossy().into_owned(),
        name,
        bytes: bytes.len() as u64,
    })
}
