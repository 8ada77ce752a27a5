//! The properties each fuzz target checks, as plain functions: the cargo-fuzz targets in
//! `fuzz_targets/` call them on what libFuzzer generates, and `tests/regressions.rs`
//! replays every input that ever failed (`regressions/<target>/`) through them on stable.
//!
//! Panics inside the guarded automerge calls are contained by the guards themselves
//! (production builds unwind); [`contain_panics`] keeps libFuzzer's panic hook from
//! turning those into crashes, so only a panic that escapes our code is one.

use std::sync::Once;

use automerge::Automerge;
use automerge::sync::{Message as SyncMessage, MessageVersion, State};
use wangge_proto::{Limits, Message, scan};
use wangge_schema::enroll::MAX_DEVICE_LABEL_CHARS;
use wangge_schema::tus::{UploadMetadata, encode_checksum, normalize_sha256, parse_checksum};
use wangge_schema::{
    ApiError, EnrollRequest, EnrollResponse, RelayUrl, guard, read_meta, regrid, root_str,
};
use wangge_text::roster::{By, Found, MAX_CANDIDATES, Person, Roster};

/// Replaces the panic hook with a quiet one (set `FUZZ_SHOW_PANICS` to see them): a panic
/// a guard catches is then no crash; one that escapes still aborts the run.
pub fn contain_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let show = std::env::var_os("FUZZ_SHOW_PANICS").is_some();
        std::panic::set_hook(Box::new(move |info| {
            if show {
                eprintln!("panic: {info}");
            }
        }));
    });
}

/// The protocol decoder refuses or decodes, and what it decodes round-trips.
pub fn message(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(msg) = Message::decode_with(data, &limits) {
        let again = Message::decode_with(&msg.encode(), &limits);
        assert_eq!(again.as_ref(), Ok(&msg), "a decoded message round-trips");
    }
}

/// The pre-scan passes whatever the full decoder accepts, under default and tight limits.
pub fn prescan(data: &[u8]) {
    let tight = Limits {
        max_items: 64,
        max_depth: 4,
        max_message_bytes: 4096,
        ..Limits::default()
    };
    for limits in [Limits::default(), tight] {
        let scanned = scan(data, &limits);
        if Message::decode_with(data, &limits).is_ok() {
            assert!(scanned.is_ok(), "decoded but the scan refused: {scanned:?}");
        }
    }
}

/// A sync payload as the relay takes it: decoded, its changes checked, applied to an empty
/// document and answered, every automerge call guarded.
pub fn sync_message(data: &[u8]) {
    let Some(msg) = guard::decode_sync(data) else {
        return;
    };
    if !guard::changes_well_formed(&msg) {
        return;
    }
    let mut doc = Automerge::new();
    let mut state = State::new();
    if guard::receive(&mut doc, &mut state, msg) {
        let _ = guard::generate(&doc, &mut state);
    }
}

/// One change-list entry: the strict check, then a guarded load of what it passes.
pub fn change_chunks(data: &[u8]) {
    let msg = SyncMessage {
        heads: vec![],
        need: vec![],
        have: vec![],
        changes: data.to_vec().into(),
        flags: None,
        version: MessageVersion::V2,
    };
    if guard::changes_well_formed(&msg) {
        let _ = guard::load_chunks(&[data.to_vec()]);
    }
}

/// A document's bytes as they arrive from a peer (within the chunk bounds), loaded and
/// read the way both sides read roots, grids and indexes.
pub fn doc_root(data: &[u8]) {
    if guard::bounds::chunk_within_bounds(data).is_err() {
        return;
    }
    let Some(doc) = guard::load_chunks(&[data.to_vec()]) else {
        return;
    };
    if let Ok(meta) = read_meta(&doc) {
        assert_eq!(
            root_str(&doc, "scope").as_deref(),
            Some(meta.scope.as_str())
        );
    }
    let _ = regrid::household_grid(&doc);
    let _ = regrid::listed_households(&doc);
}

