//! Events (事件): the to-do list, an event's page, and taking a step of its chain of
//! command as this device's party. Core checks every step against the event derived from
//! its stored steps and refuses an illegal one with a code (the error's `refusal`).

use tauri::State;
use wangge_core::wangge_events::Action;
use wangge_core::{EventDetail, ReportId, Task};

use crate::error::AppResult;
use crate::state::AppState;

/// The to-do list (待办): every event on the device this party may move on now, overdue
/// first.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn my_tasks(state: State<'_, AppState>) -> AppResult<Vec<Task>> {
    state.with_store(|s| s.my_tasks())
}

/// An event's page: state, assignee, stage clock, every step and what this party may do.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn event_detail(state: State<'_, AppState>, report: ReportId) -> AppResult<EventDetail> {
    state.with_store(|s| s.event_detail(report))
}

/// Takes one step (受理, 派遣, 办结, 核查 …) and returns the event's page after it. A step
/// the party may not take is refused with `invalid_status` and the refusal's code, and
/// writes nothing.
#[tauri::command(async)]
#[tracing::instrument(skip_all, fields(action = action.kind().code()))]
pub fn take_step(
    state: State<'_, AppState>,
    report: ReportId,
    action: Action,
) -> AppResult<EventDetail> {
    state.with_store(|s| {
        s.take_step(report, action)?;
        s.event_detail(report)
    })
}
