//! The relays under test as child processes: ours (`target/release/tandem`) on SQLite, on
//! PostgreSQL, or two of ours side by side on one PostgreSQL; or the reference automerge-repo sync
//! server (node, through `tests/load/reference-server.mjs`). Each listens on a free loopback port
//! and keeps its data in a temporary directory (or a PostgreSQL schema) that goes away with it.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, bail};
use tandem_testdb::TestDatabase;

/// How long a server may take to print its address.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Which relay to put under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Our relay, `tandem serve`, on SQLite.
    Tandem,
    /// Our relay on PostgreSQL.
    TandemPostgres,
    /// Two of our relays on one PostgreSQL: client `2i` syncs through the first, `2i + 1` through
    /// the second, so every edit measured crosses from one relay to the other.
    TwoRelays,
    /// The reference `@automerge/automerge-repo-sync-server` on node.
    Reference,
}

impl Target {
    /// How many relay processes serve the clients.
    pub fn relays(self) -> usize {
        if self == Self::TwoRelays { 2 } else { 1 }
    }

    pub fn on_postgres(self) -> bool {
        matches!(self, Self::TandemPostgres | Self::TwoRelays)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tandem => "tandem",
            Self::TandemPostgres => "tandem-postgres",
            Self::TwoRelays => "two-relays",
            Self::Reference => "reference",
        })
    }
}

/// Where the programs are.
#[derive(Debug, Clone)]
pub struct Programs {
    /// The release `tandem` binary.
    pub tandem: PathBuf,
    /// The `node` executable.
    pub node: PathBuf,
    /// `tests/load/reference-server.mjs`.
    pub reference_script: PathBuf,
}

/// The database a PostgreSQL target's relays share.
#[derive(Debug)]
enum Database {
    /// A schema of its own from `tandem-testdb`, dropped with this value.
    Test(TestDatabase),
    /// The `--database` given on the command line, left as it is.
    Given(String),
}

impl Database {
    fn url(&self) -> &str {
        match self {
            Self::Test(database) => database.url(),
            Self::Given(url) => url,
        }
    }
}

/// The relays of one run. Dropping it kills every process and removes their data.
#[derive(Debug)]
pub struct Relays {
    // Dropped (killed) before the database they write into.
    servers: Vec<Server>,
    database: Option<Database>,
}

impl Relays {
    /// Starts `target`'s relays; PostgreSQL targets use `database` if given, else a fresh schema
    /// from `tandem-testdb` (which starts the machine's PostgreSQL if it has to). `run` tells runs
    /// of one invocation apart, so a given database can take several.
    pub fn start(
        target: Target,
        programs: &Programs,
        database: Option<&str>,
        run: usize,
    ) -> anyhow::Result<Self> {
        let database = match (target.on_postgres(), database) {
            (false, _) => None,
            (true, Some(url)) => Some(Database::Given(url.to_owned())),
            (true, None) => Some(Database::Test(TestDatabase::create().context(
                "no PostgreSQL server for the PostgreSQL targets: install Debian's postgresql, or pass --database",
            )?)),
        };
        let url = database.as_ref().map(Database::url);
        let mut servers = Vec::new();
        for _ in 0..target.relays() {
            // One after the other: the first migrates the schema before the second opens it.
            servers.push(Server::start(target, programs, url)?);
        }
        if target != Target::Reference {
            // Our relays sync only with people who signed in; every client is the same mentor.
            let token = person_token(&programs.tandem, &servers[0].data.path().join("data"), url, run)?;
            for server in &mut servers {
                server.sync_url = format!("{}sync?token={token}", server.sync_url);
            }
        }
        Ok(Self { servers, database })
    }

    /// The WebSocket URLs clients sync through, one per relay.
    pub fn sync_urls(&self) -> Vec<String> {
        self.servers.iter().map(|server| server.sync_url.clone()).collect()
    }

    /// `host:port` of each of our relays' `/metrics` (none for the reference server).
    pub fn metrics_addresses(&self) -> Vec<String> {
        self.servers.iter().filter_map(|server| server.metrics_address.clone()).collect()
    }

    pub fn pids(&self) -> Vec<u32> {
        self.servers.iter().map(|server| server.child.id()).collect()
    }

    /// The PostgreSQL connection string the relays use, if they use one.
    pub fn database_url(&self) -> Option<&str> {
        self.database.as_ref().map(Database::url)
    }
}

