//! What every runtime around the [`Engine`](crate::Engine) must do: the action loop's contract.
//!
//! Three runtimes drive the same engine: the browser's (`web/src/repo`: IndexedDB, a WebSocket,
//! timers), the relay's (`server/src/sync`: one engine thread, SQLite, many sockets) and the
//! native client (`crates/client`: tokio, a memory store, one socket). They differ in how they do
//! I/O, not in what they owe the engine. This is that debt, action by action; the engine's own
//! documentation says what each event means to it.
//!
//! # One owner, one clock
//!
//! One task or thread owns the engine and is the only one to call it. Every call passes the
//! current time in milliseconds from one clock that does not go backwards (time since the
//! runtime started is enough). Whatever arrived together goes in together
//! ([`Engine::handle_batch`](crate::Engine::handle_batch)): the engine then applies all of a
//! document's changes at once and answers once.
//!
//! # Each action, in the order given
//!
//! A call returns actions in the order they must take effect; perform them in that order.
//!
//! | action | the runtime must | answer |
//! |---|---|---|
//! | [`Send`](crate::Action::Send) | write one binary frame to that connection, if it is still open; a failed write is not reported (the read side sees the socket end) | none |
//! | [`Close`](crate::Action::Close) | close the socket (the engine has forgotten the connection already); a client reconnects after a [`Backoff`](crate::backoff::Backoff) delay | none |
//! | [`Load`](crate::Action::Load) | read every chunk under [`StorageKey::document_prefix`](crate::StorageKey::document_prefix) | [`Loaded`](crate::Event::Loaded) exactly once, with an empty list when nothing is stored |
//! | [`Store`](crate::Action::Store) | write the chunk **durably** (the SQLite transaction committed, the IndexedDB transaction complete); if the write fails, retry it after a [`Backoff::ceiling_ms`](crate::backoff::Backoff::ceiling_ms) delay, never answer | [`StoreCompleted`](crate::Event::StoreCompleted) with its token, only once durable; stores may be grouped in one transaction and answered together |
//! | [`Delete`](crate::Action::Delete) | delete the key, after every store that came before it (a compaction's snapshot is stored before the chunks it replaces are deleted); a failed delete only costs space | none |
//! | [`DocumentChanged`](crate::Action::DocumentChanged) | tell the app to re-read the document: a peer changed it | none |
//! | [`DocumentReady`](crate::Action::DocumentReady), [`DocumentUnavailable`](crate::Action::DocumentUnavailable) | answer whoever opened the document ([`Event::OpenDocument`](crate::Event::OpenDocument)) | none |
//! | [`Synced`](crate::Action::Synced) | a client may now say "synced": the peer has everything of the document on its disk | none |
//! | [`PeerConnected`](crate::Action::PeerConnected), [`WriteRefused`](crate::Action::WriteRefused), [`Ephemeral`](crate::Action::Ephemeral) | log or show them | none |
//!
//! Answers go back into the engine as events, and may bring more actions (a completed store lets
//! the engine send what it held back): a runtime keeps feeding answers and performing actions
//! until nothing is left, in one loop (the native client) or as its writes finish (the browser,
//! the relay).
//!
//! # Durable before advertised
//!
//! Stores complete before any send that advertises the stored heads. The engine enforces the
//! order itself: while a document has a store without its [`StoreCompleted`](crate::Event::StoreCompleted),
//! it generates no sync message for that document, to anyone. So a [`Send`](crate::Action::Send)
//! returned beside a [`Store`](crate::Action::Store) may go out at once; the runtime's whole part
//! is never to answer a store early, and never to drop one: an unanswered store keeps its
//! document from syncing until the runtime restarts.
//!
//! # Sockets, time, ids
//!
//! - Sockets: a fresh [`ConnectionId`](crate::ConnectionId) for every socket opened or accepted,
//!   never reused; [`ConnectionOpened`](crate::Event::ConnectionOpened) when it opens, one
//!   [`BytesReceived`](crate::Event::BytesReceived) per binary frame (text frames are not part of
//!   the protocol), [`ConnectionClosed`](crate::Event::ConnectionClosed) when it ends for any
//!   reason. A client reconnects while it is online, waiting [`Backoff::delay_ms`](crate::backoff::Backoff::delay_ms)
//!   (with jitter) after each failure, and starts again from attempt 0 only once the peer has
//!   completed the handshake ([`PeerConnected`](crate::Action::PeerConnected)): a relay that
//!   accepts sockets and drops them at once is not hammered.
//! - Time: send [`Tick`](crate::Event::Tick) every few seconds (5 s in the relay and the native
//!   client, 10 s in the browser); idle documents are evicted on ticks.
//! - New documents: draw 16 random bytes, make the id with
//!   [`DocumentId::new_random`](crate::DocumentId::new_random), and hand the genesis to
//!   [`Engine::create_document`](crate::Engine::create_document).
//! - Waiting for a timer that may be unset (the next reconnect, the next poll) inside a `select!`:
//!   [`optional`].

use std::future::Future;

/// Awaits `future` if there is one; never completes if there is none. For a `select!` branch
/// whose timer or socket may be absent: `optional(reconnect_at.map(sleep_until))`.
pub async fn optional<F: Future>(future: Option<F>) -> F::Output {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::{
        future::{Future, ready},
        pin::pin,
        task::{Context, Poll, Waker},
    };

    use super::optional;

    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        pin!(future).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn an_optional_future_that_is_there_completes_with_its_output() {
        assert_eq!(poll_once(optional(Some(ready(7)))), Poll::Ready(7));
    }

    #[test]
    fn an_optional_future_that_is_absent_never_completes() {
        assert_eq!(poll_once(optional(None::<std::future::Ready<u8>>)), Poll::Pending);
    }
}
