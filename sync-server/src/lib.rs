//! `wangge-relay`: the Wangge sync relay.
//!
//! It speaks the automerge-repo v1 WebSocket protocol (see `wangge-proto`), so Wangge
//! devices and any automerge-repo peer sync through it, and adds what a government field
//! app needs: enrolled devices with revocable tokens, and documents served and accepted
//! only within each user's grids or division.
//!
//! # Layout
//!
//! - [`config`]: [`Config`] from defaults → TOML file → `WANGGE_` env.
//! - Codes, roles, kinds, the access table and the wire types are `wangge-schema`'s, the
//!   contract the device follows too ([`ScopeCode`], [`Role`], [`DocKind`], [`Principal`]).
//! - [`auth`]: device tokens, enrollment codes, peer-id binding, token extraction.
//! - [`store`]: storage traits of domain operations split by concern (accounts, documents,
//!   uploads and blobs; [`RelayStore`] is all three), the SQLite and PostgreSQL backends
//!   with their `.sql` migrations, photo bytes in S3-compatible object storage over
//!   either (`store::objects`), and the shared suites every backend must pass, one per
//!   trait.
//! - [`engine`]: the pure sync state machine ([`Hub`]) over `automerge::sync`, with the
//!   scope checks and persist-before-acknowledge rule.
//! - [`server`]: axum routes (`/healthz`, `/v1/enroll`, `/v1/sync`, tus photo uploads at
//!   `/v1/files`, downloads at `/v1/blobs/{sha256}`), the WebSocket byte
//!   mover, the hub thread, graceful shutdown ([`Relay`]).
//! - [`admin`]: what `wangge-relay admin …` does.
//!
//! The binary (`src/main.rs`) only parses the command line and calls into these.

pub mod admin;
pub mod auth;
pub mod config;
pub mod engine;
pub mod metrics;
pub mod server;
pub mod store;

pub use config::Config;
pub use engine::Hub;
pub use server::{Relay, shutdown_signal};
pub use store::{RelayStore, StoreError};
pub use wangge_schema::{DocKind, Principal, Role, ScopeCode};
pub use wangge_schema::{EnrollRequest, EnrollResponse};
