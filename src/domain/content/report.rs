//! The content report a province's content editor reviews each quarter: per bank, questions
//! whose validity ends soon (or has ended), questions resting on replaced documents, and
//! near-duplicates not yet in one family.

use std::fmt::Write;

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    replaced::{Reliance, Replacements},
    similar::{self, Item},
};
use crate::domain::banks::{BankDef, QuestionDef};

/// How far ahead "expiring soon" looks.
pub const HORIZON_DAYS: i64 = 90;

/// One bank's live questions.
pub struct BankContent {
    pub slug: String,
    pub title: String,
    pub questions: Vec<QuestionDef>,
}

impl From<BankDef> for BankContent {
    fn from(b: BankDef) -> Self {
        BankContent {
            slug: b.slug,
            title: b.title,
            questions: b.questions,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContentReport {
    /// The day the report is for.
    pub on: NaiveDate,
    pub horizon_days: i64,
    pub banks: Vec<BankReport>,
    /// Near-duplicate pairs outside a family, across all banks.
    pub near_duplicates: usize,
    pub replaced_uses: usize,
    pub expiring: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BankReport {
    pub bank: String,
    pub title: String,
    pub questions: usize,
    /// Valid until a day within the horizon (or already past it, `expired`).
    pub expiring: Vec<Expiring>,
    pub replaced: Vec<ReplacedUse>,
    /// Pairs with at least one question in this bank (a pair across banks is under both).
    pub near_duplicates: Vec<NearDuplicate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Expiring {
    pub question: String,
    pub valid_until: NaiveDate,
    pub expired: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplacedUse {
    pub question: String,
    pub document: String,
    pub replaced_by: Vec<String>,
    pub on: NaiveDate,
    pub reliance: Reliance,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NearDuplicate {
    /// "bank/question".
    pub first: String,
    pub second: String,
    pub stem: String,
    pub other_stem: String,
    pub overlap: f64,
    pub jaccard: f64,
}

/// Builds the report for `on` over the given banks.
pub fn build(banks: &[BankContent], replacements: &Replacements, on: NaiveDate) -> ContentReport {
    let horizon = on + Duration::days(HORIZON_DAYS);
    let items: Vec<Item> = banks
        .iter()
        .flat_map(|b| {
            b.questions.iter().map(|question| Item {
                bank: &b.slug,
                question,
            })
        })
        .collect();
    let pairs: Vec<_> = similar::near_duplicates(&items)
        .into_iter()
        .filter(|p| !p.same_family)
        .collect();
    let label = |i: usize| format!("{}/{}", items[i].bank, items[i].question.key);
    let out: Vec<BankReport> = banks
        .iter()
        .map(|b| {
            let mut expiring: Vec<Expiring> = b
                .questions
                .iter()
                .filter_map(|q| {
                    let until = q.validity.until?;
                    (until <= horizon).then(|| Expiring {
                        question: q.key.clone(),
                        valid_until: until,
                        expired: until < on,
                    })
                })
                .collect();
            expiring
                .sort_by(|x, y| (x.valid_until, &x.question).cmp(&(y.valid_until, &y.question)));
            let replaced = b
                .questions
                .iter()
                .flat_map(|q| {
                    replacements.findings(q).into_iter().map(|f| ReplacedUse {
                        question: q.key.clone(),
                        document: f.replacement.document.clone(),
                        replaced_by: f.replacement.replaced_by.clone(),
                        on: f.replacement.on,
                        reliance: f.reliance,
                    })
                })
                .collect();
            let near_duplicates = pairs
                .iter()
                .filter(|p| items[p.a].bank == b.slug || items[p.b].bank == b.slug)
                .map(|p| NearDuplicate {
                    first: label(p.a),
                    second: label(p.b),
                    stem: items[p.a].question.stem.clone(),
                    other_stem: items[p.b].question.stem.clone(),
                    overlap: p.overlap,
                    jaccard: p.jaccard,
                })
                .collect();
            BankReport {
                bank: b.slug.clone(),
                title: b.title.clone(),
                questions: b.questions.len(),
                expiring,
                replaced,
                near_duplicates,
            }
        })
        .collect();
    ContentReport {
        on,
        horizon_days: HORIZON_DAYS,
        near_duplicates: pairs.len(),
        replaced_uses: out.iter().map(|b| b.replaced.len()).sum(),
        expiring: out.iter().map(|b| b.expiring.len()).sum(),
        banks: out,
    }
}

impl ContentReport {
    /// Whether there is anything to review.
    pub fn is_clean(&self) -> bool {
        self.near_duplicates == 0 && self.replaced_uses == 0 && self.expiring == 0
    }

    /// The report as plain text, in Vietnamese.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let day = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
        let _ = writeln!(
            s,
            "Báo cáo rà soát nội dung ngày {} (hết hiệu lực trong {} ngày tới, văn bản đã bị thay thế, câu hỏi gần trùng)",
            day(self.on),
            self.horizon_days
        );
        for b in &self.banks {
            let _ = writeln!(s, "\n== {} ({}): {} câu hỏi", b.bank, b.title, b.questions);
            if b.expiring.is_empty() && b.replaced.is_empty() && b.near_duplicates.is_empty() {
                let _ = writeln!(s, "   Không có gì cần rà soát.");
                continue;
            }
            for e in &b.expiring {
                let what = if e.expired {
                    "đã hết hiệu lực từ sau"
                } else {
                    "hết hiệu lực sau"
                };
                let _ = writeln!(
                    s,
                    "   [hiệu lực] {}: {what} ngày {}",
                    e.question,
                    day(e.valid_until)
                );
            }
            for r in &b.replaced {
                let how = match r.reliance {
                    Reliance::Listed => "dựa trên",
                    Reliance::Cited => "trích",
                };
                let _ = writeln!(
                    s,
                    "   [văn bản cũ] {}: {how} {}, đã được thay thế bởi {} từ ngày {}",
                    r.question,
                    r.document,
                    r.replaced_by.join(", "),
                    day(r.on)
                );
            }
            for d in &b.near_duplicates {
                let _ = writeln!(
                    s,
                    "   [gần trùng] {} ≈ {} (trùng {:.0}% / {:.0}%): \"{}\" ≈ \"{}\"",
                    d.first,
                    d.second,
                    d.overlap * 100.0,
                    d.jaccard * 100.0,
                    d.stem,
                    d.other_stem
                );
            }
        }
        let _ = writeln!(
            s,
            "\nTổng cộng: {} câu sắp hoặc đã hết hiệu lực, {} lượt dựa trên văn bản đã bị thay thế, {} cặp câu hỏi gần trùng chưa cùng họ (family).",
            self.expiring, self.replaced_uses, self.near_duplicates
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::banks::yaml;
    use crate::domain::content::replaced::Replacements;

    #[test]
    fn the_report_lists_expiring_replaced_and_near_duplicate_questions_per_bank() {
        let a = yaml::parse(
            "a.yaml",
            r#"bank: { id: a, title: Ngân hàng A, valid_until: 2027-01-31 }
questions:
  - id: a1
    type: true_false
    stem: Luật An ninh mạng năm 2018 có 7 chương, 43 điều.
    answer: true
    explanation: Như vậy.
    source: Luật An ninh mạng số 24/2018/QH14
  - id: a2
    type: single
    stem: Đảng Cộng sản Việt Nam được thành lập vào ngày, tháng, năm nào?
    options: [{ text: 3/2/1930, correct: true }, { text: 2/9/1945 }]
    explanation: Như vậy.
    source: Văn kiện Đảng
    valid_until: 2030-01-01
"#,
        )
        .unwrap();
        let b = yaml::parse(
            "b.yaml",
            r#"bank: { id: b, title: Ngân hàng B }
questions:
  - id: b1
    type: single
    stem: Đảng Cộng sản Việt Nam được thành lập ngày, tháng, năm nào?
    options: [{ text: 3/2/1930, correct: true }, { text: 19/5/1930 }]
    explanation: Như vậy.
    source: Văn kiện Đảng
"#,
        )
        .unwrap();
        let on = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let banks = [BankContent::from(a), BankContent::from(b)];
        let r = build(&banks, Replacements::shipped(), on);
        assert_eq!(
            r.banks[0].expiring.len(),
            1,
            "a1 by the bank's date; a2 is later"
        );
        assert_eq!(r.banks[0].expiring[0].question, "a1");
        assert_eq!(r.banks[0].replaced.len(), 1);
        assert_eq!(r.banks[0].replaced[0].document, "24/2018/QH14");
        assert_eq!(r.near_duplicates, 1);
        assert_eq!(r.banks[1].near_duplicates[0].first, "a/a2");
        assert_eq!(r.banks[1].near_duplicates[0].second, "b/b1");
        let text = r.to_text();
        assert!(
            text.contains("[văn bản cũ] a1: trích 24/2018/QH14"),
            "{text}"
        );
        assert!(text.contains("[gần trùng] a/a2 ≈ b/b1"), "{text}");
        assert!(
            text.contains("[hiệu lực] a1: hết hiệu lực sau ngày 31/01/2027"),
            "{text}"
        );
        assert!(!r.is_clean());
    }
}
