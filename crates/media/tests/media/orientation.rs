use wangge_media::{Settings, process};

use crate::helpers::{
    BLUE, Exif, GREEN, RED, YELLOW, close, corners, decode_jpeg, jpeg, stored_for,
};

#[test]
fn every_exif_orientation_comes_out_upright() {
    let upright = corners(320, 240);
    for orientation in 1..=8u8 {
        let stored = stored_for(&upright, orientation);
        let exif = Exif {
            orientation: Some(orientation.into()),
            ..Exif::default()
        };
        let input = jpeg(&stored, 95, Some(&exif));
        let out = process(&input, &Settings::default(), &|_| {}).unwrap();
        assert_eq!(
            (out.width, out.height),
            (320, 240),
            "orientation {orientation}"
        );
        let img = decode_jpeg(&out.jpeg);
        let at = |x, y| img.pixel(x, y).unwrap();
        for (pixel, want, corner) in [
            (at(8, 8), RED, "top-left"),
            (at(311, 8), GREEN, "top-right"),
            (at(8, 231), BLUE, "bottom-left"),
            (at(311, 231), YELLOW, "bottom-right"),
        ] {
            assert!(
                close(pixel, want, 40),
                "orientation {orientation}: {corner} is {pixel:?}, want {want:?}"
            );
        }
    }
}

#[test]
fn sideways_photos_are_resized_on_their_displayed_long_side() {
    let upright = corners(1800, 3000);
    let stored = stored_for(&upright, 6);
    assert_eq!((stored.width, stored.height), (3000, 1800));
    let exif = Exif {
        orientation: Some(6),
        ..Exif::default()
    };
    let out = process(
        &jpeg(&stored, 90, Some(&exif)),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    assert_eq!((out.width, out.height), (960, 1600));
    assert_eq!((out.thumb_width, out.thumb_height), (192, 320));
    let img = decode_jpeg(&out.jpeg);
    assert!(close(img.pixel(10, 10).unwrap(), RED, 40));
    assert!(close(img.pixel(950, 1590).unwrap(), YELLOW, 40));
}
