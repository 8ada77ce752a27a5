//! The dry-run report: what an import would bring in, and every problem, masked.

use chrono::NaiveDate;
use serde::Serialize;
use wangge_core::ErrorCode;
use wangge_core::import::ImportPlan;
use wangge_core::mask::mask_name;

use crate::check::check;
use crate::error::Result;
use crate::mapping::{Field, Mapping};
use crate::read::Workbook;
use crate::sniff::Format;

/// One problem of one row: where (as Excel shows it), which column, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The sheet (`CSV` for a CSV file).
    pub sheet: String,
    /// The 1-based row number.
    pub row: u32,
    /// The column letter, when the field has a column.
    pub column: Option<String>,
    /// The field.
    pub field: Field,
    /// Why, as a stable code.
    pub code: ErrorCode,
    /// Why, for a developer (no personal data).
    pub message: String,
    /// The row's ID number, masked.
    pub id_number: Option<String>,
    /// The row's phone, masked.
    pub phone: Option<String>,
}

/// A resident the import would bring in, masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResidentLine {
    /// The sheet.
    pub sheet: String,
    /// The 1-based row number.
    pub row: u32,
    /// The name, masked (`王**`).
    pub name: String,
    /// The ID number, masked.
    pub id_number: Option<String>,
    /// The relation code, when given.
    pub relation: Option<&'static str>,
}

/// A household the import would form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HouseholdLine {
    /// The address as one line.
    pub address: String,
    /// Its residents, head first.
    pub residents: Vec<ResidentLine>,
}

/// What a dry run found. Nothing was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRun {
    /// The file's format.
    pub format: Format,
    /// Every sheet of the file, read or not.
    pub sheet_names: Vec<String>,
    /// The mapping used (proposed, or the user's): the value to correct and pass back.
    pub mapping: Mapping,
    /// Rows read below the headers.
    pub rows_read: usize,
    /// Rows with a problem, left out of the import.
    pub rows_left_out: usize,
    /// Households the import would write.
    pub household_count: usize,
    /// Residents the import would write.
    pub resident_count: usize,
    /// The grid given for the import, if any.
    pub grid: Option<String>,
    /// The households.
    pub households: Vec<HouseholdLine>,
    /// Every problem, in the file's order.
    pub problems: Vec<Problem>,
}

/// A dry run and the plan of what would be imported (the clean rows only).
#[derive(Debug, Clone)]
pub struct Ledger {
    /// The report.
    pub report: DryRun,
    /// The households and residents to import.
    pub plan: ImportPlan,
}

/// Checks `book` read with `mapping` (proposed when `None`), against `today`.
pub fn dry_run(book: &Workbook, mapping: Option<Mapping>, today: NaiveDate) -> Result<Ledger> {
    let mapping = match mapping {
        Some(m) => m,
        None => Mapping::propose(book)?,
    };
    let resolved = mapping.resolve(book)?;
    let checked = check(&resolved, today);
    let households = checked
        .plan
        .households
        .iter()
        .map(|h| HouseholdLine {
            address: h.address.display(),
            residents: h
                .residents
                .iter()
                .map(|r| ResidentLine {
                    sheet: r.row.sheet.clone(),
                    row: r.row.row,
                    name: mask_name(&r.name),
                    id_number: r.id_number.as_ref().map(|i| i.masked()),
                    relation: r.relation.map(|x| x.code()),
                })
                .collect(),
        })
        .collect();
    let report = DryRun {
        format: book.format,
        sheet_names: book.sheets.iter().map(|s| s.name.clone()).collect(),
        mapping,
        rows_read: checked.rows_read,
        rows_left_out: checked.rows_left_out,
        household_count: checked.plan.households.len(),
        resident_count: checked.plan.resident_count(),
        grid: None,
        households,
        problems: checked.problems,
    };
    Ok(Ledger {
        report,
        plan: checked.plan,
    })
}
