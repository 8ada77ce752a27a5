//! Reading an enrollment link ([`wangge_schema::EnrollLink`]) from what the user has: text
//! pasted into the enrollment form ([`read_enroll_link`]), or a picture of the relay's QR
//! code on the desktop ([`read_enroll_qr`], PNG, WebP or JPEG); then enrolling with it
//! ([`enroll_with_link`]).

use std::path::Path;

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits};
use wangge_schema::EnrollLink;

use super::enroll::{ENROLL_TIMEOUT, EnrollError, Enrollment, enroll_with};
use super::tls::Transport;
use crate::error::Result;

/// Largest image file read for a QR code.
pub const MAX_QR_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// Most pixels on either side of an image decoded for a QR code.
pub const MAX_QR_IMAGE_SIDE: u32 = 12_000;
/// Most pixels in an image decoded for a QR code (a decompression bomb stops here).
pub const MAX_QR_IMAGE_PIXELS: u64 = 48_000_000;
/// Images are scanned at most this many pixels on their longer side (a phone photo is
/// scaled down first; a QR code fills enough of it to survive).
pub const QR_SCAN_SIDE: u32 = 2048;

/// The enrollment link in pasted text (whitespace around it is ignored).
pub fn read_enroll_link(text: &str) -> std::result::Result<EnrollLink, EnrollError> {
    Ok(EnrollLink::parse(text)?)
}

/// The enrollment link in the QR code of the image file at `path`.
pub fn read_enroll_qr(path: &Path) -> std::result::Result<EnrollLink, EnrollError> {
    let size = std::fs::metadata(path)
        .map_err(|_| EnrollError::QrBadImage)?
        .len();
    if size > MAX_QR_FILE_BYTES {
        return Err(EnrollError::QrBadImage);
    }
    let bytes = std::fs::read(path).map_err(|_| EnrollError::QrBadImage)?;
    read_enroll_qr_bytes(&bytes)
}

/// [`read_enroll_qr`] of an image file's bytes.
pub fn read_enroll_qr_bytes(bytes: &[u8]) -> std::result::Result<EnrollLink, EnrollError> {
    let grey = decode_grey(bytes)?;
    let grey = if grey.width().max(grey.height()) > QR_SCAN_SIDE {
        DynamicImage::ImageLuma8(grey)
            .thumbnail(QR_SCAN_SIDE, QR_SCAN_SIDE)
            .to_luma8()
    } else {
        grey
    };
    let (w, h) = (grey.width() as usize, grey.height() as usize);
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        grey.get_pixel(x as u32, y as u32).0[0]
    });
    let mut link_error = None;
    for grid in prepared.detect_grids() {
        let Ok((_, text)) = grid.decode() else {
            continue;
        };
        match EnrollLink::parse(&text) {
            Ok(link) => return Ok(link),
            // A QR code that is not ours (a URL, a payment code): say what it is not.
            Err(e) => link_error = Some(EnrollError::Link(e)),
        }
    }
    Err(link_error.unwrap_or(EnrollError::QrNotFound))
}

fn side_ok(w: u32, h: u32) -> bool {
    w > 0
        && h > 0
        && w <= MAX_QR_IMAGE_SIDE
        && h <= MAX_QR_IMAGE_SIDE
        && u64::from(w) * u64::from(h) <= MAX_QR_IMAGE_PIXELS
}

fn decode_grey(bytes: &[u8]) -> std::result::Result<GrayImage, EnrollError> {
    let format = image::guess_format(bytes).map_err(|_| EnrollError::QrBadImage)?;
    match format {
        ImageFormat::Png | ImageFormat::WebP => {
            let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
            let mut limits = Limits::default();
            limits.max_image_width = Some(MAX_QR_IMAGE_SIDE);
            limits.max_image_height = Some(MAX_QR_IMAGE_SIDE);
            limits.max_alloc = Some(MAX_QR_IMAGE_PIXELS * 4);
            reader.limits(limits);
            let img = reader.decode().map_err(|_| EnrollError::QrBadImage)?;
            if !side_ok(img.width(), img.height()) {
                return Err(EnrollError::QrBadImage);
            }
            Ok(img.to_luma8())
        }
        ImageFormat::Jpeg => decode_jpeg_grey(bytes),
        _ => Err(EnrollError::QrBadImage),
    }
}

fn decode_jpeg_grey(bytes: &[u8]) -> std::result::Result<GrayImage, EnrollError> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let mut decoder = Decoder::new(bytes);
    decoder.read_info().map_err(|_| EnrollError::QrBadImage)?;
    let info = decoder.info().ok_or(EnrollError::QrBadImage)?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if !side_ok(w, h) {
        return Err(EnrollError::QrBadImage);
    }
    let pixels = decoder.decode().map_err(|_| EnrollError::QrBadImage)?;
    let luma: Vec<u8> = match info.pixel_format {
        PixelFormat::L8 => pixels,
        PixelFormat::L16 => pixels.chunks_exact(2).map(|p| p[0]).collect(),
        PixelFormat::RGB24 => pixels
            .chunks_exact(3)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                    as u8
            })
            .collect(),
        PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .map(|p| {
                (u32::from(255 - p[3]) * u32::from(255 - p[0].max(p[1]).max(p[2])) / 255) as u8
            })
            .collect(),
    };
    GrayImage::from_raw(w, h, luma).ok_or(EnrollError::QrBadImage)
}

/// Enrolls at the link's relay with its code, trusting what the link says (see
/// [`super::enroll`]).
pub async fn enroll_with_link(link: &EnrollLink) -> Result<Enrollment> {
    enroll_with(
        &link.relay.base(),
        &link.code,
        &transport_of(link),
        ENROLL_TIMEOUT,
    )
    .await
}

/// The transport an enrollment link asks for: its trust anchor, plain links if allowed.
pub fn transport_of(link: &EnrollLink) -> Transport {
    Transport::new(&link.trust, link.allow_plain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;
    use wangge_schema::EnrollLinkError;

    #[test]
    fn pasted_text_gives_the_link_or_says_what_is_wrong() {
        let link = read_enroll_link(
            "  wangge://enroll?v=1&relay=http%3A%2F%2F127.0.0.1%3A3030&code=ABCD-EFGH\n",
        )
        .unwrap();
        assert_eq!(link.relay.base(), "http://127.0.0.1:3030");
        assert_eq!(link.code, "ABCD-EFGH");
        let e = read_enroll_link("ABCD-EFGH").unwrap_err();
        assert_eq!(e, EnrollError::Link(EnrollLinkError::NotWangge));
        assert_eq!(e.code(), "enroll_link_not_wangge");
    }

    #[test]
    fn an_image_without_a_code_and_bytes_that_are_no_image_say_so() {
        let blank = GrayImage::from_pixel(200, 200, Luma([255]));
        let mut png = std::io::Cursor::new(Vec::new());
        blank.write_to(&mut png, ImageFormat::Png).unwrap();
        let e = read_enroll_qr_bytes(png.get_ref()).unwrap_err();
        assert_eq!(e.code(), "enroll_qr_not_found");
        let e = read_enroll_qr_bytes(b"not an image at all").unwrap_err();
        assert_eq!(e.code(), "enroll_qr_bad_image");
        let dir = tempfile::tempdir().unwrap();
        let e = read_enroll_qr(&dir.path().join("missing.png")).unwrap_err();
        assert_eq!(e, EnrollError::QrBadImage);
    }
}
