//! Settings from the environment (and a `.env` file if present), with defaults that make the
//! embedded mode work with no configuration at all.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use base64::Engine;
use rand::RngCore;

/// A value that must never reach a log.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who may read `GET /metrics`.
#[derive(Clone, Debug)]
pub enum MetricsAccess {
    /// Nobody: 404.
    Off,
    /// Requests from a loopback address that did not come through a proxy (the default).
    Loopback,
    /// Requests carrying `Authorization: Bearer <secret>`.
    Token(Secret),
}

impl MetricsAccess {
    /// Reads `off`, `loopback` or `token:<secret>` (a secret of at least 16 characters).
    ///
    /// Fails on anything else.
    pub fn parse(value: &str) -> anyhow::Result<Self> {
        match value.trim() {
            "off" => Ok(Self::Off),
            "loopback" => Ok(Self::Loopback),
            v => match v.strip_prefix("token:") {
                Some(secret) if secret.len() >= 16 => Ok(Self::Token(Secret::new(secret))),
                Some(_) => bail!("SOIDUONG_METRICS token must be at least 16 characters"),
                None => bail!("SOIDUONG_METRICS must be off, loopback or token:<secret>"),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub database_max_connections: u32,
    /// `None`: in-memory leaderboard and limiter (one process only).
    pub redis_url: Option<String>,
    /// Prefix of every Redis key this instance writes (tests give each test its own).
    pub redis_prefix: String,
    pub bind: String,
    pub jwt_secret: Secret,
    /// Set when the JWT secret was read from (or written to) this file, not the environment.
    pub jwt_secret_file: Option<PathBuf>,
    /// Base URL people reach the service at; used in links and QR codes.
    pub public_url: String,
    pub data_dir: PathBuf,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Largest JSON body accepted, in bytes.
    pub json_limit: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Commit concurrent starts, autosaves and round submits in groups on PostgreSQL
    /// (`crate::store::group`).
    pub group_saves: bool,
    /// Failed logins allowed per account, and per client address, in one window.
    pub login_failures_per_account: u64,
    pub login_failures_per_address: u64,
    pub login_failure_window: Duration,
    /// Load the demo units into an empty database at start.
    pub seed_demo_if_empty: bool,
    /// Import the shipped question banks and courses when the database has no bank.
    pub import_shipped_banks: bool,
    /// How long after the deadline saves and submits are still accepted.
    pub attempt_grace: Duration,
    /// How often expired attempts nobody submitted are closed.
    pub sweep_interval: Duration,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// The certificate signing key (an Ed25519 seed, base64url); `None` with no file: the
    /// data folder's `signing-key`, made once (see `crate::certificates::signing`).
    pub signing_key: Option<Secret>,
    /// A file holding the signing key (`SOIDUONG_SIGNING_KEY_FILE`).
    pub signing_key_file: Option<PathBuf>,
    /// Public keys of earlier signing keys, still published (`SOIDUONG_RETIRED_PUBLIC_KEYS`).
    pub retired_public_keys: Vec<String>,
    /// The name printed as issuer when a certificate's unit has none (the province's union).
    pub issuer_name: String,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

impl Settings {
    /// Defaults of the embedded mode, rooted at `data_dir`, with the given JWT secret.
    pub fn embedded(data_dir: PathBuf, jwt_secret: Secret) -> Self {
        Self {
            database_url: sqlite_url(&data_dir.join("soiduong.db")),
            database_max_connections: 8,
            redis_url: None,
            redis_prefix: "soiduong:".into(),
            bind: DEFAULT_BIND.into(),
            jwt_secret,
            jwt_secret_file: None,
            public_url: format!("http://{DEFAULT_BIND}"),
            data_dir,
            log_filter: "info".into(),
            log_format: LogFormat::Text,
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(30 * 24 * 3600),
            json_limit: 256 * 1024,
            trust_proxy: false,
            group_saves: true,
            login_failures_per_account: 5,
            login_failures_per_address: 50,
            login_failure_window: Duration::from_secs(15 * 60),
            seed_demo_if_empty: true,
            import_shipped_banks: true,
            attempt_grace: Duration::from_secs(5),
            sweep_interval: Duration::from_secs(30),
            metrics: MetricsAccess::Loopback,
            signing_key: None,
            signing_key_file: None,
            retired_public_keys: Vec::new(),
            issuer_name: "Tỉnh Đoàn An Giang".into(),
        }
    }

    /// Reads the environment (after loading `.env` if present).
    ///
    /// Fails when a variable is set but unreadable (a port that is not a number, a JWT secret
    /// shorter than 32 bytes) or when the data folder or the generated secret cannot be written.
    pub fn from_env() -> anyhow::Result<Self> {
        // A missing .env is the normal case.
        let _ = dotenvy::dotenv();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(var("SOIDUONG_DATA_DIR").unwrap_or_else(|| "./data".into()));
        std::fs::create_dir_all(&data_dir)
            .with_context(|| format!("cannot create the data folder {}", data_dir.display()))?;

        let secret_file = data_dir.join("jwt-secret");
        let (jwt_secret, jwt_secret_file) = match var("SOIDUONG_JWT_SECRET") {
            Some(s) if s.len() >= 32 => (Secret::new(s), None),
            Some(_) => bail!("SOIDUONG_JWT_SECRET must be at least 32 characters"),
            None => (load_or_create_secret(&secret_file)?, Some(secret_file)),
        };

        let mut s = Self::embedded(data_dir, jwt_secret);
        s.jwt_secret_file = jwt_secret_file;
        if let Some(url) = var("DATABASE_URL") {
            s.database_url = url;
            s.seed_demo_if_empty = false;
            s.import_shipped_banks = false;
        }
        if let Some(n) = var("DATABASE_MAX_CONNECTIONS") {
            s.database_max_connections = n
                .parse()
                .context("DATABASE_MAX_CONNECTIONS must be a number")?;
        }
        s.redis_url = var("REDIS_URL");
        if let Some(p) = var("SOIDUONG_REDIS_PREFIX") {
            s.redis_prefix = p;
        }
        if let Some(bind) = var("SOIDUONG_BIND") {
            s.public_url = format!("http://{bind}");
            s.bind = bind;
        }
        if let Some(url) = var("SOIDUONG_PUBLIC_URL") {
            s.public_url = url.trim_end_matches('/').to_owned();
        }
        if let Some(f) = var("SOIDUONG_LOG").or_else(|| var("RUST_LOG")) {
            s.log_filter = f;
        }
        s.log_format = match var("SOIDUONG_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("SOIDUONG_LOG_FORMAT must be text or json, not {other}"),
        };
        if let Some(v) = var("SOIDUONG_GROUP_SAVES") {
            s.group_saves = !matches!(v.as_str(), "0" | "false" | "no");
        }
        if let Some(v) = var("SOIDUONG_TRUST_PROXY") {
            s.trust_proxy = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = var("SOIDUONG_SEED_DEMO") {
            s.seed_demo_if_empty = matches!(v.as_str(), "1" | "true" | "yes");
            s.import_shipped_banks = s.seed_demo_if_empty;
        }
        if let Some(v) = var("SOIDUONG_ATTEMPT_GRACE_SECS") {
            s.attempt_grace = Duration::from_secs(
                v.parse()
                    .context("SOIDUONG_ATTEMPT_GRACE_SECS must be a number")?,
            );
        }
        if let Some(v) = var("SOIDUONG_METRICS") {
            s.metrics = MetricsAccess::parse(&v)?;
        }
        s.signing_key = var("SOIDUONG_SIGNING_KEY").map(Secret::new);
        s.signing_key_file = var("SOIDUONG_SIGNING_KEY_FILE").map(PathBuf::from);
        if let Some(v) = var("SOIDUONG_RETIRED_PUBLIC_KEYS") {
            s.retired_public_keys = v
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = var("SOIDUONG_ISSUER_NAME") {
            s.issuer_name = v;
        }
        Ok(s)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Reads the JWT secret kept in the data folder, or makes one (readable by the owner only).
/// Several instances behind a load balancer must share `SOIDUONG_JWT_SECRET` instead.
fn load_or_create_secret(path: &Path) -> anyhow::Result<Secret> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(Secret::new(existing));
        }
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(Secret::new(secret))
}
