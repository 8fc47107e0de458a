//! The indicator report of one unit for one year, and the arithmetic that fills it: rates,
//! targets, "met" and the child units that hold a figure back. The store counts people; this
//! module never sees a database.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::collation;

/// How many lagging child units a row names.
pub const MAX_LAGGING: usize = 5;

/// The key of the row that counts every person once, whatever their groups.
pub const OVERALL: &str = "overall";

/// The dates a year's report counts by: completions between `from` and `to` (both
/// included, Viet Nam's calendar), members as they stood on `cutoff`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cutoff: NaiveDate,
    /// Units submit their self-reported figures until this day (included).
    pub deadline: NaiveDate,
}

/// One unit's report for one year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub unit_id: i32,
    pub unit_name: String,
    pub year: i32,
    /// The phase whose targets apply, e.g. `"2030"`.
    pub phase: String,
    pub phase_title: String,
    pub period: Period,
    pub generated_at: DateTime<Utc>,
    /// Registered people in the subtree who declared a unit but are on no roster and were not
    /// confirmed by an organizer: shown apart, counted in no denominator.
    pub self_declared: u64,
    pub indicators: Vec<IndicatorRow>,
}

/// One indicator in a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IndicatorRow {
    /// The code in this phase, e.g. `"2.3"`.
    pub code: String,
    /// The stable key across phases, e.g. `"ly-luan-chinh-tri"`.
    pub key: String,
    pub title: String,
    /// Counted by the platform (course completions), not reported by units.
    pub measured: bool,
    /// `rate`: a share (0–1) against a target share; `count`: a number against a minimum.
    pub kind: Kind,
    /// For `count`: what the number is counted per ("tuần", "năm").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// The overall row first (key `overall`), then one row per counted group.
    pub groups: Vec<GroupRow>,
    /// The child units furthest below target on the overall row, worst first.
    pub lagging: Vec<LaggingUnit>,
    /// Every live child unit's overall figure, in Vietnamese name order (drill-down, charts).
    pub children: Vec<ChildFigure>,
    /// For reported indicators: how many units' reports the figures roll up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<ReportCoverage>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Rate,
    Count,
}

/// One counted group of an indicator (or the overall row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GroupRow {
    pub key: String,
    pub title: String,
    /// `rate`: people who meet the indicator; `count`: the reported number.
    pub numerator: u64,
    /// `rate`: people counted; `count`: 1.
    pub denominator: u64,
    /// `rate`: numerator ÷ denominator (0–1); `count`: the number itself. `null` when nothing
    /// was counted or reported.
    pub rate: Option<f64>,
    /// `rate`: the target share (0–1); `count`: the minimum number.
    pub target: f64,
    /// `null` when there is nothing to judge.
    pub met: Option<bool>,
}

/// A child unit below target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LaggingUnit {
    pub unit_id: i32,
    pub unit_name: String,
    pub numerator: u64,
    pub denominator: u64,
    pub rate: f64,
    pub target: f64,
    /// target − rate.
    pub gap: f64,
}

/// A child unit's overall figure for one indicator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChildFigure {
    pub unit_id: i32,
    pub unit_name: String,
    pub numerator: u64,
    pub denominator: u64,
    pub rate: Option<f64>,
    pub target: f64,
    pub met: Option<bool>,
}

/// How far a reported indicator's roll-up reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportCoverage {
    /// Units in the subtree whose report for the year holds this indicator.
    pub submitted: u64,
    /// Units expected to report (the unit and every live unit below it).
    pub expected: u64,
}

/// A figure a unit reported for one indicator and group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReportedFigure {
    pub indicator: String,
    #[serde(default = "overall")]
    pub group: String,
    pub numerator: u64,
    /// For `rate` indicators; absent for `count` ones.
    #[serde(default)]
    pub denominator: Option<u64>,
    /// What shows the figure: a note or a link.
    #[serde(default)]
    pub evidence: Option<String>,
}

fn overall() -> String {
    OVERALL.to_owned()
}

/// Where a child unit's yearly report stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Submitted on or before the deadline.
    Submitted,
    /// Submitted after the deadline (an admin unlocked it).
    SubmittedLate,
    /// Not submitted and the deadline has passed.
    Late,
    /// Not submitted, the deadline is still ahead.
    Pending,
}

impl SubmissionState {
    pub fn of(submitted_on: Option<NaiveDate>, deadline: NaiveDate, today: NaiveDate) -> Self {
        match submitted_on {
            Some(d) if d <= deadline => SubmissionState::Submitted,
            Some(_) => SubmissionState::SubmittedLate,
            None if today > deadline => SubmissionState::Late,
            None => SubmissionState::Pending,
        }
    }
}

/// numerator ÷ denominator; `None` when nobody was counted.
pub fn rate(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Whether `numerator` of `denominator` reaches `target` (a share), decided on integers so
/// that 8 of 10 meets 0.8 exactly: numerator ≥ ⌈target × denominator⌉, with the target read
/// to a hundredth of a percent. `None` when nobody was counted.
pub fn met(numerator: u64, denominator: u64, target: f64) -> Option<bool> {
    if denominator == 0 {
        return None;
    }
    let basis = (target.clamp(0.0, 1.0) * 10_000.0).round() as u128;
    Some(u128::from(numerator) * 10_000 >= basis * u128::from(denominator))
}

/// Counted people of one group (or overall).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub numerator: u64,
    pub denominator: u64,
}

