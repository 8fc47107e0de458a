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
    error::{ApiError, ApiResult, Code},
    state::AppState,
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
            .ok_or_else(|| ApiError::from(Code::AccountNotFound))?;
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

/// A unit id no unit has: an audience restricted to it admits nobody. It stands in for an
/// audience that cannot be read, so that a corrupt or outdated column never opens a contest or
/// course to everyone (an empty audience means "everyone").
pub const NOBODY_UNIT: i32 = i32::MIN;

/// An audience stored as two JSON columns (categories, unit ids).
///
/// Fails when either column does not decode (corrupt, or written by an older or newer
/// version with categories this one does not know).
pub fn try_audience(categories_json: &str, units_json: &str) -> anyhow::Result<Audience> {
    use anyhow::Context;
    Ok(Audience {
        categories: serde_json::from_str(categories_json).context("audience categories")?,
        units: serde_json::from_str(units_json).context("audience units")?,
    })
}

/// An audience stored as two JSON columns (categories, unit ids). One that cannot be read is
/// logged as an error and admits nobody (see [`NOBODY_UNIT`]); never everyone.
pub fn audience(categories_json: &str, units_json: &str) -> Audience {
    try_audience(categories_json, units_json).unwrap_or_else(|e| {
        tracing::error!(
            error = format!("{e:#}"),
            "stored audience cannot be read: admitting nobody"
        );
        Audience {
            categories: Vec::new(),
            units: vec![NOBODY_UNIT],
        }
    })
}

/// Whether a person (categories, unit path) is in `audience`; its units count with their
/// subtrees.
pub async fn admits(
    state: &AppState,
    audience: &Audience,
    categories: &[Category],
    unit_path: Option<&str>,
) -> ApiResult<bool> {
    if audience.units.contains(&NOBODY_UNIT) {
        return Ok(false);
    }
    let paths: Vec<String> = store::units::find_by_ids(&state.db, &audience.units)
        .await?
        .into_iter()
        .map(|u| u.path)
        .collect();
    Ok(course::in_audience(categories, unit_path, audience, &paths))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_or_outdated_audience_admits_nobody() {
        for (cats, units) in [
            ("[\"member\"", "[]"),
            ("[\"a_category_from_the_future\"]", "[]"),
            ("[]", "{\"units\":[1]}"),
            ("null", "[]"),
        ] {
            assert!(try_audience(cats, units).is_err(), "{cats} {units}");
            let a = audience(cats, units);
            assert!(
                !a.units.is_empty(),
                "an empty audience would admit everyone"
            );
            for who in [
                &[Category::Member][..],
                &[Category::Cadre, Category::Youth],
                &[],
            ] {
                // The sentinel unit has no row, so no path can be in its subtree.
                assert!(!course::in_audience(who, Some("/1/2/"), &a, &[]));
                assert!(!course::in_audience(who, None, &a, &[]));
            }
        }
        let fine = audience("[\"member\"]", "[3]");
        assert_eq!(fine.categories, vec![Category::Member]);
        assert_eq!(fine.units, vec![3]);
    }
}
