//! Ranking the entries of a timed contest round and allocating its prizes.
//!
//! Youth Union online contests ("cuộc thi trực tuyến") rank a round by a list of tie-break steps
//! that each contest states in its rules (most correct answers, then the closest guess to the
//! prediction question, then the shortest time…), give individual prizes in tiers to the top of
//! that list, never to more than a stated share of the participants, and give collective prizes
//! to the units with the most participants and the highest participation rate.
//!
//! Everything here is pure: the caller loads the attempts and the unit tallies, this module
//! decides the order and the winners.

use std::{
    cmp::Ordering,
    collections::{HashSet, VecDeque},
};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// How "time" is measured for the time tie-break.
///
/// Contests differ: some reward finishing the paper quickly (`duration`), others reward
/// finishing early in the round (`since_opening`), which also favours those who start at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeMode {
    /// The time the counted attempt took, from start to submission.
    #[default]
    Duration,
    /// The time from the round's opening to the submission of the counted attempt.
    SinceOpening,
}

/// What the prediction question asks participants to guess.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictionTarget {
    /// How many participants answer every question correctly.
    #[default]
    AllCorrect,
    /// How many people take part in the round.
    Participants,
}

/// A tie-break step, in the order a contest lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// More correct answers first.
    Correct,
    /// The guess closest to the true figure first; no guess after every guess.
    Prediction,
    /// Less time first (measured as [`RankingRule::time_mode`] says).
    Time,
    /// Earlier submission first.
    Submitted,
    /// Fewer attempts used in the round first.
    FewerAttempts,
}

/// How a round is ranked: the tie-break steps in order, and how two of them measure.
///
/// Every field has a default so that a contest definition only states what differs from the
/// usual rules (most correct, closest prediction, shortest time, earliest submission).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RankingRule {
    pub order: Vec<TieBreak>,
    pub time_mode: TimeMode,
    pub prediction_target: PredictionTarget,
}

impl Default for RankingRule {
    fn default() -> Self {
        RankingRule {
            order: vec![
                TieBreak::Correct,
                TieBreak::Prediction,
                TieBreak::Time,
                TieBreak::Submitted,
            ],
            time_mode: TimeMode::Duration,
            prediction_target: PredictionTarget::AllCorrect,
        }
    }
}

/// One participant's counted (best) attempt in a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    pub user_id: Uuid,
    pub unit_id: Option<i32>,
    pub correct: u32,
    pub total: u32,
    /// Time taken by the attempt, in milliseconds.
    pub duration_ms: i64,
    pub started_at: DateTime<Utc>,
    /// When the attempt ended.
    pub submitted_at: DateTime<Utc>,
    /// The participant's guess for the prediction question, if any.
    pub prediction: Option<i64>,
    /// Attempts the participant made in the round.
    pub attempts_used: u32,
}

/// An entry with its place in the round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ranked {
    /// 1-based and distinct: see [`rank`] for why no two entries share a rank.
    pub rank: u32,
    pub entry: Entry,
    /// `|prediction − true figure|` (saturating at `i64::MAX`); `None` without a prediction.
    pub prediction_error: Option<i64>,
    /// The time the time tie-break measures under the rule's [`TimeMode`], in milliseconds.
    pub time_ms: i64,
}

/// The time the time tie-break measures for an attempt under `mode`, in milliseconds: its
/// duration, or from the round's opening to its submission. The live board's score and the
/// final ranking both measure with this.
pub fn time_ms(
    mode: TimeMode,
    duration_ms: i64,
    submitted_at: DateTime<Utc>,
    round_opens_at: DateTime<Utc>,
) -> i64 {
    match mode {
        TimeMode::Duration => duration_ms,
        TimeMode::SinceOpening => (submitted_at - round_opens_at).num_milliseconds(),
    }
}

/// Which of two attempts of one participant counts: most correct, then less time as the
/// contest measures it ([`time_ms`]), then the earlier submission. `Less` means `a` counts.
///
/// This is the order the live board keeps (`ZADD … GT` on a score of correct answers and
/// time, an equal score keeping the earlier entry), so the live board and the final ranking
/// count the same attempt.
pub fn better_attempt(
    a: &Entry,
    b: &Entry,
    mode: TimeMode,
    round_opens_at: DateTime<Utc>,
) -> Ordering {
    let t = |e: &Entry| time_ms(mode, e.duration_ms, e.submitted_at, round_opens_at);
    b.correct
        .cmp(&a.correct)
        .then(t(a).cmp(&t(b)))
        .then(a.submitted_at.cmp(&b.submitted_at))
}

