//! One suite, run on both leaderboard drivers (Redis only when `TEST_REDIS_URL` is set).

use std::sync::Arc;

use soiduong::leaderboard::{Leaderboard, MemoryBoards, RedisBoards, score};
use uuid::Uuid;

async fn drivers() -> Vec<(&'static str, Arc<dyn Leaderboard>)> {
    let mut drivers: Vec<(&'static str, Arc<dyn Leaderboard>)> =
        vec![("memory", Arc::new(MemoryBoards::new()))];
    if let Some((conn, prefix)) = crate::helpers::test_redis().await {
        drivers.push(("redis", Arc::new(RedisBoards::new(conn, prefix))));
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

use crate::helpers::{
    Account, OwnRedis, TestApp, error_code, open_round_body, spawn_app, submitted_attempt,
};

pub struct Round {
    pub admin: Account,
    pub contest: i64,
    pub round: i64,
}

/// A contest owned by `owner` (a unit id) with one open round of 4 questions, `ranking` as
/// the contest's rule and prizes for the top three.
pub async fn open_round(app: &TestApp, owner: i64, ranking: Value, attempts: u32) -> Round {
    let admin = app.admin().await;
    app.import_test_bank(&admin).await;
    let contest = app
        .create_contest(
            &admin,
            &json!({ "slug": "tu-hao-viet-nam", "title": "Tự hào Việt Nam", "owner_unit_id": owner,
                     "ranking": ranking,
                     "prizes": { "tiers": [{ "name": "Giải Nhất", "count": 1 }, { "name": "Giải Nhì", "count": 2 }] } }),
        )
        .await;
    let body = open_round_body(app.clock_now(), attempts);
    let round = app.create_round(&admin, &contest["id"], &body).await;
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
    let (_, token) = app.participant("Nguyễn Văn An", province).await;
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

/// `n` people with finished attempts in the round, written straight to the database (ended a
/// minute ago), two attempts each for every third person. Returns each person's best entry as
/// the board must show it (the round ranks by duration).
async fn finished_attempts(app: &TestApp, round: i64, n: usize) -> Vec<(String, i64)> {
    use sea_orm::EntityTrait;
    let r = store::contests::round(&app.state.db, round as i32)
        .await
        .unwrap()
        .unwrap();
    let unit = app.unit_id("Đoàn xã Vĩnh Tế").await as i32;
    let now = app.clock_now();
    let mut best = Vec::new();
    let mut rows = Vec::new();
    for i in 0..n {
        let id = Uuid::new_v4();
        store::users::insert(
            &app.state.db,
            store::users::NewUser {
                id,
                full_name: format!("Người Thi Số {i}"),
                phone: None,
                email: Some(format!("{}@example.vn", id.simple())),
                password_hash: "x".into(),
                birth_date: None,
                unit_id: Some(unit),
                admitted_on: None,
                guardian_consent: true,
                is_admin: false,
                categories: vec![Category::Youth],
            },
            now,
        )
        .await
        .unwrap();
        let tries: &[(i32, i64)] = if i % 3 == 0 {
            &[
                ((i % 5) as i32, 40_000 + i as i64),
                (((i + 2) % 5) as i32, 30_000 + i as i64),
            ]
        } else {
            &[((i % 5) as i32, 50_000 + i as i64)]
        };
        let mut top = i64::MIN;
        for (no, (correct, ms)) in tries.iter().enumerate() {
            let submitted = now - Duration::minutes(1) - Duration::seconds(no as i64);
            top = top.max(score(*correct as u32, *ms));
            rows.push(submitted_attempt(
                r.quiz_id,
                id,
                no as i32 + 1,
                unit,
                submitted,
                (*correct, *ms),
            ));
        }
        best.push((id.to_string(), top));
    }
    for chunk in rows.chunks(500) {
        entity::attempts::Entity::insert_many(chunk.to_vec())
            .exec(&app.state.db)
            .await
            .unwrap();
    }
    best.sort();
    best
}

/// The whole board as the store holds it, sorted by member.
async fn whole_board(app: &TestApp, round: i64) -> Vec<(String, i64)> {
    let mut all = app
        .state
        .boards
        .page(&format!("round:{round}"), 0, 1_000_000)
        .await
        .unwrap();
    all.sort();
    all
}

async fn read_board(app: &TestApp, round: i64, token: &str) -> Value {
    let res = app
        .get(
            &format!("/api/v1/rounds/{round}/leaderboard?limit=5"),
            Some(token),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_board_that_lost_some_entries_is_rebuilt_on_the_next_read() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let r = open_round(&app, province, json!({}), 2).await;
    let want = finished_attempts(&app, r.round, 60).await;
    let (_, token) = app.participant("Trần Thị Bích", province).await;
    assert_eq!(
        read_board(&app, r.round, &token).await["total_participants"],
        60
    );
    assert_eq!(whole_board(&app, r.round).await, want);

    // Redis restarted from an old snapshot (or an instance lost writes): ten entries left.
    app.state
        .boards
        .replace(&format!("round:{}", r.round), &want[..10])
        .await
        .unwrap();
    let board = read_board(&app, r.round, &token).await;
    assert_eq!(board["total_participants"], 60, "{board}");
    assert_eq!(whole_board(&app, r.round).await, want);
}

#[tokio::test]
async fn concurrent_reads_of_a_lost_board_rebuild_it_whole() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let r = open_round(&app, province, json!({}), 2).await;
    // More than one write batch, so that interleaved rebuilds would show.
    let want = finished_attempts(&app, r.round, 1_500).await;
    let (_, token) = app.participant("Lê Văn Cường", province).await;
    for _ in 0..2 {
        app.state
            .boards
            .remove(&format!("round:{}", r.round))
            .await
            .unwrap();
        let reads: Vec<_> = (0..8).map(|_| read_board(&app, r.round, &token)).collect();
        for board in futures_util::future::join_all(reads).await {
            assert_eq!(board["total_participants"], 1_500);
        }
        assert_eq!(whole_board(&app, r.round).await, want);
    }
    // The board is what the final ranking will count: each person's best attempt.
    let rebuilt = soiduong::services::boards::rebuild(&app.state, &[r.round as i32])
        .await
        .unwrap();
    assert_eq!(rebuilt, vec![(r.round as i32, 1_500)]);
    assert_eq!(whole_board(&app, r.round).await, want);
}

#[tokio::test]
async fn concurrent_replaces_never_mix_or_truncate_a_board() {
    for (name, b) in drivers().await {
        let a: Vec<(String, i64)> = (0..2_500).map(|i| (format!("a{i}"), score(3, i))).collect();
        let z: Vec<(String, i64)> = (0..1_700).map(|i| (format!("z{i}"), score(2, i))).collect();
        for _ in 0..3 {
            let (x, y, w) = tokio::join!(
                b.replace("mix", &a),
                b.replace("mix", &z),
                b.replace("mix", &a)
            );
            x.unwrap();
            y.unwrap();
            w.unwrap();
            let mut got = b.page("mix", 0, 10_000).await.unwrap();
            got.sort();
            let mut sa = a.clone();
            sa.sort();
            let mut sz = z.clone();
            sz.sort();
            assert!(
                got == sa || got == sz,
                "{name}: a board of {} entries",
                got.len()
            );
        }
        b.remove("mix").await.unwrap();
    }
}

#[tokio::test]
async fn a_rebuild_keeps_results_recorded_while_it_read_the_database() {
    for (name, b) in drivers().await {
        // The rebuild read an older state of the attempts table...
        b.stage(
            "live",
            "s1",
            &[("an".into(), score(3, 900)), ("binh".into(), score(5, 100))],
        )
        .await
        .unwrap();
        // ...while submits went on recording on the live board.
        b.record("live", "an", score(4, 500)).await.unwrap();
        b.record("live", "chi", score(2, 100)).await.unwrap();
        b.merge("live", "s1").await.unwrap();
        let mut got = b.page("live", 0, 10).await.unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("an".to_owned(), score(4, 500)),
                ("binh".to_owned(), score(5, 100)),
                ("chi".to_owned(), score(2, 100)),
            ],
            "{name}"
        );
        // The copy is gone: merging it again changes nothing.
        b.merge("live", "s1").await.unwrap();
        assert_eq!(b.count("live").await.unwrap(), 3, "{name}");
        b.remove("live").await.unwrap();
    }
}

#[tokio::test]
async fn one_rebuild_lock_per_board_at_a_time() {
    for (name, b) in drivers().await {
        let ttl = std::time::Duration::from_secs(30);
        assert!(b.lock("r9", "first", ttl).await.unwrap(), "{name}");
        assert!(!b.lock("r9", "second", ttl).await.unwrap(), "{name}");
        assert!(b.locked("r9").await.unwrap(), "{name}");
        // Only the holder releases it.
        b.unlock("r9", "second").await.unwrap();
        assert!(b.locked("r9").await.unwrap(), "{name}");
        b.unlock("r9", "first").await.unwrap();
        assert!(!b.locked("r9").await.unwrap(), "{name}");
        assert!(b.lock("r9", "second", ttl).await.unwrap(), "{name}");
        b.unlock("r9", "second").await.unwrap();
        // A staged copy is invisible until published; an empty one removes the board.
        b.record("r9", "x", score(1, 1)).await.unwrap();
        b.stage("r9", "s1", &[("y".into(), score(2, 2))])
            .await
            .unwrap();
        assert_eq!(
            b.page("r9", 0, 10).await.unwrap(),
            vec![("x".to_owned(), score(1, 1))]
        );
        b.publish("r9", "s1").await.unwrap();
        assert_eq!(
            b.page("r9", 0, 10).await.unwrap(),
            vec![("y".to_owned(), score(2, 2))]
        );
        b.publish("r9", "never-staged").await.unwrap();
        assert!(!b.exists("r9").await.unwrap(), "{name}");
    }
}

/// The first command after a Redis restart goes out on a broken connection: the board
/// reconnects and retries it instead of failing (a 503 for whoever came first).
#[tokio::test]
async fn the_first_board_command_after_a_redis_restart_succeeds() {
    let Some(mut redis) = OwnRedis::start() else {
        assert!(
            std::env::var("TEST_REDIS_URL").is_err(),
            "redis-server must be installed where TEST_REDIS_URL is set"
        );
        return;
    };
    let client = redis::Client::open(redis.url()).unwrap();
    let conn = redis::aio::ConnectionManager::new(client).await.unwrap();
    let b = RedisBoards::new(conn, "restart:");
    b.record("r1", "an", score(3, 10)).await.unwrap();
    redis.stop();
    redis.restart();
    // The restarted server is empty; the point is that the command itself works.
    b.record("r1", "binh", score(4, 10)).await.unwrap();
    assert_eq!(b.count("r1").await.unwrap(), 1);
}

/// A board shows each person by a masked name and their unit's name, and an erased account as
/// "Ẩn danh": no full name of anyone reaches a board.
#[tokio::test]
async fn a_board_shows_masked_names_with_units_and_erased_people_as_anonymous() {
    let app = spawn_app().await;
    let province = app.unit_id("Tỉnh Đoàn An Giang").await;
    let r = open_round(&app, province, json!({}), 1).await;
    let people = finished_attempts(&app, r.round, 3).await;
    let erased: Uuid = people[0].0.parse().unwrap();
    store::users::erase(&app.state.db, erased, app.clock_now())
        .await
        .unwrap();
    let (_, token) = app.participant("Trần Thị Bích", province).await;
    let board = read_board(&app, r.round, &token).await;
    let entries = board["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{board}");
    let mut anonymous = 0;
    for e in entries {
        let name = e["display_name"].as_str().unwrap();
        assert!(!name.contains("Thi Số"), "a full name on the board: {e}");
        if name == "Ẩn danh" {
            anonymous += 1;
        } else {
            assert!(name.starts_with("Người") && name.ends_with('.'), "{e}");
            assert_eq!(e["unit_name"], "Đoàn xã Vĩnh Tế", "{e}");
        }
    }
    assert_eq!(anonymous, 1, "{board}");
}
