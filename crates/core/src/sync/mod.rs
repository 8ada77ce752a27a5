//! The device sync engine: enrollment over HTTP and a background task that keeps the
//! store in sync with the relay over the automerge-repo v1 WebSocket protocol.
//!
//! One connection carries every document: after `join`/`peer` the engine pipelines one
//! `sync` per local document (or, when the relay agreed on the `heads-summary` extension,
//! sends one `wangge-heads` message with a digest of every document's heads, and syncs
//! only the documents the relay names or starts), answers the relay's messages (the relay pushes every doc in
//! scope with the `scope-push` extension), pushes local changes when nudged or every
//! poll interval, and reconnects with exponential backoff and jitter when the link drops.
//! Each connection starts from the saved sync states ([`Store::begin_sync_session`]).
//!
//! `synced` waits for a barrier: after its first round the engine sends a `request` for a
//! fresh random document id, which the relay answers `doc-unavailable` only after the
//! messages it queued on `join` (the scope push). Documents the relay offered are pending
//! until they are in the store, so a device with no documents of its own is not `synced`
//! before the relay's documents have arrived.
//! Photos travel beside it over HTTP (tus uploads, scoped downloads) in a second task,
//! `photos`; `synced` also waits for the photo upload queue to empty.
//! Status goes out on a `watch` channel; errors carry a code, never personal data.

mod enroll;
mod http;
mod photos;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use automerge::ChangeHash;
use chrono::{DateTime, Utc};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wangge_proto::{
    DocumentId, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PeerId, PeerMetadata,
    WanggeCapabilities, heads_digest,
};

use wangge_schema::RelayUrl;

use crate::store::Store;

pub use enroll::{Enrollment, enroll};

/// What the UI shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncStatus {
    /// Connected and joined.
    pub online: bool,
    /// Local documents whose heads the relay has not acknowledged yet.
    pub docs_pending: usize,
    /// Every local document is acknowledged on the current connection.
    pub synced: bool,
    /// When everything was last acknowledged.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, as a code (`connect_failed`, `link_dropped`, `store`, …).
    pub last_error: Option<&'static str>,
    /// Connections made so far.
    pub connections: u64,
    /// Documents the relay answered `doc-unavailable` for (out of scope or unknown).
    pub unavailable: usize,
    /// Photo uploads not done yet.
    pub photos_pending: usize,
    /// Bytes of those the relay has not confirmed yet.
    pub photo_bytes_pending: u64,
    /// The upload in progress: (bytes the relay has, its size).
    pub photo_progress: Option<(u64, u64)>,
    /// Photos that reports reference but the store does not hold yet.
    pub photos_to_fetch: usize,
    /// Of those, the ones the relay did not have for this device on the last try (not
    /// uploaded yet, or outside its scope); they are tried again later.
    pub photos_unavailable: usize,
}

/// Engine settings.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// How often local changes are looked for without a nudge.
    pub poll_interval: Duration,
    /// Time allowed for connect plus join.
    pub connect_timeout: Duration,
    /// Bytes per photo upload `PATCH`: a cut loses at most one chunk's progress, each
    /// chunk costs one round trip.
    pub photo_chunk_bytes: usize,
    /// Offer the `heads-summary` extension (one digest message for all documents on
    /// connect instead of one `sync` each). Off: the standard protocol only.
    pub heads_summary: bool,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            poll_interval: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(15),
            photo_chunk_bytes: 64 * 1024,
            heads_summary: true,
        }
    }
}

/// The running engine. Dropping it stops the background task.
pub struct SyncEngine {
    status: watch::Receiver<SyncStatus>,
    nudge: Arc<Notify>,
    task: JoinHandle<()>,
    photo_nudge: Arc<Notify>,
    photo_task: JoinHandle<()>,
}

