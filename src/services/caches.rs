//! The in-process caches: question versions and bank pools, masked names, rounds as board
//! reads need them, and the entry counts boards are checked against. Derived data; each
//! instance keeps its own.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::Instant,
};

use entity::rounds;
use uuid::Uuid;

use super::pool::Version;
use crate::{
    domain::paper::{PoolEntry, Pools},
    error::ApiResult,
    store::{self, Db},
};

/// A bank's pool at one bank version.
type VersionedPool = (i32, Arc<Vec<PoolEntry>>);

/// Question versions are immutable, so they are held in process memory once read: drawing a
/// paper and grading it touch no database row per question. A bank's pool (what drawing needs)
/// is keyed by the bank's version and replaced when an import bumps it; every start reads the
/// banks' current versions (one small query), so several instances never serve a stale pool.
#[derive(Default)]
pub struct QuestionCache {
    versions: RwLock<HashMap<i32, Arc<Version>>>,
    pools: RwLock<HashMap<String, VersionedPool>>,
}

impl QuestionCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The pools of the named banks at their current versions (missing banks are absent).
    pub async fn pools(&self, db: &Db, slugs: &[String]) -> ApiResult<Pools> {
        let current = store::banks::versions_by_slug(db, slugs).await?;
        let mut out = HashMap::new();
        for (slug, (bank_id, version)) in current {
            let cached = self
                .pools
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&slug)
                .filter(|(v, _)| *v == version)
                .map(|(_, pool)| pool.clone());
            let pool = match cached {
                Some(pool) => pool,
                None => self.load_pool(db, &slug, bank_id, version).await?,
            };
            out.insert(slug, pool);
        }
        Ok(out)
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
        {
            let mut versions = self.versions.write().unwrap_or_else(|p| p.into_inner());
            for (_, v) in live {
                let decoded = Arc::new(Version::from_model(v));
                entries.push(PoolEntry {
                    version_id: decoded.id,
                    question_id: decoded.question_id,
                    tags: decoded.tags.clone(),
                    difficulty: decoded.difficulty,
                });
                versions.insert(decoded.id, decoded);
            }
        }
        let pool = Arc::new(entries);
        self.pools
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(slug.to_owned(), (version, pool.clone()));
        Ok(pool)
    }

    /// The versions with these ids, reading the ones not yet cached in one query.
    pub async fn versions(&self, db: &Db, ids: &[i32]) -> ApiResult<HashMap<i32, Arc<Version>>> {
        let mut out = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let cache = self.versions.read().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                match cache.get(id) {
                    Some(v) => {
                        out.insert(*id, v.clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        if !missing.is_empty() {
            let rows = store::banks::versions_by_id(db, &missing).await?;
            let mut cache = self.versions.write().unwrap_or_else(|p| p.into_inner());
            for row in rows {
                let v = Arc::new(Version::from_model(row));
                cache.insert(v.id, v.clone());
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

/// How many entries each round's board should hold, counted in the database and held for a
/// few seconds: a board read compares the live count with it, and costs at most one count
/// query per round every [`COUNT_TTL`] per instance.
#[derive(Default)]
pub struct BoardCounts(pub(crate) std::sync::Mutex<HashMap<(i32, bool), (Instant, u64)>>);

pub(crate) const COUNT_TTL: std::time::Duration = std::time::Duration::from_secs(3);

/// Masked names and unit names by user id, held in memory: a board read needs no database
/// query once the page's people have been seen. Derived data; each instance keeps its own.
#[derive(Default)]
pub struct NameCache(pub(crate) RwLock<HashMap<Uuid, Arc<Shown>>>);

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

/// Rounds and their question counts, held briefly in memory: board reads are the hottest
/// read of a contest week and must not cost database queries. A few seconds of staleness only
/// delays a round's state change on the board header.
#[derive(Default)]
pub struct RoundCache(pub(crate) RwLock<HashMap<i32, CachedRound>>);

/// When it was read, the round, and its number of questions.
type CachedRound = (std::time::Instant, Arc<(rounds::Model, u32)>);

pub(crate) const ROUND_TTL: std::time::Duration = std::time::Duration::from_secs(5);
