//! Course and contest statistics for a unit's subtree, per child unit.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::indicators::{Tree, readable_unit, tree, vn_midnight};
use crate::{
    auth::Caller,
    domain::{indicators::report::rate, time::vn_today},
    error::{ApiError, ApiResult, Code},
    services::access,
    state::AppState,
    store,
};

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct CourseStatsParams {
    pub unit_id: i32,
    /// First day counted (Viet Nam's calendar); default: a year before `to`.
    pub from: Option<NaiveDate>,
    /// Last day counted; default: today.
    pub to: Option<NaiveDate>,
}

/// A course's figures for one unit's subtree (or a child's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CourseFigures {
    /// Registered people in the course's audience.
    pub enrolled: u64,
    /// Read a lesson or started a quiz of the course in the period.
    pub started: u64,
    /// Completed the course in the period.
    pub completed: u64,
    /// Completed with the final test passed (a course without one: every completion).
    pub passed: u64,
    /// completed ÷ enrolled.
    pub completion_rate: Option<f64>,
    /// Median time from the first activity to completion, in hours (completions whose start
    /// lies in the period).
    pub median_hours_to_complete: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChildCourseFigures {
    pub unit_id: i32,
    pub unit_name: String,
    #[serde(flatten)]
    pub figures: CourseFigures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseStats {
    pub course_id: i32,
    pub course_title: String,
    pub unit_id: i32,
    pub unit_name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub figures: CourseFigures,
    /// Every live child unit, in Vietnamese name order.
    pub children: Vec<ChildCourseFigures>,
}

/// The median of `xs` (sorted in place); `None` when empty.
pub fn median(xs: &mut [f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[mid]
    } else {
        (xs[mid - 1] + xs[mid]) / 2.0
    })
}

fn period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        to.checked_sub_days(chrono::Days::new(365))
            .unwrap_or(NaiveDate::MIN)
    });
    if from > to || (to - from).num_days() > 3_660 {
        return Err(Code::InvalidPeriod.field("from"));
    }
    Ok((from, to))
}

/// Where in the tree a unit's figures go: every unit, and the child it lies under.
fn slots(tree: &Tree, unit_id: i32) -> Option<usize> {
    tree.child_of.get(&unit_id).copied()
}

/// Enrolled, started, completed and passed people of a course, median time to complete, for
/// a unit's subtree and each child unit.
///
/// Fails with 403 outside the caller's subtree, 404 `course_not_found`, 422 `invalid_period`.
pub async fn course(
    state: &AppState,
    caller: &Caller,
    course_id: i32,
    params: CourseStatsParams,
) -> ApiResult<CourseStats> {
    let unit = readable_unit(state, caller, params.unit_id).await?;
    let course = store::courses::find(&state.db, course_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::CourseNotFound))?;
    let (from, to) = period(params.from, params.to, vn_today(state.clock.now()))?;
    let tree = tree(state, unit).await?;
    let (start, until) = (vn_midnight(from), vn_midnight(to.succ_opt().unwrap_or(to)));
    let path = tree.root.path.clone();
    let audience = access::audience(&course.audience_categories, &course.audience_units);
    let unit_paths = access::audience_paths(state, &audience).await?;
    if !audience.units.is_empty() && unit_paths.is_empty() {
        // An audience of units that are gone admits nobody.
        return Ok(empty_course(&tree, &course, from, to));
    }
    let enrolled =
        store::stats::audience_counts(&state.db, &path, &audience.categories, &unit_paths).await?;
    let activity = store::stats::course_activity(&state.db, course_id, &path, start, until).await?;
    let completions =
        store::stats::course_completions(&state.db, course_id, &path, start, until).await?;

    let n = tree.children.len();
    let mut all = Acc::default();
    let mut per = vec![Acc::default(); n];
    for c in &enrolled {
        let k = u64::try_from(c.n).unwrap_or(0);
        all.enrolled += k;
        if let Some(i) = slots(&tree, c.unit_id) {
            per[i].enrolled += k;
        }
    }
    let first: HashMap<Uuid, DateTime<Utc>> =
        activity.iter().map(|a| (a.user_id, a.first_at)).collect();
    for a in &activity {
        all.started += 1;
        if let Some(i) = slots(&tree, a.unit_id) {
            per[i].started += 1;
        }
    }
    for c in &completions {
        let hours = first
            .get(&c.user_id)
            .map(|f| (c.completed_at - *f).num_seconds().max(0) as f64 / 3600.0);
        all.complete(c.passed, hours);
        if let Some(i) = slots(&tree, c.unit_id) {
            per[i].complete(c.passed, hours);
        }
    }
    Ok(CourseStats {
        course_id,
        course_title: course.title.clone(),
        unit_id: tree.root.id,
        unit_name: tree.root.name.clone(),
        from,
        to,
        figures: all.figures(),
        children: tree
            .children
            .iter()
            .zip(per)
            .map(|(u, a)| ChildCourseFigures {
                unit_id: u.id,
                unit_name: u.name.clone(),
                figures: a.figures(),
            })
            .collect(),
    })
}

