//! Notices (通知) and their receipts (回执): the documents, the records they hold, and the
//! relay's check of who wrote what ([`check_notice`], [`check_receipts`]).
//!
//! What many write and one reads is split by writer, so write permission stays per
//! document:
//!
//! - a **notice document** (kind `notice`, the notice's own random id) holds the notice as
//!   its sender wrote it under the root `notice` key, the sender's reminders (一键催收)
//!   under `reminders`, and `closed` once the sender closes it (a missing person found).
//!   Only its sender writes it, and never rewrites the notice itself. Its scope is the unit
//!   that covers every target grid; it is read **downward**: by everyone whose scope lies
//!   under it ([`crate::Principal::can_read_kind`]), which is how it reaches the members of
//!   the grids it is sent to.
//! - a **receipts document** per notice and target grid (kind `receipts`, id derived from
//!   the notice and the grid, byte-identical genesis) holds each recipient's receipt under
//!   `receipts`, keyed by the recipient's user id, and the clues (线索) they send under
//!   `clues`. Its scope is the grid: the grid's people write it, the sender (whose scope
//!   covers the grid) reads it. A receipt is written only by its own user; a clue only by
//!   the user it names, and never rewritten.
//!
//! Times are the writer's own clock (unix milliseconds), so a receipt made offline shows
//! when it was made, not when it synced.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wangge_proto::DocumentId;

use crate::access::Role;
use crate::code_enum;
use crate::genesis::period_doc_id;
use crate::kind::DocKind;
use crate::record::{
    RecordError, add_record, fields_of, parse, records, root_map, root_record, write_map,
};
use crate::root::root_str;
use crate::scope::{GridCode, ScopeCode};

/// Root key of the notice record in a notice document.
pub const NOTICE: &str = "notice";
/// Root map of the sender's reminders (一键催收), keyed by reminder id.
pub const REMINDERS: &str = "reminders";
/// Root key of the closing record (e.g. the missing person was found).
pub const CLOSED: &str = "closed";
/// Root map of a receipts document: user id → receipt.
pub const RECEIPTS: &str = "receipts";
/// Root map of a receipts document: clue id → clue.
pub const CLUES: &str = "clues";
/// Root key of a receipts document naming its notice.
pub const NOTICE_ID_KEY: &str = "notice_id";

/// The longest title, text, reply or clue kept (characters).
pub const MAX_TITLE: usize = 60;
/// The longest notice text (characters).
pub const MAX_TEXT: usize = 2000;
/// The longest reply or clue text (characters).
pub const MAX_REPLY: usize = 500;

code_enum! {
    /// How urgent a notice is.
    pub enum Priority {
        /// 普通.
        Normal = "normal",
        /// 紧急.
        Urgent = "urgent",
        /// 特急: raises the OS notification and a banner the member must acknowledge.
        Critical = "critical",
    }
}

code_enum! {
    /// What a notice is.
    pub enum NoticeSort {
        /// 通知: text (and photos) to read and confirm.
        Notice = "notice",
        /// 寻人: a missing person's alert, answered with clues.
        MissingPerson = "missing_person",
    }
}

code_enum! {
    /// Who in the target grids a notice is for.
    pub enum Audience {
        /// Everyone working in the grids.
        All = "all",
        /// 网格员 and 信息员.
        Members = "members",
        /// 网格长 and 总网格长.
        Leaders = "leaders",
    }
}

impl Audience {
    /// Whether a user of `role` is among this audience.
    pub fn includes(self, role: Role) -> bool {
        match self {
            Audience::All => matches!(
                role,
                Role::Member | Role::Informant | Role::Leader | Role::ChiefLeader
            ),
            Audience::Members => matches!(role, Role::Member | Role::Informant),
            Audience::Leaders => matches!(role, Role::Leader | Role::ChiefLeader),
        }
    }
}

impl Priority {
    /// The acknowledgement deadline a notice of this priority gets when its sender sets
    /// none (特急: 10 minutes).
    pub fn default_ack_ms(self) -> Option<i64> {
        match self {
            Priority::Critical => Some(10 * 60 * 1000),
            Priority::Urgent | Priority::Normal => None,
        }
    }
}

/// The missing person of a 寻人 alert (personal data: never logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MissingPerson {
    /// Name.
    pub name: String,
    /// Age, clothes, what to look for.
    pub description: String,
    /// Where last seen.
    pub last_seen_place: String,
    /// When last seen (unix milliseconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_seen_ms: i64,
    /// Whom to call.
    pub contact: String,
}

