//! The completion summary behind the measured indicators (`completion_facts`): one row per
//! course completion and confirmed member record of the same account, with the member's unit,
//! categories, admission and leaving days copied. Reports count it without joining 500,000
//! members to a million completions. It is kept exact in the transaction of every change that
//! moves it (a completion, a confirmation, a roster change, a leaving, a merge), each of which
//! calls a function here; [`mismatches`] recounts it from the tables it summarises.

use chrono::{DateTime, Utc};
use sea_orm::{FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::Conn;
use crate::error::ApiResult;

/// What a fact is made of, from `members m` joined to `course_completions c`.
const FACT: &str = "SELECT c.id AS completion_id, m.id AS member_id, c.user_id AS user_id, \
    c.course_id AS course_id, c.completed_at AS completed_at, m.unit_id AS unit_id, \
    m.category_mask AS category_mask, m.admitted_on AS admitted_on, m.left_on AS left_on \
    FROM members m JOIN course_completions c ON c.user_id = m.user_id \
    WHERE m.confirmed_at IS NOT NULL AND m.user_id IS NOT NULL";

const COLUMNS: &str = "completion_id, member_id, user_id, course_id, completed_at, unit_id, \
    category_mask, admitted_on, left_on";

async fn exec(db: &impl Conn, sql: String, values: Vec<Value>) -> ApiResult<()> {
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        values,
    ))
    .await?;
    Ok(())
}

/// A completion was recorded: its facts, for each confirmed record of the account.
pub async fn completion_added(db: &impl Conn, completion_id: i32) -> ApiResult<()> {
    exec(
        db,
        format!("INSERT INTO completion_facts ({COLUMNS}) {FACT} AND c.id = $1"),
        vec![completion_id.into()],
    )
    .await
}

/// An account's records changed (a confirmation, a release): its facts are made again.
pub async fn user_changed(db: &impl Conn, user: Uuid) -> ApiResult<()> {
    exec(
        db,
        "DELETE FROM completion_facts WHERE user_id = $1".to_owned(),
        vec![user.into()],
    )
    .await?;
    exec(
        db,
        format!("INSERT INTO completion_facts ({COLUMNS}) {FACT} AND m.user_id = $1"),
        vec![user.into()],
    )
    .await
}

/// Member records changed (unit, categories, dates, account): their facts are made again.
pub async fn members_changed(db: &impl Conn, ids: &[i32]) -> ApiResult<()> {
    for chunk in ids.chunks(500) {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len());
        let marks: Vec<String> = chunk
            .iter()
            .map(|id| {
                values.push((*id).into());
                format!("${}", values.len())
            })
            .collect();
        let list = marks.join(", ");
        exec(
            db,
            format!("DELETE FROM completion_facts WHERE member_id IN ({list})"),
            values.clone(),
        )
        .await?;
        exec(
            db,
            format!("INSERT INTO completion_facts ({COLUMNS}) {FACT} AND m.id IN ({list})"),
            values,
        )
        .await?;
    }
    Ok(())
}

/// A merge moved every member of `from` to `to`.
pub async fn unit_merged(db: &impl Conn, from: i32, to: i32) -> ApiResult<()> {
    exec(
        db,
        "UPDATE completion_facts SET unit_id = $1 WHERE unit_id = $2".to_owned(),
        vec![to.into(), from.into()],
    )
    .await
}

#[derive(Debug, FromQueryResult)]
struct Counted {
    n: i64,
}

/// How many rows the summary and a recount from the tables disagree on (0 when exact).
pub async fn mismatches(db: &impl Conn) -> ApiResult<i64> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM ( \
           SELECT * FROM (SELECT {COLUMNS} FROM completion_facts EXCEPT {FACT}) a \
           UNION ALL \
           SELECT * FROM ({FACT} EXCEPT SELECT {COLUMNS} FROM completion_facts) b \
         ) x"
    );
    let row = Counted::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await?;
    Ok(row.map_or(0, |r| r.n))
}

/// Numerators of the measured indicators: people of each unit and categories who completed,
/// in `[from, until)`, a course of indicator `k` (a row per unit, categories and k), counted
/// on `cutoff` like the denominators. `courses[k]` are indicator k's courses; with several
/// courses an indicator counts each person once.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct Done {
    pub unit_id: i32,
    pub mask: i32,
    pub k: i32,
    pub n: i64,
}

pub async fn numerators(
    db: &impl Conn,
    scope: super::indicators::Scope<'_>,
    courses: &[Vec<i32>],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    cutoff: chrono::NaiveDate,
) -> ApiResult<Vec<Done>> {
    let mut values: Vec<Value> = vec![cutoff.into(), from.into(), until.into()];
    let filter = scope.filter("f.unit_id", &mut values);
    let when = "f.completed_at >= $2 AND f.completed_at < $3 \
        AND (f.left_on IS NULL OR f.left_on > $1) \
        AND (f.admitted_on IS NULL OR f.admitted_on <= $1)";
    let backend = db.get_database_backend();
    if courses.iter().all(|c| c.len() <= 1) {
        // One course per indicator: a fact is one person's completion of it (a completion is
        // unique per account and course), so counting facts by course counts people, and a
        // course shared by two indicators counts for both.
        let mut ids: Vec<i32> = courses.iter().flatten().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = ids
            .iter()
            .map(|id| {
                values.push((*id).into());
                format!("${}", values.len())
            })
            .collect();
        let sql = format!(
            "SELECT f.unit_id AS unit_id, f.category_mask AS mask, f.course_id AS course_id, \
               COUNT(*) AS n FROM completion_facts f \
             WHERE f.course_id IN ({}) AND {when}{filter} GROUP BY 1, 2, 3",
            marks.join(", ")
        );
        let rows =
            ByCourse::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
                .all(db)
                .await?;
        let mut out = Vec::new();
        for (k, c) in courses.iter().enumerate() {
            let Some(course) = c.first() else { continue };
            let k = i32::try_from(k).unwrap_or(i32::MAX);
            out.extend(
                rows.iter()
                    .filter(|r| r.course_id == *course)
                    .map(|r| Done {
                        unit_id: r.unit_id,
                        mask: r.mask,
                        k,
                        n: r.n,
                    }),
            );
        }
        return Ok(out);
    }
    // An indicator of several courses counts each person once: a (course, indicator) map and
    // DISTINCT members.
    let mut map = Vec::new();
    for (k, ids) in courses.iter().enumerate() {
        for id in ids {
            values.push((*id).into());
            map.push(format!("SELECT ${} AS course_id, {k} AS k", values.len()));
        }
    }
    let sql = format!(
        "SELECT f.unit_id AS unit_id, f.category_mask AS mask, map.k AS k, \
           COUNT(DISTINCT f.member_id) AS n \
         FROM completion_facts f JOIN ({}) map ON map.course_id = f.course_id \
         WHERE {when}{filter} GROUP BY 1, 2, 3",
        map.join(" UNION ALL ")
    );
    Ok(
        Done::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
            .all(db)
            .await?,
    )
}

#[derive(Debug, Clone, Copy, FromQueryResult)]
struct ByCourse {
    unit_id: i32,
    mask: i32,
    course_id: i32,
    n: i64,
}
