//! The Tripay simulator's configuration (integrations.md §1.7): the merchant's credentials (the
//! same `TRIPAY_*` variables billing reads, so one environment configures both ends), the
//! enabled channels and the callback delivery policy.

use std::time::Duration;

use platform::config::{ConfigError, Env, Secret};
use tripay::{Fee, PaymentChannel};

use crate::rng;

pub const DEFAULT_MERCHANT_CODE: &str = "T12345";
pub const DEFAULT_API_KEY: &str = "DEV-webrana-simulator";
pub const DEFAULT_PRIVATE_KEY: &str = "sim-private-key-0001";
pub const DEFAULT_PREFIX: &str = "/api-sandbox";
/// Longer than billing's default `TRIPAY_TIMEOUT_MS` (30 s), so a forced timeout outlasts it.
pub const DEFAULT_HOLD: Duration = Duration::from_secs(35);

/// A channel as the simulator offers it: Tripay's listing plus the expiry window Tripay
/// enforces but does not publish (billing.md §2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct SimChannel {
    pub listing: PaymentChannel,
    pub min_expiry_minutes: i64,
    pub max_expiry_minutes: i64,
}

#[derive(Debug, Clone)]
pub struct TripaySimConfig {
    pub merchant_code: String,
    pub api_key: Secret,
    pub private_key: Secret,
    /// The API's mount point, e.g. `/api-sandbox`.
    pub prefix: String,
    pub channels: Vec<SimChannel>,
    /// Where callbacks go when a transaction names no `callback_url` (the merchant default).
    pub callback_url: Option<String>,
    /// Delays before each retry of a failed callback delivery (Tripay: 3 × 120 s).
    pub callback_retry: Vec<Duration>,
    /// How long a forced timeout holds an answer.
    pub timeout_hold: Duration,
    /// The address customers' browsers reach the checkout pages at; `None` = the `Host` the
    /// API was called with (right when billing and the browser share a machine).
    pub public_url: Option<String>,
    pub seed: u64,
}

impl TripaySimConfig {
    /// Defaults with the given credentials, as tests use them.
    pub fn for_tests(merchant_code: &str, api_key: &str, private_key: &str) -> Self {
        Self {
            merchant_code: merchant_code.to_owned(),
            api_key: Secret::new(api_key),
            private_key: Secret::new(private_key),
            prefix: DEFAULT_PREFIX.to_owned(),
            channels: default_channels(),
            callback_url: None,
            callback_retry: vec![Duration::from_secs(120); 3],
            timeout_hold: DEFAULT_HOLD,
            public_url: None,
            seed: 1,
        }
    }

    pub fn with_callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    pub fn with_callback_retry(mut self, delays: Vec<Duration>) -> Self {
        self.callback_retry = delays;
        self
    }

    pub fn with_timeout_hold(mut self, hold: Duration) -> Self {
        self.timeout_hold = hold;
        self
    }

    /// `TRIPAY_MERCHANT_CODE`, `TRIPAY_API_KEY`, `TRIPAY_PRIVATE_KEY`, `TRIPAY_CALLBACK_URL`,
    /// `SIM_TRIPAY_PREFIX`, `SIM_CALLBACK_RETRY_SECONDS` (comma list), `SIM_PUBLIC_URL`,
    /// `SIM_SEED`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::from_process();
        let config = Self::read(&mut env);
        env.finish()?;
        Ok(config)
    }

    pub fn read(env: &mut Env) -> Self {
        let merchant_code = env.string_or("TRIPAY_MERCHANT_CODE", DEFAULT_MERCHANT_CODE);
        let api_key = env.string_or("TRIPAY_API_KEY", DEFAULT_API_KEY);
        let private_key = env.string_or("TRIPAY_PRIVATE_KEY", DEFAULT_PRIVATE_KEY);
        let mut config = Self::for_tests(&merchant_code, &api_key, &private_key);
        config.callback_url = env
            .optional("TRIPAY_CALLBACK_URL")
            .filter(|u| !u.trim().is_empty());
        let prefix = env.string_or("SIM_TRIPAY_PREFIX", DEFAULT_PREFIX);
        if !prefix.starts_with('/') || prefix.ends_with('/') {
            env.problem("SIM_TRIPAY_PREFIX must start with / and not end with /");
        }
        config.prefix = prefix;
        let retry = env.list("SIM_CALLBACK_RETRY_SECONDS");
        if !retry.is_empty() {
            let parsed: Option<Vec<Duration>> = retry
                .iter()
                .map(|s| s.parse::<u64>().ok().map(Duration::from_secs))
                .collect();
            match parsed {
                Some(delays) => config.callback_retry = delays,
                None => env.problem("SIM_CALLBACK_RETRY_SECONDS must be a comma list of seconds"),
            }
        }
        config.public_url = env
            .optional("SIM_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        config.seed = match env.optional("SIM_SEED") {
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                env.problem("SIM_SEED must be an unsigned integer");
                0
            }),
            None => rng::entropy_seed(),
        };
        config
    }
}

