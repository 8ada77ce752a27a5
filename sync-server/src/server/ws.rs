//! `GET /v1/sync`: authenticate the upgrade, then move bytes between socket and hub.

use std::net::SocketAddr;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tracing::{debug, info, instrument, warn};
use wangge_proto::{Limits, Message, PeerId};

use super::http::error;
use super::hub_task::{Command, Outbound};
use super::state::{AppState, IpSlot};
use crate::auth::{SUBPROTOCOL, hash_secret, token_from_request};
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
            return error(
                StatusCode::UNAUTHORIZED,
                "token_invalid",
                "device token is unknown or revoked",
            );
        }
        _ => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage_unavailable",
                "relay storage failure; try again later",
            );
        }
    };
    let Some(slot) = app.ip_slot(addr.ip()) else {
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
        .on_upgrade(move |socket| connection(app, auth, socket, slot))
}

#[instrument(skip_all, fields(conn, device = %auth.device_id))]
async fn connection(app: AppState, auth: DeviceAuth, socket: WebSocket, _slot: IpSlot) {
    let conn = app.conn_id();
    tracing::Span::current().record("conn", conn);
    info!("connected");
    let (out_tx, mut out_rx) = mpsc::channel(app.config.limits.outbound_queue.max(1));
    let connect = Command::Connect {
        conn,
        auth: Box::new(auth),
        out: out_tx,
    };
    if app.hub.send(connect).await.is_err() {
        return;
    }
    let limits = Limits::with_max_message_bytes(app.config.limits.max_message_bytes);
    let relay = PeerId::new(app.config.peer_id.clone());
    let (mut sink, mut stream) = socket.split();
    let mut shutdown = app.shutdown.clone();
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(WsMessage::Binary(bytes))) => match Message::decode_with(&bytes, &limits) {
                    Ok(msg) => {
                        let cmd = Command::Message { conn, msg: Box::new(msg) };
                        if app.hub.send(cmd).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        debug!(cause = %e, "undecodable message");
                        let reply = protocol_error(&relay, &format!("bad message: {e}"));
                        let _ = sink.send(WsMessage::Binary(reply.into())).await;
                        let _ = sink.send(WsMessage::Close(None)).await;
                        break;
                    }
                },
                Some(Ok(WsMessage::Text(_))) => {
                    let reply = protocol_error(&relay, "text frames are not part of the protocol; send CBOR as binary");
                    let _ = sink.send(WsMessage::Binary(reply.into())).await;
                    let _ = sink.send(WsMessage::Close(None)).await;
                    break;
                }
                Some(Ok(WsMessage::Close(_))) | None => break,
                Some(Err(e)) => {
                    debug!(cause = %e, "socket error");
                    break;
                }
                Some(Ok(_)) => {}
            },
            out = out_rx.recv() => match out {
                Some(Outbound::Bytes(bytes)) => {
                    if let Err(e) = sink.send(WsMessage::Binary(bytes.into())).await {
                        debug!(cause = %e, "send failed");
                        break;
                    }
                }
                Some(Outbound::Close) | None => {
                    let _ = sink.send(WsMessage::Close(None)).await;
                    break;
                }
            },
            _ = shutdown.changed() => {
                let frame = CloseFrame { code: 1001, reason: "relay shutting down".into() };
                let _ = sink.send(WsMessage::Close(Some(frame))).await;
                break;
            }
        }
    }
    if app.hub.send(Command::Disconnect { conn }).await.is_err() {
        warn!("hub gone before disconnect");
    }
    info!("disconnected");
}

fn protocol_error(relay: &PeerId, message: &str) -> Vec<u8> {
    Message::Error {
        message: message.to_owned(),
        sender_id: Some(relay.clone()),
        target_id: None,
    }
    .encode()
}
