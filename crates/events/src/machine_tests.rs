//! One test per rule of the state table and per refusal code.

use super::*;
use crate::fixture::*;
use crate::step::{Rating, Severity, StepId, Supervision};
use uuid::Uuid;

fn filed() -> Chain {
    let mut e = Chain::new();
    e.ok(member(), file());
    e
}

/// Filed, escalated by the leader: pending at the community.
fn at_community() -> Chain {
    let mut e = filed();
    e.ok(leader(), escalate());
    e
}

/// Dispatched by the community to the department.
fn with_dept() -> Chain {
    let mut e = at_community();
    e.ok(community(), to_dept());
    e
}

fn state(e: &Chain) -> Option<State> {
    e.state.state
}

// Transitions.

#[test]
fn filing_puts_the_report_pending_at_the_grid_level() {
    let e = filed();
    assert_eq!(state(&e), Some(State::Pending));
    assert_eq!(e.state.level, Level::Grid);
    let report = e.state.report.as_ref().expect("filed");
    assert_eq!(report.grid, GRID);
    assert_eq!(report.author, member().user);
}

#[test]
fn an_informant_may_file_a_report_of_their_grid() {
    let mut e = Chain::new();
    e.ok(informant(), file());
    assert_eq!(state(&e), Some(State::Pending));
}

#[test]
fn the_grids_leader_accepting_makes_them_assignee_verifier_and_first_responsible() {
    let mut e = filed();
    e.ok(leader(), accept());
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.assignee, Some(Assignee::Member(leader().user)));
    assert!(e.state.is_verifier(&leader()));
    assert_eq!(e.state.first_responsible, Some(leader().user));
    let deadline = e.state.deadline.expect("a deadline runs");
    assert_eq!(deadline.limit, Limit::WorkingDays(5));
    assert_eq!(deadline.start_ms, e.steps[1].at_ms);
}

#[test]
fn a_leader_escalating_sends_the_report_pending_to_the_community() {
    let e = at_community();
    assert_eq!(state(&e), Some(State::Pending));
    assert_eq!(e.state.level, Level::Community);
    assert_eq!(e.state.first_responsible, None);
}

#[test]
fn a_community_escalating_sends_the_report_pending_to_the_centre() {
    let mut e = at_community();
    e.ok(community(), escalate());
    assert_eq!(e.state.level, Level::Centre);
    assert_eq!(state(&e), Some(State::Pending));
}

#[test]
fn the_acceptor_may_escalate_an_event_in_progress_and_stays_first_responsible() {
    let mut e = filed();
    e.ok(leader(), accept()).ok(leader(), escalate());
    assert_eq!(state(&e), Some(State::Pending));
    assert_eq!(e.state.level, Level::Community);
    assert_eq!(e.state.assignee, None);
    assert_eq!(e.state.deadline, None);
    assert_eq!(e.state.first_responsible, Some(leader().user));
}

#[test]
fn a_community_dispatch_to_a_department_puts_it_in_progress_with_a_deadline() {
    let e = with_dept();
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.assignee, Some(Assignee::Department(DEPT.into())));
    assert!(e.state.is_verifier(&community()));
    assert_eq!(e.state.first_responsible, Some(community().user));
    assert_eq!(
        e.state.deadline.map(|d| d.limit),
        Some(Limit::WorkingDays(3))
    );
    // Any staff of the department handles it.
    assert!(e.state.is_assignee(&dept2()));
}

#[test]
fn a_centre_dispatch_to_a_grid_lets_its_members_handle_it() {
    let mut e = at_community();
    e.ok(community(), escalate())
        .ok(centre(), dispatch(Assignee::Grid(GRID.into())))
        .ok(member2(), progress());
    assert!(e.state.is_verifier(&centre()));
    assert!(!e.state.is_assignee(&other_leader()));
}

#[test]
fn a_leader_hands_an_accepted_event_to_a_member_and_stays_verifier_and_first_responsible() {
    let mut e = filed();
    e.ok(leader(), accept()).ok(leader(), hand_over(&member2()));
    assert_eq!(e.state.assignee, Some(Assignee::Member(member2().user)));
    assert!(e.state.is_verifier(&leader()));
    assert_eq!(e.state.first_responsible, Some(leader().user));
    assert_eq!(state(&e), Some(State::InProgress));
}

