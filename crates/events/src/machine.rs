//! The state machine of one event: [`EventState`], [`check`] (may this step be taken
//! here?), [`apply`] (take it) and [`allowed_actions`] (the UI's buttons).
//!
//! | from | action | to | who |
//! |---|---|---|---|
//! | — | 上报 file | 待受理 at grid level | member, informant, leader of the grid |
//! | 待受理 (grid) | 受理 accept | 办理中, assignee = the leader | leader of the grid |
//! | 待受理 | 上报 escalate | 待受理 one level up | leader (grid level), community (community level) |
//! | 办理中 | 上报 escalate | 待受理 one level up | the acceptor/dispatcher, at their own level |
//! | 待受理 (community / centre) | 派遣 dispatch | 办理中, assignee = target | community / centre covering the grid |
//! | 办理中 | 交办 hand over | 办理中, assignee = member | leader holding it (assignee is them or their grid) |
//! | 办理中 | 处置 progress | 办理中 | assignee |
//! | 办理中 | 申请延期 request delay | 办理中, delay pending | assignee, no request pending |
//! | 办理中 | 批准 / 驳回 delay | 办理中, deadline extended / unchanged | dispatcher or acceptor |
//! | 办理中 | 办结 finish (note + photo) | 待核查 | assignee |
//! | 待核查 | 核查通过 verify | 已结案 | dispatcher or acceptor |
//! | 待核查 | 核查不通过 reject | 办理中 (返工 +1) | dispatcher or acceptor |
//! | 办理中 | 回退 send back (reason) | what it was before the last dispatch / hand-over | assignee |
//! | 待受理, 办理中, 待核查 | 督办 supervise | unchanged, flagged | community, centre covering the grid |
//! | 已结案 | 回访评价 rate | 已评价; 不满意 → 办理中 | member of the grid, centre covering it |
//! | any, with an open conflict | settle | as the re-applied step, or unchanged | dispatcher or acceptor, community, centre |
//!
//! The first actor to accept or dispatch an event becomes its first responsible (首问负责)
//! and stays so until it is closed, whoever holds it after. Checks run in a fixed order,
//! so a step has one refusal: whether the event is filed, the role, the state, the level,
//! the scope, the actor's identity (assignee, dispatcher), then the payload.

use crate::deadline::Limit;
pub use crate::event::{
    Deadline, DelayRequest, EventState, Flag, Hop, Level, OpenConflict, RatingRecord, Report, State,
};
use crate::form::{PhotoNeed, TextField, form_of};
use crate::refusal::Refusal;
use crate::step::{
    Action, ActionKind, Actor, Assignee, Party, Rating, Settlement, Step, is_photo_ref,
};

/// The most working days one delay request may ask for.
pub const MAX_DELAY_DAYS: u32 = 30;

/// The parties that may ever take an action of `kind`, whatever the event's state: the
/// relay's check of who wrote a step (it judges writes, not states, since a step legal in
/// its writer's view may meet a concurrent one later). A superset of what [`may`] allows.
pub fn parties_for(kind: ActionKind) -> &'static [Party] {
    use ActionKind as K;
    use Party as P;
    match kind {
        K::File => &[P::Member, P::Informant, P::Leader],
        K::Accept | K::HandOver => &[P::Leader],
        K::Escalate => &[P::Leader, P::Community],
        K::Dispatch | K::Supervise => &[P::Community, P::Centre],
        // The assignee: a grid's members and leader, a department, or one user.
        K::Progress | K::RequestDelay | K::Finish | K::SendBack => {
            &[P::Member, P::Leader, P::Community, P::Centre, P::Department]
        }
        // Whoever accepted or dispatched it (and, to settle, a community or centre).
        K::ApproveDelay | K::RejectDelay | K::Verify | K::RejectCheck | K::Settle => {
            &[P::Leader, P::Community, P::Centre]
        }
        K::Rate => &[P::Member, P::Centre],
    }
}

fn ensure(ok: bool, refusal: Refusal) -> Result<(), Refusal> {
    if ok { Ok(()) } else { Err(refusal) }
}

