//! Photos for screens: the evidence pipeline's progress as the UI shows it, and a stored
//! photo's bytes (its thumbnail when there is one).

use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::photos::{Progress, Stage};
use crate::store::Store;

wangge_schema::code_enum! {
    /// The stage of the evidence pipeline that starts now.
    pub enum PhotoStage {
        /// Checking size and format, reading EXIF and the header.
        Inspecting = "inspecting",
        /// Decoding pixels.
        Decoding = "decoding",
        /// Resampling and orienting.
        Resizing = "resizing",
        /// Making the list thumbnail.
        Thumbnail = "thumbnail",
        /// Drawing the caption strip.
        Captioning = "captioning",
        /// Encoding the evidence JPEG.
        Encoding = "encoding",
        /// Finished.
        Done = "done",
    }
}

impl From<Stage> for PhotoStage {
    fn from(s: Stage) -> Self {
        match s {
            Stage::Inspecting => PhotoStage::Inspecting,
            Stage::Decoding => PhotoStage::Decoding,
            Stage::Resizing => PhotoStage::Resizing,
            Stage::Thumbnail => PhotoStage::Thumbnail,
            Stage::Captioning => PhotoStage::Captioning,
            Stage::Encoding => PhotoStage::Encoding,
            Stage::Done => PhotoStage::Done,
        }
    }
}

/// `photo://progress`: the stage that starts now and how far along the photo is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PhotoProgress {
    /// The stage starting now.
    pub stage: PhotoStage,
    /// Work done, out of `total`.
    pub done: u32,
    /// Total work (100).
    pub total: u32,
}

impl From<Progress> for PhotoProgress {
    fn from(p: Progress) -> Self {
        Self {
            stage: p.stage.into(),
            done: (p.fraction.clamp(0.0, 1.0) * 100.0).round() as u32,
            total: 100,
        }
    }
}

impl Store {
    /// A stored photo's bytes: its thumbnail, or the evidence JPEG (also when a photo
    /// downloaded from the relay has no thumbnail here).
    pub fn photo_bytes(&self, hash: &str, thumb: bool) -> Result<Vec<u8>> {
        if thumb {
            match self.thumbnail(hash) {
                Err(CoreError::NotFound { .. }) => {}
                other => return other,
            }
        }
        self.blob(hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_a_percentage_of_the_stage_starting_now() {
        let p = PhotoProgress::from(Progress {
            stage: Stage::Resizing,
            fraction: 0.456,
        });
        assert_eq!((p.stage, p.done, p.total), (PhotoStage::Resizing, 46, 100));
        let p = PhotoProgress::from(Progress {
            stage: Stage::Done,
            fraction: 1.7,
        });
        assert_eq!((p.stage, p.done), (PhotoStage::Done, 100));
    }
}
