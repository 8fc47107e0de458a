use entity::{user_categories, users};
use reqwest::{Response, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{Account, TestApp, error_code, spawn_app};

/// A member of Đoàn xã Vĩnh Tế (home) who asks to move to Đoàn phường Núi Sam (target) as a
/// cadre: (home, target, the member, the profile with the pending request).
async fn cadre_moving_to_nui_sam(app: &TestApp) -> (i64, i64, Account, Value) {
    let home = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let target = app.unit_id("Đoàn phường Núi Sam").await;
    let member = app.member(home).await;
    let me = request_change(
        app,
        &member.token,
        json!({ "unit_id": target, "categories": ["member", "cadre"] }),
    )
    .await;
    (home, target, member, me)
}

/// The membership requests into `unit` and the units below it, as `token` reads them.
async fn unit_requests(app: &TestApp, unit: i64, token: &str) -> Response {
    app.get(
        &format!("/api/v1/units/{unit}/membership-requests"),
        Some(token),
    )
    .await
}

/// `decider` rejects the membership request `request` for `reason`.
async fn reject(app: &TestApp, request: i64, decider: &str, reason: &str) -> Response {
    app.post(
        &format!("/api/v1/membership-requests/{request}/reject"),
        Some(decider),
        &json!({ "reason": reason }),
    )
    .await
}

/// `approver` approves the membership request `request`.
async fn approve(app: &TestApp, request: i64, approver: &str) -> Response {
    app.post(
        &format!("/api/v1/membership-requests/{request}/approve"),
        Some(approver),
        &json!({}),
    )
    .await
}

/// The holder of `token` asks for `change`, which waits for an organizer: 202 and the profile
/// with the pending request.
async fn request_change(app: &TestApp, token: &str, change: Value) -> Value {
    let res = app.patch("/api/v1/me", Some(token), &change).await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn me_shows_the_profile_with_unit_and_roles() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let member = app.member(unit).await;
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["id"], member.id.to_string());
    assert_eq!(me["email"], member.login);
    assert_eq!(me["unit"]["name"], "Đoàn xã Vĩnh Tế");
    assert_eq!(me["roles"]["organizer_of"], json!([]));
}

