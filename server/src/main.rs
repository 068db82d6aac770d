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

// One value per process, parsed once at startup: boxing the largest variant would save nothing.
#[allow(clippy::large_enum_variant)]
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
    /// Keep everything in this PostgreSQL database instead of SQLite in --data, so several relays
    /// can serve side by side (postgres://user:password@host:port/database).
    #[arg(long, env = "TANDEM_DATABASE_URL", hide_env_values = true)]
    database: Option<String>,
    /// Directory of the built web app, as written by `cargo xtask dist`.
    #[arg(long, env = "TANDEM_WEB_DIR", default_value = "web/dist")]
    web_dir: PathBuf,
    /// Largest WebSocket message accepted, in MiB; a peer sending more is disconnected. A
    /// document's first sync carries its whole history, so keep this generous.
    #[arg(long, env = "TANDEM_MAX_FRAME_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(16..=1024))]
    max_frame_mib: u32,
    /// The most a frame's automerge changes may inflate to, in MiB; a peer sending more is told so
    /// and disconnected before anything of it is inflated.
    #[arg(long, env = "TANDEM_MAX_INFLATED_MIB", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    max_inflated_mib: u32,
    /// Beyond the first MiB, the most a frame's compressed changes may inflate to per byte of
    /// frame (automerge's own compression of real documents stays under about 10).
    #[arg(long, env = "TANDEM_MAX_INFLATION_RATIO", default_value_t = 50, value_parser = clap::value_parser!(u64).range(2..=1100))]
    max_inflation_ratio: u64,
    /// Open sync connections one person may have at once (each tab of each device has one); one
    /// more is refused with 429 and Retry-After.
    #[arg(long, env = "TANDEM_MAX_SOCKETS_PER_PERSON", default_value_t = tandem_server::sync::DEFAULT_MAX_SOCKETS_PER_PERSON as u64, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    max_sockets_per_person: u64,
    /// Documents one person may create in an hour (claimed by the API or by a device's first
    /// sync); one more is refused with 429 and Retry-After (over sync: the protocol's error).
    #[arg(long, env = "TANDEM_MAX_NEW_DOCUMENTS_PER_HOUR", default_value_t = tandem_server::sync::DEFAULT_MAX_NEW_DOCUMENTS_PER_HOUR, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_new_documents_per_hour: u32,
    /// Bytes per second one person may send over sync, all their devices together; past it (and
    /// --sync-burst-bytes) their connections are read more slowly. Nothing is refused or lost.
    #[arg(long, env = "TANDEM_MAX_SYNC_BYTES_PER_SECOND", default_value_t = tandem_server::sync::rates::DEFAULT_BYTES_PER_SECOND, value_parser = clap::value_parser!(u64).range(1024..))]
    max_sync_bytes_per_second: u64,
    /// Bytes one person may send at once before --max-sync-bytes-per-second applies.
    #[arg(long, env = "TANDEM_SYNC_BURST_BYTES", default_value_t = tandem_server::sync::rates::DEFAULT_BURST_BYTES, value_parser = clap::value_parser!(u64).range(1024..))]
    sync_burst_bytes: u64,
    /// Connections the relay holds at once, of every kind (page loads, API calls, sync sockets,
    /// TLS handshakes). One more is answered 503 with Retry-After at once (on https, closed).
    /// Keep it under the open-file limit (ulimit -n), with room for the database's files.
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS", default_value_t = tandem_server::connections::DEFAULT_MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Seconds a connection may take to send a request's headers, counted from when it is ready
    /// for one (just opened, or kept alive after an answer): one that sends nothing, or its
    /// headers a byte at a time, is closed then. So also how long an idle connection stays open.
    #[arg(long, env = "TANDEM_HEADER_TIMEOUT_SECS", default_value_t = tandem_server::connections::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a document may go unused before it is dropped from memory (it stays stored).
    #[arg(long, env = "TANDEM_IDLE_EVICT_SECS", default_value_t = 300)]
    idle_evict_secs: u64,
    /// Mark the session cookie Secure: set this when devices reach the relay over https through a
    /// reverse proxy (with --trusted-proxy). Implied by --tls-cert.
    #[arg(long, env = "TANDEM_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Serve https with this certificate (PEM, the server's certificate first, then any
    /// intermediates). Both files are read again whenever they change, so renewals need no restart.
    #[arg(long, env = "TANDEM_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "TANDEM_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve https with a certificate obtained over ACME (Let's Encrypt unless --acme-directory
    /// says otherwise) for this public name; repeat for more names. The CA checks the name on
    /// its port 443, which must reach this relay (--addr 0.0.0.0:443, or a port forwarded to it).
    /// The account and certificate are kept in --data/acme and renewed before expiry. Using it
    /// agrees to the CA's terms of service.
    #[arg(long = "acme-domain", env = "TANDEM_ACME_DOMAINS", value_delimiter = ',', conflicts_with_all = ["tls_cert", "tls_key"])]
    acme_domains: Vec<String>,
    /// How the CA may reach the school's IT about the certificate (for example
    /// mailto:it@school.example); repeat for more.
    #[arg(
        long = "acme-contact",
        env = "TANDEM_ACME_CONTACTS",
        value_delimiter = ',',
        requires = "acme_domains"
    )]
    acme_contacts: Vec<String>,
    /// The ACME CA's directory URL.
    #[arg(long, env = "TANDEM_ACME_DIRECTORY", default_value = tandem_server::tls::acme::LETS_ENCRYPT)]
    acme_directory: String,
    /// Renew the ACME certificate once it has fewer than this many days left.
    #[arg(long, env = "TANDEM_ACME_RENEW_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    acme_renew_days: u32,
    /// For testing against a private ACME CA only: trust this root (PEM) for the CA's own https
    /// instead of the system's roots.
    #[arg(long, env = "TANDEM_ACME_CA_ROOT", hide = true)]
    acme_ca_root: Option<PathBuf>,
    /// With https: also listen here for plain HTTP, which only redirects to the https address
    /// (for example 0.0.0.0:80, so typing the bare host name works).
    #[arg(long, env = "TANDEM_HTTP_REDIRECT_ADDR")]
    http_redirect_addr: Option<SocketAddr>,
    /// A reverse proxy in front of the relay (an address or CIDR range; repeat, or separate with
    /// commas). Only from these peers is X-Forwarded-For (or, without it, Forwarded) believed, so
    /// sign-in throttling and logs see the device's address. The proxy must set X-Forwarded-For.
    #[arg(long = "trusted-proxy", env = "TANDEM_TRUSTED_PROXIES", value_delimiter = ',')]
    trusted_proxies: Vec<tandem_server::client_addr::Cidr>,
    /// A page origin besides the relay's own (scheme://host[:port]) allowed to open /sync and to
    /// change things through the API with a person's cookie: for a relay behind a proxy that
    /// rewrites the Host header. Repeat, or separate with commas.
    #[arg(long = "allowed-origin", env = "TANDEM_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
    /// The bearer token /metrics asks for (Authorization: Bearer <token>). Without one, /metrics
    /// answers only requests from this machine.
    #[arg(long, env = "TANDEM_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Hours a session may go unused before it ends and its person signs in again (their open
    /// sockets close). Access tokens do not idle out; they expire.
    #[arg(long, env = "TANDEM_SESSION_IDLE_HOURS", default_value_t = 168, value_parser = clap::value_parser!(u64).range(1..=24 * 365))]
    session_idle_hours: u64,
    /// Hours an invitation link works when its coordinator does not say otherwise (fractions
    /// allowed: 0.5 is half an hour; at most 720, thirty days).
    #[arg(long, env = "TANDEM_INVITATION_HOURS", default_value_t = 168.0, value_parser = invitation_hours)]
    invitation_hours: f64,
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
        // Blocking work (argon2, database statements, PostgreSQL's client too, the storage writer's
        // reply), so off the async runtime.
        Command::Admin(args) => {
            tokio::task::spawn_blocking(move || tandem_server::admin::run(args, &mut std::io::stdout()))
                .await?
        }
        Command::Sync(args) => cli_sync::run(args).await,
    }
}