/// A notice as its sender wrote it: never changed once sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Notice {
    /// Its id (the notice document's).
    pub id: Uuid,
    /// The sending user.
    pub sender: Uuid,
    /// The sender's role.
    pub sender_role: Role,
    /// The unit it is sent from (the sender's scope).
    pub sender_unit: String,
    /// What it is.
    pub sort: NoticeSort,
    /// How urgent.
    pub priority: Priority,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// Photos (SHA-256 of each evidence JPEG), through the photo pipeline.
    pub photos: Vec<String>,
    /// The grids it is sent to, in code order; empty: every grid under `sender_unit`.
    pub grids: Vec<String>,
    /// Who in those grids.
    pub audience: Audience,
    /// When sent (the sender's clock, unix milliseconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sent_ms: i64,
    /// Confirm by (unix milliseconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ack_by_ms: Option<i64>,
    /// The missing person, for a 寻人 alert.
    pub person: Option<MissingPerson>,
}

impl Notice {
    /// Whether a user of `role` working in `grids` is among this notice's recipients, and
    /// the first target grid of theirs (where their receipt goes).
    pub fn receipt_grid(&self, role: Role, grids: &[GridCode]) -> Option<GridCode> {
        if !self.audience.includes(role) {
            return None;
        }
        if self.grids.is_empty() {
            let unit = ScopeCode::parse(&self.sender_unit).ok()?;
            return grids.iter().find(|g| unit.covers(g.scope())).cloned();
        }
        self.grids
            .iter()
            .find_map(|g| grids.iter().find(|mine| mine.as_str() == g).cloned())
    }
}

/// One recipient's receipt: 已送达 → 已读 → 已签收.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Receipt {
    /// The recipient's role.
    pub role: Option<Role>,
    /// When it reached the recipient's device.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub delivered_ms: Option<i64>,
    /// When the recipient opened it.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub read_ms: Option<i64>,
    /// When the recipient confirmed it (签收).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub confirmed_ms: Option<i64>,
    /// Their short reply.
    pub reply: Option<String>,
}

/// A clue (线索) a recipient sends to a 寻人 alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Clue {
    /// Its id.
    pub id: Uuid,
    /// Who sent it.
    pub by: Uuid,
    /// When (their clock).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// What they saw.
    pub text: String,
    /// Where.
    pub place: String,
    /// Photos (SHA-256).
    pub photos: Vec<String>,
}

/// A reminder (一键催收): the sender re-notifies those who have not confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reminder {
    /// Its id.
    pub id: Uuid,
    /// When (the sender's clock).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// The users reminded.
    pub users: Vec<Uuid>,
}

/// The closing of a notice (the person was found, or the matter is over).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Closed {
    /// When.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at_ms: i64,
    /// What the sender says.
    pub note: String,
}

/// The receipts document of `notice` for `grid`: the same id on every device.
pub fn receipts_doc_id(notice: Uuid, grid: &GridCode) -> DocumentId {
    period_doc_id(DocKind::Receipts, &format!("{notice}/{}", grid.as_str()))
}

/// The root attributes of a receipts document's genesis.
pub fn receipts_attrs(notice: Uuid) -> String {
    notice.to_string()
}

/// Writes the notice into a new notice document (its genesis made the root maps).
pub fn write_notice(tx: &mut impl Transactable, notice: &Notice) -> Result<(), RecordError> {
    if tx.get(ROOT, NOTICE)?.is_some() {
        return Err(RecordError::Duplicate(notice.id.to_string()));
    }
    let obj = tx.put_object(ROOT, NOTICE, ObjType::Map)?;
    write_map(tx, &obj, &fields_of(notice)?)?;
    Ok(())
}

/// Adds a reminder to a notice document.
pub fn write_reminder(tx: &mut impl Transactable, r: &Reminder) -> Result<(), RecordError> {
    add_record(tx, REMINDERS, &r.id.to_string(), r)
}

/// Closes a notice (the latest closing stands).
pub fn write_closed(tx: &mut impl Transactable, c: &Closed) -> Result<(), RecordError> {
    let obj = tx.put_object(ROOT, CLOSED, ObjType::Map)?;
    write_map(tx, &obj, &fields_of(c)?)?;
    Ok(())
}

