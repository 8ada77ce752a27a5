//! Replicas: three devices write steps from their own views, exchange them in random
//! subsets, orders and times, and must agree whenever they hold the same steps.

use std::collections::{BTreeSet, HashMap, HashSet};

use proptest::prelude::*;
use uuid::Uuid;

use crate::derive::{Derived, derive};
use crate::fixture::*;
use crate::machine::{EventState, allowed_actions, check, parties_for};
use crate::refusal::Refusal;
use crate::step::{
    Action, ActionKind, Actor, Assignee, Rating, Settlement, Severity, Step, StepId, Supervision,
};

fn actors() -> Vec<Actor> {
    vec![
        member(),
        member2(),
        informant(),
        leader(),
        other_leader(),
        community(),
        centre(),
        dept(),
        dept2(),
        other_dept(),
    ]
}

/// A small deterministic generator for shuffles and subsets.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, list: &mut [T]) {
        for i in (1..list.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            list.swap(i, j);
        }
    }
}

/// An action of `kind`, legal in payload or not depending on `variant`.
fn action_of(kind: ActionKind, variant: u8, view: &EventState) -> Action {
    let bad = variant.is_multiple_of(7);
    match kind {
        ActionKind::File => Action::File {
            category: "safety.gas".into(),
            severity: Severity::Urgent,
            note: "燃气味".into(),
            photos: if bad { vec![] } else { vec![photo()] },
        },
        ActionKind::Accept => accept(),
        ActionKind::Escalate => escalate(),
        ActionKind::Dispatch => match variant % 4 {
            0 => to_dept(),
            1 => dispatch(Assignee::Grid(GRID.into())),
            2 => dispatch(Assignee::Member(member2().user)),
            _ => dispatch(Assignee::Grid(FAR_GRID.into())),
        },
        ActionKind::HandOver => hand_over(&if variant.is_multiple_of(2) {
            member()
        } else {
            member2()
        }),
        ActionKind::Progress => Action::Progress {
            note: "处理中".into(),
            photos: if bad { vec!["x".into()] } else { vec![photo()] },
        },
        ActionKind::RequestDelay => request_delay(u32::from(variant % 4)),
        ActionKind::ApproveDelay => Action::ApproveDelay,
        ActionKind::RejectDelay => Action::RejectDelay {
            reason: "不予延期".into(),
        },
        ActionKind::Finish => Action::Finish {
            note: "已处置".into(),
            photos: if bad { vec![] } else { vec![photo()] },
        },
        ActionKind::Verify => verify(),
        ActionKind::RejectCheck => reject_check(),
        ActionKind::SendBack => send_back(),
        ActionKind::Supervise => Action::Supervise {
            level: Supervision::ALL[usize::from(variant) % Supervision::ALL.len()],
            note: String::new(),
        },
        ActionKind::Rate => Action::Rate {
            rating: Rating::ALL[usize::from(variant) % Rating::ALL.len()],
            note: String::new(),
        },
        ActionKind::Settle => Action::Settle {
            conflict: view
                .open_conflicts
                .first()
                .map_or(StepId(Uuid::from_u128(u128::from(variant))), |c| c.step.id),
            decision: if variant.is_multiple_of(2) {
                Settlement::Reapply
            } else {
                Settlement::Dismiss
            },
        },
    }
}

#[derive(Debug, Clone)]
enum Op {
    Write {
        replica: usize,
        actor: usize,
        legal: bool,
        pick: usize,
        variant: u8,
        dt: i64,
    },
    Send {
        from: usize,
        to: usize,
        seed: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..3usize, 0..10usize, prop::bool::weighted(0.9), any::<usize>(), any::<u8>(), 0..5_000i64)
            .prop_map(|(replica, actor, legal, pick, variant, dt)| Op::Write {
                replica, actor, legal, pick, variant, dt
            }),
        2 => (0..3usize, 0..3usize, any::<u64>()).prop_map(|(from, to, seed)| Op::Send { from, to, seed }),
    ]
}