/// Whether `actor` may take an action of `kind` on the event as it stands, payload aside:
/// the part of [`check`] the UI's buttons need.
pub fn may(s: &EventState, actor: &Actor, kind: ActionKind) -> Result<(), Refusal> {
    let Some(report) = &s.report else {
        if kind != ActionKind::File {
            return Err(Refusal::NotFiled);
        }
        ensure(
            matches!(actor.role, Party::Member | Party::Informant | Party::Leader),
            Refusal::RoleMayNot,
        )?;
        return ensure(!actor.unit.is_empty(), Refusal::NotInScope);
    };
    let state = s.state.unwrap_or(State::Pending);
    let covers = actor.covers(&report.grid);
    let at_own_level = Level::of(actor.role) == Some(s.level);
    use ActionKind as K;
    match kind {
        K::File => Err(Refusal::AlreadyFiled),
        K::Accept => {
            ensure(actor.role == Party::Leader, Refusal::RoleMayNot)?;
            ensure(state == State::Pending, Refusal::WrongState)?;
            ensure(at_own_level, Refusal::WrongLevel)?;
            ensure(covers, Refusal::NotInScope)
        }
        K::Escalate => {
            ensure(actor.role != Party::Centre, Refusal::NoHigherLevel)?;
            ensure(
                matches!(actor.role, Party::Leader | Party::Community),
                Refusal::RoleMayNot,
            )?;
            ensure(
                matches!(state, State::Pending | State::InProgress),
                Refusal::WrongState,
            )?;
            ensure(at_own_level, Refusal::WrongLevel)?;
            ensure(covers, Refusal::NotInScope)?;
            ensure(
                state == State::Pending || s.is_verifier(actor),
                Refusal::NotDispatcher,
            )
        }
        K::Dispatch => {
            ensure(
                matches!(actor.role, Party::Community | Party::Centre),
                Refusal::RoleMayNot,
            )?;
            ensure(state == State::Pending, Refusal::WrongState)?;
            ensure(at_own_level, Refusal::WrongLevel)?;
            ensure(covers, Refusal::NotInScope)
        }
        K::HandOver => {
            ensure(actor.role == Party::Leader, Refusal::RoleMayNot)?;
            ensure(state == State::InProgress, Refusal::WrongState)?;
            let holds = match &s.assignee {
                Some(Assignee::Member(user)) => *user == actor.user,
                Some(Assignee::Grid(code)) => *code == actor.unit,
                _ => false,
            };
            ensure(holds, Refusal::NotAssignee)
        }
        K::Progress | K::RequestDelay | K::Finish | K::SendBack => {
            ensure(actor.role != Party::Informant, Refusal::RoleMayNot)?;
            ensure(state == State::InProgress, Refusal::WrongState)?;
            ensure(s.is_assignee(actor), Refusal::NotAssignee)?;
            match kind {
                K::RequestDelay => ensure(s.pending_delay.is_none(), Refusal::DelayPending),
                K::SendBack => ensure(!s.hops.is_empty(), Refusal::NothingToSendBack),
                _ => Ok(()),
            }
        }
        K::ApproveDelay | K::RejectDelay => {
            ensure(state == State::InProgress, Refusal::WrongState)?;
            ensure(s.is_verifier(actor), Refusal::NotDispatcher)?;
            ensure(s.pending_delay.is_some(), Refusal::NoPendingDelay)
        }
        K::Verify | K::RejectCheck => {
            ensure(state == State::AwaitingCheck, Refusal::WrongState)?;
            ensure(s.is_verifier(actor), Refusal::NotDispatcher)
        }
        K::Supervise => {
            ensure(
                matches!(actor.role, Party::Community | Party::Centre),
                Refusal::RoleMayNot,
            )?;
            ensure(
                matches!(
                    state,
                    State::Pending | State::InProgress | State::AwaitingCheck
                ),
                Refusal::WrongState,
            )?;
            ensure(covers, Refusal::NotInScope)
        }
        K::Rate => {
            ensure(
                matches!(actor.role, Party::Member | Party::Centre),
                Refusal::RoleMayNot,
            )?;
            ensure(state == State::Closed, Refusal::WrongState)?;
            let in_scope = match actor.role {
                Party::Member => actor.unit == report.grid,
                _ => covers,
            };
            ensure(in_scope, Refusal::NotInScope)
        }
        K::Settle => {
            ensure(!s.open_conflicts.is_empty(), Refusal::NoConflict)?;
            let over = matches!(actor.role, Party::Community | Party::Centre) && covers;
            ensure(s.is_verifier(actor) || over, Refusal::NotDispatcher)
        }
    }
}

