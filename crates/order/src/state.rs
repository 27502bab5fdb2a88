//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::auth::Security;
use platform::ratelimit::{RateLimiter, RedisHandle};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::clients::catalog::CatalogClient;
use crate::config::Config;
use crate::provisioning::{Liveness, ProvisioningWaker};

pub use platform::service::Clock;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub security: Arc<Security>,
    pub limiter: RateLimiter,
    pub redis: Option<RedisHandle>,
    pub catalog: CatalogClient,
    pub clock: Clock,
    /// Called after a payment or retry commits (§7.1).
    pub provisioning_waker: ProvisioningWaker,
    /// Called after a commit that enqueued a job.
    pub job_waker: platform::jobs::JobWaker,
    /// Last completed cycles of the provisioning worker and the job worker (§4.9).
    pub provisioning_liveness: Liveness,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> anyhow::Result<Self> {
        let prefix = config.common.redis_namespace("order");
        Self::with_key_prefix(config, pool, &prefix)
    }

    /// `prefix` namespaces the Redis keys (tests use a unique one each).
    pub fn with_key_prefix(config: Config, pool: PgPool, prefix: &str) -> anyhow::Result<Self> {
        let redis = match &config.common.redis_url {
            Some(url) => Some(RedisHandle::open(url.expose())?),
            None => None,
        };
        let limiter = RateLimiter::new(redis.clone(), prefix, config.common.rate_limit_enabled);
        let security = Arc::new(Security::new(
            &config.common.jwt,
            config.common.internal_api_key.clone(),
        )?);
        let catalog = CatalogClient::new(&config.catalog, config.common.internal_api_key.clone())?;
        Ok(Self {
            config: Arc::new(config),
            pool,
            security,
            limiter,
            redis,
            catalog,
            clock: Clock::system(),
            provisioning_waker: ProvisioningWaker::new(),
            job_waker: platform::jobs::JobWaker::new(),
            provisioning_liveness: Liveness::default(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the catalog client (tests shorten its retry delays).
    pub fn with_catalog(mut self, catalog: CatalogClient) -> Self {
        self.catalog = catalog;
        self
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

impl FromRef<AppState> for Arc<Security> {
    fn from_ref(state: &AppState) -> Self {
        state.security.clone()
    }
}
