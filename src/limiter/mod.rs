//! A small fixed-window counter for throttling (logins and password checks: counted before the check runs). Two drivers behind one
//! trait: Redis, shared by every instance, and process memory for the embedded mode.

mod memory;
mod redis;

use std::time::Duration;

pub use memory::MemoryLimiter;
pub use redis::RedisLimiter;

/// Whole seconds (at least 1) until the window of `key` ends, for `Retry-After`; the whole
/// `window` when the backend cannot say.
pub async fn retry_after(limiter: &dyn Limiter, key: &str, window: Duration) -> u64 {
    limiter
        .peek(key)
        .await
        .ok()
        .flatten()
        .map_or(window, |(_, left)| left)
        .as_secs()
        .max(1)
}

#[async_trait::async_trait]
pub trait Limiter: Send + Sync + 'static {
    /// Counts one event under `key`; the window starts with the first event. Returns the count
    /// so far in the current window. Fails when the backend does not answer.
    async fn hit(&self, key: &str, window: Duration) -> anyhow::Result<u64>;

    /// The count in the current window and the time until it ends, or `None` when no window
    /// is open. Fails when the backend does not answer.
    async fn peek(&self, key: &str) -> anyhow::Result<Option<(u64, Duration)>>;

    /// Takes back one event counted by `hit` (a login that was let through and succeeded, or
    /// one refused before it ran), never below zero and without touching the window's end, so
    /// failures counted by others stay. Fails when the backend does not answer.
    async fn undo(&self, key: &str) -> anyhow::Result<()>;

    /// Forgets `key`. Fails when the backend does not answer.
    async fn reset(&self, key: &str) -> anyhow::Result<()>;
}
