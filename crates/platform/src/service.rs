//! What every service's `lib.rs` does the same way: its pool and migrations, its complete HTTP
//! application around its routes, and the clock its rules read.

use std::sync::Arc;

use axum::Router;
use sqlx::PgPool;
use sqlx::migrate::Migrator;
use time::OffsetDateTime;

use crate::config::CommonConfig;
use crate::health::{Check, Liveness, routes_with_liveness};
use crate::http::{HttpSettings, finish_router};
use crate::metrics::Sources;
use crate::ratelimit::RedisHandle;

/// Connects to `DATABASE_URL` and applies the service's migrations (platform.md §12: before the
/// listener opens).
///
/// No ping before each checkout (`test_before_acquire`): that ping was a round trip per query and
/// halved the catalog's read throughput (bench/README.md). A connection broken by a database
/// restart fails one query instead (503; callers retry per platform.md §10.2) and is dropped.
pub async fn connect_and_migrate(
    common: &CommonConfig,
    migrator: &Migrator,
) -> anyhow::Result<PgPool> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(common.database_max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .test_before_acquire(false)
        .connect(common.database_url.expose())
        .await?;
    migrator.run(&pool).await?;
    Ok(pool)
}

/// What `/health` and `/health/ready` look at beyond PostgreSQL and Redis.
#[derive(Default)]
pub struct HealthExtras {
    /// Informational or required checks of other dependencies (`/health/ready`).
    pub checks: Vec<Check>,
    /// The service's own background loops (`/health`).
    pub liveness: Option<Liveness>,
}

/// The complete HTTP application: the service's routes, `/health` and `/health/ready` (PostgreSQL,
/// Redis as a required check when it holds the rate limits, plus `extras`), `/metrics` (the
/// process-wide families plus `metrics`' scrape-time collectors), and the shared layers of
/// [`finish_router`].
pub fn application(
    service_name: &'static str,
    common: &CommonConfig,
    routes: Router,
    pool: &PgPool,
    redis: Option<&RedisHandle>,
    extras: HealthExtras,
    metrics: Sources,
) -> Router {
    let mut checks = vec![Check::postgres(pool.clone())];
    if let Some(redis) = redis {
        // Limits that silently became per-process would no longer hold (platform.md §8).
        checks.push(Check::redis(redis.clone(), true));
    }
    checks.extend(extras.checks);
    finish_router(
        routes
            .merge(routes_with_liveness(service_name, checks, extras.liveness))
            .merge(crate::metrics::router(metrics)),
        HttpSettings {
            service_name,
            app_env: common.app_env,
            cors_origins: common.cors_origins.clone(),
            trusted_proxy_hops: common.trusted_proxy_hops,
        },
    )
}

/// The background tasks of one process (job runner, periodic loops), stopped together through
/// the shutdown signal they were spawned with.
pub struct Workers(Vec<tokio::task::JoinHandle<()>>);

impl Workers {
    pub fn new(tasks: impl IntoIterator<Item = tokio::task::JoinHandle<()>>) -> Self {
        Self(tasks.into_iter().collect())
    }

    /// Waits for every task after their shutdown signal.
    pub async fn join(self) {
        for task in self.0 {
            let _ = task.await;
        }
    }

    /// Stops them all at once, like a crash (tests): job leases stay until they expire.
    pub fn abort(&self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Serves `app` until `shutdown` resolves, then stops `workers`: the listener closes first, so
/// nothing new arrives; then `stop` turns `true`, the workers stop claiming and finish or abandon
/// their current attempts, and this returns once they have.
pub async fn serve_then_stop_workers(
    service_name: &str,
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    stop: tokio::sync::watch::Sender<bool>,
    workers: Workers,
) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "{service_name} listening");
    let served = crate::http::serve(listener, app, shutdown).await;
    let _ = stop.send(true);
    workers.join().await;
    served?;
    Ok(())
}

/// The time every rule is evaluated at. Windows and deadlines are decided in Rust against this
/// clock (never `now()` in SQL), so one request sees one instant and tests can pin it to an edge.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn from_fn(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}
