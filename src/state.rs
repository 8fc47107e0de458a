//! The shared state every request handler and background task uses: the database, Redis, the
//! clock, keys, the leaderboard and limiter backends, and the in-process caches. Built once
//! at start (`AppState::connect`); services take it, never the wiring in `startup`.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::{
    auth::{JwtKeys, sessions::Callers},
    certificates::signing::Signer,
    clock::SharedClock,
    config::Settings,
    domain::indicators::Catalogue,
    leaderboard::{Leaderboard, MemoryBoards, RedisBoards},
    limiter::{Limiter, MemoryLimiter, RedisLimiter},
    services::{
        boards::StaleBoards,
        caches::{BoardCounts, NameCache, QuestionCache, RoundCache},
    },
    store::{self, Db},
};

/// What every request handler may use. Nothing here is needed by another process: several
/// instances can serve behind a load balancer when Redis is configured.
pub struct AppState {
    pub db: Db,
    /// Starts of attempts, committed in groups on PostgreSQL.
    pub starts: store::starts::Starts,
    /// Autosaves, committed in groups on PostgreSQL.
    pub saves: store::saves::Saves,
    /// Ends of attempts that write nothing else (a round's submit), in groups on PostgreSQL.
    pub finishes: store::finishes::Finishes,
    pub settings: Arc<Settings>,
    pub clock: SharedClock,
    pub jwt: JwtKeys,
    pub limiter: Arc<dyn Limiter>,
    pub redis: Option<ConnectionManager>,
    /// Question versions and bank pools held in memory (they are immutable).
    pub questions: QuestionCache,
    /// Live leaderboards: Redis when configured, else process memory.
    pub boards: Arc<dyn Leaderboard>,
    /// Masked names shown on boards.
    pub names: NameCache,
    /// Boards that missed writes while their store was down.
    pub stale_boards: StaleBoards,
    /// Rounds as board reads need them, held for a few seconds.
    pub rounds: RoundCache,
    /// How many entries each board should hold, counted in the database, held for seconds.
    pub board_counts: BoardCounts,
    /// Unit boards as the participant pages show them, held for seconds.
    pub unit_boards: crate::services::boards::RecentUnitBoards,
    /// Caller profiles (with their token generation), read by the `Caller` and `AuthUser`
    /// extractors on each request; held for seconds, dropped on change (`auth::sessions`).
    pub callers: Callers,
    /// The certificate signing key and the published public keys.
    pub signer: Arc<Signer>,
    /// Certificate PDFs rendered at once (each on the blocking pool): a burst of downloads
    /// queues here instead of taking every blocking thread.
    pub renders: Arc<tokio::sync::Semaphore>,
    /// The shipped indicator catalogue, checked at start (admins' additions live in the
    /// database).
    pub catalogue: Arc<Catalogue>,
}

/// Opens the database alone and applies pending migrations: what `migrate` and `create-admin`
/// need (no Redis, no caches).
///
/// Fails when the database cannot be reached or a migration fails.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = store::connect(settings).await?;
    Migrator::up(&db, None)
        .await
        .context("database migration failed")?;
    Ok(db)
}

impl AppState {
    /// Opens the database (and Redis when configured) and applies pending migrations.
    ///
    /// Fails when either cannot be reached or a migration fails.
    pub async fn connect(settings: Settings, clock: SharedClock) -> anyhow::Result<AppState> {
        let db = open_database(&settings).await?;
        let signer = Signer::from_settings(&settings).context("certificate signing key")?;
        let catalogue = Catalogue::shipped().map_err(|errors| {
            let listed: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "the shipped indicator catalogue is broken: {}",
                listed.join("; ")
            )
        })?;
        let redis = match &settings.redis_url {
            Some(url) => {
                let client = redis::Client::open(url.as_str())
                    .context("REDIS_URL is not a valid Redis URL")?;
                // Fail fast while Redis is down: boards answer 503 and submissions carry on, rather
                // than requests waiting on a dead connection. The connection is made lazily and
                // remade after a failure, so the service starts (degraded) and recovers on its
                // own when Redis is down at start or restarts later.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(1)))
                    .set_response_timeout(Some(Duration::from_secs(2)))
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_millis(200));
                let conn = ConnectionManager::new_lazy_with_config(client, config)
                    .context("cannot set up the Redis connection")?;
                let mut probe = conn.clone();
                match tokio::time::timeout(
                    Duration::from_secs(2),
                    redis::cmd("PING").query_async::<String>(&mut probe),
                )
                .await
                {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => {
                        tracing::warn!(error = %e, "Redis does not answer at start: boards are unavailable until it does")
                    }
                    Err(_) => tracing::warn!(
                        "Redis does not answer at start: boards are unavailable until it does"
                    ),
                }
                Some(conn)
            }
            None => None,
        };
        let boards: Arc<dyn Leaderboard> = match &redis {
            Some(conn) => Arc::new(RedisBoards::new(
                conn.clone(),
                settings.redis_prefix.clone(),
            )),
            None => Arc::new(MemoryBoards::new()),
        };
        let limiter: Arc<dyn Limiter> = match &redis {
            Some(conn) => Arc::new(RedisLimiter::new(
                conn.clone(),
                settings.redis_prefix.clone(),
            )),
            None => Arc::new(MemoryLimiter::new()),
        };
        // The three group writers hold at most three quarters of the pool between them.
        let (grouped, in_flight) = (
            settings.group_saves,
            (settings.database_max_connections / 4) as usize,
        );
        Ok(AppState {
            starts: store::starts::Starts::new(db.clone(), grouped, in_flight),
            saves: store::saves::Saves::new(db.clone(), grouped, in_flight),
            finishes: store::finishes::Finishes::new(db.clone(), grouped, in_flight),
            db,
            jwt: JwtKeys::new(&settings.jwt_secret),
            settings: Arc::new(settings),
            clock,
            limiter,
            redis,
            questions: QuestionCache::new(),
            boards,
            names: NameCache::new(),
            stale_boards: StaleBoards::default(),
            rounds: RoundCache::default(),
            board_counts: BoardCounts::default(),
            unit_boards: Default::default(),
            callers: Callers::new(),
            signer: Arc::new(signer),
            renders: Arc::new(tokio::sync::Semaphore::new(4)),
            catalogue: Arc::new(catalogue),
        })
    }
}
