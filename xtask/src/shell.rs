//! Running child processes, echoing each command so a log shows what ran.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// `cargo`, as the running toolchain names it.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn describe(command: &Command) -> String {
    let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    format!("{} {}", command.get_program().to_string_lossy(), args.join(" "))
}

/// Runs `command` with inherited output and fails when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let description = describe(command);
    eprintln!("$ {description}");
    let status = command.status().with_context(|| format!("cannot start `{description}`"))?;
    if !status.success() {
        bail!("`{description}` failed with {status}");
    }
    Ok(())
}

/// Runs `command`, echoing its output as it comes and also returning it (stdout and stderr
/// interleaved by line), so the caller can count tests. Fails when the command fails.
pub fn run_and_capture(command: &mut Command) -> anyhow::Result<String> {
    use std::io::{BufRead, BufReader};
    let description = describe(command);
    eprintln!("$ {description}");
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start `{description}`"))?;
    let (sender, receiver) = std::sync::mpsc::channel::<String>();
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let out_sender = sender.clone();
    let out = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            let _ = out_sender.send(line);
        }
    });
    let err = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            let _ = sender.send(line);
        }
    });
    let status = child.wait()?;
    out.join().expect("stdout reader panicked");
    err.join().expect("stderr reader panicked");
    let captured: Vec<String> = receiver.try_iter().collect();
    if !status.success() {
        bail!("`{description}` failed with {status}");
    }
    Ok(captured.join("\n"))
}

/// Whether `program --version` runs and prints something containing `expected`.
pub fn version_contains(program: &str, expected: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(expected))
        .unwrap_or(false)
}
