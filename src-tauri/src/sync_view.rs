//! From the engine's [`SyncStatus`] to the UI's [`SyncView`], and the task that pushes
//! every change of it to the UI as `sync://status`.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use wangge_core::ErrorCode;
use wangge_core::sync::SyncStatus;

use crate::dto::{SyncState, SyncView};

/// Name of the event carrying [`SyncView`].
pub const SYNC_STATUS_EVENT: &str = "sync://status";

/// Link failures that only mean "no connection right now" (shown as offline, not error).
const NO_CONNECTION: &[ErrorCode] = &[
    ErrorCode::ConnectFailed,
    ErrorCode::ConnectTimeout,
    ErrorCode::LinkDropped,
];

/// Where views go (the Tauri event in the app; a recorder in tests).
pub type Emit = Arc<dyn Fn(&SyncView) + Send + Sync>;

/// Tracks the size of the current sync round to report progress.
#[derive(Debug, Default)]
pub struct Round {
    most_pending: usize,
    most_photo_bytes: u64,
}

impl Round {
    /// The view of an engine status.
    pub fn view(&mut self, s: &SyncStatus) -> SyncView {
        // The engine's codes are strings (its module is a separate concern); each is one of
        // the UI's error codes, and one this build does not know shows as `unknown`.
        let last_error = s.last_error.map(ErrorCode::of);
        let state = if !s.online {
            match last_error {
                Some(code) if !NO_CONNECTION.contains(&code) => SyncState::Error,
                _ => SyncState::Offline,
            }
        } else if s.synced {
            SyncState::Synced
        } else {
            SyncState::Syncing
        };
        let progress = match state {
            SyncState::Syncing => {
                self.most_pending = self.most_pending.max(s.docs_pending);
                self.most_photo_bytes = self.most_photo_bytes.max(s.photo_bytes_pending);
                // Documents first (they go first); then the photos' bytes.
                let pct = if s.docs_pending > 0 || s.photo_bytes_pending == 0 {
                    let done = self.most_pending - s.docs_pending;
                    (done * 100).checked_div(self.most_pending).unwrap_or(0)
                } else {
                    let done = self.most_photo_bytes - s.photo_bytes_pending;
                    usize::try_from((done * 100) / self.most_photo_bytes.max(1)).unwrap_or(0)
                };
                Some(u8::try_from(pct.min(100)).unwrap_or(100))
            }
            SyncState::Synced => {
                self.most_pending = 0;
                self.most_photo_bytes = 0;
                Some(100)
            }
            _ => {
                self.most_pending = 0;
                self.most_photo_bytes = 0;
                None
            }
        };
        SyncView {
            state,
            online: s.online,
            docs_pending: s.docs_pending,
            photos_pending: s.photos_pending,
            photo_bytes_pending: s.photo_bytes_pending,
            last_success: s.last_success,
            last_error,
            progress,
        }
    }
}

/// Follows the engine's status until it stops, keeping `latest` current and emitting
/// each view that differs from the one before.
pub async fn follow(
    mut status: watch::Receiver<SyncStatus>,
    latest: Arc<Mutex<SyncView>>,
    emit: Emit,
) {
    let mut round = Round::default();
    loop {
        let view = round.view(&status.borrow_and_update());
        let changed = {
            let mut l = latest.lock().unwrap_or_else(|e| e.into_inner());
            let changed = *l != view;
            *l = view.clone();
            changed
        };
        if changed {
            emit(&view);
        }
        if status.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(online: bool, synced: bool, pending: usize, err: Option<&'static str>) -> SyncStatus {
        SyncStatus {
            online,
            synced,
            docs_pending: pending,
            last_error: err,
            ..Default::default()
        }
    }

    #[test]
    fn no_signal_is_offline_but_a_refusal_is_an_error() {
        let mut r = Round::default();
        assert_eq!(
            r.view(&status(false, false, 0, None)).state,
            SyncState::Offline
        );
        assert_eq!(
            r.view(&status(false, false, 0, Some("connect_failed")))
                .state,
            SyncState::Offline
        );
        assert_eq!(
            r.view(&status(false, false, 0, Some("unauthorized"))).state,
            SyncState::Error
        );
    }

    #[test]
    fn the_last_failure_crosses_as_an_error_code() {
        let mut r = Round::default();
        let v = r.view(&status(false, false, 0, Some("link_dropped")));
        assert_eq!(v.last_error, Some(ErrorCode::LinkDropped));
        let v = r.view(&status(false, false, 0, Some("from_a_newer_engine")));
        assert_eq!(v.last_error, Some(ErrorCode::Unknown));
    }

    #[test]
    fn a_round_reports_progress_until_synced() {
        let mut r = Round::default();
        let v = r.view(&status(true, false, 4, None));
        assert_eq!((v.state, v.progress), (SyncState::Syncing, Some(0)));
        let v = r.view(&status(true, false, 1, None));
        assert_eq!(v.progress, Some(75));
        let v = r.view(&status(true, true, 0, None));
        assert_eq!((v.state, v.progress), (SyncState::Synced, Some(100)));
    }

    #[test]
    fn photos_show_as_pending_and_their_bytes_drive_progress_after_the_documents() {
        let mut r = Round::default();
        let photos = |docs: usize, bytes: u64| SyncStatus {
            online: true,
            docs_pending: docs,
            photos_pending: usize::from(bytes > 0),
            photo_bytes_pending: bytes,
            ..Default::default()
        };
        let v = r.view(&photos(2, 400_000));
        assert_eq!((v.photos_pending, v.photo_bytes_pending), (1, 400_000));
        assert_eq!(v.progress, Some(0));
        assert_eq!(r.view(&photos(0, 400_000)).progress, Some(0));
        let v = r.view(&photos(0, 100_000));
        assert_eq!((v.state, v.progress), (SyncState::Syncing, Some(75)));
    }
}
