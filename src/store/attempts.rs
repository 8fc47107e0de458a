//! Attempts: one row each, the frozen paper and the saved answers as JSON columns, so that a
//! start is one insert, a save one conditional update and a submit one conditional update.

use chrono::{DateTime, Utc};
use entity::attempts;
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    Statement, Value,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::Conn;
use crate::{
    domain::paper::{Answers, PaperItem},
    error::ApiResult,
};

/// Where an attempt is: taking saves, or ended (by its owner, or at its deadline). Written
/// to clients as `open`, `submitted`, `closed`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AttemptState {
    Open,
    Submitted,
    Closed,
}

impl AttemptState {
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptState::Open => "open",
            AttemptState::Submitted => "submitted",
            AttemptState::Closed => "closed",
        }
    }

    /// The state of a stored attempt. Fails (naming the column) on a value this code does not
    /// know, rather than guessing whether it is open.
    pub fn of(a: &attempts::Model) -> ApiResult<AttemptState> {
        [
            AttemptState::Open,
            AttemptState::Submitted,
            AttemptState::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == a.state)
        .ok_or_else(|| unknown("state", &a.state))
    }
}

/// Who ended an attempt. Written to clients as `submit`, `deadline`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ClosedBy {
    /// The participant submitted.
    Submit,
    /// Closed at (or after) the deadline with what was saved.
    Deadline,
}

impl ClosedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedBy::Submit => "submit",
            ClosedBy::Deadline => "deadline",
        }
    }

    /// Who ended a stored attempt (`None` while it is open). Fails (naming the column) on a
    /// value this code does not know.
    pub fn of(a: &attempts::Model) -> ApiResult<Option<ClosedBy>> {
        let Some(stored) = a.closed_by.as_deref() else {
            return Ok(None);
        };
        [ClosedBy::Submit, ClosedBy::Deadline]
            .into_iter()
            .find(|c| c.as_str() == stored)
            .map(Some)
            .ok_or_else(|| unknown("closed_by", stored))
    }
}

fn unknown(column: &str, value: &str) -> crate::error::ApiError {
    sea_orm::DbErr::Type(format!("attempts.{column} holds an unknown value: {value}")).into()
}

pub const OPEN: &str = "open";

pub async fn find(db: &impl Conn, id: Uuid) -> ApiResult<Option<attempts::Model>> {
    Ok(attempts::Entity::find_by_id(id).one(db).await?)
}

/// The user's attempts at a quiz, oldest first.
pub async fn of_user(db: &impl Conn, user: Uuid, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::UserId.eq(user))
        .filter(attempts::Column::QuizId.eq(quiz))
        .order_by_asc(attempts::Column::AttemptNo)
        .all(db)
        .await?)
}

fn statement(db: &impl Conn, pg: &str, values: Vec<Value>) -> Statement {
    let backend = db.get_database_backend();
    // Both dialects take `$n`; only the JSON functions differ (see `save_answers`).
    Statement::from_sql_and_values(backend, pg, values)
}

/// A new attempt, before it is numbered: its paper encoded ([`encode_paper`]), and the cap on
/// the user's attempts at the quiz (0: no cap). Serialised as a row of a group of starts
/// (`store::starts`).
#[derive(serde::Serialize)]
pub struct Insert {
    pub id: Uuid,
    pub quiz_id: i32,
    pub user_id: Uuid,
    pub unit_id: Option<i32>,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub paper: String,
    pub total: i32,
    pub practice: bool,
    pub allowed: i32,
}

