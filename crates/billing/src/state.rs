//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::auth::Security;
use platform::client::ServiceClient;
use platform::ratelimit::{RateLimiter, RedisHandle};
use sqlx::PgPool;
use time::OffsetDateTime;
use tripay::TripayClient;

use crate::SERVICE_NAME;
use crate::channel_cache::ChannelCache;
use crate::clients::auth::AuthClient;
use crate::clients::order::OrderClient;
use crate::config::Config;

pub use platform::service::Clock;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub security: Arc<Security>,
    pub limiter: RateLimiter,
    pub redis: Option<RedisHandle>,
    pub order: OrderClient,
    pub auth: AuthClient,
    pub tripay: TripayClient,
    pub channels: ChannelCache,
    pub clock: Clock,
    /// Called after a commit that enqueued a job.
    pub job_waker: platform::jobs::JobWaker,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> anyhow::Result<Self> {
        let prefix = config.common.redis_namespace("billing");
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
        let key = config.common.internal_api_key.clone();
        let order = OrderClient(ServiceClient::new(
            &config.order,
            key.clone(),
            SERVICE_NAME,
        )?);
        let auth = AuthClient::new(ServiceClient::new(&config.auth, key, SERVICE_NAME)?);
        let tripay = TripayClient::new(&config.tripay)?;
        let channels = ChannelCache::new(tripay.clone(), config.channel_cache_ttl);
        Ok(Self {
            config: Arc::new(config),
            pool,
            security,
            limiter,
            redis,
            order,
            auth,
            tripay,
            channels,
            clock: Clock::system(),
            job_waker: platform::jobs::JobWaker::new(),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the order client (tests shorten its retry delays).
    pub fn with_order_client(mut self, client: ServiceClient) -> Self {
        self.order = OrderClient(client);
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
