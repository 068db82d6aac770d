//! Shared fixtures for the behaviour tests: people, devices, times, syncing.

use tandem_core::automerge::ActorId;
use tandem_core::automerge::sync::State;
use tandem_core::model::ContextInit;
use tandem_core::{Date, Doc, Goals, Observation, Schema, Timestamp, UserId, genesis};

/// 2026-03-02T09:00:00Z, a Monday morning.
pub const T0: Timestamp = Timestamp(1_772_442_000_000);

pub fn at(minutes: i64) -> Timestamp {
    Timestamp(T0.0 + minutes * 60_000)
}

pub fn mentor() -> UserId {
    UserId::new("u-mentor")
}

pub fn associate() -> UserId {
    UserId::new("u-associate")
}

pub fn coordinator() -> UserId {
    UserId::new("u-coordinator")
}

/// A device's actor id (deterministic, so failures reproduce).
pub fn device(name: &str) -> ActorId {
    ActorId::from(name.as_bytes())
}

pub fn today() -> Date {
    T0.date()
}

pub fn context() -> ContextInit {
    ContextInit {
        date: Some(today()),
        class: "7B".into(),
        period: "2".into(),
        subject: "English".into(),
        lesson_focus: "Persuasive openings".into(),
        watch_for: "Do I talk too much?".into(),
    }
}

/// A draft observation started by the mentor on the tablet.
pub fn observation() -> Doc<Observation> {
    genesis::observation(
        device("mentor-tablet"),
        &mentor(),
        T0,
        "pair-1",
        &mentor(),
        &associate(),
        &context(),
    )
}

pub fn goals() -> Doc<Goals> {
    genesis::goals(device("mentor-tablet"), &mentor(), T0, "pair-1")
}

/// The same document on the associate's phone (as after a first sync).
pub fn on_phone<S: Schema>(doc: &mut Doc<S>) -> Doc<S> {
    let bytes = doc.save();
    Doc::load(&bytes, device("associate-phone")).unwrap()
}

/// Runs automerge's sync protocol between two replicas until neither has anything to send.
pub fn sync<S: Schema>(a: &mut Doc<S>, b: &mut Doc<S>) {
    let (mut sa, mut sb) = (State::new(), State::new());
    for _ in 0..20 {
        let to_b = a.generate_sync_message(&mut sa);
        if let Some(m) = &to_b {
            b.receive_sync_message(&mut sb, m.clone()).unwrap();
        }
        let to_a = b.generate_sync_message(&mut sb);
        if let Some(m) = &to_a {
            a.receive_sync_message(&mut sa, m.clone()).unwrap();
        }
        if to_b.is_none() && to_a.is_none() {
            return;
        }
    }
    panic!("sync did not finish in 20 rounds");
}
