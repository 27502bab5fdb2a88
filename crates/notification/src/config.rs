//! notification-service configuration (notification.md §11, platform.md §13).

use std::time::Duration;

use platform::config::{CommonConfig, Env, Secret, ServiceEndpoint};
use platform::crypto::SecretCipher;

use crate::domain::vars::Site;

pub const DEFAULT_PORT: u16 = 3005;
const AUTH_DEFAULT_PORT: u16 = 3001;
const ORDER_DEFAULT_PORT: u16 = 3003;

/// SMTP transport settings (integrations.md §4); absent when `SMTP_HOST` is not set.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// `SMTP_SECURE`: TLS from the first byte (port 465).
    pub implicit_tls: bool,
    /// `SMTP_REQUIRE_TLS`: STARTTLS mandatory unless `implicit_tls`.
    pub require_tls: bool,
    pub user: Option<String>,
    pub pass: Option<Secret>,
    pub pool_size: u32,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct TelegramSettings {
    /// `TELEGRAM_ENABLED` and a token: the channel exists only when both are set.
    pub enabled: bool,
    pub bot_token: Option<Secret>,
    /// Without `/bot<token>`.
    pub api_base_url: String,
    pub max_per_second: u32,
    pub include_password: bool,
    /// `TELEGRAM_LINKING_ENABLED`: the `getUpdates` poller of §7.3.
    pub linking_enabled: bool,
    pub timeout: Duration,
}

impl TelegramSettings {
    pub fn active(&self) -> bool {
        self.enabled && self.bot_token.is_some()
    }
}

/// The two delivery queues' policy (notification.md §6.2).
#[derive(Debug, Clone)]
pub struct QueueSettings {
    pub email_concurrency: usize,
    pub telegram_concurrency: usize,
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    pub dead_letter_retention_days: i64,
    pub log_retention_days: i64,
}

/// The optional expiry reminders (notification.md §7.4).
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    pub enabled: bool,
    pub interval: Duration,
    /// Hours before expiry, descending (`72,24`).
    pub hours: Vec<u32>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `AUTH_SERVICE_BASE_URL` / `AUTH_SERVICE_TIMEOUT_MS`.
    pub auth: ServiceEndpoint,
    /// `ORDER_SERVICE_BASE_URL` / `ORDER_SERVICE_TIMEOUT_MS` (expiry reminders only).
    pub order: ServiceEndpoint,
    pub reminders: ReminderSettings,
    pub smtp: Option<SmtpSettings>,
    /// `SMTP_FROM`.
    pub smtp_from: String,
    pub smtp_reply_to: Option<String>,
    pub telegram: TelegramSettings,
    pub queues: QueueSettings,
    /// `USER_CACHE_TTL_SECONDS`.
    pub user_cache_ttl: Duration,
    pub job_poll_interval_ms: u64,
    pub job_lease_seconds: u64,
    /// `CREDENTIALS_ENCRYPTION_KEY`, kept only as the cipher it builds.
    pub credentials: SecretCipher,
    /// `CUSTOMER_WEB_BASE_URL`.
    pub customer_web_base_url: String,
    pub support_email: String,
}

impl Config {
    pub fn read(env: &mut Env) -> Self {
        let common = CommonConfig::read(env, DEFAULT_PORT);
        if common.redis_url.is_none() {
            env.problem("REDIS_URL is required (user cache, locks and the Telegram send rate)");
        }
        let smtp = read_smtp(env, common.app_env.is_production());
        let telegram = read_telegram(env);
        let customer_web_base_url = env
            .string_or("CUSTOMER_WEB_BASE_URL", "http://localhost:4200")
            .trim_end_matches('/')
            .to_owned();
        Self {
            auth: ServiceEndpoint::read(env, "AUTH", AUTH_DEFAULT_PORT),
            order: ServiceEndpoint::read(env, "ORDER", ORDER_DEFAULT_PORT),
            reminders: read_reminders(env),
            smtp,
            smtp_from: env.string_or("SMTP_FROM", "WeBrana Cloud <noreply@webrana.id>"),
            smtp_reply_to: env.optional("SMTP_REPLY_TO").filter(|s| !s.is_empty()),
            telegram,
            queues: QueueSettings {
                email_concurrency: env.ranged_or("QUEUE_EMAIL_CONCURRENCY", 5, 1, 100),
                telegram_concurrency: env.ranged_or("QUEUE_TELEGRAM_CONCURRENCY", 3, 1, 100),
                max_attempts: env.ranged_or("QUEUE_MAX_ATTEMPTS", 5, 1, 100),
                backoff_base: Duration::from_secs(env.ranged_or(
                    "QUEUE_BACKOFF_BASE_SECONDS",
                    10,
                    1,
                    86_400,
                )),
                backoff_max: Duration::from_secs(env.ranged_or(
                    "QUEUE_BACKOFF_MAX_SECONDS",
                    3600,
                    1,
                    604_800,
                )),
                dead_letter_retention_days: env.ranged_or("DEAD_LETTER_RETENTION_DAYS", 7, 1, 3650),
                log_retention_days: env.ranged_or("NOTIFICATION_LOG_RETENTION_DAYS", 180, 1, 3650),
            },
            user_cache_ttl: Duration::from_secs(env.ranged_or(
                "USER_CACHE_TTL_SECONDS",
                60,
                1,
                86_400,
            )),
            job_poll_interval_ms: env.ranged_or("JOB_POLL_INTERVAL_MS", 1000, 1, 3_600_000),
            job_lease_seconds: env.ranged_or("JOB_LEASE_SECONDS", 120, 1, 86_400),
            credentials: env.cipher("CREDENTIALS_ENCRYPTION_KEY"),
            customer_web_base_url,
            support_email: env.string_or("SUPPORT_EMAIL", "support@webrana.id"),
            common,
        }
    }

