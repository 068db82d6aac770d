//! Two clients and a relay on a network that drops, duplicates and reorders frames, cuts connections
//! and delays storage, in any order proptest picks. After the chaos the network heals (every client
//! reconnects) and everyone must agree; the harness checks the durability rule on every frame.

use proptest::prelude::*;
use tandem_sync::Event;

use crate::harness::{World, doc_id};

#[derive(Clone, Debug)]
enum Op {
    /// Handle everything queued at a node as one batch.
    Batch(usize),
    /// Handle one queued event at a node.
    One(usize),
    /// A client edits a document (if loaded).
    Edit(usize, u8),
    /// Lose a frame in flight.
    Drop(usize, usize),
    /// Deliver a frame twice.
    Duplicate(usize, usize),
    /// Swap two queued events.
    Swap(usize, usize, usize),
    /// Cut a connection.
    Cut(usize),
    /// Reconnect a client.
    Reconnect(usize),
    /// Toggle whether a node's storage completes at once.
    HoldStores(usize, bool),
    /// Complete one held store.
    CompleteStore(usize, usize),
    /// Let time pass and tick the relay (eviction).
    Tick,
}

fn op() -> impl Strategy<Value = Op> {
    let node = 0..3usize;
    let client = 1..3usize;
    prop_oneof![
        10 => node.clone().prop_map(Op::Batch),
        10 => node.clone().prop_map(Op::One),
        5 => (client.clone(), 0..2u8).prop_map(|(c, d)| Op::Edit(c, d)),
        1 => (node.clone(), any::<usize>()).prop_map(|(n, i)| Op::Drop(n, i)),
        1 => (node.clone(), any::<usize>()).prop_map(|(n, i)| Op::Duplicate(n, i)),
        1 => (node.clone(), any::<usize>(), any::<usize>()).prop_map(|(n, i, j)| Op::Swap(n, i, j)),
        1 => (0..2usize).prop_map(Op::Cut),
        2 => client.clone().prop_map(Op::Reconnect),
        1 => (node.clone(), any::<bool>()).prop_map(|(n, b)| Op::HoldStores(n, b)),
        3 => (node, any::<usize>()).prop_map(|(n, i)| Op::CompleteStore(n, i)),
        1 => Just(Op::Tick),
    ]
}

fn is_frame(e: &Event) -> bool {
    matches!(e, Event::BytesReceived { .. })
}

/// Index of the `i`-th frame (mod count) in a node's queue.
fn frame_index(w: &World, n: usize, i: usize) -> Option<usize> {
    let frames: Vec<usize> =
        w.nodes[n].inbox.iter().enumerate().filter(|(_, e)| is_frame(e)).map(|(k, _)| k).collect();
    (!frames.is_empty()).then(|| frames[i % frames.len()])
}

fn run(ops: Vec<Op>) {
    let mut w = World::relay_and_clients(2);
    let docs = [doc_id(1), doc_id(2)];
    w.connect(1, 0);
    w.connect(2, 0);
    // Client 1 creates both documents; client 2 opens them (possibly before they reach the relay).
    w.create(1, docs[0], "genesis", "0");
    w.create(1, docs[1], "genesis", "1");
    w.open(2, docs[0]);
    w.open(2, docs[1]);
    let mut edits = 0;
    for op in ops {
        w.now += 100;
        match op {
            Op::Batch(n) => {
                w.deliver_batch(n);
            }
            Op::One(n) => {
                w.deliver_one(n);
            }
            Op::Edit(c, d) => {
                edits += 1;
                w.edit(c, docs[d as usize], &format!("k{c}-{edits}"), "v");
            }
            Op::Drop(n, i) => {
                if let Some(k) = frame_index(&w, n, i) {
                    w.nodes[n].inbox.remove(k);
                }
            }
            Op::Duplicate(n, i) => {
                if let Some(k) = frame_index(&w, n, i) {
                    let e = w.nodes[n].inbox[k].clone();
                    w.nodes[n].inbox.insert(k, e);
                }
            }
            Op::Swap(n, i, j) => {
                if let (Some(a), Some(b)) = (frame_index(&w, n, i), frame_index(&w, n, j)) {
                    w.nodes[n].inbox.swap(a, b);
                }
            }
            Op::Cut(l) => {
                let open: Vec<usize> = (0..w.links.len()).filter(|&i| w.links[i].open).collect();
                if !open.is_empty() {
                    w.cut(open[l % open.len()]);
                }
            }
            Op::Reconnect(c) => {
                if !w.links.iter().any(|l| l.open && l.client.0 == c) {
                    w.connect(c, 0);
                }
            }
            Op::HoldStores(n, hold) => {
                w.nodes[n].auto_store = !hold;
                if !hold {
                    w.nodes[n].complete_stores();
                }
            }
            Op::CompleteStore(n, i) => w.nodes[n].complete_one_store(i),
            Op::Tick => {
                w.now += 10 * 60 * 1000;
                w.tick(0);
            }
        }
    }
    // Heal: storage completes, every connection is replaced by a fresh one, and the network drains.
    for n in 0..3 {
        w.nodes[n].auto_store = true;
        w.nodes[n].complete_stores();
    }
    w.cut_all();
    w.run_until_quiet();
    w.connect(1, 0);
    w.connect(2, 0);
    w.run_until_quiet();
    for d in &docs {
        let on_1 = w.heads(1, d).expect("client 1 has the document");
        let on_2 = w.heads(2, d).expect("client 2 has the document");
        assert_eq!(on_1, on_2, "clients disagree on {d}");
        assert_eq!(w.nodes[0].stored_doc(d).get_heads(), on_1, "relay storage lags on {d}");
        assert_eq!(w.nodes[1].stored_doc(d).get_heads(), on_1, "client 1 storage lags on {d}");
    }
    // And once in sync, silence.
    let sent = w.frames_sent();
    for n in 0..3 {
        w.tick(n);
    }
    w.run_until_quiet();
    assert_eq!(w.frames_sent(), sent);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn two_clients_and_a_relay_converge_despite_a_faulty_network(ops in proptest::collection::vec(op(), 0..300)) {
        run(ops);
    }
}

#[test]
fn a_clean_network_converges_with_edits_on_both_sides() {
    run(vec![Op::Batch(1), Op::Batch(0), Op::Batch(2), Op::Edit(1, 0), Op::Edit(2, 1), Op::Batch(0)]);
}
