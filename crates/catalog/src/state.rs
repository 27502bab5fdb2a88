//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::auth::Security;
use platform::ratelimit::{RateLimiter, RedisHandle};
pub use platform::service::Clock;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub security: Arc<Security>,
    pub limiter: RateLimiter,
    pub redis: Option<RedisHandle>,
    pub clock: Clock,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> anyhow::Result<Self> {
        let prefix = config.common.redis_namespace("catalog");
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
        Ok(Self {
            config: Arc::new(config),
            pool,
            security,
            limiter,
            redis,
            clock: Clock::system(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
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
