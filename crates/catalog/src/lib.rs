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
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "catalog-service";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations.
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    platform::service::connect_and_migrate(&config.common, &MIGRATOR).await
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

/// The document's description (`/api/openapi.json`).
const DESCRIPTION: &str = "VPS plans with per-duration pricing and promos, images, and coupons \
(spec/catalog.md). The public routes need no credentials (coupon validation optionally takes a \
bearer token or `X-API-Key`); the admin routes take `X-API-Key` or an admin token; redeem and \
release are for the order service and take `X-API-Key` only.";

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    platform::service::application(
        SERVICE_NAME,
        &state.config.common,
        platform::openapi::with_docs(SERVICE_NAME, DESCRIPTION, routes::router(state.clone())),
        &state.pool,
        state.redis.as_ref(),
        Default::default(),
        platform::metrics::Sources::new(),
    )
}
