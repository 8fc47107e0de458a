use actix_web::{HttpRequest, get, post, put, web};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    error::{ApiError, ApiResult, ErrorBody},
    services::attempts::{self, AttemptView, SaveRequest, SaveResult, SubmitRequest},
    startup::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_attempt).service(save).service(submit);
}

/// The owner's attempt: paper, saved answers, time left; after the end, the result and the
/// review the quiz allows. Organizers of the unit see the result only.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "attempts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = AttemptView), (status = 404, body = ErrorBody))
)]
#[get("/attempts/{id}")]
async fn get_attempt(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<AttemptView>> {
    Ok(web::Json(
        attempts::get(&state, user, id.into_inner()).await?,
    ))
}

/// Autosave answers (last write per question wins). After the deadline and its grace period:
/// 409 `attempt_closed`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "attempts",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Attempt id")),
    request_body = SaveRequest,
    responses((status = 200, body = SaveResult), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[put("/attempts/{id}/answers")]
async fn save(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: web::Json<SaveRequest>,
) -> ApiResult<web::Json<SaveResult>> {
    Ok(web::Json(
        attempts::save(&state, user, id.into_inner(), body.into_inner()).await?,
    ))
}

/// Submit for grading. Send an `Idempotency-Key` header: a retry with the same key returns the
/// first result; a second submit without it is 409 `already_submitted`.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "attempts",
    security(("bearer" = [])),
    params(
        ("id" = Uuid, Path, description = "Attempt id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
    ),
    request_body(content = Option<SubmitRequest>, description = "Optional: the prediction, in contest rounds that ask one"),
    responses((status = 200, body = AttemptView), (status = 409, body = ErrorBody))
)]
#[post("/attempts/{id}/submit")]
async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: Option<web::Json<SubmitRequest>>,
) -> ApiResult<web::Json<AttemptView>> {
    let key = match req.headers().get("Idempotency-Key") {
        Some(v) => {
            let k = v
                .to_str()
                .map_err(|_| {
                    ApiError::bad_request("invalid_idempotency_key", "Idempotency-Key không hợp lệ")
                })?
                .trim();
            if k.is_empty() || k.len() > 200 {
                return Err(ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key phải có từ 1 đến 200 ký tự",
                ));
            }
            Some(k.to_owned())
        }
        None => None,
    };
    let prediction = body.and_then(|b| b.into_inner().prediction);
    Ok(web::Json(
        attempts::submit(&state, user, id.into_inner(), key, prediction).await?,
    ))
}
