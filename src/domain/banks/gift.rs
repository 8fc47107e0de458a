//! Moodle GIFT: the single-choice, multiple-choice and true/false parts of the format.
//!
//! Supported: `::title::` (becomes the question id), `[plain]`/`[moodle]`/`[markdown]`/`[html]`
//! markers (dropped), `{=right ~wrong}`, `{~%50%a ~%50%b ~%-100%c}` (positive weights are the
//! correct options of a multiple-choice question), `{T}`/`{TRUE}`/`{F}`/`{FALSE}`, answer
//! feedback after `#` (dropped) and general feedback after `####` (the explanation), text after
//! the answer block (a "missing word" question: the blank shows as "_____"), `$CATEGORY:`
//! (the bank title), `//` comments and the escapes `\~ \= \# \{ \} \:`.
//!
//! Not supported, reported as rejected with their line (the rest of the file still imports):
//! short answer (only `=` answers), matching (`->`), numerical (`{#…}`), essay (`{}`) and
//! description items (no answer block).

use std::collections::HashSet;

use super::{
    BankDef, FileError, OptionDef, Problems, QuestionDef, QuestionKind, check_question, file_stem,
    hashed_key, letter_id, limits, nfc, slugify, true_false_options,
};

/// A parsed file: the bank, and the items it had that we do not import.
#[derive(Debug)]
pub struct Parsed {
    pub bank: BankDef,
    pub rejected: Vec<FileError>,
}

/// Parses a GIFT file. `file` names it in messages and gives the bank its id. Fails with
/// every malformed question (unbalanced braces, no correct answer, …).
pub fn parse(file: &str, text: &str) -> Result<Parsed, Vec<FileError>> {
    let mut p = Problems::new(file);
    let mut rejected = Problems::new(file);
    let mut title = None;
    let mut questions = Vec::new();
    let mut seen = HashSet::new();

    for (n, (line, item)) in items(text).into_iter().enumerate() {
        if n >= limits::MAX_QUESTIONS {
            p.at(
                line,
                0,
                format!(
                    "Tệp có quá {} mục; hãy chia thành nhiều tệp",
                    limits::MAX_QUESTIONS
                ),
            );
            break;
        }
        if let Some(cat) = item.strip_prefix("$CATEGORY:") {
            let cat = nfc(cat);
            title = Some(cat.rsplit('/').next().unwrap_or(&cat).trim().to_owned());
            continue;
        }
        match question(line, &item) {
            Ok(q) => {
                check_question(&q, 0, &mut seen, &mut p);
                questions.push(q);
            }
            Err(Item::Unsupported(what)) => rejected.at(
                line,
                0,
                format!("Loại câu hỏi GIFT chưa được hỗ trợ: {what}"),
            ),
            Err(Item::Malformed(why)) => p.at(line, 0, why),
        }
    }
    let stem = file_stem(file);
    let bank = BankDef {
        slug: slugify(stem),
        title: title.unwrap_or_else(|| stem.to_owned()),
        description: String::new(),
        purpose: None,
        questions,
    };
    let rejected = rejected.finish();
    p.into_result(Parsed { bank, rejected })
}

