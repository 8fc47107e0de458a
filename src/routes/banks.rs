use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use futures_util::StreamExt;

use crate::{
    auth::AuthUser,
    error::{ApiError, ApiResult, ErrorBody},
    services::{
        access::Actor,
        banks::{self, BankDetail, BankInfo, ImportSummary},
    },
    startup::AppState,
};

/// Largest file accepted by the upload.
const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import).service(list).service(detail);
}

/// Import question banks from uploaded files (multipart, any number of `file` parts: YAML,
/// GIFT, Aiken `.txt`, Excel). Each file imports whole or not at all. 200 when every file
/// imported, 422 when any was refused (the body's `details` holds every summary).
#[utoipa::path(
    context_path = "/api/v1",
    tag = "question-banks",
    security(("bearer" = [])),
    params(banks::ImportTarget),
    request_body(content_type = "multipart/form-data", description = "One or more files"),
    responses(
        (status = 200, description = "Summaries, one per file", body = [ImportSummary]),
        (status = 403, body = ErrorBody),
        (status = 409, description = "`bank_in_use`: an open or upcoming round needs questions the file drops", body = ErrorBody),
        (status = 422, description = "A file was refused; `error.details` holds the summaries with file, line, column", body = ErrorBody),
    )
)]
#[post("/question-banks/import")]
async fn import(
    state: web::Data<AppState>,
    user: AuthUser,
    target: web::Query<banks::ImportTarget>,
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    let actor = Actor::load(&state, user).await?;
    banks::require_staff(&actor)?;
    let mut summaries = Vec::new();
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| {
            ApiError::bad_request("invalid_upload", format!("Tệp tải lên không hợp lệ: {e}"))
        })?;
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned());
        let Some(name) = name else { continue };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request("invalid_upload", format!("Tệp tải lên không hợp lệ: {e}"))
            })?;
            if bytes.len() + chunk.len() > MAX_FILE_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        summaries.push(banks::import_file(&state, &actor, *target, &name, &bytes).await?);
    }
    if summaries.is_empty() {
        return Err(ApiError::invalid(
            "no_file",
            "file",
            "Chưa có tệp nào được tải lên",
        ));
    }
    if summaries.iter().any(|s| s.failed) {
        let message = summaries
            .iter()
            .flat_map(|s| s.errors.iter().take(3))
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        return Err(ApiError::rejected(
            "bank_rejected",
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
async fn list(state: web::Data<AppState>, user: AuthUser) -> ApiResult<web::Json<Vec<BankInfo>>> {
    let actor = Actor::load(&state, user).await?;
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
    user: AuthUser,
    id: web::Path<i32>,
) -> ApiResult<web::Json<BankDetail>> {
    let actor = Actor::load(&state, user).await?;
    Ok(web::Json(
        banks::get(&state, &actor, id.into_inner()).await?,
    ))
}
