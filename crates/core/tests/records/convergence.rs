//! Property: three replicas editing concurrently, merging and syncing in any order and through
//! any partition, end identical, and lose no character that nobody deleted.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tandem_core::automerge::sync::State;
use tandem_core::model::ObservationStatus;
use tandem_core::ops::observation::{self as o, ObservationText as OT};
use tandem_core::{Doc, Error, Observation, Timestamp, UserId, conflict};

use super::support::*;

#[derive(Debug, Clone)]
enum Step {
    /// Splice into one of the texts the replica can see; positions are fractions of its length.
    Splice {
        replica: usize,
        field: u8,
        pos: f64,
        delete: usize,
        insert_len: usize,
    },
    AddNote {
        replica: usize,
    },
    DeleteNote {
        replica: usize,
        which: f64,
    },
    SetStatus {
        replica: usize,
        status: usize,
    },
    Commit {
        replica: usize,
    },
    /// `to` merges everything `from` has.
    Merge {
        from: usize,
        to: usize,
    },
    /// One round trip of the automerge sync protocol between two replicas.
    Sync {
        a: usize,
        b: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let r = 0..3usize;
    prop_oneof![
        6 => (r.clone(), 0..4u8, 0.0..=1.0f64, 0..4usize, 0..5usize).prop_map(
            |(replica, field, pos, delete, insert_len)| Step::Splice { replica, field, pos, delete, insert_len }
        ),
        2 => r.clone().prop_map(|replica| Step::AddNote { replica }),
        1 => (r.clone(), 0.0..1.0f64).prop_map(|(replica, which)| Step::DeleteNote { replica, which }),
        1 => (r.clone(), 0..5usize).prop_map(|(replica, status)| Step::SetStatus { replica, status }),
        2 => r.clone().prop_map(|replica| Step::Commit { replica }),
        2 => (r.clone(), r.clone()).prop_map(|(from, to)| Step::Merge { from, to }),
        2 => (r.clone(), r).prop_map(|(a, b)| Step::Sync { a, b }),
    ]
}

struct World {
    replicas: Vec<Doc<Observation>>,
    users: Vec<UserId>,
    sync_states: Vec<Vec<State>>,
    /// Every character ever inserted (each one unique), with the note it went into (`None` for
    /// the observation's own texts), and every character ever deleted.
    inserted: BTreeMap<char, Option<String>>,
    deleted: BTreeSet<char>,
    next_char: u32,
    next_note: usize,
    clock: i64,
}

impl World {
    fn new() -> World {
        let mut first = observation();
        o::add_note(&mut first, &mentor(), at(0), "n0", "", &[]).unwrap();
        first.commit();
        let replicas = vec![first.fork(device("r0")), first.fork(device("r1")), first.fork(device("r2"))];
        World {
            replicas,
            users: vec![mentor(), associate(), UserId::new("u-coach")],
            sync_states: (0..3).map(|_| (0..3).map(|_| State::new()).collect()).collect(),
            inserted: BTreeMap::new(),
            deleted: BTreeSet::new(),
            next_char: 0x4E00,
            next_note: 1,
            clock: 0,
        }
    }

    fn fresh_text(&mut self, len: usize, note: Option<&str>) -> String {
        (0..len)
            .map(|_| {
                let c = char::from_u32(self.next_char).unwrap();
                self.next_char += 1;
                self.inserted.insert(c, note.map(str::to_owned));
                c
            })
            .collect()
    }

