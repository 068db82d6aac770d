//! Helpers for Tandem's end-to-end tests: starting the real `tandem` binary on a free port with
//! its own data directory, and stopping it the way an operator (SIGTERM) or a crash (SIGKILL)
//! would.
//!
//! [`faults`] is the faulty network between clients and a relay, [`kills`] the SIGKILL soak
//! (both in `tandem-soak` and, short, in the end-to-end tests), [`bombs`] frames built to cost
//! more than their size and what one costs a relay (in `tandem-bombs` and `bad_frames.rs`).
//!
//! The binary is the one `cargo xtask test` builds before the tests run (`target/debug/tandem`),
//! or the one `TANDEM_BIN` names.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use anyhow::{Context, bail};

pub mod bombs;
pub mod faults;
pub mod kills;

/// The `tandem` binary under test.
pub fn tandem_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TANDEM_BIN") {
        return path.into();
    }
    // Test executables live in target/<profile>/deps; the binary in target/<profile>.
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>/deps/<test>");
    let binary = profile_dir.join("tandem");
    assert!(
        binary.is_file(),
        "{} is missing: build it first with `cargo build -p tandem-server` (cargo xtask test does)",
        binary.display()
    );
    binary
}

/// A running relay process. Dropping it kills the process.
#[derive(Debug)]
pub struct Relay {
    child: Child,
    addr: SocketAddr,
    data_dir: PathBuf,
    extra_args: Vec<String>,
}

impl Relay {
    /// Starts a relay on a free loopback port, storing its data in `data_dir`.
    pub fn start(data_dir: &Path, extra_args: &[&str]) -> anyhow::Result<Self> {
        let extra_args: Vec<String> = extra_args.iter().map(|s| s.to_string()).collect();
        Self::spawn("127.0.0.1:0".parse()?, data_dir, extra_args)
    }

    fn spawn(addr: SocketAddr, data_dir: &Path, extra_args: Vec<String>) -> anyhow::Result<Self> {
        let mut child = Command::new(tandem_binary())
            .arg("serve")
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--data")
            .arg(data_dir)
            .args(&extra_args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("cannot start the tandem binary")?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let Some(url) = line.trim().strip_prefix("Tandem is running at http://") else {
            let _ = child.kill();
            bail!("the relay did not start; it printed {line:?}");
        };
        let addr = url.trim_end_matches('/').parse().context("the relay printed a bad address")?;
        Ok(Self { child, addr, data_dir: data_dir.to_owned(), extra_args })
    }

    /// The relay process's id (to read its memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:PORT/sync`: connecting needs a session or token (see [`Relay::sync_url_for`]).
    pub fn sync_url(&self) -> String {
        format!("ws://{}/sync", self.addr)
    }

    /// `ws://127.0.0.1:PORT/sync?token=...`: the sync endpoint as the holder of `token`.
    pub fn sync_url_for(&self, token: &str) -> String {
        format!("ws://{}/sync?token={token}", self.addr)
    }

    /// The data directory, for `tandem admin` ([`admin`], [`test_person_token`]).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Stops the relay as an operator would (SIGTERM) and waits for it to exit.
    pub fn stop(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status()?;
        anyhow::ensure!(status.success(), "cannot send SIGTERM to the relay");
        Ok(self.child.wait()?)
    }

    /// Kills the relay with SIGKILL, as a crash or power cut would, and waits for it to die.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// Kills the relay (SIGKILL), runs `between` on its data directory while nothing holds it,
    /// then starts a new relay on the same port and data directory.
    pub fn kill_then_restart<T>(self, between: impl FnOnce(&Path) -> T) -> anyhow::Result<(Self, T)> {
        let (addr, data_dir, extra_args) = (self.addr, self.data_dir.clone(), self.extra_args.clone());
        self.kill()?;
        let result = between(&data_dir);
        Ok((Self::spawn(addr, &data_dir, extra_args)?, result))
    }

    /// Kills the relay and starts a new one on the same port and data directory.
    pub fn crash_and_restart(self) -> anyhow::Result<Self> {
        let (addr, data_dir, extra_args) = (self.addr, self.data_dir.clone(), self.extra_args.clone());
        self.kill()?;
        Self::spawn(addr, &data_dir, extra_args)
    }
}

/// Where `tandem admin` finds the relay's database.
#[derive(Debug, Clone, Copy)]
pub enum Database<'a> {
    /// SQLite in a data directory (`--data`).
    Directory(&'a Path),
    /// PostgreSQL (`--database`).
    Postgres(&'a str),
}

/// Runs `tandem admin --data <data_dir> <args>`, with `stdin` as its standard input; returns what
/// it printed, trimmed, or fails with what it said on standard error.
pub fn admin(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    admin_in(Database::Directory(data_dir), args, stdin)
}

/// [`admin`] against either database.
pub fn admin_in(database: Database<'_>, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    use std::io::Write;
    let mut command = Command::new(tandem_binary());
    command.arg("admin");
    match database {
        Database::Directory(dir) => command.arg("--data").arg(dir),
        Database::Postgres(url) => command.arg("--database").arg(url),
    };
    let mut child = command
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot start `tandem admin`")?;
    child.stdin.take().expect("stdin is piped").write_all(stdin.unwrap_or("").as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("tandem admin {args:?} failed: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(String::from_utf8(output.stdout)?.trim().to_owned())
}

/// An access token for `email`, a mentor of the program `test`, creating both when missing: the
/// simplest credentials for tests that only need to sync.
pub fn test_person_token(data_dir: &Path, email: &str) -> anyhow::Result<String> {
    let _ = admin(data_dir, &["create-program", "--id", "test", "--name", "Test residency"], None);
    let add = ["add-person", "--email", email, "--name", email, "--program", "test", "--role", "mentor"];
    if let Err(error) = admin(data_dir, &add, None)
        && !error.to_string().contains("already exists")
    {
        return Err(error);
    }
    admin(data_dir, &["token", "--person", email], None)
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
