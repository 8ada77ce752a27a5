//! What the store benches share: sizes from the environment and percentiles.

use std::time::Duration;

/// `name` from the environment as a count, else `default`.
pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `p` percentile (0–1) of `samples`, in milliseconds (sorts them).
pub fn pct(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

/// Runs `f` `n` times and prints its median and p99; returns the median in ms.
#[allow(dead_code)] // not every bench times closures
pub fn timed(label: &str, n: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let t = std::time::Instant::now();
        f(i);
        samples.push(t.elapsed());
    }
    let p50 = pct(&mut samples, 0.5);
    let p99 = pct(&mut samples, 0.99);
    println!("{label}: median {p50:.2} ms, p99 {p99:.2} ms ({n} runs)");
    p50
}