impl Tally {
    pub fn add(&mut self, done: bool) {
        self.add_many(done, 1);
    }

    pub fn add_many(&mut self, done: bool, people: u64) {
        self.denominator += people;
        if done {
            self.numerator += people;
        }
    }
}

/// The target of the overall row when groups have their own: each group's target weighted
/// by its people, i.e. the share that would be reached if every group just met its own.
/// With no one counted, the plain mean of the targets.
pub fn overall_target(groups: &[(Tally, f64)]) -> f64 {
    let people: u64 = groups.iter().map(|(t, _)| t.denominator).sum();
    if people == 0 {
        if groups.is_empty() {
            return 0.0;
        }
        return groups.iter().map(|(_, target)| target).sum::<f64>() / groups.len() as f64;
    }
    groups
        .iter()
        .map(|(t, target)| t.denominator as f64 * target)
        .sum::<f64>()
        / people as f64
}

/// A `rate` row.
pub fn rate_row(key: &str, title: &str, tally: Tally, target: f64) -> GroupRow {
    GroupRow {
        key: key.to_owned(),
        title: title.to_owned(),
        numerator: tally.numerator,
        denominator: tally.denominator,
        rate: rate(tally.numerator, tally.denominator),
        target,
        met: met(tally.numerator, tally.denominator, target),
    }
}

/// A `count` row: `value` reported (none yet: `None`) against a minimum.
pub fn count_row(key: &str, title: &str, value: Option<u64>, minimum: f64) -> GroupRow {
    GroupRow {
        key: key.to_owned(),
        title: title.to_owned(),
        numerator: value.unwrap_or(0),
        denominator: u64::from(value.is_some()),
        rate: value.map(|v| v as f64),
        target: minimum,
        met: value.map(|v| v as f64 >= minimum),
    }
}

/// The overall row of a `rate` indicator: every person once, against the weighted target;
/// met only when every group with people in it meets its own target.
pub fn overall_row(overall: Tally, groups: &[GroupRow]) -> GroupRow {
    let weighted: Vec<(Tally, f64)> = groups
        .iter()
        .map(|g| {
            (
                Tally {
                    numerator: g.numerator,
                    denominator: g.denominator,
                },
                g.target,
            )
        })
        .collect();
    let target = overall_target(&weighted);
    let judged: Vec<bool> = groups.iter().filter_map(|g| g.met).collect();
    GroupRow {
        key: OVERALL.to_owned(),
        title: "Chung".to_owned(),
        numerator: overall.numerator,
        denominator: overall.denominator,
        rate: rate(overall.numerator, overall.denominator),
        target,
        met: (!judged.is_empty()).then(|| judged.iter().all(|m| *m)),
    }
}

/// The child units below target, worst first (largest gap; ties in Vietnamese name order),
/// at most [`MAX_LAGGING`]. Units with nobody counted are not lagging: they have no figure.
pub fn lagging(children: Vec<(i32, String, Tally, f64)>) -> Vec<LaggingUnit> {
    let mut below: Vec<LaggingUnit> = children
        .into_iter()
        .filter_map(|(unit_id, unit_name, t, target)| {
            let r = rate(t.numerator, t.denominator)?;
            (met(t.numerator, t.denominator, target) == Some(false)).then_some(LaggingUnit {
                unit_id,
                unit_name,
                numerator: t.numerator,
                denominator: t.denominator,
                rate: r,
                target,
                gap: target - r,
            })
        })
        .collect();
    below.sort_by(|a, b| {
        b.gap
            .total_cmp(&a.gap)
            .then_with(|| collation::compare(&a.unit_name, &b.unit_name))
    });
    below.truncate(MAX_LAGGING);
    below
}

/// A counted group as the tally sees it: people whose categories meet `mask`.
pub struct GroupSpec<'a> {
    pub key: &'a str,
    pub title: &'a str,
    pub mask: i32,
    pub target: f64,
}

/// People of one set of categories (`mask`), `n` of them, who did or did not meet the
/// indicator.
#[derive(Clone, Copy, Debug)]
pub struct Counted {
    pub mask: i32,
    pub done: bool,
    pub n: u64,
}

