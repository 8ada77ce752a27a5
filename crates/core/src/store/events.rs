//! Events (事件): taking a step of a report's chain of command, and reading the event back.
//!
//! A report's steps live in its dispatch document ([`crate::doc::steps`]). Taking a step
//! derives the event from the stored steps ([`wangge_events::derive`]), checks the new
//! step against it for this device's party ([`wangge_events::check`]) and, if allowed,
//! writes it naming the heads of the step DAG it saw, in one action. A refused step is
//! [`CoreError::Refused`] and writes nothing.

use std::collections::HashSet;

use rusqlite::params;
use uuid::Uuid;
use wangge_events::{
    Action, ActionKind, Actor, Assignee, Categories, Derived, EventState, Limit, Mark, Rating,
    Settlement, Stage, Step, StepId, allowed_actions, causal_order, check, derive, mark, may,
};
use wangge_proto::DocumentId;

use super::Store;
use super::actions::dispatch_doc_id;
use super::batch::{Batch, Genesis};
use super::event_index::{rules, stage_clock};
use crate::doc::steps::{REPORT_KEY, StoredSteps, ensure_steps_map, read_steps, write_step};
use crate::doc::{DocKind, collection, read_fields};
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::{
    DeadlineView, EventDetail, GridCode, Report, ReportId, StepStatus, Task, TimelineEntry, user_id,
};

/// Actions that do not by themselves put an event on a party's to-do list.
pub const OPTIONAL_ACTIONS: &[ActionKind] = &[
    ActionKind::Supervise,
    ActionKind::Escalate,
    ActionKind::SendBack,
    ActionKind::RequestDelay,
];

/// The longest note or reason a step may carry, in characters.
pub const MAX_STEP_NOTE_CHARS: usize = 2000;

/// The Chinese name of a sub-category code, from the built-in list (the code itself when
/// the list does not know it: a category from a newer app).
pub fn category_name(code: &str) -> String {
    static LIST: std::sync::OnceLock<Option<Categories>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| Categories::builtin().ok())
        .as_ref()
        .and_then(|l| l.name(code))
        .unwrap_or(code)
        .to_owned()
}

/// The heads of the step DAG: steps no other step names as seen. Steps waiting for
/// their parents are not part of what this device sees, so they are left out.
fn heads(steps: &[Step], waiting: &[StepId]) -> Vec<StepId> {
    let waiting: HashSet<StepId> = waiting.iter().copied().collect();
    let seen: Vec<&Step> = steps.iter().filter(|s| !waiting.contains(&s.id)).collect();
    let named: HashSet<StepId> = seen.iter().flat_map(|s| s.after.iter().copied()).collect();
    let mut out: Vec<StepId> = seen
        .iter()
        .map(|s| s.id)
        .filter(|id| !named.contains(id))
        .collect();
    out.sort_unstable();
    out
}

/// How the derivation judged step `id`.
fn status_of(derived: &Derived, id: StepId) -> StepStatus {
    if let Some(a) = derived.history.iter().find(|a| a.step == id) {
        return StepStatus::Applied { state: a.state };
    }
    if let Some((_, refusal)) = derived.refused.iter().find(|(s, _)| *s == id) {
        return StepStatus::Refused { refusal: *refusal };
    }
    if let Some(c) = derived.conflicts.iter().find(|c| c.step == id) {
        return StepStatus::Conflict {
            refusal: c.refusal,
            lost_to: c.lost_to.clone(),
            settled: c.settled.is_some(),
        };
    }
    StepStatus::Waiting
}

fn deadline_view(event: &EventState, now: i64) -> Result<Option<DeadlineView>> {
    let Some(c) = stage_clock(event)? else {
        return Ok(None);
    };
    Ok(Some(DeadlineView {
        stage: c.stage,
        start_ms: c.start_ms,
        due_ms: c.due_ms,
        mark: c.mark(now, &rules()?.calendar),
    }))
}

impl Store {
    /// This device's party as a step's actor, for an event of `grid`. A grid role with
    /// no unit configured acts for the event's own grid.
    fn actor_for(&self, grid: Option<&str>) -> Actor {
        let party = &self.cfg.party;
        let unit = match grid {
            Some(g) if party.unit.is_empty() && party.is_grid_role() => g.to_owned(),
            _ => party.unit.clone(),
        };
        Actor {
            user: user_id(&self.cfg.member),
            role: party.role,
            unit,
        }
    }

