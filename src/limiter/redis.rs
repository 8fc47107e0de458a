use std::time::Duration;

use anyhow::Context;
use redis::aio::ConnectionManager;

use super::Limiter;

/// Windows in Redis: `INCR` then `EXPIRE … NX` in one round trip, so the window starts at
/// the first event and later events do not extend it.
pub struct RedisLimiter {
    conn: ConnectionManager,
    prefix: String,
}

impl RedisLimiter {
    pub fn new(conn: ConnectionManager, prefix: impl Into<String>) -> Self {
        Self {
            conn,
            prefix: format!("{}limit:", prefix.into()),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait::async_trait]
impl Limiter for RedisLimiter {
    async fn hit(&self, key: &str, window: Duration) -> anyhow::Result<u64> {
        let key = self.key(key);
        let mut conn = self.conn.clone();
        let (count, _): (u64, i64) = redis::pipe()
            .atomic()
            .incr(&key, 1u64)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(window.as_secs().max(1))
            .arg("NX")
            .query_async(&mut conn)
            .await
            .context("redis limiter hit")?;
        Ok(count)
    }

    async fn peek(&self, key: &str) -> anyhow::Result<Option<(u64, Duration)>> {
        let key = self.key(key);
        let mut conn = self.conn.clone();
        let (count, ttl_ms): (Option<u64>, i64) = redis::pipe()
            .get(&key)
            .pttl(&key)
            .query_async(&mut conn)
            .await
            .context("redis limiter peek")?;
        Ok(match count {
            Some(c) if ttl_ms > 0 => Some((c, Duration::from_millis(ttl_ms as u64))),
            _ => None,
        })
    }

    async fn undo(&self, key: &str) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        // DECR on an expired (absent) key would create a key with no expiry; the script only
        // decrements a live, positive count, atomically.
        let _: i64 = redis::cmd("EVAL")
            .arg(
                "local n = tonumber(redis.call('GET', KEYS[1]) or '0') \
                 if n > 0 then return redis.call('DECR', KEYS[1]) end return 0",
            )
            .arg(1)
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .context("redis limiter undo")?;
        Ok(())
    }

    async fn reset(&self, key: &str) -> anyhow::Result<()> {
        let mut conn = self.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async(&mut conn)
            .await
            .context("redis limiter reset")?;
        Ok(())
    }
}
