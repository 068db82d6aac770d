//! Text editing costs, against the budgets in DESIGN.md §7:
//!
//! - core overhead on the automerge-paper editing trace <= 1.15x the raw automerge crate: the
//!   trace (259,778 keystrokes) is replayed through `ops::observation::splice` into a running note
//!   and through raw `AutoCommit::splice_text`, alternately in the same run, both committing every
//!   100 edits (as the app batches typing); the ratio is printed;
//! - a remote change applied to a 20,000-character note < 5 ms native (criterion).
//!
//! The trace is read from the sibling `shared/` checkout (`../../../shared/data/editing-traces/`
//! from this crate); if it is missing the benchmark says so and skips. Under `cargo test
//! --all-targets` (no `--bench` argument) only a short prefix of the trace is replayed, so the
//! test suite stays fast.

use std::hint::black_box;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use tandem_core::automerge::transaction::Transactable;
use tandem_core::automerge::{ActorId, AutoCommit, Change, ObjType, ReadDoc};
use tandem_core::model::ContextInit;
use tandem_core::ops::observation::{self as o, ObservationText};
use tandem_core::{Doc, Observation, Timestamp, UserId, genesis};

/// Edits per commit while replaying, for both sides.
const BATCH: usize = 100;

struct Trace {
    /// (position, delete, insert), positions in Unicode code points.
    patches: Vec<(usize, usize, String)>,
    end: String,
}

fn trace_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/editing-traces/automerge-paper.json.gz")
}

fn load_trace() -> Option<Trace> {
    let path = trace_path();
    let Ok(file) = std::fs::File::open(&path) else {
        eprintln!(
            "skipping the editing-trace benchmarks: {} not found (it lives in the shared/ checkout next to the repository)",
            path.display()
        );
        return None;
    };
    let mut json = String::new();
    flate2::read::GzDecoder::new(file).read_to_string(&mut json).expect("the trace is gzip JSON");
    let value: serde_json::Value = serde_json::from_str(&json).expect("the trace is JSON");
    let mut patches = Vec::new();
    for txn in value["txns"].as_array().expect("txns") {
        for patch in txn["patches"].as_array().expect("patches") {
            let p = patch.as_array().expect("a patch is [pos, del, text]");
            patches.push((
                p[0].as_u64().unwrap() as usize,
                p[1].as_u64().unwrap() as usize,
                p[2].as_str().unwrap().to_owned(),
            ));
        }
    }
    let end = value["endContent"].as_str().expect("endContent").to_owned();
    Some(Trace { patches, end })
}

/// Whether cargo runs us as a benchmark (`cargo bench`) rather than a smoke test (`cargo test`).
fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn user() -> UserId {
    UserId::new("u-mentor")
}

fn new_note() -> Doc<Observation> {
    let mut doc = genesis::observation(
        ActorId::from(b"tablet".as_slice()),
        &user(),
        Timestamp(0),
        "pair-1",
        &user(),
        &UserId::new("u-associate"),
        &ContextInit::default(),
    );
    o::add_note(&mut doc, &user(), Timestamp(0), "n1", "", &[]).unwrap();
    doc.commit();
    doc
}

fn replay_core(patches: &[(usize, usize, String)]) -> Doc<Observation> {
    let mut doc = new_note();
    let by = user();
    for (i, (pos, del, ins)) in patches.iter().enumerate() {
        let at = Timestamp(i as i64);
        o::splice(&mut doc, &by, at, ObservationText::Note("n1"), *pos, *del, ins).unwrap();
        if i % BATCH == BATCH - 1 {
            doc.commit();
        }
    }
    doc.commit();
    doc
}

fn replay_raw(patches: &[(usize, usize, String)]) -> (AutoCommit, tandem_core::automerge::ObjId) {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(b"tablet".as_slice()));
    let text = doc.put_object(tandem_core::automerge::ROOT, "text", ObjType::Text).unwrap();
    doc.commit();
    for (i, (pos, del, ins)) in patches.iter().enumerate() {
        doc.splice_text(&text, *pos, *del as isize, ins).unwrap();
        if i % BATCH == BATCH - 1 {
            doc.commit();
        }
    }
    doc.commit();
    (doc, text)
}

fn note_text(doc: &Doc<Observation>) -> String {
    doc.read().unwrap().notes[0].text.clone()
}

