use std::collections::HashMap;

use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use soiduong::services::attempts;

use crate::helpers::{Account, TestApp, error_code, fixture, spawn_app};

/// A course over the test bank: one lesson with a 5-question quiz (2 attempts), one reading
/// lesson, and an 8-question final test.
pub fn course_json(slug: &str, categories: Value) -> Value {
    json!({
        "course": { "id": slug, "title": "Khóa học thử nghiệm", "description": "Dùng cho kiểm thử.",
                    "audience": { "categories": categories, "units": [] } },
        "lessons": [
            { "id": "bai-1", "title": "Bài 1", "body": "# Bài 1\nNội dung.", "estimated_minutes": 5,
              "quiz": { "title": "Ôn tập bài 1", "time_limit_minutes": 10, "pass_mark": 60, "attempts_allowed": 2,
                        "review": "after_submit", "draw": [{ "bank": "thu-nghiem", "count": 5 }] } },
            { "id": "bai-2", "title": "Bài 2", "body": "Đọc thêm.", "estimated_minutes": 5 }
        ],
        "final_test": { "title": "Kiểm tra cuối khóa", "time_limit_minutes": 30, "pass_mark": 50, "attempts_allowed": 3,
                        "draw": [{ "bank": "thu-nghiem", "tags": ["mot-dap-an"], "count": 4 },
                                 { "bank": "thu-nghiem", "tags": ["dung-sai", "nhieu-dap-an"], "count": 4 }] }
    })
}

pub struct Setup {
    pub admin: Account,
    pub course: Value,
    pub quiz_id: i64,
    pub final_id: i64,
}

pub async fn setup(app: &TestApp) -> Setup {
    let admin = app.admin().await;
    let res = app
        .upload(
            &admin.token,
            &[("thu-nghiem.yaml", fixture("thu-nghiem.yaml"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
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
    let course: Value = res.json().await.unwrap();
    let quiz_id = course["lessons"][0]["quiz_id"].as_i64().unwrap();
    let final_id = course["final_test_id"].as_i64().unwrap();
    Setup {
        admin,
        course,
        quiz_id,
        final_id,
    }
}

/// Correct option texts per question version, read the way an organizer can.
pub async fn keys(app: &TestApp, admin: &Account) -> HashMap<i64, Vec<String>> {
    let mut out = HashMap::new();
    let banks: Vec<Value> = app
        .get("/api/v1/question-banks", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    for b in banks {
        let detail: Value = app
            .get(
                &format!("/api/v1/question-banks/{}", b["id"]),
                Some(&admin.token),
            )
            .await
            .json()
            .await
            .unwrap();
        for q in detail["items"].as_array().unwrap() {
            let right = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["correct"] == true);
            out.insert(
                q["id"].as_i64().unwrap(),
                right
                    .map(|o| o["text"].as_str().unwrap().to_owned())
                    .collect(),
            );
        }
    }
    out
}

/// The answers to a paper: right for the first `right` questions, wrong for the rest.
pub fn answers(view: &Value, keys: &HashMap<i64, Vec<String>>, right: usize) -> Value {
    let list: Vec<Value> = view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let correct = &keys[&q["id"].as_i64().unwrap()];
            let ids: Vec<&str> = q["options"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| {
                    correct.contains(&o["text"].as_str().unwrap().to_owned()) == (i < right)
                })
                .map(|o| o["id"].as_str().unwrap())
                .take(if i < right { 8 } else { 1 })
                .collect();
            json!({ "question_id": q["id"], "option_ids": ids })
        })
        .collect();
    json!({ "answers": list })
}

/// Fails when any object in `v` carries a key a participant must not see before the end.
pub fn assert_no_key(v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                assert!(
                    !matches!(
                        k.as_str(),
                        "correct"
                            | "correct_option_ids"
                            | "explanation"
                            | "source"
                            | "answer"
                            | "is_correct"
                    ),
                    "`{k}` leaked in {v}"
                );
                assert_no_key(inner);
            }
        }
        Value::Array(items) => items.iter().for_each(assert_no_key),
        _ => {}
    }
}

async fn start(app: &TestApp, token: &str, quiz: i64) -> (StatusCode, Value) {
    let res = app
        .post(
            &format!("/api/v1/quizzes/{quiz}/attempts"),
            Some(token),
            &json!({}),
        )
        .await;
    (res.status(), res.json().await.unwrap())
}

async fn put_answers(
    app: &TestApp,
    token: &str,
    attempt: &Value,
    body: &Value,
) -> reqwest::Response {
    app.send(
        reqwest::Method::PUT,
        &format!(
            "/api/v1/attempts/{}/answers",
            attempt["attempt_id"].as_str().unwrap()
        ),
        Some(token),
        body,
    )
    .await
}

/// On PostgreSQL, holds every write to attempts (reads go on) until [`release`], so that the
/// writes sent meanwhile queue up and the group writers are seen to group them whatever the
/// timing. SQLite has one connection: nothing is held.
async fn hold_writes(app: &TestApp) -> Option<sea_orm::DatabaseTransaction> {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    let tx = app.state.db.begin().await.unwrap();
    tx.execute_unprepared("LOCK TABLE attempts IN EXCLUSIVE MODE")
        .await
        .unwrap();
    Some(tx)
}

/// Lets the writes held by [`hold_writes`] go, once the requests sent with it have queued.
async fn release(held: Option<sea_orm::DatabaseTransaction>) {
    if let Some(tx) = held {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        tx.commit().await.unwrap();
    }
}

