//! `notice` mode: one notice fanned out to every connection, each a member device of its
//! own user answering with its receipt (已送达), as the app does when a notice arrives.
//!
//! Settings, beside the common ones:
//! - `WANGGE_LOAD_TOKENS`: `token<TAB>peer id<TAB>user id<TAB>grid` lines; each connection
//!   takes a line of its own (each is a device of its own user);
//! - `WANGGE_LOAD_SENDER`: a file of one such line for the sender, a centre user, with
//!   its unit (the street) in place of the grid;
//! - `WANGGE_LOAD_NOTICE_ID`: the notice's id (default: a random one);
//! - `WANGGE_LOAD_WAIT_SECONDS`: the longest wait, from the start, for every device to
//!   be acknowledged (default 120, at most 600).
//!
//! Every device joins with scope push (and doc-refused), so the relay offers it the notice
//! the moment the notice is registered. Once all have joined (`ready <ok> <failed>`), the
//! sender writes the notice (scoped to its unit, every grid under it, as the app's compose
//! form does) and sends it: the start. Each device syncs the notice until its record is
//! there, then writes its receipt with `delivered_ms` into its grid's receipts document
//! (the byte-identical genesis every device makes, written under an actor of its own) and
//! syncs that until the relay's heads hold its change: acknowledged, which the relay sends
//! only once the change is stored. Devices answer every document the relay pushes them
//! meanwhile (their grid's other receipts), as the app does.
//!
//! Once every device is acknowledged, has failed or the wait ended, and nothing moved on
//! any link for a second (bounded), it prints
//! `result devices=… acked=… p50_ms=… p99_ms=… max_ms=… bytes_in_per_device=…
//! bytes_out_per_device=… …`: the times from the start to acknowledgement by rank over
//! every device (p99: the time by which 99 % of them were acknowledged; `inf` when fewer
//! were), and bytes as WebSocket frames on the wire (headers and the client's masks
//! included), from the start to the end, averaged over the acknowledged devices; the
//! `*_to_ack` figures count only up to each device's acknowledgement.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use automerge::sync::{self, SyncDoc};
use automerge::{ActorId, Automerge, ChangeHash};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, sleep, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use uuid::Uuid;
use wangge_proto::{
    DocumentId, FEATURE_DOC_REFUSED, FEATURE_SCOPE_PUSH, Message, PeerId, PeerMetadata,
    WanggeCapabilities,
};
use wangge_schema::notice::{
    Audience, NOTICE_ID_KEY, Notice, NoticeSort, Priority, Receipt, read_notice, read_receipts,
    receipts_attrs, receipts_doc_id, write_notice, write_receipt,
};
use wangge_schema::root::{KIND_KEY, root_str};
use wangge_schema::{DocKind, GridCode, Role, ScopeCode, genesis};

use crate::{Token, Ws, connect_all, env, env_num};

/// What a member device saw, as instants (the start is the sender's).
#[derive(Default)]
struct Member {
    delivered: Option<Instant>,
    acked: Option<Instant>,
    refused: bool,
    failed: bool,
    bytes_in: u64,
    bytes_out: u64,
    in_to_ack: u64,
    out_to_ack: u64,
    frames_in: u64,
    frames_out: u64,
}

/// What the connections share: the start, progress and the end.
struct Shared {
    base: Instant,
    start: OnceLock<Instant>,
    /// Microseconds after `base` of the last frame on any link.
    last_frame: AtomicU64,
    settled: AtomicUsize,
    progress: Notify,
    stop: watch::Sender<bool>,
    deadline: Instant,
}

impl Shared {
    fn touch(&self) {
        let us = self.base.elapsed().as_micros() as u64;
        self.last_frame.fetch_max(us, Ordering::Relaxed);
    }

