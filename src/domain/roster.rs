//! A unit's member roster as organizers keep it in their spreadsheets (XLSX or CSV), parsed
//! into rows the store can reconcile with the members it holds. No I/O.
//!
//! The first sheet (or the CSV, UTF-8, delimited by `,` `;` or tab) holds one person a row
//! under a header row, which up to [`MAX_TITLE_ROWS`] title rows may precede. Headers are
//! matched without regard to case, diacritics, punctuation or spacing ([`fold`]), in any
//! order; other columns (`STT`, `Ghi chú`) are ignored:
//!
//! | column | also accepted | content |
//! |---|---|---|
//! | `Họ và tên` (required) | `Họ tên` | the full name |
//! | `Đối tượng` (required) | | `cán bộ`, `đoàn viên`, `đoàn viên mới`, `hội viên`, `thanh niên`, `thiếu nhi`, several separated by `,` `;` `/` `+` |
//! | `Ngày sinh` | `Ngày tháng năm sinh` | `dd/mm/yyyy` (or `-`, `.`), a date cell or a serial number |
//! | `Số điện thoại` | `SĐT`, `Điện thoại` | any form [`Phone::parse`] takes; a number cell's lost 0 is restored |
//! | `Ngày kết nạp` | `Ngày vào Đoàn` | as `Ngày sinh` |
//! | `Đơn vị` | | a unit's id (digits) or name; empty for the unit uploaded to |

use std::collections::HashMap;

use calamine::Data;
use chrono::{Datelike, NaiveDate};
use unicode_normalization::UnicodeNormalization;

use crate::domain::{
    banks::{
        FileError, Problems,
        xlsx::{check_zip, read_first_sheet_within},
    },
    person::Category,
    phone::Phone,
    text::{FullName, clean, has_hidden, is_hidden},
};

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

/// Largest roster file, in bytes: 20,000 people of ~150 bytes each is 3 MB of CSV.
pub const MAX_ROSTER_BYTES: usize = 5 * 1024 * 1024;
/// People in one roster; a district's roster stays well under this.
pub const MAX_ROSTER_ROWS: usize = 20_000;
/// Columns of a roster (absolute, from column A in a sheet); we read six.
pub const MAX_ROSTER_COLUMNS: usize = 64;
/// Bytes of one cell we read.
pub const MAX_CELL_BYTES: usize = 1024;
/// Title rows allowed above the header row.
pub const MAX_TITLE_ROWS: usize = 10;

/// How a roster file is written, told by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RosterFormat {
    Csv,
    Xlsx,
}

impl RosterFormat {
    /// `.csv`, `.xlsx` or `.xlsm` (any case); `None` for anything else, `.xls` and `.ods`
    /// among them (see [`parse`]).
    pub fn of(file_name: &str) -> Option<RosterFormat> {
        match extension(file_name).as_str() {
            "csv" => Some(RosterFormat::Csv),
            "xlsx" | "xlsm" => Some(RosterFormat::Xlsx),
            _ => None,
        }
    }
}

fn extension(file_name: &str) -> String {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

pub use super::text::fold;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Name,
    Birth,
    Phone,
    Categories,
    Admitted,
    Unit,
}

impl Field {
    const ALL: [Field; 6] = [
        Field::Name,
        Field::Birth,
        Field::Phone,
        Field::Categories,
        Field::Admitted,
        Field::Unit,
    ];

    fn title(self) -> &'static str {
        match self {
            Field::Name => "Họ và tên",
            Field::Birth => "Ngày sinh",
            Field::Phone => "Số điện thoại",
            Field::Categories => "Đối tượng",
            Field::Admitted => "Ngày kết nạp",
            Field::Unit => "Đơn vị",
        }
    }

    /// The header a folded cell text names, if any.
    fn of_header(folded: &str) -> Option<Field> {
        Some(match folded {
            "ho va ten" | "ho ten" => Field::Name,
            "ngay sinh" | "ngay thang nam sinh" => Field::Birth,
            "so dien thoai" | "sdt" | "dien thoai" | "so dt" | "dt" => Field::Phone,
            "doi tuong" => Field::Categories,
            "ngay ket nap" | "ngay vao doan" | "ngay ket nap doan" => Field::Admitted,
            "don vi" => Field::Unit,
            _ => return None,
        })
    }
}

/// One cell as read, before its column says what it means.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A date-formatted sheet cell: its calendar day, `None` when outside the calendar.
    Date(Option<NaiveDate>),
}

impl Cell {
    fn from_data(d: &Data) -> Cell {
        match d {
            Data::Empty => Cell::Empty,
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
            Data::Float(f) => Cell::Number(*f),
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.to_owned()),
            Data::Error(e) => Cell::Text(e.to_string()),
            Data::DateTime(dt) if dt.is_datetime() => {
                let v = dt.as_f64();
                Cell::Date(if v.is_finite() && (1.0..MAX_SERIAL).contains(&v) {
                    let (y, m, d, ..) = dt.to_ymd_hms_milli();
                    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                } else {
                    None
                })
            }
            Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        }
    }

    /// The text a person sees: NFC and trimmed; numbers without a needless ".0".
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.nfc().collect::<String>().trim().to_owned(),
            Cell::Number(f) => number_text(*f),
            Cell::Date(Some(d)) => d.format("%d/%m/%Y").to_string(),
            Cell::Date(None) => "#DATE".to_owned(),
        }
    }
}

