//! The shared test suites every backend must pass, one per store trait.
//!
//! A backend's tests call each suite with a function that makes a fresh, empty store:
//!
//! - [`run_accounts_suite`] for an [`AccountStore`](super::AccountStore),
//! - [`run_docs_suite`] for a [`DocStore`](super::DocStore),
//! - [`run_blobs_suite`] for a [`BlobStore`](super::BlobStore),
//! - [`run_relay_suite`] for a backend that implements all three in one
//!   [`RelayStore`](super::RelayStore): what must hold across them (one group commit).
//!
//! The cases use only the traits, never a backend's internals, and each runs on its own
//! fresh store; a failing case names itself on stderr before it panics.
//!
//! [`TestDatabase`] is a fresh database on a PostgreSQL server the tests start
//! themselves, for the PostgreSQL backend's runs of these suites and the relay's tests.
//! [`TestBucket`] is a fresh key prefix on an S3-compatible server (SeaweedFS) the tests
//! start themselves, for photos in object storage; [`S3Server`] is one a test owns, to
//! stop and restart.

/// Runs each case on a fresh store from `make`, naming it first so a failure says which.
macro_rules! run_cases {
    ($suite:literal, $make:ident, [$($case:ident),* $(,)?]) => {
        $(
            eprintln!("{} suite: {}", $suite, stringify!($case));
            $case($make().as_mut());
        )*
    };
}

mod accounts;
mod blobs;
mod docs;
mod pg_server;
mod relay;
mod s3_server;

pub use accounts::run_accounts_suite;
pub use blobs::run_blobs_suite;
pub use docs::run_docs_suite;
pub use pg_server::TestDatabase;
pub use relay::run_relay_suite;
pub use s3_server::{S3Server, TEST_BUCKET, TestBucket};

use wangge_schema::ScopeCode;

const DISTRICT: &str = "110105";
const STREET: &str = "110105001";
const COMMUNITY: &str = "110105001001";
const GRID_A: &str = "110105001001001";
const GRID_B: &str = "110105001001002";
/// A grid of the same community that no case registers.
const GRID_C: &str = "110105001001003";
const OTHER_STREET: &str = "110105002";
const OTHER_COMMUNITY: &str = "110105002001";
const OTHER_GRID: &str = "110105002001001";

fn code(s: &str) -> ScopeCode {
    ScopeCode::parse(s).expect("valid test code")
}
