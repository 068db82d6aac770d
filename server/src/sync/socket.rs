//! One WebSocket sync connection: frames in to the engine (held, and the socket not read, while
//! its person is past their bytes per second, [`super::rates`]), frames out from it, keep-alive pings, a close
//! when the session or token it was opened with ends ([`super::ends`]), and a clean close on
//! shutdown.
//!
//! The loop is written against a generic `Sink`/`Stream` of axum messages so tests can drive it
//! without a network.

use std::time::Instant;

use axum::{
    extract::{
        RawQuery, State, WebSocketUpgrade,
        ws::{CloseFrame, Message, close_code, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio::sync::broadcast;

use super::{Outbound, ends::Ended};
use crate::{
    AppState,
    accounts::{self, Credential},
    api,
    error::AppError,
};

/// When a person at their socket limit is told to try again.
const RETRY_FULL: std::time::Duration = std::time::Duration::from_secs(30);

/// `GET /sync`: the automerge-repo WebSocket endpoint.
///
/// The upgrade needs a session cookie or an access token (`?token=`, for clients that cannot set
/// headers); without one the answer is 401 and no WebSocket is opened, so nothing is sent to an
/// unauthenticated client; a person with `--max-sockets-per-person` open already gets 429. The
/// connection then belongs to that session or token: it closes when that ends.
pub async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // Listening before the check: a sign-out between the check and the upgrade is not missed.
    let ends = state.session_ends.subscribe();
    let secret = api::presented_secret(&headers, query.as_deref());
    let credential = match api::credential(&state, secret).await {
        Ok(Some(credential)) => credential,
        Ok(None) => {
            return AppError::unauthorized(
                "sign in first: /sync needs a session cookie or ?token=<access token>",
            )
            .into_response();
        }
        Err(error) => return error.into_response(),
    };
    let max = state.sync.config.max_sockets_per_person;
    let Some(slot) = state.sockets.take(&credential.person, max) else {
        return AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many open connections ({max}) for this person; close the app on another device or tab"
            ),
        )
        .retry_after(RETRY_FULL)
        .into_response();
    };
    let ws = match ws {
        Ok(ws) => ws,
        // Not a WebSocket upgrade (a plain GET, a missing header): said as every other error.
        Err(rejection) => return AppError::new(rejection.status(), rejection.body_text()).into_response(),
    };
    let limit = state.sync.config.max_frame_bytes;
    ws.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| async move {
        serve(socket, state, credential, ends).await;
        drop(slot);
    })
}

/// Runs one connection until either side closes it, the peer goes silent, the session or token
/// it was opened with ends (`ends` announces that), or the relay shuts down.
pub async fn serve<S>(
    socket: S,
    state: AppState,
    credential: Credential,
    mut ends: broadcast::Receiver<Ended>,
) where
    S: Sink<Message, Error = axum::Error> + Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let hub = state.sync.clone();
    let mut shutdown = state.shutdown.subscribe();
    let (connection, mut outbound) = hub.open(credential.person.clone());
    let (mut sink, mut stream) = socket.split();
    let keepalive = hub.config.keepalive;
    // The first ping after one interval: nothing should come before the protocol's own answer.
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + keepalive, keepalive);
    let mut last_heard = Instant::now();
    let close = |code, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    let expired = "the session expired; sign in again";
    // Frames from the device are use of its session (keep-alive pongs are not): written at most
    // once a minute, so a session syncing now and then does not idle out under a live socket.
    let mut last_touched = credential.last_used_ms.unwrap_or(i64::MIN);
    let rate = hub.config.rate;
    // A frame that came while its person was past their bytes per second, and when it may go on:
    // this socket is not read meanwhile, so what the device sends next waits in its own socket
    // (backpressure).
    let mut held: Option<(Vec<u8>, tokio::time::Instant)> = None;
    loop {
        tokio::select! {
            incoming = stream.next(), if held.is_none() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    // Checked before the frame is passed on: nothing is written after expiry.
                    if credential.expired(state.now_ms()) {
                        let _ = sink.send(close(close_code::POLICY, expired)).await;
                        break;
                    }
                    last_heard = Instant::now();
                    let now = state.now_ms();
                    if now.saturating_sub(last_touched) >= accounts::sessions::TOUCH_EVERY_MS {
                        last_touched = now;
                        let hash = credential.hash.clone();
                        if let Err(error) = api::with_db(&state, move |db| Ok(accounts::touch(db, &hash, now)?)).await {
                            tracing::warn!(?error, "could not record a session's use");
                        }
                    }
                    let wait = state.sync_rates.take(&credential.person, bytes.len(), rate, Instant::now());
                    if wait.is_zero() {
                        hub.frame(connection, bytes.into()).await;
                    } else {
                        state.metrics.sync_slowed.inc();
                        tracing::debug!(%connection, ?wait, "holding a frame: its person is past their bytes per second");
                        held = Some((bytes.into(), tokio::time::Instant::now() + wait));
                    }
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
                    if credential.expired(state.now_ms()) {
                        let _ = sink.send(close(close_code::POLICY, expired)).await;
                        break;
                    }
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
            ended = ends.recv() => {
                let reason = match ended {
                    Ok(ended) => ended.closes(&credential),
                    // Announcements were missed: the database says whether this one was among them.
                    Err(broadcast::error::RecvError::Lagged(_)) => still_valid(&state, &credential).await.err(),
                    // The sender lives in `AppState`, which this task holds: never closed while it runs.
                    Err(broadcast::error::RecvError::Closed) => None,
                };
                if let Some(reason) = reason {
                    tracing::info!(%connection, reason, "closing a connection whose session ended");
                    let _ = sink.send(close(close_code::POLICY, reason)).await;
                    break;
                }
            }
            _ = tokio::time::sleep_until(held.as_ref().map_or_else(tokio::time::Instant::now, |(_, at)| *at)), if held.is_some() => {
                let Some((bytes, _)) = held.take() else { continue };
                if credential.expired(state.now_ms()) {
                    let _ = sink.send(close(close_code::POLICY, expired)).await;
                    break;
                }
                // Its pongs waited with everything else it sent: it was not silent.
                last_heard = Instant::now();
                hub.frame(connection, bytes).await;
            }
            _ = ping.tick() => {
                if held.is_none() && last_heard.elapsed() > keepalive * 2 {
                    tracing::info!(%connection, "dropping a silent connection");
                    break;
                }
                // What this process was not told about: expiry, and `tandem admin` run beside it.
                if let Err(reason) = still_valid(&state, &credential).await {
                    tracing::info!(%connection, reason, "closing a connection whose session ended");
                    let _ = sink.send(close(close_code::POLICY, reason)).await;
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

/// Whether the session or token a socket was opened with is still valid (not ended, expired or
/// idle), by the database (a
/// database error counts as valid: the next tick asks again); the reason to close if not.
async fn still_valid(state: &AppState, credential: &Credential) -> Result<(), &'static str> {
    if credential.expired(state.now_ms()) {
        return Err("the session expired; sign in again");
    }
    let (hash, now) = (credential.hash.clone(), state.now_ms());
    let found = api::with_db(state, move |db| Ok(accounts::credential_by_hash(db, &hash, now)?)).await;
    match found {
        Ok(Some(stored)) if stored.idle(now, state.auth.session_idle.as_millis() as i64) => {
            Err("the session was unused for too long; sign in again")
        }
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("the session ended; sign in again"),
        Err(error) => {
            tracing::warn!(?error, "could not check a connection's session; checking again later");
            Ok(())
        }
    }
}
