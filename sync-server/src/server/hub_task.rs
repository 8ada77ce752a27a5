//! Runs the [`Hub`] on its own thread and routes its outputs to connection queues.
//!
//! The hub is synchronous (SQLite writes happen inline, before acknowledgements), so it
//! lives on a dedicated thread fed by a channel; connection tasks never block on it.

use std::collections::HashMap;
use std::time::Instant;

use tokio::sync::mpsc;
use tracing::{debug, warn};
use wangge_proto::Message;

use super::outq::{OutSender, SendError};
use crate::engine::{ConnId, Hub, Output};
use crate::store::DeviceAuth;

/// Most commands handled in one write group.
const MAX_GROUP: usize = 256;

/// What connection tasks tell the hub.
pub(crate) enum Command {
    /// A new authenticated connection and the queue of what to send it.
    Connect {
        conn: ConnId,
        auth: Box<DeviceAuth>,
        out: OutSender,
    },
    /// A decoded message from a connection.
    Message { conn: ConnId, msg: Box<Message> },
    /// The connection is gone.
    Disconnect { conn: ConnId },
    /// Periodic housekeeping.
    Tick,
    /// Another relay instance stored these chunks (`(document, chunk number)`).
    Remote(Vec<(wangge_proto::DocumentId, i64)>),
    /// The change feed was down or just started: take changes stored since `since`
    /// (unix seconds).
    CatchUp { since: i64 },
    /// The relay is shutting down: tell every connection to close (they then disconnect
    /// as usual, so their sync states are saved).
    CloseAll,
    /// Save everything and stop.
    Shutdown,
}

/// What the hub tells a connection task.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Send these bytes as one binary WebSocket message.
    Bytes(Vec<u8>),
    /// Close the socket.
    Close,
    /// Close the socket: the relay is shutting down.
    Shutdown,
}

/// Starts the hub thread.
pub(crate) fn spawn(
    mut hub: Hub,
    mut rx: mpsc::Receiver<Command>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("wangge-hub".into())
        .spawn(move || {
            let mut queues: HashMap<ConnId, OutSender> = HashMap::new();
            let mut cmds = Vec::with_capacity(MAX_GROUP);
            let mut refused = 0;
            while let Some(first) = rx.blocking_recv() {
                // Group commit: take what is queued (bounded), handle it in one write
                // group, and send the outputs only once the group is on disk.
                cmds.push(first);
                while cmds.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(cmd) => cmds.push(cmd),
                        Err(_) => break,
                    }
                }
                let group = Instant::now();
                hub.begin_batch();
                let mut outputs = Vec::new();
                let mut stop = false;
                for cmd in cmds.drain(..) {
                    match cmd {
                        Command::Connect { conn, auth, out } => {
                            queues.insert(conn, out);
                            hub.connect(conn, *auth);
                        }
                        Command::Message { conn, msg } => {
                            outputs.extend(hub.receive(conn, *msg, Instant::now()));
                        }
                        Command::Disconnect { conn } => {
                            queues.remove(&conn);
                            hub.disconnect(conn);
                        }
                        Command::Tick => outputs.extend(hub.tick(Instant::now())),
                        Command::Remote(changes) => {
                            outputs.extend(hub.remote_changes(&changes, Instant::now()));
                        }
                        Command::CatchUp { since } => {
                            outputs.extend(hub.catch_up(since, Instant::now()));
                        }
                        Command::CloseAll => {
                            for q in queues.values() {
                                let _ = q.try_send(Outbound::Shutdown);
                            }
                        }
                        Command::Shutdown => stop = true,
                    }
                    if stop {
                        break;
                    }
                }
                let committed = hub.commit_batch();
                metrics.write_group.observe(group.elapsed().as_secs_f64());
                metrics
                    .documents_loaded
                    .set(i64::try_from(hub.loaded_docs()).unwrap_or(i64::MAX));
                metrics
                    .documents_refused
                    .inc_by(hub.refused_docs().saturating_sub(refused));
                refused = hub.refused_docs();
                if !committed {
                    // Nothing of the group is stored: send none of its acknowledgements,
                    // and close the connections they were for.
                    let conns: Vec<ConnId> = outputs
                        .iter()
                        .map(|o| match o {
                            Output::Send { conn, .. } | Output::Close { conn } => *conn,
                        })
                        .collect();
                    outputs = hub.abandon(conns);
                }
                route(&mut hub, &mut queues, outputs);
                if stop {
                    let outputs = hub.shutdown();
                    route(&mut hub, &mut queues, outputs);
                    debug!("hub stopped");
                    return;
                }
            }
            hub.shutdown();
        })
}

fn route(hub: &mut Hub, queues: &mut HashMap<ConnId, OutSender>, outputs: Vec<Output>) {
    for output in outputs {
        match output {
            Output::Send { conn, bytes } => {
                let Some(q) = queues.get(&conn) else { continue };
                match q.try_send(Outbound::Bytes(bytes)) {
                    Ok(()) => {}
                    Err(SendError::Full) => {
                        warn!(conn, "outbound queue full; dropping slow connection");
                        queues.remove(&conn);
                        hub.disconnect(conn);
                    }
                    Err(SendError::Closed) => {
                        queues.remove(&conn);
                        hub.disconnect(conn);
                    }
                }
            }
            Output::Close { conn } => {
                if let Some(q) = queues.remove(&conn) {
                    let _ = q.try_send(Outbound::Close);
                }
            }
        }
    }
}