#[test]
fn the_assignee_recording_progress_leaves_the_state_as_it_was() {
    let mut e = with_dept();
    let before = e.state.clone();
    e.ok(dept(), progress());
    assert_eq!(e.state, before);
}

#[test]
fn an_approved_delay_adds_its_days_to_the_deadline() {
    let mut e = with_dept();
    e.ok(dept(), request_delay(2));
    assert_eq!(e.state.pending_delay.as_ref().map(|d| d.days), Some(2));
    e.ok(community(), Action::ApproveDelay);
    assert_eq!(e.state.pending_delay, None);
    assert_eq!(e.state.deadline.map(|d| d.extension_days), Some(2));
}

#[test]
fn a_rejected_delay_leaves_the_deadline_unchanged() {
    let mut e = with_dept();
    e.ok(dept(), request_delay(2)).ok(
        community(),
        Action::RejectDelay {
            reason: "时限内可完成".into(),
        },
    );
    assert_eq!(e.state.pending_delay, None);
    assert_eq!(e.state.deadline.map(|d| d.extension_days), Some(0));
}

#[test]
fn finishing_with_a_note_and_an_after_photo_awaits_the_check() {
    let mut e = with_dept();
    e.ok(dept(), finish());
    assert_eq!(state(&e), Some(State::AwaitingCheck));
    assert_eq!(e.state.finished_at_ms, Some(e.steps[3].at_ms));
}

#[test]
fn the_dispatcher_verifying_closes_the_event() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), verify());
    assert_eq!(state(&e), Some(State::Closed));
    assert_eq!(e.state.closed_at_ms, Some(e.steps[4].at_ms));
}

#[test]
fn the_acceptor_verifies_what_they_handed_over() {
    let mut e = filed();
    e.ok(leader(), accept())
        .ok(leader(), hand_over(&member2()))
        .ok(member2(), finish())
        .ok(leader(), verify());
    assert_eq!(state(&e), Some(State::Closed));
}

#[test]
fn a_failed_check_sends_it_back_to_work_and_counts_a_rework() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), reject_check());
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.reworks, 1);
    assert!(e.state.is_assignee(&dept()));
}

#[test]
fn sending_back_a_dispatch_returns_it_pending_to_the_dispatchers_level() {
    let mut e = with_dept();
    e.ok(dept(), send_back());
    assert_eq!(state(&e), Some(State::Pending));
    assert_eq!(e.state.level, Level::Community);
    assert_eq!(e.state.assignee, None);
    assert_eq!(e.state.deadline, None);
    assert_eq!(e.state.send_backs, 1);
    // The community dispatches it again, to the right department.
    e.ok(
        community(),
        dispatch(Assignee::Department(OTHER_DEPT.into())),
    );
    assert!(e.state.is_assignee(&other_dept()));
}

#[test]
fn sending_back_a_hand_over_returns_it_to_the_leader() {
    let mut e = filed();
    e.ok(leader(), accept())
        .ok(leader(), hand_over(&member2()))
        .ok(member2(), send_back());
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.assignee, Some(Assignee::Member(leader().user)));
}

#[test]
fn the_first_responsible_stays_after_a_send_back_and_a_new_dispatch() {
    let mut e = with_dept();
    e.ok(dept(), send_back())
        .ok(community(), escalate())
        .ok(centre(), to_dept());
    assert!(e.state.is_verifier(&centre()));
    assert_eq!(e.state.first_responsible, Some(community().user));
}

#[test]
fn supervision_flags_the_event_and_leaves_its_state() {
    let mut e = with_dept();
    e.ok(
        centre(),
        Action::Supervise {
            level: Supervision::Red,
            note: String::new(),
        },
    );
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.supervision.len(), 1);
    assert_eq!(e.state.supervision[0].level, Supervision::Red);
}

#[test]
fn a_satisfied_rating_after_closing_rates_the_event() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), verify()).ok(
        member(),
        Action::Rate {
            rating: Rating::Fair,
            note: String::new(),
        },
    );
    assert_eq!(state(&e), Some(State::Rated));
    assert!(e.state.closed_at_ms.is_some());
}

#[test]
fn an_unsatisfied_rating_reopens_the_event_for_the_same_assignee() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), verify()).ok(
        centre(),
        Action::Rate {
            rating: Rating::Unsatisfied,
            note: String::new(),
        },
    );
    assert_eq!(state(&e), Some(State::InProgress));
    assert_eq!(e.state.closed_at_ms, None);
    assert!(e.state.is_assignee(&dept()));
    e.ok(dept(), finish()).ok(community(), verify());
    assert_eq!(state(&e), Some(State::Closed));
}

