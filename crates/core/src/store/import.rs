//! Importing one planned household (导入台账): matching it with what the store holds and
//! writing what changed as one action. See [`crate::import`] for the contract.

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use rusqlite::OptionalExtension;
use wangge_proto::DocumentId;
use wangge_schema::HouseholdMove;

use super::Store;
use super::actions::grid_index_id;
use super::batch::Genesis;
use super::search::{reversed, uuid_from};
use crate::doc::{DocKind, collection, record_obj, write_fields};
use crate::error::Result;
use crate::import::{HouseholdOutcome, PlannedHousehold, PlannedResident};
use crate::model::MAX_NOTES_CHARS;
use crate::model::{
    GridCode, Household, HouseholdId, IdNumber, Relation, ResidenceStatus, Resident, ResidentId,
};

/// A resident to write into a household document.
struct Write {
    household: HouseholdId,
    resident: Resident,
}

impl Store {
    /// Imports one planned household into `grid` as one action: a new household, or the
    /// stored one it matches with what changed (residents by ID number anywhere on the
    /// device, then by name within the household; a household without matched residents
    /// by its address and head in `grid`). A stored household in another grid moves to
    /// `grid` in the same action.
    #[tracing::instrument(skip_all, fields(grid = %grid, residents = h.residents.len()))]
    pub fn import_household(
        &mut self,
        h: &PlannedHousehold,
        grid: &GridCode,
    ) -> Result<HouseholdOutcome> {
        self.import_one(h, grid, true)
    }

    /// What [`Store::import_household`] would do, written nowhere.
    pub fn preview_household(
        &mut self,
        h: &PlannedHousehold,
        grid: &GridCode,
    ) -> Result<HouseholdOutcome> {
        self.import_one(h, grid, false)
    }

    fn import_one(
        &mut self,
        h: &PlannedHousehold,
        grid: &GridCode,
        write: bool,
    ) -> Result<HouseholdOutcome> {
        let mut by_id = Vec::with_capacity(h.residents.len());
        for r in &h.residents {
            by_id.push(match &r.id_number {
                Some(id) => self.resident_by_id_number(id)?,
                None => None,
            });
        }
        let head_at = h
            .residents
            .iter()
            .position(|r| r.relation == Some(Relation::Head));
        let target = match head_at.and_then(|i| by_id[i]) {
            Some((_, hid)) => Some(hid),
            None => match by_id.iter().flatten().next() {
                Some((_, hid)) => Some(*hid),
                None => self.household_at(grid, h)?,
            },
        };
        match target {
            None => self.import_new(h, grid, write),
            Some(hid) => self.import_into(hid, h, &by_id, grid, write),
        }
    }

    fn import_new(
        &mut self,
        h: &PlannedHousehold,
        grid: &GridCode,
        write: bool,
    ) -> Result<HouseholdOutcome> {
        let out = HouseholdOutcome {
            created: true,
            residents_added: h.residents.len() as u32,
            ..Default::default()
        };
        if !write {
            return Ok(out);
        }
        let id = HouseholdId::new();
        let residents: Vec<Resident> = h.residents.iter().map(new_resident).collect();
        let head = residents
            .iter()
            .find(|r| r.relation == Relation::Head)
            .map(|r| r.id);
        let household = Household {
            id,
            grid: grid.clone(),
            address: h.address.clone(),
            head,
            tags: BTreeSet::new(),
            needs_home_visit: false,
            notes: String::new(),
            last_visit: None,
            residents: vec![],
        };
        let now = self.now().timestamp_millis();
        let mut batch = self.batch();
        batch.change(
            DocumentId::from_uuid(id.0),
            Some(Genesis {
                kind: DocKind::Household,
                scope: grid.scope(),
                attrs: &[],
            }),
            |tx| {
                let obj = collection(tx, "household")?;
                write_fields(tx, &obj, &household.to_fields())?;
                write_residents(tx, &residents)
            },
        )?;
        batch.change(
            grid_index_id(grid),
            Some(Genesis {
                kind: DocKind::GridIndex,
                scope: grid.scope(),
                attrs: &[],
            }),
            |tx| Ok(wangge_schema::regrid::list_household(tx, id.0, now)?),
        )?;
        batch.commit()?;
        Ok(out)
    }

