//! Members: the people each unit counts. Rows are never deleted: a person who leaves keeps
//! their record with the day and reason.

use chrono::{DateTime, NaiveDate, Utc};
use entity::members::{self, MemberSource};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    sea_query::Expr,
};
use uuid::Uuid;

use super::Conn;
use crate::{
    domain::members::{Current, category_mask},
    domain::roster::RosterRow,
    error::ApiResult,
};

/// Bound parameters per statement, under SQLite's and PostgreSQL's limits.
const CHUNK: usize = 500;

pub fn current(m: &members::Model) -> Current {
    Current {
        id: m.id,
        unit_id: m.unit_id,
        full_name: m.full_name.clone(),
        birth_date: m.birth_date,
        phone: m.phone.clone(),
        category_mask: m.category_mask,
        admitted_on: m.admitted_on,
    }
}

fn live() -> Condition {
    Condition::all().add(members::Column::LeftOn.is_null())
}

/// The live members whose `column` holds one of `values`, a statement per [`CHUNK`].
async fn live_where_in<V>(
    db: &impl Conn,
    column: members::Column,
    values: &[V],
) -> ApiResult<Vec<members::Model>>
where
    V: Into<sea_orm::Value> + Clone,
{
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        out.extend(
            members::Entity::find()
                .filter(live())
                .filter(column.is_in(chunk.iter().cloned()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// The live members of the units `ids`.
pub async fn live_of_units(db: &impl Conn, ids: &[i32]) -> ApiResult<Vec<members::Model>> {
    live_where_in(db, members::Column::UnitId, ids).await
}

/// The live members holding one of `phones` (E.164), wherever they are.
pub async fn live_by_phones(db: &impl Conn, phones: &[String]) -> ApiResult<Vec<members::Model>> {
    live_where_in(db, members::Column::Phone, phones).await
}

pub async fn find(db: &impl Conn, id: i32) -> ApiResult<Option<members::Model>> {
    Ok(members::Entity::find_by_id(id).one(db).await?)
}

/// A person to add.
pub struct NewMember<'a> {
    pub unit_id: i32,
    pub row: &'a RosterRow,
    pub user_id: Option<Uuid>,
    pub source: MemberSource,
}

pub async fn insert_many(
    db: &impl Conn,
    new: &[NewMember<'_>],
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    for chunk in new.chunks(CHUNK / 16) {
        let rows = chunk.iter().map(|n| members::ActiveModel {
            unit_id: Set(n.unit_id),
            full_name: Set(n.row.full_name.clone()),
            birth_date: Set(n.row.birth_date),
            phone: Set(n.row.phone.as_ref().map(|p| p.as_str().to_owned())),
            category_mask: Set(category_mask(&n.row.categories)),
            admitted_on: Set(n.row.admitted_on),
            user_id: Set(n.user_id),
            confirmed_at: Set(None),
            source: Set(n.source),
            left_on: Set(None),
            left_reason: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            updated_by: Set(Some(by)),
            ..Default::default()
        });
        members::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Writes what a roster row says over member `id`. A new phone drops an unconfirmed account
/// match (it was the old number's); a confirmed one stays with the person.
pub async fn update_from_row(
    db: &impl Conn,
    before: &members::Model,
    unit_id: i32,
    row: &RosterRow,
    matched_user: Option<Uuid>,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let phone = row.phone.as_ref().map(|p| p.as_str().to_owned());
    let mut active: members::ActiveModel = before.clone().into();
    if (before.confirmed_at.is_none() && before.phone != phone) || before.user_id.is_none() {
        active.user_id = Set(matched_user);
    }
    active.unit_id = Set(unit_id);
    active.full_name = Set(row.full_name.clone());
    active.birth_date = Set(row.birth_date);
    active.phone = Set(phone);
    active.category_mask = Set(category_mask(&row.categories));
    active.admitted_on = Set(row.admitted_on);
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    members::Entity::update(active).exec(db).await?;
    super::facts::members_changed(db, &[before.id]).await
}

/// Marks members as having left on `on`, for `reason`; their history stays.
pub async fn mark_left(
    db: &impl Conn,
    ids: &[i32],
    on: NaiveDate,
    reason: &str,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    for chunk in ids.chunks(CHUNK) {
        members::Entity::update_many()
            .col_expr(members::Column::LeftOn, Expr::value(on))
            .col_expr(members::Column::LeftReason, Expr::value(reason))
            .col_expr(members::Column::UpdatedAt, Expr::value(now))
            .col_expr(members::Column::UpdatedBy, Expr::value(by))
            .filter(members::Column::Id.is_in(chunk.iter().copied()))
            .filter(live())
            .exec(db)
            .await?;
    }
    super::facts::members_changed(db, ids).await
}

/// Changes a member's leaving (day and reason, or back to live with `None`).
pub async fn set_left(
    db: &impl Conn,
    before: &members::Model,
    left: Option<(NaiveDate, String)>,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<members::Model> {
    let mut active: members::ActiveModel = before.clone().into();
    active.left_on = Set(left.as_ref().map(|(d, _)| *d));
    active.left_reason = Set(left.map(|(_, r)| r));
    active.updated_at = Set(now);
    active.updated_by = Set(Some(by));
    let after = members::Entity::update(active).exec(db).await?;
    super::facts::members_changed(db, &[after.id]).await?;
    Ok(after)
}

/// One page of a subtree's members (live, or all with `include_left`), by name.
pub async fn page(
    db: &impl Conn,
    unit_ids: &[i32],
    include_left: bool,
) -> ApiResult<Vec<members::Model>> {
    let mut out = Vec::new();
    for chunk in unit_ids.chunks(CHUNK) {
        let mut q =
            members::Entity::find().filter(members::Column::UnitId.is_in(chunk.iter().copied()));
        if !include_left {
            q = q.filter(live());
        }
        out.extend(q.order_by_asc(members::Column::Id).all(db).await?);
    }
    Ok(out)
}

/// Live members of the units `ids`, counted.
pub async fn count_live(db: &impl Conn, ids: &[i32]) -> ApiResult<u64> {
    let mut n = 0;
    for chunk in ids.chunks(CHUNK) {
        n += members::Entity::find()
            .filter(live())
            .filter(members::Column::UnitId.is_in(chunk.iter().copied()))
            .count(db)
            .await?;
    }
    Ok(n)
}

/// The live member records an account may claim: those matched to it, and unmatched ones
/// with its phone.
pub async fn claimable(
    db: &impl Conn,
    user: Uuid,
    phone: Option<&str>,
) -> ApiResult<Vec<members::Model>> {
    let mut who = Condition::any().add(members::Column::UserId.eq(user));
    if let Some(p) = phone {
        who = who.add(
            Condition::all()
                .add(members::Column::UserId.is_null())
                .add(members::Column::Phone.eq(p)),
        );
    }
    Ok(members::Entity::find()
        .filter(live())
        .filter(who)
        .order_by_asc(members::Column::Id)
        .all(db)
        .await?)
}

/// Links member `id` to `user`, confirmed now; any other live record confirmed for the same
/// account is released (a person is counted once, where they last confirmed).
pub async fn confirm(db: &impl Conn, id: i32, user: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    members::Entity::update_many()
        .col_expr(members::Column::UserId, Expr::value(None::<Uuid>))
        .col_expr(
            members::Column::ConfirmedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(members::Column::UserId.eq(user))
        .filter(members::Column::Id.ne(id))
        .filter(live())
        .exec(db)
        .await?;
    members::Entity::update_many()
        .col_expr(members::Column::UserId, Expr::value(user))
        .col_expr(members::Column::ConfirmedAt, Expr::value(now))
        .col_expr(members::Column::UpdatedAt, Expr::value(now))
        .filter(members::Column::Id.eq(id))
        .exec(db)
        .await?;
    super::facts::user_changed(db, user).await
}

/// A person confirmed by an organizer (an approved membership request): their live record
/// moves to `unit_id` with `mask`, or a record is made.
pub async fn confirm_by_organizer(
    db: &impl Conn,
    user: &entity::users::Model,
    unit_id: i32,
    mask: i32,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let existing = members::Entity::find()
        .filter(live())
        .filter(members::Column::UserId.eq(user.id))
        .one(db)
        .await?;
    match existing {
        Some(m) => {
            let mut active: members::ActiveModel = m.into();
            active.unit_id = Set(unit_id);
            active.category_mask = Set(mask);
            active.admitted_on = Set(user.admitted_on);
            active.confirmed_at = Set(Some(now));
            active.updated_at = Set(now);
            active.updated_by = Set(Some(by));
            members::Entity::update(active).exec(db).await?;
        }
        None => {
            members::Entity::insert(members::ActiveModel {
                unit_id: Set(unit_id),
                full_name: Set(user.full_name.clone()),
                birth_date: Set(user.birth_date),
                phone: Set(user.phone.clone()),
                category_mask: Set(mask),
                admitted_on: Set(user.admitted_on),
                user_id: Set(Some(user.id)),
                confirmed_at: Set(Some(now)),
                source: Set(MemberSource::Organizer),
                left_on: Set(None),
                left_reason: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                updated_by: Set(Some(by)),
                ..Default::default()
            })
            .exec(db)
            .await?;
        }
    }
    super::facts::user_changed(db, user.id).await
}

/// A merge moves the merged unit's members (live and past) to the unit it merged into, so
/// they are counted there.
pub async fn move_unit(db: &impl Conn, from: i32, to: i32, now: DateTime<Utc>) -> ApiResult<()> {
    members::Entity::update_many()
        .col_expr(members::Column::UnitId, Expr::value(to))
        .col_expr(members::Column::UpdatedAt, Expr::value(now))
        .filter(members::Column::UnitId.eq(from))
        .exec(db)
        .await?;
    super::facts::unit_merged(db, from, to).await
}

/// An erased account's records keep counting the person (the unit's numbers stay true) but
/// no longer name them.
pub async fn forget_person(
    db: &impl Conn,
    user: Uuid,
    erased_name: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    members::Entity::update_many()
        .col_expr(members::Column::FullName, Expr::value(erased_name))
        .col_expr(members::Column::Phone, Expr::value(None::<String>))
        .col_expr(members::Column::BirthDate, Expr::value(None::<NaiveDate>))
        .col_expr(members::Column::UpdatedAt, Expr::value(now))
        .filter(members::Column::UserId.eq(user))
        .exec(db)
        .await?;
    Ok(())
}
