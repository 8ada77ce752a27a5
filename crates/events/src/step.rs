//! Steps (环节) and the actors who write them: the only thing an event is made of.
//!
//! A step is written once by one actor and never edited. It names the steps its writer had
//! seen (`after`, its causal parents), so the steps of one event form a DAG that every
//! replica orders the same way ([`crate::derive`](mod@crate::derive)). Every name here serialises as a stable
//! snake_case code, since steps are stored as JSON-like values in the dispatch documents.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::code_enum;
use crate::deadline::Limit;

/// The id of one step: a random UUID chosen by its writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct StepId(pub Uuid);

impl StepId {
    /// A fresh random id.
    pub fn random() -> Self {
        StepId(Uuid::new_v4())
    }
}

impl std::fmt::Display for StepId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// One step of an event's chain of command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// This step's id.
    pub id: StepId,
    /// The steps the writer had seen when writing this one (its causal parents): the heads
    /// of its view. Empty only for the first step (上报).
    #[serde(default)]
    pub after: Vec<StepId>,
    /// The writer's clock, milliseconds since the Unix epoch. Used for deadlines and to
    /// break ties between concurrent steps, never to order a step before its parents.
    pub at_ms: i64,
    /// Who wrote it.
    pub actor: Actor,
    /// What was done.
    pub action: Action,
}

code_enum! {
    /// The part a user plays in the chain of command.
    pub enum Party {
        /// 网格员: files reports, handles what is handed or dispatched to them.
        Member = "member",
        /// 信息员: files reports only.
        Informant = "informant",
        /// 网格长: accepts, hands on and escalates the reports of their grid.
        Leader = "leader",
        /// 社区 / 总网格长: dispatches, escalates and supervises within a community.
        Community = "community",
        /// 指挥中心: dispatches and supervises within a division.
        Centre = "centre",
        /// 职能部门 (城管, 住建, 派出所 …): handles what it is dispatched, sees only that.
        Department = "department",
    }
}

impl Party {
    /// Whether the party answers for more than its own work (leaders, communities,
    /// centres, departments): it reads the statistics of what it covers.
    pub fn reads_statistics(self) -> bool {
        !matches!(self, Party::Member | Party::Informant)
    }
}

/// Who wrote a step.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user's id.
    pub user: Uuid,
    /// The part they play.
    pub role: Party,
    /// Their unit: a grid code (member, informant, leader), a division code (community,
    /// centre) or a department code. A division covers every grid whose code starts with it.
    pub unit: String,
}

impl Actor {
    /// Whether this actor's unit covers `grid` (the grid itself, or a division above it).
    pub fn covers(&self, grid: &str) -> bool {
        !self.unit.is_empty() && grid.starts_with(self.unit.as_str())
    }
}

/// Whom a dispatch (派遣) or hand-over (交办) gives the work to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Assignee {
    /// A grid, by its code: its leader and members handle it.
    Grid(String),
    /// One user.
    Member(Uuid),
    /// A department, by its code: any of its staff handle it.
    Department(String),
}

impl Assignee {
    /// Whether `actor` acts for this assignee.
    pub fn includes(&self, actor: &Actor) -> bool {
        match self {
            Assignee::Member(user) => actor.user == *user,
            Assignee::Grid(code) => {
                matches!(actor.role, Party::Member | Party::Leader) && actor.unit == *code
            }
            Assignee::Department(code) => actor.role == Party::Department && actor.unit == *code,
        }
    }
}

code_enum! {
    /// 事件等级: how serious a report is; selects its time limits.
    #[cfg_attr(feature = "ts", ts(rename = "EventSeverity"))]
    pub enum Severity {
        /// 一般.
        Normal = "normal",
        /// 较大.
        Serious = "serious",
        /// 紧急.
        Urgent = "urgent",
    }
}

code_enum! {
    /// 督办等级: how hard a supervision presses.
    pub enum Supervision {
        /// 普通督办.
        Normal = "normal",
        /// 黄牌督办.
        Yellow = "yellow",
        /// 红牌督办.
        Red = "red",
    }
}

code_enum! {
    /// 回访评价: the resident's satisfaction after closing.
    pub enum Rating {
        /// 满意.
        Satisfied = "satisfied",
        /// 基本满意.
        Fair = "fair",
        /// 不满意: reopens the event.
        Unsatisfied = "unsatisfied",
    }
}

code_enum! {
    /// How a dispatcher settles a conflict.
    pub enum Settlement {
        /// Apply the conflicting step now, against the current state.
        Reapply = "reapply",
        /// Leave it unapplied, on record as dismissed.
        Dismiss = "dismiss",
    }
}

