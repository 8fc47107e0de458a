//! The native YAML format (see `question-banks/README.md`). Every error names its line and
//! column: parse errors from the loader, unknown fields and wrong types from the deserializer,
//! rule violations from the spans kept on each question.

use std::collections::HashSet;

use marked_yaml::{LoadError, Spanned};
use serde::Deserialize;

use chrono::NaiveDate;

use super::{
    BankDef, FileError, OptionDef, Problems, QuestionDef, QuestionKind, check_question, letter_id,
    limits, nfc, true_false_options, valid_slug,
};
use crate::domain::content::{MAX_DOCUMENT_CHARS, MAX_DOCUMENTS, Validity, document_key};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    bank: Spanned<Meta>,
    questions: Vec<Spanned<Question>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    id: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    purpose: Option<crate::domain::paper::Purpose>,
    #[serde(default)]
    valid_from: Option<Spanned<String>>,
    #[serde(default)]
    valid_until: Option<Spanned<String>>,
    #[serde(default)]
    documents: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    id: Spanned<String>,
    #[serde(rename = "type")]
    kind: Spanned<String>,
    stem: Spanned<String>,
    #[serde(default)]
    options: Option<Spanned<Vec<Spanned<Choice>>>>,
    #[serde(default)]
    answer: Option<Spanned<bool>>,
    explanation: Spanned<String>,
    source: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    difficulty: Option<Spanned<u8>>,
    #[serde(default)]
    family: Option<Spanned<String>>,
    #[serde(default)]
    valid_from: Option<Spanned<String>>,
    #[serde(default)]
    valid_until: Option<Spanned<String>>,
    #[serde(default)]
    documents: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    #[serde(default)]
    id: Option<String>,
    text: Spanned<String>,
    #[serde(default)]
    correct: bool,
}

/// What a YAML file may hold before it is loaded.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_nodes: usize,
    pub max_scalar_bytes: usize,
}

/// The bounds of a bank file.
pub const BANK_BOUNDS: Bounds = Bounds {
    max_bytes: limits::MAX_TEXT_BYTES,
    max_depth: limits::MAX_YAML_DEPTH,
    max_nodes: limits::MAX_YAML_NODES,
    max_scalar_bytes: limits::MAX_FIELD_BYTES,
};