/// Excel's last day (9999-12-31) is serial 2,958,465.
const MAX_SERIAL: f64 = 2_958_466.0;

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

/// A serial day number of Excel's 1900 date system: 1 is 1900-01-01 and 60 the 29 February
/// 1900 that never was (Excel kept Lotus 1-2-3's leap-year bug).
fn serial_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..MAX_SERIAL).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let (base, offset) = match days {
        ..60 => (NaiveDate::from_ymd_opt(1899, 12, 31)?, days),
        60 => return None,
        _ => (NaiveDate::from_ymd_opt(1899, 12, 30)?, days),
    };
    base.checked_add_signed(chrono::Duration::days(offset))
}

/// `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, and ISO `yyyy-mm-dd` (what a sheet's
/// ISO date cells hold, possibly followed by a time).
fn text_date(s: &str) -> Option<NaiveDate> {
    let s = match s.split_once('T') {
        Some((day, _)) if day.len() == 10 => day,
        _ => s,
    };
    let sep = s.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let parts: Vec<&str> = s.split(sep).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let digits = |p: &str, lens: std::ops::RangeInclusive<usize>| {
        (lens.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    if sep == '-' && a.len() == 4 {
        let (y, m, d) = (digits(a, 4..=4)?, digits(b, 2..=2)?, digits(c, 2..=2)?);
        return NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d);
    }
    let (d, m, y) = (digits(a, 1..=2)?, digits(b, 1..=2)?, digits(c, 4..=4)?);
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

fn date(cell: &Cell, shown: &str) -> Result<Option<NaiveDate>, String> {
    let day = match cell {
        Cell::Empty => return Ok(None),
        Cell::Text(_) if shown.is_empty() => return Ok(None),
        Cell::Date(d) => *d,
        Cell::Number(f) => serial_date(*f),
        Cell::Text(_) => text_date(shown),
    };
    let Some(day) = day else {
        return Err(format!("ngày không hợp lệ «{shown}» (dùng dd/mm/yyyy)"));
    };
    if !(1900..=2100).contains(&day.year()) {
        return Err(format!(
            "năm {} của ngày «{}» không hợp lý (cần từ 1900 đến 2100)",
            day.year(),
            day.format("%d/%m/%Y")
        ));
    }
    Ok(Some(day))
}

fn phone(shown: &str) -> Result<Option<Phone>, String> {
    if shown.is_empty() {
        return Ok(None);
    }
    // A number cell (or a CSV that went through one) loses the trunk 0: 912345678.
    let all_digits = shown.bytes().all(|b| b.is_ascii_digit());
    let text = if all_digits && (shown.len() == 9 || (shown.len() == 10 && shown.starts_with('2')))
    {
        format!("0{shown}")
    } else {
        shown.to_owned()
    };
    Phone::parse(&text)
        .map(Some)
        .map_err(|e| format!("«{shown}»: {e}"))
}

const CATEGORY_WORDS: &str =
    "cán bộ, đoàn viên, đoàn viên mới, hội viên, thanh niên, thiếu nhi (thiếu niên, nhi đồng)";

fn category_of(folded: &str) -> Option<Category> {
    if folded == "can bo" || folded.starts_with("can bo ") {
        return Some(Category::Cadre);
    }
    Some(match folded {
        "doan vien" => Category::Member,
        "doan vien moi" | "doan vien moi ket nap" => Category::NewMember,
        "hoi vien" => Category::AssociationMember,
        "thanh nien" => Category::Youth,
        "thieu nhi" | "thieu nien" | "nhi dong" | "doi vien" | "thieu nien nhi dong" => {
            Category::Child
        }
        code => return Category::parse(&code.replace(' ', "_")),
    })
}

/// One or more categories, separated by `,` `;` `/` or `+`. "Cán bộ Đoàn, Hội, Đội" is the
/// cadre's full title, so "Hội" and "Đội" right after a "cán bộ …" belong to it.
fn categories(shown: &str) -> Result<Vec<Category>, String> {
    let mut found = Vec::new();
    let mut in_cadre_title = false;
    for token in shown.split([',', ';', '/', '+']) {
        let folded = fold(token);
        if folded.is_empty() {
            continue;
        }
        if in_cadre_title && matches!(folded.as_str(), "doan" | "hoi" | "doi") {
            continue;
        }
        let Some(c) = category_of(&folded) else {
            return Err(format!(
                "không nhận ra đối tượng «{}»; dùng: {CATEGORY_WORDS}",
                token.trim()
            ));
        };
        in_cadre_title = c == Category::Cadre;
        found.push(c);
    }
    if found.is_empty() {
        return Err(format!("cần ít nhất một đối tượng ({CATEGORY_WORDS})"));
    }
    found.sort_by_key(|c| Category::ALL.iter().position(|a| a == c));
    found.dedup();
    Ok(found)
}

fn unit(shown: &str) -> Result<Option<UnitRef>, String> {
    if shown.is_empty() {
        return Ok(None);
    }
    if shown.bytes().all(|b| b.is_ascii_digit()) {
        return shown
            .parse()
            .map(|id| Some(UnitRef::Id(id)))
            .map_err(|_| format!("mã đơn vị «{shown}» quá lớn"));
    }
    Ok(Some(UnitRef::Name(clean(shown))))
}

/// Non-empty rows of a file, each with its 1-based line and the 0-based column of its first
/// cell.
struct Grid {
    rows: Vec<(usize, Vec<Cell>)>,
    first_column: usize,
}

/// Rows read before the header is found: the header, its title rows and the data.
const MAX_GRID_ROWS: usize = MAX_ROSTER_ROWS + MAX_TITLE_ROWS + 1;

fn too_many_rows() -> String {
    format!(
        "Tệp có quá nhiều dòng: tối đa {MAX_ROSTER_ROWS} người trong một lần nhập; hãy chia thành nhiều tệp"
    )
}

fn read_csv(bytes: &[u8], p: &mut Problems) -> Option<Grid> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            p.at(
                line,
                0,
                "Tệp CSV không dùng bảng mã UTF-8: trong Excel hãy chọn «Lưu thành» → «CSV UTF-8 (Comma delimited)» rồi nhập lại",
            );
            return None;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let (mut counted_to, mut line_no) = (0, 1);
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(1, |pos| pos.line() as usize);
                p.at(line, 0, format!("Không đọc được tệp CSV: {e}"));
                return None;
            }
        };
        // The csv crate places a record after blank lines at the first blank line; its line
        // is that of its first byte past them, counted incrementally.
        let mut start = record.position().map_or(0, |pos| pos.byte() as usize);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.clamp(counted_to, text.len());
        line_no += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        let line = line_no;
        let used = (0..record.len())
            .rev()
            .find(|&i| record.get(i).is_some_and(|f| !f.trim().is_empty()))
            .map_or(0, |i| i + 1);
        if used == 0 {
            continue;
        }
        if used > MAX_ROSTER_COLUMNS {
            p.at(
                line,
                MAX_ROSTER_COLUMNS + 1,
                format!("Dòng có {used} cột, tối đa {MAX_ROSTER_COLUMNS}"),
            );
            return None;
        }
        if rows.len() == MAX_GRID_ROWS {
            p.at(line, 0, too_many_rows());
            return None;
        }
        let cells = record
            .iter()
            .take(used)
            .map(|f| Cell::Text(f.to_owned()))
            .collect();
        rows.push((line, cells));
    }
    Some(Grid {
        rows,
        first_column: 0,
    })
}

