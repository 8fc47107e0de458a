//! Refresh tokens: stored hashed, single use, rotated within a family.

use chrono::{DateTime, Utc};
use entity::refresh_tokens;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::Conn;
use crate::error::ApiResult;

pub async fn insert(
    db: &impl Conn,
    user: Uuid,
    family: Uuid,
    token_hash: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> ApiResult<()> {
    refresh_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user),
        family_id: Set(family),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub enum Consumed {
    /// The token was live and is now spent.
    Fresh(refresh_tokens::Model),
    /// Spent before (or revoked): a replay. The family has been revoked; this is its user.
    Replayed(uuid::Uuid),
    Expired,
    Unknown,
}

/// Spends a refresh token. One conditional update (`… WHERE used_at IS NULL`) decides, so two
/// concurrent refreshes with the same token have one winner; the loser is treated as a replay
/// and the whole family is revoked, which is what a stolen token looks like. Up to three
/// statements: pass a [`Tx`](super::Tx).
pub async fn consume(db: &impl Conn, token_hash: &str, now: DateTime<Utc>) -> ApiResult<Consumed> {
    let Some(token) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?
    else {
        return Ok(Consumed::Unknown);
    };
    if token.used_at.is_none() && token.revoked_at.is_none() && token.expires_at <= now {
        return Ok(Consumed::Expired);
    }
    let spent = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if spent.rows_affected == 1 {
        return Ok(Consumed::Fresh(token));
    }
    revoke_family(db, token.family_id, now).await?;
    Ok(Consumed::Replayed(token.user_id))
}

pub async fn revoke_family(db: &impl Conn, family: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn revoke_all(db: &impl Conn, user: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::UserId.eq(user))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

pub async fn find_by_hash(
    db: &impl Conn,
    token_hash: &str,
) -> ApiResult<Option<refresh_tokens::Model>> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash))
        .one(db)
        .await?)
}

pub async fn list_for_user(db: &impl Conn, user: Uuid) -> ApiResult<Vec<refresh_tokens::Model>> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::UserId.eq(user))
        .order_by_asc(refresh_tokens::Column::CreatedAt)
        .all(db)
        .await?)
}