/// `Upload-Metadata` and `Upload-Checksum`: what parses encodes to what parses the same.
pub fn tus_headers(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = UploadMetadata::parse(&text) {
        assert_eq!(UploadMetadata::parse(&m.encode()), Ok(m.clone()));
        assert_eq!(
            normalize_sha256(&m.sha256).as_deref(),
            Some(m.sha256.as_str())
        );
    }
    if let Ok(d) = parse_checksum(&text) {
        assert_eq!(parse_checksum(&encode_checksum(&d)), Ok(d));
    }
}

/// The enrollment request, answer and error bodies; a kept label is short and clean.
pub fn enroll_body(data: &[u8]) {
    if let Ok(req) = serde_json::from_slice::<EnrollRequest>(data) {
        let label = req.clean_label();
        assert!(label.chars().count() <= MAX_DEVICE_LABEL_CHARS);
        assert!(!label.chars().any(char::is_control));
    }
    if let Ok(answer) = serde_json::from_slice::<EnrollResponse>(data) {
        let json = serde_json::to_vec(&answer).expect("an answer serialises");
        let back: EnrollResponse = serde_json::from_slice(&json).expect("and parses back");
        assert_eq!(back, answer);
    }
    let _ = serde_json::from_slice::<ApiError>(data);
}

/// A relay address: every URL derived from it parses back to the same relay.
pub fn relay_url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(url) = RelayUrl::parse(&text) {
        assert_eq!(RelayUrl::parse(&url.base()).as_ref(), Ok(&url));
        assert_eq!(RelayUrl::parse(&url.sync_url()).as_ref(), Ok(&url));
    }
}

/// Residents a fuzzed paste is matched against: two of one name, homophones, rooms.
fn paste_roster() -> Vec<Person> {
    let p = |name: &str, household: usize, address: &str| Person {
        name: name.to_owned(),
        household,
        address: address.to_owned(),
    };
    vec![
        p("张三", 0, "幸福小区3栋2单元501室"),
        p("李四", 0, "幸福小区3栋2单元501室"),
        p("王五", 1, "幸福小区3栋2单元502室"),
        p("张三", 2, "幸福小区4栋1单元501室"),
        p("章三", 3, "帽儿胡同12号"),
        p("买买提·艾力", 4, "帽儿胡同14号"),
    ]
}

/// Pasted readings: cutting never panics, every piece is a part of its own line, and
/// finding gives one person (by name only with that very name), several, or nobody,
/// never more candidates than the screen lists.
pub fn paste_readings(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(pieces) = wangge_text::paste::parse(&text) else {
        return;
    };
    let people = paste_roster();
    let roster = Roster::new(&people);
    for p in &pieces {
        let line = text.lines().nth(p.line as usize - 1);
        assert!(
            line.is_some_and(|l| l.contains(&p.text)),
            "a piece from its line"
        );
        assert!(p.has_person() || p.reading.is_some(), "an empty piece");
        match roster.find(p) {
            Found::One(i, By::Name) => {
                assert_eq!(Some(people[i].name.as_str()), p.name.as_deref());
            }
            Found::One(i, _) => assert!(i < people.len()),
            Found::Ambiguous(v) => assert!(v.len() >= 2 && v.len() <= MAX_CANDIDATES),
            Found::Nobody(v) => assert!(v.len() <= MAX_CANDIDATES),
            Found::NoPerson => assert!(!p.has_person()),
        }
    }
}

/// A target's property over one input.
pub type Target = fn(&[u8]);

/// Every target by name (the names of `fuzz_targets/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("message", message),
    ("prescan", prescan),
    ("sync_message", sync_message),
    ("change_chunks", change_chunks),
    ("doc_root", doc_root),
    ("tus_headers", tus_headers),
    ("enroll_body", enroll_body),
    ("relay_url", relay_url),
    ("paste_readings", paste_readings),
];
