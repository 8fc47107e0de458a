use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{error_code, spawn_app, spawn_app_with};

fn new_member(unit_id: i64, phone: &str) -> Value {
    json!({
        "full_name": "Nguyễn Văn An",
        "phone": phone,
        "password": "matkhau-an-toan",
        "birth_date": "2004-09-02",
        "unit_id": unit_id,
        "categories": ["new_member", "youth"],
        "admitted_on": "2026-03-26",
    })
}

#[tokio::test]
async fn register_creates_the_account_and_never_returns_the_hash() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let res = app.register(&new_member(unit, "0912 345 678")).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );
    let me: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(me["phone"], "+84912345678");
    assert_eq!(me["full_name"], "Nguyễn Văn An");
    assert_eq!(me["unit"]["id"], unit);
    assert_eq!(me["categories"], json!(["new_member", "youth"]));
    assert_eq!(me["admitted_on"], "2026-03-26");
    assert_eq!(me["roles"]["admin"], false);
}

#[tokio::test]
async fn names_are_stored_composed() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut body = new_member(unit, "0987654321");
    // "Nguyễn Thị Ánh" typed with combining marks.
    body["full_name"] = json!("Nguye\u{302}\u{303}n   Thi\u{323} A\u{301}nh");
    let me: Value = app.register(&body).await.json().await.unwrap();
    assert_eq!(me["full_name"], "Nguyễn Thị Ánh");
}

#[tokio::test]
async fn the_same_phone_in_another_form_is_a_duplicate() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    assert_eq!(
        app.register(&new_member(unit, "0912.345.678"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let res = app.register(&new_member(unit, "+84 912 345 678")).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "duplicate_login"
    );
}

#[tokio::test]
async fn under_sixteen_needs_guardian_consent() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn trường THPT Thủ Khoa Nghĩa").await;
    let child = |consent: bool| {
        json!({
            "full_name": "Lê Minh Khang",
            "email": format!("khang{consent}@example.vn"),
            "password": "matkhau-cua-em",
            "birth_date": "2012-06-01",
            "unit_id": unit,
            "categories": ["child"],
            "guardian_consent": consent,
        })
    };
    let res = app.register(&child(false)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "guardian_consent_required");
    assert_eq!(body["error"]["field"], "guardian_consent");
    assert_eq!(
        app.register(&child(true)).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn bad_registrations_get_422_with_their_code() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let cases: Vec<(&str, Value)> = vec![
        ("weak_password", json!({ "password": "1234567" })),
        ("invalid_phone", json!({ "phone": "12345" })),
        ("invalid_full_name", json!({ "full_name": "X" })),
        ("admitted_on_required", json!({ "admitted_on": null })),
        ("unit_not_found", json!({ "unit_id": 999999 })),
        ("invalid_birth_date", json!({ "birth_date": "2099-01-01" })),
        ("login_required", json!({ "phone": null })),
        ("categories_required", json!({ "categories": [] })),
    ];
    for (code, patch) in cases {
        let mut body = new_member(unit, "0933111222");
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = app.register(&body).await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            code
        );
    }
    // Nothing was half-written: the phone is still free.
    assert_eq!(
        app.register(&new_member(unit, "0933111222")).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let app = spawn_app_with(|s| s.json_limit = 4096).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{\"full_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "malformed_json"
    );

    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "login": "x", "password": 5 }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "invalid_body"
    );

    let res = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "login": "x", "password": "y", "extra": 1 }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::BAD_REQUEST).await,
        "invalid_body"
    );

    let big = json!({ "full_name": "a".repeat(10_000) });
    let res = app.register(&big).await;
    assert_eq!(
        error_code(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "payload_too_large"
    );

    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .body("login=x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await,
        "unsupported_media_type"
    );
}

