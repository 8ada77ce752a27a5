//! Photo evidence into the store: the `wangge-media` pipeline turns a camera or gallery
//! file into a stripped, oriented, resized evidence JPEG and a thumbnail; the store keeps
//! both in the encrypted database under the evidence's SHA-256, once however often added.
//!
//! Processing is CPU-bound and runs without holding the store: the lock is taken only for
//! the final write, so a grid member can keep working while photos process.

use std::sync::Mutex;

use serde::Serialize;
pub use wangge_media::{Caption, Progress, Settings, Stage};

use crate::error::{CoreError, Result};
use crate::store::{BlobRef, Store};

/// A stored evidence photo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoRef {
    /// SHA-256 of the evidence JPEG (what reports reference).
    pub hash: String,
    /// Evidence size in bytes.
    pub size: usize,
    /// Evidence dimensions.
    pub width: u32,
    /// Evidence dimensions.
    pub height: u32,
    /// False when the same evidence was already stored.
    pub new: bool,
}

/// Processes `bytes` and stores the evidence and its thumbnail. On any refusal (bomb,
/// truncated, unsupported format …) nothing in the store changes.
pub fn add_photo(
    store: &Mutex<Store>,
    bytes: &[u8],
    settings: &Settings,
    progress: &dyn Fn(Progress),
) -> Result<PhotoRef> {
    let evidence = wangge_media::process(bytes, settings, progress)?;
    let mut guard = store
        .lock()
        .map_err(|_| CoreError::Corrupt("store lock poisoned".into()))?;
    let BlobRef { hash, size, new } = guard.put_blob(&evidence.jpeg, Some(&evidence.thumbnail))?;
    debug_assert_eq!(hash, evidence.sha256);
    Ok(PhotoRef {
        hash,
        size,
        width: evidence.width,
        height: evidence.height,
        new,
    })
}

/// The list thumbnail of evidence that arrived from the relay, made by the same pipeline
/// as [`add_photo`]'s (from the evidence, so a caption strip burned into it shows too).
/// CPU-bound: run it off the async threads.
pub fn thumbnail_of(evidence: &[u8], settings: &Settings) -> Result<Vec<u8>> {
    Ok(wangge_media::process(evidence, settings, &|_| {})?.thumbnail)
}
