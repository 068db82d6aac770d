//! The sync engine shared by the browser and the relay.
//!
//! Sans-IO: events go in (bytes from a peer, a local change, a storage result, a tick) and actions
//! come out (bytes to send, chunks to store). The runtime around it owns sockets, storage and time.
//!
//! # Layout
//!
//! | module | what |
//! |---|---|
//! | [`ids`] | [`DocumentId`] (bs58check of 16 bytes; [`DocumentId::new_random`] for new ones), [`AutomergeUrl`], [`PeerId`], [`ConnectionId`] |
//! | [`bounds`] | what one frame's automerge content may cost: inflated size and ratio, bloom filter parameters, checked before automerge reads it |
//! | [`codec`] | automerge-repo's WebSocket protocol v1: [`codec::Message`], [`codec::encode`], [`codec::decode`] |
//! | [`storage`] | [`StorageKey`] (automerge-repo's key layout), the [`Storage`] trait, [`MemoryStorage`], the contract tests |
//! | [`engine`] | [`Engine`]: [`Event`]s in, [`Action`]s out; [`Policy`] for access control; [`Document`], what it keeps each document as |
//! | [`runtime`] | what every runtime owes the engine, action by action; [`runtime::optional`] for timers that may be unset |
//! | [`backoff`] | [`Backoff`]: reconnect and retry delays, exponential with jitter |
//!
//! # The event/action model
//!
//! The runtime turns everything that happens into an [`Event`] and calls [`Engine::handle`] (or
//! [`Engine::handle_batch`]) with the current time in milliseconds; it performs the returned
//! [`Action`]s in order: send a frame, close a connection, load/store/delete chunks, tell the app a
//! document changed. The app reads documents with [`Engine::document`] and edits them in place with
//! [`Engine::change`] (the engine's copy is the only one). See [`engine`] for the full protocol
//! between runtime and engine, and [`runtime`] for the checklist the browser, the relay and the
//! native client all follow.
//!
//! # The durability rule
//!
//! New changes produce an [`Action::Store`] with a [`StoreToken`]; until the runtime answers
//! [`Event::StoreCompleted`] for it, the engine sends nothing that advertises the document's new heads
//! to anyone. A relay therefore never acknowledges changes a crash could lose, and a client's
//! [`Action::Synced`] means the relay has the changes on disk.

pub mod backoff;
pub mod bounds;
pub mod codec;
pub mod engine;
mod error;
pub mod ids;
pub mod runtime;
pub mod storage;

pub use backoff::Backoff;
pub use engine::{Action, AllowAll, Config, Document, Engine, Event, Policy, Role, StoreToken};
pub use error::Error;
pub use ids::{AutomergeUrl, ConnectionId, DocumentId, PeerId};
pub use storage::{MemoryStorage, Storage, StorageKey};
