//! The plan's indicators: the catalogue (shipped, plus admins' additions and course links),
//! the years' phases and dates, each unit's report computed from the database, and the
//! figures units report once a year.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{indicator_reports, indicator_years, units};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Caller,
    domain::{
        collation,
        indicators::{
            Catalogue, ChildFigure, GroupRow, Indicator, IndicatorRow, Kind, Measure, Period,
            Report, ReportedFigure, SubmissionState, catalogue as rules,
            report::{
                self as arith, Counted, GroupSpec, ReportCoverage, Tally, count_row, measured_rows,
                overall_row, rate_row,
            },
        },
        members::category_mask,
        text,
        time::{vn_offset, vn_today},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

/// Years a report may be asked for.
const YEARS: std::ops::RangeInclusive<i32> = 2020..=2100;

/// Figures one report may hold.
const MAX_FIGURES: usize = 200;

/// Longest evidence note or link.
const MAX_EVIDENCE_CHARS: usize = 2_000;

// --- catalogue ---

/// The catalogue in force: the shipped indicators, then those admins added.
///
/// Fails when the database does not answer or holds an addition this version cannot read.
pub async fn catalogue(state: &AppState) -> ApiResult<Catalogue> {
    let mut out = (*state.catalogue).clone();
    for d in store::indicators::definitions(&state.db).await? {
        let ind: Indicator =
            store::json::decode("indicator_definitions", "definition", &d.definition)?;
        out.indicators.push(ind);
    }
    Ok(out)
}

/// An indicator with the courses that count for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorView {
    pub indicator: Indicator,
    /// Ids of the courses whose completions count: the catalogue's, then those linked.
    pub course_ids: Vec<i32>,
    /// Added by an admin (not shipped).
    pub added: bool,
}

/// The catalogue in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogueView {
    pub phases: Vec<crate::domain::indicators::Phase>,
    /// Each indicator as the catalogue file writes it.
    pub indicators: Vec<Indicator>,
    /// Per indicator key, the ids of the courses whose completions count: the catalogue's
    /// slugs found here, then those an admin linked.
    pub course_ids: BTreeMap<String, Vec<i32>>,
    /// Keys of the indicators admins added (the others are shipped).
    pub added: Vec<String>,
}

/// The catalogue with each indicator's courses (any signed-in person may read it).
pub async fn catalogue_view(state: &AppState) -> ApiResult<CatalogueView> {
    let cat = catalogue(state).await?;
    let links = course_links(state, &cat).await?;
    let shipped: HashSet<&str> = state
        .catalogue
        .indicators
        .iter()
        .map(|i| i.key.as_str())
        .collect();
    Ok(CatalogueView {
        course_ids: cat
            .indicators
            .iter()
            .map(|i| {
                (
                    i.key.clone(),
                    links.get(&i.key).cloned().unwrap_or_default(),
                )
            })
            .collect(),
        added: cat
            .indicators
            .iter()
            .filter(|i| !shipped.contains(i.key.as_str()))
            .map(|i| i.key.clone())
            .collect(),
        phases: cat.phases.clone(),
        indicators: cat.indicators.clone(),
    })
}

/// Each indicator's courses: the catalogue's slugs that exist here, then the linked ids.
async fn course_links(state: &AppState, cat: &Catalogue) -> ApiResult<HashMap<String, Vec<i32>>> {
    let slugs: HashMap<String, i32> = store::courses::list(&state.db)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let mut out: HashMap<String, Vec<i32>> = HashMap::new();
    for ind in &cat.indicators {
        let ids = ind.courses.iter().filter_map(|s| slugs.get(s).copied());
        out.entry(ind.key.clone()).or_default().extend(ids);
    }
    for link in store::indicators::course_links(&state.db).await? {
        let ids = out.entry(link.indicator_key).or_default();
        if !ids.contains(&link.course_id) {
            ids.push(link.course_id);
        }
    }
    Ok(out)
}

