//! The counts behind course and contest statistics, grouped in the database: people are
//! counted under the unit their account is in now (a merge moves them).

use chrono::{DateTime, Utc};
use sea_orm::{FromQueryResult, Statement, Value};
use uuid::Uuid;

use super::Conn;
use crate::{domain::person::Category, error::ApiResult};

fn stmt(db: &impl Conn, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// A person's first activity in a course in the period.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Activity {
    pub user_id: Uuid,
    pub unit_id: i32,
    pub first_at: DateTime<Utc>,
}

/// People of the subtree at `path` who read a lesson of the course or started one of its
/// quizzes in `[from, until)`, with their first such moment.
pub async fn course_activity(
    db: &impl Conn,
    course: i32,
    path: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ApiResult<Vec<Activity>> {
    let sql = "SELECT x.user_id AS user_id, us.unit_id AS unit_id, MIN(x.at) AS first_at FROM ( \
            SELECT lp.user_id AS user_id, lp.completed_at AS at FROM lesson_progress lp \
              JOIN lessons l ON l.id = lp.lesson_id WHERE l.course_id = $1 \
            UNION ALL \
            SELECT a.user_id AS user_id, a.started_at AS at FROM attempts a \
              JOIN quizzes q ON q.id = a.quiz_id WHERE q.course_id = $1 \
        ) x JOIN users us ON us.id = x.user_id JOIN units u ON u.id = us.unit_id \
        WHERE u.path LIKE $2 AND x.at >= $3 AND x.at < $4 \
        GROUP BY x.user_id, us.unit_id";
    Ok(Activity::find_by_statement(stmt(
        db,
        sql.to_owned(),
        vec![
            course.into(),
            format!("{path}%").into(),
            from.into(),
            until.into(),
        ],
    ))
    .all(db)
    .await?)
}

/// A completion of the course in the period, and whether its final test was passed.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Completion {
    pub user_id: Uuid,
    pub unit_id: i32,
    pub completed_at: DateTime<Utc>,
    /// The final test's verdict; `None` for a course without one.
    pub passed: Option<bool>,
}

pub async fn course_completions(
    db: &impl Conn,
    course: i32,
    path: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ApiResult<Vec<Completion>> {
    let sql = "SELECT c.user_id AS user_id, us.unit_id AS unit_id, c.completed_at AS completed_at, \
          a.passed AS passed \
        FROM course_completions c JOIN users us ON us.id = c.user_id \
        JOIN units u ON u.id = us.unit_id LEFT JOIN attempts a ON a.id = c.final_attempt_id \
        WHERE c.course_id = $1 AND u.path LIKE $2 AND c.completed_at >= $3 AND c.completed_at < $4";
    Ok(Completion::find_by_statement(stmt(
        db,
        sql.to_owned(),
        vec![
            course.into(),
            format!("{path}%").into(),
            from.into(),
            until.into(),
        ],
    ))
    .all(db)
    .await?)
}

/// People counted per unit.
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct UnitCount {
    pub unit_id: i32,
    pub n: i64,
}

/// Live accounts of the subtree at `path` in an audience: holding one of `categories` (any,
/// when empty) and under one of `unit_paths` (anywhere, when empty).
pub async fn audience_counts(
    db: &impl Conn,
    path: &str,
    categories: &[Category],
    unit_paths: &[String],
) -> ApiResult<Vec<UnitCount>> {
    let mut values: Vec<Value> = vec![format!("{path}%").into()];
    let mut sql = "SELECT us.unit_id AS unit_id, COUNT(*) AS n FROM users us \
        JOIN units u ON u.id = us.unit_id \
        WHERE us.deleted_at IS NULL AND u.path LIKE $1"
        .to_owned();
    if !categories.is_empty() {
        let mut marks = Vec::new();
        for c in categories {
            values.push(c.as_str().into());
            marks.push(format!("${}", values.len()));
        }
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM user_categories uc WHERE uc.user_id = us.id \
             AND uc.category IN ({}))",
            marks.join(", ")
        ));
    }
    if !unit_paths.is_empty() {
        let mut likes = Vec::new();
        for p in unit_paths {
            values.push(format!("{p}%").into());
            likes.push(format!("u.path LIKE ${}", values.len()));
        }
        sql.push_str(&format!(" AND ({})", likes.join(" OR ")));
    }
    sql.push_str(" GROUP BY us.unit_id");
    Ok(UnitCount::find_by_statement(stmt(db, sql, values))
        .all(db)
        .await?)
}

/// Live roster members per unit of the subtree at `path`.
pub async fn roster_counts(db: &impl Conn, path: &str) -> ApiResult<Vec<UnitCount>> {
    let sql = "SELECT m.unit_id AS unit_id, COUNT(*) AS n FROM members m \
        JOIN units u ON u.id = m.unit_id WHERE u.path LIKE $1 AND m.left_on IS NULL \
        GROUP BY m.unit_id";
    Ok(
        UnitCount::find_by_statement(stmt(db, sql.to_owned(), vec![format!("{path}%").into()]))
            .all(db)
            .await?,
    )
}

/// Participants and attempts of a contest per round and unit (practice tries left out).
#[derive(Debug, Clone, Copy, FromQueryResult)]
pub struct RoundCount {
    pub round_id: i32,
    pub unit_id: i32,
    pub participants: i64,
    pub attempts: i64,
}

pub async fn contest_counts(
    db: &impl Conn,
    contest: i32,
    path: &str,
) -> ApiResult<Vec<RoundCount>> {
    let sql = "SELECT r.id AS round_id, us.unit_id AS unit_id, \
          COUNT(DISTINCT a.user_id) AS participants, COUNT(*) AS attempts \
        FROM attempts a JOIN rounds r ON r.quiz_id = a.quiz_id \
        JOIN users us ON us.id = a.user_id JOIN units u ON u.id = us.unit_id \
        WHERE r.contest_id = $1 AND u.path LIKE $2 AND a.practice = $3 \
        GROUP BY r.id, us.unit_id";
    Ok(RoundCount::find_by_statement(stmt(
        db,
        sql.to_owned(),
        vec![contest.into(), format!("{path}%").into(), false.into()],
    ))
    .all(db)
    .await?)
}

/// People of each unit who took part in any round of the contest.
pub async fn contest_people(db: &impl Conn, contest: i32, path: &str) -> ApiResult<Vec<UnitCount>> {
    let sql = "SELECT us.unit_id AS unit_id, COUNT(DISTINCT a.user_id) AS n \
        FROM attempts a JOIN rounds r ON r.quiz_id = a.quiz_id \
        JOIN users us ON us.id = a.user_id JOIN units u ON u.id = us.unit_id \
        WHERE r.contest_id = $1 AND u.path LIKE $2 AND a.practice = $3 \
        GROUP BY us.unit_id";
    Ok(UnitCount::find_by_statement(stmt(
        db,
        sql.to_owned(),
        vec![contest.into(), format!("{path}%").into(), false.into()],
    ))
    .all(db)
    .await?)
}
