//! Deriving an event from its steps, concurrency included: [`derive()`].
//!
//! # Order
//!
//! The steps form a DAG through `after` (each step names the steps its writer had seen).
//! They are taken in one deterministic topological order: parents first, and among the
//! steps whose parents are all taken, the smallest `(at_ms, id)` first. Every replica that
//! holds the same set of steps therefore derives exactly the same [`Derived`], whatever
//! order the steps were received or listed in. Two copies of one step count once; two
//! different steps under one id are both refused (`duplicate_step`).
//!
//! # The conflict rule
//!
//! Each step is judged twice: against its **causal past** (the event derived, by this same
//! rule, from its ancestors only: what its writer saw) and against the **merged state**
//! at its place in the order.
//!
//! - Illegal against its causal past: **refused**, with the code (a forged or buggy write:
//!   its writer could not have been allowed it). It changes nothing.
//! - Legal against its causal past and at its place: **applied**.
//! - Legal against its causal past but illegal at its place (a concurrent step, ordered
//!   before it, changed the event): a **conflict**. It is neither applied nor dropped: it
//!   stays open on the event ([`EventState::open_conflicts`]) and in
//!   [`Derived::conflicts`] with the refusal at its place and the concurrent applied steps
//!   it lost to, until a `settle` step resolves it.
//! - A step whose parents are not all present waits ([`Derived::waiting`]), as do its
//!   descendants: it is judged once its parents arrive, never refused for their absence.
//!   Steps in a cycle (which no honest writer can produce) wait forever.
//!
//! # Settling
//!
//! An open conflict is settled by an [`Action::Settle`] step written by whoever dispatched
//! or accepted the event, or by a community or centre covering its grid. `dismiss` leaves
//! the step unapplied, on record as dismissed. `reapply` checks the conflicting step again
//! (its own actor and action) against the state at the settlement's place and applies it
//! there, timed at the settlement; if it is still illegal, the settlement is refused with
//! that step's refusal, and the conflict stays open. A settlement naming a step that is not
//! an open conflict is refused (`no_conflict`), or is itself a conflict if a concurrent
//! settlement got there first.
//!
//! # Cost
//!
//! A step whose `after` names every head of the steps before it (the usual case: one
//! writer at a time) is judged against the merged state directly. Only a step concurrent
//! with others derives its causal past, once per distinct parent set (memoised). An event
//! of k steps with no concurrency costs O(k log k); each concurrent step adds at most one
//! derivation of its past, so two long concurrent branches cost O(k²).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::machine::{EventState, OpenConflict, State, apply, check};
use crate::refusal::Refusal;
use crate::step::{Action, ActionKind, Settlement, Step, StepId};

/// One applied step, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The step.
    pub step: StepId,
    /// What it did.
    pub kind: ActionKind,
    /// Who wrote it.
    pub actor: Uuid,
    /// When, by the writer's clock.
    pub at_ms: i64,
    /// The event's state after it.
    pub state: Option<State>,
}

/// How a conflict was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// The settling step.
    pub by: StepId,
    /// Re-applied or dismissed.
    pub decision: Settlement,
}

/// A step that was legal for its writer but lost to a concurrent step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The step.
    pub step: StepId,
    /// Why it could not be applied at its place.
    pub refusal: Refusal,
    /// The applied steps, ordered before it, that its writer had not seen.
    pub lost_to: Vec<StepId>,
    /// The settlement, once there is one.
    pub settled: Option<Settled>,
}

/// Everything derived from an event's steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Derived {
    /// The event now.
    pub state: EventState,
    /// The applied steps, in order.
    pub history: Vec<Applied>,
    /// Every conflict, in order, settled or not.
    pub conflicts: Vec<Conflict>,
    /// Steps illegal against their own causal past, with the code.
    pub refused: Vec<(StepId, Refusal)>,
    /// Steps whose parents have not arrived (or their descendants), by id.
    pub waiting: Vec<StepId>,
}

/// Derives an event from its steps, in any order (see the module docs).
pub fn derive(steps: &[Step]) -> Derived {
    let graph = Graph::new(steps);
    let mut memo = HashMap::new();
    let run = graph.run(&graph.order, &mut memo);
    Derived {
        state: run.state,
        history: run.history,
        conflicts: run.conflicts,
        refused: run.refused,
        waiting: graph.waiting,
    }
}

/// The steps in the order the derivation takes them (parents first, ties by `(at_ms, id)`),
/// then the waiting ones by `(at_ms, id)`: an event's timeline. Two copies of one step
/// appear once, as the derivation counts them.
pub fn causal_order(steps: &[Step]) -> Vec<&Step> {
    let graph = Graph::new(steps);
    let mut out: Vec<&Step> = graph.order.iter().map(|&i| graph.nodes[i]).collect();
    let mut placed = vec![false; graph.nodes.len()];
    for &i in &graph.order {
        placed[i] = true;
    }
    let mut rest: Vec<&Step> = graph
        .nodes
        .iter()
        .zip(&placed)
        .filter(|(_, placed)| !**placed)
        .map(|(s, _)| *s)
        .collect();
    rest.sort_by_key(|s| (s.at_ms, s.id));
    out.extend(rest);
    out
}

/// The steps as a DAG: distinct steps, their parents, the order.
struct Graph<'a> {
    nodes: Vec<&'a Step>,
    /// Two different steps were written under this node's id.
    duplicate: Vec<bool>,
    parents: Vec<Vec<usize>>,
    order: Vec<usize>,
    waiting: Vec<StepId>,
}