#[tokio::test]
async fn login_accepts_any_form_of_the_phone_number() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    app.register(&new_member(unit, "0912345678")).await;
    for form in [
        "0912345678",
        "+84912345678",
        "84 912 345 678",
        "0912.345.678",
    ] {
        let res = app.login(form, "matkhau-an-toan").await;
        assert_eq!(res.status(), StatusCode::OK, "{form}");
        let tokens: Value = res.json().await.unwrap();
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 900);
        assert!(tokens["refresh_token"].as_str().unwrap().len() >= 40);
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_login_look_the_same() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let wrong = app.login(&member.login, "khong-dung-mat-khau").await;
    assert_eq!(
        error_code(wrong, StatusCode::UNAUTHORIZED).await,
        "invalid_credentials"
    );
    let unknown = app.login("nobody@example.vn", "khong-dung-mat-khau").await;
    assert_eq!(
        error_code(unknown, StatusCode::UNAUTHORIZED).await,
        "invalid_credentials"
    );
}

#[tokio::test]
async fn repeated_failed_logins_for_one_account_are_throttled() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    for _ in 0..5 {
        assert_eq!(
            app.login(&member.login, "sai-mat-khau-roi").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password waits now.
    let res = app.login(&member.login, &member.password).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(
        error_code(res, StatusCode::TOO_MANY_REQUESTS).await,
        "too_many_requests"
    );
    // Another account from the same address is not affected.
    let other = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    assert_eq!(
        app.login(&other.login, &other.password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn repeated_failed_logins_from_one_address_are_throttled() {
    let app = spawn_app_with(|s| s.login_failures_per_address = 3).await;
    for i in 0..3 {
        let res = app
            .login(&format!("nobody{i}@example.vn"), "sai-mat-khau-roi")
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .login("someone-else@example.vn", "sai-mat-khau-roi")
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn refresh_tokens_rotate_and_work_once() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let next = pair["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, member.refresh);
    let me = app.get("/api/v1/me", pair["access_token"].as_str()).await;
    assert_eq!(me.status(), StatusCode::OK);

    // Replaying the spent token fails and ends the session: the new token dies too.
    let replay = app.refresh(&member.refresh).await;
    assert_eq!(
        error_code(replay, StatusCode::UNAUTHORIZED).await,
        "invalid_refresh_token"
    );
    let after = app.refresh(&next).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app.logout(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Logging out twice is fine.
    let res = app.logout(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn access_tokens_expire_after_fifteen_minutes() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.clock.advance(chrono::Duration::minutes(14));
    assert_eq!(
        app.get("/api/v1/me", Some(&member.token)).await.status(),
        StatusCode::OK
    );
    app.clock.advance(chrono::Duration::minutes(2));
    let res = app.get("/api/v1/me", Some(&member.token)).await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "token_expired"
    );
    // The refresh token still works.
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn refresh_tokens_expire_after_thirty_days() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.clock.advance(chrono::Duration::days(31));
    let res = app.refresh(&member.refresh).await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "refresh_token_expired"
    );
}

#[tokio::test]
async fn forged_or_missing_tokens_are_refused() {
    let app = spawn_app().await;
    assert_eq!(
        error_code(app.get("/api/v1/me", None).await, StatusCode::UNAUTHORIZED).await,
        "unauthenticated"
    );
    let res = app
        .get("/api/v1/me", Some("eyJhbGciOiJIUzI1NiJ9.e30.abc"))
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "invalid_token"
    );
}

async fn statuses(futures: Vec<impl std::future::Future<Output = reqwest::Response>>) -> Vec<u16> {
    futures_util::future::join_all(futures)
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect()
}

#[tokio::test]
async fn concurrent_wrong_passwords_for_one_account_get_at_most_five_tries() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let tries = (0..30)
        .map(|_| app.login(&member.login, "sai-mat-khau-roi"))
        .collect();
    let got = statuses(tries).await;
    let wrong = got.iter().filter(|s| **s == 401).count();
    let throttled = got.iter().filter(|s| **s == 429).count();
    assert!((1..=5).contains(&wrong), "{got:?}");
    assert_eq!(wrong + throttled, 30, "{got:?}");
}

#[tokio::test]
async fn concurrent_logins_from_one_address_run_at_most_fifty() {
    let app = spawn_app().await;
    let logins: Vec<String> = (0..64)
        .map(|i| format!("khong-co-{i}@example.vn"))
        .collect();
    let tries = logins
        .iter()
        .map(|login| app.login(login, "sai-mat-khau-roi"))
        .collect();
    let got = statuses(tries).await;
    let ran = got.iter().filter(|s| **s == 401).count();
    let throttled = got.iter().filter(|s| **s == 429).count();
    assert!((1..=50).contains(&ran), "{got:?}");
    assert_eq!(ran + throttled, 64, "{got:?}");
}

#[tokio::test]
async fn a_successful_login_does_not_erase_earlier_failures() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    for _ in 0..4 {
        let res = app.login(&member.login, "sai-mat-khau-roi").await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app.login(&member.login, &member.password).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.login(&member.login, "sai-mat-khau-roi").await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Five failures in the window, whatever succeeded in between.
    let res = app.login(&member.login, &member.password).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn logout_ends_the_access_token_at_once() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    assert_eq!(
        app.get("/api/v1/me", Some(&member.token)).await.status(),
        StatusCode::OK
    );
    let res = app.logout(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get("/api/v1/me", Some(&member.token)).await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "token_revoked"
    );
    // A new login works.
    let tokens: Value = app
        .login(&member.login, &member.password)
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_email_in_nfd_and_in_nfc_is_one_account() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut body = new_member(unit, "");
    body["phone"] = Value::Null;
    body["email"] = json!("nga\u{323}\u{302}n@example.vn");
    assert_eq!(app.register(&body).await.status(), StatusCode::CREATED);
    body["email"] = json!("Ngận@Example.vn");
    let res = app.register(&body).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "duplicate_login"
    );
    assert_eq!(
        app.login("ngận@example.vn", "matkhau-an-toan")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_logout_is_refused_at_once_though_the_profile_was_cached() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    // Twice: the second request is served from the profile cache.
    for _ in 0..2 {
        let res = app.get("/api/v1/me/membership-requests", Some(&member.token));
        assert_eq!(res.await.status(), StatusCode::OK);
    }
    let res = app.logout(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get("/api/v1/me/membership-requests", Some(&member.token));
    assert_eq!(
        error_code(res.await, StatusCode::UNAUTHORIZED).await,
        "token_revoked"
    );
}

#[tokio::test]
async fn a_logout_that_fails_half_way_revokes_nothing() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.fail_writes_to("refresh_tokens", "UPDATE").await;
    let res = app.logout(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    // The generation bump went with the failed revocation: the access token still works.
    assert_eq!(
        app.get("/api/v1/me", Some(&member.token)).await.status(),
        StatusCode::OK
    );
    // This test's database holds this one session.
    let live = app.count_rows("refresh_tokens", Some("revoked_at IS NULL"));
    assert_eq!(live.await, 1);
}

#[tokio::test]
async fn a_refresh_that_fails_half_way_spends_nothing() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.fail_writes_to("refresh_tokens", "INSERT").await;
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let unspent = app.count_rows("refresh_tokens", Some("used_at IS NULL"));
    assert_eq!(unspent.await, 1);
}

#[tokio::test]
async fn a_registration_that_fails_half_way_leaves_no_account() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    // A cadre's registration writes the account, its categories, then a membership request.
    let (people, categories) = (
        app.count_rows("users", None).await,
        app.count_rows("user_categories", None).await,
    );
    app.fail_writes_to("membership_requests", "INSERT").await;
    let mut body = new_member(unit, "0912 345 678");
    body["categories"] = json!(["cadre", "member", "youth"]);
    body["admitted_on"] = Value::Null;
    let res = app.register(&body).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count_rows("users", None).await, people);
    assert_eq!(app.count_rows("user_categories", None).await, categories);
}