/// Moves `user`'s receipt on: sets each field of `update` that is set, in the user's own
/// receipt map (made on first use). Fields already set are kept (a receipt only moves on,
/// and the first time it reached a state is the one that counts), except the reply.
pub fn write_receipt(
    tx: &mut impl Transactable,
    user: Uuid,
    update: &Receipt,
) -> Result<(), RecordError> {
    let map = root_map(tx, RECEIPTS)?;
    let key = user.to_string();
    let obj = match tx.get(&map, key.as_str())? {
        Some((Value::Object(ObjType::Map), obj)) => obj,
        _ => tx.put_object(&map, key.as_str(), ObjType::Map)?,
    };
    let mut fields = fields_of(update)?;
    fields.retain(|k, v| {
        !v.is_null() && (k == "reply" || tx.get(&obj, k.as_str()).ok().flatten().is_none())
    });
    write_map(tx, &obj, &fields)?;
    Ok(())
}

/// Adds a clue to a receipts document.
pub fn write_clue(tx: &mut impl Transactable, clue: &Clue) -> Result<(), RecordError> {
    add_record(tx, CLUES, &clue.id.to_string(), clue)
}

/// What a notice document holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredNotice {
    /// The notice, if it is there and readable.
    pub notice: Option<Notice>,
    /// The reminders, in key order (the readable ones).
    pub reminders: Vec<Reminder>,
    /// The closing, if closed.
    pub closed: Option<Closed>,
}

/// Reads a notice document.
pub fn read_notice(doc: &impl ReadDoc) -> StoredNotice {
    StoredNotice {
        notice: parse(root_record(doc, NOTICE)),
        reminders: records(doc, REMINDERS)
            .into_values()
            .filter_map(parse)
            .collect(),
        closed: parse(root_record(doc, CLOSED)),
    }
}

/// What a receipts document holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredReceipts {
    /// The notice it belongs to.
    pub notice: Option<Uuid>,
    /// Receipts by user.
    pub receipts: BTreeMap<Uuid, Receipt>,
    /// Clues, in key order.
    pub clues: Vec<Clue>,
}

/// Reads a receipts document (records that do not parse are left out).
pub fn read_receipts(doc: &impl ReadDoc) -> StoredReceipts {
    let receipts = records(doc, RECEIPTS)
        .into_iter()
        .filter_map(|(k, v)| {
            let user = Uuid::parse_str(&k).ok()?;
            let r: Receipt = serde_json::from_value(v?).ok()?;
            Some((user, r))
        })
        .collect();
    StoredReceipts {
        notice: root_str(doc, NOTICE_ID_KEY).and_then(|s| Uuid::parse_str(&s).ok()),
        receipts,
        clues: records(doc, CLUES)
            .into_values()
            .filter_map(|v| serde_json::from_value(v?).ok())
            .collect(),
    }
}

/// The receipt of `user` (a record key of [`RECEIPTS`]), if there and readable.
pub fn receipt_of(doc: &impl ReadDoc, user: &str) -> Option<Receipt> {
    parse(crate::record::record_at(doc, RECEIPTS, user))
}

/// The clue `id` (a record key of [`CLUES`]), if there and readable.
pub fn clue_of(doc: &impl ReadDoc, id: &str) -> Option<Clue> {
    parse(crate::record::record_at(doc, CLUES, id))
}

/// Why the relay refuses a change to a notice or receipts document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordRefusal {
    /// The notice names another user as its sender, or another user writes it.
    #[error("the notice is another user's")]
    NotSender,
    /// The notice as sent was changed or removed.
    #[error("the notice as sent was changed")]
    Rewritten,
    /// A receipt was written under another user's id, or one was removed.
    #[error("a receipt is another user's")]
    NotOwnReceipt,
    /// A clue names another user, or a stored clue was changed or removed.
    #[error("a clue is another user's or was changed")]
    NotOwnClue,
    /// A record that is not one of these types was added.
    #[error("a record is unreadable")]
    Unreadable,
}

impl RecordRefusal {
    /// A stable code for logs.
    pub fn code(self) -> &'static str {
        match self {
            RecordRefusal::NotSender => "not_sender",
            RecordRefusal::Rewritten => "rewritten",
            RecordRefusal::NotOwnReceipt => "not_own_receipt",
            RecordRefusal::NotOwnClue => "not_own_clue",
            RecordRefusal::Unreadable => "unreadable",
        }
    }
}

