//! Setting the device up: enrolling at a relay (also at launch, from the environment) and
//! the offline demo. What is checked and seeded is core's; this saves `device.json` and
//! swaps the store.

use wangge_core::setup::EnrollForm;
use wangge_core::{CoreError, ErrorCode, demo};

use crate::device::{DEMO_STORE_FILE, Device, StoredTrust};
use crate::dto::{AppInfo, SetupState};
use crate::error::{AppError, AppResult};
use crate::state::{AppState, lock};

impl AppState {
    /// Trades a one-time code at the relay, saves `device.json` and starts syncing.
    pub async fn enroll(&self, relay_url: &str, code: &str) -> AppResult<AppInfo> {
        if self.setup_state() == SetupState::Enrolled {
            return Err(AppError::new(
                ErrorCode::AlreadyEnrolled,
                "this device is already enrolled",
            ));
        }
        let form = EnrollForm::parse(relay_url, code)?;
        // A wrong code, an unreachable relay, a refusing one: each its own code.
        let enrollment = wangge_core::sync::enroll(&form.relay_url, &form.code).await?;
        self.set_device(Device::enrolled(
            &form.relay_url,
            enrollment,
            StoredTrust::default(),
        ))?;
        tracing::info!("device enrolled");
        Ok(self.info())
    }

    /// Enrolls with an enrollment link (pasted, or read from the relay's QR code): its
    /// relay and code, trusting what it carries (the deployment's CA or key pins), which
    /// `device.json` keeps for every later connection.
    pub async fn enroll_link(&self, text: &str) -> AppResult<AppInfo> {
        if self.setup_state() == SetupState::Enrolled {
            return Err(AppError::new(
                ErrorCode::AlreadyEnrolled,
                "this device is already enrolled",
            ));
        }
        let link = wangge_core::sync::read_enroll_link(text).map_err(CoreError::from)?;
        let enrollment = wangge_core::sync::enroll_with_link(&link).await?;
        self.set_device(Device::enrolled(
            &link.relay.base(),
            enrollment,
            StoredTrust::of(&link),
        ))?;
        tracing::info!(trust = ?link.trust, "device enrolled by link");
        Ok(self.info())
    }

    /// Enrolls at launch with a code given in the environment (`WANGGE_ENROLL_CODE`, for
    /// demos and tests without a keyboard), when the device is new and a relay URL is
    /// known. A failure is kept for the first-run screen ([`AppInfo::enroll_error`]).
    pub async fn enroll_at_launch(&self, code: Option<String>) {
        let (Some(code), Some(url)) = (code, self.prefill_relay_url.clone()) else {
            return;
        };
        if code.trim().is_empty() || self.setup_state() != SetupState::New {
            return;
        }
        let result = self.enroll(&url, &code).await;
        if let Err(e) = &result {
            tracing::warn!(code = %e.code, "enrolling at launch failed");
        }
        *lock(&self.enroll_error) = result.err();
    }

    /// Seeds core's offline demo grid of invented people (once) and records as the demo
    /// member.
    pub fn start_demo(&self) -> AppResult<AppInfo> {
        match self.setup_state() {
            SetupState::Demo => return Ok(self.info()),
            SetupState::Enrolled => {
                return Err(AppError::new(
                    ErrorCode::AlreadyEnrolled,
                    "this device is enrolled",
                ));
            }
            SetupState::New => {}
        }
        // Seed the demo's own store first: if seeding fails the device stays new (and a
        // retry starts from an empty demo store).
        self.remove_demo_store();
        let demo = Device::Demo {
            grid: String::new(),
        };
        let mut store = self.open_store(DEMO_STORE_FILE, Some(&demo))?;
        let grid = demo::seed_offline_demo(&mut store)?;
        drop(store);
        self.set_device(Device::Demo {
            grid: grid.as_str().to_owned(),
        })?;
        tracing::info!("demo started");
        Ok(self.info())
    }
}
