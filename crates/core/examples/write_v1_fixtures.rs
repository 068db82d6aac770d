//! One-off generator of the frozen schema-1 fixtures. Run once, then deleted: fixtures are never
//! regenerated.

use tandem_core::automerge::ActorId;
use tandem_core::model::GoalStatus;
use tandem_core::ops::goals as g;
use tandem_core::{Doc, Timestamp, UserId};

fn main() {
    let now = Timestamp(1_772_442_000_000); // 2026-03-02T09:00:00Z
    let mut demo = tandem_core::sample::demo(
        |user: &UserId| ActorId::from(user.as_str().as_bytes()),
        |name| format!("fixture:{name}"),
        now,
    )
    .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(dir.join(name), bytes).unwrap();

    write("program.automerge", demo.program.1.save());
    let pair = &mut demo.pairs[0];
    write("pair-index.automerge", pair.index.1.save());
    write("goals.automerge", pair.goals.1.save());
    write("mentor-notes.automerge", pair.mentor_notes.1.save());
    write("observation-acknowledged.automerge", pair.observations[0].1.save());
    write("observation-draft.automerge", pair.observations[1].1.save());

    // Goals with an unresolved status conflict: the mentor says achieved, the associate dropped it.
    let goals = &mut demo.pairs[1].goals.1;
    let mut phone: Doc<_> = goals.fork(ActorId::from(b"u-sami-haddad-phone".as_slice()));
    let (mentor, associate) = (UserId::new("u-erik-lindqvist"), UserId::new("u-sami-haddad"));
    g::set_status(goals, &mentor, Timestamp(now.0 + 60_000), "g-cold-call", GoalStatus::Achieved).unwrap();
    g::drop_goal(&mut phone, &associate, Timestamp(now.0 + 120_000), "g-cold-call", "Changing schools")
        .unwrap();
    goals.merge(&mut phone).unwrap();
    write("goals-conflicted.automerge", goals.save());
}