    /// The steps stored for `report` (none when it has no dispatch document yet).
    fn stored_steps(&mut self, report: ReportId) -> Result<StoredSteps> {
        match self.doc_with_content(&dispatch_doc_id(report))? {
            Some(doc) => Ok(read_steps(&*doc)?),
            None => Ok(StoredSteps::default()),
        }
    }

    /// The report document's report, if this device has it.
    fn report_if_here(&mut self, report: ReportId) -> Result<Option<Report>> {
        let Some(doc) = self.doc_with_content(&DocumentId::from_uuid(report.0))? else {
            return Ok(None);
        };
        let f = read_fields(&*doc, &collection(&*doc, "report")?)?;
        if f.is_empty() {
            return Ok(None);
        }
        Ok(Some(Report::from_fields(&f)?))
    }

    /// Every step stored for a report, as written.
    pub fn event_steps(&mut self, report: ReportId) -> Result<Vec<Step>> {
        Ok(self.stored_steps(report)?.steps)
    }

    /// Takes a step of a report's chain of command as this device's party: checked
    /// against the event derived from its stored steps, refused with
    /// [`CoreError::Refused`] (nothing written) or written naming the steps it saw.
    /// Photos a step carries must be in the blob store; they are queued for upload to the
    /// report's grid in the same transaction.
    #[tracing::instrument(skip_all, fields(action = action.kind().code()))]
    pub fn take_step(&mut self, report: ReportId, action: Action) -> Result<StepId> {
        let stored = self.stored_steps(report)?;
        let derived = derive(&stored.steps);
        let grid = match &derived.state.report {
            Some(r) => r.grid.clone(),
            None => self
                .report_if_here(report)?
                .ok_or(CoreError::NotFound { what: "report" })?
                .grid
                .to_string(),
        };
        let step = Step {
            id: StepId::random(),
            after: heads(&stored.steps, &derived.waiting),
            at_ms: self.now().timestamp_millis(),
            actor: self.actor_for(Some(&grid)),
            action,
        };
        check(&derived.state, &step).map_err(CoreError::Refused)?;
        self.check_step_payload(&step)?;
        let grid: GridCode = grid
            .parse()
            .map_err(|e: FieldError| CoreError::Corrupt(format!("event grid: {e}")))?;
        let mut batch = self.batch();
        write_steps(&mut batch, report, &grid, std::slice::from_ref(&step))?;
        batch.commit()?;
        tracing::info!(step = %step.id, "step taken");
        Ok(step.id)
    }

    /// What the store checks beyond the state machine: note length, photos present.
    fn check_step_payload(&self, step: &Step) -> Result<()> {
        let (note, photos) = step.action.text_and_photos();
        let mut problems = vec![];
        if note.chars().count() > MAX_STEP_NOTE_CHARS {
            problems.push(FieldError::new("note", ErrorCode::TooLong, "note too long"));
        }
        problems.extend(self.photos_not_stored(photos)?);
        CoreError::check(problems)
    }

    /// 受理: the grid's leader takes the report on with a handling limit.
    pub fn accept_report(&mut self, report: ReportId, limit: Limit) -> Result<StepId> {
        self.take_step(report, Action::Accept { limit })
    }