impl SyncEngine {
    /// Starts syncing `store` with the relay at `relay_url` (`ws://host:port`, or the
    /// `http://` base URL) as `peer_id` with the device `token`, with default settings.
    pub fn spawn(store: Arc<Mutex<Store>>, relay_url: &str, token: &str, peer_id: &str) -> Self {
        Self::spawn_with(store, relay_url, token, peer_id, SyncConfig::default())
    }

    /// [`SyncEngine::spawn`] with explicit settings.
    pub fn spawn_with(
        store: Arc<Mutex<Store>>,
        relay_url: &str,
        token: &str,
        peer_id: &str,
        cfg: SyncConfig,
    ) -> Self {
        let (tx, status) = watch::channel(SyncStatus::default());
        let nudge = Arc::new(Notify::new());
        let relay = http::relay(relay_url);
        let url = relay.as_ref().map(RelayUrl::sync_url).map_err(|e| *e);
        let photo_nudge = Arc::new(Notify::new());
        let photo_worker = photos::PhotoWorker {
            store: store.clone(),
            relay,
            token: token.to_owned(),
            cfg: cfg.clone(),
            status: tx.clone(),
            wake: photo_nudge.clone(),
            docs: nudge.clone(),
        };
        let worker = Worker {
            store,
            url,
            token: token.to_owned(),
            peer: PeerId::new(peer_id),
            cfg,
            status: tx,
            nudge: nudge.clone(),
        };
        let task = tokio::spawn(worker.run());
        let photo_task = tokio::spawn(photo_worker.run());
        Self {
            status,
            nudge,
            task,
            photo_nudge,
            photo_task,
        }
    }

