//! XLSX: one worksheet per table. Text is always written as a string cell, never as a
//! formula, so nothing a user typed is evaluated.

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};

use super::{Cell, MISSING, ReportError, Table, check_limits, judged};

/// Excel's limit on a sheet name, in characters.
const SHEET_NAME_MAX: usize = 31;
/// Excel's limit on the text of one cell, in characters.
const CELL_TEXT_MAX: usize = 32_767;

/// The tables as a workbook: per sheet the title (bold), the subtitle lines, a blank row,
/// the bold header row (frozen, with an autofilter) and the rows; integers as `#,##0`,
/// rates as 0–1 numbers shown `0.0%`, dates as date cells shown `dd/mm/yyyy`.
///
/// Fails with [`ReportError::TooLarge`] beyond the limits, or when rust_xlsxwriter refuses
/// a value (it should not: names and texts are made to fit).
pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    check_limits(tables)?;
    let formats = Formats::new();
    let mut wb = Workbook::new();
    let mut names: Vec<String> = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        let name = sheet_name(&table.title, i, &names);
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        names.push(name);
        sheet(ws, table, &formats)?;
    }
    if tables.is_empty() {
        wb.add_worksheet();
    }
    Ok(wb.save_to_buffer()?)
}

struct Formats {
    title: Format,
    header: Format,
    int: Format,
    rate: Format,
    date: Format,
    missing: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            title: Format::new().set_bold().set_font_size(13),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter),
            int: Format::new().set_num_format("#,##0"),
            rate: Format::new().set_num_format("0.0%"),
            date: Format::new().set_num_format("dd/mm/yyyy"),
            missing: Format::new().set_align(FormatAlign::Center),
        }
    }
}

fn sheet(ws: &mut Worksheet, table: &Table, f: &Formats) -> Result<(), ReportError> {
    ws.write_string_with_format(0, 0, fit(&table.title), &f.title)?;
    let mut row: u32 = 1;
    for line in &table.subtitle {
        ws.write_string(row, 0, fit(line))?;
        row += 1;
    }
    let header = row + 1;
    for (c, col) in table.columns.iter().enumerate() {
        let c = column(c)?;
        ws.write_string_with_format(header, c, fit(&col.header), &f.header)?;
        if col.width.is_finite() && col.width > 0.0 {
            ws.set_column_width(c, col.width.min(255.0))?;
        }
    }
    for (r, cells) in table.rows.iter().enumerate() {
        let r = header + 1 + u32::try_from(r).map_err(|_| too_many("rows"))?;
        for (c, cell) in cells.iter().enumerate() {
            let c = column(c)?;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, fit(s))?;
                }
                Cell::Int(n) => {
                    ws.write_number_with_format(r, c, *n as f64, &f.int)?;
                }
                Cell::Rate(Some(x)) if x.is_finite() => {
                    ws.write_number_with_format(r, c, *x, &f.rate)?;
                }
                Cell::Number(Some(x)) if x.is_finite() => {
                    ws.write_number(r, c, *x)?;
                }
                Cell::Rate(_) | Cell::Number(_) => {
                    ws.write_string_with_format(r, c, MISSING, &f.missing)?;
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    // Excel's calendar starts in 1900; an earlier date stays text.
                    match (
                        u16::try_from(d.year()),
                        u8::try_from(d.month()),
                        u8::try_from(d.day()),
                    ) {
                        (Ok(y), Ok(m), Ok(day)) if (1900..=9999).contains(&y) => {
                            let dt = ExcelDateTime::from_ymd(y, m, day)?;
                            ws.write_datetime_with_format(r, c, &dt, &f.date)?;
                        }
                        _ => {
                            ws.write_string(r, c, super::date_text(*d))?;
                        }
                    }
                }
                Cell::Bool(b) => {
                    ws.write_string(r, c, judged(*b))?;
                }
            }
        }
    }
    let last_row = header + u32::try_from(table.rows.len()).map_err(|_| too_many("rows"))?;
    if !table.columns.is_empty() {
        let last_col = column(table.columns.len() - 1)?;
        ws.set_freeze_panes(header + 1, 0)?;
        ws.autofilter(header, 0, last_row, last_col)?;
    }
    Ok(())
}

fn column(c: usize) -> Result<u16, ReportError> {
    u16::try_from(c).map_err(|_| too_many("columns"))
}

fn too_many(what: &str) -> ReportError {
    ReportError::TooLarge(format!("too many {what} for a worksheet"))
}

/// Text cut to what a cell holds.
fn fit(s: &str) -> &str {
    match s.char_indices().nth(CELL_TEXT_MAX) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// A valid, unique sheet name from a table's title: the characters Excel forbids
/// (`[]:*?/\`) become spaces, at most 31 UTF-16 units, no leading or trailing `'`, not
/// "History" (reserved), and a ` (2)`-style suffix when an earlier sheet (compared without
/// case, as Excel does) has the name. An empty title gives "Bảng n".
fn sheet_name(title: &str, index: usize, taken: &[String]) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = cleaned.trim_matches('\'').trim().to_owned();
    let base = if cleaned.is_empty() || cleaned.eq_ignore_ascii_case("history") {
        format!("Bảng {}", index + 1)
    } else {
        cleaned
    };
    let clash = |name: &str| {
        taken
            .iter()
            .any(|t| t.to_lowercase() == name.to_lowercase())
    };
    // Excel counts UTF-16 units.
    let cut = |s: &str, n: usize| -> String {
        let mut units = 0;
        let t: String = s
            .chars()
            .take_while(|c| {
                units += c.len_utf16();
                units <= n
            })
            .collect();
        t.trim_end().trim_end_matches('\'').to_owned()
    };
    let first = cut(&base, SHEET_NAME_MAX);
    if !clash(&first) {
        return first;
    }
    (2..)
        .map(|n| {
            let suffix = format!(" ({n})");
            format!("{}{suffix}", cut(&base, SHEET_NAME_MAX - suffix.len()))
        })
        .find(|name| !clash(name))
        .unwrap_or_else(|| format!("Bảng {}", index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        for title in [
            "Chỉ tiêu 2.3 theo đơn vị: [tỉnh]/huyện*?\\",
            "Chỉ tiêu 2.3 theo đơn vị: [tỉnh]/huyện*?\\",
            "'History'",
            "",
            "Kết quả thực hiện các chỉ tiêu năm 2026 của Tỉnh đoàn An Giang",
            "Kết quả thực hiện các chỉ tiêu năm 2026 của Tỉnh đoàn An Giang",
            "𐀀𐀀¡0𐀀𐀀aa¡ 𐀀\u{b}𐀀AaA \u{66238}ȺȺ¥^\u{6}�{",
        ] {
            let name = sheet_name(title, taken.len(), &taken);
            assert!(
                !name.is_empty() && name.encode_utf16().count() <= 31,
                "{name}"
            );
            assert!(
                !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
                "{name}"
            );
            assert!(!name.starts_with('\'') && !name.ends_with('\''), "{name}");
            assert!(
                !taken
                    .iter()
                    .any(|t: &String| t.to_lowercase() == name.to_lowercase())
            );
            taken.push(name);
        }
        assert_eq!(taken[2], "Bảng 3");
        assert!(taken[5].ends_with(" (2)"), "{}", taken[5]);
    }
}
