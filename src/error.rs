//! The one error type of the HTTP API.
//!
//! Every error leaves as `{"error":{"code":"…","message":"…"}}`: `code` is a stable English
//! identifier clients switch on, `message` is Vietnamese for people. A 5xx never echoes its
//! cause; the cause is logged with the request id instead.

use std::borrow::Cow;

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;

pub type Msg = Cow<'static, str>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, wrong types, bad query string).
    #[error("{message}")]
    BadRequest { code: &'static str, message: Msg },
    /// 401: no valid credentials.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: Msg },
    /// 403: authenticated, but this user may not do this to this object.
    #[error("{message}")]
    Forbidden { code: &'static str, message: Msg },
    /// 404: no such object (or the caller may not know it exists).
    #[error("{message}")]
    NotFound { code: &'static str, message: Msg },
    /// 409: the request conflicts with the current state (duplicate, already done, closed).
    #[error("{message}")]
    Conflict { code: &'static str, message: Msg },
    /// 405: the path exists, but not for this method (the response lists the others in `Allow`).
    #[error("method {method} not allowed")]
    MethodNotAllowed { method: String },
    /// 413: the body is larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// 422: the request is well-formed but breaks a rule; `field` names the culprit.
    #[error("{message}")]
    Validation {
        code: &'static str,
        message: Msg,
        field: Option<&'static str>,
    },
    /// 422: a file or definition is refused whole; `details` lists every problem.
    #[error("{message}")]
    Rejected {
        code: &'static str,
        message: Msg,
        details: serde_json::Value,
    },
    /// 429: throttled; retry after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 429: every slot of a bounded pool (password hashing, imports) is taken and its queue is
    /// full; retry after the given number of seconds. Nothing of the request was done.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    /// 503: a named part of the service is down; the rest works (e.g. boards while Redis is).
    #[error("{message}")]
    Degraded { code: &'static str, message: Msg },
    /// 503: a dependency (database, Redis) does not answer.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// 500: anything unexpected; the cause is logged, never sent.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<Msg>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }
    pub fn unauthorized(code: &'static str, message: impl Into<Msg>) -> Self {
        Self::Unauthorized {
            code,
            message: message.into(),
        }
    }
    pub fn forbidden() -> Self {
        Self::Forbidden {
            code: "forbidden",
            message: "Bạn không có quyền thực hiện thao tác này".into(),
        }
    }
    pub fn not_found(code: &'static str, message: impl Into<Msg>) -> Self {
        Self::NotFound {
            code,
            message: message.into(),
        }
    }
    pub fn conflict(code: &'static str, message: impl Into<Msg>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(code: &'static str, field: &'static str, message: impl Into<Msg>) -> Self {
        Self::Validation {
            code,
            message: message.into(),
            field: Some(field),
        }
    }
    pub fn rejected(
        code: &'static str,
        message: impl Into<Msg>,
        details: serde_json::Value,
    ) -> Self {
        Self::Rejected {
            code,
            message: message.into(),
            details,
        }
    }
    pub fn rule(code: &'static str, message: impl Into<Msg>) -> Self {
        Self::Validation {
            code,
            message: message.into(),
            field: None,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::NotFound { code, .. }
            | Self::Conflict { code, .. }
            | Self::Validation { code, .. }
            | Self::Rejected { code, .. }
            | Self::Degraded { code, .. } => code,
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Busy { .. } => "server_busy",
            Self::Unavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    fn message(&self) -> Msg {
        match self {
            Self::BadRequest { message, .. }
            | Self::Unauthorized { message, .. }
            | Self::Forbidden { message, .. }
            | Self::NotFound { message, .. }
            | Self::Conflict { message, .. }
            | Self::Validation { message, .. }
            | Self::Rejected { message, .. }
            | Self::Degraded { message, .. } => message.clone(),
            Self::MethodNotAllowed { method } => {
                format!("Địa chỉ này không hỗ trợ phương thức {method}").into()
            }
            Self::PayloadTooLarge => "Dữ liệu gửi lên vượt quá dung lượng cho phép".into(),
            Self::UnsupportedMediaType => {
                "Dữ liệu phải ở dạng JSON (Content-Type: application/json)".into()
            }
            Self::TooManyRequests { retry_after_secs } => {
                format!("Bạn đã thử quá nhiều lần, vui lòng thử lại sau {retry_after_secs} giây")
                    .into()
            }
            Self::Busy { retry_after_secs } => format!(
                "Máy chủ đang bận, yêu cầu chưa được thực hiện; vui lòng thử lại sau {retry_after_secs} giây"
            )
            .into(),
            Self::Unavailable(_) => {
                "Hệ thống tạm thời không phục vụ được, vui lòng thử lại sau".into()
            }
            Self::Internal(_) => "Đã có lỗi xảy ra ở máy chủ, vui lòng thử lại sau".into(),
        }
    }
}

/// The error body every endpoint returns.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable English identifier, e.g. `attempt_closed`.
    pub code: String,
    /// Vietnamese message for people.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every problem, for refused files and definitions: a list of `{file, line, column,
    /// message}` or of summaries, depending on the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<serde_json::Value>)]
    pub details: Option<serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation { .. } | Self::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } | Self::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Degraded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "dependency unavailable"),
            _ => {}
        }
        let field = match self {
            Self::Validation { field, .. } => field.map(str::to_owned),
            _ => None,
        };
        let mut builder = HttpResponse::build(self.status_code());
        if let Self::TooManyRequests { retry_after_secs } | Self::Busy { retry_after_secs } = self {
            builder.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.message().into_owned(),
                field,
                details: match self {
                    Self::Rejected { details, .. } => Some(details.clone()),
                    _ => None,
                },
            },
        })
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        match err {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                Self::Unavailable(err.into())
            }
            // Text PostgreSQL cannot store (a NUL byte): the request guard refuses NUL in JSON and
            // query strings, this catches any other way in (a file, a header) as the client's
            // fault rather than a 500.
            ref e if sqlstate(e).as_deref() == Some(UNTRANSLATABLE_CHARACTER) => Self::rule(
                "nul_character",
                "Dữ liệu chứa ký tự không lưu được (NUL), vui lòng bỏ ký tự đó và gửi lại",
            ),
            other => Self::Internal(other.into()),
        }
    }
}

/// PostgreSQL's `character_not_in_repertoire`: a NUL byte in text.
const UNTRANSLATABLE_CHARACTER: &str = "22021";

/// The SQLSTATE of a database error, when the driver gave one.
pub fn sqlstate(err: &sea_orm::DbErr) -> Option<String> {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .and_then(|d| d.code())
            .map(|c| c.into_owned()),
        _ => None,
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_pool_is_429_with_retry_after_and_its_own_code() {
        let res = ApiError::Busy {
            retry_after_secs: 10,
        }
        .error_response();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            res.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("10")
        );
        assert_eq!(
            ApiError::Busy {
                retry_after_secs: 10
            }
            .code(),
            "server_busy"
        );
    }
}
