//! Test helpers: a real relay on 127.0.0.1:0 with a fresh SQLite file (or a PostgreSQL
//! database), enrollment over HTTP, and a minimal device (tokio-tungstenite + automerge)
//! that syncs through it.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};
use wangge_proto::{
    DocumentId, FEATURE_SCOPE_PUSH, Message, PeerId, PeerMetadata, RefusalReason,
    WanggeCapabilities,
};
use wangge_relay::config::PhotosConfig;
use wangge_relay::store::RelayStore;
use wangge_relay::store::objects::S3Config;
use wangge_relay::{Config, EnrollResponse, Relay, admin, store};

pub const STREET: &str = "110105001";
pub const COMMUNITY: &str = "110105001001";
pub const GRID_A: &str = "110105001001001";
pub const GRID_B: &str = "110105001001002";
pub const OTHER_STREET: &str = "110105002";
pub const OTHER_COMMUNITY: &str = "110105002001";
pub const GRID_C: &str = "110105002001001";

/// Largest message the test relay accepts.
pub const MAX_MESSAGE: usize = 256 * 1024;

/// How long a sync may go without traffic before it counts as quiet.
const QUIET: Duration = Duration::from_millis(300);
/// Upper bound on any one sync exchange.
const SYNC_DEADLINE: Duration = Duration::from_secs(10);

pub fn init_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_test_writer()
            .try_init();
    }
}

pub struct TestRelay {
    pub addr: SocketAddr,
    pub database: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

/// Starts the real relay on 127.0.0.1:0 with a fresh SQLite file, seeded with two
/// streets, two communities and grids A, B (same community) and C (other street).
pub async fn spawn_relay() -> TestRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let mut relay = start_relay(&database).await;
    relay._dir = Some(dir);
    relay.seed();
    relay
}

/// Starts the real relay on 127.0.0.1:0 on an existing database (`sqlite:…` or
/// `postgres://…`), without seeding it.
pub async fn start_relay(database: &str) -> TestRelay {
    start_relay_with_photos(database, PhotosConfig::default()).await
}

/// [`spawn_relay`] with photo bytes kept in the bucket `s3` names.
pub async fn spawn_relay_with_s3(s3: &S3Config) -> TestRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let mut relay = start_relay_with_photos(&database, photos_in(s3)).await;
    relay._dir = Some(dir);
    relay.seed();
    relay
}

/// The `[photos]` section that keeps photo bytes in the bucket `s3` names.
pub fn photos_in(s3: &S3Config) -> PhotosConfig {
    PhotosConfig::in_bucket(s3)
}

/// [`spawn_relay`] with `tweak` applied to its configuration.
pub async fn spawn_relay_with(tweak: impl FnOnce(&mut Config)) -> TestRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite:{}", dir.path().join("relay.db").display());
    let mut relay = start_relay_configured(&database, PhotosConfig::default(), tweak).await;
    relay._dir = Some(dir);
    relay.seed();
    relay
}

/// [`start_relay`] with the given `[photos]` section.
pub async fn start_relay_with_photos(database: &str, photos: PhotosConfig) -> TestRelay {
    start_relay_configured(database, photos, |_| {}).await
}

/// [`start_relay_with_photos`] with `tweak` applied to the configuration last.
pub async fn start_relay_configured(
    database: &str,
    photos: PhotosConfig,
    tweak: impl FnOnce(&mut Config),
) -> TestRelay {
    init_tracing();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        database: database.to_owned(),
        photos,
        ..Config::default()
    };
    config.limits.admin_poll_millis = 50;
    config.limits.max_message_bytes = MAX_MESSAGE;
    // Tests enroll many devices from one address; the limit has tests of its own.
    config.limits.enroll_attempts = 10_000;
    tweak(&mut config);
    let relay = Relay::bind(config).await.expect("relay binds");
    let addr = relay.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        relay
            .run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("relay runs");
    });
    TestRelay {
        addr,
        database: database.to_owned(),
        stop: Some(stop),
        task: Some(task),
        _dir: None,
    }
}

impl TestRelay {
    /// A separate store on the relay's database, as the admin CLI opens it.
    pub fn store(&self) -> Box<dyn RelayStore> {
        store::open(&self.database).expect("store opens")
    }

    /// Runs `f` on a separate store off the test's runtime thread (the PostgreSQL
    /// client blocks on a runtime of its own, which an async thread must not do).
    pub fn with_store<T: Send>(&self, f: impl FnOnce(&mut dyn RelayStore) -> T + Send) -> T {
        let database = self.database.as_str();
        std::thread::scope(|s| {
            s.spawn(|| f(store::open(database).expect("store opens").as_mut()))
                .join()
        })
        .expect("store thread")
    }

