//! Roster campaigns (专项任务) on the device: starting one, a grid's roster from the ledger
//! already here (nothing typed twice), one tap per person or household, completion rolled
//! up by grid and community.
//!
//! Documents are `wangge_schema::campaign`'s: the campaign document its creator writes, and
//! one results document per campaign and grid with one tick per subject. The index tables
//! `campaigns` and `campaign_ticks` are rebuilt from a document whenever it changes; the
//! roster and the figures join them with the ledger's `residents` and `households`.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use wangge_proto::DocumentId;
use wangge_schema::campaign::{
    self as records, CAMPAIGN_ID_KEY, Campaign, CampaignClosed, MAX_NOTE, MAX_OPTIONS, MAX_TITLE,
    Subject, TICKS, Tick, read_campaign, results_doc_id, template, tick_of,
};
use wangge_schema::root_str;
use wangge_schema::{Role, ScopeCode};

use super::Store;
use super::batch::Genesis;
use crate::doc::DocKind;
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::{
    CampaignDraft, CampaignRole, CampaignRow, CampaignView, Completion, GridCode, RosterItem,
    UnitCompletion, is_sha256_hex, user_id,
};

/// The longest a campaign may run.
pub const MAX_CAMPAIGN_HOURS: u32 = 24 * 90;

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| CoreError::Corrupt(e.to_string()))
}

fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| CoreError::Corrupt(format!("campaign index: {e}")))
}

fn bad(field: &'static str, code: ErrorCode, msg: &str) -> CoreError {
    CoreError::Invalid(vec![FieldError::new(field, code, msg)])
}

/// Rebuilds the `campaigns` row of a campaign document.
pub(crate) fn index_campaign(conn: &Connection, doc: &automerge::Automerge) -> Result<()> {
    let stored = read_campaign(doc);
    let Some(c) = stored.campaign else {
        return Ok(());
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO campaigns (id, unit, started_ms, due_ms, body, closed_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        c.id.to_string(),
        c.unit,
        c.started_ms,
        c.due_ms,
        json(&c)?,
        stored.closed.map(|c| c.at_ms)
    ])?;
    Ok(())
}

/// Brings the `campaign_ticks` rows of a results document (one grid's) up to date for the
/// ticks changed since `before` (every tick of a document new here).
pub(crate) fn index_results(
    conn: &Connection,
    doc: &automerge::Automerge,
    before: &[automerge::ChangeHash],
) -> Result<()> {
    let Some(campaign) = root_str(doc, CAMPAIGN_ID_KEY).and_then(|s| Uuid::parse_str(&s).ok())
    else {
        return Ok(());
    };
    let grid = crate::doc::scope_of(doc)?;
    let campaign = campaign.to_string();
    let mut put = conn.prepare_cached(
        "INSERT OR REPLACE INTO campaign_ticks (campaign, subject, grid, answer, at_ms,
           by_user, note, photos)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut gone =
        conn.prepare_cached("DELETE FROM campaign_ticks WHERE campaign = ?1 AND subject = ?2")?;
    let mut photo = conn.prepare_cached(
        "INSERT OR IGNORE INTO report_photos (report_id, hash, grid) VALUES (?1, ?2, ?3)",
    )?;
    for key in super::index::touched(doc, before, TICKS)? {
        let Ok(subject) = Uuid::parse_str(&key) else {
            continue;
        };
        let Some(t) = tick_of(doc, &key) else {
            gone.execute(params![campaign, subject.as_bytes()])?;
            continue;
        };
        put.execute(params![
            campaign,
            subject.as_bytes(),
            grid,
            t.answer,
            t.at_ms,
            t.by.to_string(),
            t.note,
            json(&t.photos)?
        ])?;
        for h in t.photos.iter().filter(|h| is_sha256_hex(h)) {
            photo.execute(params![subject.as_bytes(), h, grid])?;
        }
    }
    Ok(())
}

