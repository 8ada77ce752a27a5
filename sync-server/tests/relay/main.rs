//! Integration tests: the real relay on 127.0.0.1:0, a fresh SQLite file per test (a
//! PostgreSQL database the tests start a server for, in `postgres`), and
//! minimal devices speaking the automerge-repo protocol; photos in an S3-compatible server
//! the tests start (SeaweedFS), in `photos_s3`. Set `TEST_LOG=1` for logs.

#![allow(clippy::unwrap_used)]

mod access;
mod admin_api;
mod bad_input;
mod directory;
mod enroll;
mod helpers;
mod metrics;
mod notices;
mod photos_s3;
mod postgres;
mod refusals;
mod sync;
mod uploads;
