//! Shapes of the app shell itself: its set-up state. Everything else the UI receives is
//! core's (records, inputs, views, the sync view; their TypeScript comes from core's `ts`
//! feature).

use chrono::NaiveDate;
use serde::Serialize;
use ts_rs::TS;

use wangge_core::wangge_events::Party;

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
    /// The part this device plays in events' chain of command (member, leader, centre …),
    /// once set up.
    pub party: Option<Party>,
    /// Whether the role may file reports (上报): members, informants and leaders; a
    /// community or centre dispatches what others file.
    pub may_file: bool,
    /// Whether the role reads statistics (统计分析): everyone but members and informants.
    pub may_count: bool,
    /// Whether the role sends notices (通知, 寻人): leaders, communities and centres.
    pub may_notify: bool,
    /// Whether the role starts roster campaigns (专项任务): communities and centres.
    pub may_campaign: bool,
    /// The user id this device's steps are written as (an event's assignee may be it).
    pub user_id: Option<String>,
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
