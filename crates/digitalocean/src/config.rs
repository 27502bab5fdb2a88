//! The `DIGITALOCEAN_*` variables of platform.md §13.

use std::time::Duration;

use platform::config::{Env, Secret};

pub const DEFAULT_BASE_URL: &str = "https://api.digitalocean.com";
pub const DEFAULT_REGION: &str = "sgp1";
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

#[derive(Debug, Clone)]
pub struct DigitalOceanSettings {
    /// `DIGITALOCEAN_API_BASE_URL`: the API root without `/v2`.
    pub base_url: String,
    /// `DIGITALOCEAN_API_TOKEN`, required.
    pub token: Secret,
    /// `DIGITALOCEAN_DEFAULT_REGION`: the region of every droplet.
    pub default_region: String,
    /// `DIGITALOCEAN_TIMEOUT_MS`: per call, connect to last byte.
    pub timeout: Duration,
}

impl DigitalOceanSettings {
    /// Reads the variables, recording problems in `env` like every other setting.
    pub fn read(env: &mut Env) -> Self {
        let base_url = env.string_or("DIGITALOCEAN_API_BASE_URL", DEFAULT_BASE_URL);
        let base_url = base_url.trim_end_matches('/').to_string();
        if reqwest::Url::parse(&base_url).is_err() {
            env.problem(format!(
                "DIGITALOCEAN_API_BASE_URL={base_url:?} is not an absolute URL"
            ));
        } else if base_url.ends_with("/v2") {
            // The client appends `/v2/...` itself; a doubled prefix would 404 on every call.
            env.problem("DIGITALOCEAN_API_BASE_URL must not end with /v2");
        }
        let token = Secret::new(env.required("DIGITALOCEAN_API_TOKEN"));
        let default_region = env.string_or("DIGITALOCEAN_DEFAULT_REGION", DEFAULT_REGION);
        let timeout_ms = env.ranged_or("DIGITALOCEAN_TIMEOUT_MS", DEFAULT_TIMEOUT_MS, 100, 600_000);
        Self {
            base_url,
            token,
            default_region,
            timeout: Duration::from_millis(timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_and_the_token_is_required() {
        let mut env = Env::from_pairs([("UNRELATED", "1")]);
        let settings = DigitalOceanSettings::read(&mut env);
        assert_eq!(settings.base_url, DEFAULT_BASE_URL);
        assert_eq!(settings.default_region, "sgp1");
        assert_eq!(settings.timeout, Duration::from_secs(30));
        let problems = env.finish().expect_err("token missing").0;
        assert_eq!(
            problems,
            vec!["DIGITALOCEAN_API_TOKEN is required but not set"]
        );
    }

    #[test]
    fn reads_overrides_and_hides_the_token() {
        let mut env = Env::from_pairs([
            ("DIGITALOCEAN_API_BASE_URL", "http://127.0.0.1:4010/"),
            ("DIGITALOCEAN_API_TOKEN", "dop_v1_secret"),
            ("DIGITALOCEAN_DEFAULT_REGION", "sgp1"),
            ("DIGITALOCEAN_TIMEOUT_MS", "2500"),
        ]);
        let settings = DigitalOceanSettings::read(&mut env);
        assert!(env.finish().is_ok());
        assert_eq!(settings.base_url, "http://127.0.0.1:4010");
        assert_eq!(settings.timeout, Duration::from_millis(2500));
        assert_eq!(settings.token.expose(), "dop_v1_secret");
        assert!(!format!("{settings:?}").contains("dop_v1_secret"));
    }

    #[test]
    fn a_v2_suffix_and_a_bad_url_are_refused() {
        for (url, needle) in [
            ("https://api.digitalocean.com/v2", "must not end with /v2"),
            ("api.digitalocean.com", "not an absolute URL"),
        ] {
            let mut env = Env::from_pairs([
                ("DIGITALOCEAN_API_BASE_URL", url),
                ("DIGITALOCEAN_API_TOKEN", "t"),
            ]);
            let _ = DigitalOceanSettings::read(&mut env);
            let problems = env.finish().expect_err("refused").0;
            assert!(problems[0].contains(needle), "{problems:?}");
        }
    }
}
