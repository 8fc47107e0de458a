//! Statistics and the plan's indicators: the catalogue, the years' settings, each unit's
//! report and the figures units report once a year.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    auth::Caller,
    domain::indicators::{Indicator, Report},
    error::{ApiResult, ErrorBody},
    services::indicators::{
        self as service, CatalogueView, CourseLinks, IndicatorView, ReportParams, SubmissionParams,
        Submissions, SubmitReport, UnitReport, Unlock, YearChange, YearSettings,
    },
    services::stats::{
        self as stats, ContestStats, ContestStatsParams, CourseStats, CourseStatsParams,
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(catalogue)
        .service(add_indicator)
        .service(link_courses)
        .service(years)
        .service(set_year)
        .service(indicator_report)
        .service(course_stats)
        .service(contest_stats)
        .service(submit_report)
        .service(submissions)
        .service(unit_report)
        .service(unlock_report);
}

/// `?format=` of the exports: `json` (the default), `csv`, `xlsx`, `pdf`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct FormatParam {
    /// `json` (default), `csv` (UTF-8 with BOM), `xlsx`, `pdf`.
    pub format: Option<String>,
}

/// The indicator catalogue: phases, indicators with their targets per phase and counted
/// groups, and the courses each measured indicator counts.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    responses((status = 200, body = CatalogueView), (status = 401, body = ErrorBody))
)]
#[get("/indicators")]
async fn catalogue(
    state: web::Data<AppState>,
    _caller: Caller,
) -> ApiResult<web::Json<CatalogueView>> {
    Ok(web::Json(service::catalogue_view(&state).await?))
}

/// Add an indicator to the catalogue (admins), in the shipped catalogue's shape.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    request_body = Indicator,
    responses(
        (status = 201, body = IndicatorView),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`indicator_exists`", body = ErrorBody),
        (status = 422, description = "`invalid_indicator`: every broken rule in `details`", body = ErrorBody),
    )
)]
#[post("/indicators")]
async fn add_indicator(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<Indicator>,
) -> ApiResult<HttpResponse> {
    let view = service::add(&state, &caller, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Link the courses whose completions count for a measured indicator (admins).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("key" = String, Path, description = "Indicator key")),
    request_body = CourseLinks,
    responses((status = 200, body = IndicatorView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/indicators/{key}/courses")]
async fn link_courses(
    state: web::Data<AppState>,
    caller: Caller,
    key: web::Path<String>,
    body: web::Json<CourseLinks>,
) -> ApiResult<web::Json<IndicatorView>> {
    Ok(web::Json(
        service::link_courses(&state, &caller, &key, body.into_inner()).await?,
    ))
}

/// Every year of the plan's phases with its phase and dates.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<YearSettings>), (status = 401, body = ErrorBody))
)]
#[get("/indicator-years")]
async fn years(
    state: web::Data<AppState>,
    _caller: Caller,
) -> ApiResult<web::Json<Vec<YearSettings>>> {
    Ok(web::Json(service::years(&state).await?))
}

/// Map a year to a phase and set its dates (admins).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("year" = i32, Path, description = "Year")),
    request_body = YearChange,
    responses((status = 200, body = YearSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/indicator-years/{year}")]
async fn set_year(
    state: web::Data<AppState>,
    caller: Caller,
    year: web::Path<i32>,
    body: web::Json<YearChange>,
) -> ApiResult<web::Json<YearSettings>> {
    Ok(web::Json(
        service::set_year(&state, &caller, *year, body.into_inner()).await?,
    ))
}

/// The indicator report of a unit and every unit below it for a year: per indicator its
/// groups (overall first) with numerator, denominator, rate, target and met, the child
/// units furthest below target, and every child's figure. Organizers see their subtree only
/// (403 elsewhere, in every format).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(ReportParams, FormatParam),
    responses(
        (status = 200, body = Report),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[get("/stats/indicators")]
async fn indicator_report(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<ReportParams>,
    format: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let report = service::report(&state, &caller, params.unit_id, params.year).await?;
    super::exports::respond_report(&state, report, format.format.as_deref()).await
}

/// Submit or correct a unit's self-reported figures for a year (organizers of the unit or
/// above), until the deadline; after it the report is locked unless an admin unlocked it.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    request_body = SubmitReport,
    responses(
        (status = 200, body = UnitReport),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`report_locked`", body = ErrorBody),
        (status = 422, description = "`invalid_figures`, `invalid_year`", body = ErrorBody)
    )
)]
#[post("/indicator-reports")]
async fn submit_report(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<SubmitReport>,
) -> ApiResult<web::Json<UnitReport>> {
    Ok(web::Json(
        service::submit(&state, &caller, body.into_inner()).await?,
    ))
}

/// Which units of a subtree have submitted their yearly report, are late, or not yet.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(SubmissionParams, FormatParam),
    responses((status = 200, body = Submissions), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/indicator-reports")]
async fn submissions(
    state: web::Data<AppState>,
    caller: Caller,
    params: web::Query<SubmissionParams>,
    format: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let s = service::submissions(&state, &caller, params.unit_id, params.year).await?;
    super::exports::respond_submissions(&state, s, format.format.as_deref()).await
}

/// A unit's stored report for a year, with whether it can still be changed.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("unit_id" = i32, Path, description = "Unit id"), ("year" = i32, Path, description = "Year")),
    responses((status = 200, body = UnitReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/indicator-reports/{unit_id}/{year}")]
async fn unit_report(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(i32, i32)>,
) -> ApiResult<web::Json<UnitReport>> {
    let (unit_id, year) = path.into_inner();
    Ok(web::Json(
        service::unit_report_of(&state, &caller, unit_id, year).await?,
    ))
}

/// Unlock a report past its deadline through a day, or lock it again with `null` (admins).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Report id")),
    request_body = Unlock,
    responses((status = 200, body = UnitReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[post("/indicator-reports/{id}/unlock")]
async fn unlock_report(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    body: web::Json<Unlock>,
) -> ApiResult<web::Json<UnitReport>> {
    Ok(web::Json(
        service::unlock(&state, &caller, *id, body.into_inner()).await?,
    ))
}

/// A course's figures for a unit and every unit below it, per child unit: enrolled (the
/// course's audience), started, completed and passed in the period, median time to complete.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Course id"), CourseStatsParams, FormatParam),
    responses(
        (status = 200, body = CourseStats),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)
    )
)]
#[get("/stats/courses/{id}")]
async fn course_stats(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    params: web::Query<CourseStatsParams>,
    format: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let s = stats::course(&state, &caller, *id, params.into_inner()).await?;
    super::exports::respond_course(&state, s, format.format.as_deref()).await
}

/// A contest's participants and attempts per round and per child unit, and the
/// participation rate.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "statistics",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Contest id"), ContestStatsParams, FormatParam),
    responses(
        (status = 200, body = ContestStats),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
#[get("/stats/contests/{id}")]
async fn contest_stats(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
    params: web::Query<ContestStatsParams>,
    format: web::Query<FormatParam>,
) -> ApiResult<HttpResponse> {
    let s = stats::contest(&state, &caller, *id, params.into_inner()).await?;
    super::exports::respond_contest(&state, s, format.format.as_deref()).await
}
