use anyhow::Context;
use redis::aio::ConnectionManager;

use super::Leaderboard;

/// Boards in Redis sorted sets, `{prefix}board:{<board>}`: the braces are a hash tag, so a
/// board and its rebuild buffer live on one Redis Cluster slot.
pub struct RedisBoards {
    conn: ConnectionManager,
    prefix: String,
}

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
}

#[async_trait::async_trait]
impl Leaderboard for RedisBoards {
    async fn record(&self, board: &str, member: &str, score: i64) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("ZADD")
            .arg(self.key(board))
            .arg("GT")
            .arg(score)
            .arg(member)
            .query_async(&mut conn)
            .await
            .context("ZADD GT")?;
        Ok(())
    }

    async fn page(
        &self,
        board: &str,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut conn = self.conn.clone();
        let rows: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
            .arg(self.key(board))
            .arg(offset)
            .arg(offset + limit - 1)
            .arg("WITHSCORES")
            .query_async(&mut conn)
            .await
            .context("ZREVRANGE")?;
        Ok(rows.into_iter().map(|(m, s)| (m, s as i64)).collect())
    }

    async fn rank(&self, board: &str, member: &str) -> anyhow::Result<Option<(u64, i64)>> {
        let mut conn = self.conn.clone();
        let key = self.key(board);
        let (rank, score): (Option<u64>, Option<f64>) = redis::pipe()
            .cmd("ZREVRANK")
            .arg(&key)
            .arg(member)
            .cmd("ZSCORE")
            .arg(&key)
            .arg(member)
            .query_async(&mut conn)
            .await
            .context("ZREVRANK")?;
        Ok(rank.zip(score).map(|(r, s)| (r, s as i64)))
    }

    async fn count(&self, board: &str) -> anyhow::Result<u64> {
        let mut conn = self.conn.clone();
        Ok(redis::cmd("ZCARD")
            .arg(self.key(board))
            .query_async(&mut conn)
            .await
            .context("ZCARD")?)
    }

    async fn exists(&self, board: &str) -> anyhow::Result<bool> {
        let mut conn = self.conn.clone();
        let n: i64 = redis::cmd("EXISTS")
            .arg(self.key(board))
            .query_async(&mut conn)
            .await
            .context("EXISTS")?;
        Ok(n > 0)
    }

    async fn replace(&self, board: &str, entries: &[(String, i64)]) -> anyhow::Result<()> {
        let key = self.key(board);
        let tmp = format!("{key}:rebuild");
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("DEL")
            .arg(&tmp)
            .query_async(&mut conn)
            .await
            .context("DEL")?;
        // Pipelined writes in chunks, into a buffer renamed over the board at the end.
        for chunk in entries.chunks(1000) {
            let mut cmd = redis::cmd("ZADD");
            cmd.arg(&tmp).arg("GT");
            for (member, score) in chunk {
                cmd.arg(*score).arg(member);
            }
            let _: i64 = cmd.query_async(&mut conn).await.context("ZADD rebuild")?;
        }
        if entries.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .context("DEL")?;
        } else {
            let _: () = redis::cmd("RENAME")
                .arg(&tmp)
                .arg(&key)
                .query_async(&mut conn)
                .await
                .context("RENAME")?;
        }
        Ok(())
    }

    async fn remove(&self, board: &str) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let _: () = redis::cmd("DEL")
            .arg(self.key(board))
            .query_async(&mut conn)
            .await
            .context("DEL")?;
        Ok(())
    }
}
