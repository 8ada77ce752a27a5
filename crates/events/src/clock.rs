//! The clock running on an event now: which stage (受理, 办理, 核查), since when, due when,
//! for the coloured marks of the lists ([`clock`]).
//!
//! - 待受理: the 受理 limit of the event's category and severity ([`TimeLimits`]), from when
//!   it last became pending (filed, escalated, or sent back to pending).
//! - 办理中: the limit set by the accept or dispatch now standing, from that step, with
//!   approved delays.
//! - 待核查: the 核查 limit, from the standing 办结.
//! - 已结案, 已评价: no clock.

use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::deadline::{Mark, Stage, TimeLimits, due, mark};
use crate::machine::{EventState, State};

/// A running stage clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The stage.
    pub stage: Stage,
    /// When it started.
    pub start_ms: i64,
    /// When it is due.
    pub due_ms: i64,
}

impl Clock {
    /// The mark at `now`.
    pub fn mark(&self, now: i64, calendar: &Calendar) -> Mark {
        mark(now, self.start_ms, self.due_ms, calendar)
    }
}

/// The clock running on `event`, if any.
pub fn clock(
    event: &EventState,
    limits: &TimeLimits,
    calendar: &Calendar,
) -> Result<Option<Clock>, CalendarError> {
    let Some(report) = &event.report else {
        return Ok(None);
    };
    let by_table = |stage: Stage, start: Option<i64>| -> Result<Option<Clock>, CalendarError> {
        let Some(start_ms) = start else {
            return Ok(None);
        };
        let limit = limits.limit(&report.category, report.severity, stage);
        let due_ms = due(start_ms, limit, calendar, 0)?;
        Ok(Some(Clock {
            stage,
            start_ms,
            due_ms,
        }))
    };
    match event.state {
        Some(State::Pending) => by_table(Stage::Accept, event.pending_since_ms),
        Some(State::InProgress) => {
            let Some(d) = event.deadline else {
                return Ok(None);
            };
            let due_ms = due(d.start_ms, d.limit, calendar, d.extension_days)?;
            Ok(Some(Clock {
                stage: Stage::Handle,
                start_ms: d.start_ms,
                due_ms,
            }))
        }
        Some(State::AwaitingCheck) => by_table(Stage::Check, event.finished_at_ms),
        Some(State::Closed | State::Rated) | None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::fixture::*;
    use crate::step::{Action, Severity, Step, StepId};

    fn cal() -> Calendar {
        Calendar::builtin().expect("built-in calendar parses")
    }

    fn at(m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        let date = NaiveDate::from_ymd_opt(2026, m, d).expect("a real date");
        cal().instant(date, hh * 60 + mm)
    }

    /// Applies `action` by `actor` at `ms`, checked.
    fn take(e: &mut EventState, actor: crate::step::Actor, action: Action, ms: i64) {
        let step = Step {
            id: StepId::random(),
            after: vec![],
            at_ms: ms,
            actor,
            action,
        };
        assert_eq!(crate::machine::check(e, &step), Ok(()));
        crate::machine::apply(e, &step);
    }

    #[test]
    fn each_open_state_runs_the_clock_of_its_stage() {
        let (cal, limits) = (cal(), TimeLimits::builtin().expect("built-in limits parse"));
        let mut e = EventState::default();
        let urgent_gas = Action::File {
            category: "safety.gas".into(),
            severity: Severity::Urgent,
            note: "燃气味".into(),
            photos: vec![photo()],
        };
        // Filed Mon 2 Mar 09:00: the safety rule gives one working hour to accept.
        take(&mut e, member(), urgent_gas, at(3, 2, 9, 0));
        let c = clock(&e, &limits, &cal)
            .expect("calendar")
            .expect("a clock");
        assert_eq!((c.stage, c.due_ms), (Stage::Accept, at(3, 2, 10, 0)));
        assert_eq!(c.mark(at(3, 2, 9, 45), &cal), Mark::Yellow);
        // Accepted at 11:00 (an hour late) with five working days: the handling clock
        // replaces the acceptance clock, due Mon 9 Mar 17:30.
        take(&mut e, leader(), accept(), at(3, 2, 11, 0));
        let c = clock(&e, &limits, &cal)
            .expect("calendar")
            .expect("a clock");
        assert_eq!((c.stage, c.due_ms), (Stage::Handle, at(3, 9, 17, 30)));
        // Finished Tue 3 Mar 10:00: two working days to check, due Thu 5 Mar 17:30.
        take(&mut e, leader(), finish(), at(3, 3, 10, 0));
        let c = clock(&e, &limits, &cal)
            .expect("calendar")
            .expect("a clock");
        assert_eq!((c.stage, c.due_ms), (Stage::Check, at(3, 5, 17, 30)));
        take(&mut e, leader(), verify(), at(3, 4, 9, 0));
        assert_eq!(clock(&e, &limits, &cal), Ok(None));
    }

    #[test]
    fn a_send_back_to_pending_restarts_the_acceptance_clock() {
        let (cal, limits) = (cal(), TimeLimits::builtin().expect("built-in limits parse"));
        let mut e = EventState::default();
        take(&mut e, member(), file(), at(3, 2, 9, 0));
        take(&mut e, leader(), escalate(), at(3, 2, 10, 0));
        take(&mut e, community(), to_dept(), at(3, 2, 11, 0));
        take(&mut e, dept(), send_back(), at(3, 3, 14, 0));
        // Safety accept limit: one working hour from the send-back.
        let c = clock(&e, &limits, &cal)
            .expect("calendar")
            .expect("a clock");
        assert_eq!(
            (c.stage, c.start_ms, c.due_ms),
            (Stage::Accept, at(3, 3, 14, 0), at(3, 3, 15, 0))
        );
    }
}
