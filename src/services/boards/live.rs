//! The live board of a round: its score encoding, reads (a page, the caller's place), and
//! keeping it whole (rebuilds from the database, boards that missed writes).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{board_key, people, unavailable};
use crate::{
    auth::AuthUser,
    domain::ranking,
    error::{ApiResult, Code},
    leaderboard,
    services::{
        caches::Shown,
        rounds::{self, RoundFacts},
    },
    state::AppState,
    store,
};

/// Rounds whose board missed a write (the store was down): rebuilt from the database at the
/// next read or sweep, so the board catches up once the store is back.
#[derive(Default)]
pub struct StaleBoards(std::sync::Mutex<std::collections::HashSet<i32>>);

impl StaleBoards {
    pub fn mark(&self, round: i32) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(round);
    }

    fn take(&self, round: i32) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&round)
    }

    fn all(&self) -> Vec<i32> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect()
    }
}

/// How long a finished attempt may take to reach the board (the board write follows the
/// commit): attempts younger than this are not yet expected on it, so a submit in flight never
/// looks like a lost entry.
const SETTLE: chrono::Duration = chrono::Duration::seconds(5);

/// A rebuild holds the board's lock at most this long (a crashed one frees it on its own).
const REBUILD_LOCK_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// Attempts read per query while rebuilding.
const REBUILD_BATCH: u64 = 5000;

/// The entries the round's board should hold at least. With `all`, every finished attempt
/// counts (a board that reads empty); otherwise only those older than [`SETTLE`].
async fn expected(state: &AppState, f: &RoundFacts, all: bool) -> ApiResult<u64> {
    let r = &f.round;
    if let Some(n) = state.board_counts.get(r.id, all) {
        return Ok(n);
    }
    let before = if all {
        state.clock.now() + chrono::Duration::days(3650)
    } else {
        state.clock.now() - SETTLE
    };
    let n = store::attempts::participants_before(&state.db, r.quiz_id, before).await?;
    state.board_counts.insert(r.id, all, n);
    Ok(n)
}

/// The live board's score of a finished attempt: correct answers, then the time as the
/// contest measures it (the same measure the final ranking uses, see
/// [`ranking::better_attempt`]).
pub fn live_score(
    mode: ranking::TimeMode,
    correct: Option<i32>,
    duration_ms: Option<i64>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    opens_at: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let time = submitted_at.map_or(0, |at| {
        ranking::time_ms(mode, duration_ms.unwrap_or(0), at, opens_at)
    });
    leaderboard::score(u32::try_from(correct.unwrap_or(0)).unwrap_or(0), time)
}

/// A finished attempt in a round, as its board records it.
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    pub user_id: Uuid,
    pub correct: Option<i32>,
    pub duration_ms: Option<i64>,
    pub submitted_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Records a finished attempt on its round's board, which keeps the participant's best
/// (`ZADD … GT`). Called after the attempt's commit: the database already holds it, so a board
/// that cannot be written now is marked stale and rebuilt when the store answers; the
/// participant's submit still succeeds.
pub async fn record(state: &AppState, f: &RoundFacts, a: Finished) {
    let r = &f.round;
    let score = live_score(
        f.time_mode,
        a.correct,
        a.duration_ms,
        a.submitted_at,
        r.opens_at,
    );
    if let Err(e) = state
        .boards
        .record(&board_key(r.id), &a.user_id.to_string(), score)
        .await
    {
        tracing::warn!(round_id = r.id, error = %e, "board write failed; the board is rebuilt when the store answers");
        state.stale_boards.mark(r.id);
    }
}

/// Rebuilds the boards that missed writes. Returns how many were rebuilt; a board whose store
/// is still down stays marked.
pub async fn heal(state: &AppState) -> ApiResult<usize> {
    let mut healed = 0;
    for round in state.stale_boards.all() {
        state.stale_boards.take(round);
        let f = match rounds::facts(state, round).await {
            Ok(Some(f)) => f,
            Ok(None) => continue,
            Err(e) => {
                state.stale_boards.mark(round);
                return Err(e);
            }
        };
        match rebuild_round(state, &f).await {
            Ok(_) => healed += 1,
            Err(_) => state.stale_boards.mark(round),
        }
    }
    Ok(healed)
}

