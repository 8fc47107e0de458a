//! Accounts, their member categories and organizer grants.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{membership_requests, refresh_tokens, unit_organizers, units, user_categories, users};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait},
};
use uuid::Uuid;

use super::Db;
use crate::error::ApiError;
use crate::{
    domain::{login::Login, person::Category},
    error::ApiResult,
};

pub struct NewUser {
    pub id: Uuid,
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub password_hash: String,
    pub birth_date: Option<NaiveDate>,
    pub unit_id: Option<i32>,
    pub admitted_on: Option<NaiveDate>,
    pub guardian_consent: bool,
    pub is_admin: bool,
    pub categories: Vec<Category>,
}

/// Inserts a user with their categories. A phone or e-mail already taken is a 409
/// `duplicate_login`.
pub async fn insert(db: &Db, new: NewUser, now: DateTime<Utc>) -> ApiResult<users::Model> {
    let txn = db.begin().await?;
    let user = users::ActiveModel {
        id: Set(new.id),
        full_name: Set(new.full_name),
        phone: Set(new.phone),
        email: Set(new.email),
        password_hash: Set(Some(new.password_hash)),
        birth_date: Set(new.birth_date),
        unit_id: Set(new.unit_id),
        admitted_on: Set(new.admitted_on),
        guardian_consent: Set(new.guardian_consent),
        is_admin: Set(new.is_admin),
        deleted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        token_generation: Set(0),
    }
    .insert(&txn)
    .await
    .map_err(ApiError::from)?;
    set_categories(&txn, user.id, &new.categories).await?;
    txn.commit().await?;
    Ok(user)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_login(db: &Db, login: &Login) -> ApiResult<Option<users::Model>> {
    let q = match login {
        Login::Phone(p) => users::Entity::find().filter(users::Column::Phone.eq(p.as_str())),
        Login::Email(e) => users::Entity::find().filter(users::Column::Email.eq(e.as_str())),
    };
    Ok(q.one(db).await?)
}

pub async fn categories(db: &impl ConnectionTrait, user: Uuid) -> ApiResult<Vec<Category>> {
    let rows = user_categories::Entity::find()
        .filter(user_categories::Column::UserId.eq(user))
        .all(db)
        .await?;
    let mut cats: Vec<Category> = rows
        .iter()
        .filter_map(|r| Category::parse(&r.category))
        .collect();
    cats.sort();
    Ok(cats)
}

async fn set_categories(
    txn: &impl ConnectionTrait,
    user: Uuid,
    cats: &[Category],
) -> ApiResult<()> {
    user_categories::Entity::delete_many()
        .filter(user_categories::Column::UserId.eq(user))
        .exec(txn)
        .await?;
    let mut cats = cats.to_vec();
    cats.sort();
    cats.dedup();
    if cats.is_empty() {
        return Ok(());
    }
    user_categories::Entity::insert_many(cats.into_iter().map(|c| user_categories::ActiveModel {
        user_id: Set(user),
        category: Set(c.as_str().to_owned()),
    }))
    .exec(txn)
    .await?;
    Ok(())
}

/// Saves a changed profile (and, when given, the new category list) in one transaction.
/// A phone or e-mail already taken is a 409 `duplicate_login`.
pub async fn update(
    db: &Db,
    user: users::ActiveModel,
    categories: Option<&[Category]>,
) -> ApiResult<users::Model> {
    let txn = db.begin().await?;
    let saved = user.update(&txn).await.map_err(ApiError::from)?;
    if let Some(cats) = categories {
        set_categories(&txn, saved.id, cats).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Erases a user's personal data and keeps an anonymised stub (unit, categories, admission
/// date) so that statistics stay true. Sessions and organizer grants go with the data.
pub async fn erase(db: &Db, user: users::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let txn = db.begin().await?;
    let id = user.id;
    let generation = user.token_generation.saturating_add(1);
    let mut active: users::ActiveModel = user.into();
    active.full_name = Set("Người dùng đã xóa".to_owned());
    active.phone = Set(None);
    active.email = Set(None);
    active.password_hash = Set(None);
    active.birth_date = Set(None);
    active.guardian_consent = Set(false);
    active.is_admin = Set(false);
    active.deleted_at = Set(Some(now));
    active.updated_at = Set(now);
    active.token_generation = Set(generation);
    active.update(&txn).await?;
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    unit_organizers::Entity::delete_many()
        .filter(unit_organizers::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The token generation of a live account (`None` when it is gone or erased).
pub async fn token_generation(db: &Db, id: Uuid) -> ApiResult<Option<i32>> {
    Ok(users::Entity::find_by_id(id)
        .filter(users::Column::DeletedAt.is_null())
        .select_only()
        .column(users::Column::TokenGeneration)
        .into_tuple::<i32>()
        .one(db)
        .await?)
}

/// Bumps the token generation of `id`, ending every access token issued before, and returns
/// the new generation (`None` when the account is gone).
pub async fn bump_token_generation(db: &Db, id: Uuid) -> ApiResult<Option<i32>> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TokenGeneration,
            Expr::col(users::Column::TokenGeneration).add(1),
        )
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    token_generation(db, id).await
}

/// Makes an existing account an admin and sets its password (used by `create-admin`).
pub async fn promote_to_admin(
    db: &Db,
    id: Uuid,
    password_hash: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::IsAdmin, Expr::value(true))
        .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The units `user` organizes (not merged ones: their grants moved at the merge).
pub async fn organized_units(
    db: &impl ConnectionTrait,
    user: Uuid,
) -> ApiResult<Vec<units::Model>> {
    let unit_ids: Vec<i32> = unit_organizers::Entity::find()
        .filter(unit_organizers::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.unit_id)
        .collect();
    super::units::find_by_ids(db, &unit_ids).await
}

/// Grants `user` the organizer role on `unit`. Returns false when they already had it.
pub async fn grant_organizer(
    db: &Db,
    unit: i32,
    user: Uuid,
    granted_by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let existing = unit_organizers::Entity::find_by_id((unit, user))
        .one(db)
        .await?;
    if existing.is_some() {
        return Ok(false);
    }
    let inserted = unit_organizers::ActiveModel {
        unit_id: Set(unit),
        user_id: Set(user),
        granted_by: Set(Some(granted_by)),
        created_at: Set(now),
    }
    .insert(db)
    .await;
    match inserted {
        Ok(_) => Ok(true),
        // A concurrent grant of the same pair won the race: the outcome is the same.
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes a grant. Returns false when there was none.
pub async fn revoke_organizer(db: &Db, unit: i32, user: Uuid) -> ApiResult<bool> {
    let res = unit_organizers::Entity::delete_by_id((unit, user))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// The organizers of `unit`, oldest grant first.
pub async fn organizers_of(
    db: &Db,
    unit: i32,
) -> ApiResult<Vec<(unit_organizers::Model, users::Model)>> {
    let grants = unit_organizers::Entity::find()
        .filter(unit_organizers::Column::UnitId.eq(unit))
        .order_by_asc(unit_organizers::Column::CreatedAt)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = grants.iter().map(|g| g.user_id).collect();
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?;
    Ok(grants
        .into_iter()
        .filter_map(|g| {
            let person = people.iter().find(|p| p.id == g.user_id)?.clone();
            Some((g, person))
        })
        .collect())
}

pub async fn find_many(db: &Db, ids: &[Uuid]) -> ApiResult<Vec<users::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// Live accounts per unit.
pub async fn count_by_unit(db: &Db) -> ApiResult<Vec<(i32, u32)>> {
    use sea_orm::{
        QuerySelect,
        sea_query::{Expr as E, ExprTrait},
    };
    let rows: Vec<(Option<i32>, i64)> = users::Entity::find()
        .select_only()
        .column(users::Column::UnitId)
        .column_as(E::col(users::Column::Id).count(), "n")
        .filter(users::Column::DeletedAt.is_null())
        .group_by(users::Column::UnitId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(u, n)| Some((u?, u32::try_from(n).unwrap_or(0))))
        .collect())
}

/// A membership change waiting for (or decided by) an organizer of the receiving unit.
pub struct NewMembershipRequest {
    pub user_id: Uuid,
    pub from_unit_id: Option<i32>,
    pub unit_id: i32,
    pub add: Vec<Category>,
    pub remove: Vec<Category>,
    pub admitted_on: Option<NaiveDate>,
}

fn category_json(cats: &[Category]) -> String {
    let codes: Vec<&str> = cats.iter().map(|c| c.as_str()).collect();
    serde_json::to_string(&codes).unwrap_or_else(|_| "[]".into())
}

/// The categories of a request column (unknown codes are dropped).
pub fn request_categories(json: &str) -> Vec<Category> {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| Category::parse(c))
        .collect()
}

/// Files a membership request; the person's earlier pending request, if any, is superseded
/// (one pending request a person).
pub async fn insert_membership_request(
    db: &Db,
    new: NewMembershipRequest,
    now: DateTime<Utc>,
) -> ApiResult<membership_requests::Model> {
    let txn = db.begin().await?;
    membership_requests::Entity::update_many()
        .col_expr(
            membership_requests::Column::Status,
            Expr::value("superseded"),
        )
        .col_expr(membership_requests::Column::DecidedAt, Expr::value(now))
        .filter(membership_requests::Column::UserId.eq(new.user_id))
        .filter(membership_requests::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    let saved = membership_requests::ActiveModel {
        user_id: Set(new.user_id),
        from_unit_id: Set(new.from_unit_id),
        unit_id: Set(new.unit_id),
        add_categories: Set(category_json(&new.add)),
        remove_categories: Set(category_json(&new.remove)),
        admitted_on: Set(new.admitted_on),
        status: Set("pending".into()),
        reason: Set(None),
        decided_by: Set(None),
        created_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn find_membership_request(
    db: &Db,
    id: i32,
) -> ApiResult<Option<membership_requests::Model>> {
    Ok(membership_requests::Entity::find_by_id(id).one(db).await?)
}

/// A person's requests, newest first.
pub async fn membership_requests_of(
    db: &Db,
    user: Uuid,
) -> ApiResult<Vec<membership_requests::Model>> {
    Ok(membership_requests::Entity::find()
        .filter(membership_requests::Column::UserId.eq(user))
        .order_by_desc(membership_requests::Column::Id)
        .all(db)
        .await?)
}

/// The pending request of a person, if any.
pub async fn pending_membership_request(
    db: &Db,
    user: Uuid,
) -> ApiResult<Option<membership_requests::Model>> {
    Ok(membership_requests::Entity::find()
        .filter(membership_requests::Column::UserId.eq(user))
        .filter(membership_requests::Column::Status.eq("pending"))
        .order_by_desc(membership_requests::Column::Id)
        .one(db)
        .await?)
}

/// Pending requests whose receiving unit is one of `units`, oldest first.
pub async fn pending_membership_requests_for(
    db: &Db,
    unit_path: &str,
) -> ApiResult<Vec<membership_requests::Model>> {
    let subtree = sea_orm::sea_query::Query::select()
        .column(units::Column::Id)
        .from(units::Entity)
        .and_where(units::Column::Path.starts_with(unit_path))
        .to_owned();
    Ok(membership_requests::Entity::find()
        .filter(membership_requests::Column::UnitId.in_subquery(subtree))
        .filter(membership_requests::Column::Status.eq("pending"))
        .order_by_asc(membership_requests::Column::Id)
        .all(db)
        .await?)
}

/// Decides a pending request: `approved` also moves the person and sets their categories, in
/// the same transaction. Returns `None` when the request was no longer pending (someone else
/// decided first, or it was superseded).
pub async fn decide_membership_request(
    db: &Db,
    request: &membership_requests::Model,
    approved: bool,
    decided_by: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<Option<membership_requests::Model>> {
    let txn = db.begin().await?;
    let decided = membership_requests::Entity::update_many()
        .col_expr(
            membership_requests::Column::Status,
            Expr::value(if approved { "approved" } else { "rejected" }),
        )
        .col_expr(
            membership_requests::Column::DecidedBy,
            Expr::value(decided_by),
        )
        .col_expr(membership_requests::Column::DecidedAt, Expr::value(now))
        .col_expr(membership_requests::Column::Reason, Expr::value(reason))
        .filter(membership_requests::Column::Id.eq(request.id))
        .filter(membership_requests::Column::Status.eq("pending"))
        .exec(&txn)
        .await?;
    if decided.rows_affected != 1 {
        return Ok(None);
    }
    if approved {
        let mut cats = categories(&txn, request.user_id).await?;
        let remove = request_categories(&request.remove_categories);
        cats.retain(|c| !remove.contains(c));
        cats.extend(request_categories(&request.add_categories));
        set_categories(&txn, request.user_id, &cats).await?;
        let mut update = users::Entity::update_many()
            .col_expr(users::Column::UnitId, Expr::value(request.unit_id))
            .col_expr(users::Column::UpdatedAt, Expr::value(now));
        if let Some(admitted) = request.admitted_on {
            update = update.col_expr(users::Column::AdmittedOn, Expr::value(admitted));
        }
        update
            .filter(users::Column::Id.eq(request.user_id))
            .exec(&txn)
            .await?;
    }
    let saved = membership_requests::Entity::find_by_id(request.id)
        .one(&txn)
        .await?;
    txn.commit().await?;
    Ok(saved)
}
