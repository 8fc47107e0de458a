//! A unit's member roster as organizers keep it in their spreadsheets (XLSX or CSV), parsed
//! into rows the store can reconcile with the members it holds. No I/O.

use chrono::NaiveDate;

use crate::domain::{person::Category, phone::Phone};

/// Where a row says the person belongs: empty means the unit uploaded to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitRef {
    Id(i32),
    /// A unit's name as written (NFC, trimmed); matched within the subtree without regard to
    /// case or diacritics.
    Name(String),
}

/// One person of the roster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterRow {
    /// 1-based row in the sheet or line in the CSV, for messages.
    pub line: usize,
    /// NFC, whitespace collapsed.
    pub full_name: String,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<Phone>,
    /// At least one, no repeats, in `Category::ALL` order.
    pub categories: Vec<Category>,
    /// Ngày kết nạp.
    pub admitted_on: Option<NaiveDate>,
    pub unit: Option<UnitRef>,
}

// TEMPORARY STUB (replaced by the roster helper's parser)
pub const MAX_ROSTER_BYTES: usize = 5 * 1024 * 1024;
pub fn parse(
    file: &str,
    _bytes: &[u8],
) -> Result<Vec<RosterRow>, Vec<crate::domain::banks::FileError>> {
    Err(vec![crate::domain::banks::FileError {
        file: file.to_owned(),
        line: 0,
        column: 0,
        message: "stub".into(),
        more: 0,
    }])
}
pub enum RosterFormat {
    Csv,
    Xlsx,
}
impl RosterFormat {
    pub fn of(name: &str) -> Option<RosterFormat> {
        if name.ends_with(".csv") {
            Some(RosterFormat::Csv)
        } else if name.ends_with(".xlsx") {
            Some(RosterFormat::Xlsx)
        } else {
            None
        }
    }
}
