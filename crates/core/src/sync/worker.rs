//! The WebSocket worker: connects, joins, runs one [`Session`] per connection, and
//! reconnects with exponential backoff and jitter when the link drops. It only moves
//! bytes and waits; what to send is the session's decision.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, MissedTickBehavior, sleep, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use wangge_proto::{
    FEATURE_DOC_REFUSED, FEATURE_HEADS_SUMMARY, FEATURE_SCOPE_PUSH, Message, PeerId, PeerMetadata,
    WanggeCapabilities,
};

use wangge_schema::RelayUrl;

use super::session::{Counts, Session};
use super::{LinkError, SyncConfig, SyncStatus, lock};
use crate::store::{Store, Subscription};

type Ws = tokio_tungstenite::WebSocketStream<super::tls::Stream>;

/// Why a session ended.
#[derive(Debug)]
enum Ended {
    /// Never got as far as `peer`.
    Connect(LinkError),
    /// Was online, then lost the link or failed.
    Dropped(LinkError),
}

/// A joined connection.
struct Joined {
    ws: Ws,
    /// The relay's peer id.
    relay: PeerId,
    /// Both sides agreed on the heads summary.
    summary: bool,
    /// What the relay announced in `peer` (the kinds it takes).
    caps: Option<WanggeCapabilities>,
}

pub(super) struct Worker {
    pub store: Arc<Mutex<Store>>,
    /// The relay, or why its address cannot be used.
    pub relay: Result<RelayUrl, LinkError>,
    pub token: String,
    pub peer: PeerId,
    pub cfg: SyncConfig,
    pub status: watch::Sender<SyncStatus>,
    pub nudge: Arc<Notify>,
    /// The store's change feed: documents changed, uploads queued.
    pub changes: Subscription,
    /// Wakes the photo task: changes came in from the relay, which may name photos this
    /// device lacks (the received changes are not on the feed, and the status it also
    /// watches may read the same before and after a quick arrival).
    pub photos: Arc<Notify>,
}

/// A link that lasted this long counts as having worked: the backoff starts over.
const STABLE_LINK: Duration = Duration::from_secs(10);

struct Sink(SplitSink<Ws, WsMessage>);

impl Sink {
    async fn send_all(&mut self, msgs: Vec<Message>) -> Result<(), LinkError> {
        for msg in msgs {
            self.send(msg).await?;
        }
        Ok(())
    }

    async fn send(&mut self, msg: Message) -> Result<(), LinkError> {
        self.0
            .send(WsMessage::Binary(msg.encode().into()))
            .await
            .map_err(|_| LinkError::LinkDropped)
    }
}

/// The next protocol message from the relay; non-binary frames are skipped.
async fn next_message(stream: &mut SplitStream<Ws>) -> Result<Message, LinkError> {
    loop {
        match stream.next().await {
            Some(Ok(WsMessage::Binary(b))) => {
                return Message::decode(&b).map_err(|_| LinkError::Protocol);
            }
            Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                return Err(LinkError::LinkDropped);
            }
            Some(Ok(_)) => {}
        }
    }
}

impl Worker {
    pub async fn run(self) {
        let mut delay = self.cfg.backoff_min;
        loop {
            let started = Instant::now();
            let ended = self.session().await;
            let err = match ended {
                Ended::Connect(e) => e,
                Ended::Dropped(e) => {
                    // It worked for a while: start the backoff over. A link dropped at
                    // once (a relay refusing this device, say) keeps backing off, so a
                    // lasting refusal does not cost the phone a reconnect every second.
                    if started.elapsed() >= STABLE_LINK {
                        delay = self.cfg.backoff_min;
                    }
                    e
                }
            };
            self.status.send_modify(|s| {
                s.online = false;
                s.synced = false;
                s.last_error = Some(err.code());
            });
            tracing::info!(code = err.code(), "sync link down; retrying");
            let jittered = delay.mul_f64(rand::rng().random_range(0.5..1.0));
            // A nudge (the app back in front, "sync now") or a record saved tries again at
            // once; the next connection's first round covers every document anyway.
            tokio::select! {
                () = sleep(jittered) => {}
                () = self.nudge.notified() => {}
                () = self.changes.changed() => {}
            }
            delay = (delay * 2).min(self.cfg.backoff_max);
        }
    }

