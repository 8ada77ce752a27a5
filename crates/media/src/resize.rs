//! Fitting sizes and resampling (Lanczos3 through `fast_image_resize`).

use fast_image_resize::{
    FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer,
    images::{Image, ImageRef},
};

use crate::{MediaError, raster::Rgb};

/// The size that fits `width` × `height` inside a `long_side` square, keeping the aspect
/// ratio, never enlarging, never below 1 px.
pub fn fit(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width.max(1), height.max(1));
    }
    let scale = |v: u32| {
        ((u64::from(v) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

/// Resamples `image` to exactly `width` × `height` (a copy when the size already matches).
pub fn resize(image: &Rgb, width: u32, height: u32) -> Result<Rgb, MediaError> {
    if image.width == width && image.height == height {
        return Ok(image.clone());
    }
    let src = ImageRef::new(image.width, image.height, &image.data, PixelType::U8x3)
        .map_err(|e| MediaError::corrupt(format!("resize source: {e}")))?;
    let mut dst = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| MediaError::corrupt(format!("resize: {e}")))?;
    Ok(Rgb {
        width,
        height,
        data: dst.into_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit(800, 600, 1600), (800, 600));
        assert_eq!(fit(100_000, 10, 1600), (1600, 1));
    }
}
