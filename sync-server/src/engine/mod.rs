//! The sync engine: a pure, socket-free state machine over `automerge::sync`.
//!
//! [`Hub`] takes decoded protocol messages per connection and returns [`Output`]s (bytes to
//! send, connections to close). It owns the loaded documents, the per-connection,
//! per-document sync states, and the access checks; every change it stores passes one
//! write gate (`gate`), which writes through the store *before* the sync message that
//! acknowledges the change is produced. A document the relay will not take is refused for
//! that document alone; only protocol violations and relay failures close a connection.
//! The network layer only moves bytes in and out of it ([`crate::server`]).
//!
//! # Layout
//!
//! - `hub`: the [`Hub`] state, its public face and message dispatch, refusals, admin
//!   changes.
//! - `handshake`: `join` → `peer` and the extensions agreed.
//! - `summary`: the heads-summary extension.
//! - `admit`: sync messages for registered and new documents.
//! - `gate`: the write gate.
//! - `fanout`: replies, offers, scope push, pushing changes to other connections.
//! - `cache`: documents in memory.
//! - `remote`: changes other relay instances stored (several instances, one database).
//! - `session`: one connection's state.
//! - [`guard`] (the schema's): automerge calls that turn panics on hostile bytes into
//!   errors, and the strict change-chunk check.

mod admit;
mod cache;
mod fanout;
mod gate;
pub use wangge_schema::guard;
#[cfg(test)]
mod campaign_tests;
mod handshake;
mod hub;
#[cfg(test)]
mod notice_tests;
#[cfg(test)]
mod refusal_tests;
mod remote;
#[cfg(test)]
mod remote_tests;
mod session;
#[cfg(test)]
mod step_tests;
mod summary;
#[cfg(test)]
mod tests;

pub use hub::{ConnId, EngineLimits, Hub, Output};
