//! Integration tests of the store on real encrypted SQLite files.
#![allow(clippy::unwrap_used, missing_docs)]

mod actions;
mod at_rest;
mod campaigns;
mod checks;
mod crash;
mod event_chain;
mod first_open;
mod helpers;
mod merge;
mod notices;
mod paste;
mod photos;
mod regrid;
mod search;
mod views;
