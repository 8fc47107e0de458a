use std::time::Duration;

use anyhow::Context;
use redis::{FromRedisValue, RedisError, aio::ConnectionManager};

use super::Leaderboard;

/// Boards in Redis sorted sets, `{prefix}board:{<board>}`: the braces are a hash tag, so a
/// board, its rebuild lock and its staging copies live on one Redis Cluster slot.
pub struct RedisBoards {
    conn: ConnectionManager,
    prefix: String,
}

/// Whether a failed command may work on a fresh connection: the connection manager
/// reconnects after an I/O error, so the first command after a Redis restart fails on the old
/// (broken) socket and a second try goes out on the new one.
fn transient(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

/// Runs an idempotent command, once more on a fresh connection if the first try met a broken
/// one (see [`transient`]). Only for commands that are safe to repeat.
pub async fn retrying<T: FromRedisValue>(
    conn: &ConnectionManager,
    cmd: &redis::Cmd,
) -> redis::RedisResult<T> {
    let mut c = conn.clone();
    match cmd.query_async(&mut c).await {
        Err(e) if transient(&e) => {
            tracing::debug!(error = %e, "redis command failed on a broken connection; retrying once");
            let mut c = conn.clone();
            cmd.query_async(&mut c).await
        }
        other => other,
    }
}

/// [`retrying`] for a pipeline of idempotent commands.
async fn retrying_pipe<T: FromRedisValue>(
    conn: &ConnectionManager,
    pipe: &redis::Pipeline,
) -> redis::RedisResult<T> {
    let mut c = conn.clone();
    match pipe.query_async(&mut c).await {
        Err(e) if transient(&e) => {
            let mut c = conn.clone();
            pipe.query_async(&mut c).await
        }
        other => other,
    }
}

/// Deletes the lock only if the token still holds it.
const UNLOCK: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Moves the staging copy over the board in one step, or removes the board when the copy is
/// empty (Redis has no empty sorted sets).
/// The copy's expiry (set against crashed rebuilds) is cleared on the board.
const PUBLISH: &str = "if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[1]) redis.call('PERSIST', KEYS[1]) else redis.call('DEL', KEYS[1]) end return 1";

/// Merges a staging copy into the board (`AGGREGATE MAX`: each member's better score) and drops
/// the copy, atomically; without a copy the board stays as it is.
const MERGE: &str = "if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('ZUNIONSTORE', KEYS[1], 2, KEYS[1], KEYS[2], 'AGGREGATE', 'MAX') redis.call('DEL', KEYS[2]) end return 1";

/// Members per `ZADD` of a rebuild (pipelined, so the batch is one round trip).
const ZADD_CHUNK: usize = 1000;

impl RedisBoards {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: prefix.into(),
        }
    }

    fn key(&self, board: &str) -> String {
        format!("{}board:{{{board}}}", self.prefix)
    }

    fn lock_key(&self, board: &str) -> String {
        format!("{}:lock", self.key(board))
    }

    fn stage_key(&self, board: &str, stage: &str) -> String {
        format!("{}:stage:{stage}", self.key(board))
    }

    async fn run<T: FromRedisValue>(
        &self,
        cmd: &redis::Cmd,
        what: &'static str,
    ) -> anyhow::Result<T> {
        retrying(&self.conn, cmd).await.context(what)
    }
}

