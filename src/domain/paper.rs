//! Papers: drawing questions by rule, shuffling options, grading, and the deadline.
//!
//! A paper is frozen when an attempt starts: the question versions drawn and, for each, the
//! order its options are shown in. Clients name options by their position in that shown order
//! (`a`, `b`, `c`…), so nothing a client sees hints at where the key stood in the source file.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Duration, Utc};
use rand::{
    Rng,
    seq::{IndexedRandom, SliceRandom},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::banks::QuestionKind;

/// What a bank is for. A contest bank is sealed: only rounds draw from it and its keys are shown
/// to nobody but its owners before a round is finalised. A practice bank serves lessons and
/// course tests (with review after submit) and never a round. A bank without a purpose takes
/// the purpose of the first round or course that draws from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Contest,
    Practice,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Contest => "contest",
            Purpose::Practice => "practice",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "contest" => Some(Purpose::Contest),
            "practice" => Some(Purpose::Practice),
            _ => None,
        }
    }
}

/// Draws `count` distinct live questions of `bank` having any of `tags` (any question when
/// empty) with a difficulty in `difficulty` (any when empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawRule {
    pub bank: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub difficulty: Vec<u8>,
    pub count: u32,
}

/// The live questions of each bank, by bank slug, shared with the cache that holds them.
pub type Pools = HashMap<String, Arc<Vec<PoolEntry>>>;

/// What drawing needs to know of a question version (no text, no key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolEntry {
    pub version_id: i32,
    pub question_id: i32,
    pub tags: Vec<String>,
    pub difficulty: u8,
}

impl DrawRule {
    fn admits(&self, e: &PoolEntry) -> bool {
        (self.tags.is_empty() || self.tags.iter().any(|t| e.tags.contains(t)))
            && (self.difficulty.is_empty() || self.difficulty.contains(&e.difficulty))
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("ngân hàng \"{bank}\" không tồn tại hoặc không còn câu hỏi")]
    NoBank { bank: String },
    #[error(
        "quy tắc thứ {rule} cần {wanted} câu hỏi từ ngân hàng \"{bank}\" nhưng chỉ còn {available} câu phù hợp"
    )]
    NotEnough {
        rule: usize,
        bank: String,
        wanted: u32,
        available: usize,
    },
}

/// One question of a frozen paper: the version served and the shown order of its options
/// (indices into the version's options).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperItem {
    #[serde(rename = "v")]
    pub version_id: i32,
    #[serde(rename = "o")]
    pub order: Vec<u8>,
}

/// Checks that the pools can satisfy `rules` (used when a quiz is defined).
///
/// Fails like [`draw`] would on the first rule that cannot be met.
pub fn check_rules(rules: &[DrawRule], pools: &Pools) -> Result<(), DrawError> {
    // Greedy: reserve the first admissible questions rule by rule. Rules with overlapping tags
    // make this a bound, not an exact answer; the draw itself is the authority.
    let mut used = HashSet::new();
    for (i, rule) in rules.iter().enumerate() {
        let pool = pools.get(&rule.bank).ok_or_else(|| DrawError::NoBank {
            bank: rule.bank.clone(),
        })?;
        let free: Vec<_> = pool
            .iter()
            .filter(|e| rule.admits(e) && !used.contains(&e.question_id))
            .collect();
        if free.len() < rule.count as usize {
            return Err(DrawError::NotEnough {
                rule: i + 1,
                bank: rule.bank.clone(),
                wanted: rule.count,
                available: free.len(),
            });
        }
        used.extend(free.iter().take(rule.count as usize).map(|e| e.question_id));
    }
    Ok(())
}

/// Draws a paper: applies the rules in order, never the same question twice, then shuffles
/// the question order. Fails when a rule's bank is missing or has too few admissible
/// questions left.
pub fn draw(rules: &[DrawRule], pools: &Pools, rng: &mut impl Rng) -> Result<Vec<i32>, DrawError> {
    let mut taken: HashSet<i32> = HashSet::new();
    let mut paper = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let pool = pools.get(&rule.bank).ok_or_else(|| DrawError::NoBank {
            bank: rule.bank.clone(),
        })?;
        let candidates: Vec<&PoolEntry> = pool
            .iter()
            .filter(|e| rule.admits(e) && !taken.contains(&e.question_id))
            .collect();
        let wanted = rule.count as usize;
        if candidates.len() < wanted {
            return Err(DrawError::NotEnough {
                rule: i + 1,
                bank: rule.bank.clone(),
                wanted: rule.count,
                available: candidates.len(),
            });
        }
        for e in candidates.choose_multiple(rng, wanted) {
            taken.insert(e.question_id);
            paper.push(e.version_id);
        }
    }
    paper.shuffle(rng);
    Ok(paper)
}

