//! Contests as participants play them: rounds, boards, tie-breaks, prizes, concurrency.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use soiduong::{
    services::{boards, contests},
    store,
};
use uuid::Uuid;

use crate::{
    attempts::keys,
    helpers::{Account, OwnRedis, TestApp, error_code, open_round_body, spawn_app, spawn_app_with},
};

struct Setup {
    admin: Account,
    contest: Value,
    round: i64,
}

async fn setup(app: &TestApp, prizes: Value, attempts: u32) -> Setup {
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let contest = app
        .create_contest(
            &admin,
            &json!({ "slug": "anh-sang-soi-duong", "title": "Ánh sáng soi đường", "owner_unit_id": province,
                     "prizes": prizes }),
        )
        .await;
    let mut body = open_round_body(app.clock_now(), attempts);
    body["prediction_question"] = json!("Có bao nhiêu người trả lời đúng tất cả các câu?");
    let round = app.create_round(&admin, &contest["id"], &body).await;
    assert_eq!(round["state"], "open");
    Setup {
        admin,
        contest,
        round: round["id"].as_i64().unwrap(),
    }
}

/// A round called `title` of 4 questions of the test bank, 10 minutes a try.
fn round_body(
    title: &str,
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    attempts_allowed: u64,
) -> Value {
    json!({ "title": title, "opens_at": opens_at, "closes_at": closes_at,
            "draw": [{ "bank": "thu-nghiem", "count": 4 }], "time_limit_minutes": 10,
            "attempts_allowed": attempts_allowed })
}

/// The holder of `token` adds the round `body` to the contest whose id is `contest`.
async fn add_round(app: &TestApp, token: &str, contest: &Value, body: Value) -> reqwest::Response {
    app.post(
        &format!("/api/v1/contests/{contest}/rounds"),
        Some(token),
        &body,
    )
    .await
}

async fn start(app: &TestApp, token: &str, round: i64) -> Value {
    let res = app.start_attempt(token, round).await;
    assert!(res.status().is_success(), "{}", res.status());
    res.json().await.unwrap()
}