/// Whether `user` may turn the notice document `before` (`None`: new) into `after`: only
/// its sender writes it, the notice as sent stays as it was, reminders are never rewritten.
pub fn check_notice(
    user: Uuid,
    before: Option<&impl ReadDoc>,
    after: &impl ReadDoc,
) -> Result<(), RecordRefusal> {
    let now = root_record(after, NOTICE);
    let notice: Notice = now
        .clone()
        .and_then(|j| serde_json::from_value(j).ok())
        .ok_or(RecordRefusal::Unreadable)?;
    if notice.sender != user {
        return Err(RecordRefusal::NotSender);
    }
    let (old_notice, old_reminders) = match before {
        Some(b) => (root_record(b, NOTICE), records(b, REMINDERS)),
        None => (None, BTreeMap::new()),
    };
    if old_notice.is_some() && old_notice != now {
        return Err(RecordRefusal::Rewritten);
    }
    let reminders = records(after, REMINDERS);
    for (k, v) in &old_reminders {
        if reminders.get(k) != Some(v) {
            return Err(RecordRefusal::Rewritten);
        }
    }
    for (k, v) in &reminders {
        if old_reminders.contains_key(k) {
            continue;
        }
        let ok = v
            .clone()
            .and_then(|j| serde_json::from_value::<Reminder>(j).ok())
            .is_some_and(|r| r.id.to_string() == *k);
        if !ok {
            return Err(RecordRefusal::Unreadable);
        }
    }
    if root_record(after, CLOSED).is_some_and(|c| serde_json::from_value::<Closed>(c).is_err()) {
        return Err(RecordRefusal::Unreadable);
    }
    Ok(())
}

