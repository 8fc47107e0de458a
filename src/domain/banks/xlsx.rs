//! Excel sheets (`.xlsx`, `.xls`, `.ods`), read with calamine. The first sheet holds one
//! question a row under a header row. Headers (English or Vietnamese, any case):
//!
//! | column | also accepted | content |
//! |---|---|---|
//! | `id` | `mã` | stable question id |
//! | `type` | `loại` | `single`, `multiple`, `true_false` (default `single`) |
//! | `stem` | `câu hỏi` | the question |
//! | `A` … `H` | | the options, left to right |
//! | `correct` | `đáp án` | letters of the correct options (`B`, `A,C`); `Đúng`/`Sai` for true/false |
//! | `explanation` | `giải thích` | optional |
//! | `source` | `nguồn` | optional |
//! | `tags` | `chủ đề` | comma-separated |
//! | `difficulty` | `độ khó` | 1, 2 or 3 (default 1) |
//!
//! The bank's id and title come from the file name.

use std::{collections::HashSet, io::Cursor};

use calamine::{Data, Reader, Xlsx};

use super::{
    BankDef, FileError, OptionDef, Problems, QuestionDef, QuestionKind, check_question, file_stem,
    letter_id, limits, nfc, slugify, true_false_options,
};

fn cell_text(c: &Data) -> String {
    match c {
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => nfc(s),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

#[derive(Default)]
struct Columns {
    id: Option<usize>,
    kind: Option<usize>,
    stem: Option<usize>,
    options: Vec<usize>,
    correct: Option<usize>,
    explanation: Option<usize>,
    source: Option<usize>,
    tags: Option<usize>,
    difficulty: Option<usize>,
}

fn header(row: &[Data]) -> Columns {
    let mut c = Columns::default();
    let mut options: Vec<(char, usize)> = Vec::new();
    for (i, cell) in row.iter().enumerate() {
        let h = cell_text(cell).to_lowercase();
        match h.as_str() {
            "id" | "mã" | "mã câu hỏi" => c.id = Some(i),
            "type" | "loại" => c.kind = Some(i),
            "stem" | "câu hỏi" | "nội dung" => c.stem = Some(i),
            "correct" | "đáp án" | "đáp án đúng" => c.correct = Some(i),
            "explanation" | "giải thích" => c.explanation = Some(i),
            "source" | "nguồn" => c.source = Some(i),
            "tags" | "chủ đề" => c.tags = Some(i),
            "difficulty" | "độ khó" => c.difficulty = Some(i),
            s if s.len() == 1 && ('a'..='h').contains(&s.chars().next().unwrap_or(' ')) => {
                options.push((s.chars().next().unwrap_or('a'), i));
            }
            _ => {}
        }
    }
    options.sort();
    c.options = options.into_iter().map(|(_, i)| i).collect();
    c
}

/// Checks the zip archive before calamine opens it: a bounded number of entries, each
/// (declared and actual) uncompressed size under the caps. Every member is inflated once into
/// a sink, so an archive that lies about its sizes (a zip bomb) is caught at the cap, before
/// anything holds its content. Fails with the Vietnamese reason.
pub(crate) fn check_zip(bytes: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("Không phải tệp Excel (.xlsx) hợp lệ: {e}"))?;
    if zip.len() > limits::MAX_ZIP_ENTRIES {
        return Err(format!(
            "Tệp Excel có {} thành phần, tối đa {}",
            zip.len(),
            limits::MAX_ZIP_ENTRIES
        ));
    }
    let too_big = |name: &str| {
        format!(
            "Tệp Excel quá lớn khi giải nén (thành phần \"{name}\" vượt {} MB, cả tệp tối đa {} MB)",
            limits::MAX_ZIP_MEMBER_BYTES / (1024 * 1024),
            limits::MAX_ZIP_TOTAL_BYTES / (1024 * 1024)
        )
    };
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut member = zip
            .by_index(i)
            .map_err(|e| format!("Không đọc được tệp Excel: {e}"))?;
        let name: String = member
            .name()
            .map(|n| n.chars().take(100).collect())
            .unwrap_or_default();
        let declared = member.size();
        total = total.saturating_add(declared);
        if declared > limits::MAX_ZIP_MEMBER_BYTES || total > limits::MAX_ZIP_TOTAL_BYTES {
            return Err(too_big(&name));
        }
        let actual = std::io::copy(
            &mut std::io::Read::take(&mut member, declared + 1),
            &mut std::io::sink(),
        )
        .map_err(|e| format!("Không đọc được tệp Excel (thành phần \"{name}\"): {e}"))?;
        if actual != declared {
            return Err(format!(
                "Tệp Excel bị hỏng hoặc khai báo sai kích thước (thành phần \"{name}\")"
            ));
        }
    }
    Ok(())
}

