use actix_web::{HttpResponse, get, post, web};

use crate::{
    auth::{AuthUser, Caller},
    domain::course::CourseFile,
    error::{ApiResult, ErrorBody},
    services::{
        attempts::{self, AttemptView},
        courses::{self, CourseDetail, CourseSummary, LessonDetail, Progress},
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(detail)
        .service(progress)
        .service(lesson)
        .service(complete_lesson)
        .service(start_attempt);
}

/// The courses the logged-in user is in the audience of.
#[utoipa::path(context_path = "/api/v1", tag = "courses", security(("bearer" = [])), responses((status = 200, body = [CourseSummary])))]
#[get("/courses")]
async fn list(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<web::Json<Vec<CourseSummary>>> {
    Ok(web::Json(courses::list(&state, &caller).await?))
}

/// Create a course (or update one by its `course.id`): the same shape as a course file.
/// Admins and organizers; draw rules are checked against the banks.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "courses",
    security(("bearer" = [])),
    request_body = CourseFile,
    responses((status = 201, body = CourseDetail), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[post("/courses")]
async fn create(
    state: web::Data<AppState>,
    actor: Caller,
    body: web::Json<CourseFile>,
) -> ApiResult<HttpResponse> {
    let course = courses::create(&state, &actor, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(course))
}

/// A course: lessons in order, each with its `quiz_id` or null, and the `final_test_id`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Course id")),
    responses((status = 200, body = CourseDetail), (status = 404, body = ErrorBody))
)]
#[get("/courses/{id}")]
async fn detail(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<CourseDetail>> {
    Ok(web::Json(
        courses::get(&state, &caller, id.into_inner()).await?,
    ))
}

/// The logged-in user's progress in a course.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Course id")),
    responses((status = 200, body = Progress), (status = 404, body = ErrorBody))
)]
#[get("/courses/{id}/progress")]
async fn progress(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<Progress>> {
    Ok(web::Json(
        courses::progress(&state, &caller, id.into_inner()).await?,
    ))
}

/// A lesson with its Markdown body.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Lesson id")),
    responses((status = 200, body = LessonDetail), (status = 404, body = ErrorBody))
)]
#[get("/lessons/{id}")]
async fn lesson(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<LessonDetail>> {
    Ok(web::Json(
        courses::lesson(&state, &caller, id.into_inner()).await?,
    ))
}

/// Mark a lesson read. A lesson with a quiz completes only through a passed quiz
/// (409 `quiz_required`).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "courses",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Lesson id")),
    responses((status = 200, body = Progress), (status = 409, body = ErrorBody))
)]
#[post("/lessons/{id}/complete")]
async fn complete_lesson(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<Progress>> {
    Ok(web::Json(
        courses::complete_lesson(&state, &caller, id.into_inner()).await?,
    ))
}

/// Start an attempt at a quiz, or resume the open one (200 on resume, 201 when new). The paper
/// carries no answer key.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "attempts",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Quiz id")),
    responses(
        (status = 201, body = AttemptView),
        (status = 200, description = "The open attempt, resumed", body = AttemptView),
        (status = 409, description = "`attempts_exhausted`", body = ErrorBody),
    )
)]
#[post("/quizzes/{id}/attempts")]
async fn start_attempt(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i32>,
) -> ApiResult<HttpResponse> {
    let (view, created) = attempts::start(&state, user, id.into_inner()).await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}
