use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use proptest::prelude::*;

use super::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn col(header: &str) -> Column {
    Column {
        header: header.into(),
        width: 12.0,
    }
}

fn people() -> Table {
    Table {
        title: "Danh sách hoàn thành khóa học".into(),
        subtitle: vec!["Đơn vị: Tỉnh đoàn An Giang".into(), "Năm: 2026".into()],
        columns: ["Họ và tên", "Số bài", "Tỷ lệ", "Điểm", "Ngày", "Đánh giá"]
            .into_iter()
            .map(col)
            .collect(),
        rows: vec![
            vec![
                Cell::Text("Nguyễn Thị Ánh Tuyết".into()),
                Cell::Int(1234),
                Cell::Rate(Some(0.8)),
                Cell::Number(Some(8.5)),
                Cell::Date(day(2026, 3, 9)),
                Cell::Bool(Some(true)),
            ],
            vec![
                Cell::Text("=HYPERLINK(\"http://x\")".into()),
                Cell::Int(-7),
                Cell::Rate(None),
                Cell::Number(None),
                Cell::Date(day(2026, 12, 31)),
                Cell::Bool(None),
            ],
            vec![
                Cell::Text("@cmd".into()),
                Cell::Int(0),
                Cell::Rate(Some(1.0)),
                Cell::Number(Some(3.0)),
                Cell::Date(day(2026, 1, 1)),
                Cell::Bool(Some(false)),
            ],
        ],
    }
}

fn read_csv(bytes: &[u8]) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn csv_starts_with_a_bom_and_round_trips_vietnamese() {
    let bytes = csv(&[people(), people()]).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&bytes).unwrap();
    // A blank line between the two tables.
    assert!(text.contains("\r\n\r\nDanh sách hoàn thành khóa học\r\n"));
    let rows = read_csv(&bytes);
    assert_eq!(rows[0], vec!["Danh sách hoàn thành khóa học"]);
    assert_eq!(rows[1], vec!["Đơn vị: Tỉnh đoàn An Giang"]);
    assert_eq!(
        rows[3],
        vec![
            "Họ và tên",
            "Số bài",
            "Tỷ lệ (0–1)",
            "Điểm",
            "Ngày",
            "Đánh giá"
        ]
    );
    assert_eq!(
        rows[4],
        vec![
            "Nguyễn Thị Ánh Tuyết",
            "1234",
            "0.8000",
            "8.5",
            "09/03/2026",
            "Đạt"
        ]
    );
    assert_eq!(rows[6][5], "Chưa đạt");
    // The csv crate skips the blank line; the second table follows.
    assert_eq!(rows[7], rows[0]);
    assert_eq!(rows.len(), 14);
}

#[test]
fn csv_neutralises_formulas_in_text_but_not_numbers() {
    let rows = read_csv(&csv(&[people()]).unwrap());
    assert_eq!(rows[5][0], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows[5][1], "-7");
    assert_eq!(rows[5][2], "");
    assert_eq!(rows[6][0], "'@cmd");
}

#[test]
fn csv_marks_columns_holding_only_rates() {
    let table = Table {
        title: "t".into(),
        subtitle: vec![],
        columns: vec![col("Tỷ lệ"), col("Chỉ tiêu")],
        rows: vec![
            vec![Cell::Rate(Some(0.5)), Cell::Rate(Some(0.8))],
            vec![Cell::Rate(None), Cell::Number(Some(4.0))],
        ],
    };
    let rows = read_csv(&csv(&[table]).unwrap());
    assert_eq!(rows[1], vec!["Tỷ lệ (0–1)", "Chỉ tiêu"]);
    assert_eq!(rows[3], vec!["", "4"]);
}

fn sheets(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).unwrap()
}

#[test]
fn xlsx_reads_back_the_same_numbers_and_texts() {
    let mut wb = sheets(xlsx(&[people()]).unwrap());
    assert_eq!(wb.sheet_names(), vec!["Danh sách hoàn thành khóa học"]);
    let range = wb.worksheet_range("Danh sách hoàn thành khóa học").unwrap();
    let at = |r: u32, c: u32| range.get_value((r, c)).cloned().unwrap_or(Data::Empty);
    assert_eq!(
        at(0, 0),
        Data::String("Danh sách hoàn thành khóa học".into())
    );
    assert_eq!(at(2, 0), Data::String("Năm: 2026".into()));
    // Row 3 is blank, the header is row 4.
    assert_eq!(at(4, 2), Data::String("Tỷ lệ".into()));
    assert_eq!(at(5, 0), Data::String("Nguyễn Thị Ánh Tuyết".into()));
    assert_eq!(at(5, 1), Data::Float(1234.0));
    assert_eq!(at(5, 2), Data::Float(0.8));
    assert_eq!(at(5, 3), Data::Float(8.5));
    match at(5, 4) {
        Data::DateTime(d) => {
            // Excel's serial day: days since 30/12/1899.
            let serial = (day(2026, 3, 9) - day(1899, 12, 30)).num_days() as f64;
            assert_eq!(d.as_f64(), serial);
        }
        other => panic!("not a date: {other:?}"),
    }
    assert_eq!(at(5, 5), Data::String("Đạt".into()));
    // A formula-looking text stays a text, not a formula.
    assert_eq!(at(6, 0), Data::String("=HYPERLINK(\"http://x\")".into()));
    assert_eq!(at(6, 2), Data::String("—".into()));
    assert_eq!(at(7, 2), Data::Float(1.0));
    let formulas = wb
        .worksheet_formula("Danh sách hoàn thành khóa học")
        .unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
}

