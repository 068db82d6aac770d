//! `tandem-bombs`: what frames built to cost more than their size do to a relay: its memory
//! before and after, and another person's round trip while the relay handles one.
//!
//! ```sh
//! cargo build -p tandem-server --bin tandem
//! cargo run -p tandem-tests --bin tandem-bombs                      # target/debug/tandem
//! TANDEM_BIN=/path/to/an/older/tandem cargo run -p tandem-tests --bin tandem-bombs
//! ```
//!
//! Each frame goes to a relay of its own (a fresh process), so each peak is its own.

use std::process::ExitCode;

use tandem_tests::bombs::{Bomb, measure};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    println!("relay binary: {}", tandem_tests::tandem_binary().display());
    println!(
        "{:<40} {:>9} {:>11} {:>11} {:>11} {:>16} {:>13}  answer",
        "frame", "size KB", "RSS MB", "peak MB", "idle RT", "slowest RT (n)", "answered in"
    );
    let mut failed = false;
    for bomb in Bomb::MEASURED {
        match measure(bomb).await {
            Ok(f) => println!(
                "{:<40} {:>9} {:>11} {:>11} {:>11.1?} {:>11.1?} ({:>2}) {:>13.1?}  {}",
                f.bomb.to_string(),
                f.frame_kb,
                f.rss_before_mb,
                f.peak_after_mb,
                f.idle_round_trip,
                f.slowest_round_trip_during,
                f.round_trips_during,
                f.answered_after,
                f.answer.as_deref().unwrap_or("(closed without an error message)"),
            ),
            Err(error) => {
                eprintln!("{bomb}: {error:#}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