    fn import_into(
        &mut self,
        hid: HouseholdId,
        h: &PlannedHousehold,
        by_id: &[Option<(ResidentId, HouseholdId)>],
        grid: &GridCode,
        write: bool,
    ) -> Result<HouseholdOutcome> {
        let current = self.household(hid)?;
        let mut out = HouseholdOutcome::default();
        let mut claimed: BTreeSet<ResidentId> = by_id.iter().flatten().map(|m| m.0).collect();
        let mut writes: Vec<Write> = vec![];
        let mut head = current.head;
        for (p, found) in h.residents.iter().zip(by_id) {
            let existing = match found {
                Some((rid, other)) if *other != hid => {
                    out.residents_elsewhere += 1;
                    let elsewhere = self.household(*other)?;
                    elsewhere
                        .residents
                        .iter()
                        .find(|r| r.id == *rid)
                        .cloned()
                        .map(|r| (*other, r))
                }
                Some((rid, _)) => current
                    .residents
                    .iter()
                    .find(|r| r.id == *rid)
                    .cloned()
                    .map(|r| (hid, r)),
                None => {
                    let by_name = current.residents.iter().find(|r| {
                        !claimed.contains(&r.id)
                            && r.name == p.name
                            && (r.id_number.is_none()
                                || p.id_number.is_none()
                                || r.id_number == p.id_number)
                    });
                    by_name.cloned().map(|r| {
                        claimed.insert(r.id);
                        (hid, r)
                    })
                }
            };
            let resident = match existing {
                Some((where_, old)) => {
                    let merged = merge(&old, p);
                    if merged == old {
                        out.residents_unchanged += 1;
                    } else {
                        out.residents_updated += 1;
                        writes.push(Write {
                            household: where_,
                            resident: merged.clone(),
                        });
                    }
                    if where_ != hid {
                        continue;
                    }
                    merged
                }
                None => {
                    out.residents_added += 1;
                    let r = new_resident(p);
                    writes.push(Write {
                        household: hid,
                        resident: r.clone(),
                    });
                    r
                }
            };
            if resident.relation == Relation::Head && p.relation == Some(Relation::Head) {
                head = Some(resident.id);
            }
        }
        let mut fields = current.clone();
        fields.address = h.address.clone();
        fields.head = head;
        fields.grid = grid.clone();
        let household_changed = fields.address != current.address || fields.head != current.head;
        out.moved = current.grid != *grid;
        out.updated = household_changed || !writes.is_empty();
        if !write || (!out.updated && !out.moved) {
            return Ok(out);
        }
        let mv = HouseholdMove {
            household: hid.0,
            from: current.grid.clone(),
            to: grid.clone(),
            at_millis: self.now().timestamp_millis(),
        };
        let own: Vec<Resident> = writes
            .iter()
            .filter(|w| w.household == hid)
            .map(|w| w.resident.clone())
            .collect();
        let mut batch = self.batch();
        batch.change(DocumentId::from_uuid(hid.0), None, |tx| {
            if out.moved {
                mv.edit_household(tx)?;
            }
            if household_changed {
                let obj = collection(tx, "household")?;
                write_fields(tx, &obj, &fields.to_fields())?;
            }
            write_residents(tx, &own)
        })?;
        for w in writes.iter().filter(|w| w.household != hid) {
            let r = std::slice::from_ref(&w.resident);
            batch.change(DocumentId::from_uuid(w.household.0), None, |tx| {
                write_residents(tx, r)
            })?;
        }
        if out.moved {
            fn index(g: &GridCode) -> Genesis<'_> {
                Genesis {
                    kind: DocKind::GridIndex,
                    scope: g.scope(),
                    attrs: &[],
                }
            }
            batch.change(mv.from_index(), Some(index(&mv.from)), |tx| {
                Ok(mv.edit_from_index(tx)?)
            })?;
            batch.change(mv.to_index(), Some(index(&mv.to)), |tx| {
                Ok(mv.edit_to_index(tx)?)
            })?;
        }
        batch.commit()?;
        Ok(out)
    }

    /// The stored resident with this ID number and their household.
    fn resident_by_id_number(&self, id: &IdNumber) -> Result<Option<(ResidentId, HouseholdId)>> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn()
            .prepare_cached("SELECT id, household_id FROM residents WHERE id_rev = ?1 LIMIT 1")?
            .query_row([reversed(id.as_str())], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(r, h)| Ok((ResidentId(uuid_from(&r)?), HouseholdId(uuid_from(&h)?))))
            .transpose()
    }

    /// A household of `grid` at the planned household's address whose head (or lack of
    /// one) fits the plan's.
    fn household_at(&self, grid: &GridCode, h: &PlannedHousehold) -> Result<Option<HouseholdId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, head_name FROM households WHERE grid = ?1 AND address = ?2",
        )?;
        let found: Vec<(Vec<u8>, Option<String>)> = stmt
            .query_map([grid.as_str(), h.address.display().as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let head = h.head().map(|r| r.name.as_str());
        let pick = found
            .iter()
            .find(|(_, name)| head.is_some() && name.as_deref() == head)
            .or_else(|| found.iter().find(|(_, name)| name.is_none()))
            .or_else(|| (head.is_none() && found.len() == 1).then(|| &found[0]));
        pick.map(|(id, _)| Ok(HouseholdId(uuid_from(id)?)))
            .transpose()
    }
}

fn write_residents(tx: &mut impl Transactable, residents: &[Resident]) -> Result<()> {
    if residents.is_empty() {
        return Ok(());
    }
    let coll = collection(tx, "residents")?;
    for r in residents {
        let obj = record_obj(tx, &coll, &r.id.0.to_string())?;
        write_fields(tx, &obj, &r.to_fields())?;
    }
    Ok(())
}

fn new_resident(p: &PlannedResident) -> Resident {
    Resident {
        id: ResidentId::new(),
        name: p.name.clone(),
        id_number: p.id_number.clone(),
        phone: p.phone.clone(),
        relation: p.relation.unwrap_or(Relation::Other),
        status: p.status.unwrap_or(ResidenceStatus::Registered),
        tags: p.tags.clone(),
        notes: p.notes.clone(),
        moved_out: false,
    }
}

/// The stored resident updated with what the file gives: blanks keep the stored value,
/// tags are added, notes are added unless already there.
fn merge(old: &Resident, p: &PlannedResident) -> Resident {
    let mut r = old.clone();
    r.name = p.name.clone();
    if p.id_number.is_some() {
        r.id_number = p.id_number.clone();
    }
    if p.phone.is_some() {
        r.phone = p.phone.clone();
    }
    if let Some(rel) = p.relation {
        r.relation = rel;
    }
    if let Some(s) = p.status {
        r.status = s;
    }
    r.tags.extend(p.tags.iter().copied());
    let add = p.notes.trim();
    if !add.is_empty() && !r.notes.contains(add) {
        let joined = if r.notes.trim().is_empty() {
            add.to_owned()
        } else {
            format!("{}\n{add}", r.notes.trim_end())
        };
        if joined.chars().count() <= MAX_NOTES_CHARS {
            r.notes = joined;
        }
    }
    r
}