/// An admin adds an indicator, in the catalogue's shape, checked by the same rules.
///
/// Fails with 403 for anyone but an admin, 409 `indicator_exists` for a key in use, 422
/// `invalid_indicator` with every broken rule in `details`.
pub async fn add(
    state: &AppState,
    caller: &Caller,
    mut ind: Indicator,
) -> ApiResult<IndicatorView> {
    caller.require(caller.is_admin)?;
    let cat = catalogue(state).await?;
    ind.normalise();
    let problems = rules::check_indicator(&ind, &cat.phases);
    if !problems.is_empty() {
        let first = problems
            .first()
            .map(|(f, m)| format!("{f}: {m}"))
            .unwrap_or_default();
        let details: Vec<serde_json::Value> = problems
            .iter()
            .map(|(field, message)| serde_json::json!({ "field": field, "message": message }))
            .collect();
        return Err(Code::InvalidIndicator.details(
            format!("Chỉ tiêu không hợp lệ: {first}"),
            serde_json::json!(details),
        ));
    }
    if let Some((field, message)) = cat.clashes(&ind).into_iter().next() {
        let field = if field.starts_with("codes") {
            "codes"
        } else {
            "key"
        };
        return Err(Code::IndicatorExists.field_with(field, message));
    }
    let json = store::json::encode(&ind)?;
    let tx = store::begin(&state.db).await?;
    store::indicators::put_definition(&tx, &ind.key, json, caller.id, state.clock.now()).await?;
    tx.commit().await?;
    tracing::info!(indicator = %ind.key, actor = %caller.id, "indicator added");
    Ok(IndicatorView {
        indicator: ind,
        course_ids: Vec::new(),
        added: true,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourseLinks {
    /// Courses whose completions count for the indicator, besides the catalogue's own.
    pub course_ids: Vec<i32>,
}

/// An admin sets the courses linked to a measured indicator.
///
/// Fails with 403 for anyone but an admin, 404 `indicator_not_found`, 422 for a reported
/// indicator, an unknown course or more than 50 courses.
pub async fn link_courses(
    state: &AppState,
    caller: &Caller,
    key: &str,
    links: CourseLinks,
) -> ApiResult<IndicatorView> {
    caller.require(caller.is_admin)?;
    let cat = catalogue(state).await?;
    let ind = cat
        .indicator(key)
        .ok_or_else(|| ApiError::from(Code::IndicatorNotFound))?
        .clone();
    if !ind.measure.measured() {
        return Err(Code::InvalidIndicator.field_with(
            "course_ids",
            "Chỉ tiêu này do đơn vị tự báo cáo, không gắn với khóa học",
        ));
    }
    let mut ids = links.course_ids;
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 50 {
        return Err(Code::InvalidIndicator.field_with("course_ids", "Tối đa 50 khóa học"));
    }
    let known: HashSet<i32> = store::courses::list(&state.db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
        return Err(Code::CourseNotFound.field_with(
            "course_ids",
            format!("Không tìm thấy khóa học mã {missing}"),
        ));
    }
    let tx = store::begin(&state.db).await?;
    store::indicators::set_course_links(&tx, key, &ids, caller.id, state.clock.now()).await?;
    tx.commit().await?;
    let all = course_links(state, &cat).await?;
    Ok(IndicatorView {
        course_ids: all.get(key).cloned().unwrap_or_default(),
        added: !state.catalogue.indicators.iter().any(|i| i.key == key),
        indicator: ind,
    })
}

// --- years ---

/// A year's phase and dates.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct YearSettings {
    pub year: i32,
    /// The phase whose targets apply, e.g. `"2030"`.
    pub phase: String,
    #[serde(flatten)]
    pub period: Period,
    /// Set by an admin (else the defaults: the catalogue's phase for the year, completions
    /// from 1 October of the year before through 30 September, members as on 30 September,
    /// reports due 15 October).
    #[serde(default)]
    pub configured: bool,
}

/// The defaults of a year (see [`YearSettings::configured`]).
pub fn default_year(cat: &Catalogue, year: i32) -> Option<YearSettings> {
    let phase = cat.phase_of_year(year)?;
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    Some(YearSettings {
        year,
        phase: phase.key.clone(),
        period: Period {
            from: day(year - 1, 10, 1)?,
            to: day(year, 9, 30)?,
            cutoff: day(year, 9, 30)?,
            deadline: day(year, 10, 15)?,
        },
        configured: false,
    })
}

fn settings_of(row: indicator_years::Model) -> YearSettings {
    YearSettings {
        year: row.year,
        phase: row.phase,
        period: Period {
            from: row.period_from,
            to: row.period_to,
            cutoff: row.cutoff,
            deadline: row.deadline,
        },
        configured: true,
    }
}

/// A year's settings: an admin's, else the defaults.
///
/// Fails with 422 `invalid_year` for a year outside 2020–2100 or outside every phase.
pub async fn year_settings(
    state: &AppState,
    cat: &Catalogue,
    year: i32,
) -> ApiResult<YearSettings> {
    if !YEARS.contains(&year) {
        return Err(Code::InvalidYear.field("year"));
    }
    if let Some(row) = store::indicators::year(&state.db, year).await? {
        return Ok(settings_of(row));
    }
    default_year(cat, year).ok_or_else(|| Code::InvalidYear.field("year"))
}

/// Every phase year with its settings.
pub async fn years(state: &AppState) -> ApiResult<Vec<YearSettings>> {
    let cat = catalogue(state).await?;
    let mut set: HashMap<i32, YearSettings> = HashMap::new();
    for p in &cat.phases {
        for y in p.first_year..=p.last_year {
            if let Some(d) = default_year(&cat, y) {
                set.insert(y, d);
            }
        }
    }
    for row in store::indicators::years(&state.db).await? {
        set.insert(row.year, settings_of(row));
    }
    let mut out: Vec<YearSettings> = set.into_values().collect();
    out.sort_by_key(|y| y.year);
    Ok(out)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct YearChange {
    pub phase: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cutoff: NaiveDate,
    pub deadline: NaiveDate,
}

/// An admin maps a year to a phase and sets its dates.
///
/// Fails with 403 for anyone but an admin, 422 `invalid_year` for an unknown phase or a year
/// out of range, 422 `invalid_period` when `from` is after `to` or the period spans more than
/// two years.
pub async fn set_year(
    state: &AppState,
    caller: &Caller,
    year: i32,
    change: YearChange,
) -> ApiResult<YearSettings> {
    caller.require(caller.is_admin)?;
    let cat = catalogue(state).await?;
    if !YEARS.contains(&year) {
        return Err(Code::InvalidYear.field("year"));
    }
    if cat.phase(&change.phase).is_none() {
        return Err(Code::InvalidYear.field_with(
            "phase",
            format!(
                "Không có giai đoạn «{}» trong danh mục chỉ tiêu",
                change.phase
            ),
        ));
    }
    if change.from > change.to || (change.to - change.from).num_days() > 731 {
        return Err(Code::InvalidPeriod.field("from"));
    }
    let now = state.clock.now();
    let row = indicator_years::Model {
        year,
        phase: change.phase,
        period_from: change.from,
        period_to: change.to,
        cutoff: change.cutoff,
        deadline: change.deadline,
        updated_by: Some(caller.id),
        updated_at: now,
    };
    let tx = store::begin(&state.db).await?;
    store::indicators::put_year(&tx, row.clone()).await?;
    tx.commit().await?;
    Ok(settings_of(row))
}

// --- the report ---

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct ReportParams {
    pub unit_id: i32,
    pub year: i32,
}

/// Where each unit of a subtree counts: the live child of the root it lies under.
pub(crate) struct Tree {
    pub root: units::Model,
    /// Live children of the root, in Vietnamese name order.
    pub children: Vec<units::Model>,
    /// Unit id → index in `children` (absent: the root itself).
    pub child_of: HashMap<i32, usize>,
    /// Live units of the subtree (the root included).
    pub live: Vec<units::Model>,
}

pub(crate) async fn tree(state: &AppState, root: units::Model) -> ApiResult<Tree> {
    let all = store::units::subtree(&state.db, &root.path).await?;
    let mut children: Vec<units::Model> = all
        .iter()
        .filter(|u| u.parent_id == Some(root.id) && u.merged_into_id.is_none())
        .cloned()
        .collect();
    children.sort_by_cached_key(|u| collation::sort_key(&u.name));
    let mut child_of = HashMap::new();
    for u in &all {
        if let Some(i) = children.iter().position(|c| u.path.starts_with(&c.path)) {
            child_of.insert(u.id, i);
        }
    }
    let live = all
        .into_iter()
        .filter(|u| u.merged_into_id.is_none())
        .collect();
    Ok(Tree {
        root,
        children,
        child_of,
        live,
    })
}

/// The start of a day in Viet Nam, as an instant.
pub(crate) fn vn_midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(vn_offset()).single())
        .map_or_else(
            || DateTime::<Utc>::from_naive_utc_and_offset(day.and_time(Default::default()), Utc),
            |t| t.with_timezone(&Utc),
        )
}

/// A unit the caller may read the statistics of: organizers of it or above, and admins.
/// Elsewhere the answer is 403, whatever exists.
pub(crate) async fn readable_unit(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
) -> ApiResult<units::Model> {
    let unit = store::units::find(&state.db, unit_id).await?;
    match unit {
        Some(u) if caller.may_act_within(&u) => {
            if let Some(into) = u.merged_into_id {
                return Err(Code::UnitMerged.with(format!(
                    "Đơn vị đã được hợp nhất vào đơn vị mã {into}; số liệu được tính ở đơn vị đó"
                )));
            }
            Ok(u)
        }
        Some(_) => Err(ApiError::forbidden()),
        None if caller.is_admin => Err(Code::UnitNotFound.into()),
        None => Err(ApiError::forbidden()),
    }
}

/// The indicator report of a unit's subtree for a year: measured indicators counted from
/// the rosters and completions, reported ones rolled up from the units' reports.
///
/// Fails with 403 outside the caller's subtree, 422 `invalid_year`.
pub async fn report(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
    year: i32,
) -> ApiResult<Report> {
    let unit = readable_unit(state, caller, unit_id).await?;
    let cat = catalogue(state).await?;
    let settings = year_settings(state, &cat, year).await?;
    let phase = cat
        .phase(&settings.phase)
        .ok_or_else(|| Code::InvalidYear.field("year"))?
        .clone();
    let tree = tree(state, unit).await?;
    let links = course_links(state, &cat).await?;
    let period = settings.period;
    let from = vn_midnight(period.from);
    let until = vn_midnight(period.to.succ_opt().unwrap_or(period.to));

    let live_ids: Vec<i32> = tree.live.iter().map(|u| u.id).collect();
    let reports = store::indicators::reports_of(&state.db, year, &live_ids).await?;
    let mut figures: Vec<(i32, Vec<ReportedFigure>)> = Vec::with_capacity(reports.len());
    for r in &reports {
        figures.push((r.unit_id, store::indicators::figures_of(r)?));
    }

    // Every measured indicator of the phase, counted together: `k` is its place here.
    let measured: Vec<&Indicator> = cat
        .indicators
        .iter()
        .filter(|i| i.measure.measured() && i.codes.contains_key(&phase.key))
        .collect();
    let courses: Vec<Vec<i32>> = measured
        .iter()
        .map(|i| links.get(&i.key).cloned().unwrap_or_default())
        .collect();
    // The whole tree needs no filter; a small subtree is read through the unit indexes; a
    // large one by the path.
    let all_units = store::units::count(&state.db).await?;
    let ids: Vec<i32> = tree.live.iter().map(|u| u.id).collect();
    let scope = if tree.root.parent_id.is_none() && store::units::roots(&state.db).await?.len() == 1
    {
        store::indicators::Scope::All
    } else if (ids.len() as u64) * 4 < all_units && ids.len() <= 2_000 {
        store::indicators::Scope::Units(&ids)
    } else {
        store::indicators::Scope::Path(&tree.root.path)
    };
    let (counted, self_declared) = futures_util::future::try_join(
        store::indicators::measured(&state.db, scope, &courses, from, until, period.cutoff),
        store::indicators::self_declared(&state.db, scope),
    )
    .await?;
    let done: HashMap<(i32, i32, i32), u64> = counted
        .done
        .iter()
        .map(|d| ((d.unit_id, d.mask, d.k), u64::try_from(d.n).unwrap_or(0)))
        .collect();
    let mut rows = Vec::new();
    for ind in &cat.indicators {
        let Some(code) = ind.codes.get(&phase.key) else {
            continue;
        };
        let row = match ind.measure {
            Measure::CourseCompletion => {
                let k = measured.iter().position(|m| m.key == ind.key).unwrap_or(0);
                let k = i32::try_from(k).unwrap_or(i32::MAX);
                measured_row(
                    ind,
                    code,
                    &phase.key,
                    &tree,
                    &counted.members,
                    |unit, mask| done.get(&(unit, mask, k)).copied().unwrap_or(0),
                )
            }
            Measure::ReportedRate | Measure::ReportedCount => {
                reported_row(ind, code, &phase.key, &tree, &figures)
            }
        };
        rows.push(row);
    }
    Ok(Report {
        unit_id: tree.root.id,
        unit_name: tree.root.name.clone(),
        year,
        phase: phase.key.clone(),
        phase_title: phase.title.clone(),
        period,
        generated_at: state.clock.now(),
        self_declared,
        indicators: rows,
    })
}

fn specs<'a>(ind: &'a Indicator, phase: &str) -> Vec<GroupSpec<'a>> {
    ind.groups
        .iter()
        .map(|g| GroupSpec {
            key: &g.key,
            title: &g.title,
            mask: category_mask(&g.categories),
            target: g.targets.get(phase).copied().unwrap_or(0.0),
        })
        .collect()
}

