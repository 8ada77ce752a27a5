//! Index rows derived from documents: what lists, search and summaries read without
//! loading documents. Rebuilt for exactly the records a change touched.

use std::collections::BTreeSet;

use automerge::{Automerge, ChangeHash, ObjType, Prop, ReadDoc, Value};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::{Connection, params};
use wangge_proto::DocumentId;

use wangge_schema::regrid;

use super::search::{grams, reversed};
use crate::clock::local_day;
use crate::doc::{DocKind, collection, read_collection, read_fields, root_str, scope_of};
use crate::error::{CoreError, Result};
use crate::model::{
    GridCode, Household, JournalEntry, Need, Report, Resident, StatusEvent, TemperatureCheck,
    Visit, current_status,
};
use wangge_text::pinyin_keys;

impl super::Store {
    /// Rebuilds the index rows of every stored document of `kind`, one transaction each
    /// (what a store made before an index existed fills it with on open). Returns how many.
    pub(super) fn reindex_kind(&mut self, kind: DocKind) -> Result<usize> {
        let ids: Vec<_> = self
            .doc_ids()?
            .into_iter()
            .filter(|(_, k, _)| *k == Some(kind))
            .map(|(id, _, _)| id)
            .collect();
        let now = self.now().timestamp_millis();
        let tz = self.cfg.tz;
        for id in &ids {
            if self.doc_with_content(id)?.is_none() {
                continue;
            }
            let super::Store { conn, cache, .. } = &mut *self;
            let doc = cache
                .get_mut(id)
                .ok_or(CoreError::NotFound { what: "document" })?;
            let tx = conn.transaction()?;
            reindex(&tx, doc, id, kind, &[], now, tz)?;
            tx.commit()?;
        }
        Ok(ids.len())
    }
}

