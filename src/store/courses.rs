//! Courses, lessons, quizzes, progress, completions and the event outbox.

use chrono::{DateTime, Utc};
use entity::{attempts, course_completions, courses, events, lesson_progress, lessons, quizzes};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use uuid::Uuid;

use super::{Conn, json};
use crate::{
    domain::{
        course::{CourseFile, Media, QuizDef},
        paper::DrawRule,
    },
    error::ApiResult,
};

/// A quiz's draw rules, decoded; a column that does not decode is an error, never "no rules"
/// (a quiz of no questions).
pub fn draw_rules(q: &quizzes::Model) -> Result<Vec<DrawRule>, DbErr> {
    json::decode("quizzes", "draw_rules", &q.draw_rules)
}

/// A lesson's media, decoded.
pub fn media(l: &lessons::Model) -> Result<Vec<Media>, DbErr> {
    json::decode("lessons", "media", &l.media)
}

async fn upsert_quiz(
    txn: &impl Conn,
    existing: Option<i32>,
    def: &QuizDef,
    kind: quizzes::QuizKind,
    course_id: i32,
    now: DateTime<Utc>,
) -> ApiResult<i32> {
    let mut row = match existing {
        Some(id) => match quizzes::Entity::find_by_id(id).one(txn).await? {
            Some(q) => q.into(),
            None => quizzes::ActiveModel {
                created_at: Set(now),
                ..Default::default()
            },
        },
        None => quizzes::ActiveModel {
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.title = Set(def.title.trim().to_owned());
    row.kind = Set(kind);
    row.course_id = Set(Some(course_id));
    row.draw_rules = Set(json::encode(&def.draw)?);
    row.time_limit_secs = Set(i32::try_from(def.time_limit_minutes * 60).unwrap_or(i32::MAX));
    row.pass_mark = Set(i32::try_from(def.pass_mark).unwrap_or(100));
    row.attempts_allowed = Set(i32::try_from(def.attempts_allowed).unwrap_or(0));
    row.review = Set(def.review);
    row.updated_at = Set(now);
    let saved = if !row.id.is_not_set() {
        row.update(txn).await?
    } else {
        row.insert(txn).await?
    };
    Ok(saved.id)
}

/// Creates or updates a course by its slug, with its lessons and quizzes. Lessons dropped
/// from the definition are withdrawn (position −1, not required), never deleted, so the
/// progress recorded on them stays.
///
/// Several statements: the caller passes its [`super::Tx`].
pub async fn upsert(
    txn: &impl Conn,
    def: &CourseFile,
    origin: &str,
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<courses::Model> {
    let existing = courses::Entity::find()
        .filter(courses::Column::Slug.eq(&def.course.id))
        .one(txn)
        .await?;
    let stored = existing.is_some();
    let mut row: courses::ActiveModel = match existing {
        Some(c) => c.into(),
        None => courses::ActiveModel {
            created_at: Set(now),
            created_by: Set(created_by),
            final_test_id: Set(None),
            ..Default::default()
        },
    };
    row.slug = Set(def.course.id.clone());
    row.title = Set(def.course.title.trim().to_owned());
    row.description = Set(def.course.description.trim().to_owned());
    row.audience_categories = Set(json::encode(&def.course.audience.categories)?);
    row.audience_units = Set(json::encode(&def.course.audience.units)?);
    row.origin = Set(origin.to_owned());
    row.updated_at = Set(now);
    // A stored row's id is `Unchanged`, not `Set`: ask the lookup, not the id.
    let course = if stored {
        row.update(txn).await?
    } else {
        row.insert(txn).await?
    };

    let final_test_id = match &def.final_test {
        Some(q) => Some(
            upsert_quiz(
                txn,
                course.final_test_id,
                q,
                quizzes::QuizKind::FinalTest,
                course.id,
                now,
            )
            .await?,
        ),
        None => None,
    };
    let mut active: courses::ActiveModel = course.into();
    active.final_test_id = Set(final_test_id);
    let course = active.update(txn).await?;

    let old = lessons::Entity::find()
        .filter(lessons::Column::CourseId.eq(course.id))
        .all(txn)
        .await?;
    for (position, l) in def.lessons.iter().enumerate() {
        let prior = old.iter().find(|o| o.slug == l.id);
        let quiz_id = match &l.quiz {
            Some(q) => Some(
                upsert_quiz(
                    txn,
                    prior.and_then(|p| p.quiz_id),
                    q,
                    quizzes::QuizKind::LessonQuiz,
                    course.id,
                    now,
                )
                .await?,
            ),
            None => None,
        };
        let mut row: lessons::ActiveModel = match prior {
            Some(p) => p.clone().into(),
            None => lessons::ActiveModel {
                course_id: Set(course.id),
                slug: Set(l.id.clone()),
                ..Default::default()
            },
        };
        row.position = Set(position as i32);
        row.title = Set(l.title.trim().to_owned());
        row.body = Set(l.body.trim_end().to_owned());
        row.media = Set(json::encode(&l.media)?);
        row.estimated_minutes = Set(l.estimated_minutes as i32);
        row.required = Set(l.required);
        row.editable_by = Set(l.editable_by.clone());
        row.quiz_id = Set(quiz_id);
        if !row.id.is_not_set() {
            row.update(txn).await?;
        } else {
            row.insert(txn).await?;
        }
    }
    for gone in old
        .iter()
        .filter(|o| !def.lessons.iter().any(|l| l.id == o.slug))
    {
        let mut row: lessons::ActiveModel = gone.clone().into();
        row.position = Set(-1);
        row.required = Set(false);
        row.update(txn).await?;
    }
    Ok(course)
}

pub async fn list(db: &impl Conn) -> ApiResult<Vec<courses::Model>> {
    Ok(courses::Entity::find()
        .order_by_asc(courses::Column::Id)
        .all(db)
        .await?)
}

pub async fn find(db: &impl Conn, id: i32) -> ApiResult<Option<courses::Model>> {
    Ok(courses::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_slug(db: &impl Conn, slug: &str) -> ApiResult<Option<courses::Model>> {
    Ok(courses::Entity::find()
        .filter(courses::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

/// The course's lessons in order (withdrawn ones left out).
pub async fn lessons_of(db: &impl Conn, course_id: i32) -> ApiResult<Vec<lessons::Model>> {
    Ok(lessons::Entity::find()
        .filter(lessons::Column::CourseId.eq(course_id))
        .filter(lessons::Column::Position.gte(0))
        .order_by_asc(lessons::Column::Position)
        .all(db)
        .await?)
}

pub async fn lesson(db: &impl Conn, id: i32) -> ApiResult<Option<lessons::Model>> {
    Ok(lessons::Entity::find_by_id(id)
        .filter(lessons::Column::Position.gte(0))
        .one(db)
        .await?)
}

pub async fn lesson_by_quiz(db: &impl Conn, quiz_id: i32) -> ApiResult<Option<lessons::Model>> {
    Ok(lessons::Entity::find()
        .filter(lessons::Column::QuizId.eq(quiz_id))
        .one(db)
        .await?)
}

pub async fn insert_quiz(db: &impl Conn, row: quizzes::ActiveModel) -> ApiResult<quizzes::Model> {
    Ok(row.insert(db).await?)
}

pub async fn update_quiz(db: &impl Conn, row: quizzes::ActiveModel) -> ApiResult<quizzes::Model> {
    Ok(row.update(db).await?)
}

pub async fn quiz(db: &impl Conn, id: i32) -> ApiResult<Option<quizzes::Model>> {
    Ok(quizzes::Entity::find_by_id(id).one(db).await?)
}

pub async fn progress_of(
    db: &impl Conn,
    user: Uuid,
    lesson_ids: &[i32],
) -> ApiResult<Vec<lesson_progress::Model>> {
    Ok(lesson_progress::Entity::find()
        .filter(lesson_progress::Column::UserId.eq(user))
        .filter(lesson_progress::Column::LessonId.is_in(lesson_ids.iter().copied()))
        .all(db)
        .await?)
}

/// Marks a lesson done (once; later calls keep the first time). A conflict does nothing
/// rather than fail, so the caller's transaction stays usable on PostgreSQL.
pub async fn complete_lesson(
    db: &impl Conn,
    user: Uuid,
    lesson_id: i32,
    attempt: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    lesson_progress::Entity::insert(lesson_progress::ActiveModel {
        user_id: Set(user),
        lesson_id: Set(lesson_id),
        completed_at: Set(now),
        attempt_id: Set(attempt),
    })
    .on_conflict(
        OnConflict::columns([
            lesson_progress::Column::UserId,
            lesson_progress::Column::LessonId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn completion(
    db: &impl Conn,
    user: Uuid,
    course_id: i32,
) -> ApiResult<Option<course_completions::Model>> {
    Ok(course_completions::Entity::find()
        .filter(course_completions::Column::UserId.eq(user))
        .filter(course_completions::Column::CourseId.eq(course_id))
        .one(db)
        .await?)
}

/// Records a completion with the unit at that moment and leaves a `course_completed` event
/// for the certificates to pick up. Returns false when it was recorded before.
///
/// Several statements (the completion, the indicators' summary, the event): the caller passes
/// its [`super::Tx`], so no completion lands without the rest.
pub async fn record_completion(
    db: &impl Conn,
    user: Uuid,
    course_id: i32,
    unit: Option<(i32, String)>,
    final_attempt: Option<Uuid>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let inserted = course_completions::Entity::insert(course_completions::ActiveModel {
        user_id: Set(user),
        course_id: Set(course_id),
        completed_at: Set(now),
        unit_id: Set(unit.as_ref().map(|u| u.0)),
        unit_name: Set(unit.map(|u| u.1)),
        final_attempt_id: Set(final_attempt),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            course_completions::Column::UserId,
            course_completions::Column::CourseId,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let Some(row) = completion(db, user, course_id).await? else {
        return Err(DbErr::RecordNotFound("the completion just recorded".into()).into());
    };
    super::facts::completion_added(db, row.id).await?;
    events::ActiveModel {
        kind: Set(events::EventKind::CourseCompleted),
        payload: Set(serde_json::json!({
            "completion_id": row.id,
            "user_id": user,
            "course_id": course_id,
            "unit_id": row.unit_id,
            "unit_name": row.unit_name,
            "completed_at": now,
        })
        .to_string()),
        created_at: Set(now),
        processed_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(true)
}

/// The id of one passed attempt of `user` at `quiz`, if any.
pub async fn passed_attempt(db: &impl Conn, user: Uuid, quiz: i32) -> ApiResult<Option<Uuid>> {
    Ok(attempts::Entity::find()
        .filter(attempts::Column::UserId.eq(user))
        .filter(attempts::Column::QuizId.eq(quiz))
        .filter(attempts::Column::Passed.eq(true))
        .one(db)
        .await?
        .map(|a| a.id))
}

pub async fn pending_events(
    db: &impl Conn,
    kind: events::EventKind,
) -> ApiResult<Vec<events::Model>> {
    Ok(events::Entity::find()
        .filter(events::Column::Kind.eq(kind))
        .filter(events::Column::ProcessedAt.is_null())
        .order_by_asc(events::Column::Id)
        .all(db)
        .await?)
}