/// The attempt as its owner reads it, and its saved answers by question.
async fn read_back(app: &TestApp, token: &str, view: &Value) -> (Value, HashMap<i64, Value>) {
    let now: Value = app
        .get(
            &format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap()),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    let saved = now["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["question_id"].as_i64().unwrap(), a["option_ids"].clone()))
        .collect();
    (now, saved)
}

async fn submit(
    app: &TestApp,
    token: &str,
    attempt: &Value,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!(
            "/api/v1/attempts/{}/submit",
            attempt["attempt_id"].as_str().unwrap()
        )))
        .bearer_auth(token);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn a_started_attempt_has_a_frozen_paper_and_no_key() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (status, view) = start(&app, &member.token, s.quiz_id).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_no_key(&view);
    assert_eq!(view["state"], "open");
    assert_eq!(view["questions"].as_array().unwrap().len(), 5);
    for q in view["questions"].as_array().unwrap() {
        let ids: Vec<&str> = q["options"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            ["a", "b", "c", "d"][..ids.len()],
            "options are named by shown position"
        );
    }
    let deadline: chrono::DateTime<chrono::Utc> =
        view["deadline"].as_str().unwrap().parse().unwrap();
    let now: chrono::DateTime<chrono::Utc> = view["server_now"].as_str().unwrap().parse().unwrap();
    assert_eq!((deadline - now).num_minutes(), 10);
    assert_eq!(view["time_left_ms"], 600_000);
    // The same paper on every read.
    let again: Value = app
        .get(
            &format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap()),
            Some(&member.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["questions"], view["questions"]);
    assert_no_key(&again);
}

#[tokio::test]
async fn starting_again_resumes_the_attempt_on_another_device() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let k = keys(&app, &s.admin).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    let body = answers(&view, &k, 3);
    let res = put_answers(&app, &member.token, &view, &body).await;
    assert_eq!(res.status(), StatusCode::OK);
    let saved: Value = res.json().await.unwrap();
    assert_eq!(saved["revision"], 1);
    assert_no_key(&saved);

    // A second phone logs in and starts: the same attempt, with the saved answers.
    let second = app
        .login(&member.login, &member.password)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let (status, resumed) = start(&app, second["access_token"].as_str().unwrap(), s.quiz_id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["attempt_id"], view["attempt_id"]);
    assert_eq!(resumed["answers"].as_array().unwrap().len(), 5);
    assert_eq!(resumed["revision"], 1);
    assert_no_key(&resumed);
}

#[tokio::test]
async fn a_double_tap_makes_one_attempt() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (a, b) = tokio::join!(
        start(&app, &member.token, s.quiz_id),
        start(&app, &member.token, s.quiz_id)
    );
    assert_eq!(a.1["attempt_id"], b.1["attempt_id"]);
}

#[tokio::test]
async fn saves_merge_per_question_and_a_stale_revision_is_refused() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    let q: Vec<Value> = view["questions"].as_array().unwrap().clone();
    let pick = |i: usize, o: &str| json!({ "question_id": q[i]["id"], "option_ids": [o] });
    assert_eq!(
        put_answers(
            &app,
            &member.token,
            &view,
            &json!({ "answers": [pick(0, "a"), pick(1, "b")] })
        )
        .await
        .status(),
        StatusCode::OK
    );
    // Last write per question wins; the other question keeps its answer; repeating is harmless.
    for _ in 0..2 {
        let res = put_answers(
            &app,
            &member.token,
            &view,
            &json!({ "answers": [pick(0, "b")] }),
        )
        .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let (now, saved) = read_back(&app, &member.token, &view).await;
    assert_eq!(saved[&q[0]["id"].as_i64().unwrap()], json!(["b"]));
    assert_eq!(saved[&q[1]["id"].as_i64().unwrap()], json!(["b"]));
    assert_eq!(now["revision"], 3);
    let res = put_answers(
        &app,
        &member.token,
        &view,
        &json!({ "answers": [pick(2, "a")], "revision": 1 }),
    )
    .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "stale_revision"
    );
    let res = put_answers(
        &app,
        &member.token,
        &view,
        &json!({ "answers": [pick(2, "a")], "revision": 3 }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn saves_are_checked_against_the_paper() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    let q = view["questions"][0].clone();
    let cases = [
        (
            json!({ "question_id": 999999, "option_ids": ["a"] }),
            "unknown_question",
        ),
        (
            json!({ "question_id": q["id"], "option_ids": ["z"] }),
            "unknown_option",
        ),
    ];
    for (answer, code) in cases {
        let res = put_answers(&app, &member.token, &view, &json!({ "answers": [answer] })).await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            code
        );
    }
    if let Some(single) = view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["type"] == "single")
    {
        let res = put_answers(
            &app,
            &member.token,
            &view,
            &json!({ "answers": [{ "question_id": single["id"], "option_ids": ["a", "b"] }] }),
        )
        .await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "single_choice"
        );
    }
}

