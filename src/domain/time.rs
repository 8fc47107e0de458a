//! Civil time in Viet Nam. Asia/Ho_Chi_Minh has been UTC+7 without daylight saving since
//! 1975, so a fixed offset is exact for every date this platform handles.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

pub fn vn_offset() -> FixedOffset {
    // 7 h is a valid offset; the constructor only fails beyond ±24 h.
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| unreachable!())
}

/// The calendar date in Viet Nam at `now`.
pub fn vn_today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&vn_offset()).date_naive()
}

/// Full years between `birth` and `on` (a birthday counts on its day; 29 February birthdays
/// count on 1 March in common years).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn age_turns_on_the_birthday() {
        assert_eq!(age_on(d(2010, 5, 20), d(2026, 5, 19)), 15);
        assert_eq!(age_on(d(2010, 5, 20), d(2026, 5, 20)), 16);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), 17);
        assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), 18);
    }

    #[test]
    fn vietnam_date_changes_at_17_utc() {
        let before = "2026-11-27T16:59:59Z".parse::<DateTime<Utc>>().unwrap();
        let after = "2026-11-27T17:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(vn_today(before), d(2026, 11, 27));
        assert_eq!(vn_today(after), d(2026, 11, 28));
    }
}