    fn quiet_for(&self) -> Duration {
        let last = Duration::from_micros(self.last_frame.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(last)
    }

    fn settle(&self) {
        self.settled.fetch_add(1, Ordering::Relaxed);
        self.progress.notify_one();
    }
}

/// The wire length of a WebSocket binary frame of `payload` bytes (`masked`: client to
/// server). Neither side fragments messages.
fn wire_len(payload: usize, masked: bool) -> u64 {
    let ext = if payload < 126 {
        0
    } else if payload < 65_536 {
        2
    } else {
        8
    };
    (2 + ext + if masked { 4 } else { 0 } + payload) as u64
}

/// What a frame from the relay was.
enum Got {
    /// A sync message for this document, applied.
    Synced(DocumentId),
    /// The relay will not take (or serve) this document.
    Refused(DocumentId),
    /// Anything else.
    Other,
}

/// One device's link: its socket, documents and byte counts.
struct Link {
    ws: Ws,
    me: PeerId,
    relay: PeerId,
    docs: HashMap<DocumentId, (Automerge, sync::State)>,
    bytes_in: u64,
    bytes_out: u64,
    frames_in: u64,
    frames_out: u64,
}

impl Link {
    fn new(ws: Ws, me: PeerId, relay: PeerId) -> Self {
        Link {
            ws,
            me,
            relay,
            docs: HashMap::new(),
            bytes_in: 0,
            bytes_out: 0,
            frames_in: 0,
            frames_out: 0,
        }
    }

    /// Sends the next sync message of `id`, if there is one; `None` if the socket failed.
    async fn flush(&mut self, id: DocumentId) -> Option<()> {
        let Some((doc, state)) = self.docs.get_mut(&id) else {
            return Some(());
        };
        let Some(m) = doc.generate_sync_message(state) else {
            return Some(());
        };
        let bytes = Message::Sync {
            sender_id: self.me.clone(),
            target_id: self.relay.clone(),
            document_id: id,
            data: m.encode(),
        }
        .encode();
        self.bytes_out += wire_len(bytes.len(), true);
        self.frames_out += 1;
        self.ws.send(WsMessage::Binary(bytes.into())).await.ok()
    }

    /// Applies one frame from the relay; `None` for an error or a frame that does not
    /// apply (the link then ends).
    fn take(&mut self, frame: &[u8]) -> Option<Got> {
        self.bytes_in += wire_len(frame.len(), false);
        self.frames_in += 1;
        match Message::decode(frame).ok()? {
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => {
                let m = sync::Message::decode(&data).ok()?;
                let (doc, state) = self.docs.entry(document_id).or_default();
                doc.receive_sync_message(state, m).ok()?;
                Some(Got::Synced(document_id))
            }
            Message::DocUnavailable { document_id, .. }
            | Message::DocRefused { document_id, .. } => Some(Got::Refused(document_id)),
            Message::Error { .. } => None,
            _ => Some(Got::Other),
        }
    }

