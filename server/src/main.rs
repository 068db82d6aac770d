//! `tandem`: the command line around the relay library.

use std::{io::Write, net::SocketAddr, path::PathBuf, time::Duration};

mod cli_sync;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use tandem_server::{AppState, Config, sync::SyncConfig};
use tracing_subscriber::EnvFilter;

/// Tandem: offline-first mentoring records for teacher residencies.
///
/// The relay keeps every document, syncs mentors' and associates' devices, and serves the web app.
#[derive(Debug, Parser)]
#[command(name = "tandem", version)]
struct Cli {
    /// How log lines are written: `text` for people, `json` for log collectors.
    #[arg(long, env = "TANDEM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the relay: sync endpoint, web app and health check, on one address.
    ///
    /// Stops cleanly on Ctrl-C or SIGTERM, finishing requests already under way. Log verbosity
    /// follows RUST_LOG (default: info).
    Serve(ServeArgs),
    /// Set up programs, people, pairs, roles and access tokens in a data directory's database.
    Admin(tandem_server::admin::AdminArgs),
    /// A one-shot sync client for scripts: create, show or append to a document through a relay.
    Sync(cli_sync::SyncArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on. Use 0.0.0.0:8080 to accept devices on the school network; port 0
    /// picks a free port.
    #[arg(long, env = "TANDEM_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory for the database (tandem.sqlite3); created when missing. Back this up.
    #[arg(long, env = "TANDEM_DATA", default_value = "./tandem-data")]
    data: PathBuf,
    /// Directory of the built web app, as written by `cargo xtask dist`.
    #[arg(long, env = "TANDEM_WEB_DIR", default_value = "web/dist")]
    web_dir: PathBuf,
    /// Largest WebSocket message accepted, in MiB; a peer sending more is disconnected. A
    /// document's first sync carries its whole history, so keep this generous.
    #[arg(long, env = "TANDEM_MAX_FRAME_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(16..=1024))]
    max_frame_mib: u32,
    /// Seconds a document may go unused before it is dropped from memory (it stays stored).
    #[arg(long, env = "TANDEM_IDLE_EVICT_SECS", default_value_t = 300)]
    idle_evict_secs: u64,
    /// Mark the session cookie Secure: set this when devices reach the relay over https (for
    /// example behind a reverse proxy).
    #[arg(long, env = "TANDEM_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Load a sample residency with known sign-ins (printed at start) to try Tandem with.
    #[arg(long)]
    demo: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin(args) => tandem_server::admin::run(args, &mut std::io::stdout()),
        Command::Sync(args) => cli_sync::run(args).await,
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let sync = SyncConfig {
        max_frame_bytes: args.max_frame_mib as usize * 1024 * 1024,
        idle_evict_after: Duration::from_secs(args.idle_evict_secs),
        ..SyncConfig::default()
    };
    let auth = tandem_server::api::AuthConfig { secure_cookies: args.secure_cookies, ..Default::default() };
    let config = Config { data_dir: args.data, web_dir: args.web_dir, sync, auth };
    let state = AppState::open(&config)?;
    if args.demo {
        let storage = state.storage.clone();
        let now = state.now_ms();
        let sign_ins =
            tokio::task::spawn_blocking(move || tandem_server::demo::load(&storage, now)).await??;
        // Standard error, so the first line on standard output stays the address.
        eprintln!("Demo mode: sign in as any of these, password \"{}\":", tandem_server::demo::DEMO_PASSWORD);
        for s in sign_ins {
            eprintln!("  {:<20} {} ({})", s.email, s.name, s.role.as_str());
        }
    }
    tracing::info!(database = %state.storage.path().display(), web_dir = %config.web_dir.display(), "storage ready");
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("cannot listen on {}; is another relay running there?", args.addr))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to learn the address (port 0 picks a free one).
    println!("Tandem is running at http://{addr}/");
    std::io::stdout().flush()?;
    tandem_server::run(listener, state, shutdown_signal()).await
}

/// Completes on Ctrl-C or SIGTERM (what systemd and container runtimes send).
async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.expect("cannot listen for Ctrl-C");
    };
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("cannot listen for SIGTERM")
            .recv()
            .await;
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing open requests");
}
