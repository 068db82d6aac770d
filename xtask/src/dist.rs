//! Building the web app into `web/dist`: the wasm in its size profile, wasm-bindgen's JS glue,
//! wasm-opt, the static shell (HTML, CSS, manifest, service worker, icons), a build id stamped
//! into the service worker, and a brotli copy of every file for the relay to serve.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::{install::WASM_TARGET, shell};

pub const DIST_DIR: &str = "web/dist";
const STATIC_DIR: &str = "web/static";
/// Replaced in every static file by a hash of the build, so each deploy gets a new cache name.
const BUILD_ID_PLACEHOLDER: &str = "__TANDEM_BUILD_ID__";
/// DESIGN.md §7: wasm + JS + CSS of the first load, brotli-compressed.
const FIRST_LOAD_BUDGET_BYTES: usize = 500 * 1024;

pub fn build(root: &Path) -> anyhow::Result<()> {
    shell::run(shell::cargo().args([
        "build",
        "--package",
        "tandem-web",
        "--target",
        WASM_TARGET,
        "--profile",
        "wasm-release",
    ]))?;
    let dist = root.join(DIST_DIR);
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("cannot clear {}", dist.display()))?;
    }
    fs::create_dir_all(&dist)?;

    let wasm = target_dir(root).join(WASM_TARGET).join("wasm-release/tandem_web.wasm");
    shell::run(
        Command::new("wasm-bindgen")
            .arg(&wasm)
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(&dist),
    )?;
    let bindgen_wasm = dist.join("tandem_web_bg.wasm");
    // npm's binaryen: Debian's and the wasm-opt crate's are too old for this rustc's output.
    shell::run(
        Command::new(root.join("node_modules/.bin/wasm-opt"))
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(&bindgen_wasm)
            .arg("-o")
            .arg(&bindgen_wasm),
    )?;

    let build_id = build_id(&dist)?;
    copy_static(&root.join(STATIC_DIR), &dist, &build_id)?;
    let sizes = compress_all(&dist)?;
    report_sizes(&sizes, &build_id);
    Ok(())
}

/// Where cargo puts build output: `CARGO_TARGET_DIR` when set (cargo honours it, so must we), else
/// `target/` in the workspace.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"))
}

/// The wasm features rustc enables by default for wasm32-unknown-unknown; wasm-opt must accept them.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-multivalue",
    "--enable-reference-types",
];

/// A short hash of the built code: the service worker's cache name, so a deploy replaces the cache.
fn build_id(dist: &Path) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    for file in files_in(dist)? {
        hasher.update(fs::read(&file)?);
    }
    for file in files_in(Path::new(STATIC_DIR))? {
        hasher.update(fs::read(&file)?);
    }
    Ok(hex::encode(&hasher.finalize()[..6]))
}

fn copy_static(from: &Path, to: &Path, build_id: &str) -> anyhow::Result<()> {
    for source in files_in(from)? {
        let relative = source.strip_prefix(from)?;
        let target = to.join(relative);
        fs::create_dir_all(target.parent().expect("files have parents"))?;
        let bytes = fs::read(&source)?;
        match String::from_utf8(bytes) {
            Ok(text) => fs::write(&target, text.replace(BUILD_ID_PLACEHOLDER, build_id))?,
            Err(binary) => fs::write(&target, binary.into_bytes())?,
        }
    }
    Ok(())
}

/// Writes `name.br` beside every compressible file; returns (file, raw size, brotli size).
fn compress_all(dist: &Path) -> anyhow::Result<Vec<(PathBuf, usize, usize)>> {
    let mut sizes = Vec::new();
    for file in files_in(dist)? {
        let compressible = matches!(
            file.extension().and_then(|e| e.to_str()),
            Some("wasm" | "js" | "css" | "html" | "json" | "webmanifest" | "svg")
        );
        if !compressible {
            continue;
        }
        let raw = fs::read(&file)?;
        let mut compressed = Vec::new();
        let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 24, ..Default::default() };
        brotli::BrotliCompress(&mut raw.as_slice(), &mut compressed, &params)?;
        let mut br = file.clone().into_os_string();
        br.push(".br");
        fs::write(&br, &compressed)?;
        sizes.push((file, raw.len(), compressed.len()));
    }
    Ok(sizes)
}

fn report_sizes(sizes: &[(PathBuf, usize, usize)], build_id: &str) {
    let first_load: usize = sizes
        .iter()
        .filter(|(f, _, _)| matches!(f.extension().and_then(|e| e.to_str()), Some("wasm" | "js" | "css")))
        .filter(|(f, _, _)| f.file_name().and_then(|n| n.to_str()) != Some("sw.js"))
        .map(|(_, _, br)| br)
        .sum();
    println!("web app built into {DIST_DIR} (build {build_id}):");
    for (file, raw, br) in sizes {
        println!("  {:<28} {:>9} bytes, {:>8} brotli", file.file_name().unwrap().to_string_lossy(), raw, br);
    }
    println!(
        "first load (wasm + JS + CSS, brotli): {} KB of the {} KB budget ({:.2}x)",
        first_load / 1024,
        FIRST_LOAD_BUDGET_BYTES / 1024,
        first_load as f64 / FIRST_LOAD_BUDGET_BYTES as f64
    );
}

/// Every regular file under `dir`, sorted so hashes are stable.
fn files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).with_context(|| format!("cannot read {}", next.display()))? {
            let path = entry?.path();
            if path.is_dir() { pending.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    Ok(files)
}
