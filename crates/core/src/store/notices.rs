//! Notices (通知, 寻人) and their receipts (回执) on the device: sending, the receipt moving
//! on (已送达 when it arrives, 已读 when opened, 已签收 when confirmed), reminders (一键催收),
//! clues, and the list and page with the receipt roster.
//!
//! Documents are `wangge_schema::notice`'s: a notice document written by its sender, and
//! one receipts document per notice and grid written by that grid's recipients. The index
//! tables `notices`, `notice_receipts` and `notice_clues` are rebuilt from a document
//! whenever it changes ([`index_notice`], [`index_receipts`]); who this device's user is to
//! a notice is decided when reading, from the store's settings.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::notice::{
    self as records, Closed, Clue, MAX_REPLY, MAX_TEXT, MAX_TITLE, NOTICE_ID_KEY, Notice,
    NoticeSort, Priority, Receipt, Reminder, read_notice, receipts_doc_id,
};
use wangge_schema::{Role, ScopeCode};

use super::Store;
use super::batch::Genesis;
use crate::doc::DocKind;
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::{
    ClueView, GridCode, NoticeDetail, NoticeDraft, NoticeRole, NoticeRow, ReceiptCounts,
    ReceiptState, RosterEntry, is_sha256_hex, user_id,
};

/// The most photos a notice or clue carries.
pub const MAX_NOTICE_PHOTOS: usize = 9;

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| CoreError::Corrupt(format!("notice index: {e}")))
}

/// Rebuilds the `notices` row of a notice document (none while its notice has not arrived).
pub(crate) fn index_notice(conn: &Connection, doc: &automerge::Automerge) -> Result<()> {
    let stored = read_notice(doc);
    let Some(n) = stored.notice else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO notices (id, scope, sender, sent_ms, ack_by_ms, closed_ms,
           priority, body, reminders, closed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        n.id.to_string(),
        n.sender_unit,
        n.sender.to_string(),
        n.sent_ms,
        n.ack_by_ms,
        stored.closed.as_ref().map(|c| c.at_ms),
        n.priority.code(),
        json(&n)?,
        json(&stored.reminders)?,
        stored.closed.as_ref().map(json).transpose()?,
    ])?;
    // Photos the notice shows are fetched like a report's.
    let id = n.id;
    conn.prepare_cached("DELETE FROM report_photos WHERE report_id = ?1")?
        .execute([id.as_bytes()])?;
    let mut ins = conn.prepare_cached(
        "INSERT OR IGNORE INTO report_photos (report_id, hash, grid) VALUES (?1, ?2, ?3)",
    )?;
    for h in n.photos.iter().filter(|h| is_sha256_hex(h)) {
        ins.execute(params![id.as_bytes(), h, n.sender_unit])?;
    }
    Ok(())
}

/// Brings the `notice_receipts` and `notice_clues` rows of a receipts document up to date
/// for the receipts and clues changed since `before` (all of a document new here).
pub(crate) fn index_receipts(
    conn: &Connection,
    doc: &automerge::Automerge,
    before: &[automerge::ChangeHash],
) -> Result<()> {
    let Some(notice) =
        wangge_schema::root_str(doc, NOTICE_ID_KEY).and_then(|s| Uuid::parse_str(&s).ok())
    else {
        return Ok(());
    };
    let grid = crate::doc::scope_of(doc)?;
    let notice = notice.to_string();
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO notice_receipts (notice, user, grid, role, delivered_ms,
           read_ms, confirmed_ms, reply)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for user in super::index::touched(doc, before, records::RECEIPTS)? {
        let (Ok(id), Some(r)) = (Uuid::parse_str(&user), records::receipt_of(doc, &user)) else {
            continue;
        };
        put.execute(params![
            notice,
            id.to_string(),
            grid,
            r.role.map(Role::as_str),
            r.delivered_ms,
            r.read_ms,
            r.confirmed_ms,
            r.reply
        ])?;
    }
    let mut clue = conn.prepare_cached(
        "INSERT OR REPLACE INTO notice_clues (id, notice, grid, body) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut photo = conn.prepare_cached(
        "INSERT OR IGNORE INTO report_photos (report_id, hash, grid) VALUES (?1, ?2, ?3)",
    )?;
    for key in super::index::touched(doc, before, records::CLUES)? {
        let Some(c) = records::clue_of(doc, &key).filter(|c| c.id.to_string() == key) else {
            continue;
        };
        clue.execute(params![c.id.to_string(), notice, grid, json(&c)?])?;
        for h in c.photos.iter().filter(|h| is_sha256_hex(h)) {
            photo.execute(params![c.id.as_bytes(), h, grid])?;
        }
    }
    Ok(())
}