/// The first sheet within the bank caps ([`read_first_sheet_within`]).
fn read_first_sheet(bytes: &[u8]) -> Result<(Vec<Vec<Data>>, u32), String> {
    read_first_sheet_within(bytes, limits::MAX_SHEET_ROWS, limits::MAX_SHEET_COLUMNS)
        .map(|(rows, first_row, _)| (rows, first_row))
}

/// The cells of the first sheet, read as a stream: the declared dimension and every cell's
/// position are checked against the caps (absolute rows and columns, from A1) before anything
/// is stored, so a sparse sheet (cells at A1 and XFD1048576) costs nothing. Returns the rows
/// of the bounding box of the non-empty cells, its first row and its first column (0-based),
/// or the Vietnamese reason.
pub(crate) fn read_first_sheet_within(
    bytes: &[u8],
    max_rows: u32,
    max_columns: u32,
) -> Result<(Vec<Vec<Data>>, u32, u32), String> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("Không phải tệp Excel (.xlsx) hợp lệ: {e}"))?;
    let Some(name) = wb.sheet_names().first().cloned() else {
        return Err("Tệp Excel không có trang tính nào".to_owned());
    };
    let mut cells = wb
        .worksheet_cells_reader(&name)
        .map_err(|e| format!("Không đọc được trang tính đầu tiên của tệp: {e}"))?;
    let limit = format!(
        "tối đa {} dòng × {} cột (A–{})",
        max_rows,
        max_columns,
        column_name(max_columns.saturating_sub(1))
    );
    let dims = cells.dimensions();
    if dims.end.0 >= max_rows || dims.end.1 >= max_columns {
        return Err(format!(
            "Trang tính quá lớn: vùng dữ liệu khai báo tới ô {}{} ({limit})",
            column_name(dims.end.1),
            u64::from(dims.end.0) + 1
        ));
    }
    let mut rows: Vec<Vec<Data>> = Vec::new();
    let (mut min_row, mut min_col) = (u32::MAX, u32::MAX);
    loop {
        let cell = match cells.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => return Err(format!("Không đọc được trang tính đầu tiên của tệp: {e}")),
        };
        let (row, col) = cell.get_position();
        if row >= max_rows || col >= max_columns {
            return Err(format!(
                "Trang tính quá lớn: có dữ liệu ở ô {}{} ({limit})",
                column_name(col),
                u64::from(row) + 1
            ));
        }
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        min_row = min_row.min(row);
        min_col = min_col.min(col);
        let (r, c) = (row as usize, col as usize);
        if rows.len() <= r {
            rows.resize_with(r + 1, Vec::new);
        }
        if rows[r].len() <= c {
            rows[r].resize(c + 1, Data::Empty);
        }
        rows[r][c] = value;
    }
    if min_row == u32::MAX {
        return Ok((Vec::new(), 0, 0));
    }
    let rows = rows
        .into_iter()
        .skip(min_row as usize)
        .map(|r| r.into_iter().skip(min_col as usize).collect())
        .collect();
    Ok((rows, min_row, min_col))
}

