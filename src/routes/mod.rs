//! HTTP only: extract, authorise, call a service, shape the response.

pub mod attempts;
pub mod auth;
pub mod banks;
pub mod contests;
pub mod courses;
pub mod me;
pub mod ops;
pub mod units;

use actix_web::{HttpRequest, error::JsonPayloadError, web};

use crate::error::ApiError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::configure)
            .configure(banks::configure)
            .configure(courses::configure)
            .configure(attempts::configure)
            .configure(contests::configure)
            .configure(me::configure)
            .configure(units::configure),
    )
    .configure(ops::configure);
}

/// JSON bodies: a size limit (413 beyond it) and errors in the common error body.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(json_error)
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::bad_request(
            "invalid_body",
            format!("Dữ liệu gửi lên không đúng cấu trúc: {e}"),
        ),
        _ => ApiError::bad_request("malformed_json", "Dữ liệu gửi lên không phải JSON hợp lệ"),
    };
    api.into()
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| {
        ApiError::not_found("not_found", "Không tìm thấy địa chỉ được yêu cầu").into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        ApiError::bad_request(
            "invalid_query",
            format!("Tham số truy vấn không hợp lệ: {err}"),
        )
        .into()
    })
}

/// Anything no route matched.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found(
        "not_found",
        "Không tìm thấy địa chỉ được yêu cầu",
    ))
}
