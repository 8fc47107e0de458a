//! Exports of statistics tables and of the yearly indicator report, rendered into memory:
//! CSV, XLSX and PDF bytes. Nothing here reads a database or touches a file; callers build
//! [`Table`]s (or hand over a [`Report`]) and send the bytes. Rendering is CPU work: callers
//! run it on the blocking pool.
//!
//! How each format shows a cell:
//!
//! | cell            | CSV                         | XLSX                         | PDF              |
//! |-----------------|-----------------------------|------------------------------|------------------|
//! | `Int`           | `1234`                      | number, `#,##0`              | `1.234`          |
//! | `Rate`          | `0.8000` (share 0–1, `.`)   | number 0–1, `0.0%`           | `80,0%`          |
//! | `Number`        | `2.5`                       | number                       | `2,5`            |
//! | `Date`          | `dd/mm/yyyy`                | date cell, `dd/mm/yyyy`      | `dd/mm/yyyy`     |
//! | `Bool`          | `Đạt` / `Chưa đạt`          | same text                    | same text        |
//! | missing (None)  | empty                       | `—`                          | `—`              |
//!
//! CSV keeps rates as plain shares so any program reads them back as numbers whatever its
//! locale's percent handling; a CSV column holding only rates gets ` (0–1)` after its header
//! so a reader knows. The PDF follows Vietnamese writing: `,` before decimals, `.` between
//! thousands.

mod pdf;
mod sample;
mod xlsx;

use chrono::NaiveDate;

use crate::domain::indicators::report::{Kind, Report};

pub use pdf::{indicator_pdf, table_pdf};
pub use sample::example;
pub use xlsx::xlsx;

/// The most data rows all tables of one export may hold together; callers paginate beyond.
pub const MAX_ROWS: usize = 100_000;
/// The most columns one table may have.
pub const MAX_COLUMNS: usize = 100;
/// The most tables (worksheets) in one export.
pub const MAX_TABLES: usize = 500;

#[derive(thiserror::Error, Debug)]
pub enum ReportError {
    /// More rows, columns or tables than an export holds (see [`MAX_ROWS`] and friends).
    #[error("the export is too large: {0}")]
    TooLarge(String),
    /// The bundled fonts could not be parsed (a broken build, not bad input).
    #[error("the bundled fonts could not be parsed")]
    Font,
    #[error("the CSV could not be written: {0}")]
    Csv(#[from] csv::Error),
    #[error("the XLSX could not be written: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// An export format, as named in a `?format=` query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Pdf,
}

impl Format {
    /// `csv`, `xlsx` or `pdf` (any case); anything else is `None`.
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "pdf" => Some(Format::Pdf),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Pdf => "application/pdf",
        }
    }

    /// Without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Pdf => "pdf",
        }
    }
}

/// One cell of a table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A share, 0–1; shown as a percent with one decimal, `—` when `None`.
    Rate(Option<f64>),
    Number(Option<f64>),
    Date(NaiveDate),
    /// Met or not: `Đạt` / `Chưa đạt`, `—` when there is nothing to judge.
    Bool(Option<bool>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub header: String,
    /// In XLSX characters; the PDF shares the page width out in the same proportions.
    pub width: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub title: String,
    /// Lines under the title, like "Đơn vị: …", "Năm: 2026".
    pub subtitle: Vec<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// Refuses exports beyond [`MAX_ROWS`], [`MAX_COLUMNS`] and [`MAX_TABLES`].
fn check_limits(tables: &[Table]) -> Result<(), ReportError> {
    if tables.len() > MAX_TABLES {
        return Err(ReportError::TooLarge(format!("{} tables", tables.len())));
    }
    let rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    if rows > MAX_ROWS {
        return Err(ReportError::TooLarge(format!("{rows} rows")));
    }
    for t in tables {
        let widest = t.rows.iter().map(Vec::len).max().unwrap_or(0);
        let columns = t.columns.len().max(widest);
        if columns > MAX_COLUMNS {
            return Err(ReportError::TooLarge(format!("{columns} columns")));
        }
    }
    Ok(())
}

const MISSING: &str = "—";
const MET: &str = "Đạt";
const NOT_MET: &str = "Chưa đạt";

fn judged(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => MET,
        Some(false) => NOT_MET,
        None => MISSING,
    }
}