/// What a step does, with the payload each action needs. Serialised with a `kind` tag
/// holding the [`ActionKind`] code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// 上报: a member, informant or leader files a report of their grid.
    File {
        /// Sub-category code (see [`crate::category`]).
        category: String,
        /// How serious it is.
        severity: Severity,
        /// The description.
        note: String,
        /// Evidence photos: SHA-256 hex of each JPEG; at least one.
        photos: Vec<String>,
    },
    /// 受理: the grid's leader takes it on (小事不出网格).
    Accept {
        /// The handling time limit, from this step.
        limit: Limit,
    },
    /// 上报 (to the next level): a leader to the community, a community to the centre.
    Escalate {
        /// Why it goes up.
        note: String,
    },
    /// 派遣: a community or centre gives it to a grid, a member or a department.
    Dispatch {
        /// Who handles it.
        to: Assignee,
        /// The handling time limit, from this step.
        limit: Limit,
        /// Instructions.
        #[serde(default)]
        note: String,
    },
    /// 交办: a leader hands it to a member of their own grid.
    HandOver {
        /// The member.
        member: Uuid,
        /// Instructions.
        #[serde(default)]
        note: String,
    },
    /// 处置: the assignee records progress.
    Progress {
        /// What was done.
        note: String,
        /// Photos of the work, if any.
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 申请延期: the assignee asks for more working days.
    RequestDelay {
        /// Working days asked for, 1 to [`crate::machine::MAX_DELAY_DAYS`].
        days: u32,
        /// Why.
        reason: String,
    },
    /// 批准延期: the dispatcher grants the pending request.
    ApproveDelay,
    /// 驳回延期: the dispatcher refuses the pending request.
    RejectDelay {
        /// Why.
        reason: String,
    },
    /// 办结: the assignee reports it done; a note and an after-photo are required.
    Finish {
        /// What was done.
        note: String,
        /// After-photos: at least one.
        photos: Vec<String>,
    },
    /// 核查通过: the dispatcher or acceptor confirms; the event is closed (结案).
    Verify {
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 核查不通过 (返工): back to the assignee.
    RejectCheck {
        /// What is still wrong.
        reason: String,
    },
    /// 回退: the assignee sends back a wrong dispatch or hand-over.
    SendBack {
        /// Why it is not theirs.
        reason: String,
    },
    /// 督办: a community or centre presses; the state is unchanged, the event flagged.
    Supervise {
        /// 普通, 黄牌 or 红牌.
        level: Supervision,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// 回访评价: after closing, a member or the centre records the resident's rating.
    Rate {
        /// The rating; 不满意 reopens the event.
        rating: Rating,
        /// Remarks.
        #[serde(default)]
        note: String,
    },
    /// Settles a conflict (see [`crate::derive`](mod@crate::derive)): re-apply the step or dismiss it.
    Settle {
        /// The conflicting step.
        conflict: StepId,
        /// What to do with it.
        decision: Settlement,
    },
}

code_enum! {
    /// The kind of an [`Action`], without its payload: the UI's buttons.
    pub enum ActionKind {
        /// 上报.
        File = "file",
        /// 受理.
        Accept = "accept",
        /// 上报 to the next level.
        Escalate = "escalate",
        /// 派遣.
        Dispatch = "dispatch",
        /// 交办.
        HandOver = "hand_over",
        /// 处置.
        Progress = "progress",
        /// 申请延期.
        RequestDelay = "request_delay",
        /// 批准延期.
        ApproveDelay = "approve_delay",
        /// 驳回延期.
        RejectDelay = "reject_delay",
        /// 办结.
        Finish = "finish",
        /// 核查通过.
        Verify = "verify",
        /// 核查不通过.
        RejectCheck = "reject_check",
        /// 回退.
        SendBack = "send_back",
        /// 督办.
        Supervise = "supervise",
        /// 回访评价.
        Rate = "rate",
        /// Settle a conflict.
        Settle = "settle",
    }
}

impl Action {
    /// The step's text (its note or reason, empty for an action without one) and photos:
    /// what [`crate::form::form_of`] asks of its form.
    pub fn text_and_photos(&self) -> (&str, &[String]) {
        match self {
            Action::File { note, photos, .. }
            | Action::Progress { note, photos }
            | Action::Finish { note, photos } => (note.as_str(), photos.as_slice()),
            Action::Escalate { note }
            | Action::Dispatch { note, .. }
            | Action::HandOver { note, .. }
            | Action::Verify { note }
            | Action::Supervise { note, .. }
            | Action::Rate { note, .. } => (note.as_str(), &[]),
            Action::RequestDelay { reason, .. }
            | Action::RejectDelay { reason }
            | Action::RejectCheck { reason }
            | Action::SendBack { reason } => (reason.as_str(), &[]),
            Action::Accept { .. } | Action::ApproveDelay | Action::Settle { .. } => ("", &[]),
        }
    }

    /// This action's kind.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::File { .. } => ActionKind::File,
            Action::Accept { .. } => ActionKind::Accept,
            Action::Escalate { .. } => ActionKind::Escalate,
            Action::Dispatch { .. } => ActionKind::Dispatch,
            Action::HandOver { .. } => ActionKind::HandOver,
            Action::Progress { .. } => ActionKind::Progress,
            Action::RequestDelay { .. } => ActionKind::RequestDelay,
            Action::ApproveDelay => ActionKind::ApproveDelay,
            Action::RejectDelay { .. } => ActionKind::RejectDelay,
            Action::Finish { .. } => ActionKind::Finish,
            Action::Verify { .. } => ActionKind::Verify,
            Action::RejectCheck { .. } => ActionKind::RejectCheck,
            Action::SendBack { .. } => ActionKind::SendBack,
            Action::Supervise { .. } => ActionKind::Supervise,
            Action::Rate { .. } => ActionKind::Rate,
            Action::Settle { .. } => ActionKind::Settle,
        }
    }
}

