//! The SIGKILL soak, short and seeded (`cargo xtask soak --kills 100` is the long one; see
//! `tandem_tests::kills`): the relay killed at random moments under concurrent writers, its
//! database intact and holding every acknowledged change after each kill.

use tandem_tests::kills;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkills_at_random_moments_under_concurrent_writers_leave_an_intact_database_with_every_acknowledged_change()
 {
    let report =
        kills::run_kills(5, 3, 7, |kill, acked| eprintln!("kill {kill}: {acked} acknowledged edits held"))
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
    eprintln!("{report}");
    assert_eq!(report.kills, 5);
    assert!(report.acknowledged_checked > 0, "no edit was acknowledged before the last kill");
}