/// The overall row and one row per group of a measured indicator from counted people. A
/// person with several categories counts once in each group they belong to and once overall.
pub fn measured_rows(groups: &[GroupSpec<'_>], counted: &[Counted]) -> (GroupRow, Vec<GroupRow>) {
    let union = groups.iter().fold(0, |m, g| m | g.mask);
    let mut overall = Tally::default();
    let mut tallies = vec![Tally::default(); groups.len()];
    for c in counted {
        if c.mask & union != 0 {
            overall.add_many(c.done, c.n);
        }
        for (g, t) in groups.iter().zip(tallies.iter_mut()) {
            if c.mask & g.mask != 0 {
                t.add_many(c.done, c.n);
            }
        }
    }
    let rows: Vec<GroupRow> = groups
        .iter()
        .zip(tallies)
        .map(|(g, t)| rate_row(g.key, g.title, t, g.target))
        .collect();
    (overall_row(overall, &rows), rows)
}

/// The lagging units among a row's children (see [`lagging`]).
pub fn lagging_children(children: &[ChildFigure]) -> Vec<LaggingUnit> {
    lagging(
        children
            .iter()
            .map(|c| {
                (
                    c.unit_id,
                    c.unit_name.clone(),
                    Tally {
                        numerator: c.numerator,
                        denominator: c.denominator,
                    },
                    c.target,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(numerator: u64, denominator: u64) -> Tally {
        Tally {
            numerator,
            denominator,
        }
    }

    #[test]
    fn a_target_is_met_exactly_at_its_share() {
        assert_eq!(met(8, 10, 0.8), Some(true));
        assert_eq!(met(7, 10, 0.8), Some(false));
        assert_eq!(met(9, 10, 0.9), Some(true));
        assert_eq!(met(0, 0, 0.8), None);
        assert_eq!(met(3, 3, 1.0), Some(true));
        assert_eq!(met(2, 3, 0.7), Some(false));
        assert_eq!(met(7, 10, 0.7), Some(true));
    }

    #[test]
    fn the_overall_target_weights_each_group_by_its_people() {
        let target = overall_target(&[(t(0, 10), 0.9), (t(0, 30), 0.7)]);
        assert!((target - 0.75).abs() < 1e-12);
        assert!((overall_target(&[(t(0, 0), 0.9), (t(0, 0), 0.7)]) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn the_overall_row_is_met_only_when_every_group_is() {
        let cadres = rate_row("cadre", "Cán bộ", t(9, 10), 0.9);
        let youth = rate_row("youth", "Thanh niên", t(6, 10), 0.7);
        let row = overall_row(t(15, 20), &[cadres.clone(), youth]);
        assert_eq!(row.met, Some(false));
        assert_eq!(row.rate, Some(0.75));
        let empty = rate_row("child", "Thiếu nhi", t(0, 0), 0.7);
        assert_eq!(overall_row(t(9, 10), &[cadres, empty]).met, Some(true));
    }

    #[test]
    fn lagging_units_come_worst_first_and_skip_those_without_people() {
        let rows = lagging(vec![
            (1, "Đoàn xã B".into(), t(7, 10), 0.8),
            (2, "Đoàn xã A".into(), t(1, 10), 0.8),
            (3, "Đoàn xã C".into(), t(0, 0), 0.8),
            (4, "Đoàn xã D".into(), t(9, 10), 0.8),
            (5, "Đoàn xã Ă".into(), t(7, 10), 0.8),
        ]);
        let ids: Vec<i32> = rows.iter().map(|r| r.unit_id).collect();
        assert_eq!(ids, vec![2, 5, 1]);
        assert!((rows[0].gap - 0.7).abs() < 1e-12);
    }

    #[test]
    fn a_person_in_two_groups_counts_in_each_and_once_overall() {
        let groups = [
            GroupSpec {
                key: "can-bo",
                title: "Cán bộ",
                mask: 0b01,
                target: 0.9,
            },
            GroupSpec {
                key: "doan-vien",
                title: "Đoàn viên",
                mask: 0b10,
                target: 0.8,
            },
        ];
        let counted = [
            // Cadre and member, completed.
            Counted {
                mask: 0b11,
                done: true,
                n: 1,
            },
            Counted {
                mask: 0b10,
                done: false,
                n: 3,
            },
            // Counted by no group.
            Counted {
                mask: 0b100,
                done: true,
                n: 7,
            },
        ];
        let (overall, rows) = measured_rows(&groups, &counted);
        assert_eq!((overall.numerator, overall.denominator), (1, 4));
        assert_eq!((rows[0].numerator, rows[0].denominator), (1, 1));
        assert_eq!((rows[1].numerator, rows[1].denominator), (1, 4));
        assert_eq!(rows[0].met, Some(true));
        assert_eq!(overall.met, Some(false));
    }

    #[test]
    fn a_count_is_judged_against_its_minimum() {
        assert_eq!(count_row("overall", "Chung", Some(2), 2.0).met, Some(true));
        assert_eq!(count_row("overall", "Chung", Some(1), 2.0).met, Some(false));
        assert_eq!(count_row("overall", "Chung", None, 2.0).met, None);
    }

    #[test]
    fn submission_state_follows_the_deadline() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap_or_default();
        assert_eq!(
            SubmissionState::of(Some(d(10, 1)), d(10, 15), d(11, 1)),
            SubmissionState::Submitted
        );
        assert_eq!(
            SubmissionState::of(Some(d(10, 20)), d(10, 15), d(11, 1)),
            SubmissionState::SubmittedLate
        );
        assert_eq!(
            SubmissionState::of(None, d(10, 15), d(11, 1)),
            SubmissionState::Late
        );
        assert_eq!(
            SubmissionState::of(None, d(10, 15), d(10, 1)),
            SubmissionState::Pending
        );
    }
}
