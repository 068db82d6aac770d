//! tandem-sync's integration tests: one binary, ordered from pure to whole-system.
//!
//! - `asking`: requests the relay cannot answer with data: whom it asks, for how long, and a
//!   document one may not see answered like a missing one;
//! - `bounds`: what one frame may cost the engine (compression bombs, huge arrays, bloom traps);
//! - `codec`: the wire format, including hand-built frames real clients send;
//! - `batch`: a document whose edits collect in an open batch, held back until it is committed;
//! - `engine`: single behaviours of the engine (durability gating, unavailable documents, policy…);
//! - `high_rate`: two clients editing one document fast through a relay whose stores complete late,
//!   with no fault and no reconnect to hide a stall;
//! - `network`: two clients and a relay wired by a faulty in-memory network, driven by proptest.

mod asking;
mod batch;
mod bounds;
mod codec;
mod engine;
mod harness;
mod high_rate;
mod network;
