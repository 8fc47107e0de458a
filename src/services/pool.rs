//! Question versions, decoded once: the cache that holds them (and the banks' pools) is
//! `caches::QuestionCache`.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};
use entity::{attempts, quizzes};
use moka::sync::Cache;
use uuid::Uuid;

use crate::{
    domain::paper::{Answers, PaperItem},
    error::ApiResult,
    store::{self, Db, attempts::AnswerPatch},
};

/// One question version, decoded (by the store).
pub use store::banks::Version;

impl Version {
    pub fn key(&self) -> Vec<bool> {
        self.options.iter().map(|o| o.correct).collect()
    }
}

/// An attempt under way as this process knows it: what never changes once it started (whose
/// it is, its times, its paper), held so that a save checks the answers against the paper
/// without reading the row, and the answers at a revision, held so that a submit grades
/// without reading it either.
#[derive(Debug)]
pub struct Paper {
    pub user_id: Uuid,
    pub quiz_id: i32,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub practice: bool,
    pub items: Vec<PaperItem>,
    known: Mutex<Option<Known>>,
}

/// The answers the database holds at a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub revision: i32,
    pub answers: Answers,
}

impl Known {
    /// Merges a save that took the answers to `revision`, if it follows on from this one.
    fn follow(&mut self, patch: &AnswerPatch, revision: i32) -> bool {
        if self.revision + 1 != revision {
            return false;
        }
        for (question, answer) in patch {
            match answer {
                Some(a) => self.answers.insert(*question, a.clone()),
                None => self.answers.remove(question),
            };
        }
        self.revision = revision;
        true
    }
}

impl Paper {
    /// The paper of an attempt read from its row; the row's answers are known while it is open.
    pub fn new(a: &attempts::Model, items: Vec<PaperItem>, answers: Option<Answers>) -> Self {
        Self {
            user_id: a.user_id,
            quiz_id: a.quiz_id,
            started_at: a.started_at,
            deadline: a.deadline,
            practice: a.practice,
            items,
            known: Mutex::new(answers.map(|answers| Known {
                revision: a.revision,
                answers,
            })),
        }
    }

    /// The answers at the latest revision this process knows of, if it knows them. Another
    /// instance may have saved since: whoever acts on them must do so at this revision.
    pub fn known(&self) -> Option<Known> {
        self.lock().clone()
    }

    /// Follows a save this process committed, which took the attempt to `revision`: merged
    /// when it follows the revision known (the database merges the same way: last write per
    /// question wins, `None` clears), else the answers are no longer known (another save came
    /// in between, here or elsewhere).
    pub fn saved(&self, patch: &AnswerPatch, revision: i32) {
        let mut known = self.lock();
        if !known.as_mut().is_some_and(|k| k.follow(patch, revision)) {
            *known = None;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Known>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }
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
    /// Submits graded from the answers known in memory, and from the row read.
    graded: [AtomicU64; 2],
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
            graded: Default::default(),
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

    /// Forgets an attempt that ended: nothing is saved to it or submitted from memory again.
    pub fn forget_paper(&self, attempt: Uuid) {
        self.papers.invalidate(&attempt);
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

    /// Counts a submit, graded from the answers known in memory or from the row read.
    pub fn graded(&self, from_memory: bool) {
        self.graded[usize::from(!from_memory)].fetch_add(1, Ordering::Relaxed);
    }

    /// Submits so far, graded from memory and from the row read.
    pub fn graded_counts(&self) -> (u64, u64) {
        let [memory, row] = &self.graded;
        (memory.load(Ordering::Relaxed), row.load(Ordering::Relaxed))
    }

    /// The submit counts in Prometheus' text format.
    pub fn render_metrics(&self, out: &mut String) {
        let (memory, row) = self.graded_counts();
        out.push_str(
            "# HELP attempt_submits_total Submits, by where the answers graded came from: \
             memory (this process made the attempt's saves) or the row read.\n\
             # TYPE attempt_submits_total counter\n",
        );
        out.push_str(&format!(
            "attempt_submits_total{{graded_from=\"memory\"}} {memory}\n\
             attempt_submits_total{{graded_from=\"row\"}} {row}\n"
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(entries: &[(i32, Option<&str>)]) -> AnswerPatch {
        entries
            .iter()
            .map(|(q, a)| (*q, a.map(|a| vec![a.to_owned()])))
            .collect()
    }

    #[test]
    fn known_answers_follow_saves_in_order_and_only_in_order() {
        let mut k = Known {
            revision: 0,
            answers: Answers::new(),
        };
        assert!(k.follow(&patch(&[(1, Some("a")), (2, Some("b"))]), 1));
        // Last write per question wins; `None` clears, as the database's merge does.
        assert!(k.follow(&patch(&[(2, Some("c")), (1, None), (3, Some("d"))]), 2));
        assert_eq!(k.revision, 2);
        assert_eq!(
            k.answers,
            Answers::from([(2, vec!["c".to_owned()]), (3, vec!["d".to_owned()])])
        );
        // A save that does not follow on (one came in between) is not merged.
        let before = k.clone();
        assert!(!k.follow(&patch(&[(4, Some("a"))]), 4));
        assert!(!k.follow(&patch(&[(4, Some("a"))]), 2));
        assert_eq!(k, before);
    }
}
