//! Conversions every backend makes between the stores' types and its columns.

use std::time::{SystemTime, UNIX_EPOCH};

use super::StoreError;

/// Seconds since the Unix epoch, as the stores keep times.
pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A stored value that breaks the schema's rules.
pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// A size as a signed column value.
pub(super) fn to_i64(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::database("size out of range"))
}

/// A signed column value as a size.
pub(super) fn to_u64(n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| corrupt("negative size"))
}
