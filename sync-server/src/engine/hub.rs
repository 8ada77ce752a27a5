//! [`Hub`]: every connection's sync with every document, as one deterministic state machine.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use automerge::Automerge;
use automerge::sync;
use tracing::{debug, info, warn};
use wangge_proto::{
    DocumentId, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, HeadsDigest, Message, PROTOCOL_VERSION,
    PeerId, PeerMetadata, WanggeCapabilities, heads_digest,
};

use super::guard;
use super::session::Session;
use crate::auth::peer_id_allowed;
use crate::store::{DeviceAuth, DocRecord, RelayStore, StoreError};
use wangge_schema::{DocMeta, in_sync_state, read_meta};

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
            idle_doc: Duration::from_secs(60),
            compact_after_chunks: 64,
        }
    }
}

/// A document in memory with its registry record.
struct Loaded {
    doc: Automerge,
    record: DocRecord,
    last_used: Instant,
    chunks: usize,
}

/// The sync engine. See the [module docs](super).
pub struct Hub {
    store: Box<dyn RelayStore>,
    relay_id: PeerId,
    limits: EngineLimits,
    docs: HashMap<DocumentId, Loaded>,
    /// Boxed: a table of 10k idle connections then holds pointers, not 200-byte sessions
    /// in a half-empty table.
    sessions: HashMap<ConnId, Box<Session>>,
    generation: Option<i64>,
    out: Vec<Output>,
}

/// A refusal that ends the connection with an `error` message.
struct Fail(&'static str);

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        warn!(cause = %e, "relay storage failure");
        Fail("relay storage failure; try again later")
    }
}

impl Hub {
    /// A hub over `store`, answering as `relay_id`.
    pub fn new(store: Box<dyn RelayStore>, relay_id: PeerId, limits: EngineLimits) -> Self {
        Self {
            store,
            relay_id,
            limits,
            docs: HashMap::new(),
            sessions: HashMap::new(),
            generation: None,
            out: Vec::new(),
        }
    }

    /// Number of documents in memory.
    pub fn loaded_docs(&self) -> usize {
        self.docs.len()
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
        if let Err(e) = self.store.begin_batch() {
            warn!(cause = %e, "could not start a write group; writing one by one");
        }
    }