/// Questions are separated by blank lines; `//` comment lines are dropped.
fn items(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim_start().starts_with("//") {
            continue;
        }
        if line.trim().is_empty() {
            if !current.trim().is_empty() {
                out.push((start, std::mem::take(&mut current)));
            }
            current.clear();
            continue;
        }
        if current.is_empty() {
            start = i + 1;
        } else {
            current.push('\n');
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() {
        out.push((start, current));
    }
    out
}

enum Item {
    Unsupported(&'static str),
    Malformed(String),
}

/// Splits on unescaped `sep` characters, keeping escapes for `unescape`.
fn find_unescaped(s: &str, target: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == target && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(n) => out.push(n),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    nfc(&out)
}

fn strip_format(s: &str) -> &str {
    let t = s.trim_start();
    for marker in ["[plain]", "[moodle]", "[markdown]", "[html]"] {
        if let Some(rest) = t.strip_prefix(marker) {
            return rest;
        }
    }
    t
}

fn question(line: usize, item: &str) -> Result<QuestionDef, Item> {
    let mut rest = item.trim();
    let mut key = None;
    if let Some(after) = rest.strip_prefix("::") {
        let end = after.find("::").ok_or_else(|| {
            Item::Malformed(format!("Dòng {line}: thiếu \"::\" đóng tên câu hỏi"))
        })?;
        key = Some(unescape(&after[..end]));
        rest = &after[end + 2..];
    }
    let Some(open) = find_unescaped(rest, '{') else {
        return Err(Item::Unsupported("mục mô tả (không có phần đáp án {…})"));
    };
    let close = find_unescaped(&rest[open..], '}')
        .map(|c| open + c)
        .ok_or_else(|| Item::Malformed("Thiếu dấu \"}\" đóng phần đáp án".to_owned()))?;
    let before = unescape(strip_format(&rest[..open]));
    let after = unescape(&rest[close + 1..]);
    let stem = if after.is_empty() {
        before
    } else {
        format!("{before} _____ {after}")
    };
    let body = rest[open + 1..close].trim();

    let key = key
        .filter(|k| !k.is_empty())
        .map(|k| slug_key(&k))
        .unwrap_or_else(|| hashed_key(&stem));
    let base = |kind, options, explanation| QuestionDef {
        key: key.clone(),
        kind,
        stem: stem.clone(),
        options,
        explanation,
        source: String::new(),
        tags: Vec::new(),
        difficulty: 1,
        family: None,
        validity: Default::default(),
        documents: Vec::new(),
        line,
    };

    if body.is_empty() {
        return Err(Item::Unsupported("tự luận (essay)"));
    }
    if body.starts_with('#') {
        return Err(Item::Unsupported("câu trả lời số (numerical)"));
    }
    if body.contains("->") {
        return Err(Item::Unsupported("ghép đôi (matching)"));
    }
    let (answers, explanation) = match body.find("####") {
        Some(i) => (&body[..i], unescape(&body[i + 4..])),
        None => (body, String::new()),
    };
    let head = answers
        .split('#')
        .next()
        .unwrap_or("")
        .trim()
        .to_uppercase();
    if matches!(head.as_str(), "T" | "TRUE" | "F" | "FALSE") {
        return Ok(base(
            QuestionKind::TrueFalse,
            true_false_options(head.starts_with('T')),
            explanation,
        ));
    }

    let mut options = Vec::new();
    let mut weighted = false;
    let mut equals = 0;
    for token in tokens(answers) {
        let (mark, text) = token.split_at(1);
        let text = text.trim();
        let (weight, text) = match text.strip_prefix('%').and_then(|t| t.split_once('%')) {
            Some((w, t)) => {
                weighted = true;
                let w: f64 = w
                    .trim()
                    .parse()
                    .map_err(|_| Item::Malformed(format!("Trọng số \"{w}\" không hợp lệ")))?;
                (Some(w), t)
            }
            None => (None, text),
        };
        let text = match find_unescaped(text, '#') {
            Some(i) => &text[..i],
            None => text,
        };
        let correct = match (mark, weight) {
            ("=", _) => {
                equals += 1;
                true
            }
            (_, Some(w)) => w > 0.0,
            _ => false,
        };
        options.push(OptionDef {
            id: letter_id(options.len()),
            text: unescape(text),
            correct,
        });
    }
    if options.is_empty() {
        return Err(Item::Malformed(
            "Phần đáp án không có phương án nào (mỗi phương án bắt đầu bằng = hoặc ~)".into(),
        ));
    }
    if equals == options.len() {
        return Err(Item::Unsupported("trả lời ngắn (short answer)"));
    }
    let kind = if weighted && options.iter().filter(|o| o.correct).count() > 1 {
        QuestionKind::Multiple
    } else if equals > 1 {
        return Err(Item::Unsupported("trả lời ngắn (nhiều đáp án \"=\")"));
    } else {
        QuestionKind::Single
    };
    Ok(base(kind, options, explanation))
}

/// The `=…` and `~…` answers of a block, split at unescaped markers.
fn tokens(block: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut escaped = false;
    for c in block.chars() {
        if !escaped && (c == '=' || c == '~') {
            out.push(c.to_string());
            continue;
        }
        escaped = c == '\\' && !escaped;
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn slug_key(title: &str) -> String {
    let s = slugify(title);
    if s.is_empty() { hashed_key(title) } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"// Ngân hàng mẫu
$CATEGORY: $course$/Lịch sử Đảng

::Q1:: Đảng Cộng sản Việt Nam ra đời năm nào? {
  =1930#Đúng
  ~1945#Sai
  ~1954
  ####Hội nghị thành lập Đảng họp đầu năm 1930.
}

::Q2:: Hà Nội là thủ đô của Việt Nam.{T}

::Q3:: Chọn các số nguyên tố {~%50%2 ~%50%3 ~%-100%4}

Ngày 2/9/1945 là ngày {=Quốc khánh ~Giỗ Tổ} của Việt Nam.

::Q5:: Ai viết Truyện Kiều? {=Nguyễn Du =Tố Như}

::Q6:: Ghép đôi {=a -> 1 =b -> 2}

::Q7:: Viết cảm nghĩ {}

::Q8:: Năm? {#1930:0}

Giá trị \= \{ 5 \} là gì? {=năm ~sáu}
"#;

    #[test]
    fn supported_items_parse_and_others_are_rejected_with_their_line() {
        let parsed = parse("lich-su.gift", SAMPLE).unwrap();
        let b = &parsed.bank;
        assert_eq!(b.slug, "lich-su");
        assert_eq!(b.title, "Lịch sử Đảng");
        let kinds: Vec<_> = b
            .questions
            .iter()
            .map(|q| (q.key.as_str(), q.kind))
            .collect();
        assert_eq!(kinds[0], ("q1", QuestionKind::Single));
        assert_eq!(kinds[1], ("q2", QuestionKind::TrueFalse));
        assert_eq!(kinds[2], ("q3", QuestionKind::Multiple));
        assert_eq!(b.questions.len(), 5);
        let q1 = &b.questions[0];
        assert_eq!(q1.line, 4);
        assert_eq!(
            q1.options
                .iter()
                .map(|o| o.text.as_str())
                .collect::<Vec<_>>(),
            ["1930", "1945", "1954"]
        );
        assert_eq!(q1.explanation, "Hội nghị thành lập Đảng họp đầu năm 1930.");
        assert!(b.questions[3].stem.contains("_____ của Việt Nam"));
        assert_eq!(b.questions[4].stem, "Giá trị = { 5 } là gì?");
        let lines: Vec<usize> = parsed.rejected.iter().map(|e| e.line).collect();
        assert_eq!(lines, [17, 19, 21, 23]);
        assert!(parsed.rejected[1].message.contains("matching"));
    }

    #[test]
    fn malformed_items_fail_the_file() {
        let e = parse("x.gift", "::A:: Câu hỏi {=đúng ~sai\n").unwrap_err();
        assert!(e[0].message.contains('}'));
        let e = parse("x.gift", "::A:: Câu {~a ~b}\n").unwrap_err();
        assert!(e[0].message.contains("không có phương án đúng"), "{e:?}");
    }
}