#[tokio::test]
async fn patch_me_changes_name_and_phone_and_declares_unit_changes() {
    let app = spawn_app().await;
    let home = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let member = app.member(home).await;
    let new_unit = app.unit_id("Đoàn phường Núi Sam").await;
    let me = request_change(
        &app,
        &member.token,
        json!({
            "full_name": "Trần Thi\u{323} Bích  Ngọc",
            "unit_id": new_unit,
            "categories": ["new_member"],
            "admitted_on": "2026-09-02",
            "phone": "0398 765 432",
        }),
    )
    .await;
    assert_eq!(me["full_name"], "Trần Thị Bích Ngọc");
    assert_eq!(me["phone"], "+84398765432");
    assert_eq!(me["unit"]["id"], home, "the move waits for an organizer");
    assert_eq!(
        me["categories"],
        json!([]),
        "self-declared categories apply, staff-assigned ones wait"
    );
    assert_eq!(me["pending_change"]["unit"]["id"], new_unit);
    assert_eq!(
        me["pending_change"]["add_categories"],
        json!(["new_member"])
    );
    assert_eq!(me["pending_change"]["status"], "pending");

    // A plain change is applied and answers 200.
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({ "categories": ["member", "youth"] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["categories"], json!(["member", "youth"]));
    assert_eq!(
        me["pending_change"]["unit"]["id"], new_unit,
        "still pending"
    );
}

#[tokio::test]
async fn a_unit_change_is_approved_only_by_an_organizer_of_the_receiving_unit() {
    let app = spawn_app().await;
    let (home, target, member, me) = cadre_moving_to_nui_sam(&app).await;
    let request = me["pending_change"]["id"].as_i64().unwrap();
    assert_eq!(me["categories"], json!(["member"]));

    // The organizer of the unit the person leaves cannot decide.
    let elsewhere = app.organizer(home, home).await;
    let res = unit_requests(&app, target, &elsewhere.token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = approve(&app, request, &elsewhere.token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let mine: Value = app.profile(&member.token).await;
    assert_eq!(mine["unit"]["id"], home);

    // The receiving unit's organizer sees and approves it.
    let organizer = app.organizer(target, target).await;
    let list: Value = unit_requests(&app, target, &organizer.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], request);
    assert_eq!(list[0]["full_name"], "Trần Thị Bích Ngọc");
    // Units above the receiving one list it too, with the units it moves between.
    let admin = app.admin().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let above: Value = unit_requests(&app, province, &admin.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(above.as_array().unwrap().len(), 1, "{above}");
    assert_eq!(above[0]["unit"]["id"], target);
    assert_eq!(above[0]["from_unit"]["id"], home);
    let res = approve(&app, request, &organizer.token).await;
    assert_eq!(res.status(), StatusCode::OK);
    let mine: Value = app.profile(&member.token).await;
    assert_eq!(mine["unit"]["id"], target);
    assert_eq!(mine["categories"], json!(["cadre", "member"]));
    assert!(mine["pending_change"].is_null());
    // Decided once.
    let res = reject(&app, request, &organizer.token, "muộn").await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "request_decided"
    );
}

#[tokio::test]
async fn a_rejected_request_leaves_the_person_where_they_were() {
    let app = spawn_app().await;
    let home = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let member = app.member(home).await;
    let me = request_change(
        &app,
        &member.token,
        json!({ "categories": ["member", "youth", "cadre"] }),
    )
    .await;
    let request = me["pending_change"]["id"].as_i64().unwrap();
    let organizer = app.organizer(home, home).await;
    let res = reject(
        &app,
        request,
        &organizer.token,
        "Chưa có quyết định công nhận cán bộ",
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mine: Value = app
        .get("/api/v1/me/membership-requests", Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["status"], "rejected");
    assert_eq!(mine[0]["reason"], "Chưa có quyết định công nhận cán bộ");
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["categories"], json!(["member", "youth"]));
}

#[tokio::test]
async fn nobody_but_an_admin_approves_their_own_request() {
    let app = spawn_app().await;
    let home = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let organizer = app.organizer(home, home).await;
    let me = request_change(
        &app,
        &organizer.token,
        json!({ "categories": ["member", "cadre"] }),
    )
    .await;
    let request = me["pending_change"]["id"].as_i64().unwrap();
    let res = approve(&app, request, &organizer.token).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let admin = app.admin().await;
    let res = approve(&app, request, &admin.token).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn cadre_at_registration_waits_for_an_organizer() {
    let app = spawn_app().await;
    let home = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let res = app
        .register(&json!({
            "full_name": "Lê Văn Cán", "email": "can-bo@example.vn", "password": "mat-khau-du-dai",
            "birth_date": "1995-01-01", "unit_id": home, "categories": ["member", "cadre"],
        }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["categories"], json!(["member"]));
    assert_eq!(me["pending_change"]["add_categories"], json!(["cadre"]));
    assert_eq!(me["pending_change"]["unit"]["id"], home);
}

#[tokio::test]
async fn patch_me_keeps_the_rules_of_registration() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let other = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    for (change, status, code) in [
        (
            json!({ "categories": ["new_member"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "admitted_on_required",
        ),
        (
            json!({ "email": other.login }),
            StatusCode::CONFLICT,
            "duplicate_login",
        ),
        (
            json!({ "email": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "login_required",
        ),
    ] {
        let res = app.patch("/api/v1/me", Some(&member.token), &change).await;
        assert_eq!(error_code(res, status).await, code, "{change}");
    }
    // Nothing changed.
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["email"], member.login);
    assert_eq!(me["categories"], json!(["member", "youth"]));
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({ "current_password": "doan-sai", "new_password": "mat-khau-moi-2026" }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "wrong_password"
    );
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({ "current_password": member.password, "new_password": "mat-khau-moi-2026" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app.get("/api/v1/me", Some(&member.token)).await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "token_revoked",
        "a new password ends the access tokens too"
    );
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login(&member.login, &member.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&member.login, "mat-khau-moi-2026").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn export_holds_all_personal_data_and_no_secret() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app.get("/api/v1/me/export", Some(&member.token)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = res.text().await.unwrap();
    assert!(
        !text.contains("argon2") && !text.contains("token_hash") && !text.contains(&member.refresh)
    );
    let export: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(export["profile"]["email"], member.login);
    assert_eq!(export["profile"]["birth_date"], "2000-05-19");
    assert_eq!(export["sessions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn delete_me_erases_personal_data_and_keeps_an_anonymous_stub() {
    let app = spawn_app().await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let member = app.member(unit).await;
    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.login(&member.login, &member.password).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.get("/api/v1/me", Some(&member.token)).await;
    assert_eq!(
        error_code(res, StatusCode::UNAUTHORIZED).await,
        "token_revoked",
        "the access token ends with the account"
    );
    let res = app.refresh(&member.refresh).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let stub = users::Entity::find_by_id(member.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stub.full_name, "Người dùng đã xóa");
    assert_eq!(
        (stub.phone, stub.email, stub.birth_date, stub.password_hash),
        (None, None, None, None)
    );
    assert!(stub.deleted_at.is_some());
    assert_eq!(
        stub.unit_id,
        Some(unit as i32),
        "the stub still counts for its unit"
    );
    let cats = user_categories::Entity::find()
        .filter(user_categories::Column::UserId.eq(member.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(cats.len(), 2, "the stub still counts in its categories");

    // The login is free again.
    let res = app
        .register(&json!({
            "full_name": "Người Mới", "email": member.login, "password": "mat-khau-moi-2026",
            "birth_date": "2001-01-01", "unit_id": unit, "categories": ["member"],
        }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn patch_me_is_no_password_oracle() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    for i in 0..5 {
        let res = app
            .patch(
                "/api/v1/me",
                Some(&member.token),
                &json!({ "current_password": format!("doan-sai-{i}"), "new_password": "mat-khau-moi-2026" }),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({ "current_password": member.password, "new_password": "mat-khau-moi-2026" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
    // The same count as logins.
    assert_eq!(
        app.login(&member.login, &member.password).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn a_submit_after_erasure_does_not_reach_the_board() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app
        .open_test_round(&admin, "xoa-roi-nop", "Xóa rồi nộp")
        .await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app.start_attempt(&member.token, round).await;
    assert!(res.status().is_success(), "{}", res.status());
    let attempt = res.json::<Value>().await.unwrap()["id"].clone();

    let res = app
        .client
        .delete(app.url("/api/v1/me"))
        .bearer_auth(&member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app
        .post(
            &format!(
                "/api/v1/attempts/{}/submit",
                attempt.as_str().map_or(attempt.to_string(), str::to_owned)
            ),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let board: Value = app
        .get(
            &format!("/api/v1/rounds/{round}/leaderboard"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["entries"], json!([]), "{board}");
}

#[tokio::test]
async fn a_password_change_that_fails_half_way_changes_nothing() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    // The last write of a password change revokes the other sessions.
    app.fail_writes_to("refresh_tokens", "UPDATE").await;
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({
                "full_name": "Tên Mới Hoàn Toàn",
                "current_password": member.password,
                "new_password": "mat-khau-moi-2026",
            }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let me: Value = app.profile(&member.token).await;
    assert_eq!(
        me["full_name"], "Trần Thị Bích Ngọc",
        "the token still works"
    );
    assert_eq!(
        app.login(&member.login, &member.password).await.status(),
        StatusCode::OK,
        "the old password still logs in"
    );
}

#[tokio::test]
async fn a_profile_change_whose_request_fails_changes_nothing() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let target = app.unit_id("Đoàn phường Núi Sam").await;
    app.fail_writes_to("membership_requests", "INSERT").await;
    let res = app
        .patch(
            "/api/v1/me",
            Some(&member.token),
            &json!({ "full_name": "Tên Mới Hoàn Toàn", "unit_id": target, "categories": ["member"] }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["full_name"], "Trần Thị Bích Ngọc");
    assert_eq!(me["categories"], json!(["member", "youth"]));
}

#[tokio::test]
async fn an_erasure_that_fails_half_way_erases_nothing() {
    let app = spawn_app().await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    app.fail_writes_to("refresh_tokens", "DELETE").await;
    let res = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/me",
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["full_name"], "Trần Thị Bích Ngọc");
    assert_eq!(
        app.login(&member.login, &member.password).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_decision_that_fails_half_way_leaves_the_request_pending() {
    let app = spawn_app().await;
    let (home, target, member, me) = cadre_moving_to_nui_sam(&app).await;
    let request = me["pending_change"]["id"].as_i64().unwrap();
    let organizer = app.organizer(target, target).await;
    // Approving writes the request, the categories, then the account's unit.
    app.fail_writes_to("users", "UPDATE").await;
    let res = approve(&app, request, &organizer.token).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let pending = app.count_rows("membership_requests", Some("status = 'pending'"));
    assert_eq!(pending.await, 1);
    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["unit"]["id"], home);
    assert_eq!(me["categories"], json!(["member"]));
}
