//! One suite, run on both leaderboard drivers (Redis only when `TEST_REDIS_URL` is set).

use std::sync::Arc;

use soiduong::leaderboard::{Leaderboard, MemoryBoards, RedisBoards, score};
use uuid::Uuid;

async fn drivers() -> Vec<(&'static str, Arc<dyn Leaderboard>)> {
    let mut drivers: Vec<(&'static str, Arc<dyn Leaderboard>)> =
        vec![("memory", Arc::new(MemoryBoards::new()))];
    if let Ok(url) = std::env::var("TEST_REDIS_URL") {
        let client = redis::Client::open(url).unwrap();
        let conn = redis::aio::ConnectionManager::new(client)
            .await
            .expect("TEST_REDIS_URL does not answer");
        drivers.push((
            "redis",
            Arc::new(RedisBoards::new(
                conn,
                format!("test:{}:", Uuid::new_v4().simple()),
            )),
        ));
    }
    drivers
}

#[tokio::test]
async fn the_best_entry_is_kept_and_ranked() {
    for (name, b) in drivers().await {
        b.record("r1", "an", score(7, 90_000)).await.unwrap();
        b.record("r1", "binh", score(9, 120_000)).await.unwrap();
        b.record("r1", "chi", score(9, 100_000)).await.unwrap();
        // A worse second attempt does not replace the best; an equal one keeps the earlier.
        b.record("r1", "chi", score(8, 10_000)).await.unwrap();
        b.record("r1", "an", score(7, 80_000)).await.unwrap();
        let page = b.page("r1", 0, 10).await.unwrap();
        let order: Vec<&str> = page.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(order, ["chi", "binh", "an"], "{name}");
        assert_eq!(page[2].1, score(7, 80_000), "{name}");
        assert_eq!(
            b.rank("r1", "binh").await.unwrap(),
            Some((1, score(9, 120_000))),
            "{name}"
        );
        assert_eq!(b.rank("r1", "nobody").await.unwrap(), None, "{name}");
        assert_eq!(b.count("r1").await.unwrap(), 3, "{name}");
        assert_eq!(b.page("r1", 1, 1).await.unwrap()[0].0, "binh", "{name}");
        assert!(b.page("r1", 5, 10).await.unwrap().is_empty(), "{name}");
        b.remove("r1").await.unwrap();
    }
}

#[tokio::test]
async fn a_replaced_board_equals_the_one_recorded() {
    for (name, b) in drivers().await {
        let entries: Vec<(String, i64)> = (0..2500)
            .map(|i| (format!("u{i}"), score(i % 31, i64::from(i) * 7)))
            .collect();
        for (m, s) in &entries {
            b.record("live", m, *s).await.unwrap();
        }
        assert!(!b.exists("rebuilt").await.unwrap(), "{name}");
        b.replace("rebuilt", &entries).await.unwrap();
        assert!(b.exists("rebuilt").await.unwrap(), "{name}");
        assert_eq!(
            b.page("live", 0, 3000).await.unwrap(),
            b.page("rebuilt", 0, 3000).await.unwrap(),
            "{name}"
        );
        b.replace("rebuilt", &[]).await.unwrap();
        assert_eq!(b.count("rebuilt").await.unwrap(), 0, "{name}");
        b.remove("live").await.unwrap();
    }
}

// Over HTTP: the boards as participants read them.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use soiduong::{domain::person::Category, store};

use crate::helpers::{Account, TestApp, error_code, fixture, spawn_app};

/// A participant made directly in the store (no password hashing), with a token.
pub async fn participant(app: &TestApp, name: &str, unit: i64) -> (Uuid, String) {
    let id = Uuid::new_v4();
    store::users::insert(
        &app.state.db,
        store::users::NewUser {
            id,
            full_name: name.to_owned(),
            phone: Some(format!("+8491{:07}", id.as_u128() % 10_000_000)),
            email: Some(format!("{}@example.vn", id.simple())),
            password_hash: "x".into(),
            birth_date: Some("2004-04-30".parse().unwrap()),
            unit_id: Some(unit as i32),
            admitted_on: None,
            guardian_consent: true,
            is_admin: false,
            categories: vec![Category::Youth],
        },
        app.clock_now(),
    )
    .await
    .unwrap();
    let token = app
        .state
        .jwt
        .issue(
            id,
            false,
            app.clock_now(),
            std::time::Duration::from_secs(86_400),
        )
        .unwrap();
    (id, token)
}

pub struct Round {
    pub admin: Account,
    pub contest: i64,
    pub round: i64,
}

/// A contest owned by `owner` (a unit id) with one open round of 4 questions, `ranking` as
/// the contest's rule and prizes for the top three.
pub async fn open_round(app: &TestApp, owner: i64, ranking: Value, attempts: u32) -> Round {
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
            "/api/v1/contests",
            Some(&admin.token),
            &json!({ "slug": "tu-hao-viet-nam", "title": "Tự hào Việt Nam", "owner_unit_id": owner,
                     "ranking": ranking,
                     "prizes": { "tiers": [{ "name": "Giải Nhất", "count": 1 }, { "name": "Giải Nhì", "count": 2 }] } }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let contest: Value = res.json().await.unwrap();
    let now = app.clock_now();
    let res = app
        .post(
            &format!("/api/v1/contests/{}/rounds", contest["id"]),
            Some(&admin.token),
            &json!({ "title": "Tuần 1", "opens_at": now - Duration::minutes(1), "closes_at": now + Duration::hours(6),
                     "draw": [{ "bank": "thu-nghiem", "tags": ["mot-dap-an"], "count": 4 }],
                     "time_limit_minutes": 10, "attempts_allowed": attempts }),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "{}",
        res.text().await.unwrap()
    );
    let round: Value = res.json().await.unwrap();
    Round {
        admin,
        contest: contest["id"].as_i64().unwrap(),
        round: round["id"].as_i64().unwrap(),
    }
}

#[tokio::test]
async fn a_board_offset_beyond_its_range_is_a_400_not_a_503() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let r = open_round(&app, province, json!({}), 1).await;
    let (_, token) = participant(&app, "Nguyễn Văn An", province).await;
    for q in [
        "offset=9223372036854775808",
        "offset=18446744073709551616",
        "offset=-1",
        "limit=9223372036854775808",
    ] {
        let res = app
            .get(
                &format!("/api/v1/rounds/{}/leaderboard?{q}", r.round),
                Some(&token),
            )
            .await;
        assert_eq!(
            error_code(res, StatusCode::BAD_REQUEST).await,
            "invalid_query",
            "{q}"
        );
    }
    let res = app
        .get(
            &format!(
                "/api/v1/rounds/{}/leaderboard?offset=4294967295&limit=200",
                r.round
            ),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let board: Value = res.json().await.unwrap();
    assert_eq!(board["entries"], json!([]));
    let _ = r.admin;
    let _ = r.contest;
}
