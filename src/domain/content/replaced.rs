//! The shipped list of replaced legal documents (`question-banks/legal/van-ban-thay-the.yaml`):
//! old document → its successors and the day they took over. A question resting on an old
//! document, or citing one without its successor, teaches a rule no longer in force.

use std::sync::OnceLock;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{cites, document_key};
use crate::domain::banks::{FileError, QuestionDef, nfc, yaml};

const SHIPPED_NAME: &str = "question-banks/legal/van-ban-thay-the.yaml";
const SHIPPED: &str = include_str!("../../../question-banks/legal/van-ban-thay-the.yaml");

/// One replaced document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Replacement {
    /// The old document's number as printed.
    pub document: String,
    pub title: String,
    pub replaced_by: Vec<String>,
    /// The day the successors took over.
    pub on: NaiveDate,
    pub note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileY {
    replaced: Vec<EntryY>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryY {
    document: String,
    title: String,
    replaced_by: Vec<String>,
    on: String,
    #[serde(default)]
    note: String,
}

/// How a question rests on a replaced document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reliance {
    /// Listed in its `documents`.
    Listed,
    /// Its text or source cites the number, and its `documents` list none of the successors.
    Cited,
}

/// A question resting on a replaced document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Finding<'a> {
    pub replacement: &'a Replacement,
    pub reliance: Reliance,
}

impl Finding<'_> {
    /// The warning, in Vietnamese.
    pub fn message(&self, key: &str) -> String {
        let r = self.replacement;
        let how = match self.reliance {
            Reliance::Listed => "dựa trên",
            Reliance::Cited => "trích",
        };
        format!(
            "Câu hỏi \"{key}\" {how} {} ({}), đã được thay thế bởi {} từ ngày {}; hãy cập nhật câu hỏi theo văn bản mới (và ghi văn bản mới vào documents)",
            r.document,
            r.title,
            r.replaced_by.join(", "),
            r.on.format("%d/%m/%Y")
        )
    }
}

/// The list, as shipped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replacements {
    pub entries: Vec<Replacement>,
}

