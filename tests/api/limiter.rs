//! One suite, run on both limiter drivers (Redis only when `TEST_REDIS_URL` is set).

use std::{sync::Arc, time::Duration};

use soiduong::limiter::{Limiter, MemoryLimiter, RedisLimiter};

async fn drivers() -> Vec<(&'static str, Arc<dyn Limiter>)> {
    let mut drivers: Vec<(&'static str, Arc<dyn Limiter>)> =
        vec![("memory", Arc::new(MemoryLimiter::new()))];
    if let Some((conn, prefix)) = crate::helpers::test_redis().await {
        drivers.push(("redis", Arc::new(RedisLimiter::new(conn, prefix))));
    }
    drivers
}

#[tokio::test]
async fn hits_count_up_within_a_window_and_reset_clears() {
    for (name, limiter) in drivers().await {
        let window = Duration::from_secs(60);
        assert_eq!(limiter.peek("k").await.unwrap(), None, "{name}");
        assert_eq!(limiter.hit("k", window).await.unwrap(), 1, "{name}");
        assert_eq!(limiter.hit("k", window).await.unwrap(), 2, "{name}");
        assert_eq!(limiter.hit("other", window).await.unwrap(), 1, "{name}");
        let (count, left) = limiter.peek("k").await.unwrap().unwrap();
        assert_eq!(count, 2, "{name}");
        assert!(
            left <= window && left > Duration::from_secs(50),
            "{name}: {left:?}"
        );
        limiter.reset("k").await.unwrap();
        assert_eq!(limiter.peek("k").await.unwrap(), None, "{name}");
        limiter.reset("other").await.unwrap();
    }
}

#[tokio::test]
async fn a_window_ends_and_counting_starts_again() {
    for (name, limiter) in drivers().await {
        let window = Duration::from_secs(1);
        limiter.hit("w", window).await.unwrap();
        limiter.hit("w", window).await.unwrap();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(limiter.peek("w").await.unwrap(), None, "{name}");
        assert_eq!(limiter.hit("w", window).await.unwrap(), 1, "{name}");
        limiter.reset("w").await.unwrap();
    }
}

#[tokio::test]
async fn undo_takes_back_one_hit_and_never_goes_below_zero() {
    for (name, limiter) in drivers().await {
        let window = Duration::from_secs(60);
        limiter.undo("u").await.unwrap();
        assert_eq!(
            limiter.peek("u").await.unwrap(),
            None,
            "{name}: undo creates nothing"
        );
        assert_eq!(limiter.hit("u", window).await.unwrap(), 1, "{name}");
        assert_eq!(limiter.hit("u", window).await.unwrap(), 2, "{name}");
        limiter.undo("u").await.unwrap();
        assert_eq!(limiter.peek("u").await.unwrap().unwrap().0, 1, "{name}");
        limiter.undo("u").await.unwrap();
        limiter.undo("u").await.unwrap();
        assert_eq!(limiter.hit("u", window).await.unwrap(), 1, "{name}");
        limiter.reset("u").await.unwrap();
    }
}

#[tokio::test]
async fn concurrent_hits_are_each_counted_once() {
    for (name, limiter) in drivers().await {
        let window = Duration::from_secs(60);
        let hits: Vec<_> = (0..40)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.hit("c", window).await.unwrap() })
            })
            .collect();
        let mut counts = Vec::new();
        for h in hits {
            counts.push(h.await.unwrap());
        }
        counts.sort_unstable();
        assert_eq!(counts, (1..=40).collect::<Vec<u64>>(), "{name}");
        limiter.reset("c").await.unwrap();
    }
}
