//! The household page: a household with its residents' ID and phone numbers masked, and
//! the fields edited concurrently on two devices. The edit form alone gets the numbers
//! unmasked ([`Store::resident_input`]).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::model::{
    Address, FieldConflict, FieldValue, GridCode, Household, HouseholdId, LastVisit, Relation,
    ResidenceStatus, Resident, ResidentId, ResidentInput, Tag,
};
use crate::store::Store;

/// A resident as the household page shows it: ID and phone masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentView {
    /// Stable id.
    pub id: ResidentId,
    /// 姓名.
    pub name: String,
    /// 身份证号, masked (`110105********1234`).
    pub id_number: Option<String>,
    /// Phone, masked (`138****1234`).
    pub phone: Option<String>,
    /// Birth date from the ID number.
    pub birth_date: Option<NaiveDate>,
    /// Relation to the head.
    pub relation: Relation,
    /// Residence status.
    pub status: ResidenceStatus,
    /// 重点人群 tags.
    pub tags: BTreeSet<Tag>,
    /// Notes.
    pub notes: String,
    /// Moved out.
    pub moved_out: bool,
}

impl From<&Resident> for ResidentView {
    fn from(r: &Resident) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            id_number: r.id_number.as_ref().map(|n| n.masked()),
            phone: r.phone.as_ref().map(|p| p.masked()),
            birth_date: r.birth_date(),
            relation: r.relation,
            status: r.status,
            tags: r.tags.clone(),
            notes: r.notes.clone(),
            moved_out: r.moved_out,
        }
    }
}

/// A household with its residents masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdDetail {
    /// Stable id.
    pub id: HouseholdId,
    /// Its grid.
    pub grid: GridCode,
    /// Where.
    pub address: Address,
    /// The address as one line.
    pub address_line: String,
    /// The head of household.
    pub head: Option<ResidentId>,
    /// Household-level tags.
    pub tags: BTreeSet<Tag>,
    /// 红色爱心户.
    pub needs_home_visit: bool,
    /// Notes.
    pub notes: String,
    /// The most recent visit.
    pub last_visit: Option<LastVisit>,
    /// Residents, moved-out ones included (flagged).
    pub residents: Vec<ResidentView>,
}

impl From<&Household> for HouseholdDetail {
    fn from(h: &Household) -> Self {
        Self {
            id: h.id,
            grid: h.grid.clone(),
            address_line: h.address.display(),
            address: h.address.clone(),
            head: h.head,
            tags: h.tags.clone(),
            needs_home_visit: h.needs_home_visit,
            notes: h.notes.clone(),
            last_visit: h.last_visit.clone(),
            residents: h.residents.iter().map(ResidentView::from).collect(),
        }
    }
}

/// A field edited concurrently on two devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConflictView {
    /// The resident whose field it is; `None` for a field of the household itself.
    pub resident: Option<ResidentId>,
    /// The field name.
    pub field: String,
    /// Every concurrent value, the one shown now first.
    pub values: Vec<FieldValue>,
}

impl ConflictView {
    fn of(resident: Option<ResidentId>, c: FieldConflict) -> Self {
        Self {
            resident,
            field: c.field,
            values: c.values,
        }
    }
}

/// The household page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdView {
    /// The household, residents masked.
    pub household: HouseholdDetail,
    /// Concurrent edits waiting for the member to pick a value: the household's own
    /// fields first, then each resident's.
    pub conflicts: Vec<ConflictView>,
}

impl Store {
    /// The household page: residents masked, with any concurrent edits to settle.
    pub fn household_view(&mut self, id: HouseholdId) -> Result<HouseholdView> {
        let h = self.household(id)?;
        let mut conflicts: Vec<ConflictView> = self
            .household_conflicts(id)?
            .into_iter()
            .map(|c| ConflictView::of(None, c))
            .collect();
        for r in &h.residents {
            let of_resident = self.resident_conflicts(r.id)?;
            conflicts.extend(
                of_resident
                    .into_iter()
                    .map(|c| ConflictView::of(Some(r.id), c)),
            );
        }
        Ok(HouseholdView {
            household: HouseholdDetail::from(&h),
            conflicts,
        })
    }

    /// A resident as the edit form needs it: numbers unmasked.
    pub fn resident_input(&mut self, id: ResidentId) -> Result<ResidentInput> {
        let household = self.household_of(id)?;
        self.household(household)?
            .residents
            .iter()
            .find(|r| r.id == id)
            .map(Resident::to_input)
            .ok_or(CoreError::NotFound { what: "resident" })
    }

    /// Every problem with a resident form as of today, for showing beside each field as
    /// the member types.
    pub fn resident_problems(&self, input: &ResidentInput) -> Vec<crate::FieldError> {
        input.problems(self.today())
    }
}