/// The delimiter of the header line: among `,` `;` and tab, the one that splits off a «Họ và
/// tên» cell there, the most frequent if several do (Excel in a Vietnamese locale writes `;`).
/// Without such a line among the first few, the most frequent on the first line.
fn delimiter(text: &str) -> u8 {
    const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];
    let most = |line: &str, among: &mut dyn Iterator<Item = u8>| {
        among
            .map(|d| (line.bytes().filter(|b| *b == d).count(), d))
            // Ties go to the earlier candidate: a comma, the format's own.
            .reduce(|best, next| if next.0 > best.0 { next } else { best })
            .map(|(_, d)| d)
    };
    // A header line is short; a megabyte-long first line is not folded three times over.
    for line in text
        .lines()
        .take(MAX_TITLE_ROWS + 1)
        .filter(|l| l.len() <= MAX_ROSTER_COLUMNS * MAX_CELL_BYTES)
    {
        let mut splitting = CANDIDATES.into_iter().filter(|&d| {
            line.split(char::from(d)).any(|cell| {
                Field::of_header(&fold(cell)) == Some(Field::Name)
                    && cell.trim().len() < line.trim().len()
            })
        });
        if let Some(d) = most(line, &mut splitting) {
            return d;
        }
    }
    most(
        text.lines().next().unwrap_or(""),
        &mut CANDIDATES.into_iter(),
    )
    .unwrap_or(b',')
}

fn read_xlsx(bytes: &[u8], p: &mut Problems) -> Option<Grid> {
    let read = check_zip(bytes).and_then(|()| {
        read_first_sheet_within(bytes, MAX_GRID_ROWS as u32, MAX_ROSTER_COLUMNS as u32)
    });
    let (sheet, first_row, first_column) = match read {
        Ok(ok) => ok,
        Err(message) => {
            p.at(1, 0, message);
            return None;
        }
    };
    let rows = sheet
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| *c != Data::Empty))
        .map(|(i, r)| {
            (
                first_row as usize + i + 1,
                r.iter().map(Cell::from_data).collect(),
            )
        })
        .collect();
    Some(Grid {
        rows,
        first_column: first_column as usize,
    })
}