#[test]
fn xlsx_of_the_indicator_report_has_valid_unique_sheets() {
    let report = example();
    let tables = indicator_tables(&report);
    assert_eq!(tables.len(), 14);
    let mut wb = sheets(xlsx(&tables).unwrap());
    let names = wb.sheet_names();
    assert_eq!(names.len(), 14);
    for name in &names {
        assert!(name.encode_utf16().count() <= 31, "{name}");
        assert!(
            !name.contains(['[', ']', ':', '*', '?', '/', '\\']),
            "{name}"
        );
    }
    let mut lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    lower.sort();
    lower.dedup();
    assert_eq!(lower.len(), 14);

    // The summary holds every group; a rate group's share is 0–1.
    let summary = wb.worksheet_range(&names[0]).unwrap();
    let groups: usize = report.indicators.iter().map(|i| i.groups.len()).sum();
    let header = 1 + tables[0].subtitle.len() + 1;
    assert_eq!(summary.height(), header + 1 + groups);
    let first = &report.indicators[0].groups[0];
    let row = (header + 1) as u32;
    assert_eq!(
        summary.get_value((row, 3)),
        Some(&Data::Float(first.numerator as f64))
    );
    assert_eq!(
        summary.get_value((row, 5)),
        Some(&Data::Float(first.rate.unwrap()))
    );
    assert_eq!(
        summary.get_value((row, 1)),
        Some(&Data::String(report.indicators[0].title.clone()))
    );
}

#[test]
fn indicator_tables_show_counts_as_numbers() {
    let report = example();
    let tables = indicator_tables(&report);
    let count = report
        .indicators
        .iter()
        .find(|i| i.kind == crate::domain::indicators::report::Kind::Count)
        .unwrap();
    let row = tables[0]
        .rows
        .iter()
        .find(|r| r[0] == Cell::Text(count.code.clone()))
        .unwrap();
    assert!(matches!(row[5], Cell::Number(Some(_))));
    assert_eq!(row[6], Cell::Number(Some(count.groups[0].target)));
    let per_child = tables
        .iter()
        .find(|t| t.title == format!("Chỉ tiêu {} theo đơn vị", count.code))
        .unwrap();
    assert_eq!(per_child.rows.len(), count.children.len());
}

#[test]
fn exports_beyond_the_row_limit_are_refused() {
    let big = Table {
        title: "t".into(),
        subtitle: vec![],
        columns: vec![col("a")],
        rows: vec![vec![Cell::Int(1)]; MAX_ROWS / 2 + 1],
    };
    let two = [big.clone(), big];
    assert!(matches!(csv(&two), Err(ReportError::TooLarge(_))));
    assert!(matches!(xlsx(&two), Err(ReportError::TooLarge(_))));
    assert!(matches!(table_pdf(&two), Err(ReportError::TooLarge(_))));
    let wide = Table {
        title: "t".into(),
        subtitle: vec![],
        columns: vec![col("a"); MAX_COLUMNS + 1],
        rows: vec![],
    };
    assert!(matches!(csv(&[wide]), Err(ReportError::TooLarge(_))));
}

#[test]
fn formats_parse_and_name_themselves() {
    assert_eq!(Format::parse("CSV"), Some(Format::Csv));
    assert_eq!(Format::parse("xlsx"), Some(Format::Xlsx));
    assert_eq!(Format::parse("pdf"), Some(Format::Pdf));
    assert_eq!(Format::parse("xls"), None);
    assert_eq!(Format::Pdf.content_type(), "application/pdf");
    assert_eq!(Format::Xlsx.extension(), "xlsx");
}

