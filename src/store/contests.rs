//! Contests, rounds and stored round results. The rule columns (ranking, prizes) are decoded
//! here into typed values and fail loudly, naming the column.

use chrono::{DateTime, Utc};
use entity::{attempts, contests, quizzes, round_results, rounds};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::{Conn, Tx, json};
use crate::{
    domain::{
        course::{Audience, Review},
        paper::DrawRule,
        ranking::{PrizeRule, RankingRule},
    },
    error::ApiResult,
};

/// A contest as stored, its rules decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contest {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub owner_unit_id: i32,
    pub audience: Audience,
    pub ranking: RankingRule,
    pub prizes: PrizeRule,
    pub one_prize_per_person: bool,
}

impl TryFrom<contests::Model> for Contest {
    type Error = DbErr;

    fn try_from(c: contests::Model) -> Result<Self, DbErr> {
        Ok(Contest {
            // Not a loud failure like the rules: an audience that cannot be read shuts the
            // contest to everyone (and is logged), the one rule for courses and contests.
            audience: crate::services::access::audience(&c.audience_categories, &c.audience_units),
            ranking: json::decode("contests", "ranking_rule", &c.ranking_rule)?,
            prizes: json::decode("contests", "prize_rule", &c.prize_rule)?,
            id: c.id,
            slug: c.slug,
            title: c.title,
            description: c.description,
            owner_unit_id: c.owner_unit_id,
            one_prize_per_person: c.one_prize_per_person,
        })
    }
}

fn decoded(rows: Vec<contests::Model>) -> Result<Vec<Contest>, DbErr> {
    rows.into_iter().map(Contest::try_from).collect()
}

/// A contest to create, checked by the service.
#[derive(Debug, Clone)]
pub struct NewContest {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub owner_unit_id: i32,
    pub audience: Audience,
    pub ranking: RankingRule,
    pub prizes: PrizeRule,
    pub one_prize_per_person: bool,
    pub created_by: Option<Uuid>,
}

/// What a contest change sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ContestPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub audience: Option<Audience>,
    pub ranking: Option<RankingRule>,
    pub prizes: Option<PrizeRule>,
    pub one_prize_per_person: Option<bool>,
}

/// Inserts a contest. Fails with 409 `duplicate_contest` when the slug is taken.
pub async fn insert_contest(
    db: &impl Conn,
    new: &NewContest,
    now: DateTime<Utc>,
) -> ApiResult<Contest> {
    let row = contests::ActiveModel {
        slug: Set(new.slug.clone()),
        title: Set(new.title.clone()),
        description: Set(new.description.clone()),
        owner_unit_id: Set(new.owner_unit_id),
        audience_categories: Set(json::encode(&new.audience.categories)?),
        audience_units: Set(json::encode(&new.audience.units)?),
        ranking_rule: Set(json::encode(&new.ranking)?),
        prize_rule: Set(json::encode(&new.prizes)?),
        one_prize_per_person: Set(new.one_prize_per_person),
        created_by: Set(new.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(Contest::try_from(row.insert(db).await?)?)
}

/// Applies `patch` to contest `id`. Fails when the contest is gone.
pub async fn update_contest(
    db: &impl Conn,
    id: i32,
    patch: &ContestPatch,
    now: DateTime<Utc>,
) -> ApiResult<Contest> {
    let mut row = contests::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(t) = &patch.title {
        row.title = Set(t.clone());
    }
    if let Some(d) = &patch.description {
        row.description = Set(d.clone());
    }
    if let Some(a) = &patch.audience {
        row.audience_categories = Set(json::encode(&a.categories)?);
        row.audience_units = Set(json::encode(&a.units)?);
    }
    if let Some(r) = &patch.ranking {
        row.ranking_rule = Set(json::encode(r)?);
    }
    if let Some(p) = &patch.prizes {
        row.prize_rule = Set(json::encode(p)?);
    }
    if let Some(one) = patch.one_prize_per_person {
        row.one_prize_per_person = Set(one);
    }
    Ok(Contest::try_from(row.update(db).await?)?)
}

pub async fn contests(db: &impl Conn) -> ApiResult<Vec<Contest>> {
    let rows = contests::Entity::find()
        .order_by_desc(contests::Column::Id)
        .all(db)
        .await?;
    Ok(decoded(rows)?)
}

pub async fn contest(db: &impl Conn, id: i32) -> ApiResult<Option<Contest>> {
    let row = contests::Entity::find_by_id(id).one(db).await?;
    Ok(row.map(Contest::try_from).transpose()?)
}

pub async fn contest_by_slug(db: &impl Conn, slug: &str) -> ApiResult<Option<Contest>> {
    let row = contests::Entity::find()
        .filter(contests::Column::Slug.eq(slug))
        .one(db)
        .await?;
    Ok(row.map(Contest::try_from).transpose()?)
}

pub async fn rounds_of(db: &impl Conn, contest: i32) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ContestId.eq(contest))
        .order_by_asc(rounds::Column::Number)
        .all(db)
        .await?)
}

