//! The relay under a high edit rate, without any network fault: two clients edit the same document
//! concurrently, each of their frames queues up at the relay, the relay handles them in batches,
//! and its stores complete in later batches (group commit). No connection is ever cut, so nothing
//! may rely on a reconnect to catch up: after the last edit, once everything in flight is handled,
//! all three must hold the same heads and the network must go silent.

use crate::harness::{World, doc_id};

/// A tiny deterministic generator (xorshift), so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn run(seed: u64, edits: usize, per_frame: bool) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut w = World::relay_and_clients(2);
    let doc = doc_id(7);
    w.connect(1, 0);
    w.connect(2, 0);
    w.create(1, doc, "genesis", "0");
    w.open(2, doc);
    w.run_until_quiet();
    assert_eq!(w.heads(1, &doc), w.heads(2, &doc), "seed {seed}: the document did not reach client 2");
    // The relay's writer commits in groups: stores complete a batch or more after they were issued.
    w.nodes[0].auto_store = false;
    let mut made = 0;
    while made < edits {
        w.now += 1;
        match rng.below(10) {
            0..=5 => {
                let c = 1 + rng.below(2) as usize;
                made += 1;
                assert!(w.edit(c, doc, &format!("k{c}-{made}"), "v"));
            }
            6 => {
                // Complete the stores the writer holds (one group commit), to be handled later.
                w.nodes[0].complete_stores();
            }
            7 => {
                w.deliver_batch(0);
            }
            _ => {
                // The native client handles one frame at a time, its own stores at once.
                let c = 1 + rng.below(2) as usize;
                if per_frame {
                    w.deliver_one(c);
                } else {
                    w.deliver_batch(c);
                }
            }
        }
    }
    // The edits stop; the relay's writer keeps committing groups until nothing is in flight.
    for _ in 0..10_000 {
        w.nodes[0].complete_stores();
        let mut any = false;
        for n in 0..3 {
            any |= w.deliver_batch(n);
        }
        if !any && w.nodes[0].held_stores.is_empty() {
            break;
        }
    }
    let relay = w.heads(0, &doc).expect("the relay has the document");
    let on_1 = w.heads(1, &doc).expect("client 1 has the document");
    let on_2 = w.heads(2, &doc).expect("client 2 has the document");
    assert_eq!(relay, on_1, "seed {seed}: client 1 lags the relay");
    assert_eq!(relay, on_2, "seed {seed}: client 2 lags the relay");
    assert_eq!(w.nodes[0].stored_doc(&doc).get_heads(), relay, "seed {seed}: relay storage lags");
    let sent = w.frames_sent();
    for n in 0..3 {
        w.tick(n);
    }
    w.nodes[0].auto_store = true;
    w.run_until_quiet();
    assert_eq!(w.frames_sent(), sent, "seed {seed}: the network did not go silent");
}

#[test]
fn two_clients_editing_one_document_at_a_high_rate_converge_without_reconnecting() {
    for seed in 0..64 {
        run(seed, 60, false);
        run(seed, 60, true);
    }
}
