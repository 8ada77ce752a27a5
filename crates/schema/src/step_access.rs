//! Who may write which step of an event ([`crate::steps`]): the relay's check on every
//! change to a dispatch document, so a device can neither forge another's step, nor take
//! a step its role never takes (a member closing an event), nor rewrite the record.
//!
//! The check judges the writer, never the event's state: two devices may take steps
//! offline at once, and a step legal in its writer's view that meets a concurrent one is a
//! conflict the dispatcher settles (`wangge_events::derive`), not a refusal. A step its
//! writer's own view refused stays in the document and shows as refused to everyone.
//!
//! | rule | refusal |
//! |---|---|
//! | a new step names the writing user as its actor | [`StepRefusal::NotAuthor`] |
//! | its party is the user's role ([`party_of`]) | [`StepRefusal::WrongParty`] |
//! | its unit is within the user's scopes (a department's: the department itself) | [`StepRefusal::OutOfScope`] |
//! | its party may ever take its action ([`wangge_events::parties_for`]) | [`StepRefusal::ActionForbidden`] |
//! | every step stored before is still there, unchanged | [`StepRefusal::Rewritten`] |
//! | no record that is not a step is added | [`StepRefusal::Unreadable`] |

use std::collections::HashMap;

use automerge::ReadDoc;
use uuid::Uuid;
use wangge_events::{Action, Assignee, Party, Step, StepId, parties_for};
use wangge_proto::DocumentId;

use crate::access::{Principal, Role};
use crate::root::root_str;
use crate::scope::ScopeCode;
use crate::steps::{REPORT_KEY, StoredSteps};

/// The departments `steps` give their event to (each 派遣 to a department), in code order,
/// each once: the units the relay grants the event's documents to. A target that is not
/// a department's code gives nothing.
pub fn departments_given(steps: &StoredSteps) -> Vec<ScopeCode> {
    let mut out: Vec<ScopeCode> = steps
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Dispatch {
                to: Assignee::Department(code),
                ..
            } => ScopeCode::parse(code).ok().filter(ScopeCode::is_department),
            _ => None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The report document a dispatch document belongs to: its root `report` key holds the
/// report's id, which is the report document's.
pub fn report_doc_of(doc: &impl ReadDoc) -> Option<DocumentId> {
    let id = root_str(doc, REPORT_KEY)?;
    Uuid::parse_str(&id).ok().map(DocumentId::from_uuid)
}

/// The part a user of `role` plays in the chain of command.
pub fn party_of(role: Role) -> Party {
    match role {
        Role::Member => Party::Member,
        Role::Informant => Party::Informant,
        Role::Leader => Party::Leader,
        Role::ChiefLeader => Party::Community,
        Role::Centre => Party::Centre,
        Role::Department => Party::Department,
    }
}

/// Why a change to an event's steps is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    /// A new step names another user as its actor.
    #[error("a step names another user as its actor")]
    NotAuthor,
    /// A new step's party is not the writer's role.
    #[error("a step's party is not the writer's role")]
    WrongParty,
    /// A new step's unit is outside the writer's scopes.
    #[error("a step's unit is outside the writer's scopes")]
    OutOfScope,
    /// The writer's role never takes this action.
    #[error("the writer's role never takes this action")]
    ActionForbidden,
    /// A stored step was changed or removed.
    #[error("a stored step was changed or removed")]
    Rewritten,
    /// A record that is not a step was added.
    #[error("a record that is not a step was added")]
    Unreadable,
}

impl StepRefusal {
    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            StepRefusal::NotAuthor => "not_author",
            StepRefusal::WrongParty => "wrong_party",
            StepRefusal::OutOfScope => "out_of_scope",
            StepRefusal::ActionForbidden => "action_forbidden",
            StepRefusal::Rewritten => "rewritten",
            StepRefusal::Unreadable => "unreadable",
        }
    }
}