async fn play(
    app: &TestApp,
    token: &str,
    view: &Value,
    k: &HashMap<i64, Vec<String>>,
    right: usize,
    prediction: Option<i64>,
    key: &str,
) -> Value {
    let body = crate::attempts::answers(view, k, right);
    let path = format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap());
    let res = app
        .send(
            reqwest::Method::PUT,
            &format!("{path}/answers"),
            Some(token),
            &body,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let mut req = app
        .client
        .post(app.url(&format!("{path}/submit")))
        .bearer_auth(token)
        .header("Idempotency-Key", key);
    if let Some(p) = prediction {
        req = req.json(&json!({ "prediction": p }));
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

fn assert_no_personal_data(v: &Value) {
    let text = v.to_string();
    for needle in [
        "+849",
        "@example.vn",
        "2009-04-30",
        "phone",
        "email",
        "birth",
    ] {
        assert!(!text.contains(needle), "`{needle}` in {text}");
    }
}

#[tokio::test]
async fn a_round_is_ranked_by_the_full_tie_break_chain_and_prizes_respect_the_cap() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [{ "name": "Giải Nhất", "count": 1 }, { "name": "Giải Nhì", "count": 2 },
                                          { "name": "Giải Ba", "count": 3 }, { "name": "Giải Khuyến khích", "count": 10 }],
                                "max_share_percent": 20 }), 2).await;
    let k = keys(&app, &s.admin).await;
    let units = [
        app.unit_id("Đoàn xã Vĩnh Tế").await,
        app.unit_id("Đoàn phường Mỹ Bình").await,
        app.unit_id("Đoàn xã Núi Tô").await,
    ];
    // (correct, prediction, seconds taken). Groups share a score so that each later step decides.
    let plan: Vec<(usize, Option<i64>, i64)> = vec![
        (4, Some(9), 100),
        (4, Some(9), 100),
        (4, Some(9), 80),
        (4, Some(7), 300),
        (4, None, 10),
        (4, Some(20), 50),
        (3, Some(9), 60),
        (3, Some(9), 60),
        (3, Some(12), 30),
        (3, None, 20),
        (3, Some(9), 200),
        (2, Some(9), 100),
        (2, Some(9), 100),
        (2, Some(8), 100),
        (2, Some(3), 40),
        (2, None, 90),
        (1, Some(9), 100),
        (1, Some(10), 100),
        (1, Some(9), 50),
        (1, None, 5),
        (0, Some(9), 100),
        (0, Some(9), 100),
        (0, Some(100), 10),
        (4, Some(9), 100),
        (3, Some(9), 60),
        (2, Some(9), 100),
        (1, Some(9), 100),
        (0, None, 1),
        (4, Some(10), 100),
        (3, Some(8), 60),
    ];
    assert_eq!(plan.len(), 30);
    let names = [
        "Nguyễn Văn An",
        "Trần Thị Bình",
        "Lê Hoàng Chi",
        "Phạm Minh Dũng",
        "Võ Thị Đào",
    ];
    let mut people = Vec::new();
    for (i, (right, prediction, secs)) in plan.iter().enumerate() {
        let (id, token) = app.participant(names[i % names.len()], units[i % 3]).await;
        // A weaker first attempt for some: the best one counts.
        if i % 7 == 0 && *right > 0 {
            let first = start(&app, &token, s.round).await;
            app.clock.advance(Duration::seconds(5));
            play(
                &app,
                &token,
                &first,
                &k,
                right - 1,
                Some(1),
                &format!("first-{i}"),
            )
            .await;
        }
        let view = start(&app, &token, s.round).await;
        app.clock.advance(Duration::seconds(*secs));
        let result = play(
            &app,
            &token,
            &view,
            &k,
            *right,
            *prediction,
            &format!("k-{i}"),
        )
        .await;
        assert_eq!(result["result"]["correct"], *right as i64);
        people.push((id, *right, *prediction, secs * 1000, i));
        app.clock.advance(Duration::milliseconds(10));
    }

    // The live board already orders by correct, then time.
    let board: Value = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard?limit=100", s.round),
            Some(&app.token_for(people[0].0)),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["total_participants"], 30);
    assert_eq!(board["entries"][0]["correct"], 4);
    assert_no_personal_data(&board);

    // Independent expectation: the true figure, then the tie-break chain.
    let truth = people.iter().filter(|p| p.1 == 4).count() as i64;
    let mut expected = people.clone();
    expected.sort_by_key(|(_, right, prediction, ms, order)| {
        (
            std::cmp::Reverse(*right),
            prediction.map_or(i64::MAX, |p| (p - truth).abs()),
            *ms,
            *order,
        )
    });

    // The clock has moved on past the admin's first token.
    let admin = app.token_for(s.admin.id);
    let res = app
        .get(&format!("/api/v1/rounds/{}/results", s.round), Some(&admin))
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "results_not_ready"
    );
    app.clock.advance(Duration::hours(7));
    assert!(
        contests::finalise(&app.state, s.round as i32)
            .await
            .unwrap()
    );
    assert!(
        !contests::finalise(&app.state, s.round as i32)
            .await
            .unwrap(),
        "finalising twice changes nothing"
    );

    let results: Value = app
        .get(&format!("/api/v1/rounds/{}/results", s.round), Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(results["true_figure"], truth);
    assert_no_personal_data(&results);
    let rows = results["entries"].as_array().unwrap();
    assert_eq!(rows.len(), 30);
    let stored = store::contests::results(&app.state.db, s.round as i32)
        .await
        .unwrap();
    let got: Vec<Uuid> = stored.iter().map(|r| r.user_id).collect();
    let want: Vec<Uuid> = expected.iter().map(|p| p.0).collect();
    if got != want {
        let index: HashMap<Uuid, usize> = people.iter().map(|p| (p.0, p.4)).collect();
        for r in &stored {
            eprintln!(
                "rank {} #{} correct {} pred {:?} err {:?} dur {} time {} sub {}",
                r.rank,
                index[&r.user_id],
                r.correct,
                r.prediction,
                r.prediction_error,
                r.duration_ms,
                r.time_ms,
                r.submitted_at
            );
        }
        eprintln!(
            "want: {:?}",
            expected.iter().map(|p| p.4).collect::<Vec<_>>()
        );
    }
    assert_eq!(
        got, want,
        "the final board follows correct → prediction → time → submission"
    );
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["rank"], i as i64 + 1);
        assert!(
            row["display_name"].as_str().unwrap().ends_with('.'),
            "masked: {}",
            row["display_name"]
        );
    }
    // 20% of 30 participants: six prizes at most, in tier order from the top.
    let prizes: Vec<&str> = results["prizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["prize"].as_str().unwrap())
        .collect();
    assert_eq!(
        prizes,
        [
            "Giải Nhất",
            "Giải Nhì",
            "Giải Nhì",
            "Giải Ba",
            "Giải Ba",
            "Giải Ba"
        ]
    );
    assert_eq!(results["prizes"][0]["rank"], 1);

    // Organizers export the winners with contact details.
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/results?format=csv", s.round)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    assert!(text.contains("Điện thoại") && text.contains("@example.vn"));
    let xlsx = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/results?format=xlsx", s.round)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
    let participant_token = app.token_for(people[3].0);
    let res = app
        .client
        .get(app.url(&format!("/api/v1/rounds/{}/results?format=csv", s.round)))
        .bearer_auth(&participant_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "contact details are for organizers only"
    );

    // The unit board counts each participant once, in their unit.
    let units_board: Value = app
        .get(
            &format!(
                "/api/v1/contests/{}/unit-leaderboard?level=3",
                s.contest["id"]
            ),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    let total: i64 = units_board["by_participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["participants"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 30);
    assert_eq!(units_board["by_participants"][0]["participants"], 10);
}

#[tokio::test]
async fn rounds_refuse_with_clear_errors() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let (_, token) = app
        .participant("Đỗ Văn Em", app.unit_id("Đoàn xã Vĩnh Tế").await)
        .await;
    let k = keys(&app, &s.admin).await;
    let view = start(&app, &token, s.round).await;
    play(&app, &token, &view, &k, 2, None, "a").await;
    let res = app.start_attempt(&token, s.round).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "no_attempts_left"
    );
    let contest: Value = app
        .get(
            &format!("/api/v1/contests/{}", s.contest["id"]),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contest["rounds"][0]["attempts_left"], 0);
    // Rules freeze once the round is open.
    let res = app
        .patch(
            &format!("/api/v1/rounds/{}", s.round),
            Some(&s.admin.token),
            &json!({ "attempts_allowed": 5 }),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "round_frozen");
    let res = app
        .patch(
            &format!("/api/v1/rounds/{}", s.round),
            Some(&s.admin.token),
            &json!({ "title": "Tuần một" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // A round that has not opened yet.
    let now = app.clock_now();
    let res = add_round(
        &app,
        &s.admin.token,
        &s.contest["id"],
        round_body(
            "Tuần 2",
            now + Duration::days(7),
            now + Duration::days(14),
            2,
        ),
    )
    .await;
    let next: Value = res.json().await.unwrap();
    assert_eq!(next["state"], "upcoming");
    let res = app.start_attempt(&token, &next["id"]).await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "round_not_open"
    );
    // A contest for another district's members.
    let admin = &s.admin;
    let tri_ton = app.unit_id("Huyện Đoàn Tri Tôn").await;
    let res = app
        .post("/api/v1/contests", Some(&admin.token), &json!({ "slug": "tri-ton", "title": "Tìm hiểu Tri Tôn", "owner_unit_id": tri_ton, "audience": { "units": [tri_ton] } }))
        .await;
    let local: Value = res.json().await.unwrap();
    let res = add_round(
        &app,
        &admin.token,
        &local["id"],
        round_body(
            "Tuần 1",
            now - Duration::hours(1),
            now + Duration::days(1),
            2,
        ),
    )
    .await;
    let local_round: Value = res.json().await.unwrap();
    let res = app.start_attempt(&token, &local_round["id"]).await;
    assert_eq!(
        error_code(res, StatusCode::FORBIDDEN).await,
        "not_in_audience"
    );
    // An organizer of another district cannot run this district's contest.
    let other = app
        .organizer(
            app.unit_id("Đoàn xã Vĩnh Tế").await,
            app.unit_id("Thành Đoàn Châu Đốc").await,
        )
        .await;
    let res = app
        .patch(
            &format!("/api/v1/contests/{}", local["id"]),
            Some(&other.token),
            &json!({ "title": "Đổi tên" }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn fifty_concurrent_submits_with_one_key_grade_once() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 2).await;
    let k = keys(&app, &s.admin).await;
    let (id, token) = app
        .participant("Hồ Thị Giang", app.unit_id("Đoàn xã Vĩnh Tế").await)
        .await;
    let view = start(&app, &token, s.round).await;
    let path = format!("/api/v1/attempts/{}", view["attempt_id"].as_str().unwrap());
    app.send(
        reqwest::Method::PUT,
        &format!("{path}/answers"),
        Some(&token),
        &crate::attempts::answers(&view, &k, 3),
    )
    .await;
    let submits = (0..50).map(|_| {
        app.client
            .post(app.url(&format!("{path}/submit")))
            .bearer_auth(&token)
            .header("Idempotency-Key", "mot-lan")
            .send()
    });
    let results = futures_util::future::join_all(submits).await;
    let mut bodies = Vec::new();
    for r in results {
        let r = r.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        bodies.push(r.json::<Value>().await.unwrap()["result"].clone());
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    let attempts =
        store::attempts::of_user(&app.state.db, id, view["quiz_id"].as_i64().unwrap() as i32)
            .await
            .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].correct, Some(3));
    assert_eq!(
        app.state
            .boards
            .count(&boards::board_key(s.round as i32))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn two_hundred_concurrent_participants_make_two_hundred_entries() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut tokens = Vec::new();
    for i in 0..200 {
        tokens.push(app.participant(&format!("Người Thi {i}"), unit).await.1);
    }
    let app = &app;
    let plays = tokens.iter().map(|t| async move {
        let view = start(app, t, s.round).await;
        let path = format!(
            "/api/v1/attempts/{}/submit",
            view["attempt_id"].as_str().unwrap()
        );
        app.client
            .post(app.url(&path))
            .bearer_auth(t)
            .header("Idempotency-Key", "k")
            .send()
            .await
            .unwrap()
            .status()
    });
    let statuses = futures_util::future::join_all(plays).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK));
    let board: Value = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard?limit=200", s.round),
            Some(&tokens[0]),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(board["total_participants"], 200);
    assert_eq!(board["entries"].as_array().unwrap().len(), 200);
}

#[tokio::test]
async fn a_lost_board_is_rebuilt_the_same_from_the_database() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 2).await;
    let k = keys(&app, &s.admin).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let mut first = String::new();
    for i in 0..12 {
        let (_, token) = app.participant(&format!("Lâm Văn {i}"), unit).await;
        let view = start(&app, &token, s.round).await;
        app.clock.advance(Duration::seconds(10 + i));
        play(&app, &token, &view, &k, (i % 5) as usize, None, "k").await;
        if i == 0 {
            first = token;
        }
    }
    let path = format!("/api/v1/rounds/{}/leaderboard?limit=50", s.round);
    let before: Value = app.get(&path, Some(&first)).await.json().await.unwrap();
    let me_before: Value = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard/me", s.round),
            Some(&first),
        )
        .await
        .json()
        .await
        .unwrap();
    // Redis loses the board (a flush of this deployment's keys, or a restart without disk).
    app.state
        .boards
        .remove(&boards::board_key(s.round as i32))
        .await
        .unwrap();
    let after: Value = app.get(&path, Some(&first)).await.json().await.unwrap();
    assert_eq!(before, after, "the automatic rebuild gives the same board");
    let me_after: Value = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard/me", s.round),
            Some(&first),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me_before, me_after);
    assert!(me_after["entry"]["rank"].as_i64().unwrap() >= 1);
    let rebuilt = boards::rebuild(&app.state, &[s.round as i32])
        .await
        .unwrap();
    assert_eq!(rebuilt, vec![(s.round as i32, 12)]);
    let again: Value = app.get(&path, Some(&first)).await.json().await.unwrap();
    assert_eq!(before, again, "the explicit rebuild too");
}

