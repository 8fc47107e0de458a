//! Who may act on which unit. Every organizer permission is scoped to a unit subtree.

use crate::{
    auth::Caller,
    domain::course::{self, Audience},
    error::ApiResult,
    state::AppState,
    store,
};

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

/// The paths of the units an audience names (none when it names none: no query then, as
/// this runs on every round start).
pub async fn audience_paths(state: &AppState, audience: &Audience) -> ApiResult<Vec<String>> {
    if audience.units.is_empty() {
        return Ok(Vec::new());
    }
    Ok(store::units::find_by_ids(&state.db, &audience.units)
        .await?
        .into_iter()
        .map(|u| u.path)
        .collect())
}

/// The one audience rule, for courses and contests alike: whether `caller` (their categories
/// and unit) is in `audience`, whose units count with their subtrees. Roles do not enter into
/// it: what admins and organizers may see besides is each use case's decision.
pub async fn admits(state: &AppState, caller: &Caller, audience: &Audience) -> ApiResult<bool> {
    if audience.units.contains(&NOBODY_UNIT) {
        return Ok(false);
    }
    let paths = audience_paths(state, audience).await?;
    Ok(course::in_audience(
        &caller.categories,
        caller.unit_path.as_deref(),
        audience,
        &paths,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::Category;

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