/// A notice's row as indexed.
struct Indexed {
    notice: Notice,
    reminders: Vec<Reminder>,
    closed: Option<Closed>,
}

/// One person of the directory.
struct Person {
    name: String,
    role: Option<Role>,
    scopes: Vec<String>,
}

fn bad(field: &'static str, code: ErrorCode, msg: &str) -> FieldError {
    FieldError::new(field, code, msg)
}

impl Store {
    /// This device's user id.
    fn me(&self) -> Uuid {
        user_id(&self.cfg.member)
    }

    /// This device's user's role (a device not enrolled is a grid member).
    fn my_role(&self) -> Role {
        self.cfg.role.unwrap_or(Role::Member)
    }

    /// The unit a notice from this device to `grids` is sent in: the sender's own unit
    /// when it covers them all (a community, a centre, a one-grid leader), else the one
    /// target grid a leader of several grids covers.
    fn notice_scope(&self, grids: &[GridCode]) -> Result<ScopeCode> {
        let refuse =
            |msg: &str| CoreError::Invalid(vec![bad("grids", ErrorCode::ScopeWrongLevel, msg)]);
        if !self.my_role().sends_notices() {
            return Err(refuse("only leaders, communities and centres send notices"));
        }
        let unit = ScopeCode::parse(&self.cfg.party.unit).ok();
        if let Some(unit) = unit {
            if grids.iter().all(|g| unit.covers(g.scope())) {
                return Ok(unit);
            }
            return Err(refuse("a target grid is outside the sender's unit"));
        }
        // A leader of several grids: one of them at a time.
        match grids {
            [one] if self.cfg.grids.contains(one) => Ok(one.scope().clone()),
            _ => Err(refuse(
                "a leader of several grids sends to one of them at a time",
            )),
        }
    }

    /// Sends a notice: one action writing its document; photos are queued for upload in
    /// its unit. Returns its id.
    #[tracing::instrument(skip_all, fields(sort = draft.sort.code(), priority = draft.priority.code()))]
    pub fn send_notice(&mut self, draft: &NoticeDraft) -> Result<Uuid> {
        let mut problems = vec![];
        let title = draft.title.trim();
        if title.is_empty() {
            problems.push(bad("title", ErrorCode::RequiredField, "a title is needed"));
        } else if title.chars().count() > MAX_TITLE {
            problems.push(bad("title", ErrorCode::TooLong, "title too long"));
        }
        if draft.text.chars().count() > MAX_TEXT {
            problems.push(bad("text", ErrorCode::TooLong, "text too long"));
        }
        if draft.photos.len() > MAX_NOTICE_PHOTOS {
            problems.push(bad("photos", ErrorCode::TooLong, "too many photos"));
        }
        problems.extend(self.photos_not_stored(&draft.photos)?);
        let person = match (draft.sort, &draft.person) {
            (NoticeSort::MissingPerson, None) => {
                problems.push(bad("person", ErrorCode::RequiredField, "who is missing"));
                None
            }
            (NoticeSort::MissingPerson, Some(p)) => {
                if p.name.trim().is_empty() {
                    problems.push(bad("person.name", ErrorCode::RequiredField, "a name"));
                }
                if p.contact.trim().is_empty() {
                    problems.push(bad("person.contact", ErrorCode::RequiredField, "a contact"));
                }
                Some(p.clone())
            }
            (NoticeSort::Notice, _) => None,
        };
        let mut grids = Vec::new();
        for g in &draft.grids {
            match g.parse::<GridCode>() {
                Ok(g) => grids.push(g),
                Err(e) => problems.push(e),
            }
        }
        grids.sort();
        grids.dedup();
        CoreError::check(problems)?;
        let scope = self.notice_scope(&grids)?;
        let now = self.now().timestamp_millis();
        let ack_ms = match draft.ack_minutes {
            Some(m) => Some(i64::from(m) * 60_000),
            None => draft.priority.default_ack_ms(),
        };
        let notice = Notice {
            id: Uuid::new_v4(),
            sender: self.me(),
            sender_role: self.my_role(),
            sender_unit: scope.as_str().to_owned(),
            sort: draft.sort,
            priority: draft.priority,
            title: title.to_owned(),
            text: draft.text.trim().to_owned(),
            photos: draft.photos.clone(),
            grids: grids.iter().map(|g| g.as_str().to_owned()).collect(),
            audience: draft.audience,
            sent_ms: now,
            ack_by_ms: ack_ms.map(|a| now + a),
            person,
        };
        let id = DocumentId::from_uuid(notice.id);
        let mut batch = self.batch();
        batch.change(
            id,
            Some(Genesis {
                kind: DocKind::Notice,
                scope: &scope,
                attrs: &[],
            }),
            |tx| records::write_notice(tx, &notice).map_err(notice_error),
        )?;
        for h in &notice.photos {
            batch.queue_upload(h, scope.as_str());
        }
        batch.commit()?;
        tracing::info!(notice = %notice.id, grids = notice.grids.len(), "notice sent");
        Ok(notice.id)
    }