#[test]
fn a_leader_sees_accept_and_escalate_on_a_pending_report_of_their_grid() {
    let e = filed();
    assert_eq!(
        allowed_actions(&e.state, &leader()),
        vec![ActionKind::Accept, ActionKind::Escalate]
    );
    assert!(allowed_actions(&e.state, &other_leader()).is_empty());
    assert!(allowed_actions(&e.state, &member()).is_empty());
    assert_eq!(
        allowed_actions(&e.state, &centre()),
        vec![ActionKind::Supervise]
    );
}

#[test]
fn the_assignee_sees_the_handling_buttons_and_the_dispatcher_the_delay_answers() {
    let mut e = with_dept();
    e.ok(dept(), request_delay(1));
    assert_eq!(
        allowed_actions(&e.state, &dept()),
        vec![
            ActionKind::Progress,
            ActionKind::Finish,
            ActionKind::SendBack
        ]
    );
    assert_eq!(
        allowed_actions(&e.state, &community()),
        vec![
            ActionKind::Escalate,
            ActionKind::ApproveDelay,
            ActionKind::RejectDelay,
            ActionKind::Supervise
        ]
    );
}

// Refusals, one per code.

#[test]
fn a_step_before_filing_is_refused_as_not_filed() {
    assert_eq!(Chain::new().refused(leader(), accept()), Refusal::NotFiled);
}

#[test]
fn filing_twice_is_refused_as_already_filed() {
    assert_eq!(filed().refused(member2(), file()), Refusal::AlreadyFiled);
}

#[test]
fn verifying_an_event_in_progress_is_refused_as_wrong_state() {
    assert_eq!(
        with_dept().refused(community(), verify()),
        Refusal::WrongState
    );
}

#[test]
fn an_informant_accepting_is_refused_as_role_may_not() {
    assert_eq!(filed().refused(informant(), accept()), Refusal::RoleMayNot);
}

#[test]
fn a_department_dispatching_is_refused_as_role_may_not() {
    assert_eq!(
        at_community().refused(dept(), to_dept()),
        Refusal::RoleMayNot
    );
}

#[test]
fn a_community_dispatching_a_report_still_at_the_grid_is_refused_as_wrong_level() {
    assert_eq!(filed().refused(community(), to_dept()), Refusal::WrongLevel);
}

#[test]
fn the_leader_of_another_grid_accepting_is_refused_as_not_in_scope() {
    assert_eq!(
        filed().refused(other_leader(), accept()),
        Refusal::NotInScope
    );
}

#[test]
fn progress_by_someone_else_is_refused_as_not_assignee() {
    assert_eq!(
        with_dept().refused(other_dept(), progress()),
        Refusal::NotAssignee
    );
}

#[test]
fn a_check_by_someone_other_than_the_dispatcher_is_refused_as_not_dispatcher() {
    let mut e = with_dept();
    e.ok(dept(), finish());
    assert_eq!(e.refused(centre(), verify()), Refusal::NotDispatcher);
}

#[test]
fn an_assignee_approving_their_own_delay_is_refused_as_not_dispatcher() {
    let mut e = with_dept();
    e.ok(dept(), request_delay(1));
    assert_eq!(
        e.refused(dept(), Action::ApproveDelay),
        Refusal::NotDispatcher
    );
}

#[test]
fn a_second_delay_request_is_refused_as_delay_pending() {
    let mut e = with_dept();
    e.ok(dept(), request_delay(1));
    assert_eq!(e.refused(dept(), request_delay(2)), Refusal::DelayPending);
}

#[test]
fn approving_without_a_request_is_refused_as_no_pending_delay() {
    assert_eq!(
        with_dept().refused(community(), Action::ApproveDelay),
        Refusal::NoPendingDelay
    );
}

#[test]
fn a_leader_sending_back_their_own_acceptance_is_refused_as_nothing_to_send_back() {
    let mut e = filed();
    e.ok(leader(), accept());
    assert_eq!(e.refused(leader(), send_back()), Refusal::NothingToSendBack);
}

#[test]
fn the_centre_escalating_is_refused_as_no_higher_level() {
    let mut e = at_community();
    e.ok(community(), escalate());
    assert_eq!(e.refused(centre(), escalate()), Refusal::NoHigherLevel);
}

