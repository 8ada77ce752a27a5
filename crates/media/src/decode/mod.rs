//! Decoding with limits checked from the header first.
//!
//! [`open`] reads only the header and refuses bombs; [`Opened::decode`] then decodes at the
//! smallest size that is still at least the requested size (JPEG: in the DCT, at 1/1, 1/2,
//! 1/4 or 1/8 scale).

mod jpeg;
mod other;

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{Format, MediaError, Settings, raster::Rgb};

/// A decoder that has read the header and passed the limits.
pub(crate) struct Opened<'a> {
    /// Full width stored in the file (before orientation).
    pub width: u32,
    /// Full height stored in the file (before orientation).
    pub height: u32,
    inner: Inner<'a>,
    max_decode_bytes: u64,
}

enum Inner<'a> {
    Jpeg(Box<jpeg::Jpeg<'a>>),
    Other(other::Other<'a>),
}

/// Reads the header of `bytes` and checks pixel count and estimated memory.
pub(crate) fn open<'a>(
    bytes: &'a [u8],
    format: Format,
    settings: &Settings,
) -> Result<Opened<'a>, MediaError> {
    let (inner, width, height) = guarded(|| match format {
        Format::Jpeg => {
            let j = jpeg::Jpeg::open(bytes)?;
            let (w, h) = j.dimensions();
            Ok((Inner::Jpeg(Box::new(j)), w, h))
        }
        Format::Png | Format::WebP => {
            let o = other::Other::open(bytes, format, settings.max_decode_bytes)?;
            let (w, h) = o.dimensions();
            Ok((Inner::Other(o), w, h))
        }
    })?;
    check_pixels(width, height, settings.max_pixels)?;
    Ok(Opened {
        width,
        height,
        inner,
        max_decode_bytes: settings.max_decode_bytes,
    })
}

impl Opened<'_> {
    /// Decodes to RGB, at least `min_width` × `min_height` where the format can shrink
    /// while decoding (JPEG), else at full size.
    pub(crate) fn decode(self, min_width: u32, min_height: u32) -> Result<Rgb, MediaError> {
        let (width, height, limit) = (self.width, self.height, self.max_decode_bytes);
        let inner = self.inner;
        guarded(move || {
            let too_large = MediaError::ImageTooLarge {
                width: width.into(),
                height: height.into(),
            };
            match inner {
                Inner::Jpeg(j) => j.decode(min_width, min_height, limit, too_large),
                Inner::Other(o) => o.decode(limit, too_large),
            }
        })
    }
}

fn check_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), MediaError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > max_pixels {
        return Err(MediaError::ImageTooLarge {
            width: width.into(),
            height: height.into(),
        });
    }
    if pixels == 0 {
        return Err(MediaError::corrupt("the header declares an empty image"));
    }
    Ok(())
}

/// Runs a decoder step, turning a decoder panic on hostile input into `corrupt_image`.
fn guarded<T>(f: impl FnOnce() -> Result<T, MediaError>) -> Result<T, MediaError> {
    catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(MediaError::corrupt("the decoder rejected the image data")))
}

/// Maps an I/O error met while decoding: running out of bytes means the file is truncated.
fn io_error(e: &std::io::Error) -> MediaError {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        MediaError::TruncatedImage
    } else {
        MediaError::corrupt(e)
    }
}
