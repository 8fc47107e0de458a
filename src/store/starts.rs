//! Starts of attempts, committed in groups on PostgreSQL (see [`super::group`]): one
//! `INSERT … SELECT … FROM jsonb_to_recordset` inserts the attempts of a group, each numbered
//! after its owner's previous ones and kept to the conditions of [`attempts::insert`] (no open
//! attempt at the quiz, attempts left). At most one start per person and quiz in a group; a
//! double tap that races in from another group breaks the unique key, and the group is then
//! written start by start, so that only the double tap is refused.

use std::collections::HashMap;

use entity::attempts as attempt;
use uuid::Uuid;

use super::{
    Db,
    attempts::{self, Insert},
    group,
};
use crate::error::ApiResult;

/// Starts of attempts: grouped on PostgreSQL, a statement each on SQLite.
pub type Starts = group::Writer<Start>;

/// The kind of write [`Starts`] commits.
pub struct Start;

/// The group's starts as one statement, with the conditions of [`attempts::insert`].
const GROUP_SQL: &str = "INSERT INTO attempts (id, quiz_id, user_id, attempt_no, state, \
        unit_id, started_at, deadline, paper, answers, revision, total, practice, updated_at, \
        effects_pending) \
    SELECT s.id, s.quiz_id, s.user_id, p.last + 1, 'open', s.unit_id, s.started_at, \
        s.deadline, s.paper, '{}', 0, s.total, s.practice, s.started_at, false \
    FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS s(id uuid, quiz_id int, user_id uuid, \
        unit_id int, started_at timestamptz, deadline timestamptz, paper text, total int, \
        practice boolean, allowed int) \
    CROSS JOIN LATERAL (SELECT COALESCE(MAX(a.attempt_no), 0) AS last, COUNT(*) AS taken, \
        COUNT(*) FILTER (WHERE a.state = 'open') AS open \
        FROM attempts a WHERE a.user_id = s.user_id AND a.quiz_id = s.quiz_id) AS p \
    WHERE (s.allowed = 0 OR p.taken < s.allowed) AND p.open = 0 \
    RETURNING *";

impl group::Kind for Start {
    type Job = Insert;
    type Out = attempt::Model;
    type Key = (Uuid, i32);
    const NAME: &'static str = "start";

    fn key(job: &Insert) -> (Uuid, i32) {
        (job.user_id, job.quiz_id)
    }

    /// `None` when refused, or beaten by a double tap.
    async fn alone(db: &Db, job: Insert) -> ApiResult<Option<attempt::Model>> {
        attempts::insert(db, job).await
    }

    async fn group<'a>(
        db: &'a Db,
        jobs: Vec<&'a Insert>,
    ) -> ApiResult<HashMap<(Uuid, i32), attempt::Model>> {
        Ok(group::rows::<attempt::Model>(db, GROUP_SQL, &jobs)
            .await?
            .into_iter()
            .map(|m| ((m.user_id, m.quiz_id), m))
            .collect())
    }
}