/// Checks a YAML text against `bounds` on the parser's event stream (an iterative state
/// machine, unlike the loader and the deserializer, which recurse once per level and hold
/// every node). Syntax errors are left to the loader, which reports them with their place.
/// Fails with the line, column (1-based) and message of the first bound crossed.
pub fn guard(text: &str, bounds: &Bounds) -> Result<(), (usize, usize, String)> {
    use yaml_rust2::parser::{Event, Parser};
    if text.len() > bounds.max_bytes {
        return Err((
            1,
            0,
            format!(
                "Tệp quá lớn ({} KB, tối đa {} KB); hãy chia thành nhiều tệp",
                text.len() / 1024,
                bounds.max_bytes / 1024
            ),
        ));
    }
    if let Some((line, column, c)) = limits::first_control_char(text) {
        return Err((line, column, limits::control_char_message(c)));
    }
    let mut parser = Parser::new_from_str(text);
    let mut depth = 0usize;
    let mut nodes = 0usize;
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        let at = |message: String| Err((mark.line(), mark.col() + 1, message));
        match event {
            Event::StreamEnd => return Ok(()),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                nodes += 1;
                if depth > bounds.max_depth {
                    return at(format!(
                        "Cấu trúc lồng nhau quá sâu (quá {} cấp)",
                        bounds.max_depth
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            Event::Scalar(value, ..) => {
                nodes += 1;
                if value.len() > bounds.max_scalar_bytes {
                    return at(format!(
                        "Giá trị dài quá {} KB",
                        bounds.max_scalar_bytes / 1024
                    ));
                }
            }
            Event::Alias(..) => nodes += 1,
            _ => {}
        }
        if nodes > bounds.max_nodes {
            return at(format!(
                "Tệp có quá nhiều phần tử (quá {}); hãy chia thành nhiều tệp",
                bounds.max_nodes
            ));
        }
    }
}

fn pos<T>(s: &Spanned<T>) -> (usize, usize) {
    s.span().start().map_or((0, 0), |m| (m.line(), m.column()))
}

/// Parses and validates a YAML bank. Fails with every problem found, each with file, line,
/// column and a Vietnamese message.
pub fn parse(file: &str, text: &str) -> Result<BankDef, Vec<FileError>> {
    let mut p = Problems::new(file);
    if let Err((line, column, message)) = guard(text, &BANK_BOUNDS) {
        p.at(line, column, message);
        return p.into_result(unreachable_bank());
    }
    let doc: File = match from_yaml(text, "bank, questions") {
        Ok(doc) => doc,
        Err((line, column, message)) => {
            p.at(line, column, message);
            return p.into_result(unreachable_bank());
        }
    };

    let meta = &*doc.bank;
    let slug = nfc(&meta.id);
    if !valid_slug(&slug) {
        let (l, c) = pos(&meta.id);
        p.at(
            l,
            c,
            format!("Mã ngân hàng \"{slug}\" không hợp lệ (chữ thường không dấu, số, '-')"),
        );
    }
    let title = nfc(&meta.title);
    if title.is_empty() {
        let (l, c) = pos(&meta.title);
        p.at(l, c, "Tên ngân hàng câu hỏi (title) đang để trống");
    }
    if doc.questions.is_empty() {
        let (l, c) = pos(&doc.bank);
        p.at(l, c, "Ngân hàng chưa có câu hỏi nào");
    }
    if doc.questions.len() > limits::MAX_QUESTIONS {
        let (l, c) = pos(&doc.bank);
        p.at(
            l,
            c,
            format!(
                "Ngân hàng có {} câu hỏi, tối đa {} một tệp; hãy chia thành nhiều tệp",
                doc.questions.len(),
                limits::MAX_QUESTIONS
            ),
        );
        return p.into_result(unreachable_bank());
    }

    let bank = Dated {
        validity: validity(
            "Ngân hàng",
            meta.valid_from.as_ref(),
            meta.valid_until.as_ref(),
            &mut p,
        ),
        documents: documents("Ngân hàng", &meta.documents, &mut p),
    };
    let mut seen = HashSet::new();
    let mut questions = Vec::with_capacity(doc.questions.len());
    for sq in &doc.questions {
        if let Some(q) = question(sq, &bank, &mut p) {
            let (_, column) = pos(&sq.id);
            check_question(&q, column, &mut seen, &mut p);
            questions.push(q);
        }
    }
    p.into_result(BankDef {
        slug,
        title,
        description: meta.description.as_deref().map(nfc).unwrap_or_default(),
        purpose: meta.purpose,
        questions,
    })
}

/// What the `bank:` meta gives every question: dates and documents.
struct Dated {
    validity: Validity,
    documents: Vec<String>,
}

fn date(what: &str, field: &str, value: &Spanned<String>, p: &mut Problems) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            let (l, c) = pos(value);
            p.at(
                l,
                c,
                format!(
                    "{what}: {field} \"{}\" không phải một ngày (viết YYYY-MM-DD, ví dụ 2026-07-01)",
                    value.as_str()
                ),
            );
            None
        }
    }
}

fn validity(
    what: &str,
    from: Option<&Spanned<String>>,
    until: Option<&Spanned<String>>,
    p: &mut Problems,
) -> Validity {
    let v = Validity {
        from: from.and_then(|d| date(what, "valid_from", d, p)),
        until: until.and_then(|d| date(what, "valid_until", d, p)),
    };
    if let (Some(f), Some(u), Some(at)) = (v.from, v.until, until)
        && u < f
    {
        let (l, c) = pos(at);
        p.at(
            l,
            c,
            format!("{what}: valid_until ({u}) đứng trước valid_from ({f})"),
        );
    }
    v
}

fn documents(what: &str, given: &[Spanned<String>], p: &mut Problems) -> Vec<String> {
    if given.len() > MAX_DOCUMENTS {
        let (l, c) = pos(&given[MAX_DOCUMENTS]);
        p.at(
            l,
            c,
            format!("{what}: tối đa {MAX_DOCUMENTS} văn bản trong documents"),
        );
    }
    let mut out: Vec<String> = Vec::with_capacity(given.len());
    for d in given.iter().take(MAX_DOCUMENTS) {
        let number = nfc(d);
        if number.is_empty() || number.chars().count() > MAX_DOCUMENT_CHARS {
            let (l, c) = pos(d);
            p.at(
                l,
                c,
                format!(
                    "{what}: số hiệu văn bản phải có từ 1 đến {MAX_DOCUMENT_CHARS} ký tự (ví dụ 116/2025/QH15)"
                ),
            );
        } else if !out.iter().any(|o| document_key(o) == document_key(&number)) {
            out.push(number);
        }
    }
    out
}

