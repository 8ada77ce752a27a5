//! The Tauri commands, one file per area. Each is a free function: take the state, call
//! one `wangge-core` function, convert the error. Writes need nothing more: the store
//! tells the sync engine what each action changed. Every command runs off the main thread
//! (`async`), so the window never waits on SQLite.

pub mod campaigns;
pub mod checks;
pub mod events;
pub mod households;
pub mod journal;
pub mod notices;
pub mod photos;
pub mod reports;
pub mod residents;
pub mod setup;
pub mod stats;
pub mod sync;
pub mod visits;