/// Rebuilds one round's board from the database, one rebuild per board at a time: under the
/// board's lock (Redis `SET NX PX`, or a process-local lock for the memory board), into a
/// staging copy of its own, merged into the live board in one step (keeping results recorded
/// meanwhile). Reads only the columns a score needs, in
/// batches, each written as one pipelined round trip. Returns the entries on the board after;
/// when another rebuild holds the lock, waits for it to end instead.
pub async fn rebuild_round(state: &AppState, f: &RoundFacts) -> ApiResult<u64> {
    let r = &f.round;
    let key = board_key(r.id);
    let token = Uuid::new_v4().simple().to_string();
    if !state
        .boards
        .lock(&key, &token, REBUILD_LOCK_TTL)
        .await
        .map_err(unavailable)?
    {
        // Someone else rebuilds: wait for them (bounded), then read what they wrote.
        for _ in 0..200 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if !state.boards.locked(&key).await.map_err(unavailable)? {
                break;
            }
        }
        return state.boards.count(&key).await.map_err(unavailable);
    }
    let result = stage_and_merge(state, f, &key, &token).await;
    if result.is_err() {
        let _ = state.boards.discard(&key, &token).await;
    }
    if let Err(e) = state.boards.unlock(&key, &token).await {
        tracing::warn!(round_id = r.id, error = %e, "board lock not released; it expires");
    }
    let n = result?;
    tracing::info!(
        round_id = r.id,
        entries = n,
        "board rebuilt from the database"
    );
    Ok(n)
}

