//! billing-service (spec/billing.md): turns an order into an invoice, lets the customer pay it
//! through Tripay, records every gateway event, and tells the order service — durably — when an
//! order has been paid.
//!
//! Besides HTTP, [`serve`] runs the job worker ([`handlers`], §8, §9.1) and the periodic expiry
//! and reconciliation tasks ([`flows::periodic`], §9.2–§9.3) over the same database.

pub mod channel_cache;
pub mod clients;
pub mod config;
pub mod domain;
pub mod flows;
pub mod handlers;
pub mod queues;
pub mod routes;
pub mod state;
pub mod store;
pub mod views;

use std::future::Future;

pub use config::Config;
use platform::health::Check;
pub use platform::service::Workers;
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "billing-service";

/// The platform's `jobs` migration is a symlink in `./migrations`, so it keeps its version and
/// checksum and the SQL exists once.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations (before the listener opens).
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    platform::service::connect_and_migrate(&config.common, &MIGRATOR).await
}

/// Runs the service until `shutdown` resolves: migrations, the background work, then HTTP. On
/// shutdown the listener stops first, then the workers stop claiming and finish their calls.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    let state = AppState::new(config, pool)?;
    // 401/403-dead jobs get another chance: a corrected key implies a restart (platform 10.4).
    let revived = platform::jobs::reset_auth_rejected(&state.pool).await?;
    if revived > 0 {
        tracing::info!(jobs = revived, "AUTH_REJECTED jobs returned to PENDING");
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = spawn_workers(&state, stopped)?;
    platform::service::serve_then_stop_workers(
        SERVICE_NAME,
        listener,
        app(state),
        shutdown,
        stop,
        workers,
    )
    .await
}

/// The job runner of both queues, listening to the state's job waker.
pub fn job_worker(state: &AppState) -> anyhow::Result<platform::jobs::Worker> {
    let config = &state.config;
    let ctx =
        handlers::JobContext::from_config(config, state.pool.clone(), state.job_waker.clone())?;
    Ok(ctx.worker(
        config,
        platform::jobs::WorkerConfig::from_settings(
            config.job_poll_interval_ms,
            config.job_lease_seconds,
        ),
    ))
}

/// Spawns the job worker and the periodic tasks; they stop when `shutdown` turns `true`.
/// Tests call this (several times, to simulate restarts).
pub fn spawn_workers(
    state: &AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Workers> {
    let worker = job_worker(state)?;
    let jobs = worker.spawn(shutdown.clone());
    let periodic = tokio::spawn(flows::periodic::run(state.clone(), shutdown));
    Ok(Workers::new([jobs, periodic]))
}

/// The document's description (`/api/openapi.json`).
const DESCRIPTION: &str = "Invoices for orders, Tripay payments and the signed payment callback \
(spec/billing.md). Customers create, read and pay their own invoices with a bearer token; Tripay \
calls the webhook, authenticated by its signature alone; the order service and the back office use \
the internal routes with `X-API-Key` or an admin token.";

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    // Informational only (§1): Tripay being down must not take billing out of rotation. Read
    // through the channel cache, so probes do not turn into a stream of calls to Tripay.
    let channels = state.channels.clone();
    let checks = vec![Check::new("tripay", false, move || {
        let channels = channels.clone();
        async move { channels.get().await.is_ok() }
    })];
    platform::service::application(
        SERVICE_NAME,
        &state.config.common,
        platform::openapi::with_docs(SERVICE_NAME, DESCRIPTION, routes::router(state.clone())),
        &state.pool,
        state.redis.as_ref(),
        platform::service::HealthExtras {
            checks,
            liveness: None,
        },
        platform::metrics::Sources::new().with(platform::jobs::QueueDepth::new(
            state.pool.clone(),
            &crate::queues::QUEUE_NAMES,
        )),
    )
}