    /// A receiver of status updates.
    pub fn status(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    /// Tells the engine the store has local changes (or photos) to push now.
    pub fn nudge(&self) {
        self.nudge.notify_one();
        self.photo_nudge.notify_one();
    }

    /// Stops the engine.
    pub fn stop(self) {
        self.task.abort();
        self.photo_task.abort();
    }
}

impl Drop for SyncEngine {
    fn drop(&mut self) {
        self.task.abort();
        self.photo_task.abort();
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a session ended.
#[derive(Debug)]
enum Ended {
    /// Never got as far as `peer`.
    Connect(&'static str),
    /// Was online, then lost the link or failed.
    Dropped(&'static str),
}

struct Worker {
    store: Arc<Mutex<Store>>,
    /// The sync URL, or why the relay's address cannot be used.
    url: Result<String, &'static str>,
    token: String,
    peer: PeerId,
    cfg: SyncConfig,
    status: watch::Sender<SyncStatus>,
    nudge: Arc<Notify>,
}

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    // A panic while holding the lock leaves the store itself consistent (every write is
    // one transaction); keep going.
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// A link that lasted this long counts as having worked: the backoff starts over.
const STABLE_LINK: Duration = Duration::from_secs(10);

impl Worker {
    async fn run(self) {
        let mut delay = self.cfg.backoff_min;
        loop {
            let started = Instant::now();
            let ended = self.session().await;
            let code = match ended {
                Ended::Connect(code) => code,
                Ended::Dropped(code) => {
                    // It worked for a while: start the backoff over. A link dropped at
                    // once (a relay refusing this device, say) keeps backing off, so a
                    // lasting refusal does not cost the phone a reconnect every second.
                    if started.elapsed() >= STABLE_LINK {
                        delay = self.cfg.backoff_min;
                    }
                    code
                }
            };
            self.status.send_modify(|s| {
                s.online = false;
                s.synced = false;
                s.last_error = Some(code);
            });
            tracing::info!(code, "sync link down; retrying");
            let jittered = delay.mul_f64(rand::rng().random_range(0.5..1.0));
            // A nudge (a record saved, the app back in front) tries again at once.
            tokio::select! {
                () = sleep(jittered) => {}
                () = self.nudge.notified() => {}
            }
            delay = (delay * 2).min(self.cfg.backoff_max);
        }
    }

    /// Connects and joins; returns the socket, the relay's peer id, and whether the relay
    /// agreed on the heads-summary extension.
    async fn connect(&self) -> Result<(Ws, String, bool), &'static str> {
        let mut req = self
            .url
            .clone()?
            .into_client_request()
            .map_err(|_| "bad_url")?;
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", self.token)
                .parse()
                .map_err(|_| "bad_token")?,
        );
        let (mut ws, _) = tokio_tungstenite::connect_async(req)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401 => {
                    "unauthorized"
                }
                _ => "connect_failed",
            })?;
        let join = Message::Join {
            sender_id: self.peer.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: Some(if self.cfg.heads_summary {
                    WanggeCapabilities::new([FEATURE_SCOPE_PUSH, FEATURE_HEADS_SUMMARY])
                } else {
                    WanggeCapabilities::new([FEATURE_SCOPE_PUSH])
                }),
            }),
        };
        ws.send(WsMessage::Binary(join.encode().into()))
            .await
            .map_err(|_| "connect_failed")?;
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Binary(b))) => match Message::decode(&b) {
                    Ok(Message::Peer {
                        sender_id,
                        peer_metadata,
                        ..
                    }) => {
                        let summary = self.cfg.heads_summary
                            && peer_metadata
                                .is_some_and(|m| m.has_wangge_feature(FEATURE_HEADS_SUMMARY));
                        return Ok((ws, sender_id.as_str().to_owned(), summary));
                    }
                    Ok(Message::Error { .. }) => return Err("refused"),
                    _ => return Err("protocol"),
                },
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                    return Err("connect_failed");
                }
                Some(Ok(_)) => {}
            }
        }
    }

    async fn session(&self) -> Ended {
        let (ws, relay, use_summary) = match timeout(self.cfg.connect_timeout, self.connect()).await
        {
            Ok(Ok(x)) => x,
            Ok(Err(code)) => return Ended::Connect(code),
            Err(_) => return Ended::Connect("connect_timeout"),
        };
        let (mut sink, mut stream) = ws.split();
        let relay_peer = PeerId::new(relay.clone());
        let mut unavailable: HashSet<DocumentId> = Default::default();
        // Docs the relay sent messages for on this connection (its scope push included).
        let mut offered: HashSet<DocumentId> = Default::default();
        // The barrier: a request for a doc nobody has, answered after the scope push.
        let probe = DocumentId::random();
        let mut probe_sent = false;
        let mut barrier = false;
        lock(&self.store).begin_sync_session(&relay);
        self.status.send_modify(|s| {
            s.online = true;
            s.connections += 1;
        });
        tracing::info!("sync connected");
        // Pipeline a sync for every local document at once.
        let mut poll = tokio::time::interval_at(
            Instant::now() + self.cfg.poll_interval,
            self.cfg.poll_interval,
        );
        let mut round = true;
        // The heads summary sent on this connection, until the relay's reply.
        let mut summary: Option<Vec<(DocumentId, Vec<ChangeHash>)>> = None;
        let mut summary_sent = false;
        // Messages arrived since the status was last recounted.
        let mut dirty = false;
        loop {
            // While a summary is unanswered, local rounds wait (they would sync every
            // document the standard way).
            if round && summary.is_none() {
                round = false;
                let mut msgs: Vec<Message> = if use_summary && !summary_sent {
                    summary_sent = true;
                    let heads = match self.heads_all(&unavailable) {
                        Ok(h) => h,
                        Err(code) => return Ended::Dropped(code),
                    };
                    let docs = heads
                        .iter()
                        .map(|(id, h)| (*id, heads_digest(h.iter().map(|c| &c.0))))
                        .collect();
                    summary = Some(heads);
                    vec![Message::HeadsSummary {
                        sender_id: self.peer.clone(),
                        target_id: relay_peer.clone(),
                        docs,
                    }]
                } else {
                    let out = match self.outgoing_all(&relay, &unavailable) {
                        Ok(out) => out,
                        Err(code) => return Ended::Dropped(code),
                    };
                    out.into_iter()
                        .map(|(id, data)| self.sync_msg(&relay_peer, id, data))
                        .collect()
                };
                if !probe_sent {
                    probe_sent = true;
                    msgs.push(self.probe_msg(&relay_peer, probe));
                }
                for msg in msgs {
                    if sink
                        .send(WsMessage::Binary(msg.encode().into()))
                        .await
                        .is_err()
                    {
                        return Ended::Dropped("link_dropped");
                    }
                }
                if let Err(code) = self.update_pending(&relay, &unavailable, &offered, barrier) {
                    return Ended::Dropped(code);
                }
            }
            tokio::select! {
                // Frames first; the status is recounted once a burst of them is handled
                // (recounting reads every document, too slow to do per message).
                biased;
                frame = stream.next() => {
                    let bytes = match frame {
                        Some(Ok(WsMessage::Binary(b))) => b,
                        Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                            return Ended::Dropped("link_dropped");
                        }
                        Some(Ok(_)) => continue,
                    };
                    let Ok(msg) = Message::decode(&bytes) else {
                        return Ended::Dropped("protocol");
                    };
                    match msg {
                        Message::Sync { document_id, data, .. }
                        | Message::Request { document_id, data, .. } => {
                            offered.insert(document_id);
                            let reply = {
                                let mut store = lock(&self.store);
                                if let Err(e) = store.receive_sync_message(&document_id, &relay, &data) {
                                    tracing::warn!(doc = %document_id, code = %e.code(), "sync message refused");
                                    return Ended::Dropped("store");
                                }
                                match store.generate_sync_message(&document_id, &relay) {
                                    Ok(r) => r,
                                    Err(_) => return Ended::Dropped("store"),
                                }
                            };
                            if let Some(data) = reply {
                                let msg = self.sync_msg(&relay_peer, document_id, data);
                                if sink.send(WsMessage::Binary(msg.encode().into())).await.is_err() {
                                    return Ended::Dropped("link_dropped");
                                }
                            }
                            dirty = true;
                        }
                        Message::DocUnavailable { document_id, .. } => {
                            if document_id == probe {
                                barrier = true;
                            } else {
                                unavailable.insert(document_id);
                                self.status.send_modify(|s| s.unavailable = unavailable.len());
                            }
                            dirty = true;
                        }
                        Message::HeadsReply { sync, .. } => {
                            let Some(heads) = summary.take() else {
                                return Ended::Dropped("protocol");
                            };
                            let msgs = match self.after_summary(&relay, heads, sync) {
                                Ok(m) => m,
                                Err(code) => return Ended::Dropped(code),
                            };
                            for (id, data) in msgs {
                                let msg = self.sync_msg(&relay_peer, id, data);
                                if sink.send(WsMessage::Binary(msg.encode().into())).await.is_err() {
                                    return Ended::Dropped("link_dropped");
                                }
                            }
                            dirty = true;
                        }
                        Message::Error { .. } => return Ended::Dropped("relay_error"),
                        _ => {}
                    }
                }
                () = self.nudge.notified() => round = true,
                _ = poll.tick() => round = true,
                () = std::future::ready(()), if dirty => {
                    dirty = false;
                    if let Err(code) = self.update_pending(&relay, &unavailable, &offered, barrier) {
                        return Ended::Dropped(code);
                    }
                }
            }
        }
    }

    fn sync_msg(&self, relay: &PeerId, document_id: DocumentId, data: Vec<u8>) -> Message {
        Message::Sync {
            sender_id: self.peer.clone(),
            target_id: relay.clone(),
            document_id,
            data,
        }
    }

    /// The barrier request: an empty sync message for a document id nobody has.
    fn probe_msg(&self, relay: &PeerId, document_id: DocumentId) -> Message {
        use automerge::sync::SyncDoc;
        let data = automerge::Automerge::new()
            .generate_sync_message(&mut automerge::sync::State::new())
            .map(|m| m.encode())
            .unwrap_or_default();
        Message::Request {
            sender_id: self.peer.clone(),
            target_id: relay.clone(),
            document_id,
            data,
        }
    }

    /// The heads of every local document (except those the relay refused).
    fn heads_all(
        &self,
        unavailable: &HashSet<DocumentId>,
    ) -> Result<Vec<(DocumentId, Vec<ChangeHash>)>, &'static str> {
        let mut store = lock(&self.store);
        let ids = store.doc_ids().map_err(|_| "store")?;
        let mut out = Vec::with_capacity(ids.len());
        for (id, _, _) in ids {
            if !unavailable.contains(&id) {
                out.push((id, store.doc_heads(&id).map_err(|_| "store")?));
            }
        }
        Ok(out)
    }

    /// The relay answered the summary: documents it names get a standard sync message;
    /// the others it did not start syncing hold exactly the summarized heads there.
    fn after_summary(
        &self,
        relay: &str,
        heads: Vec<(DocumentId, Vec<ChangeHash>)>,
        to_sync: Vec<DocumentId>,
    ) -> Result<Vec<(DocumentId, Vec<u8>)>, &'static str> {
        let to_sync: HashSet<DocumentId> = to_sync.into_iter().collect();
        let mut store = lock(&self.store);
        let mut out = vec![];
        for (id, h) in heads {
            if to_sync.contains(&id) {
                if let Some(data) = store
                    .generate_sync_message(&id, relay)
                    .map_err(|_| "store")?
                {
                    out.push((id, data));
                }
            } else {
                store.mark_in_sync(&id, relay, h);
            }
        }
        Ok(out)
    }

    /// A sync message for every local document that has something to say.
    fn outgoing_all(
        &self,
        relay: &str,
        unavailable: &HashSet<DocumentId>,
    ) -> Result<Vec<(DocumentId, Vec<u8>)>, &'static str> {
        let mut store = lock(&self.store);
        let ids = store.doc_ids().map_err(|_| "store")?;
        let mut out = vec![];
        for (id, _, _) in ids {
            if unavailable.contains(&id) {
                continue;
            }
            if let Some(data) = store
                .generate_sync_message(&id, relay)
                .map_err(|_| "store")?
            {
                out.push((id, data));
            }
        }
        Ok(out)
    }

    /// Counts the docs not in sync yet: local docs whose heads the relay has not
    /// acknowledged, and docs the relay offered that are not in the store yet. `synced`
    /// also needs the barrier passed.
    fn update_pending(
        &self,
        relay: &str,
        unavailable: &HashSet<DocumentId>,
        offered: &HashSet<DocumentId>,
        barrier: bool,
    ) -> Result<(), &'static str> {
        let mut store = lock(&self.store);
        let ids = store.doc_ids().map_err(|_| "store")?;
        let mut pending = 0;
        let mut local = HashSet::with_capacity(ids.len());
        for (id, _, _) in ids {
            local.insert(id);
            if unavailable.contains(&id) {
                continue;
            }
            if !store.sync_acknowledged(&id, relay).map_err(|_| "store")? {
                pending += 1;
            }
        }
        let photos = store.upload_backlog().map_err(|_| "store")?;
        drop(store);
        pending += offered
            .iter()
            .filter(|id| !local.contains(*id) && !unavailable.contains(*id))
            .count();
        let now = Utc::now();
        self.status.send_modify(|s| {
            s.docs_pending = pending;
            s.photos_pending = photos.photos;
            s.photo_bytes_pending = photos.bytes;
            let was = s.synced;
            s.synced = pending == 0 && barrier && photos.photos == 0;
            if s.synced {
                s.last_success = Some(now);
                if !was {
                    s.last_error = None;
                }
            }
        });
        Ok(())
    }
}
