//! The new member's path through the shipped course, over HTTP, as the README tells it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    attempts::{answers, assert_no_key, keys},
    helpers::{TestApp, spawn_app_with},
};

const COURSE: &str = "Học lý luận chính trị dành cho đoàn viên mới";

#[tokio::test]
async fn a_new_member_completes_the_political_theory_course() {
    let app = spawn_app_with(|s| s.import_shipped_banks = true).await;
    let admin = app.admin().await;
    let key = keys(&app, &admin).await;
    assert!(
        key.len() >= 400,
        "the shipped banks are imported ({} questions)",
        key.len()
    );

    let unit = app.unit_id("Đoàn phường Mỹ Bình").await;
    let res = app
        .register(&json!({
            "full_name": "Lê Thị Thu Hà", "phone": "0911 222 333", "password": "hoc-ly-luan-2026",
            "birth_date": "2008-10-15", "unit_id": unit, "categories": ["new_member", "youth"],
            "admitted_on": "2026-03-26",
        }))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let login = |phone: &'static str| {
        let app = &app;
        async move {
            let tokens: Value = app
                .login(phone, "hoc-ly-luan-2026")
                .await
                .json()
                .await
                .unwrap();
            tokens["access_token"].as_str().unwrap().to_owned()
        }
    };
    let phone = login("0911222333").await;
    let t = Some(phone.as_str());

    let courses: Vec<Value> = app.get("/api/v1/courses", t).await.json().await.unwrap();
    let course = courses
        .iter()
        .find(|c| c["title"] == COURSE)
        .expect("the course is listed for a new member");
    let course: Value = app
        .get(&format!("/api/v1/courses/{}", course["id"]), t)
        .await
        .json()
        .await
        .unwrap();
    let lessons = course["lessons"].as_array().unwrap().clone();
    assert_eq!(lessons.len(), 6);
    assert!(lessons.iter().all(|l| l["quiz_id"].is_i64()));
    let final_test = course["final_test_id"].as_i64().unwrap();
    assert_eq!(course["final_test"]["questions"], 30);
    assert_eq!(course["final_test"]["time_limit_minutes"], 30);
    assert_eq!(course["final_test"]["pass_mark"], 50);

    let first: Value = app
        .get(&format!("/api/v1/lessons/{}", lessons[0]["id"]), t)
        .await
        .json()
        .await
        .unwrap();
    assert!(first["body"].as_str().unwrap().len() > 500);
    assert_eq!(first["editable_by"], "province");

    for (i, lesson) in lessons.iter().enumerate() {
        let res = app
            .post(
                &format!("/api/v1/lessons/{}/complete", lesson["id"]),
                t,
                &json!({}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CONFLICT,
            "a lesson with a quiz completes through its quiz"
        );
        let quiz = lesson["quiz_id"].as_i64().unwrap();
        let res = app
            .post(&format!("/api/v1/quizzes/{quiz}/attempts"), t, &json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let paper: Value = res.json().await.unwrap();
        assert_no_key(&paper);
        assert_eq!(paper["questions"].as_array().unwrap().len(), 5);
        let path = format!("/api/v1/attempts/{}", paper["attempt_id"].as_str().unwrap());
        let res = app
            .send(
                reqwest::Method::PUT,
                &format!("{path}/answers"),
                t,
                &answers(&paper, &key, 5),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_no_key(&res.json().await.unwrap());
        // Resume from a second login, as from another phone.
        let other = login("+84911222333").await;
        let res = app
            .post(
                &format!("/api/v1/quizzes/{quiz}/attempts"),
                Some(&other),
                &json!({}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let resumed: Value = res.json().await.unwrap();
        assert_eq!(resumed["attempt_id"], paper["attempt_id"]);
        assert_no_key(&resumed);
        let read: Value = app.get(&path, Some(&other)).await.json().await.unwrap();
        assert_no_key(&read);
        let res = app
            .client
            .post(app.url(&format!("{path}/submit")))
            .bearer_auth(&other)
            .header("Idempotency-Key", format!("bai-{i}"))
            .send()
            .await
            .unwrap();
        let result: Value = res.json().await.unwrap();
        assert_eq!(result["result"]["passed"], true, "{result}");
    }
    let progress: Value = app
        .get(&format!("/api/v1/courses/{}/progress", course["id"]), t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["lessons_completed"], 6);
    assert_eq!(progress["completed"], false);

    let res = app
        .post(
            &format!("/api/v1/quizzes/{final_test}/attempts"),
            t,
            &json!({}),
        )
        .await;
    let paper: Value = res.json().await.unwrap();
    assert_no_key(&paper);
    assert_eq!(paper["questions"].as_array().unwrap().len(), 30);
    let path = format!("/api/v1/attempts/{}", paper["attempt_id"].as_str().unwrap());
    app.send(
        reqwest::Method::PUT,
        &format!("{path}/answers"),
        t,
        &answers(&paper, &key, 18),
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("{path}/submit")))
        .bearer_auth(&phone)
        .header("Idempotency-Key", "cuoi-khoa")
        .send()
        .await
        .unwrap();
    let result: Value = res.json().await.unwrap();
    assert_eq!(
        (
            result["result"]["correct"].as_i64(),
            result["result"]["passed"].as_bool()
        ),
        (Some(18), Some(true))
    );

    let progress: Value = app
        .get(&format!("/api/v1/courses/{}/progress", course["id"]), t)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["completed"], true);
    assert!(progress["completed_at"].is_string());
}

/// A course of one lesson without a quiz and no final test: reading it completes the course.
pub fn reading_course() -> Value {
    let mut course = crate::attempts::course_json("doc-hieu", json!([]));
    course["lessons"] = json!([{ "id": "bai-doc", "title": "Bài đọc", "body": "Nội dung.", "estimated_minutes": 5 }]);
    course.as_object_mut().unwrap().remove("final_test");
    course
}

#[tokio::test]
async fn a_course_and_its_bank_claim_are_stored_whole_or_not_at_all() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    // The bank's purpose claim is the course's last write.
    app.fail_writes_to("question_banks", "UPDATE").await;
    let res = app
        .post(
            "/api/v1/courses",
            Some(&admin.token),
            &crate::attempts::course_json("khoa-thu", json!([])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.count_rows("courses", Some("slug = 'khoa-thu'")).await,
        0
    );
    assert_eq!(app.count_rows("lessons", None).await, 0);
    assert_eq!(app.count_rows("quizzes", None).await, 0);
    assert_eq!(
        app.count_rows("question_banks", Some("purpose IS NOT NULL"))
            .await,
        0
    );
}

/// The reading course stored by an admin, and a member in its audience. Returns the app, the
/// member's token and the path that completes the lesson.
async fn reading_course_and_member() -> (TestApp, String, String) {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin().await;
    let res = app
        .post("/api/v1/courses", Some(&admin.token), &reading_course())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let course: Value = res.json().await.unwrap();
    let lesson = course["lessons"][0]["id"].as_i64().unwrap();
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let path = format!("/api/v1/lessons/{lesson}/complete");
    (app, member.token, path)
}

#[tokio::test]
async fn a_lesson_and_the_course_it_completes_are_recorded_whole_or_not_at_all() {
    let (app, member, complete) = reading_course_and_member().await;
    // The completion's event is the last write.
    app.fail_writes_to("events", "INSERT").await;
    let res = app.post(&complete, Some(&member), &json!({})).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count_rows("lesson_progress", None).await, 0);
    assert_eq!(app.count_rows("course_completions", None).await, 0);
}

#[tokio::test]
async fn reading_the_only_lesson_completes_the_course_once() {
    let (app, member, complete) = reading_course_and_member().await;
    for _ in 0..2 {
        let res = app.post(&complete, Some(&member), &json!({})).await;
        assert_eq!(res.status(), StatusCode::OK);
        let progress: Value = res.json().await.unwrap();
        assert_eq!(progress["completed"], true);
    }
    assert_eq!(app.count_rows("lesson_progress", None).await, 1);
    assert_eq!(app.count_rows("course_completions", None).await, 1);
    assert_eq!(
        app.count_rows("events", Some("kind = 'course_completed'"))
            .await,
        1
    );
}