impl Replacements {
    /// The shipped list, parsed once (checked by a test, so it cannot fail in a release).
    pub fn shipped() -> &'static Replacements {
        static LIST: OnceLock<Replacements> = OnceLock::new();
        LIST.get_or_init(|| match Replacements::parse(SHIPPED_NAME, SHIPPED) {
            Ok(list) => list,
            Err(errors) => {
                for e in &errors {
                    tracing::error!(error = %e, "the shipped list of replaced documents is broken");
                }
                Replacements::default()
            }
        })
    }

    /// Parses and checks a list: every date a real date, every number non-empty, no document
    /// listed twice, none replaced by itself.
    pub fn parse(file: &str, text: &str) -> Result<Replacements, Vec<FileError>> {
        let err = |line: usize, column: usize, message: String| FileError {
            file: file.to_owned(),
            line,
            column,
            message,
            more: 0,
        };
        if let Err((l, c, m)) = yaml::guard(text, &yaml::BANK_BOUNDS) {
            return Err(vec![err(l, c, m)]);
        }
        let doc: FileY =
            yaml::from_yaml(text, "replaced").map_err(|(l, c, m)| vec![err(l, c, m)])?;
        let mut errors = Vec::new();
        let mut entries: Vec<Replacement> = Vec::with_capacity(doc.replaced.len());
        for e in doc.replaced {
            let document = nfc(&e.document);
            let (line, column) = yaml::find_value(text, "document", &e.document);
            let Some(key) = document_key(&document) else {
                errors.push(err(line, column, "Số hiệu văn bản đang để trống".into()));
                continue;
            };
            let Ok(on) = NaiveDate::parse_from_str(e.on.trim(), "%Y-%m-%d") else {
                errors.push(err(
                    line,
                    column,
                    format!("{document}: ngày \"{}\" không hợp lệ (YYYY-MM-DD)", e.on),
                ));
                continue;
            };
            let replaced_by: Vec<String> = e.replaced_by.iter().map(|s| nfc(s)).collect();
            if replaced_by.is_empty()
                || replaced_by
                    .iter()
                    .any(|s| document_key(s).is_none_or(|k| k == key))
            {
                errors.push(err(
                    line,
                    column,
                    format!("{document}: văn bản thay thế phải khác văn bản cũ và không để trống"),
                ));
                continue;
            }
            if entries
                .iter()
                .any(|x| document_key(&x.document).as_deref() == Some(key.as_str()))
            {
                errors.push(err(
                    line,
                    column,
                    format!("{document} được liệt kê hai lần"),
                ));
                continue;
            }
            entries.push(Replacement {
                document,
                title: nfc(&e.title),
                replaced_by,
                on,
                note: nfc(&e.note),
            });
        }
        if errors.is_empty() {
            Ok(Replacements { entries })
        } else {
            Err(errors)
        }
    }

    /// The replaced documents a question rests on.
    pub fn findings(&self, q: &QuestionDef) -> Vec<Finding<'_>> {
        let listed = |number: &str| {
            let key = document_key(number);
            q.documents.iter().any(|d| document_key(d) == key)
        };
        self.entries
            .iter()
            .filter_map(|r| {
                if listed(&r.document) {
                    return Some(Finding {
                        replacement: r,
                        reliance: Reliance::Listed,
                    });
                }
                let cited = std::iter::once(&q.stem)
                    .chain([&q.explanation, &q.source])
                    .chain(q.options.iter().map(|o| &o.text))
                    .any(|t| cites(t, &r.document));
                (cited && !r.replaced_by.iter().any(|s| listed(s))).then_some(Finding {
                    replacement: r,
                    reliance: Reliance::Cited,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::banks::{OptionDef, QuestionKind};

    fn question(stem: &str, source: &str, documents: &[&str]) -> QuestionDef {
        QuestionDef {
            key: "q".into(),
            kind: QuestionKind::Single,
            stem: stem.into(),
            options: vec![OptionDef {
                id: "a".into(),
                text: "Có".into(),
                correct: true,
            }],
            explanation: "Vì vậy.".into(),
            source: source.into(),
            tags: vec![],
            difficulty: 1,
            family: None,
            validity: Default::default(),
            documents: documents.iter().map(|s| (*s).to_owned()).collect(),
            line: 1,
        }
    }

    #[test]
    fn the_shipped_list_parses_and_names_the_2025_laws() {
        let list = Replacements::parse(SHIPPED_NAME, SHIPPED).unwrap();
        assert_eq!(list, *Replacements::shipped());
        let cyber = list
            .entries
            .iter()
            .find(|r| r.document == "24/2018/QH14")
            .unwrap();
        assert_eq!(cyber.replaced_by, ["116/2025/QH15"]);
        assert_eq!(cyber.on, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert!(
            list.entries
                .iter()
                .any(|r| r.document == "13/2023/NĐ-CP" && r.replaced_by.len() == 2)
        );
    }

    #[test]
    fn a_question_rests_on_a_listed_or_cited_old_document_unless_it_lists_the_successor() {
        let list = Replacements::shipped();
        let old = question(
            "Luật An ninh mạng có mấy chương?",
            "Luật số 24/2018/QH14",
            &[],
        );
        let found = list.findings(&old);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reliance, Reliance::Cited);
        assert!(found[0].message("q").contains("116/2025/QH15"));
        let listed = question(
            "Luật có mấy chương?",
            "Luật An ninh mạng",
            &["24/2018/QH14"],
        );
        assert_eq!(list.findings(&listed)[0].reliance, Reliance::Listed);
        // History told by the new law: it names the old one, and rests on the new one.
        let history = question(
            "Luật An ninh mạng 2025 thay thế luật nào?",
            "Luật An ninh mạng số 116/2025/QH15 (thay thế Luật số 24/2018/QH14)",
            &["116/2025/QH15"],
        );
        assert!(list.findings(&history).is_empty());
        let current = question(
            "Luật có mấy chương?",
            "Luật số 116/2025/QH15",
            &["116/2025/QH15"],
        );
        assert!(list.findings(&current).is_empty());
    }

    #[test]
    fn a_broken_list_is_refused_with_its_line() {
        let bad = "replaced:\n  - document: 1/2020/QH14\n    title: A\n    replaced_by: [1/2020/QH14]\n    on: 2020-01-01\n  - document: 2/2020/QH14\n    title: B\n    replaced_by: [3/2021/QH15]\n    on: 2020-13-01\n";
        let errors = Replacements::parse("x.yaml", bad).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, 2);
        assert_eq!(errors[1].line, 6);
        assert!(errors[1].message.contains("2020-13-01"));
        let unknown = "replaced:\n  - document: 1/2020/QH14\n    bogus: 1\n";
        assert!(Replacements::parse("x.yaml", unknown).is_err());
    }
}