/// `--invitation-hours`: a positive number of hours, at most thirty days (the longest an
/// invitation may last), and at least a millisecond once converted.
fn invitation_hours(text: &str) -> Result<f64, String> {
    let hours: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of hours"))?;
    if hours.is_finite() && hours * 3_600_000.0 >= 1.0 && hours <= 720.0 {
        Ok(hours)
    } else {
        Err("an invitation lasts more than nothing and at most 720 hours (30 days)".to_owned())
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
        limits: tandem_sync::bounds::Limits {
            max_inflated_bytes: u64::from(args.max_inflated_mib) * 1024 * 1024,
            max_inflation_ratio: args.max_inflation_ratio,
        },
        idle_evict_after: Duration::from_secs(args.idle_evict_secs),
        max_sockets_per_person: args.max_sockets_per_person as usize,
        max_new_documents_per_hour: args.max_new_documents_per_hour,
        rate: tandem_server::sync::rates::Rate {
            bytes_per_second: args.max_sync_bytes_per_second,
            burst_bytes: args.sync_burst_bytes,
        },
        ..SyncConfig::default()
    };
    let https = https_source(&args)?;
    let trusted_proxies = tandem_server::client_addr::TrustedProxies(args.trusted_proxies.clone());
    let secure_cookies = args.secure_cookies || https.is_some();
    let auth = tandem_server::api::AuthConfig {
        secure_cookies,
        allowed_origins: args.allowed_origins.clone(),
        metrics_token: args.metrics_token.clone(),
        session_idle: Duration::from_secs(args.session_idle_hours * 3600),
        invitation_lifetime: Duration::from_secs_f64(args.invitation_hours * 3600.0),
        ..Default::default()
    };
    let http = tandem_server::connections::HttpLimits {
        max_connections: args.max_connections as usize,
        header_timeout: Duration::from_secs(args.header_timeout_secs),
    };
    tandem_server::connections::warn_if_over_open_file_limit(http.max_connections);
    let config = Config {
        data_dir: args.data,
        database: args.database,
        web_dir: args.web_dir,
        sync,
        auth,
        trusted_proxies,
        http,
    };
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
    tracing::info!(database = %state.storage.location().describe(), web_dir = %config.web_dir.display(), "storage ready");
    let listener = bind(args.addr).await?;
    let addr = listener.local_addr()?;
    let Some(https) = https else {
        if !addr.ip().is_loopback() && config.trusted_proxies.is_empty() {
            tracing::warn!(
                "serving plain http to the network: browsers on other devices will not install the offline app \
                 (it needs https). Give --tls-cert and --tls-key (or --acme-domain for a public name), or put an https proxy in front \
                 (--trusted-proxy); `tandem admin self-signed` makes a certificate to try it with"
            );
        }
        if !config.trusted_proxies.is_empty() && !args.secure_cookies {
            tracing::warn!(
                "behind a proxy without --secure-cookies: if the proxy serves https to devices (the offline app \
                 needs it), add --secure-cookies so the session cookie never travels unencrypted"
            );
        }
        // Scripts and tests read this line to learn the address (port 0 picks a free one).
        println!("Tandem is running at http://{addr}/");
        std::io::stdout().flush()?;
        return tandem_server::run(listener, state, shutdown_signal()).await;
    };
    let tls = match https {
        Https::Files(cert, key) => tandem_server::tls::Tls::from_files(cert, key)?,
        Https::Acme(acme) => {
            let tls = tandem_server::tls::Tls::awaiting_acme()?;
            let (certs, clock) = (tls.certs.clone(), state.clock.clone());
            tandem_server::tls::acme::start(acme, certs, clock, state.shutdown.subscribe())?;
            tls
        }
    };
    let redirect = match args.http_redirect_addr {
        Some(redirect_addr) => Some(bind(redirect_addr).await?),
        None => None,
    };
    println!("Tandem is running at https://{addr}/");
    if let Some(redirect) = &redirect {
        println!("Plain http at http://{}/ redirects to https", redirect.local_addr()?);
    }
    std::io::stdout().flush()?;
    tandem_server::run_https(listener, tls, redirect, state, shutdown_signal()).await
}

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}; is another relay running there?"))
}