    pub fn from_env() -> Result<Self, platform::config::ConfigError> {
        let mut env = Env::from_process();
        let config = Self::read(&mut env);
        env.finish()?;
        Ok(config)
    }

    /// What the derived template variables read.
    pub fn site(&self) -> Site {
        Site {
            support_email: self.support_email.clone(),
            dashboard_url: self.customer_web_base_url.clone(),
            telegram_include_password: self.telegram.include_password,
        }
    }
}

fn read_smtp(env: &mut Env, production: bool) -> Option<SmtpSettings> {
    let host = env.optional("SMTP_HOST").filter(|h| !h.trim().is_empty());
    let port = env.parse_or("SMTP_PORT", 587u16);
    let implicit_tls = env.bool_or("SMTP_SECURE", false);
    let require_tls = env.bool_or("SMTP_REQUIRE_TLS", true);
    let user = env.optional("SMTP_USER").filter(|u| !u.is_empty());
    let pass = env
        .optional("SMTP_PASS")
        .filter(|p| !p.is_empty())
        .map(Secret::new);
    let pool_size = env.ranged_or("SMTP_POOL_SIZE", 3, 1, 100);
    if production && host.is_none() {
        env.problem("SMTP_HOST is required when APP_ENV=production");
    }
    if production && !require_tls && !implicit_tls {
        env.problem("SMTP_REQUIRE_TLS=false is refused when APP_ENV=production");
    }
    if user.is_some() != pass.is_some() {
        env.problem("SMTP_USER and SMTP_PASS must be set together");
    }
    Some(SmtpSettings {
        host: host?,
        port,
        implicit_tls,
        require_tls,
        user,
        pass,
        pool_size,
        timeout: Duration::from_secs(30),
    })
}

fn read_reminders(env: &mut Env) -> ReminderSettings {
    let enabled = env.bool_or("EXPIRY_REMINDER_ENABLED", false);
    let minutes: u64 = env.ranged_or("EXPIRY_REMINDER_INTERVAL_MINUTES", 60, 1, 10_080);
    let raw = env.string_or("EXPIRY_REMINDER_HOURS", "72,24");
    let parsed: Option<Vec<u32>> = raw
        .split(',')
        .map(|h| {
            h.trim()
                .parse::<u32>()
                .ok()
                .filter(|h| (1..=8760).contains(h))
        })
        .collect();
    let mut hours = parsed.unwrap_or_else(|| {
        env.problem(format!(
            "EXPIRY_REMINDER_HOURS={raw:?} must be a comma-separated list of hours (1-8760)"
        ));
        vec![72, 24]
    });
    hours.sort_unstable_by(|a, b| b.cmp(a));
    hours.dedup();
    ReminderSettings {
        enabled,
        interval: Duration::from_secs(minutes * 60),
        hours,
    }
}