#[tokio::test]
async fn submit_is_idempotent_with_a_key_and_refused_twice_without() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let k = keys(&app, &s.admin).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 4)).await;
    let first = submit(&app, &member.token, &view, Some("nop-bai-1")).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["state"], "submitted");
    assert_eq!(first["result"]["correct"], 4);
    assert_eq!(first["result"]["total"], 5);
    assert_eq!(first["result"]["passed"], true);
    assert_eq!(first["result"]["closed_by"], "submit");
    // The review policy allows the key after submission.
    assert_eq!(first["review"].as_array().unwrap().len(), 5);
    assert!(first["review"][0]["explanation"].as_str().unwrap().len() > 3);
    assert_eq!(
        first["review"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["is_correct"] == true)
            .count(),
        4
    );

    let (a, b) = tokio::join!(
        submit(&app, &member.token, &view, Some("nop-bai-1")),
        submit(&app, &member.token, &view, Some("nop-bai-1"))
    );
    for retry in [a, b] {
        assert_eq!(retry.status(), StatusCode::OK);
        let retry: Value = retry.json().await.unwrap();
        assert_eq!(retry["result"], first["result"]);
    }
    let res = submit(&app, &member.token, &view, None).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "already_submitted"
    );
    let res = submit(&app, &member.token, &view, Some("another-key")).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "already_submitted"
    );
    let res = put_answers(&app, &member.token, &view, &answers(&view, &k, 5)).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "attempt_closed"
    );
}

#[tokio::test]
async fn the_server_clock_closes_the_attempt_after_deadline_and_grace() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let k = keys(&app, &s.admin).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 2)).await;
    // Inside the grace period a save still counts.
    app.clock.advance(chrono::Duration::seconds(600 + 4));
    assert_eq!(
        put_answers(&app, &member.token, &view, &answers(&view, &k, 3))
            .await
            .status(),
        StatusCode::OK
    );
    app.clock.advance(chrono::Duration::milliseconds(1001));
    let res = put_answers(&app, &member.token, &view, &answers(&view, &k, 5)).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "attempt_closed"
    );
    let res = submit(&app, &member.token, &view, Some("late")).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "attempt_closed"
    );
    let closed: Value = app
        .get(
            &format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap()),
            Some(&member.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["result"]["closed_by"], "deadline");
    assert_eq!(closed["result"]["correct"], 3, "closed with what was saved");
    assert_eq!(closed["result"]["duration_ms"], 600_000);
}

