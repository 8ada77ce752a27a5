//! The sync engine: a pure, socket-free state machine over `automerge::sync`.
//!
//! [`Hub`] takes decoded protocol messages per connection and returns [`Output`]s (bytes to
//! send, connections to close). It owns the loaded documents, the per-connection,
//! per-document sync states, and the access checks; it writes through the store *before*
//! producing the sync message that acknowledges a change. The network layer only moves
//! bytes in and out of it ([`crate::server`]).

pub mod guard;
mod hub;
mod session;
#[cfg(test)]
mod tests;

pub use hub::{ConnId, EngineLimits, Hub, Output};
