//! QR codes of enrollment links, for `wangge-relay admin enroll-code --qr`: drawn in the
//! terminal with Unicode half blocks, or as a PNG to print or send.

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per module in a PNG.
pub const PNG_MODULE_PIXELS: u32 = 8;
/// Light modules around the code in a PNG (the standard's quiet zone).
pub const PNG_QUIET_MODULES: u32 = 4;
/// Light modules around the code in the terminal (narrower; still enough for phones).
pub const TERMINAL_QUIET_MODULES: usize = 2;

/// How `--qr` draws the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum QrFormat {
    /// Unicode half blocks on standard output.
    Terminal,
    /// A PNG file (`--out`).
    Png,
}

/// Why a QR code could not be made.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    /// The text does not fit in a QR code (a CA certificate too large, say).
    #[error("the link does not fit in a QR code: {0}")]
    TooLong(qrcode::types::QrError),
    /// The PNG could not be encoded.
    #[error("the PNG could not be encoded: {0}")]
    Png(#[from] image::ImageError),
}

fn code(text: &str) -> Result<QrCode, QrError> {
    // M: 15 % of the code may be smudged or folded and still read.
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(QrError::TooLong)
}

/// The modules as rows of `true` = dark, with `quiet` light modules around.
fn modules(code: &QrCode, quiet: usize) -> Vec<Vec<bool>> {
    let width = code.width();
    let colors = code.to_colors();
    let side = width + 2 * quiet;
    let mut rows = vec![vec![false; side]; side];
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            rows[quiet + i / width][quiet + i % width] = true;
        }
    }
    rows
}

/// `text` as a QR code in Unicode half blocks, two module rows per line. Light modules are
/// drawn (the terminal's foreground) and dark ones left as the background, which reads
/// right on the usual light-on-dark terminal.
pub fn terminal(text: &str) -> Result<String, QrError> {
    let rows = modules(&code(text)?, TERMINAL_QUIET_MODULES);
    let mut out = String::new();
    for pair in rows.chunks(2) {
        let top = &pair[0];
        let bottom = pair.get(1);
        for (x, dark_top) in top.iter().enumerate() {
            let dark_bottom = bottom.is_none_or(|b| b[x]);
            out.push(match (!dark_top, !dark_bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

/// `text` as a QR code in a greyscale PNG: black on white, [`PNG_MODULE_PIXELS`] per
/// module, a [`PNG_QUIET_MODULES`] quiet zone.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let rows = modules(&code(text)?, PNG_QUIET_MODULES as usize);
    let side = u32::try_from(rows.len()).unwrap_or(u32::MAX) * PNG_MODULE_PIXELS;
    let img = GrayImage::from_fn(side, side, |x, y| {
        let dark = rows
            .get((y / PNG_MODULE_PIXELS) as usize)
            .and_then(|r| r.get((x / PNG_MODULE_PIXELS) as usize))
            .copied()
            .unwrap_or(false);
        Luma([if dark { 0 } else { 255 }])
    });
    let mut bytes = Cursor::new(Vec::new());
    img.write_to(&mut bytes, ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_terminal_drawing_is_square_in_modules_and_the_png_is_a_png() {
        let text = "wangge://enroll?v=1&relay=http%3A%2F%2F127.0.0.1%3A3030&code=ABCD-EFGH";
        let drawn = terminal(text).unwrap();
        let lines: Vec<&str> = drawn.lines().collect();
        let width = lines[0].chars().count();
        assert_eq!(lines.len(), width.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == width));
        // The quiet zone's top line is all light.
        assert!(lines[0].chars().all(|c| c == '█'));
        let png = png(text).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(matches!(
            terminal(&"x".repeat(5000)),
            Err(QrError::TooLong(_))
        ));
    }
}
