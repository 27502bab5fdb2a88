//! order-service configuration (order.md §9, platform.md §13). Phase 1 reads what the HTTP API
//! needs; the provisioning and notification variables arrive with their workers.

use platform::config::{CommonConfig, Env, ServiceEndpoint};

pub const DEFAULT_PORT: u16 = 3003;
const CATALOG_DEFAULT_PORT: u16 = 3002;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `CATALOG_SERVICE_BASE_URL` / `CATALOG_SERVICE_TIMEOUT_MS`.
    pub catalog: ServiceEndpoint,
    /// `ORDER_PAYMENT_TIMEOUT_HOURS` (1–720): `payment_deadline = created_at + this`.
    pub payment_timeout_hours: u32,
    /// `RATE_LIMIT_ORDER_CREATE_PER_MIN`: order creations per user per minute.
    pub order_create_per_min: u32,
    /// `PROVISIONING_MAX_ATTEMPTS`: shown as `maxAttempts` in the admin detail (§3.3).
    pub provisioning_max_attempts: u32,
}

impl Config {
    /// Reads every variable the service uses; problems are collected in `env`.
    pub fn read(env: &mut Env) -> Self {
        let common = CommonConfig::read(env, DEFAULT_PORT);
        Self {
            catalog: ServiceEndpoint::read(env, "CATALOG", CATALOG_DEFAULT_PORT),
            payment_timeout_hours: env.ranged_or("ORDER_PAYMENT_TIMEOUT_HOURS", 72, 1, 720),
            order_create_per_min: env.ranged_or(
                "RATE_LIMIT_ORDER_CREATE_PER_MIN",
                10,
                1,
                1_000_000,
            ),
            provisioning_max_attempts: env.ranged_or("PROVISIONING_MAX_ATTEMPTS", 60, 1, 100_000),
            common,
        }
    }

    /// Reads the process environment, failing with every problem listed.
    pub fn from_env() -> Result<Self, platform::config::ConfigError> {
        let mut env = Env::from_process();
        let config = Self::read(&mut env);
        env.finish()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", "postgres://localhost/order".into()),
            ("INTERNAL_API_KEY", "k".repeat(32)),
            ("JWT_ALGORITHM", "HS256".into()),
            ("JWT_SECRET", "s".repeat(32)),
        ]
    }

    #[test]
    fn defaults_follow_the_spec() {
        let mut env = Env::from_pairs(base());
        let config = Config::read(&mut env);
        env.finish().expect("valid");
        assert_eq!(config.common.port, 3003);
        assert_eq!(config.catalog.base_url, "http://localhost:3002");
        assert_eq!(config.catalog.timeout_ms, 5000);
        assert_eq!(config.payment_timeout_hours, 72);
        assert_eq!(config.order_create_per_min, 10);
    }

    #[test]
    fn out_of_range_timeout_is_listed() {
        let mut pairs = base();
        pairs.push(("ORDER_PAYMENT_TIMEOUT_HOURS", "721".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("invalid").to_string();
        assert!(text.contains("ORDER_PAYMENT_TIMEOUT_HOURS"), "{text}");
    }
}
