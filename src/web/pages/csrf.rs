//! CSRF tokens of the page forms.
//!
//! A token is an HMAC-SHA256, under a key derived from the JWT secret, of what the form is
//! bound to: for a logged-in person their id and token generation (so every form token ends
//! at logout, and a stolen token is useless for anyone else); before login a random value in
//! the `sd_csrf` cookie (`HttpOnly; SameSite=Lax`; double submit: a foreign site can neither
//! read the cookie nor compute the field). Nothing is stored on the server.

use actix_web::{
    HttpRequest,
    cookie::{Cookie, SameSite},
};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::{auth::Caller, state::AppState};

pub const FIELD: &str = "_csrf";
pub const COOKIE: &str = "sd_csrf";

type HmacSha256 = Hmac<Sha256>;

fn mac(state: &AppState, bound_to: &str) -> Option<HmacSha256> {
    // A key of its own: a CSRF token must never be usable as anything signed with the JWT key.
    let key = Sha256::new()
        .chain_update(b"soiduong page csrf v1\0")
        .chain_update(state.settings.jwt_secret.expose().as_bytes())
        .finalize();
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&key).ok()?;
    mac.update(bound_to.as_bytes());
    Some(mac)
}

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn token(state: &AppState, bound_to: &str) -> String {
    mac(state, bound_to).map_or_else(String::new, |m| encode(&m.finalize().into_bytes()))
}

fn valid(state: &AppState, bound_to: &str, given: &str) -> bool {
    let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(given.trim()) else {
        return false;
    };
    mac(state, bound_to).is_some_and(|m| m.verify_slice(&given).is_ok())
}

fn session_subject(caller: &Caller) -> String {
    format!("session:{}:{}", caller.id, caller.generation)
}

/// The form token of a logged-in caller.
pub fn for_caller(state: &AppState, caller: &Caller) -> String {
    token(state, &session_subject(caller))
}

/// Whether `given` is the form token of `caller` (compared in constant time).
pub fn check_caller(state: &AppState, caller: &Caller, given: &str) -> bool {
    valid(state, &session_subject(caller), given)
}

/// The pre-login value of this browser: its `sd_csrf` cookie, or a new one to set (`Some`).
pub fn browser_nonce(req: &HttpRequest) -> (String, Option<Cookie<'static>>) {
    if let Some(c) = req.cookie(COOKIE).filter(|c| c.value().len() >= 32) {
        return (c.value().to_owned(), None);
    }
    let nonce = crate::auth::tokens::new_refresh_token();
    let cookie = Cookie::build(COOKIE, nonce.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(
            req.app_data::<actix_web::web::Data<AppState>>()
                .is_some_and(|s| s.settings.public_url.starts_with("https://")),
        )
        .finish();
    (nonce, Some(cookie))
}

/// The pre-login form token for the browser value `nonce`.
pub fn for_browser(state: &AppState, nonce: &str) -> String {
    token(state, &format!("browser:{nonce}"))
}

/// Whether `given` matches this request's `sd_csrf` cookie (false without the cookie).
pub fn check_browser(state: &AppState, req: &HttpRequest, given: &str) -> bool {
    req.cookie(COOKIE)
        .filter(|c| c.value().len() >= 32)
        .is_some_and(|c| valid(state, &format!("browser:{}", c.value()), given))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_bound_to_its_subject() {
        let key = [7u8; 32];
        let a = <HmacSha256 as Mac>::new_from_slice(&key)
            .unwrap()
            .chain_update(b"session:a:0")
            .finalize()
            .into_bytes();
        let b = <HmacSha256 as Mac>::new_from_slice(&key)
            .unwrap()
            .chain_update(b"session:a:1")
            .finalize()
            .into_bytes();
        assert_ne!(encode(&a), encode(&b));
    }
}
