//! Typed configuration from environment variables (platform.md §13).
//!
//! Every problem is collected before failing, so an operator sees all missing or malformed
//! variables in one startup error instead of fixing them one restart at a time.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// Reads variables and records every problem it meets.
#[derive(Debug, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    problems: Vec<String>,
}

/// The startup error: one line per bad variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub Vec<String>);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Env {
    pub fn from_process() -> Self {
        Self::from_pairs(std::env::vars())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            problems: Vec::new(),
        }
    }

    /// The raw value, `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(message.into());
    }

    pub fn required(&mut self, name: &str) -> String {
        match self.get(name) {
            Some(v) => v,
            None => {
                self.problem(format!("{name} is required but not set"));
                String::new()
            }
        }
    }

    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.get(name)
    }

    pub fn string_or(&mut self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    pub fn parse_or<T: FromStr>(&mut self, name: &str, default: T) -> T {
        match self.get(name) {
            None => default,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                self.problem(format!(
                    "{name}={raw:?} is not a valid {}",
                    short_type::<T>()
                ));
                default
            }),
        }
    }

    /// A number that must lie in `min..=max`.
    pub fn ranged_or<T>(&mut self, name: &str, default: T, min: T, max: T) -> T
    where
        T: FromStr + PartialOrd + Copy + fmt::Display,
    {
        let value = self.parse_or(name, default);
        if value < min || value > max {
            self.problem(format!("{name}={value} must be between {min} and {max}"));
            return default;
        }
        value
    }

    pub fn bool_or(&mut self, name: &str, default: bool) -> bool {
        match self.get(name).map(|v| v.to_ascii_lowercase()) {
            None => default,
            Some(v) if v == "true" || v == "1" || v == "yes" => true,
            Some(v) if v == "false" || v == "0" || v == "no" => false,
            Some(v) => {
                self.problem(format!("{name}={v:?} must be true or false"));
                default
            }
        }
    }

    /// A PEM value; literal `\n` sequences become newlines so keys fit in one-line `.env` files.
    pub fn pem(&mut self, name: &str) -> Option<String> {
        self.get(name).map(|v| v.replace("\\n", "\n"))
    }

    pub fn list(&mut self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A required 32-byte AES key given as 64 hex characters (`CREDENTIALS_ENCRYPTION_KEY`),
    /// as the cipher it builds. A problem is recorded; the placeholder then returned is never
    /// used because [`Env::finish`] fails.
    pub fn cipher(&mut self, name: &str) -> crate::crypto::SecretCipher {
        use crate::crypto::SecretCipher;
        let raw = Secret::new(self.required(name));
        let text = raw.expose().trim();
        let valid = text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit());
        match SecretCipher::from_hex(text) {
            Ok(cipher) if valid => cipher,
            _ => {
                if !text.is_empty() {
                    self.problem(format!("{name} must be 64 hex characters (32 bytes)"));
                }
                SecretCipher::from_hex(&"0".repeat(64)).expect("a 32-byte placeholder key is valid")
            }
        }
    }

    pub fn finish(self) -> Result<(), ConfigError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(self.problems))
        }
    }
}

fn short_type<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    full.rsplit("::").next().unwrap_or(full)
}

/// A secret that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl AppEnv {
    pub fn is_production(self) -> bool {
        self == AppEnv::Production
    }
}

impl FromStr for AppEnv {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "development" => Ok(Self::Development),
            "test" => Ok(Self::Test),
            "production" => Ok(Self::Production),
            _ => Err(()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Rs256,
    Hs256,
}

impl FromStr for JwtAlgorithm {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "RS256" => Ok(Self::Rs256),
            "HS256" => Ok(Self::Hs256),
            _ => Err(()),
        }
    }
}

/// How access tokens are verified (platform.md §3.1).
#[derive(Debug, Clone)]
pub struct JwtSettings {
    pub algorithm: JwtAlgorithm,
    pub public_key_pem: Option<String>,
    pub secret: Option<Secret>,
    pub issuer: String,
}

