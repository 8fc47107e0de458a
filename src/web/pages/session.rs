//! The page session: the API's access and refresh tokens in cookies.
//!
//! `sd_access` holds the access JWT (`HttpOnly; SameSite=Lax`, a browser-session cookie: the
//! token's own expiry is what counts); `sd_refresh` the refresh token (`HttpOnly;
//! SameSite=Strict; Path=/`, kept for the refresh token's lifetime). Both are `Secure` when the
//! public URL is https. An expired access token with a valid refresh cookie is renewed during
//! the request (the refresh token rotates as in the API) and [`session_cookies`] sets the new
//! pair on the response; a refused refresh clears both cookies.
//!
//! Two requests of one browser refreshing at the same instant would spend the same refresh
//! token twice, which the API treats as theft (the family is revoked): pages make one
//! authenticated request each, so this needs two tabs opened within the same second after the
//! access token expired.

use std::sync::Arc;

use actix_web::{
    Error, FromRequest, HttpMessage, HttpRequest, ResponseError,
    body::MessageBody,
    cookie::{Cookie, SameSite, time::Duration as CookieDuration},
    dev::{Payload, ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use futures_util::future::LocalBoxFuture;

use super::PageError;
use crate::{
    auth::Caller,
    error::ApiError,
    services::accounts::{self, RefreshRequest, TokenPair},
    state::AppState,
};

pub const ACCESS: &str = "sd_access";
pub const REFRESH: &str = "sd_refresh";

/// What the response must do to the session cookies, left in the request's extensions by the
/// extractors and the login/logout handlers.
#[derive(Clone)]
pub enum SessionChange {
    Renewed(Arc<TokenPair>),
    Clear,
}

/// The caller resolved once per request (a second extractor must not refresh again).
#[derive(Clone)]
struct Resolved(Option<Arc<Caller>>);

pub(super) fn state(req: &HttpRequest) -> Result<web::Data<AppState>, PageError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| PageError::Api(ApiError::Internal(anyhow::anyhow!("app state missing"))))
}

/// The logged-in caller, or a 303 to the login page that comes back here.
pub struct PageCaller(pub Arc<Caller>);

impl PageCaller {
    /// The caller of a form post, once the form's token is theirs (a cross-site post is
    /// refused before anything is read or written).
    pub fn checked(self, state: &AppState, token: &str) -> Result<Arc<Caller>, PageError> {
        if super::csrf::check_caller(state, &self.0, token) {
            Ok(self.0)
        } else {
            Err(PageError::Csrf)
        }
    }
}

/// The caller when logged in (pages that serve everyone: home, login, register).
pub struct MaybeCaller(pub Option<Arc<Caller>>);

impl FromRequest for PageCaller {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match current(&req).await? {
                Some(caller) => Ok(PageCaller(caller)),
                None => Err(PageError::Login { next: here(&req) }),
            }
        })
    }
}

impl FromRequest for MaybeCaller {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(MaybeCaller(current(&req).await?)) })
    }
}

/// The path and query of this request, as a `next=` target.
fn here(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    }
}

/// `next` when it is a path of this site, else `/`: no scheme, no host, no `//` or `/\`
/// (which browsers read as another host), no control characters.
pub fn local_next(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 512
        && !next.chars().any(|c| c.is_control());
    if ok { next.to_owned() } else { "/".to_owned() }
}

