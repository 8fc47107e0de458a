//! The unit tree: reading, creating, renaming, moving, merging, appointing organizers.

use entity::units;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Caller;
use crate::{
    domain::{
        collation, text,
        unit::{UnitKind, in_subtree, move_makes_cycle},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

/// A unit as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Unit {
    pub id: i32,
    pub parent_id: Option<i32>,
    pub name: String,
    pub kind: UnitKind,
    /// Materialised path of ids, root first: `/1/4/17/`.
    pub path: String,
    /// Set when this unit was merged into another; it stays so history keeps its name.
    pub merged_into_id: Option<i32>,
    /// Members the unit declares, when it has (participation rates use it).
    pub member_count: Option<i32>,
}

impl From<units::Model> for Unit {
    fn from(u: units::Model) -> Self {
        Unit {
            id: u.id,
            parent_id: u.parent_id,
            name: u.name,
            kind: u.kind,
            path: u.path,
            merged_into_id: u.merged_into_id,
            member_count: u.member_count,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitDetail {
    #[serde(flatten)]
    pub unit: Unit,
    /// Root first.
    pub ancestors: Vec<Unit>,
    /// In Vietnamese alphabetical order.
    pub children: Vec<Unit>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub name: String,
    pub kind: String,
    /// `null` makes a new root (admins only).
    pub parent_id: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitChange {
    pub name: Option<String>,
    pub kind: Option<String>,
    /// Moves the unit (and its subtree) under this unit.
    pub parent_id: Option<i32>,
    /// Members the unit declares (đoàn viên on its rolls), for participation rates.
    pub member_count: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The unit that takes over members and children.
    pub into: i32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppointRequest {
    pub user_id: Uuid,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Organizer {
    pub user_id: Uuid,
    pub full_name: String,
    pub unit_id: i32,
    pub granted_at: chrono::DateTime<chrono::Utc>,
}

fn sort_vi(units: &mut [Unit]) {
    units.sort_by_cached_key(|u| collation::sort_key(&u.name));
}

/// Every unit, in tree order (each unit followed by its subtree, siblings in Vietnamese
/// alphabetical order).
pub async fn list(state: &AppState, include_merged: bool) -> ApiResult<Vec<Unit>> {
    let rows = store::units::list(&state.db, include_merged).await?;
    // Sort by the chain of sort keys from the root, so siblings are alphabetical and each
    // subtree follows its root.
    let keys: std::collections::HashMap<i32, collation::SortKey> = rows
        .iter()
        .map(|u| (u.id, collation::sort_key(&u.name)))
        .collect();
    let mut units: Vec<Unit> = rows.into_iter().map(Unit::from).collect();
    units.sort_by_cached_key(|u| {
        crate::domain::unit::path_ids(&u.path)
            .iter()
            .map(|id| (keys.get(id).cloned(), *id))
            .collect::<Vec<_>>()
    });
    Ok(units)
}

pub async fn get(state: &AppState, id: i32) -> ApiResult<UnitDetail> {
    let unit = find(state, id).await?;
    let ancestors = store::units::ancestors(&state.db, &unit).await?;
    let mut children: Vec<Unit> = store::units::children(&state.db, unit.id)
        .await?
        .into_iter()
        .map(Unit::from)
        .collect();
    sort_vi(&mut children);
    Ok(UnitDetail {
        unit: unit.into(),
        ancestors: ancestors.into_iter().map(Unit::from).collect(),
        children,
    })
}

pub(crate) async fn find(state: &AppState, id: i32) -> ApiResult<units::Model> {
    store::units::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::UnitNotFound))
}

/// Finds a unit that people and units may be attached to (exists, not merged).
pub async fn find_active(
    state: &AppState,
    id: i32,
    field: &'static str,
) -> ApiResult<units::Model> {
    let unit = store::units::find(&state.db, id)
        .await?
        .ok_or_else(|| Code::UnknownUnit.field(field))?;
    if unit.merged_into_id.is_some() {
        return Err(Code::MergedUnit.field_with(
            field,
            "Đơn vị này đã được hợp nhất vào đơn vị khác, vui lòng chọn đơn vị mới",
        ));
    }
    Ok(unit)
}

fn unit_name(input: &str) -> ApiResult<String> {
    let name = text::clean(input);
    let n = name.chars().count();
    if !(2..=200).contains(&n) {
        return Err(Code::InvalidName.field("name"));
    }
    // Control characters (NUL among them) and bidirectional overrides have no place in a
    // name shown on boards and exports.
    if text::has_hidden(&name) {
        return Err(
            Code::InvalidName.field_with("name", "Tên đơn vị không được chứa ký tự điều khiển")
        );
    }
    Ok(name)
}

fn unit_kind(input: &str) -> ApiResult<UnitKind> {
    UnitKind::parse(input).ok_or_else(|| {
        Code::InvalidKind.field_with("kind", "Loại đơn vị không hợp lệ (province, district, commune, ward, township, school, agency, enterprise, armed_forces, other)")
    })
}

pub async fn create(state: &AppState, actor: &Caller, new: NewUnit) -> ApiResult<Unit> {
    let name = unit_name(&new.name)?;
    let kind = unit_kind(&new.kind)?;
    let parent = match new.parent_id {
        Some(id) => Some(find_active(state, id, "parent_id").await?),
        None => None,
    };
    match &parent {
        Some(p) => actor.require(actor.may_act_within(p))?,
        None => actor.require(actor.is_admin)?,
    }
    let tx = store::begin(&state.db).await?;
    let unit = store::units::insert(&tx, parent.as_ref(), &name, kind, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(unit_id = unit.id, actor = %actor.id, "unit created");
    Ok(unit.into())
}

pub async fn change(
    state: &AppState,
    actor: &Caller,
    id: i32,
    change: UnitChange,
) -> ApiResult<Unit> {
    let unit = find(state, id).await?;
    actor.require(actor.may_manage(&unit))?;
    if unit.merged_into_id.is_some() {
        return Err(Code::UnitMerged.with("Đơn vị đã được hợp nhất, không thể sửa"));
    }
    let name = change.name.as_deref().map(unit_name).transpose()?;
    let kind = change.kind.as_deref().map(unit_kind).transpose()?;
    let new_parent = match change.parent_id {
        Some(pid) if Some(pid) != unit.parent_id => {
            let parent = find_active(state, pid, "parent_id").await?;
            if move_makes_cycle(&unit.path, &parent.path) {
                return Err(Code::UnitCycle.field("parent_id"));
            }
            actor.require(actor.may_act_within(&parent))?;
            Some(parent)
        }
        _ => None,
    };
    let member_count = change
        .member_count
        .map(|n| i32::try_from(n).map_err(|_| Code::InvalidMemberCount.field("member_count")))
        .transpose()?;
    // Caller profiles hold unit names and paths.
    let profiles_change = name.is_some() || new_parent.is_some();
    let edit = store::units::UnitEdit {
        name,
        kind,
        member_count,
    };
    let tx = store::begin(&state.db).await?;
    let saved =
        store::units::update(&tx, unit, edit, new_parent.as_ref(), state.clock.now()).await?;
    tx.commit().await?;
    if profiles_change {
        state.callers.forget_all();
        state.names.units_changed();
    }
    tracing::info!(unit_id = saved.id, actor = %actor.id, "unit changed");
    Ok(saved.into())
}

pub async fn merge(state: &AppState, actor: &Caller, id: i32, into: i32) -> ApiResult<Unit> {
    let source = find(state, id).await?;
    actor.require(actor.may_manage(&source))?;
    if source.merged_into_id.is_some() {
        return Err(ApiError::from(Code::UnitMerged));
    }
    if into == id {
        return Err(Code::MergeIntoSelf.field("into"));
    }
    let target = find_active(state, into, "into").await?;
    if in_subtree(&target.path, &source.path) {
        return Err(Code::UnitCycle.field_with(
            "into",
            "Không thể hợp nhất một đơn vị vào đơn vị cấp dưới của nó",
        ));
    }
    actor.require(actor.may_act_within(&target))?;
    let tx = store::begin(&state.db).await?;
    let merged = store::units::merge(&tx, &source, &target, state.clock.now()).await?;
    tx.commit().await?;
    // Members, grants and paths moved.
    state.callers.forget_all();
    state.names.units_changed();
    tracing::info!(unit_id = source.id, into = target.id, actor = %actor.id, "unit merged");
    Ok(merged.into())
}

pub async fn appoint_organizer(
    state: &AppState,
    actor: &Caller,
    unit_id: i32,
    user_id: Uuid,
) -> ApiResult<(Organizer, bool)> {
    let unit = find(state, unit_id).await?;
    actor.require(actor.may_manage(&unit))?;
    if unit.merged_into_id.is_some() {
        return Err(Code::UnitMerged.with("Đơn vị đã được hợp nhất, không thể phân công"));
    }
    let person = store::users::find_live(&state.db, user_id)
        .await?
        .ok_or_else(|| Code::UserNotFound.field("user_id"))?;
    let now = state.clock.now();
    let created =
        store::users::grant_organizer(&state.db, unit.id, person.id, Some(actor.id), now).await?;
    state.callers.forget(person.id);
    tracing::info!(unit_id, user_id = %person.id, actor = %actor.id, created, "organizer appointed");
    Ok((
        Organizer {
            user_id: person.id,
            full_name: person.full_name,
            unit_id: unit.id,
            granted_at: now,
        },
        created,
    ))
}

pub async fn dismiss_organizer(
    state: &AppState,
    actor: &Caller,
    unit_id: i32,
    user_id: Uuid,
) -> ApiResult<()> {
    let unit = find(state, unit_id).await?;
    actor.require(actor.may_manage(&unit))?;
    if !store::users::revoke_organizer(&state.db, unit.id, user_id).await? {
        return Err(ApiError::from(Code::OrganizerNotFound));
    }
    state.callers.forget(user_id);
    tracing::info!(unit_id, user_id = %user_id, actor = %actor.id, "organizer dismissed");
    Ok(())
}

pub async fn organizers(
    state: &AppState,
    actor: &Caller,
    unit_id: i32,
) -> ApiResult<Vec<Organizer>> {
    let unit = find(state, unit_id).await?;
    actor.require(actor.may_act_within(&unit))?;
    Ok(store::users::organizers_of(&state.db, unit.id)
        .await?
        .into_iter()
        .map(|(g, u)| Organizer {
            user_id: u.id,
            full_name: u.full_name,
            unit_id: g.unit_id,
            granted_at: g.created_at,
        })
        .collect())
}

/// An active unit as the registration page lists it: the unit and the names of the units
/// above it, root first.
#[derive(Debug, Clone)]
pub struct UnitMatch {
    pub unit: Unit,
    pub parents: Vec<String>,
}

/// Active units whose name holds `query` once both are folded (case, diacritics and spacing
/// ignored), in tree order, at most `limit`; nothing for an empty query.
///
/// Fails when the database does not answer.
pub async fn search(state: &AppState, query: &str, limit: usize) -> ApiResult<Vec<UnitMatch>> {
    let wanted = crate::domain::text::fold(query);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    matching(state, limit, |u| {
        crate::domain::text::fold(&u.name).contains(&wanted)
    })
    .await
}

/// The active unit `id` with the names above it, or `None` when there is no such active unit.
///
/// Fails when the database does not answer.
pub async fn described(state: &AppState, id: i32) -> ApiResult<Option<UnitMatch>> {
    Ok(matching(state, 1, |u| u.id == id).await?.pop())
}

async fn matching(
    state: &AppState,
    limit: usize,
    keep: impl Fn(&Unit) -> bool,
) -> ApiResult<Vec<UnitMatch>> {
    let all = list(state, false).await?;
    let names: std::collections::HashMap<i32, String> =
        all.iter().map(|u| (u.id, u.name.clone())).collect();
    Ok(all
        .into_iter()
        .filter(|u| keep(u))
        .take(limit)
        .map(|unit| {
            let parents = crate::domain::unit::path_ids(&unit.path)
                .into_iter()
                .filter(|id| *id != unit.id)
                .filter_map(|id| names.get(&id).cloned())
                .collect();
            UnitMatch { unit, parents }
        })
        .collect())
}