    /// Seeds two streets, two communities and grids A, B (same community) and C (other
    /// street).
    pub fn seed(&self) {
        self.with_store(|s| {
            for (code, name) in [
                (STREET, "street"),
                (COMMUNITY, "community"),
                (OTHER_STREET, "other street"),
                (OTHER_COMMUNITY, "other community"),
            ] {
                admin::add_division(s, code, name).expect("division");
            }
            for code in [GRID_A, GRID_B, GRID_C] {
                admin::add_grid(s, code, "grid").expect("grid");
            }
        });
    }

    /// Adds a user and returns a fresh enrollment code for them.
    pub fn user_code(&self, role: &str, scopes: &[&str]) -> String {
        let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
        self.with_store(|s| {
            let user = admin::add_user(s, "测试用户", role, &scopes).expect("user");
            admin::enroll_code(s, user, 1)
                .expect("code")
                .expose()
                .to_owned()
        })
    }

    /// `POST /v1/enroll` with a raw JSON body; returns status and body.
    pub async fn post_enroll(&self, body: &str) -> (u16, String) {
        http(self.addr, "POST", "/v1/enroll", body).await
    }

    /// Adds a user, enrolls a device for them, returns the device (not connected).
    pub async fn device(&self, role: &str, scopes: &[&str]) -> Device {
        let code = self.user_code(role, scopes);
        let (status, body) = self
            .post_enroll(&format!(
                "{{\"code\":\"{code}\",\"device_label\":\"test\"}}"
            ))
            .await;
        assert_eq!(status, 200, "enroll failed: {body}");
        let enrolled: EnrollResponse = serde_json::from_str(&body).expect("enroll json");
        Device::new(self.addr, enrolled)
    }

    /// Stops the relay and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = timeout(Duration::from_secs(10), task).await;
        }
    }
}

/// A bare HTTP/1.1 request on loopback; returns status and body.
pub async fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    http_with(addr, method, path, "", body).await
}

/// [`http`] with `Authorization: Bearer token`.
pub async fn http_as(
    addr: SocketAddr,
    token: &str,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    http_with(
        addr,
        method,
        path,
        &format!("Authorization: Bearer {token}\r\n"),
        body,
    )
    .await
}

async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .expect("response in time")
        .expect("read");
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    // Chunked bodies: keep only the JSON part (an object or an array).
    let start = body.find(['{', '[']);
    let end = body.rfind(['}', ']']);
    let body = match (start, end) {
        (Some(a), Some(b)) if b >= a => body[a..=b].to_owned(),
        _ => body,
    };
    (status, body)
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How a device presents its token on the upgrade.
#[derive(Clone, Copy)]
pub enum TokenForm {
    Bearer,
    Query,
    Subprotocol,
}

/// A minimal Wangge device: documents, persisted sync states, one socket.
pub struct Device {
    addr: SocketAddr,
    pub enrolled: EnrollResponse,
    pub docs: HashMap<DocumentId, Automerge>,
    saved_states: HashMap<DocumentId, Vec<u8>>,
    states: HashMap<DocumentId, sync::State>,
    ws: Option<Ws>,
    pub scope_push: bool,
    /// Whether the device announces the doc-refused extension (refusals then name why).
    pub doc_refused: bool,
    pub unavailable: HashSet<DocumentId>,
    /// Documents the relay refused, with the reason (doc-refused extension).
    pub refused: HashMap<DocumentId, RefusalReason>,
    pub errors: Vec<String>,
}