fn read_telegram(env: &mut Env) -> TelegramSettings {
    let enabled = env.bool_or("TELEGRAM_ENABLED", false);
    let bot_token = env
        .optional("TELEGRAM_BOT_TOKEN")
        .filter(|t| !t.trim().is_empty())
        .map(Secret::new);
    if enabled && bot_token.is_none() {
        env.problem("TELEGRAM_BOT_TOKEN is required when TELEGRAM_ENABLED=true");
    }
    let api_base_url = env
        .string_or("TELEGRAM_API_BASE_URL", "https://api.telegram.org")
        .trim_end_matches('/')
        .to_owned();
    if !(api_base_url.starts_with("http://") || api_base_url.starts_with("https://")) {
        env.problem("TELEGRAM_API_BASE_URL must be an http(s) URL");
    }
    TelegramSettings {
        enabled,
        bot_token,
        api_base_url,
        max_per_second: env.ranged_or("TELEGRAM_MAX_PER_SECOND", 25, 1, 1000),
        include_password: env.bool_or("TELEGRAM_INCLUDE_PASSWORD", false),
        linking_enabled: env.bool_or("TELEGRAM_LINKING_ENABLED", false),
        timeout: Duration::from_secs(10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", "postgres://localhost/notification".into()),
            ("INTERNAL_API_KEY", "k".repeat(32)),
            ("JWT_ALGORITHM", "HS256".into()),
            ("JWT_SECRET", "s".repeat(32)),
            ("REDIS_URL", "redis://127.0.0.1:6379".into()),
            ("CREDENTIALS_ENCRYPTION_KEY", "ab".repeat(32)),
        ]
    }

    #[test]
    fn defaults_follow_the_spec() {
        let mut env = Env::from_pairs(base());
        let c = Config::read(&mut env);
        env.finish().expect("valid");
        assert_eq!(c.common.port, 3005);
        assert_eq!(c.auth.base_url, "http://localhost:3001");
        assert!(c.smtp.is_none());
        assert_eq!(c.smtp_from, "WeBrana Cloud <noreply@webrana.id>");
        assert!(!c.telegram.active());
        assert_eq!(c.telegram.api_base_url, "https://api.telegram.org");
        assert_eq!(c.telegram.max_per_second, 25);
        assert_eq!(c.queues.email_concurrency, 5);
        assert_eq!(c.queues.telegram_concurrency, 3);
        assert_eq!(c.queues.max_attempts, 5);
        assert_eq!(c.queues.backoff_base, Duration::from_secs(10));
        assert_eq!(c.queues.backoff_max, Duration::from_secs(3600));
        assert_eq!(c.queues.dead_letter_retention_days, 7);
        assert_eq!(c.queues.log_retention_days, 180);
        assert_eq!(c.user_cache_ttl, Duration::from_secs(60));
        assert_eq!(c.job_lease_seconds, 120);
        assert_eq!(c.customer_web_base_url, "http://localhost:4200");
        assert_eq!(c.support_email, "support@webrana.id");
        assert_eq!(c.order.base_url, "http://localhost:3003");
        assert!(!c.reminders.enabled);
        assert_eq!(c.reminders.interval, Duration::from_secs(3600));
        assert_eq!(c.reminders.hours, [72, 24]);
    }

    #[test]
    fn reminder_hours_are_sorted_and_checked() {
        let mut pairs = base();
        pairs.push(("EXPIRY_REMINDER_HOURS", "24, 168,72,24".into()));
        let mut env = Env::from_pairs(pairs.clone());
        let c = Config::read(&mut env);
        env.finish().expect("valid");
        assert_eq!(c.reminders.hours, [168, 72, 24]);
        pairs.push(("EXPIRY_REMINDER_HOURS", "72,soon".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = Config::read(&mut env);
        assert!(env.finish().is_err());
    }

    #[test]
    fn smtp_defaults_and_required_pairs() {
        let mut pairs = base();
        pairs.push(("SMTP_HOST", "smtp.example.com".into()));
        let mut env = Env::from_pairs(pairs.clone());
        let c = Config::read(&mut env);
        env.finish().expect("valid");
        let smtp = c.smtp.expect("smtp");
        assert_eq!(
            (smtp.port, smtp.implicit_tls, smtp.require_tls),
            (587, false, true)
        );
        assert_eq!(smtp.pool_size, 3);
        pairs.push(("SMTP_USER", "u".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = Config::read(&mut env);
        assert!(
            env.finish()
                .expect_err("pass missing")
                .to_string()
                .contains("SMTP_PASS")
        );
    }

    #[test]
    fn every_problem_is_listed() {
        let mut pairs: Vec<(&str, String)> = base()
            .into_iter()
            .filter(|(k, _)| *k != "REDIS_URL" && *k != "CREDENTIALS_ENCRYPTION_KEY")
            .collect();
        pairs.push(("TELEGRAM_ENABLED", "true".into()));
        pairs.push(("APP_ENV", "production".into()));
        pairs.push(("SMTP_REQUIRE_TLS", "false".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("invalid").to_string();
        for name in [
            "REDIS_URL",
            "CREDENTIALS_ENCRYPTION_KEY",
            "TELEGRAM_BOT_TOKEN",
            "SMTP_HOST",
            "SMTP_REQUIRE_TLS",
        ] {
            assert!(text.contains(name), "{name}: {text}");
        }
    }
}
