//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use platform::auth::{Security, TokenSigner};
use platform::config::JwtAlgorithm;
use platform::ratelimit::{RateLimiter, RedisHandle};
use sqlx::PgPool;

use crate::clients::notification::NotificationClient;
use crate::config::Config;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: PgPool,
    pub security: Arc<Security>,
    pub signer: TokenSigner,
    pub limiter: RateLimiter,
    pub redis: Option<RedisHandle>,
    pub notification: NotificationClient,
}

impl AppState {
    pub fn new(config: Config, pool: PgPool) -> anyhow::Result<Self> {
        let prefix = config.common.redis_namespace("auth");
        Self::with_key_prefix(config, pool, &prefix)
    }

    /// `prefix` namespaces the Redis keys (tests use a unique one each).
    pub fn with_key_prefix(config: Config, pool: PgPool, prefix: &str) -> anyhow::Result<Self> {
        let signer = match config.common.jwt.algorithm {
            JwtAlgorithm::Rs256 => {
                let pem = config
                    .jwt_private_key_pem
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("JWT_PRIVATE_KEY is required with RS256"))?;
                TokenSigner::rs256(pem.expose())?
            }
            JwtAlgorithm::Hs256 => {
                let secret = config
                    .common
                    .jwt
                    .secret
                    .as_ref()
                    .ok_or_else(|| anyhow::anyhow!("JWT_SECRET is required with HS256"))?;
                TokenSigner::hs256(secret.expose().as_bytes())
            }
        };
        let redis = match &config.common.redis_url {
            Some(url) => Some(RedisHandle::open(url.expose())?),
            None => None,
        };
        let limiter = RateLimiter::new(redis.clone(), prefix, config.common.rate_limit_enabled)
            .with_exceeded_event("auth.rate_limit.exceeded");
        let security = Arc::new(Security::new(
            &config.common.jwt,
            config.common.internal_api_key.clone(),
        )?);
        let notification = NotificationClient::new(&config)?;
        Ok(Self {
            config: Arc::new(config),
            pool,
            security,
            signer,
            limiter,
            redis,
            notification,
        })
    }
}

impl FromRef<AppState> for Arc<Security> {
    fn from_ref(state: &AppState) -> Self {
        state.security.clone()
    }
}
