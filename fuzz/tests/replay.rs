//! The fuzz targets as ordinary tests, on stable: every seed, every committed corpus input, every
//! crash found so far, then seeded mutations of them (the same each run). The coverage-guided
//! runs are `cargo xtask fuzz`; this is the short, bounded version `cargo xtask test` runs.

use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Seeded mutations per target: about the same few seconds each in a debug build.
const MUTATIONS: [(&str, usize); 4] = [("codec", 4000), ("engine", 400), ("chunks", 600), ("api_json", 4000)];

fn dir(kind: &str, target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(kind).join(target)
}

/// The files in `dir` (none if it does not exist), sorted by name so runs are reproducible.
fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// Runs `target` on `data`, naming the input when it fails.
fn run(target: &str, name: &str, data: &[u8]) {
    let result = std::panic::catch_unwind(|| tandem_fuzz::check(target, data));
    if let Err(panic) = result {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        panic!("fuzz target {target} fails on {name} ({} bytes, hex {}): {why}", data.len(), hex(data));
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().take(256).map(|b| format!("{b:02x}")).collect()
}

/// One of libFuzzer's simpler mutations: flip, set, insert, delete, duplicate or splice.
fn mutate(rng: &mut StdRng, input: &[u8], others: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let len = out.len();
        match rng.random_range(0..7) {
            0 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] ^= 1 << rng.random_range(0..8);
            }
            1 if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] = [0x00, 0xff, 0x7f, 0x80, 0x1f, 0x9f, 0xbf, 0xf6][rng.random_range(0..8)];
            }
            2 => {
                let at = rng.random_range(0..=len);
                let n = rng.random_range(1..=8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                out.splice(at..at, bytes);
            }
            3 if len > 0 => {
                let at = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - at).min(16));
                out.drain(at..at + n);
            }
            4 if len > 0 => {
                let at = rng.random_range(0..len);
                let n = rng.random_range(1..=(len - at).min(32));
                let copy = out[at..at + n].to_vec();
                let to = rng.random_range(0..=len);
                out.splice(to..to, copy);
            }
            5 if !others.is_empty() => {
                let other = &others[rng.random_range(0..others.len())];
                let cut = rng.random_range(0..=out.len());
                let from = rng.random_range(0..=other.len());
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            _ if len > 0 => {
                let at = rng.random_range(0..len);
                out[at] = out[at].wrapping_add(rng.random_range(1..=4));
            }
            _ => out.push(rng.random()),
        }
    }
    out
}

/// Seeds, the committed corpus and the regressions of `target`, then its seeded mutations.
fn replay_and_mutate(target: &str) {
    let mut all: Vec<(String, Vec<u8>)> = tandem_fuzz::seeds::for_target(target)
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("seed #{i}"), s))
        .collect();
    all.extend(inputs(&dir("corpus", target)));
    all.extend(inputs(&dir("regressions", target)));
    for (name, data) in &all {
        run(target, name, data);
    }
    let bytes: Vec<Vec<u8>> = all.into_iter().map(|(_, d)| d).collect();
    let count = MUTATIONS.iter().find(|(t, _)| *t == target).expect("every target has a count").1;
    let mut rng = StdRng::seed_from_u64(0x7a6e_d3a0 ^ target.len() as u64);
    for i in 0..count {
        let base = &bytes[rng.random_range(0..bytes.len())];
        let data = mutate(&mut rng, base, &bytes);
        run(target, &format!("seeded mutation #{i}"), &data);
    }
}

#[test]
fn the_codec_survives_its_corpus_and_seeded_mutations() {
    replay_and_mutate("codec");
}

#[test]
fn the_engine_survives_scripts_of_frames_in_any_order_from_its_corpus_and_seeded_mutations() {
    replay_and_mutate("engine");
}

#[test]
fn chunk_loading_survives_its_corpus_and_seeded_mutations() {
    replay_and_mutate("chunks");
}

#[test]
fn the_api_json_bodies_survive_their_corpus_and_seeded_mutations() {
    replay_and_mutate("api_json");
}

#[test]
fn every_target_has_a_committed_corpus() {
    for target in tandem_fuzz::TARGETS {
        assert!(!inputs(&dir("corpus", target)).is_empty(), "fuzz/corpus/{target} is empty");
    }
}