/// Every round of every contest.
pub async fn all_rounds(db: &impl Conn) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .order_by_desc(rounds::Column::ContestId)
        .order_by_asc(rounds::Column::Number)
        .all(db)
        .await?)
}

pub async fn round(db: &impl Conn, id: i32) -> ApiResult<Option<rounds::Model>> {
    Ok(rounds::Entity::find_by_id(id).one(db).await?)
}

pub async fn round_by_quiz(db: &impl Conn, quiz: i32) -> ApiResult<Option<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::QuizId.eq(quiz))
        .one(db)
        .await?)
}

/// The quiz a round owns: how its papers are drawn, timed and limited.
#[derive(Debug, Clone)]
pub struct RoundQuiz {
    pub title: String,
    pub draw: Vec<DrawRule>,
    pub time_limit_secs: i32,
    /// 0: unlimited.
    pub attempts_allowed: i32,
}

/// A round to add, checked by the service; its number is the contest's next.
#[derive(Debug, Clone)]
pub struct NewRound {
    pub contest_id: i32,
    pub title: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub prediction_question: Option<String>,
    pub quiz: RoundQuiz,
}

/// What a round change sets; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct RoundPatch {
    pub title: Option<String>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    /// `Some(None)` removes the question.
    pub prediction_question: Option<Option<String>>,
    pub draw: Option<Vec<DrawRule>>,
    pub time_limit_secs: Option<i32>,
    pub attempts_allowed: Option<i32>,
}

