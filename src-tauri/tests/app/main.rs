//! The command layer against a real encrypted store in a temp data dir (and a real relay
//! on loopback for enrollment), without a webview.
#![allow(clippy::unwrap_used, missing_docs)]

mod events;
mod helpers;
mod notices;
mod records;
mod setup;
mod sync;
