//! Papers: drawing questions by rule, shuffling options, grading, and the deadline.
//!
//! A paper is frozen when an attempt starts: the question versions drawn and, for each, the
//! order its options are shown in. Clients name options by their position in that shown order
//! (`a`, `b`, `c`…), so nothing a client sees hints at where the key stood in the source file.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{
    Rng,
    seq::{IndexedRandom, SliceRandom},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::banks::QuestionKind;
use super::content::Validity;

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
    pub family: Option<String>,
    pub validity: Validity,
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

/// The groups a rule may draw from on `day`: questions it admits that are valid that day, not
/// taken, and of no family already on the paper; the questions of one family form one group
/// (a paper holds at most one of them).
fn groups<'p>(
    rule: &DrawRule,
    pool: &'p [PoolEntry],
    day: NaiveDate,
    taken: &HashSet<i32>,
    families: &HashSet<&str>,
) -> Vec<Vec<&'p PoolEntry>> {
    let mut groups: Vec<Vec<&PoolEntry>> = Vec::new();
    let mut by_family: HashMap<&str, usize> = HashMap::new();
    for e in pool {
        if !rule.admits(e) || !e.validity.contains(day) || taken.contains(&e.question_id) {
            continue;
        }
        match e.family.as_deref() {
            Some(f) if families.contains(f) => {}
            Some(f) => match by_family.get(f) {
                Some(&i) => groups[i].push(e),
                None => {
                    by_family.insert(f, groups.len());
                    groups.push(vec![e]);
                }
            },
            None => groups.push(vec![e]),
        }
    }
    groups
}

/// Checks that the pools can satisfy `rules` on each of `days` (see [`critical_days`]; used
/// when a quiz is defined).
///
/// Fails like [`draw`] would on the first rule that cannot be met.
pub fn check_rules(rules: &[DrawRule], pools: &Pools, days: &[NaiveDate]) -> Result<(), DrawError> {
    // Greedy: reserve the first admissible questions rule by rule. Rules with overlapping tags
    // make this a bound, not an exact answer; the draw itself is the authority.
    for &day in days {
        let mut used = HashSet::new();
        let mut families = HashSet::new();
        for (i, rule) in rules.iter().enumerate() {
            let pool = pools.get(&rule.bank).ok_or_else(|| DrawError::NoBank {
                bank: rule.bank.clone(),
            })?;
            let free = groups(rule, pool, day, &used, &families);
            if free.len() < rule.count as usize {
                return Err(DrawError::NotEnough {
                    rule: i + 1,
                    bank: rule.bank.clone(),
                    wanted: rule.count,
                    available: free.len(),
                });
            }
            for g in free.iter().take(rule.count as usize) {
                used.insert(g[0].question_id);
                families.extend(g[0].family.as_deref());
            }
        }
    }
    Ok(())
}

/// The days between `first` and `last` on which the questions of `pools` that can be drawn
/// change for the worse: the two ends and each day after a question's last valid day. A draw
/// that works on all of them works on every day between.
pub fn critical_days(pools: &Pools, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = pools
        .values()
        .flat_map(|p| p.iter())
        .filter_map(|e| e.validity.until?.succ_opt())
        .filter(|d| *d > first && *d < last)
        .chain([first, last])
        .collect();
    days.sort_unstable();
    days.dedup();
    days
}

