//! Test fixtures: invented actors of one district, and a chain of steps taken one by one.

use uuid::Uuid;

use crate::deadline::Limit;
use crate::machine::{EventState, apply, check};
use crate::refusal::Refusal;
use crate::step::{Action, Actor, Assignee, Party, Severity, Step, StepId};

pub(crate) const GRID: &str = "110105001001001";
pub(crate) const OTHER_GRID: &str = "110105001001002";
pub(crate) const FAR_GRID: &str = "110105002001001";
pub(crate) const COMMUNITY: &str = "110105001001";
pub(crate) const CENTRE: &str = "110105";
pub(crate) const DEPT: &str = "cgj";
pub(crate) const OTHER_DEPT: &str = "zjj";

pub(crate) fn actor(n: u128, role: Party, unit: &str) -> Actor {
    Actor {
        user: Uuid::from_u128(n),
        role,
        unit: unit.into(),
    }
}
pub(crate) fn member() -> Actor {
    actor(1, Party::Member, GRID)
}
pub(crate) fn member2() -> Actor {
    actor(2, Party::Member, GRID)
}
pub(crate) fn informant() -> Actor {
    actor(3, Party::Informant, GRID)
}
pub(crate) fn leader() -> Actor {
    actor(4, Party::Leader, GRID)
}
pub(crate) fn other_leader() -> Actor {
    actor(5, Party::Leader, OTHER_GRID)
}
pub(crate) fn community() -> Actor {
    actor(6, Party::Community, COMMUNITY)
}
pub(crate) fn centre() -> Actor {
    actor(7, Party::Centre, CENTRE)
}
pub(crate) fn dept() -> Actor {
    actor(8, Party::Department, DEPT)
}
pub(crate) fn dept2() -> Actor {
    actor(9, Party::Department, DEPT)
}
pub(crate) fn other_dept() -> Actor {
    actor(10, Party::Department, OTHER_DEPT)
}

pub(crate) fn photo() -> String {
    "ab".repeat(32)
}

pub(crate) fn file() -> Action {
    Action::File {
        category: "safety.fire".into(),
        severity: Severity::Normal,
        note: "楼道堆放杂物".into(),
        photos: vec![photo()],
    }
}
pub(crate) fn accept() -> Action {
    Action::Accept {
        limit: Limit::WorkingDays(5),
    }
}
pub(crate) fn escalate() -> Action {
    Action::Escalate {
        note: "需要执法".into(),
    }
}
pub(crate) fn dispatch(to: Assignee) -> Action {
    Action::Dispatch {
        to,
        limit: Limit::WorkingDays(3),
        note: String::new(),
    }
}
pub(crate) fn to_dept() -> Action {
    dispatch(Assignee::Department(DEPT.into()))
}
pub(crate) fn hand_over(to: &Actor) -> Action {
    Action::HandOver {
        member: to.user,
        note: String::new(),
    }
}
pub(crate) fn progress() -> Action {
    Action::Progress {
        note: "已联系物业".into(),
        photos: vec![],
    }
}
pub(crate) fn request_delay(days: u32) -> Action {
    Action::RequestDelay {
        days,
        reason: "等待配件".into(),
    }
}
pub(crate) fn finish() -> Action {
    Action::Finish {
        note: "已清理".into(),
        photos: vec![photo()],
    }
}
pub(crate) fn verify() -> Action {
    Action::Verify {
        note: String::new(),
    }
}
pub(crate) fn reject_check() -> Action {
    Action::RejectCheck {
        reason: "仍有杂物".into(),
    }
}
pub(crate) fn send_back() -> Action {
    Action::SendBack {
        reason: "不属于本部门".into(),
    }
}

/// A step with id `n` (as a UUID), parents `after` (ids), time `at_ms`.
pub(crate) fn step(n: u128, after: &[u128], at_ms: i64, actor: Actor, action: Action) -> Step {
    Step {
        id: StepId(Uuid::from_u128(n)),
        after: after.iter().map(|a| StepId(Uuid::from_u128(*a))).collect(),
        at_ms,
        actor,
        action,
    }
}

/// An event built one step at a time by one writer after another, each seeing all before.
pub(crate) struct Chain {
    pub(crate) steps: Vec<Step>,
    pub(crate) state: EventState,
}

impl Chain {
    pub(crate) fn new() -> Self {
        Chain {
            steps: Vec::new(),
            state: EventState::default(),
        }
    }

    /// The next step by `actor`: checked, and applied if allowed.
    pub(crate) fn take(&mut self, actor: Actor, action: Action) -> Result<(), Refusal> {
        let n = self.steps.len() as u128 + 1;
        let after: Vec<u128> = if n > 1 { vec![n - 1] } else { vec![] };
        let step = step(n, &after, 1_000 * n as i64, actor, action);
        check(&self.state, &step)?;
        apply(&mut self.state, &step);
        self.steps.push(step);
        Ok(())
    }

    /// Takes a step that must be allowed.
    pub(crate) fn ok(&mut self, actor: Actor, action: Action) -> &mut Self {
        let kind = action.kind();
        if let Err(refusal) = self.take(actor, action) {
            panic!("{} refused: {refusal}", kind.code());
        }
        self
    }

    /// The refusal of a step that must be refused.
    pub(crate) fn refused(&mut self, actor: Actor, action: Action) -> Refusal {
        match self.take(actor, action) {
            Err(refusal) => refusal,
            Ok(()) => panic!("the step was allowed"),
        }
    }
}
