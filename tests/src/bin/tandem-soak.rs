//! `tandem-soak`: the long versions of the fault tests, against the real relay binary.
//!
//! ```sh
//! cargo xtask soak                       # 100 fault schedules (seeds 1..=100)
//! cargo xtask soak --schedules 500 --seed 1000
//! cargo xtask soak --schedules 0 --kills 100 --writers 4
//! ```
//!
//! Each schedule is seeded (`tandem_tests::faults`): a failing one is run again alone with
//! `--schedules 1 --seed N`. The end-to-end tests run a few of the same schedules.

use std::process::ExitCode;

use clap::Parser;
use tandem_tests::{Relay, faults, kills};

/// Fault schedules between real clients and the relay.
#[derive(Debug, Parser)]
#[command(name = "tandem-soak")]
struct Cli {
    /// How many fault schedules to run.
    #[arg(long, default_value_t = 100)]
    schedules: u64,
    /// The first schedule's seed; the others follow it. Also seeds the kills' moments.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// SIGKILLs of the relay at random moments under concurrent writers (after the schedules).
    #[arg(long, default_value_t = 0)]
    kills: u64,
    /// Concurrent writers during the kills.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    writers: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match soak(&cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tandem-soak failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn soak(cli: &Cli) -> anyhow::Result<()> {
    if cli.schedules > 0 {
        let data = tempfile::tempdir()?;
        let relay = Relay::start(data.path(), &[])?;
        let token = tandem_tests::test_person_token(data.path(), "soak@test.example")?;
        let reports =
            faults::run_schedules(relay.addr(), &token, cli.seed, cli.schedules, |r| println!("{r}")).await?;
        println!("{}", faults::summary(&reports));
    }
    if cli.kills > 0 {
        let report = kills::run_kills(cli.kills, cli.writers as usize, cli.seed, |kill, acked| {
            println!("kill {kill:>4}: integrity ok, {acked} acknowledged edits all in the database")
        })
        .await?;
        println!("{report}");
    }
    Ok(())
}