/// Parses a roster, CSV or XLSX as `file`'s extension says (see [`RosterFormat::of`]).
///
/// Fails, with every problem found (the first [`MAX_ERRORS_PER_FILE`] listed), when the file
/// is larger than [`MAX_ROSTER_BYTES`] or unreadable (not UTF-8, not a workbook, an `.xls` or
/// `.ods`), when no header row with «Họ và tên» and «Đối tượng» is found in its first rows,
/// when it holds more than [`MAX_ROSTER_ROWS`] people, or when any cell is invalid: a bad
/// name, date, phone, category or unit, a hidden character, a phone given twice.
///
/// [`MAX_ERRORS_PER_FILE`]: crate::domain::banks::limits::MAX_ERRORS_PER_FILE
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<RosterRow>, Vec<FileError>> {
    let mut p = Problems::new(file);
    let format = RosterFormat::of(file);
    let grid = match format {
        _ if bytes.len() > MAX_ROSTER_BYTES => {
            p.at(
                1,
                0,
                format!(
                    "Tệp quá lớn ({:.1} MB), tối đa {} MB",
                    bytes.len() as f64 / (1024.0 * 1024.0),
                    MAX_ROSTER_BYTES / (1024 * 1024)
                ),
            );
            None
        }
        Some(RosterFormat::Csv) => read_csv(bytes, &mut p),
        Some(RosterFormat::Xlsx) => read_xlsx(bytes, &mut p),
        None => {
            let ext = extension(file);
            let message = if matches!(ext.as_str(), "xls" | "ods") {
                format!(
                    "Không nhận tệp .{ext}: hãy mở tệp và lưu lại dưới dạng Excel .xlsx (hoặc CSV UTF-8) rồi nhập lại"
                )
            } else {
                "Chỉ nhận danh sách dạng Excel (.xlsx) hoặc CSV (.csv)".to_owned()
            };
            p.at(1, 0, message);
            None
        }
    };
    let Some(grid) = grid else {
        return p.into_result(Vec::new());
    };
    let rows = read_rows(&grid, &mut p);
    p.into_result(rows)
}

/// The column (0-based, within the grid) of each field in the header row.
type Columns = [Option<usize>; 6];

fn slot(f: Field) -> usize {
    Field::ALL.iter().position(|a| *a == f).unwrap_or(0)
}

