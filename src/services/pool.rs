//! Question versions are immutable, so they are held in process memory once read: drawing a
//! paper and grading it touch no database row per question. A bank's pool (what drawing needs)
//! is keyed by the bank's version and replaced when an import bumps it; every start reads the
//! banks' current versions (one small query), so several instances never serve a stale pool.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use crate::{
    domain::paper::{PoolEntry, Pools},
    error::ApiResult,
    store::{self, Db},
};

/// One question version, decoded (by the store).
pub use store::banks::Version;

impl Version {
    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}

/// A bank's pool at one bank version.
type VersionedPool = (i32, Arc<Vec<PoolEntry>>);

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
                let decoded = Arc::new(v);
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
                let v = Arc::new(row);
                cache.insert(v.id, v.clone());
                out.insert(v.id, v);
            }
        }
        Ok(out)
    }
}
