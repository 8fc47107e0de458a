//! Contests, rounds and stored round results.

use chrono::{DateTime, Utc};
use entity::{contests, quizzes, round_results, rounds};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};

use super::Db;
use crate::error::ApiError;
use crate::error::ApiResult;

pub async fn insert_contest(db: &Db, row: contests::ActiveModel) -> ApiResult<contests::Model> {
    row.insert(db).await.map_err(ApiError::from)
}

pub async fn update_contest(db: &Db, row: contests::ActiveModel) -> ApiResult<contests::Model> {
    Ok(row.update(db).await?)
}

pub async fn contests(db: &Db) -> ApiResult<Vec<contests::Model>> {
    Ok(contests::Entity::find()
        .order_by_desc(contests::Column::Id)
        .all(db)
        .await?)
}

pub async fn contest(db: &Db, id: i32) -> ApiResult<Option<contests::Model>> {
    Ok(contests::Entity::find_by_id(id).one(db).await?)
}

pub async fn contest_by_slug(db: &Db, slug: &str) -> ApiResult<Option<contests::Model>> {
    Ok(contests::Entity::find()
        .filter(contests::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn rounds_of(db: &Db, contest: i32) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ContestId.eq(contest))
        .order_by_asc(rounds::Column::Number)
        .all(db)
        .await?)
}

pub async fn round(db: &Db, id: i32) -> ApiResult<Option<rounds::Model>> {
    Ok(rounds::Entity::find_by_id(id).one(db).await?)
}

pub async fn round_by_quiz(db: &Db, quiz: i32) -> ApiResult<Option<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::QuizId.eq(quiz))
        .one(db)
        .await?)
}

/// Inserts a round and its quiz in one transaction, numbering the round after the contest's
/// last one. Two concurrent adds both read the same last number: the unique index on
/// (contest, number) refuses the second, which rolls back (no orphan quiz) and tries again.
pub async fn insert_round(
    db: &Db,
    quiz: quizzes::ActiveModel,
    mut row: rounds::ActiveModel,
) -> ApiResult<rounds::Model> {
    let contest = match &row.contest_id {
        sea_orm::ActiveValue::Set(c) | sea_orm::ActiveValue::Unchanged(c) => *c,
        sea_orm::ActiveValue::NotSet => {
            return Err(crate::error::ApiError::Internal(anyhow::anyhow!(
                "a round needs its contest"
            )));
        }
    };
    let mut tries = 0;
    loop {
        tries += 1;
        let txn = db.begin().await?;
        let last: Option<i32> = rounds::Entity::find()
            .select_only()
            .column_as(rounds::Column::Number.max(), "last")
            .filter(rounds::Column::ContestId.eq(contest))
            .into_tuple::<Option<i32>>()
            .one(&txn)
            .await?
            .flatten();
        let q = quiz.clone().insert(&txn).await?;
        row.quiz_id = sea_orm::ActiveValue::Set(q.id);
        row.number = sea_orm::ActiveValue::Set(last.unwrap_or(0) + 1);
        match row.clone().insert(&txn).await {
            Ok(r) => {
                txn.commit().await?;
                return Ok(r);
            }
            Err(e)
                if tries < 8
                    && matches!(
                        e.sql_err(),
                        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                    ) =>
            {
                txn.rollback().await?;
            }
            Err(e) => {
                txn.rollback().await?;
                return Err(ApiError::from(e));
            }
        }
    }
}

/// Rounds that are open or upcoming at `now` (their draws must stay satisfiable).
pub async fn live_rounds(db: &Db, now: DateTime<Utc>) -> ApiResult<Vec<rounds::Model>> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ClosesAt.gt(now))
        .filter(rounds::Column::FinalisedAt.is_null())
        .all(db)
        .await?)
}

/// Whether the contest has a round that opened by `now`.
pub async fn has_opened(db: &Db, contest: i32, now: DateTime<Utc>) -> ApiResult<bool> {
    Ok(rounds::Entity::find()
        .filter(rounds::Column::ContestId.eq(contest))
        .filter(rounds::Column::OpensAt.lte(now))
        .one(db)
        .await?
        .is_some())
}

pub async fn update_round(db: &Db, row: rounds::ActiveModel) -> ApiResult<rounds::Model> {
    Ok(row.update(db).await?)
}

/// Rounds closed by `closed_by` whose results are not stored yet and that no finaliser holds
/// (or whose holder's lease went stale before `stale_before`), oldest close first.
pub async fn rounds_to_finalise(
    db: &Db,
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
/// holder loses after `stale_before`). Returns whether this caller holds it now.
pub async fn lease_round(
    db: &Db,
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

/// Stores the final results of a round and marks it finalised, in one transaction (rows from
/// an earlier, interrupted run are replaced).
pub async fn store_results(
    db: &Db,
    round_id: i32,
    rows: Vec<round_results::ActiveModel>,
    true_figure: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = db.begin().await?;
    round_results::Entity::delete_many()
        .filter(round_results::Column::RoundId.eq(round_id))
        .exec(&txn)
        .await?;
    for chunk in rows.chunks(500) {
        round_results::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    rounds::Entity::update_many()
        .col_expr(rounds::Column::FinalisedAt, Expr::value(now))
        .col_expr(rounds::Column::TrueFigure, Expr::value(true_figure))
        .col_expr(rounds::Column::UpdatedAt, Expr::value(now))
        .filter(rounds::Column::Id.eq(round_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn results(db: &Db, round_id: i32) -> ApiResult<Vec<round_results::Model>> {
    Ok(round_results::Entity::find()
        .filter(round_results::Column::RoundId.eq(round_id))
        .order_by_asc(round_results::Column::Rank)
        .all(db)
        .await?)
}

/// Users who won a prize in any of these rounds.
pub async fn winners(db: &Db, round_ids: &[i32]) -> ApiResult<Vec<uuid::Uuid>> {
    Ok(round_results::Entity::find()
        .filter(round_results::Column::RoundId.is_in(round_ids.iter().copied()))
        .filter(round_results::Column::Prize.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
}
