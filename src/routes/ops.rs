//! Operations endpoints, outside `/api/v1`.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::{OpenApi, ToSchema};

use crate::{
    config::MetricsAccess,
    error::{ApiError, Code},
    metrics::Metrics,
    openapi::ApiDoc,
    state::AppState,
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
    /// `ok`, or `unavailable` when the database does not answer (the only 503). A Redis that
    /// does not answer leaves the service `ok`: boards are degraded, everything else works.
    pub status: &'static str,
    /// `ok` or `unavailable`.
    pub database: &'static str,
    /// `ok`, `unavailable`, or `memory` when no Redis is configured.
    pub redis: &'static str,
    /// Each dependency with its state and how long its probe took.
    pub checks: Checks,
}

#[derive(Serialize, ToSchema)]
pub struct Checks {
    pub database: Check,
    pub redis: Check,
}

#[derive(Serialize, ToSchema)]
pub struct Check {
    /// `up`, `down`, or `not_configured`.
    pub status: &'static str,
    /// The probe's round trip in milliseconds (absent when not probed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Why it is down (`timeout`, `error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'static str>,
}

/// Each probe gets this long, so that readiness answers within a second.
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

/// Runs one probe under [`PROBE_TIMEOUT`].
async fn probe<E: std::fmt::Display>(
    name: &'static str,
    fut: impl std::future::Future<Output = Result<(), E>>,
) -> Check {
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(PROBE_TIMEOUT, fut).await;
    let latency_ms = Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    match outcome {
        Ok(Ok(())) => Check {
            status: "up",
            latency_ms,
            error: None,
        },
        Ok(Err(e)) => {
            tracing::warn!(dependency = name, error = %e, "readiness: dependency does not answer");
            Check {
                status: "down",
                latency_ms,
                error: Some("error"),
            }
        }
        Err(_) => {
            tracing::warn!(dependency = name, "readiness: dependency timed out");
            Check {
                status: "down",
                latency_ms,
                error: Some("timeout"),
            }
        }
    }
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Whether the service can serve: 503 only when the database does not answer. Each
/// dependency is reported (with its probe's latency); a Redis that is down is reported but
/// does not make the service unready, because boards degrade on their own (503
/// `leaderboard_unavailable`) while everything else works. Answers within a second.
#[utoipa::path(tag = "operations", responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = probe("database", state.db.ping());
    let redis = async {
        match &state.redis {
            None => Check {
                status: "not_configured",
                latency_ms: None,
                error: None,
            },
            Some(conn) => {
                let mut conn = conn.clone();
                probe("redis", async move {
                    redis::cmd("PING")
                        .query_async::<String>(&mut conn)
                        .await
                        .map(|_| ())
                })
                .await
            }
        }
    };
    let (database, redis) = tokio::join!(db, redis);
    let ready = database.status == "up";
    let body = Readiness {
        status: if ready { "ok" } else { "unavailable" },
        database: if ready { "ok" } else { "unavailable" },
        redis: match redis.status {
            "up" => "ok",
            "not_configured" => "memory",
            _ => "unavailable",
        },
        checks: Checks { database, redis },
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
    let hidden = || Code::NotFound.with("Không tìm thấy");
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
            let given = crate::auth::bearer(req).unwrap_or_default();
            // Comparing digests: the time taken says nothing about the secret.
            if Sha256::digest(given.as_bytes()) == Sha256::digest(secret.expose().as_bytes()) {
                Ok(())
            } else {
                Err(Code::Unauthenticated.with("Cần mã truy cập để đọc số liệu vận hành"))
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
    let mut body = metrics.render();
    crate::store::group::render_metrics(
        &mut body,
        &[
            ("start", state.starts.counts()),
            ("save", state.saves.counts()),
            ("finish", state.finishes.counts()),
        ],
    );
    state.questions.attempts.render_metrics(&mut body);
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// This document.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "application/json")))]
#[get("/api-docs/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