fn measured_row(
    ind: &Indicator,
    code: &str,
    phase: &str,
    tree: &Tree,
    members: &[store::indicators::MemberCount],
    done: impl Fn(i32, i32) -> u64,
) -> IndicatorRow {
    let groups = specs(ind, phase);
    // Each (unit, categories) count splits into those who met the indicator and the rest.
    let split = |c: &store::indicators::MemberCount| {
        let all = u64::try_from(c.n).unwrap_or(0);
        let met = done(c.unit_id, c.mask).min(all);
        [
            Counted {
                mask: c.mask,
                done: true,
                n: met,
            },
            Counted {
                mask: c.mask,
                done: false,
                n: all - met,
            },
        ]
    };
    let all: Vec<Counted> = members.iter().flat_map(split).collect();
    let (overall, group_rows) = measured_rows(&groups, &all);
    let mut per_child: Vec<Vec<Counted>> = vec![Vec::new(); tree.children.len()];
    for c in members {
        if let Some(i) = tree.child_of.get(&c.unit_id) {
            per_child[*i].extend(split(c));
        }
    }
    let children: Vec<ChildFigure> = tree
        .children
        .iter()
        .zip(per_child)
        .map(|(u, cs)| {
            let (o, _) = measured_rows(&groups, &cs);
            child_figure(u, &o)
        })
        .collect();
    finish_row(
        ind,
        code,
        true,
        Kind::Rate,
        overall,
        group_rows,
        children,
        None,
    )
}

