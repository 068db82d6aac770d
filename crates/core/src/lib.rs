//! Tandem's records as automerge CRDT documents.
//!
//! This crate does no I/O: no clock, no randomness, no network, no storage. Time, actor ids and
//! the acting user come in as arguments, so the same code runs natively in the relay and on
//! `wasm32-unknown-unknown` in the browser.

pub use automerge;