/// The answers of a campaign that count as done, and those that are exceptions.
fn answer_kinds(c: &Campaign) -> (Vec<&str>, Vec<&str>) {
    let done = c
        .options
        .iter()
        .filter(|o| o.done)
        .map(|o| o.code.as_str())
        .collect();
    let exceptions = c
        .options
        .iter()
        .filter(|o| o.needs_note)
        .map(|o| o.code.as_str())
        .collect();
    (done, exceptions)
}

impl Store {
    fn campaign_of(&self, id: Uuid) -> Result<(Campaign, bool)> {
        let row: Option<(String, Option<i64>)> = self
            .conn()
            .query_row(
                "SELECT body, closed_ms FROM campaigns WHERE id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (body, closed) = row.ok_or(CoreError::NotFound { what: "campaign" })?;
        Ok((parse(&body)?, closed.is_some()))
    }

    fn campaign_role(&self, c: &Campaign) -> Option<CampaignRole> {
        let me = user_id(&self.cfg.member);
        if c.creator == me {
            return Some(CampaignRole::Creator);
        }
        let role = self.cfg.role.unwrap_or(Role::Member);
        if matches!(role, Role::Member | Role::Informant | Role::Leader)
            && self.cfg.grids.iter().any(|g| c.runs_in(g))
        {
            return Some(CampaignRole::Worker);
        }
        let unit = ScopeCode::parse(&self.cfg.party.unit).ok()?;
        let runs = ScopeCode::parse(&c.unit).ok()?;
        (matches!(role, Role::ChiefLeader | Role::Centre)
            && (unit.covers(&runs) || runs.covers(&unit)))
        .then_some(CampaignRole::Overseer)
    }

    /// Starts a campaign over every resident or household of the chosen grids (a community
    /// or a centre, within its unit). Returns its id.
    #[tracing::instrument(skip_all, fields(subject = draft.subject.code()))]
    pub fn start_campaign(&mut self, draft: &CampaignDraft) -> Result<Uuid> {
        let role = self.cfg.role.unwrap_or(Role::Member);
        if !role.starts_campaigns() {
            return Err(bad(
                "grids",
                ErrorCode::ScopeWrongLevel,
                "only communities and centres start campaigns",
            ));
        }
        let title = draft.title.trim();
        if title.is_empty() {
            return Err(bad("title", ErrorCode::RequiredField, "a title is needed"));
        }
        if title.chars().count() > MAX_TITLE || draft.text.chars().count() > 2000 {
            return Err(bad("title", ErrorCode::TooLong, "too long"));
        }
        if draft.due_hours == 0 || draft.due_hours > MAX_CAMPAIGN_HOURS {
            return Err(bad(
                "due_hours",
                ErrorCode::InvalidValue,
                "1 hour to 90 days",
            ));
        }
        let unit = ScopeCode::parse(&self.cfg.party.unit)
            .map_err(|_| bad("grids", ErrorCode::ScopeWrongLevel, "no unit to run it in"))?;
        let mut grids = Vec::new();
        for g in &draft.grids {
            let g: GridCode = g
                .parse()
                .map_err(|e: FieldError| CoreError::Invalid(vec![e]))?;
            if !unit.covers(g.scope()) {
                return Err(bad(
                    "grids",
                    ErrorCode::ScopeWrongLevel,
                    "a grid outside the unit",
                ));
            }
            grids.push(g.as_str().to_owned());
        }
        grids.sort();
        grids.dedup();
        let (options, common, proof) = template(draft.subject);
        debug_assert!(options.len() <= MAX_OPTIONS);
        let now = self.now().timestamp_millis();
        let c = Campaign {
            id: Uuid::new_v4(),
            creator: user_id(&self.cfg.member),
            creator_role: role,
            unit: unit.as_str().to_owned(),
            title: title.to_owned(),
            text: draft.text.trim().to_owned(),
            subject: draft.subject,
            options,
            common: common.to_owned(),
            proof,
            grids,
            started_ms: now,
            due_ms: now + i64::from(draft.due_hours) * 3_600_000,
        };
        let mut batch = self.batch();
        batch.change(
            DocumentId::from_uuid(c.id),
            Some(Genesis {
                kind: DocKind::Campaign,
                scope: &unit,
                attrs: &[],
            }),
            |tx| records::write_campaign(tx, &c).map_err(record_error),
        )?;
        batch.commit()?;
        tracing::info!(campaign = %c.id, grids = c.grids.len(), "campaign started");
        Ok(c.id)
    }

    /// Ends a campaign (its creator).
    pub fn close_campaign(&mut self, id: Uuid) -> Result<()> {
        let (c, _) = self.campaign_of(id)?;
        if c.creator != user_id(&self.cfg.member) {
            return Err(bad(
                "campaign",
                ErrorCode::InvalidStatus,
                "only its creator ends it",
            ));
        }
        let closed = CampaignClosed {
            at_ms: self.now().timestamp_millis(),
        };
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(id), None, |tx| {
            records::write_closed(tx, &closed).map_err(record_error)
        })?;
        batch.commit()
    }