#[test]
fn numbers_on_paper_are_written_the_vietnamese_way() {
    assert_eq!(display(&Cell::Int(1_234_567)), "1.234.567");
    assert_eq!(display(&Cell::Int(-1234)), "-1.234");
    assert_eq!(display(&Cell::Rate(Some(0.8))), "80,0%");
    assert_eq!(display(&Cell::Rate(Some(0.12345))), "12,3%");
    assert_eq!(display(&Cell::Rate(None)), "—");
    assert_eq!(display(&Cell::Number(Some(2.5))), "2,5");
    assert_eq!(display(&Cell::Number(Some(4.0))), "4");
    assert_eq!(display(&Cell::Date(day(2026, 3, 9))), "09/03/2026");
    assert_eq!(display(&Cell::Bool(Some(false))), "Chưa đạt");
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

#[test]
fn indicator_pdf_is_small_and_embeds_the_subset_font() {
    let report = example();
    assert_eq!(report.indicators.len(), 13);
    assert!(report.indicators.iter().all(|i| i.children.len() == 30));
    let pdf = indicator_pdf(&report).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
    assert!(count(&pdf, b"SDREPA+DejaVuSans") > 0);
    assert!(count(&pdf, b"SDREPB+DejaVuSans-Bold") > 0);
    // Subset, not the 700 KB faces.
    assert!(pdf.len() > 10 * 1024, "{} bytes", pdf.len());
    if let Ok(out) = std::env::var("REPORT_PDF_OUT") {
        let path = if out.ends_with(".pdf") {
            out
        } else {
            "/tmp/indicator-report.pdf".to_owned()
        };
        std::fs::write(&path, &pdf).unwrap();
        let tables = indicator_tables(&report);
        std::fs::write(
            path.replace(".pdf", "-tables.pdf"),
            table_pdf(&tables).unwrap(),
        )
        .unwrap();
        std::fs::write(path.replace(".pdf", ".xlsx"), xlsx(&tables).unwrap()).unwrap();
        std::fs::write(path.replace(".pdf", ".csv"), csv(&tables).unwrap()).unwrap();
    }
}

#[test]
fn long_tables_run_onto_numbered_pages() {
    let table = Table {
        title: "Danh sách đoàn viên".into(),
        subtitle: vec!["Đơn vị: Đoàn xã Mỹ Bình".into()],
        columns: vec![col("Họ và tên"), col("Tỷ lệ")],
        rows: (0..500)
            .map(|i| {
                vec![
                    Cell::Text(format!("Trần Văn Đức {i}")),
                    Cell::Rate(Some(f64::from(i) / 500.0)),
                ]
            })
            .collect(),
    };
    let pdf = table_pdf(&[table]).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    // About 55 rows a page: ten pages, each numbered.
    let pages = count(&pdf, b"/Type/Page/");
    assert!((9..=11).contains(&pages), "{pages} pages");
    assert!(pdf.len() < 300 * 1024, "{} bytes", pdf.len());
}

#[test]
fn an_empty_export_still_renders() {
    assert!(csv(&[]).unwrap().starts_with(b"\xEF\xBB\xBF"));
    assert!(!xlsx(&[]).unwrap().is_empty());
    assert!(table_pdf(&[]).unwrap().starts_with(b"%PDF"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn csv_text_cells_read_back_guarded_or_unchanged(
        cells in proptest::collection::vec(".{0,40}", 1..6)
    ) {
        let table = Table {
            title: "t".into(),
            subtitle: vec![],
            columns: cells.iter().map(|_| col("c")).collect(),
            rows: vec![cells.iter().cloned().map(Cell::Text).collect()],
        };
        let rows = read_csv(&csv(&[table]).unwrap());
        // An all-empty record is skipped by the reader only when it has one empty field.
        if cells.len() == 1 && cells[0].is_empty() {
            return Ok(());
        }
        let back = rows.last().unwrap();
        for (sent, got) in cells.iter().zip(back) {
            if sent.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                prop_assert_eq!(got, &format!("'{sent}"));
            } else {
                prop_assert_eq!(got, sent);
            }
        }
    }

    #[test]
    fn xlsx_and_pdf_accept_any_text(
        cells in proptest::collection::vec(".{0,60}", 1..4),
        title in ".{0,50}",
    ) {
        let table = Table {
            title: title.clone(),
            subtitle: vec![title],
            columns: cells.iter().map(|c| Column { header: c.clone(), width: 10.0 }).collect(),
            rows: vec![cells.iter().cloned().map(Cell::Text).collect()],
        };
        prop_assert!(xlsx(std::slice::from_ref(&table)).is_ok());
        prop_assert!(table_pdf(&[table]).is_ok());
    }
}

#[test]
fn a_chart_draws_at_most_sixty_units_and_counts_the_rest() {
    let mut report = example();
    report.indicators.truncate(1);
    let ind = &mut report.indicators[0];
    let template = ind.children[0].clone();
    ind.children = (0..75)
        .map(|i| crate::domain::indicators::report::ChildFigure {
            unit_id: i,
            unit_name: format!("Đoàn xã Thạnh Mỹ Tây số {i:02}"),
            rate: Some(f64::from(i) / 75.0),
            ..template.clone()
        })
        .collect();
    let pdf = indicator_pdf(&report).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    if std::process::Command::new("pdftotext")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("note: pdftotext is not installed; skipping the text check");
        return;
    }
    let path = std::env::temp_dir().join(format!("soiduong-report-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let text: String = unicode_normalization::UnicodeNormalization::nfc(
        String::from_utf8(text.stdout).unwrap().as_str(),
    )
    .collect();
    for expected in [
        "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU",
        "Tỉnh đoàn An Giang",
        "Đoàn xã Thạnh Mỹ Tây số 59",
        "và 15 đơn vị khác",
        "Trang 1/2",
        "Trang 2/2",
        "Chỉ tiêu 1.1 (tiếp theo)",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("Đoàn xã Thạnh Mỹ Tây số 60"));
}