fn question(sq: &Spanned<Question>, bank: &Dated, p: &mut Problems) -> Option<QuestionDef> {
    let q = &**sq;
    let key = nfc(&q.id);
    let (line, column) = pos(&q.id);
    let what = format!("Câu hỏi \"{key}\"");
    let dates = validity(&what, q.valid_from.as_ref(), q.valid_until.as_ref(), p);
    let mut docs = bank.documents.clone();
    for d in documents(&what, &q.documents, p) {
        if !docs.iter().any(|o| document_key(o) == document_key(&d)) {
            docs.push(d);
        }
    }
    let family = q.family.as_ref().map(|f| (nfc(f), pos(f)));
    if let Some((name, (l, c))) = &family
        && !valid_slug(name)
    {
        p.at(
            *l,
            *c,
            format!("{what}: family \"{name}\" không hợp lệ (chữ thường không dấu, số, '-')"),
        );
    }
    let Some(kind) = QuestionKind::parse(q.kind.trim()) else {
        let (l, c) = pos(&q.kind);
        p.at(
            l,
            c,
            format!(
                "Câu hỏi \"{key}\": loại \"{}\" không hợp lệ (single, multiple, true_false)",
                *q.kind
            ),
        );
        return None;
    };
    for (field, value) in [("explanation", &q.explanation), ("source", &q.source)] {
        if nfc(value).is_empty() {
            let (l, c) = pos(value);
            p.at(
                l,
                c,
                format!("Câu hỏi \"{key}\": trường {field} đang để trống"),
            );
        }
    }
    let options = match (kind, &q.options, &q.answer) {
        (QuestionKind::TrueFalse, None, Some(answer)) => true_false_options(**answer),
        (QuestionKind::TrueFalse, Some(opts), _) => {
            let (l, c) = pos(opts);
            p.at(l, c, format!("Câu hỏi \"{key}\" loại true_false không dùng options, hãy dùng answer: true hoặc false"));
            return None;
        }
        (QuestionKind::TrueFalse, None, None) => {
            p.at(
                line,
                column,
                format!("Câu hỏi \"{key}\" loại true_false cần trường answer: true hoặc false"),
            );
            return None;
        }
        (_, _, Some(answer)) => {
            let (l, c) = pos(answer);
            p.at(
                l,
                c,
                format!("Câu hỏi \"{key}\": trường answer chỉ dùng cho loại true_false"),
            );
            return None;
        }
        (_, None, None) => {
            p.at(
                line,
                column,
                format!("Câu hỏi \"{key}\" cần danh sách phương án (options)"),
            );
            return None;
        }
        (_, Some(opts), None) => {
            for o in opts.iter() {
                if nfc(&o.text).is_empty() {
                    let (l, c) = pos(&o.text);
                    p.at(l, c, format!("Câu hỏi \"{key}\": có phương án để trống"));
                }
            }
            opts.iter()
                .enumerate()
                .map(|(i, o)| OptionDef {
                    id: o.id.as_deref().map(nfc).unwrap_or_else(|| letter_id(i)),
                    text: nfc(&o.text),
                    correct: o.correct,
                })
                .collect()
        }
    };
    let difficulty = match &q.difficulty {
        Some(d) if !(1..=3).contains(&**d) => {
            let (l, c) = pos(d);
            p.at(
                l,
                c,
                format!("Câu hỏi \"{key}\": độ khó phải là 1, 2 hoặc 3"),
            );
            return None;
        }
        Some(d) => **d,
        None => 1,
    };
    Some(QuestionDef {
        key,
        kind,
        stem: nfc(&q.stem),
        options,
        explanation: nfc(&q.explanation),
        source: nfc(&q.source),
        tags: q.tags.iter().map(|t| nfc(t)).collect(),
        difficulty,
        family: family.map(|(name, _)| name),
        validity: dates.or(bank.validity),
        documents: docs,
        line,
    })
}

/// The first line holding `key:` as a mapping key, with its column (1-based).
pub(crate) fn find_key(text: &str, key: &str) -> (usize, usize) {
    let needle = format!("{key}:");
    text.lines()
        .enumerate()
        .find_map(|(i, line)| {
            let body = line.trim_start().trim_start_matches("- ").trim_start();
            body.starts_with(&needle)
                .then(|| (i + 1, line.len() - body.len() + 1))
        })
        .unwrap_or((0, 0))
}

