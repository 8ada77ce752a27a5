//! Derivation: order, waiting, refusals against the causal past, conflicts and settling.

use super::*;
use crate::fixture::*;
use crate::step::{Actor, Assignee, Party};

fn id(n: u128) -> StepId {
    StepId(Uuid::from_u128(n))
}

/// Filed (1), escalated (2), dispatched to the department (3): a straight chain.
fn dispatched() -> Vec<Step> {
    vec![
        step(1, &[], 1_000, member(), file()),
        step(2, &[1], 2_000, leader(), escalate()),
        step(3, &[2], 3_000, community(), to_dept()),
    ]
}

fn settle(n: u128, after: &[u128], conflict: u128, decision: Settlement) -> Step {
    let action = Action::Settle {
        conflict: id(conflict),
        decision,
    };
    step(n, after, 10_000 + n as i64, community(), action)
}

#[test]
fn a_chain_applies_every_step_in_causal_order_whatever_the_clocks_say() {
    let mut steps = dispatched();
    // The community's clock runs behind: its dispatch claims an earlier time.
    steps[2].at_ms = 500;
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    let d = derive(&steps);
    let order: Vec<StepId> = d.history.iter().map(|a| a.step).collect();
    assert_eq!(order, vec![id(1), id(2), id(3), id(4)]);
    assert_eq!(d.state.state, Some(State::AwaitingCheck));
    assert!(d.conflicts.is_empty() && d.refused.is_empty() && d.waiting.is_empty());
}

#[test]
fn causal_order_puts_parents_first_whatever_the_clocks_say() {
    // Step 2 claims an earlier time than its parent 1; 3 waits for a missing parent.
    let steps = vec![
        step(3, &[8], 0, leader(), finish()),
        step(2, &[1], 1, leader(), finish()),
        step(1, &[], 10, leader(), finish()),
    ];
    let ids: Vec<u128> = causal_order(&steps)
        .iter()
        .map(|s| s.id.0.as_u128())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[test]
fn every_order_of_the_same_steps_derives_the_same_result() {
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    steps.push(step(5, &[3], 4_500, dept2(), send_back()));
    let expected = derive(&steps);
    for rotation in 0..steps.len() {
        let mut other = steps.clone();
        other.rotate_left(rotation);
        assert_eq!(derive(&other), expected);
        other.reverse();
        assert_eq!(derive(&other), expected);
    }
}

#[test]
fn a_step_whose_parent_has_not_arrived_waits_and_so_do_its_children() {
    let mut steps = dispatched();
    steps.remove(1);
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    let d = derive(&steps);
    assert_eq!(d.waiting, vec![id(3), id(4)]);
    assert_eq!(d.state.state, Some(State::Pending));
    assert!(d.refused.is_empty());
}

#[test]
fn a_step_illegal_against_its_own_past_is_refused_even_where_the_merge_would_allow_it() {
    // The leader accepts (2); concurrently, a step claiming the leader handled the report
    // (3) was written seeing only the filing, where no one was assignee.
    let steps = vec![
        step(1, &[], 1_000, member(), file()),
        step(2, &[1], 2_000, leader(), accept()),
        step(3, &[1], 3_000, leader(), progress()),
    ];
    let d = derive(&steps);
    assert_eq!(d.refused, vec![(id(3), Refusal::WrongState)]);
    assert!(d.conflicts.is_empty());
}

#[test]
fn a_concurrent_finish_and_send_back_surface_as_a_conflict_of_the_later_one() {
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    steps.push(step(5, &[3], 4_500, dept2(), send_back()));
    let d = derive(&steps);
    assert_eq!(d.state.state, Some(State::AwaitingCheck));
    assert_eq!(
        d.conflicts,
        vec![Conflict {
            step: id(5),
            refusal: Refusal::WrongState,
            lost_to: vec![id(4)],
            settled: None
        }]
    );
    assert_eq!(d.state.open_conflicts.len(), 1);
    assert_eq!(d.state.open_conflicts[0].step.id, id(5));

    // The other way round in time: the send-back wins, the finish waits to be settled.
    steps[4].at_ms = 3_500;
    let d = derive(&steps);
    assert_eq!(d.state.state, Some(State::Pending));
    assert_eq!(d.conflicts[0].step, id(4));
    assert_eq!(d.conflicts[0].lost_to, vec![id(5)]);
}

#[test]
fn two_leaders_accepting_at_once_leave_the_second_as_a_conflict() {
    let deputy = Actor {
        user: Uuid::from_u128(40),
        role: Party::Leader,
        unit: GRID.into(),
    };
    let steps = vec![
        step(1, &[], 1_000, member(), file()),
        step(2, &[1], 2_000, leader(), accept()),
        step(3, &[1], 2_000, deputy, accept()),
    ];
    let d = derive(&steps);
    assert_eq!(d.state.first_responsible, Some(leader().user));
    assert_eq!(d.conflicts.len(), 1);
    assert_eq!(d.conflicts[0].step, id(3));
}

#[test]
fn a_dismissed_conflict_is_closed_and_changes_nothing() {
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    steps.push(step(5, &[3], 4_500, dept2(), send_back()));
    let before = derive(&steps).state.state;
    steps.push(settle(6, &[4, 5], 5, Settlement::Dismiss));
    let d = derive(&steps);
    assert_eq!(d.state.state, before);
    assert!(d.state.open_conflicts.is_empty());
    assert_eq!(
        d.conflicts[0].settled,
        Some(Settled {
            by: id(6),
            decision: Settlement::Dismiss
        })
    );
}

#[test]
fn a_reapplied_conflict_takes_effect_when_it_is_legal_again() {
    // The department sends back (4) while its colleague records progress (5); the
    // progress loses. The community dispatches to the department again (6), then
    // re-applies the progress (7).
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), send_back()));
    steps.push(step(5, &[3], 4_500, dept2(), progress()));
    steps.push(step(6, &[4, 5], 6_000, community(), to_dept()));
    steps.push(settle(7, &[6], 5, Settlement::Reapply));
    let d = derive(&steps);
    assert_eq!(d.conflicts[0].step, id(5));
    assert_eq!(
        d.conflicts[0].settled,
        Some(Settled {
            by: id(7),
            decision: Settlement::Reapply
        })
    );
    assert_eq!(d.history.last().map(|a| a.kind), Some(ActionKind::Settle));
    assert!(d.refused.is_empty());
}

