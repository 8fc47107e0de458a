//! The ends of attempts that write nothing else (a round's submit: its board is outside the
//! database), committed in groups on PostgreSQL (see [`super::group`]): one
//! `UPDATE … FROM jsonb_to_recordset` records the results of a group, each row keeping the
//! conditions of [`attempts::finish`] (still open, at the graded revision).

use std::collections::HashMap;

use entity::attempts as attempt;
use serde::Serialize;
use uuid::Uuid;

use super::{
    Db,
    attempts::{self, Finish},
    group,
};
use crate::error::ApiResult;

/// Ends of attempts: grouped on PostgreSQL, a statement each on SQLite.
pub type Finishes = group::Writer<End>;

/// The kind of write [`Finishes`] commits.
pub struct End;

/// One end: the arguments of [`attempts::finish`].
#[derive(Serialize)]
pub struct PendingFinish {
    pub id: Uuid,
    #[serde(flatten)]
    pub finish: Finish,
}

/// The group's ends as one statement, with the conditions of [`attempts::finish`].
const GROUP_SQL: &str = "UPDATE attempts AS a \
    SET state = f.state, closed_by = f.closed_by, submitted_at = f.at, correct = f.correct, \
        passed = f.passed, duration_ms = f.duration_ms, idempotency_key = f.idempotency_key, \
        prediction = f.prediction, updated_at = f.at, effects_pending = f.effects_pending \
    FROM jsonb_to_recordset(CAST($1 AS jsonb)) AS f(id uuid, state text, closed_by text, \
        at timestamptz, correct int, passed boolean, duration_ms bigint, idempotency_key text, \
        prediction bigint, revision int, effects_pending boolean) \
    WHERE a.id = f.id AND a.state = 'open' AND a.revision = f.revision \
    RETURNING a.*";

impl group::Kind for End {
    type Job = PendingFinish;
    type Out = attempt::Model;
    type Key = Uuid;
    const NAME: &'static str = "finish";

    fn key(job: &PendingFinish) -> Uuid {
        job.id
    }

    async fn alone(db: &Db, job: PendingFinish) -> ApiResult<Option<attempt::Model>> {
        attempts::finish(db, job.id, job.finish).await
    }

    async fn group<'a>(
        db: &'a Db,
        jobs: Vec<&'a PendingFinish>,
    ) -> ApiResult<HashMap<Uuid, attempt::Model>> {
        Ok(group::rows::<attempt::Model>(db, GROUP_SQL, &jobs)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect())
    }
}
