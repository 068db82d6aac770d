//! A process's peak resident memory and CPU time, from Linux's `/proc/<pid>/status` and
//! `/proc/<pid>/stat`.

use std::time::Duration;

use anyhow::Context;

/// What a process has used since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Peak resident set size (`VmHWM`), in KiB.
    pub peak_rss_kib: u64,
    /// User plus system CPU time, in clock ticks.
    pub cpu_ticks: u64,
}

impl Usage {
    /// Reads the usage of process `pid` (`"self"` works too).
    pub fn of(pid: &str) -> anyhow::Result<Self> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("cannot read /proc/{pid}/status; has the process exited?"))?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .with_context(|| format!("cannot read /proc/{pid}/stat; has the process exited?"))?;
        Ok(Self {
            peak_rss_kib: peak_rss_kib(&status).context("no VmHWM line in /proc/<pid>/status")?,
            cpu_ticks: cpu_ticks(&stat).context("cannot parse /proc/<pid>/stat")?,
        })
    }
}

/// The `VmHWM` (peak resident set) line of `/proc/<pid>/status`, in KiB.
pub fn peak_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    let mut words = line.split_whitespace();
    let value = words.next()?.parse().ok()?;
    (words.next() == Some("kB")).then_some(value)
}

/// `utime + stime` (fields 14 and 15) of `/proc/<pid>/stat`, in clock ticks.
///
/// Field 2 is the command name in parentheses and may itself contain spaces and parentheses, so
/// fields are counted from the last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state), 4, ...: utime is field 14, the 12th here.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`); 100, the Linux default, when that cannot run.
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// The machine's 1-minute load average, to show how busy it was besides the benchmark.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// Converts clock ticks to time.
pub fn ticks_to_duration(ticks: u64, per_second: u64) -> Duration {
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_rss_is_the_vm_hwm_line_in_kib() {
        let status = "Name:\ttandem\nVmPeak:\t  812344 kB\nVmHWM:\t   45120 kB\nVmRSS:\t   44000 kB\n";
        assert_eq!(peak_rss_kib(status), Some(45_120));
        assert_eq!(peak_rss_kib("Name:\tkthreadd\n"), None, "kernel threads have no VmHWM");
    }

    #[test]
    fn cpu_ticks_add_user_and_system_time_even_with_odd_command_names() {
        // A real line of /proc/<pid>/stat, with a name holding a space and a parenthesis.
        let stat = "4242 (tokio (worker) 1) S 1 4242 4242 0 -1 4194560 2617 0 0 0 \
                    731 129 0 0 20 0 9 0 1234567 812344000 11280 18446744073709551615 \
                    1 1 0 0 0 0 0 4096 17 0 0 0 0 0 0\n";
        assert_eq!(cpu_ticks(stat), Some(731 + 129));
        assert_eq!(cpu_ticks("4242 (truncated) S 1 2"), None);
    }

    #[test]
    fn this_process_has_a_peak_and_has_used_some_cpu() {
        let usage = Usage::of("self").unwrap();
        assert!(usage.peak_rss_kib > 0);
        assert!(ticks_per_second() > 0);
    }
}
