//! The ledger's integration tests: a corpus of spreadsheets made here from invented people,
//! dry runs with their exact outcomes, imports into a real encrypted store, hostile files
//! and the command line.

#![allow(clippy::unwrap_used)]
mod cli;
mod corpus;
mod export;
mod files;
mod hostile;
mod store;