/// The shown order of a question's options: a random permutation, except that true/false
/// always shows "Đúng" before "Sai".
pub fn shuffle_options(kind: QuestionKind, n: usize, rng: &mut impl Rng) -> Vec<u8> {
    let mut order: Vec<u8> = (0..n as u8).collect();
    if kind != QuestionKind::TrueFalse {
        order.shuffle(rng);
    }
    order
}

/// The id a client uses for the option shown at `position`.
pub fn shown_id(position: usize) -> String {
    super::banks::letter_id(position)
}

fn shown_position(id: &str) -> Option<usize> {
    let mut chars = id.chars();
    match (chars.next(), chars.next()) {
        (Some(c @ 'a'..='z'), None) => Some(c as usize - 'a' as usize),
        _ => None,
    }
}

/// The answer key of one question version: which of its options (by index) are correct.
pub type Key = Vec<bool>;

/// Saved answers: question (version id) → shown option ids chosen.
pub type Answers = BTreeMap<i32, Vec<String>>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grade {
    pub correct: u32,
    pub total: u32,
    /// Per question of the paper, in paper order: answered right or not.
    pub per_question: Vec<bool>,
}

/// Grades a paper against the keys. A question counts when the chosen options are exactly the
/// correct ones (all-or-nothing, as contests score). Unknown ids, unanswered questions and
/// questions without a key count as wrong.
pub fn grade(paper: &[PaperItem], answers: &Answers, keys: &HashMap<i32, Key>) -> Grade {
    let per_question: Vec<bool> = paper
        .iter()
        .map(|item| {
            let (Some(key), Some(chosen)) =
                (keys.get(&item.version_id), answers.get(&item.version_id))
            else {
                return false;
            };
            let mut picked = HashSet::new();
            for id in chosen {
                let Some(original) = shown_position(id).and_then(|p| item.order.get(p)) else {
                    return false;
                };
                picked.insert(*original as usize);
            }
            let expected: HashSet<usize> = key
                .iter()
                .enumerate()
                .filter(|(_, c)| **c)
                .map(|(i, _)| i)
                .collect();
            !expected.is_empty() && picked == expected
        })
        .collect();
    Grade {
        correct: per_question.iter().filter(|c| **c).count() as u32,
        total: paper.len() as u32,
        per_question,
    }
}

/// Whether a score meets a pass mark given in percent.
pub fn passed(correct: u32, total: u32, pass_mark_percent: u32) -> bool {
    total > 0 && u64::from(correct) * 100 >= u64::from(pass_mark_percent) * u64::from(total)
}

/// The server accepts saves and submits up to the deadline plus a grace period (for the
/// network delay of a phone that pressed "Nộp bài" in time), and not a millisecond later.
pub fn open_at(now: DateTime<Utc>, deadline: DateTime<Utc>, grace: Duration) -> bool {
    now <= deadline + grace
}

