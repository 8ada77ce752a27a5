//! A small fake relay on 127.0.0.1:0 that speaks the protocol: it answers `join` with the
//! document kinds it is told to take (and the `scope-push` and `doc-refused` features),
//! pushes the documents it holds, syncs whatever a device sends into memory, answers a
//! request for a document it lacks with `doc-unavailable`, and refuses the documents it is
//! told to refuse (a `wangge-doc-refused` reason, or a plain `doc-unavailable`), storing
//! nothing of them. It checks no token.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use automerge::Automerge;
use automerge::sync::{self, SyncDoc};
use futures_util::{SinkExt, StreamExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use wangge_core::DocumentId;
use wangge_proto::{
    FEATURE_DOC_REFUSED, FEATURE_SCOPE_PUSH, Message, PeerId, PeerMetadata, WanggeCapabilities,
};

/// Most messages one connection handles before the fake relay hangs up.
const MAX_MESSAGES: usize = 100_000;

/// How the fake relay answers a document it refuses.
#[derive(Debug, Clone, Copy)]
pub enum Refuse {
    /// `wangge-doc-refused` with this reason, the given number of times (then it takes it).
    Reason(&'static str, u32),
    /// The plain `doc-unavailable`, every time.
    Unavailable,
}

#[derive(Default)]
struct Shared {
    docs: HashMap<DocumentId, Automerge>,
    /// Documents a device sent a message about (refused ones included).
    seen: HashSet<DocumentId>,
    refuse: HashMap<DocumentId, Refuse>,
    refusals_sent: usize,
}

pub struct FakeRelay {
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    task: JoinHandle<()>,
}

impl Drop for FakeRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeRelay {
    /// Starts a fake relay taking `kinds` (`None`: it names none, so it takes all), holding
    /// `docs` (pushed to every device that joins), refusing as `refuse` says.
    pub async fn start(
        kinds: Option<Vec<String>>,
        docs: Vec<(DocumentId, Automerge)>,
        refuse: HashMap<DocumentId, Refuse>,
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Mutex::new(Shared {
            docs: docs.into_iter().collect(),
            refuse,
            ..Shared::default()
        }));
        let s = shared.clone();
        let task = tokio::spawn(async move {
            let mut conns = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                conns.push(tokio::spawn(serve(tcp, s.clone(), kinds.clone())));
            }
        });
        Self { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether a device sent anything about `id`.
    pub fn seen(&self, id: &DocumentId) -> bool {
        self.shared.lock().unwrap().seen.contains(id)
    }

    /// The document's heads here (sorted), if it holds it.
    pub fn heads(&self, id: &DocumentId) -> Option<Vec<automerge::ChangeHash>> {
        let s = self.shared.lock().unwrap();
        let mut h = s.docs.get(id)?.get_heads();
        h.sort();
        Some(h)
    }

    /// Refusals sent so far.
    pub fn refusals_sent(&self) -> usize {
        self.shared.lock().unwrap().refusals_sent
    }
}

async fn serve(tcp: tokio::net::TcpStream, shared: Arc<Mutex<Shared>>, kinds: Option<Vec<String>>) {
    let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
        return;
    };
    let Some(Ok(WsMessage::Binary(join))) = ws.next().await else {
        return;
    };
    let Ok(Message::Join { sender_id, .. }) = Message::decode(&join) else {
        return;
    };
    let relay = PeerId::new("fake-relay".to_owned());
    let mut caps = WanggeCapabilities::new([FEATURE_SCOPE_PUSH, FEATURE_DOC_REFUSED]);
    caps.kinds = kinds;
    let peer = Message::Peer {
        sender_id: relay.clone(),
        target_id: sender_id.clone(),
        selected_protocol_version: "1".into(),
        peer_metadata: Some(PeerMetadata {
            storage_id: None,
            is_ephemeral: false,
            wangge: Some(caps),
        }),
    };
    if ws
        .send(WsMessage::Binary(peer.encode().into()))
        .await
        .is_err()
    {
        return;
    }
    let sync_msg = |document_id, data| Message::Sync {
        sender_id: relay.clone(),
        target_id: sender_id.clone(),
        document_id,
        data,
    };
    let mut states: HashMap<DocumentId, sync::State> = HashMap::new();
    // The scope push: everything held, at once.
    let pushes: Vec<Message> = {
        let s = shared.lock().unwrap();
        s.docs
            .iter()
            .filter_map(|(id, doc)| {
                let m = doc.generate_sync_message(states.entry(*id).or_default())?;
                Some(sync_msg(*id, m.encode()))
            })
            .collect()
    };
    for m in pushes {
        if ws.send(WsMessage::Binary(m.encode().into())).await.is_err() {
            return;
        }
    }
    for _ in 0..MAX_MESSAGES {
        let Some(Ok(frame)) = ws.next().await else {
            return;
        };
        let WsMessage::Binary(bytes) = frame else {
            continue;
        };
        let (id, data) = match Message::decode(&bytes) {
            Ok(Message::Sync {
                document_id, data, ..
            })
            | Ok(Message::Request {
                document_id, data, ..
            }) => (document_id, data),
            _ => continue,
        };
        let reply = {
            let mut s = shared.lock().unwrap();
            answer(&mut s, &mut states, &relay, &sender_id, id, &data)
        };
        if let Some(reply) = reply
            && ws
                .send(WsMessage::Binary(reply.encode().into()))
                .await
                .is_err()
        {
            return;
        }
    }
}

/// The answer to a device's sync message about `id`.
fn answer(
    s: &mut Shared,
    states: &mut HashMap<DocumentId, sync::State>,
    relay: &PeerId,
    device: &PeerId,
    id: DocumentId,
    data: &[u8],
) -> Option<Message> {
    let msg = sync::Message::decode(data).ok()?;
    let unavailable = Message::DocUnavailable {
        sender_id: relay.clone(),
        target_id: device.clone(),
        document_id: id,
    };
    if !s.docs.contains_key(&id) && msg.heads.is_empty() && msg.changes.is_empty() {
        // A request for something not here (the device's barrier, say).
        return Some(unavailable);
    }
    s.seen.insert(id);
    match s.refuse.get(&id).copied() {
        Some(Refuse::Unavailable) => {
            s.refusals_sent += 1;
            states.remove(&id);
            return Some(unavailable);
        }
        Some(Refuse::Reason(reason, times)) if times > 0 => {
            s.refusals_sent += 1;
            s.refuse.insert(id, Refuse::Reason(reason, times - 1));
            states.remove(&id);
            return Some(Message::DocRefused {
                sender_id: relay.clone(),
                target_id: device.clone(),
                document_id: id,
                reason: reason.to_owned(),
            });
        }
        _ => {}
    }
    let doc = s.docs.entry(id).or_default();
    let state = states.entry(id).or_default();
    doc.receive_sync_message(state, msg).ok()?;
    let m = doc.generate_sync_message(state)?;
    Some(Message::Sync {
        sender_id: relay.clone(),
        target_id: device.clone(),
        document_id: id,
        data: m.encode(),
    })
}
