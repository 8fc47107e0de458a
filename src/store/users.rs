//! Accounts, their member categories and organizer grants.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    membership_requests::{self, Categories, RequestStatus},
    refresh_tokens, unit_organizers, units, user_categories, users,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
    sea_query::{Expr, ExprTrait, JoinType, Query, UnionType},
};
use uuid::Uuid;

use super::Conn;
use crate::{
    auth::Caller,
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

/// Inserts a user with their categories: two statements, so pass the use case's [`Tx`]
/// (super::Tx) for them to be atomic. A phone or e-mail already taken is a 409
/// `duplicate_login` (see `UNIQUE_CONFLICTS`).
pub async fn insert(db: &impl Conn, new: NewUser, now: DateTime<Utc>) -> ApiResult<users::Model> {
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
    .insert(db)
    .await?;
    set_categories(db, user.id, &new.categories).await?;
    Ok(user)
}

pub async fn find(db: &impl Conn, id: Uuid) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// A live (not erased) account.
pub async fn find_live(db: &impl Conn, id: Uuid) -> ApiResult<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id)
        .filter(users::Column::DeletedAt.is_null())
        .one(db)
        .await?)
}

pub async fn find_by_login(db: &impl Conn, login: &Login) -> ApiResult<Option<users::Model>> {
    let q = match login {
        Login::Phone(p) => users::Entity::find().filter(users::Column::Phone.eq(p.as_str())),
        Login::Email(e) => users::Entity::find().filter(users::Column::Email.eq(e.as_str())),
    };
    Ok(q.one(db).await?)
}

/// The categories of `user`, sorted.
pub async fn categories(db: &impl Conn, user: Uuid) -> ApiResult<Vec<Category>> {
    let rows = user_categories::Entity::find()
        .filter(user_categories::Column::UserId.eq(user))
        .all(db)
        .await?;
    let mut cats: Vec<Category> = rows.into_iter().map(|r| r.category).collect();
    cats.sort();
    Ok(cats)
}

/// A stored category code; one this version does not know fails loudly rather than vanish.
fn parse_category(code: &str, user: Uuid) -> Result<Category, DbErr> {
    Category::parse(code)
        .ok_or_else(|| DbErr::Type(format!("unknown category {code:?} of user {user}")))
}

/// Replaces the categories of `user` (two statements: pass a [`Tx`](super::Tx)).
pub async fn set_categories(db: &impl Conn, user: Uuid, cats: &[Category]) -> ApiResult<()> {
    user_categories::Entity::delete_many()
        .filter(user_categories::Column::UserId.eq(user))
        .exec(db)
        .await?;
    let mut cats = cats.to_vec();
    cats.sort();
    cats.dedup();
    if cats.is_empty() {
        return Ok(());
    }
    user_categories::Entity::insert_many(cats.into_iter().map(|c| user_categories::ActiveModel {
        user_id: Set(user),
        category: Set(c),
    }))
    .exec(db)
    .await?;
    Ok(())
}

/// The account fields a profile change may set (`None`: unchanged). For phone and e-mail,
/// `Some(None)` removes the value.
#[derive(Debug, Default)]
pub struct ProfilePatch {
    pub full_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub birth_date: Option<NaiveDate>,
    pub admitted_on: Option<NaiveDate>,
    pub guardian_consent: Option<bool>,
    pub password_hash: Option<String>,
}

/// Saves a changed profile and returns the account. A phone or e-mail already taken is a 409
/// `duplicate_login`.
pub async fn update_profile(
    db: &impl Conn,
    id: Uuid,
    patch: ProfilePatch,
    now: DateTime<Utc>,
) -> ApiResult<users::Model> {
    fn set<T: Into<sea_orm::Value>>(value: Option<T>) -> sea_orm::ActiveValue<T> {
        value.map_or(NotSet, Set)
    }
    let active = users::ActiveModel {
        id: Set(id),
        full_name: set(patch.full_name),
        phone: set(patch.phone),
        email: set(patch.email),
        birth_date: set(patch.birth_date.map(Some)),
        admitted_on: set(patch.admitted_on.map(Some)),
        guardian_consent: set(patch.guardian_consent),
        password_hash: set(patch.password_hash.map(Some)),
        updated_at: Set(now),
        ..Default::default()
    };
    Ok(active.update(db).await?)
}

