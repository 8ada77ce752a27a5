//! Applying EXIF orientation 1–8 so the picture stands upright.

use crate::raster::Rgb;

/// Whether `orientation` swaps width and height (5–8: the camera was held sideways).
pub fn swaps_axes(orientation: u8) -> bool {
    (5..=8).contains(&orientation)
}

/// Returns `image` as it should be displayed for EXIF `orientation` (1 or unknown: as is).
pub fn apply(image: Rgb, orientation: u8) -> Rgb {
    if !(2..=8).contains(&orientation) {
        return image;
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let (ow, oh) = if swaps_axes(orientation) {
        (h, w)
    } else {
        (w, h)
    };
    let mut data = Vec::with_capacity(image.data.len());
    for y in 0..oh {
        for x in 0..ow {
            // Source column and row in the stored image for displayed pixel (x, y).
            let (sx, sy) = match orientation {
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, h - 1 - x),
                7 => (w - 1 - y, h - 1 - x),
                _ => (w - 1 - y, x),
            };
            let i = (sy * w + sx) * 3;
            data.extend_from_slice(&image.data[i..i + 3]);
        }
    }
    Rgb {
        width: ow as u32,
        height: oh as u32,
        data,
    }
}