struct Run {
    state: EventState,
    history: Vec<Applied>,
    conflicts: Vec<Conflict>,
    refused: Vec<(StepId, Refusal)>,
}

impl<'a> Graph<'a> {
    fn new(steps: &'a [Step]) -> Self {
        let mut by_id: Vec<&Step> = steps.iter().collect();
        by_id.sort_by_key(|s| s.id);
        let mut nodes: Vec<&Step> = Vec::with_capacity(by_id.len());
        let mut duplicate = Vec::with_capacity(by_id.len());
        for group in by_id.chunk_by(|a, b| a.id == b.id) {
            let first = group[0];
            if group.iter().all(|s| *s == first) {
                nodes.push(first);
                duplicate.push(false);
            } else {
                // Refused either way, but its parents and time still place it: take the
                // same copy whatever the input order.
                let canonical = group
                    .iter()
                    .copied()
                    .min_by_key(|s| (s.at_ms, serde_json::to_string(s).unwrap_or_default()))
                    .unwrap_or(first);
                nodes.push(canonical);
                duplicate.push(true);
            }
        }
        let index: HashMap<StepId, usize> =
            nodes.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let n = nodes.len();
        let mut parents = vec![Vec::new(); n];
        let mut blocked = vec![false; n];
        let mut children = vec![Vec::new(); n];
        for (i, step) in nodes.iter().enumerate() {
            for parent in &step.after {
                match index.get(parent) {
                    Some(&p) if p != i => {
                        if !parents[i].contains(&p) {
                            parents[i].push(p);
                            children[p].push(i);
                        }
                    }
                    _ => blocked[i] = true,
                }
            }
        }
        let mut missing: Vec<usize> = (0..n)
            .map(|i| parents[i].len() + usize::from(blocked[i]))
            .collect();
        let key = |i: usize| Reverse((nodes[i].at_ms, nodes[i].id, i));
        let mut ready: BinaryHeap<_> = (0..n).filter(|&i| missing[i] == 0).map(key).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse((_, _, i))) = ready.pop() {
            order.push(i);
            for &c in &children[i] {
                missing[c] -= 1;
                if missing[c] == 0 {
                    ready.push(key(c));
                }
            }
        }
        let waiting = (0..n)
            .filter(|&i| missing[i] > 0)
            .map(|i| nodes[i].id)
            .collect();
        Graph {
            nodes,
            duplicate,
            parents,
            order,
            waiting,
        }
    }

    /// Every ancestor of `x`, as flags by node.
    fn ancestors(&self, x: usize) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = self.parents[x].clone();
        while let Some(p) = stack.pop() {
            if !seen[p] {
                seen[p] = true;
                stack.extend(self.parents[p].iter().copied());
            }
        }
        seen
    }

    /// Judges `members` (an ancestor-closed set, in order) one by one.
    fn run(&self, members: &[usize], memo: &mut HashMap<Vec<usize>, EventState>) -> Run {
        let mut run = Run {
            state: EventState::default(),
            history: Vec::new(),
            conflicts: Vec::new(),
            refused: Vec::new(),
        };
        let mut heads: Vec<usize> = Vec::new();
        let mut applied: Vec<usize> = Vec::new();
        for &x in members {
            let step = self.nodes[x];
            let parents = &self.parents[x];
            let verdict = if self.duplicate[x] {
                Err(Refusal::DuplicateStep)
            } else if heads.iter().all(|h| parents.contains(h)) {
                // Its causal past is everything before it: the merged state.
                check(&run.state, step)
            } else {
                let ancestors = self.ancestors(x);
                let mut key = parents.clone();
                key.sort_unstable();
                let past = match memo.get(&key) {
                    Some(past) => past.clone(),
                    None => {
                        let sub: Vec<usize> =
                            members.iter().copied().filter(|&m| ancestors[m]).collect();
                        let past = self.run(&sub, memo).state;
                        memo.insert(key, past.clone());
                        past
                    }
                };
                match check(&past, step) {
                    Err(refusal) => Err(refusal),
                    Ok(()) => match check(&run.state, step) {
                        Ok(()) => Ok(()),
                        Err(refusal) => {
                            let lost_to = applied
                                .iter()
                                .filter(|&&a| !ancestors[a])
                                .map(|&a| self.nodes[a].id)
                                .collect();
                            run.conflicts.push(Conflict {
                                step: step.id,
                                refusal,
                                lost_to,
                                settled: None,
                            });
                            run.state.open_conflicts.push(OpenConflict {
                                step: step.clone(),
                                refusal,
                            });
                            heads.retain(|h| !parents.contains(h));
                            heads.push(x);
                            continue;
                        }
                    },
                }
            };
            match verdict {
                Err(refusal) => run.refused.push((step.id, refusal)),
                Ok(()) => {
                    apply(&mut run.state, step);
                    if let Action::Settle { conflict, decision } = &step.action
                        && let Some(c) = run.conflicts.iter_mut().find(|c| c.step == *conflict)
                    {
                        c.settled = Some(Settled {
                            by: step.id,
                            decision: *decision,
                        });
                    }
                    applied.push(x);
                    run.history.push(Applied {
                        step: step.id,
                        kind: step.action.kind(),
                        actor: step.actor.user,
                        at_ms: step.at_ms,
                        state: run.state.state,
                    });
                }
            }
            heads.retain(|h| !parents.contains(h));
            heads.push(x);
        }
        run
    }
}

#[cfg(test)]
#[path = "derive_tests.rs"]
mod tests;
