//! Banks belong to a unit: organizers read and change only the banks of their subtree, a bank
//! an open round needs keeps its questions, and contest banks never serve practice.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    attempts::course_json,
    helpers::{Account, TestApp, error_code, fixture, spawn_app, spawn_app_with},
};

fn test_bank() -> String {
    String::from_utf8(fixture("thu-nghiem.yaml")).unwrap()
}

/// The test bank under another slug and, optionally, with a purpose.
fn variant(slug: &str, purpose: Option<&str>) -> Vec<u8> {
    let mut text = test_bank().replacen("id: thu-nghiem", &format!("id: {slug}"), 1);
    if let Some(p) = purpose {
        text = text.replacen(
            "  description: Dùng cho kiểm thử tự động.\n",
            &format!("  description: Dùng cho kiểm thử tự động.\n  purpose: {p}\n"),
            1,
        );
    }
    text.into_bytes()
}

/// The test bank cut to its first three questions (two single-answer ones).
fn cut_bank() -> Vec<u8> {
    let text = test_bank();
    let end = text.find("  - id: tn-004").unwrap();
    text.as_bytes()[..end].to_vec()
}

async fn bank_id(app: &TestApp, admin: &Account, slug: &str) -> i64 {
    app.banks(&admin.token)
        .await
        .iter()
        .find(|b| b["slug"] == slug)
        .unwrap_or_else(|| panic!("no bank {slug}"))["id"]
        .as_i64()
        .unwrap()
}

