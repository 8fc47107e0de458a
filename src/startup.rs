//! Wiring: the HTTP server on a bound listener (port 0 in tests).

use std::{net::TcpListener, sync::Arc};

use actix_web::{
    App, Error, HttpMessage, HttpServer,
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::{Next, from_fn},
    web,
};
use anyhow::Context;
use tracing_actix_web::{RequestId, TracingLogger};

use crate::{
    clock::{SharedClock, SystemClock},
    config::Settings,
    metrics::{self, Metrics},
    routes,
    services::{attempts, banks, boards, contests, seed},
    state::AppState,
    store,
};

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
            .wrap(from_fn(crate::web::pages::session_cookies))
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
