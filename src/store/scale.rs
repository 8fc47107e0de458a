//! Provincial-scale data for benchmarks (`soiduong seed-scale`, `benches/indicators.rs`):
//! a unit tree of districts and communes under the first root, members on rosters (most of
//! them registered and confirmed), five courses linked to the measured indicators, lesson
//! progress and course completions in the year. Generated inside PostgreSQL with
//! `generate_series`, so millions of rows take seconds, not a million round trips.

use chrono::{Datelike, NaiveDate};
use sea_orm::{DbBackend, Statement, Value};

use super::Conn;
use crate::error::{ApiError, ApiResult};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    /// Units in all (the root included): a district per 25, the rest communes.
    pub units: u32,
    /// People on the rosters.
    pub members: u32,
    /// Of whom registered here and confirmed (the rest never registered).
    pub registered: u32,
    /// Lesson progress rows (spread over the registered people).
    pub progress: u32,
    /// The year the progress and completions fall in.
    pub year: i32,
}

impl Scale {
    /// The province: 1,000 units, 500,000 members, 5,000,000 progress rows.
    pub fn province(year: i32) -> Scale {
        Scale {
            units: 1_000,
            members: 500_000,
            registered: 350_000,
            progress: 5_000_000,
            year,
        }
    }
}

/// What was generated.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub root: i32,
    /// A district with its communes (for a district-sized report).
    pub district: i32,
    pub units: u64,
    pub members: u64,
    pub progress: u64,
    pub completions: u64,
}

async fn exec(db: &impl Conn, sql: &str, values: Vec<Value>) -> ApiResult<u64> {
    Ok(db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .rows_affected())
}

async fn scalar(db: &impl Conn, sql: &str) -> ApiResult<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no row: {sql}")))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

/// Generates the data under the first root unit, linking the five courses to the measured
/// indicators `measured` (keys). PostgreSQL only.
///
/// Fails on another database, or when members already exist (it adds to an empty roster
/// only, so that the counts it reports are the table's).
pub async fn generate(db: &super::Db, scale: Scale, measured: &[String]) -> ApiResult<Generated> {
    // One transaction: one connection for the temporary tables, and all or nothing.
    let tx = super::begin(db).await?;
    let made = fill(&tx, scale, measured).await?;
    tx.commit().await?;
    // As autovacuum would in time: statistics, and the visibility map index-only scans need.
    exec(db, "VACUUM ANALYZE", vec![]).await?;
    Ok(made)
}

