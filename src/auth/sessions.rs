//! The caller profiles of recent requests, and token generations.
//!
//! Each account has a token generation: access tokens carry the value they were issued at,
//! and logout, a password change, erasure or a revoked session family bump it, so every access
//! token issued before ends at once instead of living out its 15 minutes.
//!
//! Every authenticated request needs the caller's profile (account, unit, categories,
//! organizer grants, generation), so profiles are held in process memory for [`TTL`], bounded
//! to [`CAPACITY`] entries. The instance that changes a profile-affecting fact drops the
//! profile from its cache after the commit ([`Callers::forget`], or [`Callers::forget_all`]
//! when unit paths change), so its next request already sees the change: a revoked token is
//! refused at once, a new organizer grant works at once.
//!
//! Across instances behind a load balancer nothing is broadcast: another instance keeps the
//! profile it read for at most `TTL`. There a revoked token may still work, and a changed
//! unit, category or grant may still show the old value, for up to `TTL` after the change; the
//! token generation in the database is the truth each instance returns to when its entry
//! expires. That bound is the trade-off for two database reads per user per `TTL` instead of
//! per request.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use moka::sync::Cache;
use uuid::Uuid;

use super::Caller;
use crate::{
    error::{ApiError, ApiResult},
    store::Db,
};

/// How long a profile read from the database is trusted.
pub const TTL: Duration = Duration::from_secs(5);

/// At most this many profiles are held (a few hundred bytes each): more than the people active
/// within `TTL` at the planned scale.
pub const CAPACITY: u64 = 200_000;

/// The profiles of recent callers (see the module documentation).
pub struct Callers {
    /// `None`: the account is gone or erased. Remembered too, so that the tokens of an erased
    /// account are refused without a database read (and before any other extractor of the
    /// request answers).
    cache: Cache<Uuid, Option<Arc<Caller>>>,
    /// Bumped by every invalidation. A load that saw an invalidation happen while it read
    /// does not cache its (possibly older) result.
    epoch: AtomicU64,
}

impl Default for Callers {
    fn default() -> Self {
        Self::new()
    }
}

impl Callers {
    pub fn new() -> Self {
        Callers {
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(TTL)
                .build(),
            epoch: AtomicU64::new(0),
        }
    }

    /// The profile of `user` (`None` when the account is gone or erased), from the cache or
    /// read in two database round trips.
    ///
    /// Fails when the database does not answer.
    pub async fn get(&self, db: &Db, user: Uuid) -> ApiResult<Option<Arc<Caller>>> {
        if let Some(hit) = self.cache.get(&user) {
            return Ok(hit);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        // On its own task: the extractor's future is dropped when another extractor of the same
        // request fails first (a bad query string), and a query dropped half-way makes the pool
        // throw its connection away — with SQLite's single connection, the whole pool.
        let db = db.clone();
        let loaded = tokio::spawn(async move { crate::store::users::caller(&db, user).await })
            .await
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("profile lookup: {e}")))??;
        let caller = loaded.map(Arc::new);
        if self.epoch.load(Ordering::Acquire) == epoch {
            self.cache.insert(user, caller.clone());
            // An invalidation between the check and the insert would otherwise be undone.
            if self.epoch.load(Ordering::Acquire) != epoch {
                self.cache.invalidate(&user);
            }
        }
        Ok(caller)
    }

    /// Drops the profile of `user`: its account, categories, unit or grants changed, or its
    /// token generation was bumped. Call after the change is committed.
    pub fn forget(&self, user: Uuid) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate(&user);
    }

    /// Records that `user` is gone (after the erasure is committed): their tokens are refused
    /// from the cache.
    pub fn erased(&self, user: Uuid) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.cache.insert(user, None);
    }

    /// Drops every profile: unit paths or names changed (rename, move, merge). Call after the
    /// change is committed.
    pub fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.cache.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn someone(id: Uuid, generation: i32) -> Arc<Caller> {
        Arc::new(Caller {
            id,
            generation,
            is_admin: false,
            ..Caller::system()
        })
    }

    #[test]
    fn forgetting_drops_one_profile_or_all() {
        let callers = Callers::new();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        callers.cache.insert(a, Some(someone(a, 0)));
        callers.cache.insert(b, Some(someone(b, 0)));
        callers.forget(a);
        assert!(callers.cache.get(&a).is_none());
        assert_eq!(
            callers.cache.get(&b).flatten().map(|c| c.generation),
            Some(0)
        );
        callers.erased(a);
        assert!(
            matches!(callers.cache.get(&a), Some(None)),
            "gone, from the cache"
        );
        callers.forget_all();
        assert!(callers.cache.get(&b).is_none());
    }
}