#[tokio::test]
async fn the_sweeper_and_a_read_close_expired_attempts() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let a = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let b = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (_, va) = start(&app, &a.token, s.quiz_id).await;
    let (_, vb) = start(&app, &b.token, s.quiz_id).await;
    app.clock.advance(chrono::Duration::minutes(11));
    let read: Value = app
        .get(
            &format!("/api/v1/attempts/{}", va["attempt_id"].as_str().unwrap()),
            Some(&a.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read["state"], "closed");
    assert_eq!(attempts::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(attempts::sweep(&app.state).await.unwrap(), 0);
    let swept: Value = app
        .get(
            &format!("/api/v1/attempts/{}", vb["attempt_id"].as_str().unwrap()),
            Some(&b.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(swept["state"], "closed");
    assert_eq!(swept["result"]["correct"], 0);
}

#[tokio::test]
async fn attempts_are_capped_per_quiz() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    for n in 1..=2 {
        let (status, view) = start(&app, &member.token, s.quiz_id).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(view["attempt_no"], n);
        submit(&app, &member.token, &view, Some(&format!("k{n}"))).await;
    }
    let res = app
        .post(
            &format!("/api/v1/quizzes/{}/attempts", s.quiz_id),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "attempts_exhausted"
    );
}

#[tokio::test]
async fn only_the_owner_reads_an_attempt_and_organizers_see_results_only() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let member = app.member(unit).await;
    let stranger = app.member(unit).await;
    let district_organizer = app
        .organizer(unit, app.unit_id("Thành Đoàn Châu Đốc").await)
        .await;
    let other_organizer = app
        .organizer(unit, app.unit_id("Huyện Đoàn Tri Tôn").await)
        .await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    let path = format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap());
    assert_eq!(
        app.get(&path, Some(&stranger.token)).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, Some(&district_organizer.token))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "not before the end"
    );
    let res = put_answers(&app, &stranger.token, &view, &json!({ "answers": [] })).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        submit(&app, &stranger.token, &view, Some("x"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    submit(&app, &member.token, &view, Some("k")).await;
    let seen: Value = app
        .get(&path, Some(&district_organizer.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(seen["result"].is_object());
    assert!(seen["questions"].as_array().unwrap().is_empty() && seen["review"].is_null());
    assert_eq!(
        app.get(&path, Some(&other_organizer.token)).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_course_is_completed_through_its_lessons_and_final_test() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let k = keys(&app, &s.admin).await;
    let course_id = s.course["id"].as_i64().unwrap();
    let lesson_1 = s.course["lessons"][0]["id"].as_i64().unwrap();
    let lesson_2 = s.course["lessons"][1]["id"].as_i64().unwrap();

    let res = app
        .post(
            &format!("/api/v1/lessons/{lesson_1}/complete"),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "quiz_required");
    // A failed quiz does not complete the lesson.
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 2)).await;
    let failed: Value = submit(&app, &member.token, &view, Some("a"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(failed["result"]["passed"], false);
    let progress: Value = app
        .get(
            &format!("/api/v1/courses/{course_id}/progress"),
            Some(&member.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["lessons_completed"], 0);

    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 5)).await;
    submit(&app, &member.token, &view, Some("b")).await;
    let res = app
        .post(
            &format!("/api/v1/lessons/{lesson_2}/complete"),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let progress: Value = res.json().await.unwrap();
    assert_eq!(progress["lessons_completed"], 2);
    assert_eq!(
        progress["completed"], false,
        "the final test is still to pass"
    );

    let (_, view) = start(&app, &member.token, s.final_id).await;
    assert_eq!(view["questions"].as_array().unwrap().len(), 8);
    put_answers(&app, &member.token, &view, &answers(&view, &k, 6)).await;
    submit(&app, &member.token, &view, Some("c")).await;
    let progress: Value = app
        .get(
            &format!("/api/v1/courses/{course_id}/progress"),
            Some(&member.token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(progress["completed"], true);
    let completions = entity::course_completions::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(completions.len(), 1);
    assert_eq!(completions[0].unit_name.as_deref(), Some("Đoàn xã Vĩnh Tế"));
}

#[tokio::test]
async fn courses_show_only_to_their_audience() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let res = app
        .post(
            "/api/v1/courses",
            Some(&s.admin.token),
            &course_json("chi-doan-vien-moi", json!(["new_member"])),
        )
        .await;
    let restricted: Value = res.json().await.unwrap();
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let list: Vec<Value> = app
        .get("/api/v1/courses", Some(&member.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["slug"], "khoa-thu");
    let res = app
        .get(
            &format!("/api/v1/courses/{}", restricted["id"]),
            Some(&member.token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let quiz = restricted["lessons"][0]["quiz_id"].as_i64().unwrap();
    let res = app
        .post(
            &format!("/api/v1/quizzes/{quiz}/attempts"),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn course_definitions_are_checked_against_the_banks() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let mut bad = course_json("qua-nhieu", json!([]));
    bad["lessons"][0]["quiz"]["draw"][0]["count"] = json!(50);
    let res = app
        .post("/api/v1/courses", Some(&s.admin.token), &bad)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_course");
    assert_eq!(body["error"]["details"][0]["at"], "lessons[bai-1].quiz");
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let res = app
        .post(
            "/api/v1/courses",
            Some(&member.token),
            &course_json("cua-toi", json!([])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_submit_body_that_does_not_parse_is_refused_not_ignored() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    let url = app.url(&format!(
        "/api/v1/attempts/{}/submit",
        view["attempt_id"].as_str().unwrap()
    ));
    let post = |body: &'static str, mime: Option<&'static str>| {
        let mut req = app.client.post(&url).bearer_auth(&member.token).body(body);
        if let Some(m) = mime {
            req = req.header("content-type", m);
        }
        req.send()
    };
    for (body, field) in [
        (r#"{"prediction":"12"}"#, "prediction"),
        (r#"{"prediction":1.5}"#, "prediction"),
        (r#"{"prediktion":12}"#, "prediktion"),
        (r#"[12]"#, "body"),
        (r#"{"prediction":"#, "body"),
    ] {
        let res = post(body, Some("application/json")).await.unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{body}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_body", "{body}");
        assert_eq!(err["error"]["field"], field, "{body}");
    }
    for mime in [Some("text/plain"), None] {
        let res = post(r#"{"prediction":12}"#, mime).await.unwrap();
        assert_eq!(
            error_code(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await,
            "unsupported_media_type"
        );
    }
    // Nothing of that was taken as a submit: the attempt is still open.
    let (_, again) = start(&app, &member.token, s.quiz_id).await;
    assert_eq!(again["state"], "open");
    // An empty body stays allowed (no prediction), with or without a content type.
    let res = post("", Some("application/json")).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res: Value = res.json().await.unwrap();
    assert_eq!(res["state"], "submitted");
}

/// Makes the lesson-progress table disappear (so recording progress fails) or come back.
async fn progress_table(app: &TestApp, present: bool) {
    use sea_orm::ConnectionTrait;
    let (from, to) = if present {
        ("lesson_progress_away", "lesson_progress")
    } else {
        ("lesson_progress", "lesson_progress_away")
    };
    app.state
        .db
        .execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .await
        .unwrap();
}

async fn lessons_completed(app: &TestApp, token: &str, course: &Value) -> Value {
    let progress: Value = app
        .get(
            &format!("/api/v1/courses/{}/progress", course["id"]),
            Some(token),
        )
        .await
        .json()
        .await
        .unwrap();
    progress["lessons_completed"].clone()
}

/// A submit whose progress could not be recorded: refused whole, the attempt still open.
async fn submit_while_progress_fails(app: &TestApp, s: &Setup, token: &str, key: &str) -> Value {
    let k = keys(app, &s.admin).await;
    let (_, view) = start(app, token, s.quiz_id).await;
    put_answers(app, token, &view, &answers(&view, &k, 5)).await;
    progress_table(app, false).await;
    let res = submit(app, token, &view, Some(key)).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    progress_table(app, true).await;
    assert_eq!(lessons_completed(app, token, &s.course).await, 0);
    let (_, again) = start(app, token, s.quiz_id).await;
    assert_eq!(
        again["attempt_id"], view["attempt_id"],
        "the attempt is not half-closed: it is still open"
    );
    assert_eq!(again["state"], "open");
    view
}

#[tokio::test]
async fn a_retried_submit_records_what_a_failed_one_left_undone() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let view = submit_while_progress_fails(&app, &s, &member.token, "nop-1").await;
    let res = submit(&app, &member.token, &view, Some("nop-1")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["result"]["passed"], true);
    assert_eq!(lessons_completed(&app, &member.token, &s.course).await, 1);
}

#[tokio::test]
async fn the_sweeper_closes_a_failed_submit_with_its_progress() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    submit_while_progress_fails(&app, &s, &member.token, "nop-1").await;
    attempts::sweep(&app.state).await.unwrap();
    assert_eq!(lessons_completed(&app, &member.token, &s.course).await, 0);
    // Past its deadline, the sweeper closes it with what was saved, and its progress.
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(attempts::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(lessons_completed(&app, &member.token, &s.course).await, 1);
}

/// The last write of a submit that completes a course (the certificates' event) fails: the
/// attempt stays open and neither the completion nor the grade is written.
#[tokio::test]
async fn a_submit_and_its_completion_records_commit_together() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let member = app.member(app.unit_id("Đoàn xã Vĩnh Tế").await).await;
    let k = keys(&app, &s.admin).await;
    let lesson_2 = s.course["lessons"][1]["id"].as_i64().unwrap();
    let (_, view) = start(&app, &member.token, s.quiz_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 5)).await;
    assert_eq!(
        submit(&app, &member.token, &view, Some("b")).await.status(),
        StatusCode::OK
    );
    let res = app
        .post(
            &format!("/api/v1/lessons/{lesson_2}/complete"),
            Some(&member.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    app.fail_writes_to("events", "INSERT").await;
    let (_, view) = start(&app, &member.token, s.final_id).await;
    put_answers(&app, &member.token, &view, &answers(&view, &k, 8)).await;
    let res = submit(&app, &member.token, &view, Some("c")).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let open = format!(
        "quiz_id = {} AND state = 'open' AND correct IS NULL",
        s.final_id
    );
    assert_eq!(
        app.count_rows("attempts", Some(&open)).await,
        1,
        "not half-closed"
    );
    assert_eq!(app.count_rows("course_completions", None).await, 0);
    let (_, again) = start(&app, &member.token, s.final_id).await;
    assert_eq!(again["attempt_id"], view["attempt_id"]);
}

/// An autosave writes `answers`, `revision` and `updated_at` only; no index of `attempts` may
/// hold one of them (as a key or in its condition), or every save on PostgreSQL writes a new
/// entry in each index instead of a heap-only update beside the row. The ended attempts whose
/// effects are pending are still found (through the partial index) and swept.
#[tokio::test]
async fn no_index_of_attempts_holds_a_column_a_save_writes() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let db = &app.state.db;
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index \
             WHERE indrelid = 'attempts'::regclass"
        }
        _ => {
            "SELECT sql AS def FROM sqlite_master WHERE type = 'index' \
              AND tbl_name = 'attempts' AND sql IS NOT NULL"
        }
    };
    let defs: Vec<String> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "def").unwrap().to_lowercase())
        .collect();
    assert!(
        defs.iter()
            .any(|d| d.contains("effects_pending") && d.contains("where")),
        "the partial index of pending effects is missing: {defs:?}"
    );
    for def in &defs {
        let words: Vec<&str> = def
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        for column in ["answers", "revision", "updated_at"] {
            assert!(
                !words.contains(&column),
                "an index holds {column}, which every save writes: {def}"
            );
        }
    }
    if db.get_database_backend() == DbBackend::Postgres {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT array_to_string(reloptions, ',') AS o FROM pg_class \
                 WHERE relname = 'attempts'",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get::<String>("", "o").unwrap(), "fillfactor=75");
    }
}

/// Saves sent all at once (on PostgreSQL they are committed in groups): each is answered for
/// its own attempt, none is lost, the saves of one attempt are applied one after another, and
/// a save refused (stale, someone else's attempt) is refused alone.
#[tokio::test]
async fn saves_sent_at_once_all_land_each_on_its_own_attempt() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app
        .open_test_round(&admin, "luu-cung-luc", "Lưu cùng lúc")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut people = Vec::new();
    for i in 0..8 {
        let (_, token) = app.participant(&format!("Người thi {i}"), unit).await;
        let res = app.start_attempt(&token, round).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let view: Value = res.json().await.unwrap();
        people.push((token, view));
    }
    let option = |p: usize, q: usize| ["a", "b", "c", "d"][(p + q) % 4];
    let app = &app;
    let mut saves = Vec::new();
    for (p, (token, view)) in people.iter().enumerate() {
        for (q, question) in view["questions"].as_array().unwrap().iter().enumerate() {
            let body = json!({ "answers": [{ "question_id": question["id"], "option_ids": [option(p, q)] }] });
            saves.push(async move { (p, put_answers(app, token, view, &body).await) });
        }
    }
    // Refused alone: a stale revision, and a save into someone else's attempt.
    let stale_body = json!({ "answers": [], "revision": 99 });
    let stale = put_answers(app, &people[0].0, &people[0].1, &stale_body);
    let foreign_body = json!({ "answers": [{ "question_id": people[2].1["questions"][0]["id"], "option_ids": ["d"] }] });
    let foreign = put_answers(app, &people[1].0, &people[2].1, &foreign_body);
    let held = hold_writes(app).await;
    let (done, stale, foreign, ()) = tokio::join!(
        futures_util::future::join_all(saves),
        stale,
        foreign,
        release(held)
    );
    assert_eq!(
        error_code(stale, StatusCode::CONFLICT).await,
        "stale_revision"
    );
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    if app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        assert!(
            app.state.saves.largest_group() > 1,
            "saves sent at once were written one by one"
        );
        // Operators see it in /metrics.
        let metrics = app.get("/metrics", None).await.text().await.unwrap();
        let grouped = metrics
            .lines()
            .find_map(|l| l.strip_prefix("attempt_writes_grouped_total{kind=\"save\"} "))
            .unwrap();
        assert!(grouped.parse::<u64>().unwrap() > 1, "{metrics}");
    }
    let mut revisions: HashMap<usize, Vec<i64>> = HashMap::new();
    for (p, res) in done {
        assert_eq!(res.status(), StatusCode::OK);
        let saved: Value = res.json().await.unwrap();
        revisions
            .entry(p)
            .or_default()
            .push(saved["revision"].as_i64().unwrap());
    }
    for (p, (token, view)) in people.iter().enumerate() {
        let questions = view["questions"].as_array().unwrap();
        let mut seen = revisions.remove(&p).unwrap();
        seen.sort();
        // One after another: the attempt's revisions are 1, 2, … with none taken twice.
        assert_eq!(seen, (1..=questions.len() as i64).collect::<Vec<_>>());
        let (now, saved) = read_back(app, token, view).await;
        assert_eq!(now["revision"], questions.len());
        assert_eq!(saved.len(), questions.len());
        for (q, question) in questions.iter().enumerate() {
            assert_eq!(
                saved[&question["id"].as_i64().unwrap()],
                json!([option(p, q)])
            );
        }
    }
}

/// A save the database refuses (here a trigger refuses any answer `d`) fails alone: the saves
/// sent with it, which may share its group on PostgreSQL, land, and its attempt keeps what
/// was saved before.
#[tokio::test]
async fn a_save_the_database_refuses_fails_alone() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app.open_test_round(&admin, "luu-hong", "Lưu hỏng").await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut people = Vec::new();
    for i in 0..6 {
        let (_, token) = app.participant(&format!("Người thi {i}"), unit).await;
        let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
        people.push((token, view));
    }
    let trigger = match app.state.db.get_database_backend() {
        sea_orm::DbBackend::Sqlite => "CREATE TRIGGER refuse_d BEFORE UPDATE ON attempts \
            WHEN NEW.answers LIKE '%\"d\"%' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            .to_owned(),
        _ => "CREATE OR REPLACE FUNCTION refuse_d() RETURNS trigger LANGUAGE plpgsql AS \
            $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$; \
            CREATE TRIGGER refuse_d BEFORE UPDATE ON attempts FOR EACH ROW \
            WHEN (NEW.answers LIKE '%\"d\"%') EXECUTE FUNCTION refuse_d();"
            .to_owned(),
    };
    sea_orm::ConnectionTrait::execute_unprepared(&app.state.db, &trigger)
        .await
        .unwrap();
    // Person 0 answers `d` to its first question; everyone else answers `a`, `b` or `c`.
    let pick = |p: usize, q: usize| {
        if p == 0 && q == 0 {
            "d"
        } else {
            ["a", "b", "c"][(p + q) % 3]
        }
    };
    let app = &app;
    let mut saves = Vec::new();
    for (p, (token, view)) in people.iter().enumerate() {
        for (q, question) in view["questions"].as_array().unwrap().iter().enumerate() {
            let body = json!({ "answers": [{ "question_id": question["id"], "option_ids": [pick(p, q)] }] });
            saves.push(async move { (p, q, put_answers(app, token, view, &body).await.status()) });
        }
    }
    for (p, q, status) in futures_util::future::join_all(saves).await {
        if (p, q) == (0, 0) {
            assert!(status.is_server_error(), "the refused save: {status}");
        } else {
            assert_eq!(status, StatusCode::OK, "person {p}, question {q}");
        }
    }
    for (p, (token, view)) in people.iter().enumerate() {
        let (_, saved) = read_back(app, token, view).await;
        for (q, question) in view["questions"].as_array().unwrap().iter().enumerate() {
            let got = saved.get(&question["id"].as_i64().unwrap());
            if (p, q) == (0, 0) {
                assert_eq!(got, None, "the refused answer is not kept");
            } else {
                assert_eq!(got, Some(&json!([pick(p, q)])), "person {p}, question {q}");
            }
        }
    }
}

/// Submits sent all at once (on PostgreSQL a round's submits are committed in groups): each
/// ends its own attempt with its own grade, a repeat with the same key returns the same
/// result, a submit into someone else's attempt is refused alone, and every one reaches the
/// board.
#[tokio::test]
async fn submits_sent_at_once_each_end_their_own_attempt() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let k = keys(&app, &admin).await;
    let round = app
        .open_test_round(&admin, "nop-cung-luc", "Nộp cùng lúc")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut people = Vec::new();
    for i in 0..8 {
        let (_, token) = app.participant(&format!("Người thi {i}"), unit).await;
        let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
        let right = i % (view["questions"].as_array().unwrap().len() + 1);
        let saved = put_answers(&app, &token, &view, &answers(&view, &k, right)).await;
        assert_eq!(saved.status(), StatusCode::OK);
        people.push((token, view, right));
    }
    let app = &app;
    let sends = people
        .iter()
        .enumerate()
        .map(|(p, (token, view, _))| async move {
            let key = format!("nop-{p}");
            (p, submit(app, token, view, Some(&key)).await)
        });
    // Alongside: the same key again for person 0, and person 1 into person 2's attempt.
    let repeat = submit(app, &people[0].0, &people[0].1, Some("nop-0"));
    let foreign = submit(app, &people[1].0, &people[2].1, Some("nop-ngoai"));
    let held = hold_writes(app).await;
    let (done, repeat, foreign, ()) = tokio::join!(
        futures_util::future::join_all(sends),
        repeat,
        foreign,
        release(held)
    );
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    let mut results = HashMap::new();
    for (p, res) in done {
        assert_eq!(res.status(), StatusCode::OK, "person {p}");
        let ended: Value = res.json().await.unwrap();
        assert_eq!(ended["state"], "submitted");
        assert_eq!(ended["result"]["closed_by"], "submit");
        assert_eq!(ended["result"]["correct"], people[p].2, "person {p}");
        results.insert(p, ended["result"].clone());
    }
    assert_eq!(repeat.status(), StatusCode::OK);
    let repeat: Value = repeat.json().await.unwrap();
    assert_eq!(repeat["result"], results[&0]);
    if app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        assert!(
            app.state.finishes.largest_group() > 1,
            "submits sent at once were written one by one"
        );
    }
    for (p, (token, view, right)) in people.iter().enumerate() {
        let (now, _) = read_back(app, token, view).await;
        assert_eq!(now["state"], "submitted", "person {p}");
        assert_eq!(now["result"]["correct"], *right, "person {p}");
    }
    let board: Value = app
        .get(
            &format!("/api/v1/rounds/{round}/leaderboard?limit=100"),
            Some(&people[0].0),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["total_participants"], people.len());
}

/// A submit grades from memory what this process saved (no read of the row), and when the
/// row changed unseen (another instance saved: here, a write straight to the database), the
/// end misses, and it reads the row and grades what that holds.
#[tokio::test]
async fn a_submit_grades_what_the_database_holds_even_after_a_save_elsewhere() {
    use soiduong::store::attempts::{AnswerPatch, save_answers};
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let k = keys(&app, &admin).await;
    let round = app
        .open_test_round(&admin, "nop-tu-bo-nho", "Nộp từ bộ nhớ")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let graded = || app.state.questions.attempts.graded_counts();

    // Saved here only, a question cleared on the way: graded from memory.
    let (_, token) = app.participant("Người thi A", unit).await;
    let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
    for right in [1, 3] {
        let res = put_answers(&app, &token, &view, &answers(&view, &k, right)).await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let first = view["questions"][0]["id"].clone();
    let clear = json!({ "answers": [{ "question_id": first, "option_ids": [] }] });
    let res = put_answers(&app, &token, &view, &clear).await;
    assert_eq!(res.status(), StatusCode::OK);
    let before = graded();
    let res = submit(&app, &token, &view, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended: Value = res.json().await.unwrap();
    assert_eq!(ended["result"]["correct"], 2);
    assert_eq!(graded(), (before.0 + 1, before.1), "graded from memory");
    let (now, saved) = read_back(&app, &token, &view).await;
    assert_eq!(now["result"]["correct"], 2);
    assert_eq!(saved.len(), 3);

    // Saved here, then elsewhere: the row is read, and its answers graded.
    let (user, token) = app.participant("Người thi B", unit).await;
    let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
    let res = put_answers(&app, &token, &view, &answers(&view, &k, 1)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let all_right: AnswerPatch = answers(&view, &k, 4)["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ids = a["option_ids"].as_array().unwrap();
            let ids = ids.iter().map(|o| o.as_str().unwrap().to_owned());
            (
                a["question_id"].as_i64().unwrap() as i32,
                Some(ids.collect()),
            )
        })
        .collect();
    let id: uuid::Uuid = view["attempt_id"].as_str().unwrap().parse().unwrap();
    let now = app.clock_now();
    let elsewhere = save_answers(&app.state.db, id, user, None, &all_right, now, now)
        .await
        .unwrap()
        .expect("the save elsewhere lands");
    assert_eq!(elsewhere.revision, 2);
    let before = graded();
    let res = submit(&app, &token, &view, Some("nop-b")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ended: Value = res.json().await.unwrap();
    assert_eq!(ended["result"]["correct"], 4);
    assert_eq!(graded(), (before.0, before.1 + 1), "graded from the row");
    // A repeat with the key: the attempt is forgotten in memory, the row says it ended.
    let res = submit(&app, &token, &view, Some("nop-b")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let repeat: Value = res.json().await.unwrap();
    assert_eq!(repeat["result"], ended["result"]);
}

/// The statement that ends a group of attempts on PostgreSQL keeps the conditions of an end
/// on its own: it ends an open attempt at the graded revision, and leaves alone one saved
/// since (stale) and one already ended.
#[tokio::test]
async fn a_group_of_ends_ends_only_what_an_end_alone_would() {
    use soiduong::store::{
        attempts::{AttemptState, ClosedBy, Finish},
        finishes::{End, PendingFinish},
        group::Kind,
    };
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite ends each attempt with a statement of its own.
    }
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app
        .open_test_round(&admin, "ket-thuc-nhom", "Kết thúc nhóm")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let (_, token) = app.participant(&format!("Người thi {i}"), unit).await;
        let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
        if i == 2 {
            assert_eq!(
                submit(&app, &token, &view, None).await.status(),
                StatusCode::OK
            );
        }
        ids.push(uuid::Uuid::parse_str(view["attempt_id"].as_str().unwrap()).unwrap());
    }
    let end = |id, revision| PendingFinish {
        id,
        finish: Finish {
            state: AttemptState::Submitted,
            closed_by: ClosedBy::Submit,
            at: app.clock_now(),
            correct: 3,
            passed: true,
            duration_ms: 1234,
            idempotency_key: Some("nhom".into()),
            prediction: Some(42),
            revision,
            effects_pending: true,
        },
    };
    let (fresh, stale, ended) = (end(ids[0], 0), end(ids[1], 7), end(ids[2], 0));
    let written = End::group(&app.state.db, vec![&fresh, &stale, &ended])
        .await
        .unwrap();
    assert_eq!(written.keys().collect::<Vec<_>>(), [&ids[0]]);
    let row = &written[&ids[0]];
    assert_eq!(
        (row.state.as_str(), row.closed_by.as_deref(), row.correct),
        ("submitted", Some("submit"), Some(3))
    );
    assert_eq!(
        (
            row.duration_ms,
            row.passed,
            row.prediction,
            row.effects_pending
        ),
        (Some(1234), Some(true), Some(42), true)
    );
    assert_eq!(row.idempotency_key.as_deref(), Some("nhom"));
    let at = row.submitted_at.unwrap() - fresh.finish.at;
    assert!(
        at.num_microseconds().unwrap().abs() <= 1,
        "submitted at {at}"
    );
    let stale_row = entity::attempts::Entity::find_by_id(ids[1])
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stale_row.state, "open");
}

/// Starts sent all at once (on PostgreSQL they are inserted in groups): each person gets an
/// attempt of their own, and a double tap sent with them resumes the same attempt.
#[tokio::test]
async fn starts_sent_at_once_each_get_their_own_attempt() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app
        .open_test_round(&admin, "bat-dau-cung-luc", "Bắt đầu cùng lúc")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut tokens = Vec::new();
    for i in 0..8 {
        tokens.push(app.participant(&format!("Người thi {i}"), unit).await.1);
    }
    let app = &app;
    let sends = tokens
        .iter()
        .enumerate()
        .map(|(p, token)| async move { (p, app.start_attempt(token, round).await) });
    let tap = async { (0, app.start_attempt(&tokens[0], round).await) };
    let held = hold_writes(app).await;
    let (mut done, tap, ()) =
        tokio::join!(futures_util::future::join_all(sends), tap, release(held));
    done.push(tap);
    let mut ids: HashMap<usize, Vec<String>> = HashMap::new();
    for (p, res) in done {
        assert!(res.status().is_success(), "person {p}: {}", res.status());
        let view: Value = res.json().await.unwrap();
        assert_eq!(view["state"], "open");
        let id = view["attempt_id"].as_str().unwrap().to_owned();
        ids.entry(p).or_default().push(id);
    }
    let taps = &ids[&0];
    assert_eq!(taps[0], taps[1], "a double tap resumes the same attempt");
    let distinct: std::collections::HashSet<&String> = ids.values().flatten().collect();
    assert_eq!(distinct.len(), tokens.len());
    if app.state.db.get_database_backend() == sea_orm::DbBackend::Postgres {
        assert!(
            app.state.starts.largest_group() > 1,
            "starts sent at once were inserted one by one"
        );
    }
}

/// The statement that inserts a group of starts on PostgreSQL keeps the conditions of a start
/// on its own: a person with an open attempt, or with no attempts left, gets none; the others
/// get theirs, numbered after their previous ones.
#[tokio::test]
async fn a_group_of_starts_starts_only_what_a_start_alone_would() {
    use soiduong::store::{attempts::Insert, group::Kind, starts::Start};
    let app = spawn_app().await;
    if app.state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return; // SQLite inserts each attempt with a statement of its own.
    }
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let round = app
        .open_test_round(&admin, "bat-dau-nhom", "Bắt đầu nhóm")
        .await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    // 0: never started; 1: has an open attempt; 2: submitted one.
    let mut people = Vec::new();
    let mut quiz = 0;
    for i in 0..3 {
        let (id, token) = app.participant(&format!("Người thi {i}"), unit).await;
        if i > 0 {
            let view: Value = app.start_attempt(&token, round).await.json().await.unwrap();
            let attempt = uuid::Uuid::parse_str(view["attempt_id"].as_str().unwrap()).unwrap();
            quiz = entity::attempts::Entity::find_by_id(attempt)
                .one(&app.state.db)
                .await
                .unwrap()
                .unwrap()
                .quiz_id;
            if i == 2 {
                assert_eq!(
                    submit(&app, &token, &view, None).await.status(),
                    StatusCode::OK
                );
            }
        }
        people.push(id);
    }
    let insert = |user, allowed| Insert {
        id: uuid::Uuid::new_v4(),
        quiz_id: quiz,
        user_id: user,
        unit_id: Some(unit as i32),
        started_at: app.clock_now(),
        deadline: app.clock_now() + chrono::Duration::minutes(10),
        paper: "[]".into(),
        total: 0,
        practice: false,
        allowed,
    };
    // Person 2 is refused with one attempt allowed, and starts a second with no cap.
    let jobs = [
        insert(people[0], 1),
        insert(people[1], 0),
        insert(people[2], 1),
    ];
    let written = Start::group(&app.state.db, jobs.iter().collect())
        .await
        .unwrap();
    assert_eq!(written.keys().collect::<Vec<_>>(), [&(people[0], quiz)]);
    let row = &written[&(people[0], quiz)];
    assert_eq!(
        (row.id, row.attempt_no, row.state.as_str()),
        (jobs[0].id, 1, "open")
    );
    assert_eq!(
        (row.revision, row.answers.as_str(), row.effects_pending),
        (0, "{}", false)
    );
    let again = insert(people[2], 0);
    let written = Start::group(&app.state.db, vec![&again, &insert(people[1], 0)])
        .await
        .unwrap();
    assert_eq!(written.len(), 1);
    assert_eq!(written[&(people[2], quiz)].attempt_no, 2);
}