/// One running server process. Dropping it kills the process and removes its data.
#[derive(Debug)]
struct Server {
    child: Child,
    sync_url: String,
    /// `host:port` of our relay's `/metrics`; the reference server has none.
    metrics_address: Option<String>,
    // Dropped after `Drop::drop` has killed the process that writes into it.
    data: tempfile::TempDir,
}

impl Server {
    fn start(target: Target, programs: &Programs, database: Option<&str>) -> anyhow::Result<Self> {
        let data = tempfile::Builder::new().prefix(&format!("tandem-load-{target}-")).tempdir()?;
        let mut command = match target {
            Target::Tandem | Target::TandemPostgres | Target::TwoRelays => {
                anyhow::ensure!(
                    programs.tandem.is_file(),
                    "{} is missing: build it with `cargo build --release -p tandem-server --bin tandem`",
                    programs.tandem.display()
                );
                let mut command = Command::new(&programs.tandem);
                command
                    .args(["serve", "--addr", "127.0.0.1:0", "--data"])
                    .arg(data.path().join("data"))
                    .arg("--web-dir")
                    .arg(data.path().join("no-web-app"))
                    .env_remove("TANDEM_DATABASE_URL")
                    // Every client is the same mentor (below): as many sockets as the load has.
                    .args(["--max-sockets-per-person", "10000"])
                    .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
                if let Some(url) = database {
                    command.arg("--database").arg(url);
                }
                command
            }
            Target::Reference => {
                anyhow::ensure!(
                    programs.reference_script.is_file(),
                    "{} is missing",
                    programs.reference_script.display()
                );
                let mut command = Command::new(&programs.node);
                command
                    .arg(&programs.reference_script)
                    .env("PORT", "0")
                    .env("DATA_DIR", data.path().join("data"))
                    // The package serves `./public` relative to its working directory.
                    .current_dir(data.path());
                command
            }
        };
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start the {target} server; is {command:?} installed?"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (address_tx, address_rx) = mpsc::channel();
        // Reads the address, then keeps draining stdout so a chatty server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut address_tx = Some(address_tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(address) = address_in(target, &line)
                    && let Some(tx) = address_tx.take()
                {
                    let _ = tx.send(address);
                }
            }
        });
        let address = match address_rx.recv_timeout(START_PATIENCE) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                bail!("the {target} server did not print its address within {START_PATIENCE:?}");
            }
        };
        let ours = target != Target::Reference;
        Ok(Self {
            child,
            sync_url: format!("ws://{address}/"),
            metrics_address: ours.then_some(address),
            data,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An access token of a mentor in a new program, made with `tandem admin` in the relays'
/// database: PostgreSQL's if they use one, else the SQLite one in `data`. Program and email carry
/// `run`, so runs that share a given database do not collide.
fn person_token(tandem: &Path, data: &Path, database: Option<&str>, run: usize) -> anyhow::Result<String> {
    let admin = |args: &[&str]| -> anyhow::Result<String> {
        let mut command = Command::new(tandem);
        command.arg("admin").arg("--data").arg(data);
        if let Some(url) = database {
            command.arg("--database").arg(url);
        }
        let output = command
            .args(args)
            .env_remove("TANDEM_DATABASE_URL")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .context("cannot run `tandem admin`")?;
        if !output.status.success() {
            bail!("tandem admin {args:?} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(String::from_utf8(output.stdout)?.trim().to_owned())
    };
    let program = format!("load-{}-{run}", std::process::id());
    admin(&["create-program", "--id", &program, "--name", "Load test"])?;
    let email = format!("mentor-{program}@load.example");
    admin(&[
        "add-person",
        "--email",
        &email,
        "--name",
        "Load mentor",
        "--program",
        &program,
        "--role",
        "mentor",
    ])?;
    admin(&["token", "--person", &email])
}

/// The `host:port` a server announces on its ready line, if `line` is that line.
fn address_in(target: Target, line: &str) -> Option<String> {
    let address = match target {
        Target::Tandem | Target::TandemPostgres | Target::TwoRelays => {
            line.trim().strip_prefix("Tandem is running at http://")?.trim_end_matches('/')
        }
        Target::Reference => line.trim().strip_prefix("reference sync server listening on ")?,
    };
    Some(address.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_lines_give_the_address() {
        assert_eq!(
            address_in(Target::Tandem, "Tandem is running at http://127.0.0.1:40123/\n").as_deref(),
            Some("127.0.0.1:40123")
        );
        assert_eq!(
            address_in(Target::Reference, "reference sync server listening on 127.0.0.1:3999").as_deref(),
            Some("127.0.0.1:3999")
        );
        assert_eq!(address_in(Target::Reference, "Listening on port 0"), None);
    }
}
