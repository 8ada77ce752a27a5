//! Devices syncing: two stores through the store's sync functions (no sockets), and
//! devices running the sync engine against the real relay on 127.0.0.1:0, with their
//! report photos.
#![allow(clippy::unwrap_used, missing_docs)]

mod backup;
mod cluster;
mod engine;
mod enroll;
mod events;
mod fake_relay;
mod faults;
mod helpers;
mod interop;
mod migrate;
mod photos;
mod proxy;
mod refusals;
mod regrid;
mod relay_crash;
mod store_sync;
mod tls;
