//! `tandem-idle`: idle and slowloris connections against the real relay binary, with the relay's
//! memory and an ordinary request's latency before, while they are held, and after the relay's
//! header timeout has had time to act.
//!
//! ```sh
//! cargo build -p tandem-server --bin tandem
//! cargo run -p tandem-tests --bin tandem-idle -- --idle 2000 --slow 300
//! TANDEM_BIN=/path/to/an/older/tandem cargo run -p tandem-tests --bin tandem-idle -- --relay-arg=
//! ```
//!
//! Idle connections connect and send nothing; slowloris connections send a request line and then
//! one header byte per second, never finishing the head. Arguments after `--relay-arg` go to
//! `tandem serve` (for example `--relay-arg=--max-connections=1000`); an empty one passes none,
//! for a binary that predates those flags.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Parser;
use tandem_tests::Relay;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

#[derive(Debug, Parser)]
#[command(name = "tandem-idle")]
struct Cli {
    /// Connections that connect and send nothing.
    #[arg(long, default_value_t = 2000)]
    idle: usize,
    /// Connections that send a request line and then a header byte a second.
    #[arg(long, default_value_t = 300)]
    slow: usize,
    /// Seconds to wait after opening them before the last measurement (the relay's default
    /// header timeout is 20 s).
    #[arg(long, default_value_t = 30)]
    observe_secs: u64,
    /// An argument for `tandem serve`; repeat for more. Empty ones are dropped.
    #[arg(long = "relay-arg", allow_hyphen_values = true)]
    relay_args: Vec<String>,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let dir = tempfile::tempdir()?;
    let args: Vec<&str> = cli.relay_args.iter().map(String::as_str).filter(|a| !a.is_empty()).collect();
    let relay = Relay::start(&dir.path().join("data"), &args)?;
    let (addr, pid) = (relay.addr(), relay.pid());
    println!("relay {} (pid {pid}), args {args:?}", tandem_tests::tandem_binary().display());
    println!(
        "{:<34} {:>9} {:>12} {:>12} {:>10} {:>10}",
        "", "RSS MB", "healthz p50", "healthz max", "idle open", "slow open"
    );
    report("before", pid, addr, &[], &[]).await?;

    // Every connection lives in a task that reports when the relay closed it.
    let mut idle = Vec::new();
    let mut tasks = JoinSet::new();
    for _ in 0..cli.idle {
        let (stream, open) = connect(addr).await?;
        idle.push(open.clone());
        tasks.spawn(hold(stream, open, None));
    }
    let mut slow = Vec::new();
    for _ in 0..cli.slow {
        let (stream, open) = connect(addr).await?;
        slow.push(open.clone());
        tasks.spawn(hold(stream, open, Some(Duration::from_secs(1))));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    report("2 s after opening them", pid, addr, &idle, &slow).await?;
    tokio::time::sleep(Duration::from_secs(cli.observe_secs.saturating_sub(2))).await;
    report(&format!("{} s after opening them", cli.observe_secs), pid, addr, &idle, &slow).await?;
    tasks.abort_all();
    relay.stop()?;
    Ok(())
}

type Open = std::sync::Arc<std::sync::atomic::AtomicBool>;

async fn connect(addr: SocketAddr) -> anyhow::Result<(TcpStream, Open)> {
    let stream = TcpStream::connect(addr).await.context("cannot connect to the relay")?;
    Ok((stream, Open::new(true.into())))
}

/// Holds `stream` until the relay closes it (a refusal's 503 counts as closed); with `trickle`,
/// sends a request line and then a header byte every `trickle`.
async fn hold(stream: TcpStream, open: Open, trickle: Option<Duration>) {
    let (mut reader, mut writer) = stream.into_split();
    let writing = async move {
        let Some(every) = trickle else { return std::future::pending().await };
        if writer.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n").await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(every).await;
            if writer.write_all(b"x").await.is_err() {
                return;
            }
        }
    };
    let reading = async move {
        let mut buf = [0u8; 512];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::select! {
        () = writing => {},
        () = reading => {},
    }
    open.store(false, std::sync::atomic::Ordering::SeqCst);
}

async fn report(label: &str, pid: u32, addr: SocketAddr, idle: &[Open], slow: &[Open]) -> anyhow::Result<()> {
    let mut latencies = Vec::new();
    let mut refused = 0;
    for _ in 0..20 {
        // Past the cap a request may be reset rather than answered 503 (the relay closes a socket
        // with the request unread): counted, not timed.
        match healthz(addr).await {
            Ok(latency) => latencies.push(latency),
            Err(_) => refused += 1,
        }
    }
    latencies.sort();
    if latencies.is_empty() {
        latencies.push(Duration::ZERO);
    }
    let count = |all: &[Open]| all.iter().filter(|o| o.load(std::sync::atomic::Ordering::SeqCst)).count();
    println!(
        "{label:<34} {:>9.1} {:>10.1}ms {:>10.1}ms {:>10} {:>10}  ({refused} of 20 reset)",
        rss_mb(pid)?,
        latencies[latencies.len() / 2].as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3,
        count(idle),
        count(slow)
    );
    Ok(())
}

/// One `GET /healthz` on a new connection, to its whole answer; a refusal (503) is an answer too.
async fn healthz(addr: SocketAddr) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n").await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .context("no answer to /healthz in 30 s")??;
    anyhow::ensure!(answer.starts_with(b"HTTP/1.1 "), "not an HTTP answer: {answer:?}");
    Ok(start.elapsed())
}

fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .context("no VmRSS in /proc/PID/status")?
        .parse()?;
    Ok(kb / 1024.0)
}
