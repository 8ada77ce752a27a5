//! User actions: each validates first, then writes one [`Batch`](super::Batch).

use std::collections::BTreeMap;

use automerge::ReadDoc;
use automerge::transaction::Transactable;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use wangge_proto::DocumentId;

use super::Store;
use super::batch::Genesis;
use super::index::read_household;
use wangge_schema::{HouseholdMove, regrid};

use crate::doc::{DocKind, collection, force_put, period_doc_id, record_obj, write_fields};
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::{
    Category, Celsius, CheckInput, CheckSaved, ChecksRecorded, EventId, FieldValue, GridCode,
    Household, HouseholdId, HouseholdInput, JournalEntry, LastVisit, Need, NeedId, Relation,
    Report, ReportId, ReportInput, ReportStatus, ResidentId, ResidentInput, RowError, Slot,
    StatusEvent, TemperatureCheck, Visit, VisitId, VisitInput, VisitPurpose, is_sha256_hex,
};

pub(crate) use wangge_schema::grid_index_id;

pub(crate) fn checks_doc_id(grid: &GridCode, day: NaiveDate) -> DocumentId {
    period_doc_id(DocKind::Checks, &format!("{grid}/{day}"))
}

fn month(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

pub(crate) fn visits_doc_id(grid: &GridCode, member: &str, day: NaiveDate) -> DocumentId {
    period_doc_id(DocKind::Visits, &format!("{grid}/{member}/{}", month(day)))
}

pub(crate) fn journal_doc_id(grid: &GridCode, member: &str, day: NaiveDate) -> DocumentId {
    period_doc_id(DocKind::Journal, &format!("{grid}/{member}/{}", month(day)))
}

pub(crate) fn dispatch_doc_id(report: ReportId) -> DocumentId {
    period_doc_id(DocKind::Dispatch, &report.0.to_string())
}

/// How a grid's index document starts where this device has none yet.
fn index_genesis(grid: &GridCode) -> Genesis<'_> {
    Genesis {
        kind: DocKind::GridIndex,
        scope: grid.scope(),
        attrs: &[],
    }
}

/// Records the household in its grid's index document.
fn add_to_index(
    batch: &mut super::Batch<'_>,
    grid: &GridCode,
    id: HouseholdId,
    now: i64,
) -> Result<()> {
    batch.change(grid_index_id(grid), Some(index_genesis(grid)), |tx| {
        Ok(regrid::list_household(tx, id.0, now)?)
    })
}

impl Store {
    /// `photo_missing` if any well-formed photo hash among `photos` is not in the store
    /// (malformed ones are the input's own problem).
    pub(super) fn photos_not_stored(&self, photos: &[String]) -> Result<Option<FieldError>> {
        for h in photos.iter().filter(|h| is_sha256_hex(h)) {
            if !self.has_blob(h)? {
                return Ok(Some(FieldError::new(
                    "photos",
                    ErrorCode::PhotoMissing,
                    "photo is not in the store",
                )));
            }
        }
        Ok(None)
    }

    /// Adds a household to a grid: its own document, and an entry in the grid's index.
    #[tracing::instrument(skip_all, fields(grid = %grid))]
    pub fn create_household(
        &mut self,
        grid: &GridCode,
        input: &HouseholdInput,
    ) -> Result<HouseholdId> {
        CoreError::check(input.problems())?;
        let id = HouseholdId::new();
        let now = self.now().timestamp_millis();
        let h = Household {
            id,
            grid: grid.clone(),
            address: input.address.clone(),
            head: None,
            tags: input.tags.iter().copied().collect(),
            needs_home_visit: input.needs_home_visit,
            notes: input.notes.clone(),
            last_visit: None,
            residents: vec![],
        };
        let mut batch = self.batch();
        let scope = grid.scope();
        batch.change(
            DocumentId::from_uuid(id.0),
            Some(Genesis {
                kind: DocKind::Household,
                scope,
                attrs: &[],
            }),
            |tx| {
                let obj = collection(tx, "household")?;
                write_fields(tx, &obj, &h.to_fields())
            },
        )?;
        add_to_index(&mut batch, grid, id, now)?;
        batch.commit()?;
        Ok(id)
    }

