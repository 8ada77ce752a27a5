//! Rasterising the laid-out caption with `ab_glyph`.

use ab_glyph::{Font, ScaleFont, point};

use super::{
    STRIP_COLOUR, TEXT_COLOUR,
    layout::{Layout, advance},
};
use crate::{font::caption_font, raster::Rgb};

/// Draws `layout` on a strip `width` wide.
pub(super) fn render(layout: &Layout, width: u32) -> Option<Rgb> {
    let font = caption_font()?;
    let scaled = font.as_scaled(layout.px);
    let mut strip = Rgb::filled(width, layout.height, STRIP_COLOUR);
    for (i, line) in layout.lines.iter().enumerate() {
        let top = layout.pad + layout.line_height * i as u32;
        // Centre the ascent+descent box in the line.
        let extra = layout.line_height as f32 - (scaled.ascent() - scaled.descent());
        let baseline = top as f32 + extra / 2.0 + scaled.ascent();
        let mut x = layout.pad as f32;
        for c in line.chars() {
            let id = font.glyph_id(c);
            if id.0 == 0 {
                missing_box(&mut strip, x, baseline, layout.px);
            } else if let Some(g) =
                font.outline_glyph(id.with_scale_and_position(layout.px, point(x, baseline)))
            {
                let b = g.px_bounds();
                g.draw(|gx, gy, coverage| {
                    let px = b.min.x as i64 + i64::from(gx);
                    let py = b.min.y as i64 + i64::from(gy);
                    blend(&mut strip, px, py, coverage);
                });
            }
            x += advance(font, layout.px, c);
        }
    }
    Some(strip)
}

/// A hollow box where the font has no glyph, so the gap is visible to whoever reads it.
fn missing_box(strip: &mut Rgb, x: f32, baseline: f32, px: f32) {
    let left = (x + px * 0.1).round() as i64;
    let right = (x + px * 0.6).round() as i64;
    let top = (baseline - px * 0.75).round() as i64;
    let bottom = (baseline + px * 0.05).round() as i64;
    let stroke = (px / 14.0).round().max(1.0) as i64;
    for y in top..=bottom {
        for x in left..=right {
            let edge =
                x < left + stroke || x > right - stroke || y < top + stroke || y > bottom - stroke;
            if edge {
                blend(strip, x, y, 1.0);
            }
        }
    }
}

/// Mixes the text colour into the strip at (`x`, `y`) by `coverage` (0–1).
fn blend(strip: &mut Rgb, x: i64, y: i64, coverage: f32) {
    if x < 0 || y < 0 || x >= i64::from(strip.width) || y >= i64::from(strip.height) {
        return;
    }
    let a = (coverage.clamp(0.0, 1.0) * 255.0).round() as u16;
    let i = (y as usize * strip.width as usize + x as usize) * 3;
    for (k, &fg) in TEXT_COLOUR.iter().enumerate() {
        let bg = u16::from(strip.data[i + k]);
        let mixed = (u16::from(fg) * a + bg * (255 - a) + 127) / 255;
        strip.data[i + k] = mixed as u8;
    }
}