/// Erases a user's personal data and keeps an anonymised stub (unit, categories, admission
/// date) so that statistics stay true; ends their access tokens. Sessions and organizer
/// grants go with the data; their roster records keep counting them without their name, phone
/// or birth date. Four statements: pass a [`Tx`](super::Tx).
pub async fn erase(db: &impl Conn, id: Uuid, now: DateTime<Utc>) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::FullName, Expr::value(ERASED_NAME))
        .col_expr(users::Column::Phone, Expr::value(None::<String>))
        .col_expr(users::Column::Email, Expr::value(None::<String>))
        .col_expr(users::Column::PasswordHash, Expr::value(None::<String>))
        .col_expr(users::Column::BirthDate, Expr::value(None::<NaiveDate>))
        .col_expr(users::Column::GuardianConsent, Expr::value(false))
        .col_expr(users::Column::IsAdmin, Expr::value(false))
        .col_expr(users::Column::DeletedAt, Expr::value(now))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            users::Column::TokenGeneration,
            Expr::col(users::Column::TokenGeneration).add(1),
        )
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::UserId.eq(id))
        .exec(db)
        .await?;
    unit_organizers::Entity::delete_many()
        .filter(unit_organizers::Column::UserId.eq(id))
        .exec(db)
        .await?;
    super::members::forget_person(db, id, ERASED_NAME, now).await?;
    Ok(())
}

/// Moves an account to `unit` (a roster or an organizer decided it).
pub async fn set_unit(db: &impl Conn, id: Uuid, unit: i32, now: DateTime<Utc>) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(users::Column::UnitId, Expr::value(unit))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The name an erased account keeps.
const ERASED_NAME: &str = "Người dùng đã xóa";

/// Joins an account with its unit.
fn unit_of_user() -> sea_orm::sea_query::Expr {
    Expr::col((units::Entity, units::Column::Id)).equals((users::Entity, users::Column::UnitId))
}

/// The caller profile of a live account (`None` when it is gone or erased), in one round trip:
/// a `UNION ALL` of the account joined with its unit (kind `a`), its categories (`c`) and the
/// paths of the units it organizes (`o`), each kind in the columns it needs.
///
/// Fails when the database does not answer or holds a category this version does not know.
pub async fn caller(db: &impl Conn, id: Uuid) -> ApiResult<Option<Caller>> {
    let null = || Expr::cust("NULL");
    let mut profile = Query::select()
        .expr_as(Expr::cust("'a'"), "k")
        .expr_as(Expr::col((users::Entity, users::Column::IsAdmin)), "admin")
        .expr_as(
            Expr::col((users::Entity, users::Column::TokenGeneration)),
            "generation",
        )
        .expr_as(Expr::col((units::Entity, units::Column::Id)), "unit")
        .expr_as(Expr::col((units::Entity, units::Column::Path)), "v")
        .expr_as(Expr::col((units::Entity, units::Column::Name)), "name")
        .from(users::Entity)
        .join(JoinType::LeftJoin, units::Entity, unit_of_user())
        .and_where(Expr::col((users::Entity, users::Column::Id)).eq(id))
        .and_where(Expr::col((users::Entity, users::Column::DeletedAt)).is_null())
        .to_owned();
    profile.union(
        UnionType::All,
        Query::select()
            .expr(Expr::cust("'c'"))
            .exprs([null(), null(), null()])
            .expr(Expr::col(user_categories::Column::Category))
            .expr(null())
            .from(user_categories::Entity)
            .and_where(Expr::col(user_categories::Column::UserId).eq(id))
            .to_owned(),
    );
    profile.union(
        UnionType::All,
        Query::select()
            .expr(Expr::cust("'o'"))
            .exprs([null(), null(), null()])
            .expr(Expr::col((units::Entity, units::Column::Path)))
            .expr(null())
            .from(unit_organizers::Entity)
            .join(
                JoinType::InnerJoin,
                units::Entity,
                Expr::col((units::Entity, units::Column::Id))
                    .equals((unit_organizers::Entity, unit_organizers::Column::UnitId)),
            )
            .and_where(Expr::col((unit_organizers::Entity, unit_organizers::Column::UserId)).eq(id))
            .to_owned(),
    );
    let mut account = None;
    let mut categories = Vec::new();
    let mut organizes = Vec::new();
    for row in db.query_all(&profile).await? {
        match row.try_get_by_index::<String>(0)?.as_str() {
            "a" => {
                let (is_admin, generation): (bool, i32) =
                    (row.try_get_by_index(1)?, row.try_get_by_index(2)?);
                let unit: (Option<i32>, Option<String>, Option<String>) = (
                    row.try_get_by_index(3)?,
                    row.try_get_by_index(4)?,
                    row.try_get_by_index(5)?,
                );
                account = Some((is_admin, generation, unit));
            }
            "o" => organizes.push(row.try_get_by_index(4)?),
            _ => categories.push(parse_category(&row.try_get_by_index::<String>(4)?, id)?),
        }
    }
    let Some((is_admin, generation, (unit_id, unit_path, unit_name))) = account else {
        return Ok(None);
    };
    categories.sort();
    categories.dedup();
    Ok(Some(Caller {
        id,
        is_admin,
        generation,
        unit_id,
        unit_path,
        unit_name,
        categories,
        organizes,
    }))
}

