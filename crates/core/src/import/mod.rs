//! 导入台账: bringing a community's existing ledger into the store.
//!
//! Reading spreadsheets is `wangge-ledger`'s job; it hands core an [`ImportPlan`] of
//! households already formed and residents already validated (with core's own model
//! types). Core decides what the plan changes in the store and writes it:
//!
//! - [`GridAssignment`] (`assign`): which grid each planned household goes to (the file's
//!   grid column, a building or street rule, a default), and whether this device may
//!   write there.
//! - `Store::import_household` and `Store::preview_household` (in `store/import.rs`): one
//!   household, one action: residents are matched by ID number wherever they live on the
//!   device, households without one by address and head within the grid; only what
//!   changed is written, so a re-import of the same file writes nothing.
//! - [`run_import`] (`run`): the whole plan, one household (one store lock, one
//!   transaction) at a time, with progress and cancellation; what was done stays done.
//!
//! What an import never does: remove a resident or a household that the file does not
//! list, clear a value the file leaves empty, or drop a 重点人群 tag the member added.

mod assign;
mod run;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::{Address, GridCode, IdNumber, Phone, Relation, ResidenceStatus, Tag};

pub use assign::GridAssignment;
pub use run::{Progress, preview_import, run_import};

/// Where a planned record came from: a sheet and its 1-based row number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RowRef {
    /// The sheet's name (`CSV` for a CSV file).
    pub sheet: String,
    /// The row number as the spreadsheet shows it (1-based).
    pub row: u32,
}

/// One resident as the file gives them, validated. `None` and empty values are what the
/// file left blank: an import keeps the stored value there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedResident {
    /// Where in the file.
    pub row: RowRef,
    /// 姓名 (never empty).
    pub name: String,
    /// 身份证号: how residents are matched on a re-import.
    pub id_number: Option<IdNumber>,
    /// 联系电话.
    pub phone: Option<Phone>,
    /// 与户主关系 (new residents without one are `Other`).
    pub relation: Option<Relation>,
    /// 人户状态 (new residents without one are `Registered`).
    pub status: Option<ResidenceStatus>,
    /// 重点人群 tags (added to the stored ones, never removing any).
    pub tags: BTreeSet<Tag>,
    /// Notes: 备注 and what the ledger has that the model keeps as labelled lines (民族,
    /// 户籍地址). Added to the stored notes unless already there.
    pub notes: String,
}

/// A household formed from the file: an address and the residents at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedHousehold {
    /// Where.
    pub address: Address,
    /// The grid the file names for it (a 网格编码 column), if any.
    pub grid: Option<GridCode>,
    /// Its residents, head first when the file names one.
    pub residents: Vec<PlannedResident>,
}

impl PlannedHousehold {
    /// The resident the file names as 户主.
    pub fn head(&self) -> Option<&PlannedResident> {
        self.residents
            .iter()
            .find(|r| r.relation == Some(Relation::Head))
    }
}

/// Everything an import would write, household by household.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportPlan {
    /// The households, in the file's order.
    pub households: Vec<PlannedHousehold>,
}

impl ImportPlan {
    /// Residents in the plan.
    pub fn resident_count(&self) -> usize {
        self.households.iter().map(|h| h.residents.len()).sum()
    }
}

/// What importing one household did (or, in a preview, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HouseholdOutcome {
    /// A new household was created.
    pub created: bool,
    /// An existing household changed (its address, head, grid or residents).
    pub updated: bool,
    /// An existing household moved to the assigned grid.
    pub moved: bool,
    /// Residents added.
    pub residents_added: u32,
    /// Residents whose stored record changed.
    pub residents_updated: u32,
    /// Residents already stored exactly so.
    pub residents_unchanged: u32,
    /// Residents matched by ID number in another household, updated where they are.
    pub residents_elsewhere: u32,
}

/// What an import did (or would do), added up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Households in the plan.
    pub total: u32,
    /// Households handled so far (all of them unless cancelled or failed).
    pub done: u32,
    /// New households.
    pub households_created: u32,
    /// Existing households that changed.
    pub households_updated: u32,
    /// Existing households already as the file says.
    pub households_unchanged: u32,
    /// Existing households moved to the assigned grid.
    pub households_moved: u32,
    /// Households left out: no grid assigned, or one this device may not write.
    pub households_refused: u32,
    /// Residents added.
    pub residents_added: u32,
    /// Residents changed.
    pub residents_updated: u32,
    /// Residents unchanged.
    pub residents_unchanged: u32,
    /// Residents found in another household than the file puts them in (updated there).
    pub residents_elsewhere: u32,
    /// The import was cancelled before the end (what was done stays).
    pub cancelled: bool,
}

impl ImportSummary {
    pub(crate) fn add(&mut self, o: &HouseholdOutcome) {
        self.done += 1;
        if o.created {
            self.households_created += 1;
        } else if o.updated || o.moved {
            self.households_updated += 1;
        } else {
            self.households_unchanged += 1;
        }
        self.households_moved += u32::from(o.moved);
        self.residents_added += o.residents_added;
        self.residents_updated += o.residents_updated;
        self.residents_unchanged += o.residents_unchanged;
        self.residents_elsewhere += o.residents_elsewhere;
    }
}