/// The login page, with `next` when it is a local path other than the home page.
pub fn login_location(next: &str) -> String {
    let next = local_next(next);
    if next == "/" {
        return "/dang-nhap".to_owned();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/dang-nhap?next={encoded}")
}

/// The caller of this request's cookies, renewing an expired access token with the refresh
/// cookie. `None`: no session, or one that ended.
///
/// Fails only when the database does not answer.
pub async fn current(req: &HttpRequest) -> Result<Option<Arc<Caller>>, PageError> {
    if let Some(Resolved(caller)) = req.extensions().get::<Resolved>().cloned() {
        return Ok(caller);
    }
    let state = state(req)?;
    let caller = resolve(req, &state).await?;
    req.extensions_mut().insert(Resolved(caller.clone()));
    Ok(caller)
}

async fn resolve(req: &HttpRequest, state: &AppState) -> Result<Option<Arc<Caller>>, PageError> {
    let now = state.clock.now();
    let access = req.cookie(ACCESS);
    if let Some(token) = &access
        && let Ok(claims) = state.jwt.verify(token.value(), now)
        && let Some(caller) = state.callers.get(&state.db, claims.sub).await?
        && caller.generation == claims.generation
    {
        return Ok(Some(caller));
    }
    let Some(refresh) = req.cookie(REFRESH) else {
        if access.is_some() {
            req.extensions_mut().insert(SessionChange::Clear);
        }
        return Ok(None);
    };
    let request = RefreshRequest {
        refresh_token: refresh.value().to_owned(),
    };
    match accounts::refresh(state, request).await {
        Ok(pair) => {
            let claims = state
                .jwt
                .verify(&pair.access_token, now)
                .map_err(|_| ApiError::Internal(anyhow::anyhow!("fresh token refused")))?;
            let caller = Caller::cached(state, claims.sub).await?;
            req.extensions_mut()
                .insert(SessionChange::Renewed(Arc::new(pair)));
            Ok(Some(caller))
        }
        Err(e) if e.status_code().is_server_error() => Err(e.into()),
        Err(_) => {
            req.extensions_mut().insert(SessionChange::Clear);
            Ok(None)
        }
    }
}

/// Records that the response must set `pair` (after a login) or clear the session (logout).
pub fn change(req: &HttpRequest, change: SessionChange) {
    if let SessionChange::Clear = change {
        req.extensions_mut().insert(Resolved(None));
    }
    req.extensions_mut().insert(change);
}

fn secure(state: &AppState) -> bool {
    state.settings.public_url.starts_with("https://")
}

/// The session cookies for `pair`.
pub fn cookies(state: &AppState, pair: &TokenPair) -> [Cookie<'static>; 2] {
    let refresh_secs =
        i64::try_from(state.settings.refresh_token_ttl.as_secs()).unwrap_or(i64::MAX);
    [
        Cookie::build(ACCESS, pair.access_token.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure(state))
            .finish(),
        Cookie::build(REFRESH, pair.refresh_token.clone())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure(state))
            .max_age(CookieDuration::seconds(refresh_secs))
            .finish(),
    ]
}

/// Cookies that delete the session cookies.
fn removals(state: &AppState) -> [Cookie<'static>; 2] {
    [ACCESS, REFRESH].map(|name| {
        let mut c = Cookie::build(name, "")
            .path("/")
            .http_only(true)
            .same_site(if name == REFRESH {
                SameSite::Strict
            } else {
                SameSite::Lax
            })
            .secure(secure(state))
            .finish();
        c.make_removal();
        c
    })
}

/// The middleware (wired in `startup.rs`): writes the session cookies a request renewed,
/// opened or ended. Requests that touched no session pass unchanged.
///
/// Fails only when the inner service does.
pub async fn session_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let mut res = next.call(req).await?;
    let change = res.request().extensions().get::<SessionChange>().cloned();
    let Some(change) = change else {
        return Ok(res);
    };
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let cookies = match &change {
        SessionChange::Renewed(pair) => cookies(&state, pair),
        SessionChange::Clear => removals(&state),
    };
    for c in cookies {
        if let Err(e) = res.response_mut().add_cookie(&c) {
            tracing::warn!(error = %e, "session cookie not set");
        }
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_a_local_path_or_the_home_page() {
        for (given, kept) in [
            ("/khoa-hoc/3", "/khoa-hoc/3"),
            ("/dang-ky?tim=a", "/dang-ky?tim=a"),
            ("https://evil.example", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("/a\nb", "/"),
            ("", "/"),
        ] {
            assert_eq!(local_next(given), kept, "{given:?}");
        }
        assert_eq!(
            login_location("/bai-hoc/2"),
            "/dang-nhap?next=%2Fbai-hoc%2F2"
        );
        assert_eq!(login_location("https://evil.example"), "/dang-nhap");
    }
}