#[allow(clippy::too_many_arguments)]
fn channel(
    group: &str,
    code: &str,
    name: &str,
    redirect: bool,
    flat: i64,
    percent: f64,
    amounts: (i64, i64),
    expiry: (i64, i64),
) -> SimChannel {
    let total = Fee { flat, percent };
    SimChannel {
        listing: PaymentChannel {
            group: group.to_owned(),
            code: code.to_owned(),
            name: name.to_owned(),
            kind: if redirect { "redirect" } else { "direct" }.to_owned(),
            fee_merchant: total.clone(),
            fee_customer: Fee::default(),
            total_fee: total,
            minimum_fee: (flat > 0).then_some(flat),
            maximum_fee: (percent == 0.0).then_some(flat),
            minimum_amount: Some(amounts.0),
            maximum_amount: Some(amounts.1),
            icon_url: Some(format!(
                "https://tripay.co.id/images/payment-channel/{}.png",
                code.to_ascii_lowercase()
            )),
            active: true,
        },
        min_expiry_minutes: expiry.0,
        max_expiry_minutes: expiry.1,
    }
}

/// The channels of billing.md §2.1 except GOPAY, with fees like Tripay's public price list and
/// nothing charged to the customer.
pub fn default_channels() -> Vec<SimChannel> {
    const VA: &str = "Virtual Account";
    const EW: &str = "E-Wallet";
    const CS: &str = "Convenience Store";
    let va = (10_000, 10_000_000);
    let month = 43_200;
    vec![
        channel(
            VA,
            "BCAVA",
            "BCA Virtual Account",
            false,
            5_500,
            0.0,
            va,
            (15, month),
        ),
        channel(
            VA,
            "BNIVA",
            "BNI Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (15, 1_440),
        ),
        channel(
            VA,
            "BRIVA",
            "BRI Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (60, month),
        ),
        channel(
            VA,
            "MANDIRIVA",
            "Mandiri Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (60, month),
        ),
        channel(
            VA,
            "PERMATAVA",
            "Permata Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (60, month),
        ),
        channel(
            VA,
            "BSIVA",
            "BSI Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (60, 180),
        ),
        channel(
            VA,
            "CIMBVA",
            "CIMB Niaga Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (15, month),
        ),
        channel(
            VA,
            "MUAMALATVA",
            "Muamalat Virtual Account",
            false,
            4_250,
            0.0,
            va,
            (60, 180),
        ),
        channel(
            EW,
            "QRIS",
            "QRIS",
            false,
            750,
            0.7,
            (1_000, 5_000_000),
            (10, 60),
        ),
        channel(
            EW,
            "QRISC",
            "QRIS (Customizable)",
            false,
            750,
            0.7,
            (1_000, 5_000_000),
            (10, 1_440),
        ),
        channel(
            EW,
            "OVO",
            "OVO",
            true,
            0,
            3.0,
            (1_000, 10_000_000),
            (15, month),
        ),
        channel(
            EW,
            "DANA",
            "DANA",
            true,
            0,
            3.0,
            (1_000, 10_000_000),
            (15, 60),
        ),
        channel(
            EW,
            "SHOPEEPAY",
            "ShopeePay",
            true,
            0,
            3.0,
            (1_000, 10_000_000),
            (15, 60),
        ),
        channel(
            CS,
            "ALFAMART",
            "Alfamart",
            false,
            3_500,
            0.0,
            (10_000, 2_500_000),
            (60, 1_440),
        ),
        channel(
            CS,
            "INDOMARET",
            "Indomaret",
            false,
            3_500,
            0.0,
            (10_000, 2_500_000),
            (15, month),
        ),
        channel(
            CS,
            "ALFAMIDI",
            "Alfamidi",
            false,
            3_500,
            0.0,
            (5_000, 2_500_000),
            (60, 1_440),
        ),
    ]
}
