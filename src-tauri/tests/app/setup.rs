//! First run, demo, relaunch.

use serde_json::json;
use wangge_app_lib::device::DEVICE_FILE;
use wangge_app_lib::dto::SetupState;
use wangge_core::views::SyncState;

use crate::helpers::*;

#[test]
fn an_empty_data_dir_starts_new_with_sync_off() {
    let rt = runtime();
    let app = fresh_app(&rt);
    let info = app.call("app_info", json!({}));
    assert_eq!(info["state"], "new");
    assert_eq!(info["grid"], json!(null));
    assert_eq!(info["prefillRelayUrl"], "http://127.0.0.1:8080");
    assert_eq!(app.call("sync_status", json!({}))["state"], "off");
    assert_eq!(app.call("list_households", json!({})), json!([]));
    let err = app.refused("create_household", json!({ "input": json(&flat("101")) }));
    assert_eq!(err["code"], "no_grid");
    assert!(app.dir.path().join("wangge.db").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let nested = app.dir.path().join("fresh/data");
        let _second = open_dir(&rt, &nested);
        let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
    assert!(!app.dir.path().join(DEVICE_FILE).exists());
    // Relaunching an untouched data dir is still first run.
    let app = app.relaunch(&rt);
    assert_eq!(app.state().info().state, SetupState::New);
}

#[test]
fn the_demo_seeds_a_grid_once_and_survives_a_relaunch() {
    let rt = runtime();
    let app = fresh_app(&rt);
    let info = app.call("start_demo", json!({}));
    assert_eq!(info["state"], "demo");
    let grid = info["grid"].clone();
    assert_eq!(info["grids"], json!([grid]));
    let households = app.call("list_households", json!({}));
    assert_eq!(households.as_array().unwrap().len(), 24);
    assert!(
        households
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["grid"] == grid)
    );
    // Starting the demo again changes nothing.
    app.call("start_demo", json!({}));
    assert_eq!(
        app.call("list_households", json!({}))
            .as_array()
            .unwrap()
            .len(),
        24
    );
    let summary = app.call("day_summary", json!({ "day": null }));
    assert!(summary["checks_due"].as_i64().unwrap() > 0);
    assert_eq!(summary["checks_done"], 0);

    let app = app.relaunch(&rt);
    let again = app.state().info();
    assert_eq!(again.state, SetupState::Demo);
    assert_eq!(again.grid.as_deref(), grid.as_str());
    assert_eq!(
        app.call("list_households", json!({}))
            .as_array()
            .unwrap()
            .len(),
        24
    );
    assert_eq!(app.state().sync_view().state, SyncState::Off);
}

#[test]
fn search_finds_a_demo_resident_by_name_with_masked_numbers() {
    let rt = runtime();
    let app = fresh_app(&rt);
    app.call("start_demo", json!({}));
    let hh = app.call("list_households", json!({}))[0]["id"].clone();
    let first = app.call("get_household", json!({ "id": hh }));
    let someone = &first["household"]["residents"][0];
    let hits = app.call("search_residents", json!({ "query": someone["name"] }));
    let hit = hits
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["resident"] == someone["id"])
        .unwrap();
    let masked = hit["id_masked"].as_str().unwrap();
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(hit["id_masked"], someone["id_number"]);
}

#[test]
fn an_unknown_command_or_a_missing_argument_is_refused_not_crashed_on() {
    let rt = runtime();
    let app = fresh_app(&rt);
    assert!(app.invoke("no_such_command", json!({})).is_err());
    assert!(app.invoke("get_household", json!({})).is_err());
    assert!(
        app.invoke("get_household", json!({ "id": "not-a-uuid" }))
            .is_err()
    );
}
