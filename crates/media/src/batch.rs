//! Several photos in parallel, with the number of workers bounded by a memory budget.

use std::{
    path::Path,
    sync::atomic::{AtomicUsize, Ordering},
    thread,
};

use crate::{Evidence, MediaError, Progress, Settings, pipeline};

/// Peak memory of one worker on a 12 MP phone photo, input bytes included, with margin.
///
/// Measured by `cargo bench -p wangge-media --bench pipeline` (see the README): a 12 MP
/// baseline JPEG peaks well under this; a 12 MP PNG, decoded at full size, needs
/// 12 M × (4 + 3) bytes ≈ 80 MB, which is why PNG-heavy batches should pass a larger budget.
pub const BYTES_PER_12MP_PHOTO: u64 = 64 * 1024 * 1024;

/// Default memory budget for a batch: two workers' worth (a phone keeps the webview too).
pub const DEFAULT_BATCH_BUDGET: u64 = 2 * BYTES_PER_12MP_PHOTO;

/// One photo of a batch.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// Bytes already in memory.
    Bytes(&'a [u8]),
    /// A file read by the worker when its turn comes (so only the photos in flight are
    /// held in memory).
    File(&'a Path),
}

/// Workers that fit in `budget` bytes: at least 1, at most the CPU count.
pub fn workers_for_budget(budget: u64) -> usize {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let fit = usize::try_from(budget / BYTES_PER_12MP_PHOTO).unwrap_or(usize::MAX);
    fit.clamp(1, cpus)
}

/// Processes `inputs` on [`workers_for_budget`]`(budget)` threads; results come back in
/// input order. `progress` receives the input's index with each report, from the workers'
/// threads.
pub fn process_batch(
    inputs: &[Input<'_>],
    settings: &Settings,
    budget: u64,
    progress: &(dyn Fn(usize, Progress) + Sync),
) -> Vec<Result<Evidence, MediaError>> {
    let workers = workers_for_budget(budget).min(inputs.len().max(1));
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, Result<Evidence, MediaError>)>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(input) = inputs.get(i) else {
                            return out;
                        };
                        let report = |p: Progress| progress(i, p);
                        let result = match *input {
                            Input::Bytes(b) => pipeline::process(b, settings, &report),
                            Input::File(p) => pipeline::process_file(p, settings, &report),
                        };
                        out.push((i, result));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut results: Vec<Result<Evidence, MediaError>> = (0..inputs.len())
        .map(|_| {
            Err(MediaError::corrupt(
                "the worker processing this photo failed",
            ))
        })
        .collect();
    for (i, r) in done.into_iter().flatten() {
        results[i] = r;
    }
    results
}
