use chrono::NaiveDate;
use wangge_media::{Caption, Settings, process, raster::Rgb};

use crate::helpers::{Exif, decode_jpeg, jpeg, texture};

fn with_caption(grid: &str, place: &str) -> Settings {
    Settings {
        caption: Some(Caption {
            grid_name: grid.into(),
            place: place.into(),
            fallback_time: NaiveDate::from_ymd_opt(2024, 6, 1)
                .and_then(|d| d.and_hms_opt(9, 30, 0)),
        }),
        ..Settings::default()
    }
}

/// Count of pixels brighter than `level` in rows `from..` of `img`.
fn bright_below(img: &Rgb, from: u32, level: u8) -> usize {
    (from..img.height)
        .flat_map(|y| (0..img.width).map(move |x| (x, y)))
        .filter(|&(x, y)| img.pixel(x, y).unwrap().iter().all(|&c| c > level))
        .count()
}

#[test]
fn the_caption_is_deterministic_and_changes_the_hash() {
    let input = jpeg(&texture(1200, 900), 90, None);
    let plain = process(&input, &Settings::default(), &|_| {}).unwrap();
    let settings = with_caption("和平里街道第三网格", "和平里七区12号楼东侧");
    let a = process(&input, &settings, &|_| {}).unwrap();
    let b = process(&input, &settings, &|_| {}).unwrap();
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.jpeg, b.jpeg);
    assert_ne!(a.sha256, plain.sha256);
    let other_place = process(
        &input,
        &with_caption("和平里街道第三网格", "七区13号楼"),
        &|_| {},
    )
    .unwrap();
    assert_ne!(a.sha256, other_place.sha256);
    // The strip is added under the photo; the thumbnail is the bare photo.
    assert_eq!(a.width, 1200);
    assert!(a.height > 900);
    assert_eq!(a.thumbnail, plain.thumbnail);
}

#[test]
fn the_caption_shows_text_on_the_strip() {
    let black = Rgb::filled(800, 600, [0, 0, 0]);
    let input = jpeg(&black, 90, None);
    let out = process(&input, &with_caption("第三网格", "二号楼"), &|_| {}).unwrap();
    let img = decode_jpeg(&out.jpeg);
    assert!(img.height > 600);
    assert!(
        bright_below(&img, 0, 200) > 200,
        "white text expected on the strip"
    );
    assert_eq!(
        bright_below(&img, 0, 200),
        bright_below(&img, 600, 200),
        "photo untouched"
    );
}

#[test]
fn a_missing_glyph_is_drawn_as_a_visible_box() {
    let black = Rgb::filled(800, 600, [0, 0, 0]);
    let input = jpeg(&black, 90, None);
    // U+E000 is a private-use character that no font subset carries.
    let settings = Settings {
        caption: Some(Caption {
            grid_name: String::new(),
            place: "\u{E000}".into(),
            fallback_time: None,
        }),
        ..Settings::default()
    };
    let out = process(&input, &settings, &|_| {}).unwrap();
    let img = decode_jpeg(&out.jpeg);
    assert!(
        img.height > 600,
        "the strip exists for the one unknown character"
    );
    assert!(
        bright_below(&img, 600, 150) > 40,
        "the fallback box is visible"
    );
}

#[test]
fn the_exif_time_wins_over_the_fallback_time() {
    let exif = Exif {
        date_time_original: Some("2023:01:02 03:04:05"),
        ..Exif::default()
    };
    let input = jpeg(&texture(800, 600), 90, Some(&exif));
    let s1 = with_caption("网格", "地点");
    let mut s2 = s1.clone();
    if let Some(c) = s2.caption.as_mut() {
        c.fallback_time = None;
    }
    let a = process(&input, &s1, &|_| {}).unwrap();
    let b = process(&input, &s2, &|_| {}).unwrap();
    assert_eq!(
        a.sha256, b.sha256,
        "the fallback time must be ignored when EXIF has one"
    );
    let no_exif = jpeg(&texture(800, 600), 90, None);
    let c = process(&no_exif, &s1, &|_| {}).unwrap();
    let d = process(&no_exif, &s2, &|_| {}).unwrap();
    assert_ne!(
        c.sha256, d.sha256,
        "without EXIF the fallback time is shown"
    );
}

#[test]
fn with_a_caption_a_portrait_photo_still_fits_the_long_side() {
    let input = jpeg(&texture(3000, 4000), 90, None);
    let out = process(&input, &with_caption("第三网格", "二号楼"), &|_| {}).unwrap();
    assert!(
        out.height <= 1600 && out.width <= 1600,
        "{}x{}",
        out.width,
        out.height
    );
    assert!(out.height > 1500);
    let img = decode_jpeg(&out.jpeg);
    assert_eq!((img.width, img.height), (out.width, out.height));
}