fn photos(list: &[String], required: bool) -> Result<(), Refusal> {
    ensure(!required || !list.is_empty(), Refusal::MissingPhoto)?;
    ensure(list.iter().all(|p| is_photo_ref(p)), Refusal::BadPhotoRef)
}

fn limit(limit: &Limit) -> Result<(), Refusal> {
    ensure(limit.amount() > 0, Refusal::BadLimit)
}

/// Whether `step` may be taken on the event as it stands: [`may`], then its payload.
pub fn check(s: &EventState, step: &Step) -> Result<(), Refusal> {
    let kind = step.action.kind();
    may(s, &step.actor, kind)?;
    let actor = &step.actor;
    // What the form asks for ([`form_of`], the table the app's forms follow too).
    let form = form_of(kind);
    let (text, list) = step.action.text_and_photos();
    if form.text_required {
        let missing = match form.text {
            Some(TextField::Reason) => Refusal::MissingReason,
            _ => Refusal::MissingNote,
        };
        ensure(!text.trim().is_empty(), missing)?;
    }
    if let Some(need) = form.photos {
        photos(list, need == PhotoNeed::Required)?;
    }
    match &step.action {
        Action::File { category, .. } => {
            ensure(!category.trim().is_empty(), Refusal::MissingCategory)
        }
        Action::Accept { limit: l } => limit(l),
        Action::Dispatch { to, limit: l, .. } => {
            match to {
                Assignee::Grid(code) => {
                    ensure(!code.is_empty(), Refusal::BadTarget)?;
                    ensure(actor.covers(code), Refusal::TargetOutOfScope)?;
                }
                Assignee::Department(code) => ensure(!code.is_empty(), Refusal::BadTarget)?,
                Assignee::Member(user) => ensure(*user != actor.user, Refusal::BadTarget)?,
            }
            limit(l)
        }
        Action::HandOver { member, .. } => ensure(*member != actor.user, Refusal::BadTarget),
        Action::RequestDelay { days, .. } => {
            ensure((1..=MAX_DELAY_DAYS).contains(days), Refusal::BadDelayDays)
        }
        Action::Settle { conflict, decision } => {
            let open = s
                .open_conflicts
                .iter()
                .find(|c| c.step.id == *conflict)
                .ok_or(Refusal::NoConflict)?;
            match decision {
                Settlement::Dismiss => Ok(()),
                Settlement::Reapply => check(s, &open.step),
            }
        }
        Action::Escalate { .. }
        | Action::Progress { .. }
        | Action::ApproveDelay
        | Action::RejectDelay { .. }
        | Action::Finish { .. }
        | Action::Verify { .. }
        | Action::RejectCheck { .. }
        | Action::SendBack { .. }
        | Action::Supervise { .. }
        | Action::Rate { .. } => Ok(()),
    }
}

