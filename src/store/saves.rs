//! Autosaves on PostgreSQL, committed in groups: during a round's opening thousands of phones
//! save at once, and one `UPDATE … FROM jsonb_to_recordset` that merges a few dozen saves
//! costs the database about what one save costs alone (one statement to parse, plan and
//! commit; one WAL flush). Every caller still waits for the commit that holds its save, so a
//! save acknowledged is a save on disk, exactly as with a statement of its own.
//!
//! One task takes the saves queued while the previous group was being written, at most
//! [`GROUP`] of them and at most one per attempt (a second save of the same attempt waits for
//! the next group, so the saves of one attempt are applied in the order they arrived). Each
//! save keeps its own conditions (owner, open, deadline, revision); the ones a group does not
//! update get `None`, as from [`attempts::save_answers`], and the engine finds out why. A group
//! that fails as a whole is written again save by save (side by side), so one bad save fails
//! alone.
//!
//! SQLite has one writer and no network between it and the server: it keeps one statement per
//! save.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use sea_orm::{DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{
    Db,
    attempts::{self, AnswerPatch, Saved},
};
use crate::error::{ApiError, ApiResult};

/// Saves in one group at the most.
pub const GROUP: usize = 128;

/// Saves waiting for the writer at the most; a caller past it waits for room.
const QUEUED: usize = 4096;

/// One save: the arguments of [`attempts::save_answers`].
pub struct PendingSave {
    pub id: Uuid,
    pub user: Uuid,
    pub revision: Option<i32>,
    pub patch: AnswerPatch,
    pub now: DateTime<Utc>,
    pub deadline_after: DateTime<Utc>,
}

struct Job {
    save: PendingSave,
    reply: oneshot::Sender<ApiResult<Option<Saved>>>,
}

/// Where the engine sends a save: the group writer on PostgreSQL, the statement of its own on
/// SQLite.
#[derive(Clone)]
pub struct Saves {
    db: Db,
    writer: Option<mpsc::Sender<Job>>,
    largest: Arc<AtomicUsize>,
}

impl Saves {
    /// Starts the group writer on PostgreSQL when `grouped` (on the runtime of the caller,
    /// for the life of that runtime).
    pub fn new(db: Db, grouped: bool) -> Saves {
        let largest = Arc::new(AtomicUsize::new(0));
        let writer = (grouped && db.get_database_backend() == DbBackend::Postgres).then(|| {
            let (tx, rx) = mpsc::channel(QUEUED);
            tokio::spawn(write_groups(db.clone(), rx, largest.clone()));
            tx
        });
        Saves {
            db,
            writer,
            largest,
        }
    }

    /// The most saves one statement has written so far (0 without the group writer).
    pub fn largest_group(&self) -> usize {
        self.largest.load(Ordering::Relaxed)
    }

    /// Saves one autosave; see [`attempts::save_answers`] for what `None` means.
    ///
    /// Fails when the database does not answer.
    pub async fn save(&self, save: PendingSave) -> ApiResult<Option<Saved>> {
        let Some(writer) = &self.writer else {
            return alone(&self.db, save).await;
        };
        let (reply, answer) = oneshot::channel();
        match writer.send(Job { save, reply }).await {
            Ok(()) => answer
                .await
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("the save writer stopped")))?,
            // The writer is gone (its runtime is shutting down): write it here.
            Err(mpsc::error::SendError(job)) => alone(&self.db, job.save).await,
        }
    }
}

async fn alone(db: &Db, s: PendingSave) -> ApiResult<Option<Saved>> {
    attempts::save_answers(
        db,
        s.id,
        s.user,
        s.revision,
        &s.patch,
        s.now,
        s.deadline_after,
    )
    .await
}

async fn write_groups(db: Db, mut queue: mpsc::Receiver<Job>, largest: Arc<AtomicUsize>) {
    let mut waiting: Vec<Job> = Vec::new();
    loop {
        if waiting.is_empty() {
            match queue.recv().await {
                Some(job) => waiting.push(job),
                None => return,
            }
        }
        while waiting.len() < QUEUED {
            match queue.try_recv() {
                Ok(job) => waiting.push(job),
                Err(_) => break,
            }
        }
        let (group, later) = take_group(std::mem::take(&mut waiting));
        waiting = later;
        largest.fetch_max(group.len(), Ordering::Relaxed);
        write(&db, group).await;
    }
}

