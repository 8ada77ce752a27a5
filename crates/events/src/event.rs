//! [`EventState`]: everything derived about one event, and its parts ([`State`],
//! [`Level`], the report, the deadline, supervision flags, open conflicts …). Only
//! [`crate::machine::apply`] changes it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code_enum;
use crate::deadline::Limit;
use crate::refusal::Refusal;
use crate::step::{Actor, Assignee, Party, Rating, Severity, Step, StepId, Supervision};

code_enum! {
    /// Where an event stands.
    pub enum State {
        /// 待受理: waiting for the level now handling it to accept or dispatch it.
        Pending = "pending",
        /// 办理中: an assignee is handling it.
        InProgress = "in_progress",
        /// 待核查: reported done, waiting for the check.
        AwaitingCheck = "awaiting_check",
        /// 已结案: checked and closed.
        Closed = "closed",
        /// 已评价: closed and rated 满意 or 基本满意.
        Rated = "rated",
    }
}

code_enum! {
    /// The level now handling an event.
    pub enum Level {
        /// The grid: its leader.
        Grid = "grid",
        /// The community (社区 / 总网格长).
        Community = "community",
        /// The command centre (指挥中心).
        Centre = "centre",
    }
}

impl Level {
    /// The level a role handles at, if it handles at one.
    pub fn of(role: Party) -> Option<Level> {
        match role {
            Party::Leader => Some(Level::Grid),
            Party::Community => Some(Level::Community),
            Party::Centre => Some(Level::Centre),
            Party::Member | Party::Informant | Party::Department => None,
        }
    }

    /// The level above, if any.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Grid => Some(Level::Community),
            Level::Community => Some(Level::Centre),
            Level::Centre => None,
        }
    }
}

/// What the first step (上报) said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// Who filed it.
    pub author: Uuid,
    /// The grid it is in (the filer's grid).
    pub grid: String,
    /// Sub-category code.
    pub category: String,
    /// Severity.
    pub severity: Severity,
    /// When it was filed.
    pub filed_at_ms: i64,
}

/// The handling time limit now running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// When the clock started (the accept or dispatch).
    pub start_ms: i64,
    /// The limit set then.
    pub limit: Limit,
    /// Working days added by approved delays.
    pub extension_days: u32,
}

/// A delay request waiting for an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DelayRequest {
    /// The request step.
    pub step: StepId,
    /// Who asked.
    pub by: Uuid,
    /// Working days asked for.
    pub days: u32,
}

/// One supervision (督办) on record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// The supervising step.
    pub step: StepId,
    /// 普通, 黄牌, 红牌.
    pub level: Supervision,
    /// Who pressed.
    pub by: Uuid,
    /// When.
    pub at_ms: i64,
}

/// One rating (回访) on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRecord {
    /// The rating.
    pub rating: Rating,
    /// When.
    pub at_ms: i64,
}

/// What a dispatch or hand-over replaced, restored when the assignee sends it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The dispatch or hand-over step.
    pub step: StepId,
    /// Who sent it.
    pub by: Actor,
    /// The state before it.
    pub state: State,
    /// The assignee before it.
    pub assignee: Option<Assignee>,
    /// The verifier before it.
    pub verifier: Option<Actor>,
    /// The deadline before it.
    pub deadline: Option<Deadline>,
}

/// A step that lost to a concurrent one and waits to be settled (see [`crate::derive`](mod@crate::derive)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenConflict {
    /// The step itself, kept whole so that it can be re-applied.
    pub step: Step,
    /// Why it could not be applied where it fell.
    pub refusal: Refusal,
}

/// Everything derived about one event from its steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventState {
    /// The report, once filed.
    pub report: Option<Report>,
    /// The state, once filed.
    pub state: Option<State>,
    /// The level now handling it: waiting there when pending, accepted or dispatched from
    /// there otherwise.
    pub level: Level,
    /// Who handles it now (办理中, 待核查).
    pub assignee: Option<Assignee>,
    /// Who dispatched or accepted it: who verifies it and answers delay requests.
    pub verifier: Option<Actor>,
    /// 首问负责: the first to accept or dispatch it.
    pub first_responsible: Option<Uuid>,
    /// The handling time limit now running.
    pub deadline: Option<Deadline>,
    /// A delay request waiting for an answer.
    pub pending_delay: Option<DelayRequest>,
    /// Every supervision, in order.
    pub supervision: Vec<Flag>,
    /// Dispatches and hand-overs that can still be sent back, the last on top.
    pub hops: Vec<Hop>,
    /// Times the check failed (返工).
    pub reworks: u32,
    /// Times it was sent back (回退).
    pub send_backs: u32,
    /// When it last became pending (filed, escalated, sent back to pending).
    pub pending_since_ms: Option<i64>,
    /// The first accept or dispatch.
    pub accepted_at_ms: Option<i64>,
    /// The 办结 that stands: cleared by a failed check or a reopening.
    pub finished_at_ms: Option<i64>,
    /// When it was closed, while it stays closed (不满意 clears it).
    pub closed_at_ms: Option<i64>,
    /// Every rating, in order.
    pub ratings: Vec<RatingRecord>,
    /// Conflicts not yet settled.
    pub open_conflicts: Vec<OpenConflict>,
}

impl Default for EventState {
    fn default() -> Self {
        EventState {
            report: None,
            state: None,
            level: Level::Grid,
            assignee: None,
            verifier: None,
            first_responsible: None,
            deadline: None,
            pending_delay: None,
            supervision: Vec::new(),
            hops: Vec::new(),
            reworks: 0,
            send_backs: 0,
            pending_since_ms: None,
            accepted_at_ms: None,
            finished_at_ms: None,
            closed_at_ms: None,
            ratings: Vec::new(),
            open_conflicts: Vec::new(),
        }
    }
}

impl EventState {
    /// Whether `actor` dispatched or accepted the event (and so verifies it).
    pub fn is_verifier(&self, actor: &Actor) -> bool {
        self.verifier.as_ref().is_some_and(|v| v.user == actor.user)
    }

    /// Whether `actor` handles the event now.
    pub fn is_assignee(&self, actor: &Actor) -> bool {
        self.assignee.as_ref().is_some_and(|a| a.includes(actor))
    }
}