    /// 派遣: a community or the centre gives the report to a grid, a member or a
    /// department with a handling limit.
    pub fn dispatch_report(
        &mut self,
        report: ReportId,
        to: Assignee,
        limit: Limit,
        note: &str,
    ) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::Dispatch { to, limit, note })
    }

    /// 交办: the leader holding the report hands it to a member of their grid.
    pub fn hand_over_report(
        &mut self,
        report: ReportId,
        member: Uuid,
        note: &str,
    ) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::HandOver { member, note })
    }

    /// 处置: the assignee records progress, with photos of the work if any.
    pub fn record_progress(
        &mut self,
        report: ReportId,
        note: &str,
        photos: Vec<String>,
    ) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::Progress { note, photos })
    }

    /// 办结: the assignee reports the work done, with at least one after-photo.
    pub fn finish_report(
        &mut self,
        report: ReportId,
        note: &str,
        photos: Vec<String>,
    ) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::Finish { note, photos })
    }

    /// 核查通过: whoever accepted or dispatched it confirms the work; the event closes.
    pub fn verify_report(&mut self, report: ReportId, note: &str) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::Verify { note })
    }

    /// 回访评价: a member of the grid or the centre records the resident's rating.
    pub fn rate_report(&mut self, report: ReportId, rating: Rating, note: &str) -> Result<StepId> {
        let note = note.to_owned();
        self.take_step(report, Action::Rate { rating, note })
    }

    /// Settles an open conflict: re-apply the step that lost, or dismiss it.
    pub fn settle_conflict(
        &mut self,
        report: ReportId,
        conflict: StepId,
        decision: Settlement,
    ) -> Result<StepId> {
        self.take_step(report, Action::Settle { conflict, decision })
    }

    /// The event's page: derived state, assignee, first responsible, the stage clock and
    /// its mark now, every step with how it was judged, and what this device's party may
    /// do. A report filed without a photo has no steps: its state is `None`.
    pub fn event_detail(&mut self, report: ReportId) -> Result<EventDetail> {
        let stored = self.stored_steps(report)?;
        let derived = derive(&stored.steps);
        let event = &derived.state;
        let grid = match &event.report {
            Some(r) => Some(r.grid.clone()),
            None => match self.report_if_here(report)? {
                Some(r) => Some(r.grid.to_string()),
                None if stored.steps.is_empty() => {
                    return Err(CoreError::NotFound { what: "report" });
                }
                None => None,
            },
        };
        let actor = self.actor_for(grid.as_deref());
        let allowed = if grid.is_some() {
            allowed_actions(event, &actor)
        } else {
            vec![]
        };
        let timeline = causal_order(&stored.steps)
            .into_iter()
            .map(|s| {
                let (note, photos) = s.action.text_and_photos();
                TimelineEntry {
                    step: s.id,
                    kind: s.action.kind(),
                    by: s.actor.user,
                    role: s.actor.role,
                    unit: s.actor.unit.clone(),
                    at_ms: s.at_ms,
                    note: note.to_owned(),
                    photos: photos.to_vec(),
                    status: status_of(&derived, s.id),
                }
            })
            .collect();
        let now = self.now().timestamp_millis();
        Ok(EventDetail {
            report,
            grid,
            state: event.state,
            level: event.level,
            assignee: event.assignee.clone(),
            verifier: event.verifier.as_ref().map(|v| v.user),
            first_responsible: event.first_responsible,
            deadline: deadline_view(event, now)?,
            pending_delay_days: event.pending_delay.as_ref().map(|d| d.days),
            reworks: event.reworks,
            send_backs: event.send_backs,
            supervision: event.supervision.iter().map(|f| f.level).max(),
            open_conflicts: event.open_conflicts.iter().map(|c| c.step.id).collect(),
            timeline,
            unreadable_steps: stored.unreadable,
            allowed,
        })
    }

    /// The to-do list (待办) of this device's party: every event on the device that waits
    /// for it, with every action it may take now, overdue first, then yellow, then by due
    /// time. An event waits for a party when it may move it on; actions that are open to
    /// it without being asked of it ([`OPTIONAL_ACTIONS`]: supervising any open event covered,
    /// escalating or sending back what it holds, asking for a delay) do not by themselves
    /// put an event on the list.
    pub fn my_tasks(&self) -> Result<Vec<Task>> {
        let party = &self.cfg.party;
        let user = user_id(&self.cfg.member).to_string();
        let now = self.now().timestamp_millis();
        let calendar = &rules()?.calendar;
        let mut stmt = self.conn().prepare_cached(
            "SELECT report_id, grid, derived, stage, clock_start, clock_due, filed_at
             FROM event_state
             WHERE (state <> 'rated' OR open_conflicts > 0)
               AND (?1 = '' OR substr(grid, 1, length(?1)) = ?1
                    OR assignee_id IN (?1, ?2) OR verifier = ?2)",
        )?;
        let rows = stmt.query_map(params![party.unit, user], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, grid, json, stage, start, due, filed_at) = row?;
            let id = Uuid::from_slice(&id).map_err(|e| CoreError::Corrupt(e.to_string()))?;
            let event: EventState = match serde_json::from_str(&json) {
                Ok(event) => event,
                Err(e) => {
                    // One unreadable row (written by another build) must not hide the
                    // rest of the list; the next change to its document rewrites it.
                    tracing::warn!(cause = %e, "event index row not readable");
                    continue;
                }
            };
            let Some(state) = event.state else {
                continue;
            };
            let actor = self.actor_for(Some(&grid));
            let actions = allowed_actions(&event, &actor);
            if actions.iter().all(|k| OPTIONAL_ACTIONS.contains(k)) {
                continue;
            }
            let deadline = match (stage.as_deref().and_then(Stage::from_code), start, due) {
                (Some(stage), Some(start_ms), Some(due_ms)) => Some(DeadlineView {
                    stage,
                    start_ms,
                    due_ms,
                    mark: mark(now, start_ms, due_ms, calendar),
                }),
                _ => None,
            };
            let (category, severity) = match &event.report {
                Some(r) => (r.category.clone(), r.severity),
                None => (String::new(), wangge_events::Severity::Normal),
            };
            out.push(Task {
                report: ReportId(id),
                grid,
                category_name: category_name(&category),
                category,
                severity,
                supervision: event.supervision.iter().map(|f| f.level).max(),
                state,
                level: event.level,
                actions,
                deadline,
                filed_at_ms: filed_at,
            });
        }
        let urgency = |t: &Task| match t.deadline.map(|d| d.mark) {
            Some(Mark::Overdue) => 0,
            Some(Mark::Yellow) => 1,
            Some(Mark::OnTime) => 2,
            None => 3,
        };
        out.sort_by_key(|t| {
            (
                urgency(t),
                t.deadline.map_or(i64::MAX, |d| d.due_ms),
                t.filed_at_ms,
                t.report.0,
            )
        });
        Ok(out)
    }

    /// The 上报 step of a report being filed with `photos`, if this device's party may
    /// file in `grid`: checked like any step, so a centre's device is refused.
    pub(crate) fn file_step(&self, grid: &GridCode, report: &Report) -> Result<Option<Step>> {
        let actor = self.actor_for(Some(grid.as_str()));
        may(&EventState::default(), &actor, ActionKind::File).map_err(CoreError::Refused)?;
        if report.photos.is_empty() {
            // The chain needs evidence: the report stays outside it until a 上报 step
            // with a photo is taken ([`Store::take_step`]).
            return Ok(None);
        }
        let step = Step {
            id: StepId::random(),
            after: vec![],
            at_ms: report.created_at.timestamp_millis(),
            actor,
            action: Action::File {
                category: crate::model::event_category(report.category).to_owned(),
                severity: crate::model::event_severity(report.severity),
                note: report.description.clone(),
                photos: report.photos.iter().cloned().collect(),
            },
        };
        check(&EventState::default(), &step).map_err(CoreError::Refused)?;
        Ok(Some(step))
    }
}

