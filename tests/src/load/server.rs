//! The relay under test as a child process: ours (`target/release/tandem`) or the reference
//! automerge-repo sync server (node, through `tests/load/reference-server.mjs`). Either listens on
//! a free loopback port and keeps its data in a temporary directory that goes away with it.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use anyhow::{Context, bail};

/// How long a server may take to print its address.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Which relay to put under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Our relay, `tandem serve`.
    Tandem,
    /// The reference `@automerge/automerge-repo-sync-server` on node.
    Reference,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Tandem => "tandem",
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

/// A running server. Dropping it kills the process and removes its data.
#[derive(Debug)]
pub struct Server {
    child: Child,
    sync_url: String,
    /// `host:port` of our relay's `/metrics`; the reference server has none.
    metrics_address: Option<String>,
    // Dropped after `Drop::drop` has killed the process that writes into it.
    _data: tempfile::TempDir,
}

impl Server {
    pub fn start(target: Target, programs: &Programs) -> anyhow::Result<Self> {
        let data = tempfile::Builder::new().prefix(&format!("tandem-load-{target}-")).tempdir()?;
        let mut command = match target {
            Target::Tandem => {
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
                    // Every client is the same mentor (below): as many sockets as the load has.
                    .args(["--max-sockets-per-person", "10000"])
                    .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()));
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
        let mut server =
            Self { child, sync_url: format!("ws://{address}/"), metrics_address: None, _data: data };
        if target == Target::Tandem {
            // Our relay syncs only with people who signed in; every client is the same mentor.
            let token = person_token(&programs.tandem, &server._data.path().join("data"))?;
            server.sync_url = format!("ws://{address}/sync?token={token}");
            server.metrics_address = Some(address);
        }
        Ok(server)
    }

    /// The WebSocket URL clients sync through.
    pub fn sync_url(&self) -> &str {
        &self.sync_url
    }

    pub fn metrics_address(&self) -> Option<&str> {
        self.metrics_address.as_deref()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An access token of a mentor in a new program, made with `tandem admin` in the relay's data.
fn person_token(tandem: &Path, data: &Path) -> anyhow::Result<String> {
    let admin = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(tandem)
            .arg("admin")
            .arg("--data")
            .arg(data)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
            .context("cannot run `tandem admin`")?;
        if !output.status.success() {
            bail!("tandem admin {args:?} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
        }
        Ok(String::from_utf8(output.stdout)?.trim().to_owned())
    };
    admin(&["create-program", "--id", "load", "--name", "Load test"])?;
    let email = "mentor@load.example";
    admin(&[
        "add-person",
        "--email",
        email,
        "--name",
        "Load mentor",
        "--program",
        "load",
        "--role",
        "mentor",
    ])?;
    admin(&["token", "--person", email])
}

/// The `host:port` a server announces on its ready line, if `line` is that line.
fn address_in(target: Target, line: &str) -> Option<String> {
    let address = match target {
        Target::Tandem => line.trim().strip_prefix("Tandem is running at http://")?.trim_end_matches('/'),
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
