//! PNG and WebP through the `image` crate, at full size.

use std::io::Cursor;

use image::{
    DynamicImage, ImageDecoder, ImageError, Limits,
    codecs::{png::PngDecoder, webp::WebPDecoder},
};

use super::io_error;
use crate::{Format, MediaError, raster::Rgb};

/// A PNG or WebP whose header has been read.
pub(super) struct Other<'a> {
    decoder: Box<dyn ImageDecoder + 'a>,
}

impl<'a> Other<'a> {
    pub(super) fn open(
        bytes: &'a [u8],
        format: Format,
        max_bytes: u64,
    ) -> Result<Self, MediaError> {
        let mut limits = Limits::default();
        limits.max_alloc = Some(max_bytes);
        let cursor = Cursor::new(bytes);
        let mut decoder: Box<dyn ImageDecoder + 'a> = match format {
            Format::Png => {
                Box::new(PngDecoder::with_limits(cursor, limits.clone()).map_err(map_error)?)
            }
            _ => Box::new(WebPDecoder::new(cursor).map_err(map_error)?),
        };
        decoder.set_limits(limits).map_err(map_error)?;
        Ok(Other { decoder })
    }

    pub(super) fn dimensions(&self) -> (u32, u32) {
        self.decoder.dimensions()
    }

    /// Decodes the whole image; transparent pixels are composited over white.
    pub(super) fn decode(self, max_bytes: u64, too_large: MediaError) -> Result<Rgb, MediaError> {
        let (width, height) = self.decoder.dimensions();
        let rgb_bytes = u64::from(width) * u64::from(height) * 3;
        if self.decoder.total_bytes().saturating_add(rgb_bytes) > max_bytes {
            return Err(too_large);
        }
        let image = DynamicImage::from_decoder(self.decoder).map_err(map_error)?;
        let data = match image {
            DynamicImage::ImageRgb8(buf) => buf.into_raw(),
            other if !other.color().has_alpha() => other.into_rgb8().into_raw(),
            other => over_white(&other.into_rgba8().into_raw()),
        };
        Ok(Rgb {
            width,
            height,
            data,
        })
    }
}

fn over_white(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .flat_map(|p| {
            let a = u16::from(p[3]);
            let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
            [blend(p[0]), blend(p[1]), blend(p[2])]
        })
        .collect()
}

fn map_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Limits(_) => MediaError::ImageTooLarge {
            width: 0,
            height: 0,
        },
        ImageError::IoError(ref io) => io_error(io),
        ImageError::Decoding(ref d) => {
            let mut source = std::error::Error::source(d);
            while let Some(s) = source {
                if let Some(io) = s.downcast_ref::<std::io::Error>() {
                    return io_error(io);
                }
                source = s.source();
            }
            let text = d.to_string();
            if text.contains("EOF") || text.contains("end of") || text.contains("truncated") {
                MediaError::TruncatedImage
            } else {
                MediaError::corrupt(text)
            }
        }
        other => MediaError::corrupt(other),
    }
}
