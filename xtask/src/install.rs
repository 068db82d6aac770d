//! Installing what the build and the tests need, idempotently: each step checks first and does
//! nothing when its tool is already there, so a second run costs a few process starts.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

use crate::shell;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// What `cargo xtask dist` needs: the wasm target, the wasm-bindgen CLI, npm packages (wasm-opt).
pub fn for_build(root: &Path) -> anyhow::Result<()> {
    put_cargo_bin_on_path();
    wasm_target()?;
    wasm_bindgen_cli(root)?;
    npm_packages(root)
}

/// Everything `cargo xtask test` needs: the build's tools plus Chromium and its driver,
/// `certutil` (the https browser test makes Chromium trust its test CA through an NSS database),
/// Debian's PostgreSQL server (the tests start it themselves: `tandem-testdb`), and pebble (the
/// test-only ACME server the relay's ACME certificates are tested against).
pub fn for_tests(root: &Path) -> anyhow::Result<()> {
    for_build(root)?;
    debian_packages(&[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        ("/usr/bin/certutil", "libnss3-tools"),
        ("/usr/bin/pg_ctlcluster", "postgresql"),
        ("/usr/bin/pebble", "pebble"),
    ])
}

/// Tools installed by `cargo install` land in `$CARGO_HOME/bin`, which a fresh shell may not
/// have on its PATH; children of xtask (wasm-bindgen, its test runner) need to find them.
fn put_cargo_bin_on_path() {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")));
    let Some(bin) = cargo_home.map(|home| home.join("bin")) else { return };
    let path = std::env::var_os("PATH").unwrap_or_default();
    if !std::env::split_paths(&path).any(|p| p == bin) {
        let joined = std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&path)))
            .expect("PATH entries are joinable");
        // SAFETY of intent: xtask is single-threaded at this point; no other thread reads the
        // environment while it changes.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("PATH", joined)
        };
    }
}

fn wasm_target() -> anyhow::Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup; this project needs a rustup-managed toolchain")?;
    if String::from_utf8_lossy(&installed.stdout).lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    shell::run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The wasm-bindgen CLI must be exactly the version of the `wasm-bindgen` crate in Cargo.lock,
/// or the JS glue it writes does not match the wasm.
fn wasm_bindgen_cli(root: &Path) -> anyhow::Result<()> {
    let version = locked_version(root, "wasm-bindgen")?;
    if shell::version_contains("wasm-bindgen", &version)
        && shell::version_contains("wasm-bindgen-test-runner", &version)
    {
        return Ok(());
    }
    // Without --locked: the CLI's own lockfile pins a crate the registry no longer serves.
    shell::run(shell::cargo().args(["install", "wasm-bindgen-cli", "--force", "--version", &version]))
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(root: &Path, package: &str) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no package {package}; run `cargo generate-lockfile`")
}

/// `npm install` (of exactly what package-lock.json pins) when node_modules is missing or older
/// than the lock. Not `npm ci`: npm 11 writes locks without the optional per-platform packages of
/// cbor-extract (an automerge-repo dependency) and then `npm ci` refuses its own lock.
fn npm_packages(root: &Path) -> anyhow::Result<()> {
    debian_packages(&[("/usr/bin/node", "nodejs"), ("/usr/bin/npm", "npm")])?;
    let lock = root.join("package-lock.json");
    let installed = root.join("node_modules/.package-lock.json");
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) if installed >= lock => Ok(()),
        _ => shell::run(Command::new("npm").args(["install", "--no-audit", "--no-fund"]).current_dir(root)),
    }
}

/// Installs the Debian packages whose marker file is missing.
fn debian_packages(wanted: &[(&str, &str)]) -> anyhow::Result<()> {
    let missing: Vec<&str> =
        wanted.iter().filter(|(file, _)| !Path::new(file).exists()).map(|(_, package)| *package).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = if is_root() { vec![] } else { vec!["sudo"] };
    let apt = |args: &[&str]| {
        let all: Vec<&str> = sudo.iter().copied().chain(["apt-get"]).chain(args.iter().copied()).collect();
        let mut command = Command::new(all[0]);
        command.args(&all[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        shell::run(&mut command)
    };
    apt(&["update", "-q"])?;
    apt(&[&["install", "-y", "-q"][..], &missing].concat())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}