/// "A", "B", …, "Z", "AA", … for a 0-based column.
fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(char::from(b'A' + rem));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Parses the first sheet of a workbook (`.xlsx`, `.xlsm`). Fails with every bad row (by its
/// row number, the first [`limits::MAX_ERRORS_PER_FILE`] of them) or when the file is not a
/// readable workbook or is larger than the caps. `.xls` and `.ods` are refused: calamine
/// builds their whole sheets up front (a few hundred bytes of `.ods` can ask for gigabytes),
/// so they cannot be bounded; people save them as `.xlsx`.
pub fn parse(file: &str, bytes: &[u8]) -> Result<BankDef, Vec<FileError>> {
    let mut p = Problems::new(file);
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(ext.as_str(), "xls" | "ods") {
        p.at(
            1,
            0,
            format!(
                "Không nhận tệp .{ext}: hãy mở tệp và lưu lại dưới dạng Excel .xlsx rồi nhập lại"
            ),
        );
        return p.into_result(empty());
    }
    let read = check_zip(bytes).and_then(|()| read_first_sheet(bytes));
    let (grid, first) = match read {
        Ok(ok) => ok,
        Err(message) => {
            p.at(1, 0, message);
            return p.into_result(empty());
        }
    };
    let first_row = first as usize + 1;
    let mut rows = grid.iter().map(Vec::as_slice);
    let Some(head) = rows.next() else {
        p.at(1, 0, "Trang tính trống");
        return p.into_result(empty());
    };
    let cols = header(head);
    if cols.stem.is_none() || cols.correct.is_none() || cols.options.len() < 2 {
        p.at(
            first_row,
            0,
            "Dòng tiêu đề cần các cột \"stem\" (câu hỏi), \"A\", \"B\"… và \"correct\" (đáp án)",
        );
        return p.into_result(empty());
    }

    let get = |row: &[Data], col: Option<usize>| {
        col.and_then(|c| row.get(c))
            .map(cell_text)
            .unwrap_or_default()
    };
    let mut seen = HashSet::new();
    let mut questions = Vec::new();
    for (offset, row) in rows.enumerate() {
        let line = first_row + 1 + offset;
        if row.iter().all(|c| cell_text(c).is_empty()) {
            continue;
        }
        let kind_text = get(row, cols.kind).to_lowercase();
        let kind = match kind_text.as_str() {
            "" => QuestionKind::Single,
            "đúng/sai" | "dung_sai" => QuestionKind::TrueFalse,
            other => match QuestionKind::parse(other) {
                Some(k) => k,
                None => {
                    p.at(
                        line,
                        0,
                        format!("Dòng {line}: loại câu hỏi \"{other}\" không hợp lệ"),
                    );
                    continue;
                }
            },
        };
        let correct = get(row, cols.correct);
        let options = if kind == QuestionKind::TrueFalse {
            match correct.to_lowercase().as_str() {
                "đúng" | "true" | "t" | "đ" => true_false_options(true),
                "sai" | "false" | "f" | "s" => true_false_options(false),
                _ => {
                    p.at(
                        line,
                        0,
                        format!("Dòng {line}: đáp án câu đúng/sai phải là \"Đúng\" hoặc \"Sai\""),
                    );
                    continue;
                }
            }
        } else {
            let letters: Vec<String> = correct
                .split([',', ';', ' '])
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            cols.options
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let text = row.get(*c).map(cell_text).unwrap_or_default();
                    (!text.is_empty()).then(|| {
                        let id = letter_id(i);
                        OptionDef {
                            correct: letters.contains(&id),
                            id,
                            text,
                        }
                    })
                })
                .collect()
        };
        let difficulty = match get(row, cols.difficulty).as_str() {
            "" => 1,
            d => d.parse().unwrap_or(0),
        };
        let stem = get(row, cols.stem);
        let id = get(row, cols.id);
        let q = QuestionDef {
            key: if id.is_empty() {
                format!("dong-{line}")
            } else {
                id
            },
            kind,
            stem,
            options,
            explanation: get(row, cols.explanation),
            source: get(row, cols.source),
            tags: get(row, cols.tags)
                .split(',')
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .collect(),
            difficulty,
            family: None,
            validity: Default::default(),
            documents: Vec::new(),
            line,
        };
        check_question(&q, 0, &mut seen, &mut p);
        questions.push(q);
    }
    let name = file_stem(file);
    p.into_result(BankDef {
        slug: slugify(name),
        title: name.to_owned(),
        description: String::new(),
        purpose: None,
        questions,
    })
}

