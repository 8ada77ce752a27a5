//! Format detection by magic bytes, never by file name.

use crate::MediaError;

/// An input format the pipeline decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JPEG (JFIF/EXIF), decoded at reduced scale in the DCT.
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    WebP,
}

/// Detects the format of `bytes` from their first bytes.
///
/// Returns [`MediaError::UnsupportedFormat`] for images we recognise but do not decode
/// (HEIC/HEIF and AVIF by their ISO-BMFF `ftyp` brand, GIF, BMP, TIFF, JPEG 2000, JPEG XL)
/// and [`MediaError::NotAnImage`] for anything else.
pub fn detect(bytes: &[u8]) -> Result<Format, MediaError> {
    if bytes.is_empty() {
        return Err(MediaError::EmptyFile);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Format::WebP);
    }
    if let Some(format) = iso_bmff_brand(bytes) {
        return Err(MediaError::UnsupportedFormat { format });
    }
    let unsupported = [
        (&b"GIF87a"[..], "GIF"),
        (&b"GIF89a"[..], "GIF"),
        (&b"BM"[..], "BMP"),
        (&b"II*\0"[..], "TIFF"),
        (&b"MM\0*"[..], "TIFF"),
        (&b"\0\0\0\x0cjP  \r\n\x87\n"[..], "JPEG 2000"),
        (&b"\xff\x0a"[..], "JPEG XL"),
        (&b"\0\0\0\x0cJXL \r\n\x87\n"[..], "JPEG XL"),
    ];
    for (magic, format) in unsupported {
        if bytes.starts_with(magic) {
            return Err(MediaError::UnsupportedFormat { format });
        }
    }
    Err(MediaError::NotAnImage)
}

/// Names the image format of an ISO-BMFF file (HEIC/HEIF, AVIF) from its `ftyp` box.
fn iso_bmff_brand(bytes: &[u8]) -> Option<&'static str> {
    if bytes.get(4..8)? != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let end = size.clamp(16, 256).min(bytes.len());
    // The major brand, then (after the minor version) the compatible brands.
    let mut brands = vec![bytes.get(8..12)?];
    brands.extend(bytes.get(16..end).unwrap_or_default().chunks_exact(4));
    let any = |names: &[&[u8]]| brands.iter().any(|b| names.contains(b));
    if any(&[b"avif", b"avis"]) {
        Some("AVIF")
    } else if any(&[b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"]) {
        Some("HEIC")
    } else if any(&[b"mif1", b"msf1"]) {
        Some("HEIF")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len() as u32;
        let mut v = size.to_be_bytes().to_vec();
        v.extend_from_slice(b"ftyp");
        v.extend_from_slice(major);
        v.extend_from_slice(&[0, 0, 0, 0]);
        for c in compatible {
            v.extend_from_slice(*c);
        }
        v.extend_from_slice(&[0; 32]);
        v
    }

    #[test]
    fn heic_and_avif_are_named_by_their_ftyp_brand() {
        let heic = detect(&ftyp(b"heic", &[b"mif1", b"heic"]));
        assert_eq!(heic, Err(MediaError::UnsupportedFormat { format: "HEIC" }));
        let avif = detect(&ftyp(b"avif", &[b"mif1", b"avif"]));
        assert_eq!(avif, Err(MediaError::UnsupportedFormat { format: "AVIF" }));
        let heif = detect(&ftyp(b"mif1", &[b"mif1"]));
        assert_eq!(heif, Err(MediaError::UnsupportedFormat { format: "HEIF" }));
    }

    #[test]
    fn mp4_video_is_not_an_image() {
        assert_eq!(
            detect(&ftyp(b"isom", &[b"mp41"])),
            Err(MediaError::NotAnImage)
        );
    }

    #[test]
    fn text_is_not_an_image() {
        assert_eq!(
            detect(b"hello, this is a text file"),
            Err(MediaError::NotAnImage)
        );
    }

    #[test]
    fn gif_is_unsupported() {
        assert_eq!(
            detect(b"GIF89a\x01\x00\x01\x00"),
            Err(MediaError::UnsupportedFormat { format: "GIF" })
        );
    }
}
