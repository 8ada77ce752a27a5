//! `GET /v1/sync`: authenticate the upgrade, then move bytes between socket and hub.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use tracing::{debug, info, instrument, warn};
use wangge_proto::{Limits, Message, PeerId};

use super::http::error;
use super::hub_task::{Command, Outbound};
use super::outq;
use super::state::{AppState, IpSlot};
use crate::auth::{SUBPROTOCOL, hash_secret, token_from_request};
use crate::engine::ConnId;
use crate::store::DeviceAuth;

/// Authenticates and upgrades a sync connection.
#[instrument(skip_all)]
pub(crate) async fn sync_upgrade(
    State(app): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(token) = token_from_request(
        text(header::AUTHORIZATION),
        text(header::SEC_WEBSOCKET_PROTOCOL),
        uri.query(),
    ) else {
        app.metrics.refuse("token_missing");
        return error(
            StatusCode::UNAUTHORIZED,
            "token_missing",
            "send the device token as Authorization: Bearer, a wangge.token.<token> subprotocol, or ?token=",
        );
    };
    let store = app.store.clone();
    let hash = hash_secret(&token);
    let auth = tokio::task::spawn_blocking(move || {
        store
            .lock()
            .map_err(|_| ())
            .and_then(|s| s.authenticate(&hash).map_err(|_| ()))
    })
    .await;
    let auth = match auth {
        Ok(Ok(Some(auth))) => auth,
        Ok(Ok(None)) => {
            app.metrics.refuse("token_invalid");
            return error(
                StatusCode::UNAUTHORIZED,
                "token_invalid",
                "device token is unknown or revoked",
            );
        }
        _ => {
            app.metrics.refuse("storage_unavailable");
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "relay storage failure; try again later",
            );
        }
    };
    let Some(slot) = app.ip_slot(addr.ip()) else {
        app.metrics.refuse("too_many_connections");
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_connections",
            "too many connections from this address",
        );
    };
    let max = app.config.limits.max_message_bytes;
    // Let slightly oversized messages through tungstenite so the protocol layer can
    // answer them with an `error`; anything far larger is cut off by tungstenite itself.
    let transport_max = max.saturating_add(max / 4).saturating_add(64 * 1024);
    let limits = &app.config.limits;
    let write_buffer = limits.ws_write_buffer_bytes;
    ws.protocols([SUBPROTOCOL])
        .max_message_size(transport_max)
        .max_frame_size(transport_max)
        .read_buffer_size(limits.ws_read_buffer_bytes.max(256))
        .write_buffer_size(write_buffer)
        // Room for one largest message on top of what is gathered; a peer that stops
        // reading fails the send instead of growing the buffer without end.
        .max_write_buffer_size(write_buffer.saturating_add(transport_max).saturating_add(1))
        .on_upgrade(move |socket| connection(app, Box::new(auth), socket, slot))
}

/// What woke an idle connection.
enum Event {
    /// A frame from the device (or the end of its stream).
    Incoming(Option<Result<WsMessage, axum::Error>>),
    /// Something from the hub to send (or the hub dropped the connection).
    Outgoing(Option<Outbound>),
}

