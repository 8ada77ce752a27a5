//! The one error type of the crate, with stable codes for the UI.

use thiserror::Error;

/// Why a photo was refused or could not be processed.
///
/// Every variant has a stable [`MediaError::code`] that the UI maps to Chinese text.
/// Messages never contain file names, captions or other personal data.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// The input had no bytes at all.
    #[error("the file is empty")]
    EmptyFile,
    /// The input is larger than [`crate::Settings::max_file_bytes`].
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    FileTooLarge {
        /// Size of the input in bytes.
        size: u64,
        /// The configured limit in bytes.
        limit: u64,
    },
    /// The bytes are an image format that is recognised but not supported (HEIC, AVIF, GIF…).
    #[error("{format} images are not supported; use JPEG, PNG or WebP")]
    UnsupportedFormat {
        /// Name of the recognised format, e.g. `"HEIC"`.
        format: &'static str,
    },
    /// The bytes are not an image in any format we recognise (text, PDF, random bytes…).
    #[error("the file is not an image")]
    NotAnImage,
    /// The header declares more pixels or memory than the configured limits allow
    /// (a decompression bomb, or a panorama beyond what a phone should hold).
    #[error("the image is {width}×{height} pixels, beyond the limit")]
    ImageTooLarge {
        /// Declared width in pixels.
        width: u64,
        /// Declared height in pixels.
        height: u64,
    },
    /// The file ends before the image data does.
    #[error("the image file is truncated")]
    TruncatedImage,
    /// The image data is malformed.
    #[error("the image data is corrupt: {detail}")]
    CorruptImage {
        /// What the decoder reported (no personal data: decoder messages only).
        detail: String,
    },
    /// A file could not be read from disk.
    #[error("the file could not be read: {kind}")]
    ReadFailed {
        /// The I/O error kind (never the path).
        kind: std::io::ErrorKind,
    },
    /// A setting is out of range.
    #[error("invalid setting: {0}")]
    InvalidSettings(&'static str),
    /// Encoding the output JPEG failed (an internal error, not the photo's fault).
    #[error("encoding the evidence JPEG failed: {detail}")]
    EncodeFailed {
        /// What the encoder reported.
        detail: String,
    },
}

impl MediaError {
    /// A stable, machine-readable code for this error, e.g. `"unsupported_format"`.
    ///
    /// The UI keys its Chinese messages by this code; never change an existing code.
    pub fn code(&self) -> &'static str {
        match self {
            MediaError::EmptyFile => "empty_file",
            MediaError::FileTooLarge { .. } => "file_too_large",
            MediaError::UnsupportedFormat { .. } => "unsupported_format",
            MediaError::NotAnImage => "not_an_image",
            MediaError::ImageTooLarge { .. } => "image_too_large",
            MediaError::TruncatedImage => "truncated_image",
            MediaError::CorruptImage { .. } => "corrupt_image",
            MediaError::ReadFailed { .. } => "read_failed",
            MediaError::InvalidSettings(_) => "invalid_settings",
            MediaError::EncodeFailed { .. } => "encode_failed",
        }
    }

    /// A corrupt-image error with the decoder's message.
    pub(crate) fn corrupt(detail: impl std::fmt::Display) -> Self {
        MediaError::CorruptImage {
            detail: detail.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let all = [
            MediaError::EmptyFile,
            MediaError::FileTooLarge { size: 2, limit: 1 },
            MediaError::UnsupportedFormat { format: "HEIC" },
            MediaError::NotAnImage,
            MediaError::ImageTooLarge {
                width: 1,
                height: 1,
            },
            MediaError::TruncatedImage,
            MediaError::corrupt("x"),
            MediaError::ReadFailed {
                kind: std::io::ErrorKind::NotFound,
            },
            MediaError::InvalidSettings("x"),
            MediaError::EncodeFailed { detail: "x".into() },
        ];
        let mut codes: Vec<_> = all.iter().map(MediaError::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn unsupported_format_message_names_the_format() {
        let msg = MediaError::UnsupportedFormat { format: "HEIC" }.to_string();
        assert!(msg.contains("HEIC"), "{msg}");
    }
}