fn child_figure(u: &units::Model, o: &GroupRow) -> ChildFigure {
    ChildFigure {
        unit_id: u.id,
        unit_name: u.name.clone(),
        numerator: o.numerator,
        denominator: o.denominator,
        rate: o.rate,
        target: o.target,
        met: o.met,
    }
}

#[allow(clippy::too_many_arguments)]
fn finish_row(
    ind: &Indicator,
    code: &str,
    measured: bool,
    kind: Kind,
    overall: GroupRow,
    group_rows: Vec<GroupRow>,
    children: Vec<ChildFigure>,
    reports: Option<ReportCoverage>,
) -> IndicatorRow {
    let lagging = match kind {
        Kind::Rate => arith::lagging_children(&children),
        Kind::Count => Vec::new(),
    };
    let mut groups = vec![overall];
    // A single group is the overall row; listing it twice says nothing.
    if group_rows.len() > 1 {
        groups.extend(group_rows);
    }
    IndicatorRow {
        code: code.to_owned(),
        key: ind.key.clone(),
        title: ind.title.clone(),
        measured,
        kind,
        per: ind.per.clone(),
        groups,
        lagging,
        children,
        reports,
    }
}

/// Sums of the figures reported for one indicator, per group.
#[derive(Default, Clone)]
struct Sums {
    numerator: HashMap<String, u64>,
    denominator: HashMap<String, u64>,
    reported: bool,
}

