//! [`Hub`]: every connection's sync with every document, as one deterministic state
//! machine. This file holds the hub's state, its public face and the dispatch of messages;
//! the work is split by concern:
//!
//! - `handshake`: `join` → `peer`, the extensions agreed, the kinds the relay accepts;
//! - `summary`: the heads-summary extension;
//! - `admit`: sync messages, registered documents and new ones (pending until their
//!   changes show a `kind` and `scope` the peer may write), per-document refusals;
//! - `gate`: the one write gate every stored change passes;
//! - `fanout`: replies, offers, scope push, pushing changes to other connections;
//! - `cache`: documents in memory.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tracing::{info, warn};
use wangge_proto::{DocumentId, Message, PeerId, RefusalReason};

use super::cache::{DocCache, LoadError};
use super::session::Session;
use crate::store::{DeviceAuth, RelayStore, StoreError};

/// Identifies one connection to the hub.
pub type ConnId = u64;

/// What the hub asks the network layer to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send these encoded protocol bytes on the connection.
    Send {
        /// The connection.
        conn: ConnId,
        /// One encoded [`Message`].
        bytes: Vec<u8>,
    },
    /// Close the connection (after anything already queued for it).
    Close {
        /// The connection.
        conn: ConnId,
    },
}

/// Limits the hub enforces per connection and on memory.
#[derive(Debug, Clone)]
pub struct EngineLimits {
    /// Most documents one connection may sync.
    pub max_docs_per_connection: usize,
    /// Most not-yet-registered documents one connection may be creating at once.
    pub max_pending_docs_per_connection: usize,
    /// Most change bytes one connection may hold in documents it is creating (whose
    /// changes have not shown a `kind` and `scope` yet).
    pub max_pending_bytes_per_connection: usize,
    /// A document untouched this long is unloaded from memory.
    pub idle_doc: Duration,
    /// On unload, a document stored in more chunks than this is compacted to one.
    pub compact_after_chunks: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max_docs_per_connection: 20_000,
            max_pending_docs_per_connection: 256,
            max_pending_bytes_per_connection: 16 * 1024 * 1024,
            idle_doc: Duration::from_secs(60),
            compact_after_chunks: 64,
        }
    }
}

/// The sync engine. See the [module docs](super).
pub struct Hub {
    pub(super) store: Box<dyn RelayStore>,
    pub(super) relay_id: PeerId,
    pub(super) limits: EngineLimits,
    pub(super) cache: DocCache,
    /// Boxed: a table of 10k idle connections then holds pointers, not 200-byte sessions
    /// in a half-empty table.
    pub(super) sessions: HashMap<ConnId, Box<Session>>,
    generation: Option<i64>,
    /// Documents refused for a connection since the start.
    refused: u64,
    /// A write group is open ([`Hub::begin_batch`] succeeded).
    in_batch: bool,
    pub(super) out: Vec<Output>,
}

/// A protocol violation or a relay failure: the connection ends with an `error` message.
/// Everything about one document that the relay will not take is a refusal instead
/// ([`Hub::refuse`]).
pub(super) struct Fail(pub &'static str);

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        warn!(cause = %e, "relay storage failure");
        Fail("relay storage failure; try again later")
    }
}

impl From<LoadError> for Fail {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Store(e) => e.into(),
            LoadError::Unreadable => Fail("relay storage failure; try again later"),
        }
    }
}

impl Hub {
    /// A hub over `store`, answering as `relay_id`.
    pub fn new(store: Box<dyn RelayStore>, relay_id: PeerId, limits: EngineLimits) -> Self {
        Self {
            store,
            relay_id,
            cache: DocCache::new(limits.idle_doc, limits.compact_after_chunks),
            limits,
            sessions: HashMap::new(),
            generation: None,
            refused: 0,
            in_batch: false,
            out: Vec::new(),
        }
    }

    /// Number of documents in memory.
    pub fn loaded_docs(&self) -> usize {
        self.cache.len()
    }

    /// Documents refused for a connection since the hub started.
    pub fn refused_docs(&self) -> u64 {
        self.refused
    }

    /// Number of open connections.
    pub fn connections(&self) -> usize {
        self.sessions.len()
    }

    /// Registers an authenticated connection. It must `join` before anything else.
    pub fn connect(&mut self, conn: ConnId, auth: DeviceAuth) {
        self.sessions.insert(conn, Box::new(Session::new(auth)));
    }

    /// Handles one message from a connection.
    pub fn receive(&mut self, conn: ConnId, msg: Message, now: Instant) -> Vec<Output> {
        if let Err(Fail(reason)) = self.dispatch(conn, msg, now) {
            self.fail(conn, reason);
        }
        std::mem::take(&mut self.out)
    }

