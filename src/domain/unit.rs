//! The unit tree: kinds and materialised paths.
//!
//! A unit's path lists its ancestors' ids and its own, e.g. `/1/4/17/`. A subtree is then a
//! prefix: every descendant of `/1/4/` has a path starting with `/1/4/`.

/// Kinds are stored in `units.kind`, so the type lives with the entity.
pub use entity::units::UnitKind;

/// The path of a unit whose parent has `parent_path` (or of a root when `None`).
pub fn child_path(parent_path: Option<&str>, id: i32) -> String {
    format!("{}{id}/", parent_path.unwrap_or("/"))
}

/// The ids on a path, root first, the unit itself last. Unparsable segments are skipped.
pub fn path_ids(path: &str) -> Vec<i32> {
    path.split('/').filter_map(|s| s.parse().ok()).collect()
}

/// True when `path` is `root_path` or lies below it.
pub fn in_subtree(path: &str, root_path: &str) -> bool {
    path.starts_with(root_path)
}

/// True when `path` lies strictly below `ancestor_path`.
pub fn strictly_below(path: &str, ancestor_path: &str) -> bool {
    path.len() > ancestor_path.len() && path.starts_with(ancestor_path)
}

/// Moving the unit at `unit_path` under the unit at `new_parent_path` would make a cycle when
/// the new parent is the unit itself or one of its descendants.
pub fn move_makes_cycle(unit_path: &str, new_parent_path: &str) -> bool {
    in_subtree(new_parent_path, unit_path)
}

/// `path` with its prefix `old_prefix` replaced by `new_prefix` (used for every descendant of
/// a moved unit).
pub fn rebase(path: &str, old_prefix: &str, new_prefix: &str) -> Option<String> {
    path.strip_prefix(old_prefix)
        .map(|rest| format!("{new_prefix}{rest}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn paths_and_subtrees() {
        let root = child_path(None, 1);
        let district = child_path(Some(&root), 4);
        let commune = child_path(Some(&district), 17);
        assert_eq!(commune, "/1/4/17/");
        assert_eq!(path_ids(&commune), [1, 4, 17]);
        assert!(in_subtree(&commune, &district));
        assert!(strictly_below(&commune, &root));
        assert!(!strictly_below(&district, &district));
        // "/1/4/" must not claim "/1/41/".
        assert!(!in_subtree("/1/41/", "/1/4/"));
    }

    #[test]
    fn moving_under_self_or_descendant_is_a_cycle() {
        assert!(move_makes_cycle("/1/4/", "/1/4/"));
        assert!(move_makes_cycle("/1/4/", "/1/4/17/"));
        assert!(!move_makes_cycle("/1/4/", "/1/5/"));
        assert!(!move_makes_cycle("/1/4/", "/1/"));
    }

    proptest! {
        #[test]
        fn rebase_keeps_the_tail(ids in prop::collection::vec(1i32..10_000, 1..6), new_root in 1i32..10_000) {
            let mut path = String::from("/");
            for id in &ids { path = child_path(Some(&path), *id); }
            let old_prefix = child_path(None, ids[0]);
            let new_prefix = child_path(Some(&child_path(None, new_root)), ids[0]);
            let moved = rebase(&path, &old_prefix, &new_prefix).unwrap();
            prop_assert!(moved.ends_with(&path[old_prefix.len()..]));
            prop_assert_eq!(path_ids(&moved).len(), ids.len() + 1);
        }
    }
}
