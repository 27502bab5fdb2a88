//! catalog-service (spec/catalog.md): VPS plans with per-duration pricing, scheduled promos,
//! images and their plan compatibility, and coupons with their redemptions. Every discount the
//! platform grants is computed here.

pub mod config;
pub mod domain;
pub mod flows;
pub mod routes;
pub mod seed;
pub mod state;
pub mod store;

use std::future::Future;

pub use config::Config;
use platform::health::Check;
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "catalog-service";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations.
///
/// No ping before each checkout (`test_before_acquire`): on the public reads that ping was a
/// round trip per query and halved throughput (bench/README.md). A connection broken by a
/// database restart now fails one query instead (503; callers retry per platform.md §10.2) and
/// is then discarded by the pool.
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

/// Runs the service until `shutdown` resolves: migrations, the optional seed, then HTTP.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    if config.seed_on_start {
        seed::run(&pool, &config).await?;
    }
    let state = AppState::new(config, pool)?;
    let app = app(state);
    tracing::info!(addr = %listener.local_addr()?, "catalog-service listening");
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