/// Loads a YAML text into `T`, or the line, column and Vietnamese message of the first problem
/// (`top_keys` names the keys the file's top level should hold).
pub(crate) fn from_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    top_keys: &str,
) -> Result<T, (usize, usize, String)> {
    match marked_yaml::from_yaml(0, text) {
        Ok(doc) => Ok(doc),
        Err(marked_yaml::FromYamlError::ParseYaml(e)) => Err(load_error(&e, top_keys)),
        Err(marked_yaml::FromYamlError::FromNode(e)) => {
            let (line, column) = match (e.start_mark(), &*e) {
                (Some(m), _) if m.line() > 0 => (m.line(), m.column()),
                // The loader does not mark unknown keys; find the key in the text instead.
                (_, marked_yaml::Error::UnknownFieldError(field, _, _)) => find_key(text, field),
                _ => (0, 0),
            };
            Err((line, column, translate(&e.to_string())))
        }
    }
}

/// The line and column of the first `key: value` line whose value holds `value` (the loader
/// keeps no place for values deserialized as plain strings).
pub(crate) fn find_value(text: &str, key: &str, value: &str) -> (usize, usize) {
    let needle = format!("{key}:");
    let value = value.trim();
    text.lines()
        .enumerate()
        .find_map(|(i, line)| {
            let body = line.trim_start().trim_start_matches("- ").trim_start();
            (body.starts_with(&needle) && body.contains(value))
                .then(|| (i + 1, line.len() - body.len() + 1))
        })
        .unwrap_or((0, 0))
}

fn unreachable_bank() -> BankDef {
    BankDef {
        slug: String::new(),
        title: String::new(),
        description: String::new(),
        purpose: None,
        questions: Vec::new(),
    }
}

pub(crate) fn load_error(e: &LoadError, top_keys: &str) -> (usize, usize, String) {
    let at = |m: &marked_yaml::Marker| (m.line(), m.column());
    let ((line, column), message) = match e {
        LoadError::TopLevelMustBeMapping(m) => (
            at(m),
            format!("Tệp phải là một bảng khóa–giá trị ({top_keys})"),
        ),
        LoadError::TopLevelMustBeSequence(m) => (at(m), "Tệp phải là một danh sách".to_owned()),
        LoadError::UnexpectedAnchor(m) => (
            at(m),
            "Không hỗ trợ anchor (&) và alias (*) của YAML".to_owned(),
        ),
        LoadError::MappingKeyMustBeScalar(m) => (at(m), "Khóa phải là một giá trị đơn".to_owned()),
        LoadError::UnexpectedTag(m) => (at(m), "Không hỗ trợ tag (!) của YAML".to_owned()),
        LoadError::ScanError(m, err) => (at(m), format!("Lỗi cú pháp YAML: {err}")),
        LoadError::DuplicateKey(inner) => (
            inner.key.span().start().map_or((0, 0), at),
            format!("Khóa \"{}\" xuất hiện hai lần", inner.key.as_str()),
        ),
        #[allow(unreachable_patterns)]
        _ => ((0, 0), format!("Lỗi cú pháp YAML: {e}")),
    };
    (line, column, message)
}

