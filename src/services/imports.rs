//! Parsing imported files off the async workers, a bounded number at a time.
//!
//! A parse is CPU work (and, for a large workbook, tens of MB of memory): it runs on the
//! blocking pool, never on an actix worker, and at most [`slots`] of them run at once across
//! the process (one per core: more would only share the same cores and multiply the memory).
//! A request that finds every slot taken waits up to [`limits::IMPORT_QUEUE_WAIT_SECS`], then
//! is told to come back (429 with `Retry-After`). The slots are a process-wide static rather
//! than part of `AppState`: they bound this process's CPU and memory, whatever the number of
//! apps it runs (the tests run many).

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use tokio::sync::Semaphore;

use crate::{
    domain::banks::{BankDef, FileError, limits},
    error::{ApiError, ApiResult},
};

/// What parsing one file gave: the bank and its rejected items, or every error.
pub type Parsed = Result<(BankDef, Vec<FileError>), Vec<FileError>>;

/// How many parses may run at once: the number of cores (at least one).
pub fn slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn semaphore() -> &'static Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(Semaphore::new(slots())))
}

/// Runs `work` on the blocking pool once a parsing slot is free. Fails with 429 (and a
/// `Retry-After`) when no slot freed up within the queue wait, and with 500 if the work
/// panicked (it must not: the fuzz harness holds the parsers to that).
pub async fn run_bounded<T, F>(work: F) -> ApiResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    run_within(Duration::from_secs(limits::IMPORT_QUEUE_WAIT_SECS), work).await
}

async fn run_within<T, F>(wait: Duration, work: F) -> ApiResult<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let permit = match tokio::time::timeout(wait, semaphore().clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) | Err(_) => {
            tracing::warn!("every import slot is busy; an upload is told to retry");
            return Err(ApiError::Busy {
                retry_after_secs: limits::IMPORT_RETRY_AFTER_SECS,
            });
        }
    };
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(permit);
        out
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("an import parse failed: {e}")))
}

/// Parses one file (any supported format) on the blocking pool, within the import slots.
pub async fn parse(file: &str, bytes: &[u8]) -> ApiResult<Parsed> {
    let file = file.to_owned();
    let bytes = bytes.to_vec();
    run_bounded(move || super::banks::parse(&file, &bytes)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_waits_for_a_slot_and_is_turned_away_when_none_frees_up() {
        let all = u32::try_from(slots()).unwrap();
        let held = semaphore().clone().acquire_many_owned(all).await.unwrap();
        let refused = run_within(Duration::from_millis(50), || 1).await;
        assert!(
            matches!(
                refused,
                Err(ApiError::Busy {
                    retry_after_secs: limits::IMPORT_RETRY_AFTER_SECS
                })
            ),
            "{refused:?}"
        );
        let waiting = tokio::spawn(run_within(Duration::from_secs(30), || 2));
        drop(held);
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
    }
}
