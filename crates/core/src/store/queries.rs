//! Reads for screens: from index tables, loading a document only to show one record.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;
use wangge_proto::DocumentId;

use super::Store;
use super::index::{read_checks, read_household};
use super::search::uuid_from;
use crate::doc::{DocKind, collection, conflicts, period_doc_id, read_collection, read_fields};
use crate::error::{CoreError, Result};
use crate::model::FieldConflict;
use crate::model::{
    GridCode, Household, HouseholdId, JournalEntry, Report, ReportId, ReportStatus, ResidentId,
    Slot, StatusEvent, TemperatureCheck, Visit, current_status,
};

/// A household row in a grid's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdSummary {
    /// The household.
    pub id: HouseholdId,
    /// Its grid.
    pub grid: String,
    /// Address, one line.
    pub address: String,
    /// Head of household's name.
    pub head_name: Option<String>,
    /// Household and resident tags together (codes, deduplicated).
    pub tags: Vec<String>,
    /// 红色爱心户.
    pub needs_home_visit: bool,
    /// Residents living here.
    pub resident_count: i64,
    /// Last visit.
    pub last_visit_at: Option<DateTime<Utc>>,
    /// Whole local days since the last visit.
    pub days_since_visit: Option<i64>,
}

/// A temperature check row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckRow {
    /// Who.
    pub resident: ResidentId,
    /// Their household; `None` while the resident's household document has not arrived.
    pub household: Option<HouseholdId>,
    /// Name (empty while the household document has not arrived).
    pub name: String,
    /// Morning or afternoon.
    pub slot: Slot,
    /// Tenths of °C.
    pub tenths: i64,
    /// ≥ 37.3 °C.
    pub fever: bool,
}

/// A report row in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReportRow {
    /// The report.
    pub id: ReportId,
    /// Its grid.
    pub grid: String,
    /// Category code.
    pub category: String,
    /// Severity code.
    pub severity: String,
    /// Where it stands.
    pub status: ReportStatus,
    /// Filed.
    pub created_at: DateTime<Utc>,
    /// Deadline, once dispatched.
    pub deadline: Option<DateTime<Utc>>,
    /// Past its deadline and not closed (超期).
    pub overdue: bool,
    /// Photos attached.
    pub photo_count: i64,
}

/// Today at a glance, for a member's home screen and journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DaySummary {
    /// The local day.
    pub date: String,
    /// Checks recorded that day in the grids.
    pub checks_done: i64,
    /// Checks expected (current residents × 2 slots).
    pub checks_due: i64,
    /// Fever readings.
    pub fevers: i64,
    /// Visits that day by this member.
    pub visits: i64,
    /// Reports filed that day by this member.
    pub reports_filed: i64,
    /// Reports in the grids not yet closed.
    pub open_reports: i64,
}

/// Something that changed (for "what changed since" views and sync diagnostics).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// Record kind (`household`, `resident`, `check`, `visit`, `journal`, `report`).
    pub kind: &'static str,
    /// Record id.
    pub id: String,
    /// When this device learned of it (ms since epoch).
    pub updated_at: i64,
}