impl Device {
    fn new(addr: SocketAddr, enrolled: EnrollResponse) -> Self {
        Self {
            addr,
            enrolled,
            docs: HashMap::new(),
            saved_states: HashMap::new(),
            states: HashMap::new(),
            ws: None,
            scope_push: true,
            doc_refused: false,
            unavailable: HashSet::new(),
            refused: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Points the device at a relay on another address (the same relay restarted).
    pub fn use_relay(&mut self, addr: SocketAddr) {
        self.addr = addr;
    }

    fn peer(&self) -> PeerId {
        PeerId::new(self.enrolled.peer_id.clone())
    }

    fn relay(&self) -> PeerId {
        PeerId::new(self.enrolled.relay_peer_id.clone())
    }

    /// Opens the socket (token as a bearer header); no join yet.
    pub async fn open(&mut self, form: TokenForm) -> Result<(), String> {
        let token = self.enrolled.token.clone();
        let url = match form {
            TokenForm::Query => format!("ws://{}/v1/sync?token={token}", self.addr),
            _ => format!("ws://{}/v1/sync", self.addr),
        };
        let mut req = url.into_client_request().map_err(|e| e.to_string())?;
        match form {
            TokenForm::Bearer => {
                req.headers_mut().insert(
                    "Authorization",
                    format!("Bearer {token}").parse().map_err(|_| "header")?,
                );
            }
            TokenForm::Subprotocol => {
                req.headers_mut().insert(
                    "Sec-WebSocket-Protocol",
                    format!("wangge.v1, wangge.token.{token}")
                        .parse()
                        .map_err(|_| "header")?,
                );
            }
            TokenForm::Query => {}
        }
        let (ws, _) = timeout(Duration::from_secs(5), connect_async(req))
            .await
            .map_err(|_| "connect timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        self.ws = Some(ws);
        // Every connection starts from the persisted sync states.
        self.states = self
            .saved_states
            .iter()
            .filter_map(|(id, b)| sync::State::decode(b).ok().map(|s| (*id, s)))
            .collect();
        Ok(())
    }

    /// Opens the socket and does the join/peer handshake.
    pub async fn connect(&mut self) -> Result<(), String> {
        self.open(TokenForm::Bearer).await?;
        self.join(self.peer()).await
    }

    pub async fn join(&mut self, as_peer: PeerId) -> Result<(), String> {
        let features = [
            self.scope_push.then_some(FEATURE_SCOPE_PUSH),
            self.doc_refused
                .then_some(wangge_proto::FEATURE_DOC_REFUSED),
        ];
        let meta = (self.scope_push || self.doc_refused).then(|| PeerMetadata {
            storage_id: Some("test-storage".into()),
            is_ephemeral: false,
            wangge: Some(WanggeCapabilities::new(features.into_iter().flatten())),
        });
        self.send(&Message::Join {
            sender_id: as_peer,
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: meta,
        })
        .await?;
        match self.next(Duration::from_secs(5)).await {
            Some(Message::Peer { .. }) => Ok(()),
            Some(Message::Error { message, .. }) => Err(message),
            other => Err(format!("expected peer, got {other:?}")),
        }
    }

    /// Closes the socket and persists the sync states (as a real device would).
    pub async fn disconnect(&mut self) {
        if let Some(mut ws) = self.ws.take() {
            let _ = ws.close(None).await;
        }
        for (id, s) in &self.states {
            self.saved_states.insert(*id, s.encode());
        }
        self.states.clear();
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        let ws = self.ws.as_mut().ok_or("not connected")?;
        ws.send(WsMessage::Binary(bytes.into()))
            .await
            .map_err(|e| e.to_string())
    }

    pub async fn send(&mut self, msg: &Message) -> Result<(), String> {
        self.send_raw(msg.encode()).await
    }

    /// The next protocol message, `None` on timeout or close.
    pub async fn next(&mut self, wait: Duration) -> Option<Message> {
        let ws = self.ws.as_mut()?;
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match timeout(left, ws.next()).await {
                Ok(Some(Ok(WsMessage::Binary(b)))) => {
                    return Some(Message::decode(&b).expect("relay sends valid messages"));
                }
                Ok(Some(Ok(WsMessage::Close(_)))) | Ok(None) | Ok(Some(Err(_))) | Err(_) => {
                    return None;
                }
                Ok(Some(Ok(_))) => continue,
            }
        }
    }

    /// Whether the relay closed the socket (within `wait`).
    pub async fn closed_by_relay(&mut self, wait: Duration) -> bool {
        let Some(ws) = self.ws.as_mut() else {
            return true;
        };
        let deadline = Instant::now() + wait;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match timeout(left, ws.next()).await {
                Err(_) => return false,
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(WsMessage::Close(_)))) => return true,
                Ok(Some(Ok(WsMessage::Binary(b)))) => {
                    if let Ok(Message::Error { message, .. }) = Message::decode(&b) {
                        self.errors.push(message);
                    }
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// Waits for the relay's close frame and returns its code; `None` if the socket ended
    /// without one or nothing came in time.
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        let ws = self.ws.as_mut()?;
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match timeout(left, ws.next()).await {
                Ok(Some(Ok(WsMessage::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Err(_) | Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// A new document with the Wangge root keys, made offline.
    pub fn create_doc(&mut self, kind: &str, scope: &str) -> DocumentId {
        let id = DocumentId::random();
        let known = wangge_schema::DocKind::from_code(kind)
            .zip(wangge_schema::ScopeCode::parse(scope).ok());
        let doc = match known {
            // As a device makes it: the kind's collections, a household's grid field.
            Some((kind, scope)) => {
                let mut doc = wangge_schema::genesis(&id, kind, &scope, &[]).expect("genesis");
                doc.set_actor(automerge::ActorId::random());
                if let Some(grid) = scope
                    .grid()
                    .filter(|_| kind == wangge_schema::DocKind::Household)
                {
                    let mut tx = doc.transaction();
                    wangge_schema::regrid::set_household_grid(&mut tx, &grid).expect("grid");
                    tx.commit();
                }
                doc
            }
            // Deliberately not a valid Wangge document.
            None => {
                let mut doc = Automerge::new();
                let mut tx = doc.transaction();
                tx.put(ROOT, "kind", kind).expect("put kind");
                tx.put(ROOT, "scope", scope).expect("put scope");
                tx.commit();
                doc
            }
        };
        self.docs.insert(id, doc);
        id
    }

    /// A document under a given id whose first change is the same bytes on every device
    /// that makes it (fixed actor and time), as devices create a grid's period documents.
    pub fn create_shared_doc(&mut self, id: DocumentId, kind: &str, scope: &str) {
        let mut doc = Automerge::new().with_actor(automerge::ActorId::from(*id.as_bytes()));
        let mut tx = doc.transaction();
        tx.put(ROOT, "kind", kind).expect("put kind");
        tx.put(ROOT, "scope", scope).expect("put scope");
        tx.commit_with(automerge::transaction::CommitOptions::default().with_time(0));
        doc.set_actor(automerge::ActorId::random());
        self.docs.insert(id, doc);
    }

    /// Sends the first sync message of every local document, without waiting for answers.
    pub async fn offer_all(&mut self) {
        let ids: Vec<DocumentId> = self.docs.keys().copied().collect();
        for id in ids {
            self.send_next(id, true).await;
        }
    }

    /// Sets a root key (an offline edit).
    pub fn edit(&mut self, id: DocumentId, key: &str, value: &str) {
        let doc = self.docs.get_mut(&id).expect("doc exists");
        let mut tx = doc.transaction();
        tx.put(ROOT, key, value).expect("put");
        tx.commit();
    }

    pub fn get(&self, id: DocumentId, key: &str) -> Option<String> {
        let doc = self.docs.get(&id)?;
        let (v, _) = doc.get(ROOT, key).ok().flatten()?;
        v.as_str().map(str::to_owned)
    }

    /// Starts sync of every local document, then answers the relay until quiet.
    pub async fn sync(&mut self) {
        let ids: Vec<DocumentId> = self.docs.keys().copied().collect();
        for id in ids {
            self.send_next(id, true).await;
        }
        self.pump().await;
    }

    /// Asks the relay for a document this device does not have.
    pub async fn request(&mut self, id: DocumentId) {
        self.docs.entry(id).or_default();
        self.send_next(id, true).await;
        self.pump().await;
    }

    async fn send_next(&mut self, id: DocumentId, request_if_empty: bool) {
        let doc = self.docs.entry(id).or_default();
        let state = self.states.entry(id).or_default();
        if let Some(m) = doc.generate_sync_message(state) {
            let empty = doc.get_heads().is_empty();
            let (sender_id, target_id) = (self.peer(), self.relay());
            let msg = if empty && request_if_empty {
                Message::Request {
                    sender_id,
                    target_id,
                    document_id: id,
                    data: m.encode(),
                }
            } else {
                Message::Sync {
                    sender_id,
                    target_id,
                    document_id: id,
                    data: m.encode(),
                }
            };
            let _ = self.send(&msg).await;
        }
    }

    /// Takes what the relay sent within `wait` (at most one message) and answers it.
    pub async fn pump_once(&mut self, wait: Duration) {
        if let Some(msg) = self.next(wait).await {
            self.answer(msg).await;
        }
    }

    /// Answers sync messages until the line is quiet (bounded in time).
    pub async fn pump(&mut self) {
        let deadline = Instant::now() + SYNC_DEADLINE;
        while Instant::now() < deadline {
            let Some(msg) = self.next(QUIET).await else {
                return;
            };
            if !self.answer(msg).await {
                return;
            }
        }
    }

    /// Takes one message from the relay; `false` after an `error` message.
    async fn answer(&mut self, msg: Message) -> bool {
        match msg {
            Message::Sync {
                document_id, data, ..
            } => {
                let m = sync::Message::decode(&data).expect("relay sends valid sync");
                let doc = self.docs.entry(document_id).or_default();
                let state = self.states.entry(document_id).or_default();
                doc.receive_sync_message(state, m).expect("receive");
                self.send_next(document_id, false).await;
            }
            Message::DocUnavailable { document_id, .. } => {
                self.unavailable.insert(document_id);
                if self
                    .docs
                    .get(&document_id)
                    .is_some_and(|d| d.get_heads().is_empty())
                {
                    self.docs.remove(&document_id);
                }
            }
            Message::DocRefused {
                document_id,
                reason,
                ..
            } => {
                self.refused
                    .insert(document_id, RefusalReason::parse(&reason));
            }
            Message::Error { message, .. } => {
                self.errors.push(message);
                return false;
            }
            _ => {}
        }
        true
    }
}