/// Whether `photo` is a SHA-256 in lowercase hex, the form photo references take.
pub fn is_photo_ref(photo: &str) -> bool {
    photo.len() == 64
        && photo
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_serialises_with_its_kind_code_as_tag() {
        for (action, code) in [
            (Action::ApproveDelay, "approve_delay"),
            (
                Action::HandOver {
                    member: Uuid::nil(),
                    note: String::new(),
                },
                "hand_over",
            ),
        ] {
            let json = serde_json::to_value(&action).expect("serialises");
            assert_eq!(json["kind"], code);
            assert_eq!(action.kind().code(), code);
        }
    }

    #[test]
    fn a_step_round_trips_through_json_with_snake_case_names() {
        let step = Step {
            id: StepId(Uuid::from_u128(7)),
            after: vec![StepId(Uuid::from_u128(3))],
            at_ms: 1_767_225_600_000,
            actor: Actor {
                user: Uuid::from_u128(1),
                role: Party::Centre,
                unit: "110105".into(),
            },
            action: Action::Dispatch {
                to: Assignee::Department("cg".into()),
                limit: Limit::WorkingDays(5),
                note: String::new(),
            },
        };
        let json = serde_json::to_value(&step).expect("serialises");
        assert_eq!(json["action"]["to"]["kind"], "department");
        assert_eq!(json["action"]["limit"]["working_days"], 5);
        assert_eq!(json["action"]["kind"], "dispatch");
        assert_eq!(json["actor"]["role"], "centre");
        let back: Step = serde_json::from_value(json).expect("parses");
        assert_eq!(back, step);
    }

    #[test]
    fn every_action_kind_is_the_tag_its_action_serialises_with() {
        use crate::fixture::*;
        let actions = vec![
            file(),
            accept(),
            escalate(),
            to_dept(),
            hand_over(&member()),
            progress(),
            request_delay(1),
            Action::ApproveDelay,
            Action::RejectDelay { reason: "r".into() },
            finish(),
            verify(),
            reject_check(),
            send_back(),
            Action::Supervise {
                level: Supervision::Yellow,
                note: String::new(),
            },
            Action::Rate {
                rating: Rating::Fair,
                note: String::new(),
            },
            Action::Settle {
                conflict: StepId(Uuid::nil()),
                decision: Settlement::Dismiss,
            },
        ];
        let kinds: Vec<ActionKind> = actions.iter().map(Action::kind).collect();
        assert_eq!(kinds, ActionKind::ALL);
        for action in actions {
            let json = serde_json::to_value(&action).expect("serialises");
            assert_eq!(json["kind"], action.kind().code());
            let back: Action = serde_json::from_value(json).expect("parses");
            assert_eq!(back, action);
        }
    }

    #[test]
    fn a_supervision_and_a_rating_keep_their_stored_codes() {
        let json = serde_json::to_value(Action::Supervise {
            level: Supervision::Red,
            note: String::new(),
        })
        .expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"kind": "supervise", "level": "red", "note": ""})
        );
        let json = serde_json::to_value(Action::Rate {
            rating: Rating::Fair,
            note: String::new(),
        })
        .expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({"kind": "rate", "rating": "fair", "note": ""})
        );
    }

    #[test]
    fn a_photo_ref_is_64_lowercase_hex_digits() {
        assert!(is_photo_ref(&"ab".repeat(32)));
        assert!(!is_photo_ref(&"AB".repeat(32)));
        assert!(!is_photo_ref("abc"));
    }
}
