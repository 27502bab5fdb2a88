//! billing-service configuration (billing.md §11, platform.md §13).

use std::time::Duration;

use platform::config::{CommonConfig, Env, ServiceEndpoint};
use tripay::TripaySettings;

use crate::domain::channels::ExpiryOverrides;
use crate::domain::ip_allow::AllowList;

pub const DEFAULT_PORT: u16 = 3004;
const AUTH_DEFAULT_PORT: u16 = 3001;
const ORDER_DEFAULT_PORT: u16 = 3003;
const NOTIFICATION_DEFAULT_PORT: u16 = 3005;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `TRIPAY_API_KEY`, `TRIPAY_PRIVATE_KEY`, `TRIPAY_MERCHANT_CODE`, `TRIPAY_MODE`,
    /// `TRIPAY_BASE_URL`, `TRIPAY_TIMEOUT_MS`.
    pub tripay: TripaySettings,
    /// `TRIPAY_CALLBACK_URL`: sent as `callback_url`; `None` = the merchant default.
    pub tripay_callback_url: Option<String>,
    /// `TRIPAY_CHANNEL_CACHE_TTL_SECONDS`.
    pub channel_cache_ttl: Duration,
    /// `TRIPAY_CHANNEL_EXPIRY_OVERRIDES`.
    pub expiry_overrides: ExpiryOverrides,
    /// `TRIPAY_CALLBACK_ALLOWED_IPS`: empty = allow all.
    pub callback_allowed_ips: AllowList,
    /// `TRIPAY_RECONCILE_INTERVAL_SECONDS`: `0` disables reconciliation.
    pub reconcile_interval_seconds: u64,
    /// `TRIPAY_RECONCILE_BATCH`.
    pub reconcile_batch: i64,
    /// `INVOICE_EXPIRY_HOURS` (1–720).
    pub invoice_expiry_hours: u32,
    /// `INVOICE_EXPIRY_JOB_INTERVAL_SECONDS`.
    pub expiry_job_interval_seconds: u64,
    /// `OUTBOX_BACKOFF_BASE_SECONDS` / `OUTBOX_BACKOFF_MAX_SECONDS`.
    pub outbox_backoff_base: Duration,
    pub outbox_backoff_max: Duration,
    /// `OUTBOX_ALERT_AFTER_ATTEMPTS`: from here on every failed PAID delivery logs ERROR.
    pub outbox_alert_after_attempts: i32,
    /// `NOTIFICATION_OUTBOX_MAX_ATTEMPTS`: notifications and PAYMENT_FAILED jobs.
    pub notification_outbox_max_attempts: i32,
    /// `BILLING_NOTIFY_INVOICE_CREATED`.
    pub notify_invoice_created: bool,
    /// `CUSTOMER_WEB_BASE_URL`: invoice links and the allowed `returnUrl` prefix.
    pub customer_web_base_url: String,
    pub order: ServiceEndpoint,
    pub notification: ServiceEndpoint,
    pub auth: ServiceEndpoint,
    /// `JOB_POLL_INTERVAL_MS`.
    pub job_poll_interval_ms: u64,
    /// `JOB_LEASE_SECONDS`.
    pub job_lease_seconds: u64,
}

