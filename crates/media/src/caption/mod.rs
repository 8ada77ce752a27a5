//! The caption strip (水印) drawn under the photo: capture time, grid name, place.
//!
//! The strip is appended below the picture rather than painted over it, so no part of the
//! evidence is hidden. Text is laid out glyph by glyph with the bundled font; a character
//! the font lacks is drawn as a hollow box, never dropped.

mod draw;
mod layout;

use crate::raster::Rgb;

/// Background of the strip.
pub const STRIP_COLOUR: [u8; 3] = [24, 24, 24];
/// Colour of the text.
pub const TEXT_COLOUR: [u8; 3] = [255, 255, 255];

/// Text lines for one caption, ready to lay out at a given width.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CaptionText {
    lines: Vec<String>,
}

impl CaptionText {
    /// Collects the non-empty fields in display order: time, grid, place.
    pub(crate) fn new(time: Option<String>, grid_name: &str, place: &str) -> Self {
        let lines = [time.unwrap_or_default(), grid_name.into(), place.into()]
            .into_iter()
            .map(|s| layout::clean(&s))
            .filter(|s| !s.is_empty())
            .collect();
        CaptionText { lines }
    }

    /// Height in pixels of the strip for a photo `width` wide (0 when there is no text).
    pub(crate) fn strip_height(&self, width: u32) -> u32 {
        match layout::Layout::new(&self.lines, width) {
            Some(l) => l.height,
            None => 0,
        }
    }

    /// Draws the strip for a photo `width` wide (`None` when there is no text or no font).
    pub(crate) fn render(&self, width: u32) -> Option<Rgb> {
        let layout = layout::Layout::new(&self.lines, width)?;
        draw::render(&layout, width)
    }
}

/// Stacks `strip` under `photo` (same width).
pub(crate) fn append(mut photo: Rgb, strip: Rgb) -> Rgb {
    debug_assert_eq!(photo.width, strip.width);
    photo.data.extend_from_slice(&strip.data);
    photo.height += strip.height;
    photo
}
