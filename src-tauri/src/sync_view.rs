//! The task that pushes every change of the sync view (core's [`SyncView`] of the
//! engine's [`SyncStatus`]) to the UI as `sync://status`.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use wangge_core::sync::SyncStatus;
use wangge_core::views::{SyncRound, SyncView};

/// Name of the event carrying [`SyncView`].
pub const SYNC_STATUS_EVENT: &str = "sync://status";

/// Where views go (the Tauri event in the app; a recorder in tests).
pub type Emit = Arc<dyn Fn(&SyncView) + Send + Sync>;

/// Follows the engine's status until it stops, keeping `latest` current and emitting
/// each view that differs from the one before.
pub async fn follow(
    mut status: watch::Receiver<SyncStatus>,
    latest: Arc<Mutex<SyncView>>,
    emit: Emit,
) {
    let mut round = SyncRound::default();
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