/// The first [`GROUP`] jobs in arrival order with at most one per attempt; the rest, in their
/// order, wait.
fn take_group(jobs: Vec<Job>) -> (Vec<Job>, Vec<Job>) {
    let mut seen = HashSet::new();
    let (mut group, mut later) = (Vec::new(), Vec::new());
    for job in jobs {
        // Once an attempt is deferred, its later saves must be too: `seen` keeps it.
        if group.len() < GROUP && seen.insert(job.save.id) {
            group.push(job);
        } else {
            seen.insert(job.save.id);
            later.push(job);
        }
    }
    (group, later)
}

#[derive(Serialize)]
struct Row<'a> {
    id: Uuid,
    user_id: Uuid,
    revision: Option<i32>,
    patch: &'a AnswerPatch,
    now: DateTime<Utc>,
    deadline_after: DateTime<Utc>,
}

#[derive(FromQueryResult)]
struct Written {
    id: Uuid,
    revision: i32,
    deadline: DateTime<Utc>,
}

/// The group's saves as one statement: each row keeps the conditions of
/// [`attempts::save_answers`], and the merge is the same.
const GROUP_SQL: &str = "UPDATE attempts AS a \
    SET answers = jsonb_strip_nulls(a.answers::jsonb || s.patch)::text, \
        revision = a.revision + 1, updated_at = s.now \
    FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS s(id uuid, user_id uuid, revision int, \
        patch jsonb, now timestamptz, deadline_after timestamptz) \
    WHERE a.id = s.id AND a.user_id = s.user_id AND a.state = 'open' \
        AND a.deadline >= s.deadline_after AND (s.revision IS NULL OR a.revision = s.revision) \
    RETURNING a.id, a.revision, a.deadline";

async fn write(db: &Db, group: Vec<Job>) {
    if let [_] = group.as_slice() {
        for job in group {
            let _ = job.reply.send(alone(db, job.save).await);
        }
        return;
    }
    match write_group(db, &group).await {
        Ok(mut written) => {
            for job in group {
                let saved = written.remove(&job.save.id);
                let _ = job.reply.send(Ok(saved));
            }
        }
        Err(e) => {
            // Each on its own, side by side (a group holds one save per attempt, so their
            // order does not matter): one bad save fails alone, and when the database is
            // down they all fail within one acquire timeout, not one after another.
            tracing::warn!(saves = group.len(), error = %e, "a group of saves failed; writing them one by one");
            join_all(group.into_iter().map(|job| async move {
                let _ = job.reply.send(alone(db, job.save).await);
            }))
            .await;
        }
    }
}

async fn write_group(db: &Db, group: &[Job]) -> ApiResult<HashMap<Uuid, Saved>> {
    let rows: Vec<Row> = group
        .iter()
        .map(|j| Row {
            id: j.save.id,
            user_id: j.save.user,
            revision: j.save.revision,
            patch: &j.save.patch,
            now: j.save.now,
            deadline_after: j.save.deadline_after,
        })
        .collect();
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        GROUP_SQL,
        [super::json::encode(&rows)?.into()],
    );
    Ok(Written::find_by_statement(statement)
        .all(db)
        .await?
        .into_iter()
        .map(|w| {
            (
                w.id,
                Saved {
                    revision: w.revision,
                    deadline: w.deadline,
                },
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u128) -> (Job, oneshot::Receiver<ApiResult<Option<Saved>>>) {
        let (reply, rx) = oneshot::channel();
        let save = PendingSave {
            id: Uuid::from_u128(id),
            user: Uuid::nil(),
            revision: None,
            patch: AnswerPatch::new(),
            now: DateTime::UNIX_EPOCH,
            deadline_after: DateTime::UNIX_EPOCH,
        };
        (Job { save, reply }, rx)
    }

    #[test]
    fn a_group_takes_one_save_per_attempt_and_keeps_the_order_of_the_rest() {
        let ids = [1, 2, 1, 3, 2, 1, 4];
        let jobs = ids.iter().map(|i| job(*i).0).collect();
        let (group, later) = take_group(jobs);
        let id = |j: &Job| j.save.id.as_u128();
        assert_eq!(group.iter().map(id).collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(later.iter().map(id).collect::<Vec<_>>(), [1, 2, 1]);
    }

    #[test]
    fn a_group_is_bounded_and_an_attempt_past_the_bound_keeps_its_order() {
        let mut ids: Vec<u128> = (0..GROUP as u128 + 5).collect();
        ids.push(0);
        ids.push(GROUP as u128 + 1);
        let jobs = ids.iter().map(|i| job(*i).0).collect();
        let (group, later) = take_group(jobs);
        assert_eq!(group.len(), GROUP);
        let id = |j: &Job| j.save.id.as_u128();
        let g = GROUP as u128;
        assert_eq!(
            later.iter().map(id).collect::<Vec<_>>(),
            [g, g + 1, g + 2, g + 3, g + 4, 0, g + 1]
        );
    }
}
