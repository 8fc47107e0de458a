//! Aiken: single-choice questions, one a block.
//!
//! ```text
//! Đảng Cộng sản Việt Nam được thành lập năm nào?
//! A. 1930
//! B) 1945
//! ANSWER: A
//! ```

use std::collections::HashSet;

use super::{
    BankDef, FileError, OptionDef, Problems, QuestionDef, QuestionKind, check_question, file_stem,
    hashed_key, limits, nfc, slugify,
};

/// Parses an Aiken file. Fails with every malformed block, each with its line.
pub fn parse(file: &str, text: &str) -> Result<BankDef, Vec<FileError>> {
    let mut p = Problems::new(file);
    let mut questions = Vec::new();
    let mut seen = HashSet::new();
    let mut stem: Vec<&str> = Vec::new();
    let mut options: Vec<(char, String)> = Vec::new();
    let mut start = 0;

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(letter) = line
            .strip_prefix("ANSWER:")
            .or_else(|| line.strip_prefix("ANSWER :"))
        {
            let letter = letter.trim().chars().next().map(|c| c.to_ascii_uppercase());
            if stem.is_empty() || options.len() < 2 {
                p.at(
                    line_no,
                    0,
                    "Dòng ANSWER đứng trước khi có câu hỏi và ít nhất hai phương án",
                );
            } else if questions.len() >= limits::MAX_QUESTIONS {
                p.at(
                    line_no,
                    0,
                    format!(
                        "Tệp có quá {} câu hỏi; hãy chia thành nhiều tệp",
                        limits::MAX_QUESTIONS
                    ),
                );
                stem.clear();
                break;
            } else if let Some(correct) = letter.filter(|l| options.iter().any(|(o, _)| o == l)) {
                let stem_text = nfc(&stem.join("\n"));
                let q = QuestionDef {
                    key: hashed_key(&stem_text),
                    kind: QuestionKind::Single,
                    stem: stem_text,
                    options: options
                        .iter()
                        .map(|(l, t)| OptionDef {
                            id: l.to_ascii_lowercase().to_string(),
                            text: nfc(t),
                            correct: *l == correct,
                        })
                        .collect(),
                    explanation: String::new(),
                    source: String::new(),
                    tags: Vec::new(),
                    difficulty: 1,
                    family: None,
                    validity: Default::default(),
                    documents: Vec::new(),
                    line: start,
                };
                check_question(&q, 0, &mut seen, &mut p);
                questions.push(q);
            } else {
                p.at(
                    line_no,
                    0,
                    "Đáp án (ANSWER) phải là chữ cái của một phương án đã liệt kê",
                );
            }
            stem.clear();
            options.clear();
            continue;
        }
        let mut chars = line.chars();
        let option = match (chars.next(), chars.next()) {
            (Some(l), Some('.' | ')')) if l.is_ascii_uppercase() && !stem.is_empty() => {
                Some((l, chars.as_str().trim().to_owned()))
            }
            _ => None,
        };
        match option {
            Some(o) => options.push(o),
            None if options.is_empty() => {
                if stem.is_empty() {
                    start = line_no;
                }
                stem.push(line);
            }
            None => {
                p.at(line_no, 0, "Sau các phương án phải là dòng \"ANSWER: X\"");
                stem.clear();
                options.clear();
            }
        }
    }
    if !stem.is_empty() {
        p.at(start, 0, "Câu hỏi chưa có dòng \"ANSWER: X\"");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_parse() {
        let text = "Thủ đô của Việt Nam?\nA. Hà Nội\nB) Huế\nANSWER: A\n\nSố nào chẵn?\nA. 1\nB. 2\nC. 3\nANSWER: B\n";
        let bank = parse("dia-ly.txt", text).unwrap();
        assert_eq!(bank.questions.len(), 2);
        assert_eq!(bank.questions[1].line, 6);
        assert!(bank.questions[1].options[1].correct);
        assert_eq!(bank.slug, "dia-ly");
    }

    #[test]
    fn a_missing_or_unknown_answer_is_reported_with_its_line() {
        let e = parse("x.txt", "Câu hỏi?\nA. Một\nB. Hai\nANSWER: D\n").unwrap_err();
        assert_eq!(e[0].line, 4);
        let e = parse("x.txt", "Câu hỏi?\nA. Một\nB. Hai\n").unwrap_err();
        assert_eq!(e[0].line, 1);
    }
}