/// Draws a paper for `day`: applies the rules in order, never the same question twice nor two
/// of one family, only questions valid that day, then shuffles the question order. Fails when
/// a rule's bank is missing or has too few admissible questions left.
pub fn draw(
    rules: &[DrawRule],
    pools: &Pools,
    day: NaiveDate,
    rng: &mut impl Rng,
) -> Result<Vec<i32>, DrawError> {
    let mut taken: HashSet<i32> = HashSet::new();
    let mut families: HashSet<&str> = HashSet::new();
    let mut paper = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let pool = pools.get(&rule.bank).ok_or_else(|| DrawError::NoBank {
            bank: rule.bank.clone(),
        })?;
        let candidates = groups(rule, pool, day, &taken, &families);
        let wanted = rule.count as usize;
        if candidates.len() < wanted {
            return Err(DrawError::NotEnough {
                rule: i + 1,
                bank: rule.bank.clone(),
                wanted: rule.count,
                available: candidates.len(),
            });
        }
        for g in candidates.choose_multiple(rng, wanted) {
            let Some(e) = g.choose(rng) else { continue };
            taken.insert(e.question_id);
            families.extend(e.family.as_deref());
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
                family: None,
                validity: Validity::ALWAYS,
            })
            .collect();
        HashMap::from([("b".to_owned(), Arc::new(entries))])
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
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
        let paper = draw(
            &[rule(&["chan"], 3), rule(&["le"], 2)],
            &pool(20),
            today(),
            &mut rng,
        )
        .unwrap();
        assert_eq!(paper.len(), 5);
        assert_eq!(paper.iter().filter(|v| (*v - 1000) % 2 == 0).count(), 3);
    }

    #[test]
    fn families_and_validity_shape_the_draw_and_its_check() {
        let mut p = pool(4);
        let entries = Arc::make_mut(p.get_mut("b").unwrap());
        entries[0].family = Some("ho".into());
        entries[1].family = Some("ho".into());
        entries[2].validity = Validity {
            from: None,
            until: Some(today()),
        };
        let mut rng = StdRng::seed_from_u64(1);
        // Four questions, one family of two: three can be drawn today, two tomorrow.
        assert_eq!(
            draw(&[rule(&[], 3)], &p, today(), &mut rng).unwrap().len(),
            3
        );
        assert!(draw(&[rule(&[], 4)], &p, today(), &mut rng).is_err());
        let tomorrow = today().succ_opt().unwrap();
        let err = draw(&[rule(&[], 3)], &p, tomorrow, &mut rng).unwrap_err();
        assert!(matches!(err, DrawError::NotEnough { available: 2, .. }));
        assert_eq!(
            critical_days(&p, today(), today() + Duration::days(9)),
            [today(), tomorrow, today() + Duration::days(9)]
        );
        assert!(check_rules(&[rule(&[], 3)], &p, &[today()]).is_ok());
        assert!(
            check_rules(
                &[rule(&[], 3)],
                &p,
                &critical_days(&p, today(), today() + Duration::days(9))
            )
            .is_err()
        );
    }

    #[test]
    fn too_few_questions_is_an_error_naming_the_rule() {
        let mut rng = StdRng::seed_from_u64(7);
        let err = draw(
            &[rule(&[], 5), rule(&["le"], 8)],
            &pool(12),
            today(),
            &mut rng,
        )
        .unwrap_err();
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
            today(),
            &mut rng,
        )
        .unwrap_err();
        assert_eq!(err, DrawError::NoBank { bank: "x".into() });
        assert!(check_rules(&[rule(&["le"], 6)], &pool(12), &[today()]).is_ok());
        assert!(check_rules(&[rule(&["le"], 7)], &pool(12), &[today()]).is_err());
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
            let paper = draw(&[rule(&["chan"], a), rule(&[], b)], &pool(30), today(), &mut rng).unwrap();
            let distinct: HashSet<_> = paper.iter().collect();
            prop_assert_eq!(distinct.len(), paper.len());
            prop_assert_eq!(paper.len() as u32, a + b);
        }

        /// Families and validity: whatever the pool, a paper holds at most one question of a
        /// family and only questions valid on its day; it fails only when the pool cannot fill
        /// a rule with distinct families, and then `check_rules` fails too.
        #[test]
        fn a_draw_never_puts_two_of_one_family_in_a_paper(
            seed in any::<u64>(),
            entries in prop::collection::vec((0u8..6, 0u8..3, any::<bool>(), -3i64..3, -3i64..3), 1..60),
            counts in prop::collection::vec((0u8..3, 0u32..12), 1..4),
            offset in -4i64..4,
        ) {
            let base = today();
            let pool: Vec<PoolEntry> = entries.iter().enumerate().map(|(i, (fam, tag, dated, from, until))| PoolEntry {
                version_id: 1000 + i as i32,
                question_id: i as i32,
                tags: vec![format!("t{tag}")],
                difficulty: 1,
                // Family 0 stands for "none"; the others are shared by several questions.
                family: (*fam > 0).then(|| format!("ho-{fam}")),
                validity: if *dated {
                    Validity { from: Some(base + Duration::days(*from)), until: Some(base + Duration::days(from.max(until) + 1)) }
                } else {
                    Validity::ALWAYS
                },
            }).collect();
            let family_of: HashMap<i32, Option<String>> = pool.iter().map(|e| (e.version_id, e.family.clone())).collect();
            let valid: HashMap<i32, Validity> = pool.iter().map(|e| (e.version_id, e.validity)).collect();
            let pools: Pools = HashMap::from([("b".to_owned(), Arc::new(pool))]);
            let rules: Vec<DrawRule> = counts.iter().map(|(tag, n)| rule(&[&format!("t{tag}")], *n)).collect();
            let day = base + Duration::days(offset);
            let mut rng = StdRng::seed_from_u64(seed);
            match draw(&rules, &pools, day, &mut rng) {
                Ok(paper) => {
                    prop_assert_eq!(paper.len() as u32, rules.iter().map(|r| r.count).sum::<u32>());
                    let fams: Vec<&String> = paper.iter().filter_map(|v| family_of[v].as_ref()).collect();
                    let distinct: HashSet<_> = fams.iter().collect();
                    prop_assert_eq!(distinct.len(), fams.len(), "two of one family: {:?}", fams);
                    prop_assert!(paper.iter().all(|v| valid[v].contains(day)));
                }
                Err(DrawError::NotEnough { .. }) => {
                    // Greedy reservation is a bound: when even it fails, so does the check.
                    if rules.len() == 1 {
                        prop_assert!(check_rules(&rules, &pools, &[day]).is_err());
                    }
                }
                Err(e) => prop_assert!(false, "unexpected {e}"),
            }
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
