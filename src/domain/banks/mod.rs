//! Question-bank files: the one in-memory shape every format parses into, and its validation.
//!
//! Formats: our YAML (`yaml.rs`, with line and column on every error), Moodle GIFT
//! (`gift.rs`), Aiken (`aiken.rs`) and an Excel sheet (`xlsx.rs`). A file with any error
//! yields no questions at all: the caller imports nothing from it.

pub mod aiken;
pub mod gift;
pub mod limits;
pub mod xlsx;
pub mod yaml;

use std::{collections::HashSet, fmt};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

use crate::domain::content::Validity;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// One correct option.
    Single,
    /// Two or more correct options; all of them, and nothing else, must be chosen.
    Multiple,
    /// The options "Đúng" and "Sai".
    TrueFalse,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::Single => "single",
            QuestionKind::Multiple => "multiple",
            QuestionKind::TrueFalse => "true_false",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "single" => Some(QuestionKind::Single),
            "multiple" => Some(QuestionKind::Multiple),
            "true_false" => Some(QuestionKind::TrueFalse),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionDef {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

/// One question as a file defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionDef {
    /// Stable id within the bank.
    pub key: String,
    pub kind: QuestionKind,
    pub stem: String,
    pub options: Vec<OptionDef>,
    pub explanation: String,
    pub source: String,
    pub tags: Vec<String>,
    pub difficulty: u8,
    /// Questions of one family (in any bank) give each other away: a paper holds at most one.
    pub family: Option<String>,
    /// The days it may be drawn on.
    pub validity: Validity,
    /// The legal documents it rests on, by number ("116/2025/QH15").
    pub documents: Vec<String>,
    /// Where it starts in its file (1-based), for messages.
    pub line: usize,
}

