//! order-service (spec/order.md): turns a plan, an image and a billing duration into a priced
//! order, records payment, and keeps the audit trail and durable jobs of every change.
//!
//! Besides HTTP, [`serve`] runs two background loops over the same database: the provisioning
//! worker ([`provisioning::Provisioner`], §7) and the job runner ([`handlers`], §8).

pub mod clients;
pub mod config;
pub mod domain;
pub mod flows;
pub mod handlers;
pub mod provisioning;
pub mod queues;
pub mod routes;
pub mod seed;
pub mod state;
pub mod store;

use std::future::Future;

pub use config::Config;
use platform::health::Check;
pub use platform::service::Workers;
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "order-service";

/// The platform's `jobs` migration is a symlink in `./migrations`, so it keeps its version and
/// checksum and the SQL exists once.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations (before the listener opens, §1.2).
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    platform::service::connect_and_migrate(&config.common, &MIGRATOR).await
}

/// Runs the service until `shutdown` resolves: migrations, the background workers, then HTTP.
/// On shutdown the listener stops first, then the workers stop claiming and finish or abandon
/// their current calls (§7.7).
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

/// The provisioning worker built from the state's configuration, listening to its waker.
pub fn provisioner(state: &AppState) -> anyhow::Result<provisioning::Provisioner> {
    let config = &state.config;
    let client = digitalocean::DigitalOceanClient::from_settings(&config.digitalocean)?;
    Ok(provisioning::Provisioner::new(
        state.pool.clone(),
        provisioning::ProvisioningSettings::from_config(config),
        client,
        config.credentials.clone(),
    )
    .with_waker(state.provisioning_waker.clone())
    .with_job_waker(state.job_waker.clone())
    .with_liveness(state.provisioning_liveness.clone()))
}

/// The job runner of the three queues, listening to the state's job waker.
pub fn job_worker(state: &AppState) -> anyhow::Result<platform::jobs::Worker> {
    let config = &state.config;
    let ctx =
        handlers::JobContext::from_config(config, state.pool.clone(), state.job_waker.clone())?;
    Ok(ctx.worker(platform::jobs::WorkerConfig::from_settings(
        config.job_poll_interval_ms,
        config.job_lease_seconds,
    )))
}

/// Spawns both background loops against the state's pool and configuration; they stop when
/// `shutdown` turns `true`. Tests call this (several times, to simulate restarts).
pub fn spawn_workers(
    state: &AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Workers> {
    let provisioner = provisioner(state)?;
    let job_worker = job_worker(state)?;
    let alive = state.provisioning_liveness.arm();
    let provisioning = provisioner.spawn(shutdown.clone());
    let jobs = tokio::spawn(async move {
        let _alive = alive;
        job_worker.run(shutdown).await;
    });
    Ok(Workers::new([provisioning, jobs]))
}

/// The document's description (`/api/openapi.json`).
const DESCRIPTION: &str = "Priced orders, payment status and VPS provisioning (spec/order.md). \
Customers create and read their own orders with a bearer token; billing and the back office \
use the internal routes with `X-API-Key` or an admin token.";

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    let mut checks = Vec::new();
    // Informational only: a catalog outage must not stop reads or provisioning (§4.9).
    if let Ok(catalog) = platform::client::ServiceClient::new(
        &platform::config::ServiceEndpoint {
            base_url: state.config.catalog.base_url.clone(),
            timeout_ms: 2000,
        },
        state.config.common.internal_api_key.clone(),
        SERVICE_NAME,
    ) {
        checks.push(Check::new("catalog", false, move || {
            let catalog = catalog.clone();
            async move {
                let call = platform::client::Call::get("/health", "health-check")
                    .mode(platform::client::CallMode::FromJob);
                catalog.call(call).await.is_success()
            }
        }));
    }
    // A provisioning loop that stopped or hung makes `/health` fail, so the orchestrator
    // restarts the process, which resumes all work from the database (§4.9).
    let interval = std::time::Duration::from_millis(state.config.provisioning_poll_interval_ms);
    let max_silence = (interval * 3).max(std::time::Duration::from_secs(60));
    let loops = state.provisioning_liveness.clone();
    let liveness: platform::health::Liveness =
        std::sync::Arc::new(move || loops.is_live(max_silence));
    platform::service::application(
        SERVICE_NAME,
        &state.config.common,
        platform::openapi::with_docs(SERVICE_NAME, DESCRIPTION, routes::router(state.clone())),
        &state.pool,
        state.redis.as_ref(),
        platform::service::HealthExtras {
            checks,
            liveness: Some(liveness),
        },
        platform::metrics::Sources::new().with(platform::jobs::QueueDepth::new(
            state.pool.clone(),
            &crate::queues::QUEUE_NAMES,
        )),
    )
}