fn read_rows(grid: &Grid, p: &mut Problems) -> Vec<RosterRow> {
    let column_no = |i: usize| grid.first_column + i + 1;
    let Some(header_at) = grid
        .rows
        .iter()
        .take(MAX_TITLE_ROWS + 1)
        .position(|(_, cells)| {
            cells
                .iter()
                .any(|c| Field::of_header(&fold(&c.text())) == Some(Field::Name))
        })
    else {
        let line = grid.rows.first().map_or(1, |(line, _)| *line);
        p.at(
            line,
            0,
            format!(
                "Không tìm thấy dòng tiêu đề có cột «Họ và tên» trong {} dòng đầu của tệp; tiêu đề cần các cột «Họ và tên», «Đối tượng» (và tùy chọn «Ngày sinh», «Số điện thoại», «Ngày kết nạp», «Đơn vị»)",
                MAX_TITLE_ROWS + 1
            ),
        );
        return Vec::new();
    };
    let (header_line, header) = &grid.rows[header_at];
    let mut columns: Columns = [None; 6];
    let mut titles: [String; 6] = Default::default();
    for (i, cell) in header.iter().enumerate() {
        let text = cell.text();
        let Some(field) = Field::of_header(&fold(&text)) else {
            continue;
        };
        let k = slot(field);
        if let Some(before) = columns[k] {
            p.at(
                *header_line,
                column_no(i),
                format!(
                    "Cột «{}» có hai lần (cột {} và cột {}); hãy giữ một",
                    field.title(),
                    column_no(before),
                    column_no(i)
                ),
            );
            continue;
        }
        columns[k] = Some(i);
        titles[k] = if text.len() <= 60 && !has_hidden(&text) {
            text
        } else {
            field.title().to_owned()
        };
    }
    if columns[slot(Field::Categories)].is_none() {
        p.at(
            *header_line,
            0,
            "Thiếu cột «Đối tượng» ở dòng tiêu đề (ví dụ: đoàn viên, thanh niên)",
        );
    }
    if columns[slot(Field::Categories)].is_none() {
        return Vec::new();
    }
    let data = &grid.rows[header_at + 1..];
    if data.len() > MAX_ROSTER_ROWS {
        p.at(data[MAX_ROSTER_ROWS].0, 0, too_many_rows());
        return Vec::new();
    }

    let mut seen_phones: HashMap<Phone, usize> = HashMap::new();
    let mut out = Vec::with_capacity(data.len());
    for (line, cells) in data {
        let line = *line;
        // The cleaned text of each field's cell, or the error that refuses it.
        let mut texts: [String; 6] = Default::default();
        let mut ok = true;
        for (k, col) in columns.iter().enumerate() {
            let Some(i) = *col else { continue };
            let text = cells.get(i).map(Cell::text).unwrap_or_default();
            if text.len() > MAX_CELL_BYTES {
                p.at(
                    line,
                    column_no(i),
                    format!("Cột «{}»: ô dài quá {MAX_CELL_BYTES} byte", titles[k]),
                );
                ok = false;
            } else if let Some(c) = text.chars().find(|c| is_hidden(*c)) {
                p.at(
                    line,
                    column_no(i),
                    format!(
                        "Cột «{}»: ô chứa ký tự ẩn hoặc ký tự điều khiển (U+{:04X}); hãy xóa ký tự này",
                        titles[k],
                        c as u32
                    ),
                );
                ok = false;
            }
            texts[k] = text;
        }
        // Rows with nothing in our columns: blank lines, or a template's pre-numbered «STT».
        if texts.iter().all(String::is_empty) {
            continue;
        }
        if !ok {
            continue;
        }
        let mut fail = |field: Field, message: String| {
            let k = slot(field);
            let column = columns[k].map_or(0, column_no);
            p.at(line, column, format!("Cột «{}»: {message}", titles[k]));
        };
        let cell = |field: Field| -> (&Cell, &str) {
            let k = slot(field);
            let c = columns[k]
                .and_then(|i| cells.get(i))
                .unwrap_or(&Cell::Empty);
            (c, texts[k].as_str())
        };
        let full_name = match cell(Field::Name).1 {
            "" => Err("thiếu họ và tên".to_owned()),
            shown => FullName::parse(shown).map_err(|e| format!("«{shown}»: {e}")),
        };
        let (c, shown) = cell(Field::Birth);
        let birth_date = date(c, shown);
        let (c, shown) = cell(Field::Admitted);
        let admitted_on = date(c, shown);
        let phone = phone(cell(Field::Phone).1);
        let categories = categories(cell(Field::Categories).1);
        let unit = unit(cell(Field::Unit).1);

        let mut row = RosterRow {
            line,
            full_name: String::new(),
            birth_date: None,
            phone: None,
            categories: Vec::new(),
            admitted_on: None,
            unit: None,
        };
        let mut ok = true;
        match full_name {
            Ok(n) => row.full_name = n.into_string(),
            Err(m) => {
                fail(Field::Name, m);
                ok = false;
            }
        }
        match birth_date {
            Ok(d) => row.birth_date = d,
            Err(m) => {
                fail(Field::Birth, m);
                ok = false;
            }
        }
        match phone {
            Ok(Some(ph)) => {
                if let Some(first) = seen_phones.get(&ph) {
                    fail(
                        Field::Phone,
                        format!(
                            "số «{}» trùng với dòng {first}; mỗi người một số điện thoại",
                            cell(Field::Phone).1
                        ),
                    );
                    ok = false;
                } else {
                    seen_phones.insert(ph.clone(), line);
                    row.phone = Some(ph);
                }
            }
            Ok(None) => {}
            Err(m) => {
                fail(Field::Phone, m);
                ok = false;
            }
        }
        match categories {
            Ok(c) => row.categories = c,
            Err(m) => {
                fail(Field::Categories, m);
                ok = false;
            }
        }
        match admitted_on {
            Ok(d) => row.admitted_on = d,
            Err(m) => {
                fail(Field::Admitted, m);
                ok = false;
            }
        }
        match unit {
            Ok(u) => row.unit = u,
            Err(m) => {
                fail(Field::Unit, m);
                ok = false;
            }
        }
        if ok {
            out.push(row);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Result<Vec<RosterRow>, Vec<FileError>> {
        parse("ds.csv", text.as_bytes())
    }

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn ph(s: &str) -> Option<Phone> {
        Some(Phone::parse(s).unwrap())
    }

    const HEADER: &str = "STT,Họ và tên,Ngày sinh,Số điện thoại,Đối tượng,Ngày kết nạp,Đơn vị";

    #[test]
    fn a_full_row_is_read() {
        let rows = csv(&format!(
            "{HEADER}\n1,  Nguyễn  Thị Ánh   Dương ,20/01/2001,0912 345 678,Đoàn viên,26/03/2019,12\n"
        ))
        .unwrap();
        assert_eq!(
            rows,
            vec![RosterRow {
                line: 2,
                full_name: "Nguyễn Thị Ánh Dương".into(),
                birth_date: ymd(2001, 1, 20),
                phone: ph("0912345678"),
                categories: vec![Category::Member],
                admitted_on: ymd(2019, 3, 26),
                unit: Some(UnitRef::Id(12)),
            }]
        );
    }

    #[test]
    fn semicolons_a_bom_and_title_rows_are_understood() {
        let text = "\u{feff}DANH SÁCH ĐOÀN VIÊN;;;\nChi đoàn Thanh niên phường 1;;;\n;;;\nHọ và tên;Đối tượng;Đơn vị;Ghi chú\nTrần Văn An;thanh niên;Chi đoàn 1, khu 2;x\n";
        let rows = csv(text).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 5);
        assert_eq!(rows[0].full_name, "Trần Văn An");
        assert_eq!(rows[0].categories, vec![Category::Youth]);
        assert_eq!(
            rows[0].unit,
            Some(UnitRef::Name("Chi đoàn 1, khu 2".into()))
        );
        assert_eq!(rows[0].phone, None);
        assert_eq!(rows[0].birth_date, None);
    }

    #[test]
    fn the_delimiter_is_the_one_that_splits_the_header() {
        let text = "Danh sách họ và tên, ngày sinh của đoàn viên, năm 2025\nHọ và tên;Đối tượng\r\nLê Thị Hoa;đoàn viên, thanh niên\r\n";
        let rows = csv(text).unwrap();
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].categories, vec![Category::Member, Category::Youth]);
    }

    #[test]
    fn tabs_are_a_delimiter_too() {
        let rows = csv("Họ và tên\tĐối tượng\nLê Thị Hoa\thội viên\n").unwrap();
        assert_eq!(rows[0].categories, vec![Category::AssociationMember]);
    }

    #[test]
    fn more_than_ten_title_rows_hide_the_header() {
        let text = format!(
            "{}Họ và tên,Đối tượng\nLê Thị Hoa,hội viên\n",
            "Tiêu đề\n".repeat(11)
        );
        let e = csv(&text).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("Họ và tên"), "{e:?}");
    }

    #[test]
    fn header_variants_case_and_diacritics_do_not_matter() {
        let text = "ho ten , SĐT,DOI TUONG,  ngày   vào Đoàn ,Ngay sinh (*),don vi\nLê Thị Hoa,0912345678,Đoàn viên mới kết nạp,01/09/2024,1/2/2008,\n";
        let rows = csv(text).unwrap();
        assert_eq!(rows[0].phone, ph("0912345678"));
        assert_eq!(rows[0].categories, vec![Category::NewMember]);
        assert_eq!(rows[0].admitted_on, ymd(2024, 9, 1));
        assert_eq!(rows[0].birth_date, ymd(2008, 2, 1));
        assert_eq!(rows[0].unit, None);
        let rows =
            csv("Họ và tên,Điện thoại,Đối tượng\nLê Thị Hoa,0912345678,thanh niên\n").unwrap();
        assert_eq!(rows[0].phone, ph("0912345678"));
    }

    #[test]
    fn dates_of_each_form() {
        for (text, want) in [
            ("20/01/2001", ymd(2001, 1, 20)),
            ("5/1/2001", ymd(2001, 1, 5)),
            ("20-01-2001", ymd(2001, 1, 20)),
            ("20.01.2001", ymd(2001, 1, 20)),
            ("2001-01-20", ymd(2001, 1, 20)),
            ("", None),
        ] {
            let rows = csv(&format!(
                "Họ và tên,Ngày sinh,Đối tượng\nLê Thị Hoa,{text},thanh niên\n"
            ))
            .unwrap();
            assert_eq!(rows[0].birth_date, want, "{text}");
        }
    }

    #[test]
    fn a_bad_date_is_named_with_its_column() {
        let e = csv("STT,Họ và tên,Ngày sinh,Đối tượng\n1,Lê Thị Hoa,31/02/2001,thanh niên\n")
            .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].line, e[0].column), (2, 3));
        assert_eq!(
            e[0].message,
            "Cột «Ngày sinh»: ngày không hợp lệ «31/02/2001» (dùng dd/mm/yyyy)"
        );
        for bad in [
            "2001/01/20",
            "20/01/01",
            "hôm qua",
            "20/01-2001",
            "1/1/1899",
            "1/1/2101",
        ] {
            let r = csv(&format!(
                "Họ và tên,Ngày kết nạp,Đối tượng\nLê Thị Hoa,{bad},thanh niên\n"
            ));
            let e = r.unwrap_err();
            assert!(
                e[0].message.starts_with("Cột «Ngày kết nạp»"),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn several_categories_are_deduped_and_ordered() {
        for (text, want) in [
            (
                "thanh niên, đoàn viên",
                vec![Category::Member, Category::Youth],
            ),
            (
                "Đoàn viên; Hội viên; đoàn viên",
                vec![Category::Member, Category::AssociationMember],
            ),
            ("thiếu niên / nhi đồng + đội viên", vec![Category::Child]),
            (
                "\"Cán bộ Đoàn, Hội, Đội; đoàn viên\"",
                vec![Category::Cadre, Category::Member],
            ),
            ("cán bộ đoàn", vec![Category::Cadre]),
            ("ĐOÀN VIÊN MỚI", vec![Category::NewMember]),
        ] {
            let text = format!("\"{}\"", text.trim_matches('"'));
            let rows = csv(&format!("Họ và tên,Đối tượng\nLê Thị Hoa,{text}\n")).unwrap();
            assert_eq!(rows[0].categories, want, "{text}");
        }
    }

    #[test]
    fn an_unknown_category_is_named_with_the_allowed_words() {
        let e = csv("Họ và tên,Đối tượng\nLê Thị Hoa,\"đoàn viên, bí thư\"\n").unwrap_err();
        assert_eq!((e[0].line, e[0].column), (2, 2));
        assert!(e[0].message.contains("«bí thư»"), "{e:?}");
        assert!(e[0].message.contains("thanh niên"), "{e:?}");
        // "Hội" alone is no category: only right after "cán bộ …" it belongs to the title.
        assert!(csv("Họ và tên,Đối tượng\nLê Thị Hoa,\"đoàn viên, Hội\"\n").is_err());
        let e = csv("Họ và tên,Đối tượng,Đơn vị\nLê Thị Hoa,,Chi đoàn 3\n").unwrap_err();
        assert!(e[0].message.contains("ít nhất một"), "{e:?}");
    }

    #[test]
    fn a_phone_given_twice_names_the_first_line() {
        let e = csv(
            "Họ và tên,Số điện thoại,Đối tượng\nLê Thị Hoa,0912345678,thanh niên\n\nTrần An,+84 912 345 678,thanh niên\n",
        )
        .unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].line, e[0].column), (4, 2));
        assert!(e[0].message.contains("dòng 2"), "{e:?}");
    }

    #[test]
    fn a_bad_phone_a_bad_name_and_a_hidden_character_are_all_reported() {
        let e = csv(
            "Họ và tên,Số điện thoại,Đối tượng\nLê Thị Hoa,12345,thanh niên\nX,,thanh niên\nLê\u{200b}An,,thanh niên\n,0912345678,thanh niên\n",
        )
        .unwrap_err();
        let at: Vec<(usize, usize)> = e.iter().map(|e| (e.line, e.column)).collect();
        assert_eq!(at, vec![(2, 2), (3, 1), (4, 1), (5, 1)], "{e:?}");
        assert!(
            e[0].message.starts_with("Cột «Số điện thoại»: «12345»"),
            "{e:?}"
        );
        assert!(e[2].message.contains("U+200B"), "{e:?}");
        assert!(e[3].message.contains("thiếu họ và tên"), "{e:?}");
    }

    #[test]
    fn a_missing_required_header_is_one_error_at_the_header_line() {
        let e = csv("Tiêu đề\nHọ và tên,Ngày sinh\nLê Thị Hoa,01/01/2000\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].line, e[0].column), (2, 0));
        assert!(e[0].message.contains("«Đối tượng»"), "{e:?}");
        let e = csv("Tên,Đối tượng\nLê Thị Hoa,thanh niên\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("«Họ và tên»"), "{e:?}");
    }

    #[test]
    fn units_are_ids_or_names() {
        let rows =
            csv("Họ và tên,Đối tượng,Đơn vị\nLê Thị Hoa,thanh niên,  Chi   đoàn  5 \nTrần An,thanh niên,007\n")
                .unwrap();
        assert_eq!(rows[0].unit, Some(UnitRef::Name("Chi đoàn 5".into())));
        assert_eq!(rows[1].unit, Some(UnitRef::Id(7)));
        assert!(csv("Họ và tên,Đối tượng,Đơn vị\nLê Thị Hoa,thanh niên,99999999999\n").is_err());
    }

    #[test]
    fn empty_rows_and_numbered_template_rows_are_skipped() {
        let rows =
            csv("STT,Họ và tên,Đối tượng\n1,Lê Thị Hoa,thanh niên\n,,\n2,,\n3, , \n").unwrap();
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn a_csv_not_in_utf8_says_how_to_save_it() {
        let bytes = b"H\xe7 v\xe0 t\xean,\xd0\xf4i t\xfd\xfdng\n";
        let e = parse("ds.csv", bytes).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("CSV UTF-8"), "{e:?}");
    }

    #[test]
    fn formats_come_from_the_file_name() {
        assert_eq!(RosterFormat::of("A.CSV"), Some(RosterFormat::Csv));
        assert_eq!(RosterFormat::of("a.xlsx"), Some(RosterFormat::Xlsx));
        assert_eq!(RosterFormat::of("a.xlsm"), Some(RosterFormat::Xlsx));
        assert_eq!(RosterFormat::of("a.xls"), None);
        for name in ["cu.xls", "cu.ods"] {
            let e = parse(name, b"whatever").unwrap_err();
            assert!(e[0].message.contains(".xlsx"), "{e:?}");
        }
        assert!(parse("ds.pdf", b"x").is_err());
    }

    #[test]
    fn limits_are_enforced() {
        let big = vec![b'a'; MAX_ROSTER_BYTES + 1];
        let e = parse("lon.csv", &big).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].message.contains("quá lớn"), "{e:?}");

        let mut text = String::from("Họ và tên,Đối tượng\n");
        for _ in 0..=MAX_ROSTER_ROWS {
            text.push_str("Lê Thị Hoa,thanh niên\n");
        }
        let e = csv(&text).unwrap_err();
        assert!(e[0].message.contains("quá nhiều dòng"), "{e:?}");

        let wide = format!("Họ và tên,Đối tượng{}\n", ",x".repeat(MAX_ROSTER_COLUMNS));
        assert!(csv(&wide).is_err());

        let long = format!(
            "Họ và tên,Đối tượng,Đơn vị\nLê Thị Hoa,thanh niên,{}\n",
            "a".repeat(1025)
        );
        let e = csv(&long).unwrap_err();
        assert!(e[0].message.contains("1024"), "{e:?}");
    }

    #[test]
    fn headers_fold_without_case_or_diacritics() {
        assert_eq!(fold("  Số  ĐIỆN thoại (*) "), "so dien thoai");
        assert_eq!(fold("Đơn vị"), fold("DON VI"));
        // Decomposed input folds like composed input.
        assert_eq!(fold("Ho\u{323} va\u{300} te\u{302}n"), "ho va ten");
    }

    /// A workbook whose first sheet holds a title, the header on row 3, and two people with a
    /// date cell, a serial number, numeric phones and a numeric unit id.
    fn roster_workbook() -> Vec<u8> {
        use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet();
        let date = Format::new().set_num_format("dd/mm/yyyy");
        sheet.write_string(0, 1, "DANH SÁCH ĐOÀN VIÊN").unwrap();
        for (c, h) in [
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "SĐT",
            "Đối tượng",
            "Ngày kết nạp",
            "Đơn vị",
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(2, c as u16 + 1, *h).unwrap();
        }
        sheet.write_number(3, 1, 1).unwrap();
        sheet.write_string(3, 2, "Nguyễn Văn An").unwrap();
        let born = ExcelDateTime::from_ymd(2001, 1, 20).unwrap();
        sheet
            .write_datetime_with_format(3, 3, &born, &date)
            .unwrap();
        sheet.write_number(3, 4, 912_345_678).unwrap();
        sheet.write_string(3, 5, "Đoàn viên, Cán bộ").unwrap();
        sheet.write_number(3, 6, 43_550).unwrap(); // 26/03/2019 as a plain serial
        sheet.write_number(3, 7, 12).unwrap();
        sheet.write_number(4, 1, 2).unwrap();
        sheet.write_string(4, 2, "Lê Thị Hoa").unwrap();
        sheet.write_string(4, 3, "05/06/2007").unwrap();
        sheet.write_number(4, 4, 84_987_654_321_f64).unwrap();
        sheet.write_string(4, 5, "thiếu nhi").unwrap();
        sheet.write_string(4, 7, "Liên đội Kim Đồng").unwrap();
        wb.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_reads_date_cells_serials_and_numeric_phones() {
        let rows = parse("ds.xlsx", &roster_workbook()).unwrap();
        assert_eq!(
            rows,
            vec![
                RosterRow {
                    line: 4,
                    full_name: "Nguyễn Văn An".into(),
                    birth_date: ymd(2001, 1, 20),
                    phone: ph("0912345678"),
                    categories: vec![Category::Cadre, Category::Member],
                    admitted_on: ymd(2019, 3, 26),
                    unit: Some(UnitRef::Id(12)),
                },
                RosterRow {
                    line: 5,
                    full_name: "Lê Thị Hoa".into(),
                    birth_date: ymd(2007, 6, 5),
                    phone: ph("0987654321"),
                    categories: vec![Category::Child],
                    admitted_on: None,
                    unit: Some(UnitRef::Name("Liên đội Kim Đồng".into())),
                },
            ]
        );
    }

    #[test]
    fn workbook_errors_carry_sheet_rows_and_columns() {
        use rust_xlsxwriter::Workbook;
        let mut wb = Workbook::new();
        let sheet = wb.add_worksheet();
        sheet.write_string(1, 2, "Họ và tên").unwrap();
        sheet.write_string(1, 3, "Ngày sinh").unwrap();
        sheet.write_string(1, 4, "Đối tượng").unwrap();
        sheet.write_string(2, 2, "Lê Thị Hoa").unwrap();
        sheet.write_number(2, 3, 1_000_000).unwrap(); // year 4637
        sheet.write_string(2, 4, "thanh niên").unwrap();
        let e = parse("ds.xlsx", &wb.save_to_buffer().unwrap()).unwrap_err();
        assert_eq!((e[0].line, e[0].column), (3, 4), "{e:?}");
        assert!(e[0].message.contains("1900 đến 2100"), "{e:?}");
    }

    #[test]
    fn a_sheet_beyond_the_caps_or_not_a_workbook_is_refused() {
        let bytes =
            crate::domain::banks::xlsx::tests::workbook(&[(0, 0, "Họ và tên"), (30_000, 0, "x")]);
        let e = parse("lon.xlsx", &bytes).unwrap_err();
        assert!(e[0].message.contains("quá lớn"), "{e:?}");
        let e = parse("x.xlsx", b"not a zip").unwrap_err();
        assert!(e[0].message.contains("Excel"), "{e:?}");
    }

    #[test]
    fn serials_follow_the_1900_system() {
        assert_eq!(serial_date(1.0), ymd(1900, 1, 1));
        assert_eq!(serial_date(59.0), ymd(1900, 2, 28));
        assert_eq!(serial_date(60.0), None);
        assert_eq!(serial_date(61.0), ymd(1900, 3, 1));
        assert_eq!(serial_date(36_911.75), ymd(2001, 1, 20));
        assert_eq!(serial_date(f64::NAN), None);
        assert_eq!(serial_date(-3.0), None);
        assert_eq!(serial_date(1e300), None);
    }
}
