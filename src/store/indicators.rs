//! Indicator settings (years, added indicators, course links), units' yearly reports, and
//! the counts the measured indicators are computed from.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{indicator_courses, indicator_definitions, indicator_reports, indicator_years};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    Statement, Value, sea_query::OnConflict,
};
use uuid::Uuid;

use super::Conn;
use crate::{domain::indicators::ReportedFigure, error::ApiResult};

// --- years ---

pub async fn year(db: &impl Conn, year: i32) -> ApiResult<Option<indicator_years::Model>> {
    Ok(indicator_years::Entity::find_by_id(year).one(db).await?)
}

pub async fn years(db: &impl Conn) -> ApiResult<Vec<indicator_years::Model>> {
    Ok(indicator_years::Entity::find()
        .order_by_asc(indicator_years::Column::Year)
        .all(db)
        .await?)
}

pub async fn put_year(db: &impl Conn, y: indicator_years::Model) -> ApiResult<()> {
    let active = indicator_years::ActiveModel {
        year: Set(y.year),
        phase: Set(y.phase),
        period_from: Set(y.period_from),
        period_to: Set(y.period_to),
        cutoff: Set(y.cutoff),
        deadline: Set(y.deadline),
        updated_by: Set(y.updated_by),
        updated_at: Set(y.updated_at),
    };
    indicator_years::Entity::insert(active)
        .on_conflict(
            OnConflict::column(indicator_years::Column::Year)
                .update_columns([
                    indicator_years::Column::Phase,
                    indicator_years::Column::PeriodFrom,
                    indicator_years::Column::PeriodTo,
                    indicator_years::Column::Cutoff,
                    indicator_years::Column::Deadline,
                    indicator_years::Column::UpdatedBy,
                    indicator_years::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

// --- indicators added by admins, course links ---

pub async fn definitions(db: &impl Conn) -> ApiResult<Vec<indicator_definitions::Model>> {
    Ok(indicator_definitions::Entity::find()
        .order_by_asc(indicator_definitions::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn put_definition(
    db: &impl Conn,
    key: &str,
    definition: String,
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    indicator_definitions::Entity::insert(indicator_definitions::ActiveModel {
        key: Set(key.to_owned()),
        definition: Set(definition),
        created_by: Set(Some(by)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(indicator_definitions::Column::Key)
            .update_columns([
                indicator_definitions::Column::Definition,
                indicator_definitions::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

pub async fn course_links(db: &impl Conn) -> ApiResult<Vec<indicator_courses::Model>> {
    Ok(indicator_courses::Entity::find()
        .order_by_asc(indicator_courses::Column::CourseId)
        .all(db)
        .await?)
}

/// Replaces the courses linked to `key` by configuration.
pub async fn set_course_links(
    db: &impl Conn,
    key: &str,
    courses: &[i32],
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    indicator_courses::Entity::delete_many()
        .filter(indicator_courses::Column::IndicatorKey.eq(key))
        .exec(db)
        .await?;
    if courses.is_empty() {
        return Ok(());
    }
    let rows = courses.iter().map(|c| indicator_courses::ActiveModel {
        indicator_key: Set(key.to_owned()),
        course_id: Set(*c),
        created_by: Set(Some(by)),
        created_at: Set(now),
    });
    indicator_courses::Entity::insert_many(rows)
        .exec(db)
        .await?;
    Ok(())
}

// --- units' reports ---

pub async fn report(
    db: &impl Conn,
    unit: i32,
    year: i32,
) -> ApiResult<Option<indicator_reports::Model>> {
    Ok(indicator_reports::Entity::find()
        .filter(indicator_reports::Column::UnitId.eq(unit))
        .filter(indicator_reports::Column::Year.eq(year))
        .one(db)
        .await?)
}

pub async fn find_report(db: &impl Conn, id: i32) -> ApiResult<Option<indicator_reports::Model>> {
    Ok(indicator_reports::Entity::find_by_id(id).one(db).await?)
}

/// The reports of a year by the units `ids`.
pub async fn reports_of(
    db: &impl Conn,
    year: i32,
    ids: &[i32],
) -> ApiResult<Vec<indicator_reports::Model>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            indicator_reports::Entity::find()
                .filter(indicator_reports::Column::Year.eq(year))
                .filter(indicator_reports::Column::UnitId.is_in(chunk.iter().copied()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

pub fn figures_of(r: &indicator_reports::Model) -> ApiResult<Vec<ReportedFigure>> {
    Ok(super::json::decode(
        "indicator_reports",
        "figures",
        &r.figures,
    )?)
}

/// Stores a unit's figures for a year: the first submission, or a change to it.
pub async fn put_report(
    db: &impl Conn,
    before: Option<indicator_reports::Model>,
    unit: i32,
    year: i32,
    figures: &[ReportedFigure],
    by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<indicator_reports::Model> {
    let json = super::json::encode(&figures)?;
    Ok(match before {
        Some(b) => {
            let mut active: indicator_reports::ActiveModel = b.into();
            active.figures = Set(json);
            active.submitted_by = Set(by);
            active.updated_at = Set(now);
            indicator_reports::Entity::update(active).exec(db).await?
        }
        None => {
            indicator_reports::Entity::insert(indicator_reports::ActiveModel {
                unit_id: Set(unit),
                year: Set(year),
                figures: Set(json),
                submitted_at: Set(now),
                submitted_by: Set(by),
                updated_at: Set(now),
                unlocked_until: Set(None),
                ..Default::default()
            })
            .exec_with_returning(db)
            .await?
        }
    })
}

pub async fn unlock_report(
    db: &impl Conn,
    before: indicator_reports::Model,
    until: Option<NaiveDate>,
) -> ApiResult<indicator_reports::Model> {
    let mut active: indicator_reports::ActiveModel = before.into();
    active.unlocked_until = Set(until);
    Ok(indicator_reports::Entity::update(active).exec(db).await?)
}

// --- counting ---

/// People of one unit with one set of categories, counted on the cut-off.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct MemberCount {
    pub unit_id: i32,
    pub mask: i32,
    pub n: i64,
}

/// Which units a count reads.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    /// Every unit: no filter at all (the province when it is the only root).
    All,
    /// The subtree at this path, by the path index: a large part of the tree.
    Path(&'a str),
    /// These units, by the unit indexes: a small subtree.
    Units(&'a [i32]),
}

impl Scope<'_> {
    /// `AND <column> IN (…)` (or nothing), its values appended to `values`.
    pub(super) fn filter(self, column: &str, values: &mut Vec<Value>) -> String {
        match self {
            Scope::All => String::new(),
            Scope::Path(path) => {
                values.push(format!("{path}%").into());
                format!(
                    " AND {column} IN (SELECT id FROM units WHERE path LIKE ${})",
                    values.len()
                )
            }
            Scope::Units(ids) => {
                let marks: Vec<String> = ids
                    .iter()
                    .map(|id| {
                        values.push((*id).into());
                        format!("${}", values.len())
                    })
                    .collect();
                format!(" AND {column} IN ({})", marks.join(", "))
            }
        }
    }
}

/// What the measured indicators are computed from, for a subtree on a cut-off day.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    /// Everyone counted: on a roster, not left by the cut-off, admitted by then when the day
    /// is known.
    pub members: Vec<MemberCount>,
    /// Of them, who completed a course of indicator k in the period (from the summary).
    pub done: Vec<super::facts::Done>,
}

/// The members counted on `cutoff` in `scope`, by unit and categories, and of them those
/// whose confirmed account completed one of `courses[k]` in `[from, until)`. Two statements
/// run side by side, neither joining members to completions: the completion summary
/// (`store::facts`) already holds each completion with its member's unit and categories.
pub async fn measured(
    db: &impl Conn,
    scope: Scope<'_>,
    courses: &[Vec<i32>],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    cutoff: NaiveDate,
) -> ApiResult<Measured> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![cutoff.into()];
    let filter = scope.filter("m.unit_id", &mut values);
    let sql = format!(
        "SELECT m.unit_id AS unit_id, m.category_mask AS mask, COUNT(*) AS n FROM members m \
         WHERE (m.left_on IS NULL OR m.left_on > $1) \
           AND (m.admitted_on IS NULL OR m.admitted_on <= $1){filter} \
         GROUP BY 1, 2"
    );
    let members = async {
        Ok(
            MemberCount::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(db)
                .await?,
        )
    };
    let done = super::facts::numerators(db, scope, courses, from, until, cutoff);
    let (members, done) = futures_util::future::try_join(members, done).await?;
    Ok(Measured { members, done })
}

#[derive(Debug, FromQueryResult)]
struct Counted {
    n: i64,
}

/// Registered people of the subtree at `path` with no confirmed live member record: they
/// declared a unit themselves, so they are shown apart and counted nowhere.
/// A small `scope` looks only at its own members (a confirmed record lies in its account's
/// unit: confirming, a roster move and a merge move both).
pub async fn self_declared(db: &impl Conn, scope: Scope<'_>) -> ApiResult<u64> {
    let mut values: Vec<Value> = Vec::new();
    let users = scope.filter("us.unit_id", &mut values);
    let members = match scope {
        Scope::Units(_) => scope.filter("m.unit_id", &mut values),
        _ => String::new(),
    };
    let sql = format!(
        "SELECT COUNT(*) AS n FROM users us \
        WHERE us.deleted_at IS NULL AND us.unit_id IS NOT NULL{users} AND NOT EXISTS \
        (SELECT 1 FROM members m WHERE m.user_id = us.id AND m.confirmed_at IS NOT NULL \
         AND m.left_on IS NULL{members})"
    );
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
    let n = Counted::find_by_statement(stmt)
        .one(db)
        .await?
        .map_or(0, |c| c.n);
    Ok(u64::try_from(n).unwrap_or(0))
}
