//! Certificates: issued once per achievement and person, looked up by id or code, revoked and
//! superseded in place (never deleted).

use chrono::{DateTime, Utc};
use entity::certificates::{self, CertificateKind};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, OnConflict},
};
use uuid::Uuid;

use super::Conn;
use crate::error::ApiResult;

/// A certificate to store, its facts already signed.
pub struct NewCertificate {
    pub id: Uuid,
    pub code: String,
    pub achievement: String,
    pub seq: i32,
    pub kind: CertificateKind,
    pub user_id: Uuid,
    pub course_id: Option<i32>,
    pub round_id: Option<i32>,
    pub unit_id: Option<i32>,
    pub issuer_unit_id: Option<i32>,
    pub masked: bool,
    pub facts: String,
    pub signature: String,
    pub key_id: String,
    pub issued_at: DateTime<Utc>,
    pub issued_by: Option<Uuid>,
}

fn active(c: NewCertificate) -> certificates::ActiveModel {
    certificates::ActiveModel {
        id: Set(c.id),
        code: Set(c.code),
        achievement: Set(c.achievement),
        seq: Set(c.seq),
        kind: Set(c.kind),
        user_id: Set(c.user_id),
        course_id: Set(c.course_id),
        round_id: Set(c.round_id),
        unit_id: Set(c.unit_id),
        issuer_unit_id: Set(c.issuer_unit_id),
        masked: Set(c.masked),
        facts: Set(c.facts),
        signature: Set(c.signature),
        key_id: Set(c.key_id),
        issued_at: Set(c.issued_at),
        issued_by: Set(c.issued_by),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        revoked_by: Set(None),
        superseded_by: Set(None),
        superseded_at: Set(None),
    }
}

/// Inserts certificates, skipping any whose (achievement, issue number) exists: a retried
/// completion or a second finaliser run issues nothing new. Returns how many were inserted.
/// Batches of 200 rows keep each statement under every backend's parameter limit.
pub async fn insert_new(db: &impl Conn, new: Vec<NewCertificate>) -> ApiResult<u64> {
    let mut inserted = 0;
    let mut rows = new.into_iter().map(active).peekable();
    while rows.peek().is_some() {
        let batch: Vec<_> = rows.by_ref().take(200).collect();
        inserted += certificates::Entity::insert_many(batch)
            .on_conflict(
                OnConflict::columns([certificates::Column::Achievement, certificates::Column::Seq])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(inserted)
}

pub async fn find(db: &impl Conn, id: Uuid) -> ApiResult<Option<certificates::Model>> {
    Ok(certificates::Entity::find_by_id(id).one(db).await?)
}

/// One indexed lookup by the canonical code.
pub async fn by_code(db: &impl Conn, code: &str) -> ApiResult<Option<certificates::Model>> {
    Ok(certificates::Entity::find()
        .filter(certificates::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// Several certificates by id (the ones that superseded others, for their codes).
pub async fn find_many(db: &impl Conn, ids: &[Uuid]) -> ApiResult<Vec<certificates::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(certificates::Entity::find()
        .filter(certificates::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// A person's certificates, newest first.
pub async fn of_user(db: &impl Conn, user: Uuid) -> ApiResult<Vec<certificates::Model>> {
    Ok(certificates::Entity::find()
        .filter(certificates::Column::UserId.eq(user))
        .order_by_desc(certificates::Column::IssuedAt)
        .order_by_desc(certificates::Column::Seq)
        .all(db)
        .await?)
}

/// Which certificates a bulk download covers.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    Round(i32),
    Course(i32),
}

/// The ids of a round's or a course's certificates, in issue order, for a bulk download (the
/// caller filters by subtree, then reads them a page at a time).
pub async fn ids_of(
    db: &impl Conn,
    scope: Scope,
    unit_ids: Option<&[i32]>,
) -> ApiResult<Vec<Uuid>> {
    let mut q = certificates::Entity::find()
        .select_only()
        .column(certificates::Column::Id);
    q = match scope {
        Scope::Round(id) => q.filter(certificates::Column::RoundId.eq(id)),
        Scope::Course(id) => q.filter(certificates::Column::CourseId.eq(id)),
    };
    if let Some(units) = unit_ids {
        q = q.filter(certificates::Column::UnitId.is_in(units.iter().copied()));
    }
    Ok(q.order_by_asc(certificates::Column::IssuedAt)
        .order_by_asc(certificates::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The highest issue number of an achievement (0 when never issued).
pub async fn last_seq(db: &impl Conn, achievement: &str) -> ApiResult<i32> {
    let seq: Option<Option<i32>> = certificates::Entity::find()
        .select_only()
        .column_as(certificates::Column::Seq.max(), "max")
        .filter(certificates::Column::Achievement.eq(achievement))
        .into_tuple()
        .one(db)
        .await?;
    Ok(seq.flatten().unwrap_or(0))
}

/// Revokes a certificate still valid. Returns false when it was revoked or superseded already
/// (a concurrent revoke wins once).
pub async fn revoke(
    db: &impl Conn,
    id: Uuid,
    reason: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let done = certificates::Entity::update_many()
        .col_expr(certificates::Column::RevokedAt, Expr::value(now))
        .col_expr(certificates::Column::RevokedReason, Expr::value(reason))
        .col_expr(certificates::Column::RevokedBy, Expr::value(by))
        .filter(certificates::Column::Id.eq(id))
        .filter(certificates::Column::RevokedAt.is_null())
        .filter(certificates::Column::SupersededBy.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Marks `old` superseded by `new`. Returns false when it was superseded already (two
/// re-issues at once: one wins, the other's transaction rolls back).
pub async fn supersede(
    db: &impl Conn,
    old: Uuid,
    new: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let done = certificates::Entity::update_many()
        .col_expr(certificates::Column::SupersededBy, Expr::value(new))
        .col_expr(certificates::Column::SupersededAt, Expr::value(now))
        .filter(certificates::Column::Id.eq(old))
        .filter(certificates::Column::SupersededBy.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Whether an achievement has a certificate neither revoked nor superseded.
pub async fn has_valid(db: &impl Conn, achievement: &str) -> ApiResult<bool> {
    Ok(certificates::Entity::find()
        .filter(certificates::Column::Achievement.eq(achievement))
        .filter(certificates::Column::RevokedAt.is_null())
        .filter(certificates::Column::SupersededBy.is_null())
        .one(db)
        .await?
        .is_some())
}

/// Masks the holder's name in the public output of all their certificates (the account was
/// erased). The signed facts stay as signed: the paper, and its PDF checked offline, still
/// prove the name to whoever holds it.
pub async fn mask_holder(db: &impl Conn, user: Uuid) -> ApiResult<u64> {
    Ok(certificates::Entity::update_many()
        .col_expr(certificates::Column::Masked, Expr::value(true))
        .filter(certificates::Column::UserId.eq(user))
        .exec(db)
        .await?
        .rows_affected)
}
