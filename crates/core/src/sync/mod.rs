//! The device sync engine: enrollment over HTTP and a background task that keeps the
//! store in sync with the relay over the automerge-repo v1 WebSocket protocol.
//!
//! One connection carries every document. After `join`/`peer` the first round offers
//! every local document: one `wangge-heads` summary of their heads when the relay agreed on
//! the `heads-summary` extension (it then syncs only the documents it names or starts),
//! else one `sync` each. From then on the store's change feed ([`Store::subscribe`]) names
//! the documents each saved action changed, and exactly those are sent: a save costs the
//! same with ten documents on the device or ten thousand. The relay's messages are
//! answered as they come (with `scope-push` it starts every document in the device's
//! scope). The link reconnects with exponential backoff and jitter; each connection
//! starts from the saved sync states ([`Store::begin_sync_session`]).
//!
//! `synced` waits for a barrier: after its first round the engine sends a `request` for a
//! fresh random document id, which the relay answers `doc-unavailable` only after the
//! messages it queued on `join` (the scope push). Documents the relay offered are pending
//! until they are in the store, so a device with no documents of its own is not `synced`
//! before the relay's documents have arrived.
//!
//! A document the relay will not take is refused for that document alone (`doc-refused`,
//! announced in `join`): it stays in the store and **waits**, as do documents whose kind
//! the relay does not list in `peer`; they are offered again on the next connection. See
//! [`SyncStatus`] for how waiting documents count. Only protocol violations end a
//! connection.
//!
//! Photos travel beside it over HTTP (tus uploads, scoped downloads) in a second task,
//! woken when an action queues uploads and when the relay's messages bring changes (which
//! may name photos to fetch); `synced` also waits for the upload queue to empty.
//! Status goes out on a `watch` channel; errors carry a code, never personal data.
//!
//! # Layout
//!
//! - [`SyncEngine`] and [`SyncConfig`] (here): the two tasks and their settings.
//! - `status`: [`SyncStatus`], and [`WaitReason`] with its codes.
//! - `link`: [`LinkError`], why a connection failed, with stable codes.
//! - `worker`: the WebSocket task: connect, join, backoff; moves bytes only.
//! - `session`: one connection's state and decisions (what to send, what is pending or
//!   waiting), over the store, without I/O.
//! - `enroll`: [`enroll`] and [`EnrollError`].
//! - `enroll_link`: the enrollment link from pasted text or a QR code image
//!   ([`read_enroll_link`], [`read_enroll_qr`]).
//! - `http`: the small HTTP/1.1 client of enrollment and photos.
//! - `photos`: the photo transfer task.

mod enroll;
mod enroll_link;
mod http;
mod link;
mod photos;
mod session;
#[cfg(test)]
mod session_tests;
mod status;
pub mod tls;
mod worker;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use wangge_proto::PeerId;

use crate::store::{Interest, Store};

pub use enroll::{EnrollError, Enrollment, enroll, enroll_with, enroll_within};
pub use enroll_link::{
    MAX_QR_FILE_BYTES, enroll_with_link, read_enroll_link, read_enroll_qr, read_enroll_qr_bytes,
    transport_of,
};
pub use link::LinkError;
pub use status::{SyncStatus, WAIT_UNAVAILABLE, WaitReason, wait_code};
pub use tls::Transport;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// First reconnect delay.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// How often documents not acknowledged yet (and transiently refused ones) get
    /// another round while connected; changes are sent when saved, without waiting for it.
    pub poll_interval: Duration,
    /// How often the photo worker looks for photos to fetch when nothing told it to
    /// (nothing queued, nothing failed); an idle phone wakes this seldom.
    pub idle_recheck: Duration,
    /// Time allowed for connect plus join.
    pub connect_timeout: Duration,
    /// Bytes per photo upload `PATCH`: a cut loses at most one chunk's progress, each
    /// chunk costs one round trip.
    pub photo_chunk_bytes: usize,
    /// Offer the `heads-summary` extension (one digest message for all documents on
    /// connect instead of one `sync` each). Off: the standard protocol only.
    pub heads_summary: bool,
    /// What the device trusts for the relay's certificate, and whether a plain link to
    /// another machine is allowed: from the enrollment.
    pub transport: tls::Transport,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            poll_interval: Duration::from_secs(15),
            idle_recheck: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(15),
            photo_chunk_bytes: 64 * 1024,
            heads_summary: true,
            transport: tls::Transport::default(),
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
        let relay = http::relay(relay_url, &cfg.transport);
        let photo_nudge = Arc::new(Notify::new());
        let (changes, uploads) = {
            let mut s = lock(&store);
            (
                s.subscribe(Interest::Everything),
                s.subscribe(Interest::Uploads),
            )
        };
        let photo_worker = photos::PhotoWorker {
            store: store.clone(),
            relay: relay.clone().map_err(LinkError::code),
            token: token.to_owned(),
            cfg: cfg.clone(),
            status: tx.clone(),
            wake: photo_nudge.clone(),
            uploads,
            docs: nudge.clone(),
        };
        let worker = worker::Worker {
            store,
            relay,
            token: token.to_owned(),
            peer: PeerId::new(peer_id),
            cfg,
            status: tx,
            nudge: nudge.clone(),
            changes,
            photos: photo_nudge.clone(),
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

    /// Syncs now: on a connection, documents not acknowledged yet get another round and
    /// transiently refused ones are offered again; offline, the reconnect wait is cut
    /// short. For "sync now", the app coming back to the foreground, the window focused.
    /// Saved records need no nudge: the store's change feed tells the engine.
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

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    // A panic while holding the lock leaves the store itself consistent (every write is
    // one transaction); keep going.
    store.lock().unwrap_or_else(|e| e.into_inner())
}
