//! Enrollment at a real relay on loopback, sync status events, relaunch.

use std::time::Duration;

use tokio::sync::oneshot;
use wangge_app_lib::dto::{SetupState, SyncState};
use wangge_relay::{Config, Relay, admin, store};

use crate::helpers::*;

const GRID: &str = "110105001001001";

/// A relay on 127.0.0.1:0 with a fresh database holding one grid.
struct TestRelay {
    url: String,
    database: String,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestRelay {
    fn spawn(rt: &tokio::runtime::Runtime) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite:{}", dir.path().join("relay.db").display());
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database: database.clone(),
            ..Config::default()
        };
        let relay = rt.block_on(Relay::bind(config)).unwrap();
        let addr = relay.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        rt.spawn(async move {
            let _ = relay
                .run_until(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let mut s = store::open(&database).unwrap();
        admin::add_division(s.as_mut(), "110105001", "street").unwrap();
        admin::add_division(s.as_mut(), "110105001001", "community").unwrap();
        admin::add_grid(s.as_mut(), GRID, "grid").unwrap();
        Self {
            url: format!("http://{addr}"),
            database,
            stop: Some(stop),
            _dir: dir,
        }
    }

    fn code(&self) -> String {
        let mut s = store::open(&self.database).unwrap();
        let user = admin::add_user(s.as_mut(), "测试网格员", "member", &[GRID.to_owned()]).unwrap();
        admin::enroll_code(s.as_mut(), user, 1)
            .unwrap()
            .expose()
            .to_owned()
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[test]
fn enrolling_starts_sync_and_a_relaunch_resumes_it() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let app = fresh_app(&rt);

    // A wrong code is refused and the device stays new.
    let err = rt
        .block_on(app.state.enroll(&relay.url, "not-a-code"))
        .unwrap_err();
    assert_eq!(err.code, "enroll_failed");
    assert_eq!(app.state.info().state, SetupState::New);

    let info = rt
        .block_on(app.state.enroll(&relay.url, &relay.code()))
        .unwrap();
    assert_eq!(info.state, SetupState::Enrolled);
    assert_eq!(info.grid.as_deref(), Some(GRID));
    assert_eq!(info.relay_url.as_deref(), Some(relay.url.as_str()));
    assert!(
        wait_until(Duration::from_secs(20), || app.state.sync_view().state
            == SyncState::Synced),
        "{:?}",
        app.state.sync_view()
    );
    // A write is pushed: pending goes back to zero and the UI heard about it.
    app.state.create_household(&flat("301")).unwrap();
    assert!(wait_until(Duration::from_secs(20), || {
        let v = app.state.sync_view();
        v.state == SyncState::Synced && v.docs_pending == 0
    }));
    let seen: Vec<SyncState> = app.events.lock().unwrap().iter().map(|v| v.state).collect();
    assert!(seen.contains(&SyncState::Syncing), "{seen:?}");
    assert_eq!(seen.last(), Some(&SyncState::Synced));
    assert!(app.state.sync_view().last_success.is_some());
    // Enrolling twice is refused.
    let again = rt.block_on(app.state.enroll(&relay.url, "x")).unwrap_err();
    assert_eq!(again.code, "already_enrolled");

    // Relaunch: device.json is read and sync restarts by itself.
    let app = app.relaunch(&rt);
    assert_eq!(app.state.info().state, SetupState::Enrolled);
    assert_eq!(app.state.list_households().unwrap().len(), 1);
    assert!(wait_until(Duration::from_secs(20), || app
        .state
        .sync_view()
        .state
        == SyncState::Synced));
    drop(app);
    drop(relay);
}

#[test]
fn an_unreachable_relay_shows_offline_not_error() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let app = fresh_app(&rt);
    rt.block_on(app.state.enroll(&relay.url, &relay.code()))
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || app
        .state
        .sync_view()
        .state
        == SyncState::Synced));
    drop(relay);
    // The relay is gone; writes still succeed locally and the badge says offline.
    app.state.create_household(&flat("302")).unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || app.state.sync_view().state
            == SyncState::Offline),
        "{:?}",
        app.state.sync_view()
    );
    assert_eq!(app.state.list_households().unwrap().len(), 1);
}

#[test]
fn a_code_in_the_environment_enrolls_a_new_device_at_launch() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = open_with(&rt, &dir, &relay.url);
    rt.block_on(state.enroll_at_launch(Some("wrong".into())));
    let info = state.info();
    assert_eq!(info.state, SetupState::New);
    assert_eq!(
        info.enroll_error.map(|e| e.code).as_deref(),
        Some("enroll_failed")
    );
    rt.block_on(state.enroll_at_launch(Some(relay.code())));
    let info = state.info();
    assert_eq!(info.state, SetupState::Enrolled);
    assert!(info.enroll_error.is_none());
    assert!(wait_until(Duration::from_secs(20), || state
        .sync_view()
        .state
        == SyncState::Synced));
}

#[test]
fn enrolling_after_the_demo_starts_clean_and_no_demo_record_syncs() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let app = fresh_app(&rt);
    app.state.start_demo().unwrap();
    assert_eq!(app.state.list_households().unwrap().len(), 24);
    assert!(app.dir.path().join("demo.db").exists());
    let info = rt
        .block_on(app.state.enroll(&relay.url, &relay.code()))
        .unwrap();
    assert_eq!(info.state, SetupState::Enrolled);
    // The demo grid has the same code as the relay's grid: nothing invented may show up.
    assert_eq!(info.grid.as_deref(), Some(GRID));
    assert!(app.state.list_households().unwrap().is_empty());
    assert!(!app.dir.path().join("demo.db").exists());
    assert!(wait_until(Duration::from_secs(20), || app
        .state
        .sync_view()
        .state
        == SyncState::Synced));
    assert_eq!(app.state.sync_view().docs_pending, 0);
    // A second device of the same grid receives no demo household from the relay.
    let other = fresh_app(&rt);
    rt.block_on(other.state.enroll(&relay.url, &relay.code()))
        .unwrap();
    assert!(wait_until(Duration::from_secs(20), || other
        .state
        .sync_view()
        .state
        == SyncState::Synced));
    assert!(other.state.list_households().unwrap().is_empty());
}