/// Bumps the token generation of `id`, ending every access token issued before.
pub async fn bump_token_generation(db: &impl Conn, id: Uuid) -> ApiResult<()> {
    users::Entity::update_many()
        .col_expr(
            users::Column::TokenGeneration,
            Expr::col(users::Column::TokenGeneration).add(1),
        )
        .filter(users::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes an existing account an admin and sets its password (used by `create-admin`).
pub async fn promote_to_admin(
    db: &impl Conn,
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
pub async fn organized_units(db: &impl Conn, user: Uuid) -> ApiResult<Vec<units::Model>> {
    let unit_ids: Vec<i32> = unit_organizers::Entity::find()
        .filter(unit_organizers::Column::UserId.eq(user))
        .all(db)
        .await?
        .into_iter()
        .map(|g| g.unit_id)
        .collect();
    super::units::find_by_ids(db, &unit_ids).await
}

/// Grants `user` the organizer role on `unit`. Returns false when they already had it (a
/// concurrent grant of the same pair included: the outcome is the same).
pub async fn grant_organizer(
    db: &impl Conn,
    unit: i32,
    user: Uuid,
    granted_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let inserted = unit_organizers::Entity::insert(unit_organizers::ActiveModel {
        unit_id: Set(unit),
        user_id: Set(user),
        granted_by: Set(granted_by),
        created_at: Set(now),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(db)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Removes a grant. Returns false when there was none.
pub async fn revoke_organizer(db: &impl Conn, unit: i32, user: Uuid) -> ApiResult<bool> {
    let res = unit_organizers::Entity::delete_by_id((unit, user))
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// The organizers of `unit`, oldest grant first.
pub async fn organizers_of(
    db: &impl Conn,
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

pub async fn find_many(db: &impl Conn, ids: &[Uuid]) -> ApiResult<Vec<users::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(users::Entity::find()
        .filter(users::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// How a board shows a person: the name, whether the account was erased, the unit's name.
pub struct BoardName {
    pub id: Uuid,
    pub full_name: String,
    pub erased: bool,
    pub unit_name: Option<String>,
}

/// [`BoardName`]s of these accounts (erased ones included), in one round trip.
///
/// Fails when the database does not answer.
pub async fn board_names(db: &impl Conn, ids: &[Uuid]) -> ApiResult<Vec<BoardName>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = Query::select()
        .column((users::Entity, users::Column::Id))
        .column((users::Entity, users::Column::FullName))
        .column((users::Entity, users::Column::DeletedAt))
        .column((units::Entity, units::Column::Name))
        .from(users::Entity)
        .join(JoinType::LeftJoin, units::Entity, unit_of_user())
        .and_where(Expr::col((users::Entity, users::Column::Id)).is_in(ids.iter().copied()))
        .to_owned();
    db.query_all(&query)
        .await?
        .into_iter()
        .map(|row| {
            let (id, full_name, deleted_at, unit_name): (
                Uuid,
                String,
                Option<DateTime<Utc>>,
                Option<String>,
            ) = row.try_get_many_by_index()?;
            Ok(BoardName {
                id,
                full_name,
                erased: deleted_at.is_some(),
                unit_name,
            })
        })
        .collect()
}

/// Live accounts per unit.
pub async fn count_by_unit(db: &impl Conn) -> ApiResult<Vec<(i32, u32)>> {
    let rows: Vec<(Option<i32>, i64)> = users::Entity::find()
        .select_only()
        .column(users::Column::UnitId)
        .column_as(Expr::col(users::Column::Id).count(), "n")
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

/// Files a membership request; the person's earlier pending request, if any, is superseded
/// (one pending request a person). Two statements: pass a [`Tx`](super::Tx).
pub async fn insert_membership_request(
    db: &impl Conn,
    new: NewMembershipRequest,
    now: DateTime<Utc>,
) -> ApiResult<membership_requests::Model> {
    membership_requests::Entity::update_many()
        .col_expr(
            membership_requests::Column::Status,
            Expr::value(RequestStatus::Superseded),
        )
        .col_expr(membership_requests::Column::DecidedAt, Expr::value(now))
        .filter(membership_requests::Column::UserId.eq(new.user_id))
        .filter(membership_requests::Column::Status.eq(RequestStatus::Pending))
        .exec(db)
        .await?;
    let saved = membership_requests::ActiveModel {
        user_id: Set(new.user_id),
        from_unit_id: Set(new.from_unit_id),
        unit_id: Set(new.unit_id),
        add_categories: Set(Categories(new.add)),
        remove_categories: Set(Categories(new.remove)),
        admitted_on: Set(new.admitted_on),
        status: Set(RequestStatus::Pending),
        reason: Set(None),
        decided_by: Set(None),
        created_at: Set(now),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(saved)
}

pub async fn find_membership_request(
    db: &impl Conn,
    id: i32,
) -> ApiResult<Option<membership_requests::Model>> {
    Ok(membership_requests::Entity::find_by_id(id).one(db).await?)
}

/// A person's requests, newest first.
pub async fn membership_requests_of(
    db: &impl Conn,
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
    db: &impl Conn,
    user: Uuid,
) -> ApiResult<Option<membership_requests::Model>> {
    Ok(membership_requests::Entity::find()
        .filter(membership_requests::Column::UserId.eq(user))
        .filter(membership_requests::Column::Status.eq(RequestStatus::Pending))
        .order_by_desc(membership_requests::Column::Id)
        .one(db)
        .await?)
}

/// Pending requests whose receiving unit is one of `units`, oldest first.
pub async fn pending_membership_requests_for(
    db: &impl Conn,
    unit_path: &str,
) -> ApiResult<Vec<membership_requests::Model>> {
    let subtree = sea_orm::sea_query::Query::select()
        .column(units::Column::Id)
        .from(units::Entity)
        .and_where(units::Column::Path.starts_with(unit_path))
        .to_owned();
    Ok(membership_requests::Entity::find()
        .filter(membership_requests::Column::UnitId.in_subquery(subtree))
        .filter(membership_requests::Column::Status.eq(RequestStatus::Pending))
        .order_by_asc(membership_requests::Column::Id)
        .all(db)
        .await?)
}

/// Decides a pending request: `approved` also moves the person and sets their categories
/// (several statements: pass a [`Tx`](super::Tx)). Returns `None` when the request was no
/// longer pending (someone else decided first, or it was superseded).
pub async fn decide_membership_request(
    db: &impl Conn,
    request: &membership_requests::Model,
    approved: bool,
    decided_by: Uuid,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<Option<membership_requests::Model>> {
    let decided = membership_requests::Entity::update_many()
        .col_expr(
            membership_requests::Column::Status,
            Expr::value(if approved {
                RequestStatus::Approved
            } else {
                RequestStatus::Rejected
            }),
        )
        .col_expr(
            membership_requests::Column::DecidedBy,
            Expr::value(decided_by),
        )
        .col_expr(membership_requests::Column::DecidedAt, Expr::value(now))
        .col_expr(membership_requests::Column::Reason, Expr::value(reason))
        .filter(membership_requests::Column::Id.eq(request.id))
        .filter(membership_requests::Column::Status.eq(RequestStatus::Pending))
        .exec(db)
        .await?;
    if decided.rows_affected != 1 {
        return Ok(None);
    }
    if approved {
        let mut cats = categories(db, request.user_id).await?;
        cats.retain(|c| !request.remove_categories.0.contains(c));
        cats.extend(request.add_categories.0.iter().copied());
        set_categories(db, request.user_id, &cats).await?;
        let mut update = users::Entity::update_many()
            .col_expr(users::Column::UnitId, Expr::value(request.unit_id))
            .col_expr(users::Column::UpdatedAt, Expr::value(now));
        if let Some(admitted) = request.admitted_on {
            update = update.col_expr(users::Column::AdmittedOn, Expr::value(admitted));
        }
        update
            .filter(users::Column::Id.eq(request.user_id))
            .exec(db)
            .await?;
        // An organizer's confirmation makes the person a counted member of the unit, as a
        // roster row would.
        if let Some(user) = find_live(db, request.user_id).await? {
            super::members::confirm_by_organizer(
                db,
                &user,
                request.unit_id,
                crate::domain::members::category_mask(&cats),
                decided_by,
                now,
            )
            .await?;
        }
    }
    let saved = membership_requests::Entity::find_by_id(request.id)
        .one(db)
        .await?;
    Ok(saved)
}

/// Accounts by phone (E.164), live ones only: the roster's matches.
pub async fn accounts_by_phones(
    db: &impl Conn,
    phones: &[String],
) -> ApiResult<Vec<(String, Uuid)>> {
    let mut out = Vec::new();
    for chunk in phones.chunks(500) {
        let rows: Vec<(Option<String>, Uuid)> = users::Entity::find()
            .select_only()
            .column(users::Column::Phone)
            .column(users::Column::Id)
            .filter(users::Column::DeletedAt.is_null())
            .filter(users::Column::Phone.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().filter_map(|(p, id)| Some((p?, id))));
    }
    Ok(out)
}
