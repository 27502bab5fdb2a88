//! auth-service (spec/auth.md): accounts, passwords, JWT access tokens, rotating refresh tokens,
//! e-mail verification, password reset, Telegram linking and user administration.

pub mod accounts;
pub mod clients;
pub mod config;
pub mod domain;
pub mod routes;
pub mod seed;
pub mod sessions;
pub mod state;
pub mod store;

use std::future::Future;

pub use config::Config;
pub use state::AppState;

pub const SERVICE_NAME: &str = "auth-service";

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
    tracing::info!(addr = %listener.local_addr()?, "auth-service listening");
    platform::http::serve(listener, app, shutdown).await?;
    Ok(())
}

/// The document's description (`/api/openapi.json`).
const DESCRIPTION: &str = "Accounts, passwords, JWT access tokens and rotating refresh tokens \
(spec/auth.md). Public routes register, verify, log in and reset passwords; the caller's own account \
takes a bearer token; the back office manages users with `X-API-Key` or an admin token, and the \
notification service links Telegram chats with `X-API-Key`.";

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