/// Time taken, capped at the time limit: a submit in the grace period does not count the grace.
pub fn time_taken(
    started: DateTime<Utc>,
    finished: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> Duration {
    finished.min(deadline) - started
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn pool(n: i32) -> Pools {
        let entries = (1..=n)
            .map(|i| PoolEntry {
                version_id: 1000 + i,
                question_id: i,
                tags: vec![if i % 2 == 0 {
                    "chan".into()
                } else {
                    "le".into()
                }],
                difficulty: (i % 3 + 1) as u8,
            })
            .collect();
        HashMap::from([("b".to_owned(), Arc::new(entries))])
    }

    fn rule(tags: &[&str], count: u32) -> DrawRule {
        DrawRule {
            bank: "b".into(),
            tags: tags.iter().map(|s| s.to_string()).collect(),
            difficulty: vec![],
            count,
        }
    }

    #[test]
    fn rules_are_honoured() {
        let mut rng = StdRng::seed_from_u64(7);
        let paper = draw(&[rule(&["chan"], 3), rule(&["le"], 2)], &pool(20), &mut rng).unwrap();
        assert_eq!(paper.len(), 5);
        assert_eq!(paper.iter().filter(|v| (*v - 1000) % 2 == 0).count(), 3);
    }

    #[test]
    fn too_few_questions_is_an_error_naming_the_rule() {
        let mut rng = StdRng::seed_from_u64(7);
        let err = draw(&[rule(&[], 5), rule(&["le"], 8)], &pool(12), &mut rng).unwrap_err();
        assert!(
            matches!(err, DrawError::NotEnough { rule: 2, .. })
                || matches!(err, DrawError::NotEnough { rule: 1, .. })
        );
        let err = draw(
            &[DrawRule {
                bank: "x".into(),
                ..rule(&[], 1)
            }],
            &pool(3),
            &mut rng,
        )
        .unwrap_err();
        assert_eq!(err, DrawError::NoBank { bank: "x".into() });
        assert!(check_rules(&[rule(&["le"], 6)], &pool(12)).is_ok());
        assert!(check_rules(&[rule(&["le"], 7)], &pool(12)).is_err());
    }

    fn item(v: i32, order: Vec<u8>) -> PaperItem {
        PaperItem {
            version_id: v,
            order,
        }
    }

    #[test]
    fn grading_maps_shown_ids_back_through_the_shuffle() {
        // Option 2 is correct; it is shown first.
        let paper = vec![item(1, vec![2, 0, 1]), item(2, vec![1, 0, 2])];
        let keys = HashMap::from([(1, vec![false, false, true]), (2, vec![true, true, false])]);
        let answers = Answers::from([(1, vec!["a".into()]), (2, vec!["a".into(), "b".into()])]);
        let g = grade(&paper, &answers, &keys);
        assert_eq!((g.correct, g.total), (2, 2));
        // Half of a multiple-choice answer is wrong.
        let answers = Answers::from([(1, vec!["b".into()]), (2, vec!["a".into()])]);
        assert_eq!(grade(&paper, &answers, &keys).correct, 0);
        // Unknown ids are wrong, not errors.
        let answers = Answers::from([(1, vec!["z".into()]), (2, vec!["aa".into()])]);
        assert_eq!(grade(&paper, &answers, &keys).correct, 0);
    }

    #[test]
    fn the_deadline_has_a_grace_period_to_the_millisecond() {
        let deadline: DateTime<Utc> = "2026-11-28T10:00:00Z".parse().unwrap();
        let grace = Duration::seconds(5);
        let ms = Duration::milliseconds(1);
        assert!(open_at(deadline + grace - ms, deadline, grace));
        assert!(open_at(deadline + grace, deadline, grace));
        assert!(!open_at(deadline + grace + ms, deadline, grace));
        let started = deadline - Duration::minutes(10);
        assert_eq!(
            time_taken(started, deadline + Duration::seconds(3), deadline),
            Duration::minutes(10)
        );
        assert_eq!(
            time_taken(started, started + Duration::seconds(42), deadline),
            Duration::seconds(42)
        );
    }

    #[test]
    fn pass_marks_are_percent_of_questions() {
        assert!(passed(15, 30, 50));
        assert!(!passed(14, 30, 50));
        assert!(passed(3, 5, 60));
        assert!(!passed(0, 0, 0));
    }

    proptest! {
        #[test]
        fn a_draw_never_repeats_a_question(seed in any::<u64>(), a in 0u32..10, b in 0u32..10) {
            let mut rng = StdRng::seed_from_u64(seed);
            let paper = draw(&[rule(&["chan"], a), rule(&[], b)], &pool(30), &mut rng).unwrap();
            let distinct: HashSet<_> = paper.iter().collect();
            prop_assert_eq!(distinct.len(), paper.len());
            prop_assert_eq!(paper.len() as u32, a + b);
        }

        #[test]
        fn shuffles_are_permutations(seed in any::<u64>(), n in 2usize..9) {
            let mut rng = StdRng::seed_from_u64(seed);
            let mut order = shuffle_options(QuestionKind::Single, n, &mut rng);
            order.sort();
            prop_assert_eq!(order, (0..n as u8).collect::<Vec<_>>());
        }

        #[test]
        fn a_score_never_exceeds_the_number_of_questions(seed in any::<u64>(), picks in prop::collection::vec(prop::collection::vec("[a-e]", 0..4), 0..12)) {
            let mut rng = StdRng::seed_from_u64(seed);
            let paper: Vec<PaperItem> = (0..picks.len() as i32)
                .map(|i| item(i, shuffle_options(QuestionKind::Single, 4, &mut rng)))
                .collect();
            let keys: HashMap<i32, Key> = (0..picks.len() as i32).map(|i| (i, vec![true, false, false, false])).collect();
            let answers: Answers = picks.into_iter().enumerate().map(|(i, p)| (i as i32, p)).collect();
            let g = grade(&paper, &answers, &keys);
            prop_assert!(g.correct <= g.total);
            prop_assert_eq!(g.total as usize, paper.len());
        }
    }
}
