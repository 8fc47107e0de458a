//! Access tokens (JWT, HS256, short-lived, verified without a database hit) and refresh
//! tokens (random, stored only as a SHA-256 hash, single use, rotated on every refresh).

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Admin flag, so admin checks need no database read.
    #[serde(default)]
    pub adm: bool,
    /// The user's token generation at issue; a token of an older generation is refused.
    #[serde(default, rename = "gen")]
    pub generation: i32,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Expired,
    Invalid,
}

impl JwtKeys {
    pub fn new(secret: &Secret) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
        }
    }

    /// Signs an access token for `user` at token generation 0 (an account never logged out),
    /// valid from `now` for `ttl`. Fails only if signing itself fails (it does not for HMAC keys).
    pub fn issue(
        &self,
        user: Uuid,
        admin: bool,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<String> {
        self.issue_at(user, admin, 0, now, ttl)
    }

    /// Signs an access token for `user` at token generation `generation`, valid from `now`
    /// for `ttl`. Fails only if signing itself fails.
    pub fn issue_at(
        &self,
        user: Uuid,
        admin: bool,
        generation: i32,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<String> {
        let claims = Claims {
            sub: user,
            iat: now.timestamp(),
            exp: now.timestamp() + ttl.as_secs() as i64,
            adm: admin,
            generation,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    /// Checks signature and expiry against `now` (the app clock, not the OS clock).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the app clock.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "sub"].iter().map(|s| s.to_string()).collect();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(data.claims)
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a refresh token: its SHA-256, hex. A leaked table lets nobody
/// log in.
pub fn refresh_token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&Secret::new("a-test-secret-that-is-long-enough-0123456789"))
    }

    #[test]
    fn tokens_expire_on_the_app_clock() {
        let now = Utc::now();
        let user = Uuid::new_v4();
        let token = keys()
            .issue(user, false, now, std::time::Duration::from_secs(900))
            .unwrap();
        assert_eq!(keys().verify(&token, now).unwrap().sub, user);
        let later = now + chrono::Duration::seconds(900);
        assert_eq!(
            keys().verify(&token, later).unwrap_err(),
            TokenError::Expired
        );
    }

    #[test]
    fn tokens_signed_with_another_key_are_refused() {
        let other = JwtKeys::new(&Secret::new("another-secret-that-is-long-enough-987654321"));
        let token = other
            .issue(
                Uuid::new_v4(),
                true,
                Utc::now(),
                std::time::Duration::from_secs(60),
            )
            .unwrap();
        assert_eq!(
            keys().verify(&token, Utc::now()).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(refresh_token_hash(&a).len(), 64);
        assert_eq!(refresh_token_hash(&a), refresh_token_hash(&a));
    }
}
