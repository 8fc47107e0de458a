//! Tabular exports: CSV (UTF-8 with a BOM, so spreadsheet programs show Vietnamese right) and
//! XLSX.

use anyhow::Context;
use rust_xlsxwriter::{Format, Workbook};

/// RFC 4180 CSV. Cells that a spreadsheet would run as a formula are prefixed with `'`.
pub fn csv(rows: &[Vec<String>]) -> String {
    let mut out = String::from('\u{feff}');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| {
                let c = if c.starts_with(['=', '+', '-', '@']) && c.parse::<f64>().is_err() {
                    format!("'{c}")
                } else {
                    c.clone()
                };
                if c.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One sheet, the first row bold. Numbers stay numbers.
pub fn xlsx(sheet: &str, rows: &[Vec<String>]) -> anyhow::Result<Vec<u8>> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).context("sheet name")?;
    let bold = Format::new().set_bold();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            if r == 0 {
                ws.write_string_with_format(r, c, cell, &bold)?;
            } else if let Ok(n) = cell.parse::<f64>() {
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
            super::csv(&rows),
            "\u{feff}Họ và tên,Ghi chú\r\nNguyễn Văn An,\"'=1+1, \"\"x\"\"\"\r\n"
        );
    }
}
