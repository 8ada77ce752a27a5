//! Temperature checks: the keypad's validation, saving a household's readings, the
//! household's and the grid's fever lists.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::store::CheckRow;
use wangge_core::{Celsius, CheckId, CheckInput, HouseholdId, Slot};

use crate::dto::TemperatureReading;
use crate::error::AppResult;
use crate::state::AppState;

impl AppState {
    /// A household's checks on a day (today when absent).
    pub fn household_checks(
        &self,
        household: HouseholdId,
        day: Option<NaiveDate>,
    ) -> AppResult<Vec<CheckRow>> {
        let day = self.day_or_today(day);
        self.with_store(|s| {
            let grid = s.household(household)?.grid;
            let mut rows = s.checks_of_day(&grid, day)?;
            rows.retain(|r| r.household == Some(household));
            Ok(rows)
        })
    }

    /// Records a slot's readings (one household's at once); returns the check ids.
    pub fn record_checks(&self, slot: Slot, checks: &[CheckInput]) -> AppResult<Vec<CheckId>> {
        let ids = self.with_store(|s| Ok(s.record_checks(slot, checks)?))?;
        self.nudge();
        Ok(ids)
    }

    /// Fever readings in the member's grids on a day.
    pub fn fever_list(&self, day: Option<NaiveDate>) -> AppResult<Vec<CheckRow>> {
        let day = self.day_or_today(day);
        let grids = self.grids();
        self.with_store(|s| {
            let mut out = vec![];
            for g in &grids {
                out.extend(s.fever_list(g, day)?);
            }
            Ok(out)
        })
    }
}

/// Judges keypad text (`365`, `36.5`, `36,5`): tenths, fever, or why it is not valid.
pub fn reading(text: &str) -> TemperatureReading {
    match Celsius::parse(text) {
        Ok(c) => TemperatureReading {
            tenths: Some(c.tenths()),
            fever: c.is_fever(),
            error: None,
        },
        Err(e) => TemperatureReading {
            tenths: None,
            fever: false,
            error: Some(e),
        },
    }
}

/// A household's checks on a day.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn household_checks(
    state: State<'_, AppState>,
    household: HouseholdId,
    day: Option<NaiveDate>,
) -> AppResult<Vec<CheckRow>> {
    state.household_checks(household, day)
}

/// Judges keypad text as the member types.
#[tauri::command(async)]
pub fn validate_temperature(text: String) -> AppResult<TemperatureReading> {
    Ok(reading(&text))
}

/// Saves a slot's readings.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn record_checks(
    state: State<'_, AppState>,
    slot: Slot,
    checks: Vec<CheckInput>,
) -> AppResult<Vec<CheckId>> {
    state.record_checks(slot, &checks)
}

/// The day's fever readings.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn fever_list(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<Vec<CheckRow>> {
    state.fever_list(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_text_is_judged_by_core() {
        let r = reading("373");
        assert_eq!(
            (r.tenths, r.fever, r.error.is_none()),
            (Some(373), true, true)
        );
        let r = reading("36.5");
        assert_eq!((r.tenths, r.fever), (Some(365), false));
        let r = reading("3");
        assert_eq!(r.tenths, None);
        assert_eq!(r.error.map(|e| e.code), Some("temperature_out_of_range"));
    }
}
