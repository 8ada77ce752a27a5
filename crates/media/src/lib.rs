//! Wangge photo evidence pipeline.
//!
//! Turns a photo from the camera or the gallery (JPEG, PNG or WebP, detected by its bytes,
//! never by its name) into evidence for a report: upright (EXIF orientation applied),
//! at most 1600 px on the long side, re-encoded as a baseline JPEG with **no** EXIF, XMP,
//! ICC or GPS metadata, optionally with a caption strip (水印: capture time, grid, place)
//! burned in, hashed with SHA-256 for content-addressed storage, plus a small thumbnail.
//!
//! The same input and settings always give the same bytes, so the same hash.
//! Hostile input (decompression bombs, truncated or corrupt files, HEIC, text files) is
//! refused with a [`MediaError`] whose [`MediaError::code`] the UI maps to Chinese.
//!
//! JPEGs are decoded at reduced scale in the DCT (1/2, 1/4, 1/8) like `vipsthumbnail`, so
//! a 12 MP photo never exists at full size in memory.
//!
//! ```
//! use wangge_media::{Settings, process};
//!
//! # let photo = {
//! #     let mut out = Vec::new();
//! #     let pixels = vec![128u8; 64 * 48 * 3];
//! #     jpeg_encoder::Encoder::new(&mut out, 90)
//! #         .encode(&pixels, 64, 48, jpeg_encoder::ColorType::Rgb).unwrap();
//! #     out
//! # };
//! let evidence = process(&photo, &Settings::default(), &|_progress| {})?;
//! assert_eq!((evidence.width, evidence.height), (64, 48));
//! assert_eq!(evidence.sha256.len(), 64);
//! # Ok::<(), wangge_media::MediaError>(())
//! ```
//!
//! # Layout
//!
//! - [`error`]: [`MediaError`] and its stable codes.
//! - [`settings`]: [`Settings`] and [`Caption`], with the measured defaults.
//! - [`format`](mod@format): format detection by magic bytes (HEIC/AVIF named by their `ftyp` brand).
//! - [`metadata`]: EXIF orientation and capture time, the only metadata read.
//! - `decode`: header-first decoding with pixel and memory limits; JPEG shrinks in the DCT.
//! - [`resize`]: fitting sizes and Lanczos3 resampling.
//! - [`orient`]: EXIF orientations 1–8.
//! - [`font`]: the bundled CJK caption font (8,105 characters of 通用规范汉字表).
//! - `caption`: layout and rasterising of the caption strip, with a visible box for
//!   missing glyphs.
//! - [`encode`]: metadata-free JPEG encoding and SHA-256.
//! - [`progress`]: [`Progress`] reports by [`Stage`].
//! - [`pipeline`]: [`process`] and [`process_file`], one photo end to end.
//! - [`batch`]: [`process_batch`], several photos in parallel within a memory budget.
//! - [`raster`]: the RGB buffer passed between stages.

mod caption;
mod decode;

pub mod batch;
pub mod encode;
pub mod error;
pub mod font;
pub mod format;
pub mod metadata;
pub mod orient;
pub mod pipeline;
pub mod progress;
pub mod raster;
pub mod resize;
pub mod settings;

pub use batch::{DEFAULT_BATCH_BUDGET, Input, process_batch, workers_for_budget};
pub use error::MediaError;
pub use format::Format;
pub use metadata::CaptureTime;
pub use pipeline::{Evidence, process, process_file};
pub use progress::{Progress, Stage};
pub use settings::{Caption, Settings};
