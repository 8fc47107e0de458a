use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use soiduong::services::seed;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn the_demo_tree_is_listed_flat_in_tree_order() {
    let app = spawn_app().await;
    let res = app.get("/api/v1/units", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let units: Vec<Value> = res.json().await.unwrap();
    assert_eq!(units[0]["name"], "Tỉnh Đoàn An Giang");
    assert_eq!(units[0]["parent_id"], Value::Null);
    let root = units[0]["id"].clone();
    let districts: Vec<&str> = units
        .iter()
        .filter(|u| u["parent_id"] == root)
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(districts.len(), 11);
    // Vietnamese order: "Huyện …" < "Thành …" < "Thị …", and An Phú first of the Huyện.
    assert_eq!(districts[0], "Huyện Đoàn An Phú");
    assert!(
        districts.iter().position(|d| d.starts_with("Thành"))
            < districts.iter().position(|d| d.starts_with("Thị"))
    );
    for u in &units {
        for key in ["id", "parent_id", "name", "kind", "path"] {
            assert!(u.get(key).is_some(), "{key} missing");
        }
    }
    assert!(units.iter().any(|u| u["kind"] == "school"));
    assert!(units.iter().any(|u| u["kind"] == "agency"));
    // Each unit comes after its parent.
    for (i, u) in units.iter().enumerate().skip(1) {
        assert!(units[..i].iter().any(|p| p["id"] == u["parent_id"]));
    }
}

#[tokio::test]
async fn seeding_again_changes_nothing() {
    let app = spawn_app().await;
    let report = seed::seed_demo(&app.state).await.unwrap();
    assert_eq!(report.units_added, 0);
    assert_eq!(report.units_present, 1 + seed::DEMO_DISTRICTS + 41);
}

#[tokio::test]
async fn a_unit_shows_its_ancestors_and_children() {
    let app = spawn_app().await;
    let id = app.unit_id("Thành Đoàn Châu Đốc").await;
    let unit: Value = app
        .get(&format!("/api/v1/units/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unit["name"], "Thành Đoàn Châu Đốc");
    assert_eq!(unit["ancestors"][0]["name"], "Tỉnh Đoàn An Giang");
    let children: Vec<&str> = unit["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        [
            "Đoàn phường Châu Phú A",
            "Đoàn phường Núi Sam",
            "Đoàn trường THPT Thủ Khoa Nghĩa",
            "Đoàn xã Vĩnh Tế"
        ]
    );
    let res = app.get("/api/v1/units/999999", None).await;
    assert_eq!(
        error_code(res, StatusCode::NOT_FOUND).await,
        "unit_not_found"
    );
    let res = app.get("/api/v1/units/abc", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn participants_cannot_change_the_tree() {
    let app = spawn_app().await;
    let district = app.unit_id("Huyện Đoàn Chợ Mới").await;
    let member = app.member(app.unit_id("Đoàn xã Kiến An").await).await;
    let body = json!({ "name": "Đoàn xã Mỹ Hội Đông", "kind": "commune", "parent_id": district });
    assert_eq!(
        app.post("/api/v1/units", None, &body).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app.post("/api/v1/units", Some(&member.token), &body).await;
    assert_eq!(error_code(res, StatusCode::FORBIDDEN).await, "forbidden");
    let res = app
        .patch(
            &format!("/api/v1/units/{district}"),
            Some(&member.token),
            &json!({ "name": "X" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admins_create_rename_and_move_units_with_their_subtree() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cho_moi = app.unit_id("Huyện Đoàn Chợ Mới").await;
    let thoai_son = app.unit_id("Huyện Đoàn Thoại Sơn").await;

    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "  Đoàn xã  Mỹ Hội Đông ", "kind": "commune", "parent_id": cho_moi }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let commune: Value = res.json().await.unwrap();
    assert_eq!(commune["name"], "Đoàn xã Mỹ Hội Đông");
    let commune_id = commune["id"].as_i64().unwrap();
    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "Chi đoàn ấp Mỹ Hòa", "kind": "other", "parent_id": commune_id }),
        )
        .await;
    let branch: Value = res.json().await.unwrap();
    assert_eq!(
        branch["path"],
        format!("{}{}/", commune["path"].as_str().unwrap(), branch["id"])
    );

    let res = app
        .patch(
            &format!("/api/v1/units/{commune_id}"),
            Some(&admin.token),
            &json!({ "name": "Đoàn xã Mỹ Hội", "parent_id": thoai_son }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let moved: Value = res.json().await.unwrap();
    assert_eq!(moved["name"], "Đoàn xã Mỹ Hội");
    assert_eq!(moved["parent_id"], thoai_son);
    let branch_after: Value = app
        .get(&format!("/api/v1/units/{}", branch["id"]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        branch_after["path"],
        format!("{}{}/", moved["path"].as_str().unwrap(), branch["id"])
    );
    assert_eq!(branch_after["ancestors"][1]["name"], "Huyện Đoàn Thoại Sơn");

    // The declared member count feeds participation rates.
    let res = app
        .patch(
            &format!("/api/v1/units/{cho_moi}"),
            Some(&admin.token),
            &json!({ "member_count": 1250 }),
        )
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["member_count"], 1250);

    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "Đơn vị", "kind": "castle", "parent_id": cho_moi }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_kind"
    );
}

#[tokio::test]
async fn a_move_that_would_make_a_cycle_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Huyện Đoàn Tri Tôn").await;
    let commune = app.unit_id("Đoàn xã Núi Tô").await;
    let root = app.unit_id("Tỉnh Đoàn An Giang").await;
    // Under its own child, under itself, and the root under a commune.
    for (unit, parent) in [(district, commune), (district, district), (root, commune)] {
        let res = app
            .patch(
                &format!("/api/v1/units/{unit}"),
                Some(&admin.token),
                &json!({ "parent_id": parent }),
            )
            .await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "unit_cycle",
            "{unit} under {parent}"
        );
    }
}

#[tokio::test]
async fn an_organizer_acts_on_their_subtree_only() {
    let app = spawn_app().await;
    let an_phu = app.unit_id("Huyện Đoàn An Phú").await;
    let khanh_an = app.unit_id("Đoàn xã Khánh An").await;
    let tri_ton = app.unit_id("Huyện Đoàn Tri Tôn").await;
    let nui_to = app.unit_id("Đoàn xã Núi Tô").await;
    let organizer = app.organizer(khanh_an, an_phu).await;
    let t = Some(organizer.token.as_str());
    let units = "/api/v1/units".to_owned();
    let unit = |id: i64| format!("/api/v1/units/{id}");

    for (method, path, body, status) in [
        (
            Method::POST,
            units.clone(),
            json!({ "name": "Đoàn xã Phú Hội", "kind": "commune", "parent_id": an_phu }),
            StatusCode::CREATED,
        ),
        (
            Method::PATCH,
            unit(khanh_an),
            json!({ "name": "Đoàn xã Khánh An (mới)" }),
            StatusCode::OK,
        ),
        // Another district's units are out of reach.
        (
            Method::POST,
            units.clone(),
            json!({ "name": "Đoàn xã Lê Trì", "kind": "commune", "parent_id": tri_ton }),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::PATCH,
            unit(nui_to),
            json!({ "name": "Sửa trộm" }),
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            format!("/api/v1/units/{nui_to}/merge"),
            json!({ "into": khanh_an }),
            StatusCode::FORBIDDEN,
        ),
        // Moving an own unit into another district is refused too.
        (
            Method::PATCH,
            unit(khanh_an),
            json!({ "parent_id": tri_ton }),
            StatusCode::FORBIDDEN,
        ),
        // The district itself belongs to the province's organizers.
        (
            Method::PATCH,
            unit(an_phu),
            json!({ "name": "Huyện Đoàn An Phú mới" }),
            StatusCode::FORBIDDEN,
        ),
    ] {
        let res = app.send(method.clone(), &path, t, &body).await;
        assert_eq!(res.status(), status, "{method} {path} {body}");
    }

    let me = app.profile(&organizer.token).await;
    assert_eq!(me["roles"]["organizer_of"][0]["id"], an_phu);
}

#[tokio::test]
async fn merging_moves_members_children_and_organizers() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Huyện Đoàn Chợ Mới").await;
    let source = app.unit_id("Đoàn xã Kiến An").await;
    let target = app.unit_id("Đoàn xã Long Điền A").await;
    let member = app.member(source).await;
    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "Chi đoàn ấp An Thạnh", "kind": "other", "parent_id": source }),
        )
        .await;
    let child: Value = res.json().await.unwrap();
    let organizer = app.member(source).await;
    app.post(
        &format!("/api/v1/units/{source}/organizers"),
        Some(&admin.token),
        &json!({ "user_id": organizer.id }),
    )
    .await;

    let res = app
        .post(
            &format!("/api/v1/units/{source}/merge"),
            Some(&admin.token),
            &json!({ "into": target }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let merged: Value = res.json().await.unwrap();
    assert_eq!(merged["merged_into_id"], target);
    assert_eq!(
        merged["name"], "Đoàn xã Kiến An",
        "the merged unit keeps its name for history"
    );

    let me: Value = app.profile(&member.token).await;
    assert_eq!(me["unit"]["id"], target);
    let child_after: Value = app
        .get(&format!("/api/v1/units/{}", child["id"]), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(child_after["parent_id"], target);
    let organizers: Vec<Value> = app
        .get(
            &format!("/api/v1/units/{target}/organizers"),
            Some(&admin.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        organizers
            .iter()
            .any(|o| o["user_id"] == organizer.id.to_string())
    );

    let listed: Vec<Value> = app.get("/api/v1/units", None).await.json().await.unwrap();
    assert!(listed.iter().all(|u| u["id"] != source));
    let all: Vec<Value> = app
        .get("/api/v1/units?include_merged=true", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(all.iter().any(|u| u["id"] == source));
    let district_now: Value = app
        .get(&format!("/api/v1/units/{district}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        district_now["children"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != source)
    );

    // A merged unit takes no new members and cannot be merged again.
    let res = app
        .register(&json!({
            "full_name": "Phạm Quốc Bảo", "email": "bao@example.vn", "password": "mat-khau-du-dai",
            "birth_date": "2003-02-03", "unit_id": source, "categories": ["member"],
        }))
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "unit_merged"
    );
    let res = app
        .post(
            &format!("/api/v1/units/{source}/merge"),
            Some(&admin.token),
            &json!({ "into": target }),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "unit_merged");
}

#[tokio::test]
async fn merging_into_self_or_a_descendant_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Huyện Đoàn Phú Tân").await;
    let commune = app.unit_id("Đoàn xã Hòa Lạc").await;
    for (into, code) in [(commune, "unit_cycle"), (district, "merge_into_self")] {
        let res = app
            .post(
                &format!("/api/v1/units/{district}/merge"),
                Some(&admin.token),
                &json!({ "into": into }),
            )
            .await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            code,
            "into {into}"
        );
    }
}

#[tokio::test]
async fn organizers_are_appointed_listed_and_dismissed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Huyện Đoàn Châu Phú").await;
    let commune = app.unit_id("Đoàn xã Bình Long").await;
    let person = app.member(commune).await;
    let path = format!("/api/v1/units/{district}/organizers");

    let res = app
        .post(&path, Some(&person.token), &json!({ "user_id": person.id }))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "nobody appoints themselves"
    );
    let res = app
        .post(&path, Some(&admin.token), &json!({ "user_id": person.id }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post(&path, Some(&admin.token), &json!({ "user_id": person.id }))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "appointing twice changes nothing"
    );
    let res = app
        .post(
            &path,
            Some(&admin.token),
            &json!({ "user_id": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "user_not_found"
    );

    // The new district organizer may appoint commune organizers, not district ones.
    let helper = app.member(commune).await;
    let res = app
        .post(
            &format!("/api/v1/units/{commune}/organizers"),
            Some(&person.token),
            &json!({ "user_id": helper.id }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .post(&path, Some(&person.token), &json!({ "user_id": helper.id }))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let list: Vec<Value> = app
        .get(&path, Some(&person.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["full_name"], "Trần Thị Bích Ngọc");
    let res = app.get(&path, Some(&helper.token)).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a commune organizer cannot list the district's"
    );

    let dismiss = || {
        app.client
            .delete(app.url(&format!("{path}/{}", person.id)))
            .bearer_auth(&admin.token)
            .send()
    };
    let res = dismiss().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = dismiss().await.unwrap();
    assert_eq!(
        error_code(res, StatusCode::NOT_FOUND).await,
        "organizer_not_found"
    );
}

#[tokio::test]
async fn unit_names_with_control_characters_are_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let parent = app.unit_id("Huyện Đoàn Chợ Mới").await;
    for name in [
        "Đoàn xã\u{0}Mỹ Hội",
        "Đoàn xã \u{7}Bell",
        "Đoàn \u{202e}xã đảo",
    ] {
        let res = app
            .post(
                "/api/v1/units",
                Some(&admin.token),
                &json!({ "name": name, "kind": "commune", "parent_id": parent }),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {}",
            res.text().await.unwrap()
        );
    }
}

#[tokio::test]
async fn a_new_organizer_acts_at_once_though_their_profile_was_cached() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let commune = app.unit_id("Đoàn xã Bình Long").await;
    let person = app.member(commune).await;
    let requests = format!("/api/v1/units/{commune}/membership-requests");
    // Twice: the second refusal comes from the cached profile.
    for _ in 0..2 {
        let res = app.get(&requests, Some(&person.token)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let organizers = format!("/api/v1/units/{commune}/organizers");
    let res = app
        .post(
            &organizers,
            Some(&admin.token),
            &json!({ "user_id": person.id }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app.get(&requests, Some(&person.token)).await;
    assert_eq!(res.status(), StatusCode::OK, "the grant is seen at once");
    let res = app
        .client
        .delete(app.url(&format!("{organizers}/{}", person.id)))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.get(&requests, Some(&person.token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "so is the dismissal");
}

#[tokio::test]
async fn a_unit_creation_that_fails_half_way_leaves_no_unit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let parent = app.unit_id("Đoàn xã Bình Long").await;
    let before = app.count_rows("units", None).await;
    // The row is inserted, then given its path.
    app.fail_writes_to("units", "UPDATE").await;
    let res = app
        .post(
            "/api/v1/units",
            Some(&admin.token),
            &json!({ "name": "Chi đoàn ấp Bình Thạnh", "kind": "other", "parent_id": parent }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count_rows("units", None).await, before);
}

#[tokio::test]
async fn a_merge_that_fails_half_way_moves_nobody() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let source = app.unit_id("Đoàn xã Kiến An").await;
    let target = app.unit_id("Đoàn xã Long Điền A").await;
    let member = app.member(source).await;
    let res = app
        .post(
            &format!("/api/v1/units/{source}/organizers"),
            Some(&admin.token),
            &json!({ "user_id": member.id }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // People and grants move first; marking the source merged is the last write.
    app.fail_writes_to("units", "UPDATE").await;
    let res = app
        .post(
            &format!("/api/v1/units/{source}/merge"),
            Some(&admin.token),
            &json!({ "into": target }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let in_source = format!("unit_id = {source}");
    assert_eq!(app.count_rows("users", Some(&in_source)).await, 1);
    assert_eq!(app.count_rows("unit_organizers", Some(&in_source)).await, 1);
    let in_target = format!("unit_id = {target}");
    assert_eq!(app.count_rows("unit_organizers", Some(&in_target)).await, 0);
}
