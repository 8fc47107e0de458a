//! Group commit on PostgreSQL: during a round's opening thousands of phones start, save and
//! submit their own attempts at once, and one statement that writes a few dozen rows (an
//! `INSERT … SELECT` or `UPDATE … FROM jsonb_to_recordset`) costs the database about what one
//! row costs alone: one statement to parse, plan and commit, one WAL flush. Every caller still
//! waits for the commit that holds its write, so a write acknowledged is a write on disk,
//! exactly as with a statement of its own. This is group commit, not write-behind.
//!
//! One task per [`Kind`] takes the writes queued while earlier groups were being written (a
//! few groups at once: see [`Writer::new`]), at most [`GROUP`] in a group and at most one per key
//! (the attempt; for a start, the person and the quiz), none of them in a group being written:
//! a later write to the same key waits for a later group, so the writes to one attempt are
//! applied in the order they arrived. Each write keeps its own conditions; the ones a group
//! does not apply get `None`, exactly as from the kind's statement of its own. A group that
//! fails as a whole is written again write by write, side by side, so one bad write fails
//! alone.
//!
//! SQLite has one writer and no network between it and the server: it keeps one statement per
//! write.

use std::{
    collections::{HashMap, HashSet},
    fmt::Write as _,
    future::Future,
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use futures_util::{StreamExt, future::join_all, stream::FuturesUnordered};
use sea_orm::{DbBackend, FromQueryResult, Statement};
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::Db;
use crate::error::{ApiError, ApiResult};

/// Writes in one group at the most.
pub const GROUP: usize = 128;

/// Writes waiting for the writer at the most; a caller past it waits for room.
const QUEUED: usize = 4096;

/// One kind of write to attempts that can be committed in groups.
pub trait Kind: 'static {
    /// What the caller asks for.
    type Job: Send + 'static;
    /// What the caller gets back when the write applied.
    type Out: Send + 'static;
    /// What two writes of a group must not share (the attempt; for a start, the person and
    /// the quiz).
    type Key: Hash + Eq + Copy + Send + 'static;
    /// Names the kind in logs and metrics.
    const NAME: &'static str;

    /// What the write goes to.
    fn key(job: &Self::Job) -> Self::Key;

    /// The write as a statement of its own; `None` when its conditions did not hold.
    fn alone(db: &Db, job: Self::Job) -> impl Future<Output = ApiResult<Option<Self::Out>>> + Send;

    /// The writes of a group (one per key) as one statement: what each applied write gives
    /// back, by key. A write missing from the map did not apply.
    fn group<'a>(
        db: &'a Db,
        jobs: Vec<&'a Self::Job>,
    ) -> impl Future<Output = ApiResult<HashMap<Self::Key, Self::Out>>> + Send + 'a;
}

/// What a writer has done since start, for `/metrics`.
#[derive(Default)]
struct Counters {
    groups: AtomicU64,
    grouped: AtomicU64,
    alone: AtomicU64,
    failed: AtomicU64,
    largest: AtomicU64,
}

/// What a writer has done since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Statements that wrote a group (two writes or more).
    pub groups: u64,
    /// Writes committed in those statements.
    pub grouped: u64,
    /// Writes the writer sent with a statement of their own: alone in the queue, or written
    /// again one by one after their group failed.
    pub alone: u64,
    /// Groups that failed as a whole and were written again one by one.
    pub failed: u64,
    /// The most writes one statement has written.
    pub largest: u64,
}

struct Entry<K: Kind> {
    job: K::Job,
    reply: oneshot::Sender<ApiResult<Option<K::Out>>>,
}

/// Where the engine sends a write of kind `K`: the group writer on PostgreSQL, the statement
/// of its own on SQLite.
pub struct Writer<K: Kind> {
    db: Db,
    queue: Option<mpsc::Sender<Entry<K>>>,
    counters: Arc<Counters>,
}

impl<K: Kind> Clone for Writer<K> {
    fn clone(&self) -> Self {
        Writer {
            db: self.db.clone(),
            queue: self.queue.clone(),
            counters: self.counters.clone(),
        }
    }
}

impl<K: Kind> Writer<K> {
    /// Starts the group writer on PostgreSQL when `grouped` (on the runtime of the caller,
    /// for the life of that runtime), writing at most `in_flight` groups at once (at least
    /// one). More than one, so that a slow statement does not hold up the writes that arrive
    /// meanwhile and the database's cores are used; each holds a pooled connection, so that
    /// the writers must leave the pool room for the reads. A key is in at most one of them, so
    /// the writes to one attempt stay in order.
    pub fn new(db: Db, grouped: bool, in_flight: usize) -> Writer<K> {
        let counters = Arc::new(Counters::default());
        let queue = (grouped && db.get_database_backend() == DbBackend::Postgres).then(|| {
            let (tx, rx) = mpsc::channel(QUEUED);
            let in_flight = in_flight.max(1);
            tokio::spawn(write_groups::<K>(
                db.clone(),
                rx,
                counters.clone(),
                in_flight,
            ));
            tx
        });
        Writer {
            db,
            queue,
            counters,
        }
    }

