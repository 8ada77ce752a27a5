//! An app on a data dir, driven as the UI drives it: the real commands invoked over
//! Tauri's IPC (the mock runtime), arguments in camelCase JSON, answers as the UI gets
//! them. Plus a recorder for sync events, real JPEGs, invented people.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tauri::ipc::{CallbackFn, InvokeBody, InvokeResponseBody};
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, State, WebviewWindow, WebviewWindowBuilder};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;
use wangge_app_lib::AppState;
use wangge_core::views::{SyncState, SyncView};
use wangge_core::{Address, HouseholdInput, Relation, ResidenceStatus, ResidentInput};
use wangge_relay::{Config, Relay, admin, store};

/// One app: the mock Tauri app holding its state, its window, the sync events it emitted,
/// its data dir.
pub struct TestApp {
    pub app: App<MockRuntime>,
    pub window: WebviewWindow<MockRuntime>,
    pub events: Arc<Mutex<Vec<SyncView>>>,
    pub dir: tempfile::TempDir,
}

/// An app on a fresh, empty data dir.
pub fn fresh_app(rt: &Runtime) -> TestApp {
    launch(rt, tempfile::tempdir().unwrap(), "http://127.0.0.1:8080")
}

/// Starts the app on `dir` with `prefill` as `WANGGE_RELAY_URL`.
pub fn launch(rt: &Runtime, dir: tempfile::TempDir, prefill: &str) -> TestApp {
    let (state, events) = open_with(rt, dir.path(), prefill);
    let app = mock_builder()
        .manage(state)
        .invoke_handler(wangge_app_lib::invoke_handler())
        .build(mock_context(noop_assets()))
        .unwrap();
    let window = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    TestApp {
        app,
        window,
        events,
        dir,
    }
}

/// Opens the app state alone on `dir` with `prefill` as `WANGGE_RELAY_URL`.
pub fn open_with(
    rt: &Runtime,
    dir: &std::path::Path,
    prefill: &str,
) -> (AppState, Arc<Mutex<Vec<SyncView>>>) {
    let events = Arc::new(Mutex::new(vec![]));
    let rec = events.clone();
    let state = AppState::open(
        dir,
        Some(prefill.into()),
        rt.handle().clone(),
        Arc::new(move |v: &SyncView| rec.lock().unwrap().push(v.clone())),
    )
    .unwrap();
    (state, events)
}

/// Opens the app state on a data dir path that may not exist yet.
pub fn open_dir(rt: &Runtime, dir: &std::path::Path) -> AppState {
    AppState::open(dir, None, rt.handle().clone(), Arc::new(|_: &SyncView| {})).unwrap()
}

impl TestApp {
    /// The managed state (the plumbing: device, sync view).
    pub fn state(&self) -> State<'_, AppState> {
        self.app.state::<AppState>()
    }

    fn request(&self, cmd: &str, body: InvokeBody) -> Result<InvokeResponseBody, Value> {
        get_ipc_response(
            &self.window,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body,
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
    }

    /// Invokes `cmd` with `args` as the UI does: the answer, or the `AppError` as JSON.
    pub fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.request(cmd, InvokeBody::Json(args))
            .map(|b| b.deserialize::<Value>().unwrap())
    }

    /// Invokes `cmd` and expects an answer.
    pub fn call(&self, cmd: &str, args: Value) -> Value {
        self.invoke(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} refused: {e}"))
    }

    /// Invokes `cmd` and expects a refusal: the `AppError` as JSON.
    pub fn refused(&self, cmd: &str, args: Value) -> Value {
        match self.invoke(cmd, args) {
            Ok(v) => panic!("{cmd} answered {v} where a refusal was expected"),
            Err(e) => e,
        }
    }

    /// Invokes `cmd` with a raw body (photo bytes): raw or JSON answer, or the error.
    pub fn invoke_raw(&self, cmd: &str, bytes: Vec<u8>) -> Result<InvokeResponseBody, Value> {
        self.request(cmd, InvokeBody::Raw(bytes))
    }

    /// Invokes `cmd` and expects raw bytes back.
    pub fn bytes(&self, cmd: &str, args: Value) -> Vec<u8> {
        match self.request(cmd, InvokeBody::Json(args)) {
            Ok(InvokeResponseBody::Raw(b)) => b,
            other => panic!("{cmd}: expected raw bytes, got {other:?}"),
        }
    }

    /// Closes the app and starts it again on the same data dir (a relaunch).
    pub fn relaunch(self, rt: &Runtime) -> TestApp {
        let TestApp {
            app, window, dir, ..
        } = self;
        app.state::<AppState>().stop_sync();
        drop(window);
        drop(app);
        launch(rt, dir, "http://127.0.0.1:8080")
    }
}

pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `value` as JSON (inputs cross the IPC as JSON).
pub fn json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap()
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

pub const GRID: &str = "110105001001001";

/// The street's 城管 department, which the street's centre dispatches to.
pub const DEPARTMENT: &str = "110105001-cgj";

/// A relay on 127.0.0.1:0 with a fresh database holding one grid (its street, community
/// and a department of the street).
pub struct TestRelay {
    pub url: String,
    pub database: String,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestRelay {
    pub fn spawn(rt: &tokio::runtime::Runtime) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let database = format!("sqlite:{}", dir.path().join("relay.db").display());
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database: database.clone(),
            ..Config::default()
        };
        let relay = rt.block_on(Relay::bind(config)).unwrap();
        let addr = relay.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        rt.spawn(async move {
            let _ = relay
                .run_until(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let mut s = store::open(&database).unwrap();
        admin::add_division(s.as_mut(), "110105001", "street").unwrap();
        admin::add_division(s.as_mut(), "110105001001", "community").unwrap();
        admin::add_grid(s.as_mut(), GRID, "grid").unwrap();
        admin::add_department(s.as_mut(), DEPARTMENT, "城管科").unwrap();
        Self {
            url: format!("http://{addr}"),
            database,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// A one-time enrollment code for a new member of the grid.
    pub fn code(&self) -> String {
        self.code_for("测试网格员", "member")
    }

    /// A one-time enrollment code for a new user `name` with `role` in the grid.
    pub fn code_for(&self, name: &str, role: &str) -> String {
        self.code_in(name, role, GRID)
    }

    /// A one-time enrollment code for a new user `name` with `role` for `scope`.
    pub fn code_in(&self, name: &str, role: &str, scope: &str) -> String {
        let mut s = store::open(&self.database).unwrap();
        let user = admin::add_user(s.as_mut(), name, role, &[scope.to_owned()]).unwrap();
        admin::enroll_code(s.as_mut(), user, 1)
            .unwrap()
            .expose()
            .to_owned()
    }
}

impl Drop for TestRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Waits (up to 20 s) until `app`'s sync page says synced.
pub fn synced(app: &TestApp) -> bool {
    wait_until(Duration::from_secs(20), || {
        app.state().sync_view().state == SyncState::Synced
    })
}

/// A fresh app enrolled at `relay` as a new user `name` with `role` for `scope`, synced.
pub fn enrolled_in(
    rt: &tokio::runtime::Runtime,
    relay: &TestRelay,
    name: &str,
    role: &str,
    scope: &str,
) -> TestApp {
    let app = fresh_app(rt);
    app.call(
        "enroll",
        json!({ "relayUrl": relay.url, "code": relay.code_in(name, role, scope) }),
    );
    assert!(synced(&app), "{:?}", app.state().sync_view());
    app
}