#[test]
fn finishing_without_a_note_is_refused_as_missing_note() {
    let action = Action::Finish {
        note: "  ".into(),
        photos: vec![photo()],
    };
    assert_eq!(with_dept().refused(dept(), action), Refusal::MissingNote);
}

#[test]
fn finishing_without_an_after_photo_is_refused_as_missing_photo() {
    let action = Action::Finish {
        note: "已清理".into(),
        photos: vec![],
    };
    assert_eq!(with_dept().refused(dept(), action), Refusal::MissingPhoto);
}

#[test]
fn filing_without_a_photo_is_refused_as_missing_photo() {
    let action = Action::File {
        category: "safety.fire".into(),
        severity: Severity::Normal,
        note: "楼道堆物".into(),
        photos: vec![],
    };
    assert_eq!(
        Chain::new().refused(member(), action),
        Refusal::MissingPhoto
    );
}

#[test]
fn sending_back_without_a_reason_is_refused_as_missing_reason() {
    let action = Action::SendBack {
        reason: String::new(),
    };
    assert_eq!(with_dept().refused(dept(), action), Refusal::MissingReason);
}

#[test]
fn a_photo_that_is_not_a_sha256_is_refused_as_bad_photo_ref() {
    let action = Action::Progress {
        note: "进展".into(),
        photos: vec!["IMG_0001.jpg".into()],
    };
    assert_eq!(with_dept().refused(dept(), action), Refusal::BadPhotoRef);
}

#[test]
fn filing_without_a_category_is_refused_as_missing_category() {
    let action = Action::File {
        category: String::new(),
        severity: Severity::Normal,
        note: "楼道堆物".into(),
        photos: vec![photo()],
    };
    assert_eq!(
        Chain::new().refused(member(), action),
        Refusal::MissingCategory
    );
}

#[test]
fn accepting_with_a_zero_limit_is_refused_as_bad_limit() {
    let action = Action::Accept {
        limit: Limit::WorkingHours(0),
    };
    assert_eq!(filed().refused(leader(), action), Refusal::BadLimit);
}

#[test]
fn dispatching_to_an_unnamed_department_is_refused_as_bad_target() {
    let action = dispatch(Assignee::Department(String::new()));
    assert_eq!(
        at_community().refused(community(), action),
        Refusal::BadTarget
    );
}

#[test]
fn dispatching_to_a_grid_of_another_community_is_refused_as_target_out_of_scope() {
    let action = dispatch(Assignee::Grid(FAR_GRID.into()));
    assert_eq!(
        at_community().refused(community(), action),
        Refusal::TargetOutOfScope
    );
}

#[test]
fn a_delay_of_zero_or_more_than_thirty_days_is_refused_as_bad_delay_days() {
    let mut e = with_dept();
    assert_eq!(e.refused(dept(), request_delay(0)), Refusal::BadDelayDays);
    assert_eq!(
        e.refused(dept(), request_delay(MAX_DELAY_DAYS + 1)),
        Refusal::BadDelayDays
    );
    e.ok(dept(), request_delay(MAX_DELAY_DAYS));
}

#[test]
fn settling_without_an_open_conflict_is_refused_as_no_conflict() {
    let action = Action::Settle {
        conflict: StepId(Uuid::from_u128(99)),
        decision: Settlement::Dismiss,
    };
    assert_eq!(
        with_dept().refused(community(), action),
        Refusal::NoConflict
    );
}

#[test]
fn rating_an_event_not_yet_closed_is_refused_as_wrong_state() {
    let action = Action::Rate {
        rating: Rating::Satisfied,
        note: String::new(),
    };
    assert_eq!(with_dept().refused(member(), action), Refusal::WrongState);
}

#[test]
fn a_member_of_another_grid_rating_is_refused_as_not_in_scope() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), verify());
    let stranger = actor(11, Party::Member, OTHER_GRID);
    let action = Action::Rate {
        rating: Rating::Satisfied,
        note: String::new(),
    };
    assert_eq!(e.refused(stranger, action), Refusal::NotInScope);
}

#[test]
fn supervising_a_closed_event_is_refused_as_wrong_state() {
    let mut e = with_dept();
    e.ok(dept(), finish()).ok(community(), verify());
    let action = Action::Supervise {
        level: Supervision::Yellow,
        note: String::new(),
    };
    assert_eq!(e.refused(centre(), action), Refusal::WrongState);
}
