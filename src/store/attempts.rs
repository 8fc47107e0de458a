//! Attempts: one row each, the frozen paper and the saved answers as JSON columns, so that a
//! start is one insert, a save one conditional update and a submit one conditional update.

use chrono::{DateTime, Utc};
use entity::attempts;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::Db;
use crate::error::ApiResult;

pub const OPEN: &str = "open";
pub const SUBMITTED: &str = "submitted";
pub const CLOSED: &str = "closed";

pub async fn find(db: &Db, id: Uuid) -> ApiResult<Option<attempts::Model>> {
    Ok(attempts::Entity::find_by_id(id).one(db).await?)
}

/// The user's attempts at a quiz, oldest first.
pub async fn of_user(db: &Db, user: Uuid, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::UserId.eq(user))
        .filter(attempts::Column::QuizId.eq(quiz))
        .order_by_asc(attempts::Column::AttemptNo)
        .all(db)
        .await?)
}

pub enum Inserted {
    Ok(Box<attempts::Model>),
    /// Another start for the same attempt number won (a double tap).
    Duplicate,
}

pub async fn insert(db: &Db, row: attempts::ActiveModel) -> ApiResult<Inserted> {
    match row.insert(db).await {
        Ok(m) => Ok(Inserted::Ok(Box::new(m))),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(Inserted::Duplicate)
        }
        Err(e) => Err(e.into()),
    }
}

/// Saves the answers if the attempt is still open at `revision`. Returns false when it is not
/// (closed, or saved by another request in between).
pub async fn save_answers(
    db: &Db,
    id: Uuid,
    revision: i32,
    answers: String,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let res = attempts::Entity::update_many()
        .col_expr(attempts::Column::Answers, Expr::value(answers))
        .col_expr(attempts::Column::Revision, Expr::value(revision + 1))
        .col_expr(attempts::Column::UpdatedAt, Expr::value(now))
        .filter(attempts::Column::Id.eq(id))
        .filter(attempts::Column::State.eq(OPEN))
        .filter(attempts::Column::Revision.eq(revision))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

pub struct Finish {
    pub state: &'static str,
    pub closed_by: &'static str,
    pub at: DateTime<Utc>,
    pub correct: i32,
    pub passed: bool,
    pub duration_ms: i64,
    pub idempotency_key: Option<String>,
    pub prediction: Option<i64>,
}

/// Records the result if the attempt is still open: two submits (or a submit and the
/// sweeper) race to one winner. Returns whether this call won. The same statement marks the
/// attempt's effects pending, so that they are retried until done (see [`effects_done`]).
pub async fn finish(db: &Db, id: Uuid, f: Finish) -> ApiResult<bool> {
    let res = attempts::Entity::update_many()
        .col_expr(attempts::Column::State, Expr::value(f.state))
        .col_expr(attempts::Column::ClosedBy, Expr::value(f.closed_by))
        .col_expr(attempts::Column::SubmittedAt, Expr::value(f.at))
        .col_expr(attempts::Column::Correct, Expr::value(f.correct))
        .col_expr(attempts::Column::Passed, Expr::value(f.passed))
        .col_expr(attempts::Column::DurationMs, Expr::value(f.duration_ms))
        .col_expr(
            attempts::Column::IdempotencyKey,
            Expr::value(f.idempotency_key),
        )
        .col_expr(attempts::Column::Prediction, Expr::value(f.prediction))
        .col_expr(attempts::Column::UpdatedAt, Expr::value(f.at))
        .col_expr(attempts::Column::EffectsPending, Expr::value(true))
        .filter(attempts::Column::Id.eq(id))
        .filter(attempts::Column::State.eq(OPEN))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Every finished attempt at a quiz (a round's), oldest first.
pub async fn finished_of_quiz(db: &Db, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(OPEN))
        .order_by_asc(attempts::Column::SubmittedAt)
        .all(db)
        .await?)
}

/// Open attempts at a quiz.
pub async fn open_of_quiz(db: &Db, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.eq(OPEN))
        .all(db)
        .await?)
}

/// Open attempts whose deadline is before `before`, oldest first.
pub async fn expired(
    db: &Db,
    before: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::State.eq(OPEN))
        .filter(attempts::Column::Deadline.lt(before))
        .order_by_asc(attempts::Column::Deadline)
        .limit(limit)
        .all(db)
        .await?)
}

/// What a board needs of a finished attempt: nothing of the paper or the answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub correct: Option<i32>,
    pub duration_ms: Option<i64>,
    pub submitted_at: Option<DateTime<Utc>>,
}

/// A batch of the finished attempts at a quiz for a board rebuild: the columns a score needs,
/// in id order after `after` (keyset paging, so a large round streams in constant memory).
pub async fn board_rows(
    db: &Db,
    quiz: i32,
    after: Option<Uuid>,
    limit: u64,
) -> ApiResult<Vec<BoardRow>> {
    let mut q = attempts::Entity::find()
        .select_only()
        .column(attempts::Column::Id)
        .column(attempts::Column::UserId)
        .column(attempts::Column::Correct)
        .column(attempts::Column::DurationMs)
        .column(attempts::Column::SubmittedAt)
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(OPEN))
        .filter(attempts::Column::Practice.eq(false));
    if let Some(after) = after {
        q = q.filter(attempts::Column::Id.gt(after));
    }
    type Row = (Uuid, Uuid, Option<i32>, Option<i64>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = q
        .order_by_asc(attempts::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, user_id, correct, duration_ms, submitted_at)| BoardRow {
                id,
                user_id,
                correct,
                duration_ms,
                submitted_at,
            },
        )
        .collect())
}

/// How many people have a finished attempt at a quiz that ended before `before`: the entries
/// a round's board must hold at least (later ones may still be on their way to it).
pub async fn participants_before(db: &Db, quiz: i32, before: DateTime<Utc>) -> ApiResult<u64> {
    let n: Option<i64> = attempts::Entity::find()
        .select_only()
        .column_as(Expr::col(attempts::Column::UserId).count_distinct(), "n")
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(OPEN))
        .filter(attempts::Column::Practice.eq(false))
        .filter(attempts::Column::UpdatedAt.lt(before))
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// Records that what follows the attempt's end is done.
pub async fn effects_done(db: &Db, id: Uuid) -> ApiResult<()> {
    attempts::Entity::update_many()
        .col_expr(attempts::Column::EffectsPending, Expr::value(false))
        .filter(attempts::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Ended attempts whose effects are still to be done, that ended before `before` (younger
/// ones are being done by the request that ended them), oldest first.
pub async fn effects_pending(
    db: &Db,
    before: DateTime<Utc>,
    limit: u64,
) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::EffectsPending.eq(true))
        .filter(attempts::Column::UpdatedAt.lt(before))
        .order_by_asc(attempts::Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await?)
}
