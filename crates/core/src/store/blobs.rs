//! Photo blobs: evidence JPEGs addressed by SHA-256, inside the encrypted database.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::{CoreError, ErrorCode, FieldError, Result};
use crate::model::is_sha256_hex;

/// Largest blob accepted (bytes). Evidence JPEGs are ~300 KB; this bounds mistakes.
pub const MAX_BLOB_BYTES: usize = 16 * 1024 * 1024;

/// A stored blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobRef {
    /// SHA-256, lower-case hex.
    pub hash: String,
    /// Size in bytes.
    pub size: usize,
    /// False when the same bytes were already stored.
    pub new: bool,
}

impl Store {
    /// Stores bytes under their SHA-256 (once, however often added), with an optional thumbnail.
    #[tracing::instrument(skip_all, fields(size = bytes.len()))]
    pub fn put_blob(&mut self, bytes: &[u8], thumbnail: Option<&[u8]>) -> Result<BlobRef> {
        if bytes.is_empty() {
            return Err(FieldError::new("photo", ErrorCode::EmptyFile, "empty blob").into());
        }
        if bytes.len() > MAX_BLOB_BYTES {
            return Err(FieldError::new(
                "photo",
                ErrorCode::FileTooLarge,
                "blob over the size cap",
            )
            .into());
        }
        let hash = hex::encode(Sha256::digest(bytes));
        let now = self.now().timestamp_millis();
        let tx = self.conn.transaction()?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO blobs (hash, bytes, size, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![hash, bytes, bytes.len() as i64, now],
        )?;
        if let Some(t) = thumbnail {
            tx.execute(
                "INSERT OR IGNORE INTO thumbs (hash, bytes) VALUES (?1, ?2)",
                params![hash, t],
            )?;
        }
        tx.commit()?;
        Ok(BlobRef {
            hash,
            size: bytes.len(),
            new: inserted == 1,
        })
    }

    /// Stores bytes that must hash to `expected` (a download from the relay), with an
    /// optional thumbnail.
    pub fn put_blob_verified(
        &mut self,
        expected: &str,
        bytes: &[u8],
        thumbnail: Option<&[u8]>,
    ) -> Result<BlobRef> {
        let actual = hex::encode(Sha256::digest(bytes));
        if actual != expected {
            return Err(CoreError::Document(
                "blob bytes do not match their hash".into(),
            ));
        }
        self.put_blob(bytes, thumbnail)
    }

    /// The blob's bytes.
    pub fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        self.blob_from("blobs", hash)
    }

    /// The blob's thumbnail.
    pub fn thumbnail(&self, hash: &str) -> Result<Vec<u8>> {
        self.blob_from("thumbs", hash)
    }

    fn blob_from(&self, table: &str, hash: &str) -> Result<Vec<u8>> {
        if !is_sha256_hex(hash) {
            return Err(
                FieldError::new("photo", ErrorCode::InvalidPhotoRef, "not a SHA-256").into(),
            );
        }
        self.conn()
            .query_row(
                &format!("SELECT bytes FROM {table} WHERE hash = ?1"),
                [hash],
                |r| r.get(0),
            )
            .optional()?
            .ok_or(CoreError::NotFound { what: "photo" })
    }

    /// How many blobs are stored.
    pub fn blob_count(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))?)
    }

    /// Whether the blob is stored.
    pub fn has_blob(&self, hash: &str) -> Result<bool> {
        Ok(self
            .conn()
            .query_row("SELECT 1 FROM blobs WHERE hash = ?1", [hash], |_| Ok(()))
            .optional()?
            .is_some())
    }
}
