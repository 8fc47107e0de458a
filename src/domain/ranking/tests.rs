//! Tests of the ranking rules: worked examples and properties.

use super::*;
use chrono::{Duration, TimeZone};
use proptest::prelude::*;
use std::collections::HashMap;

fn opens() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 26, 8, 0, 0).unwrap()
}

fn uid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

/// An entry 10/10, 60 s, submitted 10 min after opening, no prediction, one attempt.
fn entry(user: u128) -> Entry {
    let started_at = opens() + Duration::minutes(9);
    Entry {
        user_id: uid(user),
        unit_id: None,
        correct: 10,
        total: 10,
        duration_ms: 60_000,
        started_at,
        submitted_at: started_at + Duration::minutes(1),
        prediction: None,
        attempts_used: 1,
    }
}

fn users(ranked: &[Ranked]) -> Vec<Uuid> {
    ranked.iter().map(|r| r.entry.user_id).collect()
}

fn rule_of(order: &[TieBreak]) -> RankingRule {
    RankingRule {
        order: order.to_vec(),
        ..RankingRule::default()
    }
}

// In each test of a single step the better entry has the larger user id, so only that step
// can put it first.

#[test]
fn more_correct_ranks_first() {
    let mut better = entry(2);
    better.correct = 9;
    let mut worse = entry(1);
    worse.correct = 8;
    let ranked = rank(vec![worse, better], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn closer_prediction_ranks_first() {
    // Truth (all correct) is 2.
    let mut better = entry(2);
    better.prediction = Some(3);
    let mut worse = entry(1);
    worse.prediction = Some(0);
    let ranked = rank(vec![worse, better], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    assert_eq!(ranked[0].prediction_error, Some(1));
    assert_eq!(ranked[1].prediction_error, Some(2));
}

#[test]
fn a_missing_prediction_ranks_after_any_guess() {
    let mut far = entry(2);
    far.prediction = Some(1_000_000);
    let none = entry(1);
    let ranked = rank(vec![none, far], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    assert_eq!(ranked[1].prediction_error, None);
}

#[test]
fn shorter_time_ranks_first() {
    let mut better = entry(2);
    better.duration_ms = 59_999;
    let worse = entry(1);
    let ranked = rank(vec![worse, better], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    assert_eq!(ranked[0].time_ms, 59_999);
}

#[test]
fn earlier_submission_ranks_first() {
    let mut better = entry(2);
    better.submitted_at -= Duration::milliseconds(1);
    let worse = entry(1);
    let ranked = rank(vec![worse, better], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
}

#[test]
fn fewer_attempts_rank_first() {
    let mut better = entry(2);
    better.attempts_used = 1;
    let mut worse = entry(1);
    worse.attempts_used = 3;
    let mut rule = RankingRule::default();
    rule.order.push(TieBreak::FewerAttempts);
    let ranked = rank(vec![worse.clone(), better.clone()], &rule, opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    // Without the step, the user id decides.
    let ranked = rank(vec![better, worse], &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(1), uid(2)]);
}

#[test]
fn the_user_id_breaks_what_the_rule_leaves_tied() {
    let ranked = rank(
        vec![entry(3), entry(1), entry(2)],
        &RankingRule::default(),
        opens(),
    );
    assert_eq!(users(&ranked), [uid(1), uid(2), uid(3)]);
    assert_eq!(ranked.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn steps_apply_in_the_order_listed() {
    // 2 is faster, 1 guessed closer: the order of the steps decides.
    let mut fast = entry(2);
    fast.duration_ms = 1_000;
    fast.prediction = Some(50);
    let mut close = entry(1);
    close.prediction = Some(2);
    let entries = vec![fast, close];
    let ranked = rank(entries.clone(), &RankingRule::default(), opens());
    assert_eq!(users(&ranked), [uid(1), uid(2)]);
    let ranked = rank(
        entries,
        &rule_of(&[TieBreak::Time, TieBreak::Prediction]),
        opens(),
    );
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
}

#[test]
fn both_time_modes() {
    // 1 was quick but started late; 2 took longer but submitted earlier in the round.
    let mut quick = entry(1);
    quick.started_at = opens() + Duration::minutes(30);
    quick.duration_ms = 60_000;
    quick.submitted_at = quick.started_at + Duration::minutes(1);
    let mut early = entry(2);
    early.started_at = opens() + Duration::minutes(1);
    early.duration_ms = 300_000;
    early.submitted_at = early.started_at + Duration::minutes(5);
    let entries = vec![early, quick];

    let ranked = rank(entries.clone(), &rule_of(&[TieBreak::Time]), opens());
    assert_eq!(users(&ranked), [uid(1), uid(2)]);
    assert_eq!(
        ranked.iter().map(|r| r.time_ms).collect::<Vec<_>>(),
        [60_000, 300_000]
    );

    let rule = RankingRule {
        order: vec![TieBreak::Time],
        time_mode: TimeMode::SinceOpening,
        ..RankingRule::default()
    };
    let ranked = rank(entries, &rule, opens());
    assert_eq!(users(&ranked), [uid(2), uid(1)]);
    assert_eq!(
        ranked.iter().map(|r| r.time_ms).collect::<Vec<_>>(),
        [360_000, 1_860_000]
    );
}

#[test]
fn prediction_of_participants() {
    // Three participants, one of them all correct.
    let mut a = entry(1);
    a.prediction = Some(1);
    let mut b = entry(2);
    b.prediction = Some(3);
    b.correct = 9;
    let mut c = entry(3);
    c.correct = 9;
    let rule = RankingRule {
        order: vec![TieBreak::Prediction],
        prediction_target: PredictionTarget::Participants,
        ..RankingRule::default()
    };
    let ranked = rank(vec![a, b, c], &rule, opens());
    assert_eq!(users(&ranked), [uid(2), uid(1), uid(3)]);
    assert_eq!(ranked[0].prediction_error, Some(0));
    assert_eq!(ranked[1].prediction_error, Some(2));
}

#[test]
fn best_attempt_takes_most_correct_then_shorter_then_earlier() {
    let best_attempt = |a: &[Entry]| best_attempt(a, TimeMode::Duration, opens());
    assert_eq!(best_attempt(&[]), None);

    let mut low = entry(1);
    low.correct = 5;
    low.duration_ms = 1;
    let high = entry(1);
    let best = best_attempt(&[low.clone(), high.clone()]).unwrap();
    assert_eq!(best.correct, 10);
    assert_eq!(best.attempts_used, 2);

    let mut slow = high.clone();
    slow.duration_ms = 70_000;
    slow.submitted_at -= Duration::hours(1);
    let best = best_attempt(&[slow, high.clone(), low.clone()]).unwrap();
    assert_eq!(best.duration_ms, 60_000);
    assert_eq!(best.attempts_used, 3);

    let mut later = high.clone();
    later.started_at += Duration::hours(1);
    later.submitted_at += Duration::hours(1);
    let best = best_attempt(&[later, high.clone()]).unwrap();
    assert_eq!(best.submitted_at, high.submitted_at);
    assert_eq!(best.started_at, high.started_at);
}

#[test]
fn since_opening_counts_the_attempt_submitted_earliest_in_the_round() {
    // Both 10/10: the first took 5 minutes and ended 6 minutes into the round; the
    // second took 1 minute but ended an hour in.
    let mut first = entry(1);
    first.duration_ms = 300_000;
    first.submitted_at = opens() + Duration::minutes(6);
    first.started_at = first.submitted_at - Duration::minutes(5);
    let mut second = entry(1);
    second.duration_ms = 60_000;
    second.submitted_at = opens() + Duration::hours(1);
    second.started_at = second.submitted_at - Duration::minutes(1);
    let both = [first.clone(), second.clone()];
    let by_opening = best_attempt(&both, TimeMode::SinceOpening, opens()).unwrap();
    assert_eq!(by_opening.submitted_at, first.submitted_at);
    let by_duration = best_attempt(&both, TimeMode::Duration, opens()).unwrap();
    assert_eq!(by_duration.submitted_at, second.submitted_at);
}

#[test]
fn true_figure_for_both_targets() {
    let mut partial = entry(2);
    partial.correct = 3;
    let mut empty = entry(3);
    empty.correct = 0;
    empty.total = 0;
    let entries = [entry(1), partial, empty, entry(4)];
    assert_eq!(true_figure(&entries, PredictionTarget::AllCorrect), 2);
    assert_eq!(true_figure(&entries, PredictionTarget::Participants), 4);
    assert_eq!(true_figure(&[], PredictionTarget::AllCorrect), 0);
}

fn tiers() -> Vec<PrizeTier> {
    [
        ("Giải Nhất", 1),
        ("Giải Nhì", 2),
        ("Giải Ba", 3),
        ("Giải Khuyến khích", 10),
    ]
    .into_iter()
    .map(|(name, count)| PrizeTier {
        name: name.into(),
        count,
    })
    .collect()
}

/// `n` participants, user `i` with `30 - i` correct out of 30, so ranks follow user ids.
fn field(n: u32) -> Vec<Ranked> {
    let entries = (1..=n)
        .map(|i| {
            let mut e = entry(u128::from(i));
            e.total = 30;
            e.correct = 30 - i.min(30);
            e
        })
        .collect();
    rank(entries, &RankingRule::default(), opens())
}

fn count_by_tier(awards: &[Award]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for a in awards {
        *m.entry(a.tier.as_str()).or_default() += 1;
    }
    m
}

#[test]
fn the_share_caps_the_awards() {
    let ranked = field(30);
    let none = HashSet::new();
    let rule = PrizeRule {
        tiers: tiers(),
        max_share_percent: 20,
        min_correct: 0,
    };
    let awards = award(&ranked, &rule, &none);
    assert_eq!(awards.len(), 6);
    let by_tier = count_by_tier(&awards);
    assert_eq!(by_tier["Giải Nhất"], 1);
    assert_eq!(by_tier["Giải Nhì"], 2);
    assert_eq!(by_tier["Giải Ba"], 3);
    assert!(!by_tier.contains_key("Giải Khuyến khích"));
    assert_eq!(
        awards.iter().map(|a| a.rank).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );

    // 10 % of 30 stops in the middle of the tiers.
    let awards = award(
        &ranked,
        &PrizeRule {
            max_share_percent: 10,
            ..rule.clone()
        },
        &none,
    );
    assert_eq!(
        awards.iter().map(|a| a.tier.as_str()).collect::<Vec<_>>(),
        ["Giải Nhất", "Giải Nhì", "Giải Nhì"]
    );

    // 10 % of 29 is 2.9: floor.
    let awards = award(
        &field(29),
        &PrizeRule {
            max_share_percent: 10,
            ..rule.clone()
        },
        &none,
    );
    assert_eq!(awards.len(), 2);

    // No cap: every slot is filled.
    let awards = award(
        &ranked,
        &PrizeRule {
            max_share_percent: 0,
            ..rule
        },
        &none,
    );
    assert_eq!(awards.len(), 16);
    assert_eq!(count_by_tier(&awards)["Giải Khuyến khích"], 10);
}

#[test]
fn below_min_correct_wins_nothing_and_uses_no_slot() {
    // Correct answers by rank: 29, 28, 27, … so min_correct 28 admits only the first two.
    let ranked = field(30);
    let rule = PrizeRule {
        tiers: tiers(),
        max_share_percent: 0,
        min_correct: 28,
    };
    let awards = award(&ranked, &rule, &HashSet::new());
    assert_eq!(
        awards
            .iter()
            .map(|a| (a.rank, a.tier.as_str()))
            .collect::<Vec<_>>(),
        [(1, "Giải Nhất"), (2, "Giải Nhì")]
    );

    // An entry below the minimum in the middle of the list is passed over.
    let mut ranked = field(5);
    ranked[1].entry.correct = 0;
    let rule = PrizeRule {
        tiers: tiers(),
        max_share_percent: 0,
        min_correct: 1,
    };
    let awards = award(&ranked, &rule, &HashSet::new());
    assert_eq!(
        awards
            .iter()
            .map(|a| (a.rank, a.tier.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "Giải Nhất"),
            (3, "Giải Nhì"),
            (4, "Giải Nhì"),
            (5, "Giải Ba")
        ]
    );
}

#[test]
fn earlier_winners_are_passed_over() {
    let ranked = field(30);
    let earlier: HashSet<Uuid> = [uid(1), uid(3)].into();
    let rule = PrizeRule {
        tiers: tiers(),
        max_share_percent: 10,
        min_correct: 0,
    };
    let awards = award(&ranked, &rule, &earlier);
    assert_eq!(
        awards
            .iter()
            .map(|a| (a.user_id, a.tier.as_str()))
            .collect::<Vec<_>>(),
        [
            (uid(2), "Giải Nhất"),
            (uid(4), "Giải Nhì"),
            (uid(5), "Giải Nhì")
        ]
    );
}

#[test]
fn awards_follow_ranks_whatever_the_input_order() {
    let mut ranked = field(10);
    ranked.reverse();
    let rule = PrizeRule {
        tiers: tiers(),
        max_share_percent: 30,
        min_correct: 0,
    };
    let awards = award(&ranked, &rule, &HashSet::new());
    assert_eq!(awards.iter().map(|a| a.rank).collect::<Vec<_>>(), [1, 2, 3]);
}

#[test]
fn unit_standings_order() {
    let tallies = [
        UnitTally {
            unit_id: 3,
            participants: 50,
            members: 100,
        },
        UnitTally {
            unit_id: 1,
            participants: 50,
            members: 200,
        },
        UnitTally {
            unit_id: 2,
            participants: 20,
            members: 20,
        },
        UnitTally {
            unit_id: 4,
            participants: 80,
            members: 0,
        },
        UnitTally {
            unit_id: 5,
            participants: 10,
            members: 20,
        },
        UnitTally {
            unit_id: 6,
            participants: 7,
            members: 3,
        },
    ];
    let (by_participants, by_rate) = unit_standings(&tallies);
    assert_eq!(
        by_participants
            .iter()
            .map(|s| s.unit_id)
            .collect::<Vec<_>>(),
        [4, 1, 3, 2, 5, 6]
    );
    assert_eq!(
        by_rate
            .iter()
            .map(|s| (s.unit_id, s.rate_permille))
            .collect::<Vec<_>>(),
        [(6, 2333), (2, 1000), (3, 500), (5, 500), (1, 250)]
    );
    assert_eq!(by_participants[0].rate_permille, 0);
}

#[test]
fn rules_read_from_json_with_defaults() {
    let rule: RankingRule = serde_json::from_str("{}").unwrap();
    assert_eq!(rule, RankingRule::default());
    let rule: RankingRule = serde_json::from_str(
        r#"{"order":["correct","fewer_attempts","time"],"time_mode":"since_opening","prediction_target":"participants"}"#,
    )
    .unwrap();
    assert_eq!(
        rule.order,
        [TieBreak::Correct, TieBreak::FewerAttempts, TieBreak::Time]
    );
    assert_eq!(rule.time_mode, TimeMode::SinceOpening);
    assert_eq!(rule.prediction_target, PredictionTarget::Participants);
    assert!(serde_json::from_str::<RankingRule>(r#"{"ordre":[]}"#).is_err());

    let prizes: PrizeRule =
        serde_json::from_str(r#"{"tiers":[{"name":"Giải Nhất","count":1}]}"#).unwrap();
    assert_eq!(prizes.max_share_percent, 0);
    assert_eq!(prizes.min_correct, 0);
}

// Properties.

fn arb_step() -> impl Strategy<Value = TieBreak> {
    prop_oneof![
        Just(TieBreak::Correct),
        Just(TieBreak::Prediction),
        Just(TieBreak::Time),
        Just(TieBreak::Submitted),
        Just(TieBreak::FewerAttempts),
    ]
}

fn arb_rule() -> impl Strategy<Value = RankingRule> {
    (
        prop::collection::vec(arb_step(), 0..7),
        prop_oneof![Just(TimeMode::Duration), Just(TimeMode::SinceOpening)],
        prop_oneof![
            Just(PredictionTarget::AllCorrect),
            Just(PredictionTarget::Participants)
        ],
    )
        .prop_map(|(order, time_mode, prediction_target)| RankingRule {
            order,
            time_mode,
            prediction_target,
        })
}

/// Entries over small ranges so that ties are frequent; user ids are distinct.
fn arb_entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(
        (
            0u32..4,
            1u32..4,
            0i64..4,
            -2i64..4,
            prop::option::of(0i64..6),
            1u32..4,
            prop::option::of(0i32..3),
        ),
        0..40,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(
                |(i, (correct, total, d, s, prediction, attempts_used, unit_id))| {
                    let submitted_at = opens() + Duration::seconds(s);
                    Entry {
                        // Ids in a scrambled order so they do not follow the input order.
                        user_id: Uuid::from_u128((i as u128).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                        unit_id,
                        correct: correct.min(total),
                        total,
                        duration_ms: d * 1000,
                        started_at: submitted_at - Duration::seconds(d),
                        submitted_at,
                        prediction,
                        attempts_used,
                    }
                },
            )
            .collect()
    })
}

/// A sort key written independently of `compare`: per step a number where smaller is
/// better, then the user id.
fn oracle_key(
    e: &Entry,
    rule: &RankingRule,
    all: &[Entry],
    opens: DateTime<Utc>,
) -> (Vec<i128>, Uuid) {
    let truth = match rule.prediction_target {
        PredictionTarget::AllCorrect => all
            .iter()
            .filter(|x| x.total != 0 && x.correct >= x.total)
            .count() as i128,
        PredictionTarget::Participants => all.len() as i128,
    };
    let steps = rule
        .order
        .iter()
        .map(|step| match step {
            TieBreak::Correct => -i128::from(e.correct),
            TieBreak::Prediction => e
                .prediction
                .map_or(i128::MAX, |p| (i128::from(p) - truth).abs()),
            TieBreak::Time => match rule.time_mode {
                TimeMode::Duration => i128::from(e.duration_ms),
                TimeMode::SinceOpening => {
                    i128::from(e.submitted_at.timestamp_millis() - opens.timestamp_millis())
                }
            },
            TieBreak::Submitted => i128::from(e.submitted_at.timestamp_nanos_opt().unwrap()),
            TieBreak::FewerAttempts => i128::from(e.attempts_used),
        })
        .collect();
    (steps, e.user_id)
}

type Fields = (
    Uuid,
    Option<i32>,
    u32,
    u32,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<i64>,
    u32,
);

fn fields(e: &Entry) -> Fields {
    (
        e.user_id,
        e.unit_id,
        e.correct,
        e.total,
        e.duration_ms,
        e.started_at,
        e.submitted_at,
        e.prediction,
        e.attempts_used,
    )
}

/// One participant's attempts in the order they ended, over small ranges (ties frequent).
fn arb_attempts() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec((0u32..4, 0i64..5, 0i64..5), 1..8).prop_map(|rows| {
        let mut at = opens();
        rows.into_iter()
            .map(|(correct, d, gap)| {
                // Attempts end in order, each at least as late as the one before.
                at += Duration::seconds(gap);
                let mut e = entry(1);
                e.correct = correct;
                e.total = 3;
                e.duration_ms = d * 1000;
                e.submitted_at = at;
                e.started_at = at - Duration::seconds(d);
                e
            })
            .collect()
    })
}

proptest! {
    /// The live board records each attempt as it ends with `ZADD … GT` on
    /// `score(correct, time)`; the attempt it ends up holding is the one the final
    /// ranking counts.
    #[test]
    fn the_live_board_and_the_final_ranking_count_the_same_attempt(
        attempts in arb_attempts(),
        mode in prop_oneof![Just(TimeMode::Duration), Just(TimeMode::SinceOpening)],
    ) {
        let score = |e: &Entry| crate::leaderboard::score(
            e.correct,
            time_ms(mode, e.duration_ms, e.submitted_at, opens()),
        );
        // ZADD GT: a new score replaces the held one only when strictly greater.
        let mut held: Option<(i64, &Entry)> = None;
        for a in &attempts {
            let s = score(a);
            if held.is_none_or(|(h, _)| s > h) {
                held = Some((s, a));
            }
        }
        let (live_score, live) = held.unwrap();
        let best = best_attempt(&attempts, mode, opens()).unwrap();
        prop_assert_eq!(score(&best), live_score);
        prop_assert_eq!(best.submitted_at, live.submitted_at);
        prop_assert_eq!(best.duration_ms, live.duration_ms);
        prop_assert_eq!(best.correct, live.correct);
    }

    #[test]
    fn ranks_are_one_to_n(entries in arb_entries(), rule in arb_rule()) {
        let n = entries.len();
        let ranked = rank(entries, &rule, opens());
        let ranks: Vec<u32> = ranked.iter().map(|r| r.rank).collect();
        prop_assert_eq!(ranks, (1..=n as u32).collect::<Vec<_>>());
    }

    #[test]
    fn the_ranking_is_a_permutation(entries in arb_entries(), rule in arb_rule()) {
        let mut before: Vec<Fields> = entries.iter().map(fields).collect();
        let mut after: Vec<Fields> =
            rank(entries, &rule, opens()).iter().map(|r| fields(&r.entry)).collect();
        before.sort();
        after.sort();
        prop_assert_eq!(before, after);
    }

    #[test]
    fn no_entry_ranks_above_a_better_one(entries in arb_entries(), rule in arb_rule()) {
        let ranked = rank(entries.clone(), &rule, opens());
        for pair in ranked.windows(2) {
            let a = oracle_key(&pair[0].entry, &rule, &entries, opens());
            let b = oracle_key(&pair[1].entry, &rule, &entries, opens());
            prop_assert!(a <= b, "{:?} ranked above {:?}", pair[0], pair[1]);
        }
    }

    #[test]
    fn awards_respect_the_cap_and_never_repeat(
        entries in arb_entries(),
        rule in arb_rule(),
        counts in prop::collection::vec(0u32..6, 0..5),
        max_share_percent in 0u32..=100,
        min_correct in 0u32..4,
        earlier_mask in any::<u64>(),
    ) {
        let ranked = rank(entries, &rule, opens());
        let earlier: HashSet<Uuid> = ranked
            .iter()
            .filter(|r| earlier_mask >> (r.rank % 64) & 1 == 1)
            .map(|r| r.entry.user_id)
            .collect();
        let prizes = PrizeRule {
            tiers: counts
                .iter()
                .enumerate()
                .map(|(i, &count)| PrizeTier { name: format!("Giải {i}"), count })
                .collect(),
            max_share_percent,
            min_correct,
        };
        let awards = award(&ranked, &prizes, &earlier);

        let cap = if max_share_percent == 0 {
            usize::MAX
        } else {
            ranked.len() * max_share_percent as usize / 100
        };
        prop_assert!(awards.len() <= cap);
        let distinct: HashSet<Uuid> = awards.iter().map(|a| a.user_id).collect();
        prop_assert_eq!(distinct.len(), awards.len());
        prop_assert!(awards.iter().all(|a| !earlier.contains(&a.user_id)));

        // As many as allowed, taken from the top of the eligible entries, tiers in order.
        let eligible: Vec<&Ranked> = ranked
            .iter()
            .filter(|r| r.entry.correct >= min_correct && !earlier.contains(&r.entry.user_id))
            .collect();
        let slots: Vec<String> = prizes
            .tiers
            .iter()
            .flat_map(|t| std::iter::repeat_n(t.name.clone(), t.count as usize))
            .collect();
        let expected = eligible.len().min(slots.len()).min(cap);
        prop_assert_eq!(awards.len(), expected);
        for ((a, r), tier) in awards.iter().zip(&eligible).zip(&slots) {
            prop_assert_eq!(a.user_id, r.entry.user_id);
            prop_assert_eq!(a.rank, r.rank);
            prop_assert_eq!(&a.tier, tier);
        }
    }
}