    fn indexed_notice(&self, id: Uuid) -> Result<Indexed> {
        let row: Option<(String, String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT body, reminders, closed FROM notices WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (body, reminders, closed) = row.ok_or(CoreError::NotFound { what: "notice" })?;
        Ok(Indexed {
            notice: parse(&body)?,
            reminders: parse(&reminders)?,
            closed: closed.as_deref().map(parse).transpose()?,
        })
    }

    /// The grid this device's user's receipt of `n` goes in, if it is for them.
    fn my_receipt_grid(&self, n: &Notice) -> Option<GridCode> {
        if n.sender == self.me() {
            return None;
        }
        n.receipt_grid(self.my_role(), &self.cfg.grids)
    }

    /// How this user stands to `n`: `None` when it is neither for them, nor theirs, nor
    /// sent inside the unit they direct (a member of a grid it was not sent to).
    fn role_towards(&self, n: &Notice) -> Option<NoticeRole> {
        if n.sender == self.me() {
            return Some(NoticeRole::Sender);
        }
        if self.my_receipt_grid(n).is_some() {
            return Some(NoticeRole::Recipient);
        }
        let directs = matches!(self.my_role(), Role::ChiefLeader | Role::Centre);
        let unit = ScopeCode::parse(&self.cfg.party.unit).ok();
        let sent_in = ScopeCode::parse(&n.sender_unit).ok();
        match (unit, sent_in) {
            (Some(u), Some(s)) if directs && u.covers(&s) => Some(NoticeRole::Overseer),
            _ => None,
        }
    }

    fn receipts_of(&self, notice: Uuid) -> Result<BTreeMap<Uuid, (String, Receipt)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT user, grid, role, delivered_ms, read_ms, confirmed_ms, reply
             FROM notice_receipts WHERE notice = ?1",
        )?;
        let rows = stmt.query_map([notice.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                Receipt {
                    role: None,
                    delivered_ms: r.get(3)?,
                    read_ms: r.get(4)?,
                    confirmed_ms: r.get(5)?,
                    reply: r.get(6)?,
                },
            ))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (user, grid, role, mut receipt) = row?;
            let Ok(user) = Uuid::parse_str(&user) else {
                continue;
            };
            receipt.role = role.and_then(|r| r.parse().ok());
            out.insert(user, (grid, receipt));
        }
        Ok(out)
    }

    fn people(&self) -> Result<BTreeMap<Uuid, Person>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT id, name, role, scopes FROM directory_people")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = BTreeMap::new();
        for row in rows {
            let (id, name, role, scopes) = row?;
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            out.insert(
                id,
                Person {
                    name,
                    role: role.parse().ok(),
                    scopes: parse(&scopes)?,
                },
            );
        }
        Ok(out)
    }

    /// Everyone a notice is for, with their receipts: the directory's people of the
    /// audience in its grids, and whoever wrote a receipt. Those who have not confirmed
    /// come first, then by name.
    fn roster(&self, ix: &Indexed) -> Result<Vec<RosterEntry>> {
        self.roster_with(ix, &self.people()?)
    }

    /// [`Self::roster`] with the directory's people already read.
    fn roster_with(
        &self,
        ix: &Indexed,
        people: &BTreeMap<Uuid, Person>,
    ) -> Result<Vec<RosterEntry>> {
        let n = &ix.notice;
        let receipts = self.receipts_of(n.id)?;
        let unit = ScopeCode::parse(&n.sender_unit).ok();
        let targets: HashSet<&str> = n.grids.iter().map(String::as_str).collect();
        let reminded: HashSet<Uuid> = ix.reminders.iter().flat_map(|r| r.users.clone()).collect();
        let in_targets = |scope: &str| -> bool {
            if n.grids.is_empty() {
                let Ok(code) = ScopeCode::parse(scope) else {
                    return false;
                };
                unit.as_ref().is_some_and(|u| u.covers(&code)) && code.is_grid()
            } else {
                targets.contains(scope)
            }
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (id, p) in people {
            let for_them = *id != n.sender
                && p.role.is_some_and(|r| n.audience.includes(r))
                && p.scopes.iter().any(|s| in_targets(s));
            if !for_them && !receipts.contains_key(id) {
                continue;
            }
            seen.insert(*id);
            let first_grid = p.scopes.iter().find(|s| in_targets(s)).cloned();
            out.push(entry(*id, Some(p), receipts.get(id), first_grid, &reminded));
        }
        for (id, (grid, r)) in &receipts {
            if !seen.contains(id) {
                let e = entry(*id, None, Some(&(grid.clone(), r.clone())), None, &reminded);
                out.push(e);
            }
        }
        out.sort_by(|a, b| {
            (a.state == ReceiptState::Confirmed, &a.name, &a.user).cmp(&(
                b.state == ReceiptState::Confirmed,
                &b.name,
                &b.user,
            ))
        });
        Ok(out)
    }

    fn counts(roster: &[RosterEntry]) -> ReceiptCounts {
        ReceiptCounts {
            total: roster.len(),
            delivered: roster
                .iter()
                .filter(|e| e.state >= ReceiptState::Delivered)
                .count(),
            read: roster
                .iter()
                .filter(|e| e.state >= ReceiptState::Read)
                .count(),
            confirmed: roster
                .iter()
                .filter(|e| e.state == ReceiptState::Confirmed)
                .count(),
        }
    }

    fn my_receipt(&self, notice: Uuid) -> Result<Option<Receipt>> {
        Ok(self.receipts_of(notice)?.remove(&self.me()).map(|(_, r)| r))
    }

    /// Whether a reminder naming this user came after their own receipt moved last.
    fn reminded_since(&self, ix: &Indexed, mine: Option<&Receipt>) -> bool {
        let me = self.me();
        let confirmed = mine.and_then(|r| r.confirmed_ms);
        confirmed.is_none() && ix.reminders.iter().any(|r| r.users.contains(&me))
    }

    fn overdue(&self, ix: &Indexed, counts: &ReceiptCounts) -> bool {
        let now = self.now().timestamp_millis();
        ix.closed.is_none()
            && ix.notice.ack_by_ms.is_some_and(|by| by < now)
            && counts.confirmed < counts.total
    }

    /// The notices this device holds, newest first: those for this user, those they sent,
    /// and, once overdue with recipients who have not confirmed, those sent under them.
    pub fn notices(&self) -> Result<Vec<NoticeRow>> {
        self.notice_rows(true)
    }

    /// The notice rows; without `counts`, only those for this user as a recipient (what
    /// the badge, the banner and the notifications read), without reading any roster.
    fn notice_rows(&self, counts: bool) -> Result<Vec<NoticeRow>> {
        let people = if counts {
            self.people()?
        } else {
            BTreeMap::new()
        };
        let ids: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare_cached("SELECT id FROM notices ORDER BY sent_ms DESC, id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            let ix = self.indexed_notice(id)?;
            let Some(role) = self.role_towards(&ix.notice) else {
                continue;
            };
            if !counts && role != NoticeRole::Recipient {
                continue;
            }
            let mine = self.my_receipt(id)?;
            let counts = match role {
                NoticeRole::Recipient => ReceiptCounts::default(),
                _ => Self::counts(&self.roster_with(&ix, &people)?),
            };
            let overdue = role != NoticeRole::Recipient && self.overdue(&ix, &counts);
            if role == NoticeRole::Overseer && !overdue {
                continue;
            }
            let n = &ix.notice;
            out.push(NoticeRow {
                id: n.id.to_string(),
                sort: n.sort,
                priority: n.priority,
                title: n.title.clone(),
                sender_unit: n.sender_unit.clone(),
                sender_unit_name: self.unit_name(&n.sender_unit)?,
                sent_ms: n.sent_ms,
                ack_by_ms: n.ack_by_ms,
                closed: ix.closed.is_some(),
                role,
                mine: ReceiptState::of(mine.as_ref()),
                counts,
                overdue,
                reminded: role == NoticeRole::Recipient && self.reminded_since(&ix, mine.as_ref()),
            });
        }
        Ok(out)
    }

    /// How many notices for this user they have not confirmed (the tab's badge).
    pub fn notices_unconfirmed(&self) -> Result<usize> {
        Ok(self
            .notice_rows(false)?
            .iter()
            .filter(|r| {
                r.role == NoticeRole::Recipient && !r.closed && r.mine != ReceiptState::Confirmed
            })
            .count())
    }

    /// A notice's page. For its recipient this also marks it read (已读), once.
    pub fn notice_detail(&mut self, id: Uuid) -> Result<NoticeDetail> {
        let ix = self.indexed_notice(id)?;
        let role = self
            .role_towards(&ix.notice)
            .ok_or(CoreError::NotFound { what: "notice" })?;
        if role == NoticeRole::Recipient {
            let now = self.now().timestamp_millis();
            let read = Receipt {
                delivered_ms: Some(now),
                read_ms: Some(now),
                ..Receipt::default()
            };
            self.move_receipt(&ix.notice, &read, false)?;
        }
        let mine = self.my_receipt(id)?;
        let mine_ref = mine.as_ref();
        let roster = match role {
            NoticeRole::Recipient => Vec::new(),
            _ => self.roster(&ix)?,
        };
        let counts = Self::counts(&roster);
        let people = self.people()?;
        let clues = self.clues_of(id)?;
        let clues = clues
            .into_iter()
            .map(|(grid, clue)| ClueView {
                by_name: people.get(&clue.by).map(|p| p.name.clone()),
                clue,
                grid,
            })
            .collect();
        Ok(NoticeDetail {
            sender_unit_name: self.unit_name(&ix.notice.sender_unit)?,
            role,
            mine_state: ReceiptState::of(mine_ref),
            closed: ix.closed.clone(),
            overdue: role != NoticeRole::Recipient && self.overdue(&ix, &counts),
            counts,
            roster,
            clues,
            reminders: ix.reminders.len(),
            last_reminded: ix
                .reminders
                .iter()
                .max_by_key(|r| r.at_ms)
                .map_or(0, |r| r.users.len()),
            reminded: role == NoticeRole::Recipient && self.reminded_since(&ix, mine_ref),
            mine,
            notice: ix.notice,
        })
    }

    fn clues_of(&self, notice: Uuid) -> Result<Vec<(String, Clue)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT grid, body FROM notice_clues WHERE notice = ?1")?;
        let rows = stmt.query_map([notice.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (grid, body) = row?;
            out.push((grid, parse::<Clue>(&body)?));
        }
        out.sort_by_key(|(_, c)| std::cmp::Reverse(c.at_ms));
        Ok(out)
    }

    /// Writes this user's receipt of `n` on to `update` (fields already set are kept), as
    /// one action; `force` writes even when nothing would change (a new reply).
    fn move_receipt(&mut self, n: &Notice, update: &Receipt, force: bool) -> Result<()> {
        let Some(grid) = self.my_receipt_grid(n) else {
            return Err(CoreError::Invalid(vec![bad(
                "notice",
                ErrorCode::NotYours,
                "this notice is not for this user",
            )]));
        };
        let mine = self.my_receipt(n.id)?.unwrap_or_default();
        let moves = |now: Option<i64>, new: Option<i64>| now.is_none() && new.is_some();
        if !force
            && !moves(mine.delivered_ms, update.delivered_ms)
            && !moves(mine.read_ms, update.read_ms)
            && !moves(mine.confirmed_ms, update.confirmed_ms)
        {
            return Ok(());
        }
        let me = self.me();
        let update = Receipt {
            role: Some(self.my_role()),
            ..update.clone()
        };
        let id = receipts_doc_id(n.id, &grid);
        let nid = records::receipts_attrs(n.id);
        let mut batch = self.batch();
        batch.change(
            id,
            Some(Genesis {
                kind: DocKind::Receipts,
                scope: grid.scope(),
                attrs: &[(NOTICE_ID_KEY, nid.as_str())],
            }),
            |tx| records::write_receipt(tx, me, &update).map_err(notice_error),
        )?;
        batch.commit()
    }

    /// 已送达: called when a notice document arrives; writes this user's delivery if the
    /// notice is for them and nothing of their receipt is written yet.
    pub(crate) fn deliver_notice(&mut self, doc: &DocumentId) -> Result<()> {
        let Ok(ix) = self.indexed_notice(doc.to_uuid()) else {
            return Ok(());
        };
        if self.my_receipt_grid(&ix.notice).is_none() {
            return Ok(());
        }
        let now = self.now().timestamp_millis();
        let delivered = Receipt {
            delivered_ms: Some(now),
            ..Receipt::default()
        };
        self.move_receipt(&ix.notice, &delivered, false)
    }

    /// 签收: this user confirms the notice, with an optional short reply.
    pub fn confirm_notice(&mut self, id: Uuid, reply: &str) -> Result<()> {
        let reply = reply.trim();
        if reply.chars().count() > MAX_REPLY {
            return Err(CoreError::Invalid(vec![bad(
                "reply",
                ErrorCode::TooLong,
                "reply too long",
            )]));
        }
        let ix = self.indexed_notice(id)?;
        let now = self.now().timestamp_millis();
        let update = Receipt {
            delivered_ms: Some(now),
            read_ms: Some(now),
            confirmed_ms: Some(now),
            reply: (!reply.is_empty()).then(|| reply.to_owned()),
            role: None,
        };
        self.move_receipt(&ix.notice, &update, !reply.is_empty())?;
        tracing::info!(notice = %id, "notice confirmed");
        Ok(())
    }

    /// 一键催收: the sender re-notifies everyone on the roster who has not confirmed.
    /// Returns how many were reminded (none: nothing is written).
    pub fn remind_notice(&mut self, id: Uuid) -> Result<usize> {
        let ix = self.indexed_notice(id)?;
        self.sender_only(&ix.notice)?;
        let users: Vec<Uuid> = self
            .roster(&ix)?
            .iter()
            .filter(|e| e.state != ReceiptState::Confirmed)
            .filter_map(|e| Uuid::parse_str(&e.user).ok())
            .collect();
        if users.is_empty() {
            return Ok(0);
        }
        let reminder = Reminder {
            id: Uuid::new_v4(),
            at_ms: self.now().timestamp_millis(),
            users,
        };
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(id), None, |tx| {
            records::write_reminder(tx, &reminder).map_err(notice_error)
        })?;
        batch.commit()?;
        tracing::info!(notice = %id, users = reminder.users.len(), "notice reminder sent");
        Ok(reminder.users.len())
    }

    /// Closes a notice (the person found): everyone it went to sees it closed.
    pub fn close_notice(&mut self, id: Uuid, note: &str) -> Result<()> {
        let ix = self.indexed_notice(id)?;
        self.sender_only(&ix.notice)?;
        if note.chars().count() > MAX_REPLY {
            return Err(CoreError::Invalid(vec![bad(
                "note",
                ErrorCode::TooLong,
                "note too long",
            )]));
        }
        let closed = Closed {
            at_ms: self.now().timestamp_millis(),
            note: note.trim().to_owned(),
        };
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(id), None, |tx| {
            records::write_closed(tx, &closed).map_err(notice_error)
        })?;
        batch.commit()
    }

    /// A clue (线索) to a 寻人 alert: goes to the sender and the grid's leaders through the
    /// grid's receipts document; photos are queued for upload in the grid.
    pub fn send_clue(
        &mut self,
        id: Uuid,
        text: &str,
        place: &str,
        photos: Vec<String>,
    ) -> Result<Uuid> {
        let ix = self.indexed_notice(id)?;
        let mut problems = vec![];
        if text.trim().is_empty() {
            problems.push(bad("text", ErrorCode::RequiredField, "what was seen"));
        }
        if text.chars().count() > MAX_REPLY || place.chars().count() > MAX_REPLY {
            problems.push(bad("text", ErrorCode::TooLong, "clue too long"));
        }
        if photos.len() > MAX_NOTICE_PHOTOS {
            problems.push(bad("photos", ErrorCode::TooLong, "too many photos"));
        }
        problems.extend(self.photos_not_stored(&photos)?);
        CoreError::check(problems)?;
        let Some(grid) = self.my_receipt_grid(&ix.notice) else {
            return Err(CoreError::Invalid(vec![bad(
                "notice",
                ErrorCode::NotYours,
                "this notice is not for this user",
            )]));
        };
        let clue = Clue {
            id: Uuid::new_v4(),
            by: self.me(),
            at_ms: self.now().timestamp_millis(),
            text: text.trim().to_owned(),
            place: place.trim().to_owned(),
            photos,
        };
        let doc = receipts_doc_id(id, &grid);
        let nid = records::receipts_attrs(id);
        let mut batch = self.batch();
        batch.change(
            doc,
            Some(Genesis {
                kind: DocKind::Receipts,
                scope: grid.scope(),
                attrs: &[(NOTICE_ID_KEY, nid.as_str())],
            }),
            |tx| records::write_clue(tx, &clue).map_err(notice_error),
        )?;
        for h in &clue.photos {
            batch.queue_upload(h, grid.as_str());
        }
        batch.commit()?;
        tracing::info!(notice = %id, "clue sent");
        Ok(clue.id)
    }

    fn sender_only(&self, n: &Notice) -> Result<()> {
        if n.sender == self.me() {
            Ok(())
        } else {
            Err(CoreError::Invalid(vec![bad(
                "notice",
                ErrorCode::NotYours,
                "only its sender does this",
            )]))
        }
    }

    /// The notices to announce now with an OS notification, each once: a 特急 or 紧急
    /// notice for this user when it first arrives, and again after each reminder naming
    /// them, while they have not confirmed it. Marks them announced.
    pub fn notices_to_alert(&mut self) -> Result<Vec<NoticeRow>> {
        let me = self.me();
        let mut out = Vec::new();
        for row in self.notice_rows(false)? {
            if row.role != NoticeRole::Recipient
                || row.closed
                || row.mine == ReceiptState::Confirmed
            {
                continue;
            }
            let Ok(id) = Uuid::parse_str(&row.id) else {
                continue;
            };
            let ix = self.indexed_notice(id)?;
            let reminders = ix
                .reminders
                .iter()
                .filter(|r| r.users.contains(&me))
                .count();
            let urgent = row.priority != Priority::Normal;
            let level = i64::try_from(usize::from(urgent) + reminders).unwrap_or(i64::MAX);
            if level == 0 {
                continue;
            }
            let done: Option<i64> = self
                .conn()
                .query_row(
                    "SELECT level FROM notice_alerts WHERE notice = ?1",
                    [&row.id],
                    |r| r.get(0),
                )
                .optional()?;
            if done.is_some_and(|d| d >= level) {
                continue;
            }
            self.conn().execute(
                "INSERT OR REPLACE INTO notice_alerts (notice, level) VALUES (?1, ?2)",
                params![row.id, level],
            )?;
            out.push(row);
        }
        Ok(out)
    }

    /// The unconfirmed 特急 and reminded notices for this user: what a banner asks them
    /// to acknowledge now.
    pub fn notices_to_acknowledge(&self) -> Result<Vec<NoticeRow>> {
        Ok(self
            .notice_rows(false)?
            .into_iter()
            .filter(|r| {
                r.role == NoticeRole::Recipient
                    && !r.closed
                    && r.mine != ReceiptState::Confirmed
                    && (r.priority == Priority::Critical || r.reminded)
            })
            .collect())
    }
}

fn entry(
    id: Uuid,
    person: Option<&Person>,
    receipt: Option<&(String, Receipt)>,
    first_grid: Option<String>,
    reminded: &HashSet<Uuid>,
) -> RosterEntry {
    let r = receipt.map(|(_, r)| r);
    RosterEntry {
        user: id.to_string(),
        name: person.map(|p| p.name.clone()),
        role: person.and_then(|p| p.role).or(r.and_then(|r| r.role)),
        grid: receipt.map(|(g, _)| g.clone()).or(first_grid),
        state: ReceiptState::of(r),
        delivered_ms: r.and_then(|r| r.delivered_ms),
        read_ms: r.and_then(|r| r.read_ms),
        confirmed_ms: r.and_then(|r| r.confirmed_ms),
        reply: r.and_then(|r| r.reply.clone()),
        reminded: reminded.contains(&id),
    }
}

fn notice_error(e: wangge_schema::record::RecordError) -> CoreError {
    match e {
        wangge_schema::record::RecordError::Automerge(e) => CoreError::Document(e.to_string()),
        other => CoreError::Document(other.to_string()),
    }
}
