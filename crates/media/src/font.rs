//! The bundled caption font: Noto Sans CJK SC cut down to the 8,105 characters of
//! 通用规范汉字表 plus ASCII and Chinese punctuation (`assets/fonts/`, SIL OFL 1.1).

use std::sync::OnceLock;

use ab_glyph::FontRef;

/// The font file, compiled into the library (≈ 1.9 MB).
pub const FONT_BYTES: &[u8] = include_bytes!("../assets/fonts/NotoSansCJKsc-Regular-subset.otf");

/// The 8,105 characters of 通用规范汉字表 (2013), one per line, that the font covers.
pub const TONGYONG_GUIFAN_8105: &str = include_str!("../assets/fonts/tongyong-guifan-8105.txt");

/// The parsed caption font, or `None` if the bundled file were unreadable.
pub fn caption_font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

#[cfg(test)]
mod tests {
    use ab_glyph::Font;

    use super::*;

    #[test]
    fn font_covers_every_character_of_the_8105_table() {
        let font = caption_font().expect("bundled font parses");
        let chars: Vec<char> = TONGYONG_GUIFAN_8105
            .split_whitespace()
            .filter_map(|s| s.chars().next())
            .collect();
        assert_eq!(chars.len(), 8105);
        let missing: String = chars.iter().filter(|&&c| font.glyph_id(c).0 == 0).collect();
        assert!(missing.is_empty(), "no glyph for {missing}");
        for c in "0123456789-: ，。（）ABCxyz".chars() {
            assert_ne!(font.glyph_id(c).0, 0, "no glyph for {c:?}");
        }
    }
}