/// Where the relay's https certificate comes from.
enum Https {
    /// `--tls-cert` and `--tls-key`, followed on disk.
    Files(PathBuf, PathBuf),
    /// `--acme-domain`: obtained and renewed by the relay.
    Acme(tandem_server::tls::acme::AcmeConfig),
}

/// How the relay serves https, if it does; refuses settings that would start a relay whose
/// sign-in cannot work or whose flags do nothing.
fn https_source(args: &ServeArgs) -> anyhow::Result<Option<Https>> {
    let https = if let Some((cert, key)) = args.tls_cert.clone().zip(args.tls_key.clone()) {
        Some(Https::Files(cert, key))
    } else if !args.acme_domains.is_empty() {
        let acme = tandem_server::tls::acme::AcmeConfig {
            domains: args.acme_domains.clone(),
            contacts: args.acme_contacts.clone(),
            directory: args.acme_directory.clone(),
            ca_root: args.acme_ca_root.clone(),
            renew_before: Duration::from_secs(u64::from(args.acme_renew_days) * 86_400),
            dir: args.data.join("acme"),
        };
        acme.check()?;
        Some(Https::Acme(acme))
    } else {
        None
    };
    if https.is_none() && args.secure_cookies && args.trusted_proxies.is_empty() {
        anyhow::bail!(
            "--secure-cookies without https: browsers would drop the session cookie and nobody could sign in. \
             Serve https here (--tls-cert and --tls-key, or --acme-domain), or, if an https proxy is in front \
             of the relay, name it with --trusted-proxy"
        );
    }
    if https.is_none() && args.http_redirect_addr.is_some() {
        anyhow::bail!(
            "--http-redirect-addr redirects to the relay's https, but the relay serves plain http: \
             add --tls-cert and --tls-key (or --acme-domain), or drop --http-redirect-addr"
        );
    }
    Ok(https)
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
