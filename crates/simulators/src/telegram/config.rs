//! The Telegram simulator's configuration (integrations.md §3.5): the one bot token it accepts,
//! the bot it pretends to be, the chats that have started it, and faults that apply from the
//! first request on (the same faults can be set later through `/_sim/chats` and `/_sim/config`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use platform::config::{ConfigError, Env, Secret};

/// Shaped like a real token (`<bot id>:<35 characters>`) so clients that check the shape accept
/// it; the bot id is the one `getMe` reports.
pub const DEFAULT_TOKEN: &str = "7000000001:WeBranaDevSimulatorTokenForLocalUse";
pub const DEFAULT_BOT_USERNAME: &str = "webrana_cloud_bot";
pub const DEFAULT_BOT_NAME: &str = "WeBrana Cloud";
/// Beside the DigitalOcean (3101), Tripay (3102) and SMTP sink (3103) simulators.
pub const DEFAULT_PORT: u16 = 3104;
/// Telegram holds a long poll for at most about 50 s; clients ask for 30.
pub const DEFAULT_MAX_POLL: Duration = Duration::from_secs(50);

#[derive(Debug, Clone)]
pub struct TelegramSimConfig {
    /// The only token `/bot<token>/…` accepts.
    pub token: Secret,
    pub bot_username: String,
    pub bot_name: String,
    /// Chats that have talked to the bot before the simulator started; others learn of the bot
    /// through an injected update or `POST /_sim/chats/{id}`.
    pub known_chats: Vec<String>,
    /// Deliver to any chat id instead of answering `chat not found` for unknown ones.
    pub accept_any_chat: bool,
    /// Chats that blocked the bot: every send answers 403.
    pub blocked_chats: Vec<String>,
    /// The next N `sendMessage` calls, whatever the chat, answer 429 with `retry_after`.
    pub flood_count: u32,
    pub retry_after: u32,
    /// Telegram's own limits (1 message per second per chat, 30 per second overall) → 429.
    pub rate_limits: bool,
    /// Longest `getUpdates` wait, whatever `timeout` the client asks for.
    pub max_poll: Duration,
    /// The first `update_id`; `None` = from the clock, so that ids keep growing across restarts
    /// as Telegram's do and an offset a poller stored yesterday does not hide today's updates.
    pub first_update_id: Option<i64>,
}

impl TelegramSimConfig {
    /// Defaults around `token`, as tests use them.
    pub fn for_tests(token: &str) -> Self {
        Self {
            token: Secret::new(token),
            bot_username: DEFAULT_BOT_USERNAME.to_owned(),
            bot_name: DEFAULT_BOT_NAME.to_owned(),
            known_chats: Vec::new(),
            accept_any_chat: false,
            blocked_chats: Vec::new(),
            flood_count: 0,
            retry_after: 5,
            rate_limits: false,
            max_poll: DEFAULT_MAX_POLL,
            first_update_id: None,
        }
    }

    pub fn with_known_chats<I, S>(mut self, chats: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.known_chats = chats.into_iter().map(Into::into).collect();
        self
    }

    /// The bot id `getMe` reports: the digits before the token's colon, as on Telegram.
    pub fn bot_id(&self) -> i64 {
        self.token
            .expose()
            .split(':')
            .next()
            .and_then(|id| id.parse().ok())
            .unwrap_or(7_000_000_001)
    }