    /// Starts a group of messages whose writes reach the disk together at
    /// [`Hub::commit_batch`]. The outputs of the group must be held back until then: they
    /// acknowledge changes that are durable only after the commit. If the store cannot
    /// group, every write stays durable on its own.
    pub fn begin_batch(&mut self) {
        self.in_batch = match self.store.begin_batch() {
            Ok(()) => true,
            Err(e) => {
                warn!(cause = %e, "could not start a write group; writing one by one");
                false
            }
        };
    }

    /// Commits the group started by [`Hub::begin_batch`]. `false` if the commit failed:
    /// then nothing the group wrote is stored, and [`Hub::abandon`] must drop what it
    /// produced.
    pub fn commit_batch(&mut self) -> bool {
        if !std::mem::take(&mut self.in_batch) {
            // No group was open: each write was durable (or failed) on its own.
            return true;
        }
        match self.store.commit_batch() {
            Ok(()) => true,
            Err(e) => {
                warn!(cause = %e, "write group failed");
                false
            }
        }
    }

    /// After a failed group commit: documents in memory may hold changes that are not
    /// stored, so they are dropped (they reload from disk); the connections `conns` are
    /// closed without saving their sync states, which may name lost changes.
    pub fn abandon(&mut self, conns: impl IntoIterator<Item = ConnId>) -> Vec<Output> {
        self.cache.clear();
        for conn in conns {
            if self.sessions.remove(&conn).is_some() {
                self.out.push(Output::Close { conn });
            }
        }
        std::mem::take(&mut self.out)
    }