impl Sums {
    fn add(&mut self, f: &ReportedFigure) {
        self.reported = true;
        *self.numerator.entry(f.group.clone()).or_default() += f.numerator;
        *self.denominator.entry(f.group.clone()).or_default() += f.denominator.unwrap_or(0);
    }
}

fn reported_rows(ind: &Indicator, phase: &str, sums: &Sums) -> (GroupRow, Vec<GroupRow>) {
    let groups = specs(ind, phase);
    match ind.measure {
        Measure::ReportedCount => {
            let rows: Vec<GroupRow> = groups
                .iter()
                .map(|g| {
                    let value = sums
                        .reported
                        .then(|| sums.numerator.get(g.key).copied().unwrap_or(0));
                    count_row(g.key, g.title, value, g.target)
                })
                .collect();
            let total = sums.reported.then(|| sums.numerator.values().sum::<u64>());
            let minimum = groups.iter().map(|g| g.target).sum::<f64>();
            let mut overall = count_row(arith::OVERALL, "Chung", total, minimum);
            if rows.len() > 1 {
                overall.met = rows
                    .iter()
                    .map(|r| r.met)
                    .collect::<Option<Vec<bool>>>()
                    .map(|m| m.iter().all(|x| *x));
            }
            (overall, rows)
        }
        _ => {
            let rows: Vec<GroupRow> = groups
                .iter()
                .map(|g| {
                    let t = Tally {
                        numerator: sums.numerator.get(g.key).copied().unwrap_or(0),
                        denominator: sums.denominator.get(g.key).copied().unwrap_or(0),
                    };
                    rate_row(g.key, g.title, t, g.target)
                })
                .collect();
            let total = rows.iter().fold(Tally::default(), |mut t, r| {
                t.numerator += r.numerator;
                t.denominator += r.denominator;
                t
            });
            (overall_row(total, &rows), rows)
        }
    }
}

