//! `wangge-app`: the Tauri 2 shell of Wangge (网格通). Each command is a thin call into
//! `wangge-core`; no SQL, no automerge and no business rule live here.
//!
//! # Layout
//!
//! - [`commands`]: the Tauri commands, one file per area (`setup`, `households`,
//!   `residents`, `checks`, `visits`, `journal`, `photos`, `reports`, `sync`). Each is a
//!   free function: take the state, call one core function, convert the error;
//!   [`invoke_handler`] lists them all (the app and the tests use the same list).
//! - [`state`]: [`AppState`]: the encrypted store, the device's set-up, the sync engine.
//! - [`setup`]: enrolling (also at launch) and the offline demo: `device.json` and the
//!   store swap around core's checks and seeding.
//! - [`device`]: `device.json` (demo or enrollment; 0600) and the data directory's files.
//! - [`dto`]: the shell's own shapes (set-up state, sync status); views are core's.
//! - [`sync_view`]: core's sync view of the engine's status, pushed to the UI as `sync://status`.
//! - [`alerts`]: OS notifications for 特急 and reminded notices, after each sync round.
//! - [`error`]: [`AppError`], the one error the UI sees: `{code, message, fields?}`.
//! - [`bindings`]: the TypeScript types of the IPC, generated into `ui/src/bindings/`.
//!
//! The data directory is `WANGGE_DATA_DIR` when set, else the platform's app data dir;
//! `WANGGE_RELAY_URL` prefills the relay address on the first-run screen; with
//! `WANGGE_ENROLL_CODE` too, a new device enrolls at launch (demos, tests).

pub mod alerts;
pub mod bindings;
pub mod commands;
pub mod device;
pub mod dto;
pub mod error;
pub mod setup;
pub mod state;
pub mod sync_view;

use std::path::PathBuf;
use std::sync::Arc;

use tauri::{Emitter, Manager, Runtime};

pub use error::{AppError, AppResult};
pub use state::AppState;

use crate::sync_view::{Emit, SYNC_STATUS_EVENT};
use wangge_core::views::SyncView;

/// Sets the log subscriber once: `RUST_LOG` or `info`, with personal-data-safe caps.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    for d in wangge_core::LOG_FILTER_PERSONAL_DATA_SAFE.split(',') {
        if let Ok(d) = d.parse() {
            filter = filter.add_directive(d);
        }
    }
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    match std::env::var_os("WANGGE_DATA_DIR") {
        Some(d) if !d.is_empty() => Ok(PathBuf::from(d)),
        _ => Ok(app.path().app_data_dir()?),
    }
}

/// Runs the app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    init_tracing();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .setup(|app| {
            let dir = data_dir(app)?;
            let handle = app.handle().clone();
            let announcer = Arc::new(alerts::Announcer::new());
            let emit: Emit = Arc::new(move |view: &SyncView| {
                if let Err(e) = handle.emit(SYNC_STATUS_EVENT, view) {
                    tracing::warn!(cause = %e, "sync status event not sent");
                }
                // Notifications go out off the sync task (showing one may block on D-Bus).
                if view.last_success.is_some() {
                    let (app, view, announcer) = (handle.clone(), view.clone(), announcer.clone());
                    tauri::async_runtime::spawn_blocking(move || announcer.on_view(&app, &view));
                }
            });
            let rt = tauri::async_runtime::handle().inner().clone();
            let prefill = std::env::var("WANGGE_RELAY_URL").ok();
            let state = AppState::open(&dir, prefill, rt, emit)?;
            #[cfg(desktop)]
            let state = match app.path().download_dir() {
                Ok(downloads) if downloads.is_dir() => state.with_export_dir(downloads),
                _ => state,
            };
            let code = std::env::var("WANGGE_ENROLL_CODE").ok();
            tauri::async_runtime::block_on(state.enroll_at_launch(code));
            app.manage(state);
            Ok(())
        })
        .invoke_handler(invoke_handler())
        .build(tauri::generate_context!());
    match result {
        Ok(app) => app.run(on_event),
        Err(e) => {
            tracing::error!(cause = %e, "the app failed to start");
            std::process::exit(1);
        }
    }
}

/// Every command the UI may invoke (the app's and the tests' one list).
pub fn invoke_handler<R: Runtime>() -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static
{
    tauri::generate_handler![
        commands::setup::app_info,
        commands::setup::directory,
        commands::campaigns::campaigns,
        commands::campaigns::start_campaign,
        commands::campaigns::campaign_view,
        commands::campaigns::campaign_roster,
        commands::campaigns::tick_campaign,
        commands::campaigns::close_campaign,
        commands::campaigns::export_campaign,
        commands::campaigns::presence,
        commands::notices::notices,
        commands::notices::notices_to_acknowledge,
        commands::notices::notice_detail,
        commands::notices::confirm_notice,
        commands::notices::send_notice,
        commands::notices::remind_notice,
        commands::notices::close_notice,
        commands::notices::send_clue,
        commands::notices::directory_people,
        commands::setup::enroll,
        commands::setup::enroll_link,
        commands::setup::start_demo,
        commands::setup::day_summary,
        commands::households::list_households,
        commands::households::search_residents,
        commands::households::get_household,
        commands::households::create_household,
        commands::households::update_household,
        commands::households::validate_household,
        commands::residents::add_resident,
        commands::residents::update_resident,
        commands::residents::resident_input,
        commands::residents::validate_resident,
        commands::residents::set_moved_out,
        commands::residents::resolve_conflict,
        commands::checks::household_checks,
        commands::checks::validate_temperature,
        commands::checks::record_checks,
        commands::checks::match_pasted_readings,
        commands::checks::next_household_due,
        commands::checks::fever_list,
        commands::visits::record_visit,
        commands::visits::visits_of_day,
        commands::journal::draft_journal,
        commands::journal::journal_entry,
        commands::journal::save_journal,
        commands::journal::journal_days,
        commands::photos::add_photo,
        commands::photos::photo,
        commands::reports::file_report,
        commands::reports::list_reports,
        commands::reports::get_report,
        commands::events::my_tasks,
        commands::events::event_detail,
        commands::events::take_step,
        commands::stats::event_stats,
        commands::stats::export_stats,
        commands::sync::sync_status,
        commands::sync::sync_now,
    ]
}

/// Syncs when the app comes back: resumed from the background (mobile) or its window
/// focused again (desktop), as a phone may have been offline while away.
fn on_event(app: &tauri::AppHandle, event: tauri::RunEvent) {
    let back = matches!(
        event,
        tauri::RunEvent::Resumed
            | tauri::RunEvent::WindowEvent {
                event: tauri::WindowEvent::Focused(true),
                ..
            }
    );
    if back && let Some(state) = app.try_state::<AppState>() {
        state.nudge();
    }
}