/// While Redis is down, submissions still succeed and board reads say so clearly; when it is
/// back, the board catches up. Runs where a `redis-server` binary is installed (CI installs
/// one), on a server of its own so the shared one is left alone.
#[tokio::test]
async fn boards_answer_503_while_redis_is_down_and_catch_up_after() {
    let Some(redis) = OwnRedis::start() else {
        assert!(
            std::env::var("TEST_REDIS_URL").is_err(),
            "redis-server must be installed where TEST_REDIS_URL is set"
        );
        return;
    };
    let url = redis.url();
    let app = crate::helpers::spawn_app_with(|s| s.redis_url = Some(url)).await;
    let s = setup(&app, json!({ "tiers": [] }), 2).await;
    let k = keys(&app, &s.admin).await;
    let (_, token) = app
        .participant("Cao Thị Hạnh", app.unit_id("Đoàn xã Vĩnh Tế").await)
        .await;
    let view = start(&app, &token, s.round).await;

    let mut redis = redis;
    redis.stop();
    let result = play(&app, &token, &view, &k, 3, Some(4), "k").await;
    assert_eq!(
        result["result"]["correct"], 3,
        "the submission is recorded while Redis is down"
    );
    let res = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard", s.round),
            Some(&token),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::SERVICE_UNAVAILABLE).await,
        "leaderboard_unavailable"
    );

    redis.restart();
    let mut board = Value::Null;
    for _ in 0..50 {
        let res = app
            .get(
                &format!("/api/v1/rounds/{}/leaderboard", s.round),
                Some(&token),
            )
            .await;
        if res.status() == StatusCode::OK {
            board = res.json().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        board["total_participants"], 1,
        "the board caught up: {board}"
    );
    assert_eq!(board["entries"][0]["correct"], 3);
}

