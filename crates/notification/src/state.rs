//! What every handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::extract::FromRef;
use platform::auth::Security;
use platform::ratelimit::RedisHandle;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::clients::auth::AuthClient;
use crate::config::Config;

pub use platform::service::Clock;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub security: Arc<Security>,
    pub redis: Option<RedisHandle>,
    /// Namespaces every Redis key of this state (tests use a unique one each).
    pub key_prefix: String,
    pub auth: AuthClient,
    pub clock: Clock,
    /// Called after a commit that enqueued a job.
    pub job_waker: platform::jobs::JobWaker,
    /// The SMTP test connection at startup, then the latest delivery (readiness details, §7.1).
    pub smtp_reachable: Arc<AtomicBool>,
    /// Whether `getMe` accepted the bot token at startup (readiness details, §7.2).
    pub telegram_ready: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> anyhow::Result<Self> {
        let prefix = config.common.redis_namespace("notif");
        Self::with_key_prefix(config, pool, &prefix)
    }

    pub fn with_key_prefix(config: Config, pool: PgPool, prefix: &str) -> anyhow::Result<Self> {
        let redis = match &config.common.redis_url {
            Some(url) => Some(RedisHandle::open(url.expose())?),
            None => None,
        };
        let security = Arc::new(Security::new(
            &config.common.jwt,
            config.common.internal_api_key.clone(),
        )?);
        let auth = AuthClient::new(
            &config.auth,
            config.common.internal_api_key.clone(),
            redis.clone(),
            prefix,
            config.user_cache_ttl,
        )?;
        Ok(Self {
            config: Arc::new(config),
            pool,
            security,
            redis,
            key_prefix: prefix.to_owned(),
            auth,
            clock: Clock::system(),
            job_waker: platform::jobs::JobWaker::new(),
            smtp_reachable: Arc::new(AtomicBool::new(false)),
            telegram_ready: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the auth client (tests shorten its retry delays).
    pub fn with_auth(mut self, auth: AuthClient) -> Self {
        self.auth = auth;
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