async fn stage_and_merge(
    state: &AppState,
    f: &RoundFacts,
    key: &str,
    stage: &str,
) -> ApiResult<u64> {
    let (r, mode) = (&f.round, f.time_mode);
    let mut after = None;
    loop {
        let rows = store::attempts::board_rows(&state.db, r.quiz_id, after, REBUILD_BATCH).await?;
        let Some(last) = rows.last() else {
            break;
        };
        after = Some(last.id);
        // Every attempt goes in; the staging copy keeps each person's best (`ZADD … GT`).
        let entries: Vec<(String, i64)> = rows
            .iter()
            .map(|a| {
                (
                    a.user_id.to_string(),
                    live_score(mode, a.correct, a.duration_ms, a.submitted_at, r.opens_at),
                )
            })
            .collect();
        state
            .boards
            .stage(key, stage, &entries)
            .await
            .map_err(unavailable)?;
        if (rows.len() as u64) < REBUILD_BATCH {
            break;
        }
    }
    state.boards.merge(key, stage).await.map_err(unavailable)?;
    state.boards.count(key).await.map_err(unavailable)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BoardEntry {
    pub rank: u64,
    /// Masked: family name and initials.
    pub display_name: String,
    pub unit_name: Option<String>,
    pub correct: u32,
    pub total: u32,
    /// The time the board ranks by: the attempt's duration, or (contests that say so) the
    /// time from the round's opening to the submission.
    pub duration_ms: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub round_id: i32,
    pub entries: Vec<BoardEntry>,
    pub total_participants: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MyPlace {
    pub round_id: i32,
    pub total_participants: u64,
    /// None when the caller has no finished attempt in the round.
    pub entry: Option<BoardEntry>,
}

/// Heals the board: one that missed writes, or that holds fewer entries than the database
/// says it should (lost with a Redis restart, a deleted key, a write that failed), is rebuilt
/// from the attempts table. `live` is the board's entry count now. Returns the count after.
pub async fn ensure_board(state: &AppState, f: &RoundFacts, live: u64) -> ApiResult<u64> {
    let r = &f.round;
    if state.stale_boards.take(r.id) {
        return match rebuild_round(state, f).await {
            Ok(n) => {
                tracing::info!(round_id = r.id, "board caught up after missed writes");
                Ok(n)
            }
            Err(e) => {
                state.stale_boards.mark(r.id);
                Err(e)
            }
        };
    }
    let want = expected(state, f, live == 0).await?;
    if live >= want {
        return Ok(live);
    }
    tracing::warn!(
        round_id = r.id,
        live,
        expected = want,
        "board short of entries: rebuilding from the database"
    );
    rebuild_round(state, f).await
}

/// Rebuilds the boards of the given rounds (all when empty) from the database. Returns the
/// number of entries on each board after.
pub async fn rebuild(state: &AppState, round_ids: &[i32]) -> ApiResult<Vec<(i32, usize)>> {
    let ids: Vec<i32> = if round_ids.is_empty() {
        store::contests::all_rounds(&state.db)
            .await?
            .iter()
            .map(|r| r.id)
            .collect()
    } else {
        round_ids.to_vec()
    };
    let mut out = Vec::new();
    for id in ids {
        let f = rounds::facts(state, id)
            .await?
            .ok_or_else(|| Code::RoundNotFound.with(format!("Không có vòng thi {id}")))?;
        let n = rebuild_round(state, &f).await?;
        out.push((id, usize::try_from(n).unwrap_or(usize::MAX)));
    }
    Ok(out)
}

fn entry(rank: u64, score: i64, total: u32, who: Option<&Arc<Shown>>) -> BoardEntry {
    let (correct, time) = leaderboard::unscore(score);
    BoardEntry {
        rank,
        display_name: who.map_or_else(|| "Ẩn danh".to_owned(), |s| s.display_name.clone()),
        unit_name: who.and_then(|s| s.unit_name.clone()),
        correct,
        total,
        duration_ms: time,
    }
}

/// The round's facts, from the round cache. Boards show masked names and scores only, so
/// every logged-in user may read them, like the public boards of national contests.
async fn visible_round(state: &AppState, _auth: AuthUser, id: i32) -> ApiResult<Arc<RoundFacts>> {
    rounds::existing(state, id).await
}

/// A page of the live board: one sorted-set read and names from the cache.
pub async fn page(
    state: &AppState,
    auth: AuthUser,
    round_id: i32,
    offset: u64,
    limit: u64,
) -> ApiResult<Board> {
    let f = visible_round(state, auth, round_id).await?;
    let (r, total) = (&f.round, f.questions);
    let key = board_key(r.id);
    let limit = limit.clamp(1, 200);
    let live = state.boards.count(&key).await.map_err(unavailable)?;
    let count = ensure_board(state, &f, live).await?;
    let rows = state
        .boards
        .page(&key, offset, limit)
        .await
        .map_err(unavailable)?;
    let ids: Vec<Uuid> = rows.iter().filter_map(|(m, _)| m.parse().ok()).collect();
    let names = people(state, &ids).await?;
    let entries = rows
        .iter()
        .enumerate()
        .map(|(i, (m, s))| {
            entry(
                offset + i as u64 + 1,
                *s,
                total,
                m.parse().ok().and_then(|u: Uuid| names.get(&u)),
            )
        })
        .collect();
    Ok(Board {
        round_id: r.id,
        entries,
        total_participants: count,
    })
}

pub async fn me(state: &AppState, auth: AuthUser, round_id: i32) -> ApiResult<MyPlace> {
    let f = visible_round(state, auth, round_id).await?;
    let (r, total) = (&f.round, f.questions);
    let key = board_key(r.id);
    let live = state.boards.count(&key).await.map_err(unavailable)?;
    let count = ensure_board(state, &f, live).await?;
    let place = state
        .boards
        .rank(&key, &auth.id.to_string())
        .await
        .map_err(unavailable)?;
    let names = people(state, &[auth.id]).await?;
    Ok(MyPlace {
        round_id: r.id,
        total_participants: count,
        entry: place.map(|(rank, score)| entry(rank + 1, score, total, names.get(&auth.id))),
    })
}
