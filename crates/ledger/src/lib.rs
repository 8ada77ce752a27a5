//! `wangge-ledger`: 导入台账, a community's existing ledger brought in from the
//! spreadsheets offices keep.
//!
//! A file is read (bounded, hostile files refused), its columns mapped (proposed from the
//! header's names, correctable by the user), every row checked with core's own rules, and
//! a dry run reports households, residents and every problem with sheet, row and column,
//! numbers masked. Only then does the plan of the clean rows go to core's
//! [`wangge_core::import::run_import`], one household per store action.
//!
//! # Layout
//!
//! - [`sniff`]: what a file is from its bytes; zip bombs, password-protected workbooks
//!   and non-spreadsheets refused before any parser reads them.
//! - [`read`]: xlsx (streamed), xls and CSV (UTF-8 or GBK) into sheets of rows, at most
//!   [`read::MAX_ROWS`] rows; merged cells filled down.
//! - [`cell`]: a cell's value; dates as date cells, serial numbers or text.
//! - [`mapping`]: the header's columns to fields ([`Mapping`]), by names and synonyms.
//! - `check`: rows into planned residents or problems; households formed by address
//!   and the relation to the head.
//! - [`report`]: the dry run ([`DryRun`]), serialisable, masked.
//! - [`export`]: what goes out as `.xlsx` an upper level takes as it is: the event
//!   statistics ([`export::stats_workbook`]).
//! - [`error`]: [`LedgerError`], why a file was refused, with a stable code.
//! - `main.rs`: the `wangge-ledger dry-run` command.

pub mod cell;
mod check;
pub mod error;
pub mod export;
pub mod mapping;
pub mod read;
pub mod report;
pub mod sniff;

pub use error::{LedgerError, Result};
pub use mapping::{Field, Mapping, SheetMapping};
pub use read::{Workbook, read};
pub use report::{DryRun, Ledger, Problem, dry_run};
pub use sniff::Format;

use chrono::NaiveDate;
use wangge_core::GridCode;

/// Reads `bytes` and dry-runs them, with the grid the households would go to, if given.
pub fn dry_run_bytes(
    bytes: &[u8],
    mapping: Option<Mapping>,
    grid: Option<&GridCode>,
    today: NaiveDate,
) -> Result<Ledger> {
    let book = read(bytes)?;
    let mut ledger = dry_run(&book, mapping, today)?;
    if let Some(g) = grid {
        ledger.report.grid = Some(g.as_str().to_owned());
        for h in &mut ledger.plan.households {
            h.grid = Some(g.clone());
        }
    }
    Ok(ledger)
}
