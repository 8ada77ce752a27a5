//! What the caller can configure, with defaults measured for phone photos.

use chrono::NaiveDateTime;

use crate::MediaError;

/// Processing settings. `Settings::default()` is what the app uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Long side of the evidence JPEG, caption strip included (default 1600 px).
    /// Smaller photos are never enlarged.
    pub max_long_side: u32,
    /// JPEG quality of the evidence image, 1–100 (default 80; see the README for the
    /// size/legibility measurements behind it).
    pub quality: u8,
    /// Soft cap on the evidence JPEG size (default 300 KB). When the output at
    /// [`Settings::quality`] is larger, it is encoded again at qualities 10 lower each time,
    /// down to [`Settings::min_quality`]; `None` always keeps `quality`.
    pub max_output_bytes: Option<u64>,
    /// Lowest quality the size cap may step down to (default 60: the caption strip still
    /// measures SSIM ≥ 0.99 against quality 100 there).
    pub min_quality: u8,
    /// Long side of the list thumbnail (default 320 px).
    pub thumb_long_side: u32,
    /// JPEG quality of the thumbnail, 1–100 (default 75).
    pub thumb_quality: u8,
    /// Inputs larger than this many bytes are refused before any parsing (default 30 MiB).
    pub max_file_bytes: u64,
    /// Largest pixel count (width × height) a header may declare (default 50 MP: a
    /// 50-megapixel phone sensor is 8160 × 6120).
    pub max_pixels: u64,
    /// Largest decode buffer, estimated from the header before decoding (default 256 MiB).
    pub max_decode_bytes: u64,
    /// The burned-in caption strip (水印); `None` (the default) leaves the photo bare.
    pub caption: Option<Caption>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_long_side: 1600,
            quality: 80,
            max_output_bytes: Some(300_000),
            min_quality: 60,
            thumb_long_side: 320,
            thumb_quality: 75,
            max_file_bytes: 30 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_decode_bytes: 256 * 1024 * 1024,
            caption: None,
        }
    }
}

impl Settings {
    /// Checks that every setting is in range.
    pub fn validate(&self) -> Result<(), MediaError> {
        if !(64..=8192).contains(&self.max_long_side) {
            return Err(MediaError::InvalidSettings("max_long_side must be 64–8192"));
        }
        if !(16..=self.max_long_side).contains(&self.thumb_long_side) {
            return Err(MediaError::InvalidSettings(
                "thumb_long_side must be 16–max_long_side",
            ));
        }
        if !(1..=100).contains(&self.quality) || !(1..=100).contains(&self.thumb_quality) {
            return Err(MediaError::InvalidSettings("quality must be 1–100"));
        }
        if !(1..=self.quality).contains(&self.min_quality) {
            return Err(MediaError::InvalidSettings("min_quality must be 1–quality"));
        }
        if self.max_file_bytes == 0 || self.max_pixels == 0 || self.max_decode_bytes == 0 {
            return Err(MediaError::InvalidSettings("limits must be positive"));
        }
        Ok(())
    }
}

/// The caption strip burned under the photo. All text comes from the caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Caption {
    /// Grid name, e.g. `"东城区和平里街道第三网格"`.
    pub grid_name: String,
    /// Place text, e.g. `"和平里七区12号楼东侧"`.
    pub place: String,
    /// Time shown when the photo carries no EXIF `DateTimeOriginal` (e.g. the time the
    /// member picked it from the gallery). With neither, the time line is left out.
    pub fallback_time: Option<NaiveDateTime>,
}