async fn board_of(app: &TestApp, round: i64, token: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/rounds/{round}/leaderboard?limit=100"),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn people_who_can_read_the_keys_take_only_unranked_practice_attempts() {
    let app = spawn_app().await;
    let s = setup(
        &app,
        json!({ "tiers": [{ "name": "Giải Nhất", "count": 1 }] }),
        2,
    )
    .await;
    let k = keys(&app, &s.admin).await;
    // The bank belongs to the province: its organizers read the keys and run the contest.
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let insider = app.organizer(province, province).await;
    // A commune organizer reads neither the bank nor runs the contest: an ordinary entrant.
    let commune = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let outsider = app.organizer(commune, commune).await;
    let (member, member_token) = app.participant("Lê Văn Tám", commune).await;

    let view = start(&app, &insider.token, s.round).await;
    let done = play(&app, &insider.token, &view, &k, 4, Some(1), "insider").await;
    assert_eq!(done["result"]["correct"], 4);
    let view = start(&app, &s.admin.token, s.round).await;
    play(&app, &s.admin.token, &view, &k, 4, Some(1), "admin").await;
    let view = start(&app, &outsider.token, s.round).await;
    play(&app, &outsider.token, &view, &k, 3, Some(1), "outsider").await;
    let view = start(&app, &member_token, s.round).await;
    play(&app, &member_token, &view, &k, 2, Some(1), "member").await;

    let board = board_of(&app, s.round, &member_token).await;
    assert_eq!(board["total_participants"], 2, "{board}");
    assert_eq!(board["entries"][0]["correct"], 3);
    let res = app
        .get(
            &format!("/api/v1/rounds/{}/leaderboard/me", s.round),
            Some(&insider.token),
        )
        .await;
    let mine: Value = res.json().await.unwrap();
    assert!(mine["entry"].is_null(), "{mine}");

    // A rebuilt board and the final ranking come from the database: still without them.
    let key = soiduong::services::boards::board_key(s.round as i32);
    app.state.boards.remove(&key).await.unwrap();
    soiduong::services::boards::rebuild(&app.state, &[s.round as i32])
        .await
        .unwrap();
    let rebuilt = app.state.boards.page(&key, 0, 10).await.unwrap();
    assert_eq!(rebuilt.len(), 2);
    app.clock.advance(Duration::hours(7));
    assert!(
        contests::finalise(&app.state, s.round as i32)
            .await
            .unwrap()
    );
    let rows = store::contests::results(&app.state.db, s.round as i32)
        .await
        .unwrap();
    let ranked: Vec<Uuid> = rows.iter().map(|r| r.user_id).collect();
    assert_eq!(ranked, vec![outsider.id, member]);
    assert_eq!(rows[0].prize.as_deref(), Some("Giải Nhất"));
}

