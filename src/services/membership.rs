//! Membership change requests: a person declares their unit and categories, but moving to
//! another unit, or taking or dropping a staff-assigned category (cadre, new member), changes
//! who may enter restricted contests and courses, so it waits for an organizer of the
//! receiving unit (or an admin). Until then the person stays where they were.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::membership_requests::{self, RequestStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::units::Unit;
use crate::{
    auth::Caller,
    domain::person::Category,
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MembershipRequest {
    pub id: i32,
    pub user_id: Uuid,
    /// Present in the lists organizers read.
    pub full_name: Option<String>,
    /// The unit the person was in when asking.
    pub from_unit: Option<Unit>,
    /// The receiving unit: its organizers (and those above) decide.
    pub unit: Option<Unit>,
    pub add_categories: Vec<Category>,
    pub remove_categories: Vec<Category>,
    pub admitted_on: Option<NaiveDate>,
    pub status: RequestStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Shown to the person.
    pub reason: String,
}

/// Turns a stored request into its public form, reading its units.
pub async fn describe(
    state: &AppState,
    r: membership_requests::Model,
    full_name: Option<String>,
) -> ApiResult<MembershipRequest> {
    let names = full_name.map(|n| (r.user_id, n)).into_iter().collect();
    let mut out = describe_all(state, vec![r], &names).await?;
    out.pop()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a described request went missing")))
}

/// Public forms of stored requests, their units read in one query.
async fn describe_all(
    state: &AppState,
    requests: Vec<membership_requests::Model>,
    names: &HashMap<Uuid, String>,
) -> ApiResult<Vec<MembershipRequest>> {
    let ids: Vec<i32> = requests
        .iter()
        .flat_map(|r| [Some(r.unit_id), r.from_unit_id])
        .flatten()
        .collect();
    let units: HashMap<i32, Unit> = store::units::find_by_ids(&state.db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, Unit::from(u)))
        .collect();
    let unit = |id: Option<i32>| id.and_then(|id| units.get(&id).cloned());
    Ok(requests
        .into_iter()
        .map(|r| MembershipRequest {
            id: r.id,
            user_id: r.user_id,
            full_name: names.get(&r.user_id).cloned(),
            from_unit: unit(r.from_unit_id),
            unit: unit(Some(r.unit_id)),
            add_categories: r.add_categories.0,
            remove_categories: r.remove_categories.0,
            admitted_on: r.admitted_on,
            status: r.status,
            reason: r.reason,
            created_at: r.created_at,
            decided_at: r.decided_at,
        })
        .collect())
}

/// The caller's own requests, newest first.
pub async fn mine(state: &AppState, user: Uuid) -> ApiResult<Vec<MembershipRequest>> {
    let requests = store::users::membership_requests_of(&state.db, user).await?;
    describe_all(state, requests, &HashMap::new()).await
}

/// Pending requests into `unit_id` and its subtree, for its organizers and admins.
pub async fn pending_for_unit(
    state: &AppState,
    actor: &Caller,
    unit_id: i32,
) -> ApiResult<Vec<MembershipRequest>> {
    let unit = super::units::find(state, unit_id).await?;
    actor.require(actor.may_act_within(&unit))?;
    let requests = store::users::pending_membership_requests_for(&state.db, &unit.path).await?;
    let ids: Vec<Uuid> = requests.iter().map(|r| r.user_id).collect();
    let names: HashMap<Uuid, String> = store::users::find_many(&state.db, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.full_name))
        .collect();
    describe_all(state, requests, &names).await
}

/// Approves or rejects a pending request. Organizers of the receiving unit or above, and
/// admins, decide; nobody but an admin decides their own request. Fails with 404 for an
/// unknown request, 403 for anyone else, 409 `request_decided` when it is no longer pending
/// and 409 `unit_merged` when the receiving unit was merged meanwhile.
pub async fn decide(
    state: &AppState,
    actor: &Caller,
    id: i32,
    approved: bool,
    reason: Option<String>,
) -> ApiResult<MembershipRequest> {
    let request = store::users::find_membership_request(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::RequestNotFound))?;
    let unit = super::units::find(state, request.unit_id).await?;
    actor
        .require(actor.may_act_within(&unit) && (actor.is_admin || actor.id != request.user_id))?;
    let decided_already = || ApiError::from(Code::RequestDecided);
    if request.status != RequestStatus::Pending {
        return Err(decided_already());
    }
    if approved && unit.merged_into_id.is_some() {
        return Err(Code::UnitMerged.with("Đơn vị nhận đã được hợp nhất, yêu cầu cần được gửi lại"));
    }
    let reason = reason
        .map(|r| crate::domain::text::clean(&r))
        .filter(|r| !r.is_empty());
    if let Some(r) = &reason
        && (r.chars().count() > 500 || crate::domain::text::has_hidden(r))
    {
        return Err(Code::InvalidReason.field("reason"));
    }
    let tx = store::begin(&state.db).await?;
    let saved = store::users::decide_membership_request(
        &tx,
        &request,
        approved,
        actor.id,
        reason,
        state.clock.now(),
    )
    .await?
    .ok_or_else(decided_already)?;
    tx.commit().await?;
    if approved {
        state.callers.forget(request.user_id);
        state.names.forget(request.user_id);
    }
    tracing::info!(request_id = id, user_id = %request.user_id, actor = %actor.id, approved, "membership request decided");
    describe(state, saved, None).await
}