/// Whether `user` may turn the receipts document `before` (`None`: new) into `after`:
/// every receipt added or changed is the user's own, none is removed; every clue added
/// names the user, none stored is changed or removed.
pub fn check_receipts(
    user: Uuid,
    before: Option<&impl ReadDoc>,
    after: &impl ReadDoc,
) -> Result<(), RecordRefusal> {
    let (old_receipts, old_clues) = match before {
        Some(b) => (records(b, RECEIPTS), records(b, CLUES)),
        None => (BTreeMap::new(), BTreeMap::new()),
    };
    let receipts = records(after, RECEIPTS);
    let own = user.to_string();
    for k in old_receipts.keys() {
        if !receipts.contains_key(k) {
            return Err(RecordRefusal::NotOwnReceipt);
        }
    }
    for (k, v) in &receipts {
        if old_receipts.get(k) == Some(v) {
            continue;
        }
        if *k != own {
            return Err(RecordRefusal::NotOwnReceipt);
        }
        if v.clone()
            .and_then(|j| serde_json::from_value::<Receipt>(j).ok())
            .is_none()
        {
            return Err(RecordRefusal::Unreadable);
        }
    }
    let clues = records(after, CLUES);
    for (k, v) in &old_clues {
        if clues.get(k) != Some(v) {
            return Err(RecordRefusal::NotOwnClue);
        }
    }
    for (k, v) in &clues {
        if old_clues.contains_key(k) {
            continue;
        }
        let clue = v
            .clone()
            .and_then(|j| serde_json::from_value::<Clue>(j).ok())
            .filter(|c| c.id.to_string() == *k)
            .ok_or(RecordRefusal::Unreadable)?;
        if clue.by != user {
            return Err(RecordRefusal::NotOwnClue);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::genesis;
    use automerge::Automerge;
    use automerge::transaction::CommitOptions;

    const GRID: &str = "110105001001001";

    fn notice(sender: Uuid) -> Notice {
        Notice {
            id: Uuid::new_v4(),
            sender,
            sender_role: Role::Centre,
            sender_unit: "110105001".into(),
            sort: NoticeSort::Notice,
            priority: Priority::Critical,
            title: "防汛通知".into(),
            text: "今晚有暴雨,请检查地下室。".into(),
            photos: vec![],
            grids: vec![GRID.into()],
            audience: Audience::All,
            sent_ms: 1_000,
            ack_by_ms: Some(601_000),
            person: None,
        }
    }

    fn notice_doc(n: &Notice) -> Automerge {
        let id = DocumentId::from_uuid(n.id);
        let scope = ScopeCode::parse(&n.sender_unit).unwrap();
        let mut doc = genesis(&id, DocKind::Notice, &scope, &[]).unwrap();
        let mut tx = doc.transaction();
        write_notice(&mut tx, n).unwrap();
        tx.commit_with(CommitOptions::default());
        doc
    }

    fn receipts_doc(n: Uuid) -> Automerge {
        let grid = GridCode::parse(GRID).unwrap();
        let id = receipts_doc_id(n, &grid);
        let attr = receipts_attrs(n);
        genesis(
            &id,
            DocKind::Receipts,
            &ScopeCode::parse(GRID).unwrap(),
            &[(NOTICE_ID_KEY, attr.as_str())],
        )
        .unwrap()
    }

    fn edit(
        doc: &Automerge,
        f: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
    ) -> Automerge {
        let mut d = doc.fork().with_actor(automerge::ActorId::random());
        let mut tx = d.transaction();
        f(&mut tx);
        tx.commit();
        d
    }

    #[test]
    fn a_notice_round_trips_and_only_its_sender_writes_it() {
        let sender = Uuid::new_v4();
        let n = notice(sender);
        let doc = notice_doc(&n);
        let read = read_notice(&doc);
        assert_eq!(read.notice.as_ref(), Some(&n));
        assert_eq!(check_notice(sender, None::<&Automerge>, &doc), Ok(()));
        assert_eq!(
            check_notice(Uuid::new_v4(), None::<&Automerge>, &doc),
            Err(RecordRefusal::NotSender)
        );
        // The sender reminds and closes: allowed; nobody rewrites the notice.
        let reminded = edit(&doc, |tx| {
            let r = Reminder {
                id: Uuid::new_v4(),
                at_ms: 5,
                users: vec![Uuid::new_v4()],
            };
            write_reminder(tx, &r).unwrap();
            write_closed(
                tx,
                &Closed {
                    at_ms: 9,
                    note: "已找到".into(),
                },
            )
            .unwrap();
        });
        assert_eq!(check_notice(sender, Some(&doc), &reminded), Ok(()));
        assert_eq!(read_notice(&reminded).reminders.len(), 1);
        assert!(read_notice(&reminded).closed.is_some());
        let rewritten = edit(&doc, |tx| {
            let obj = match tx.get(ROOT, NOTICE).unwrap() {
                Some((_, o)) => o,
                None => unreachable!("written above"),
            };
            tx.put(&obj, "title", "改过的标题").unwrap();
        });
        assert_eq!(
            check_notice(sender, Some(&doc), &rewritten),
            Err(RecordRefusal::Rewritten)
        );
    }

    #[test]
    fn receipts_move_on_and_each_is_written_only_by_its_user() {
        let n = Uuid::new_v4();
        let doc = receipts_doc(n);
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let delivered = edit(&doc, |tx| {
            let r = Receipt {
                role: Some(Role::Member),
                delivered_ms: Some(10),
                ..Receipt::default()
            };
            write_receipt(tx, a, &r).unwrap();
        });
        assert_eq!(check_receipts(a, Some(&doc), &delivered), Ok(()));
        assert_eq!(
            check_receipts(b, Some(&doc), &delivered),
            Err(RecordRefusal::NotOwnReceipt)
        );
        // A later delivery does not move the first time; confirming adds its own time.
        let confirmed = edit(&delivered, |tx| {
            let again = Receipt {
                delivered_ms: Some(99),
                confirmed_ms: Some(20),
                reply: Some("收到".into()),
                ..Receipt::default()
            };
            write_receipt(tx, a, &again).unwrap();
        });
        let r = &read_receipts(&confirmed).receipts[&a];
        assert_eq!(
            (r.delivered_ms, r.confirmed_ms, r.reply.as_deref()),
            (Some(10), Some(20), Some("收到"))
        );
        assert_eq!(read_receipts(&confirmed).notice, Some(n));
        // Clues name their writer and stay as sent.
        let clue = Clue {
            id: Uuid::new_v4(),
            by: b,
            at_ms: 30,
            text: "公园见过".into(),
            place: "北门".into(),
            photos: vec![],
        };
        let clued = edit(&confirmed, |tx| write_clue(tx, &clue).unwrap());
        assert_eq!(check_receipts(b, Some(&confirmed), &clued), Ok(()));
        assert_eq!(
            check_receipts(a, Some(&confirmed), &clued),
            Err(RecordRefusal::NotOwnClue)
        );
        assert_eq!(read_receipts(&clued).clues, vec![clue]);
    }

    #[test]
    fn audiences_and_receipt_grids() {
        let n = notice(Uuid::new_v4());
        let mine = [GridCode::parse(GRID).unwrap()];
        let other = [GridCode::parse("110105001001002").unwrap()];
        assert_eq!(n.receipt_grid(Role::Member, &mine), Some(mine[0].clone()));
        assert_eq!(n.receipt_grid(Role::Member, &other), None);
        assert_eq!(n.receipt_grid(Role::Centre, &mine), None);
        assert!(
            Audience::Leaders.includes(Role::Leader) && !Audience::Leaders.includes(Role::Member)
        );
        assert_eq!(Priority::Critical.default_ack_ms(), Some(600_000));
    }
}
