//! The certificate signing key and the published public keys.
//!
//! The key is an Ed25519 seed (32 bytes, base64url) read from `SOIDUONG_SIGNING_KEY`, or from
//! the file `SOIDUONG_SIGNING_KEY_FILE` names, or — the embedded default — from
//! `signing-key` in the data folder, made once (mode 0600) when it is missing.
//!
//! Rotation: give the service a new key and add the old *public* key (as published at
//! `/.well-known/soiduong-certificates.pub`) to `SOIDUONG_RETIRED_PUBLIC_KEYS` (comma
//! separated). Retired keys stay published, so certificates signed with them keep verifying;
//! new certificates are signed with the new key. Each certificate names its key by id.

use std::{io::Write, path::Path};

use anyhow::{Context, bail};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::config::Settings;

/// One public key as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedKey {
    /// The id certificates name (`key_id`).
    pub id: String,
    /// The algorithm: always `Ed25519`.
    pub algorithm: String,
    /// The raw 32-byte public key, base64url without padding.
    pub public_key: String,
    /// The same key as a `did:key` (what portable credentials name as verification method).
    pub did: String,
    /// True for the key new certificates are signed with.
    pub current: bool,
}

/// The published key list (`/.well-known/soiduong-certificates.pub`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyList {
    pub issuer: String,
    pub keys: Vec<PublishedKey>,
}

