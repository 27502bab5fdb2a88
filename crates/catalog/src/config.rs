//! catalog-service configuration (catalog.md §8, platform.md §13).

use platform::config::{CommonConfig, Env};

pub const DEFAULT_PORT: u16 = 3002;

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    /// `RATE_LIMIT_COUPON_VALIDATE_PER_MIN`: public coupon validations per client IP.
    pub coupon_validate_per_min: u32,
    pub seed_on_start: bool,
}

impl Config {
    /// Reads every variable the catalog uses; problems are collected in `env` (call
    /// `env.finish()`).
    pub fn read(env: &mut Env) -> Self {
        let common = CommonConfig::read(env, DEFAULT_PORT);
        let production = common.app_env.is_production();
        Self {
            coupon_validate_per_min: env.ranged_or(
                "RATE_LIMIT_COUPON_VALIDATE_PER_MIN",
                30,
                1,
                1_000_000,
            ),
            seed_on_start: env.bool_or("SEED_ON_START", !production),
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
            ("DATABASE_URL", "postgres://localhost/catalog".into()),
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
        assert_eq!(config.common.port, 3002);
        assert_eq!(config.coupon_validate_per_min, 30);
        assert!(config.seed_on_start);
    }

    #[test]
    fn production_does_not_seed_by_default_and_bad_limits_are_listed() {
        let mut pairs = base();
        pairs.push(("APP_ENV", "production".into()));
        pairs.push(("RATE_LIMIT_COUPON_VALIDATE_PER_MIN", "0".into()));
        let mut env = Env::from_pairs(pairs);
        let config = Config::read(&mut env);
        assert!(!config.seed_on_start);
        let text = env.finish().expect_err("invalid").to_string();
        assert!(
            text.contains("RATE_LIMIT_COUPON_VALIDATE_PER_MIN"),
            "{text}"
        );
        assert!(text.contains("HS256"), "{text}");
    }

    #[test]
    fn the_api_key_is_required() {
        let mut env = Env::from_pairs([("DATABASE_URL", "postgres://x/y")]);
        let _ = Config::read(&mut env);
        let text = env.finish().expect_err("invalid").to_string();
        assert!(text.contains("INTERNAL_API_KEY"), "{text}");
    }
}