/// Whether user `user` acting as `principal` may turn the steps `before` into `after`.
pub fn check_steps(
    user: Uuid,
    principal: &Principal,
    before: &StoredSteps,
    after: &StoredSteps,
) -> Result<(), StepRefusal> {
    if after.unreadable > before.unreadable {
        return Err(StepRefusal::Unreadable);
    }
    let now: HashMap<StepId, &Step> = after.steps.iter().map(|s| (s.id, s)).collect();
    for old in &before.steps {
        if now.get(&old.id) != Some(&old) {
            return Err(StepRefusal::Rewritten);
        }
    }
    let old: HashMap<StepId, &Step> = before.steps.iter().map(|s| (s.id, s)).collect();
    for step in after.steps.iter().filter(|s| !old.contains_key(&s.id)) {
        check_new(user, principal, step)?;
    }
    Ok(())
}

fn check_new(user: Uuid, principal: &Principal, step: &Step) -> Result<(), StepRefusal> {
    let actor = &step.actor;
    if actor.user != user {
        return Err(StepRefusal::NotAuthor);
    }
    if actor.role != party_of(principal.role) {
        return Err(StepRefusal::WrongParty);
    }
    match ScopeCode::parse(&actor.unit) {
        // A department acts as itself; every other role for a unit it covers.
        Ok(unit) if principal.can_read(&unit) || principal.scopes.contains(&unit) => {}
        _ => return Err(StepRefusal::OutOfScope),
    }
    if !parties_for(step.action.kind()).contains(&actor.role) {
        return Err(StepRefusal::ActionForbidden);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use wangge_events::{Action, Actor, Severity};

    use super::*;

    const GRID: &str = "110105001001001";

    fn member(user: Uuid) -> (Uuid, Principal) {
        let principal = Principal {
            role: Role::Member,
            scopes: vec![ScopeCode::parse(GRID).expect("grid")],
        };
        (user, principal)
    }

    fn filed(user: Uuid) -> Step {
        Step {
            id: StepId::random(),
            after: vec![],
            at_ms: 0,
            actor: Actor {
                user,
                role: Party::Member,
                unit: GRID.into(),
            },
            action: Action::File {
                category: "safety.fire".into(),
                severity: Severity::Normal,
                note: "n".into(),
                photos: vec!["ab".repeat(32)],
            },
        }
    }

    fn steps(list: &[&Step]) -> StoredSteps {
        StoredSteps {
            steps: list.iter().map(|s| (*s).clone()).collect(),
            unreadable: 0,
        }
    }

    #[test]
    fn a_step_removed_or_changed_is_rewritten_and_one_added_is_judged_alone() {
        let user = Uuid::from_u128(1);
        let (me, principal) = member(user);
        let first = filed(user);
        let before = steps(&[&first]);
        assert_eq!(
            check_steps(me, &principal, &before, &StoredSteps::default()),
            Err(StepRefusal::Rewritten)
        );
        let mut changed = first.clone();
        changed.at_ms = 5;
        assert_eq!(
            check_steps(me, &principal, &before, &steps(&[&changed])),
            Err(StepRefusal::Rewritten)
        );
        // Unchanged steps another user wrote are not judged again.
        let theirs = filed(Uuid::from_u128(2));
        let mine = filed(user);
        assert_eq!(
            check_steps(
                me,
                &principal,
                &steps(&[&theirs]),
                &steps(&[&theirs, &mine])
            ),
            Ok(())
        );
        assert_eq!(
            check_steps(me, &principal, &before, &steps(&[&first, &theirs])),
            Err(StepRefusal::NotAuthor)
        );
    }

    #[test]
    fn every_role_has_its_party() {
        let parties: Vec<Party> = Role::ALL.iter().map(|r| party_of(*r)).collect();
        assert_eq!(
            parties,
            [
                Party::Member,
                Party::Informant,
                Party::Leader,
                Party::Community,
                Party::Centre,
                Party::Department
            ]
        );
    }
}