/// Writes `steps` of `report` (in `grid`) into its dispatch document within `batch`:
/// the document from its shared genesis if new, its steps map from the shared change if
/// it has none, then one change holding the steps; their photos are queued for upload.
pub(crate) fn write_steps(
    batch: &mut Batch<'_>,
    report: ReportId,
    grid: &GridCode,
    steps: &[Step],
) -> Result<()> {
    let id = dispatch_doc_id(report);
    let rid = report.0.to_string();
    let scope = grid.scope();
    let doc = batch.doc_mut(
        id,
        Some(Genesis {
            kind: DocKind::Dispatch,
            scope,
            attrs: &[(REPORT_KEY, &rid)],
        }),
    )?;
    ensure_steps_map(doc, &id)?;
    batch.change(id, None, |tx| {
        for step in steps {
            write_step(tx, step)?;
        }
        Ok(())
    })?;
    for step in steps {
        for photo in step.action.text_and_photos().1 {
            batch.queue_upload(photo, scope.as_str());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_events::Party;

    fn step(n: u128, after: &[u128], at_ms: i64) -> Step {
        Step {
            id: StepId(Uuid::from_u128(n)),
            after: after.iter().map(|a| StepId(Uuid::from_u128(*a))).collect(),
            at_ms,
            actor: Actor {
                user: Uuid::from_u128(99),
                role: Party::Leader,
                unit: "110105001001001".into(),
            },
            action: Action::Verify {
                note: String::new(),
            },
        }
    }

    #[test]
    fn heads_are_the_steps_nobody_names_leaving_out_waiting_ones() {
        // 1 ← 2, 1 ← 3 (concurrent), 4 waits for a missing 9 and names 3.
        let steps = vec![
            step(1, &[], 0),
            step(2, &[1], 5),
            step(3, &[1], 5),
            step(4, &[3, 9], 6),
        ];
        let waiting = vec![StepId(Uuid::from_u128(4))];
        let ids: Vec<u128> = heads(&steps, &waiting)
            .iter()
            .map(|s| s.0.as_u128())
            .collect();
        assert_eq!(ids, [2, 3]);
    }
}
