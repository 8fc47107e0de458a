use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use futures_util::StreamExt;

use crate::{
    auth::Caller,
    domain::banks::limits,
    error::{ApiError, ApiResult, Code, ErrorBody},
    services::banks::{self, BankDetail, BankInfo, ImportSummary},
    state::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(import).service(list).service(detail);
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
    mut form: Multipart,
) -> ApiResult<HttpResponse> {
    banks::require_staff(&actor)?;
    // Read every part first, within the caps, so that an oversized request is refused before
    // any file of it is parsed or imported.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut total = 0usize;
    let mut parts = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field
            .map_err(|e| Code::InvalidUpload.with(format!("Tệp tải lên không hợp lệ: {e}")))?;
        parts += 1;
        if parts > limits::MAX_PARTS_PER_REQUEST {
            return Err(too_many_files());
        }
        let name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned());
        let Some(name) = name else {
            // Not a file: read and dropped, but within the same byte limit as the files.
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| {
                    Code::InvalidUpload.with(format!("Tệp tải lên không hợp lệ: {e}"))
                })?;
                total += chunk.len();
                if total > limits::MAX_REQUEST_BYTES {
                    return Err(ApiError::from(Code::PayloadTooLarge));
                }
            }
            continue;
        };
        if files.len() == limits::MAX_FILES_PER_REQUEST {
            return Err(too_many_files());
        }
        if name.chars().count() > MAX_NAME_CHARS || limits::has_control_char(&name) {
            return Err(Code::InvalidFileName.field_with(
                "file",
                format!(
                    "Tên tệp phải dài tối đa {MAX_NAME_CHARS} ký tự và không chứa ký tự điều khiển"
                ),
            ));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk
                .map_err(|e| Code::InvalidUpload.with(format!("Tệp tải lên không hợp lệ: {e}")))?;
            if bytes.len() + chunk.len() > limits::MAX_FILE_BYTES
                || total + chunk.len() > limits::MAX_REQUEST_BYTES
            {
                return Err(ApiError::from(Code::PayloadTooLarge));
            }
            total += chunk.len();
            bytes.extend_from_slice(&chunk);
        }
        files.push((name, bytes));
    }
    if files.is_empty() {
        return Err(Code::NoFile.field("file"));
    }
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

/// Longest file name accepted (it names the bank and appears in every message).
const MAX_NAME_CHARS: usize = 200;

fn too_many_files() -> ApiError {
    Code::TooManyFiles.field_with(
        "file",
        format!(
            "Mỗi lần chỉ nhập tối đa {} tệp; hãy chia thành nhiều lần",
            limits::MAX_FILES_PER_REQUEST
        ),
    )
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
