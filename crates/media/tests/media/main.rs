//! Integration tests of the photo evidence pipeline, on real images made by the tests.

// Test helpers build known-good inputs; a failure there is a test failure.
#![allow(clippy::unwrap_used)]

mod batch;
mod caption;
mod helpers;
mod hostile;
mod metadata;
mod orientation;
mod output;