/// The attempt that counts among one participant's finished attempts in a round.
///
/// The best one counts, by [`better_attempt`] under the contest's time mode: on equal, the
/// earlier submission, since the participant had already reached that result then and a later
/// equal attempt added nothing. The returned entry carries `attempts_used = attempts.len()` so
/// the `FewerAttempts` tie-break sees every attempt, not just the counted one.
pub fn best_attempt(
    attempts: &[Entry],
    mode: TimeMode,
    round_opens_at: DateTime<Utc>,
) -> Option<Entry> {
    let best = attempts
        .iter()
        .min_by(|a, b| better_attempt(a, b, mode, round_opens_at))?;
    Some(Entry {
        attempts_used: u32::try_from(attempts.len()).unwrap_or(u32::MAX),
        ..best.clone()
    })
}

/// The figure the prediction question asks about, from the counted entries (one per
/// participant).
///
/// A paper with no questions (`total == 0`) is not "all correct": nobody answered anything.
pub fn true_figure(entries: &[Entry], target: PredictionTarget) -> i64 {
    let n = match target {
        PredictionTarget::AllCorrect => entries
            .iter()
            .filter(|e| e.total > 0 && e.correct == e.total)
            .count(),
        PredictionTarget::Participants => entries.len(),
    };
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// An entry with the measures the comparison needs, computed once.
struct Keyed {
    entry: Entry,
    /// Exact `|prediction − truth|`: compared unsaturated so that absurd guesses still order.
    error: Option<u64>,
    time_ms: i64,
}

fn compare(a: &Keyed, b: &Keyed, order: &[TieBreak]) -> Ordering {
    order
        .iter()
        .map(|step| match step {
            TieBreak::Correct => b.entry.correct.cmp(&a.entry.correct),
            // `Option`'s own order puts `None` first; a missing guess must come last.
            TieBreak::Prediction => match (a.error, b.error) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            TieBreak::Time => a.time_ms.cmp(&b.time_ms),
            TieBreak::Submitted => a.entry.submitted_at.cmp(&b.entry.submitted_at),
            TieBreak::FewerAttempts => a.entry.attempts_used.cmp(&b.entry.attempts_used),
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.entry.user_id.cmp(&b.entry.user_id))
}

/// Ranks the counted entries of a round (one per participant) by `rule`.
///
/// The steps of `rule.order` are applied in turn; whatever they leave tied is ordered by user
/// id. That last step is arbitrary but fixed, and it is there so that every position is
/// distinct: prizes come in fixed counts ("1 Giải Nhất, 2 Giải Nhì…") and a shared rank at a
/// tier's edge would leave the organisers to decide by hand, while the same data must always
/// give the same list when results are recomputed or audited. Contests that want a fairer last
/// word than the user id add `submitted` or `fewer_attempts` to their order. Ranks are
/// therefore exactly `1..=n`.
///
/// The true figure for the prediction question is computed once from `entries` with
/// [`true_figure`]. Under [`TimeMode::SinceOpening`] the time is
/// `submitted_at − round_opens_at`.
pub fn rank(entries: Vec<Entry>, rule: &RankingRule, round_opens_at: DateTime<Utc>) -> Vec<Ranked> {
    let truth = true_figure(&entries, rule.prediction_target);
    let mut keyed: Vec<Keyed> = entries
        .into_iter()
        .map(|entry| {
            let time_ms = time_ms(
                rule.time_mode,
                entry.duration_ms,
                entry.submitted_at,
                round_opens_at,
            );
            Keyed {
                error: entry.prediction.map(|p| p.abs_diff(truth)),
                time_ms,
                entry,
            }
        })
        .collect();
    keyed.sort_by(|a, b| compare(a, b, &rule.order));
    keyed
        .into_iter()
        .enumerate()
        .map(|(i, k)| Ranked {
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            prediction_error: k.error.map(|e| i64::try_from(e).unwrap_or(i64::MAX)),
            time_ms: k.time_ms,
            entry: k.entry,
        })
        .collect()
}

/// One tier of individual prizes, e.g. `{"Giải Nhất", 1}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrizeTier {
    pub name: String,
    pub count: u32,
}

/// The individual prizes of a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrizeRule {
    /// From the highest prize down.
    pub tiers: Vec<PrizeTier>,
    /// Never more than this percentage of the participants gets a prize (0: no cap).
    #[serde(default)]
    pub max_share_percent: u32,
    /// An entry needs at least this many correct answers to win anything (0: no minimum).
    #[serde(default)]
    pub min_correct: u32,
}

