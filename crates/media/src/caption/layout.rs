//! Font size, wrapping and strip height for a caption at a given width.

use ab_glyph::{Font, FontRef, ScaleFont};

use crate::font::caption_font;

/// Most wrapped lines one field may take; the rest is cut with "…".
const MAX_LINES_PER_FIELD: usize = 2;

/// A caption laid out for one width.
pub(super) struct Layout {
    /// Font size in pixels.
    pub px: f32,
    /// Padding around the text block.
    pub pad: u32,
    /// Distance between baselines.
    pub line_height: u32,
    /// The wrapped lines.
    pub lines: Vec<String>,
    /// Total strip height.
    pub height: u32,
}

impl Layout {
    /// Lays out `fields` for a photo `width` wide; `None` when nothing is to be shown.
    pub(super) fn new(fields: &[String], width: u32) -> Option<Layout> {
        if fields.is_empty() {
            return None;
        }
        let font = caption_font()?;
        // 40 px on a 1600 px photo; legible on a phone and on a printed A4 page.
        let px = (width as f32 / 40.0).round().clamp(12.0, 96.0);
        let pad = (px * 0.5).round() as u32;
        let line_height = (px * 1.3).ceil() as u32;
        let usable = width.saturating_sub(2 * pad).max(1) as f32;
        let lines: Vec<String> = fields
            .iter()
            .flat_map(|f| wrap(font, px, f, usable))
            .collect();
        let height = 2 * pad + line_height * lines.len() as u32;
        Some(Layout {
            px,
            pad,
            line_height,
            lines,
            height,
        })
    }
}

/// Advance of `c` in pixels; a missing glyph takes the width of the box drawn for it.
pub(super) fn advance(font: &FontRef<'static>, px: f32, c: char) -> f32 {
    let id = font.glyph_id(c);
    if id.0 == 0 {
        (px * 0.7).round()
    } else {
        font.as_scaled(px).h_advance(id)
    }
}

/// Breaks `text` into lines no wider than `usable` (at any character: Chinese has no
/// spaces), at most [`MAX_LINES_PER_FIELD`] lines, the last cut with "…" when too long.
fn wrap(font: &FontRef<'static>, px: f32, text: &str, usable: f32) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut x = 0.0;
    for c in text.chars() {
        let w = advance(font, px, c);
        if x + w > usable && x > 0.0 {
            if lines.len() == MAX_LINES_PER_FIELD {
                if let Some(last) = lines.last_mut() {
                    ellipsize(font, px, usable, last);
                }
                return lines;
            }
            lines.push(String::new());
            x = 0.0;
        }
        if let Some(l) = lines.last_mut() {
            l.push(c);
        }
        x += w;
    }
    lines
}

/// Shortens a full line until "…" fits after it.
fn ellipsize(font: &FontRef<'static>, px: f32, usable: f32, line: &mut String) {
    let width = |s: &str| s.chars().map(|c| advance(font, px, c)).sum::<f32>();
    while !line.is_empty() && width(line) + advance(font, px, '…') > usable {
        line.pop();
    }
    line.push('…');
}

/// Turns control characters (newlines, tabs…) into spaces and trims the ends.
pub(super) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_wrap_and_are_cut_with_an_ellipsis() {
        let long = "和平里".repeat(100);
        let l = Layout::new(&[long], 400).expect("layout");
        assert_eq!(l.lines.len(), MAX_LINES_PER_FIELD);
        assert!(l.lines[1].ends_with('…'));
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(clean("\t第三网格\n二号楼 "), "第三网格 二号楼");
    }
}