fn ts(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

impl Store {
    /// A grid's households, by address.
    pub fn households_of_grid(&self, grid: &GridCode) -> Result<Vec<HouseholdSummary>> {
        let today = self.today();
        let mut stmt = self.conn().prepare_cached(
            "SELECT h.id, h.grid, h.address, h.head_name, h.tags, h.needs_home_visit, h.resident_count, h.last_visit_at,
                    (SELECT group_concat(r.tags) FROM residents r WHERE r.household_id = h.id AND r.moved_out = 0)
             FROM households h WHERE h.grid = ?1 ORDER BY h.address",
        )?;
        let rows = stmt.query_map([grid.as_str()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, grid, address, head_name, tags, needs_home_visit, resident_count, last, rtags) =
                row?;
            let mut all: Vec<String> = tags
                .split(',')
                .chain(rtags.as_deref().unwrap_or("").split(','))
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            all.sort();
            all.dedup();
            let last_visit_at = last.map(ts);
            out.push(HouseholdSummary {
                id: HouseholdId(uuid_from(&id)?),
                grid,
                address,
                head_name,
                tags: all,
                needs_home_visit,
                resident_count,
                days_since_visit: last_visit_at.map(|at| (today - self.day_of(at)).num_days()),
                last_visit_at,
            });
        }
        Ok(out)
    }

    /// One household with its residents (loads its document).
    pub fn household(&mut self, id: HouseholdId) -> Result<Household> {
        let doc = self
            .doc_with_content(&DocumentId::from_uuid(id.0))?
            .ok_or(CoreError::NotFound { what: "household" })?;
        read_household(doc)?.ok_or(CoreError::NotFound { what: "household" })
    }

    /// The household a resident lives in.
    pub fn household_of(&self, resident: ResidentId) -> Result<HouseholdId> {
        let hid: Vec<u8> = self
            .conn()
            .query_row(
                "SELECT household_id FROM residents WHERE id = ?1",
                [resident.0.as_bytes()],
                |r| r.get(0),
            )
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => CoreError::NotFound { what: "resident" },
                e => e.into(),
            })?;
        Ok(HouseholdId(uuid_from(&hid)?))
    }

    /// Fields of a resident edited concurrently on two devices, every value still visible.
    pub fn resident_conflicts(&mut self, resident: ResidentId) -> Result<Vec<FieldConflict>> {
        let hid = self.household_of(resident)?;
        let doc = self
            .doc_with_content(&DocumentId::from_uuid(hid.0))?
            .ok_or(CoreError::NotFound { what: "household" })?;
        let coll = collection(doc, "residents")?;
        match automerge::ReadDoc::get(doc, &coll, resident.0.to_string().as_str())? {
            Some((automerge::Value::Object(automerge::ObjType::Map), obj)) => conflicts(doc, &obj),
            _ => Err(CoreError::NotFound { what: "resident" }),
        }
    }

    /// Fields of the household record itself edited concurrently.
    pub fn household_conflicts(&mut self, id: HouseholdId) -> Result<Vec<FieldConflict>> {
        let doc = self
            .doc_with_content(&DocumentId::from_uuid(id.0))?
            .ok_or(CoreError::NotFound { what: "household" })?;
        let obj = collection(doc, "household")?;
        conflicts(doc, &obj)
    }

    /// Every check of a grid on a local day.
    pub fn checks_of_day(&self, grid: &GridCode, day: NaiveDate) -> Result<Vec<CheckRow>> {
        self.check_rows(grid, day, false)
    }

    /// Fever readings of a grid on a local day.
    pub fn fever_list(&self, grid: &GridCode, day: NaiveDate) -> Result<Vec<CheckRow>> {
        self.check_rows(grid, day, true)
    }

    fn check_rows(
        &self,
        grid: &GridCode,
        day: NaiveDate,
        fever_only: bool,
    ) -> Result<Vec<CheckRow>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT c.resident_id, r.household_id, coalesce(r.name, ''), c.slot, c.tenths, c.fever
             FROM checks c LEFT JOIN residents r ON r.id = c.resident_id
             WHERE c.grid = ?1 AND c.day = ?2 AND (?3 = 0 OR c.fever = 1)
             ORDER BY c.fever DESC, c.slot, r.name",
        )?;
        let rows = stmt.query_map(params![grid.as_str(), day.to_string(), fever_only], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Option<Vec<u8>>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (rid, hid, name, slot, tenths, fever) = row?;
            out.push(CheckRow {
                resident: ResidentId(uuid_from(&rid)?),
                household: hid.as_deref().map(uuid_from).transpose()?.map(HouseholdId),
                name,
                slot: Slot::from_code(&slot)
                    .ok_or_else(|| CoreError::Corrupt("checks.slot".into()))?,
                tenths,
                fever,
            });
        }
        Ok(out)
    }

    /// The full checks of a household for a day (loads the day's document).
    pub fn household_checks(
        &mut self,
        grid: &GridCode,
        household: HouseholdId,
        day: NaiveDate,
    ) -> Result<Vec<TemperatureCheck>> {
        let id = period_doc_id(DocKind::Checks, &format!("{grid}/{day}"));
        let Some(doc) = self.doc_with_content(&id)? else {
            return Ok(vec![]);
        };
        let mut all = read_checks(doc)?;
        let residents: BTreeSet<[u8; 16]> = self
            .conn()
            .prepare_cached("SELECT id FROM residents WHERE household_id = ?1")?
            .query_map([household.0.as_bytes()], |r| r.get::<_, [u8; 16]>(0))?
            .collect::<rusqlite::Result<_>>()?;
        all.retain(|c| residents.contains(c.resident.0.as_bytes()));
        all.sort_by_key(|c| (c.slot, c.resident));
        Ok(all)
    }

    /// Reports of the grids (all on the device when empty), optionally of one status, newest first.
    pub fn reports(
        &self,
        grids: &[GridCode],
        status: Option<ReportStatus>,
    ) -> Result<Vec<ReportRow>> {
        let now = self.now();
        let mut stmt = self.conn().prepare_cached(
            "SELECT r.id, r.grid, r.category, r.severity, coalesce(s.status, 'reported'), r.created_at, s.deadline, r.photo_count
             FROM reports r LEFT JOIN report_status s ON s.report_id = r.id
             WHERE (?1 IS NULL OR coalesce(s.status, 'reported') = ?1)
             ORDER BY r.created_at DESC",
        )?;
        let rows = stmt.query_map([status.map(ReportStatus::code)], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })?;
        let mut out = vec![];
        for row in rows {
            let (id, grid, category, severity, status, created, deadline, photo_count) = row?;
            if !grids.is_empty() && !grids.iter().any(|g| g.as_str() == grid) {
                continue;
            }
            let status = ReportStatus::from_code(&status)
                .ok_or_else(|| CoreError::Corrupt("report status".into()))?;
            let deadline = deadline.map(ts);
            let open = !matches!(status, ReportStatus::Closed | ReportStatus::Rated);
            out.push(ReportRow {
                id: ReportId(uuid_from(&id)?),
                grid,
                category,
                severity,
                status,
                created_at: ts(created),
                overdue: open && deadline.is_some_and(|d| d < now),
                deadline,
                photo_count,
            });
        }
        Ok(out)
    }

    /// One report and its status history, oldest first.
    pub fn report(&mut self, id: ReportId) -> Result<(Report, Vec<StatusEvent>)> {
        let doc = self
            .doc_with_content(&DocumentId::from_uuid(id.0))?
            .ok_or(CoreError::NotFound { what: "report" })?;
        let f = read_fields(doc, &collection(doc, "report")?)?;
        let report = Report::from_fields(&f)?;
        let dispatch = super::actions::dispatch_doc_id(id);
        let mut events = match self.doc_with_content(&dispatch)? {
            Some(doc) => read_collection(doc, "events", StatusEvent::from_fields)?,
            None => vec![],
        };
        current_status(&mut events);
        Ok((report, events))
    }

    /// A member's visits on a local day (loads the month's document).
    pub fn visits_of_day(&mut self, grid: &GridCode, day: NaiveDate) -> Result<Vec<Visit>> {
        let member = self.cfg.member.clone();
        let id = super::actions::visits_doc_id(grid, &member, day);
        let tz = self.cfg.tz;
        let Some(doc) = self.doc_with_content(&id)? else {
            return Ok(vec![]);
        };
        let mut v = read_collection(doc, "visits", Visit::from_fields)?;
        v.retain(|v| crate::clock::local_day(v.at, tz) == day && v.member == member);
        v.sort_by_key(|v| v.at);
        Ok(v)
    }

    /// This member's saved journal entry for a day, if any.
    pub fn journal_entry(
        &mut self,
        grid: &GridCode,
        day: NaiveDate,
    ) -> Result<Option<JournalEntry>> {
        let member = self.cfg.member.clone();
        let id = super::actions::journal_doc_id(grid, &member, day);
        let key = JournalEntry::id_for(&member, day).0.to_string();
        let Some(doc) = self.doc_with_content(&id)? else {
            return Ok(None);
        };
        let coll = collection(doc, "entries")?;
        match automerge::ReadDoc::get(doc, &coll, key.as_str())? {
            Some((automerge::Value::Object(automerge::ObjType::Map), obj)) => {
                Ok(Some(JournalEntry::from_fields(&read_fields(doc, &obj)?)?))
            }
            _ => Ok(None),
        }
    }

    /// Days on which this member has a journal entry, newest first.
    pub fn journal_days(&self) -> Result<Vec<NaiveDate>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT day FROM journal WHERE member = ?1 ORDER BY day DESC")?;
        let days = stmt.query_map([&self.cfg.member], |r| r.get::<_, String>(0))?;
        let mut out = vec![];
        for d in days {
            out.push(
                d?.parse()
                    .map_err(|_| CoreError::Corrupt("journal.day".into()))?,
            );
        }
        Ok(out)
    }

    /// The day's work in numbers, over `grids`.
    pub fn day_summary(&self, grids: &[GridCode], day: NaiveDate) -> Result<DaySummary> {
        let d = day.to_string();
        let member = &self.cfg.member;
        let mut s = DaySummary {
            date: d.clone(),
            ..Default::default()
        };
        for g in grids {
            let (done, fevers): (i64, i64) = self.conn().query_row(
                "SELECT count(*), coalesce(sum(fever), 0) FROM checks WHERE grid = ?1 AND day = ?2",
                params![g.as_str(), d],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let residents: i64 = self.conn().query_row(
                "SELECT count(*) FROM residents WHERE grid = ?1 AND moved_out = 0",
                [g.as_str()],
                |r| r.get(0),
            )?;
            s.checks_done += done;
            s.fevers += fevers;
            s.checks_due += residents * 2;
        }
        s.visits = self.conn().query_row(
            "SELECT count(*) FROM visits WHERE member = ?1 AND day = ?2",
            params![member, d],
            |r| r.get(0),
        )?;
        s.reports_filed = self.conn().query_row(
            "SELECT count(*) FROM reports WHERE author = ?1 AND day = ?2",
            params![member, d],
            |r| r.get(0),
        )?;
        s.open_reports = self
            .reports(grids, None)?
            .iter()
            .filter(|r| !matches!(r.status, ReportStatus::Closed | ReportStatus::Rated))
            .count() as i64;
        Ok(s)
    }

    /// Records this device learned of after `since` (ms since epoch), oldest first.
    pub fn changed_since(&self, since: i64, limit: usize) -> Result<Vec<Changed>> {
        const KINDS: [(&str, &str); 6] = [
            ("household", "households"),
            ("resident", "residents"),
            ("check", "checks"),
            ("visit", "visits"),
            ("journal", "journal"),
            ("report", "reports"),
        ];
        let mut out = vec![];
        for (kind, table) in KINDS {
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT id, updated_at FROM {table} WHERE updated_at > ?1 ORDER BY updated_at LIMIT ?2"
            ))?;
            let rows = stmt.query_map(params![since, limit as i64], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (id, updated_at) = row?;
                out.push(Changed {
                    kind,
                    id: uuid_from(&id)?.to_string(),
                    updated_at,
                });
            }
        }
        out.sort_by_key(|c| c.updated_at);
        out.truncate(limit);
        Ok(out)
    }
}