/// An individual prize given to a ranked entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Award {
    pub user_id: Uuid,
    pub rank: u32,
    pub tier: String,
}

/// Gives the individual prizes of a round.
///
/// Entries are taken in rank order and the tiers filled in order. An entry below
/// `min_correct`, or whose participant is in `already_awarded`, is passed over without using a
/// slot: the prize goes to the next eligible entry, because a contest gives one individual prize
/// per person per phase (the caller passes the winners of earlier rounds when the contest says
/// so, otherwise an empty set) and an unclaimable slot would otherwise be lost. The total never
/// exceeds `floor(participants × max_share_percent / 100)`, with participants counted as
/// `ranked.len()`; once the cap is reached giving stops, even in the middle of a tier, since
/// the cap is what the rules promise and the tier counts are only the most that may be given.
pub fn award(ranked: &[Ranked], rule: &PrizeRule, already_awarded: &HashSet<Uuid>) -> Vec<Award> {
    let cap = if rule.max_share_percent > 0 {
        let share = (ranked.len() as u128) * u128::from(rule.max_share_percent) / 100;
        usize::try_from(share).unwrap_or(usize::MAX)
    } else {
        usize::MAX
    };
    let mut order: Vec<&Ranked> = ranked.iter().collect();
    order.sort_by_key(|r| r.rank);
    let mut slots = rule
        .tiers
        .iter()
        .filter(|t| t.count > 0)
        .map(|t| (t.name.as_str(), t.count))
        .collect::<VecDeque<_>>();
    let mut given: HashSet<Uuid> = HashSet::new();
    let mut awards = Vec::new();
    for r in order {
        if awards.len() >= cap {
            break;
        }
        let user = r.entry.user_id;
        if r.entry.correct < rule.min_correct
            || already_awarded.contains(&user)
            || given.contains(&user)
        {
            continue;
        }
        let Some((name, left)) = slots.front_mut() else {
            break;
        };
        awards.push(Award {
            user_id: user,
            rank: r.rank,
            tier: (*name).to_owned(),
        });
        given.insert(user);
        *left -= 1;
        if *left == 0 {
            slots.pop_front();
        }
    }
    awards
}

/// How many of a unit's members took part in a round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnitTally {
    pub unit_id: i32,
    pub participants: u32,
    pub members: u32,
}

/// A unit's place in the collective standings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnitStanding {
    pub unit_id: i32,
    pub participants: u32,
    pub members: u32,
    /// `participants × 1000 / members`, rounded down (0 when `members == 0`). Per mille, in
    /// integers, so that two units with the same rate compare equal whatever the platform.
    pub rate_permille: u32,
}

/// The two collective standings contests give prizes by: the most participants (then unit id),
/// and the highest participation rate (then the most participants, then unit id).
///
/// A unit with no recorded members has no rate: it is left out of the second list rather than
/// shown at 0, which would look like a unit where nobody took part.
pub fn unit_standings(tallies: &[UnitTally]) -> (Vec<UnitStanding>, Vec<UnitStanding>) {
    let standings: Vec<UnitStanding> = tallies
        .iter()
        .map(|t| UnitStanding {
            unit_id: t.unit_id,
            participants: t.participants,
            members: t.members,
            rate_permille: if t.members == 0 {
                0
            } else {
                let rate = u64::from(t.participants) * 1000 / u64::from(t.members);
                u32::try_from(rate).unwrap_or(u32::MAX)
            },
        })
        .collect();
    let mut by_participants = standings.clone();
    by_participants.sort_by(|a, b| {
        b.participants
            .cmp(&a.participants)
            .then(a.unit_id.cmp(&b.unit_id))
    });
    let mut by_rate: Vec<UnitStanding> = standings.into_iter().filter(|s| s.members > 0).collect();
    by_rate.sort_by(|a, b| {
        b.rate_permille
            .cmp(&a.rate_permille)
            .then(b.participants.cmp(&a.participants))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    (by_participants, by_rate)
}

#[cfg(test)]
mod tests;
