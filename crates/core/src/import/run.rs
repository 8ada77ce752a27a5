//! Running an import: one household (one store lock, one transaction) at a time, with
//! progress and cancellation. Cancelling keeps what was done; the sync engine and the
//! screens get the store between two households.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{GridAssignment, ImportPlan, ImportSummary};
use crate::error::Result;
use crate::store::Store;

/// Called after each household with the summary so far.
pub type Progress<'a> = &'a mut dyn FnMut(&ImportSummary);

/// Writes `plan` into the store behind `store`. Stops (keeping what was done) when
/// `cancel` is set; a storage failure stops it with the error, households done before it
/// stay.
#[tracing::instrument(skip_all, fields(households = plan.households.len()))]
pub fn run_import(
    store: &Mutex<Store>,
    plan: &ImportPlan,
    assign: &GridAssignment,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<ImportSummary> {
    let mut sum = ImportSummary {
        total: plan.households.len() as u32,
        ..Default::default()
    };
    for h in &plan.households {
        if cancel.load(Ordering::Relaxed) {
            sum.cancelled = true;
            break;
        }
        match assign.grid_for(h) {
            None => {
                sum.done += 1;
                sum.households_refused += 1;
            }
            Some(grid) => {
                let outcome = {
                    let mut s = store.lock().unwrap_or_else(|e| e.into_inner());
                    s.import_household(h, &grid)?
                };
                sum.add(&outcome);
            }
        }
        progress(&sum);
    }
    tracing::info!(
        created = sum.households_created,
        updated = sum.households_updated,
        unchanged = sum.households_unchanged,
        cancelled = sum.cancelled,
        "import finished"
    );
    Ok(sum)
}

/// What [`run_import`] would do, written nowhere.
pub fn preview_import(
    store: &mut Store,
    plan: &ImportPlan,
    assign: &GridAssignment,
) -> Result<ImportSummary> {
    let mut sum = ImportSummary {
        total: plan.households.len() as u32,
        ..Default::default()
    };
    for h in &plan.households {
        match assign.grid_for(h) {
            None => {
                sum.done += 1;
                sum.households_refused += 1;
            }
            Some(grid) => {
                let o = store.preview_household(h, &grid)?;
                sum.add(&o);
            }
        }
    }
    Ok(sum)
}