impl JwtSettings {
    pub fn read(env: &mut Env, app_env: AppEnv) -> Self {
        let algorithm = match env.get("JWT_ALGORITHM") {
            None => JwtAlgorithm::Rs256,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                env.problem(format!("JWT_ALGORITHM={raw:?} must be RS256 or HS256"));
                JwtAlgorithm::Rs256
            }),
        };
        let public_key_pem = env.pem("JWT_PUBLIC_KEY");
        let secret = env.get("JWT_SECRET").map(Secret::new);
        match algorithm {
            JwtAlgorithm::Rs256 => match &public_key_pem {
                None => env.problem("JWT_PUBLIC_KEY is required with JWT_ALGORITHM=RS256"),
                Some(pem) if jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).is_err() => {
                    env.problem("JWT_PUBLIC_KEY is not a PEM-encoded RSA public key")
                }
                Some(_) => {}
            },
            JwtAlgorithm::Hs256 => {
                if app_env.is_production() {
                    env.problem(
                        "JWT_ALGORITHM=HS256 is refused when APP_ENV=production; use RS256",
                    );
                }
                match &secret {
                    None => env.problem("JWT_SECRET is required with JWT_ALGORITHM=HS256"),
                    Some(s) if s.expose().len() < 32 => {
                        env.problem("JWT_SECRET must be at least 32 bytes")
                    }
                    Some(_) => {}
                }
            }
        }
        Self {
            algorithm,
            public_key_pem,
            secret,
            issuer: env.string_or("JWT_ISSUER", "webrana-cloud"),
        }
    }
}

/// The variables every service reads (platform.md §13, "All services").
#[derive(Debug, Clone)]
pub struct CommonConfig {
    pub app_env: AppEnv,
    pub port: u16,
    pub log_level: String,
    pub database_url: Secret,
    pub database_max_connections: u32,
    pub internal_api_key: Secret,
    pub jwt: JwtSettings,
    pub trusted_proxy_hops: usize,
    pub redis_url: Option<Secret>,
    /// `REDIS_KEY_PREFIX`: put before every key this service writes, so that two platforms
    /// (a staging and a test one, or parallel test runs) can share one Redis without reading
    /// each other's caches, rate limits and locks. Empty by default.
    pub redis_key_prefix: String,
    pub rate_limit_enabled: bool,
    pub rate_limit_user_per_min: u32,
    pub cors_origins: Vec<String>,
}

impl CommonConfig {
    pub fn read(env: &mut Env, default_port: u16) -> Self {
        let app_env = match env.get("APP_ENV") {
            None => AppEnv::Development,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                env.problem(format!(
                    "APP_ENV={raw:?} must be development, test or production"
                ));
                AppEnv::Development
            }),
        };
        let internal_api_key = env.required("INTERNAL_API_KEY");
        if !internal_api_key.is_empty() && internal_api_key.chars().count() < 32 {
            env.problem("INTERNAL_API_KEY must be at least 32 characters");
        }
        let log_level = env.string_or("LOG_LEVEL", "info").to_ascii_lowercase();
        if !["trace", "debug", "info", "warn", "error"].contains(&log_level.as_str()) {
            env.problem(format!(
                "LOG_LEVEL={log_level:?} must be debug, info, warn or error"
            ));
        }
        let redis_key_prefix = env.string_or("REDIS_KEY_PREFIX", "");
        if redis_key_prefix.chars().count() > 64
            || redis_key_prefix
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            env.problem("REDIS_KEY_PREFIX must be at most 64 characters without spaces");
        }
        let cors_origins = env.list("CORS_ORIGINS");
        if app_env.is_production() && cors_origins.iter().any(|o| o == "*") {
            env.problem("CORS_ORIGINS may not contain a wildcard in production");
        }
        Self {
            app_env,
            port: env.parse_or("PORT", default_port),
            log_level,
            database_url: Secret::new(env.required("DATABASE_URL")),
            database_max_connections: env.ranged_or("DATABASE_MAX_CONNECTIONS", 10, 1, 1000),
            internal_api_key: Secret::new(internal_api_key),
            jwt: JwtSettings::read(env, app_env),
            trusted_proxy_hops: env.ranged_or("TRUSTED_PROXY_HOPS", 0, 0, 16),
            redis_url: env.optional("REDIS_URL").map(Secret::new),
            redis_key_prefix,
            rate_limit_enabled: env.bool_or("RATE_LIMIT_ENABLED", true),
            rate_limit_user_per_min: env.ranged_or("RATE_LIMIT_USER_PER_MIN", 100, 1, 1_000_000),
            cors_origins,
        }
    }
}

