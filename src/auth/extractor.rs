use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use super::{Caller, tokens::TokenError};
use crate::{
    error::{ApiError, Code},
    state::AppState,
};

/// The logged-in user, from a `Authorization: Bearer …` access token. Verified with the key
/// and the app clock, then against the account's token generation in its profile (cached, see
/// `auth::sessions`), so tokens end at logout, password change and erasure.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub is_admin: bool,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = authenticate(&req).await?;
            Ok(AuthUser {
                id: caller.id,
                is_admin: caller.is_admin,
            })
        })
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme in any case), trimmed.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn revoked() -> ApiError {
    ApiError::from(Code::TokenRevoked)
}

/// The profile of the caller whose access token `req` carries (see [`AuthUser`]).
///
/// Fails with 401 when the header is missing, the token is malformed, expired or of an older
/// generation, or the account is gone; with 5xx when the database does not answer.
pub(super) async fn authenticate(req: &HttpRequest) -> Result<Arc<Caller>, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
    if !req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        return Err(ApiError::from(Code::Unauthenticated));
    }
    let token = bearer(req).ok_or_else(|| ApiError::from(Code::InvalidToken))?;
    let claims = match state.jwt.verify(token, state.clock.now()) {
        Ok(claims) => claims,
        Err(TokenError::Expired) => {
            return Err(ApiError::from(Code::TokenExpired));
        }
        Err(TokenError::Invalid) => {
            return Err(ApiError::from(Code::InvalidToken));
        }
    };
    match state.callers.get(&state.db, claims.sub).await? {
        Some(caller) if caller.generation == claims.generation => Ok(caller),
        _ => Err(revoked()),
    }
}