fn reported_row(
    ind: &Indicator,
    code: &str,
    phase: &str,
    tree: &Tree,
    figures: &[(i32, Vec<ReportedFigure>)],
) -> IndicatorRow {
    let mut all = Sums::default();
    let mut per_child = vec![Sums::default(); tree.children.len()];
    let mut submitted = 0u64;
    for (unit, fs) in figures {
        let mine: Vec<&ReportedFigure> = fs.iter().filter(|f| f.indicator == ind.key).collect();
        if mine.is_empty() {
            continue;
        }
        submitted += 1;
        for f in mine {
            all.add(f);
            if let Some(i) = tree.child_of.get(unit) {
                per_child[*i].add(f);
            }
        }
    }
    let (overall, group_rows) = reported_rows(ind, phase, &all);
    let kind = match ind.measure {
        Measure::ReportedCount => Kind::Count,
        _ => Kind::Rate,
    };
    let children = tree
        .children
        .iter()
        .zip(per_child)
        .map(|(u, s)| child_figure(u, &reported_rows(ind, phase, &s).0))
        .collect();
    finish_row(
        ind,
        code,
        false,
        kind,
        overall,
        group_rows,
        children,
        Some(ReportCoverage {
            submitted,
            expected: tree.live.len() as u64,
        }),
    )
}

// --- units' yearly reports ---

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitReport {
    pub unit_id: i32,
    pub year: i32,
    /// The unit's figures for the reported indicators (at most 200).
    pub figures: Vec<ReportedFigure>,
}

/// A unit's report as stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitReport {
    pub id: i32,
    pub unit_id: i32,
    pub year: i32,
    pub figures: Vec<ReportedFigure>,
    pub submitted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deadline: NaiveDate,
    /// Editable now (before the deadline, or unlocked by an admin).
    pub editable: bool,
    pub unlocked_until: Option<NaiveDate>,
}

fn editable(deadline: NaiveDate, unlocked_until: Option<NaiveDate>, today: NaiveDate) -> bool {
    today <= deadline || unlocked_until.is_some_and(|u| today <= u)
}

fn unit_report(
    r: indicator_reports::Model,
    deadline: NaiveDate,
    today: NaiveDate,
) -> ApiResult<UnitReport> {
    let figures = store::indicators::figures_of(&r)?;
    Ok(UnitReport {
        id: r.id,
        unit_id: r.unit_id,
        year: r.year,
        figures,
        submitted_at: r.submitted_at,
        updated_at: r.updated_at,
        deadline,
        editable: editable(deadline, r.unlocked_until, today),
        unlocked_until: r.unlocked_until,
    })
}