/// The deserializer speaks English; people reading our errors speak Vietnamese.
pub(crate) fn translate(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("Unknown field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("Trường \"{field}\" không được hỗ trợ ({msg})");
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return format!("Thiếu trường bắt buộc \"{field}\"");
    }
    if msg.contains("not a boolean") {
        return "Giá trị phải là true hoặc false".to_owned();
    }
    if msg.contains("invalid digit")
        || msg.contains("number too large")
        || msg.contains("invalid float")
        || msg.contains("empty string")
    {
        return format!("Giá trị phải là một số ({msg})");
    }
    format!("Dữ liệu không đúng cấu trúc: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"bank:
  id: thu-nghiem
  title: Ngân hàng thử nghiệm
questions:
  - id: q1
    type: single
    difficulty: 2
    tags: [mot, hai]
    stem: Thủ đô của Việt Nam là thành phố nào?
    options:
      - text: Hà Nội
        correct: true
      - text: Huế
    explanation: Hà Nội là thủ đô.
    source: Hiến pháp năm 2013, Điều 13
  - id: q2
    type: true_false
    stem: Việt Nam nằm ở Đông Nam Á.
    answer: true
    explanation: Đúng vậy.
    source: Sách giáo khoa Địa lý
  - id: q3
    type: multiple
    stem: Chọn các số chẵn.
    options:
      - { text: "2", correct: true }
      - { text: "3" }
      - { text: "4", correct: true }
    explanation: 2 và 4 chia hết cho 2.
    source: Toán lớp 2
"#;

    fn errors(text: &str) -> Vec<FileError> {
        parse("bank.yaml", text).unwrap_err()
    }

    #[test]
    fn a_good_file_parses() {
        let bank = parse("bank.yaml", GOOD).unwrap();
        assert_eq!(bank.slug, "thu-nghiem");
        assert_eq!(bank.questions.len(), 3);
        let q1 = &bank.questions[0];
        assert_eq!(
            (q1.kind, q1.difficulty, q1.line),
            (QuestionKind::Single, 2, 5)
        );
        assert_eq!(
            q1.options[0],
            OptionDef {
                id: "a".into(),
                text: "Hà Nội".into(),
                correct: true
            }
        );
        assert_eq!(bank.questions[1].options, true_false_options(true));
        assert_eq!(
            bank.questions[2]
                .options
                .iter()
                .filter(|o| o.correct)
                .count(),
            2
        );
    }

    #[test]
    fn unknown_fields_are_named_with_their_line() {
        let text = GOOD.replace("    difficulty: 2\n", "    difficulty: 2\n    hint: no\n");
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].line, 8);
        assert!(e[0].message.contains("hint"), "{}", e[0].message);
    }

    #[test]
    fn rule_violations_name_the_question_line() {
        let text = GOOD.replace(
            "      - text: Huế\n",
            "      - text: Huế\n        correct: true\n",
        );
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].line, e[0].file.as_str()), (5, "bank.yaml"));
        assert!(e[0].message.contains("single"), "{}", e[0].message);

        let text = GOOD.replace("id: q2", "id: q1");
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|e| e.line == 16 && e.message.contains("trùng")),
            "{e:?}"
        );
    }

    #[test]
    fn missing_correct_option_and_too_few_options_are_refused() {
        let text = GOOD.replace(
            "        correct: true\n      - text: Huế\n",
            "      - text: Huế\n",
        );
        let e = errors(&text);
        assert!(
            e.iter()
                .any(|e| e.message.contains("không có phương án đúng")),
            "{e:?}"
        );
        let e = errors(&text.replace("      - text: Huế\n", ""));
        assert!(e.iter().any(|e| e.message.contains("ít nhất hai")), "{e:?}");
    }

    #[test]
    fn empty_text_is_refused_where_it_stands() {
        let e = errors(&GOOD.replace("explanation: Đúng vậy.", "explanation: \"\""));
        assert_eq!(e[0].line, 20);
        assert!(e[0].message.contains("explanation"));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = errors("bank:\n  id: x\n  title: [unclosed\nquestions: []\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].line >= 3, "{e:?}");
    }

    #[test]
    fn deep_nesting_is_refused_before_loading() {
        // 5,000 nested sequences overflowed the loader's stack (issue 7, finding 2).
        let text = format!("questions:\n{}x\n", "- ".repeat(5_000));
        let e = errors(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].message.contains("quá sâu"), "{e:?}");
        assert_eq!(e[0].line, 2);
        let flow = format!("bank: {}{}\n", "[".repeat(200), "]".repeat(200));
        let e = errors(&flow);
        assert!(e[0].message.contains("quá sâu"), "{e:?}");
        // The shipped shape is well inside.
        assert!(guard(GOOD, &BANK_BOUNDS).is_ok());
    }

    #[test]
    fn nul_bytes_and_long_values_are_refused_with_their_place() {
        let e = errors(&GOOD.replace("Hà Nội là thủ đô.", "Hà Nội\u{0} là thủ đô."));
        assert_eq!((e[0].line, e[0].column), (14, 24), "{e:?}");
        assert!(e[0].message.contains("U+0000"), "{e:?}");
        let e = errors(&GOOD.replace("Hà Nội là thủ đô.", "\"\\0\""));
        assert!(e[0].message.contains("điều khiển"), "{e:?}");
        let long = "a".repeat(limits::MAX_FIELD_BYTES + 1);
        let e = errors(&GOOD.replace("Hà Nội là thủ đô.", &long));
        assert!(e[0].message.contains("dài quá"), "{e:?}");
    }

    #[test]
    fn wrong_types_are_reported() {
        let e = errors(&GOOD.replace("difficulty: 2", "difficulty: hai"));
        assert_eq!(e[0].line, 7, "{e:?}");
        let e = errors(&GOOD.replace("difficulty: 2", "difficulty: 5"));
        assert!(e[0].message.contains("độ khó"), "{e:?}");
    }
}