/// Inserts a round and its quiz within the caller's transaction, numbering the round after
/// the contest's last one. Two concurrent adds both read the same last number: the unique
/// index on (contest, number) refuses the second, whose savepoint rolls back (no orphan
/// quiz) and which tries again with the new last number. Fails with 409 `round_conflict`
/// after a few such tries.
pub async fn insert_round(tx: &Tx, new: &NewRound, now: DateTime<Utc>) -> ApiResult<rounds::Model> {
    let quiz = quizzes::ActiveModel {
        title: Set(new.quiz.title.clone()),
        kind: Set(quizzes::QuizKind::ContestRound),
        course_id: Set(None),
        draw_rules: Set(json::encode(&new.quiz.draw)?),
        time_limit_secs: Set(new.quiz.time_limit_secs),
        pass_mark: Set(0),
        attempts_allowed: Set(new.quiz.attempts_allowed),
        review: Set(Review::Never),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let mut tries = 0;
    loop {
        tries += 1;
        let savepoint = tx.begin().await?;
        let last: Option<i32> = rounds::Entity::find()
            .select_only()
            .column_as(rounds::Column::Number.max(), "last")
            .filter(rounds::Column::ContestId.eq(new.contest_id))
            .into_tuple::<Option<i32>>()
            .one(&savepoint)
            .await?
            .flatten();
        let q = quiz.clone().insert(&savepoint).await?;
        let row = rounds::ActiveModel {
            id: NotSet,
            contest_id: Set(new.contest_id),
            number: Set(last.unwrap_or(0) + 1),
            title: Set(new.title.clone()),
            opens_at: Set(new.opens_at),
            closes_at: Set(new.closes_at),
            quiz_id: Set(q.id),
            prediction_question: Set(new.prediction_question.clone()),
            finalise_started_at: Set(None),
            finalised_at: Set(None),
            true_figure: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match row.insert(&savepoint).await {
            Ok(r) => {
                savepoint.commit().await?;
                return Ok(r);
            }
            Err(e)
                if tries < 8
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
            {
                savepoint.rollback().await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Applies `patch` to round `r` and its quiz: two writes, so the caller passes its
/// transaction. Fails when the round is gone.
pub async fn update_round(
    db: &impl Conn,
    r: &rounds::Model,
    patch: &RoundPatch,
    now: DateTime<Utc>,
) -> ApiResult<rounds::Model> {
    let mut quiz = quizzes::Entity::update_many()
        .col_expr(quizzes::Column::UpdatedAt, Expr::value(now))
        .filter(quizzes::Column::Id.eq(r.quiz_id));
    if let Some(draw) = &patch.draw {
        quiz = quiz.col_expr(quizzes::Column::DrawRules, Expr::value(json::encode(draw)?));
    }
    if let Some(secs) = patch.time_limit_secs {
        quiz = quiz.col_expr(quizzes::Column::TimeLimitSecs, Expr::value(secs));
    }
    if let Some(n) = patch.attempts_allowed {
        quiz = quiz.col_expr(quizzes::Column::AttemptsAllowed, Expr::value(n));
    }
    quiz.exec(db).await?;
    let mut row = rounds::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(r.id),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(t) = &patch.title {
        row.title = Set(t.clone());
    }
    if let Some(at) = patch.opens_at {
        row.opens_at = Set(at);
    }
    if let Some(at) = patch.closes_at {
        row.closes_at = Set(at);
    }
    if let Some(q) = &patch.prediction_question {
        row.prediction_question = Set(q.clone());
    }
    Ok(row.update(db).await?)
}

/// Rounds that are open or upcoming at `now` (their draws must stay satisfiable).
pub async fn live_rounds(db: &impl Conn, now: DateTime<Utc>) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ClosesAt.gt(now))
        .filter(rounds::Column::FinalisedAt.is_null())
        .all(db)
        .await?)
}

/// Whether the contest has a round that opened by `now`.
pub async fn has_opened(db: &impl Conn, contest: i32, now: DateTime<Utc>) -> ApiResult<bool> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ContestId.eq(contest))
        .filter(rounds::Column::OpensAt.lte(now))
        .one(db)
        .await?
        .is_some())
}

/// Rounds closed by `closed_by` whose results are not stored yet and that no finaliser holds
/// (or whose holder's lease went stale before `stale_before`), oldest close first.
pub async fn rounds_to_finalise(
    db: &impl Conn,
    closed_by: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ClosesAt.lte(closed_by))
        .filter(rounds::Column::FinalisedAt.is_null())
        .filter(
            rounds::Column::FinaliseStartedAt
                .is_null()
                .or(rounds::Column::FinaliseStartedAt.lt(stale_before)),
        )
        .order_by_asc(rounds::Column::ClosesAt)
        .limit(20)
        .all(db)
        .await?)
}

