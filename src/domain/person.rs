//! Member categories, age rules and the password policy.

use chrono::NaiveDate;

use super::time::age_on;
use crate::error::Code;

/// Categories are stored in `user_categories`, so the type lives with the entity.
pub use entity::user_categories::Category;

/// Categories only staff may assign (cadre, new member): changing them is a request an
/// organizer decides; the others a person declares.
pub fn staff_assigned(c: Category) -> bool {
    matches!(c, Category::Cadre | Category::NewMember)
}

/// Below this age, personal data is collected only with a guardian's consent.
pub const CONSENT_AGE: i32 = 16;
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A broken registration or profile rule, with the field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub code: Code,
    pub field: &'static str,
    pub message: &'static str,
}

const fn rule(code: Code, field: &'static str, message: &'static str) -> RuleError {
    RuleError {
        code,
        field,
        message,
    }
}

/// Fails for fewer than 8 or more than 128 characters, or a password made of one repeated
/// character.
pub fn check_password(password: &str) -> Result<(), RuleError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(rule(
            Code::WeakPassword,
            "password",
            "Mật khẩu phải có ít nhất 8 ký tự",
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(rule(
            Code::WeakPassword,
            "password",
            "Mật khẩu không được dài quá 128 ký tự",
        ));
    }
    let mut chars = password.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err(rule(
            Code::WeakPassword,
            "password",
            "Mật khẩu không được chỉ gồm một ký tự lặp lại",
        ));
    }
    Ok(())
}

/// The profile facts that decide what may be stored.
pub struct Profile<'a> {
    pub birth_date: NaiveDate,
    pub categories: &'a [Category],
    pub admitted_on: Option<NaiveDate>,
    pub guardian_consent: bool,
}

/// Checks a profile against the rules on `today` (Viet Nam's date): a plausible birth date,
/// at least one category, `admitted_on` for new members (not before birth, not in the
/// future), and a guardian's consent under 16.
pub fn check_profile(p: &Profile<'_>, today: NaiveDate) -> Result<(), RuleError> {
    if p.birth_date > today {
        return Err(rule(
            Code::InvalidBirthDate,
            "birth_date",
            "Ngày sinh không được ở tương lai",
        ));
    }
    let age = age_on(p.birth_date, today);
    if age > 120 {
        return Err(rule(
            Code::InvalidBirthDate,
            "birth_date",
            "Ngày sinh không hợp lệ",
        ));
    }
    if p.categories.is_empty() {
        return Err(rule(
            Code::CategoriesRequired,
            "categories",
            "Cần chọn ít nhất một đối tượng",
        ));
    }
    match (p.categories.contains(&Category::NewMember), p.admitted_on) {
        (true, None) => {
            return Err(rule(
                Code::AdmittedOnRequired,
                "admitted_on",
                "Đoàn viên mới cần có ngày kết nạp (admitted_on)",
            ));
        }
        (_, Some(d)) if d > today || d < p.birth_date => {
            return Err(rule(
                Code::InvalidAdmittedOn,
                "admitted_on",
                "Ngày kết nạp không hợp lệ",
            ));
        }
        _ => {}
    }
    if age < CONSENT_AGE && !p.guardian_consent {
        return Err(rule(
            Code::GuardianConsentRequired,
            "guardian_consent",
            "Người dưới 16 tuổi cần có sự đồng ý của cha mẹ hoặc người giám hộ",
        ));
    }
    Ok(())
}

/// What a person asking for `wanted` instead of `old` gets: the categories that apply at once
/// (the self-declared ones wanted, the staff-assigned ones kept as they were), and the
/// staff-assigned ones to add and to remove, which wait for an organizer. Each list holds a
/// category at most once.
pub fn split_category_change(
    old: &[Category],
    wanted: &[Category],
) -> (Vec<Category>, Vec<Category>, Vec<Category>) {
    let set = |it: &mut dyn Iterator<Item = Category>| {
        let mut v: Vec<Category> = it.collect();
        v.sort();
        v.dedup();
        v
    };
    let applied = set(&mut wanted
        .iter()
        .copied()
        .filter(|c| !staff_assigned(*c))
        .chain(old.iter().copied().filter(|c| staff_assigned(*c))));
    let add = set(&mut wanted
        .iter()
        .copied()
        .filter(|c| staff_assigned(*c) && !old.contains(c)));
    let remove = set(&mut old
        .iter()
        .copied()
        .filter(|c| staff_assigned(*c) && !wanted.contains(c)));
    (applied, add, remove)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn profile(
        birth: &str,
        cats: &[Category],
        admitted: Option<&str>,
        consent: bool,
    ) -> Result<(), RuleError> {
        check_profile(
            &Profile {
                birth_date: d(birth),
                categories: cats,
                admitted_on: admitted.map(d),
                guardian_consent: consent,
            },
            d("2026-11-28"),
        )
    }

    #[test]
    fn under_sixteen_needs_consent_and_sixteen_does_not() {
        assert_eq!(
            profile("2010-11-29", &[Category::Child], None, false)
                .unwrap_err()
                .code,
            Code::GuardianConsentRequired
        );
        assert!(profile("2010-11-29", &[Category::Child], None, true).is_ok());
        assert!(profile("2010-11-28", &[Category::Youth], None, false).is_ok());
    }

    #[test]
    fn new_members_need_an_admission_date() {
        assert_eq!(
            profile("2005-01-01", &[Category::NewMember], None, false)
                .unwrap_err()
                .field,
            "admitted_on"
        );
        assert!(
            profile(
                "2005-01-01",
                &[Category::NewMember],
                Some("2026-03-26"),
                false
            )
            .is_ok()
        );
        assert_eq!(
            profile(
                "2005-01-01",
                &[Category::NewMember],
                Some("2027-01-01"),
                false
            )
            .unwrap_err()
            .code,
            Code::InvalidAdmittedOn
        );
    }

    #[test]
    fn passwords_under_eight_characters_are_weak() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("aaaaaaaaaa").is_err());
        assert!(check_password("mậtkhẩu8").is_ok());
    }

    #[test]
    fn categories_parse_from_their_wire_names() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("admin"), None);
    }

    #[test]
    fn a_category_change_applies_declared_ones_and_asks_for_staff_ones_once() {
        use Category::*;
        let (applied, add, remove) =
            split_category_change(&[Member, Cadre], &[Youth, NewMember, Youth, NewMember]);
        assert_eq!(applied, vec![Cadre, Youth]);
        assert_eq!(add, vec![NewMember]);
        assert_eq!(remove, vec![Cadre]);
    }
}
