//! Live leaderboards: one sorted set a board, the member a user id, one exact integer score
//! per entry (higher is better), the best entry kept. Redis in production, process memory in
//! the embedded mode; one shared test suite runs on both.
//!
//! Redis is a cache of the database: every board can be rebuilt from the attempts table.

mod memory;
mod redis;

pub use memory::MemoryBoards;
pub use redis::{RedisBoards, retrying};

use std::time::Duration;

#[async_trait::async_trait]
pub trait Leaderboard: Send + Sync + 'static {
    /// Records `score` for `member`, keeping the better of the old and the new (an equal score
    /// keeps the earlier). Fails when the backend does not answer.
    async fn record(&self, board: &str, member: &str, score: i64) -> anyhow::Result<()>;

    /// Entries from `offset` (0 = the top), best first: O(log N + page).
    async fn page(
        &self,
        board: &str,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<(String, i64)>>;

    /// The member's 0-based rank and score, if on the board.
    async fn rank(&self, board: &str, member: &str) -> anyhow::Result<Option<(u64, i64)>>;

    /// Entries on the board.
    async fn count(&self, board: &str) -> anyhow::Result<u64>;

    /// Whether the board exists (a missing board is rebuilt from the database).
    async fn exists(&self, board: &str) -> anyhow::Result<bool>;

    /// Takes the board's rebuild lock for `ttl` under `token` (one rebuild per board at a
    /// time, across instances with Redis). Returns false when someone else holds it.
    async fn lock(&self, board: &str, token: &str, ttl: Duration) -> anyhow::Result<bool>;

    /// Whether anyone holds the board's rebuild lock.
    async fn locked(&self, board: &str) -> anyhow::Result<bool>;

    /// Releases the lock if `token` still holds it (an expired lock taken over by another
    /// rebuild is left to that one).
    async fn unlock(&self, board: &str, token: &str) -> anyhow::Result<()>;

    /// Adds entries to the staging copy `stage` of the board (keeping each member's best), a
    /// key of its own so that concurrent rebuilds never mix.
    async fn stage(
        &self,
        board: &str,
        stage: &str,
        entries: &[(String, i64)],
    ) -> anyhow::Result<()>;

    /// Replaces the board with the staging copy in one step (readers see the old board or the
    /// new one); an empty (never staged) copy removes the board.
    async fn publish(&self, board: &str, stage: &str) -> anyhow::Result<()>;

    /// Merges the staging copy into the board in one step, keeping each member's better score,
    /// and drops the copy. A rebuild publishes this way: a result recorded on the live board
    /// while the rebuild was reading the database is kept, not overwritten by an older copy
    /// (scores only grow, so the better one is always the true one).
    async fn merge(&self, board: &str, stage: &str) -> anyhow::Result<()>;

    /// Drops a staging copy (a rebuild that failed half-way).
    async fn discard(&self, board: &str, stage: &str) -> anyhow::Result<()>;

    /// Replaces the board with these entries atomically (readers see the old or the new one).
    async fn replace(&self, board: &str, entries: &[(String, i64)]) -> anyhow::Result<()> {
        let stage = uuid::Uuid::new_v4().simple().to_string();
        if let Err(e) = self.stage(board, &stage, entries).await {
            let _ = self.discard(board, &stage).await;
            return Err(e);
        }
        self.publish(board, &stage).await
    }

    /// Forgets the board.
    async fn remove(&self, board: &str) -> anyhow::Result<()>;
}

/// Largest time in the score: 2^31 − 1 ms, about 24.8 days.
const TIME_SPAN: i64 = (1 << 31) - 1;

/// One number for (correct answers descending, time ascending), exact in a double: with at
/// most 4 000 000 correct answers it stays below 2^53.
pub fn score(correct: u32, time_ms: i64) -> i64 {
    i64::from(correct) * (1 << 31) + (TIME_SPAN - time_ms.clamp(0, TIME_SPAN))
}

/// The inverse of [`score`].
pub fn unscore(score: i64) -> (u32, i64) {
    let correct = score >> 31;
    let time = TIME_SPAN - (score & TIME_SPAN);
    (u32::try_from(correct).unwrap_or(0), time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn scores_order_by_correct_then_time_and_round_trip(c1 in 0u32..500, c2 in 0u32..500, t1 in 0i64..TIME_SPAN, t2 in 0i64..TIME_SPAN) {
            let (a, b) = (score(c1, t1), score(c2, t2));
            prop_assert!(a < (1 << 53));
            prop_assert_eq!(unscore(a), (c1, t1));
            prop_assert_eq!(a.cmp(&b), c1.cmp(&c2).then(t2.cmp(&t1)));
            prop_assert_eq!(a as f64 as i64, a, "exact in a double");
        }
    }
}