#[test]
fn reapplying_a_conflict_still_illegal_is_refused_with_its_code_and_stays_open() {
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    steps.push(step(5, &[3], 4_500, dept2(), send_back()));
    steps.push(settle(6, &[4, 5], 5, Settlement::Reapply));
    let d = derive(&steps);
    assert_eq!(d.refused, vec![(id(6), Refusal::WrongState)]);
    assert_eq!(d.state.open_conflicts.len(), 1);
}

#[test]
fn a_settlement_by_the_assignee_is_refused_as_not_dispatcher() {
    let mut steps = dispatched();
    steps.push(step(4, &[3], 4_000, dept(), finish()));
    steps.push(step(5, &[3], 4_500, dept2(), send_back()));
    let action = Action::Settle {
        conflict: id(5),
        decision: Settlement::Dismiss,
    };
    steps.push(step(6, &[4, 5], 6_000, dept(), action));
    assert_eq!(
        derive(&steps).refused,
        vec![(id(6), Refusal::NotDispatcher)]
    );
}

#[test]
fn two_different_steps_under_one_id_are_both_refused_and_identical_copies_count_once() {
    let mut steps = dispatched();
    steps.push(steps[2].clone());
    let once = derive(&steps);
    assert_eq!(once.history.len(), 3);
    let mut forged = steps[2].clone();
    forged.action = dispatch(Assignee::Department(OTHER_DEPT.into()));
    steps.push(forged);
    let d = derive(&steps);
    assert_eq!(d.refused, vec![(id(3), Refusal::DuplicateStep)]);
    assert_eq!(d.state.state, Some(State::Pending));
}

#[test]
fn a_step_naming_itself_as_parent_waits_forever() {
    let steps = vec![step(1, &[1], 1_000, member(), file())];
    let d = derive(&steps);
    assert_eq!(d.waiting, vec![id(1)]);
    assert_eq!(d.state.report, None);
}

#[test]
fn two_different_steps_under_one_id_derive_the_same_in_either_order() {
    let mut steps = dispatched();
    let mut forged = steps[1].clone();
    forged.after = vec![id(77)];
    forged.at_ms = 1;
    steps.push(forged);
    let d = derive(&steps);
    steps.swap(1, 3);
    assert_eq!(derive(&steps), d);
    steps.reverse();
    assert_eq!(derive(&steps), d);
}
