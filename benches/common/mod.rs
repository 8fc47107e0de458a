//! What every bench needs: its knobs from the environment, a driver that runs N requests C at
//! a time, latency percentiles and a process's memory. A bench includes it with `mod common;`.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Instant};

use tokio::sync::Semaphore;

/// The number in the environment variable `name`, else `default`.
pub fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `f(0)` … `f(n - 1)`, at most `c` at a time, each on its own task; the outputs in
/// order (a task that panicked gives `None`).
pub async fn run<T, F, Fut>(n: usize, c: usize, f: F) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(c.max(1)));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        // The semaphore is never closed, so acquiring cannot fail.
        #[allow(clippy::expect_used)]
        let permit = gate.clone().acquire_owned().await.expect("semaphore");
        let fut = f(i);
        tasks.push(tokio::spawn(async move {
            let out = fut.await;
            drop(permit);
            out
        }));
    }
    let mut outputs = Vec::with_capacity(n);
    for t in tasks {
        outputs.push(t.await.ok());
    }
    outputs
}

/// Runs `n` requests `c` at a time (as `run`), each giving an HTTP status (0 for none); the
/// count per status and the wall time in seconds.
pub async fn statuses<F, Fut>(n: usize, c: usize, f: F) -> (BTreeMap<u16, usize>, f64)
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = u16> + Send + 'static,
{
    let began = Instant::now();
    let outputs = run(n, c, f).await;
    let wall = began.elapsed().as_secs_f64();
    let mut counts = BTreeMap::new();
    for o in outputs {
        *counts.entry(o.unwrap_or(0)).or_insert(0) += 1;
    }
    (counts, wall)
}

/// The `p` quantile (0 to 1) of samples sorted ascending.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// `VmHWM` (peak) and `VmRSS` (now) of process `pid`, in MiB (`std::process::id()` for the
/// bench itself when it runs the server in-process).
pub fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}
