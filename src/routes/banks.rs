use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};

use crate::{
    auth::Caller,
    domain::{banks::limits, content::report::ContentReport},
    error::{ApiResult, Code, ErrorBody},
    routes::upload,
    services::{
        banks::{self, BankDetail, BankInfo, ImportSummary},
        content,
    },
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import)
        .service(list)
        .service(detail)
        .service(content_report);
}

/// Import question banks from uploaded files (multipart, `file` parts: YAML, GIFT, Aiken
/// `.txt`, Excel `.xlsx`). Each file imports whole or not at all. 200 when every file
/// imported, 422 when any was refused (the body's `details` holds every summary, each listing
/// at most 50 errors and then their total). At most 10 files and 20 MB a request (10 MB a
/// file): more is refused before anything is parsed. Files are parsed a few at a time across
/// the service; when all parsing slots stay busy the answer is 429 with `Retry-After`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "question-banks",
    security(("bearer" = [])),
    params(banks::ImportTarget),
    request_body(content_type = "multipart/form-data", description = "One to ten files"),
    responses(
        (status = 200, description = "Summaries, one per file", body = [ImportSummary]),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`bank_in_use`: an open or upcoming round needs questions the file drops", body = ErrorBody),
        (status = 413, description = "A file over 10 MB, or over 20 MB in all", body = ErrorBody),
        (status = 422, description = "A file was refused (`error.details` holds the summaries with file, line, column), or more than 10 files were sent (`too_many_files`)", body = ErrorBody),
        (status = 429, description = "Every import slot is busy; retry after `Retry-After` seconds", body = ErrorBody),
    )
)]
#[post("/question-banks/import")]
async fn import(
    state: web::Data<AppState>,
    actor: Caller,
    target: web::Query<banks::ImportTarget>,
    form: Multipart,
) -> ApiResult<HttpResponse> {
    banks::require_staff(&actor)?;
    let files = upload::read_files(
        form,
        upload::Caps {
            files: limits::MAX_FILES_PER_REQUEST,
            file_bytes: limits::MAX_FILE_BYTES,
            request_bytes: limits::MAX_REQUEST_BYTES,
        },
    )
    .await?;
    let summaries = banks::import_upload(&state, &actor, *target, files).await?;
    if summaries.iter().any(|s| s.failed) {
        let message = summaries
            .iter()
            .flat_map(|s| s.errors.iter().take(3))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(Code::BankRejected.details(
            format!("Có tệp không nhập được: {message}"),
            serde_json::json!(summaries),
        ));
    }
    Ok(HttpResponse::Ok().json(summaries))
}

/// The question banks (admins and organizers).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "question-banks",
    security(("bearer" = [])),
    responses((status = 200, body = [BankInfo]), (status = 403, body = ErrorBody))
)]
#[get("/question-banks")]
async fn list(state: web::Data<AppState>, actor: Caller) -> ApiResult<web::Json<Vec<BankInfo>>> {
    Ok(web::Json(banks::list(&state, &actor).await?))
}

/// A bank with its live questions and their keys (admins and organizers).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "question-banks",
    security(("bearer" = [])),
    params(("id" = i32, Path, description = "Bank id")),
    responses((status = 200, body = BankDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/question-banks/{id}")]
async fn detail(
    state: web::Data<AppState>,
    actor: Caller,
    id: web::Path<i32>,
) -> ApiResult<web::Json<BankDetail>> {
    Ok(web::Json(
        banks::get(&state, &actor, id.into_inner()).await?,
    ))
}

/// The content report (admins and organizers, over the banks they may read): per bank, the
/// questions whose validity ends within 90 days or has ended, the questions resting on a
/// replaced legal document, and near-duplicate questions not in one family. The same report
/// as `soiduong content-report`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "question-banks",
    security(("bearer" = [])),
    params(content::ReportQuery),
    responses((status = 200, body = ContentReport), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody))
)]
#[get("/content-report")]
async fn content_report(
    state: web::Data<AppState>,
    actor: Caller,
    query: web::Query<content::ReportQuery>,
) -> ApiResult<web::Json<ContentReport>> {
    Ok(web::Json(content::report(&state, &actor, query.on).await?))
}
