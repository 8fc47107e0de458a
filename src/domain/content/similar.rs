//! Near-duplicate questions across banks: the words of a stem and its correct answers,
//! lower-cased and without diacritics, compared as sets. Two questions are near-duplicates when
//! the smaller set lies almost wholly in the larger ([`MIN_OVERLAP`]) and the two share most of
//! their words overall ([`MIN_JACCARD`]): the same fact asked twice, whatever the wording's
//! small changes or abbreviations ("UNESCO" for its full name). Calibrated on the shipped banks,
//! where it finds every pair the content review listed and a handful more of the same kind.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::banks::QuestionDef;
use crate::domain::text::fold;

/// Share of the smaller question's words found in the other.
pub const MIN_OVERLAP: f64 = 0.85;
/// Shared words over all words of the two.
pub const MIN_JACCARD: f64 = 0.6;

/// A question and the bank it lives in.
#[derive(Clone, Copy, Debug)]
pub struct Item<'a> {
    pub bank: &'a str,
    pub question: &'a QuestionDef,
}

/// Two questions that ask the same thing, by index into the items compared.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct Pair {
    pub a: usize,
    pub b: usize,
    pub overlap: f64,
    pub jaccard: f64,
    /// Both name the same family: they never meet in one paper, so nothing to fix.
    pub same_family: bool,
}

/// The words compared: the stem's and the correct options'.
fn words(q: &QuestionDef) -> Vec<String> {
    let mut text = q.stem.clone();
    for o in q.options.iter().filter(|o| o.correct) {
        text.push(' ');
        text.push_str(&o.text);
    }
    let mut w: Vec<String> = fold(&text).split(' ').map(str::to_owned).collect();
    w.sort();
    w.dedup();
    w.retain(|s| !s.is_empty());
    w
}

fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The scores of two questions: (overlap, jaccard).
pub fn scores(a: &QuestionDef, b: &QuestionDef) -> (f64, f64) {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut set = |q: &QuestionDef| {
        let mut v: Vec<u32> = words(q)
            .into_iter()
            .map(|w| {
                let n = ids.len() as u32;
                *ids.entry(w).or_insert(n)
            })
            .collect();
        v.sort_unstable();
        v
    };
    let (x, y) = (set(a), set(b));
    score(&x, &y)
}

fn score(x: &[u32], y: &[u32]) -> (f64, f64) {
    if x.is_empty() || y.is_empty() {
        return (0.0, 0.0);
    }
    let n = shared(x, y) as f64;
    let small = x.len().min(y.len()) as f64;
    let union = (x.len() + y.len()) as f64 - n;
    (n / small, n / union)
}

