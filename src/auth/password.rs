//! Argon2id at OWASP's recommended parameters (19 MiB, 2 passes, 1 lane: the crate's
//! defaults). Hashing takes tens of milliseconds of CPU, so it runs on the blocking pool and
//! never on an async worker: logins are the one CPU-bound step of a round-opening spike.

use std::sync::LazyLock;

use anyhow::{Context, anyhow};
use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};

/// A hash to compare against when the account does not exist, so an unknown login costs the
/// same time as a wrong password and response times do not reveal which logins exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"soiduong-no-such-account")
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Hashes a password into a PHC string. Fails only if the blocking pool is gone.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow!("argon2 hash: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// Checks `password` against `stored` (or against a dummy hash when there is no account).
/// Fails only if the blocking pool is gone; a wrong password or a corrupt hash is `false`.
pub async fn verify(password: String, stored: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let exists = stored.is_some();
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        ok && exists
    })
    .await
    .context("password verification task")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_call() {
        let a = hash("mật khẩu dài".into()).await.unwrap();
        let b = hash("mật khẩu dài".into()).await.unwrap();
        assert_ne!(a, b, "each hash has its own salt");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify("mật khẩu dài".into(), Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("sai mật khẩu".into(), Some(a)).await.unwrap());
        assert!(!verify("bất kỳ".into(), None).await.unwrap());
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
    }
}
