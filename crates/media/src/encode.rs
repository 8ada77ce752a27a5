//! Baseline JPEG encoding with no metadata, and the content hash.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};
use sha2::{Digest, Sha256};

use crate::{MediaError, raster::Rgb};

/// Encodes `image` as a baseline 4:2:0 JPEG at `quality` with optimised Huffman tables.
///
/// The only segment before the frame is the JFIF APP0 header: no EXIF, XMP, ICC or
/// comment is ever written. The output is a pure function of the pixels and quality.
pub fn jpeg(image: &Rgb, quality: u8) -> Result<Vec<u8>, MediaError> {
    let too_big = || MediaError::EncodeFailed {
        detail: "image dimensions exceed 65535".into(),
    };
    let width = u16::try_from(image.width).map_err(|_| too_big())?;
    let height = u16::try_from(image.height).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(image.data.len() / 8);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(SamplingFactor::F_2_2);
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.set_optimized_huffman_tables(true);
    encoder
        .encode(&image.data, width, height, ColorType::Rgb)
        .map_err(|e| MediaError::EncodeFailed {
            detail: e.to_string(),
        })?;
    Ok(out)
}

/// Encodes at `quality`, then 10 lower each time while the result is over `cap` bytes,
/// never below `min_quality`. Returns the bytes and the quality used.
pub fn jpeg_within(
    image: &Rgb,
    quality: u8,
    min_quality: u8,
    cap: Option<u64>,
) -> Result<(Vec<u8>, u8), MediaError> {
    let mut q = quality;
    let mut out = jpeg(image, q)?;
    while let Some(cap) = cap
        && out.len() as u64 > cap
        && q > min_quality
    {
        q = q.saturating_sub(10).max(min_quality);
        out = jpeg(image, q)?;
    }
    Ok((out, q))
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_abc_is_the_standard_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
