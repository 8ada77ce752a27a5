//! The Tauri commands, one file per area. Each is a free function: take the state, call
//! one `wangge-core` function, convert the error (and tell the sync engine after a
//! write). Every command runs off the main thread (`async`), so the window never waits on
//! SQLite.

pub mod checks;
pub mod households;
pub mod journal;
pub mod photos;
pub mod reports;
pub mod residents;
pub mod setup;
pub mod sync;
pub mod visits;