/// Every near-duplicate pair among `items` (each pair once, `a < b`), in item order.
///
/// Candidates come from an index of the rarer words (each in at most a tenth of the questions,
/// or 50), so a province's whole library compares in well under a second; the scores are then
/// exact.
pub fn near_duplicates(items: &[Item<'_>]) -> Vec<Pair> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    let sets: Vec<Vec<u32>> = items
        .iter()
        .map(|it| {
            let mut v: Vec<u32> = words(it.question)
                .into_iter()
                .map(|w| {
                    let n = ids.len() as u32;
                    *ids.entry(w).or_insert(n)
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); ids.len()];
    for (i, s) in sets.iter().enumerate() {
        for &w in s {
            postings[w as usize].push(i as u32);
        }
    }
    let rare = (items.len() / 10).max(50);
    let mut pairs = Vec::new();
    let mut seen: Vec<u32> = vec![u32::MAX; items.len()];
    for (i, s) in sets.iter().enumerate() {
        for &w in s {
            let list = &postings[w as usize];
            if list.len() > rare {
                continue;
            }
            for &j in list {
                let j = j as usize;
                if j <= i || seen[j] == i as u32 {
                    continue;
                }
                seen[j] = i as u32;
                let (overlap, jaccard) = score(s, &sets[j]);
                if overlap >= MIN_OVERLAP && jaccard >= MIN_JACCARD {
                    let fam = |k: usize| items[k].question.family.as_deref();
                    pairs.push(Pair {
                        a: i,
                        b: j,
                        overlap,
                        jaccard,
                        same_family: fam(i).is_some() && fam(i) == fam(j),
                    });
                }
            }
        }
    }
    pairs.sort_by_key(|p| (p.a, p.b));
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::banks::{OptionDef, QuestionKind};

    fn q(key: &str, stem: &str, answer: &str, family: Option<&str>) -> QuestionDef {
        QuestionDef {
            key: key.into(),
            kind: QuestionKind::Single,
            stem: stem.into(),
            options: vec![
                OptionDef {
                    id: "a".into(),
                    text: answer.into(),
                    correct: true,
                },
                OptionDef {
                    id: "b".into(),
                    text: "Một phương án sai".into(),
                    correct: false,
                },
            ],
            explanation: "Giải thích.".into(),
            source: "Nguồn".into(),
            tags: vec![],
            difficulty: 1,
            family: family.map(str::to_owned),
            validity: Default::default(),
            documents: vec![],
            line: 1,
        }
    }

    #[test]
    fn an_abbreviated_stem_with_the_same_answer_is_a_near_duplicate() {
        let long = q(
            "hcm-097",
            "Năm 1987, Tổ chức Giáo dục, Khoa học và Văn hóa của Liên hợp quốc (UNESCO) ra nghị quyết tôn vinh Chủ tịch Hồ Chí Minh là gì?",
            "Anh hùng giải phóng dân tộc, Nhà văn hóa kiệt xuất của Việt Nam",
            None,
        );
        let short = q(
            "lsvn-133",
            "Năm 1987, UNESCO ra nghị quyết tôn vinh Chủ tịch Hồ Chí Minh với danh hiệu nào?",
            "Anh hùng giải phóng dân tộc, Nhà văn hóa kiệt xuất của Việt Nam",
            None,
        );
        let other = q(
            "dtn-001",
            "Ngày thành lập Đoàn Thanh niên Cộng sản Hồ Chí Minh là ngày, tháng, năm nào?",
            "26/3/1931",
            None,
        );
        let items: Vec<Item> = [&long, &short, &other]
            .into_iter()
            .map(|question| Item {
                bank: "b",
                question,
            })
            .collect();
        let pairs = near_duplicates(&items);
        assert_eq!(pairs.len(), 1, "{pairs:?}");
        assert_eq!((pairs[0].a, pairs[0].b), (0, 1));
        assert!(!pairs[0].same_family);
        let (overlap, jaccard) = scores(&long, &short);
        assert!(overlap >= MIN_OVERLAP && jaccard >= MIN_JACCARD);
    }

    #[test]
    fn the_same_question_about_another_law_is_not_a_near_duplicate() {
        let a = q(
            "a",
            "Luật Thanh niên năm 2020 có hiệu lực thi hành từ ngày nào?",
            "1/1/2021",
            None,
        );
        let b = q(
            "b",
            "Luật An ninh mạng năm 2025 có hiệu lực thi hành từ ngày nào?",
            "1/7/2026",
            None,
        );
        let (overlap, jaccard) = scores(&a, &b);
        assert!(
            overlap < MIN_OVERLAP || jaccard < MIN_JACCARD,
            "{overlap} {jaccard}"
        );
    }

    #[test]
    fn a_shared_family_marks_the_pair_as_known() {
        let a = q(
            "a",
            "Đảng Cộng sản Việt Nam ra đời năm nào?",
            "1930",
            Some("dang-ra-doi"),
        );
        let b = q(
            "b",
            "Đảng Cộng sản Việt Nam ra đời vào năm nào?",
            "1930",
            Some("dang-ra-doi"),
        );
        let items = [
            Item {
                bank: "x",
                question: &a,
            },
            Item {
                bank: "y",
                question: &b,
            },
        ];
        let pairs = near_duplicates(&items);
        assert_eq!(pairs.len(), 1);
        assert!(pairs[0].same_family);
    }
}
