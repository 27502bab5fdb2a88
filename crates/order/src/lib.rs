//! order-service (spec/order.md): turns a plan, an image and a billing duration into a priced
//! order, records payment, and keeps the audit trail and durable jobs of every change.
//!
//! Phase 1: the HTTP API, the state machine and the outbox rows. The provisioning worker and the
//! job handlers (notifications, coupon releases, payment timeouts) consume those rows in phase 2.

pub mod clients;
pub mod config;
pub mod domain;
pub mod flows;
pub mod queues;
pub mod routes;
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

/// Runs the service until `shutdown` resolves: migrations, then HTTP.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    let state = AppState::new(config, pool)?;
    let app = app(state);
    tracing::info!(addr = %listener.local_addr()?, "order-service listening");
    platform::http::serve(listener, app, shutdown).await?;
    Ok(())
}

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    let mut checks = vec![Check::postgres(state.pool.clone())];
    if let Some(redis) = state.redis.clone() {
        // Limits that silently became per-process would no longer hold (platform.md §8).
        checks.push(Check::redis(redis, true));
    }
    let routes =
        routes::router(state.clone()).merge(platform::health::routes(SERVICE_NAME, checks));
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