fn date_text(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A finite number without float noise: integers bare, others with at most 4 decimals.
fn plain(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let s = format!("{n:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Vietnamese digits: `.` between thousands, `,` before decimals.
fn vi_number(n: f64, decimals: usize) -> String {
    if !n.is_finite() {
        return MISSING.to_owned();
    }
    let s = format!("{:.*}", decimals, n.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3 + 4);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if n < 0.0 && s.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// `80,0%`, as printed in the PDF.
fn vi_percent(rate: f64) -> String {
    if !rate.is_finite() {
        return MISSING.to_owned();
    }
    format!("{:.1}%", rate * 100.0).replace('.', ",")
}

/// How a cell reads on paper (PDF).
fn display(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => vi_number(*n as f64, 0),
        Cell::Rate(Some(r)) => vi_percent(*r),
        Cell::Number(Some(n)) => vi_number(*n, 2),
        Cell::Rate(None) | Cell::Number(None) => MISSING.to_owned(),
        Cell::Date(d) => date_text(*d),
        Cell::Bool(b) => judged(*b).to_owned(),
    }
}

/// CSV of the tables, UTF-8 with a byte-order mark (so Excel reads Vietnamese right), CRLF
/// line ends. Each table is its title line, its subtitle lines (one cell each), one header
/// line and its rows; a blank line separates tables. Cells read as the module table says;
/// text that a spreadsheet would run as a formula gets a leading `'`.
///
/// Fails with [`ReportError::TooLarge`] beyond the limits; writing into memory does not fail
/// otherwise.
pub fn csv(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    check_limits(tables)?;
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(&csv_table(table)?);
    }
    Ok(bytes)
}

fn csv_table(table: &Table) -> Result<Vec<u8>, ReportError> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    out.write_record([crate::export::guard(&table.title).as_ref()])?;
    for line in &table.subtitle {
        out.write_record([crate::export::guard(line).as_ref()])?;
    }
    let headers = table.columns.iter().enumerate().map(|(c, col)| {
        let only_rates = table
            .rows
            .iter()
            .any(|r| matches!(r.get(c), Some(Cell::Rate(_))))
            && table
                .rows
                .iter()
                .all(|r| matches!(r.get(c), Some(Cell::Rate(_)) | None));
        let header = if only_rates {
            format!("{} (0–1)", col.header)
        } else {
            col.header.clone()
        };
        crate::export::guard(&header).into_owned()
    });
    out.write_record(headers)?;
    for row in &table.rows {
        out.write_record(row.iter().map(csv_cell))?;
    }
    out.into_inner()
        .map_err(|e| ReportError::Csv(csv::Error::from(e.into_error())))
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => crate::export::guard(s).into_owned(),
        Cell::Int(n) => n.to_string(),
        Cell::Rate(Some(r)) if r.is_finite() => format!("{r:.4}"),
        Cell::Number(Some(n)) if n.is_finite() => plain(*n),
        Cell::Rate(_) | Cell::Number(_) => String::new(),
        Cell::Date(d) => date_text(*d),
        Cell::Bool(Some(b)) => judged(Some(*b)).to_owned(),
        Cell::Bool(None) => String::new(),
    }
}

/// A figure of a row: a share for `rate` indicators, the number itself for `count` ones.
fn figure(kind: Kind, value: Option<f64>) -> Cell {
    match kind {
        Kind::Rate => Cell::Rate(value),
        Kind::Count => Cell::Number(value),
    }
}

