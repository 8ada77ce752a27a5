//! A real relay on 127.0.0.1:0 with a fresh SQLite file, devices (encrypted stores in temp
//! dirs) enrolled through the engine's `enroll`, and ways to compare what stores hold.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::{Instant, sleep, timeout};
use wangge_core::sync::{EnrollError, Enrollment, SyncConfig, SyncEngine, enroll};
use wangge_core::*;
use wangge_relay::config::PhotosConfig;
use wangge_relay::store::RelayStore;
use wangge_relay::{Config, Relay, admin, store};

use crate::cluster::Cluster;

pub const STREET: &str = "110105001";
pub const COMMUNITY: &str = "110105001001";
pub const GRID_A: &str = "110105001001001";
pub const GRID_B: &str = "110105001001002";

/// Held by the tests that load the machine most (the seeded fault run, the relay SIGKILL
/// test), so they do not run at the same time and starve each other's deadlines.
pub static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn init_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_test_writer()
            .try_init();
    }
}

pub struct TestRelay {
    /// Where devices connect: the relay, or nginx in front of a cluster.
    pub addr: SocketAddr,
    pub database: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
    /// Two instances on PostgreSQL behind nginx ([`spawn_cluster`]), instead of one relay
    /// in this process.
    pub cluster: Option<Cluster>,
}

/// Grid A's street, community and grid, in a relay's store.
pub fn seed_grid_a(s: &mut dyn RelayStore) {
    admin::add_division(s, STREET, "street").unwrap();
    admin::add_division(s, COMMUNITY, "community").unwrap();
    admin::add_grid(s, GRID_A, "grid").unwrap();
}

/// Two relay instances on one fresh PostgreSQL database holding grid A, behind nginx
/// (the shipped site file); devices connect to nginx. Needs a multi-threaded runtime.
pub async fn spawn_cluster() -> TestRelay {
    init_tracing();
    let cluster = Cluster::start(|url| seed_grid_a(store::open(url).unwrap().as_mut())).await;
    TestRelay {
        addr: SocketAddr::from(([127, 0, 0, 1], cluster.nginx.port)),
        database: cluster.db.url().to_owned(),
        stop: None,
        task: None,
        _dir: None,
        cluster: Some(cluster),
    }
}