    /// The next frame from the relay, until `stop` or `deadline`; `None` at the end.
    async fn next(
        &mut self,
        stop: &mut watch::Receiver<bool>,
        deadline: Instant,
    ) -> Option<WsMessage> {
        tokio::select! {
            f = self.ws.next() => f?.ok(),
            _ = stop.wait_for(|s| *s) => None,
            () = sleep_until(deadline) => None,
        }
    }
}

/// Whether the relay's last heads for `id` name the change `mine`. The relay answers the
/// message that carries it, once it is stored, with its heads just after applying it,
/// which name it (nothing else can depend on it yet), so this is enough.
fn holds(link: &Link, id: &DocumentId, mine: &ChangeHash) -> bool {
    link.docs
        .get(id)
        .and_then(|(_, state)| state.their_heads.as_deref())
        .is_some_and(|theirs| theirs.contains(mine))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The notice in `id` if it is a notice document whose record has arrived.
fn arrived_notice(link: &Link, id: &DocumentId) -> Option<Notice> {
    let (doc, _) = link.docs.get(id)?;
    if root_str(doc, KIND_KEY).as_deref() != Some(DocKind::Notice.code()) {
        return None;
    }
    read_notice(doc).notice
}

/// Writes `user`'s 已送达 into its grid's receipts document of `notice` (the shared
/// genesis, with whatever the relay has served of it already), under an actor of this
/// device's own; returns the document and the change.
fn deliver(
    link: &mut Link,
    notice: &Notice,
    user: Uuid,
    grid: &GridCode,
) -> Option<(DocumentId, ChangeHash)> {
    let grid = notice.receipt_grid(Role::Member, std::slice::from_ref(grid))?;
    let id = receipts_doc_id(notice.id, &grid);
    let attr = receipts_attrs(notice.id);
    let mut first = genesis(
        &id,
        DocKind::Receipts,
        grid.scope(),
        &[(NOTICE_ID_KEY, attr.as_str())],
    )
    .ok()?;
    // The relay may have begun to offer the grid's document (a grid-mate's receipt came
    // first) before its genesis arrived here: merged in, so the receipt goes into the
    // genesis' map, never into a map of its own that would hide the others'.
    let (doc, _) = link.docs.entry(id).or_default();
    doc.merge(&mut first).ok()?;
    let (doc, _) = link.docs.get_mut(&id)?;
    doc.set_actor(ActorId::random());
    let receipt = Receipt {
        role: Some(Role::Member),
        delivered_ms: Some(now_ms()),
        ..Receipt::default()
    };
    let mut tx = doc.transaction();
    write_receipt(&mut tx, user, &receipt).ok()?;
    let (hash, _) = tx.commit();
    Some((id, hash?))
}

/// One member device: waits for the notice, writes and syncs its receipt, and answers
/// whatever else the relay pushes until the end.
async fn member(mut link: Link, user: Uuid, grid: GridCode, shared: Arc<Shared>) -> Member {
    let mut out = Member::default();
    let mut stop = shared.stop.subscribe();
    let mut receipt: Option<(DocumentId, ChangeHash)> = None;
    let mut settled = false;
    // Bounded by the deadline, and by a frame count far above what one notice needs.
    for _ in 0..1_000_000 {
        let Some(frame) = link.next(&mut stop, shared.deadline).await else {
            break;
        };
        let WsMessage::Binary(b) = frame else {
            continue;
        };
        shared.touch();
        let Some(got) = link.take(&b) else {
            out.failed = true;
            break;
        };
        let id = match got {
            Got::Synced(id) => id,
            Got::Refused(id) => {
                if receipt.is_some_and(|(r, _)| r == id) && !settled {
                    out.refused = true;
                    settled = true;
                    shared.settle();
                }
                continue;
            }
            Got::Other => continue,
        };
        if receipt.is_none()
            && let Some(n) = arrived_notice(&link, &id)
        {
            let Some(written) = deliver(&mut link, &n, user, &grid) else {
                out.failed = true;
                break;
            };
            out.delivered = Some(Instant::now());
            receipt = Some(written);
            if link.flush(written.0).await.is_none() {
                out.failed = true;
                break;
            }
        }
        if let Some((rid, mine)) = receipt
            && out.acked.is_none()
            && rid == id
            && holds(&link, &rid, &mine)
        {
            out.acked = Some(Instant::now());
            out.in_to_ack = link.bytes_in;
            out.out_to_ack = link.bytes_out;
            if !settled {
                settled = true;
                shared.settle();
            }
        }
        if link.flush(id).await.is_none() {
            out.failed = true;
            break;
        }
    }
    if !settled {
        shared.settle();
    }
    out.bytes_in = link.bytes_in;
    out.bytes_out = link.bytes_out;
    out.frames_in = link.frames_in;
    out.frames_out = link.frames_out;
    let _ = timeout(Duration::from_secs(2), link.ws.close(None)).await;
    out
}

/// What the sender's device saw.
#[derive(Default)]
struct Sender {
    /// The relay's heads held the notice.
    registered: Option<Instant>,
    /// Receipts in the receipts documents it was served by the end.
    receipts: usize,
    bytes_in: u64,
    bytes_out: u64,
}

/// The sender's device: writes the notice, marks the start and sends it, then answers
/// what the relay pushes (the grids' receipts) until the end.
async fn sender(mut link: Link, notice: Notice, shared: Arc<Shared>) -> Option<Sender> {
    let id = DocumentId::from_uuid(notice.id);
    let unit = ScopeCode::parse(&notice.sender_unit).ok()?;
    let mut doc = genesis(&id, DocKind::Notice, &unit, &[]).ok()?;
    doc.set_actor(ActorId::random());
    let mut tx = doc.transaction();
    write_notice(&mut tx, &notice).ok()?;
    let (hash, _) = tx.commit();
    let mine = hash?;
    link.docs.insert(id, (doc, sync::State::new()));
    let mut out = Sender::default();
    let mut stop = shared.stop.subscribe();
    let _ = shared.start.set(Instant::now());
    link.flush(id).await?;
    for _ in 0..10_000_000 {
        let Some(frame) = link.next(&mut stop, shared.deadline).await else {
            break;
        };
        let WsMessage::Binary(b) = frame else {
            continue;
        };
        shared.touch();
        let Got::Synced(got) = link.take(&b)? else {
            continue;
        };
        if out.registered.is_none() && got == id && holds(&link, &id, &mine) {
            out.registered = Some(Instant::now());
        }
        link.flush(got).await?;
    }
    out.receipts = link
        .docs
        .values()
        .filter(|(d, _)| root_str(d, KIND_KEY).as_deref() == Some(DocKind::Receipts.code()))
        .map(|(d, _)| read_receipts(d).receipts.len())
        .sum();
    out.bytes_in = link.bytes_in;
    out.bytes_out = link.bytes_out;
    let _ = timeout(Duration::from_secs(2), link.ws.close(None)).await;
    Some(out)
}

/// The time by which `rank` of the devices were acknowledged (`times` sorted, one per
/// acknowledged device), in ms; infinite when fewer were.
fn by_rank(times: &[Duration], rank: usize) -> f64 {
    match rank.checked_sub(1).and_then(|i| times.get(i)) {
        Some(t) => t.as_secs_f64() * 1000.0,
        None => f64::INFINITY,
    }
}

fn rank(n: usize, p: f64) -> usize {
    ((n as f64 * p).ceil() as usize).clamp(1, n.max(1))
}

fn ms(t: f64) -> String {
    if t.is_finite() {
        format!("{t:.1}")
    } else {
        "inf".into()
    }
}

/// The notice mode (see the module docs).
pub(crate) async fn run(url: &str, tokens: &[Token], conns: usize) {
    let sender_line = env("WANGGE_LOAD_SENDER")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| crate::parse_tokens(&t))
        .and_then(|t| t.into_iter().next());
    let Some(from) = sender_line else {
        eprintln!("sync-load: notice mode needs WANGGE_LOAD_SENDER, a file of the sender's line");
        std::process::exit(2);
    };
    let parse_member = |t: &Token| -> Option<(Uuid, GridCode)> {
        let user = Uuid::parse_str(t.user.as_deref()?).ok()?;
        let grid = GridCode::parse(t.scope.as_deref()?).ok()?;
        Some((user, grid))
    };
    let picked: Vec<Token> = tokens.iter().take(conns).cloned().collect();
    let who: Option<Vec<(Uuid, GridCode)>> = picked.iter().map(parse_member).collect();
    let (Some(who), Some(sender_user), Some(unit)) = (
        who,
        from.user.as_deref().and_then(|u| Uuid::parse_str(u).ok()),
        from.scope.clone(),
    ) else {
        eprintln!(
            "sync-load: notice mode needs token<TAB>peer<TAB>user<TAB>grid lines (and the sender's unit)"
        );
        std::process::exit(2);
    };
    if picked.len() < conns {
        eprintln!(
            "sync-load: notice mode takes one line per connection: {} lines for {conns}",
            picked.len()
        );
        std::process::exit(2);
    }
    let notice_id = env("WANGGE_LOAD_NOTICE_ID")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .unwrap_or_else(Uuid::new_v4);
    let wait = Duration::from_secs(env_num("WANGGE_LOAD_WAIT_SECONDS", 120).min(600));

    let meta = PeerMetadata {
        storage_id: None,
        is_ephemeral: false,
        wangge: Some(WanggeCapabilities::new([
            FEATURE_SCOPE_PUSH,
            FEATURE_DOC_REFUSED,
        ])),
    };
    let mut all = picked.clone();
    all.push(from);
    let mut open = connect_all(url, &all, Some(meta)).await;
    let sender_link = open.pop().flatten();
    let Some((sws, speer, srelay)) = sender_link else {
        eprintln!("sync-load: the sender could not connect");
        std::process::exit(1);
    };
    let joined = open.iter().filter(|c| c.is_some()).count();
    // Each join is answered once the relay has made its scope push (nothing yet).
    println!("ready {joined} {}", conns - joined);

    let base = Instant::now();
    let (stop, _) = watch::channel(false);
    let shared = Arc::new(Shared {
        base,
        start: OnceLock::new(),
        last_frame: AtomicU64::new(0),
        settled: AtomicUsize::new(0),
        progress: Notify::new(),
        stop,
        deadline: base + wait + Duration::from_secs(30),
    });
    let mut members = Vec::with_capacity(joined);
    for (c, (user, grid)) in open.into_iter().zip(who) {
        let Some((ws, peer, relay)) = c else { continue };
        let link = Link::new(ws, peer, relay);
        members.push(tokio::spawn(member(link, user, grid, shared.clone())));
    }
    let notice = Notice {
        id: notice_id,
        sender: sender_user,
        sender_role: Role::Centre,
        sender_unit: unit,
        sort: NoticeSort::Notice,
        priority: Priority::Urgent,
        title: "防汛通知".into(),
        text: "今晚有暴雨,请检查辖区地下室和低洼处,转移危险区域群众。".into(),
        photos: vec![],
        grids: vec![],
        audience: Audience::All,
        sent_ms: now_ms(),
        ack_by_ms: None,
        person: None,
    };
    let sending = tokio::spawn(sender(
        Link::new(sws, speer, srelay),
        notice,
        shared.clone(),
    ));

    // Until every device settled (bounded), then until the links are quiet for a second.
    let until = base + wait;
    while shared.settled.load(Ordering::Relaxed) < members.len() && Instant::now() < until {
        let _ = timeout(
            until.saturating_duration_since(Instant::now()),
            shared.progress.notified(),
        )
        .await;
    }
    let settled_at = Instant::now();
    let quiet_until = settled_at + Duration::from_secs(20);
    while shared.quiet_for() < Duration::from_secs(1) && Instant::now() < quiet_until {
        sleep(Duration::from_millis(50)).await;
    }
    let quiet_at = Instant::now() - shared.quiet_for();
    let _ = shared.stop.send(true);

    let mut outs = Vec::with_capacity(members.len());
    for m in members {
        outs.push(m.await.unwrap_or_else(|_| Member {
            failed: true,
            ..Member::default()
        }));
    }
    let sent = sending.await.ok().flatten();
    let start = shared.start.get().copied().unwrap_or(base);
    let since = |t: Instant| t.saturating_duration_since(start);
    let mut acked: Vec<Duration> = outs.iter().filter_map(|o| o.acked.map(since)).collect();
    acked.sort();
    let mut delivered: Vec<Duration> = outs.iter().filter_map(|o| o.delivered.map(since)).collect();
    delivered.sort();
    let ok: Vec<&Member> = outs.iter().filter(|o| o.acked.is_some()).collect();
    let mean = |f: &dyn Fn(&Member) -> u64| {
        ok.iter().map(|o| f(o)).sum::<u64>() as f64 / ok.len().max(1) as f64
    };
    let n = conns;
    println!(
        "result devices={n} joined={joined} delivered={} acked={} refused={} failed={} \
         p50_ms={} p99_ms={} max_ms={} delivered_p50_ms={} delivered_p99_ms={} \
         bytes_in_per_device={:.0} bytes_out_per_device={:.0} bytes_in_to_ack={:.0} \
         bytes_out_to_ack={:.0} frames_in_per_device={:.1} frames_out_per_device={:.1} \
         notice_registered_ms={} sender_receipts={} sender_bytes_in={} sender_bytes_out={} \
         quiet_after_ms={:.0} notice={notice_id}",
        delivered.len(),
        acked.len(),
        outs.iter().filter(|o| o.refused).count(),
        outs.iter().filter(|o| o.failed).count(),
        ms(by_rank(&acked, rank(n, 0.5))),
        ms(by_rank(&acked, rank(n, 0.99))),
        ms(by_rank(&acked, n)),
        ms(by_rank(&delivered, rank(n, 0.5))),
        ms(by_rank(&delivered, rank(n, 0.99))),
        mean(&|o| o.bytes_in),
        mean(&|o| o.bytes_out),
        mean(&|o| o.in_to_ack),
        mean(&|o| o.out_to_ack),
        mean(&|o| o.frames_in),
        mean(&|o| o.frames_out),
        ms(sent
            .as_ref()
            .and_then(|s| s.registered)
            .map_or(f64::INFINITY, |t| since(t).as_secs_f64() * 1000.0)),
        sent.as_ref().map_or(0, |s| s.receipts),
        sent.as_ref().map_or(0, |s| s.bytes_in),
        sent.as_ref().map_or(0, |s| s.bytes_out),
        since(quiet_at).as_secs_f64() * 1000.0,
    );
}