    /// Commits the group started by [`Hub::begin_batch`]. `false` if the commit failed:
    /// then nothing the group wrote is stored, and [`Hub::abandon`] must drop what it
    /// produced.
    pub fn commit_batch(&mut self) -> bool {
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
        self.docs.clear();
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
            .filter(|(id, _)| !session.pending.contains_key(*id))
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
        self.unload_idle(now);
        match self.store.admin_generation() {
            Ok(g) if self.generation != Some(g) => {
                let first = self.generation.is_none();
                self.generation = Some(g);
                if !first {
                    self.apply_admin_changes();
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
                    && s.pending.contains_key(&document_id)
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

    fn check_ids(&self, peer: &PeerId, sender: &PeerId, target: &PeerId) -> Result<(), Fail> {
        if sender != peer {
            return Err(Fail("senderId does not match the joined peer id"));
        }
        if *target != self.relay_id {
            return Err(Fail("targetId is not this relay"));
        }
        Ok(())
    }

    fn on_join(
        &mut self,
        conn: ConnId,
        sender: PeerId,
        versions: &[String],
        meta: Option<PeerMetadata>,
        now: Instant,
    ) -> Result<(), Fail> {
        if !versions.iter().any(|v| v == PROTOCOL_VERSION) {
            return Err(Fail(
                "unsupported protocol version; this relay speaks \"1\"",
            ));
        }
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        if !peer_id_allowed(session.auth.device_id, &sender) {
            return Err(Fail("peer id is not bound to this device"));
        }
        let ours = WanggeCapabilities::new([FEATURE_SCOPE_PUSH, FEATURE_HEADS_SUMMARY]);
        let agreed = meta
            .as_ref()
            .and_then(|m| m.wangge.as_ref())
            .map(|theirs| theirs.intersect(&ours));
        session.push = agreed.as_ref().is_some_and(|w| w.has(FEATURE_SCOPE_PUSH));
        session.summary = agreed
            .as_ref()
            .is_some_and(|w| w.has(FEATURE_HEADS_SUMMARY));
        session.peer = Some(sender.clone());
        info!(conn, device = %session.auth.device_id, push = session.push, "peer joined");
        let reply = Message::Peer {
            sender_id: self.relay_id.clone(),
            target_id: sender,
            selected_protocol_version: PROTOCOL_VERSION.to_owned(),
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: agreed,
            }),
        };
        self.out.push(Output::Send {
            conn,
            bytes: reply.encode(),
        });
        // With a heads summary coming, the scope push waits for it (it then skips the
        // documents the device already holds).
        if self
            .sessions
            .get(&conn)
            .is_some_and(|s| s.push && !s.summary)
        {
            self.push_scope(conn, &HashSet::new(), now)?;
        }
        Ok(())
    }

    /// Starts sync for every registered document in the connection's read scope, except
    /// those in `skip`.
    fn push_scope(
        &mut self,
        conn: ConnId,
        skip: &HashSet<DocumentId>,
        now: Instant,
    ) -> Result<(), Fail> {
        let Some(session) = self.sessions.get(&conn) else {
            return Ok(());
        };
        let docs = self.store.docs_under(
            &session.auth.user.principal.scopes,
            self.limits.max_docs_per_connection,
        )?;
        for rec in docs {
            if !skip.contains(&rec.id) {
                self.offer(conn, rec.id, now)?;
            }
        }
        Ok(())
    }

    /// The device's heads summary: documents whose digest matches the relay's heads get a
    /// sync state that knows both sides hold those heads, and nothing is sent; readable
    /// documents that differ get the relay's `sync`; unknown and unreadable ones (alike)
    /// are named in the reply for the device to sync the standard way. Then the scope
    /// push of documents the device lacks, then the reply.
    fn on_summary(
        &mut self,
        conn: ConnId,
        docs: Vec<(DocumentId, HeadsDigest)>,
        now: Instant,
    ) -> Result<(), Fail> {
        let max = self.limits.max_docs_per_connection;
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        if !session.summary || session.summarized {
            return Err(Fail("unexpected heads summary"));
        }
        session.summarized = true;
        if docs.len() > max {
            return Err(Fail("too many documents on one connection"));
        }
        let push = session.push;
        let mut seen = HashSet::with_capacity(docs.len());
        let mut to_sync = Vec::new();
        for (id, digest) in docs {
            if !seen.insert(id) {
                continue;
            }
            let Some(session) = self.sessions.get(&conn) else {
                return Ok(());
            };
            if session.states.contains_key(&id) || session.pending.contains_key(&id) {
                // Already syncing on this connection: the ordinary messages carry on.
                continue;
            }
            let readable = match self.record(&id)? {
                Some(rec) => session.auth.user.principal.can_read(&rec.scope),
                None => false,
            };
            if !readable || !self.ensure_loaded(id, now)? {
                to_sync.push(id);
                continue;
            }
            let Some(heads) = self.docs.get(&id).map(|l| l.doc.get_heads()) else {
                to_sync.push(id);
                continue;
            };
            if heads_digest(heads.iter().map(|h| &h.0)) == digest {
                if let Some(s) = self.sessions.get_mut(&conn) {
                    s.states.insert(id, in_sync_state(heads));
                }
            } else {
                self.ensure_state(conn, id)?;
                self.reply(conn, id)?;
            }
        }
        if push {
            self.push_scope(conn, &seen, now)?;
        }
        let session = self.sessions.get(&conn).ok_or(Fail("no session"))?;
        let peer = session.peer.clone().ok_or(Fail("no peer"))?;
        let reply = Message::HeadsReply {
            sender_id: self.relay_id.clone(),
            target_id: peer,
            sync: to_sync,
        };
        self.out.push(Output::Send {
            conn,
            bytes: reply.encode(),
        });
        Ok(())
    }

    fn on_sync(
        &mut self,
        conn: ConnId,
        doc_id: DocumentId,
        data: &[u8],
        is_request: bool,
        now: Instant,
    ) -> Result<(), Fail> {
        let session = self.sessions.get(&conn).ok_or(Fail("no session"))?;
        if !session.states.contains_key(&doc_id)
            && session.doc_count() >= self.limits.max_docs_per_connection
        {
            return Err(Fail("too many documents on one connection"));
        }
        let Some(msg) = guard::decode_sync(data) else {
            return Err(Fail("sync data is not an automerge sync message"));
        };
        if !guard::changes_well_formed(&msg) {
            return Err(Fail("sync message carries changes that are not automerge"));
        }
        let pending = session.pending.contains_key(&doc_id);
        let readable = match self.record(&doc_id)? {
            Some(rec) => session.auth.user.principal.can_read(&rec.scope),
            None => false,
        };
        if readable && !pending {
            self.sync_existing(conn, doc_id, msg, now)
        } else {
            // Unknown, or existing but out of scope: both take the same path, so a peer
            // cannot tell whether a document it may not read exists.
            self.sync_new(conn, doc_id, msg, is_request, now)
        }
    }

    fn record(&self, id: &DocumentId) -> Result<Option<DocRecord>, StoreError> {
        match self.docs.get(id) {
            Some(l) => Ok(Some(l.record.clone())),
            None => self.store.doc(id),
        }
    }

    /// Loads a registered document into memory if needed; `false` if it is not registered.
    fn ensure_loaded(&mut self, id: DocumentId, now: Instant) -> Result<bool, Fail> {
        if let Some(l) = self.docs.get_mut(&id) {
            l.last_used = now;
            return Ok(true);
        }
        let Some(record) = self.store.doc(&id)? else {
            return Ok(false);
        };
        let chunks = self.store.doc_chunks(&id)?;
        let Some(doc) = guard::load_chunks(&chunks) else {
            warn!(doc = %id, "stored document does not load");
            return Err(Fail("relay storage failure; try again later"));
        };
        debug!(doc = %id, chunks = chunks.len(), "document loaded");
        self.docs.insert(
            id,
            Loaded {
                doc,
                record,
                last_used: now,
                chunks: chunks.len(),
            },
        );
        Ok(true)
    }

    /// Makes sure the connection has a sync state for a registered doc, starting from the
    /// persisted one (never from an earlier connection's in-flight state).
    fn ensure_state(&mut self, conn: ConnId, id: DocumentId) -> Result<(), Fail> {
        let Some(session) = self.sessions.get(&conn) else {
            return Ok(());
        };
        if session.states.contains_key(&id) {
            return Ok(());
        }
        let saved = self.store.sync_state(session.auth.device_id, &id)?;
        let state = saved
            .and_then(|b| sync::State::decode(&b).ok())
            .unwrap_or_default();
        if let Some(s) = self.sessions.get_mut(&conn) {
            s.states.insert(id, state);
        }
        Ok(())
    }

    fn sync_existing(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        msg: sync::Message,
        now: Instant,
    ) -> Result<(), Fail> {
        if !self.ensure_loaded(id, now)? {
            return Err(Fail("document vanished"));
        }
        self.ensure_state(conn, id)?;
        let (Some(loaded), Some(session)) = (self.docs.get_mut(&id), self.sessions.get_mut(&conn))
        else {
            return Ok(());
        };
        let principal = &session.auth.user.principal;
        let Some(state) = session.states.get_mut(&id) else {
            return Ok(());
        };
        let mut changed = false;
        if msg.changes.is_empty() {
            if !guard::receive(&mut loaded.doc, state, msg) {
                self.docs.remove(&id);
                return Err(Fail("sync message could not be applied"));
            }
        } else {
            if !principal.can_write(&loaded.record.scope, loaded.record.kind) {
                return Err(Fail("this device may not write this document"));
            }
            // Applied in place (no copy of the document per change); if the changes are
            // refused or cannot be stored, the document in memory is dropped and reloads
            // from disk, where they never went.
            let old_heads = loaded.doc.get_heads();
            let mut new_state = state.clone();
            let applied = guard::receive(&mut loaded.doc, &mut new_state, msg);
            let outcome = if !applied {
                Err(Fail("sync message could not be applied"))
            } else if loaded.doc.get_heads() == old_heads {
                Ok(None)
            } else {
                match read_meta(&loaded.doc) {
                    Err(_) => Err(Fail("changes remove the document's scope or kind")),
                    Ok(DocMeta { scope, kind }) if !principal.can_write(&scope, kind) => Err(Fail(
                        "changes move the document to a scope or kind this device may not write",
                    )),
                    Ok(DocMeta { scope, kind }) => {
                        let record = DocRecord { id, scope, kind };
                        let bytes = loaded.doc.save_after(&old_heads);
                        // On disk before the reply below names the new heads.
                        match self.store.append_changes(&record, &bytes) {
                            Ok(()) => Ok(Some(record)),
                            Err(e) => Err(e.into()),
                        }
                    }
                }
            };
            match outcome {
                Ok(record) => {
                    if let Some(record) = record {
                        loaded.record = record;
                        loaded.chunks += 1;
                        changed = true;
                    }
                    *state = new_state;
                }
                Err(fail) => {
                    self.docs.remove(&id);
                    return Err(fail);
                }
            }
        }
        self.reply(conn, id)?;
        if changed {
            self.announce(id, conn, now)?;
        }
        Ok(())
    }

    fn sync_new(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        msg: sync::Message,
        is_request: bool,
        now: Instant,
    ) -> Result<(), Fail> {
        let relay_id = self.relay_id.clone();
        let max_pending = self.limits.max_pending_docs_per_connection;
        let session = self.sessions.get_mut(&conn).ok_or(Fail("no session"))?;
        let peer = session.peer.clone().ok_or(Fail("no peer"))?;
        if !session.pending.contains_key(&id) {
            if is_request && msg.heads.is_empty() && msg.changes.is_empty() {
                self.out.push(unavailable(conn, &relay_id, &peer, id));
                return Ok(());
            }
            if msg.changes.is_empty() {
                // Nothing to store yet: answer as an empty document would, keeping no
                // state, so a device with many new documents is capped by the pending
                // limit only for those whose changes are arriving.
                let mut doc = Automerge::new();
                let mut state = sync::State::new();
                if !guard::receive(&mut doc, &mut state, msg) {
                    return Err(Fail("sync message could not be applied"));
                }
                if let Ok(Some(m)) = guard::generate(&doc, &mut state) {
                    let msg = Message::Sync {
                        sender_id: relay_id,
                        target_id: peer,
                        document_id: id,
                        data: m.encode(),
                    };
                    self.out.push(Output::Send {
                        conn,
                        bytes: msg.encode(),
                    });
                }
                return Ok(());
            }
            if session.pending.len() >= max_pending {
                return Err(Fail("too many new documents pending on one connection"));
            }
            session.pending.insert(id, Automerge::new());
            session.states.insert(id, sync::State::new());
        }
        let (Some(doc), Some(state)) = (session.pending.get_mut(&id), session.states.get_mut(&id))
        else {
            return Ok(());
        };
        if !guard::receive(doc, state, msg) {
            session.forget(&id);
            return Err(Fail("sync message could not be applied"));
        }
        if doc.get_heads().is_empty() {
            // Nothing yet: answer with what we need.
            return self.reply(conn, id);
        }
        let DocMeta { scope, kind } = match read_meta(doc) {
            Ok(m) => m,
            Err(e) => {
                session.forget(&id);
                debug!(conn, doc = %id, cause = %e, "new document refused");
                return Err(Fail(
                    "new documents must have string `scope` and `kind` in their root map",
                ));
            }
        };
        if !session.auth.user.principal.can_write(&scope, kind) {
            session.forget(&id);
            self.out.push(unavailable(conn, &relay_id, &peer, id));
            return Ok(());
        }
        let record = DocRecord { id, scope, kind };
        let bytes = doc.save();
        match self.store.create_doc(&record, &bytes) {
            Ok(()) => {}
            Err(StoreError::AlreadyExists(_)) => {
                // Another connection registered the same id first: devices create a
                // grid's index and day documents under derived ids, offline, at once.
                let Some(doc) = session.pending.remove(&id) else {
                    return Ok(());
                };
                return self.adopt_registered(conn, id, doc, now);
            }
            Err(e) => {
                session.forget(&id);
                return Err(e.into());
            }
        }
        let Some(doc) = session.pending.remove(&id) else {
            return Ok(());
        };
        info!(conn, doc = %id, kind = record.kind.code(), "document registered");
        self.docs.insert(
            id,
            Loaded {
                doc,
                record,
                last_used: now,
                chunks: 1,
            },
        );
        self.reply(conn, id)?;
        self.announce(id, conn, now)
    }

    /// A connection was creating a document that another connection registered in the
    /// meantime: if this device may write the registered one, its changes are merged into
    /// it (stored before any reply names them) and sync goes on from the connection's
    /// state, which still describes what the device has. Otherwise the answer is the same
    /// `doc-unavailable` as for any document it may not write.
    fn adopt_registered(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        mut theirs: Automerge,
        now: Instant,
    ) -> Result<(), Fail> {
        let relay_id = self.relay_id.clone();
        let loaded = self.ensure_loaded(id, now)?;
        let (Some(loaded), Some(session)) = (
            loaded.then(|| self.docs.get_mut(&id)).flatten(),
            self.sessions.get_mut(&conn),
        ) else {
            return Ok(());
        };
        let Some(peer) = session.peer.clone() else {
            return Ok(());
        };
        let principal = &session.auth.user.principal;
        if !principal.can_write(&loaded.record.scope, loaded.record.kind) {
            session.forget(&id);
            self.out.push(unavailable(conn, &relay_id, &peer, id));
            return Ok(());
        }
        let old_heads = loaded.doc.get_heads();
        let mut doc = loaded.doc.clone();
        if doc.merge(&mut theirs).is_err() {
            session.forget(&id);
            return Err(Fail("sync message could not be applied"));
        }
        let mut changed = false;
        if doc.get_heads() != old_heads {
            let Ok(DocMeta { scope, kind }) = read_meta(&doc) else {
                session.forget(&id);
                return Err(Fail("changes remove the document's scope or kind"));
            };
            if !principal.can_write(&scope, kind) {
                session.forget(&id);
                return Err(Fail(
                    "changes move the document to a scope or kind this device may not write",
                ));
            }
            let record = DocRecord { id, scope, kind };
            self.store
                .append_changes(&record, &doc.save_after(&old_heads))?;
            loaded.record = record;
            loaded.chunks += 1;
            changed = true;
        }
        loaded.doc = doc;
        debug!(conn, doc = %id, changed, "joined a document registered meanwhile");
        self.reply(conn, id)?;
        if changed {
            self.announce(id, conn, now)?;
        }
        Ok(())
    }

    /// Sends the connection the next sync message for a document, if there is one.
    fn reply(&mut self, conn: ConnId, id: DocumentId) -> Result<(), Fail> {
        let Some(session) = self.sessions.get_mut(&conn) else {
            return Ok(());
        };
        let Some(peer) = session.peer.clone() else {
            return Ok(());
        };
        let doc = match (self.docs.get(&id), session.pending.get(&id)) {
            (_, Some(pending)) => pending,
            (Some(loaded), None) => &loaded.doc,
            (None, None) => return Ok(()),
        };
        let Some(state) = session.states.get_mut(&id) else {
            return Ok(());
        };
        match guard::generate(doc, state) {
            Ok(Some(m)) => {
                let msg = Message::Sync {
                    sender_id: self.relay_id.clone(),
                    target_id: peer,
                    document_id: id,
                    data: m.encode(),
                };
                self.out.push(Output::Send {
                    conn,
                    bytes: msg.encode(),
                });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(_) => {
                session.states.remove(&id);
                Err(Fail("sync state failure"))
            }
        }
    }

    /// Starts (or continues) sync of a registered document with a connection.
    fn offer(&mut self, conn: ConnId, id: DocumentId, now: Instant) -> Result<(), Fail> {
        if !self.ensure_loaded(id, now)? {
            return Ok(());
        }
        self.ensure_state(conn, id)?;
        self.reply(conn, id)
    }

    /// Pushes a changed document to every other connection that may read it and either
    /// syncs it already or asked for scope push.
    fn announce(&mut self, id: DocumentId, except: ConnId, now: Instant) -> Result<(), Fail> {
        let Some(scope) = self.docs.get(&id).map(|l| l.record.scope.clone()) else {
            return Ok(());
        };
        let max = self.limits.max_docs_per_connection;
        let mut targets = Vec::new();
        for (c, s) in &mut self.sessions {
            if *c == except || s.peer.is_none() || s.pending.contains_key(&id) {
                continue;
            }
            let has = s.states.contains_key(&id);
            if !s.auth.user.principal.can_read(&scope) {
                if has {
                    s.forget(&id);
                }
                continue;
            }
            if has || (s.push && s.doc_count() < max) {
                targets.push(*c);
            }
        }
        for c in targets {
            if let Err(Fail(reason)) = self.offer(c, id, now) {
                self.fail(c, reason);
            }
        }
        Ok(())
    }

    fn fail(&mut self, conn: ConnId, reason: &'static str) {
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

    fn unload_idle(&mut self, now: Instant) {
        let idle = self.limits.idle_doc;
        let stale: Vec<DocumentId> = self
            .docs
            .iter()
            .filter(|(_, l)| now.saturating_duration_since(l.last_used) >= idle)
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(l) = self.docs.remove(&id) {
                if l.chunks > self.limits.compact_after_chunks
                    && let Err(e) = self.store.compact_doc(&id, &l.doc.save())
                {
                    warn!(doc = %id, cause = %e, "compaction failed");
                }
                debug!(doc = %id, "document unloaded");
            }
        }
    }

    /// An admin changed something: close revoked devices, refresh scopes, reload docs.
    fn apply_admin_changes(&mut self) {
        self.docs.clear();
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
                        for id in s.states.keys().filter(|id| !s.pending.contains_key(*id)) {
                            match self.store.doc(id) {
                                Ok(Some(rec)) if auth.user.principal.can_read(&rec.scope) => {}
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
    }
}

fn unavailable(conn: ConnId, relay: &PeerId, peer: &PeerId, id: DocumentId) -> Output {
    Output::Send {
        conn,
        bytes: Message::DocUnavailable {
            sender_id: relay.clone(),
            target_id: peer.clone(),
            document_id: id,
        }
        .encode(),
    }
}