/// Starts the real relay on 127.0.0.1:0 with a fresh database holding grid A.
pub async fn spawn_relay() -> TestRelay {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let mut relay = start_relay(
        &database,
        PhotosConfig::default(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await;
    relay._dir = Some(dir);
    relay.with_store(seed_grid_a);
    relay
}

/// Starts the real relay in this process on `listen` over `database` (as it is) with
/// the `[photos]` section `photos`.
pub async fn start_relay(database: &str, photos: PhotosConfig, listen: SocketAddr) -> TestRelay {
    start_relay_with(database, photos, listen, |_| {}).await
}

/// [`start_relay`] with `tweak` applied to the configuration last.
pub async fn start_relay_with(
    database: &str,
    photos: PhotosConfig,
    listen: SocketAddr,
    tweak: impl FnOnce(&mut Config),
) -> TestRelay {
    init_tracing();
    let mut config = Config {
        listen,
        database: database.to_owned(),
        photos,
        ..Config::default()
    };
    config.limits.admin_poll_millis = 50;
    // Tests enroll many devices from one address; the limit has tests of its own.
    config.limits.enroll_attempts = 10_000;
    tweak(&mut config);
    let relay = Relay::bind(config).await.unwrap();
    let addr = relay.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .run_until(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    TestRelay {
        addr,
        database: database.to_owned(),
        stop: Some(stop),
        task: Some(task),
        _dir: None,
        cluster: None,
    }
}

impl TestRelay {
    /// A separate store on the relay's database, as the admin CLI opens it.
    pub fn store(&self) -> Box<dyn RelayStore> {
        store::open(&self.database).unwrap()
    }

    /// Runs `f` on a separate store, on a thread of its own: the PostgreSQL client blocks
    /// on a runtime of its own, which an async thread must not do.
    pub fn with_store<T: Send>(&self, f: impl FnOnce(&mut dyn RelayStore) -> T + Send) -> T {
        let database = self.database.as_str();
        std::thread::scope(|s| {
            s.spawn(|| f(store::open(database).unwrap().as_mut()))
                .join()
                .unwrap()
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds a member of `grid` and enrolls a device for them through [`enroll`].
    pub async fn enroll_member(&self, grid: &str) -> Enrollment {
        self.enroll_user("member", &[grid]).await
    }

    /// Adds a user with `role` over `scopes` and enrolls a device for them.
    pub async fn enroll_user(&self, role: &str, scopes: &[&str]) -> Enrollment {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let user = self.with_store(|s| admin::add_user(s, "测试用户", role, &scopes).unwrap());
        // Behind nginx an instance may die mid-request: as a member would, try again
        // (with a fresh code: the dead instance may have used the first).
        for attempt in 1.. {
            let code =
                self.with_store(|s| admin::enroll_code(s, user, 1).unwrap().expose().to_owned());
            match enroll(&self.url(), &code).await {
                Ok(e) => return e,
                Err(CoreError::Enroll(
                    EnrollError::RelayUnavailable | EnrollError::Unreachable,
                )) if self.cluster.is_some() && attempt < 10 => {
                    sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("enrollment failed: {e}"),
            }
        }
        unreachable!("the loop returns or panics")
    }

    pub async fn stop(self) {
        drop(self.stop_keeping_files().await);
    }

    /// Stops the relay and hands over the directory holding its database, which stays
    /// while it is kept.
    pub async fn stop_keeping_files(mut self) -> Option<tempfile::TempDir> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = timeout(Duration::from_secs(10), task).await;
        }
        self._dir.take()
    }
}

/// A document's heads as the relay stored them (sorted), `None` if it has no such doc.
pub fn relay_heads_of(relay: &TestRelay, id: &DocumentId) -> Option<Vec<automerge::ChangeHash>> {
    let s = relay.store();
    s.doc(id).unwrap()?;
    let mut doc = automerge::Automerge::new();
    for chunk in s.doc_chunks(id).unwrap() {
        doc.load_incremental(&chunk).unwrap();
    }
    let mut heads = doc.get_heads();
    heads.sort();
    Some(heads)
}

/// A document's heads in a device's store (sorted).
pub fn device_heads_of(store: &mut Store, id: &DocumentId) -> Vec<automerge::ChangeHash> {
    let mut heads = automerge::Automerge::load(&store.doc_bytes(id).unwrap())
        .unwrap()
        .get_heads();
    heads.sort();
    heads
}

/// An encrypted store in a temp dir.
pub struct TestStore {
    pub store: Store,
    pub key: DbKey,
    pub _dir: tempfile::TempDir,
}

pub fn store_as(member: &str) -> TestStore {
    store_acting(member, ActingParty::default())
}

/// A store recording as `member`, playing `party` in events' chain of command.
pub fn store_acting(member: &str, party: ActingParty) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig {
        member: member.into(),
        party,
        synchronous: Synchronous::Normal,
        ..Default::default()
    };
    let key = DbKey::generate();
    let store = Store::open(&dir.path().join("wangge.db"), &key, cfg).unwrap();
    TestStore {
        store,
        key,
        _dir: dir,
    }
}

/// A device: a shared store, its enrollment, and (when started) its engine.
pub struct TestDevice {
    pub store: Arc<Mutex<Store>>,
    pub enrolled: Enrollment,
    pub engine: Option<SyncEngine>,
    key: DbKey,
    _dir: tempfile::TempDir,
}

impl TestDevice {
    pub async fn new(relay: &TestRelay, grid: &str) -> Self {
        Self::from_enrollment(relay.enroll_member(grid).await)
    }

    /// A device for an enrollment made elsewhere (a relay running as a child process).
    pub fn from_enrollment(enrolled: Enrollment) -> Self {
        // The party its role plays, as the app sets it from the enrollment.
        let scopes: Vec<String> = enrolled
            .scopes
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        let party = ActingParty::enrolled(enrolled.role, &scopes);
        let TestStore { store, key, _dir } = store_acting(&enrolled.user_id.to_string(), party);
        Self {
            store: Arc::new(Mutex::new(store)),
            enrolled,
            engine: None,
            key,
            _dir,
        }
    }

    /// An app restart: stops the engine, waits for it to let go of the store, and opens
    /// the store again from its file (the old handle closes once replaced).
    pub async fn restart(&mut self) {
        self.engine = None;
        eventually(
            Duration::from_secs(10),
            "the engine lets go of the store",
            || Arc::strong_count(&self.store) == 1,
        )
        .await;
        let (path, cfg) = self.with(|s| (s.path().to_owned(), s.config().clone()));
        let reopened = Store::open(&path, &self.key, cfg).unwrap();
        self.store = Arc::new(Mutex::new(reopened));
    }

    pub fn start(&mut self, relay_url: &str, cfg: SyncConfig) {
        self.engine = Some(SyncEngine::spawn_with(
            self.store.clone(),
            relay_url,
            &self.enrolled.token,
            &self.enrolled.peer_id,
            cfg,
        ));
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut self.store.lock().unwrap())
    }

    /// Waits until the engine reports every local doc acknowledged.
    pub async fn wait_synced(&self, within: Duration) {
        let mut rx = self.engine.as_ref().unwrap().status();
        let deadline = Instant::now() + within;
        loop {
            if rx.borrow_and_update().synced {
                return;
            }
            let left = deadline
                .checked_duration_since(Instant::now())
                .unwrap_or_else(|| panic!("not synced in time: {:?}", *rx.borrow()));
            let _ = timeout(left, rx.changed()).await;
        }
    }
}

pub fn fast() -> SyncConfig {
    SyncConfig {
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(500),
        poll_interval: Duration::from_millis(200),
        connect_timeout: Duration::from_secs(5),
        ..SyncConfig::default()
    }
}

pub fn grid_a() -> GridCode {
    GridCode::parse(GRID_A).unwrap()
}

pub fn flat(room: &str) -> HouseholdInput {
    HouseholdInput {
        address: Address::Flat {
            estate: "幸福小区".into(),
            building: "3".into(),
            unit: "2".into(),
            room: room.into(),
        },
        tags: vec![],
        needs_home_visit: false,
        notes: String::new(),
    }
}

pub fn person(name: &str, relation: Relation) -> ResidentInput {
    ResidentInput {
        name: name.into(),
        id_number: String::new(),
        phone: String::new(),
        relation: Some(relation),
        status: Some(ResidenceStatus::Registered),
        tags: vec![],
        notes: String::new(),
    }
}

/// What a store shows of grid A: households (address, head) with their residents' names,
/// read through the Store API.
pub fn view(store: &mut Store) -> Vec<(String, Option<String>, Vec<String>)> {
    let list = store.households_of_grid(&grid_a()).unwrap();
    let mut out = vec![];
    for h in list {
        let full = store.household(h.id).unwrap();
        let mut names: Vec<String> = full.residents.iter().map(|r| r.name.clone()).collect();
        names.sort();
        out.push((h.address, h.head_name, names));
    }
    out
}

/// Polls `cond` until it holds (bounded).
pub async fn eventually(within: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        sleep(Duration::from_millis(50)).await;
    }
}
