//! One WebSocket sync connection: frames in to the engine, frames out from it, keep-alive pings,
//! and a clean close on shutdown.
//!
//! The loop is written against a generic `Sink`/`Stream` of axum messages so tests can drive it
//! without a network.

use std::time::Instant;

use axum::{
    extract::{
        RawQuery, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, close_code, rejection::WebSocketUpgradeRejection},
    },
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::watch;

use super::{Outbound, SyncHub};
use crate::{AppState, api, error::AppError};

/// `GET /sync`: the automerge-repo WebSocket endpoint.
///
/// The upgrade needs a session cookie or an access token (`?token=`, for clients that cannot set
/// headers); without one the answer is 401 and no WebSocket is opened, so nothing is sent to an
/// unauthenticated client. The connection then belongs to that person for its whole life.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let secret = api::presented_secret(&headers, query.as_deref());
    let person = match api::authenticate(&state, secret).await {
        Ok(Some(person)) => person,
        Ok(None) => {
            return AppError::unauthorized(
                "sign in first: /sync needs a session cookie or ?token=<access token>",
            )
            .into_response();
        }
        Err(error) => return error.into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        // Not a WebSocket upgrade (a plain GET, a missing header): said as every other error.
        Err(rejection) => return AppError::new(rejection.status(), rejection.body_text()).into_response(),
    };
    let hub = state.sync.clone();
    let shutdown = state.shutdown.subscribe();
    let limit = hub.config.max_frame_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(socket, hub, person, shutdown))
}

/// Runs one connection until either side closes it, the peer goes silent, or the relay shuts down.
pub async fn serve<S>(socket: S, hub: SyncHub, person: String, mut shutdown: watch::Receiver<bool>)
where
    S: Sink<Message, Error = axum::Error> + Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let (connection, mut outbound) = hub.open(person);
    let (mut sink, mut stream) = socket.split();
    let keepalive = hub.config.keepalive;
    // The first ping after one interval: nothing should come before the protocol's own answer.
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    let mut last_heard = Instant::now();
    let close = |code, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    loop {
        tokio::select! {
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    last_heard = Instant::now();
                    hub.frame(connection, bytes.into());
                }
                Some(Ok(Message::Text(_))) => {
                    let _ = sink.send(close(close_code::UNSUPPORTED, "this protocol uses binary frames")).await;
                    break;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(error)) => {
                    // Oversized or malformed WebSocket frames end up here.
                    tracing::info!(%connection, %error, "closing a connection after a bad frame");
                    let _ = sink.send(close(close_code::PROTOCOL, "bad frame")).await;
                    break;
                }
            },
            out = outbound.recv() => match out {
                Some(Outbound::Frame(bytes)) => {
                    if sink.send(Message::Binary(bytes.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outbound::Close(reason)) => {
                    let _ = sink.send(close(close_code::PROTOCOL, &reason)).await;
                    break;
                }
                None => {
                    // The relay dropped this connection's queue: the peer fell too far behind.
                    let _ = sink.send(close(close_code::AGAIN, "too far behind; reconnect")).await;
                    break;
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > keepalive * 2 {
                    tracing::info!(%connection, "dropping a silent connection");
                    break;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break;
                }
            }
            _ = shutdown.changed() => {
                let _ = sink.send(close(close_code::AWAY, "the relay is restarting")).await;
                break;
            }
        }
    }
    hub.closed(connection);
}
