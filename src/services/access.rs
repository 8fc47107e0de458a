//! Who may act on which unit. Every organizer permission is scoped to a unit subtree.

use entity::units;
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    domain::unit::{in_subtree, strictly_below},
    domain::{
        course::{self, Audience},
        person::Category,
    },
    error::{ApiError, ApiResult},
    startup::AppState,
    store,
};

/// The caller with the roles read from the database (a token's admin flag is a hint for
/// cheap paths; decisions that change data are taken on the stored roles).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Uuid,
    pub is_admin: bool,
    /// Paths of the units this person organizes.
    pub organizes: Vec<String>,
}

impl Actor {
    /// Loads the caller. Fails with 401 when the account no longer exists or was erased.
    pub async fn load(state: &AppState, auth: AuthUser) -> ApiResult<Actor> {
        let user = store::users::find(&state.db, auth.id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or_else(|| {
                ApiError::unauthorized("account_not_found", "Tài khoản không còn tồn tại")
            })?;
        let organizes = store::users::organized_units(&state.db, user.id)
            .await?
            .into_iter()
            .map(|u| u.path)
            .collect();
        Ok(Actor {
            id: user.id,
            is_admin: user.is_admin,
            organizes,
        })
    }

    /// May change `unit` itself (rename, move, merge, appoint its organizers): admins, and
    /// organizers of a unit strictly above it.
    pub fn may_manage(&self, unit: &units::Model) -> bool {
        self.is_admin || self.organizes.iter().any(|p| strictly_below(&unit.path, p))
    }

    /// May act inside the subtree of `unit` (create units under it, read its people): admins,
    /// and organizers of the unit or of a unit above it.
    pub fn may_act_within(&self, unit: &units::Model) -> bool {
        self.is_admin || self.organizes.iter().any(|p| in_subtree(&unit.path, p))
    }

    pub fn require(&self, allowed: bool) -> ApiResult<()> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// An audience stored as two JSON columns (categories, unit ids).
pub fn audience(categories_json: &str, units_json: &str) -> Audience {
    Audience {
        categories: serde_json::from_str(categories_json).unwrap_or_default(),
        units: serde_json::from_str(units_json).unwrap_or_default(),
    }
}

/// Whether a person (categories, unit path) is in `audience`; its units count with their
/// subtrees.
pub async fn admits(
    state: &AppState,
    audience: &Audience,
    categories: &[Category],
    unit_path: Option<&str>,
) -> ApiResult<bool> {
    let paths: Vec<String> = store::units::find_by_ids(&state.db, &audience.units)
        .await?
        .into_iter()
        .map(|u| u.path)
        .collect();
    Ok(course::in_audience(categories, unit_path, audience, &paths))
}