/// An organizer submits (or corrects) the unit's self-reported figures for a year; each
/// indicator and group once, rates with a denominator and a numerator not above it.
///
/// Fails with 403 outside the caller's subtree, 409 `report_locked` after the deadline
/// (unless an admin unlocked it), 422 `invalid_figures` or `invalid_year`.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    body: SubmitReport,
) -> ApiResult<UnitReport> {
    let unit = readable_unit(state, caller, body.unit_id).await?;
    let cat = catalogue(state).await?;
    let settings = year_settings(state, &cat, body.year).await?;
    let figures = check_figures(&cat, body.figures)?;
    let now = state.clock.now();
    let today = vn_today(now);
    let tx = store::begin(&state.db).await?;
    let before = store::indicators::report(&tx, unit.id, body.year).await?;
    let unlocked = before.as_ref().and_then(|b| b.unlocked_until);
    if !editable(settings.period.deadline, unlocked, today) {
        return Err(Code::ReportLocked.into());
    }
    let saved =
        store::indicators::put_report(&tx, before, unit.id, body.year, &figures, caller.id, now)
            .await?;
    tx.commit().await?;
    tracing::info!(unit_id = unit.id, year = body.year, actor = %caller.id, "indicator report submitted");
    unit_report(saved, settings.period.deadline, today)
}

