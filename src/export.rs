//! Tabular exports: CSV (UTF-8 with a BOM, so spreadsheet programs show Vietnamese right) and
//! XLSX.
//!
//! Phones (`+84912345678`, `0912…`), codes and ids only look like numbers: as numbers a
//! spreadsheet drops the `+` and the leading zero and shows long ones in scientific notation.
//! So XLSX cells are text unless they are plainly a number that reads back the same (see
//! [`plain_number`]), and a text cell that starts like a formula is guarded in CSV, because
//! people open these files in spreadsheet programs.

use anyhow::Context;
use rust_xlsxwriter::{Format, Workbook};

/// Whether a spreadsheet program would read the cell as a formula (or DDE command): it starts
/// with `=`, `+`, `-`, `@`, a tab or a carriage return.
fn looks_like_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// The cell as it is safe to hand to a spreadsheet: formula-like text gets a leading `'`
/// (OWASP's guard against CSV injection). Phones keep their `+` behind the quote.
pub fn guard(cell: &str) -> std::borrow::Cow<'_, str> {
    if looks_like_formula(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// RFC 4180 CSV (CRLF line ends, quotes only where needed), written by the `csv` crate. Every
/// cell is text: phones and codes keep their `+` and leading zeros. Cells that a spreadsheet
/// would run as a formula are prefixed with `'`. Rows may differ in length.
///
/// Fails only if the writer does, which writing into memory does not.
pub fn csv(rows: &[Vec<String>]) -> anyhow::Result<String> {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer("\u{feff}".as_bytes().to_vec());
    for row in rows {
        out.write_record(row.iter().map(|c| guard(c).into_owned()))?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    Ok(String::from_utf8(bytes)?)
}

/// A cell that is plainly a number and comes back unchanged from a spreadsheet: an optional
/// `-`, digits without a leading zero (or a single `0`), at most 15 of them (a double's exact
/// digits), an optional decimal part. `+84…`, `0912…`, `1e5` and 20-digit ids are not.
fn plain_number(cell: &str) -> Option<f64> {
    let body = cell.strip_prefix('-').unwrap_or(cell);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let ok = !int.is_empty()
        && digits(int)
        && digits(frac)
        && (int == "0" || !int.starts_with('0'))
        && (!body.contains('.') || !frac.is_empty())
        && int.len() + frac.len() <= 15;
    if ok { cell.parse().ok() } else { None }
}

/// One sheet, the first row bold; plain numbers as numbers, everything else as text (see the
/// module comment). XLSX text cells are never evaluated, so they need no `'` guard.
pub fn xlsx(sheet: &str, rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).context("sheet name")?;
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let r = u32::try_from(r).context("too many rows")?;
            let c = u16::try_from(c).context("too many columns")?;
            if r == 0 {
                ws.write_string_with_format(r, c, cell, &bold)?;
            } else if let Some(n) = plain_number(cell) {
                ws.write_number(r, c, n)?;
            } else {
                ws.write_string(r, c, cell)?;
            }
        }
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_quotes_and_neutralises_formulas() {
        let rows = vec![
            vec!["Họ và tên".into(), "Ghi chú".into()],
            vec!["Nguyễn Văn An".into(), "=1+1, \"x\"".into()],
        ];
        assert_eq!(
            super::csv(&rows).unwrap(),
            "\u{feff}Họ và tên,Ghi chú\r\nNguyễn Văn An,\"'=1+1, \"\"x\"\"\"\r\n"
        );
    }

    #[test]
    fn only_plain_numbers_become_xlsx_numbers() {
        for text in [
            "+84912345678",
            "0912345678",
            "1e5",
            "12345678901234567890",
            "-",
            "1.",
            ".5",
            "00",
            "inf",
            "NaN",
            "0x10",
            "",
        ] {
            assert_eq!(super::plain_number(text), None, "{text}");
        }
        for (n, v) in [
            ("0", 0.0),
            ("12", 12.0),
            ("-3", -3.0),
            ("12.500", 12.5),
            ("0.25", 0.25),
        ] {
            assert_eq!(super::plain_number(n), Some(v), "{n}");
        }
    }

    #[test]
    fn csv_guards_every_formula_start_even_when_it_parses_as_a_number() {
        let rows = vec![vec![
            "+84912345678".into(),
            "-1".into(),
            "@SUM(A1)".into(),
            "\tx".into(),
            "\r=1".into(),
            "0912345678".into(),
            "10".into(),
        ]];
        assert_eq!(
            super::csv(&rows).unwrap(),
            "\u{feff}'+84912345678,'-1,'@SUM(A1),'\tx,\"'\r=1\",0912345678,10\r\n"
        );
    }
}
