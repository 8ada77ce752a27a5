//! Roster campaigns (专项任务) as the app shows them: what a creator starts, the list, a
//! grid's roster to tick off, and completion rolled up. The documents and records are
//! `wangge_schema::campaign`'s.

use serde::{Deserialize, Serialize};
pub use wangge_schema::campaign::{AnswerOption, Campaign, Proof, Subject, Tick};

/// What a creator fills in; the answers come from the subject's template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CampaignDraft {
    /// Title (全员核酸, 防疫物资发放 …).
    pub title: String,
    /// What to do.
    pub text: String,
    /// Residents or households.
    pub subject: Subject,
    /// Target grids; empty: every grid under the creator's unit.
    pub grids: Vec<String>,
    /// Due within this many hours.
    pub due_hours: u32,
}

/// How this device's user stands to a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CampaignRole {
    /// They tick off their grid.
    Worker,
    /// They started it.
    Creator,
    /// It runs under the unit they direct.
    Overseer,
}

/// Completion of a set of people or households.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Completion {
    /// People or households in the ledger.
    pub total: usize,
    /// Ticked with an answer that counts as done.
    pub done: usize,
    /// Ticked with an exception (外出, 婉拒 …).
    pub exceptions: usize,
    /// Not yet reached (no tick, or one that does not count as done).
    pub open: usize,
}

impl Completion {
    /// Adds another's figures.
    pub fn add(&mut self, o: &Completion) {
        self.total += o.total;
        self.done += o.done;
        self.exceptions += o.exceptions;
        self.open += o.open;
    }
}

/// One row of the campaign list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CampaignRow {
    /// The campaign's id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Residents or households.
    pub subject: Subject,
    /// The unit it runs in.
    pub unit: String,
    /// Its name, if the directory knows it.
    pub unit_name: Option<String>,
    /// Due by.
    pub due_ms: i64,
    /// Ended.
    pub closed: bool,
    /// How this user stands to it.
    pub role: CampaignRole,
    /// Completion of what this device holds of it (the worker's grids, or all).
    pub completion: Completion,
}

/// One person or household on a grid's roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterItem {
    /// The resident's or household's id (what a tick is keyed by).
    pub subject: String,
    /// The household it belongs to.
    pub household: String,
    /// The resident's name, or the head of the household's.
    pub name: String,
    /// Pinyin initials of the name, for search.
    pub initials: String,
    /// Full pinyin of the name, for search.
    pub pinyin: String,
    /// The household's address (the roster is in address order).
    pub address: String,
    /// The grid.
    pub grid: String,
    /// Its tick, if any.
    pub tick: Option<Tick>,
    /// Whether the tick counts as done.
    pub done: bool,
}

/// Completion of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnitCompletion {
    /// The unit's code.
    pub code: String,
    /// Its name, if known.
    pub name: Option<String>,
    /// Its figures.
    pub completion: Completion,
}

/// A campaign's page: the campaign and its completion by grid and by community, with the
/// total for the whole campaign as this device holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CampaignView {
    /// The campaign.
    pub campaign: Campaign,
    /// The name of the unit it runs in, if the directory knows it.
    pub unit_name: Option<String>,
    /// How this user stands to it.
    pub role: CampaignRole,
    /// Ended.
    pub closed: bool,
    /// By grid, in code order.
    pub by_grid: Vec<UnitCompletion>,
    /// By community, in code order.
    pub by_community: Vec<UnitCompletion>,
    /// All of it.
    pub total: Completion,
}

/// The present-and-away tally (在区人口) of one unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceRow {
    /// The unit's code (empty for the total).
    pub code: String,
    /// Its name, if the directory knows it.
    pub name: Option<String>,
    /// Residents in the ledger (not moved out).
    pub total: usize,
    /// 户籍.
    pub registered: usize,
    /// 常住(非户籍).
    pub long_term: usize,
    /// 流动.
    pub floating: usize,
    /// Away by their latest campaign answer (外出).
    pub away: usize,
    /// In the area: the total less those away.
    pub present: usize,
}

/// The tallies by grid and community, and in all, of the ledger on this device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PresenceView {
    /// By grid, in code order.
    pub by_grid: Vec<PresenceRow>,
    /// By community, in code order.
    pub by_community: Vec<PresenceRow>,
    /// All of it.
    pub total: PresenceRow,
}
