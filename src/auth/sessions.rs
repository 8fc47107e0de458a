//! Token generations: each account has a counter, access tokens carry the value they were
//! issued at, and logout, a password change, erasure or a revoked session family bump it, so
//! every access token issued before ends at once instead of living out its 15 minutes.
//!
//! The check runs on every authenticated request, so generations are cached in process memory
//! for `TTL`. The instance that bumps a generation updates its cache at once (its next request
//! already fails); other instances behind a load balancer read the new value within `TTL`:
//! with several instances a revoked token may still work for up to `TTL` there. That bound is
//! the trade-off for a database read per user per `TTL` instead of per request.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::{
    error::{ApiError, ApiResult},
    store::{self, Db},
};

/// How long a generation read from the database is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// Past this many cached users, expired entries are dropped.
const PRUNE_AT: usize = 50_000;

#[derive(Default)]
pub struct Generations {
    /// `None`: the account is gone or erased.
    cached: Mutex<HashMap<Uuid, (Option<i32>, Instant)>>,
}

impl Generations {
    pub fn new() -> Self {
        Self::default()
    }

    fn remember(&self, user: Uuid, generation: Option<i32>) {
        let now = Instant::now();
        let mut map = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|_, (_, at)| now.duration_since(*at) < TTL);
        }
        map.insert(user, (generation, now));
    }

    /// The current generation of `user` (`None` when the account is gone). Fails when the
    /// database does not answer.
    pub async fn current(&self, db: &Db, user: Uuid) -> ApiResult<Option<i32>> {
        let hit = self
            .cached
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&user)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(generation, _)| *generation);
        if let Some(generation) = hit {
            return Ok(generation);
        }
        // On its own task: the extractor's future is dropped when another extractor of the same
        // request fails first (a bad query string), and a query dropped half-way makes the pool
        // throw its connection away — with SQLite's single connection, the whole pool.
        let db = db.clone();
        let generation =
            tokio::spawn(async move { store::users::token_generation(&db, user).await })
                .await
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("generation lookup: {e}")))??;
        self.remember(user, generation);
        Ok(generation)
    }

    /// Ends every access token of `user` issued so far. Fails when the database does not
    /// answer.
    pub async fn bump(&self, db: &Db, user: Uuid) -> ApiResult<()> {
        let generation = store::users::bump_token_generation(db, user).await?;
        self.remember(user, generation);
        Ok(())
    }

    /// Records that `user` is gone (after erasure, whose transaction bumped the generation).
    pub fn forget(&self, user: Uuid) {
        self.remember(user, None);
    }
}
