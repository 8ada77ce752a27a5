//! End-to-end tests of Wangge devices syncing through a real relay; see `tests/sync/`.

/// A camera-like JPEG made in a test or a benchmark: a gradient with detail, or (`noise`)
/// pixels that compress badly, for photos large enough to be cut in the middle.
pub fn camera_jpeg(w: u32, h: u32, seed: u32, noise: bool) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    let mut x32 = seed.wrapping_mul(2_654_435_761).max(1);
    for y in 0..h {
        for x in 0..w {
            if noise {
                for _ in 0..3 {
                    x32 ^= x32 << 13;
                    x32 ^= x32 >> 17;
                    x32 ^= x32 << 5;
                    rgb.push((x32 & 0xff) as u8);
                }
            } else {
                rgb.extend([
                    (x * 255 / w) as u8,
                    (y * 255 / h) as u8,
                    ((x ^ y ^ seed) & 0xff) as u8,
                ]);
            }
        }
    }
    let mut out = vec![];
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("a JPEG of a valid size");
    out
}
