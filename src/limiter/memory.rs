use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::Limiter;

/// Process-local windows. Expired entries are pruned as the map grows, so memory stays
/// bounded by the number of keys active in one window.
#[derive(Default)]
pub struct MemoryLimiter {
    windows: Mutex<HashMap<String, (u64, Instant)>>,
}

impl MemoryLimiter {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl Limiter for MemoryLimiter {
    async fn hit(&self, key: &str, window: Duration) -> anyhow::Result<u64> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, ends)| *ends > now);
        }
        let entry = map.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Ok(entry.0)
    }

    async fn peek(&self, key: &str) -> anyhow::Result<Option<(u64, Duration)>> {
        let now = Instant::now();
        let map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map
            .get(key)
            .filter(|(_, ends)| *ends > now)
            .map(|(count, ends)| (*count, *ends - now)))
    }

    async fn undo(&self, key: &str) -> anyhow::Result<()> {
        let now = Instant::now();
        let mut map = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((count, ends)) = map.get_mut(key)
            && *ends > now
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }

    async fn reset(&self, key: &str) -> anyhow::Result<()> {
        self.windows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
        Ok(())
    }
}
