//! Shapes of the app shell itself: its set-up state and sync status. Everything else the
//! UI receives is core's (records, inputs, views; their TypeScript comes from core's `ts`
//! feature).

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use ts_rs::TS;
use wangge_core::ErrorCode;

use crate::error::AppError;

/// How far the device is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SetupState {
    /// First run: neither enrolled nor a demo.
    New,
    /// An offline demo grid of invented people.
    Demo,
    /// Enrolled at a relay.
    Enrolled,
}

/// What the UI needs to know about the app at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Set-up state.
    pub state: SetupState,
    /// The member's role (`member`, `leader`, …), once set up.
    pub role: Option<String>,
    /// Grids the member works in.
    pub grids: Vec<String>,
    /// The member's own grid.
    pub grid: Option<String>,
    /// The relay this device syncs with, once enrolled.
    pub relay_url: Option<String>,
    /// The local day (Asia/Shanghai).
    pub today: NaiveDate,
    /// A relay address to prefill on the first-run screen (`WANGGE_RELAY_URL`).
    pub prefill_relay_url: Option<String>,
    /// Why enrolling at launch with `WANGGE_ENROLL_CODE` failed, if it did.
    pub enroll_error: Option<AppError>,
}

/// The sync badge's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Not enrolled: nothing to sync with.
    Off,
    /// No link to the relay right now.
    Offline,
    /// Connected, exchanging changes.
    Syncing,
    /// Everything on this device is at the relay.
    Synced,
    /// The relay refused this device or the link failed for a reason other than no signal.
    Error,
}

/// `sync://status` and `sync_status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    /// The badge state.
    pub state: SyncState,
    /// Connected and joined.
    pub online: bool,
    /// Documents not yet in sync with the relay.
    pub docs_pending: usize,
    /// Photos waiting to upload.
    pub photos_pending: usize,
    /// Bytes of photos waiting to upload.
    pub photo_bytes_pending: u64,
    /// When everything was last in sync.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure's code (`connect_failed`, `unauthorized`, …).
    pub last_error: Option<ErrorCode>,
    /// Percent of the current sync round done, while syncing.
    pub progress: Option<u8>,
}

impl SyncView {
    /// The view when sync is off (not enrolled).
    pub fn off() -> Self {
        Self {
            state: SyncState::Off,
            online: false,
            docs_pending: 0,
            photos_pending: 0,
            photo_bytes_pending: 0,
            last_success: None,
            last_error: None,
            progress: None,
        }
    }
}
