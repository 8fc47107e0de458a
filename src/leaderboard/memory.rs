use std::{
    cmp::Reverse,
    collections::{BTreeSet, HashMap},
    sync::RwLock,
};

use super::Leaderboard;

#[derive(Default)]
struct Board {
    scores: HashMap<String, i64>,
    /// Best first; equal scores by member, like Redis' reverse range.
    order: BTreeSet<(Reverse<i64>, Reverse<String>)>,
}

/// Boards in process memory: one instance only (the embedded default).
#[derive(Default)]
pub struct MemoryBoards {
    boards: RwLock<HashMap<String, Board>>,
}

impl MemoryBoards {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl Leaderboard for MemoryBoards {
    async fn record(&self, board: &str, member: &str, score: i64) -> anyhow::Result<()> {
        let mut boards = self.boards.write().unwrap_or_else(|p| p.into_inner());
        let b = boards.entry(board.to_owned()).or_default();
        match b.scores.get(member) {
            Some(old) if *old >= score => {}
            old => {
                if let Some(old) = old {
                    b.order.remove(&(Reverse(*old), Reverse(member.to_owned())));
                }
                b.scores.insert(member.to_owned(), score);
                b.order.insert((Reverse(score), Reverse(member.to_owned())));
            }
        }
        Ok(())
    }

    async fn page(
        &self,
        board: &str,
        offset: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        let boards = self.boards.read().unwrap_or_else(|p| p.into_inner());
        Ok(boards.get(board).map_or_else(Vec::new, |b| {
            b.order
                .iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|(s, m)| (m.0.clone(), s.0))
                .collect()
        }))
    }

    async fn rank(&self, board: &str, member: &str) -> anyhow::Result<Option<(u64, i64)>> {
        let boards = self.boards.read().unwrap_or_else(|p| p.into_inner());
        let Some(b) = boards.get(board) else {
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
        let boards = self.boards.read().unwrap_or_else(|p| p.into_inner());
        Ok(boards.get(board).map_or(0, |b| b.scores.len() as u64))
    }

    async fn exists(&self, board: &str) -> anyhow::Result<bool> {
        Ok(self
            .boards
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(board))
    }

    async fn replace(&self, board: &str, entries: &[(String, i64)]) -> anyhow::Result<()> {
        let mut fresh = Board::default();
        for (m, s) in entries {
            let keep = fresh.scores.get(m).is_none_or(|old| s > old);
            if keep {
                if let Some(old) = fresh.scores.insert(m.clone(), *s) {
                    fresh.order.remove(&(Reverse(old), Reverse(m.clone())));
                }
                fresh.order.insert((Reverse(*s), Reverse(m.clone())));
            }
        }
        self.boards
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(board.to_owned(), fresh);
        Ok(())
    }

    async fn remove(&self, board: &str) -> anyhow::Result<()> {
        self.boards
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(board);
        Ok(())
    }
}
