//! Fuzz targets for what a peer or a stored byte can reach: the wire codec, the sync engine fed
//! frames in any order, chunks loaded from storage, and the API's JSON bodies.
//!
//! Each target is one function, `check(&[u8])`, that panics when an invariant breaks (a panic in
//! the code under test counts too). The same functions run two ways:
//! - coverage-guided, under libFuzzer on nightly: `cargo xtask fuzz` (the binaries in
//!   `fuzz_targets/`, built only with the `libfuzzer` feature);
//! - as ordinary tests on stable (`tests/replay.rs`): every input of the committed corpus
//!   (`corpus/<target>/`), every crash found so far (`regressions/<target>/`, each also a named
//!   test), and a few thousand seeded mutations of them.
//!
//! | module | target |
//! |---|---|
//! | [`codec`] | `codec::decode` and `Frame::decode` on any bytes; what decodes re-encodes to the same message |
//! | [`engine`] | a relay or a client engine fed a script of frames, storage answers and ticks in any order; it stays consistent and still converges with an honest peer afterwards |
//! | [`chunks`] | stored chunks (and the same bytes as a peer's changes) loaded by automerge and by the engine; what loads saves and reloads to the same heads |
//! | [`api_json`] | every JSON body the relay or the web app reads; what parses re-serialises to the same value |
//! | [`seeds`] | hand-made starting inputs for each target, written into the corpus by `tandem-fuzz-seeds` |

pub mod api_json;
pub mod chunks;
pub mod codec;
pub mod engine;
mod input;
mod node;
pub mod seeds;

/// Every target's name: its directory under `corpus/` and `regressions/`, and its fuzz binary.
pub const TARGETS: [&str; 4] = ["codec", "engine", "chunks", "api_json"];

/// Runs the target named `target` on `data`.
pub fn check(target: &str, data: &[u8]) {
    match target {
        "codec" => codec::check(data),
        "engine" => engine::check(data),
        "chunks" => chunks::check(data),
        "api_json" => api_json::check(data),
        other => panic!("no fuzz target {other}; the targets are {TARGETS:?}"),
    }
}