    /// Edits a household's own fields (address, tags, 红心户, notes).
    #[tracing::instrument(skip_all)]
    pub fn update_household(&mut self, id: HouseholdId, input: &HouseholdInput) -> Result<()> {
        CoreError::check(input.problems())?;
        let mut h = self.household(id)?;
        h.address = input.address.clone();
        h.tags = input.tags.iter().copied().collect();
        h.needs_home_visit = input.needs_home_visit;
        h.notes = input.notes.clone();
        let fields = h.to_fields();
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(id.0), None, |tx| {
            let obj = collection(tx, "household")?;
            write_fields(tx, &obj, &fields)
        })?;
        batch.commit()
    }

    /// Adds a resident to a household. The first 户主 added becomes the household's head.
    #[tracing::instrument(skip_all)]
    pub fn add_resident(
        &mut self,
        household: HouseholdId,
        input: &ResidentInput,
    ) -> Result<ResidentId> {
        let id = ResidentId::new();
        let r = input
            .validate(id, self.today())
            .map_err(CoreError::Invalid)?;
        let h = self.household(household)?;
        let becomes_head = r.relation == Relation::Head && h.head.is_none();
        let fields = r.to_fields();
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(household.0), None, |tx| {
            let coll = collection(tx, "residents")?;
            let obj = record_obj(tx, &coll, &id.0.to_string())?;
            write_fields(tx, &obj, &fields)?;
            if becomes_head {
                let hobj = collection(tx, "household")?;
                tx.put(&hobj, "head", id.0.to_string())?;
            }
            Ok(())
        })?;
        batch.commit()?;
        Ok(id)
    }

    /// Edits a resident; only the fields that changed are written, so an edit of another
    /// field on another device survives the merge.
    #[tracing::instrument(skip_all)]
    pub fn update_resident(&mut self, resident: ResidentId, input: &ResidentInput) -> Result<()> {
        let mut r = input
            .validate(resident, self.today())
            .map_err(CoreError::Invalid)?;
        let hid = self.household_of(resident)?;
        let current = self.household(hid)?;
        if let Some(old) = current.residents.iter().find(|x| x.id == resident) {
            r.moved_out = old.moved_out;
        }
        self.write_resident(hid, resident, &r.to_fields())
    }

    /// Marks a resident as moved out (or back in); history stays.
    pub fn set_moved_out(&mut self, resident: ResidentId, moved_out: bool) -> Result<()> {
        let hid = self.household_of(resident)?;
        let mut f = BTreeMap::new();
        f.insert("moved_out".to_owned(), FieldValue::Bool(moved_out));
        self.write_resident(hid, resident, &f)
    }

    fn write_resident(
        &mut self,
        hid: HouseholdId,
        resident: ResidentId,
        fields: &crate::model::fields::Fields,
    ) -> Result<()> {
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(hid.0), None, |tx| {
            let coll = collection(tx, "residents")?;
            let obj = record_obj(tx, &coll, &resident.0.to_string())?;
            write_fields(tx, &obj, fields)
        })?;
        batch.commit()
    }

    /// Settles a conflicting field of a resident on the value the member picked.
    #[tracing::instrument(skip(self, value))]
    pub fn resolve_resident_conflict(
        &mut self,
        resident: ResidentId,
        field: &str,
        value: &FieldValue,
    ) -> Result<()> {
        let hid = self.household_of(resident)?;
        // Validate by re-reading the resident with the chosen value.
        let mut h = self.household(hid)?;
        let r = h
            .residents
            .iter_mut()
            .find(|x| x.id == resident)
            .ok_or(CoreError::NotFound { what: "resident" })?;
        let mut fields = r.to_fields();
        if !fields.contains_key(field) || field == "id" {
            return Err(FieldError::new(
                "field",
                ErrorCode::UnknownField,
                "no such resident field",
            )
            .into());
        }
        fields.insert(field.to_owned(), value.clone());
        crate::model::Resident::from_fields(&fields).map_err(|_| {
            FieldError::new(
                "field",
                ErrorCode::InvalidValue,
                "value does not fit the field",
            )
        })?;
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(hid.0), None, |tx| {
            let coll = collection(tx, "residents")?;
            let obj = record_obj(tx, &coll, &resident.0.to_string())?;
            force_put(tx, &obj, field, value)
        })?;
        batch.commit()
    }

    /// Records a batch of checks for one slot today: one resident's, or a household's saved
    /// at once. Every valid row is saved (one change to each grid's day document, one
    /// transaction); every refused row comes back with its problems (an unreadable reading,
    /// an unknown resident), so one call answers for the whole batch. An empty batch is
    /// [`CoreError::Invalid`]; a batch with every row refused writes nothing.
    #[tracing::instrument(skip_all, fields(n = checks.len()))]
    pub fn record_checks(&mut self, slot: Slot, checks: &[CheckInput]) -> Result<ChecksRecorded> {
        if checks.is_empty() {
            return Err(FieldError::required("checks").into());
        }
        let now = self.now();
        let today = self.today();
        let mut out = ChecksRecorded::default();
        let mut by_grid: BTreeMap<GridCode, Vec<TemperatureCheck>> = BTreeMap::new();
        for (row, c) in checks.iter().enumerate() {
            let refuse = |error: FieldError| RowError {
                row,
                resident: c.resident,
                error,
            };
            let celsius = Celsius::parse(&c.temperature).map_err(refuse);
            let grid = match self.grid_of_resident(c.resident) {
                Ok(g) => Ok(g),
                Err(CoreError::NotFound { .. }) => Err(refuse(FieldError::new(
                    "resident",
                    ErrorCode::NotFound,
                    "no such resident on this device",
                ))),
                Err(e) => return Err(e),
            };
            let (celsius, grid) = match (celsius, grid) {
                (Ok(celsius), Ok(grid)) => (celsius, grid),
                (celsius, grid) => {
                    out.refused.extend(celsius.err());
                    out.refused.extend(grid.err());
                    continue;
                }
            };
            let check = TemperatureCheck {
                id: TemperatureCheck::id_for(c.resident, today, slot),
                resident: c.resident,
                grid: grid.clone(),
                date: today,
                slot,
                celsius,
                method: c.method,
                member: self.cfg.member.clone(),
                at: now,
            };
            out.saved.push(CheckSaved {
                row,
                resident: c.resident,
                id: check.id,
                tenths: celsius.tenths(),
                fever: celsius.is_fever(),
            });
            by_grid.entry(grid).or_default().push(check);
        }
        if by_grid.is_empty() {
            return Ok(out);
        }
        let date = today.to_string();
        let mut batch = self.batch();
        for (grid, list) in &by_grid {
            let scope = grid.scope();
            batch.change(
                checks_doc_id(grid, today),
                Some(Genesis {
                    kind: DocKind::Checks,
                    scope,
                    attrs: &[("date", &date)],
                }),
                |tx| {
                    let coll = collection(tx, "checks")?;
                    for c in list {
                        // A re-check replaces one of the first layout (keyed by check id).
                        let old_key = c.id.0.to_string();
                        if tx.get(&coll, old_key.as_str())?.is_some() {
                            tx.delete(&coll, old_key.as_str())?;
                        }
                        let key = TemperatureCheck::record_key(c.resident, c.slot);
                        let obj = record_obj(tx, &coll, &key)?;
                        write_fields(tx, &obj, &c.to_fields())?;
                    }
                    Ok(())
                },
            )?;
        }
        batch.commit()?;
        Ok(out)
    }

    /// The grid of a resident's household, from the index.
    fn grid_of_resident(&self, resident: ResidentId) -> Result<GridCode> {
        let household = self.household_of(resident)?;
        let grid: String = self
            .conn()
            .query_row(
                "SELECT grid FROM households WHERE id = ?1",
                [household.0.as_bytes()],
                |r| r.get(0),
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => CoreError::NotFound { what: "household" },
                e => e.into(),
            })?;
        grid.parse()
            .map_err(|e: FieldError| CoreError::Corrupt(e.to_string()))
    }

    /// Records a visit and the needs collected; the household remembers its last visit.
    #[tracing::instrument(skip_all, fields(purpose = input.purpose.code(), needs = input.needs.len()))]
    pub fn record_visit(&mut self, input: &VisitInput) -> Result<VisitId> {
        CoreError::check(input.problems())?;
        let h = self.household(input.household)?;
        let now = self.now();
        let today = self.today();
        let member = self.cfg.member.clone();
        let visit = Visit {
            id: VisitId::new(),
            household: h.id,
            grid: h.grid.clone(),
            member: member.clone(),
            at: now,
            purpose: input.purpose,
            notes: input.notes.clone(),
        };
        let needs: Vec<Need> = input
            .needs
            .iter()
            .map(|t| Need {
                id: NeedId::new(),
                visit: visit.id,
                household: h.id,
                text: t.trim().to_owned(),
                fulfilled: false,
            })
            .collect();
        let newer = h.last_visit.as_ref().is_none_or(|v| v.at <= now);
        let month = month(today);
        let scope = h.grid.scope();
        let mut batch = self.batch();
        batch.change(
            visits_doc_id(&h.grid, &member, today),
            Some(Genesis {
                kind: DocKind::Visits,
                scope,
                attrs: &[("member", &member), ("month", &month)],
            }),
            |tx| {
                let coll = collection(tx, "visits")?;
                let obj = record_obj(tx, &coll, &visit.id.0.to_string())?;
                write_fields(tx, &obj, &visit.to_fields())?;
                let coll = collection(tx, "needs")?;
                for n in &needs {
                    let obj = record_obj(tx, &coll, &n.id.0.to_string())?;
                    write_fields(tx, &obj, &n.to_fields())?;
                }
                Ok(())
            },
        )?;
        if newer {
            let last = LastVisit {
                at: now,
                purpose: input.purpose,
            };
            batch.change(DocumentId::from_uuid(h.id.0), None, |tx| {
                let obj = collection(tx, "household")?;
                tx.put(&obj, "last_visit_at", last.at.timestamp_millis())?;
                tx.put(&obj, "last_visit_purpose", last.purpose.code())?;
                Ok(())
            })?;
        }
        batch.commit()?;
        Ok(visit.id)
    }

    /// Drafts the member's journal for a day from that day's own records (录一次,处处用).
    pub fn draft_journal(&mut self, day: NaiveDate) -> Result<JournalEntry> {
        let member = self.cfg.member.clone();
        let d = day.to_string();
        let conn = self.conn();
        let mut items = vec![];
        let mut purposes: BTreeMap<String, i64> = BTreeMap::new();
        let mut stmt = conn.prepare_cached("SELECT purpose, count(DISTINCT household_id) FROM visits WHERE member = ?1 AND day = ?2 GROUP BY purpose")?;
        for row in stmt.query_map([&member, &d], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (p, n) = row?;
            purposes.insert(p, n);
        }
        let households: i64 = conn.query_row(
            "SELECT count(DISTINCT household_id) FROM visits WHERE member = ?1 AND day = ?2",
            [&member, &d],
            |r| r.get(0),
        )?;
        if households > 0 {
            let parts: Vec<String> = VisitPurpose::ALL
                .iter()
                .filter_map(|p| purposes.get(p.code()).map(|n| format!("{}{n}户", p.zh())))
                .collect();
            items.push(format!("入户走访{households}户({})", parts.join("、")));
        }
        let needs: i64 = conn.query_row(
            "SELECT count(*) FROM needs n JOIN visits v ON v.id = n.visit_id WHERE v.member = ?1 AND v.day = ?2",
            [&member, &d],
            |r| r.get(0),
        )?;
        if needs > 0 {
            items.push(format!("收集群众微心愿{needs}条"));
        }
        let (checks, fevers, people): (i64, i64, i64) = conn.query_row(
            "SELECT count(*), coalesce(sum(fever), 0), count(DISTINCT resident_id) FROM checks WHERE member = ?1 AND day = ?2",
            [&member, &d],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        if checks > 0 {
            let fever_text = if fevers > 0 {
                format!(",发热{fevers}人次,已按规定上报跟进")
            } else {
                ",未发现发热".to_owned()
            };
            items.push(format!("测温{people}人、{checks}人次{fever_text}"));
        }
        let mut cats: BTreeMap<String, i64> = BTreeMap::new();
        let mut stmt = conn.prepare_cached("SELECT category, count(*) FROM reports WHERE author = ?1 AND day = ?2 GROUP BY category")?;
        for row in stmt.query_map([&member, &d], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })? {
            let (c, n) = row?;
            cats.insert(c, n);
        }
        let total: i64 = cats.values().sum();
        if total > 0 {
            let parts: Vec<String> = Category::ALL
                .iter()
                .filter_map(|c| cats.get(c.code()).map(|n| format!("{}{n}件", c.zh())))
                .collect();
            items.push(format!("上报事件{total}件({})", parts.join("、")));
        }
        Ok(JournalEntry {
            id: JournalEntry::id_for(&member, day),
            date: day,
            member,
            items,
            notes: String::new(),
        })
    }

    /// Saves the member's journal entry for a day (text fields merge across devices).
    #[tracing::instrument(skip_all)]
    pub fn save_journal(
        &mut self,
        grid: &GridCode,
        day: NaiveDate,
        items: &[String],
        notes: &str,
    ) -> Result<()> {
        CoreError::check(JournalEntry::problems(items, notes))?;
        let member = self.cfg.member.clone();
        let entry = JournalEntry {
            id: JournalEntry::id_for(&member, day),
            date: day,
            member: member.clone(),
            items: items
                .iter()
                .map(|i| i.trim().to_owned())
                .filter(|i| !i.is_empty())
                .collect(),
            notes: notes.to_owned(),
        };
        let month = month(day);
        let scope = grid.scope();
        let mut batch = self.batch();
        batch.change(
            journal_doc_id(grid, &member, day),
            Some(Genesis {
                kind: DocKind::Journal,
                scope,
                attrs: &[("member", &member), ("month", &month)],
            }),
            |tx| {
                let coll = collection(tx, "entries")?;
                let obj = record_obj(tx, &coll, &entry.id.0.to_string())?;
                write_fields(tx, &obj, &entry.to_fields())
            },
        )?;
        batch.commit()
    }

    /// Files a report. Its photos must already be in the blob store; they are queued for
    /// upload to the report's grid in the same transaction. A report with a photo also
    /// enters the chain of command: its 上报 step goes into its dispatch document in the
    /// same action. One without a photo is stored as before and stays outside the chain
    /// (the chain's 上报 needs evidence) until a 上报 step is taken for it. A device whose
    /// party may not file (a centre, a department) is refused with
    /// [`CoreError::Refused`].
    #[tracing::instrument(skip_all, fields(grid = %grid, category = input.category.code(), photos = input.photos.len()))]
    pub fn file_report(&mut self, grid: &GridCode, input: &ReportInput) -> Result<ReportId> {
        let mut problems = input.problems();
        problems.extend(self.photos_not_stored(&input.photos)?);
        CoreError::check(problems)?;
        let report = Report {
            id: ReportId::new(),
            grid: grid.clone(),
            category: input.category,
            severity: input.severity,
            place: input.place.trim().to_owned(),
            gps: input.gps,
            description: input.description.trim().to_owned(),
            photos: input.photos.iter().cloned().collect(),
            author: self.cfg.member.clone(),
            created_at: self.now(),
        };
        let file_step = self.file_step(grid, &report)?;
        let scope = grid.scope();
        let mut batch = self.batch();
        batch.change(
            DocumentId::from_uuid(report.id.0),
            Some(Genesis {
                kind: DocKind::Report,
                scope,
                attrs: &[],
            }),
            |tx| {
                let obj = collection(tx, "report")?;
                write_fields(tx, &obj, &report.to_fields())
            },
        )?;
        for h in &report.photos {
            batch.queue_upload(h, scope.as_str());
        }
        if let Some(step) = &file_step {
            super::events::write_steps(&mut batch, report.id, grid, std::slice::from_ref(step))?;
        }
        batch.commit()?;
        Ok(report.id)
    }

    /// Adds a step to a report's history (派单, 处置, 办结, 评价) in its dispatch document.
    #[tracing::instrument(skip(self, note))]
    pub fn add_report_status(
        &mut self,
        report: ReportId,
        status: ReportStatus,
        note: &str,
        deadline: Option<DateTime<Utc>>,
        rating: Option<u8>,
    ) -> Result<EventId> {
        let mut problems = vec![];
        if status == ReportStatus::Reported {
            problems.push(FieldError::new(
                "status",
                ErrorCode::InvalidStatus,
                "a report is reported by filing it",
            ));
        }
        if status == ReportStatus::Rated && !matches!(rating, Some(1..=5)) {
            problems.push(FieldError::new(
                "rating",
                ErrorCode::InvalidRating,
                "rating is 1-5",
            ));
        }
        if note.chars().count() > 2000 {
            problems.push(FieldError::new("note", ErrorCode::TooLong, "note too long"));
        }
        CoreError::check(problems)?;
        let (r, _) = self.report(report)?;
        let event = StatusEvent {
            id: EventId::new(),
            status,
            at: self.now(),
            by: self.cfg.member.clone(),
            note: note.to_owned(),
            deadline: if status == ReportStatus::Dispatched {
                deadline
            } else {
                None
            },
            rating: if status == ReportStatus::Rated {
                rating
            } else {
                None
            },
        };
        let rid = report.0.to_string();
        let scope = r.grid.scope();
        let mut batch = self.batch();
        batch.change(
            dispatch_doc_id(report),
            Some(Genesis {
                kind: DocKind::Dispatch,
                scope,
                attrs: &[("report", &rid)],
            }),
            |tx| {
                let coll = collection(tx, "events")?;
                let obj = record_obj(tx, &coll, &event.id.0.to_string())?;
                write_fields(tx, &obj, &event.to_fields())
            },
        )?;
        batch.commit()?;
        Ok(event.id)
    }

    /// Re-gridding: moves a household to another grid. Its document (and so its history)
    /// stays the same; its scope and both grids' index documents change. Records written
    /// earlier stay in the old grid's period documents.
    #[tracing::instrument(skip_all, fields(to = %to))]
    pub fn move_household(&mut self, id: HouseholdId, to: &GridCode) -> Result<()> {
        let h = self.household(id)?;
        if &h.grid == to {
            return Ok(());
        }
        let now = self.now().timestamp_millis();
        // The schema's move: the same changes the relay's `admin move-household` makes.
        let mv = HouseholdMove {
            household: id.0,
            from: h.grid.clone(),
            to: to.clone(),
            at_millis: now,
        };
        let mut batch = self.batch();
        batch.change(mv.household_doc(), None, |tx| Ok(mv.edit_household(tx)?))?;
        batch.change(mv.from_index(), Some(index_genesis(&mv.from)), |tx| {
            Ok(mv.edit_from_index(tx)?)
        })?;
        batch.change(mv.to_index(), Some(index_genesis(&mv.to)), |tx| {
            Ok(mv.edit_to_index(tx)?)
        })?;
        batch.commit()
    }

    /// Household ids listed in a grid's index document.
    pub fn grid_index(&mut self, grid: &GridCode) -> Result<Vec<HouseholdId>> {
        let Some(doc) = self.doc_with_content(&grid_index_id(grid))? else {
            return Ok(vec![]);
        };
        let coll = collection(doc, "households")?;
        let mut out = vec![];
        for k in automerge::ReadDoc::keys(doc, &coll) {
            out.push(HouseholdId(
                k.parse()
                    .map_err(|_| CoreError::Corrupt("grid index key".into()))?,
            ));
        }
        Ok(out)
    }

    /// Reads every household document in a grid's index, for consistency checks.
    pub fn households_in_index(&mut self, grid: &GridCode) -> Result<Vec<Household>> {
        let mut out = vec![];
        for id in self.grid_index(grid)? {
            if let Some(doc) = self.doc_with_content(&DocumentId::from_uuid(id.0))?
                && let Some(h) = read_household(doc)?
            {
                out.push(h);
            }
        }
        Ok(out)
    }
}
