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
