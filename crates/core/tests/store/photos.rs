use std::sync::Mutex;

use sha2::{Digest, Sha256};
use wangge_core::photos::{Settings, add_photo};
use wangge_core::*;

use crate::helpers::*;

/// A real camera-like JPEG: a gradient with detail, made in the test.
fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            rgb.extend([
                (x * 255 / w) as u8,
                (y * 255 / h) as u8,
                ((x ^ y) & 0xff) as u8,
            ]);
        }
    }
    let mut out = vec![];
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn blob_count(t: &Mutex<Store>) -> i64 {
    let s = t.lock().unwrap();
    s.blob_count().unwrap()
}

#[test]
fn a_camera_photo_becomes_stored_evidence_with_a_thumbnail_once() {
    let t = store_as("m1");
    let store = Mutex::new(t.store);
    let jpeg = camera_jpeg(2400, 1800);
    let seen = Mutex::new(vec![]);
    let p = add_photo(&store, &jpeg, &Settings::default(), &|pr| {
        seen.lock().unwrap().push(pr.stage)
    })
    .unwrap();
    assert!(p.new);
    assert_eq!((p.width, p.height), (1600, 1200));
    assert!(!seen.lock().unwrap().is_empty(), "progress was reported");
    let s = store.lock().unwrap();
    let evidence = s.blob(&p.hash).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&evidence)), p.hash);
    assert_eq!(&evidence[..2], b"\xff\xd8");
    let thumb = s.thumbnail(&p.hash).unwrap();
    let mut dec = jpeg_decoder::Decoder::new(&thumb[..]);
    dec.read_info().unwrap();
    let info = dec.info().unwrap();
    assert_eq!(info.width.max(info.height), 320);
    drop(s);
    let again = add_photo(&store, &jpeg, &Settings::default(), &|_| {}).unwrap();
    assert_eq!(again.hash, p.hash);
    assert!(!again.new);
    assert_eq!(blob_count(&store), 1);
}

#[test]
fn a_refused_photo_changes_nothing_in_the_store() {
    let t = store_as("m1");
    let store = Mutex::new(t.store);
    add_photo(
        &store,
        &camera_jpeg(640, 480),
        &Settings::default(),
        &|_| {},
    )
    .unwrap();
    let jpeg = camera_jpeg(800, 600);
    for (bytes, code) in [
        (vec![], "empty_file"),
        (jpeg[..jpeg.len() / 3].to_vec(), "truncated_image"),
        (b"%PDF-1.7 not a photo".to_vec(), "not_an_image"),
    ] {
        let e = add_photo(&store, &bytes, &Settings::default(), &|_| {}).unwrap_err();
        assert_eq!(e.code(), code);
    }
    assert_eq!(blob_count(&store), 1);
}
