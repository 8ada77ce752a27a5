//! The photos the bench runs on: generated phone-like 12 MP JPEGs and real photographs
//! found on disk (never committed).

use std::path::{Path, PathBuf};

use wangge_media::raster::Rgb;

/// Where real photographs are looked for: `WANGGE_BENCH_PHOTOS` (a directory), then the
/// Debian package `mate-backgrounds` (photographs under GPL-2+; read in place, not copied
/// into the repository).
pub fn real_photos() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = std::env::var_os("WANGGE_BENCH_PHOTOS") {
        dirs.push(PathBuf::from(d));
    }
    dirs.push("/usr/share/backgrounds/mate/nature".into());
    dirs.push("/usr/share/backgrounds/mate/abstract".into());
    let mut found: Vec<PathBuf> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg"))
        })
        .collect();
    found.sort();
    found
}

/// A deterministic pseudo-random sequence (xorshift), for sensor-like noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> i16 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) % 13) as i16 - 6
    }
}

/// A 4000×3000 scene: sky gradient, ground, a few "buildings" with windows, text-like
/// strokes and sensor noise, so it compresses like a phone photo (≈ 3–5 MB at q92).
pub fn synthetic_scene(seed: u64) -> Rgb {
    let (w, h) = (4000u32, 3000u32);
    let mut noise = Noise(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    let horizon = 1300 + (seed % 400) as u32;
    for y in 0..h {
        for x in 0..w {
            let mut c = if y < horizon {
                [
                    120 + (y * 80 / horizon) as i16,
                    160 + (y * 60 / horizon) as i16,
                    230,
                ]
            } else {
                let t = ((x / 7 + y / 5) % 40) as i16;
                [90 + t, 85 + t / 2, 70]
            };
            // Buildings with windows.
            let bx = (x + seed as u32 * 37) % 700;
            if y > 500 + (x / 700 % 3) * 150 && y < horizon + 600 && bx > 80 && bx < 560 {
                let window = (bx / 40).is_multiple_of(2) && (y / 60).is_multiple_of(2);
                c = if window {
                    [40, 50, 70]
                } else {
                    [200, 190, 170]
                };
                if (y / 4 + bx).is_multiple_of(97) {
                    c = [20, 20, 20];
                }
            }
            for v in &mut c {
                *v += noise.next();
            }
            data.extend(c.iter().map(|&v| v.clamp(0, 255) as u8));
        }
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

/// A real photograph cropped to 4:3 and resized to 4000×3000, with sensor noise added.
pub fn phone_like_from(photo: &Path) -> Option<Rgb> {
    let bytes = std::fs::read(photo).ok()?;
    let mut d = jpeg_decoder::Decoder::new(bytes.as_slice());
    let data = d.decode().ok()?;
    let info = d.info()?;
    if info.pixel_format != jpeg_decoder::PixelFormat::RGB24 {
        return None;
    }
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let (cw, ch) = if w * 3 > h * 4 {
        (h * 4 / 3, h)
    } else {
        (w, w * 3 / 4)
    };
    let (x0, y0) = ((w - cw) / 2, (h - ch) / 2);
    let mut crop = Vec::with_capacity((cw * ch * 3) as usize);
    for y in y0..y0 + ch {
        let row = ((y * w + x0) * 3) as usize;
        crop.extend_from_slice(&data[row..row + (cw * 3) as usize]);
    }
    let crop = Rgb {
        width: cw,
        height: ch,
        data: crop,
    };
    let mut big = wangge_media::resize::resize(&crop, 4000, 3000).ok()?;
    let mut noise = Noise(0x5EED);
    for v in &mut big.data {
        *v = (i16::from(*v) + noise.next()).clamp(0, 255) as u8;
    }
    Some(big)
}

/// A baseline 4:2:0 JPEG at `quality`, as phone cameras write.
pub fn baseline_jpeg(img: &Rgb, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, quality);
    enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    enc.set_optimized_huffman_tables(true);
    match enc.encode(
        &img.data,
        img.width as u16,
        img.height as u16,
        jpeg_encoder::ColorType::Rgb,
    ) {
        Ok(()) => out,
        Err(e) => panic!("encoding the bench corpus failed: {e}"),
    }
}