    /// `SIM_TELEGRAM_TOKEN`, `SIM_TELEGRAM_BOT_USERNAME`, `SIM_TELEGRAM_CHATS`,
    /// `SIM_TELEGRAM_ACCEPT_ANY_CHAT`, `SIM_TELEGRAM_BLOCKED_CHATS`, `SIM_TELEGRAM_FLOOD_COUNT`,
    /// `SIM_TELEGRAM_RETRY_AFTER`, `SIM_TELEGRAM_RATE_LIMITS`, `SIM_TELEGRAM_MAX_POLL_SECONDS`,
    /// `SIM_TELEGRAM_FIRST_UPDATE_ID`.
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::from_process();
        let config = Self::read(&mut env);
        env.finish()?;
        Ok(config)
    }

    pub fn read(env: &mut Env) -> Self {
        let token = env.string_or("SIM_TELEGRAM_TOKEN", DEFAULT_TOKEN);
        if token.contains('/') || token.chars().any(char::is_whitespace) {
            env.problem("SIM_TELEGRAM_TOKEN must not contain '/' or spaces (it is part of a URL)");
        }
        let mut config = Self::for_tests(&token);
        config.bot_username = env
            .string_or("SIM_TELEGRAM_BOT_USERNAME", DEFAULT_BOT_USERNAME)
            .trim_start_matches('@')
            .to_owned();
        config.known_chats = chat_list(env, "SIM_TELEGRAM_CHATS");
        config.accept_any_chat = env.bool_or("SIM_TELEGRAM_ACCEPT_ANY_CHAT", false);
        config.blocked_chats = chat_list(env, "SIM_TELEGRAM_BLOCKED_CHATS");
        config.flood_count = env.ranged_or("SIM_TELEGRAM_FLOOD_COUNT", 0, 0, 1_000_000);
        config.retry_after = env.ranged_or("SIM_TELEGRAM_RETRY_AFTER", 5, 1, 3_600);
        config.rate_limits = env.bool_or("SIM_TELEGRAM_RATE_LIMITS", false);
        config.max_poll = Duration::from_secs(env.ranged_or(
            "SIM_TELEGRAM_MAX_POLL_SECONDS",
            DEFAULT_MAX_POLL.as_secs(),
            0,
            600,
        ));
        config.first_update_id = env
            .optional("SIM_TELEGRAM_FIRST_UPDATE_ID")
            .map(|raw| match raw.parse::<i64>() {
                Ok(id) if id > 0 => id,
                _ => {
                    env.problem("SIM_TELEGRAM_FIRST_UPDATE_ID must be a positive integer");
                    1
                }
            });
        config
    }

    pub(super) fn starting_update_id(&self) -> i64 {
        self.first_update_id.unwrap_or_else(|| {
            // Seconds × 1000 stays below 2^53 (JSON-safe) for millennia and leaves room for a
            // thousand updates a second before a restart could repeat an id.
            let seconds = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_secs());
            i64::try_from(seconds).unwrap_or(1).saturating_mul(1000)
        })
    }
}

/// A comma list of chat ids (digits with an optional leading `-`).
fn chat_list(env: &mut Env, name: &str) -> Vec<String> {
    let chats = env.list(name);
    if chats.iter().any(|c| parse_chat_id(c).is_none()) {
        env.problem(format!("{name} must be a comma list of numeric chat ids"));
    }
    chats
        .iter()
        .filter_map(|c| parse_chat_id(c))
        .map(|id| id.to_string())
        .collect()
}

/// A chat id as Telegram accepts it in `chat_id`: an integer, possibly written as a string.
pub fn parse_chat_id(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_faults_and_chats_from_the_environment() {
        let mut env = Env::from_pairs([
            ("SIM_TELEGRAM_TOKEN", "123456:webrana-dev"),
            ("SIM_TELEGRAM_CHATS", "111, -1002"),
            ("SIM_TELEGRAM_BLOCKED_CHATS", "333"),
            ("SIM_TELEGRAM_FLOOD_COUNT", "2"),
            ("SIM_TELEGRAM_RETRY_AFTER", "7"),
            ("SIM_TELEGRAM_FIRST_UPDATE_ID", "100"),
        ]);
        let config = TelegramSimConfig::read(&mut env);
        assert!(env.finish().is_ok());
        assert_eq!(config.bot_id(), 123_456);
        assert_eq!(config.known_chats, ["111", "-1002"]);
        assert_eq!(config.blocked_chats, ["333"]);
        assert_eq!((config.flood_count, config.retry_after), (2, 7));
        assert_eq!(config.starting_update_id(), 100);
    }

    #[test]
    fn rejects_malformed_values() {
        let mut env = Env::from_pairs([
            ("SIM_TELEGRAM_CHATS", "abc"),
            ("SIM_TELEGRAM_FIRST_UPDATE_ID", "-4"),
            ("SIM_TELEGRAM_TOKEN", "a/b"),
        ]);
        let _ = TelegramSimConfig::read(&mut env);
        let problems = env.finish().expect_err("three problems").to_string();
        assert!(problems.contains("SIM_TELEGRAM_CHATS"), "{problems}");
        assert!(
            problems.contains("SIM_TELEGRAM_FIRST_UPDATE_ID"),
            "{problems}"
        );
        assert!(problems.contains("SIM_TELEGRAM_TOKEN"), "{problems}");
    }

    #[test]
    fn defaults_follow_the_spec() {
        let config = TelegramSimConfig::for_tests(DEFAULT_TOKEN);
        assert_eq!(config.bot_id(), 7_000_000_001);
        let secret = DEFAULT_TOKEN.split_once(':').map(|(_, s)| s.len());
        assert_eq!(secret, Some(35), "shaped like a real token");
        assert!(config.starting_update_id() > 1_000_000_000_000);
        assert_eq!(parse_chat_id("-100123"), Some(-100_123));
        assert_eq!(parse_chat_id("@channel"), None);
        assert_eq!(parse_chat_id(""), None);
    }
}