    fn apply(&mut self, step: &Step) {
        self.clock += 1;
        let t = Timestamp(T0.0 + self.clock);
        match *step {
            Step::Splice { replica, field, pos, delete, insert_len } => {
                let obs = self.replicas[replica].read().unwrap();
                let note_ids: Vec<String> = obs.notes.iter().map(|n| n.id.clone()).collect();
                let (field, current, note) = match field {
                    0 => (OT::OpeningStrength, obs.opening_strength.clone(), None),
                    1 => (OT::Reflection, obs.reflection.clone(), None),
                    _ if note_ids.is_empty() => return,
                    _ => {
                        let i = (pos * note_ids.len() as f64) as usize % note_ids.len();
                        let id = note_ids[i].as_str();
                        (OT::Note(id), obs.notes[i].text.clone(), Some(id))
                    }
                };
                let chars: Vec<char> = current.chars().collect();
                let at = ((pos * chars.len() as f64) as usize).min(chars.len());
                let delete = delete.min(chars.len() - at);
                let insert = self.fresh_text(insert_len, note);
                self.deleted.extend(&chars[at..at + delete]);
                o::splice(&mut self.replicas[replica], &self.users[replica], t, field, at, delete, &insert)
                    .unwrap();
            }
            Step::AddNote { replica } => {
                let id = format!("n{}", self.next_note);
                self.next_note += 1;
                let text = self.fresh_text(2, Some(&id));
                o::add_note(&mut self.replicas[replica], &self.users[replica], t, &id, &text, &[]).unwrap();
            }
            Step::DeleteNote { replica, which } => {
                let obs = self.replicas[replica].read().unwrap();
                if obs.notes.is_empty() {
                    return;
                }
                let note = &obs.notes[(which * obs.notes.len() as f64) as usize % obs.notes.len()];
                // Deleting a note deletes its text, including what others typed into it
                // concurrently; the final check accounts for that through the note ids.
                match o::delete_note(&mut self.replicas[replica], &self.users[replica], t, &note.id) {
                    Ok(()) | Err(Error::NotFound { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            Step::SetStatus { replica, status } => {
                let s = ObservationStatus::ALL[status];
                o::set_status(&mut self.replicas[replica], &self.users[replica], t, s).unwrap();
            }
            Step::Commit { replica } => {
                self.replicas[replica].commit();
            }
            Step::Merge { from, to } if from != to => {
                let (a, b) = pair_mut(&mut self.replicas, to, from);
                a.merge(b).unwrap();
            }
            Step::Sync { a, b } if a != b => {
                let msg = {
                    let state = &mut self.sync_states[a][b];
                    self.replicas[a].generate_sync_message(state)
                };
                if let Some(msg) = msg {
                    let state = &mut self.sync_states[b][a];
                    self.replicas[b].receive_sync_message(state, msg).unwrap();
                }
            }
            Step::Merge { .. } | Step::Sync { .. } => {}
        }
    }

    /// Everyone merges everyone: the network heals.
    fn settle(&mut self) {
        for _ in 0..2 {
            for i in 0..3 {
                for j in 0..3 {
                    if i != j {
                        let (a, b) = pair_mut(&mut self.replicas, i, j);
                        a.merge(b).unwrap();
                    }
                }
            }
        }
    }
}

fn pair_mut<T>(v: &mut [T], a: usize, b: usize) -> (&mut T, &mut T) {
    assert_ne!(a, b);
    if a < b {
        let (left, right) = v.split_at_mut(b);
        (&mut left[a], &mut right[0])
    } else {
        let (left, right) = v.split_at_mut(a);
        (&mut right[0], &mut left[b])
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn three_replicas_end_identical_and_keep_every_character_nobody_deleted(
        steps in prop::collection::vec(step(), 1..40)
    ) {
        let mut world = World::new();
        for step in &steps {
            world.apply(step);
        }
        world.settle();

        let reads: Vec<Observation> = world.replicas.iter().map(|r| r.read().unwrap()).collect();
        prop_assert_eq!(&reads[0], &reads[1]);
        prop_assert_eq!(&reads[1], &reads[2]);
        let heads: Vec<_> = world.replicas.iter_mut().map(|r| r.heads()).collect();
        prop_assert_eq!(&heads[0], &heads[1]);
        prop_assert_eq!(&heads[1], &heads[2]);
        let conflicts: Vec<_> = world.replicas.iter_mut().map(conflict::observation).collect();
        prop_assert_eq!(&conflicts[0], &conflicts[1]);
        prop_assert_eq!(&conflicts[1], &conflicts[2]);

        let obs = &reads[0];
        let mut present: Vec<char> = obs.opening_strength.chars().chain(obs.reflection.chars()).collect();
        for note in &obs.notes {
            present.extend(note.text.chars());
        }
        let present: BTreeSet<char> = present.into_iter().collect();
        let live_notes: BTreeSet<&str> = obs.notes.iter().map(|n| n.id.as_str()).collect();
        for (c, note) in &world.inserted {
            let note_alive = note.as_deref().is_none_or(|id| live_notes.contains(id));
            if note_alive && !world.deleted.contains(c) {
                prop_assert!(present.contains(c), "character {:?} was inserted, never deleted, and is gone", c);
            }
        }
        for c in &present {
            prop_assert!(world.inserted.contains_key(c), "character {:?} appeared from nowhere", c);
        }
    }
}
