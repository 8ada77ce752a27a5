//! The `event_state` index: one row per filed event, derived from its dispatch document's
//! steps whenever that document changes (a local step or one arriving by sync), so the
//! to-do list reads rows instead of deriving every event.

use std::sync::OnceLock;

use automerge::Automerge;
use rusqlite::{Connection, params};
use uuid::Uuid;
use wangge_events::{Assignee, Calendar, Clock, EventState, State, TimeLimits, clock, derive};

use super::Store;
use crate::doc::DocKind;
use crate::doc::steps::read_steps;
use crate::error::{CoreError, Result};
use crate::model::ReportStatus;

/// The working calendar and the time-limit table deadlines are judged by (built in).
pub(crate) struct Rules {
    pub calendar: Calendar,
    pub limits: TimeLimits,
}

/// The built-in rules, parsed once.
pub(crate) fn rules() -> Result<&'static Rules> {
    static RULES: OnceLock<std::result::Result<Rules, String>> = OnceLock::new();
    RULES
        .get_or_init(|| {
            Ok(Rules {
                calendar: Calendar::builtin().map_err(|e| e.to_string())?,
                limits: TimeLimits::builtin().map_err(|e| e.to_string())?,
            })
        })
        .as_ref()
        .map_err(|e| CoreError::Corrupt(format!("built-in event rules: {e}")))
}

/// The stage clock running on `event`; `None` when none runs, or when the calendar does
/// not reach its dates (logged: the calendar wants its next year's file).
pub(crate) fn stage_clock(event: &EventState) -> Result<Option<Clock>> {
    let r = rules()?;
    match clock(event, &r.limits, &r.calendar) {
        Ok(c) => Ok(c),
        Err(e) => {
            tracing::warn!(cause = %e, "event deadline past the working calendar");
            Ok(None)
        }
    }
}

/// The report list's status of an event, for reports whose dispatch document holds
/// steps but no status events of the first layout.
fn list_status(state: State) -> ReportStatus {
    match state {
        State::Pending => ReportStatus::Reported,
        State::InProgress | State::AwaitingCheck => ReportStatus::Handling,
        State::Closed => ReportStatus::Closed,
        State::Rated => ReportStatus::Rated,
    }
}

/// Brings the `event_state` row of `report` up to date from its dispatch document.
/// Returns the report list's status and deadline as the steps say, once filed.
pub(crate) fn index_event(
    conn: &Connection,
    doc: &Automerge,
    report: Uuid,
    now: i64,
) -> Result<Option<(ReportStatus, Option<i64>)>> {
    let stored = read_steps(doc)?;
    let derived = derive(&stored.steps);
    let event = derived.state;
    let (Some(filed), Some(state)) = (&event.report, event.state) else {
        conn.prepare_cached("DELETE FROM event_state WHERE report_id = ?1")?
            .execute([report.as_bytes()])?;
        return Ok(None);
    };
    let clock = stage_clock(&event)?;
    let (assignee_kind, assignee_id) = match &event.assignee {
        None => (None, None),
        Some(Assignee::Grid(code)) => (Some("grid"), Some(code.clone())),
        Some(Assignee::Member(user)) => (Some("member"), Some(user.to_string())),
        Some(Assignee::Department(code)) => (Some("department"), Some(code.clone())),
    };
    let json = serde_json::to_string(&event).map_err(|e| CoreError::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO event_state (report_id, grid, state, level, assignee_kind,
           assignee_id, verifier, open_conflicts, stage, clock_start, clock_due, filed_at,
           derived, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        report.as_bytes(),
        filed.grid,
        state.code(),
        event.level.code(),
        assignee_kind,
        assignee_id,
        event.verifier.as_ref().map(|v| v.user.to_string()),
        event.open_conflicts.len() as i64,
        clock.map(|c| c.stage.code()),
        clock.map(|c| c.start_ms),
        clock.map(|c| c.due_ms),
        filed.filed_at_ms,
        json,
        now
    ])?;
    Ok(Some((list_status(state), clock.map(|c| c.due_ms))))
}

impl Store {
    /// Fills `event_state` (and the report list's status) from the dispatch documents of
    /// a store made before the index existed, which may hold steps from newer devices.
    pub(super) fn backfill_event_state(&mut self) -> Result<()> {
        let n = self.reindex_kind(DocKind::Dispatch)?;
        tracing::info!(documents = n, "event index filled");
        Ok(())
    }
}