    /// The most writes one statement has written so far (0 without the group writer).
    pub fn largest_group(&self) -> usize {
        usize::try_from(self.counts().largest).unwrap_or(usize::MAX)
    }

    /// What the group writer has done since start (all 0 without it).
    pub fn counts(&self) -> Counts {
        let c = &self.counters;
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        Counts {
            groups: get(&c.groups),
            grouped: get(&c.grouped),
            alone: get(&c.alone),
            failed: get(&c.failed),
            largest: get(&c.largest),
        }
    }

    /// Writes `job` and returns once it is committed; `None` when its conditions did not hold
    /// (see the kind's statement of its own).
    ///
    /// Fails when the database does not answer.
    pub async fn write(&self, job: K::Job) -> ApiResult<Option<K::Out>> {
        let Some(queue) = &self.queue else {
            return K::alone(&self.db, job).await;
        };
        let (reply, answer) = oneshot::channel();
        match queue.send(Entry { job, reply }).await {
            Ok(()) => answer.await.map_err(|_| {
                ApiError::Internal(anyhow::anyhow!("the {} writer stopped", K::NAME))
            })?,
            // The writer is gone (its runtime is shutting down): write it here.
            Err(mpsc::error::SendError(entry)) => K::alone(&self.db, entry.job).await,
        }
    }
}

async fn write_groups<K: Kind>(
    db: Db,
    mut queue: mpsc::Receiver<Entry<K>>,
    counters: Arc<Counters>,
    in_flight: usize,
) {
    let mut waiting: Vec<Entry<K>> = Vec::new();
    // The keys of the groups being written: their next writes wait for them.
    let mut busy: HashSet<K::Key> = HashSet::new();
    let mut writing = FuturesUnordered::new();
    let mut open = true;
    loop {
        while open && waiting.len() < QUEUED {
            match queue.try_recv() {
                Ok(entry) => waiting.push(entry),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => open = false,
            }
        }
        // With nothing being written nothing is busy, so a group always starts here while
        // anything waits: below, one of the two branches is always enabled.
        while writing.len() < in_flight && !waiting.is_empty() {
            let (group, later) =
                take_group(std::mem::take(&mut waiting), &busy, |e| K::key(&e.job));
            waiting = later;
            if group.is_empty() {
                break;
            }
            let keys: Vec<K::Key> = group.iter().map(|e| K::key(&e.job)).collect();
            busy.extend(keys.iter().copied());
            let (db, counters) = (db.clone(), counters.clone());
            writing.push(async move {
                write::<K>(&db, group, &counters).await;
                keys
            });
        }
        if !open && writing.is_empty() && waiting.is_empty() {
            return;
        }
        tokio::select! {
            Some(keys) = writing.next(), if !writing.is_empty() => {
                for key in keys {
                    busy.remove(&key);
                }
            }
            entry = queue.recv(), if open && waiting.len() < QUEUED => match entry {
                Some(entry) => waiting.push(entry),
                None => open = false,
            },
            else => return,
        }
    }
}

/// The first [`GROUP`] items in arrival order with at most one per key and none whose key is
/// `busy`; the rest, in their order, wait.
fn take_group<T, Key: Hash + Eq>(
    items: Vec<T>,
    busy: &HashSet<Key>,
    key: impl Fn(&T) -> Key,
) -> (Vec<T>, Vec<T>) {
    let mut seen = HashSet::new();
    let (mut group, mut later) = (Vec::new(), Vec::new());
    for item in items {
        let k = key(&item);
        // Once a key is deferred, its later writes must be too: `seen` keeps it.
        let fits = group.len() < GROUP && !busy.contains(&k) && !seen.contains(&k);
        seen.insert(k);
        if fits {
            group.push(item);
        } else {
            later.push(item);
        }
    }
    (group, later)
}

async fn write<K: Kind>(db: &Db, mut group: Vec<Entry<K>>, counters: &Counters) {
    let size = group.len() as u64;
    counters.largest.fetch_max(size, Ordering::Relaxed);
    if size == 1 {
        counters.alone.fetch_add(1, Ordering::Relaxed);
        if let Some(Entry { job, reply }) = group.pop() {
            let _ = reply.send(K::alone(db, job).await);
        }
        return;
    }
    match K::group(db, group.iter().map(|e| &e.job).collect()).await {
        Ok(mut written) => {
            counters.groups.fetch_add(1, Ordering::Relaxed);
            counters.grouped.fetch_add(size, Ordering::Relaxed);
            for Entry { job, reply } in group {
                let _ = reply.send(Ok(written.remove(&K::key(&job))));
            }
        }
        Err(e) => {
            // Each on its own, side by side (a group holds one write per key, so their
            // order does not matter): one bad write fails alone, and when the database is
            // down they all fail within one acquire timeout, not one after another.
            tracing::warn!(kind = K::NAME, writes = size, error = %e, "a group failed; writing it one by one");
            counters.failed.fetch_add(1, Ordering::Relaxed);
            counters.alone.fetch_add(size, Ordering::Relaxed);
            join_all(group.into_iter().map(|Entry { job, reply }| async move {
                let _ = reply.send(K::alone(db, job).await);
            }))
            .await;
        }
    }
}

