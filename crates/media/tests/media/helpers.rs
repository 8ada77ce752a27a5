//! Builders for real test images: corner pictures, JPEGs with hand-written EXIF, PNG, WebP.

use image::{ImageEncoder, codecs::png::PngEncoder, codecs::webp::WebPEncoder};
use jpeg_encoder::{ColorType, Encoder};
use wangge_media::raster::Rgb;

pub const RED: [u8; 3] = [230, 30, 30];
pub const GREEN: [u8; 3] = [30, 200, 30];
pub const BLUE: [u8; 3] = [30, 30, 230];
pub const YELLOW: [u8; 3] = [230, 230, 30];

/// An upright picture whose four quadrants differ: red top-left, green top-right,
/// blue bottom-left, yellow bottom-right.
pub fn corners(width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let c = match (x < width / 2, y < height / 2) {
                (true, true) => RED,
                (false, true) => GREEN,
                (true, false) => BLUE,
                (false, false) => YELLOW,
            };
            data.extend_from_slice(&c);
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// A textured picture (gradients and a grid) that compresses like a photo, not like a flat area.
pub fn texture(width: u32, height: u32) -> Rgb {
    let mut data = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let grid = if (x / 16 + y / 16) % 2 == 0 { 40 } else { 0 };
            data.push(((x * 255 / width.max(1)) as u8).saturating_add(grid));
            data.push(((y * 255 / height.max(1)) as u8).saturating_add(grid));
            data.push((((x ^ y) & 0xff) as u8) / 2);
        }
    }
    Rgb {
        width,
        height,
        data,
    }
}

/// How the camera stored `upright` for EXIF `orientation`: the stored image that, displayed
/// with that orientation, shows `upright`. Written from the EXIF table (where row 0 and
/// column 0 of the stored image end up), independently of the library's code.
pub fn stored_for(upright: &Rgb, orientation: u8) -> Rgb {
    let (w, h) = (upright.width as usize, upright.height as usize);
    let (sw, sh) = if orientation >= 5 { (h, w) } else { (w, h) };
    let mut data = Vec::with_capacity(w * h * 3);
    for r in 0..sh {
        for c in 0..sw {
            // Displayed position of stored column c, row r.
            let (x, y) = match orientation {
                1 => (c, r),                 // row 0 top, column 0 left
                2 => (w - 1 - c, r),         // row 0 top, column 0 right
                3 => (w - 1 - c, h - 1 - r), // row 0 bottom, column 0 right
                4 => (c, h - 1 - r),         // row 0 bottom, column 0 left
                5 => (r, c),                 // row 0 left, column 0 top
                6 => (w - 1 - r, c),         // row 0 right, column 0 top
                7 => (w - 1 - r, h - 1 - c), // row 0 right, column 0 bottom
                _ => (r, h - 1 - c),         // row 0 left, column 0 bottom
            };
            let i = (y * w + x) * 3;
            data.extend_from_slice(&upright.data[i..i + 3]);
        }
    }
    Rgb {
        width: sw as u32,
        height: sh as u32,
        data,
    }
}

/// EXIF facts to write into a test JPEG.
#[derive(Default)]
pub struct Exif {
    pub orientation: Option<u16>,
    pub date_time_original: Option<&'static str>,
    pub gps: bool,
}

