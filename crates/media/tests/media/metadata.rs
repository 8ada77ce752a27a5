use chrono::NaiveDate;
use wangge_media::{Settings, process};

use crate::helpers::{Exif, decode_jpeg, jpeg, segment_markers, texture};

fn input_with_gps() -> Vec<u8> {
    let exif = Exif {
        orientation: Some(1),
        date_time_original: Some("2024:05:01 14:03:22"),
        gps: true,
    };
    let mut bytes = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut bytes, 90);
    enc.add_exif_metadata(&crate::helpers::exif_block(&exif))
        .unwrap();
    enc.add_icc_profile(&[7u8; 600]).unwrap();
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(b"<x:xmpmeta><exif:GPSLatitude>39,54.4N</exif:GPSLatitude></x:xmpmeta>");
    enc.add_app_segment(1, xmp).unwrap();
    let img = texture(640, 480);
    enc.encode(&img.data, 640, 480, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    // The input really does carry GPS, ICC and XMP.
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(&bytes))
        .unwrap();
    assert!(
        exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some()
    );
    bytes
}

#[test]
fn no_exif_gps_xmp_or_icc_survives() {
    let out = process(&input_with_gps(), &Settings::default(), &|_| {}).unwrap();
    for jpeg in [&out.jpeg, &out.thumbnail] {
        let markers = segment_markers(jpeg);
        // JFIF APP0, quantisation, frame, Huffman, scan: nothing else.
        for m in &markers {
            assert!(
                [0xE0, 0xDB, 0xC0, 0xC4, 0xDA].contains(m),
                "unexpected segment FF{m:02X} in {markers:02X?}"
            );
        }
        assert!(!markers.contains(&0xE1) && !markers.contains(&0xE2) && !markers.contains(&0xFE));
        let exif = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(jpeg));
        assert!(exif.is_err(), "EXIF found in the output");
        for needle in [&b"Exif\0\0"[..], b"ICC_PROFILE", b"GPSLatitude", b"xmpmeta"] {
            assert!(
                !jpeg.windows(needle.len()).any(|w| w == needle),
                "{:?} found in output",
                String::from_utf8_lossy(needle)
            );
        }
    }
    assert_eq!(decode_jpeg(&out.jpeg).width, 640);
}

#[test]
fn capture_time_is_read_from_exif() {
    let out = process(&input_with_gps(), &Settings::default(), &|_| {}).unwrap();
    let want = NaiveDate::from_ymd_opt(2024, 5, 1)
        .unwrap()
        .and_hms_opt(14, 3, 22)
        .unwrap();
    assert_eq!(out.capture_time.map(|t| t.local), Some(want));
}

#[test]
fn a_photo_without_exif_has_no_capture_time() {
    let out = process(
        &jpeg(&texture(64, 64), 90, None),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!(out.capture_time, None);
}