/// Inserts the attempt, numbered after the user's previous ones, in one statement that
/// inserts nothing when the user has an open attempt at the quiz or has used `allowed`
/// attempts (0: no cap). Two racing starts compute the same number: the unique key on
/// (user, quiz, number) lets one win. `None` when nothing was inserted: the user has an open
/// attempt or no attempts left, or a double tap won.
pub async fn insert(db: &impl Conn, new: Insert) -> ApiResult<Option<attempts::Model>> {
    let sql = "INSERT INTO attempts (id, quiz_id, user_id, attempt_no, state, unit_id, started_at, \
        deadline, paper, answers, revision, total, practice, updated_at, effects_pending) \
        SELECT $1, $2, $3, COALESCE(MAX(attempt_no), 0) + 1, 'open', $4, $5, $6, $7, '{}', 0, $8, $9, $5, $10 \
        FROM attempts WHERE user_id = $3 AND quiz_id = $2 \
        HAVING ($11 = 0 OR COUNT(*) < $11) \
        AND COALESCE(SUM(CASE WHEN state = 'open' THEN 1 ELSE 0 END), 0) = 0 \
        RETURNING *";
    let stmt = statement(
        db,
        sql,
        vec![
            new.id.into(),
            new.quiz_id.into(),
            new.user_id.into(),
            new.unit_id.into(),
            new.started_at.into(),
            new.deadline.into(),
            new.paper.into(),
            new.total.into(),
            new.practice.into(),
            false.into(),
            new.allowed.into(),
        ],
    );
    match attempts::Model::find_by_statement(stmt).one(db).await {
        Ok(m) => Ok(m),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// A paper as its column holds it.
///
/// Fails when the paper cannot be encoded.
pub fn encode_paper(paper: &[PaperItem]) -> ApiResult<String> {
    Ok(super::json::encode(paper)?)
}

/// The decoded paper of an attempt.
pub fn paper_of(a: &attempts::Model) -> ApiResult<Vec<PaperItem>> {
    Ok(super::json::decode("attempts", "paper", &a.paper)?)
}

/// The decoded answers of an attempt.
pub fn answers_of(a: &attempts::Model) -> ApiResult<Answers> {
    Ok(super::json::decode("attempts", "answers", &a.answers)?)
}

/// What a save changes: answers per question, `None` to clear one.
pub type AnswerPatch = std::collections::BTreeMap<i32, Option<Vec<String>>>;

/// After a save: the attempt's new revision and its deadline.
#[derive(Debug, FromQueryResult)]
pub struct Saved {
    pub revision: i32,
    pub deadline: DateTime<Utc>,
}

/// Merges `patch` into the answers of the user's attempt in one conditional statement: only
/// while it is open, with a deadline not before `deadline_after`, and (when given) still at
/// `revision`. The merge happens in the database, so two saves never lose each other's
/// answers. `None` when nothing was saved (not the user's, closed, late or stale).
pub async fn save_answers(
    db: &impl Conn,
    id: Uuid,
    user: Uuid,
    revision: Option<i32>,
    patch: &AnswerPatch,
    now: DateTime<Utc>,
    deadline_after: DateTime<Utc>,
) -> ApiResult<Option<Saved>> {
    // JSON merge patch: a null member removes the question.
    let merge = match db.get_database_backend() {
        DbBackend::Postgres => "jsonb_strip_nulls(answers::jsonb || CAST($1 AS jsonb))::text",
        _ => "json_patch(answers, $1)",
    };
    let mut sql = format!(
        "UPDATE attempts SET answers = {merge}, revision = revision + 1, updated_at = $2 \
         WHERE id = $3 AND user_id = $4 AND state = 'open' AND deadline >= $5"
    );
    let mut values: Vec<Value> = vec![
        super::json::encode(patch)?.into(),
        now.into(),
        id.into(),
        user.into(),
        deadline_after.into(),
    ];
    if let Some(r) = revision {
        sql.push_str(" AND revision = $6");
        values.push(r.into());
    }
    sql.push_str(" RETURNING revision, deadline");
    Ok(Saved::find_by_statement(statement(db, &sql, values))
        .one(db)
        .await?)
}

/// How an attempt ends; serialised as a row of a group of ends (`store::finishes`).
#[derive(serde::Serialize)]
pub struct Finish {
    pub state: AttemptState,
    pub closed_by: ClosedBy,
    pub at: DateTime<Utc>,
    pub correct: i32,
    pub passed: bool,
    pub duration_ms: i64,
    pub idempotency_key: Option<String>,
    pub prediction: Option<i64>,
    /// The revision the grade was computed at: a save in between makes the statement miss.
    pub revision: i32,
    /// Something outside the database (a round's board) is still to follow the end.
    pub effects_pending: bool,
}

/// Records the result if the attempt is still open at the graded revision: two submits (or a
/// submit and the sweeper) race to one winner, and a save that slipped in makes it miss (the
/// caller grades again). Returns the ended attempt when this call won. With
/// `effects_pending`, the same statement marks what follows the end as still to do, so that it
/// is retried until done (see [`effects_done`]).
pub async fn finish(db: &impl Conn, id: Uuid, f: Finish) -> ApiResult<Option<attempts::Model>> {
    let rows = attempts::Entity::update_many()
        .col_expr(attempts::Column::State, Expr::value(f.state.as_str()))
        .col_expr(
            attempts::Column::ClosedBy,
            Expr::value(f.closed_by.as_str()),
        )
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
        .col_expr(
            attempts::Column::EffectsPending,
            Expr::value(f.effects_pending),
        )
        .filter(attempts::Column::Id.eq(id))
        .filter(attempts::Column::State.eq(OPEN))
        .filter(attempts::Column::Revision.eq(f.revision))
        .exec_with_returning(db)
        .await?;
    Ok(rows.into_iter().next())
}

/// Every finished attempt at a quiz (a round's), oldest first.
pub async fn finished_of_quiz(db: &impl Conn, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(OPEN))
        .order_by_asc(attempts::Column::SubmittedAt)
        .all(db)
        .await?)
}

/// Open attempts at a quiz.
pub async fn open_of_quiz(db: &impl Conn, quiz: i32) -> ApiResult<Vec<attempts::Model>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.eq(OPEN))
        .all(db)
        .await?)
}

/// Open attempts whose deadline is before `before`, oldest first.
pub async fn expired(
    db: &impl Conn,
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
    db: &impl Conn,
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
pub async fn participants_before(
    db: &impl Conn,
    quiz: i32,
    before: DateTime<Utc>,
) -> ApiResult<u64> {
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

/// Records that what follows these attempts' end is done.
pub async fn effects_done(db: &impl Conn, ids: &[Uuid]) -> ApiResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    attempts::Entity::update_many()
        .col_expr(attempts::Column::EffectsPending, Expr::value(false))
        .filter(attempts::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Ended attempts whose effects are still to be done, that ended before `before` (younger
/// ones are being done by the request that ended them), oldest first.
pub async fn effects_pending(
    db: &impl Conn,
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
