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
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "order-service";

/// The platform's `jobs` migration is a symlink in `./migrations`, so it keeps its version and
/// checksum and the SQL exists once.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations (before the listener opens, §1.2).
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(config.common.database_max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .connect(config.common.database_url.expose())
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
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
    let app = app(state);
    tracing::info!(addr = %listener.local_addr()?, "order-service listening");
    let served = platform::http::serve(listener, app, shutdown).await;
    let _ = stop.send(true);
    workers.join().await;
    served?;
    Ok(())
}

/// The background loops of one process.
pub struct Workers {
    pub provisioning: tokio::task::JoinHandle<()>,
    pub jobs: tokio::task::JoinHandle<()>,
}

impl Workers {
    /// Waits for both loops after their shutdown signal.
    pub async fn join(self) {
        let _ = self.provisioning.await;
        let _ = self.jobs.await;
    }

    /// Stops both at once, like a crash (tests): their leases stay until they expire.
    pub fn abort(&self) {
        self.provisioning.abort();
        self.jobs.abort();
    }
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
    Ok(Workers { provisioning, jobs })
}

/// `GET /health` answers `503` once a background loop stopped or hung (§4.9), so the
/// orchestrator restarts the process, which resumes all work from the database.
async fn liveness_gate(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if request.uri().path() == "/health" {
        let interval = std::time::Duration::from_millis(state.config.provisioning_poll_interval_ms);
        let max_silence = (interval * 3).max(std::time::Duration::from_secs(60));
        if !state.provisioning_liveness.is_live(max_silence) {
            let body = serde_json::json!({
                "status": "unavailable",
                "service": SERVICE_NAME,
                "timestamp": platform::time_format::format(time::OffsetDateTime::now_utc()),
            });
            return (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(body),
            )
                .into_response();
        }
    }
    next.run(request).await
}

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    let mut checks = vec![Check::postgres(state.pool.clone())];
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
    if let Some(redis) = state.redis.clone() {
        // Limits that silently became per-process would no longer hold (platform.md §8).
        checks.push(Check::redis(redis, true));
    }
    let health = platform::health::routes(SERVICE_NAME, checks).layer(
        axum::middleware::from_fn_with_state(state.clone(), liveness_gate),
    );
    let routes = routes::router(state.clone()).merge(health);
    platform::http::finish_router(
        routes,
        platform::http::HttpSettings {
            service_name: SERVICE_NAME,
            app_env: state.config.common.app_env,
            cors_origins: state.config.common.cors_origins.clone(),
            trusted_proxy_hops: state.config.common.trusted_proxy_hops,
        },
    )
}
