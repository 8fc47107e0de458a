//! Units: the organisation tree.

use chrono::{DateTime, Utc};
use entity::{unit_organizers, units, users};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, sea_query::Expr,
};

use super::Conn;
use crate::{
    domain::unit::{UnitKind, child_path, path_ids, rebase},
    error::ApiResult,
};

pub async fn list(db: &impl Conn, include_merged: bool) -> ApiResult<Vec<units::Model>> {
    let mut q = units::Entity::find().order_by_asc(units::Column::Path);
    if !include_merged {
        q = q.filter(units::Column::MergedIntoId.is_null());
    }
    Ok(q.all(db).await?)
}

pub async fn count(db: &impl Conn) -> ApiResult<u64> {
    Ok(units::Entity::find().count(db).await?)
}

pub async fn find(db: &impl Conn, id: i32) -> ApiResult<Option<units::Model>> {
    Ok(units::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_ids(db: &impl Conn, ids: &[i32]) -> ApiResult<Vec<units::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(units::Entity::find()
        .filter(units::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

/// The units at the top of the tree (not merged away), oldest first.
pub async fn roots(db: &impl Conn) -> ApiResult<Vec<units::Model>> {
    Ok(units::Entity::find()
        .filter(units::Column::ParentId.is_null())
        .filter(units::Column::MergedIntoId.is_null())
        .order_by_asc(units::Column::Id)
        .all(db)
        .await?)
}

/// The ids of the units in the subtree rooted at `path` (itself included; paths end in `/`).
pub async fn subtree_ids(db: &impl Conn, path: &str) -> ApiResult<Vec<i32>> {
    Ok(subtree(db, path).await?.into_iter().map(|u| u.id).collect())
}

/// The units in the subtree rooted at `path`, merged ones included, by path.
pub async fn subtree(db: &impl Conn, path: &str) -> ApiResult<Vec<units::Model>> {
    Ok(units::Entity::find()
        .filter(units::Column::Path.starts_with(path))
        .order_by_asc(units::Column::Path)
        .all(db)
        .await?)
}

/// The ancestors of `unit`, root first.
pub async fn ancestors(db: &impl Conn, unit: &units::Model) -> ApiResult<Vec<units::Model>> {
    let ids = path_ids(&unit.path);
    let ancestor_ids = &ids[..ids.len().saturating_sub(1)];
    let mut found = find_by_ids(db, ancestor_ids).await?;
    found.sort_by_key(|u| u.path.len());
    Ok(found)
}

pub async fn children(db: &impl Conn, id: i32) -> ApiResult<Vec<units::Model>> {
    Ok(units::Entity::find()
        .filter(units::Column::ParentId.eq(id))
        .filter(units::Column::MergedIntoId.is_null())
        .all(db)
        .await?)
}

/// Finds the unit named `name` directly under `parent` (used to keep seeding idempotent).
pub async fn find_child_by_name(
    db: &impl Conn,
    parent: Option<i32>,
    name: &str,
) -> ApiResult<Option<units::Model>> {
    let q = units::Entity::find().filter(units::Column::Name.eq(name));
    let q = match parent {
        Some(p) => q.filter(units::Column::ParentId.eq(p)),
        None => q.filter(units::Column::ParentId.is_null()),
    };
    Ok(q.one(db).await?)
}

/// Inserts a unit under `parent` (a root when `None`). Its path needs its id, so the row is
/// inserted and then given its path: pass a [`Tx`](super::Tx).
pub async fn insert(
    db: &impl Conn,
    parent: Option<&units::Model>,
    name: &str,
    kind: UnitKind,
    now: DateTime<Utc>,
) -> ApiResult<units::Model> {
    let row = units::ActiveModel {
        parent_id: Set(parent.map(|p| p.id)),
        name: Set(name.to_owned()),
        kind: Set(kind),
        path: Set(String::new()),
        merged_into_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let path = child_path(parent.map(|p| p.path.as_str()), row.id);
    let mut active: units::ActiveModel = row.into();
    active.path = Set(path);
    Ok(active.update(db).await?)
}

/// The fields of a unit an edit may change (None: unchanged).
#[derive(Debug, Default)]
pub struct UnitEdit {
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    pub member_count: Option<i32>,
}

/// Renames, re-kinds and/or moves `unit`. A move rewrites the path of every unit in its
/// subtree: pass a [`Tx`](super::Tx). The caller has already ruled out cycles.
pub async fn update(
    db: &impl Conn,
    unit: units::Model,
    edit: UnitEdit,
    new_parent: Option<&units::Model>,
    now: DateTime<Utc>,
) -> ApiResult<units::Model> {
    if let Some(parent) = new_parent {
        move_subtree(db, &unit, parent, now).await?;
    }
    let mut active: units::ActiveModel = find(db, unit.id).await?.unwrap_or(unit).into();
    if let Some(name) = edit.name {
        active.name = Set(name);
    }
    if let Some(kind) = edit.kind {
        active.kind = Set(kind);
    }
    if let Some(n) = edit.member_count {
        active.member_count = Set(Some(n));
    }
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}

async fn move_subtree(
    txn: &impl Conn,
    unit: &units::Model,
    parent: &units::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let old_prefix = unit.path.clone();
    let new_prefix = child_path(Some(&parent.path), unit.id);
    let subtree = units::Entity::find()
        .filter(units::Column::Path.starts_with(&old_prefix))
        .all(txn)
        .await?;
    for member in subtree {
        let Some(path) = rebase(&member.path, &old_prefix, &new_prefix) else {
            continue;
        };
        let is_root = member.id == unit.id;
        let mut active: units::ActiveModel = member.into();
        active.path = Set(path);
        if is_root {
            active.parent_id = Set(Some(parent.id));
        }
        active.updated_at = Set(now);
        active.update(txn).await?;
    }
    Ok(())
}

/// Merges `source` into `target`: members, children and organizer grants move to the target;
/// the source stays, marked merged, so history keeps its name. The caller has already checked
/// that the target is not inside the source's subtree. Many statements: pass a
/// [`Tx`](super::Tx); marking the source merged is the last.
pub async fn merge(
    db: &impl Conn,
    source: &units::Model,
    target: &units::Model,
    now: DateTime<Utc>,
) -> ApiResult<units::Model> {
    users::Entity::update_many()
        .col_expr(users::Column::UnitId, Expr::value(target.id))
        .filter(users::Column::UnitId.eq(source.id))
        .exec(db)
        .await?;
    // Its members are counted under the unit it merged into from now on.
    super::members::move_unit(db, source.id, target.id, now).await?;
    for child in children(db, source.id).await? {
        move_subtree(db, &child, target, now).await?;
    }
    let grants = unit_organizers::Entity::find()
        .filter(unit_organizers::Column::UnitId.eq(source.id))
        .all(db)
        .await?;
    for grant in grants {
        // A grant the target already holds stays as it is.
        super::users::grant_organizer(db, target.id, grant.user_id, grant.granted_by, now).await?;
    }
    unit_organizers::Entity::delete_many()
        .filter(unit_organizers::Column::UnitId.eq(source.id))
        .exec(db)
        .await?;
    let mut active: units::ActiveModel = source.clone().into();
    active.merged_into_id = Set(Some(target.id));
    active.updated_at = Set(now);
    Ok(active.update(db).await?)
}
