//! The `TRIPAY_*` variables of billing.md §11 that the client needs.

use std::time::Duration;

use platform::config::{Env, Secret};

pub const SANDBOX_URL: &str = "https://tripay.co.id/api-sandbox";
pub const PRODUCTION_URL: &str = "https://tripay.co.id/api";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripayMode {
    Sandbox,
    Production,
}

impl TripayMode {
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Sandbox => SANDBOX_URL,
            Self::Production => PRODUCTION_URL,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TripaySettings {
    pub mode: TripayMode,
    /// The API root the client appends paths to, without a trailing slash.
    pub base_url: String,
    pub api_key: Secret,
    /// Keys both signatures; never sent.
    pub private_key: Secret,
    pub merchant_code: String,
    pub timeout: Duration,
}

impl TripaySettings {
    /// Reads the variables, recording problems in `env` like every other setting.
    pub fn read(env: &mut Env) -> Self {
        let mode = match env.string_or("TRIPAY_MODE", "sandbox").trim() {
            "sandbox" => TripayMode::Sandbox,
            "production" => TripayMode::Production,
            other => {
                env.problem(format!(
                    "TRIPAY_MODE={other:?} must be sandbox or production"
                ));
                TripayMode::Sandbox
            }
        };
        let base_url = env
            .optional("TRIPAY_BASE_URL")
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| mode.base_url().to_owned());
        let base_url = base_url.trim_end_matches('/').to_owned();
        if reqwest::Url::parse(&base_url).is_err() {
            env.problem(format!(
                "TRIPAY_BASE_URL={base_url:?} is not an absolute URL"
            ));
        }
        let api_key = Secret::new(env.required("TRIPAY_API_KEY"));
        let private_key = Secret::new(env.required("TRIPAY_PRIVATE_KEY"));
        let merchant_code = env.required("TRIPAY_MERCHANT_CODE").trim().to_owned();
        let timeout_ms = env.ranged_or("TRIPAY_TIMEOUT_MS", 30_000u64, 100, 600_000);
        Self {
            mode,
            base_url,
            api_key,
            private_key,
            merchant_code,
            timeout: Duration::from_millis(timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Vec<(&'static str, &'static str)> {
        vec![
            ("TRIPAY_API_KEY", "DEV-x"),
            ("TRIPAY_PRIVATE_KEY", "p"),
            ("TRIPAY_MERCHANT_CODE", "T12345"),
        ]
    }

    #[test]
    fn the_mode_picks_the_url_and_the_override_wins() {
        let mut env = Env::from_pairs(creds());
        let s = TripaySettings::read(&mut env);
        assert!(env.finish().is_ok());
        assert_eq!(s.base_url, SANDBOX_URL);
        assert_eq!(s.timeout, Duration::from_secs(30));
        let mut pairs = creds();
        pairs.push(("TRIPAY_MODE", "production"));
        let mut env = Env::from_pairs(pairs.clone());
        assert_eq!(TripaySettings::read(&mut env).base_url, PRODUCTION_URL);
        pairs.push(("TRIPAY_BASE_URL", "http://127.0.0.1:3102/api-sandbox/"));
        let mut env = Env::from_pairs(pairs);
        assert_eq!(
            TripaySettings::read(&mut env).base_url,
            "http://127.0.0.1:3102/api-sandbox"
        );
    }

    #[test]
    fn problems_are_collected() {
        let mut env = Env::from_pairs([("TRIPAY_MODE", "live"), ("TRIPAY_BASE_URL", "nope")]);
        let _ = TripaySettings::read(&mut env);
        let text = env.finish().unwrap_err().to_string();
        for needle in [
            "TRIPAY_MODE",
            "TRIPAY_BASE_URL",
            "TRIPAY_API_KEY",
            "TRIPAY_PRIVATE_KEY",
            "TRIPAY_MERCHANT_CODE",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
}
