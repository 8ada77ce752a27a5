//! Reads of one local day: a household's checks, and the fevers, visits and numbers of a
//! member's grids. `None` for the day means today (the store's local day).

use chrono::NaiveDate;

use crate::error::Result;
use crate::model::{GridCode, HouseholdId, Visit};
use crate::store::{CheckRow, DaySummary, Store};

impl Store {
    /// `day`, or today's local day when absent.
    pub fn day_or_today(&self, day: Option<NaiveDate>) -> NaiveDate {
        day.unwrap_or_else(|| self.today())
    }

    /// A household's checks on a day, from its grid's rows.
    pub fn household_checks_on(
        &mut self,
        household: HouseholdId,
        day: Option<NaiveDate>,
    ) -> Result<Vec<CheckRow>> {
        let day = self.day_or_today(day);
        let grid = self.household(household)?.grid;
        let mut rows = self.checks_of_day(&grid, day)?;
        rows.retain(|r| r.household == Some(household));
        Ok(rows)
    }

    /// Fever readings in `grids` on a day, grid by grid.
    pub fn fevers_on(&self, grids: &[GridCode], day: Option<NaiveDate>) -> Result<Vec<CheckRow>> {
        let day = self.day_or_today(day);
        let mut out = vec![];
        for g in grids {
            out.extend(self.fever_list(g, day)?);
        }
        Ok(out)
    }

    /// This member's visits in `grids` on a day, oldest first.
    pub fn visits_on(&mut self, grids: &[GridCode], day: Option<NaiveDate>) -> Result<Vec<Visit>> {
        let day = self.day_or_today(day);
        let mut out = vec![];
        for g in grids {
            out.extend(self.visits_of_day(g, day)?);
        }
        out.sort_by_key(|v| v.at);
        Ok(out)
    }

    /// The day's work in numbers over `grids`.
    pub fn summary_on(&self, grids: &[GridCode], day: Option<NaiveDate>) -> Result<DaySummary> {
        self.day_summary(grids, self.day_or_today(day))
    }
}