async fn fill(db: &impl Conn, scale: Scale, measured: &[String]) -> ApiResult<Generated> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "seed-scale needs PostgreSQL (DATABASE_URL=postgres://…)"
        )));
    }
    if scalar(db, "SELECT COUNT(*) FROM members").await? > 0 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "members already exist: seed-scale fills an empty roster only"
        )));
    }
    let root = scalar(
        db,
        "SELECT COALESCE(MIN(id), 0)::bigint FROM units WHERE parent_id IS NULL AND merged_into_id IS NULL",
    )
    .await?;
    if root == 0 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "no root unit: run seed-demo first"
        )));
    }
    let root = i32::try_from(root).map_err(|e| ApiError::Internal(e.into()))?;
    let districts = (scale.units / 25).max(1);
    let communes = (scale.units.saturating_sub(1 + districts) / districts).max(1);
    exec(
        db,
        "INSERT INTO units (parent_id, name, kind, path, created_at, updated_at) \
         SELECT $1, 'Huyện Đoàn Quy Mô ' || g, 'district', '', now(), now() \
         FROM generate_series(1, $2) g",
        vec![root.into(), i64::from(districts).into()],
    )
    .await?;
    exec(
        db,
        "UPDATE units c SET path = p.path || c.id || '/' FROM units p \
         WHERE c.parent_id = p.id AND c.path = ''",
        vec![],
    )
    .await?;
    exec(
        db,
        "INSERT INTO units (parent_id, name, kind, path, created_at, updated_at) \
         SELECT d.id, 'Đoàn xã Quy Mô ' || d.id || '-' || g, 'commune', '', now(), now() \
         FROM units d, generate_series(1, $1) g WHERE d.name LIKE 'Huyện Đoàn Quy Mô %'",
        vec![i64::from(communes).into()],
    )
    .await?;
    exec(
        db,
        "UPDATE units c SET path = p.path || c.id || '/' FROM units p \
         WHERE c.parent_id = p.id AND c.path = ''",
        vec![],
    )
    .await?;
    exec(db, "DROP TABLE IF EXISTS scale_communes", vec![]).await?;
    exec(
        db,
        "CREATE TEMP TABLE scale_communes ON COMMIT DROP AS SELECT (row_number() OVER (ORDER BY id)) - 1 AS k, id \
         FROM units WHERE name LIKE 'Đoàn xã Quy Mô %'",
        vec![],
    )
    .await?;
    let n_communes = scalar(db, "SELECT COUNT(*) FROM scale_communes").await?;
    let district = scalar(
        db,
        "SELECT MIN(id)::bigint FROM units WHERE name LIKE 'Huyện Đoàn Quy Mô %'",
    )
    .await?;

    // People g = 1…members: the first `registered` have accounts. One phone and one name per
    // g, the same in both tables; categories cycle so that every group has people (bits in
    // `Category::ALL` order: cadre 1, member 2, new member 4, association member 8, youth 16,
    // child 32; one in ten is cadre and member at once).
    let mask = "CASE g % 10 WHEN 0 THEN 3 WHEN 1 THEN 4 WHEN 2 THEN 16 WHEN 3 THEN 32 \
                WHEN 4 THEN 16 WHEN 5 THEN 8 ELSE 2 END";
    exec(
        db,
        "INSERT INTO users (id, full_name, phone, email, password_hash, birth_date, unit_id, \
           admitted_on, guardian_consent, is_admin, deleted_at, created_at, updated_at, token_generation) \
         SELECT md5('scale-user-' || g)::uuid, 'Đoàn viên ' || g, '+849' || lpad(g::text, 8, '0'), \
           NULL, NULL, date '1995-01-01' + (g % 5000)::int, c.id, NULL, true, false, NULL, now(), now(), 0 \
         FROM generate_series(1, $1) g JOIN scale_communes c ON c.k = g % $2",
        vec![i64::from(scale.registered).into(), n_communes.into()],
    )
    .await?;
    let left_on = NaiveDate::from_ymd_opt(scale.year, 3, 1)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad year")))?;
    let members = exec(
        db,
        &format!(
            "INSERT INTO members (unit_id, full_name, birth_date, phone, category_mask, admitted_on, \
               user_id, confirmed_at, source, left_on, left_reason, created_at, updated_at, updated_by) \
             SELECT c.id, 'Đoàn viên ' || g, date '1995-01-01' + (g % 5000)::int, '+849' || lpad(g::text, 8, '0'), \
               {mask}, NULL, \
               CASE WHEN g <= $1 THEN md5('scale-user-' || g)::uuid END, \
               CASE WHEN g <= $1 THEN now() END, 'roster', \
               CASE WHEN g % 50 = 7 THEN $4::date END, \
               CASE WHEN g % 50 = 7 THEN 'Chuyển sinh hoạt' END, now(), now(), NULL \
             FROM generate_series(1, $2) g JOIN scale_communes c ON c.k = g % $3"
        ),
        vec![
            i64::from(scale.registered).into(),
            i64::from(scale.members).into(),
            n_communes.into(),
            left_on.into(),
        ],
    )
    .await?;

    // Five courses of ten lessons, one per measured indicator.
    exec(
        db,
        "INSERT INTO courses (slug, title, description, audience_categories, audience_units, \
           final_test_id, origin, created_by, created_at, updated_at) \
         SELECT 'quy-mo-' || g, 'Khóa học quy mô ' || g, '', '[]', '[]', NULL, 'seed-scale', NULL, now(), now() \
         FROM generate_series(1, 5) g",
        vec![],
    )
    .await?;
    exec(
        db,
        "INSERT INTO lessons (course_id, slug, position, title, body, media, estimated_minutes, \
           required, editable_by, quiz_id) \
         SELECT c.id, 'bai-' || g, g, 'Bài ' || g, '', '[]', 5, true, NULL, NULL \
         FROM courses c, generate_series(1, 10) g WHERE c.origin = 'seed-scale'",
        vec![],
    )
    .await?;
    exec(db, "DROP TABLE IF EXISTS scale_lessons", vec![]).await?;
    exec(
        db,
        "CREATE TEMP TABLE scale_lessons ON COMMIT DROP AS SELECT (row_number() OVER (ORDER BY l.id)) - 1 AS k, l.id \
         FROM lessons l JOIN courses c ON c.id = l.course_id WHERE c.origin = 'seed-scale'",
        vec![],
    )
    .await?;
    let start = NaiveDate::from_ymd_opt(scale.year, 1, 1)
        .and_then(|d| d.and_hms_opt(3, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad year")))?;
    // Each registered person reads `per` lessons: steps of 7 over the 50 (7 and 50 are
    // coprime, so no lesson twice), spread over the first 300 days of the year.
    let per = scale.progress.div_ceil(scale.registered.max(1)).min(50);
    let progress = exec(
        db,
        "INSERT INTO lesson_progress (user_id, lesson_id, completed_at, attempt_id) \
         SELECT md5('scale-user-' || g)::uuid, l.id, $1 + ((g * 31 + j) % 300) * interval '1 day', NULL \
         FROM generate_series(1, $2) g CROSS JOIN generate_series(1, $3) j \
         JOIN scale_lessons l ON l.k = (g + j * 7) % 50 \
         WHERE (g - 1) * $3 + j <= $4",
        vec![
            start.into(),
            i64::from(scale.registered).into(),
            i64::from(per).into(),
            i64::from(scale.progress).into(),
        ],
    )
    .await?;
    let completions = exec(
        db,
        "INSERT INTO course_completions (user_id, course_id, completed_at, unit_id, unit_name, final_attempt_id) \
         SELECT md5('scale-user-' || g)::uuid, c.id, $1 + ((g * 17 + c.id) % 300) * interval '1 day', NULL, NULL, NULL \
         FROM generate_series(1, $2) g CROSS JOIN courses c \
         WHERE c.origin = 'seed-scale' AND (g + c.id) % 3 <> 0",
        vec![start.into(), i64::from(scale.registered).into()],
    )
    .await?;
    exec(
        db,
        "INSERT INTO completion_facts (completion_id, member_id, user_id, course_id, completed_at, \
           unit_id, category_mask, admitted_on, left_on) \
         SELECT c.id, m.id, c.user_id, c.course_id, c.completed_at, m.unit_id, m.category_mask, \
           m.admitted_on, m.left_on \
         FROM members m JOIN course_completions c ON c.user_id = m.user_id \
         WHERE m.confirmed_at IS NOT NULL",
        vec![],
    )
    .await?;
    for (i, key) in measured.iter().enumerate() {
        exec(
            db,
            "INSERT INTO indicator_courses (indicator_key, course_id, created_by, created_at) \
             SELECT $1, id, NULL, now() FROM courses WHERE slug = $2 ON CONFLICT DO NOTHING",
            vec![key.clone().into(), format!("quy-mo-{}", i % 5 + 1).into()],
        )
        .await?;
    }
    let year_end = NaiveDate::from_ymd_opt(start.year(), 12, 31)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("bad year")))?;
    exec(
        db,
        "INSERT INTO indicator_years (year, phase, period_from, period_to, cutoff, deadline, updated_by, updated_at) \
         VALUES ($1, CASE WHEN $1 <= 2025 THEN '2025' ELSE '2030' END, $2, $3, $3, $3, NULL, now()) \
         ON CONFLICT (year) DO NOTHING",
        vec![
            scale.year.into(),
            start.date_naive().into(),
            year_end.into(),
        ],
    )
    .await?;
    Ok(Generated {
        root,
        district: i32::try_from(district).map_err(|e| ApiError::Internal(e.into()))?,
        units: u64::from(districts) * (1 + u64::from(communes)) + 1,
        members,
        progress,
        completions,
    })
}
