//! Question versions are immutable, so they are held in process memory once read: drawing a
//! paper and grading it touch no database row per question. A bank's pool (what drawing needs)
//! is keyed by the bank's version and replaced when an import bumps it; every start reads the
//! banks' current versions (one small query), so several instances never serve a stale pool.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use chrono::{DateTime, Utc};
use entity::{contests, quizzes, rounds};
use moka::sync::Cache;
use uuid::Uuid;

use crate::{
    domain::{
        banks::{OptionDef, QuestionKind},
        paper::{PaperItem, PoolEntry, Pools},
    },
    error::ApiResult,
    store::{self, Db},
};

/// What never changes about an attempt once started: whose it is, its deadline and its
/// paper. Held so that a save checks the answers against the paper without reading the row.
#[derive(Debug)]
pub struct Paper {
    pub user_id: Uuid,
    pub quiz_id: i32,
    pub deadline: DateTime<Utc>,
    pub items: Vec<PaperItem>,
}

/// Papers of attempts under way: an attempt lasts at most the longest time limit (10 hours).
const PAPERS: u64 = 20_000;
const PAPER_IDLE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Quizzes are read on every submit and save that closes; a round's quiz is frozen once the
/// round opens, a course quiz changes only with a course import. A few seconds of staleness
/// in another instance is the price of no read per request (this process forgets at once,
/// see [`QuestionCache::forget_quiz`]).
const QUIZZES: u64 = 2_000;
const QUIZ_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// A round and its contest, as a start and a submit need them.
pub type RoundFacts = Arc<(rounds::Model, contests::Model)>;

/// One question version, decoded.
#[derive(Debug, Clone)]
pub struct Version {
    pub id: i32,
    pub question_id: i32,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<OptionDef>,
    pub explanation: String,
    pub source: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

impl Version {
    fn from_model(v: &entity::question_versions::Model) -> Self {
        Version {
            id: v.id,
            question_id: v.question_id,
            kind: QuestionKind::parse(&v.kind).unwrap_or(QuestionKind::Single),
            stem: v.stem.clone(),
            options: store::banks::options_of(v),
            explanation: v.explanation.clone(),
            source: v.source.clone(),
            tags: store::banks::tags_of(v),
            difficulty: u8::try_from(v.difficulty).unwrap_or(1),
        }
    }

    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}

/// A bank's pool at one bank version.
type VersionedPool = (i32, Arc<Vec<PoolEntry>>);

pub struct QuestionCache {
    versions: RwLock<HashMap<i32, Arc<Version>>>,
    pools: RwLock<HashMap<String, VersionedPool>>,
    papers: Cache<Uuid, Arc<Paper>>,
    quizzes: Cache<i32, Arc<quizzes::Model>>,
    /// By round id, and the round id of a round's quiz; held like quizzes.
    rounds: Cache<i32, RoundFacts>,
    round_of_quiz: Cache<i32, i32>,
}

impl Default for QuestionCache {
    fn default() -> Self {
        Self {
            versions: RwLock::default(),
            pools: RwLock::default(),
            papers: Cache::builder()
                .max_capacity(PAPERS)
                .time_to_idle(PAPER_IDLE)
                .build(),
            quizzes: Cache::builder()
                .max_capacity(QUIZZES)
                .time_to_live(QUIZ_TTL)
                .build(),
            rounds: Cache::builder()
                .max_capacity(QUIZZES)
                .time_to_live(QUIZ_TTL)
                .build(),
            round_of_quiz: Cache::builder().max_capacity(QUIZZES).build(),
        }
    }
}

impl QuestionCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The paper of an attempt under way, when this process has seen it.
    pub fn paper(&self, attempt: Uuid) -> Option<Arc<Paper>> {
        self.papers.get(&attempt)
    }

    pub fn remember_paper(&self, attempt: Uuid, paper: Paper) -> Arc<Paper> {
        let paper = Arc::new(paper);
        self.papers.insert(attempt, paper.clone());
        paper
    }

    /// The quiz, from memory or (at most every few seconds) the database.
    pub async fn quiz(&self, db: &Db, id: i32) -> ApiResult<Option<Arc<quizzes::Model>>> {
        if let Some(q) = self.quizzes.get(&id) {
            return Ok(Some(q));
        }
        let Some(q) = store::courses::quiz(db, id).await? else {
            return Ok(None);
        };
        let q = Arc::new(q);
        self.quizzes.insert(id, q.clone());
        Ok(Some(q))
    }

    /// Forgets a quiz that changed.
    pub fn forget_quiz(&self, id: i32) {
        self.quizzes.invalidate(&id);
    }

    /// A round with its contest, from memory or (at most every few seconds) the database.
    pub async fn round(&self, db: &Db, id: i32) -> ApiResult<Option<RoundFacts>> {
        if let Some(hit) = self.rounds.get(&id) {
            return Ok(Some(hit));
        }
        let Some(r) = store::contests::round(db, id).await? else {
            return Ok(None);
        };
        let Some(c) = store::contests::contest(db, r.contest_id).await? else {
            return Ok(None);
        };
        self.round_of_quiz.insert(r.quiz_id, r.id);
        let facts = Arc::new((r, c));
        self.rounds.insert(id, facts.clone());
        Ok(Some(facts))
    }

    /// The round whose quiz this is, with its contest.
    pub async fn round_of_quiz(&self, db: &Db, quiz: i32) -> ApiResult<Option<RoundFacts>> {
        let id = match self.round_of_quiz.get(&quiz) {
            Some(id) => id,
            None => match store::contests::round_by_quiz(db, quiz).await? {
                Some(r) => r.id,
                None => return Ok(None),
            },
        };
        self.round(db, id).await
    }

    /// Forgets a round (or every round of a contest, `None`) that changed.
    pub fn forget_rounds(&self, round: Option<i32>) {
        match round {
            Some(id) => self.rounds.invalidate(&id),
            None => self.rounds.invalidate_all(),
        }
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
            for (_, v) in &live {
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
                let v = Arc::new(Version::from_model(&row));
                cache.insert(v.id, v.clone());
                out.insert(v.id, v);
            }
        }
        Ok(out)
    }
}
