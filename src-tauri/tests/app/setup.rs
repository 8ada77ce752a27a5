//! First run, demo, relaunch.

use wangge_app_lib::device::DEVICE_FILE;
use wangge_app_lib::dto::{SetupState, SyncState};

use crate::helpers::*;

#[test]
fn an_empty_data_dir_starts_new_with_sync_off() {
    let rt = runtime();
    let app = fresh_app(&rt);
    let info = app.state.info();
    assert_eq!(info.state, SetupState::New);
    assert_eq!(info.grid, None);
    assert_eq!(
        info.prefill_relay_url.as_deref(),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(app.state.sync_view().state, SyncState::Off);
    assert!(app.state.list_households().unwrap().is_empty());
    assert_eq!(
        app.state.create_household(&flat("101")).unwrap_err().code,
        "no_grid"
    );
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
    assert_eq!(app.state.info().state, SetupState::New);
}

#[test]
fn the_demo_seeds_a_grid_once_and_survives_a_relaunch() {
    let rt = runtime();
    let app = fresh_app(&rt);
    let info = app.state.start_demo().unwrap();
    assert_eq!(info.state, SetupState::Demo);
    let grid = info.grid.clone().unwrap();
    assert_eq!(info.grids, std::slice::from_ref(&grid));
    let households = app.state.list_households().unwrap();
    assert_eq!(households.len(), 24);
    assert!(households.iter().all(|h| h.grid == grid));
    // Starting the demo again changes nothing.
    app.state.start_demo().unwrap();
    assert_eq!(app.state.list_households().unwrap().len(), 24);
    let summary = app.state.day_summary(None).unwrap();
    assert!(summary.checks_due > 0);
    assert_eq!(summary.checks_done, 0);

    let app = app.relaunch(&rt);
    let again = app.state.info();
    assert_eq!(again.state, SetupState::Demo);
    assert_eq!(again.grid, Some(grid));
    assert_eq!(app.state.list_households().unwrap().len(), 24);
    assert_eq!(app.state.sync_view().state, SyncState::Off);
}

#[test]
fn search_finds_a_demo_resident_by_pinyin_initials_with_masked_numbers() {
    let rt = runtime();
    let app = fresh_app(&rt);
    app.state.start_demo().unwrap();
    let hh = app.state.list_households().unwrap();
    let first = app.state.get_household(hh[0].id).unwrap();
    let someone = &first.household.residents[0];
    let hits = app.state.search_residents(&someone.name).unwrap();
    let hit = hits.iter().find(|h| h.resident == someone.id).unwrap();
    let masked = hit.id_masked.as_deref().unwrap();
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(Some(masked), someone.id_number.as_deref());
}
