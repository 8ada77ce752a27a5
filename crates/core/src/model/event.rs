//! 事件: what the app shows of a report's chain of command, read from its steps
//! ([`wangge_events`]): the event's page ([`EventDetail`], its [`TimelineEntry`]s) and the
//! to-do list ([`Task`]); and how a report's own words map onto the chain's codes.

use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wangge_events::{
    ActionKind, Assignee, Level, Mark, Party, Refusal, Stage, State, StepId, Supervision,
};

use super::{Category, ReportId, Severity};

/// Who this device acts as in the chain of command: a role and the unit it acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActingParty {
    /// The part played (member, leader, community, centre, department …).
    pub role: Party,
    /// The grid code (member, informant, leader), division code (community, centre) or
    /// department code acted for. Empty for a grid role: the grid of each report (the
    /// device reads only its own grid's documents).
    pub unit: String,
}

impl Default for ActingParty {
    fn default() -> Self {
        ActingParty {
            role: Party::Member,
            unit: String::new(),
        }
    }
}

impl ActingParty {
    /// The party of a relay user of `role` with `scopes` (as enrolled): a grid role with
    /// one grid acts for it, a leader of several grids for each report's own grid, a
    /// community or centre for its division.
    pub fn enrolled(role: wangge_schema::Role, scopes: &[String]) -> Self {
        let role = wangge_schema::step_access::party_of(role);
        let unit = match scopes {
            [one] => one.clone(),
            _ => String::new(),
        };
        ActingParty { role, unit }
    }

    /// Whether the role acts within one grid (member, informant, leader).
    pub fn is_grid_role(&self) -> bool {
        matches!(self.role, Party::Member | Party::Informant | Party::Leader)
    }
}

/// The user id a member name stands for in the steps: the name itself if it is a UUID
/// (the relay's user id once enrolled), else an id derived from it, the same everywhere.
pub fn user_id(member: &str) -> Uuid {
    member
        .parse()
        .unwrap_or_else(|_| wangge_schema::derived(&format!("user/{member}")))
}

/// The chain's sub-category code of a report's category (the report form has seven
/// top-level categories; each maps to its catch-all sub-category).
pub fn event_category(category: Category) -> &'static str {
    match category {
        Category::PartyBuilding => "party.activity",
        Category::DisputeMediation => "dispute.neighbour",
        Category::PublicService => "livelihood.errand",
        Category::PublicSecurity => "security.suspicious",
        Category::UrbanProperty => "property.repair",
        Category::LawEnforcement => "enforcement.littering",
        Category::SafetyHazard => "safety.fire",
    }
}

/// The chain's severity of a report's (一般 / 较大; 重大 and 特别重大 are 紧急).
pub fn event_severity(severity: Severity) -> wangge_events::Severity {
    match severity {
        Severity::Minor => wangge_events::Severity::Normal,
        Severity::Serious => wangge_events::Severity::Serious,
        Severity::Major | Severity::Critical => wangge_events::Severity::Urgent,
    }
}

/// The stage clock running on an event, and how it looks now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeadlineView {
    /// 受理, 办理 or 核查.
    pub stage: Stage,
    /// When the clock started (ms since the epoch).
    pub start_ms: i64,
    /// When it is due (ms since the epoch).
    pub due_ms: i64,
    /// 正常, 黄灯 (70 % of the working time used) or 超期.
    pub mark: Mark,
}

/// How the derivation judged a stored step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StepStatus {
    /// Applied: it changed the event.
    Applied {
        /// The event's state after it.
        state: Option<State>,
    },
    /// Illegal against what its writer had seen (forged or buggy).
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// Legal for its writer, but a concurrent step got there first.
    Conflict {
        /// Why it could not be applied where it fell.
        refusal: Refusal,
        /// The applied steps it lost to.
        lost_to: Vec<StepId>,
        /// Settled (re-applied or dismissed) by a later step.
        settled: bool,
    },
    /// Steps it names have not arrived yet.
    Waiting,
}

/// One stored step, as the event's page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelineEntry {
    /// The step.
    pub step: StepId,
    /// What it did.
    pub kind: ActionKind,
    /// Who wrote it.
    pub by: Uuid,
    /// Their role.
    pub role: Party,
    /// Their unit.
    pub unit: String,
    /// When, by the writer's clock (ms since the epoch).
    pub at_ms: i64,
    /// Its note or reason, if it has one.
    pub note: String,
    /// Photos it carries.
    pub photos: Vec<String>,
    /// How it was judged.
    pub status: StepStatus,
}

/// Everything the event's page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EventDetail {
    /// The report.
    pub report: ReportId,
    /// The grid it is in, once filed.
    pub grid: Option<String>,
    /// Where it stands; `None` while no 上报 step is stored (a report filed without a
    /// photo stays outside the chain).
    pub state: Option<State>,
    /// The level now handling it.
    pub level: Level,
    /// Who handles it now.
    pub assignee: Option<Assignee>,
    /// Who dispatched or accepted it (who verifies it).
    pub verifier: Option<Uuid>,
    /// 首问负责.
    pub first_responsible: Option<Uuid>,
    /// The stage clock and its mark now; `None` when closed, or past the calendar's years.
    pub deadline: Option<DeadlineView>,
    /// A delay request waiting for an answer: working days asked for.
    pub pending_delay_days: Option<u32>,
    /// Times the check failed (返工).
    pub reworks: u32,
    /// Times it was sent back (回退).
    pub send_backs: u32,
    /// The strongest supervision (督办) on it, if any.
    pub supervision: Option<Supervision>,
    /// Conflicts not yet settled.
    pub open_conflicts: Vec<StepId>,
    /// Every stored step, oldest first.
    pub timeline: Vec<TimelineEntry>,
    /// Records under the steps that this app cannot read (from a newer app, or damaged).
    pub unreadable_steps: usize,
    /// What this device's party may do now: the buttons.
    pub allowed: Vec<ActionKind>,
}

/// One event on the to-do list: something this device's party may act on now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Task {
    /// The report.
    pub report: ReportId,
    /// Its grid.
    pub grid: String,
    /// Its sub-category code (see [`wangge_events::category`]).
    pub category: String,
    /// The sub-category's Chinese name (the code itself if the list does not know it).
    pub category_name: String,
    /// How serious it is.
    pub severity: wangge_events::Severity,
    /// The strongest supervision (督办) on it, if any.
    pub supervision: Option<Supervision>,
    /// Where it stands.
    pub state: State,
    /// The level handling it.
    pub level: Level,
    /// What the party may do.
    pub actions: Vec<ActionKind>,
    /// The stage clock and its mark now, if one runs.
    pub deadline: Option<DeadlineView>,
    /// When it was filed (ms since the epoch).
    pub filed_at_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_category_maps_to_a_known_sub_category() {
        let list = wangge_events::Categories::builtin().expect("built-in categories parse");
        for c in Category::ALL {
            assert!(list.name(event_category(*c)).is_some(), "{}", c.code());
        }
    }

    #[test]
    fn a_uuid_member_is_its_own_user_id_and_a_name_derives_a_stable_one() {
        let id = Uuid::from_u128(42);
        assert_eq!(user_id(&id.to_string()), id);
        assert_eq!(user_id("m1"), user_id("m1"));
        assert_ne!(user_id("m1"), user_id("m2"));
    }
}