    /// Connects and joins.
    async fn connect(&self) -> Result<Joined, LinkError> {
        let relay = self.relay.clone()?;
        let mut req = relay
            .sync_url()
            .into_client_request()
            .map_err(|_| LinkError::BadUrl)?;
        req.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", self.token)
                .parse()
                .map_err(|_| LinkError::BadToken)?,
        );
        let stream = self
            .cfg
            .transport
            .connect(&relay, self.cfg.connect_timeout)
            .await?;
        let encrypted = stream.is_tls();
        self.status.send_if_modified(|s| {
            let changed = s.encrypted != Some(encrypted);
            s.encrypted = Some(encrypted);
            changed
        });
        let (mut ws, _) =
            tokio_tungstenite::client_async(req, stream)
                .await
                .map_err(|e| match e {
                    tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401 => {
                        LinkError::Unauthorized
                    }
                    _ => LinkError::ConnectFailed,
                })?;
        let mut features = vec![FEATURE_SCOPE_PUSH, FEATURE_DOC_REFUSED];
        if self.cfg.heads_summary {
            features.push(FEATURE_HEADS_SUMMARY);
        }
        let join = Message::Join {
            sender_id: self.peer.clone(),
            supported_protocol_versions: vec!["1".into()],
            peer_metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
                wangge: Some(WanggeCapabilities::new(features)),
            }),
        };
        ws.send(WsMessage::Binary(join.encode().into()))
            .await
            .map_err(|_| LinkError::ConnectFailed)?;
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Binary(b))) => match Message::decode(&b) {
                    Ok(Message::Peer {
                        sender_id,
                        peer_metadata,
                        ..
                    }) => {
                        let caps = peer_metadata.and_then(|m| m.wangge);
                        let summary = self.cfg.heads_summary
                            && caps.as_ref().is_some_and(|c| c.has(FEATURE_HEADS_SUMMARY));
                        return Ok(Joined {
                            ws,
                            relay: sender_id,
                            summary,
                            caps,
                        });
                    }
                    Ok(Message::Error { .. }) => return Err(LinkError::Refused),
                    _ => return Err(LinkError::Protocol),
                },
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => {
                    return Err(LinkError::ConnectFailed);
                }
                Some(Ok(_)) => {}
            }
        }
    }

    async fn session(&self) -> Ended {
        let joined = match timeout(self.cfg.connect_timeout, self.connect()).await {
            Ok(Ok(j)) => j,
            Ok(Err(e)) => return Ended::Connect(e),
            Err(_) => return Ended::Connect(LinkError::ConnectTimeout),
        };
        let (sink, mut stream) = joined.ws.split();
        let mut sink = Sink(sink);
        let mut s = Session::new(
            self.peer.clone(),
            joined.relay.clone(),
            joined.summary,
            joined.caps,
        );
        let first = {
            let mut store = lock(&self.store);
            store.begin_sync_session(joined.relay.as_str());
            // The first round covers everything stored so far.
            let _ = self.changes.take();
            s.first_round(&mut store)
        };
        self.status.send_modify(|st| {
            st.online = true;
            st.connections += 1;
        });
        tracing::info!(summary = joined.summary, "sync connected");
        match first {
            Ok(msgs) => {
                if let Err(e) = sink.send_all(msgs).await {
                    return Ended::Dropped(e);
                }
            }
            Err(e) => return Ended::Dropped(e),
        }
        match self.looping(&mut s, &mut sink, &mut stream).await {
            Ok(never) => match never {},
            Err(e) => Ended::Dropped(e),
        }
    }

    /// Runs the connection until it fails.
    async fn looping(
        &self,
        s: &mut Session,
        sink: &mut Sink,
        stream: &mut SplitStream<Ws>,
    ) -> Result<std::convert::Infallible, LinkError> {
        let mut poll = tokio::time::interval_at(
            Instant::now() + self.cfg.poll_interval,
            self.cfg.poll_interval,
        );
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The poll runs only while a retry has work: an idle connection costs no wake-ups.
        // When work appears, the first retry is a full interval later (the change itself
        // was sent when it was saved).
        let mut had_work = true;
        loop {
            let work = s.ready() && s.has_retry_work();
            if work && !had_work {
                poll.reset();
            }
            had_work = work;
            tokio::select! {
                // Frames first; the status is counted once a burst of them is handled.
                biased;
                msg = next_message(stream) => {
                    let out = self.on_message(s, msg?)?;
                    if s.take_received() {
                        self.photos.notify_one();
                    }
                    sink.send_all(out).await?;
                }
                () = self.changes.changed(), if s.ready() => {
                    let changes = self.changes.take();
                    if changes.uploads {
                        s.touch();
                    }
                    let out = s.local_changes(&mut lock(&self.store), changes.docs)?;
                    sink.send_all(out).await?;
                }
                () = self.nudge.notified(), if s.ready() => {
                    let out = s.retry(&mut lock(&self.store))?;
                    sink.send_all(out).await?;
                }
                _ = poll.tick(), if work => {
                    let out = s.retry(&mut lock(&self.store))?;
                    sink.send_all(out).await?;
                }
                () = std::future::ready(()), if s.needs_count() => {
                    self.publish(s)?;
                }
            }
        }
    }

    /// Handles one message from the relay; returns what to send back.
    fn on_message(&self, s: &mut Session, msg: Message) -> Result<Vec<Message>, LinkError> {
        let mut store = lock(&self.store);
        match msg {
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => Ok(s
                .on_sync(&mut store, document_id, &data)?
                .into_iter()
                .collect()),
            Message::DocUnavailable { document_id, .. } => {
                s.on_unavailable(&mut store, document_id)?;
                Ok(vec![])
            }
            Message::DocRefused {
                document_id,
                reason,
                ..
            } => {
                s.on_refused(&mut store, document_id, &reason)?;
                Ok(vec![])
            }
            Message::HeadsReply { sync, .. } => s.on_heads_reply(&mut store, sync),
            Message::Error { .. } => Err(LinkError::RelayError),
            _ => Ok(vec![]),
        }
    }

    /// Counts and puts the result on the status.
    fn publish(&self, s: &mut Session) -> Result<(), LinkError> {
        let (counts, photos) = {
            let mut store = lock(&self.store);
            (s.count(&mut store)?, store.upload_backlog()?)
        };
        let Counts {
            pending,
            unavailable,
            waiting,
            reasons,
            barrier,
        } = counts;
        let now = chrono::Utc::now();
        self.status.send_modify(|st| {
            st.docs_pending = pending;
            st.unavailable = unavailable;
            st.docs_waiting = waiting;
            st.waiting_reasons = reasons;
            st.photos_pending = photos.photos;
            st.photo_bytes_pending = photos.bytes;
            let was = st.synced;
            st.synced = pending == 0 && barrier && photos.photos == 0;
            if st.synced {
                st.last_success = Some(now);
                if !was {
                    st.last_error = None;
                }
            }
        });
        Ok(())
    }
}