/// A little-endian TIFF/EXIF block, written by hand.
pub fn exif_block(e: &Exif) -> Vec<u8> {
    // Layout: header(8) IFD0(@8) [ExifIFD] [GPS IFD] then out-of-line values.
    struct Entry {
        tag: u16,
        kind: u16,
        count: u32,
        value: Vec<u8>,
    }
    let mut ifd0 = Vec::new();
    if let Some(o) = e.orientation {
        ifd0.push(Entry {
            tag: 0x0112,
            kind: 3,
            count: 1,
            value: o.to_le_bytes().to_vec(),
        });
    }
    let mut exif_ifd = Vec::new();
    if let Some(t) = e.date_time_original {
        let mut v = t.as_bytes().to_vec();
        v.push(0);
        exif_ifd.push(Entry {
            tag: 0x9003,
            kind: 2,
            count: v.len() as u32,
            value: v,
        });
    }
    let mut gps_ifd = Vec::new();
    if e.gps {
        gps_ifd.push(Entry {
            tag: 0x0001,
            kind: 2,
            count: 2,
            value: b"N\0".to_vec(),
        });
        let mut lat = Vec::new();
        for (n, d) in [(39u32, 1u32), (54, 1), (2712, 100)] {
            lat.extend_from_slice(&n.to_le_bytes());
            lat.extend_from_slice(&d.to_le_bytes());
        }
        gps_ifd.push(Entry {
            tag: 0x0002,
            kind: 5,
            count: 3,
            value: lat,
        });
        gps_ifd.push(Entry {
            tag: 0x0003,
            kind: 2,
            count: 2,
            value: b"E\0".to_vec(),
        });
        let mut lon = Vec::new();
        for (n, d) in [(116u32, 1u32), (23, 1), (1800, 100)] {
            lon.extend_from_slice(&n.to_le_bytes());
            lon.extend_from_slice(&d.to_le_bytes());
        }
        gps_ifd.push(Entry {
            tag: 0x0004,
            kind: 5,
            count: 3,
            value: lon,
        });
    }
    let ifd_len = |n: usize| 2 + 12 * n + 4;
    let n0 = ifd0.len() + usize::from(!exif_ifd.is_empty()) + usize::from(!gps_ifd.is_empty());
    let exif_at = 8 + ifd_len(n0);
    let gps_at = exif_at
        + if exif_ifd.is_empty() {
            0
        } else {
            ifd_len(exif_ifd.len())
        };
    let mut data_at = gps_at
        + if gps_ifd.is_empty() {
            0
        } else {
            ifd_len(gps_ifd.len())
        };
    if !exif_ifd.is_empty() {
        ifd0.push(Entry {
            tag: 0x8769,
            kind: 4,
            count: 1,
            value: (exif_at as u32).to_le_bytes().to_vec(),
        });
    }
    if !gps_ifd.is_empty() {
        ifd0.push(Entry {
            tag: 0x8825,
            kind: 4,
            count: 1,
            value: (gps_at as u32).to_le_bytes().to_vec(),
        });
    }
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    let mut tail = Vec::new();
    for ifd in [&ifd0, &exif_ifd, &gps_ifd] {
        if ifd.is_empty() {
            continue;
        }
        out.extend_from_slice(&(ifd.len() as u16).to_le_bytes());
        for en in ifd.iter() {
            out.extend_from_slice(&en.tag.to_le_bytes());
            out.extend_from_slice(&en.kind.to_le_bytes());
            out.extend_from_slice(&en.count.to_le_bytes());
            if en.value.len() <= 4 {
                let mut v = en.value.clone();
                v.resize(4, 0);
                out.extend_from_slice(&v);
            } else {
                out.extend_from_slice(&(data_at as u32).to_le_bytes());
                data_at += en.value.len();
                tail.extend_from_slice(&en.value);
            }
        }
        out.extend_from_slice(&0u32.to_le_bytes());
    }
    out.extend_from_slice(&tail);
    out
}

/// A baseline JPEG of `image`, with an EXIF APP1 segment when `exif` is given.
pub fn jpeg(image: &Rgb, quality: u8, exif: Option<&Exif>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = Encoder::new(&mut out, quality);
    if let Some(e) = exif {
        enc.add_exif_metadata(&exif_block(e)).unwrap();
    }
    enc.encode(
        &image.data,
        image.width as u16,
        image.height as u16,
        ColorType::Rgb,
    )
    .unwrap();
    out
}

/// A PNG of `image`.
pub fn png(image: &Rgb) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            &image.data,
            image.width,
            image.height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A lossless WebP of `image`.
pub fn webp(image: &Rgb) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .write_image(
            &image.data,
            image.width,
            image.height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// Decodes a JPEG produced by the pipeline.
pub fn decode_jpeg(bytes: &[u8]) -> Rgb {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let data = d.decode().unwrap();
    let info = d.info().unwrap();
    assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
    Rgb {
        width: info.width.into(),
        height: info.height.into(),
        data,
    }
}

/// Whether two colours are within `tolerance` on every channel.
pub fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= tolerance)
}

/// The markers of a JPEG's segments, in order, up to the start of scan.
pub fn segment_markers(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[0..2], &[0xFF, 0xD8], "starts with SOI");
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() {
        assert_eq!(jpeg[i], 0xFF, "segment starts with 0xFF at {i}");
        let marker = jpeg[i + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        i += 2 + len;
    }
    markers
}

/// A PNG chunk with its CRC.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
