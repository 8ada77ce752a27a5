//! OS notifications (系统通知) for notices: a 特急 or 紧急 notice for this user raises one
//! when it arrives, and again after each reminder (一键催收) naming them, until they
//! confirm it. Core decides what to announce and remembers what it did
//! ([`wangge_core::Store::notices_to_alert`]); this only shows them, after each sync round
//! that may have brought notices. The text names the notice, never a person.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;
use wangge_core::views::SyncView;
use wangge_core::{NoticeRow, NoticeSort, Priority};

use crate::state::AppState;

/// What the notification says about `row`.
pub fn text_of(row: &NoticeRow) -> (String, String) {
    let level = match row.priority {
        Priority::Critical => "【特急】",
        Priority::Urgent => "【紧急】",
        Priority::Normal => "",
    };
    let sort = match row.sort {
        NoticeSort::MissingPerson => "寻人启事:",
        NoticeSort::Notice => "",
    };
    let from = row.sender_unit_name.as_deref().unwrap_or("上级");
    let body = if row.reminded {
        format!("{from}催收:请尽快签收")
    } else {
        format!("{from}发来通知,请签收")
    };
    (format!("{level}{sort}{}", row.title), body)
}

/// Announces, after a completed sync round, the notices core says are due.
pub struct Announcer {
    last_round: Mutex<Option<DateTime<Utc>>>,
}

impl Default for Announcer {
    fn default() -> Self {
        Self::new()
    }
}

impl Announcer {
    /// An announcer that has seen no round yet.
    pub fn new() -> Self {
        Self {
            last_round: Mutex::new(None),
        }
    }

    /// Called with every sync view: once per completed round, shows what is due.
    pub fn on_view<R: Runtime>(&self, app: &AppHandle<R>, view: &SyncView) {
        {
            let mut last = self.last_round.lock().unwrap_or_else(|e| e.into_inner());
            if view.last_success.is_none() || *last == view.last_success {
                return;
            }
            *last = view.last_success;
        }
        let Some(state) = app.try_state::<AppState>() else {
            return;
        };
        let rows = match state.with_store(|s| s.notices_to_alert()) {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(code = e.code.code(), "notices to announce not read");
                return;
            }
        };
        for row in &rows {
            let (title, body) = text_of(row);
            if let Err(e) = app.notification().builder().title(title).body(body).show() {
                tracing::warn!(cause = %e, "notification not shown");
            }
        }
        if !rows.is_empty() {
            tracing::info!(notices = rows.len(), "notices announced");
        }
    }
}
