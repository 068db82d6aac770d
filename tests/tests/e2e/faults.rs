//! A faulty network between real clients and the real relay, short and seeded: a handful of
//! the schedules `cargo xtask soak` runs a hundred of (see `tandem_tests::faults`). Each cuts
//! connections at random bytes, duplicates, reorders, delays (up to 2 s) and stalls frames while
//! two clients edit one document; every one must converge with nothing acknowledged lost, a
//! bounded number of frames per edit, and silence afterwards.

use tandem_tests::{Relay, faults};

/// The seeds CI runs; the soak runs 1..=100 (and more with --schedules).
const SEEDS: std::ops::Range<u64> = 1..5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeded_fault_schedules_converge_lose_nothing_acknowledged_and_stay_within_the_frames_per_edit_bound()
{
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), &[]).unwrap();
    let token = tandem_tests::test_person_token(data.path(), "faults@test.example").unwrap();
    let reports = faults::run_schedules(relay.addr(), &token, SEEDS.start, SEEDS.end - SEEDS.start, |r| {
        eprintln!("{r}")
    })
    .await
    .unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("{}", faults::summary(&reports));
    // The schedules are seeded to include every kind of fault at least once between them.
    let total = |f: fn(&faults::ScheduleReport) -> u64| reports.iter().map(f).sum::<u64>();
    assert!(total(|r| r.cuts) > 0, "no schedule cut a connection");
    assert!(total(|r| r.duplicates) > 0, "no schedule duplicated a frame");
    assert!(total(|r| r.reordered) > 0, "no schedule reordered frames");
    assert!(total(|r| r.delayed) > 0, "no schedule delayed a frame");
}