impl CommonConfig {
    /// The namespace of `service`'s Redis keys: `REDIS_KEY_PREFIX` followed by `service:`.
    pub fn redis_namespace(&self, service: &str) -> String {
        format!("{}{service}:", self.redis_key_prefix)
    }
}

/// `<NAME>_SERVICE_BASE_URL` and `<NAME>_SERVICE_TIMEOUT_MS` (platform.md §10.1).
#[derive(Debug, Clone)]
pub struct ServiceEndpoint {
    pub base_url: String,
    pub timeout_ms: u64,
}

impl ServiceEndpoint {
    pub fn read(env: &mut Env, name: &str, default_port: u16) -> Self {
        let url_var = format!("{name}_SERVICE_BASE_URL");
        let base_url = env.string_or(&url_var, &format!("http://localhost:{default_port}"));
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            env.problem(format!("{url_var}={base_url:?} must be an http(s) URL"));
        }
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout_ms: env.ranged_or(&format!("{name}_SERVICE_TIMEOUT_MS"), 5000, 1, 600_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, String)> {
        vec![
            ("DATABASE_URL", "postgres://localhost/x".into()),
            ("INTERNAL_API_KEY", "k".repeat(32)),
            ("JWT_ALGORITHM", "HS256".into()),
            ("JWT_SECRET", "s".repeat(32)),
        ]
    }

    #[test]
    fn reads_defaults() {
        let mut env = Env::from_pairs(base());
        let cfg = CommonConfig::read(&mut env, 3001);
        env.finish().expect("valid");
        assert_eq!(cfg.port, 3001);
        assert_eq!(cfg.database_max_connections, 10);
        assert_eq!(cfg.jwt.issuer, "webrana-cloud");
        assert!(cfg.rate_limit_enabled);
        assert_eq!(cfg.redis_namespace("auth"), "auth:");
    }

    #[test]
    fn the_redis_key_prefix_leads_every_namespace_and_must_be_one_word() {
        let mut pairs = base();
        pairs.push(("REDIS_KEY_PREFIX", "staging:".into()));
        let mut env = Env::from_pairs(pairs);
        let cfg = CommonConfig::read(&mut env, 3005);
        env.finish().expect("valid");
        assert_eq!(cfg.redis_namespace("notif"), "staging:notif:");

        for bad in ["two words", &"p".repeat(65)] {
            let mut pairs = base();
            pairs.push(("REDIS_KEY_PREFIX", bad.to_string()));
            let mut env = Env::from_pairs(pairs);
            let _ = CommonConfig::read(&mut env, 3005);
            let err = env.finish().expect_err(bad);
            assert!(err.to_string().contains("REDIS_KEY_PREFIX"), "{err}");
        }
    }

    #[test]
    fn lists_every_problem_at_once() {
        let mut env = Env::from_pairs([("PORT", "abc"), ("INTERNAL_API_KEY", "short")]);
        let _ = CommonConfig::read(&mut env, 3001);
        let err = env.finish().expect_err("invalid");
        let text = err.to_string();
        for needle in [
            "PORT",
            "DATABASE_URL",
            "INTERNAL_API_KEY must be at least 32",
            "JWT_PUBLIC_KEY",
        ] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
    }

    #[test]
    fn production_refuses_hs256() {
        let mut pairs = base();
        pairs.push(("APP_ENV", "production".into()));
        let mut env = Env::from_pairs(pairs);
        let _ = CommonConfig::read(&mut env, 3001);
        let err = env.finish().expect_err("HS256 in production");
        assert!(err.to_string().contains("HS256 is refused"));
    }

    #[test]
    fn short_hs_secret_is_refused() {
        let mut env = Env::from_pairs([("JWT_ALGORITHM", "HS256"), ("JWT_SECRET", "short")]);
        let _ = JwtSettings::read(&mut env, AppEnv::Test);
        assert!(env.finish().is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(***)");
    }

    #[test]
    fn pem_accepts_literal_newlines() {
        let mut env = Env::from_pairs([("K", "a\\nb")]);
        assert_eq!(env.pem("K").as_deref(), Some("a\nb"));
    }
}
