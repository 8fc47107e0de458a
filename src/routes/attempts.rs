use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use uuid::Uuid;

use crate::{
    auth::AuthUser,
    error::{ApiError, ApiResult, Code, ErrorBody, ErrorDetail},
    services::attempts::{self, AttemptView, SaveRequest, SaveResult, SubmitRequest},
    state::AppState,
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
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 200 visible ASCII characters, e.g. a UUID", min_length = 1, max_length = 200, pattern = "^[!-~]{1,200}$"),
    ),
    request_body(content = Option<SubmitRequest>, description = "Optional: the prediction, in contest rounds that ask one. An empty body is no prediction; a body that is not this JSON object is refused (400 with `field`), one that is not JSON 415."),
    responses(
        (status = 200, body = AttemptView),
        (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody),
        (status = 415, body = ErrorBody)
    )
)]
#[post("/attempts/{id}/submit")]
async fn submit(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let key = req
        .headers()
        .get("Idempotency-Key")
        .map(|v| {
            v.to_str()
                .map_err(|_| ApiError::from(Code::InvalidIdempotencyKey))
                .and_then(attempts::idempotency_key)
        })
        .transpose()?;
    let prediction = match submit_body(&req, &body) {
        Ok(b) => b.prediction,
        Err(BodyError::NotJson) => return Err(ApiError::from(Code::UnsupportedMediaType)),
        Err(BodyError::Invalid { field, message }) => {
            return Ok(HttpResponse::BadRequest().json(ErrorBody {
                error: ErrorDetail {
                    code: "invalid_body".to_owned(),
                    message: message.to_owned(),
                    field: Some(field),
                    details: None,
                },
            }));
        }
    };
    Ok(HttpResponse::Ok()
        .json(attempts::submit(&state, user, id.into_inner(), key, prediction).await?))
}

enum BodyError {
    /// A body whose content type is not JSON.
    NotJson,
    /// JSON that is not a submit request; `field` names the culprit (`body` for the whole).
    Invalid {
        field: String,
        message: &'static str,
    },
}

/// The submit body, which is optional: an empty one is no prediction. Anything else must be a
/// JSON object with at most `prediction`, an integer; a body that cannot be read is refused
/// rather than ignored, so a participant never loses a prediction silently.
fn submit_body(req: &HttpRequest, body: &[u8]) -> Result<SubmitRequest, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(SubmitRequest::default());
    }
    let json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || m.ends_with("+json"));
    if !json {
        return Err(BodyError::NotJson);
    }
    let invalid = |field: &str, message| BodyError::Invalid {
        field: field.to_owned(),
        message,
    };
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| invalid("body", "Dữ liệu gửi lên không phải JSON hợp lệ"))?;
    // `null` is the document's "no body" (the body is optional): no prediction.
    if value.is_null() {
        return Ok(SubmitRequest::default());
    }
    let serde_json::Value::Object(map) = value else {
        return Err(invalid(
            "body",
            "Dữ liệu gửi lên phải là một đối tượng JSON, ví dụ {\"prediction\": 12}",
        ));
    };
    let mut out = SubmitRequest::default();
    for (name, v) in map {
        match name.as_str() {
            "prediction" => {
                out.prediction = match v {
                    serde_json::Value::Null => None,
                    serde_json::Value::Number(n) if n.as_i64().is_some() => n.as_i64(),
                    // `12.0` is the integer 12 to JSON Schema (and to some clients).
                    serde_json::Value::Number(n)
                        if n.as_f64()
                            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
                    {
                        n.as_f64().map(|f| f as i64)
                    }
                    _ => {
                        return Err(invalid(
                            "prediction",
                            "Dự đoán phải là một số nguyên, ví dụ {\"prediction\": 12}",
                        ));
                    }
                }
            }
            other => return Err(invalid(other, "Trường này không có trong yêu cầu nộp bài")),
        }
    }
    Ok(out)
}
