//! Shapes made for the UI where core's own types do not fit: views that mask personal
//! numbers, the app's set-up state, sync status and photo progress. Core's records and
//! inputs cross the boundary as they are (their TypeScript comes from core's `ts` feature).

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use ts_rs::TS;
use wangge_core::{
    Address, FieldError, FieldValue, GridCode, Household, HouseholdId, LastVisit, Relation, Report,
    ResidenceStatus, Resident, ResidentId, StatusEvent, Tag,
};

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

/// A resident as the household page shows it: ID and phone masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ResidentView {
    /// Stable id.
    pub id: ResidentId,
    /// 姓名.
    pub name: String,
    /// 身份证号, masked (`110105********1234`).
    pub id_number: Option<String>,
    /// Phone, masked (`138****1234`).
    pub phone: Option<String>,
    /// Birth date from the ID number.
    pub birth_date: Option<NaiveDate>,
    /// Relation to the head.
    pub relation: Relation,
    /// Residence status.
    pub status: ResidenceStatus,
    /// 重点人群 tags.
    pub tags: BTreeSet<Tag>,
    /// Notes.
    pub notes: String,
    /// Moved out.
    pub moved_out: bool,
}

impl From<&Resident> for ResidentView {
    fn from(r: &Resident) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            id_number: r.id_number.as_ref().map(|n| n.masked()),
            phone: r.phone.as_ref().map(|p| p.masked()),
            birth_date: r.birth_date(),
            relation: r.relation,
            status: r.status,
            tags: r.tags.clone(),
            notes: r.notes.clone(),
            moved_out: r.moved_out,
        }
    }
}

/// A household with its residents masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdDetail {
    /// Stable id.
    pub id: HouseholdId,
    /// Its grid.
    pub grid: GridCode,
    /// Where.
    pub address: Address,
    /// The address as one line.
    pub address_line: String,
    /// The head of household.
    pub head: Option<ResidentId>,
    /// Household-level tags.
    pub tags: BTreeSet<Tag>,
    /// 红色爱心户.
    pub needs_home_visit: bool,
    /// Notes.
    pub notes: String,
    /// The most recent visit.
    pub last_visit: Option<LastVisit>,
    /// Residents, moved-out ones included (flagged).
    pub residents: Vec<ResidentView>,
}

impl From<&Household> for HouseholdDetail {
    fn from(h: &Household) -> Self {
        Self {
            id: h.id,
            grid: h.grid.clone(),
            address_line: h.address.display(),
            address: h.address.clone(),
            head: h.head,
            tags: h.tags.clone(),
            needs_home_visit: h.needs_home_visit,
            notes: h.notes.clone(),
            last_visit: h.last_visit.clone(),
            residents: h.residents.iter().map(ResidentView::from).collect(),
        }
    }
}

/// A field edited concurrently on two devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConflictView {
    /// The resident whose field it is; `None` for a field of the household itself.
    pub resident: Option<ResidentId>,
    /// The field name.
    pub field: String,
    /// Every concurrent value, the one shown now first.
    pub values: Vec<FieldValue>,
}

/// The household page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdView {
    /// The household, residents masked.
    pub household: HouseholdDetail,
    /// Concurrent edits waiting for the member to pick a value.
    pub conflicts: Vec<ConflictView>,
}

/// A temperature as typed on the keypad, judged by core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TemperatureReading {
    /// Tenths of °C when valid (`365` → 36.5 °C).
    pub tenths: Option<i64>,
    /// At or above the fever line.
    pub fever: bool,
    /// Why the text is not a temperature.
    pub error: Option<FieldError>,
}

/// A stored evidence photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PhotoRef {
    /// SHA-256 of the evidence JPEG (what a report references).
    pub hash: String,
    /// Evidence size in bytes.
    pub bytes: usize,
    /// Evidence width.
    pub width: u32,
    /// Evidence height.
    pub height: u32,
}

/// `photo://progress`: the stage that starts now and how far along the photo is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PhotoProgress {
    /// `inspecting`, `decoding`, `resizing`, `thumbnail`, `captioning`, `encoding`,
    /// `storing` or `done`.
    pub stage: String,
    /// Work done, out of `total`.
    pub done: u32,
    /// Total work (100).
    pub total: u32,
}

/// The report page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    /// What the author filed.
    pub report: Report,
    /// Status history, oldest first.
    pub timeline: Vec<StatusEvent>,
    /// Photo hashes the report references that are not on this device (yet).
    pub photos_missing: Vec<String>,
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
    pub last_error: Option<String>,
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
