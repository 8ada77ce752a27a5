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
//! - [`demo`]: invented demo and benchmark data, made through the user actions.
//! - [`photos`]: camera file → evidence JPEG + thumbnail (via `wangge-media`) → blob store.
//! - [`clock`]: the device clock and the local day (Asia/Shanghai by default).
//! - [`error`]: [`CoreError`] with stable codes the UI maps to Chinese text.

pub mod clock;
pub mod demo;
pub mod doc;
pub mod error;
pub mod model;
pub mod photos;
pub mod store;
pub mod sync;

/// Log filter directives every binary appends to its own. Defence in depth: automerge
/// prints loaded operation values (names, ID numbers) at TRACE when built with its
/// `slow_path_assertions` feature; capping it at `info` keeps that out of any log.
pub const LOG_FILTER_PERSONAL_DATA_SAFE: &str = "automerge=info";

pub use doc::DocKind;
pub use error::{CoreError, FieldError, Result};
pub use model::*;
pub use store::{DbKey, Store, StoreConfig, Synchronous};
pub use wangge_proto::DocumentId;
