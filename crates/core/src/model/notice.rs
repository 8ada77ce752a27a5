//! Notices (通知, 寻人) as the app shows them: what a sender writes, the list, the page
//! with its receipt roster. The documents and records are `wangge_schema::notice`'s.

use serde::{Deserialize, Serialize};
use wangge_schema::Role;
pub use wangge_schema::notice::{
    Audience, Closed, Clue, MissingPerson, Notice, NoticeSort, Priority, Receipt,
};

/// What a sender fills in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeDraft {
    /// 通知 or 寻人.
    pub sort: NoticeSort,
    /// 普通 / 紧急 / 特急.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Photos already in the store (SHA-256).
    pub photos: Vec<String>,
    /// Target grids; empty: every grid under the sender's unit (一键全发).
    pub grids: Vec<String>,
    /// Who in those grids.
    pub audience: Audience,
    /// Minutes to confirm within (`None`: the priority's default, 10 for 特急).
    pub ack_minutes: Option<u32>,
    /// The missing person, for 寻人.
    pub person: Option<MissingPerson>,
}

/// How this device's user stands to a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum NoticeRole {
    /// It is for them: they confirm it.
    Recipient,
    /// They sent it: they follow its receipts.
    Sender,
    /// It was sent under them by someone else (the sender's superior): they see who has
    /// not confirmed once it is overdue.
    Overseer,
}

/// Where one recipient's receipt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ReceiptState {
    /// Nothing yet (the device has not had it).
    Pending,
    /// 已送达.
    Delivered,
    /// 已读.
    Read,
    /// 已签收.
    Confirmed,
}

impl ReceiptState {
    /// The state a receipt shows.
    pub fn of(r: Option<&Receipt>) -> Self {
        match r {
            Some(r) if r.confirmed_ms.is_some() => ReceiptState::Confirmed,
            Some(r) if r.read_ms.is_some() => ReceiptState::Read,
            Some(r) if r.delivered_ms.is_some() => ReceiptState::Delivered,
            _ => ReceiptState::Pending,
        }
    }
}

/// The receipt counts of a notice.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReceiptCounts {
    /// Recipients known (the directory's people the notice is for, and whoever wrote a
    /// receipt).
    pub total: usize,
    /// Of those, whose device has it (delivered, read or confirmed).
    pub delivered: usize,
    /// Who opened it (read or confirmed).
    pub read: usize,
    /// Who confirmed it.
    pub confirmed: usize,
}

/// One row of the notice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeRow {
    /// The notice's id.
    pub id: String,
    /// 通知 or 寻人.
    pub sort: NoticeSort,
    /// Priority.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// The sending unit's code and, if the directory knows it, name.
    pub sender_unit: String,
    /// The sending unit's name.
    pub sender_unit_name: Option<String>,
    /// When sent.
    pub sent_ms: i64,
    /// Confirm by.
    pub ack_by_ms: Option<i64>,
    /// Closed (the person found, the matter over).
    pub closed: bool,
    /// How this user stands to it.
    pub role: NoticeRole,
    /// Their own receipt, as a recipient.
    pub mine: ReceiptState,
    /// The receipt counts (for a sender or overseer).
    pub counts: ReceiptCounts,
    /// Past its deadline with recipients who have not confirmed.
    pub overdue: bool,
    /// Reminded (一键催收) since this user last confirmed: it wants attention again.
    pub reminded: bool,
}

/// One recipient on a notice's roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RosterEntry {
    /// The user's id.
    pub user: String,
    /// Their name, from the directory.
    pub name: Option<String>,
    /// Their role.
    pub role: Option<Role>,
    /// The grid their receipt is kept in (or, before any, their first target grid).
    pub grid: Option<String>,
    /// Where their receipt stands.
    pub state: ReceiptState,
    /// 已送达, on their device's clock.
    pub delivered_ms: Option<i64>,
    /// 已读.
    pub read_ms: Option<i64>,
    /// 已签收.
    pub confirmed_ms: Option<i64>,
    /// Their reply.
    pub reply: Option<String>,
    /// Reminded at least once.
    pub reminded: bool,
}

/// A clue as the sender and the grid's leaders see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClueView {
    /// The clue.
    pub clue: Clue,
    /// Who sent it, by name (from the directory).
    pub by_name: Option<String>,
    /// The grid it came from.
    pub grid: String,
}

/// A notice's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeDetail {
    /// The notice as sent.
    pub notice: Notice,
    /// The sending unit's name.
    pub sender_unit_name: Option<String>,
    /// How this user stands to it.
    pub role: NoticeRole,
    /// Their own receipt, as a recipient.
    pub mine: Option<Receipt>,
    /// Where it stands.
    pub mine_state: ReceiptState,
    /// The closing, if closed.
    pub closed: Option<Closed>,
    /// Counts.
    pub counts: ReceiptCounts,
    /// Every recipient (for a sender or overseer; empty for a recipient), those who have
    /// not confirmed first.
    pub roster: Vec<RosterEntry>,
    /// The clues (for a 寻人 alert).
    pub clues: Vec<ClueView>,
    /// Reminders sent.
    pub reminders: usize,
    /// How many the latest reminder named.
    pub last_reminded: usize,
    /// For a recipient: reminded (一键催收) and not confirmed yet.
    pub reminded: bool,
    /// Past its deadline with recipients who have not confirmed.
    pub overdue: bool,
}