fn count_or_blank(kind: Kind, n: u64) -> Cell {
    match kind {
        Kind::Rate => Cell::Int(i64::try_from(n).unwrap_or(i64::MAX)),
        Kind::Count => Cell::Text(String::new()),
    }
}

/// The lines under a report's title: unit, year and phase, period, date made.
fn report_subtitle(r: &Report) -> Vec<String> {
    let p = &r.period;
    vec![
        format!("Đơn vị: {}", r.unit_name),
        format!("Năm: {} — Giai đoạn: {}", r.year, r.phase_title),
        format!(
            "Kỳ báo cáo: từ {} đến {}; số liệu đoàn viên tính đến {}",
            date_text(p.from),
            date_text(p.to),
            date_text(p.cutoff)
        ),
        format!("Ngày lập: {}", date_text(generated_on(r))),
    ]
}

/// The day the report was made, on Viet Nam's calendar (UTC+7, no daylight saving).
fn generated_on(r: &Report) -> NaiveDate {
    (r.generated_at + chrono::Duration::hours(7)).date_naive()
}

/// The report as tables: one summary (every indicator's groups) and one per indicator with
/// child units. `count` indicators show their numbers in the rate and target columns, and
/// nothing under "Tổng số". Feed the result to [`csv`] or [`xlsx`].
pub fn indicator_tables(report: &Report) -> Vec<Table> {
    let col = |header: &str, width: f64| Column {
        header: header.to_owned(),
        width,
    };
    let subtitle = report_subtitle(report);
    let mut summary = Table {
        title: format!("Kết quả thực hiện các chỉ tiêu năm {}", report.year),
        subtitle: subtitle.clone(),
        columns: vec![
            col("Mã", 6.0),
            col("Chỉ tiêu", 48.0),
            col("Nhóm", 22.0),
            col("Đạt được", 11.0),
            col("Tổng số", 11.0),
            col("Tỷ lệ", 9.0),
            col("Chỉ tiêu", 9.0),
            col("Đánh giá", 10.0),
        ],
        rows: Vec::new(),
    };
    let mut tables = Vec::new();
    for ind in &report.indicators {
        for g in &ind.groups {
            summary.rows.push(vec![
                Cell::Text(ind.code.clone()),
                Cell::Text(ind.title.clone()),
                Cell::Text(g.title.clone()),
                match ind.kind {
                    Kind::Rate => Cell::Int(i64::try_from(g.numerator).unwrap_or(i64::MAX)),
                    Kind::Count => Cell::Text(String::new()),
                },
                count_or_blank(ind.kind, g.denominator),
                figure(ind.kind, g.rate),
                figure(ind.kind, Some(g.target)),
                Cell::Bool(g.met),
            ]);
        }
        if ind.children.is_empty() {
            continue;
        }
        let mut sub = subtitle.clone();
        sub.push(format!("Chỉ tiêu {}: {}", ind.code, ind.title));
        tables.push(Table {
            title: format!("Chỉ tiêu {} theo đơn vị", ind.code),
            subtitle: sub,
            columns: vec![
                col("Mã", 6.0),
                col("Đơn vị", 36.0),
                col("Đạt được", 11.0),
                col("Tổng số", 11.0),
                col("Tỷ lệ", 9.0),
                col("Chỉ tiêu", 9.0),
                col("Đánh giá", 10.0),
            ],
            rows: ind
                .children
                .iter()
                .map(|c| {
                    vec![
                        Cell::Text(ind.code.clone()),
                        Cell::Text(c.unit_name.clone()),
                        match ind.kind {
                            Kind::Rate => Cell::Int(i64::try_from(c.numerator).unwrap_or(i64::MAX)),
                            Kind::Count => Cell::Text(String::new()),
                        },
                        count_or_blank(ind.kind, c.denominator),
                        figure(ind.kind, c.rate),
                        figure(ind.kind, Some(c.target)),
                        Cell::Bool(c.met),
                    ]
                })
                .collect(),
        });
    }
    tables.insert(0, summary);
    tables
}

#[cfg(test)]
mod tests;
