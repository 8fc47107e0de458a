//! The members a unit counts, and how an uploaded roster changes them: which rows add a
//! person, which update one, and who is no longer listed. No I/O: the service reads the
//! current members and writes the plan this module makes.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::{person::Category, roster::RosterRow, text::fold};

/// The categories as one integer, a bit each in [`Category::ALL`] order (the stored
/// `members.category_mask`; the order is part of the schema).
pub fn category_mask(categories: &[Category]) -> i32 {
    categories.iter().fold(0, |mask, c| mask | bit(*c))
}

pub fn bit(c: Category) -> i32 {
    let i = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
    1 << i
}

/// The categories a mask holds, in [`Category::ALL`] order.
pub fn categories_of(mask: i32) -> Vec<Category> {
    Category::ALL
        .into_iter()
        .filter(|c| mask & bit(*c) != 0)
        .collect()
}

/// A member as the plan sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    pub id: i32,
    pub unit_id: i32,
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub category_mask: i32,
    pub admitted_on: Option<NaiveDate>,
}

/// A roster row with its unit resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub row: RosterRow,
    pub unit_id: i32,
}

impl Listed {
    fn differs_from(&self, m: &Current) -> bool {
        let r = &self.row;
        m.unit_id != self.unit_id
            || m.full_name != r.full_name
            || m.birth_date != r.birth_date
            || m.phone.as_deref() != r.phone.as_ref().map(|p| p.as_str())
            || m.category_mask != category_mask(&r.categories)
            || m.admitted_on != r.admitted_on
    }
}

/// What an upload does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Rows that add a person.
    pub added: Vec<Listed>,
    /// (member id, the row that changes them): something differs.
    pub updated: Vec<(i32, Listed)>,
    /// Members listed again exactly as they are.
    pub unchanged: Vec<i32>,
    /// Members of the covered units the roster no longer lists.
    pub left: Vec<i32>,
}

/// Matches each row to a current member (by phone first, then by name and birth date
/// without regard to case or diacritics), and lists as left every member of `covered` that
/// no row matched. `current` holds the live members of the covered units and those found
/// elsewhere in the subtree by the rows' phones; a member is matched at most once.
pub fn plan(rows: Vec<Listed>, current: &[Current], covered: &[i32]) -> Plan {
    let by_phone: HashMap<&str, &Current> = current
        .iter()
        .filter_map(|m| m.phone.as_deref().map(|p| (p, m)))
        .collect();
    let mut by_person: HashMap<(String, Option<NaiveDate>), Vec<&Current>> = HashMap::new();
    for m in current {
        by_person
            .entry((fold(&m.full_name), m.birth_date))
            .or_default()
            .push(m);
    }
    let mut matched = std::collections::HashSet::new();
    let mut out = Plan::default();
    for listed in rows {
        let by_phone_match = listed
            .row
            .phone
            .as_ref()
            .and_then(|p| by_phone.get(p.as_str()).copied())
            .filter(|m| !matched.contains(&m.id));
        let found = by_phone_match.or_else(|| {
            by_person
                .get(&(fold(&listed.row.full_name), listed.row.birth_date))
                .and_then(|ms| {
                    ms.iter()
                        .copied()
                        // A namesake with another phone is another person.
                        .filter(|m| m.phone.is_none() || listed.row.phone.is_none())
                        .find(|m| !matched.contains(&m.id))
                })
        });
        match found {
            Some(m) => {
                matched.insert(m.id);
                if listed.differs_from(m) {
                    out.updated.push((m.id, listed));
                } else {
                    out.unchanged.push(m.id);
                }
            }
            None => out.added.push(listed),
        }
    }
    out.left = current
        .iter()
        .filter(|m| covered.contains(&m.unit_id) && !matched.contains(&m.id))
        .map(|m| m.id)
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::phone::Phone;

    fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn row(line: usize, name: &str, phone: Option<&str>, unit_id: i32) -> Listed {
        Listed {
            row: RosterRow {
                line,
                full_name: name.to_owned(),
                birth_date: day(2004, 5, 1),
                phone: phone.map(|p| Phone::parse(p).unwrap()),
                categories: vec![Category::Member],
                admitted_on: None,
                unit: None,
            },
            unit_id,
        }
    }

    fn member(id: i32, name: &str, phone: Option<&str>, unit_id: i32) -> Current {
        Current {
            id,
            unit_id,
            full_name: name.to_owned(),
            birth_date: day(2004, 5, 1),
            phone: phone.map(|p| Phone::parse(p).unwrap().into_string()),
            category_mask: bit(Category::Member),
            admitted_on: None,
        }
    }

    #[test]
    fn masks_round_trip_every_set_of_categories() {
        for mask in 0..64 {
            assert_eq!(category_mask(&categories_of(mask)), mask);
        }
        assert_eq!(
            categories_of(category_mask(&[Category::Youth, Category::Cadre])),
            vec![Category::Cadre, Category::Youth]
        );
    }

    #[test]
    fn rows_match_by_phone_then_by_name_and_birth_date() {
        let current = vec![
            member(1, "Nguyễn Văn An", Some("0912345678"), 10),
            member(2, "Trần Thị Bình", None, 10),
            member(3, "Lê Văn Cường", None, 10),
        ];
        let rows = vec![
            // Same phone, new name spelling: an update of 1.
            row(2, "Nguyễn Văn Ân", Some("0912 345 678"), 10),
            // Same person without a phone, written in capitals: unchanged.
            row(3, "TRẦN THỊ BÌNH", None, 10),
            row(4, "Phạm Thị Dung", Some("0987654321"), 10),
        ];
        let p = plan(rows, &current, &[10]);
        assert_eq!(p.updated.len(), 2, "{p:?}");
        assert_eq!(p.updated[0].0, 1);
        assert_eq!(p.updated[1].0, 2, "the name's case changed");
        assert_eq!(p.added.len(), 1);
        assert_eq!(p.added[0].row.full_name, "Phạm Thị Dung");
        assert_eq!(p.left, vec![3]);
    }

    #[test]
    fn a_member_listed_again_as_is_is_unchanged_and_others_units_are_not_left() {
        let current = vec![
            member(1, "Nguyễn Văn An", Some("0912345678"), 10),
            member(2, "Trần Thị Bình", None, 11),
        ];
        let p = plan(
            vec![row(2, "Nguyễn Văn An", Some("0912345678"), 10)],
            &current,
            &[10],
        );
        assert_eq!(p.unchanged, vec![1]);
        assert!(p.left.is_empty() && p.added.is_empty() && p.updated.is_empty());
    }

    #[test]
    fn a_namesake_with_another_phone_is_another_person() {
        let current = vec![member(1, "Nguyễn Văn An", Some("0912345678"), 10)];
        let p = plan(
            vec![row(2, "Nguyễn Văn An", Some("0987654321"), 10)],
            &current,
            &[10],
        );
        assert_eq!(p.added.len(), 1);
        assert_eq!(p.left, vec![1]);
    }

    #[test]
    fn moving_to_a_child_unit_is_an_update() {
        let current = vec![member(1, "Nguyễn Văn An", Some("0912345678"), 10)];
        let p = plan(
            vec![row(2, "Nguyễn Văn An", Some("0912345678"), 12)],
            &current,
            &[10, 12],
        );
        assert_eq!(p.updated.len(), 1);
        assert!(p.left.is_empty());
    }
}
