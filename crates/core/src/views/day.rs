//! Reads of one local day: a household's checks, the next household with checks due, and
//! the fevers, visits and numbers of a member's grids. `None` for the day means today (the
//! store's local day).

use chrono::NaiveDate;
use rusqlite::{OptionalExtension, params};

use crate::error::{CoreError, Result};
use crate::model::{GridCode, HouseholdId, Slot, Visit};
use crate::store::search::uuid_from;
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

    /// The household to check next, walking a grid in address order. After `after`: the
    /// first household of its grid after it (then from the top of the list) where someone
    /// living there has no reading today in `slot`. Without `after`: the first such
    /// household of `grids`, grid by grid. `None` when all are done.
    pub fn next_household_due(
        &self,
        grids: &[GridCode],
        after: Option<HouseholdId>,
        slot: Slot,
    ) -> Result<Option<HouseholdId>> {
        let (grids, from): (Vec<String>, Option<(Vec<u8>, String)>) = match after {
            Some(h) => {
                let here: Option<(String, String)> = self
                    .conn()
                    .query_row(
                        "SELECT grid, address FROM households WHERE id = ?1",
                        [h.0.as_bytes()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let Some((grid, address)) = here else {
                    return Err(CoreError::NotFound { what: "household" });
                };
                (vec![grid], Some((h.0.as_bytes().to_vec(), address)))
            }
            None => (grids.iter().map(|g| g.as_str().to_owned()).collect(), None),
        };
        let (id, address) = from.unwrap_or_default();
        let mut stmt = self.conn().prepare_cached(
            "SELECT h.id FROM households h, json_each(?1) g
             WHERE h.grid = g.value AND h.id != ?2
               AND EXISTS (SELECT 1 FROM residents r
                           WHERE r.household_id = h.id AND r.moved_out = 0
                             AND NOT EXISTS (SELECT 1 FROM checks c
                                             WHERE c.resident_id = r.id AND c.day = ?3 AND c.slot = ?4))
             ORDER BY g.key, (h.address < ?5 OR (h.address = ?5 AND h.id < ?2)), h.address, h.id
             LIMIT 1",
        )?;
        let grids = serde_json::to_string(&grids).map_err(|e| CoreError::Corrupt(e.to_string()))?;
        let next: Option<Vec<u8>> = stmt
            .query_row(
                params![grids, id, self.today().to_string(), slot.code(), address],
                |r| r.get(0),
            )
            .optional()?;
        next.map(|b| Ok(HouseholdId(uuid_from(&b)?))).transpose()
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
