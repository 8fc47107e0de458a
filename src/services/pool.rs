//! Question versions, decoded once: the cache that holds them (and the banks' pools) is
//! `caches::QuestionCache`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::quizzes;
use moka::sync::Cache;
use uuid::Uuid;

use crate::{
    domain::paper::PaperItem,
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

/// What never changes about an attempt once started: whose it is, its deadline and its
/// paper. Held so that a save checks the answers against the paper without reading the row.
#[derive(Debug)]
pub struct Paper {
    pub user_id: Uuid,
    pub quiz_id: i32,
    pub deadline: DateTime<Utc>,
    pub items: Vec<PaperItem>,
}

/// Papers of attempts under way (an attempt lasts at most the longest time limit, 10 hours;
/// one not touched for an hour is read again if it ever is).
const PAPERS: u64 = 20_000;
const PAPER_IDLE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Quizzes are read on every start, submit and read of an attempt. A round's quiz is frozen
/// once the round opens; a course quiz changes only with a course import. This process
/// forgets a changed quiz at once ([`AttemptCache::forget_quiz`]); another instance within
/// the time to live.
const QUIZZES: u64 = 2_000;
const QUIZ_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// What the attempt engine holds in memory: papers under way and quizzes.
pub struct AttemptCache {
    papers: Cache<Uuid, Arc<Paper>>,
    quizzes: Cache<i32, Arc<quizzes::Model>>,
    /// Ended attempts whose effects are done here but still marked pending in the database,
    /// and when the oldest of them was done (see [`AttemptCache::effects_done`]).
    done: std::sync::Mutex<(Vec<Uuid>, Option<std::time::Instant>)>,
}

/// How many done effects are held before their marks are cleared in one statement.
const DONE_BATCH: usize = 256;
/// How long a done effect's mark is left before it is cleared (well under the sweeper's
/// retry delay, so that another instance seldom does it again).
const DONE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Default for AttemptCache {
    fn default() -> Self {
        Self {
            papers: Cache::builder()
                .max_capacity(PAPERS)
                .time_to_idle(PAPER_IDLE)
                .build(),
            quizzes: Cache::builder()
                .max_capacity(QUIZZES)
                .time_to_live(QUIZ_TTL)
                .build(),
            done: std::sync::Mutex::default(),
        }
    }
}

impl AttemptCache {
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

    /// Notes that what follows this ended attempt is done. The marks are cleared in batches
    /// (one statement for many submits): returns the batch to clear now when it is full or
    /// its oldest is [`DONE_WAIT`] old, else nothing. A mark that is never cleared (the process
    /// stopped) only makes the sweeper do the effect again, which is idempotent.
    pub fn effects_done(&self, attempt: Uuid) -> Vec<Uuid> {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.0.push(attempt);
        let first = *done.1.get_or_insert_with(std::time::Instant::now);
        if done.0.len() >= DONE_BATCH || first.elapsed() >= DONE_WAIT {
            done.1 = None;
            return std::mem::take(&mut done.0);
        }
        Vec::new()
    }

    /// Every mark waiting to be cleared (the sweeper clears them before it looks for pending
    /// effects).
    pub fn take_done(&self) -> Vec<Uuid> {
        let mut done = self.done.lock().unwrap_or_else(|p| p.into_inner());
        done.1 = None;
        std::mem::take(&mut done.0)
    }

    /// Forgets a quiz that changed (a round's rules before it opens, a course import).
    pub fn forget_quiz(&self, id: i32) {
        self.quizzes.invalidate(&id);
    }

    /// Forgets every quiz: a course import may have changed any of its quizzes.
    pub fn forget_quizzes(&self) {
        self.quizzes.invalidate_all();
    }
}
