//! First run and start-up: `app_info`, `enroll`, `start_demo`, `day_summary`.

use chrono::NaiveDate;
use tauri::State;
use wangge_core::store::DaySummary;
use wangge_core::{GridCode, demo};

use crate::device::{DEMO_GRID, DEMO_MEMBER, DEMO_STORE_FILE, Device};
use crate::dto::{AppInfo, SetupState};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Households the offline demo seeds.
const DEMO_HOUSEHOLDS: usize = 24;

impl AppState {
    /// Trades a one-time code at the relay, saves `device.json` and starts syncing.
    pub async fn enroll(&self, relay_url: &str, code: &str) -> AppResult<AppInfo> {
        if self.setup_state() == SetupState::Enrolled {
            return Err(AppError::new(
                "already_enrolled",
                "this device is already enrolled",
            ));
        }
        let (relay_url, code) = (relay_url.trim(), code.trim());
        if relay_url.is_empty() {
            return Err(AppError::required("relay_url"));
        }
        if code.is_empty() {
            return Err(AppError::required("code"));
        }
        let enrollment = wangge_core::sync::enroll(relay_url, code)
            .await
            .map_err(|e| AppError::new("enroll_failed", e.to_string()))?;
        self.set_device(Device::enrolled(relay_url, enrollment))?;
        tracing::info!("device enrolled");
        Ok(self.info())
    }

    /// Seeds an offline demo grid of invented people (once) and records as the demo member.
    pub fn start_demo(&self) -> AppResult<AppInfo> {
        match self.setup_state() {
            SetupState::Demo => return Ok(self.info()),
            SetupState::Enrolled => {
                return Err(AppError::new("already_enrolled", "this device is enrolled"));
            }
            SetupState::New => {}
        }
        let grid: GridCode = DEMO_GRID
            .parse()
            .map_err(|e: wangge_core::FieldError| AppError::new("corrupt_record", e.to_string()))?;
        // Seed the demo's own store first: if seeding fails the device stays new (and a
        // retry starts from an empty demo store).
        self.remove_demo_store();
        let mut store = self.open_store(DEMO_STORE_FILE, DEMO_MEMBER)?;
        demo::seed_grid(&mut store, &grid, DEMO_HOUSEHOLDS, 7)?;
        drop(store);
        self.set_device(Device::Demo {
            grid: grid.as_str().to_owned(),
        })?;
        tracing::info!("demo started");
        Ok(self.info())
    }

    /// The day's work in numbers over the member's grids.
    pub fn day_summary(&self, day: Option<NaiveDate>) -> AppResult<DaySummary> {
        let day = self.day_or_today(day);
        let grids = self.grids();
        self.with_store(|s| Ok(s.day_summary(&grids, day)?))
    }
}

/// What the UI needs at start: set-up state, grids, today.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    Ok(state.info())
}

/// Enrolls this device at a relay with a one-time code.
#[tauri::command]
#[tracing::instrument(skip_all)]
pub async fn enroll(
    state: State<'_, AppState>,
    relay_url: String,
    code: String,
) -> AppResult<AppInfo> {
    state.enroll(&relay_url, &code).await
}

/// Starts the offline demo.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn start_demo(state: State<'_, AppState>) -> AppResult<AppInfo> {
    state.start_demo()
}

/// Today (or `day`) at a glance.
#[tauri::command(async)]
#[tracing::instrument(skip_all)]
pub fn day_summary(state: State<'_, AppState>, day: Option<NaiveDate>) -> AppResult<DaySummary> {
    state.day_summary(day)
}
