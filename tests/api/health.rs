use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
}

#[tokio::test]
async fn readyz_checks_database_and_redis() {
    let app = spawn_app().await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    let expected = if std::env::var("TEST_REDIS_URL").is_ok() {
        "ok"
    } else {
        "memory"
    };
    assert_eq!(body["redis"], expected);
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.state.db.clone().close().await.unwrap();
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["database"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "down");
    assert!(body["checks"]["database"]["latency_ms"].is_u64());
}

#[tokio::test]
async fn readyz_stays_ready_while_redis_is_down_and_reports_it() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = crate::helpers::spawn_app_with(|s| {
        s.redis_url = Some(format!("redis://127.0.0.1:{port}"));
    })
    .await;
    let res = app.get("/readyz", None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "Redis down is degraded, not down"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["redis"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "up");
    assert!(body["checks"]["database"]["latency_ms"].is_u64());
    assert_eq!(body["checks"]["redis"]["status"], "down");
    // Everything but the boards works: people can still register and read the units.
    assert_eq!(
        app.get("/api/v1/units", None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn readyz_reports_each_dependency() {
    let app = spawn_app().await;
    let body: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(body["checks"]["database"]["status"], "up");
    let redis = if std::env::var("TEST_REDIS_URL").is_ok() {
        "up"
    } else {
        "not_configured"
    };
    assert_eq!(body["checks"]["redis"]["status"], redis);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = spawn_app().await;
    app.get("/api/v1/units", None).await;
    app.get("/api/v1/units/999999", None).await;
    let text = app.get("/metrics", None).await.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/api/v1/units",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/units/{id}",status="404"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"));
    assert!(
        text.contains(
            r#"http_request_duration_seconds_count{method="GET",route="/api/v1/units"} 1"#
        )
    );
    // The group writers' counts, a series per kind on every backend (0 on SQLite).
    for kind in ["start", "save", "finish"] {
        assert!(
            text.contains(&format!("attempt_write_groups_total{{kind=\"{kind}\"}} 0")),
            "{text}"
        );
    }
    for from in ["memory", "row"] {
        assert!(
            text.contains(&format!(
                "attempt_submits_total{{graded_from=\"{from}\"}} 0"
            )),
            "{text}"
        );
    }
}

#[tokio::test]
async fn openapi_document_lists_every_endpoint() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/me/export",
        "/api/v1/units",
        "/api/v1/units/{id}",
        "/api/v1/units/{id}/merge",
        "/api/v1/units/{id}/organizers",
        "/api/v1/units/{id}/organizers/{user_id}",
        "/api/v1/question-banks/import",
        "/api/v1/question-banks",
        "/api/v1/question-banks/{id}",
        "/api/v1/courses",
        "/api/v1/courses/{id}",
        "/api/v1/courses/{id}/progress",
        "/api/v1/lessons/{id}",
        "/api/v1/lessons/{id}/complete",
        "/api/v1/quizzes/{id}/attempts",
        "/api/v1/attempts/{id}",
        "/api/v1/attempts/{id}/answers",
        "/api/v1/attempts/{id}/submit",
        "/api/v1/contests",
        "/api/v1/contests/{id}",
        "/api/v1/contests/{id}/rounds",
        "/api/v1/rounds/{id}",
        "/api/v1/rounds/{id}/attempts",
        "/api/v1/rounds/{id}/leaderboard",
        "/api/v1/rounds/{id}/leaderboard/me",
        "/api/v1/rounds/{id}/results",
        "/api/v1/contests/{id}/unit-leaderboard",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn docs_page_is_served_without_internet() {
    let app = spawn_app().await;
    let res = app.get("/docs", None).await;
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    let res = app.get("/docs/", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"));
    assert!(!html.contains("cdn"), "the page must not load from a CDN");
    let bundle = app.get("/docs/swagger-ui-bundle.js", None).await;
    assert_eq!(bundle.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_routes_get_the_json_error_body() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/nowhere", None).await;
    assert_eq!(error_code(res, StatusCode::NOT_FOUND).await, "not_found");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app.get("/healthz", None).await;
    let id = res
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36);
}
