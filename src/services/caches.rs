//! The in-process caches: question versions and bank pools, masked names, rounds as board
//! reads and submits need them, and the entry counts boards are checked against. Derived
//! data; each instance keeps its own. Every cache is bounded (entries, and a time to live
//! where the data can change elsewhere), so memory stays flat however many rounds, banks and
//! people a long-running instance sees; what is evicted is read again.

use std::{collections::HashMap, sync::Arc, time::Duration};

use entity::rounds;
use moka::sync::Cache;
use uuid::Uuid;

use super::pool::Version;
use crate::{
    domain::{
        paper::{PoolEntry, Pools},
        ranking::TimeMode,
    },
    error::ApiResult,
    store::{self, Db, contests::Contest},
};

/// Banks whose pools are held (a pool is a small entry per live question).
const POOLS: u64 = 1_000;
/// Question versions held decoded. A paper needs its own (at most a few hundred); many
/// rounds and courses at once need a few banks' worth.
const VERSIONS: u64 = 50_000;
/// People whose shown names are held: the boards being read.
const NAMES: u64 = 100_000;
/// Rounds held: far more than run at once.
const ROUNDS: u64 = 10_000;
/// How long a bank's pool is used without reading the bank's version again: an import made
/// on another instance is drawn from that late at most.
const POOL_CHECK_TTL: Duration = Duration::from_secs(2);
/// Rounds (and their contest's audience, owner and ranking) are held for a few seconds: a
/// change made on another instance (a later close, a title) shows here that late at most.
const ROUND_TTL: Duration = Duration::from_secs(5);
/// Board entry counts (two per round: settled, and all).
const COUNTS: u64 = 20_000;
/// How long a board's expected entry count is trusted: a board read costs at most one count
/// query per round every this often per instance.
const COUNT_TTL: Duration = Duration::from_secs(3);

/// A bank's pool at one bank version.
type VersionedPool = (i32, Arc<Vec<PoolEntry>>);

/// Question versions are immutable, so they are held in process memory once read: drawing a
/// paper and grading it touch no database row per question. A bank's pool (what drawing needs)
/// is keyed by the bank's version and replaced when an import bumps it. The banks' current
/// versions are read (one small query) only when a pool was not checked within
/// [`POOL_CHECK_TTL`]: an import in this process forgets the checks at once, one in another
/// instance is seen within that time.
pub struct QuestionCache {
    versions: Cache<i32, Arc<Version>>,
    pools: Cache<String, VersionedPool>,
    /// Banks whose pool was found current within [`POOL_CHECK_TTL`].
    checked: Cache<String, ()>,
    /// Papers under way and quizzes (see `pool::AttemptCache`).
    pub attempts: super::pool::AttemptCache,
}

impl Default for QuestionCache {
    fn default() -> Self {
        QuestionCache {
            versions: Cache::new(VERSIONS),
            pools: Cache::new(POOLS),
            checked: Cache::builder()
                .max_capacity(POOLS)
                .time_to_live(POOL_CHECK_TTL)
                .build(),
            attempts: super::pool::AttemptCache::default(),
        }
    }
}

impl QuestionCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The pools of the named banks at their current versions (missing banks are absent).
    pub async fn pools(&self, db: &Db, slugs: &[String]) -> ApiResult<Pools> {
        let held: Pools = slugs
            .iter()
            .filter(|s| self.checked.contains_key(*s))
            .filter_map(|s| self.pools.get(s).map(|(_, pool)| (s.clone(), pool)))
            .collect();
        if slugs.iter().all(|s| held.contains_key(s)) {
            return Ok(held);
        }
        let current = store::banks::versions_by_slug(db, slugs).await?;
        let mut out = HashMap::new();
        for (slug, (bank_id, version)) in current {
            let cached = self
                .pools
                .get(&slug)
                .filter(|(v, _)| *v == version)
                .map(|(_, pool)| pool);
            let pool = match cached {
                Some(pool) => pool,
                None => self.load_pool(db, &slug, bank_id, version).await?,
            };
            self.checked.insert(slug.clone(), ());
            out.insert(slug, pool);
        }
        Ok(out)
    }

    /// A bank changed here (an import committed): its pool is checked again at the next use.
    pub fn banks_changed(&self) {
        self.checked.invalidate_all();
    }

    async fn load_pool(
        &self,
        db: &Db,
        slug: &str,
        bank_id: i32,
        version: i32,
    ) -> ApiResult<Arc<Vec<PoolEntry>>> {
        let live = store::banks::live_questions(db, bank_id).await?;
        let mut entries = Vec::with_capacity(live.len());
        for (_, v) in live {
            let decoded = Arc::new(v);
            entries.push(PoolEntry {
                version_id: decoded.id,
                question_id: decoded.question_id,
                tags: decoded.tags.clone(),
                difficulty: decoded.difficulty,
                family: decoded.family.clone(),
                validity: decoded.validity,
            });
            self.versions.insert(decoded.id, decoded);
        }
        let pool = Arc::new(entries);
        self.pools.insert(slug.to_owned(), (version, pool.clone()));
        Ok(pool)
    }

    /// The versions with these ids, reading the ones not yet cached in one query.
    pub async fn versions(&self, db: &Db, ids: &[i32]) -> ApiResult<HashMap<i32, Arc<Version>>> {
        let mut out = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.versions.get(id) {
                Some(v) => {
                    out.insert(*id, v);
                }
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            for row in store::banks::versions_by_id(db, &missing).await? {
                let v = Arc::new(row);
                self.versions.insert(v.id, v.clone());
                out.insert(v.id, v);
            }
        }
        Ok(out)
    }
}