/// The rows a group statement returns: `sql` takes the group's jobs as one JSON array (`$1`,
/// read with `jsonb_to_recordset`).
///
/// Fails when the database does not answer or refuses the statement.
pub async fn rows<M: FromQueryResult>(
    db: &Db,
    sql: &str,
    jobs: &[&impl Serialize],
) -> ApiResult<Vec<M>> {
    let statement = Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [super::json::encode(jobs)?.into()],
    );
    Ok(M::find_by_statement(statement).all(db).await?)
}

/// A metric family: its name, its type, its help and its value in [`Counts`].
type Family = (&'static str, &'static str, &'static str, fn(&Counts) -> u64);

/// The writers' counts in the Prometheus text format, one series per kind.
pub fn render_metrics(out: &mut String, kinds: &[(&str, Counts)]) {
    let families: [Family; 5] = [
        (
            "attempt_write_groups_total",
            "counter",
            "Statements that committed a group of writes to attempts, by kind.",
            |c| c.groups,
        ),
        (
            "attempt_writes_grouped_total",
            "counter",
            "Writes to attempts committed in a group, by kind.",
            |c| c.grouped,
        ),
        (
            "attempt_writes_alone_total",
            "counter",
            "Writes to attempts the group writer committed with a statement of their own, by kind.",
            |c| c.alone,
        ),
        (
            "attempt_write_groups_failed_total",
            "counter",
            "Groups that failed as a whole and were written again one by one, by kind.",
            |c| c.failed,
        ),
        (
            "attempt_write_group_largest",
            "gauge",
            "The most writes to attempts one statement has committed, by kind.",
            |c| c.largest,
        ),
    ];
    for (name, kind_of_metric, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind_of_metric}");
        for (kind, counts) in kinds {
            let _ = writeln!(out, "{name}{{kind=\"{kind}\"}} {}", value(counts));
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn take(ids: &[u128]) -> (Vec<u128>, Vec<u128>) {
        let items = ids.iter().map(|i| Uuid::from_u128(*i)).collect();
        let (group, later) = take_group(items, &HashSet::new(), |id: &Uuid| *id);
        let raw = |v: Vec<Uuid>| v.iter().map(|u| u.as_u128()).collect();
        (raw(group), raw(later))
    }

    #[test]
    fn counts_render_as_one_family_per_counter_with_a_series_per_kind() {
        let save = Counts {
            groups: 3,
            grouped: 40,
            alone: 2,
            failed: 1,
            largest: 17,
        };
        let mut out = String::new();
        render_metrics(&mut out, &[("save", save), ("finish", Counts::default())]);
        assert!(out.contains("# TYPE attempt_write_groups_total counter\n"));
        assert!(out.contains("attempt_writes_grouped_total{kind=\"save\"} 40\n"));
        assert!(out.contains("attempt_writes_alone_total{kind=\"save\"} 2\n"));
        assert!(out.contains("attempt_write_groups_failed_total{kind=\"save\"} 1\n"));
        assert!(out.contains("# TYPE attempt_write_group_largest gauge\n"));
        assert!(out.contains("attempt_write_group_largest{kind=\"finish\"} 0\n"));
        assert_eq!(out.matches("# HELP attempt_write_groups_total").count(), 1);
    }

    #[test]
    fn a_group_leaves_the_keys_being_written_and_their_later_writes_for_later() {
        let items = [1u128, 2, 3, 2, 4].map(Uuid::from_u128).to_vec();
        let busy = HashSet::from([Uuid::from_u128(2)]);
        let (group, later) = take_group(items, &busy, |id: &Uuid| *id);
        let raw = |v: Vec<Uuid>| v.iter().map(|u| u.as_u128()).collect::<Vec<_>>();
        assert_eq!(raw(group), [1, 3, 4]);
        assert_eq!(raw(later), [2, 2]);
    }

    #[test]
    fn a_group_takes_one_write_per_attempt_and_keeps_the_order_of_the_rest() {
        let (group, later) = take(&[1, 2, 1, 3, 2, 1, 4]);
        assert_eq!(group, [1, 2, 3, 4]);
        assert_eq!(later, [1, 2, 1]);
    }

    #[test]
    fn a_group_is_bounded_and_an_attempt_past_the_bound_keeps_its_order() {
        let g = GROUP as u128;
        let mut ids: Vec<u128> = (0..g + 5).collect();
        ids.push(0);
        ids.push(g + 1);
        let (group, later) = take(&ids);
        assert_eq!(group.len(), GROUP);
        assert_eq!(later, [g, g + 1, g + 2, g + 3, g + 4, 0, g + 1]);
    }
}