/// Takes `step`, which [`check`] allowed, on the event.
pub fn apply(s: &mut EventState, step: &Step) {
    let actor = &step.actor;
    let at = step.at_ms;
    match &step.action {
        Action::File {
            category, severity, ..
        } => {
            s.report = Some(Report {
                author: actor.user,
                grid: actor.unit.clone(),
                category: category.clone(),
                severity: *severity,
                filed_at_ms: at,
            });
            s.state = Some(State::Pending);
            s.level = Level::Grid;
            s.pending_since_ms = Some(at);
        }
        Action::Accept { limit } => {
            take_charge(s, actor, at, Assignee::Member(actor.user), *limit);
            s.hops.clear();
        }
        Action::Escalate { .. } => {
            s.level = s.level.up().unwrap_or(s.level);
            s.state = Some(State::Pending);
            s.pending_since_ms = Some(at);
            s.assignee = None;
            s.verifier = None;
            s.deadline = None;
            s.pending_delay = None;
            s.hops.clear();
        }
        Action::Dispatch { to, limit, .. } => {
            push_hop(s, step);
            take_charge(s, actor, at, to.clone(), *limit);
        }
        Action::HandOver { member, .. } => {
            push_hop(s, step);
            s.assignee = Some(Assignee::Member(*member));
        }
        Action::Progress { .. } => {}
        Action::RequestDelay { days, .. } => {
            s.pending_delay = Some(DelayRequest {
                step: step.id,
                by: actor.user,
                days: *days,
            });
        }
        Action::ApproveDelay => {
            if let (Some(request), Some(deadline)) = (s.pending_delay.take(), s.deadline.as_mut()) {
                deadline.extension_days += request.days;
            }
        }
        Action::RejectDelay { .. } => s.pending_delay = None,
        Action::Finish { .. } => {
            s.state = Some(State::AwaitingCheck);
            s.finished_at_ms = Some(at);
            s.pending_delay = None;
        }
        Action::Verify { .. } => {
            s.state = Some(State::Closed);
            s.closed_at_ms = Some(at);
        }
        Action::RejectCheck { .. } => {
            s.state = Some(State::InProgress);
            s.finished_at_ms = None;
            s.reworks += 1;
        }
        Action::SendBack { .. } => {
            if let Some(hop) = s.hops.pop() {
                if hop.state == State::Pending {
                    s.pending_since_ms = Some(at);
                }
                s.state = Some(hop.state);
                s.assignee = hop.assignee;
                s.verifier = hop.verifier;
                s.deadline = hop.deadline;
                s.pending_delay = None;
                s.send_backs += 1;
            }
        }
        Action::Supervise { level, .. } => s.supervision.push(Flag {
            step: step.id,
            level: *level,
            by: actor.user,
            at_ms: at,
        }),
        Action::Rate { rating, .. } => {
            s.ratings.push(RatingRecord {
                rating: *rating,
                at_ms: at,
            });
            if *rating == Rating::Unsatisfied {
                s.state = Some(State::InProgress);
                s.closed_at_ms = None;
                s.finished_at_ms = None;
            } else {
                s.state = Some(State::Rated);
            }
        }
        Action::Settle { conflict, decision } => {
            let Some(pos) = s.open_conflicts.iter().position(|c| c.step.id == *conflict) else {
                return;
            };
            let open = s.open_conflicts.remove(pos);
            if *decision == Settlement::Reapply {
                let now = Step {
                    at_ms: at,
                    ..open.step
                };
                apply(s, &now);
            }
        }
    }
}

fn push_hop(s: &mut EventState, step: &Step) {
    s.hops.push(Hop {
        step: step.id,
        by: step.actor.clone(),
        state: s.state.unwrap_or(State::Pending),
        assignee: s.assignee.clone(),
        verifier: s.verifier.clone(),
        deadline: s.deadline,
    });
}

/// The actions `actor` may take on the event as it stands: the buttons to show.
pub fn allowed_actions(s: &EventState, actor: &Actor) -> Vec<ActionKind> {
    ActionKind::ALL
        .iter()
        .copied()
        .filter(|kind| may(s, actor, *kind).is_ok())
        .collect()
}

#[cfg(test)]
#[path = "machine_tests.rs"]
mod tests;

/// An accept or a dispatch: the event is in progress with `assignee`, verified by
/// `actor`, whose first such step makes them first responsible, on a fresh deadline.
fn take_charge(s: &mut EventState, actor: &Actor, at: i64, assignee: Assignee, limit: Limit) {
    s.state = Some(State::InProgress);
    s.assignee = Some(assignee);
    s.verifier = Some(actor.clone());
    s.first_responsible.get_or_insert(actor.user);
    s.accepted_at_ms.get_or_insert(at);
    s.deadline = Some(Deadline {
        start_ms: at,
        limit,
        extension_days: 0,
    });
}