/// Brings the index rows of document `id` up to date after changes since `before`.
pub(crate) fn reindex(
    conn: &Connection,
    doc: &Automerge,
    id: &DocumentId,
    kind: DocKind,
    before: &[ChangeHash],
    now: i64,
    tz: Tz,
) -> Result<()> {
    match kind {
        DocKind::Notice => super::notices::index_notice(conn, doc),
        DocKind::Receipts => super::notices::index_receipts(conn, doc, before),
        DocKind::Campaign => super::campaigns::index_campaign(conn, doc),
        DocKind::CampaignResults => super::campaigns::index_results(conn, doc, before),
        DocKind::Household => household(conn, doc, now),
        DocKind::GridIndex => {
            let grid = scope_of(doc)?;
            for key in touched(doc, before, regrid::INDEX_COLLECTION)? {
                if record(doc, regrid::INDEX_COLLECTION, &key)?.is_none()
                    && let Ok(household) = key.parse::<uuid::Uuid>()
                {
                    household_left_grid(conn, household, &grid)?;
                }
            }
            Ok(())
        }
        DocKind::Checks => {
            let (grid, date) = checks_doc_meta(doc)?;
            let mut present = vec![];
            // Removals first: a first-layout record replaced by its new-layout key has
            // the same check id, and its removal must not take the new row with it.
            for key in touched(doc, before, "checks")? {
                match record(doc, "checks", &key)? {
                    Some(f) => present.push(TemperatureCheck::from_record(&key, &f, &grid, date)?),
                    None => {
                        let id = match TemperatureCheck::parse_record_key(&key) {
                            Some((r, slot)) => TemperatureCheck::id_for(r, date, slot)
                                .0
                                .as_bytes()
                                .to_vec(),
                            None => uuid_bytes(&key),
                        };
                        conn.execute("DELETE FROM checks WHERE id = ?1", [id])?;
                    }
                }
            }
            for c in &present {
                check(conn, id, c, now)?;
            }
            Ok(())
        }
        DocKind::Visits => {
            for key in touched(doc, before, "visits")? {
                if let Some(f) = record(doc, "visits", &key)? {
                    visit(conn, id, &Visit::from_fields(&f)?, now, tz)?;
                }
            }
            for key in touched(doc, before, "needs")? {
                if let Some(f) = record(doc, "needs", &key)? {
                    let n = Need::from_fields(&f)?;
                    conn.prepare_cached(
                        "INSERT OR REPLACE INTO needs (id, doc_id, visit_id, household_id, fulfilled, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )?
                    .execute(params![n.id.0.as_bytes(), id.as_bytes(), n.visit.0.as_bytes(), n.household.0.as_bytes(), n.fulfilled, now])?;
                }
            }
            Ok(())
        }
        DocKind::Journal => {
            for key in touched(doc, before, "entries")? {
                if let Some(f) = record(doc, "entries", &key)? {
                    let e = JournalEntry::from_fields(&f)?;
                    conn.prepare_cached(
                        "INSERT OR REPLACE INTO journal (id, doc_id, member, day, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    )?
                    .execute(params![e.id.0.as_bytes(), id.as_bytes(), e.member, e.date.to_string(), now])?;
                }
            }
            Ok(())
        }
        DocKind::Report => {
            let f = read_fields(doc, &collection(doc, "report")?)?;
            if f.is_empty() {
                return Ok(());
            }
            let r = Report::from_fields(&f)?;
            conn.prepare_cached(
                "INSERT OR REPLACE INTO reports (id, grid, category, severity, author, day, created_at, photo_count, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                r.id.0.as_bytes(),
                r.grid.as_str(),
                r.category.code(),
                r.severity.code(),
                r.author,
                local_day(r.created_at, tz).to_string(),
                r.created_at.timestamp_millis(),
                r.photos.len() as i64,
                now
            ])?;
            super::transfers::index_report_photos(conn, &r)?;
            Ok(())
        }
        DocKind::Dispatch => {
            let report_id: String = match doc.get(automerge::ROOT, "report")? {
                Some((Value::Scalar(s), _)) => s.as_str().unwrap_or_default().to_owned(),
                _ => return Ok(()),
            };
            let report_id: uuid::Uuid = report_id.parse().map_err(|_| {
                crate::error::CoreError::Corrupt("dispatch.report is not an id".into())
            })?;
            let mut events = read_collection(doc, "events", StatusEvent::from_fields)?;
            let chain = super::event_index::index_event(conn, doc, report_id, now)?;
            // Status events of the first layout win where there are any; otherwise the
            // report list shows what the steps say.
            let (status, deadline) = match chain {
                Some(from_steps) if events.is_empty() => from_steps,
                _ => (
                    current_status(&mut events),
                    events
                        .iter()
                        .rev()
                        .find_map(|e| e.deadline)
                        .map(|d| d.timestamp_millis()),
                ),
            };
            conn.prepare_cached(
                "INSERT OR REPLACE INTO report_status (report_id, status, deadline, updated_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![report_id.as_bytes(), status.code(), deadline, now])?;
            Ok(())
        }
    }
}

/// A household its grid's index no longer lists. Where this device lists it under that
/// grid, its copy of the household still says so: the household moved to a grid this
/// device does not read, so it will never see the household's own change. It leaves the
/// lists and search here, and its document stops syncing (retired) until a change to it
/// arrives (a move back). Its history stays in the store, and the records written in the
/// old grid's period documents stay where the work was done.
fn household_left_grid(conn: &Connection, household: uuid::Uuid, grid: &str) -> Result<()> {
    let hid = household.as_bytes();
    let n = conn
        .prepare_cached("DELETE FROM households WHERE id = ?1 AND grid = ?2")?
        .execute(params![hid, grid])?;
    if n == 0 {
        return Ok(());
    }
    conn.prepare_cached("DELETE FROM household_grams WHERE household_id = ?1")?
        .execute([hid])?;
    conn.prepare_cached(
        "DELETE FROM resident_grams WHERE resident_id IN (SELECT id FROM residents WHERE household_id = ?1)",
    )?
    .execute([hid])?;
    conn.prepare_cached("DELETE FROM residents WHERE household_id = ?1")?
        .execute([hid])?;
    conn.prepare_cached("UPDATE docs SET retired = 1 WHERE id = ?1")?
        .execute([DocumentId::from_uuid(household).as_bytes()])?;
    tracing::info!(doc = %DocumentId::from_uuid(household), "household moved out of this device's grids");
    Ok(())
}

fn uuid_bytes(key: &str) -> Vec<u8> {
    key.parse::<uuid::Uuid>()
        .map(|u| u.as_bytes().to_vec())
        .unwrap_or_default()
}

/// Record keys in `coll` that changed between `before` and now.
pub(crate) fn touched(
    doc: &Automerge,
    before: &[ChangeHash],
    coll: &str,
) -> Result<BTreeSet<String>> {
    let coll_id = collection(doc, coll)?;
    if before.is_empty() {
        return Ok(doc.keys(&coll_id).collect());
    }
    let mut keys = BTreeSet::new();
    for p in doc.diff(before, &doc.get_heads()) {
        if p.obj == coll_id {
            match &p.action {
                automerge::PatchAction::PutMap { key, .. }
                | automerge::PatchAction::DeleteMap { key } => {
                    keys.insert(key.clone());
                }
                _ => {}
            }
        } else if let Some((_, Prop::Map(key))) = p.path.iter().find(|(o, _)| *o == coll_id) {
            keys.insert(key.clone());
        }
    }
    Ok(keys)
}

fn record(doc: &Automerge, coll: &str, key: &str) -> Result<Option<crate::model::fields::Fields>> {
    let coll_id = collection(doc, coll)?;
    match doc.get(&coll_id, key)? {
        Some((Value::Object(ObjType::Map), obj)) => Ok(Some(read_fields(doc, &obj)?)),
        _ => Ok(None),
    }
}

/// The grid (its scope) and the local day of a checks document.
fn checks_doc_meta(doc: &Automerge) -> Result<(GridCode, NaiveDate)> {
    let grid = scope_of(doc)?
        .parse::<GridCode>()
        .map_err(|e| CoreError::Document(format!("checks scope: {e}")))?;
    let date = root_str(doc, "date")?
        .parse::<NaiveDate>()
        .map_err(|e| CoreError::Document(format!("checks date: {e}")))?;
    Ok((grid, date))
}

/// Every check of a checks document.
pub(crate) fn read_checks(doc: &Automerge) -> Result<Vec<TemperatureCheck>> {
    let (grid, date) = checks_doc_meta(doc)?;
    let coll = collection(doc, "checks")?;
    let mut out = vec![];
    for key in doc.keys(&coll) {
        if let Some((Value::Object(ObjType::Map), obj)) = doc.get(&coll, key.as_str())? {
            out.push(TemperatureCheck::from_record(
                &key,
                &read_fields(doc, &obj)?,
                &grid,
                date,
            )?);
        }
    }
    Ok(out)
}

/// Reads the household and its residents from a household document.
pub(crate) fn read_household(doc: &Automerge) -> Result<Option<Household>> {
    let f = read_fields(doc, &collection(doc, "household")?)?;
    if f.is_empty() {
        return Ok(None);
    }
    let mut residents = read_collection(doc, "residents", Resident::from_fields)?;
    residents.sort_by(|a, b| (a.relation, &a.name).cmp(&(b.relation, &b.name)));
    Ok(Some(Household::from_fields(&f, residents)?))
}

fn household(conn: &Connection, doc: &Automerge, now: i64) -> Result<()> {
    let Some(h) = read_household(doc)? else {
        return Ok(());
    };
    let hid = h.id.0.as_bytes().to_vec();
    let address = h.address.display();
    let tags = h
        .tags
        .iter()
        .map(|t| t.code())
        .collect::<Vec<_>>()
        .join(",");
    conn.prepare_cached(
        "INSERT OR REPLACE INTO households (id, grid, address, head_name, tags, needs_home_visit, resident_count, last_visit_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        hid,
        h.grid.as_str(),
        address,
        h.head_name(),
        tags,
        h.needs_home_visit,
        h.current_residents().count() as i64,
        h.last_visit.as_ref().map(|v| v.at.timestamp_millis()),
        now
    ])?;
    conn.prepare_cached("DELETE FROM household_grams WHERE household_id = ?1")?
        .execute([&hid])?;
    let mut ins = conn.prepare_cached(
        "INSERT OR IGNORE INTO household_grams (gram, household_id) VALUES (?1, ?2)",
    )?;
    for g in grams(&address) {
        ins.execute(params![g, hid])?;
    }
    let old: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT id FROM residents WHERE household_id = ?1")?
        .query_map([&hid], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for rid in old {
        conn.prepare_cached("DELETE FROM resident_grams WHERE resident_id = ?1")?
            .execute([&rid])?;
    }
    conn.prepare_cached("DELETE FROM residents WHERE household_id = ?1")?
        .execute([&hid])?;
    let mut ins_r = conn.prepare_cached(
        "INSERT OR REPLACE INTO residents (id, household_id, grid, name, initials, pinyin, phone_rev, id_rev, tags, moved_out, updated_at, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    let mut ins_g = conn.prepare_cached(
        "INSERT OR IGNORE INTO resident_grams (gram, resident_id) VALUES (?1, ?2)",
    )?;
    for r in &h.residents {
        let rid = r.id.0.as_bytes();
        let (initials, full) = pinyin_keys(&r.name);
        let tags = r
            .tags
            .iter()
            .map(|t| t.code())
            .collect::<Vec<_>>()
            .join(",");
        ins_r.execute(params![
            rid,
            hid,
            h.grid.as_str(),
            r.name,
            initials,
            full,
            r.phone.as_ref().map(|p| reversed(&p.digits())),
            r.id_number.as_ref().map(|i| reversed(i.as_str())),
            tags,
            r.moved_out,
            now,
            r.status.code()
        ])?;
        for g in grams(&r.name) {
            ins_g.execute(params![g, rid])?;
        }
    }
    Ok(())
}

fn check(conn: &Connection, doc_id: &DocumentId, c: &TemperatureCheck, now: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO checks (id, doc_id, grid, day, slot, resident_id, tenths, fever, member, at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        c.id.0.as_bytes(),
        doc_id.as_bytes(),
        c.grid.as_str(),
        c.date.to_string(),
        c.slot.code(),
        c.resident.0.as_bytes(),
        c.celsius.tenths(),
        c.is_fever(),
        c.member,
        c.at.timestamp_millis(),
        now
    ])?;
    Ok(())
}

fn visit(conn: &Connection, doc_id: &DocumentId, v: &Visit, now: i64, tz: Tz) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO visits (id, doc_id, grid, household_id, member, day, at, purpose, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        v.id.0.as_bytes(),
        doc_id.as_bytes(),
        v.grid.as_str(),
        v.household.0.as_bytes(),
        v.member,
        local_day(v.at, tz).to_string(),
        v.at.timestamp_millis(),
        v.purpose.code(),
        now
    ])?;
    Ok(())
}