/// Takes the round for finalising unless another finaliser holds it (a lease that a crashed
/// holder loses after `stale_before`). Returns whether this caller holds it now. Its own
/// statement, committed at once: the lease must be seen by the other instances.
pub async fn lease_round(
    db: &impl Conn,
    id: i32,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> ApiResult<bool> {
    let res = rounds::Entity::update_many()
        .col_expr(rounds::Column::FinaliseStartedAt, Expr::value(now))
        .filter(rounds::Column::Id.eq(id))
        .filter(rounds::Column::FinalisedAt.is_null())
        .filter(
            rounds::Column::FinaliseStartedAt
                .is_null()
                .or(rounds::Column::FinaliseStartedAt.lt(stale_before)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// One ranked participant of a finalised round.
#[derive(Debug, Clone)]
pub struct NewResult {
    pub rank: i32,
    pub user_id: Uuid,
    pub attempt_id: Uuid,
    pub unit_id: Option<i32>,
    pub unit_name: Option<String>,
    pub display_name: String,
    pub correct: i32,
    pub total: i32,
    pub duration_ms: i64,
    pub time_ms: i64,
    pub prediction: Option<i64>,
    pub prediction_error: Option<i64>,
    pub attempts_used: i32,
    pub submitted_at: DateTime<Utc>,
    pub prize: Option<String>,
}

/// Stores the final results of a round and marks it finalised (rows from an earlier,
/// interrupted run are replaced): several writes, so the caller passes its transaction.
pub async fn store_results(
    db: &impl Conn,
    round_id: i32,
    rows: &[NewResult],
    true_figure: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    round_results::Entity::delete_many()
        .filter(round_results::Column::RoundId.eq(round_id))
        .exec(db)
        .await?;
    rounds::Entity::update_many()
        .col_expr(rounds::Column::FinalisedAt, Expr::value(now))
        .col_expr(rounds::Column::TrueFigure, Expr::value(true_figure))
        .col_expr(rounds::Column::UpdatedAt, Expr::value(now))
        .filter(rounds::Column::Id.eq(round_id))
        .exec(db)
        .await?;
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|x| round_results::ActiveModel {
            id: NotSet,
            round_id: Set(round_id),
            rank: Set(x.rank),
            user_id: Set(x.user_id),
            attempt_id: Set(x.attempt_id),
            unit_id: Set(x.unit_id),
            unit_name: Set(x.unit_name.clone()),
            display_name: Set(x.display_name.clone()),
            correct: Set(x.correct),
            total: Set(x.total),
            duration_ms: Set(x.duration_ms),
            time_ms: Set(x.time_ms),
            prediction: Set(x.prediction),
            prediction_error: Set(x.prediction_error),
            attempts_used: Set(x.attempts_used),
            submitted_at: Set(x.submitted_at),
            prize: Set(x.prize.clone()),
        });
        round_results::Entity::insert_many(models).exec(db).await?;
    }
    Ok(())
}

pub async fn results(db: &impl Conn, round_id: i32) -> ApiResult<Vec<round_results::Model>> {
    Ok(round_results::Entity::find()
        .filter(round_results::Column::RoundId.eq(round_id))
        .order_by_asc(round_results::Column::Rank)
        .all(db)
        .await?)
}

/// Users who won a prize in any of these rounds.
pub async fn winners(db: &impl Conn, round_ids: &[i32]) -> ApiResult<Vec<Uuid>> {
    Ok(round_results::Entity::find()
        .select_only()
        .column(round_results::Column::UserId)
        .filter(round_results::Column::RoundId.is_in(round_ids.iter().copied()))
        .filter(round_results::Column::Prize.is_not_null())
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// A finished attempt that counts in a round (not a practice one), with the columns the
/// final ranking needs.
#[derive(Debug, Clone, FromQueryResult)]
pub struct RankedAttempt {
    pub id: Uuid,
    pub user_id: Uuid,
    pub unit_id: Option<i32>,
    pub correct: Option<i32>,
    pub total: i32,
    pub duration_ms: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub prediction: Option<i64>,
}

/// The finished attempts at a round's quiz that count (practice attempts left out by the
/// query), earliest submission first.
pub async fn ranked_attempts(db: &impl Conn, quiz: i32) -> ApiResult<Vec<RankedAttempt>> {
    Ok(attempts::Entity::find()
        .select_only()
        .columns([
            attempts::Column::Id,
            attempts::Column::UserId,
            attempts::Column::UnitId,
            attempts::Column::Correct,
            attempts::Column::Total,
            attempts::Column::DurationMs,
            attempts::Column::StartedAt,
            attempts::Column::SubmittedAt,
            attempts::Column::Prediction,
        ])
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(super::attempts::OPEN))
        .filter(attempts::Column::Practice.eq(false))
        .order_by_asc(attempts::Column::SubmittedAt)
        .into_model::<RankedAttempt>()
        .all(db)
        .await?)
}

/// Who took part in a round and in which unit, one row per counted finished attempt (the
/// earliest submission first): what the unit board needs, and nothing more.
pub async fn participations(db: &impl Conn, quiz: i32) -> ApiResult<Vec<(Uuid, Option<i32>)>> {
    Ok(attempts::Entity::find()
        .select_only()
        .columns([attempts::Column::UserId, attempts::Column::UnitId])
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::State.ne(super::attempts::OPEN))
        .filter(attempts::Column::Practice.eq(false))
        .order_by_asc(attempts::Column::SubmittedAt)
        .into_tuple()
        .all(db)
        .await?)
}