async fn upload_to(
    app: &TestApp,
    token: &str,
    query: &str,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    app.client
        .post(app.url(&format!("/api/v1/question-banks/import{query}")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn organizers_read_and_list_only_the_banks_of_their_subtree() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let province_bank = bank_id(&app, &admin, "thu-nghiem").await;

    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let commune = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let province_org = app.organizer(province, province).await;
    let district_org = app.organizer(district, district).await;
    let commune_org = app.organizer(commune, commune).await;

    // The district's own bank.
    let res = app
        .upload(
            &district_org.token,
            &[("chau-doc.yaml", variant("chau-doc", None))],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let district_bank = bank_id(&app, &admin, "chau-doc").await;

    let slugs = |v: Vec<Value>| -> Vec<String> {
        v.iter()
            .map(|b| b["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        slugs(app.banks(&commune_org.token).await),
        Vec::<String>::new()
    );
    assert_eq!(
        slugs(app.banks(&district_org.token).await),
        vec!["chau-doc"]
    );
    assert_eq!(
        slugs(app.banks(&province_org.token).await),
        vec!["chau-doc", "thu-nghiem"]
    );

    for (who, bank, status) in [
        (&commune_org, province_bank, StatusCode::FORBIDDEN),
        (&commune_org, district_bank, StatusCode::FORBIDDEN),
        (&district_org, province_bank, StatusCode::FORBIDDEN),
        (&district_org, district_bank, StatusCode::OK),
        (&province_org, province_bank, StatusCode::OK),
        (&province_org, district_bank, StatusCode::OK),
        (&admin, district_bank, StatusCode::OK),
    ] {
        let res = app
            .get(&format!("/api/v1/question-banks/{bank}"), Some(&who.token))
            .await;
        assert_eq!(res.status(), status, "bank {bank}");
    }
    let detail: Value = app.bank(&district_org.token, district_bank).await;
    assert_eq!(detail["unit_id"], district);
}

#[tokio::test]
async fn an_organizer_cannot_import_into_a_bank_outside_their_subtree() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let commune = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let commune_org = app.organizer(commune, commune).await;
    let res = app
        .upload(&commune_org.token, &[("thu-nghiem.yaml", cut_bank())])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let id = bank_id(&app, &admin, "thu-nghiem").await;
    let detail: Value = app.bank(&admin.token, id).await;
    assert_eq!(detail["questions"], 12, "nothing of the file was written");
    assert_eq!(detail["version"], 1);
}

#[tokio::test]
async fn a_new_bank_belongs_to_the_unit_chosen_within_the_subtree() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let inside = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let outside = app.unit_id("Đoàn xã Núi Tô").await;
    let org = app.organizer(district, district).await;
    let res = upload_to(
        &app,
        &org.token,
        &format!("?unit_id={outside}"),
        "a.yaml",
        variant("ngoai", None),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = upload_to(
        &app,
        &org.token,
        &format!("?unit_id={inside}"),
        "b.yaml",
        variant("vinh-te", None),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let res = upload_to(&app, &org.token, "", "c.yaml", variant("chau-doc", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let banks = app.banks(&admin.token).await;
    let owner = |slug: &str| {
        banks
            .iter()
            .find(|b| b["slug"] == slug)
            .map(|b| b["unit_id"].clone())
    };
    assert_eq!(owner("ngoai"), None);
    assert_eq!(owner("vinh-te"), Some(json!(inside)));
    assert_eq!(owner("chau-doc"), Some(json!(district)));
}

/// A contest of the province with a round open now drawing 4 single-answer questions.
#[tokio::test]
async fn an_import_that_leaves_an_open_round_short_of_questions_is_refused() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app.open_test_round(&admin, "thu-suc", "Thử sức").await;
    let res = app
        .upload(&admin.token, &[("thu-nghiem.yaml", cut_bank())])
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "bank_in_use");
    let id = bank_id(&app, &admin, "thu-nghiem").await;
    let detail: Value = app.bank(&admin.token, id).await;
    assert_eq!(detail["questions"], 12);
    // The round still starts.
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app.start_attempt(&member.token, round).await;
    assert!(res.status().is_success(), "{}", res.status());
    // An edit the round survives (the true/false questions go) is taken.
    let text = test_bank();
    let mut parts = text.split("  - id: ");
    let mut kept = parts.next().unwrap().to_owned();
    for q in parts.filter(|q| !q.contains("tags: [dung-sai]")) {
        kept.push_str("  - id: ");
        kept.push_str(q);
    }
    let res = app
        .upload(&admin.token, &[("thu-nghiem.yaml", kept.into_bytes())])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
}

#[tokio::test]
async fn contest_and_practice_banks_do_not_mix() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .upload(
            &admin.token,
            &[
                ("thu-nghiem.yaml", fixture("thu-nghiem.yaml")),
                ("cuoc-thi.yaml", variant("cuoc-thi", Some("contest"))),
                ("on-tap.yaml", variant("on-tap", Some("practice"))),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    // A course over a contest bank is refused.
    let mut course = course_json("khoa-thu", json!([]));
    course["final_test"]["draw"][0]["bank"] = json!("cuoc-thi");
    let res = app
        .post("/api/v1/courses", Some(&admin.token), &course)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("cuoc-thi"));
    // A round over a practice bank is refused.
    let contest = app.province_contest(&admin, "thu-suc", "Thử sức").await;
    let now = app.clock_now();
    let round = |bank: &str| {
        json!({ "title": "Tuần 1", "opens_at": now - Duration::minutes(1), "closes_at": now + Duration::hours(6),
                "draw": [{ "bank": bank, "count": 4 }], "time_limit_minutes": 10, "attempts_allowed": 1 })
    };
    let rounds = format!("/api/v1/contests/{}/rounds", contest["id"]);
    let res = app
        .post(&rounds, Some(&admin.token), &round("on-tap"))
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "bank_purpose_mismatch"
    );
    // A bank without a purpose takes that of its first use: a course makes it practice.
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &course_json("khoa-thu", json!([])),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let res = app
        .post(&rounds, Some(&admin.token), &round("thu-nghiem"))
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "bank_purpose_mismatch"
    );
    let res = app
        .post(&rounds, Some(&admin.token), &round("cuoc-thi"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // A bank in use keeps its purpose.
    let res = app
        .upload(
            &admin.token,
            &[("thu-nghiem.yaml", variant("thu-nghiem", Some("contest")))],
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "bank_in_use");
    let res = app
        .upload(
            &admin.token,
            &[("cuoc-thi.yaml", variant("cuoc-thi", Some("practice")))],
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "bank_in_use");
    let banks = app.banks(&admin.token).await;
    let purpose = |slug: &str| banks.iter().find(|b| b["slug"] == slug).unwrap()["purpose"].clone();
    assert_eq!(purpose("thu-nghiem"), "practice");
    assert_eq!(purpose("cuoc-thi"), "contest");
}

#[tokio::test]
async fn the_shipped_course_never_draws_from_the_demo_contest_bank() {
    let app = spawn_app_with(|s| s.import_shipped_banks = true).await;
    let admin = app.admin().await;
    let banks = app.banks(&admin.token).await;
    let purpose = |slug: &str| {
        banks
            .iter()
            .find(|b| b["slug"] == slug)
            .unwrap_or_else(|| panic!("no bank {slug}"))["purpose"]
            .clone()
    };
    use sea_orm::EntityTrait;
    let quizzes = entity::quizzes::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    let mut rounds = 0;
    for q in &quizzes {
        let rules: Vec<Value> = serde_json::from_str(&q.draw_rules).unwrap();
        let wanted = if q.kind == entity::quizzes::QuizKind::ContestRound {
            rounds += 1;
            "contest"
        } else {
            "practice"
        };
        for r in rules {
            assert_eq!(
                purpose(r["bank"].as_str().unwrap()),
                wanted,
                "quiz {}",
                q.title
            );
        }
    }
    assert_eq!(rounds, 1, "the demo contest has its round");
    assert_eq!(purpose("lich-su-viet-nam"), "contest");
    // Every shipped bank belongs to the province.
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    assert!(banks.iter().all(|b| b["unit_id"] == province));
}

#[tokio::test]
async fn a_lesson_quiz_over_a_bank_sealed_for_a_contest_does_not_start() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &course_json("khoa-thu", json!([])),
        )
        .await;
    let course: Value = res.json().await.unwrap();
    let quiz = course["lessons"][0]["quiz_id"].as_i64().unwrap();
    // A database from before purposes, where a round and a lesson share the bank: the
    // migration seals it for the round.
    use sea_orm::ConnectionTrait;
    app.state
        .db
        .execute_unprepared("UPDATE question_banks SET purpose = 'contest'")
        .await
        .unwrap();
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app
        .post(
            &format!("/api/v1/quizzes/{quiz}/attempts"),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "bank_sealed");
}

#[tokio::test]
async fn a_refused_file_leaves_the_other_files_of_its_request_unwritten() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let district = app.unit_id("Thành Đoàn Châu Đốc").await;
    let district_org = app.organizer(district, district).await;

    // Its own new bank first, then the province's bank, which it may not change.
    let res = app
        .upload(
            &district_org.token,
            &[
                ("chau-doc.yaml", variant("chau-doc", None)),
                ("thu-nghiem.yaml", cut_bank()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let slugs: Vec<Value> = app
        .banks(&admin.token)
        .await
        .iter()
        .map(|b| b["slug"].clone())
        .collect();
    assert!(
        !slugs.contains(&json!("chau-doc")),
        "the district's bank was written although the request was refused: {slugs:?}"
    );
}

#[tokio::test]
async fn an_upload_of_several_files_lands_whole_or_not_at_all() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    // The first file retires questions of the existing bank; the second, a new bank, fails.
    app.fail_writes_to("question_banks", "INSERT").await;
    let res = app
        .upload(
            &admin.token,
            &[
                ("thu-nghiem.yaml", cut_bank()),
                ("moi.yaml", variant("moi", None)),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.count_rows("questions", Some("retired_at IS NOT NULL"))
            .await,
        0
    );
    assert_eq!(
        app.count_rows(
            "question_banks",
            Some("slug = 'thu-nghiem' AND version = 1")
        )
        .await,
        1
    );
}