/// What a board shows of a person.
#[derive(Debug, Clone)]
pub struct Shown {
    pub display_name: String,
    pub unit_name: Option<String>,
}

/// Masked names and unit names by user id: a board read needs no database query once the
/// page's people have been seen.
pub struct NameCache(Cache<Uuid, Arc<Shown>>);

impl Default for NameCache {
    fn default() -> Self {
        NameCache(Cache::new(NAMES))
    }
}

impl NameCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, user: &Uuid) -> Option<Arc<Shown>> {
        self.0.get(user)
    }

    pub fn insert(&self, user: Uuid, shown: Arc<Shown>) {
        self.0.insert(user, shown);
    }

    /// Forgets a person: after a rename, a move to another unit, a merge or an erasure.
    pub fn forget_person(&self, user: Uuid) {
        self.0.invalidate(&user);
    }

    /// Forgets everyone: a unit was renamed or merged, and the unit names shown with people
    /// are held per person.
    pub fn units_changed(&self) {
        self.0.invalidate_all();
    }
}

/// A round, with what its board and its ranking need to know.
#[derive(Debug, Clone)]
pub struct RoundFacts {
    pub round: rounds::Model,
    /// Questions on a paper.
    pub questions: u32,
    /// How the contest measures the time of an attempt (the board's score uses it).
    pub time_mode: TimeMode,
    /// The round's contest (its audience and owner decide who may start).
    pub contest: Arc<Contest>,
}

/// Rounds as board reads and submits need them (the round, its number of questions, its
/// contest's time measure), held briefly: board reads are the hottest read of a contest week
/// and must not cost database queries. A few seconds of staleness only delays a round's state
/// change on the board header. Which round a quiz belongs to never changes, so that is held
/// until evicted.
pub struct RoundCache {
    rounds: Cache<i32, Arc<RoundFacts>>,
    by_quiz: Cache<i32, i32>,
}

impl Default for RoundCache {
    fn default() -> Self {
        RoundCache {
            rounds: Cache::builder()
                .max_capacity(ROUNDS)
                .time_to_live(ROUND_TTL)
                .build(),
            by_quiz: Cache::new(ROUNDS),
        }
    }
}

impl RoundCache {
    pub fn get(&self, round: i32) -> Option<Arc<RoundFacts>> {
        self.rounds.get(&round)
    }

    pub fn insert(&self, facts: Arc<RoundFacts>) {
        self.by_quiz.insert(facts.round.quiz_id, facts.round.id);
        self.rounds.insert(facts.round.id, facts);
    }

    /// The round that owns this quiz, when known here.
    pub fn round_of_quiz(&self, quiz: i32) -> Option<i32> {
        self.by_quiz.get(&quiz)
    }

    /// Forgets a round that changed (its window, title or quiz).
    pub fn forget_round(&self, round: i32) {
        self.rounds.invalidate(&round);
    }

    /// Forgets every round (a contest's ranking rule changed).
    pub fn forget_all(&self) {
        self.rounds.invalidate_all();
    }
}

/// How many entries each round's board should hold (`all`: counting attempts still
/// settling), counted in the database and held for [`COUNT_TTL`]: a board read compares the
/// live count with it.
pub struct BoardCounts(Cache<(i32, bool), u64>);

impl Default for BoardCounts {
    fn default() -> Self {
        BoardCounts(
            Cache::builder()
                .max_capacity(COUNTS)
                .time_to_live(COUNT_TTL)
                .build(),
        )
    }
}

impl BoardCounts {
    pub fn get(&self, round: i32, all: bool) -> Option<u64> {
        self.0.get(&(round, all))
    }

    pub fn insert(&self, round: i32, all: bool, n: u64) {
        self.0.insert((round, all), n);
    }
}
