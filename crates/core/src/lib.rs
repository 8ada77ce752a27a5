//! `wangge-core`: the Wangge domain model on automerge and the encrypted local store.
//!
//! A grid member's households, residents, visits, temperature checks, journal and reports
//! live in automerge documents (so concurrent offline edits merge instead of overwriting),
//! stored in one SQLCipher-encrypted SQLite file per device, with index tables for lists
//! and search. No Tauri, no UI, no HTTP server here.
//!
//! # Layout
//!
//! - [`model`]: typed records and their validation (GB 11643 ID numbers, phones, grid
//!   codes, temperatures), masking for display. Pure data; no automerge, no SQL.
//! - [`doc`]: which document holds which records ([`DocKind`]), deterministic genesis of
//!   shared period documents, and the field codec that writes only what changed and
//!   surfaces concurrent values as [`FieldConflict`]s.
//! - [`store`]: [`Store`], the encrypted SQLite store: user actions (one SQLite
//!   transaction and one automerge change per document each), remote changes, queries,
//!   search, blobs, the photo upload queue and download list, compaction, migrations.
//! - [`sync`]: the device sync engine (enrollment, background sync with the relay over
//!   WebSocket, photo uploads over tus and scoped photo downloads over HTTP).
//! - [`views`]: what the app's screens show (the household page with numbers masked, a
//!   day's checks, fevers and visits over a member's grids, the report page, photo
//!   progress), so the app shell holds no rule.
//! - [`import`]: 导入台账: an import plan (households formed, residents validated by
//!   `wangge-ledger`) written household by household, matched by ID number, with progress
//!   and cancellation.
//! - [`setup`]: the first-run enrollment form, checked before the relay is asked.
//! - [`demo`]: invented demo and benchmark data, made through the user actions; the
//!   app's offline demo grid.
//! - [`photos`]: camera file → evidence JPEG + thumbnail (via `wangge-media`) → blob store.
//! - [`clock`]: the device clock and the local day (Asia/Shanghai by default).
//! - Events (事件): a report's chain of command is steps in its dispatch document,
//!   judged by [`wangge_events`] (re-exported); [`Store::take_step`] takes one,
//!   [`Store::event_detail`] and [`Store::my_tasks`] read them ([`model::EventDetail`],
//!   [`model::Task`]).
//! - [`error`]: [`CoreError`] with stable codes ([`ErrorCode`], the schema's) the UI maps
//!   to Chinese text.

pub mod clock;
pub mod demo;
pub mod doc;
pub mod error;
pub mod import;
pub mod model;
pub mod photos;
pub mod setup;
pub mod store;
pub mod sync;
pub mod views;

/// Log filter directives every binary appends to its own. Defence in depth: automerge
/// prints loaded operation values (names, ID numbers) at TRACE when built with its
/// `slow_path_assertions` feature; capping it at `info` keeps that out of any log.
pub const LOG_FILTER_PERSONAL_DATA_SAFE: &str = "automerge=info";

pub use doc::DocKind;
pub use error::{CoreError, ErrorCode, FieldError, Result};
pub use model::*;
pub use store::{DbKey, Store, StoreConfig, Synchronous};
/// The chain of command as pure code: steps, refusals, the state machine, deadlines.
pub use wangge_events;
pub use wangge_proto::DocumentId;
pub use wangge_schema;
pub use wangge_schema::Role;
