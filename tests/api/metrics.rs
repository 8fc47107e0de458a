//! Who may read `/metrics` (`SOIDUONG_METRICS`).

use reqwest::StatusCode;
use soiduong::config::MetricsAccess;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_are_readable_from_loopback_but_not_through_a_proxy_by_default() {
    let app = spawn_app().await;
    assert_eq!(app.get("/metrics", None).await.status(), StatusCode::OK);
    let res = app
        .client
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let app = spawn_app_with(|s| s.metrics = MetricsAccess::Off).await;
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_behind_a_token_need_the_token() {
    let secret = "un-secret-de-metrics-2026";
    let app = spawn_app_with(|s| {
        s.metrics = MetricsAccess::parse(&format!("token:{secret}")).unwrap();
    })
    .await;
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/metrics", Some("not-the-secret-at-all"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.get("/metrics", Some(secret)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("http_requests_total"));
}

#[test]
fn metrics_setting_is_parsed_strictly() {
    assert!(matches!(
        MetricsAccess::parse("off"),
        Ok(MetricsAccess::Off)
    ));
    assert!(MetricsAccess::parse("token:short").is_err());
    assert!(MetricsAccess::parse("public").is_err());
}
