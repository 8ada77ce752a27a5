//! Progress reports for the UI while a photo is processed.

/// A stage of the pipeline, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Checking size and format, reading EXIF and the image header.
    Inspecting,
    /// Decoding pixels (the slow part).
    Decoding,
    /// Resampling and orienting.
    Resizing,
    /// Making the list thumbnail.
    Thumbnail,
    /// Drawing the caption strip.
    Captioning,
    /// Encoding the evidence JPEG and hashing it.
    Encoding,
    /// Finished.
    Done,
}

/// One progress report: the stage starting now and the overall fraction done (0.0–1.0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The stage that starts now.
    pub stage: Stage,
    /// Overall fraction of the work done before this stage, from 0.0 to 1.0.
    pub fraction: f32,
}

impl Stage {
    /// Rough share of the work done before this stage starts (estimated for a 12 MP JPEG,
    /// where decoding dominates).
    pub fn fraction(self) -> f32 {
        match self {
            Stage::Inspecting => 0.0,
            Stage::Decoding => 0.02,
            Stage::Resizing => 0.6,
            Stage::Thumbnail => 0.7,
            Stage::Captioning => 0.73,
            Stage::Encoding => 0.75,
            Stage::Done => 1.0,
        }
    }
}

impl From<Stage> for Progress {
    fn from(stage: Stage) -> Self {
        Progress {
            stage,
            fraction: stage.fraction(),
        }
    }
}