fn empty_course(
    tree: &Tree,
    course: &entity::courses::Model,
    from: NaiveDate,
    to: NaiveDate,
) -> CourseStats {
    CourseStats {
        course_id: course.id,
        course_title: course.title.clone(),
        unit_id: tree.root.id,
        unit_name: tree.root.name.clone(),
        from,
        to,
        figures: CourseFigures::default(),
        children: tree
            .children
            .iter()
            .map(|u| ChildCourseFigures {
                unit_id: u.id,
                unit_name: u.name.clone(),
                figures: CourseFigures::default(),
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Default)]
struct Acc {
    enrolled: u64,
    started: u64,
    completed: u64,
    passed: u64,
    hours: Vec<f64>,
}

impl Acc {
    fn complete(&mut self, passed: Option<bool>, hours: Option<f64>) {
        self.completed += 1;
        if passed.unwrap_or(true) {
            self.passed += 1;
        }
        if let Some(h) = hours {
            self.hours.push(h);
        }
    }

    fn figures(mut self) -> CourseFigures {
        CourseFigures {
            enrolled: self.enrolled,
            started: self.started,
            completed: self.completed,
            passed: self.passed,
            completion_rate: rate(self.completed, self.enrolled),
            median_hours_to_complete: median(&mut self.hours),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct ContestStatsParams {
    pub unit_id: i32,
}

/// Participation in a contest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ContestFigures {
    /// People who took part in at least one round.
    pub participants: u64,
    /// Attempts submitted or started (practice left out).
    pub attempts: u64,
    /// People the participation rate is measured against: live roster members, else the
    /// units' declared member counts.
    pub members: u64,
    /// participants ÷ members.
    pub participation_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundFigures {
    pub round_id: i32,
    pub title: String,
    pub participants: u64,
    pub attempts: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChildContestFigures {
    pub unit_id: i32,
    pub unit_name: String,
    #[serde(flatten)]
    pub figures: ContestFigures,
    pub rounds: Vec<RoundFigures>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContestStats {
    pub contest_id: i32,
    pub contest_title: String,
    pub unit_id: i32,
    pub unit_name: String,
    #[serde(flatten)]
    pub figures: ContestFigures,
    pub rounds: Vec<RoundFigures>,
    /// Every live child unit, in Vietnamese name order.
    pub children: Vec<ChildContestFigures>,
}

/// Participants and attempts of a contest per round and per child unit, and the
/// participation rate.
///
/// Fails with 403 outside the caller's subtree, 404 `contest_not_found`.
pub async fn contest(
    state: &AppState,
    caller: &Caller,
    contest_id: i32,
    params: ContestStatsParams,
) -> ApiResult<ContestStats> {
    let unit = readable_unit(state, caller, params.unit_id).await?;
    let contest = store::contests::contest(&state.db, contest_id)
        .await?
        .ok_or_else(|| ApiError::from(Code::ContestNotFound))?;
    let rounds = store::contests::rounds_of(&state.db, contest_id).await?;
    let tree = tree(state, unit).await?;
    let path = tree.root.path.clone();
    let counts = store::stats::contest_counts(&state.db, contest_id, &path).await?;
    let people = store::stats::contest_people(&state.db, contest_id, &path).await?;
    let roster = store::stats::roster_counts(&state.db, &path).await?;

    let n = tree.children.len();
    let round_index: HashMap<i32, usize> =
        rounds.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
    let blank_rounds = || -> Vec<RoundFigures> {
        rounds
            .iter()
            .map(|r| RoundFigures {
                round_id: r.id,
                title: r.title.clone(),
                participants: 0,
                attempts: 0,
            })
            .collect()
    };
    let mut all_rounds = blank_rounds();
    let mut child_rounds: Vec<Vec<RoundFigures>> = (0..n).map(|_| blank_rounds()).collect();
    let mut all = ContestFigures::default();
    let mut per = vec![ContestFigures::default(); n];
    for c in &counts {
        let Some(&r) = round_index.get(&c.round_id) else {
            continue;
        };
        let (p, a) = (
            u64::try_from(c.participants).unwrap_or(0),
            u64::try_from(c.attempts).unwrap_or(0),
        );
        all_rounds[r].participants += p;
        all_rounds[r].attempts += a;
        all.attempts += a;
        if let Some(i) = slots(&tree, c.unit_id) {
            child_rounds[i][r].participants += p;
            child_rounds[i][r].attempts += a;
            per[i].attempts += a;
        }
    }
    for c in &people {
        let k = u64::try_from(c.n).unwrap_or(0);
        all.participants += k;
        if let Some(i) = slots(&tree, c.unit_id) {
            per[i].participants += k;
        }
    }
    // The base of the rate: roster members where a roster was uploaded, else declared counts.
    let mut on_roster: HashMap<i32, u64> = HashMap::new();
    for c in &roster {
        on_roster.insert(c.unit_id, u64::try_from(c.n).unwrap_or(0));
    }
    for u in &tree.live {
        let base = on_roster
            .get(&u.id)
            .copied()
            .unwrap_or_else(|| u64::try_from(u.member_count.unwrap_or(0)).unwrap_or(0));
        all.members += base;
        if let Some(i) = slots(&tree, u.id) {
            per[i].members += base;
        }
    }
    let finish = |mut f: ContestFigures| {
        f.participation_rate = rate(f.participants, f.members).map(|r| r.min(1.0));
        f
    };
    Ok(ContestStats {
        contest_id,
        contest_title: contest.title.clone(),
        unit_id: tree.root.id,
        unit_name: tree.root.name.clone(),
        figures: finish(all),
        rounds: all_rounds,
        children: tree
            .children
            .iter()
            .zip(per.into_iter().zip(child_rounds))
            .map(|(u, (f, rounds))| ChildContestFigures {
                unit_id: u.id,
                unit_name: u.name.clone(),
                figures: finish(f),
                rounds,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0]), Some(3.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
    }
}
