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
