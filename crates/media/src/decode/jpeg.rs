//! JPEG through `jpeg-decoder`, shrinking in the DCT.

use std::io::Cursor;

use jpeg_decoder::{CodingProcess, Decoder, Error, PixelFormat};

use super::io_error;
use crate::{MediaError, raster::Rgb};

/// A JPEG whose header has been read.
pub(super) struct Jpeg<'a> {
    decoder: Decoder<Cursor<&'a [u8]>>,
    width: u32,
    height: u32,
    components: u64,
    progressive: bool,
}

impl<'a> Jpeg<'a> {
    /// Reads markers up to the frame header.
    pub(super) fn open(bytes: &'a [u8]) -> Result<Self, MediaError> {
        let mut decoder = Decoder::new(Cursor::new(bytes));
        decoder.read_info().map_err(map_error)?;
        let info = decoder
            .info()
            .ok_or_else(|| MediaError::corrupt("no JPEG frame header"))?;
        let components = match info.pixel_format {
            PixelFormat::L8 => 1,
            PixelFormat::RGB24 => 3,
            PixelFormat::CMYK32 => 4,
            PixelFormat::L16 => {
                return Err(MediaError::UnsupportedFormat {
                    format: "12-bit JPEG",
                });
            }
        };
        Ok(Jpeg {
            decoder,
            width: info.width.into(),
            height: info.height.into(),
            components,
            progressive: info.coding_process == CodingProcess::DctProgressive,
        })
    }

    pub(super) fn dimensions(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// Decodes at the smallest DCT scale giving at least `min_w` × `min_h`.
    pub(super) fn decode(
        mut self,
        min_w: u32,
        min_h: u32,
        max_bytes: u64,
        too_large: MediaError,
    ) -> Result<Rgb, MediaError> {
        let req = |v: u32| u16::try_from(v.max(1)).unwrap_or(u16::MAX);
        let (w, h) = self
            .decoder
            .scale(req(min_w), req(min_h))
            .map_err(map_error)?;
        let (w, h) = (u64::from(w), u64::from(h));
        // Output buffer plus per-component planes; progressive files also keep every
        // coefficient (i16) of the full-size image until the last scan.
        let mut estimate = 2 * w * h * self.components;
        if self.progressive {
            estimate += 2 * u64::from(self.width) * u64::from(self.height) * self.components;
        }
        if estimate > max_bytes {
            return Err(too_large);
        }
        self.decoder
            .set_max_decoding_buffer_size(usize::try_from(max_bytes).unwrap_or(usize::MAX));
        let pixels = self.decoder.decode().map_err(map_error)?;
        let data = match self.components {
            1 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
            3 => pixels,
            _ => cmyk_to_rgb(&pixels),
        };
        let (width, height) = (w as u32, h as u32);
        if data.len() != width as usize * height as usize * 3 {
            return Err(MediaError::corrupt(
                "decoded size does not match the header",
            ));
        }
        Ok(Rgb {
            width,
            height,
            data,
        })
    }
}

/// Adobe CMYK JPEGs store inverted ink values: R = C·K/255 and so on.
fn cmyk_to_rgb(cmyk: &[u8]) -> Vec<u8> {
    let mul = |a: u8, b: u8| ((u16::from(a) * u16::from(b) + 127) / 255) as u8;
    cmyk.chunks_exact(4)
        .flat_map(|p| [mul(p[0], p[3]), mul(p[1], p[3]), mul(p[2], p[3])])
        .collect()
}

fn map_error(e: Error) -> MediaError {
    match e {
        Error::Io(ref io) => io_error(io),
        Error::Unsupported(_) => MediaError::UnsupportedFormat {
            format: "lossless, hierarchical or arithmetic-coded JPEG",
        },
        other => MediaError::corrupt(other),
    }
}