#[async_trait::async_trait]
impl Leaderboard for RedisBoards {
    async fn record(&self, board: &str, member: &str, score: i64) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(self.key(board)).arg("GT").arg(score).arg(member);
        let _: i64 = self.run(&cmd, "ZADD GT").await?;
        Ok(())
    }

    async fn page(
        &self,
        board: &str,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        // Redis reads ranges as signed 64-bit numbers: stay inside them.
        let max = i64::MAX as u64;
        if limit == 0 || offset > max {
            return Ok(Vec::new());
        }
        let last = offset.saturating_add(limit - 1).min(max);
        let mut cmd = redis::cmd("ZREVRANGE");
        cmd.arg(self.key(board))
            .arg(offset)
            .arg(last)
            .arg("WITHSCORES");
        let rows: Vec<(String, f64)> = self.run(&cmd, "ZREVRANGE").await?;
        Ok(rows.into_iter().map(|(m, s)| (m, s as i64)).collect())
    }

    async fn rank(&self, board: &str, member: &str) -> anyhow::Result<Option<(u64, i64)>> {
        let key = self.key(board);
        let mut pipe = redis::pipe();
        pipe.cmd("ZREVRANK")
            .arg(&key)
            .arg(member)
            .cmd("ZSCORE")
            .arg(&key)
            .arg(member);
        let (rank, score): (Option<u64>, Option<f64>) =
            retrying_pipe(&self.conn, &pipe).await.context("ZREVRANK")?;
        Ok(rank.zip(score).map(|(r, s)| (r, s as i64)))
    }

    async fn count(&self, board: &str) -> anyhow::Result<u64> {
        let mut cmd = redis::cmd("ZCARD");
        cmd.arg(self.key(board));
        self.run(&cmd, "ZCARD").await
    }

    async fn exists(&self, board: &str) -> anyhow::Result<bool> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.key(board));
        let n: i64 = self.run(&cmd, "EXISTS").await?;
        Ok(n > 0)
    }

    async fn lock(&self, board: &str, token: &str, ttl: Duration) -> anyhow::Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.lock_key(board))
            .arg(token)
            .arg("NX")
            .arg("PX")
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1));
        // A retried SET NX after a lost reply finds our own token: that is ours too.
        let set: Option<String> = self.run(&cmd, "SET NX PX").await?;
        if set.is_some() {
            return Ok(true);
        }
        let mut get = redis::cmd("GET");
        get.arg(self.lock_key(board));
        let holder: Option<String> = self.run(&get, "GET lock").await?;
        Ok(holder.as_deref() == Some(token))
    }

    async fn locked(&self, board: &str) -> anyhow::Result<bool> {
        let mut cmd = redis::cmd("EXISTS");
        cmd.arg(self.lock_key(board));
        let n: i64 = self.run(&cmd, "EXISTS lock").await?;
        Ok(n > 0)
    }

    async fn unlock(&self, board: &str, token: &str) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(UNLOCK).arg(1).arg(self.lock_key(board)).arg(token);
        let _: i64 = self.run(&cmd, "unlock").await?;
        Ok(())
    }

    async fn stage(
        &self,
        board: &str,
        stage: &str,
        entries: &[(String, i64)],
    ) -> anyhow::Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let key = self.stage_key(board, stage);
        // `ZADD … GT` is idempotent, so the pipeline may be retried whole.
        let mut pipe = redis::pipe();
        for chunk in entries.chunks(ZADD_CHUNK) {
            let cmd = pipe.cmd("ZADD").arg(&key).arg("GT");
            for (member, score) in chunk {
                cmd.arg(*score).arg(member);
            }
            cmd.ignore();
        }
        // A forgotten staging copy (a crashed rebuild) expires on its own.
        pipe.cmd("PEXPIRE").arg(&key).arg(600_000).ignore();
        let () = retrying_pipe(&self.conn, &pipe)
            .await
            .context("ZADD rebuild")?;
        Ok(())
    }

    async fn publish(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        let key = self.key(board);
        let stage_key = self.stage_key(board, stage);
        // Not retried: after a lost reply the copy is gone and a second run would delete
        // the board just published. A failure here is healed by the next rebuild.
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(PUBLISH).arg(2).arg(&key).arg(&stage_key);
        let mut conn = self.conn.clone();
        let _: i64 = cmd.query_async(&mut conn).await.context("publish")?;
        Ok(())
    }

    async fn merge(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        // Retrying is safe: a second run finds the copy gone and leaves the board as it is.
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(MERGE)
            .arg(2)
            .arg(self.key(board))
            .arg(self.stage_key(board, stage));
        let _: i64 = self.run(&cmd, "merge").await?;
        Ok(())
    }

    async fn discard(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.stage_key(board, stage));
        let _: i64 = self.run(&cmd, "DEL stage").await?;
        Ok(())
    }

    async fn remove(&self, board: &str) -> anyhow::Result<()> {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(self.key(board));
        let _: i64 = self.run(&cmd, "DEL").await?;
        Ok(())
    }
}
