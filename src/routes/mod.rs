//! HTTP only: extract, authorise, call a service, shape the response.

pub mod attempts;
pub mod auth;
pub mod banks;
pub mod certificates;
pub mod contests;
pub mod courses;
pub mod exports;
pub mod guard;
pub mod me;
pub mod ops;
pub mod rosters;
pub mod stats;
pub mod units;
pub mod upload;

use std::sync::OnceLock;

use actix_web::{
    HttpRequest, HttpResponse, ResponseError,
    error::JsonPayloadError,
    http::{Method, header::ALLOW},
    web,
};
use utoipa::OpenApi;

use crate::error::{ApiError, Code};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(auth::configure)
            .configure(banks::configure)
            .configure(certificates::configure)
            .configure(courses::configure)
            .configure(attempts::configure)
            .configure(contests::configure)
            .configure(me::configure)
            .configure(rosters::configure)
            .configure(stats::configure)
            .configure(units::configure),
    )
    .configure(certificates::configure_public)
    .configure(crate::web::configure)
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
            ApiError::from(Code::PayloadTooLarge)
        }
        JsonPayloadError::ContentType => ApiError::from(Code::UnsupportedMediaType),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            Code::InvalidBody.with(format!("Dữ liệu gửi lên không đúng cấu trúc: {e}"))
        }
        _ => ApiError::from(Code::MalformedJson),
    };
    api.into()
}

/// A path parameter that does not parse names no object: 404. When the path is really another
/// operation's (`GET /question-banks/import` reached `GET /question-banks/{id}`), 405.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, req| match method_not_allowed(req) {
        Some(res) => actix_web::error::InternalError::from_response("", res).into(),
        None => ApiError::from(Code::NotFound).into(),
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        Code::InvalidQuery
            .with(format!("Tham số truy vấn không hợp lệ: {err}"))
            .into()
    })
}

/// Anything no route matched: 405 with `Allow` when the path is known under other methods,
/// 404 otherwise.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    method_not_allowed(&req).unwrap_or_else(|| ApiError::from(Code::NotFound).error_response())
}

/// 405 with `Allow` when the document lists the path but not the request's method.
fn method_not_allowed(req: &HttpRequest) -> Option<HttpResponse> {
    match allowed_methods(req.path()) {
        Some(methods) if !methods.contains(req.method()) => {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let err = ApiError::MethodNotAllowed {
                method: req.method().to_string(),
            };
            let mut res = err.error_response();
            if let Ok(value) = allow.parse() {
                res.headers_mut().insert(ALLOW, value);
            }
            Some(res)
        }
        _ => None,
    }
}

/// One segment of a documented path: literal text, or a `{param}` with text around it
/// (`{id}.pdf`).
enum Segment {
    Literal(String),
    Param { prefix: String, suffix: String },
}

impl Segment {
    fn parse(s: &str) -> Segment {
        match (s.find('{'), s.rfind('}')) {
            (Some(open), Some(close)) if open < close => Segment::Param {
                prefix: s[..open].to_owned(),
                suffix: s[close + 1..].to_owned(),
            },
            _ => Segment::Literal(s.to_owned()),
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Segment::Literal(l) => l == s,
            Segment::Param { prefix, suffix } => {
                s.len() > prefix.len() + suffix.len()
                    && s.starts_with(prefix.as_str())
                    && s.ends_with(suffix.as_str())
            }
        }
    }
}

/// The methods the OpenAPI document lists for a path, when it lists the path.
fn allowed_methods(path: &str) -> Option<&'static [Method]> {
    static ROUTES: OnceLock<Vec<(Vec<Segment>, Vec<Method>)>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        crate::openapi::ApiDoc::openapi()
            .paths
            .paths
            .into_iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(Segment::parse).collect();
                let methods = [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, m)| present.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect()
    });
    let parts: Vec<&str> = path.split('/').collect();
    // The most specific template wins, as in the router: `/question-banks/import` before
    // `/question-banks/{id}`.
    routes
        .iter()
        .filter(|(segments, _)| {
            segments.len() == parts.len() && segments.iter().zip(&parts).all(|(s, p)| s.matches(p))
        })
        .max_by_key(|(segments, _)| {
            segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        })
        .map(|(_, methods)| methods.as_slice())
}