impl Config {
    /// Reads every variable the service uses; problems are collected in `env`.
    pub fn read(env: &mut Env) -> Self {
        let common = CommonConfig::read(env, DEFAULT_PORT);
        let tripay = TripaySettings::read(env);
        let tripay_callback_url = env
            .optional("TRIPAY_CALLBACK_URL")
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &tripay_callback_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            env.problem(format!(
                "TRIPAY_CALLBACK_URL={url:?} must be an http(s) URL"
            ));
        }
        let overrides_raw = env.string_or("TRIPAY_CHANNEL_EXPIRY_OVERRIDES", "");
        let expiry_overrides = ExpiryOverrides::parse(&overrides_raw).unwrap_or_else(|e| {
            env.problem(format!("TRIPAY_CHANNEL_EXPIRY_OVERRIDES: {e}"));
            ExpiryOverrides::default()
        });
        let allowed = env.list("TRIPAY_CALLBACK_ALLOWED_IPS");
        let callback_allowed_ips = AllowList::parse(&allowed).unwrap_or_else(|e| {
            env.problem(format!("TRIPAY_CALLBACK_ALLOWED_IPS: {e}"));
            AllowList::default()
        });
        let customer_web_base_url = env
            .string_or("CUSTOMER_WEB_BASE_URL", "http://localhost:4200")
            .trim_end_matches('/')
            .to_owned();
        if !(customer_web_base_url.starts_with("http://")
            || customer_web_base_url.starts_with("https://"))
        {
            env.problem("CUSTOMER_WEB_BASE_URL must be an http(s) URL");
        }
        let backoff_base: u64 = env.ranged_or("OUTBOX_BACKOFF_BASE_SECONDS", 5, 1, 86_400);
        let backoff_max: u64 = env.ranged_or("OUTBOX_BACKOFF_MAX_SECONDS", 600, 1, 86_400);
        if backoff_max < backoff_base {
            env.problem("OUTBOX_BACKOFF_MAX_SECONDS must not be below OUTBOX_BACKOFF_BASE_SECONDS");
        }
        if tripay.mode == tripay::TripayMode::Sandbox && common.app_env.is_production() {
            tracing::warn!("TRIPAY_MODE=sandbox while APP_ENV=production");
        }
        Self {
            tripay,
            tripay_callback_url,
            channel_cache_ttl: Duration::from_secs(env.ranged_or(
                "TRIPAY_CHANNEL_CACHE_TTL_SECONDS",
                300,
                0,
                86_400,
            )),
            expiry_overrides,
            callback_allowed_ips,
            reconcile_interval_seconds: env.ranged_or(
                "TRIPAY_RECONCILE_INTERVAL_SECONDS",
                300,
                0,
                86_400,
            ),
            reconcile_batch: env.ranged_or("TRIPAY_RECONCILE_BATCH", 50, 1, 1000),
            invoice_expiry_hours: env.ranged_or("INVOICE_EXPIRY_HOURS", 24, 1, 720),
            expiry_job_interval_seconds: env.ranged_or(
                "INVOICE_EXPIRY_JOB_INTERVAL_SECONDS",
                60,
                1,
                86_400,
            ),
            outbox_backoff_base: Duration::from_secs(backoff_base),
            outbox_backoff_max: Duration::from_secs(backoff_max.max(backoff_base)),
            outbox_alert_after_attempts: env.ranged_or(
                "OUTBOX_ALERT_AFTER_ATTEMPTS",
                10,
                1,
                1_000_000,
            ),
            notification_outbox_max_attempts: env.ranged_or(
                "NOTIFICATION_OUTBOX_MAX_ATTEMPTS",
                12,
                1,
                1_000_000,
            ),
            notify_invoice_created: env.bool_or("BILLING_NOTIFY_INVOICE_CREATED", false),
            customer_web_base_url,
            order: ServiceEndpoint::read(env, "ORDER", ORDER_DEFAULT_PORT),
            notification: ServiceEndpoint::read(env, "NOTIFICATION", NOTIFICATION_DEFAULT_PORT),
            auth: ServiceEndpoint::read(env, "AUTH", AUTH_DEFAULT_PORT),
            job_poll_interval_ms: env.ranged_or("JOB_POLL_INTERVAL_MS", 1000, 1, 3_600_000),
            job_lease_seconds: env.ranged_or("JOB_LEASE_SECONDS", 60, 1, 86_400),
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
            ("DATABASE_URL", "postgres://localhost/billing".into()),
            ("INTERNAL_API_KEY", "k".repeat(32)),
            ("JWT_ALGORITHM", "HS256".into()),
            ("JWT_SECRET", "s".repeat(32)),
            ("TRIPAY_API_KEY", "DEV-key".into()),
            ("TRIPAY_PRIVATE_KEY", "private".into()),
            ("TRIPAY_MERCHANT_CODE", "T12345".into()),
        ]
    }

    fn read(extra: &[(&'static str, &str)]) -> Result<Config, platform::config::ConfigError> {
        let mut pairs = base();
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_string())));
        let mut env = Env::from_pairs(pairs);
        let config = Config::read(&mut env);
        env.finish().map(|_| config)
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = read(&[]).unwrap();
        assert_eq!(c.common.port, 3004);
        assert_eq!(c.invoice_expiry_hours, 24);
        assert_eq!(c.channel_cache_ttl, Duration::from_secs(300));
        assert_eq!(c.reconcile_interval_seconds, 300);
        assert_eq!(c.reconcile_batch, 50);
        assert_eq!(c.outbox_backoff_base, Duration::from_secs(5));
        assert_eq!(c.outbox_backoff_max, Duration::from_secs(600));
        assert_eq!(c.outbox_alert_after_attempts, 10);
        assert_eq!(c.notification_outbox_max_attempts, 12);
        assert!(!c.notify_invoice_created);
        assert_eq!(c.customer_web_base_url, "http://localhost:4200");
        assert_eq!(c.order.base_url, "http://localhost:3003");
        assert!(c.tripay_callback_url.is_none());
        assert!(c.callback_allowed_ips.allows("1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn problems_are_reported_together() {
        let err = read(&[
            ("INVOICE_EXPIRY_HOURS", "721"),
            ("TRIPAY_CHANNEL_EXPIRY_OVERRIDES", "QRIS=60-10"),
            ("TRIPAY_CALLBACK_ALLOWED_IPS", "not-an-ip"),
            ("TRIPAY_CALLBACK_URL", "ftp://x"),
        ])
        .expect_err("invalid configuration");
        let text = err.to_string();
        for needle in [
            "INVOICE_EXPIRY_HOURS",
            "TRIPAY_CHANNEL_EXPIRY_OVERRIDES",
            "TRIPAY_CALLBACK_ALLOWED_IPS",
            "TRIPAY_CALLBACK_URL",
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }

    #[test]
    fn tripay_credentials_are_required() {
        let mut env = Env::from_pairs(
            base()
                .into_iter()
                .filter(|(k, _)| !k.starts_with("TRIPAY_")),
        );
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("missing credentials").to_string();
        assert!(text.contains("TRIPAY_PRIVATE_KEY"), "{text}");
    }
}
