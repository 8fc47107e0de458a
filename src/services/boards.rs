//! Reading boards: the live board of a round (Redis or memory), the caller's place on it, the
//! unit board of a contest, and a round's stored results. Names shown on boards are masked and
//! nothing else personal leaves: no phone, e-mail or birth date.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Instant,
};

use entity::{round_results, rounds};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::contests;
use crate::{
    auth::{AuthUser, Caller},
    domain::{ranking, text::mask_name},
    error::{ApiError, ApiResult, Code},
    leaderboard,
    state::AppState,
    store,
};

/// The board of a round (the key's hash tag keeps a round's keys on one cluster slot).
pub fn board_key(round_id: i32) -> String {
    format!("round:{round_id}")
}

/// What a board shows of a person.
#[derive(Debug, Clone)]
pub struct Shown {
    pub display_name: String,
    pub unit_name: Option<String>,
}

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

/// How many entries each round's board should hold, counted in the database and held for a
/// few seconds: a board read compares the live count with it, and costs at most one count
/// query per round every [`COUNT_TTL`] per instance.
#[derive(Default)]
pub struct BoardCounts(std::sync::Mutex<HashMap<(i32, bool), (Instant, u64)>>);

const COUNT_TTL: std::time::Duration = std::time::Duration::from_secs(3);

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
async fn expected(state: &AppState, r: &rounds::Model, all: bool) -> ApiResult<u64> {
    if let Some((at, n)) = state
        .board_counts
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&(r.id, all))
        && at.elapsed() < COUNT_TTL
    {
        return Ok(*n);
    }
    let before = if all {
        state.clock.now() + chrono::Duration::days(3650)
    } else {
        state.clock.now() - SETTLE
    };
    let n = store::attempts::participants_before(&state.db, r.quiz_id, before).await?;
    state
        .board_counts
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert((r.id, all), (Instant::now(), n));
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

/// Rebuilds the boards that missed writes. Returns how many were rebuilt; a board whose store
/// is still down stays marked.
pub async fn heal(state: &AppState) -> ApiResult<usize> {
    let mut healed = 0;
    for round in state.stale_boards.all() {
        state.stale_boards.take(round);
        let r = match store::contests::round(&state.db, round).await {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(e) => {
                state.stale_boards.mark(round);
                return Err(e);
            }
        };
        match rebuild_round(state, &r).await {
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
pub async fn rebuild_round(state: &AppState, r: &rounds::Model) -> ApiResult<u64> {
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
    let result = stage_and_merge(state, r, &key, &token).await;
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
    r: &rounds::Model,
    key: &str,
    stage: &str,
) -> ApiResult<u64> {
    let c = store::contests::contest(&state.db, r.contest_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::ContestNotFound))?;
    let mode = contests::ranking_of(&c).time_mode;
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

/// Masked names and unit names by user id, held in memory: a board read needs no database
/// query once the page's people have been seen. Derived data; each instance keeps its own.
#[derive(Default)]
pub struct NameCache(RwLock<HashMap<Uuid, Arc<Shown>>>);

impl NameCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets a person (after a profile change or erasure).
    pub fn forget(&self, user: Uuid) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user);
    }
}