    /// Forgets a connection, saving its sync states.
    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(session) = self.sessions.remove(&conn) else {
            return;
        };
        let states: Vec<(DocumentId, Vec<u8>)> = session
            .states
            .iter()
            .filter(|(id, _)| !session.is_pending(id))
            .map(|(id, s)| (*id, s.encode()))
            .collect();
        if states.is_empty() {
            return;
        }
        if let Err(e) = self.store.put_sync_states(session.auth.device_id, &states) {
            warn!(conn, cause = %e, "could not save sync states");
        }
    }

    /// Closes every connection, saving sync states.
    pub fn shutdown(&mut self) -> Vec<Output> {
        let conns: Vec<ConnId> = self.sessions.keys().copied().collect();
        for conn in conns {
            self.disconnect(conn);
            self.out.push(Output::Close { conn });
        }
        std::mem::take(&mut self.out)
    }

    /// Periodic work: unload idle documents, apply admin changes (revocations, moves).
    pub fn tick(&mut self, now: Instant) -> Vec<Output> {
        self.cache.unload_idle(self.store.as_mut(), now);
        match self.store.admin_generation() {
            Ok(g) if self.generation != Some(g) => {
                let before = self.generation.replace(g);
                if let Some(before) = before {
                    self.apply_admin_changes(before, now);
                }
            }
            Ok(_) => {}
            Err(e) => warn!(cause = %e, "could not read admin generation"),
        }
        std::mem::take(&mut self.out)
    }

    fn dispatch(&mut self, conn: ConnId, msg: Message, now: Instant) -> Result<(), Fail> {
        let Some(session) = self.sessions.get(&conn) else {
            return Ok(());
        };
        let joined = session.peer.clone();
        match (msg, joined) {
            (
                Message::Join {
                    sender_id,
                    supported_protocol_versions,
                    peer_metadata,
                },
                None,
            ) => self.on_join(
                conn,
                sender_id,
                &supported_protocol_versions,
                peer_metadata,
                now,
            ),
            (_, None) => Err(Fail("expected join first")),
            (Message::Join { .. } | Message::Peer { .. }, Some(_)) => {
                Err(Fail("unexpected handshake message"))
            }
            (Message::Leave { .. } | Message::Error { .. }, Some(_)) => {
                self.disconnect(conn);
                self.out.push(Output::Close { conn });
                Ok(())
            }
            (
                Message::HeadsSummary {
                    sender_id,
                    target_id,
                    docs,
                },
                Some(peer),
            ) => {
                self.check_ids(&peer, &sender_id, &target_id)?;
                self.on_summary(conn, docs, now)
            }
            (Message::HeadsReply { .. } | Message::DocRefused { .. }, Some(_)) => {
                Err(Fail("this message is sent by the relay, not to it"))
            }
            (Message::Ephemeral { .. }, Some(_)) => {
                Err(Fail("ephemeral messages are not supported by this relay"))
            }
            (Message::DocUnavailable { document_id, .. }, Some(_)) => {
                if let Some(s) = self.sessions.get_mut(&conn)
                    && s.is_pending(&document_id)
                {
                    s.forget(&document_id);
                }
                Ok(())
            }
            (
                Message::Request {
                    sender_id,
                    target_id,
                    document_id,
                    data,
                },
                Some(peer),
            ) => {
                self.check_ids(&peer, &sender_id, &target_id)?;
                self.on_sync(conn, document_id, &data, true, now)
            }
            (
                Message::Sync {
                    sender_id,
                    target_id,
                    document_id,
                    data,
                },
                Some(peer),
            ) => {
                self.check_ids(&peer, &sender_id, &target_id)?;
                self.on_sync(conn, document_id, &data, false, now)
            }
        }
    }

    /// Ends a connection with an `error` message (a protocol violation or a relay failure).
    pub(super) fn fail(&mut self, conn: ConnId, reason: &'static str) {
        let Some(session) = self.sessions.get(&conn) else {
            return;
        };
        info!(conn, device = %session.auth.device_id, reason, "refusing peer");
        let msg = Message::Error {
            message: reason.to_owned(),
            sender_id: Some(self.relay_id.clone()),
            target_id: session.peer.clone(),
        };
        self.out.push(Output::Send {
            conn,
            bytes: msg.encode(),
        });
        self.out.push(Output::Close { conn });
        self.disconnect(conn);
    }

    /// Refuses one document on one connection: nothing of it is stored, the connection
    /// forgets it, and the peer is told (`wangge-doc-refused` with the reason when it
    /// agreed on the extension, `doc-unavailable` otherwise). Everything else goes on.
    pub(super) fn refuse(&mut self, conn: ConnId, id: DocumentId, reason: RefusalReason) {
        let Some(session) = self.sessions.get_mut(&conn) else {
            return;
        };
        session.forget(&id);
        self.refused += 1;
        let Some(peer) = session.peer.clone() else {
            return;
        };
        info!(conn, doc = %id, reason = reason.as_str(), "document refused");
        let msg = if session.refusals {
            Message::DocRefused {
                sender_id: self.relay_id.clone(),
                target_id: peer,
                document_id: id,
                reason: reason.as_str().to_owned(),
            }
        } else {
            Message::DocUnavailable {
                sender_id: self.relay_id.clone(),
                target_id: peer,
                document_id: id,
            }
        };
        self.out.push(Output::Send {
            conn,
            bytes: msg.encode(),
        });
    }

    /// Tells a connection the relay has no document by that id for it (or will not say).
    pub(super) fn unavailable(&mut self, conn: ConnId, id: DocumentId) {
        let Some(peer) = self.sessions.get(&conn).and_then(|s| s.peer.clone()) else {
            return;
        };
        let msg = Message::DocUnavailable {
            sender_id: self.relay_id.clone(),
            target_id: peer,
            document_id: id,
        };
        self.out.push(Output::Send {
            conn,
            bytes: msg.encode(),
        });
    }

    /// An admin changed something since generation `since`: close revoked devices,
    /// refresh scopes, reload documents, and push the documents the change touched (a
    /// moved household and its grids' indexes) to the connections that read them.
    fn apply_admin_changes(&mut self, since: i64, now: Instant) {
        self.cache.clear();
        let conns: Vec<(ConnId, uuid::Uuid)> = self
            .sessions
            .iter()
            .map(|(c, s)| (*c, s.auth.device_id))
            .collect();
        for (conn, device) in conns {
            match self.store.device(device) {
                Ok(Some(auth)) => {
                    let mut gone = Vec::new();
                    if let Some(s) = self.sessions.get(&conn) {
                        for id in s.states.keys().filter(|id| !s.is_pending(id)) {
                            match self.store.doc(id) {
                                Ok(Some(rec))
                                    if super::gate::readable(
                                        self.store.as_ref(),
                                        &auth.user.principal,
                                        &rec,
                                    )
                                    .unwrap_or(false) => {}
                                _ => gone.push(*id),
                            }
                        }
                    }
                    if let Some(s) = self.sessions.get_mut(&conn) {
                        for id in gone {
                            s.forget(&id);
                        }
                        s.auth = auth;
                    }
                }
                Ok(None) => {
                    info!(conn, %device, "device revoked; closing");
                    self.fail(conn, "device revoked");
                }
                Err(e) => warn!(conn, cause = %e, "could not recheck device"),
            }
        }
        match self.store.admin_changes_since(since) {
            Ok(docs) => {
                for id in docs {
                    if let Err(Fail(reason)) = self.announce(id, None, now) {
                        warn!(doc = %id, reason, "could not push an admin change");
                    }
                }
            }
            Err(e) => warn!(cause = %e, "could not read admin changes"),
        }
    }
}
