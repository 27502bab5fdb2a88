//! auth-service configuration (auth.md §7, platform.md §13).

use platform::config::{CommonConfig, Env, Secret, ServiceEndpoint};

#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_digit: bool,
    pub require_special: bool,
}

#[derive(Debug, Clone)]
pub struct RateLimits {
    pub login: u32,
    pub register: u32,
    pub forgot_password: u32,
    pub resend_verification: u32,
    pub telegram_link_code: u32,
    pub public: u32,
    pub user: u32,
}

#[derive(Debug, Clone)]
pub struct SeedPasswords {
    pub super_admin: Secret,
    pub admin: Secret,
    pub customer: Secret,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub jwt_private_key_pem: Option<Secret>,
    pub access_ttl_seconds: i64,
    pub refresh_ttl_seconds: i64,
    pub password_policy: PasswordPolicy,
    pub email_verification_enabled: bool,
    pub email_verification_ttl_seconds: i64,
    pub password_reset_ttl_seconds: i64,
    pub set_password_ttl_seconds: i64,
    pub telegram_link_code_ttl_seconds: i64,
    pub debug_tokens: bool,
    pub telegram_bot_username: Option<String>,
    pub rate_limits: RateLimits,
    pub notification: ServiceEndpoint,
    pub customer_web_base_url: String,
    pub seed_on_start: bool,
    pub seed_passwords: SeedPasswords,
}

pub const DEFAULT_PORT: u16 = 3001;

impl Config {
    /// Reads every variable auth uses; problems are collected in `env` (call `env.finish()`).
    pub fn read(env: &mut Env) -> Self {
        let common = CommonConfig::read(env, DEFAULT_PORT);
        let production = common.app_env.is_production();
        let jwt_private_key_pem = env.pem("JWT_PRIVATE_KEY").map(Secret::new);
        if common.jwt.algorithm == platform::config::JwtAlgorithm::Rs256 {
            match &jwt_private_key_pem {
                None => env.problem("JWT_PRIVATE_KEY is required with JWT_ALGORITHM=RS256"),
                Some(pem) if platform::auth::TokenSigner::rs256(pem.expose()).is_err() => {
                    env.problem("JWT_PRIVATE_KEY is not a PEM-encoded RSA private key")
                }
                Some(_) => {}
            }
        }
        let debug_tokens = env.bool_or("AUTH_DEBUG_TOKENS", false);
        if debug_tokens && production {
            env.problem("AUTH_DEBUG_TOKENS=true is refused when APP_ENV=production");
        }
        let min_length = env.ranged_or("AUTH_PASSWORD_MIN_LENGTH", 8usize, 6, 128);
        Self {
            jwt_private_key_pem,
            access_ttl_seconds: env.ranged_or("JWT_ACCESS_TTL_SECONDS", 900, 60, 86_400),
            refresh_ttl_seconds: env.ranged_or("JWT_REFRESH_TTL_SECONDS", 604_800, 300, 31_536_000),
            password_policy: PasswordPolicy {
                min_length,
                require_uppercase: env.bool_or("AUTH_PASSWORD_REQUIRE_UPPERCASE", true),
                require_lowercase: env.bool_or("AUTH_PASSWORD_REQUIRE_LOWERCASE", true),
                require_digit: env.bool_or("AUTH_PASSWORD_REQUIRE_DIGIT", true),
                require_special: env.bool_or("AUTH_PASSWORD_REQUIRE_SPECIAL", true),
            },
            email_verification_enabled: env.bool_or("AUTH_EMAIL_VERIFICATION_ENABLED", true),
            email_verification_ttl_seconds: env.ranged_or(
                "AUTH_EMAIL_VERIFICATION_TTL_SECONDS",
                86_400,
                60,
                2_592_000,
            ),
            password_reset_ttl_seconds: env.ranged_or(
                "AUTH_PASSWORD_RESET_TTL_SECONDS",
                3_600,
                60,
                2_592_000,
            ),
            set_password_ttl_seconds: env.ranged_or(
                "AUTH_SET_PASSWORD_TTL_SECONDS",
                259_200,
                60,
                2_592_000,
            ),
            telegram_link_code_ttl_seconds: env.ranged_or(
                "AUTH_TELEGRAM_LINK_CODE_TTL_SECONDS",
                600,
                30,
                86_400,
            ),
            debug_tokens,
            telegram_bot_username: env
                .optional("TELEGRAM_BOT_USERNAME")
                .map(|u| u.trim_start_matches('@').to_string()),
            rate_limits: RateLimits {
                login: env.ranged_or("RATE_LIMIT_LOGIN_PER_MIN", 5, 1, 1_000_000),
                register: env.ranged_or("RATE_LIMIT_REGISTER_PER_MIN", 3, 1, 1_000_000),
                forgot_password: env.ranged_or(
                    "RATE_LIMIT_FORGOT_PASSWORD_PER_MIN",
                    3,
                    1,
                    1_000_000,
                ),
                resend_verification: env.ranged_or(
                    "RATE_LIMIT_RESEND_VERIFICATION_PER_MIN",
                    3,
                    1,
                    1_000_000,
                ),
                telegram_link_code: env.ranged_or(
                    "RATE_LIMIT_TELEGRAM_LINK_CODE_PER_MIN",
                    5,
                    1,
                    1_000_000,
                ),
                public: env.ranged_or("RATE_LIMIT_PUBLIC_PER_MIN", 120, 1, 1_000_000),
                user: common.rate_limit_user_per_min,
            },
            notification: ServiceEndpoint::read(env, "NOTIFICATION", 3005),
            customer_web_base_url: env
                .string_or("CUSTOMER_WEB_BASE_URL", "http://localhost:4200")
                .trim_end_matches('/')
                .to_string(),
            seed_on_start: env.bool_or("SEED_ON_START", !production),
            seed_passwords: SeedPasswords {
                super_admin: Secret::new(
                    env.string_or("SEED_SUPER_ADMIN_PASSWORD", "SuperAdmin123!"),
                ),
                admin: Secret::new(env.string_or("SEED_ADMIN_PASSWORD", "Admin123!")),
                customer: Secret::new(env.string_or("SEED_CUSTOMER_PASSWORD", "Customer123!")),
            },
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
