//! order-service configuration (order.md §9, platform.md §13): the HTTP API, the provisioning
//! worker, the job worker and the notification client.

use digitalocean::DigitalOceanSettings;
use platform::config::{CommonConfig, Env, ServiceEndpoint};
use platform::crypto::SecretCipher;

pub const DEFAULT_PORT: u16 = 3003;
const CATALOG_DEFAULT_PORT: u16 = 3002;
const NOTIFICATION_DEFAULT_PORT: u16 = 3005;

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
    /// `PROVISIONING_POLL_INTERVAL_MS` (≥ 100): delay between provider calls for one task.
    pub provisioning_poll_interval_ms: u64,
    /// `PROVISIONING_WORKER_CONCURRENCY`: tasks advanced in parallel per instance.
    pub provisioning_worker_concurrency: usize,
    /// `DIGITALOCEAN_*`.
    pub digitalocean: DigitalOceanSettings,
    /// `NOTIFICATION_SERVICE_BASE_URL` / `NOTIFICATION_SERVICE_TIMEOUT_MS`.
    pub notification: ServiceEndpoint,
    /// `NOTIFICATION_MAX_ATTEMPTS`: attempts of a `notifications` job before `DEAD`.
    pub notification_max_attempts: u32,
    /// `JOB_POLL_INTERVAL_MS`.
    pub job_poll_interval_ms: u64,
    /// `JOB_LEASE_SECONDS`.
    pub job_lease_seconds: u64,
    /// `CREDENTIALS_ENCRYPTION_KEY` (64 hex characters), kept only as the cipher it builds.
    pub credentials: SecretCipher,
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
            provisioning_poll_interval_ms: env.ranged_or(
                "PROVISIONING_POLL_INTERVAL_MS",
                5000,
                100,
                3_600_000,
            ),
            provisioning_worker_concurrency: env.ranged_or(
                "PROVISIONING_WORKER_CONCURRENCY",
                10,
                1,
                1000,
            ),
            digitalocean: DigitalOceanSettings::read(env),
            notification: ServiceEndpoint::read(env, "NOTIFICATION", NOTIFICATION_DEFAULT_PORT),
            notification_max_attempts: env.ranged_or("NOTIFICATION_MAX_ATTEMPTS", 30, 1, 100_000),
            job_poll_interval_ms: env.ranged_or("JOB_POLL_INTERVAL_MS", 1000, 1, 3_600_000),
            job_lease_seconds: env.ranged_or("JOB_LEASE_SECONDS", 60, 1, 86_400),
            credentials: env.cipher("CREDENTIALS_ENCRYPTION_KEY"),
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
            ("DIGITALOCEAN_API_TOKEN", "dop_v1_test".into()),
            ("CREDENTIALS_ENCRYPTION_KEY", "ab".repeat(32)),
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
        assert_eq!(config.provisioning_poll_interval_ms, 5000);
        assert_eq!(config.provisioning_max_attempts, 60);
        assert_eq!(config.provisioning_worker_concurrency, 10);
        assert_eq!(config.notification.base_url, "http://localhost:3005");
        assert_eq!(config.notification.timeout_ms, 5000);
        assert_eq!(config.notification_max_attempts, 30);
        assert_eq!(config.job_poll_interval_ms, 1000);
        assert_eq!(config.job_lease_seconds, 60);
        assert_eq!(config.digitalocean.default_region, "sgp1");
    }

    #[test]
    fn every_provisioning_problem_is_listed() {
        let mut pairs: Vec<(&str, String)> = base()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("DIGITALOCEAN") && !k.starts_with("CREDENTIALS"))
            .collect();
        pairs.push(("PROVISIONING_POLL_INTERVAL_MS", "99".into()));
        let mut env = Env::from_pairs(pairs.clone());
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("invalid").to_string();
        for name in [
            "DIGITALOCEAN_API_TOKEN",
            "CREDENTIALS_ENCRYPTION_KEY",
            "PROVISIONING_POLL_INTERVAL_MS",
        ] {
            assert!(text.contains(name), "{name}: {text}");
        }
        pairs.push(("CREDENTIALS_ENCRYPTION_KEY", "abc".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("invalid").to_string();
        assert!(text.contains("64 hex"), "{text}");
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
