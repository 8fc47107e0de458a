//! Operations endpoints, outside `/api/v1`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{OpenApi, ToSchema};

use crate::{
    config::MetricsAccess, error::ApiError, metrics::Metrics, openapi::ApiDoc, startup::AppState,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(metrics)
        .service(openapi_json)
        .service(
            utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                .url("/api-docs/openapi.json", ApiDoc::openapi()),
        );
    cfg.route(
        "/docs",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header(("Location", "/docs/"))
                .finish()
        }),
    );
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub database: &'static str,
    /// `ok`, `unavailable`, or `memory` when no Redis is configured.
    pub redis: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The database and Redis answer.
#[utoipa::path(tag = "operations", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.db.ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database does not answer");
            "unavailable"
        }
    };
    let redis = match &state.redis {
        None => "memory",
        Some(conn) => {
            let mut conn = conn.clone();
            match redis::cmd("PING").query_async::<String>(&mut conn).await {
                Ok(_) => "ok",
                Err(e) => {
                    tracing::warn!(error = %e, "readiness: redis does not answer");
                    "unavailable"
                }
            }
        }
    };
    let ready = database == "ok" && redis != "unavailable";
    let body = Readiness {
        status: if ready { "ok" } else { "unavailable" },
        database,
        redis,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Whether this request may read the metrics (`SOIDUONG_METRICS`). Loopback means the socket
/// peer is loopback and no proxy header is present: a reverse proxy on the same host would
/// otherwise make every outside request look local.
fn may_read_metrics(req: &HttpRequest, access: &MetricsAccess) -> Result<(), ApiError> {
    let hidden = || ApiError::not_found("not_found", "Không tìm thấy");
    match access {
        MetricsAccess::Off => Err(hidden()),
        MetricsAccess::Loopback => {
            let local = req.peer_addr().is_some_and(|a| a.ip().is_loopback());
            let proxied = ["x-forwarded-for", "forwarded", "x-real-ip"]
                .iter()
                .any(|h| req.headers().contains_key(*h));
            if local && !proxied {
                Ok(())
            } else {
                Err(hidden())
            }
        }
        MetricsAccess::Token(secret) => {
            let given = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            // Comparing digests: the time taken says nothing about the secret.
            if Sha256::digest(given.trim().as_bytes()) == Sha256::digest(secret.expose().as_bytes())
            {
                Ok(())
            } else {
                Err(ApiError::unauthorized(
                    "unauthenticated",
                    "Cần mã truy cập để đọc số liệu vận hành",
                ))
            }
        }
    }
}

/// Prometheus metrics (text format). Readable from loopback only by default; see
/// `SOIDUONG_METRICS` (`off`, `loopback`, `token:<secret>` for a bearer token).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, content_type = "text/plain"),
        (status = 401, description = "`SOIDUONG_METRICS=token:…` and no or a wrong bearer token", body = crate::error::ErrorBody),
        (status = 404, description = "Metrics are off, or not readable from this address", body = crate::error::ErrorBody),
    )
)]
#[get("/metrics")]
async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    may_read_metrics(&req, &state.settings.metrics)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render()))
}

/// This document.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "application/json")))]
#[get("/api-docs/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
