//! notification-service (spec/notification.md): turns business events of the order, billing and
//! auth services into e-mail and Telegram messages rendered from editable templates, delivered
//! through the durable queues `email` and `telegram`, every delivery logged.
//!
//! Besides HTTP, [`serve`] runs the job runner of both queues ([`handlers`]), the daily
//! clean-up of old logs and dead letters ([`cleanup`]) and, when enabled, the expiry reminders
//! ([`reminders`]).

pub mod channels;
pub mod cleanup;
pub mod clients;
pub mod config;
pub mod domain;
pub mod flows;
pub mod handlers;
pub mod lock;
pub mod poller;
pub mod queues;
pub mod reminders;
pub mod routes;
pub mod state;
pub mod store;
pub mod templates;
pub mod throttle;

use std::future::Future;
use std::sync::atomic::Ordering;

pub use config::Config;
use platform::health::Check;
pub use platform::service::Workers;
pub use state::{AppState, Clock};

pub const SERVICE_NAME: &str = "notification-service";

/// The platform's `jobs` migration is a symlink in `./migrations`, so it keeps its version and
/// checksum and the SQL exists once.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects to the database and applies the migrations (before the listener opens).
pub async fn connect_and_migrate(config: &Config) -> anyhow::Result<sqlx::PgPool> {
    platform::service::connect_and_migrate(&config.common, &MIGRATOR).await
}

/// Runs the service until `shutdown` resolves: migrations and default templates, the startup
/// checks of SMTP and Telegram, the background workers, then HTTP. On shutdown the listener
/// stops first, then the workers stop claiming and finish or abandon their current attempts.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    let state = AppState::new(config, pool)?;
    prepare(&state).await?;
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

/// What must happen once before the service takes traffic: the default templates, and the
/// connection checks whose results readiness reports.
pub async fn prepare(state: &AppState) -> anyhow::Result<()> {
    let inserted = store::templates::seed_defaults(&state.pool).await?;
    if inserted > 0 {
        tracing::info!(inserted, "default templates inserted");
    }
    let ctx = handlers::JobContext::from_state(state)?;
    if let Some(mailer) = &ctx.mailer {
        let reachable = mailer.test_connection().await;
        state.smtp_reachable.store(reachable, Ordering::Relaxed);
        if !reachable {
            tracing::warn!("SMTP test connection failed; e-mail jobs wait and retry");
        }
    }
    if let Some(telegram) = &ctx.telegram {
        match telegram.get_me().await {
            Ok(username) => {
                state.telegram_ready.store(true, Ordering::Relaxed);
                tracing::info!(bot = %username, "Telegram bot ready");
            }
            Err(e) => tracing::error!(
                event = "telegram_unauthorized",
                code = e.code,
                "Telegram getMe failed; telegram jobs retry until the token works"
            ),
        }
    }
    Ok(())
}

/// The job runner of both queues, listening to the state's job waker.
pub fn job_worker(state: &AppState) -> anyhow::Result<platform::jobs::Worker> {
    let config = &state.config;
    let ctx = handlers::JobContext::from_state(state)?;
    Ok(ctx.worker(platform::jobs::WorkerConfig::from_settings(
        config.job_poll_interval_ms,
        config.job_lease_seconds,
    )))
}

/// Spawns the job runner and the clean-up loop; they stop when `shutdown` turns `true`. Tests
/// call this (several times, to simulate restarts).
pub fn spawn_workers(
    state: &AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Workers> {
    let worker = job_worker(state)?;
    let jobs = worker.spawn(shutdown.clone());
    let cleanup = tokio::spawn(cleanup::run(
        state.pool.clone(),
        state.config.queues.clone(),
        shutdown.clone(),
    ));
    let reminders = state
        .config
        .reminders
        .enabled
        .then(|| tokio::spawn(reminders::run(state.clone(), shutdown.clone())));
    let telegram = &state.config.telegram;
    let poller = if telegram.linking_enabled && telegram.active() {
        let client = channels::telegram::TelegramClient::new(telegram)?;
        Some(tokio::spawn(poller::run(state.clone(), client, shutdown)))
    } else {
        None
    };
    Ok(Workers::new(
        [Some(jobs), Some(cleanup), reminders, poller]
            .into_iter()
            .flatten(),
    ))
}

/// The document's description (`/api/openapi.json`).
const DESCRIPTION: &str = "E-mail and Telegram messages from editable templates, delivered through \
durable queues and logged (spec/notification.md). The order, billing and auth services send events \
with `X-API-Key`; the back office manages templates, logs and dead letters with `X-API-Key` or an \
admin token.";

/// The complete HTTP application: routes, health and the shared layers.
pub fn app(state: AppState) -> axum::Router {
    let mut checks = Vec::new();
    // Only PostgreSQL is required: the queues absorb SMTP and Telegram outages, and without
    // Redis the user cache is bypassed.
    if let Some(redis) = &state.redis {
        checks.push(Check::redis(redis.clone(), false));
    }
    if state.config.smtp.is_some() {
        let smtp = state.smtp_reachable.clone();
        checks.push(Check::new("smtp", false, move || {
            let smtp = smtp.clone();
            async move { smtp.load(Ordering::Relaxed) }
        }));
    }
    if state.config.telegram.active() {
        let telegram = state.telegram_ready.clone();
        checks.push(Check::new("telegram", false, move || {
            let telegram = telegram.clone();
            async move { telegram.load(Ordering::Relaxed) }
        }));
    }
    platform::service::application(
        SERVICE_NAME,
        &state.config.common,
        platform::openapi::with_docs(SERVICE_NAME, DESCRIPTION, routes::router(state.clone())),
        &state.pool,
        None,
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