/// The replay comparison: alternate core and raw runs, report the medians and their ratio.
fn replay_ratio(trace: &Trace) {
    let full = full_run();
    let patches = if full { &trace.patches[..] } else { &trace.patches[..2_000] };
    let rounds = if full { 5 } else { 1 };
    let (mut core, mut raw) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let doc = black_box(replay_core(patches));
        core.push(start.elapsed());
        if full {
            assert_eq!(note_text(&doc), trace.end, "the core replay must reproduce endContent");
        }
        drop(doc);

        let start = Instant::now();
        let (doc, text) = black_box(replay_raw(patches));
        raw.push(start.elapsed());
        if full {
            assert_eq!(doc.text(&text).unwrap(), trace.end, "the raw replay must reproduce endContent");
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (c, r) = (median(&mut core), median(&mut raw));
    let per_op = |d: Duration| d.as_secs_f64() * 1e6 / patches.len() as f64;
    let note = if full { "budget <= 1.15" } else { "smoke run in a test build: not a measurement" };
    println!(
        "automerge-paper replay ({} edits, commit every {BATCH}, median of {rounds}): core {:.0} ms ({:.2} µs/edit), raw automerge {:.0} ms ({:.2} µs/edit), ratio {:.3} ({note})",
        patches.len(),
        c.as_secs_f64() * 1e3,
        per_op(c),
        r.as_secs_f64() * 1e3,
        per_op(r),
        c.as_secs_f64() / r.as_secs_f64(),
    );
}

/// How many of the trace's first edits build a note of `size` characters.
fn prefix_for(trace: &Trace, size: usize) -> usize {
    let mut len = 0usize;
    trace
        .patches
        .iter()
        .take_while(|(_, del, ins)| {
            len = len + ins.chars().count() - del;
            len <= size
        })
        .count()
}

fn note_size() -> usize {
    if full_run() { 20_000 } else { 2_000 }
}

/// A 20,000-character note built by replaying the trace, and one keystroke from another device.
/// (2,000 characters when run as a test.)
fn note_and_remote_change(trace: &Trace) -> (Doc<Observation>, Change) {
    let size = note_size();
    let mut doc = replay_core(&trace.patches[..prefix_for(trace, size)]);
    assert!(note_text(&doc).chars().count() >= size - 100);
    let mut phone = doc.fork(ActorId::from(b"phone".as_slice()));
    let middle = size / 2;
    o::splice(
        &mut phone,
        &UserId::new("u-associate"),
        Timestamp(1),
        ObservationText::Note("n1"),
        middle,
        0,
        "x",
    )
    .unwrap();
    let before = doc.heads();
    let change = phone.changes_since(&before).pop().unwrap();
    (doc, change)
}

fn benches(c: &mut Criterion) {
    let Some(trace) = load_trace() else {
        return;
    };
    replay_ratio(&trace);

    let (mut doc, change) = note_and_remote_change(&trace);
    let bytes = doc.save();
    let mut group = c.benchmark_group("remote change into a 20,000-character note");
    group.bench_function("apply_changes", |b| {
        b.iter_batched(
            || Doc::<Observation>::load(&bytes, ActorId::from(b"tablet".as_slice())).unwrap(),
            |mut doc| {
                doc.load_incremental(change.raw_bytes()).unwrap();
                doc
            },
            BatchSize::LargeInput,
        )
    });
    // The same note and keystroke in a bare automerge document, for comparison.
    let (mut raw, text) = replay_raw(&trace.patches[..prefix_for(&trace, note_size())]);
    let raw_bytes = raw.save();
    let mut raw_phone = raw.fork().with_actor(ActorId::from(b"phone".as_slice()));
    raw_phone.splice_text(&text, note_size() / 2, 0, "x").unwrap();
    raw_phone.commit();
    let raw_change = raw_phone.get_last_local_change().unwrap();
    group.bench_function("apply_changes (raw automerge, bare text)", |b| {
        b.iter_batched(
            || AutoCommit::load(&raw_bytes).unwrap(),
            |mut doc| {
                doc.apply_changes([raw_change.clone()]).unwrap();
                doc
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("apply_changes then read the note", |b| {
        b.iter_batched(
            || Doc::<Observation>::load(&bytes, ActorId::from(b"tablet".as_slice())).unwrap(),
            |mut doc| {
                doc.load_incremental(change.raw_bytes()).unwrap();
                black_box(note_text(&doc))
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();

    let mut group = c.benchmark_group("typing in a 20,000-character note");
    group.bench_function("one splice (core)", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            o::splice(&mut doc, &user(), Timestamp(i), ObservationText::Note("n1"), 1_000, 0, "y").unwrap();
            if i % BATCH as i64 == 0 {
                doc.commit();
            }
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = text;
    config = config();
    targets = benches
}
criterion_main!(text);
