//! The caller as every use case sees them: the account, its unit, its categories and the units
//! it organizes, read once per request by one extractor.

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use entity::units;
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::AuthUser;
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
    /// Reads the profile of `id` from the database.
    ///
    /// Fails with 401 `account_not_found` when the account is gone or erased, or when the
    /// database does not answer.
    pub async fn load(db: &store::Db, id: Uuid) -> ApiResult<Caller> {
        let user = store::users::find(db, id)
            .await?
            .filter(|u| u.deleted_at.is_none())
            .ok_or(Code::AccountNotFound)?;
        let unit = match user.unit_id {
            Some(unit) => store::units::find(db, unit).await?,
            None => None,
        };
        let organizes = store::users::organized_units(db, id)
            .await?
            .into_iter()
            .map(|u| u.path)
            .collect();
        Ok(Caller {
            id,
            is_admin: user.is_admin,
            generation: user.token_generation,
            unit_id: unit.as_ref().map(|u| u.id),
            unit_path: unit.as_ref().map(|u| u.path.clone()),
            unit_name: unit.map(|u| u.name),
            categories: store::users::categories(db, id).await?,
            organizes,
        })
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

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let auth = AuthUser::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let auth = auth.await?;
            let state = state.ok_or_else(|| anyhow::anyhow!("app state missing"))?;
            // On its own task, like the generation lookup: a dropped half-way query costs the
            // pool its connection.
            let db = state.db.clone();
            tokio::spawn(async move { Caller::load(&db, auth.id).await })
                .await
                .map_err(|e| anyhow::anyhow!("profile lookup: {e}"))?
        })
    }
}
