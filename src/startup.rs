//! Wiring: the shared state, the HTTP server on a bound listener (port 0 in tests).

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{
    App, Error, HttpMessage, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::{Next, from_fn},
    web,
};
use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    auth::JwtKeys,
    clock::{SharedClock, SystemClock},
    config::Settings,
    leaderboard::{Leaderboard, MemoryBoards, RedisBoards},
    limiter::{Limiter, MemoryLimiter, RedisLimiter},
    metrics::{self, Metrics},
    routes,
    services::{
        attempts, banks,
        boards::{self, BoardCounts, NameCache, RoundCache, StaleBoards},
        contests,
        pool::QuestionCache,
        seed,
    },
    store::{self, Db},
};

/// What every request handler may use. Nothing here is needed by another process: several
/// instances can serve behind a load balancer when Redis is configured.
pub struct AppState {
    pub db: Db,
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
    /// Token generations, checked by `AuthUser` on each request (cached briefly).
    pub generations: crate::auth::sessions::Generations,
}

impl AppState {
    /// Opens the database (and Redis when configured) and applies pending migrations.
    ///
    /// Fails when either cannot be reached or a migration fails.
    pub async fn connect(settings: Settings, clock: SharedClock) -> anyhow::Result<AppState> {
        let db = store::connect(&settings).await?;
        Migrator::up(&db, None)
            .await
            .context("database migration failed")?;
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
        Ok(AppState {
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
            generations: crate::auth::sessions::Generations::new(),
        })
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Builds the service on the system clock.
    ///
    /// Fails when the address cannot be bound or a dependency cannot be reached.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Arc::new(SystemClock), None).await
    }

    /// Builds the service with a given clock and worker count (tests use a manual clock and
    /// one worker).
    ///
    /// Fails when the address cannot be bound or a dependency cannot be reached.
    pub async fn build_with_clock(
        settings: Settings,
        clock: SharedClock,
        workers: Option<usize>,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let seed = settings.seed_demo_if_empty;
        let state = web::Data::new(AppState::connect(settings, clock).await?);
        if seed && let Some(report) = seed::seed_if_empty(&state).await? {
            tracing::info!(
                units = report.units_added,
                "empty database: demo data loaded"
            );
        }
        if state.settings.import_shipped_banks && store::banks::list(&state.db).await?.is_empty() {
            let summaries = banks::import_shipped(&state).await?;
            let questions: u32 = summaries.iter().map(|s| s.added).sum();
            tracing::info!(
                banks = summaries.len(),
                questions,
                "no question bank yet: shipped banks imported"
            );
        }
        if state.settings.import_shipped_banks
            && let Some(title) = seed::seed_contest(&state).await?
        {
            tracing::info!(contest = %title, "demo contest created");
        }
        spawn_sweeper(state.clone());
        let server = serve(listener, state.clone(), workers)?;
        Ok(Application {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Closes attempts past their deadline that nobody submitted, and finalises closed rounds.
/// Safe with many instances: each close is a conditional update that one instance wins, and a
/// round is finalised under a lease.
fn spawn_sweeper(state: web::Data<AppState>) {
    let every = state.settings.sweep_interval;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match attempts::sweep(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(closed = n, "sweeper closed expired attempts"),
                Err(e) => tracing::warn!(error = %e, "sweeper failed"),
            }
            if let Ok(n @ 1..) = boards::heal(&state).await {
                tracing::info!(boards = n, "boards caught up");
            }
            match contests::finalise_due(&state).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(rounds = n, "rounds finalised"),
                Err(e) => tracing::warn!(error = %e, "round finaliser failed"),
            }
        }
    });
}

fn serve(
    listener: TcpListener,
    state: web::Data<AppState>,
    workers: Option<usize>,
) -> anyhow::Result<Server> {
    let metrics = web::Data::new(Metrics::new());
    let json_limit = state.settings.json_limit;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(routes::guard::guard))
            .wrap(from_fn(metrics::track))
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(metrics.clone())
            .app_data(routes::json_config(json_limit))
            .app_data(routes::path_config())
            .app_data(routes::query_config())
            .configure(routes::configure)
            .default_service(web::route().to(routes::not_found))
    })
    .listen(listener)?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.run())
}

/// Echoes the request id of the log span as `x-request-id`, so a user's report can be matched
/// to the logs.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
