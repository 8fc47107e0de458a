//! The service does what its OpenAPI document says, for every operation: the checks that
//! schemathesis runs in CI, pinned here as plain tests.

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, spawn_app};

/// An admin sets the province's declared member count to `count`, written as JSON writes it.
async fn set_province_member_count(app: &TestApp, count: Value) -> Response {
    let admin = app.admin().await;
    let unit = app.unit_id("Tỉnh Đoàn An Giang").await;
    app.patch(
        &format!("/api/v1/units/{unit}"),
        Some(&admin.token),
        &json!({ "member_count": count }),
    )
    .await
}

#[tokio::test]
async fn nul_in_a_json_text_field_is_refused_with_422() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let parent = app.unit_id("Tỉnh Đoàn An Giang").await;
    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "Đoàn xã\u{0}Mỹ Hòa", "parent_id": parent, "kind": "commune" }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "nul_character"
    );
    let units: Vec<Value> = app.get("/api/v1/units", None).await.json().await.unwrap();
    assert!(
        units
            .iter()
            .all(|u| !u["name"].as_str().unwrap().contains('\0')),
        "nothing was written"
    );
}

#[tokio::test]
async fn nul_in_a_query_string_is_a_bad_request() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/units?include_merged=%00", None).await;
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "invalid_query"
    );
}

#[tokio::test]
async fn an_integral_number_written_as_a_float_is_read_as_the_integer() {
    let app = spawn_app().await;
    let res = set_province_member_count(&app, json!(727.0)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(res.json::<Value>().await.unwrap()["member_count"], 727);
}

#[tokio::test]
async fn a_fractional_number_for_an_integer_is_still_a_bad_request() {
    let app = spawn_app().await;
    let res = set_province_member_count(&app, json!(727.5)).await;
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "invalid_body"
    );
}

#[tokio::test]
async fn an_undeclared_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app().await;
    let res = app
        .client
        .request(Method::TRACE, app.url("/api/v1/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET, POST");
    assert_eq!(
        error_code(res, StatusCode::METHOD_NOT_ALLOWED).await,
        "method_not_allowed"
    );
    let res = app
        .send(Method::DELETE, "/api/v1/units/7", None, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET, PATCH");
    let admin = app.admin().await;
    let res = app
        .get("/api/v1/question-banks/import", Some(&admin.token))
        .await;
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "POST");
    let res = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(error_code(res, StatusCode::NOT_FOUND).await, "not_found");
}

#[tokio::test]
async fn every_secured_operation_documents_401_and_every_body_400_and_415() {
    let app = spawn_app().await;
    let doc = app.openapi().await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations");
}
