//! Content that stays true: when a question may be drawn (its validity), the legal documents
//! it rests on and which of them have been replaced, questions that give each other away
//! (families, near-duplicate stems), and the quarterly report a content editor reviews.

pub mod replaced;
pub mod report;
pub mod similar;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The days on which a question may be drawn, both ends inclusive; open where unset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Validity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

impl Validity {
    pub const ALWAYS: Validity = Validity {
        from: None,
        until: None,
    };

    /// Whether the question may be drawn on `day`.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from.is_none_or(|f| f <= day) && self.until.is_none_or(|u| day <= u)
    }

    /// Whether it may be drawn on every day from `first` to `last`.
    pub fn covers(&self, first: NaiveDate, last: NaiveDate) -> bool {
        self.contains(first) && self.contains(last)
    }

    /// A question's own dates, the bank's where the question sets none.
    pub fn or(self, bank: Validity) -> Validity {
        Validity {
            from: self.from.or(bank.from),
            until: self.until.or(bank.until),
        }
    }

    pub fn is_always(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }
}

/// At most this many documents on one question.
pub const MAX_DOCUMENTS: usize = 16;
/// A document number is at most this long ("356/2025/NĐ-CP").
pub const MAX_DOCUMENT_CHARS: usize = 64;

/// A legal document's number as printed ("116/2025/QH15", "874/QĐ-BTTTT"), compared without
/// regard to case, spaces or the Vietnamese "Đ" written as "D": `None` for an empty one.
pub fn document_key(number: &str) -> Option<String> {
    let key: String = number
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .map(|c| if c == 'Đ' { 'D' } else { c })
        .collect();
    (!key.is_empty()).then_some(key)
}

/// Whether `text` cites the document `number` (whole, not as part of a longer number:
/// "24/2018/QH14" is not cited by "124/2018/QH14").
pub fn cites(text: &str, number: &str) -> bool {
    let Some(wanted) = document_key(number) else {
        return false;
    };
    // Compare on the same normalised form, keeping the positions of the original text.
    let norm: Vec<char> = text
        .chars()
        .flat_map(char::to_uppercase)
        .map(|c| if c == 'Đ' { 'D' } else { c })
        .collect();
    let wanted: Vec<char> = wanted.chars().collect();
    let part = |c: char| c.is_alphanumeric() || c == '/' || c == '-';
    norm.windows(wanted.len()).enumerate().any(|(i, w)| {
        w == wanted.as_slice()
            && (i == 0 || !part(norm[i - 1]))
            && norm.get(i + wanted.len()).is_none_or(|c| !part(*c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn validity_is_inclusive_at_both_ends_and_open_where_unset() {
        let v = Validity {
            from: Some(d(2026, 7, 1)),
            until: Some(d(2027, 6, 30)),
        };
        assert!(!v.contains(d(2026, 6, 30)));
        assert!(v.contains(d(2026, 7, 1)));
        assert!(v.contains(d(2027, 6, 30)));
        assert!(!v.contains(d(2027, 7, 1)));
        assert!(Validity::ALWAYS.contains(d(1900, 1, 1)));
        let own = Validity {
            from: None,
            until: Some(d(2026, 12, 31)),
        };
        assert_eq!(own.or(v).from, Some(d(2026, 7, 1)));
        assert_eq!(own.or(v).until, Some(d(2026, 12, 31)));
    }

    #[test]
    fn document_numbers_compare_loosely_and_cite_whole() {
        assert_eq!(document_key("13/2023/nđ-cp"), document_key("13/2023/NĐ-CP"));
        assert_eq!(document_key("13/2023/ND-CP"), document_key("13/2023/NĐ-CP"));
        assert!(cites(
            "Luật An ninh mạng số 24/2018/QH14, Điều 8",
            "24/2018/QH14"
        ));
        assert!(!cites("Luật số 124/2018/QH14", "24/2018/QH14"));
        assert!(!cites("Luật số 24/2018/QH145", "24/2018/QH14"));
        assert!(cites("(Quyết định 874/QĐ-BTTTT)", "874/QĐ-BTTTT"));
        assert!(!cites("anything", ""));
    }
}
