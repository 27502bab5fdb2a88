//! The DigitalOcean simulator's configuration: `SIM_*` variables (platform.md §13) and the known
//! regions, sizes and images (integrations.md §2.6).

use std::time::Duration;

use platform::config::{ConfigError, Env, Secret};

use crate::rng;

/// The token accepted when `DIGITALOCEAN_API_TOKEN` is not set, so a bare `serve` works with a
/// client configured the same way.
pub const DEFAULT_TOKEN: &str = "dev-digitalocean-token";

/// DigitalOcean's own per-minute limit.
pub const DEFAULT_PER_MINUTE_BUDGET: u32 = 250;

/// Longer than the default `DIGITALOCEAN_TIMEOUT_MS` (30 s), so a slow create or a forced
/// timeout outlasts a default client.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(35);

#[derive(Debug, Clone)]
pub struct DoSimConfig {
    /// The bearer token every `/v2` call must carry. From `DIGITALOCEAN_API_TOKEN`, the variable
    /// the order service sends, so one environment configures both ends.
    pub token: Secret,
    /// `SIM_ACTIVE_AFTER_SECONDS`: how long a droplet stays `new` (and an action `in-progress`).
    pub active_after: Duration,
    /// `SIM_NONSTANDARD_ERRORED`: report `errored` for `sim:errored` droplets instead of `new`.
    pub nonstandard_errored: bool,
    /// Requests per token per minute before `429`.
    pub per_minute_budget: u32,
    /// `SIM_SEED`: ids, IP addresses and request ids follow from it.
    pub seed: u64,
    /// How long a `sim:slow-create` create is held before its answer.
    pub slow_create_delay: Duration,
    /// How long a forced timeout (`POST /_sim/config`) holds an answer.
    pub timeout_hold: Duration,
    /// `GET /v2/account`'s `droplet_limit`; creates beyond it answer `422`.
    pub droplet_limit: u32,
    pub regions: Vec<SimRegion>,
    pub sizes: Vec<SimSize>,
    pub images: Vec<SimImage>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimRegion {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimSize {
    pub slug: String,
    pub memory: u64,
    pub vcpus: u64,
    pub disk: u64,
    pub transfer: f64,
    pub price_monthly: f64,
    pub price_hourly: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SimImage {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub distribution: String,
}

impl Default for DoSimConfig {
    /// The §2.6 defaults (droplets active after 10 s) with seed 0.
    fn default() -> Self {
        Self {
            token: Secret::new(DEFAULT_TOKEN),
            active_after: Duration::from_secs(10),
            nonstandard_errored: false,
            per_minute_budget: DEFAULT_PER_MINUTE_BUDGET,
            seed: 0,
            slow_create_delay: DEFAULT_HOLD,
            timeout_hold: DEFAULT_HOLD,
            droplet_limit: 25,
            regions: default_regions(),
            sizes: default_sizes(),
            images: default_images(),
        }
    }
}

impl DoSimConfig {
    /// A test configuration accepting `token`: seed 0, droplets active at their first read.
    pub fn for_tests(token: &str) -> Self {
        Self {
            token: Secret::new(token),
            active_after: Duration::ZERO,
            ..Self::default()
        }
    }

    /// From the process environment; every bad variable is reported at once.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::from_process();
        let config = Self::read(&mut env);
        env.finish()?;
        Ok(config)
    }

    /// Reads `SIM_SEED` (random when unset), `SIM_ACTIVE_AFTER_SECONDS` (default 10, fractions
    /// allowed), `SIM_NONSTANDARD_ERRORED` and `DIGITALOCEAN_API_TOKEN`.
    pub fn read(env: &mut Env) -> Self {
        let seed = match env.get("SIM_SEED") {
            Some(_) => env.parse_or("SIM_SEED", 0u64),
            None => rng::entropy_seed(),
        };
        let active_after = env.ranged_or("SIM_ACTIVE_AFTER_SECONDS", 10.0_f64, 0.0, 86_400.0);
        // `NaN` passes the range check above, so convert without trusting it.
        let active_after = Duration::try_from_secs_f64(active_after).unwrap_or_else(|_| {
            env.problem("SIM_ACTIVE_AFTER_SECONDS must be a number of seconds");
            Duration::from_secs(10)
        });
        Self {
            token: Secret::new(env.string_or("DIGITALOCEAN_API_TOKEN", DEFAULT_TOKEN)),
            active_after,
            nonstandard_errored: env.bool_or("SIM_NONSTANDARD_ERRORED", false),
            seed,
            ..Self::default()
        }
    }
}

pub fn default_regions() -> Vec<SimRegion> {
    vec![SimRegion {
        slug: "sgp1".into(),
        name: "Singapore 1".into(),
    }]
}

pub fn default_sizes() -> Vec<SimSize> {
    let size = |slug: &str, memory, vcpus, disk, transfer, price_monthly, price_hourly| SimSize {
        slug: slug.into(),
        memory,
        vcpus,
        disk,
        transfer,
        price_monthly,
        price_hourly,
    };
    vec![
        size("s-1vcpu-1gb", 1024, 1, 25, 1.0, 6.0, 0.00893),
        size("s-1vcpu-2gb", 2048, 1, 50, 2.0, 12.0, 0.01786),
        size("s-2vcpu-4gb", 4096, 2, 80, 4.0, 24.0, 0.03571),
    ]
}

pub fn default_images() -> Vec<SimImage> {
    let image = |id, slug: &str, name: &str, distribution: &str| SimImage {
        id,
        slug: slug.into(),
        name: name.into(),
        distribution: distribution.into(),
    };
    vec![
        image(129_211_873, "ubuntu-22-04-x64", "22.04 (LTS) x64", "Ubuntu"),
        image(155_133_621, "ubuntu-24-04-x64", "24.04 (LTS) x64", "Ubuntu"),
        image(139_380_283, "debian-12-x64", "12 x64", "Debian"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_sim_variables() {
        let mut env = Env::from_pairs([
            ("SIM_SEED", "42"),
            ("SIM_ACTIVE_AFTER_SECONDS", "0.5"),
            ("SIM_NONSTANDARD_ERRORED", "true"),
            ("DIGITALOCEAN_API_TOKEN", "tok"),
        ]);
        let config = DoSimConfig::read(&mut env);
        assert!(env.finish().is_ok());
        assert_eq!(config.seed, 42);
        assert_eq!(config.active_after, Duration::from_millis(500));
        assert!(config.nonstandard_errored);
        assert_eq!(config.token.expose(), "tok");
    }

    #[test]
    fn defaults_follow_the_spec() {
        let mut env = Env::from_pairs([("UNRELATED", "x")]);
        let config = DoSimConfig::read(&mut env);
        assert!(env.finish().is_ok());
        assert_eq!(config.active_after, Duration::from_secs(10));
        assert!(!config.nonstandard_errored);
        assert_eq!(config.token.expose(), DEFAULT_TOKEN);
        assert_eq!(config.regions[0].slug, "sgp1");
        assert_eq!(config.sizes.len(), 3);
        assert_eq!(config.images.len(), 3);
    }

    #[test]
    fn bad_values_are_reported() {
        let mut env = Env::from_pairs([
            ("SIM_SEED", "abc"),
            ("SIM_ACTIVE_AFTER_SECONDS", "-1"),
            ("SIM_NONSTANDARD_ERRORED", "maybe"),
        ]);
        let _ = DoSimConfig::read(&mut env);
        let problems = env.finish().expect_err("three problems").0;
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn not_a_number_is_refused_rather_than_panicking() {
        let mut env = Env::from_pairs([("SIM_ACTIVE_AFTER_SECONDS", "NaN")]);
        let config = DoSimConfig::read(&mut env);
        assert_eq!(config.active_after, Duration::from_secs(10));
        assert!(env.finish().is_err());
    }
}