fn empty() -> BankDef {
    BankDef {
        slug: String::new(),
        title: String::new(),
        description: String::new(),
        purpose: None,
        questions: Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    use std::io::Write;

    /// A workbook with `cells` (row, column, text) on its first sheet.
    pub(crate) fn workbook(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let sheet = wb.add_worksheet();
        for (r, c, t) in cells {
            sheet.write_string(*r, *c, *t).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    /// A zip holding `members` (name, content), deflated.
    pub(crate) fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        for (name, content) in members {
            out.start_file(*name, opts).unwrap();
            out.write_all(content).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_sparse_sheet_is_refused_by_its_dimension() {
        // Cells at A1 and XFD1048576 once made calamine allocate 512 GiB (finding 1).
        let bytes = workbook(&[(0, 0, "stem"), (1_048_575, 16_383, "x")]);
        assert!(bytes.len() < 8_000, "{}", bytes.len());
        let e = parse("thua.xlsx", &bytes).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].file, "thua.xlsx");
        assert!(e[0].message.contains("XFD1048576"), "{e:?}");
    }

    #[test]
    fn a_cell_beyond_the_caps_is_refused_even_when_the_dimension_lies() {
        let bytes = workbook(&[(0, 0, "stem"), (9_000, 2, "x")]);
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let mut members = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut content).unwrap();
            let name = f.name().unwrap().to_string();
            if name.ends_with("sheet1.xml") {
                let text = String::from_utf8(content)
                    .unwrap()
                    .replace("A1:C9001", "A1:C2");
                content = text.into_bytes();
            }
            members.push((name, content));
        }
        let members: Vec<(&str, &[u8])> = members
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        let e = parse("doi.xlsx", &zip_of(&members)).unwrap_err();
        assert!(e[0].message.contains("C9001"), "{e:?}");
    }

    #[test]
    fn a_zip_bomb_member_is_refused_before_calamine_reads_it() {
        let big = vec![b' '; (limits::MAX_ZIP_MEMBER_BYTES + 1) as usize];
        let bytes = zip_of(&[("xl/worksheets/sheet1.xml", &big)]);
        assert!(bytes.len() < 100_000, "{}", bytes.len());
        let e = parse("bom.xlsx", &bytes).unwrap_err();
        assert!(e[0].message.contains("giải nén"), "{e:?}");
    }

    #[test]
    fn a_member_larger_than_it_declares_is_refused() {
        let content = vec![b'a'; 100_000];
        let mut bytes = zip_of(&[("xl/workbook.xml", &content)]);
        // Declare 1,000 bytes in the local header (offset 22) and the central directory
        // (offset 24 of the record): the archive now lies about its size.
        let lie = 1_000u32.to_le_bytes();
        bytes[22..26].copy_from_slice(&lie);
        let cd = bytes
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&lie);
        let e = parse("lie.xlsx", &bytes).unwrap_err();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("workbook.xml"), "{e:?}");
    }

    #[test]
    fn xls_and_ods_are_refused_with_a_way_out() {
        let e = parse("cu.xls", b"whatever").unwrap_err();
        assert!(e[0].message.contains(".xlsx"), "{e:?}");
        let e = parse("cu.ods", b"whatever").unwrap_err();
        assert!(e[0].message.contains(".xlsx"), "{e:?}");
    }

    #[test]
    fn a_small_sheet_still_reads_from_its_first_used_cell() {
        let bytes = workbook(&[
            (2, 1, "stem"),
            (2, 2, "A"),
            (2, 3, "B"),
            (2, 4, "correct"),
            (3, 1, "Thủ đô?"),
            (3, 2, "Hà Nội"),
            (3, 3, "Huế"),
            (3, 4, "A"),
        ]);
        let bank = parse("nho.xlsx", &bytes).unwrap();
        assert_eq!(bank.questions.len(), 1);
        assert_eq!(bank.questions[0].line, 4);
        assert!(bank.questions[0].options[0].correct);
    }

    #[test]
    fn garbage_is_not_a_workbook() {
        let e = parse("x.xlsx", b"not a zip").unwrap_err();
        assert!(e[0].message.contains("Excel"));
    }
}
