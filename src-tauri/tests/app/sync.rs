//! Enrollment at a real relay on loopback, sync status events, relaunch.

use std::time::Duration;

use serde_json::json;
use wangge_app_lib::dto::SetupState;
use wangge_core::ErrorCode;
use wangge_core::views::SyncState;

use crate::helpers::*;

#[test]
fn enrolling_starts_sync_and_a_relaunch_resumes_it() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let app = fresh_app(&rt);

    // A wrong code is refused and the device stays new; an empty form says what is missing.
    let err = app.refused(
        "enroll",
        json!({ "relayUrl": relay.url, "code": "not-a-code" }),
    );
    assert_eq!(err["code"], "enroll_code_invalid");
    let err = app.refused("enroll", json!({ "relayUrl": " ", "code": "" }));
    assert_eq!(err["code"], "invalid");
    assert_eq!(err["fields"][0]["field"], "relay_url");
    assert_eq!(err["fields"][1]["field"], "code");
    assert_eq!(app.state().info().state, SetupState::New);

    let info = app.call(
        "enroll",
        json!({ "relayUrl": relay.url, "code": relay.code() }),
    );
    assert_eq!(info["state"], "enrolled");
    assert_eq!(info["grid"], GRID);
    assert_eq!(info["relayUrl"], relay.url);
    assert!(synced(&app), "{:?}", app.state().sync_view());
    // A write is pushed: pending goes back to zero and the UI heard about it.
    app.call("create_household", json!({ "input": json(&flat("301")) }));
    assert!(wait_until(Duration::from_secs(20), || {
        let v = app.state().sync_view();
        v.state == SyncState::Synced && v.docs_pending == 0
    }));
    let seen: Vec<SyncState> = app.events.lock().unwrap().iter().map(|v| v.state).collect();
    assert!(seen.contains(&SyncState::Syncing), "{seen:?}");
    assert_eq!(seen.last(), Some(&SyncState::Synced));
    assert!(app.call("sync_status", json!({}))["lastSuccess"].is_string());
    // Enrolling twice is refused.
    let again = app.refused("enroll", json!({ "relayUrl": relay.url, "code": "x" }));
    assert_eq!(again["code"], "already_enrolled");

    // Relaunch: device.json is read and sync restarts by itself.
    let app = app.relaunch(&rt);
    assert_eq!(app.state().info().state, SetupState::Enrolled);
    assert_eq!(
        app.call("list_households", json!({}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(synced(&app));
    drop(app);
    drop(relay);
}

#[test]
fn an_unreachable_relay_shows_offline_not_error() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let app = fresh_app(&rt);
    app.call(
        "enroll",
        json!({ "relayUrl": relay.url, "code": relay.code() }),
    );
    assert!(synced(&app));
    drop(relay);
    // The relay is gone; writes still succeed locally and the badge says offline.
    app.call("create_household", json!({ "input": json(&flat("302")) }));
    assert!(
        wait_until(Duration::from_secs(20), || app.state().sync_view().state
            == SyncState::Offline),
        "{:?}",
        app.state().sync_view()
    );
    let view = app.call("sync_status", json!({}));
    assert_eq!(view["state"], "offline");
    assert!(view["lastError"].is_string(), "{view}");
    assert_eq!(
        app.call("list_households", json!({}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_code_in_the_environment_enrolls_a_new_device_at_launch() {
    let rt = runtime();
    let relay = TestRelay::spawn(&rt);
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = open_with(&rt, dir.path(), &relay.url);
    rt.block_on(state.enroll_at_launch(Some("wrong".into())));
    let info = state.info();
    assert_eq!(info.state, SetupState::New);
    assert_eq!(
        info.enroll_error.map(|e| e.code),
        Some(ErrorCode::EnrollCodeInvalid)
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
    app.call("start_demo", json!({}));
    assert_eq!(
        app.call("list_households", json!({}))
            .as_array()
            .unwrap()
            .len(),
        24
    );
    assert!(app.dir.path().join("demo.db").exists());
    let info = app.call(
        "enroll",
        json!({ "relayUrl": relay.url, "code": relay.code() }),
    );
    assert_eq!(info["state"], "enrolled");
    // The demo grid has the same code as the relay's grid: nothing invented may show up.
    assert_eq!(info["grid"], GRID);
    assert_eq!(app.call("list_households", json!({})), json!([]));
    assert!(!app.dir.path().join("demo.db").exists());
    assert!(synced(&app));
    assert_eq!(app.state().sync_view().docs_pending, 0);
    // A second device of the same grid receives no demo household from the relay.
    let other = fresh_app(&rt);
    other.call(
        "enroll",
        json!({ "relayUrl": relay.url, "code": relay.code() }),
    );
    assert!(synced(&other));
    assert_eq!(other.call("list_households", json!({})), json!([]));
}
