//! A data dir with an [`AppState`], a recorder for sync events, real JPEGs, a relay.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::Runtime;
use wangge_app_lib::AppState;
use wangge_app_lib::dto::SyncView;
use wangge_core::{Address, HouseholdInput, Relation, ResidenceStatus, ResidentInput};

/// One app: its data dir, a runtime for its sync engine, the events it emitted.
pub struct TestApp {
    pub state: AppState,
    pub events: Arc<Mutex<Vec<SyncView>>>,
    pub dir: tempfile::TempDir,
}

/// An app on a fresh, empty data dir.
pub fn fresh_app(rt: &Runtime) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (state, events) = open(rt, &dir);
    TestApp { state, events, dir }
}

/// Opens (or reopens) the app on `dir`.
pub fn open(rt: &Runtime, dir: &tempfile::TempDir) -> (AppState, Arc<Mutex<Vec<SyncView>>>) {
    open_with(rt, dir, "http://127.0.0.1:8080")
}

/// Opens the app on a data dir path that may not exist yet.
pub fn open_dir(rt: &Runtime, dir: &std::path::Path) -> AppState {
    AppState::open(dir, None, rt.handle().clone(), Arc::new(|_: &SyncView| {})).unwrap()
}

/// Opens the app on `dir` with `prefill` as `WANGGE_RELAY_URL`.
pub fn open_with(
    rt: &Runtime,
    dir: &tempfile::TempDir,
    prefill: &str,
) -> (AppState, Arc<Mutex<Vec<SyncView>>>) {
    let events = Arc::new(Mutex::new(vec![]));
    let rec = events.clone();
    let state = AppState::open(
        dir.path(),
        Some(prefill.into()),
        rt.handle().clone(),
        Arc::new(move |v: &SyncView| rec.lock().unwrap().push(v.clone())),
    )
    .unwrap();
    (state, events)
}

impl TestApp {
    /// Closes the app and opens it again on the same data dir (a relaunch).
    pub fn relaunch(self, rt: &Runtime) -> TestApp {
        let TestApp { state, dir, .. } = self;
        drop(state);
        let (state, events) = open(rt, &dir);
        TestApp { state, events, dir }
    }
}

pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn flat(room: &str) -> HouseholdInput {
    HouseholdInput {
        address: Address::Flat {
            estate: "测试小区".into(),
            building: "9".into(),
            unit: "1".into(),
            room: room.into(),
        },
        tags: vec![],
        needs_home_visit: false,
        notes: String::new(),
    }
}

/// An invented resident with a valid (invented) ID number.
pub fn resident(name: &str) -> ResidentInput {
    ResidentInput {
        name: name.into(),
        id_number: id_number("11010519491231002"),
        phone: "13800138000".into(),
        relation: Some(Relation::Head),
        status: Some(ResidenceStatus::Registered),
        tags: vec![],
        notes: String::new(),
    }
}

/// A valid invented ID number: `first17` and its GB 11643 check character.
pub fn id_number(first17: &str) -> String {
    format!(
        "{first17}{}",
        wangge_core::check_char(first17.as_bytes()) as char
    )
}

/// A real camera-like JPEG: a gradient with detail, made here.
pub fn camera_jpeg(w: u32, h: u32) -> Vec<u8> {
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

/// Polls `f` every 50 ms until it holds or `within` passes.
pub fn wait_until(within: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + within;
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}
