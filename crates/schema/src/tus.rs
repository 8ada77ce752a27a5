//! The photo upload contract (tus 1.0 core, `creation`, `checksum` with sha256): paths,
//! versions, and the codecs of `Upload-Metadata` and `Upload-Checksum` both sides use.
//!
//! `Upload-Metadata` carries `sha256` (lowercase hex of the whole evidence JPEG, its
//! content address) and `scope` (the grid or division the photo belongs to), each value
//! base64 as tus requires; other keys are ignored.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::scope::ScopeCode;

/// The tus protocol version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// The tus extensions supported.
pub const TUS_EXTENSIONS: &str = "creation,checksum";
/// The checksum algorithms supported.
pub const TUS_CHECKSUM_ALGORITHMS: &str = "sha256";
/// Content type of `PATCH` bodies.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// Where uploads are created.
pub const FILES_PATH: &str = "/v1/files";
/// Where stored photos are fetched: `BLOBS_PATH/{sha256}`.
pub const BLOBS_PATH: &str = "/v1/blobs";
/// Longest `Upload-Metadata` value accepted.
pub const MAX_METADATA_BYTES: usize = 1024;

/// Why a tus header is not what the relay takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TusError {
    /// `Upload-Metadata` is longer than [`MAX_METADATA_BYTES`].
    #[error("Upload-Metadata is too long")]
    MetadataTooLong,
    /// A value is not base64.
    #[error("Upload-Metadata values must be base64")]
    NotBase64,
    /// A value is not UTF-8.
    #[error("Upload-Metadata values must be UTF-8")]
    NotUtf8,
    /// `sha256` is not 64 hex digits.
    #[error("sha256 must be 64 hex digits")]
    BadSha256,
    /// `scope` is not a code.
    #[error("scope must be a grid or division code")]
    BadScope,
    /// `sha256` or `scope` is missing.
    #[error("Upload-Metadata must carry sha256 and scope")]
    Incomplete,
    /// `Upload-Checksum` is not `sha256 <base64 of 32 bytes>`.
    #[error("Upload-Checksum must be sha256 <base64 of 32 bytes>")]
    BadChecksum,
    /// `Upload-Checksum` names another algorithm.
    #[error("Upload-Checksum: only sha256 is supported")]
    ChecksumAlgorithm,
}

/// A lowercase 64-digit hex SHA-256, or `None`.
pub fn normalize_sha256(s: &str) -> Option<String> {
    (s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// What a photo upload declares at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadMetadata {
    /// SHA-256 of the whole file, lowercase hex.
    pub sha256: String,
    /// The scope the photo belongs to.
    pub scope: ScopeCode,
}

impl UploadMetadata {
    /// The `Upload-Metadata` header value.
    pub fn encode(&self) -> String {
        format!(
            "sha256 {},scope {}",
            BASE64.encode(&self.sha256),
            BASE64.encode(self.scope.as_str())
        )
    }

    /// Parses an `Upload-Metadata` header value (`key base64,key base64`).
    pub fn parse(value: &str) -> Result<Self, TusError> {
        if value.len() > MAX_METADATA_BYTES {
            return Err(TusError::MetadataTooLong);
        }
        let (mut sha, mut scope) = (None, None);
        for pair in value.split(',') {
            let mut parts = pair.trim().splitn(2, ' ');
            let key = parts.next().unwrap_or_default();
            let decoded = parts
                .next()
                .map(|v| BASE64.decode(v.trim()))
                .transpose()
                .map_err(|_| TusError::NotBase64)?
                .unwrap_or_default();
            let text = String::from_utf8(decoded).map_err(|_| TusError::NotUtf8)?;
            match key {
                "sha256" => sha = Some(normalize_sha256(&text).ok_or(TusError::BadSha256)?),
                "scope" => scope = Some(ScopeCode::parse(&text).map_err(|_| TusError::BadScope)?),
                _ => {}
            }
        }
        match (sha, scope) {
            (Some(sha256), Some(scope)) => Ok(Self { sha256, scope }),
            _ => Err(TusError::Incomplete),
        }
    }
}

/// The `Upload-Checksum` header value for a chunk's SHA-256 digest.
pub fn encode_checksum(digest: &[u8]) -> String {
    format!("sha256 {}", BASE64.encode(digest))
}

/// The 32-byte SHA-256 digest an `Upload-Checksum` header names.
pub fn parse_checksum(value: &str) -> Result<[u8; 32], TusError> {
    match value.trim().split_once(' ') {
        Some(("sha256", b64)) => BASE64
            .decode(b64.trim())
            .ok()
            .and_then(|d| <[u8; 32]>::try_from(d).ok())
            .ok_or(TusError::BadChecksum),
        Some(_) => Err(TusError::ChecksumAlgorithm),
        None => Err(TusError::BadChecksum),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_needs_sha256_and_scope() {
        let m = UploadMetadata {
            sha256: "ab".repeat(32),
            scope: ScopeCode::parse("110105001001001").unwrap(),
        };
        assert_eq!(UploadMetadata::parse(&m.encode()), Ok(m.clone()));
        let with_extra = format!("filename {},{}", BASE64.encode("a.jpg"), m.encode());
        assert_eq!(UploadMetadata::parse(&with_extra), Ok(m));
        let sha = "AB".repeat(32);
        assert_eq!(
            UploadMetadata::parse(&format!("sha256 {}", BASE64.encode(&sha))),
            Err(TusError::Incomplete)
        );
        assert_eq!(
            UploadMetadata::parse("sha256 !!!,scope x"),
            Err(TusError::NotBase64)
        );
        assert_eq!(
            UploadMetadata::parse(&format!(
                "sha256 {},scope {}",
                BASE64.encode("abc"),
                BASE64.encode("110105001001001")
            )),
            Err(TusError::BadSha256)
        );
        assert_eq!(
            UploadMetadata::parse(&"x".repeat(2000)),
            Err(TusError::MetadataTooLong)
        );
        let upper = format!(
            "sha256 {},scope {}",
            BASE64.encode(&sha),
            BASE64.encode("110105001001001")
        );
        assert_eq!(
            UploadMetadata::parse(&upper).unwrap().sha256,
            sha.to_lowercase()
        );
    }

    #[test]
    fn checksums_round_trip_and_other_algorithms_are_refused() {
        let d = [7u8; 32];
        assert_eq!(parse_checksum(&encode_checksum(&d)), Ok(d));
        assert_eq!(parse_checksum("md5 abc"), Err(TusError::ChecksumAlgorithm));
        assert_eq!(
            parse_checksum(&format!("sha256 {}", BASE64.encode([1u8; 31]))),
            Err(TusError::BadChecksum)
        );
        assert_eq!(parse_checksum("sha256"), Err(TusError::BadChecksum));
    }

    #[test]
    fn hashes_are_64_hex_digits() {
        assert!(normalize_sha256(&"0".repeat(64)).is_some());
        assert!(normalize_sha256(&"g".repeat(64)).is_none());
        assert!(normalize_sha256("abc").is_none());
    }
}
