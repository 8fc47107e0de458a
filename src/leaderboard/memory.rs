use std::{
    cmp::Reverse,
    collections::{BTreeSet, HashMap},
    sync::RwLock,
    time::{Duration, Instant},
};

use super::Leaderboard;

#[derive(Default)]
struct Board {
    scores: HashMap<String, i64>,
    /// Best first; equal scores by member, like Redis' reverse range.
    order: BTreeSet<(Reverse<i64>, Reverse<String>)>,
}

impl Board {
    /// Keeps the better of the old and the new score (an equal one keeps the old).
    fn record(&mut self, member: &str, score: i64) {
        match self.scores.get(member) {
            Some(old) if *old >= score => {}
            old => {
                if let Some(old) = old {
                    self.order
                        .remove(&(Reverse(*old), Reverse(member.to_owned())));
                }
                self.scores.insert(member.to_owned(), score);
                self.order
                    .insert((Reverse(score), Reverse(member.to_owned())));
            }
        }
    }
}

#[derive(Default)]
struct Boards {
    live: HashMap<String, Board>,
    /// Staging copies by (board, stage).
    staged: HashMap<(String, String), Board>,
    /// Rebuild locks: the process-local counterpart of Redis' `SET NX PX`.
    locks: HashMap<String, (String, Instant)>,
}

/// Boards in process memory: one instance only (the embedded default).
#[derive(Default)]
pub struct MemoryBoards {
    boards: RwLock<Boards>,
}

impl MemoryBoards {
    pub fn new() -> Self {
        Self::default()
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Boards> {
        self.boards.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Boards> {
        self.boards.read().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait::async_trait]
impl Leaderboard for MemoryBoards {
    async fn record(&self, board: &str, member: &str, score: i64) -> anyhow::Result<()> {
        self.write()
            .live
            .entry(board.to_owned())
            .or_default()
            .record(member, score);
        Ok(())
    }

    async fn page(
        &self,
        board: &str,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        let boards = self.read();
        Ok(boards.live.get(board).map_or_else(Vec::new, |b| {
            b.order
                .iter()
                .skip(usize::try_from(offset).unwrap_or(usize::MAX))
                .take(usize::try_from(limit).unwrap_or(usize::MAX))
                .map(|(s, m)| (m.0.clone(), s.0))
                .collect()
        }))
    }

    async fn rank(&self, board: &str, member: &str) -> anyhow::Result<Option<(u64, i64)>> {
        let boards = self.read();
        let Some(b) = boards.live.get(board) else {
            return Ok(None);
        };
        let Some(score) = b.scores.get(member) else {
            return Ok(None);
        };
        let rank = b
            .order
            .range(..(Reverse(*score), Reverse(member.to_owned())))
            .count();
        Ok(Some((rank as u64, *score)))
    }

    async fn count(&self, board: &str) -> anyhow::Result<u64> {
        Ok(self
            .read()
            .live
            .get(board)
            .map_or(0, |b| b.scores.len() as u64))
    }

    async fn exists(&self, board: &str) -> anyhow::Result<bool> {
        Ok(self.read().live.contains_key(board))
    }

    async fn lock(&self, board: &str, token: &str, ttl: Duration) -> anyhow::Result<bool> {
        let mut boards = self.write();
        let now = Instant::now();
        match boards.locks.get(board) {
            Some((_, until)) if *until > now => Ok(false),
            _ => {
                boards
                    .locks
                    .insert(board.to_owned(), (token.to_owned(), now + ttl));
                Ok(true)
            }
        }
    }

    async fn locked(&self, board: &str) -> anyhow::Result<bool> {
        Ok(self
            .read()
            .locks
            .get(board)
            .is_some_and(|(_, until)| *until > Instant::now()))
    }

    async fn unlock(&self, board: &str, token: &str) -> anyhow::Result<()> {
        let mut boards = self.write();
        if boards.locks.get(board).is_some_and(|(t, _)| t == token) {
            boards.locks.remove(board);
        }
        Ok(())
    }

    async fn stage(
        &self,
        board: &str,
        stage: &str,
        entries: &[(String, i64)],
    ) -> anyhow::Result<()> {
        let mut boards = self.write();
        let copy = boards
            .staged
            .entry((board.to_owned(), stage.to_owned()))
            .or_default();
        for (m, s) in entries {
            copy.record(m, *s);
        }
        Ok(())
    }

    async fn publish(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        let mut boards = self.write();
        match boards.staged.remove(&(board.to_owned(), stage.to_owned())) {
            Some(copy) if !copy.scores.is_empty() => {
                boards.live.insert(board.to_owned(), copy);
            }
            _ => {
                boards.live.remove(board);
            }
        }
        Ok(())
    }

    async fn merge(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        let mut boards = self.write();
        if let Some(copy) = boards.staged.remove(&(board.to_owned(), stage.to_owned())) {
            let live = boards.live.entry(board.to_owned()).or_default();
            for (member, score) in copy.scores {
                live.record(&member, score);
            }
        }
        Ok(())
    }

    async fn discard(&self, board: &str, stage: &str) -> anyhow::Result<()> {
        self.write()
            .staged
            .remove(&(board.to_owned(), stage.to_owned()));
        Ok(())
    }

    async fn remove(&self, board: &str) -> anyhow::Result<()> {
        self.write().live.remove(board);
        Ok(())
    }
}
