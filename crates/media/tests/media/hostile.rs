use std::time::Instant;

use wangge_media::{MediaError, Settings, process, process_file};

use crate::helpers::{jpeg, png, png_chunk, texture};

fn code(bytes: &[u8]) -> &'static str {
    code_with(bytes, &Settings::default())
}

fn code_with(bytes: &[u8], settings: &Settings) -> &'static str {
    match process(bytes, settings, &|_| {}) {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&png_chunk(b"IHDR", &ihdr));
    out.extend_from_slice(&png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out.extend_from_slice(&png_chunk(b"IEND", &[]));
    out
}

fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let real = jpeg(&texture(16, 16), 90, None);
    // Patch the frame header (SOF0) of a real JPEG to declare another size.
    let sof = real.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let mut out = real.clone();
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let start = Instant::now();
    assert_eq!(code(&png_header(60_000, 60_000)), "image_too_large");
    assert_eq!(code(&jpeg_header(60_000, 60_000)), "image_too_large");
    assert!(
        start.elapsed().as_secs() < 2,
        "bombs must be refused before decoding"
    );
}

#[test]
fn the_pixel_limit_is_configurable() {
    let photo = jpeg(&texture(400, 300), 90, None);
    let strict = Settings {
        max_pixels: 100_000,
        ..Settings::default()
    };
    assert_eq!(code_with(&photo, &strict), "image_too_large");
    assert_eq!(code(&photo), "ok");
}

#[test]
fn truncated_files_are_refused() {
    let j = jpeg(&texture(256, 256), 90, None);
    assert_eq!(code(&j[..j.len() / 2]), "truncated_image");
    let p = png(&texture(256, 256));
    assert_eq!(code(&p[..p.len() / 2]), "truncated_image");
}

#[test]
fn corrupt_files_are_refused() {
    // A JPEG whose Huffman table segment is overwritten with garbage.
    let mut j = jpeg(&texture(64, 64), 90, None);
    let dht = j.windows(2).position(|w| w == [0xFF, 0xC4]).unwrap();
    for b in &mut j[dht + 4..dht + 24] {
        *b = 0xEE;
    }
    assert_eq!(code(&j), "corrupt_image");
    // A PNG whose image data no longer inflates.
    let mut p = png(&texture(64, 64));
    let idat = p.windows(4).position(|w| w == b"IDAT").unwrap();
    let len = u32::from_be_bytes(p[idat - 4..idat].try_into().unwrap()) as usize;
    let body = p[idat..idat + 4 + len].to_vec();
    let mut garbage = body.clone();
    for b in &mut garbage[4..] {
        *b = 0xA5;
    }
    let fixed = png_chunk(b"IDAT", &garbage[4..]);
    p.splice(idat - 4..idat + 8 + len, fixed);
    assert_eq!(code(&p), "corrupt_image");
}

#[test]
fn empty_input_is_refused() {
    assert_eq!(code(&[]), "empty_file");
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let small_cap = Settings {
        max_file_bytes: 1000,
        ..Settings::default()
    };
    let photo = jpeg(&texture(200, 200), 90, None);
    assert!(photo.len() > 1000);
    assert_eq!(code_with(&photo, &small_cap), "file_too_large");
    // Even garbage is refused for its size first.
    assert_eq!(code_with(&vec![b'x'; 2000], &small_cap), "file_too_large");
}

#[test]
fn text_is_not_an_image() {
    assert_eq!(
        code(b"this is not a photo, it is a text file\n"),
        "not_an_image"
    );
}

#[test]
fn heic_is_named_as_unsupported() {
    let mut heic = vec![0, 0, 0, 24];
    heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
    heic.extend_from_slice(&[0; 100]);
    let err = process(&heic, &Settings::default(), &|_| {}).unwrap_err();
    assert_eq!(err, MediaError::UnsupportedFormat { format: "HEIC" });
    assert_eq!(err.code(), "unsupported_format");
    assert!(err.to_string().contains("HEIC"));
}

#[test]
fn the_format_comes_from_the_bytes_not_the_file_name() {
    let dir = tempfile::tempdir().unwrap();
    let png_named_jpg = dir.path().join("photo.jpg");
    std::fs::write(&png_named_jpg, png(&texture(100, 80))).unwrap();
    let out = process_file(&png_named_jpg, &Settings::default(), &|_| {}).unwrap();
    assert_eq!(out.source_format, wangge_media::Format::Png);
    assert_eq!((out.width, out.height), (100, 80));

    let text_named_jpg = dir.path().join("notes.jpg");
    std::fs::write(&text_named_jpg, "购物清单：白菜、豆腐").unwrap();
    let err = process_file(&text_named_jpg, &Settings::default(), &|_| {}).unwrap_err();
    assert_eq!(err.code(), "not_an_image");

    let empty = dir.path().join("empty.jpg");
    std::fs::write(&empty, b"").unwrap();
    assert_eq!(
        process_file(&empty, &Settings::default(), &|_| {})
            .unwrap_err()
            .code(),
        "empty_file"
    );
    let missing = dir.path().join("missing.jpg");
    assert_eq!(
        process_file(&missing, &Settings::default(), &|_| {})
            .unwrap_err()
            .code(),
        "read_failed"
    );
}

#[test]
fn an_oversized_file_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jpg");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(31 * 1024 * 1024).unwrap();
    let err = process_file(&big, &Settings::default(), &|_| {}).unwrap_err();
    assert_eq!(err.code(), "file_too_large");
}
