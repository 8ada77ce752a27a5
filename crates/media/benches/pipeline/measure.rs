//! Timing whole processes (ours and vipsthumbnail) with /usr/bin/time for peak RSS.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

/// One run of a command: wall time and peak resident memory.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    pub wall: Duration,
    pub max_rss_kib: u64,
}

/// Runs `program args…` under `/usr/bin/time -f %M`, returning wall time and max RSS.
pub fn run(
    program: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    scratch: &Path,
) -> Result<Run, String> {
    let rss_file = scratch.join("rss.txt");
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(program)
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            program.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let rss = std::fs::read_to_string(&rss_file).map_err(|e| e.to_string())?;
    let max_rss_kib = rss
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or("unreadable /usr/bin/time output")?;
    Ok(Run { wall, max_rss_kib })
}

/// Median of durations (upper median for even counts).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// The `q`-quantile (0–1) of `v`, nearest rank.
pub fn quantile(mut v: Vec<f64>, q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Whether `program` can be found on PATH (or is an existing path).
pub fn which(program: &str) -> Option<std::path::PathBuf> {
    if Path::new(program).is_absolute() {
        return Path::new(program).exists().then(|| program.into());
    }
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.exists())
}