/// Moves bytes between the socket and the hub until either side ends.
///
/// The task's size is what every idle connection costs, so it parks in a small `select!`
/// and handles each event in a boxed future (one allocation per message, freed before it
/// parks again); the device's identity goes to the hub boxed. No span lives as long as
/// the connection (a span costs every idle connection a slot in the subscriber): events
/// name `conn`, and the "connected" line ties it to the device.
async fn connection(app: AppState, auth: Box<DeviceAuth>, mut socket: WebSocket, _slot: IpSlot) {
    let conn = app.conn_id();
    info!(conn, device = %auth.device_id, "connected");
    app.metrics.connections.inc();
    let _open = OpenConnection(&app.metrics);
    let (out_tx, mut out_rx) = outq::queue(app.config.limits.outbound_queue);
    let connect = Command::Connect {
        conn,
        auth,
        out: out_tx,
    };
    if Box::pin(app.hub.send(connect)).await.is_err() {
        return;
    }
    loop {
        // Both are cancel-safe: a frame half read stays in the socket's buffer, an item
        // stays in the queue. Shutdown comes through the queue too (`Outbound::Shutdown`).
        let event = tokio::select! {
            incoming = socket.recv() => Event::Incoming(incoming),
            out = out_rx.recv() => Event::Outgoing(out),
        };
        if Box::pin(handle(&app, conn, &mut socket, event))
            .await
            .is_break()
        {
            break;
        }
    }
    if Box::pin(app.hub.send(Command::Disconnect { conn }))
        .await
        .is_err()
    {
        warn!(conn, "hub gone before disconnect");
    }
    info!(conn, "disconnected");
}

async fn handle(
    app: &AppState,
    conn: ConnId,
    socket: &mut WebSocket,
    event: Event,
) -> ControlFlow<()> {
    match event {
        Event::Incoming(Some(Ok(WsMessage::Binary(bytes)))) => {
            let limits = Limits::with_max_message_bytes(app.config.limits.max_message_bytes);
            match Message::decode_with(&bytes, &limits) {
                Ok(msg) => {
                    app.metrics.messages_in.inc();
                    let cmd = Command::Message {
                        conn,
                        msg: Box::new(msg),
                    };
                    if app.hub.send(cmd).await.is_err() {
                        return ControlFlow::Break(());
                    }
                }
                Err(e) => {
                    debug!(conn, cause = %e, "undecodable message");
                    refuse(app, socket, &format!("bad message: {e}")).await;
                    return ControlFlow::Break(());
                }
            }
        }
        Event::Incoming(Some(Ok(WsMessage::Text(_)))) => {
            refuse(
                app,
                socket,
                "text frames are not part of the protocol; send CBOR as binary",
            )
            .await;
            return ControlFlow::Break(());
        }
        Event::Incoming(Some(Ok(WsMessage::Close(_))) | None) => return ControlFlow::Break(()),
        Event::Incoming(Some(Err(e))) => {
            debug!(conn, cause = %e, "socket error");
            return ControlFlow::Break(());
        }
        Event::Incoming(Some(Ok(_))) => {}
        Event::Outgoing(Some(Outbound::Bytes(bytes))) => {
            app.metrics.messages_out.inc();
            if let Err(e) = socket.send(WsMessage::Binary(bytes.into())).await {
                debug!(conn, cause = %e, "send failed");
                return ControlFlow::Break(());
            }
        }
        Event::Outgoing(Some(Outbound::Close) | None) => {
            let _ = socket.send(WsMessage::Close(None)).await;
            return ControlFlow::Break(());
        }
        Event::Outgoing(Some(Outbound::Shutdown)) => {
            let frame = CloseFrame {
                code: 1001,
                reason: "relay shutting down".into(),
            };
            let _ = socket.send(WsMessage::Close(Some(frame))).await;
            return ControlFlow::Break(());
        }
    }
    ControlFlow::Continue(())
}

/// Counts a connection as closed when dropped, however the task ends.
struct OpenConnection<'a>(&'a crate::metrics::Metrics);

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.0.connections.dec();
    }
}

/// Answers with a protocol `error` and closes.
async fn refuse(app: &AppState, socket: &mut WebSocket, message: &str) {
    let relay = PeerId::new(app.config.peer_id.clone());
    let reply = protocol_error(&relay, message);
    let _ = socket.send(WsMessage::Binary(reply.into())).await;
    let _ = socket.send(WsMessage::Close(None)).await;
}

fn protocol_error(relay: &PeerId, message: &str) -> Vec<u8> {
    Message::Error {
        message: message.to_owned(),
        sender_id: Some(relay.clone()),
        target_id: None,
    }
    .encode()
}