/// The shown names of these users, reading the ones not cached in two queries.
pub async fn people(state: &AppState, ids: &[Uuid]) -> ApiResult<HashMap<Uuid, Arc<Shown>>> {
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    {
        let cache = state.names.0.read().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            match cache.get(id) {
                Some(s) => {
                    out.insert(*id, s.clone());
                }
                None => missing.push(*id),
            }
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let users = store::users::find_many(&state.db, &missing).await?;
    let unit_ids: Vec<i32> = users.iter().filter_map(|u| u.unit_id).collect();
    let units: HashMap<i32, String> = store::units::find_by_ids(&state.db, &unit_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut cache = state.names.0.write().unwrap_or_else(|p| p.into_inner());
    for u in users {
        let shown = Arc::new(Shown {
            display_name: if u.deleted_at.is_some() {
                "Ẩn danh".to_owned()
            } else {
                mask_name(&u.full_name)
            },
            unit_name: u.unit_id.and_then(|id| units.get(&id).cloned()),
        });
        cache.insert(u.id, shown.clone());
        out.insert(u.id, shown);
    }
    Ok(out)
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

fn unavailable(e: anyhow::Error) -> ApiError {
    tracing::warn!(error = %e, "leaderboard backend unavailable");
    Code::LeaderboardUnavailable.into()
}

/// Rounds and their question counts, held briefly in memory: board reads are the hottest
/// read of a contest week and must not cost database queries. A few seconds of staleness only
/// delays a round's state change on the board header.
#[derive(Default)]
pub struct RoundCache(RwLock<HashMap<i32, CachedRound>>);

/// When it was read, the round, and its number of questions.
type CachedRound = (std::time::Instant, Arc<(rounds::Model, u32)>);

const ROUND_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// The round and its number of questions. Boards show masked names and scores only, so every
/// logged-in user may read them, like the public boards of national contests.
async fn round_and_total(
    state: &AppState,
    _auth: AuthUser,
    id: i32,
) -> ApiResult<(rounds::Model, u32)> {
    if let Some((at, hit)) = state
        .rounds
        .0
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        && at.elapsed() < ROUND_TTL
    {
        return Ok((hit.0.clone(), hit.1));
    }
    let r = store::contests::round(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))?;
    let quiz = store::courses::quiz(&state.db, r.quiz_id).await?;
    let total = quiz
        .and_then(|q| {
            serde_json::from_str::<Vec<crate::domain::paper::DrawRule>>(&q.draw_rules).ok()
        })
        .map_or(0, |rules| rules.iter().map(|r| r.count).sum());
    let entry = Arc::new((r.clone(), total));
    state
        .rounds
        .0
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, (std::time::Instant::now(), entry));
    Ok((r, total))
}

/// Heals the board: one that missed writes, or that holds fewer entries than the database
/// says it should (lost with a Redis restart, a deleted key, a write that failed), is rebuilt
/// from the attempts table. `live` is the board's entry count now. Returns the count after.
pub async fn ensure_board(state: &AppState, r: &rounds::Model, live: u64) -> ApiResult<u64> {
    if state.stale_boards.take(r.id) {
        return match rebuild_round(state, r).await {
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
    let want = expected(state, r, live == 0).await?;
    if live >= want {
        return Ok(live);
    }
    tracing::warn!(
        round_id = r.id,
        live,
        expected = want,
        "board short of entries: rebuilding from the database"
    );
    rebuild_round(state, r).await
}

/// Rebuilds the boards of the given rounds (all when empty) from the database. Returns the
/// number of entries on each board after.
pub async fn rebuild(state: &AppState, round_ids: &[i32]) -> ApiResult<Vec<(i32, usize)>> {
    let mut out = Vec::new();
    let rounds = if round_ids.is_empty() {
        let mut all = Vec::new();
        for c in store::contests::contests(&state.db).await? {
            all.extend(store::contests::rounds_of(&state.db, c.id).await?);
        }
        all
    } else {
        let mut some = Vec::new();
        for id in round_ids {
            some.push(
                store::contests::round(&state.db, *id)
                    .await?
                    .ok_or_else(|| Code::RoundNotFound.with(format!("Không có vòng thi {id}")))?,
            );
        }
        some
    };
    for r in rounds {
        let n = rebuild_round(state, &r).await?;
        out.push((r.id, usize::try_from(n).unwrap_or(usize::MAX)));
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

/// A page of the live board: one sorted-set read and names from the cache.
pub async fn page(
    state: &AppState,
    auth: AuthUser,
    round_id: i32,
    offset: u64,
    limit: u64,
) -> ApiResult<Board> {
    let (r, total) = round_and_total(state, auth, round_id).await?;
    let key = board_key(r.id);
    let limit = limit.clamp(1, 200);
    let live = state.boards.count(&key).await.map_err(unavailable)?;
    let count = ensure_board(state, &r, live).await?;
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
    let (r, total) = round_and_total(state, auth, round_id).await?;
    let key = board_key(r.id);
    let live = state.boards.count(&key).await.map_err(unavailable)?;
    let count = ensure_board(state, &r, live).await?;
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitRow {
    pub unit_id: i32,
    pub unit_name: String,
    pub participants: u32,
    pub members: u32,
    /// Participants per thousand members.
    pub rate_permille: u32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitBoard {
    pub contest_id: i32,
    pub round_id: Option<i32>,
    /// Depth in the unit tree the figures are rolled up to (1 = the root).
    pub level: usize,
    pub by_participants: Vec<UnitRow>,
    pub by_rate: Vec<UnitRow>,
}

/// Units by participants, absolute and per member, rolled up to one level of the tree. A
/// participant counts once, in the unit they belonged to when they took part. Members are the
/// unit's declared member count, or else the accounts registered in its subtree.
pub async fn unit_board(
    state: &AppState,
    auth: AuthUser,
    contest_id: i32,
    round_id: Option<i32>,
    level: Option<usize>,
) -> ApiResult<UnitBoard> {
    let c = contests::get(state, auth, contest_id).await?;
    let rounds: Vec<i32> = match round_id {
        Some(id) if c.rounds.iter().any(|r| r.id == id) => vec![id],
        Some(_) => {
            return Err(Code::RoundNotFound.with("Vòng thi không thuộc cuộc thi này"));
        }
        None => c.rounds.iter().map(|r| r.id).collect(),
    };
    let owner = store::units::find(&state.db, c.owner_unit_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::UnitNotFound))?;
    let level = level
        .unwrap_or(crate::domain::unit::path_ids(&owner.path).len() + 1)
        .max(1);
    let units = store::units::list(&state.db, true).await?;
    let by_id: HashMap<i32, &entity::units::Model> = units.iter().map(|u| (u.id, u)).collect();
    let roll_up = |unit: i32| -> Option<i32> {
        let ids = crate::domain::unit::path_ids(&by_id.get(&unit)?.path);
        ids.get(level - 1).copied()
    };

    let mut seen: HashMap<Uuid, i32> = HashMap::new();
    for rid in rounds {
        let Some(r) = store::contests::round(&state.db, rid).await? else {
            continue;
        };
        for a in store::attempts::finished_of_quiz(&state.db, r.quiz_id).await? {
            if let Some(u) = a.unit_id.filter(|_| !a.practice).and_then(roll_up) {
                seen.entry(a.user_id).or_insert(u);
            }
        }
    }
    let mut participants: HashMap<i32, u32> = HashMap::new();
    for unit in seen.values() {
        *participants.entry(*unit).or_default() += 1;
    }
    let registered = store::users::count_by_unit(&state.db).await?;
    let mut members: HashMap<i32, u32> = HashMap::new();
    for (unit, n) in registered {
        if let Some(top) = roll_up(unit) {
            *members.entry(top).or_default() += n;
        }
    }
    let tallies: Vec<ranking::UnitTally> = units
        .iter()
        .filter(|u| {
            crate::domain::unit::path_ids(&u.path).len() == level
                && crate::domain::unit::in_subtree(&u.path, &owner.path)
        })
        .map(|u| ranking::UnitTally {
            unit_id: u.id,
            participants: participants.get(&u.id).copied().unwrap_or(0),
            members: u
                .member_count
                .and_then(|m| u32::try_from(m).ok())
                .unwrap_or_else(|| members.get(&u.id).copied().unwrap_or(0)),
        })
        .collect();
    let (a, b) = ranking::unit_standings(&tallies);
    let row = |s: ranking::UnitStanding| UnitRow {
        unit_name: by_id
            .get(&s.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        unit_id: s.unit_id,
        participants: s.participants,
        members: s.members,
        rate_permille: s.rate_permille,
    };
    Ok(UnitBoard {
        contest_id,
        round_id,
        level,
        by_participants: a.into_iter().map(row).collect(),
        by_rate: b.into_iter().map(row).collect(),
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResultRow {
    pub rank: i32,
    pub display_name: String,
    pub unit_name: Option<String>,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    /// The time the ranking used (duration, or since the round opened).
    pub time_ms: i64,
    pub prediction: Option<i64>,
    pub prediction_error: Option<i64>,
    pub attempts_used: i32,
    pub prize: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Results {
    pub round_id: i32,
    pub finalised_at: chrono::DateTime<chrono::Utc>,
    /// The true figure the prediction question asked for.
    pub true_figure: Option<i64>,
    pub participants: usize,
    pub entries: Vec<ResultRow>,
    pub prizes: Vec<ResultRow>,
}

async fn stored(
    state: &AppState,
    _auth: AuthUser,
    round_id: i32,
) -> ApiResult<(rounds::Model, Vec<round_results::Model>)> {
    // Fresh from the database, not the board's round cache: results appear the moment the
    // finaliser stores them. Like the boards, results show masked names to any logged-in user.
    let r = store::contests::round(&state.db, round_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RoundNotFound))?;
    if r.finalised_at.is_none() {
        return Err(ApiError::from(Code::ResultsNotReady));
    }
    let rows = store::contests::results(&state.db, r.id).await?;
    Ok((r, rows))
}

pub async fn results(state: &AppState, auth: AuthUser, round_id: i32) -> ApiResult<Results> {
    let (r, rows) = stored(state, auth, round_id).await?;
    let shown = |x: &round_results::Model| ResultRow {
        rank: x.rank,
        display_name: x.display_name.clone(),
        unit_name: x.unit_name.clone(),
        correct: x.correct,
        total: x.total,
        duration_ms: x.duration_ms,
        time_ms: x.time_ms,
        prediction: x.prediction,
        prediction_error: x.prediction_error,
        attempts_used: x.attempts_used,
        prize: x.prize.clone(),
    };
    Ok(Results {
        round_id: r.id,
        finalised_at: r.finalised_at.unwrap_or_default(),
        true_figure: r.true_figure,
        participants: rows.len(),
        prizes: rows
            .iter()
            .filter(|x| x.prize.is_some())
            .map(shown)
            .collect(),
        entries: rows.iter().map(shown).collect(),
    })
}

/// The final results with contact details, for the organizers who must reach the winners.
///
/// Every row is there (the ranking stays true), but phone and e-mail only for the people the
/// caller is responsible for: participants whose unit is in a subtree the caller organizes
/// (admins: everyone), and the prize winners for the organizers of the contest's owning unit
/// (or above), who hand out the prizes. A district that runs a province-wide contest does
/// not get the phones of the other districts' members.
pub async fn export_rows(
    state: &AppState,
    auth: AuthUser,
    round_id: i32,
) -> ApiResult<(String, Vec<Vec<String>>)> {
    let (r, rows) = stored(state, auth, round_id).await?;
    let c = store::contests::contest(&state.db, r.contest_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::ContestNotFound))?;
    let actor = Caller::load(&state.db, auth.id).await?;
    let owner = store::units::find(&state.db, c.owner_unit_id).await?;
    let runs_contest = owner.as_ref().is_some_and(|u| actor.may_act_within(u));
    actor.require(runs_contest)?;
    let ids: Vec<Uuid> = rows.iter().map(|x| x.user_id).collect();
    let users: HashMap<Uuid, entity::users::Model> = store::users::find_many(&state.db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let unit_ids: Vec<i32> = users.values().filter_map(|u| u.unit_id).collect();
    let units: HashMap<i32, entity::units::Model> = store::units::find_by_ids(&state.db, &unit_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    // The person's unit now: an organizer answers for the people of their subtree today.
    let in_my_subtree = |u: &entity::users::Model| {
        u.unit_id
            .and_then(|id| units.get(&id))
            .is_some_and(|unit| actor.may_act_within(unit))
    };
    let may_contact = |x: &round_results::Model, u: &entity::users::Model| {
        u.deleted_at.is_none()
            && (actor.is_admin || in_my_subtree(u) || (x.prize.is_some() && runs_contest))
    };
    let header = [
        "Hạng",
        "Họ và tên",
        "Đơn vị",
        "Số câu đúng",
        "Tổng số câu",
        "Thời gian (giây)",
        "Dự đoán",
        "Sai số dự đoán",
        "Giải",
        "Điện thoại",
        "E-mail",
    ];
    let mut out = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for x in &rows {
        let u = users.get(&x.user_id);
        let contact = u.filter(|u| may_contact(x, u));
        out.push(vec![
            x.rank.to_string(),
            u.map_or_else(|| x.display_name.clone(), |u| u.full_name.clone()),
            x.unit_name.clone().unwrap_or_default(),
            x.correct.to_string(),
            x.total.to_string(),
            format!("{:.3}", x.time_ms as f64 / 1000.0),
            x.prediction.map(|p| p.to_string()).unwrap_or_default(),
            x.prediction_error
                .map(|p| p.to_string())
                .unwrap_or_default(),
            x.prize.clone().unwrap_or_default(),
            contact.and_then(|u| u.phone.clone()).unwrap_or_default(),
            contact.and_then(|u| u.email.clone()).unwrap_or_default(),
        ]);
    }
    Ok((format!("ket-qua-{}-vong-{}", c.slug, r.number), out))
}