    /// The grids of `c` this device shows: a worker's own, else every grid it runs in that
    /// the ledger here holds.
    fn campaign_grids(&self, c: &Campaign, role: CampaignRole) -> Result<Vec<String>> {
        if role == CampaignRole::Worker {
            return Ok(self
                .cfg
                .grids
                .iter()
                .filter(|g| c.runs_in(g))
                .map(|g| g.as_str().to_owned())
                .collect());
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT DISTINCT grid FROM households WHERE substr(grid, 1, ?1) = ?2 ORDER BY grid",
        )?;
        let all: Vec<String> = stmt
            .query_map(params![c.unit.len() as i64, c.unit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(all
            .into_iter()
            .filter(|g| g.parse::<GridCode>().is_ok_and(|g| c.runs_in(&g)))
            .collect())
    }

    /// Completion by grid of `c` over `grids`.
    fn completion_by_grid(
        &self,
        c: &Campaign,
        grids: &[String],
    ) -> Result<BTreeMap<String, Completion>> {
        let (done, exceptions) = answer_kinds(c);
        let sql = match c.subject {
            Subject::Residents => {
                "SELECT t.answer, COUNT(*) FROM residents r
                 LEFT JOIN campaign_ticks t ON t.campaign = ?1 AND t.subject = r.id
                 WHERE r.grid = ?2 AND r.moved_out = 0 GROUP BY t.answer"
            }
            Subject::Households => {
                "SELECT t.answer, COUNT(*) FROM households h
                 LEFT JOIN campaign_ticks t ON t.campaign = ?1 AND t.subject = h.id
                 WHERE h.grid = ?2 GROUP BY t.answer"
            }
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut out = BTreeMap::new();
        for g in grids {
            let mut fig = Completion::default();
            let rows = stmt.query_map(params![c.id.to_string(), g], |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (answer, n) = row?;
                let n = usize::try_from(n).unwrap_or(0);
                fig.total += n;
                match answer.as_deref() {
                    Some(a) if done.contains(&a) => fig.done += n,
                    _ => fig.open += n,
                }
                if answer.as_deref().is_some_and(|a| exceptions.contains(&a)) {
                    fig.exceptions += n;
                }
            }
            out.insert(g.clone(), fig);
        }
        Ok(out)
    }

    /// The campaigns on this device, newest first, with the completion of what it holds.
    pub fn campaigns(&self) -> Result<Vec<CampaignRow>> {
        let ids: Vec<String> = {
            let mut stmt = self
                .conn()
                .prepare_cached("SELECT id FROM campaigns ORDER BY started_ms DESC, id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::new();
        for id in ids {
            let Ok(id) = Uuid::parse_str(&id) else {
                continue;
            };
            let (c, closed) = self.campaign_of(id)?;
            let Some(role) = self.campaign_role(&c) else {
                continue;
            };
            let grids = self.campaign_grids(&c, role)?;
            let mut completion = Completion::default();
            for fig in self.completion_by_grid(&c, &grids)?.values() {
                completion.add(fig);
            }
            out.push(CampaignRow {
                id: c.id.to_string(),
                title: c.title.clone(),
                subject: c.subject,
                unit_name: self.unit_name(&c.unit)?,
                unit: c.unit,
                due_ms: c.due_ms,
                closed,
                role,
                completion,
            });
        }
        Ok(out)
    }

    /// A campaign's page: completion by grid and community and in all.
    pub fn campaign_view(&self, id: Uuid) -> Result<CampaignView> {
        let (c, closed) = self.campaign_of(id)?;
        let role = self
            .campaign_role(&c)
            .ok_or(CoreError::NotFound { what: "campaign" })?;
        let grids = self.campaign_grids(&c, role)?;
        let by = self.completion_by_grid(&c, &grids)?;
        let mut total = Completion::default();
        let mut communities: BTreeMap<String, Completion> = BTreeMap::new();
        let mut by_grid = Vec::new();
        for (g, fig) in &by {
            total.add(fig);
            communities.entry(g[..12].to_owned()).or_default().add(fig);
            by_grid.push(UnitCompletion {
                code: g.clone(),
                name: self.unit_name(g)?,
                completion: *fig,
            });
        }
        let mut by_community = Vec::new();
        for (code, fig) in communities {
            by_community.push(UnitCompletion {
                name: self.unit_name(&code)?,
                code,
                completion: fig,
            });
        }
        Ok(CampaignView {
            unit_name: self.unit_name(&c.unit)?,
            campaign: c,
            role,
            closed,
            by_grid,
            by_community,
            total,
        })
    }

    /// The roster of `grid` for a campaign (a worker's own grid when `None`): every person
    /// or household in address order with its tick.
    pub fn campaign_roster(&self, id: Uuid, grid: Option<&str>) -> Result<Vec<RosterItem>> {
        let (c, _) = self.campaign_of(id)?;
        let role = self
            .campaign_role(&c)
            .ok_or(CoreError::NotFound { what: "campaign" })?;
        let grids = self.campaign_grids(&c, role)?;
        let grids: Vec<String> = match grid {
            Some(g) => grids.into_iter().filter(|x| x == g).collect(),
            None => grids,
        };
        let (done, _) = answer_kinds(&c);
        let sql = match c.subject {
            Subject::Residents => {
                "SELECT r.id, r.household_id, r.name, r.initials, r.pinyin, h.address, r.grid,
                        t.answer, t.at_ms, t.by_user, t.note, t.photos
                 FROM residents r JOIN households h ON h.id = r.household_id
                 LEFT JOIN campaign_ticks t ON t.campaign = ?1 AND t.subject = r.id
                 WHERE r.grid = ?2 AND r.moved_out = 0
                 ORDER BY h.address, r.household_id, r.name"
            }
            Subject::Households => {
                "SELECT h.id, h.id, COALESCE(h.head_name, ''), '', '', h.address, h.grid,
                        t.answer, t.at_ms, t.by_user, t.note, t.photos
                 FROM households h
                 LEFT JOIN campaign_ticks t ON t.campaign = ?1 AND t.subject = h.id
                 WHERE h.grid = ?2 ORDER BY h.address"
            }
        };
        let mut stmt = self.conn().prepare_cached(sql)?;
        let mut out = Vec::new();
        for g in &grids {
            let rows = stmt.query_map(params![c.id.to_string(), g], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                ))
            })?;
            for row in rows {
                let (
                    subject,
                    household,
                    name,
                    initials,
                    pinyin,
                    address,
                    grid,
                    answer,
                    at,
                    by,
                    note,
                    photos,
                ) = row?;
                let (Ok(subject), Ok(household)) =
                    (Uuid::from_slice(&subject), Uuid::from_slice(&household))
                else {
                    continue;
                };
                let tick = match (answer, at, by) {
                    (Some(answer), Some(at_ms), Some(by)) => Some(Tick {
                        answer,
                        at_ms,
                        by: Uuid::parse_str(&by).unwrap_or_default(),
                        note: note.unwrap_or_default(),
                        photos: photos
                            .as_deref()
                            .map(parse)
                            .transpose()?
                            .unwrap_or_default(),
                    }),
                    _ => None,
                };
                let (initials, pinyin) = if c.subject == Subject::Households {
                    wangge_text::pinyin_keys(&name)
                } else {
                    (initials, pinyin)
                };
                out.push(RosterItem {
                    subject: subject.to_string(),
                    household: household.to_string(),
                    done: tick
                        .as_ref()
                        .is_some_and(|t| done.contains(&t.answer.as_str())),
                    name,
                    initials,
                    pinyin,
                    address,
                    grid,
                    tick,
                });
            }
        }
        Ok(out)
    }

    /// Ticks one person or household off (one action): `answer` one of the campaign's; an
    /// exception needs a reason, and a done answer of a campaign that asks proof a photo or
    /// signature already stored. A later tick of the same subject replaces it.
    pub fn tick_campaign(
        &mut self,
        id: Uuid,
        subject: Uuid,
        answer: &str,
        note: &str,
        photos: Vec<String>,
    ) -> Result<Tick> {
        let (c, closed) = self.campaign_of(id)?;
        if closed {
            return Err(bad(
                "campaign",
                ErrorCode::InvalidStatus,
                "the campaign has ended",
            ));
        }
        let option = c.option(answer).ok_or_else(|| {
            bad(
                "answer",
                ErrorCode::InvalidValue,
                "not one of the campaign's answers",
            )
        })?;
        let note = note.trim();
        if option.needs_note && note.is_empty() {
            return Err(bad("note", ErrorCode::RequiredField, "a reason is needed"));
        }
        if note.chars().count() > MAX_NOTE {
            return Err(bad("note", ErrorCode::TooLong, "note too long"));
        }
        if option.needs_proof && photos.is_empty() {
            return Err(bad(
                "photos",
                ErrorCode::RequiredField,
                "a photo or signature is needed",
            ));
        }
        if let Some(p) = self.photos_not_stored(&photos)? {
            return Err(CoreError::Invalid(vec![p]));
        }
        let table = match c.subject {
            Subject::Residents => "SELECT grid FROM residents WHERE id = ?1 AND moved_out = 0",
            Subject::Households => "SELECT grid FROM households WHERE id = ?1",
        };
        let grid: Option<String> = self
            .conn()
            .query_row(table, [subject.as_bytes()], |r| r.get(0))
            .optional()?;
        let grid: GridCode = grid
            .ok_or(CoreError::NotFound {
                what: "person or household",
            })?
            .parse()
            .map_err(|e: FieldError| CoreError::Corrupt(e.to_string()))?;
        if !c.runs_in(&grid) || !self.cfg.grids.contains(&grid) {
            return Err(bad(
                "subject",
                ErrorCode::ScopeWrongLevel,
                "not in this member's grids of the campaign",
            ));
        }
        let tick = Tick {
            answer: answer.to_owned(),
            at_ms: self.now().timestamp_millis(),
            by: user_id(&self.cfg.member),
            note: note.to_owned(),
            photos,
        };
        let doc = results_doc_id(id, &grid);
        let cid = id.to_string();
        let mut batch = self.batch();
        batch.change(
            doc,
            Some(Genesis {
                kind: DocKind::CampaignResults,
                scope: grid.scope(),
                attrs: &[(CAMPAIGN_ID_KEY, cid.as_str())],
            }),
            |tx| records::write_tick(tx, subject, &tick).map_err(record_error),
        )?;
        for h in &tick.photos {
            batch.queue_upload(h, grid.as_str());
        }
        batch.commit()?;
        Ok(tick)
    }
}

fn record_error(e: wangge_schema::record::RecordError) -> CoreError {
    CoreError::Document(e.to_string())
}
