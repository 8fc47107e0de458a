use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use uuid::Uuid;

use super::tokens::TokenError;
use crate::{error::ApiError, startup::AppState};

/// The logged-in user, from a `Authorization: Bearer …` access token. Verified with the key
/// and the app clock only: no database read.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: Uuid,
    pub is_admin: bool,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("app state missing")))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::unauthorized(
                "unauthenticated",
                "Bạn cần đăng nhập để thực hiện thao tác này",
            )
        })?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "Mã xác thực không hợp lệ"))?;
    match state.jwt.verify(token.trim(), state.clock.now()) {
        Ok(claims) => Ok(AuthUser {
            id: claims.sub,
            is_admin: claims.adm,
        }),
        Err(TokenError::Expired) => Err(ApiError::unauthorized(
            "token_expired",
            "Phiên đăng nhập đã hết hạn, vui lòng làm mới hoặc đăng nhập lại",
        )),
        Err(TokenError::Invalid) => Err(ApiError::unauthorized(
            "invalid_token",
            "Mã xác thực không hợp lệ",
        )),
    }
}
