//! Autosaves, committed in groups on PostgreSQL (see [`super::group`]): one
//! `UPDATE … FROM jsonb_to_recordset` merges the saves of a group, each row keeping the
//! conditions of [`attempts::save_answers`] (owner, open, deadline, revision) and its merge.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::FromQueryResult;
use serde::Serialize;
use uuid::Uuid;

use super::{
    Db,
    attempts::{self, AnswerPatch, Saved},
    group,
};
use crate::error::ApiResult;

/// Autosaves: grouped on PostgreSQL, a statement each on SQLite.
pub type Saves = group::Writer<Save>;

/// The kind of write [`Saves`] commits.
pub struct Save;

/// One save: the arguments of [`attempts::save_answers`].
#[derive(Serialize)]
pub struct PendingSave {
    pub id: Uuid,
    #[serde(rename = "user_id")]
    pub user: Uuid,
    pub revision: Option<i32>,
    pub patch: AnswerPatch,
    pub now: DateTime<Utc>,
    pub deadline_after: DateTime<Utc>,
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

impl group::Kind for Save {
    type Job = PendingSave;
    type Out = Saved;
    type Key = Uuid;
    const NAME: &'static str = "save";

    fn key(job: &PendingSave) -> Uuid {
        job.id
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

    async fn group<'a>(db: &'a Db, jobs: Vec<&'a PendingSave>) -> ApiResult<HashMap<Uuid, Saved>> {
        Ok(group::rows::<Written>(db, GROUP_SQL, &jobs)
            .await?
            .into_iter()
            .map(|w| {
                let saved = Saved {
                    revision: w.revision,
                    deadline: w.deadline,
                };
                (w.id, saved)
            })
            .collect())
    }
}