#[tokio::test]
async fn ranking_and_prizes_freeze_once_a_round_has_opened() {
    let app = spawn_app().await;
    let s = setup(
        &app,
        json!({ "tiers": [{ "name": "Giải Nhất", "count": 1 }] }),
        2,
    )
    .await;
    let path = format!("/api/v1/contests/{}", s.contest["id"]);
    let res = app
        .patch(
            &path,
            Some(&s.admin.token),
            &json!({ "ranking": { "time_mode": "since_opening" } }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "contest_frozen"
    );
    let res = app
        .patch(
            &path,
            Some(&s.admin.token),
            &json!({ "prizes": { "tiers": [{ "name": "Giải Nhất", "count": 50 }], "max_share_percent": 100 } }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::CONFLICT).await,
        "contest_frozen"
    );
    // Other fields still change, and sending the rules unchanged is no change.
    let res = app
        .patch(
            &path,
            Some(&s.admin.token),
            &json!({ "title": "Ánh sáng soi đường 2026", "ranking": s.contest["ranking"] }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let contest: Value = app
        .get(&path, Some(&s.admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contest["ranking"]["time_mode"], "duration");
    assert_eq!(contest["prizes"]["tiers"][0]["count"], 1);

    // A contest whose only round has not opened yet may still change its rules.
    let later = app
        .province_contest(&s.admin, "sau-nay", "Cuộc thi sau này")
        .await;
    let now = app.clock_now();
    let res = add_round(
        &app,
        &s.admin.token,
        &later["id"],
        round_body(
            "Tuần 1",
            now + Duration::days(1),
            now + Duration::days(2),
            1,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = app
        .patch(
            &format!("/api/v1/contests/{}", later["id"]),
            Some(&s.admin.token),
            &json!({ "ranking": { "time_mode": "since_opening" } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_live_board_keeps_one_score_encoding_through_a_ranking_change_attempt() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let k = keys(&app, &s.admin).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let (_, first) = app.participant("Nguyễn Văn An", unit).await;
    let (_, second) = app.participant("Trần Thị Bình", unit).await;
    let view = start(&app, &first, s.round).await;
    app.clock.advance(Duration::seconds(30));
    play(&app, &first, &view, &k, 2, None, "a").await;
    // An hour into the round: time since opening would dwarf every duration.
    app.clock.advance(Duration::hours(1));
    let res = app
        .patch(
            &format!("/api/v1/contests/{}", s.contest["id"]),
            Some(&app.token_for(s.admin.id)),
            &json!({ "ranking": { "time_mode": "since_opening" } }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let view = start(&app, &second, s.round).await;
    app.clock.advance(Duration::seconds(60));
    play(&app, &second, &view, &k, 2, None, "b").await;
    let board = board_of(&app, s.round, &first).await;
    let times: Vec<i64> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["duration_ms"].as_i64().unwrap())
        .collect();
    // Both scored by duration: 30 s first, 60 s second.
    assert_eq!(times, vec![30_000, 60_000], "{board}");
}

#[tokio::test]
async fn a_closed_round_never_reopens() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let path = format!("/api/v1/rounds/{}", s.round);
    // While open, the close may still move later.
    let round: Value = app
        .get(
            &format!("/api/v1/contests/{}", s.contest["id"]),
            Some(&s.admin.token),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["rounds"][0]
        .clone();
    let closes: chrono::DateTime<chrono::Utc> =
        round["closes_at"].as_str().unwrap().parse().unwrap();
    let res = app
        .patch(
            &path,
            Some(&s.admin.token),
            &json!({ "closes_at": closes + Duration::hours(1) }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.clock.advance(Duration::hours(8));
    let admin = app.token_for(s.admin.id);
    let res = app
        .patch(
            &path,
            Some(&admin),
            &json!({ "closes_at": app.clock_now() + Duration::days(1) }),
        )
        .await;
    assert_eq!(error_code(res, StatusCode::CONFLICT).await, "round_closed");
    let contest: Value = app
        .get(
            &format!("/api/v1/contests/{}", s.contest["id"]),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(contest["rounds"][0]["state"], "closed");
}

#[tokio::test]
async fn finalising_waits_for_the_grace_and_a_submit_within_it_counts() {
    let app = spawn_app_with(|s| s.attempt_grace = std::time::Duration::from_secs(5)).await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let k = keys(&app, &s.admin).await;
    let (id, token) = app
        .participant("Phạm Minh Dũng", app.unit_id("Đoàn phường Núi Sam").await)
        .await;
    // The attempt starts 5 minutes before the close: its deadline is the close.
    app.clock.advance(Duration::hours(6) - Duration::minutes(6));
    let view = start(&app, &token, s.round).await;
    app.clock
        .advance(Duration::minutes(6) + Duration::seconds(2));
    assert_eq!(contests::finalise_due(&app.state).await.unwrap(), 0);
    assert!(
        !contests::finalise(&app.state, s.round as i32)
            .await
            .unwrap()
    );
    let token = app.token_for(id);
    let done = play(&app, &token, &view, &k, 3, Some(7), "in-grace").await;
    assert_eq!(done["result"]["correct"], 3);
    app.clock.advance(Duration::seconds(10));
    assert_eq!(contests::finalise_due(&app.state).await.unwrap(), 1);
    let rows = store::contests::results(&app.state.db, s.round as i32)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].correct, rows[0].prediction), (3, Some(7)));
}

#[tokio::test]
async fn concurrent_round_adds_get_distinct_numbers_and_leave_no_orphan_quiz() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let now = app.clock_now();
    let adds = (0..8).map(|i| {
        let app = &app;
        let token = s.admin.token.clone();
        let contest = s.contest["id"].clone();
        async move {
            let title = format!("Tuần {}", i + 2);
            let opens_at = now + Duration::days(i + 1);
            let body = round_body(&title, opens_at, opens_at + Duration::days(1), 1);
            add_round(app, &token, &contest, body).await
        }
    });
    let results = futures_util::future::join_all(adds).await;
    let mut numbers = Vec::new();
    for res in results {
        assert_eq!(res.status(), StatusCode::CREATED);
        numbers.push(
            res.json::<Value>().await.unwrap()["number"]
                .as_i64()
                .unwrap(),
        );
    }
    numbers.sort();
    assert_eq!(numbers, (2..=9).collect::<Vec<i64>>());
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let quizzes = entity::quizzes::Entity::find()
        .filter(entity::quizzes::Column::Kind.eq(entity::quizzes::QuizKind::ContestRound))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(quizzes, 9, "one quiz a round, none orphaned");
}

#[tokio::test]
async fn attempts_allowed_out_of_range_is_refused() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let now = app.clock_now();
    for n in [4_294_967_295_u64, 2_147_483_648, 101] {
        let res = add_round(
            &app,
            &s.admin.token,
            &s.contest["id"],
            round_body(
                "Tuần 2",
                now + Duration::days(7),
                now + Duration::days(8),
                n,
            ),
        )
        .await;
        assert_eq!(
            error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
            "invalid_attempts_allowed",
            "{n}"
        );
    }
    let res = add_round(
        &app,
        &s.admin.token,
        &s.contest["id"],
        round_body(
            "Tuần 2",
            now + Duration::days(7),
            now + Duration::days(8),
            0,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let upcoming: Value = res.json().await.unwrap();
    assert_eq!(upcoming["attempts_allowed"], 0);
    let res = app
        .patch(
            &format!("/api/v1/rounds/{}", upcoming["id"]),
            Some(&s.admin.token),
            &json!({ "attempts_allowed": 4_294_967_295_u64 }),
        )
        .await;
    assert_eq!(
        error_code(res, StatusCode::UNPROCESSABLE_ENTITY).await,
        "invalid_attempts_allowed"
    );
}

#[tokio::test]
async fn the_finaliser_goes_on_past_a_failing_round() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let k = keys(&app, &s.admin).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let now = app.clock_now();
    // A second round that closes later than the first.
    let res = add_round(
        &app,
        &s.admin.token,
        &s.contest["id"],
        round_body(
            "Tuần 2",
            now - Duration::minutes(1),
            now + Duration::hours(7),
            1,
        ),
    )
    .await;
    let second: Value = res.json().await.unwrap();
    let (_, broken) = app.participant("Võ Thị Đào", unit).await;
    let (_, fine) = app.participant("Nguyễn Văn An", unit).await;
    // An attempt left open in the first round, its paper damaged: the first round cannot
    // be finalised.
    let view = start(&app, &broken, s.round).await;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let id: Uuid = view["attempt_id"].as_str().unwrap().parse().unwrap();
    let mut row: entity::attempts::ActiveModel = store::attempts::find(&app.state.db, id)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.paper = Set("not json".into());
    row.update(&app.state.db).await.unwrap();
    let view = start(&app, &fine, second["id"].as_i64().unwrap()).await;
    play(&app, &fine, &view, &k, 2, None, "fine").await;

    app.clock.advance(Duration::hours(8));
    assert_eq!(contests::finalise_due(&app.state).await.unwrap(), 1);
    let first = store::contests::round(&app.state.db, s.round as i32)
        .await
        .unwrap()
        .unwrap();
    assert!(first.finalised_at.is_none());
    let second = store::contests::round(&app.state.db, second["id"].as_i64().unwrap() as i32)
        .await
        .unwrap()
        .unwrap();
    assert!(second.finalised_at.is_some());
}

/// Adds a second round to the setup's contest, a week ahead.
async fn add_upcoming_round(app: &TestApp, s: &Setup) -> reqwest::Response {
    let now = app.clock_now();
    add_round(
        app,
        &s.admin.token,
        &s.contest["id"],
        round_body(
            "Tuần 2",
            now + Duration::days(7),
            now + Duration::days(8),
            1,
        ),
    )
    .await
}

/// Adding a round writes its quiz, then the round: when the round cannot be written, the
/// quiz is not left behind.
#[tokio::test]
async fn a_round_add_that_fails_at_its_last_write_leaves_no_quiz() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let round_quizzes = "kind = 'contest_round'";
    assert_eq!(app.count_rows("quizzes", Some(round_quizzes)).await, 1);
    app.fail_writes_to("rounds", "INSERT").await;
    let res = add_upcoming_round(&app, &s).await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(app.count_rows("quizzes", Some(round_quizzes)).await, 1);
    assert_eq!(app.count_rows("rounds", None).await, 1);
}

/// Changing a round writes its quiz (time limit, draw), then the round: when the round
/// cannot be written, the quiz keeps its old rules.
#[tokio::test]
async fn a_round_change_that_fails_at_its_last_write_leaves_the_quiz_as_it_was() {
    let app = spawn_app().await;
    let s = setup(&app, json!({ "tiers": [] }), 1).await;
    let res = add_upcoming_round(&app, &s).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let upcoming: Value = res.json().await.unwrap();
    app.fail_writes_to("rounds", "UPDATE").await;
    let res = app
        .patch(
            &format!("/api/v1/rounds/{}", upcoming["id"]),
            Some(&s.admin.token),
            &json!({ "title": "Tuần hai", "time_limit_minutes": 20, "attempts_allowed": 3 }),
        )
        .await;
    assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        app.count_rows(
            "quizzes",
            Some("time_limit_secs = 1200 OR attempts_allowed = 3")
        )
        .await,
        0
    );
    assert_eq!(
        app.count_rows("rounds", Some("title = 'Tuần hai'")).await,
        0
    );
}

/// Finalising writes the round's final state and its results together: when the results
/// cannot be written, the round is not marked finalised (and a later pass finalises it).
#[tokio::test]
async fn a_finalise_that_fails_at_its_last_write_leaves_the_round_unfinalised() {
    let app = spawn_app().await;
    let s = setup(
        &app,
        json!({ "tiers": [{ "name": "Giải Nhất", "count": 1 }] }),
        1,
    )
    .await;
    let k = keys(&app, &s.admin).await;
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await;
    let (_, token) = app.participant("Nguyễn Văn An", unit).await;
    let view = start(&app, &token, s.round).await;
    play(&app, &token, &view, &k, 3, Some(1), "an").await;
    app.clock.advance(Duration::hours(8));
    app.fail_writes_to("round_results", "INSERT").await;
    assert!(
        contests::finalise(&app.state, s.round as i32)
            .await
            .is_err()
    );
    assert_eq!(
        app.count_rows(
            "rounds",
            Some("finalised_at IS NOT NULL OR true_figure IS NOT NULL")
        )
        .await,
        0
    );
    assert_eq!(app.count_rows("round_results", None).await, 0);
}