#[derive(Default)]
struct Replica {
    known: Vec<Step>,
    ids: HashSet<StepId>,
    clock: i64,
}

impl Replica {
    fn receive(&mut self, step: Step) {
        if self.ids.insert(step.id) {
            self.known.push(step);
        }
    }

    /// The heads of the steps this replica can derive (the waiting ones it has not seen
    /// in effect), sorted.
    fn heads(&self, derived: &Derived) -> Vec<StepId> {
        let waiting: HashSet<StepId> = derived.waiting.iter().copied().collect();
        let seen: Vec<&Step> = self
            .known
            .iter()
            .filter(|s| !waiting.contains(&s.id))
            .collect();
        let parents: HashSet<StepId> = seen.iter().flat_map(|s| s.after.iter().copied()).collect();
        let heads: BTreeSet<StepId> = seen
            .iter()
            .map(|s| s.id)
            .filter(|id| !parents.contains(id))
            .collect();
        heads.into_iter().collect()
    }
}

fn ids_of(d: &Derived) -> (Vec<StepId>, Vec<StepId>, Vec<StepId>) {
    (
        d.history.iter().map(|a| a.step).collect(),
        d.conflicts.iter().map(|c| c.step).collect(),
        d.refused.iter().map(|(id, _)| *id).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn replicas_holding_the_same_steps_derive_the_same_event(
        ops in prop::collection::vec(op(), 1..60),
        skews in prop::array::uniform3(-3_000i64..3_000),
        seed in any::<u64>(),
    ) {
        let actors = actors();
        let mut mix = Mix(seed);
        let mut replicas: Vec<Replica> = (0..3).map(|_| Replica::default()).collect();
        let mut predicted: HashMap<StepId, Result<(), Refusal>> = HashMap::new();
        let mut written: Vec<(usize, StepId)> = Vec::new();

        // Replica 0 files the report; the others learn of it only by exchange.
        let first = step(mix.next().into(), &[], 0, member(), action_of(ActionKind::File, 1, &EventState::default()));
        predicted.insert(first.id, Ok(()));
        replicas[0].receive(first);

        for op in ops {
            match op {
                Op::Write { replica, actor, legal, pick, variant, dt } => {
                    let r = &mut replicas[replica];
                    let view = derive(&r.known);
                    // A legal write comes from someone with a button to press, if anyone has.
                    let able: Vec<(Actor, Vec<ActionKind>)> = actors
                        .iter()
                        .map(|a| (a.clone(), allowed_actions(&view.state, a)))
                        .filter(|(_, allowed)| !allowed.is_empty())
                        .collect();
                    let (actor, kind) = match able.get(actor % able.len().max(1)) {
                        Some((a, allowed)) if legal => (a.clone(), allowed[pick % allowed.len()]),
                        _ => (actors[actor].clone(), ActionKind::ALL[pick % ActionKind::ALL.len()]),
                    };
                    r.clock += dt;
                    let id = StepId(Uuid::from_u128(u128::from(mix.next()) << 64 | u128::from(mix.next())));
                    let step = Step {
                        id,
                        after: r.heads(&view),
                        at_ms: r.clock + skews[replica],
                        action: action_of(kind, variant, &view.state),
                        actor,
                    };
                    let verdict = check(&view.state, &step);
                    // What the relay lets through by role alone never stops a legal step.
                    if verdict.is_ok() {
                        prop_assert!(
                            parties_for(step.action.kind()).contains(&step.actor.role),
                            "{:?} by {:?}", step.action.kind(), step.actor.role
                        );
                    }
                    predicted.insert(id, verdict);
                    written.push((replica, id));
                    r.receive(step);
                }
                Op::Send { from, to, seed } => {
                    let mut pick = Mix(seed);
                    let mut batch: Vec<Step> = replicas[from]
                        .known
                        .iter()
                        .filter(|s| !replicas[to].ids.contains(&s.id) && pick.next().is_multiple_of(2))
                        .cloned()
                        .collect();
                    pick.shuffle(&mut batch);
                    for step in batch {
                        replicas[to].receive(step);
                    }
                    // Whatever order a replica holds its steps in, the result is the same.
                    let mut shuffled = replicas[to].known.clone();
                    mix.shuffle(&mut shuffled);
                    prop_assert_eq!(derive(&shuffled), derive(&replicas[to].known));
                }
            }
        }

        // Replicas that happen to hold the same set already agree.
        for a in 0..3 {
            for b in a + 1..3 {
                if replicas[a].ids == replicas[b].ids {
                    prop_assert_eq!(derive(&replicas[a].known), derive(&replicas[b].known));
                }
            }
        }

        // Full exchange, each replica receiving the others' steps in its own order.
        let all: Vec<Step> = replicas.iter().flat_map(|r| r.known.clone()).collect();
        for r in &mut replicas {
            let mut batch = all.clone();
            mix.shuffle(&mut batch);
            for step in batch {
                r.receive(step);
            }
        }
        let result = derive(&replicas[0].known);
        for r in &replicas[1..] {
            prop_assert_eq!(&derive(&r.known), &result);
        }
        prop_assert!(result.waiting.is_empty());

        // Each step is applied, in conflict or refused: exactly one of them.
        let (applied, conflicts, refused) = ids_of(&result);
        let mut every: Vec<StepId> = applied.iter().chain(&conflicts).chain(&refused).copied().collect();
        every.sort_unstable();
        let mut expected: Vec<StepId> = predicted.keys().copied().collect();
        expected.sort_unstable();
        prop_assert_eq!(every, expected);

        // A step its writer's own view refused is refused with that code; a step its
        // writer's view allowed is never refused.
        let refused_codes: HashMap<StepId, Refusal> = result.refused.iter().copied().collect();
        for (id, verdict) in &predicted {
            match verdict {
                Err(code) => prop_assert_eq!(refused_codes.get(id), Some(code)),
                Ok(()) => prop_assert!(!refused_codes.contains_key(id)),
            }
        }

        // A conflict names the applied concurrent steps it lost to.
        let applied: HashSet<StepId> = applied.into_iter().collect();
        for c in &result.conflicts {
            prop_assert!(!c.lost_to.is_empty());
            prop_assert!(c.lost_to.iter().all(|id| applied.contains(id)));
        }
    }

    #[test]
    fn a_concurrent_close_and_send_back_always_surface_as_one_conflict(
        finish_at in 3_000i64..6_000,
        back_at in 3_000i64..6_000,
        finish_id in any::<u64>(),
        back_id in any::<u64>(),
        seeds in prop::array::uniform3(any::<u64>()),
    ) {
        prop_assume!(finish_id != back_id);
        let base = [
            step(1, &[], 1_000, member(), file()),
            step(2, &[1], 2_000, leader(), escalate()),
            step(3, &[2], 3_000, community(), to_dept()),
        ];
        let high = |n: u64| (1u128 << 100) | u128::from(n);
        let mut finish_step = step(high(finish_id), &[3], finish_at, dept(), finish());
        finish_step.after = vec![base[2].id];
        let back_step = step(high(back_id), &[3], back_at, dept2(), send_back());
        let mut steps: Vec<Step> = base.to_vec();
        steps.push(finish_step.clone());
        steps.push(back_step.clone());

        let mut results = Vec::new();
        for seed in seeds {
            let mut mine = steps.clone();
            Mix(seed).shuffle(&mut mine);
            results.push(derive(&mine));
        }
        prop_assert_eq!(&results[0], &results[1]);
        prop_assert_eq!(&results[0], &results[2]);
        let d = &results[0];
        prop_assert!(d.refused.is_empty());
        prop_assert_eq!(d.conflicts.len(), 1);
        let (winner, loser) = if (finish_at, finish_step.id) < (back_at, back_step.id) {
            (finish_step.id, back_step.id)
        } else {
            (back_step.id, finish_step.id)
        };
        prop_assert_eq!(d.conflicts[0].step, loser);
        prop_assert_eq!(&d.conflicts[0].lost_to, &vec![winner]);
        prop_assert!(d.history.iter().any(|a| a.step == winner));
    }
}
