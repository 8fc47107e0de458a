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

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::{
    BankDef, FileError, OptionDef, Problems, QuestionDef, QuestionKind, check_question, file_stem,
    letter_id, nfc, slugify, true_false_options,
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

/// Parses the first sheet of a workbook. Fails with every bad row (by its row number) or when
/// the file is not a readable workbook.
pub fn parse(file: &str, bytes: &[u8]) -> Result<BankDef, Vec<FileError>> {
    let mut p = Problems::new(file);
    let range = match open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())) {
        Ok(mut wb) => match wb.worksheet_range_at(0) {
            Some(Ok(range)) => range,
            _ => {
                p.at(1, 0, "Không đọc được trang tính đầu tiên của tệp");
                return p.into_result(empty());
            }
        },
        Err(e) => {
            p.at(1, 0, format!("Không phải tệp Excel hợp lệ: {e}"));
            return p.into_result(empty());
        }
    };
    let first_row = range.start().map_or(1, |(r, _)| r as usize + 1);
    let mut rows = range.rows();
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
mod tests {
    use super::*;

    #[test]
    fn garbage_is_not_a_workbook() {
        let e = parse("x.xlsx", b"not a zip").unwrap_err();
        assert!(e[0].message.contains("Excel"));
    }
}
