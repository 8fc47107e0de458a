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

mod codes;

pub use codes::Code;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A refusal from the catalogue: the status and the stable code come from `code`, the
    /// message is the code's own unless a more precise one is given; `field` names the request
    /// field at fault (422), `details` lists every problem of a refused file or definition.
    #[error("{}", message.as_deref().unwrap_or(code.message()))]
    Refused {
        code: Code,
        message: Option<Msg>,
        field: Option<&'static str>,
        details: Option<serde_json::Value>,
    },
    /// 405: the path exists, but not for this method (the response lists the others in `Allow`).
    #[error("method {method} not allowed")]
    MethodNotAllowed { method: String },
    /// 429: throttled; retry after the given number of seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 429: every slot of a bounded pool (password hashing, imports) is taken and its queue is
    /// full; retry after the given number of seconds. Nothing of the request was done.
    #[error("busy")]
    Busy { retry_after_secs: u64 },
    /// 503: a dependency (database, Redis) does not answer.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// 500: anything unexpected; the cause is logged, never sent.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<Code> for ApiError {
    fn from(code: Code) -> Self {
        Self::Refused {
            code,
            message: None,
            field: None,
            details: None,
        }
    }
}

impl Code {
    /// This refusal with a more precise message (one that names the object or the limit).
    pub fn with(self, message: impl Into<Msg>) -> ApiError {
        ApiError::Refused {
            code: self,
            message: Some(message.into()),
            field: None,
            details: None,
        }
    }

    /// This refusal, naming the request field at fault.
    pub fn field(self, field: &'static str) -> ApiError {
        ApiError::Refused {
            code: self,
            message: None,
            field: Some(field),
            details: None,
        }
    }

    /// This refusal with a precise message, naming the request field at fault.
    pub fn field_with(self, field: &'static str, message: impl Into<Msg>) -> ApiError {
        ApiError::Refused {
            code: self,
            message: Some(message.into()),
            field: Some(field),
            details: None,
        }
    }

    /// This refusal with every problem listed in `details`.
    pub fn details(self, message: impl Into<Msg>, details: serde_json::Value) -> ApiError {
        ApiError::Refused {
            code: self,
            message: Some(message.into()),
            field: None,
            details: Some(details),
        }
    }

    /// This refusal as an `Err`, for `?`-style early returns.
    pub fn err<T>(self) -> Result<T, ApiError> {
        Err(self.into())
    }
}

impl ApiError {
    pub fn forbidden() -> Self {
        Code::Forbidden.into()
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused { code, .. } => code.as_str(),
            Self::MethodNotAllowed { .. } => Code::MethodNotAllowed.as_str(),
            Self::TooManyRequests { .. } => Code::TooManyRequests.as_str(),
            Self::Busy { .. } => Code::ServerBusy.as_str(),
            Self::Unavailable(_) => Code::ServiceUnavailable.as_str(),
            Self::Internal(_) => Code::InternalError.as_str(),
        }
    }

    /// The Vietnamese message the error body carries (never internals).
    pub fn message(&self) -> Msg {
        match self {
            Self::Refused { code, message, .. } => {
                message.clone().unwrap_or(Cow::Borrowed(code.message()))
            }
            Self::MethodNotAllowed { method } => {
                format!("Địa chỉ này không hỗ trợ phương thức {method}").into()
            }
            Self::TooManyRequests { retry_after_secs } => {
                format!("Bạn đã thử quá nhiều lần, vui lòng thử lại sau {retry_after_secs} giây")
                    .into()
            }
            Self::Busy { retry_after_secs } => format!(
                "Máy chủ đang bận, yêu cầu chưa được thực hiện; vui lòng thử lại sau {retry_after_secs} giây"
            )
            .into(),
            Self::Unavailable(_) => Code::ServiceUnavailable.message().into(),
            Self::Internal(_) => Code::InternalError.message().into(),
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
    /// Stable English identifier, e.g. `attempt_closed`: one of the catalogue's codes.
    #[schema(schema_with = code_schema)]
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

/// `error.code` as a closed list, with each code's status and default message, so clients
/// see every value it takes (generated from [`Code::ALL`]).
fn code_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::{ObjectBuilder, Type};
    let mut seen = std::collections::BTreeSet::new();
    let mut values = Vec::new();
    let mut description = String::from("Mã lỗi ổn định (stable error code):\n");
    for code in Code::ALL {
        if seen.insert(code.as_str()) {
            values.push(code.as_str());
        }
        description.push_str(&format!(
            "\n- `{}` ({}): {}",
            code.as_str(),
            code.status(),
            code.message()
        ));
    }
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description(Some(description))
        .build()
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Refused { code, .. } => {
                StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::TooManyRequests { .. } | Self::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "internal error"),
            Self::Unavailable(cause) => tracing::warn!(error = %cause, "dependency unavailable"),
            _ => {}
        }
        let (field, details) = match self {
            Self::Refused { field, details, .. } => (field.map(str::to_owned), details.clone()),
            _ => (None, None),
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
                details,
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
            ref e if sqlstate(e).as_deref() == Some(UNTRANSLATABLE_CHARACTER) => {
                Code::NulCharacter.into()
            }
            ref e if let Some(code) = unique_conflict(e) => code.into(),
            other => Self::Internal(other.into()),
        }
    }
}

/// Unique constraints whose violation is the client's conflict (a phone already registered),
/// by the name PostgreSQL reports and the columns SQLite reports. Any other violation is a bug
/// and stays a 500.
const UNIQUE_CONFLICTS: &[(&str, &str, Code)] = &[
    ("users_phone_key", "users.phone", Code::DuplicateLogin),
    ("users_email_key", "users.email", Code::DuplicateLogin),
    ("contests_slug_key", "contests.slug", Code::DuplicateContest),
    (
        "uq_rounds_contest_number",
        "rounds.contest_id, rounds.number",
        Code::RoundConflict,
    ),
];

fn unique_conflict(err: &sea_orm::DbErr) -> Option<Code> {
    let Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) = err.sql_err() else {
        return None;
    };
    UNIQUE_CONFLICTS
        .iter()
        .find(|(pg, sqlite, _)| message.contains(&format!("\"{pg}\"")) || message.ends_with(sqlite))
        .map(|(_, _, code)| *code)
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
