//! The app's state: the encrypted store, how the device is set up, and the sync engine.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use wangge_core::sync::SyncEngine;
use wangge_core::views::SyncView;
use wangge_core::wangge_events::{ActionKind, Party, parties_for};
use wangge_core::{DbKey, ErrorCode, GridCode, Role, Store, StoreConfig};

use crate::device::{DEMO_STORE_FILE, Device, KEY_FILE, LOCAL_MEMBER};

use crate::dto::{AppInfo, SetupState};
use crate::error::{AppError, AppResult};
use crate::sync_view::{Emit, follow};

/// A running engine and the task forwarding its status to the UI.
struct Syncing {
    engine: SyncEngine,
    follower: JoinHandle<()>,
}

impl Drop for Syncing {
    fn drop(&mut self) {
        self.follower.abort();
    }
}

/// Everything the commands work on. Managed by Tauri; tests build one directly.
pub struct AppState {
    data_dir: PathBuf,
    key: DbKey,
    pub(crate) prefill_relay_url: Option<String>,
    rt: Handle,
    store: Arc<Mutex<Store>>,
    device: Mutex<Option<Device>>,
    sync: Mutex<Option<Syncing>>,
    view: Arc<Mutex<SyncView>>,
    emit: Emit,
    pub(crate) enroll_error: Mutex<Option<AppError>>,
    export_dir: Option<PathBuf>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every store write is one SQLite transaction, so a panic elsewhere leaves it sound.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AppState {
    /// Opens the data directory: the store (created on first run), `device.json` if the
    /// device is set up, and the sync engine if it is enrolled. `rt` runs the engine;
    /// `emit` receives every sync status change.
    pub fn open(
        data_dir: &Path,
        prefill_relay_url: Option<String>,
        rt: Handle,
        emit: Emit,
    ) -> AppResult<Self> {
        create_private_dir(data_dir)?;
        let key = DbKey::load_or_create_file(&data_dir.join(KEY_FILE))?;
        let device = Device::load(data_dir)?;
        let file = Device::store_file(device.as_ref());
        let store = Store::open(&data_dir.join(file), &key, store_config(device.as_ref()))?;
        let state = Self {
            data_dir: data_dir.to_owned(),
            key,
            prefill_relay_url: prefill_relay_url.filter(|u| !u.trim().is_empty()),
            rt,
            store: Arc::new(Mutex::new(store)),
            device: Mutex::new(device),
            sync: Mutex::new(None),
            view: Arc::new(Mutex::new(SyncView::off())),
            emit,
            enroll_error: Mutex::new(None),
            export_dir: None,
        };
        state.start_sync();
        tracing::info!(state = ?state.setup_state(), "app state opened");
        Ok(state)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Sends exported files to `dir` (the user's downloads folder on a desktop).
    pub fn with_export_dir(mut self, dir: PathBuf) -> Self {
        self.export_dir = Some(dir);
        self
    }

    /// Where exported files go: the folder set at launch, else the app's own `exports`
    /// folder in its data directory (on phones, and in tests).
    pub fn export_dir(&self) -> PathBuf {
        self.export_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("exports"))
    }

    /// The shared store (the sync engine and the photo pipeline hold it too).
    pub fn store_handle(&self) -> Arc<Mutex<Store>> {
        self.store.clone()
    }

    /// Runs `f` (a call into core) with the store locked; core's error becomes the UI's.
    pub fn with_store<T>(
        &self,
        f: impl FnOnce(&mut Store) -> wangge_core::Result<T>,
    ) -> AppResult<T> {
        Ok(f(&mut lock(&self.store))?)
    }

    /// A copy of the device settings, when set up.
    pub fn device(&self) -> Option<Device> {
        lock(&self.device).clone()
    }

    /// Set-up state.
    pub fn setup_state(&self) -> SetupState {
        match &*lock(&self.device) {
            None => SetupState::New,
            Some(Device::Demo { .. }) => SetupState::Demo,
            Some(Device::Enrolled { .. }) => SetupState::Enrolled,
        }
    }

    /// The grids the member works in (none before set-up).
    pub fn grids(&self) -> Vec<GridCode> {
        lock(&self.device)
            .as_ref()
            .map(Device::grids)
            .unwrap_or_default()
    }

    /// The member's own grid, or `no_grid` when the device has none.
    pub fn grid(&self) -> AppResult<GridCode> {
        lock(&self.device)
            .as_ref()
            .and_then(Device::grid)
            .ok_or_else(|| {
                AppError::new(
                    ErrorCode::NoGrid,
                    "this device has no grid yet: enroll or start the demo",
                )
            })
    }

    /// What the UI needs at start.
    pub fn info(&self) -> AppInfo {
        let device = self.device();
        let today = lock(&self.store).today();
        // The demo plays a member; an enrolled device its role (none if this build does
        // not know it).
        let party = match &device {
            Some(Device::Demo { .. }) => Some(Party::Member),
            Some(d) => d.party().map(|p| p.role),
            None => None,
        };
        let enrolled_role = match &device {
            Some(d @ Device::Enrolled { .. }) => d.role().parse::<Role>().ok(),
            _ => None,
        };
        AppInfo {
            state: self.setup_state(),
            role: device.as_ref().map(|d| d.role().to_owned()),
            party,
            user_id: device
                .as_ref()
                .map(|d| wangge_core::user_id(d.member()).to_string()),
            may_file: party.is_some_and(|p| parties_for(ActionKind::File).contains(&p)),
            may_count: party.is_some_and(Party::reads_statistics),
            may_notify: enrolled_role.is_some_and(Role::sends_notices),
            may_campaign: enrolled_role.is_some_and(Role::starts_campaigns),
            grids: device
                .as_ref()
                .map(|d| d.grids().iter().map(|g| g.as_str().to_owned()).collect())
                .unwrap_or_default(),
            grid: device
                .as_ref()
                .and_then(Device::grid)
                .map(|g| g.as_str().to_owned()),
            relay_url: match &device {
                Some(Device::Enrolled { relay_url, .. }) => Some(relay_url.clone()),
                _ => None,
            },
            today,
            prefill_relay_url: self.prefill_relay_url.clone(),
            enroll_error: lock(&self.enroll_error).clone(),
        }
    }

    /// Opens a store in the data dir as `device`'s member (the demo seeds one before
    /// switching).
    pub fn open_store(&self, file: &str, device: Option<&Device>) -> AppResult<Store> {
        Ok(Store::open(
            &self.data_dir.join(file),
            &self.key,
            store_config(device),
        )?)
    }

    /// Saves the new set-up, reopens the store as the device's member and (re)starts sync.
    /// Leaving the demo deletes the demo's store: its invented records never sync.
    pub fn set_device(&self, device: Device) -> AppResult<()> {
        let was_demo = self.setup_state() == SetupState::Demo;
        let reopened = self.open_store(Device::store_file(Some(&device)), Some(&device))?;
        device.save(&self.data_dir)?;
        // Stop the old engine before the store it syncs is swapped.
        lock(&self.sync).take();
        *lock(&self.store) = reopened;
        *lock(&self.device) = Some(device);
        if was_demo && self.setup_state() != SetupState::Demo {
            self.remove_demo_store();
        }
        self.start_sync();
        Ok(())
    }

    /// Deletes the demo's store files (not in use: the device is not a demo).
    pub(crate) fn remove_demo_store(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let path = self.data_dir.join(format!("{DEMO_STORE_FILE}{suffix}"));
            if let Err(e) = std::fs::remove_file(&path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(cause = %e, "demo store not removed");
            }
        }
    }

    /// Starts the engine when enrolled (at launch and after enrollment).
    fn start_sync(&self) {
        let Some(Device::Enrolled {
            relay_url,
            token,
            peer_id,
            trust,
            ..
        }) = self.device()
        else {
            return;
        };
        let _rt = self.rt.enter();
        let cfg = wangge_core::sync::SyncConfig {
            transport: trust.transport(),
            ..Default::default()
        };
        let engine = SyncEngine::spawn_with(self.store.clone(), &relay_url, &token, &peer_id, cfg);
        let follower = self.rt.spawn(follow(
            engine.status(),
            self.view.clone(),
            self.emit.clone(),
        ));
        *lock(&self.sync) = Some(Syncing { engine, follower });
        tracing::info!("sync started");
    }

    /// Stops the sync engine (before the data dir is opened again, as at a relaunch).
    pub fn stop_sync(&self) {
        lock(&self.sync).take();
    }

    /// Asks the engine to sync now ("sync now", the app back in front). Saves need no
    /// nudge: the store tells the engine which documents each action changed.
    pub fn nudge(&self) {
        if let Some(s) = &*lock(&self.sync) {
            s.engine.nudge();
        }
    }

    /// The latest sync view.
    pub fn sync_view(&self) -> SyncView {
        lock(&self.view).clone()
    }
}

/// Creates the data dir when missing, readable by this user only (the store is encrypted,
/// but `device.json` holds the device token).
fn create_private_dir(dir: &Path) -> AppResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
        .map_err(|e| AppError::new(ErrorCode::IoError, e.to_string()))
}

/// The store's settings for `device` (none: not set up yet): its member, and the party it
/// plays in events' chain of command (a demo device is a member of its grid).
fn store_config(device: Option<&Device>) -> StoreConfig {
    StoreConfig {
        member: device.map_or(LOCAL_MEMBER, Device::member).to_owned(),
        party: device.and_then(Device::party).unwrap_or_default(),
        role: device.and_then(|d| d.role().parse().ok()),
        grids: device.map(Device::grids).unwrap_or_default(),
        ..StoreConfig::default()
    }
}
