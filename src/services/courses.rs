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
    let p = Caller::clone(&*Caller::cached(state, auth.id).await?);
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
    let rules = store::courses::draw_rules(quiz)?;
    if super::banks::purpose_conflict(&state.db, &rules, Purpose::Practice)
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

pub async fn list(state: &AppState, caller: &Caller) -> ApiResult<Vec<CourseSummary>> {
    let mut out = Vec::new();
    for c in store::courses::list(&state.db).await? {
        if !visible(state, caller, &c).await? {
            continue;
        }
        let lessons = store::courses::lessons_of(&state.db, c.id).await?;
        let done = store::courses::completion(&state.db, caller.id, c.id).await?;
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

/// The course, when the caller may see it (404 otherwise, so nobody learns it exists).
async fn course_for(state: &AppState, caller: &Caller, id: i32) -> ApiResult<courses::Model> {
    let c = store::courses::find(&state.db, id)
        .await?
        .ok_or_else(course_not_found)?;
    if !visible(state, caller, &c).await? {
        return Err(course_not_found());
    }
    Ok(c)
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
    let facts = super::quizzes::facts(state, &q, user).await?;
    Ok(Some(QuizInfo {
        id: q.id,
        title: q.title,
        questions: facts.questions,
        time_limit_minutes: facts.time_limit_minutes,
        pass_mark: q.pass_mark,
        attempts_allowed: facts.attempts_allowed,
        attempts_used: facts.attempts_used,
        passed: facts.passed,
    }))
}

pub async fn get(state: &AppState, caller: &Caller, id: i32) -> ApiResult<CourseDetail> {
    let c = course_for(state, caller, id).await?;
    let user = caller.id;
    let lessons = store::courses::lessons_of(&state.db, c.id).await?;
    let done = store::courses::completion(&state.db, user, c.id).await?;
    Ok(CourseDetail {
        audience: audience_of(&c),
        lessons: lesson_summaries(state, user, &lessons).await?,
        final_test: quiz_info(state, user, c.final_test_id).await?,
        id: c.id,
        slug: c.slug,
        title: c.title,
        description: c.description,
        final_test_id: c.final_test_id,
        completed_at: done.map(|d| d.completed_at),
    })
}

pub async fn lesson(state: &AppState, caller: &Caller, id: i32) -> ApiResult<LessonDetail> {
    let l = store::courses::lesson(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::LessonNotFound))?;
    course_for(state, caller, l.course_id).await?;
    let summary = lesson_summaries(state, caller.id, std::slice::from_ref(&l))
        .await?
        .remove(0);
    Ok(LessonDetail {
        summary,
        course_id: l.course_id,
        media: store::courses::media(&l)?,
        quiz: quiz_info(state, caller.id, l.quiz_id).await?,
        body: l.body,
        editable_by: l.editable_by,
    })
}

pub async fn progress(state: &AppState, caller: &Caller, id: i32) -> ApiResult<Progress> {
    let c = course_for(state, caller, id).await?;
    let lessons = store::courses::lessons_of(&state.db, c.id).await?;
    let summaries = lesson_summaries(state, caller.id, &lessons).await?;
    let done = store::courses::completion(&state.db, caller.id, c.id).await?;
    Ok(Progress {
        course_id: c.id,
        lessons_total: summaries.len(),
        lessons_completed: summaries
            .iter()
            .filter(|l| l.completed_at.is_some())
            .count(),
        lessons: summaries,
        final_test: quiz_info(state, caller.id, c.final_test_id).await?,
        completed: done.is_some(),
        completed_at: done.map(|d| d.completed_at),
    })
}

/// Marks a lesson without a quiz as done, and the course when that was the last step, in one
/// transaction. A lesson with a quiz completes only through a passed quiz.
pub async fn complete_lesson(state: &AppState, caller: &Caller, id: i32) -> ApiResult<Progress> {
    let l = store::courses::lesson(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::from(Code::LessonNotFound))?;
    let c = course_for(state, caller, l.course_id).await?;
    if l.quiz_id.is_some() {
        return Err(ApiError::from(Code::QuizRequired));
    }
    let now = state.clock.now();
    let tx = store::begin(&state.db).await?;
    store::courses::complete_lesson(&tx, caller.id, l.id, None, now).await?;
    let completed = check_completion(&tx, state, caller, &c, now).await?;
    tx.commit().await?;
    if completed {
        tracing::info!(user_id = %caller.id, course_id = c.id, "course completed");
    }
    progress(state, caller, c.id).await
}

/// Called once when an attempt ends (submitted or closed at its deadline), inside the
/// transaction that ends it (`tx`): a passed lesson quiz completes its lesson, and either may
/// complete the course. Everything goes through `tx`, so the grade and these records commit
/// together or not at all.
pub async fn on_attempt_finished(
    state: &AppState,
    tx: &Tx,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
) -> ApiResult<()> {
    if attempt.passed != Some(true) || quiz.course_id.is_none() {
        return Ok(());
    }
    // The completion records the unit of this moment.
    let p = Caller::load(tx, attempt.user_id).await?;
    if record_passed_quiz(tx, state, &p, attempt, quiz, state.clock.now()).await? {
        tracing::info!(user_id = %p.id, course_id = ?quiz.course_id, "course completed");
    }
    Ok(())
}

/// [`on_attempt_finished`] within the caller's transaction (`p` is the attempt's owner):
/// reads and writes only through `db`, so it can join the transaction that finishes the
/// attempt. Returns whether the course was completed now (for the caller to log once it
/// commits).
pub async fn record_passed_quiz(
    db: &impl store::Conn,
    state: &AppState,
    p: &Caller,
    attempt: &attempts::Model,
    quiz: &quizzes::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    if attempt.passed != Some(true) {
        return Ok(false);
    }
    let Some(course_id) = quiz.course_id else {
        return Ok(false);
    };
    let Some(c) = store::courses::find(db, course_id).await? else {
        return Ok(false);
    };
    if let Some(l) = store::courses::lesson_by_quiz(db, quiz.id).await? {
        store::courses::complete_lesson(db, p.id, l.id, Some(attempt.id), now).await?;
    }
    check_completion(db, state, p, &c, now).await
}

/// Records the course's completion by `p` when every required lesson is done and the final
/// test (if any) passed, and issues its certificate with it (same transaction). Returns
/// whether it was recorded now.
async fn check_completion(
    db: &impl store::Conn,
    state: &AppState,
    p: &Caller,
    c: &courses::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let lessons = store::courses::lessons_of(db, c.id).await?;
    let required: Vec<i32> = lessons
        .iter()
        .filter(|l| l.required)
        .map(|l| l.id)
        .collect();
    let done = store::courses::progress_of(db, p.id, &required).await?;
    if done.len() < required.len() {
        return Ok(false);
    }
    let final_attempt = match c.final_test_id {
        Some(q) => match store::courses::passed_attempt(db, p.id, q).await? {
            Some(a) => Some(a),
            None => return Ok(false),
        },
        None => None,
    };
    let unit = p.unit_id.zip(p.unit_name.clone());
    if !store::courses::record_completion(db, p.id, c.id, unit.clone(), final_attempt, now).await? {
        return Ok(false);
    }
    super::certificates::issue_for_course(db, state, p.id, unit, c, now).await?;
    Ok(true)
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
        let today = [crate::domain::time::vn_today(state.clock.now())];
        if let Err(e) = paper::check_rules(&q.draw, &pools, &today) {
            problems.push(course::CourseError {
                at: at.clone(),
                anchor: anchor.clone(),
                message: format!("Không đủ câu hỏi: {e}"),
            });
        }
        if let Some(message) =
            super::banks::purpose_conflict(&state.db, &q.draw, Purpose::Practice).await?
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

/// Stores a checked course with its lessons and quizzes, and makes the banks it draws from
/// practice banks (those without a purpose), in one transaction.
async fn store_course(
    state: &AppState,
    def: &CourseFile,
    origin: &str,
    by: Option<Uuid>,
) -> ApiResult<courses::Model> {
    let tx = store::begin(&state.db).await?;
    let c = store::courses::upsert(&tx, def, origin, by, state.clock.now()).await?;
    claim_banks(&tx, def).await?;
    tx.commit().await?;
    state.questions.attempts.forget_quizzes();
    tracing::info!(course = %c.slug, "course imported");
    Ok(c)
}

/// The banks a stored course draws from become practice banks (those without a purpose).
async fn claim_banks(tx: &store::Tx, def: &CourseFile) -> ApiResult<()> {
    let rules: Vec<DrawRule> = def
        .lessons
        .iter()
        .filter_map(|l| l.quiz.as_ref())
        .chain(def.final_test.iter())
        .flat_map(|q| q.draw.iter().cloned())
        .collect();
    super::banks::claim_in(tx, &rules, Purpose::Practice).await
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
    store_course(state, &def, file, by).await
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
    let c = store_course(state, &def, "api", Some(actor.id)).await?;
    get(state, actor, c.id).await
}
