//! Courses and lessons: who may see and take them, progress, completion.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{attempts, courses, lessons, quizzes};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::access;
use crate::{
    auth::{AuthUser, Caller},
    domain::{
        banks::FileError,
        course::{self, Audience, CourseFile, Media},
        paper::{self, DrawRule, Purpose},
    },
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store::{self, Tx},
};

fn audience_of(c: &courses::Model) -> Audience {
    access::audience(&c.audience_categories, &c.audience_units)
}

async fn visible(state: &AppState, p: &Caller, c: &courses::Model) -> ApiResult<bool> {
    if p.is_admin {
        return Ok(true);
    }
    access::admits(state, p, &audience_of(c)).await
}

fn course_not_found() -> ApiError {
    ApiError::from(Code::CourseNotFound)
}

/// Checks that the person may take this quiz (it belongs to a course they are in the audience
/// of) and returns their profile.
pub async fn may_take(
    state: &AppState,
    auth: AuthUser,
    quiz: &quizzes::Model,
) -> ApiResult<Caller> {
    let p = Caller::load(&state.db, auth.id).await?;
    let course = match quiz.course_id {
        Some(id) => store::courses::find(&state.db, id).await?,
        None => None,
    };
    match course {
        Some(c) if visible(state, &p, &c).await? => {}
        Some(_) => return Err(ApiError::forbidden()),
        None => {
            return Err(ApiError::from(Code::QuizNotFound));
        }
    }
    // Checked once the caller may see the course, so the answer tells nobody else about it.
    // A bank that became a contest bank after this quiz was made is sealed: no practice
    // attempt (with its review after submit) may show its keys.
    let rules: Vec<DrawRule> = serde_json::from_str(&quiz.draw_rules).unwrap_or_default();
    if super::banks::purpose_conflict(state, &rules, Purpose::Practice)
        .await?
        .is_some()
    {
        return Err(Code::BankSealed.with("Bài ôn tập này rút câu hỏi từ ngân hàng của một cuộc thi nên tạm khóa; ban tổ chức cần cập nhật khóa học"));
    }
    Ok(p)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseSummary {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub lessons: usize,
    pub estimated_minutes: i32,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LessonSummary {
    pub id: i32,
    pub slug: String,
    pub position: i32,
    pub title: String,
    pub estimated_minutes: i32,
    pub required: bool,
    pub quiz_id: Option<i32>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CourseDetail {
    pub id: i32,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub audience: Audience,
    pub lessons: Vec<LessonSummary>,
    pub final_test_id: Option<i32>,
    pub final_test: Option<QuizInfo>,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuizInfo {
    pub id: i32,
    pub title: String,
    pub questions: u32,
    pub time_limit_minutes: i32,
    pub pass_mark: i32,
    /// 0: unlimited.
    pub attempts_allowed: i32,
    pub attempts_used: i32,
    pub passed: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LessonDetail {
    #[serde(flatten)]
    pub summary: LessonSummary,
    pub course_id: i32,
    /// Markdown.
    pub body: String,
    pub media: Vec<Media>,
    pub editable_by: Option<String>,
    pub quiz: Option<QuizInfo>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub course_id: i32,
    pub lessons_total: usize,
    pub lessons_completed: usize,
    pub lessons: Vec<LessonSummary>,
    pub final_test: Option<QuizInfo>,
    pub completed: bool,
    pub completed_at: Option<DateTime<Utc>>,
}

pub async fn list(state: &AppState, auth: AuthUser) -> ApiResult<Vec<CourseSummary>> {
    let p = Caller::load(&state.db, auth.id).await?;
    let mut out = Vec::new();
    for c in store::courses::list(&state.db).await? {
        if !visible(state, &p, &c).await? {
            continue;
        }
        let lessons = store::courses::lessons_of(&state.db, c.id).await?;
        let done = store::courses::completion(&state.db, auth.id, c.id).await?;
        out.push(CourseSummary {
            id: c.id,
            slug: c.slug,
            title: c.title,
            description: c.description,
            lessons: lessons.len(),
            estimated_minutes: lessons.iter().map(|l| l.estimated_minutes).sum(),
            completed_at: done.map(|d| d.completed_at),
        });
    }
    Ok(out)
}

async fn course_for(
    state: &AppState,
    auth: AuthUser,
    id: i32,
) -> ApiResult<(courses::Model, Caller)> {
    let p = Caller::load(&state.db, auth.id).await?;
    let c = store::courses::find(&state.db, id)
        .await?
        .ok_or_else(course_not_found)?;
    if !visible(state, &p, &c).await? {
        return Err(course_not_found());
    }
    Ok((c, p))
}

async fn lesson_summaries(
    state: &AppState,
    user: Uuid,
    lessons: &[lessons::Model],
) -> ApiResult<Vec<LessonSummary>> {
    let ids: Vec<i32> = lessons.iter().map(|l| l.id).collect();
    let done: HashMap<i32, DateTime<Utc>> = store::courses::progress_of(&state.db, user, &ids)
        .await?
        .into_iter()
        .map(|p| (p.lesson_id, p.completed_at))
        .collect();
    Ok(lessons
        .iter()
        .map(|l| LessonSummary {
            id: l.id,
            slug: l.slug.clone(),
            position: l.position + 1,
            title: l.title.clone(),
            estimated_minutes: l.estimated_minutes,
            required: l.required,
            quiz_id: l.quiz_id,
            completed_at: done.get(&l.id).copied(),
        })
        .collect())
}

async fn quiz_info(
    state: &AppState,
    user: Uuid,
    quiz_id: Option<i32>,
) -> ApiResult<Option<QuizInfo>> {
    let Some(id) = quiz_id else { return Ok(None) };
    let Some(q) = store::courses::quiz(&state.db, id).await? else {
        return Ok(None);
    };
    let tries = store::attempts::of_user(&state.db, user, q.id).await?;
    let rules: Vec<DrawRule> = serde_json::from_str(&q.draw_rules).unwrap_or_default();
    Ok(Some(QuizInfo {
        id: q.id,
        title: q.title,
        questions: rules.iter().map(|r| r.count).sum(),
        time_limit_minutes: q.time_limit_secs / 60,
        pass_mark: q.pass_mark,
        attempts_allowed: q.attempts_allowed,
        attempts_used: tries.len() as i32,
        passed: tries.iter().any(|a| a.passed == Some(true)),
    }))
}

pub async fn get(state: &AppState, auth: AuthUser, id: i32) -> ApiResult<CourseDetail> {
    let (c, _) = course_for(state, auth, id).await?;
    let lessons = store::courses::lessons_of(&state.db, c.id).await?;
    let done = store::courses::completion(&state.db, auth.id, c.id).await?;
    Ok(CourseDetail {
        audience: audience_of(&c),
        lessons: lesson_summaries(state, auth.id, &lessons).await?,
        final_test: quiz_info(state, auth.id, c.final_test_id).await?,
        id: c.id,
        slug: c.slug,
        title: c.title,
        description: c.description,
        final_test_id: c.final_test_id,
        completed_at: done.map(|d| d.completed_at),
    })
}

pub async fn lesson(state: &AppState, auth: AuthUser, id: i32) -> ApiResult<LessonDetail> {
    let l = store::courses::lesson(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::LessonNotFound))?;
    course_for(state, auth, l.course_id).await?;
    let summary = lesson_summaries(state, auth.id, std::slice::from_ref(&l))
        .await?
        .remove(0);
    Ok(LessonDetail {
        summary,
        course_id: l.course_id,
        media: serde_json::from_str(&l.media).unwrap_or_default(),
        quiz: quiz_info(state, auth.id, l.quiz_id).await?,
        body: l.body,
        editable_by: l.editable_by,
    })
}

pub async fn progress(state: &AppState, auth: AuthUser, id: i32) -> ApiResult<Progress> {
    let (c, _) = course_for(state, auth, id).await?;
    let lessons = store::courses::lessons_of(&state.db, c.id).await?;
    let summaries = lesson_summaries(state, auth.id, &lessons).await?;
    let done = store::courses::completion(&state.db, auth.id, c.id).await?;
    Ok(Progress {
        course_id: c.id,
        lessons_total: summaries.len(),
        lessons_completed: summaries
            .iter()
            .filter(|l| l.completed_at.is_some())
            .count(),
        lessons: summaries,
        final_test: quiz_info(state, auth.id, c.final_test_id).await?,
        completed: done.is_some(),
        completed_at: done.map(|d| d.completed_at),
    })
}

/// Marks a lesson without a quiz as done. A lesson with a quiz completes only through a
/// passed quiz.
pub async fn complete_lesson(state: &AppState, auth: AuthUser, id: i32) -> ApiResult<Progress> {
    let l = store::courses::lesson(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::LessonNotFound))?;
    let (c, p) = course_for(state, auth, l.course_id).await?;
    if l.quiz_id.is_some() {
        return Err(ApiError::from(Code::QuizRequired));
    }
    let (now, unit) = (state.clock.now(), p.unit_id.zip(p.unit_name.clone()));
    let tx = store::begin(&state.db).await?;
    store::courses::complete_lesson(&tx, auth.id, l.id, None, now).await?;
    check_completion(&tx, now, auth.id, &c, unit).await?;
    tx.commit().await?;
    progress(state, auth, c.id).await
}

/// Called once when an attempt ends (submitted or closed at its deadline), inside the
/// transaction that ends it: a passed lesson quiz completes its lesson, and either may
/// complete the course. Everything is read and written through `tx`, so the grade and these
/// records commit together.
pub async fn on_attempt_finished(
    state: &AppState,
    tx: &Tx,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if attempt.passed != Some(true) {
        return Ok(());
    }
    let Some(course_id) = quiz.course_id else {
        return Ok(());
    };
    let now = state.clock.now();
    if let Some(l) = store::courses::lesson_by_quiz(tx, quiz.id).await? {
        store::courses::complete_lesson(tx, attempt.user_id, l.id, Some(attempt.id), now).await?;
    }
    let Some(c) = store::courses::find(tx, course_id).await? else {
        return Ok(());
    };
    // The unit at this moment, kept on the completion.
    let unit = match store::users::find(tx, attempt.user_id)
        .await?
        .and_then(|u| u.unit_id)
    {
        Some(id) => store::units::find(tx, id).await?.map(|u| (u.id, u.name)),
        None => None,
    };
    check_completion(tx, now, attempt.user_id, &c, unit).await
}

/// Records the course's completion when every required lesson (and the final test) is done,
/// through the use case's transaction.
async fn check_completion(
    db: &Tx,
    now: DateTime<Utc>,
    user: Uuid,
    c: &courses::Model,
    unit: Option<(i32, String)>,
) -> ApiResult<()> {
    let lessons = store::courses::lessons_of(db, c.id).await?;
    let required: Vec<i32> = lessons
        .iter()
        .filter(|l| l.required)
        .map(|l| l.id)
        .collect();
    let done = store::courses::progress_of(db, user, &required).await?;
    if done.len() < required.len() {
        return Ok(());
    }
    let final_attempt = match c.final_test_id {
        Some(q) => match store::attempts::of_user(db, user, q)
            .await?
            .into_iter()
            .find(|a| a.passed == Some(true))
        {
            Some(a) => Some(a.id),
            None => return Ok(()),
        },
        None => None,
    };
    if store::courses::record_completion(db, user, c.id, unit, final_attempt, now).await? {
        tracing::info!(user_id = %user, course_id = c.id, "course completed");
    }
    Ok(())
}

/// Checks a definition against the rules and against the banks it draws from.
async fn validate(state: &AppState, def: &CourseFile) -> ApiResult<Vec<course::CourseError>> {
    let mut problems = course::check(def);
    let quizzes = def
        .lessons
        .iter()
        .filter_map(|l| {
            l.quiz
                .as_ref()
                .map(|q| (format!("lessons[{}].quiz", l.id), Some(l.id.clone()), q))
        })
        .chain(
            def.final_test
                .iter()
                .map(|q| ("final_test".to_owned(), Some("final_test".to_owned()), q)),
        );
    for (at, anchor, q) in quizzes {
        let slugs: Vec<String> = q.draw.iter().map(|r| r.bank.clone()).collect();
        let pools = state.questions.pools(&state.db, &slugs).await?;
        if let Err(e) = paper::check_rules(&q.draw, &pools) {
            problems.push(course::CourseError {
                at: at.clone(),
                anchor: anchor.clone(),
                message: format!("Không đủ câu hỏi: {e}"),
            });
        }
        if let Some(message) =
            super::banks::purpose_conflict(state, &q.draw, Purpose::Practice).await?
        {
            problems.push(course::CourseError {
                at,
                anchor,
                message,
            });
        }
    }
    Ok(problems)
}

/// The banks a stored course draws from become practice banks (those without a purpose).
async fn claim_banks(state: &AppState, def: &CourseFile) -> ApiResult<()> {
    let rules: Vec<DrawRule> = def
        .lessons
        .iter()
        .filter_map(|l| l.quiz.as_ref())
        .chain(def.final_test.iter())
        .flat_map(|q| q.draw.iter().cloned())
        .collect();
    super::banks::claim_for(state, &rules, Purpose::Practice).await
}

/// Imports a course file. Fails with every problem, each with its line when it can be found.
pub async fn import_course_file(
    state: &AppState,
    file: &str,
    text: &str,
    by: Option<Uuid>,
) -> ApiResult<courses::Model> {
    let def = course::parse_file(file, text).map_err(|e| file_rejected(vec![e]))?;
    let problems = validate(state, &def).await?;
    if !problems.is_empty() {
        let errors = problems
            .into_iter()
            .map(|p| {
                let line = p.anchor.as_deref().map_or(0, |a| line_of(text, a));
                FileError {
                    file: file.to_owned(),
                    line,
                    column: 0,
                    message: format!("{}: {}", p.at, p.message),
                    more: 0,
                }
            })
            .collect();
        return Err(file_rejected(errors));
    }
    let c = store::courses::upsert(&state.db, &def, file, by, state.clock.now()).await?;
    claim_banks(state, &def).await?;
    tracing::info!(course = %c.slug, "course imported");
    Ok(c)
}

fn line_of(text: &str, anchor: &str) -> usize {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ").trim();
            t == format!("id: {anchor}") || t == format!("{anchor}:")
        })
        .map_or(0, |i| i + 1)
}

fn file_rejected(errors: Vec<FileError>) -> ApiError {
    let message = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    Code::CourseRejected.details(message, serde_json::json!(errors))
}

/// Creates (or, by its slug, updates) a course through the API: admins, and organizers for the
/// courses they created.
pub async fn create(state: &AppState, actor: &Caller, def: CourseFile) -> ApiResult<CourseDetail> {
    super::banks::require_staff(actor)?;
    if let Some(existing) = store::courses::find_by_slug(&state.db, &def.course.id).await?
        && !actor.is_admin
        && existing.created_by != Some(actor.id)
    {
        return Err(ApiError::forbidden());
    }
    let problems = validate(state, &def).await?;
    if !problems.is_empty() {
        let message = problems
            .iter()
            .map(|p| format!("{}: {}", p.at, p.message))
            .collect::<Vec<_>>()
            .join("; ");
        let details = problems
            .iter()
            .map(|p| serde_json::json!({ "at": p.at, "message": p.message }))
            .collect::<Vec<_>>();
        return Err(Code::InvalidCourse.details(message, serde_json::json!(details)));
    }
    let c =
        store::courses::upsert(&state.db, &def, "api", Some(actor.id), state.clock.now()).await?;
    claim_banks(state, &def).await?;
    get(
        state,
        AuthUser {
            id: actor.id,
            is_admin: actor.is_admin,
        },
        c.id,
    )
    .await
}