fn check_figures(cat: &Catalogue, figures: Vec<ReportedFigure>) -> ApiResult<Vec<ReportedFigure>> {
    let bad = |message: String| Code::InvalidFigures.field_with("figures", message);
    if figures.len() > MAX_FIGURES {
        return Err(bad(format!(
            "Tối đa {MAX_FIGURES} số liệu trong một báo cáo"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(figures.len());
    for (i, mut f) in figures.into_iter().enumerate() {
        let n = i + 1;
        let ind = cat
            .indicator(&f.indicator)
            .ok_or_else(|| bad(format!("Số liệu {n}: không có chỉ tiêu «{}»", f.indicator)))?;
        if ind.measure.measured() {
            return Err(bad(format!(
                "Số liệu {n}: chỉ tiêu «{}» do hệ thống tự tính, đơn vị không báo cáo",
                ind.title
            )));
        }
        let single = ind.groups.len() == 1;
        if f.group == arith::OVERALL && single {
            f.group = ind.groups[0].key.clone();
        }
        if !ind.groups.iter().any(|g| g.key == f.group) {
            return Err(bad(format!(
                "Số liệu {n}: chỉ tiêu «{}» không có nhóm «{}»",
                ind.title, f.group
            )));
        }
        if !seen.insert((f.indicator.clone(), f.group.clone())) {
            return Err(bad(format!(
                "Số liệu {n}: trùng chỉ tiêu và nhóm với một số liệu trước"
            )));
        }
        match (ind.measure, f.denominator) {
            (Measure::ReportedRate, Some(d)) if f.numerator <= d && d <= 100_000_000 => {}
            (Measure::ReportedRate, _) => {
                return Err(bad(format!(
                    "Số liệu {n}: chỉ tiêu tỷ lệ cần tổng số (denominator) không nhỏ hơn số đạt (numerator)"
                )));
            }
            (_, None) if f.numerator <= 1_000_000 => {}
            _ => {
                return Err(bad(format!(
                    "Số liệu {n}: chỉ tiêu đếm số lượng chỉ có numerator, không có denominator"
                )));
            }
        }
        if let Some(e) = &f.evidence {
            let e = text::clean(e);
            if e.chars().count() > MAX_EVIDENCE_CHARS || text::has_hidden(&e) {
                return Err(bad(format!(
                    "Số liệu {n}: minh chứng tối đa {MAX_EVIDENCE_CHARS} ký tự, không chứa ký tự điều khiển"
                )));
            }
            f.evidence = (!e.is_empty()).then_some(e);
        }
        out.push(f);
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
pub struct SubmissionParams {
    pub unit_id: i32,
    pub year: i32,
}

/// Where a unit's yearly report stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submission {
    pub unit_id: i32,
    pub unit_name: String,
    /// Depth below the asked unit (0: the unit itself).
    pub depth: usize,
    pub state: SubmissionState,
    pub report_id: Option<i32>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Submissions {
    pub unit_id: i32,
    pub year: i32,
    pub deadline: NaiveDate,
    pub submitted: usize,
    pub late: usize,
    pub pending: usize,
    /// The unit and every live unit below it, in tree order (Vietnamese name order among
    /// siblings).
    pub units: Vec<Submission>,
}

/// Which units of a subtree have submitted their report for a year, are late, or not yet.
///
/// Fails with 403 outside the caller's subtree, 422 `invalid_year`.
pub async fn submissions(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
    year: i32,
) -> ApiResult<Submissions> {
    let unit = readable_unit(state, caller, unit_id).await?;
    let cat = catalogue(state).await?;
    let settings = year_settings(state, &cat, year).await?;
    let tree = tree(state, unit).await?;
    let ids: Vec<i32> = tree.live.iter().map(|u| u.id).collect();
    let reports: HashMap<i32, indicator_reports::Model> =
        store::indicators::reports_of(&state.db, year, &ids)
            .await?
            .into_iter()
            .map(|r| (r.unit_id, r))
            .collect();
    let today = vn_today(state.clock.now());
    let deadline = settings.period.deadline;
    let ordered = tree_order(&tree.live, &tree.root);
    let root_depth = tree.root.path.matches('/').count();
    let units: Vec<Submission> = ordered
        .into_iter()
        .map(|u| {
            let r = reports.get(&u.id);
            let submitted_on = r.map(|r| r.submitted_at.with_timezone(&vn_offset()).date_naive());
            Submission {
                unit_id: u.id,
                unit_name: u.name.clone(),
                depth: u.path.matches('/').count().saturating_sub(root_depth),
                state: SubmissionState::of(submitted_on, deadline, today),
                report_id: r.map(|r| r.id),
                submitted_at: r.map(|r| r.submitted_at),
                updated_at: r.map(|r| r.updated_at),
            }
        })
        .collect();
    let count = |s: &[SubmissionState]| units.iter().filter(|u| s.contains(&u.state)).count();
    Ok(Submissions {
        unit_id: tree.root.id,
        year,
        deadline,
        submitted: count(&[SubmissionState::Submitted, SubmissionState::SubmittedLate]),
        late: count(&[SubmissionState::Late]),
        pending: count(&[SubmissionState::Pending]),
        units,
    })
}

/// Units depth first from `root`, siblings in Vietnamese name order.
fn tree_order<'a>(live: &'a [units::Model], root: &'a units::Model) -> Vec<&'a units::Model> {
    let mut kids: HashMap<i32, Vec<&units::Model>> = HashMap::new();
    for u in live {
        if let Some(p) = u.parent_id {
            kids.entry(p).or_default().push(u);
        }
    }
    for v in kids.values_mut() {
        v.sort_by_cached_key(|u| collation::sort_key(&u.name));
    }
    let mut out = Vec::with_capacity(live.len());
    let mut stack = vec![root];
    while let Some(u) = stack.pop() {
        out.push(u);
        if let Some(children) = kids.get(&u.id) {
            stack.extend(children.iter().rev());
        }
    }
    out
}

/// The stored report of a unit for a year, for its organizers.
///
/// Fails with 403 outside the caller's subtree, 404 `report_not_found`.
pub async fn unit_report_of(
    state: &AppState,
    caller: &Caller,
    unit_id: i32,
    year: i32,
) -> ApiResult<UnitReport> {
    let unit = readable_unit(state, caller, unit_id).await?;
    let cat = catalogue(state).await?;
    let settings = year_settings(state, &cat, year).await?;
    let r = store::indicators::report(&state.db, unit.id, year)
        .await?
        .ok_or_else(|| ApiError::from(Code::ReportNotFound))?;
    unit_report(r, settings.period.deadline, vn_today(state.clock.now()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unlock {
    /// Editable through this day (Viet Nam's calendar); `null` locks it again.
    pub until: Option<NaiveDate>,
}

/// An admin unlocks a report past its deadline (or locks it again).
///
/// Fails with 403 for anyone but an admin, 404 `report_not_found`.
pub async fn unlock(
    state: &AppState,
    caller: &Caller,
    id: i32,
    body: Unlock,
) -> ApiResult<UnitReport> {
    caller.require(caller.is_admin)?;
    let before = store::indicators::find_report(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::ReportNotFound))?;
    let cat = catalogue(state).await?;
    let settings = year_settings(state, &cat, before.year).await?;
    let tx = store::begin(&state.db).await?;
    let after = store::indicators::unlock_report(&tx, before, body.until).await?;
    tx.commit().await?;
    unit_report(after, settings.period.deadline, vn_today(state.clock.now()))
}