impl QuestionDef {
    /// A digest of everything that makes this version of the question: two imports of the
    /// same text give the same hash, any edit a different one.
    pub fn content_hash(&self) -> String {
        let mut canonical = serde_json::json!({
            "kind": self.kind.as_str(),
            "stem": self.stem,
            "options": self.options,
            "explanation": self.explanation,
            "source": self.source,
            "tags": self.tags,
            "difficulty": self.difficulty,
        });
        // Only when set, so that questions written before these fields keep their versions.
        if let Some(family) = &self.family {
            canonical["family"] = family.as_str().into();
        }
        if !self.validity.is_always() {
            canonical["validity"] = serde_json::json!(self.validity);
        }
        if !self.documents.is_empty() {
            canonical["documents"] = serde_json::json!(self.documents);
        }
        let digest = Sha256::digest(canonical.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A whole bank as a file defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankDef {
    pub slug: String,
    pub title: String,
    pub description: String,
    /// `purpose:` of the YAML `bank:` meta; other formats leave it unset.
    pub purpose: Option<crate::domain::paper::Purpose>,
    pub questions: Vec<QuestionDef>,
}

/// One problem in a file, at a line and column (1-based; column 0 when unknown).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// What is wrong, in Vietnamese.
    pub message: String,
    /// On the closing line of a capped list: how many problems were found but not listed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub more: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// How many problems a list stands for: the listed ones, plus those a closing line counts.
pub fn problem_count(errors: &[FileError]) -> usize {
    errors
        .iter()
        .map(|e| if e.more > 0 { e.more } else { 1 })
        .sum()
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// Collects errors for one file: the first [`limits::MAX_ERRORS_PER_FILE`] in full, the rest
/// only counted (a final line gives the total), so a broken file costs a few KB of answer.
pub struct Problems {
    file: String,
    errors: Vec<FileError>,
    total: usize,
}

impl Problems {
    pub fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            errors: Vec::new(),
            total: 0,
        }
    }

    pub fn at(&mut self, line: usize, column: usize, message: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < limits::MAX_ERRORS_PER_FILE {
            self.errors.push(FileError {
                file: self.file.clone(),
                line,
                column,
                message: shorten(message.into()),
                more: 0,
            });
        }
    }

    /// The listed problems in file order, then a line with the total when some were left out.
    pub fn finish(mut self) -> Vec<FileError> {
        self.errors.sort_by_key(|e| (e.line, e.column));
        let listed = self.errors.len();
        if self.total > listed {
            self.errors.push(FileError {
                file: self.file.clone(),
                line: 0,
                column: 0,
                message: format!(
                    "Còn {} lỗi khác không liệt kê (tổng cộng {} lỗi); hãy sửa các lỗi trên rồi nhập lại",
                    self.total - listed,
                    self.total
                ),
                more: self.total - listed,
            });
        }
        self.errors
    }

    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FileError>> {
        if self.total == 0 {
            Ok(value)
        } else {
            Err(self.finish())
        }
    }
}

/// A message cut to [`limits::MAX_MESSAGE_CHARS`] characters: messages quote the file, and a
/// quoted 16 KB stem is no help to anyone.
fn shorten(message: String) -> String {
    match message.char_indices().nth(limits::MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None => message,
    }
}

/// NFC, trimmed. Inner line breaks are kept (a stem may hold a short list).
pub fn nfc(s: &str) -> String {
    s.trim().nfc().collect()
}

/// A slug from a file name or title: lower-case ASCII letters, digits and '-', diacritics
/// removed ("Lịch sử Đảng" → "lich-su-dang").
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if ('\u{300}'..='\u{36f}').contains(&c) => continue,
            c => c.to_ascii_lowercase(),
        };
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

pub fn valid_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn valid_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A file name without its folders and extension ("banks/Lịch sử.gift" → "Lịch sử"): the
/// title of a bank from a format that has none, and (slugified) its id.
pub fn file_stem(file: &str) -> &str {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// A stable id for an untitled question: a digest of its stem. An edited stem is a new
/// question (the old one is retired), which is all a format without ids allows.
pub fn hashed_key(stem: &str) -> String {
    let d = Sha256::digest(stem.as_bytes());
    let hex: String = d.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("h-{hex}")
}

/// The options of a true/false question with `answer` correct.
pub fn true_false_options(answer: bool) -> Vec<OptionDef> {
    vec![
        OptionDef {
            id: "true".into(),
            text: "Đúng".into(),
            correct: answer,
        },
        OptionDef {
            id: "false".into(),
            text: "Sai".into(),
            correct: !answer,
        },
    ]
}

/// Option ids by position: a, b, c, …
pub fn letter_id(position: usize) -> String {
    char::from(b'a' + (position as u8 % 26)).to_string()
}

/// The rules every format shares, checked on a parsed question. `line`/`column` locate it.
pub fn check_question(
    q: &QuestionDef,
    column: usize,
    seen: &mut HashSet<String>,
    p: &mut Problems,
) {
    let line = q.line;
    let texts = [&q.stem, &q.explanation, &q.source]
        .into_iter()
        .chain(q.options.iter().map(|o| &o.text));
    let mut too_long = false;
    let mut control = false;
    for t in texts {
        too_long |= t.len() > limits::MAX_FIELD_BYTES;
        control |= limits::has_control_char(t);
    }
    if too_long {
        p.at(
            line,
            column,
            format!(
                "Câu hỏi \"{}\": một trường văn bản dài quá {} KB",
                q.key,
                limits::MAX_FIELD_BYTES / 1024
            ),
        );
    }
    if control || q.tags.iter().any(|t| limits::has_control_char(t)) {
        p.at(
            line,
            column,
            format!(
                "Câu hỏi \"{}\" chứa ký tự điều khiển không được phép (như NUL)",
                q.key
            ),
        );
    }
    if !valid_key(&q.key) {
        p.at(
            line,
            column,
            format!(
                "Mã câu hỏi \"{}\" không hợp lệ (chỉ dùng chữ, số, '-', '_', '.')",
                q.key
            ),
        );
    } else if !seen.insert(q.key.clone()) {
        p.at(line, column, format!("Mã câu hỏi \"{}\" bị trùng", q.key));
    }
    if q.stem.is_empty() {
        p.at(
            line,
            column,
            format!(
                "Câu hỏi \"{}\": nội dung câu hỏi (stem) đang để trống",
                q.key
            ),
        );
    }
    if !(1..=3).contains(&q.difficulty) {
        p.at(
            line,
            column,
            format!("Câu hỏi \"{}\": độ khó phải là 1, 2 hoặc 3", q.key),
        );
    }
    for tag in &q.tags {
        if !valid_slug(tag) {
            p.at(
                line,
                column,
                format!(
                    "Câu hỏi \"{}\": chủ đề \"{tag}\" không hợp lệ (chữ thường, số, '-')",
                    q.key
                ),
            );
        }
    }
    if q.options.len() < 2 {
        p.at(
            line,
            column,
            format!("Câu hỏi \"{}\" cần ít nhất hai phương án", q.key),
        );
    }
    if q.options.len() > 8 {
        p.at(
            line,
            column,
            format!("Câu hỏi \"{}\" có quá 8 phương án", q.key),
        );
    }
    let mut ids = HashSet::new();
    let mut texts = HashSet::new();
    for o in &q.options {
        if o.text.is_empty() {
            p.at(
                line,
                column,
                format!("Câu hỏi \"{}\": có phương án để trống", q.key),
            );
        } else if !texts.insert(o.text.to_lowercase()) {
            p.at(
                line,
                column,
                format!("Câu hỏi \"{}\": phương án \"{}\" bị lặp", q.key, o.text),
            );
        }
        if !ids.insert(o.id.as_str()) {
            p.at(
                line,
                column,
                format!("Câu hỏi \"{}\": mã phương án \"{}\" bị trùng", q.key, o.id),
            );
        }
    }
    let correct = q.options.iter().filter(|o| o.correct).count();
    match q.kind {
        _ if correct == 0 => p.at(
            line,
            column,
            format!("Câu hỏi \"{}\" không có phương án đúng", q.key),
        ),
        QuestionKind::Single if correct > 1 => p.at(
            line,
            column,
            format!(
                "Câu hỏi \"{}\" loại single (một đáp án) nhưng có {correct} phương án đúng",
                q.key
            ),
        ),
        QuestionKind::Multiple if correct < 2 => p.at(
            line,
            column,
            format!(
                "Câu hỏi \"{}\" loại multiple cần ít nhất hai phương án đúng",
                q.key
            ),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_drop_diacritics() {
        assert_eq!(
            slugify("Lịch sử Đảng (2026).gift"),
            "lich-su-dang-2026-gift"
        );
        assert_eq!(slugify("  Kỹ năng số  "), "ky-nang-so");
        assert!(valid_slug("ky-nang-so"));
        assert!(!valid_slug("Kỹ năng"));
    }

    #[test]
    fn content_hash_changes_with_any_edit() {
        let q = QuestionDef {
            key: "q1".into(),
            kind: QuestionKind::Single,
            stem: "Câu hỏi".into(),
            options: vec![
                OptionDef {
                    id: "a".into(),
                    text: "Một".into(),
                    correct: true,
                },
                OptionDef {
                    id: "b".into(),
                    text: "Hai".into(),
                    correct: false,
                },
            ],
            explanation: String::new(),
            source: String::new(),
            tags: vec![],
            difficulty: 1,
            family: None,
            validity: Default::default(),
            documents: Vec::new(),
            line: 1,
        };
        let mut edited = q.clone();
        edited.options[1].text = "Ba".into();
        let mut moved = q.clone();
        moved.line = 40;
        assert_ne!(q.content_hash(), edited.content_hash());
        assert_eq!(
            q.content_hash(),
            moved.content_hash(),
            "the position in the file is not content"
        );
    }
}
