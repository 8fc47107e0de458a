//! The caller as every use case sees them: the account, its unit, its categories and the units
//! it organizes, taken by one extractor from the short-lived profile cache (`auth::sessions`).

use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use entity::units;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::extractor::authenticate;
use crate::{
    domain::person::Category,
    domain::unit::{in_subtree, strictly_below},
    error::{ApiError, ApiResult, Code},
    state::AppState,
    store,
};

/// The logged-in caller's profile. Handlers take it as an extractor; services take `&Caller`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: Uuid,
    pub is_admin: bool,
    /// The token generation the profile was read at (see `auth::sessions`).
    pub generation: i32,
    pub unit_id: Option<i32>,
    pub unit_path: Option<String>,
    pub unit_name: Option<String>,
    /// Sorted, each once.
    pub categories: Vec<Category>,
    /// Paths of the units this person organizes.
    pub organizes: Vec<String>,
}

impl Caller {
    /// The caller as the services that take an `AuthUser` need them.
    pub fn auth(&self) -> super::AuthUser {
        super::AuthUser {
            id: self.id,
            is_admin: self.is_admin,
        }
    }

    /// Reads the profile of `id` from the database (one round trip), bypassing the cache.
    ///
    /// Fails with 401 `account_not_found` when the account is gone or erased, or when the
    /// database does not answer.
    pub async fn load(db: &impl store::Conn, id: Uuid) -> ApiResult<Caller> {
        store::users::caller(db, id)
            .await?
            .ok_or_else(|| Code::AccountNotFound.into())
    }

    /// The profile of `id` from the cache of `state` (read on a miss), as the extractor
    /// gives it; for use cases acting for someone other than the requester.
    ///
    /// Fails with 401 `account_not_found` when the account is gone or erased, or when the
    /// database does not answer.
    pub async fn cached(state: &AppState, id: Uuid) -> ApiResult<Arc<Caller>> {
        state
            .callers
            .get(&state.db, id)
            .await?
            .ok_or_else(|| Code::AccountNotFound.into())
    }

    /// The caller standing for the service itself (shipped banks, seeding, the command line):
    /// an administrator with no account.
    pub fn system() -> Caller {
        Caller {
            id: Uuid::nil(),
            is_admin: true,
            generation: 0,
            unit_id: None,
            unit_path: None,
            unit_name: None,
            categories: Vec::new(),
            organizes: Vec::new(),
        }
    }

    /// May change `unit` itself (rename, move, merge, appoint its organizers): admins, and
    /// organizers of a unit strictly above it.
    pub fn may_manage(&self, unit: &units::Model) -> bool {
        self.is_admin || self.organizes.iter().any(|p| strictly_below(&unit.path, p))
    }

    /// May act inside the subtree of `unit` (create units under it, read its people): admins,
    /// and organizers of the unit or of a unit above it.
    pub fn may_act_within(&self, unit: &units::Model) -> bool {
        self.is_admin || self.organizes.iter().any(|p| in_subtree(&unit.path, p))
    }

    /// `Ok` when `allowed`, else 403 `forbidden`.
    pub fn require(&self, allowed: bool) -> ApiResult<()> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Caller::clone(&*authenticate(&req).await?)) })
    }
}
