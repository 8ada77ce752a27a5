use std::sync::Mutex;

use wangge_media::{Format, Progress, Settings, Stage, process};

use crate::helpers::{decode_jpeg, jpeg, png, texture, webp};

#[test]
fn the_same_input_gives_the_same_bytes_and_hash() {
    let input = jpeg(&texture(2000, 1500), 90, None);
    let a = process(&input, &Settings::default(), &|_| {}).unwrap();
    let b = process(&input, &Settings::default(), &|_| {}).unwrap();
    assert_eq!(a.jpeg, b.jpeg);
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.thumbnail, b.thumbnail);
    assert_eq!(a.sha256, wangge_media::encode::sha256_hex(&a.jpeg));
}

#[test]
fn a_12_mp_photo_comes_out_at_1600_on_the_long_side() {
    let input = jpeg(&texture(4000, 3000), 85, None);
    let out = process(&input, &Settings::default(), &|_| {}).unwrap();
    assert_eq!((out.width, out.height), (1600, 1200));
    let decoded = decode_jpeg(&out.jpeg);
    assert_eq!((decoded.width, decoded.height), (1600, 1200));
    assert_eq!((out.thumb_width, out.thumb_height), (320, 240));
    let thumb = decode_jpeg(&out.thumbnail);
    assert_eq!((thumb.width, thumb.height), (320, 240));
    assert!(out.jpeg.len() < 600_000, "{} bytes", out.jpeg.len());
}

#[test]
fn the_long_side_is_configurable_and_small_photos_are_not_enlarged() {
    let input = jpeg(&texture(1000, 500), 90, None);
    let small = Settings {
        max_long_side: 640,
        thumb_long_side: 100,
        ..Settings::default()
    };
    let out = process(&input, &small, &|_| {}).unwrap();
    assert_eq!((out.width, out.height), (640, 320));
    assert_eq!((out.thumb_width, out.thumb_height), (100, 50));
    let out = process(&input, &Settings::default(), &|_| {}).unwrap();
    assert_eq!((out.width, out.height), (1000, 500));
}

#[test]
fn png_and_webp_are_accepted() {
    let picture = texture(300, 200);
    for (bytes, format) in [(png(&picture), Format::Png), (webp(&picture), Format::WebP)] {
        let out = process(&bytes, &Settings::default(), &|_| {}).unwrap();
        assert_eq!(out.source_format, format);
        assert_eq!((out.width, out.height), (300, 200));
        let decoded = decode_jpeg(&out.jpeg);
        // Lossless input, one JPEG generation: pixels stay close to the original.
        let diff: u64 = decoded
            .data
            .iter()
            .zip(&picture.data)
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum();
        assert!(
            diff / (decoded.data.len() as u64) < 12,
            "mean error {}",
            diff / decoded.data.len() as u64
        );
    }
}

#[test]
fn transparent_png_is_put_on_white() {
    let mut out = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        &[0u8; 32 * 32 * 4],
        32,
        32,
        image::ExtendedColorType::Rgba8,
    )
    .unwrap();
    let ev = process(&out, &Settings::default(), &|_| {}).unwrap();
    let px = decode_jpeg(&ev.jpeg).pixel(16, 16).unwrap();
    assert!(px.iter().all(|&c| c > 245), "{px:?}");
}

#[test]
fn progress_goes_through_every_stage_in_order() {
    let seen = Mutex::new(Vec::<Progress>::new());
    let input = jpeg(&texture(800, 600), 90, None);
    process(&input, &Settings::default(), &|p| {
        seen.lock().unwrap().push(p)
    })
    .unwrap();
    let seen = seen.into_inner().unwrap();
    let stages: Vec<Stage> = seen.iter().map(|p| p.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Inspecting,
            Stage::Decoding,
            Stage::Resizing,
            Stage::Thumbnail,
            Stage::Captioning,
            Stage::Encoding,
            Stage::Done
        ]
    );
    assert!(seen.windows(2).all(|w| w[0].fraction < w[1].fraction));
    assert_eq!(seen.last().map(|p| p.fraction), Some(1.0));
}

#[test]
fn invalid_settings_are_refused() {
    let bad = Settings {
        quality: 0,
        ..Settings::default()
    };
    let err = process(&jpeg(&texture(8, 8), 90, None), &bad, &|_| {}).unwrap_err();
    assert_eq!(err.code(), "invalid_settings");
}

#[test]
fn the_size_cap_lowers_quality_only_when_needed() {
    let input = jpeg(&texture(1600, 1200), 95, None);
    let uncapped = Settings {
        max_output_bytes: None,
        ..Settings::default()
    };
    let free = process(&input, &uncapped, &|_| {}).unwrap();
    assert_eq!(free.quality, 80);
    let cap = free.jpeg.len() as u64 - 1;
    let capped = Settings {
        max_output_bytes: Some(cap),
        ..Settings::default()
    };
    let small = process(&input, &capped, &|_| {}).unwrap();
    assert!(
        small.quality < 80 && small.quality >= 60,
        "{}",
        small.quality
    );
    assert!((small.jpeg.len() as u64) < free.jpeg.len() as u64);
    let roomy = Settings {
        max_output_bytes: Some(free.jpeg.len() as u64),
        ..Settings::default()
    };
    assert_eq!(
        process(&input, &roomy, &|_| {}).unwrap().sha256,
        free.sha256
    );
}