/// Signs certificates with the current key; knows every published key to verify with.
pub struct Signer {
    key: SigningKey,
    id: String,
    published: Vec<PublishedKey>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The id of a public key: `ed25519-` and the first 8 bytes of its SHA-256, in hex.
pub fn key_id(public: &VerifyingKey) -> String {
    let digest = Sha256::digest(public.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("ed25519-{hex}")
}

/// The `did:key` of an Ed25519 public key: multicodec 0xed01, base58btc, multibase `z`.
pub fn did_key(public: &VerifyingKey) -> String {
    format!("did:key:{}", multibase_key(public))
}

/// The multibase form of a public key (`z6Mk…`), as `did:key` and Multikey use it.
pub fn multibase_key(public: &VerifyingKey) -> String {
    let mut bytes = vec![0xed, 0x01];
    bytes.extend_from_slice(public.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

/// Reads a public key given as base64url (or standard base64), or as a `did:key`.
pub fn parse_public_key(text: &str) -> anyhow::Result<VerifyingKey> {
    let text = text.trim();
    let bytes = if let Some(mb) = text.strip_prefix("did:key:z") {
        let raw = bs58::decode(mb).into_vec().context("not base58")?;
        match raw.strip_prefix(&[0xed, 0x01]) {
            Some(k) => k.to_vec(),
            None => bail!("not an Ed25519 did:key"),
        }
    } else {
        decode_base64(text)?
    };
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("an Ed25519 public key has 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes).context("not a valid Ed25519 public key")
}

fn decode_base64(text: &str) -> anyhow::Result<Vec<u8>> {
    let trimmed = text.trim().trim_end_matches('=');
    URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .context("not base64")
}

fn published(public: &VerifyingKey, current: bool) -> PublishedKey {
    PublishedKey {
        id: key_id(public),
        algorithm: "Ed25519".into(),
        public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
        did: did_key(public),
        current,
    }
}

impl Signer {
    /// A signer from a 32-byte seed and the retired public keys to keep publishing.
    pub fn new(seed: [u8; 32], retired: &[VerifyingKey]) -> Self {
        let key = SigningKey::from_bytes(&seed);
        let public = key.verifying_key();
        let mut keys = vec![published(&public, true)];
        keys.extend(
            retired
                .iter()
                .filter(|k| **k != public)
                .map(|k| published(k, false)),
        );
        Self {
            id: key_id(&public),
            key,
            published: keys,
        }
    }

    /// The signer the settings describe (see the module documentation).
    ///
    /// Fails when the configured key is not a 32-byte base64url seed, a retired key is not a
    /// public key, or the data folder's key cannot be read or written.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let seed_text = match (&settings.signing_key, &settings.signing_key_file) {
            (Some(secret), _) => secret.expose().to_owned(),
            (None, Some(file)) => std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the signing key {}", file.display()))?,
            (None, None) => load_or_create_seed(&settings.data_dir.join("signing-key"))?,
        };
        let seed: [u8; 32] = decode_base64(&seed_text)
            .context("the signing key is not base64")?
            .try_into()
            .map_err(|_| anyhow::anyhow!("the signing key must be a 32-byte Ed25519 seed"))?;
        let retired = settings
            .retired_public_keys
            .iter()
            .map(|k| parse_public_key(k))
            .collect::<anyhow::Result<Vec<_>>>()
            .context("SOIDUONG_RETIRED_PUBLIC_KEYS")?;
        Ok(Self::new(seed, &retired))
    }

    /// The id of the key new certificates are signed with.
    pub fn key_id(&self) -> &str {
        &self.id
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The raw signature over `bytes`.
    pub fn sign_raw(&self, bytes: &[u8]) -> [u8; 64] {
        self.key.sign(bytes).to_bytes()
    }

    /// The signature over `bytes`, base64url without padding.
    pub fn sign(&self, bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(self.sign_raw(bytes))
    }

    /// Every published key, the current one first.
    pub fn keys(&self) -> &[PublishedKey] {
        &self.published
    }

    pub fn key_list(&self, issuer: &str) -> KeyList {
        KeyList {
            issuer: issuer.to_owned(),
            keys: self.published.clone(),
        }
    }
}

/// Whether `signature` (base64url) is a signature over `bytes` by the key `key_id` among
/// `keys`.
pub fn verify(keys: &[PublishedKey], key_id: &str, bytes: &[u8], signature: &str) -> bool {
    let Some(key) = keys.iter().find(|k| k.id == key_id) else {
        return false;
    };
    let Ok(public) = parse_public_key(&key.public_key) else {
        return false;
    };
    let Ok(raw) = decode_base64(signature) else {
        return false;
    };
    let Ok(raw) = <[u8; 64]>::try_from(raw.as_slice()) else {
        return false;
    };
    public.verify(bytes, &Signature::from_bytes(&raw)).is_ok()
}

/// Reads the seed kept in the data folder, or makes one (readable by the owner only). Made
/// aside and linked into place, so that two processes starting at once agree on one key.
fn load_or_create_seed(path: &Path) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let text = URL_SAFE_NO_PAD.encode(seed);
    let aside = path.with_extension(format!("new-{}", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&aside)
        .with_context(|| format!("cannot write {}", aside.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    drop(file);
    let linked = std::fs::hard_link(&aside, path);
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_one_changed_byte_fails() {
        let signer = Signer::new([7; 32], &[]);
        let sig = signer.sign(b"facts");
        assert!(verify(signer.keys(), signer.key_id(), b"facts", &sig));
        assert!(!verify(signer.keys(), signer.key_id(), b"facts!", &sig));
        assert!(!verify(signer.keys(), "ed25519-0000", b"facts", &sig));
    }

    #[test]
    fn retired_keys_stay_published_and_verify_their_signatures() {
        let old = Signer::new([1; 32], &[]);
        let sig = old.sign(b"old certificate");
        let new = Signer::new([2; 32], &[old.verifying_key()]);
        assert_eq!(new.keys().len(), 2);
        assert!(new.keys()[0].current && !new.keys()[1].current);
        assert!(verify(new.keys(), old.key_id(), b"old certificate", &sig));
    }

    #[test]
    fn public_keys_read_back_from_every_published_form() {
        let signer = Signer::new([3; 32], &[]);
        let k = &signer.keys()[0];
        assert!(k.did.starts_with("did:key:z6Mk"));
        assert_eq!(parse_public_key(&k.did).unwrap(), signer.verifying_key());
        assert_eq!(
            parse_public_key(&k.public_key).unwrap(),
            signer.verifying_key()
        );
    }
}
