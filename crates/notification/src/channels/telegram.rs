//! Telegram Bot API `sendMessage` in HTML parse mode (notification.md §7.2, integrations.md §3).

use std::time::Duration;

use platform::config::Secret;
use serde_json::{Value, json};

use super::{DeliveryError, Retry};
use crate::config::TelegramSettings;

/// `getUpdates` long-polls for this long; its HTTP timeout must be longer (integrations.md §3.4).
pub const LONG_POLL_SECONDS: u64 = 30;

#[derive(Clone)]
pub struct TelegramClient {
    http: reqwest::Client,
    long_poll: reqwest::Client,
    base_url: String,
    token: Option<Secret>,
}

impl std::fmt::Debug for TelegramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramClient")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// One message as the `telegram` job carries it.
#[derive(Debug, Clone)]
pub struct OutgoingMessage<'a> {
    pub chat_id: &'a str,
    pub text: &'a str,
    /// For messages with credentials: no forwarding or saving.
    pub protect_content: bool,
}

impl TelegramClient {
    pub fn new(settings: &TelegramSettings) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(settings.timeout)
                .build()?,
            long_poll: reqwest::Client::builder()
                .timeout(Duration::from_secs(LONG_POLL_SECONDS + 10))
                .build()?,
            base_url: settings.api_base_url.clone(),
            token: settings.bot_token.clone(),
        })
    }

    async fn call(&self, method: &str, body: &Value) -> Result<Value, DeliveryError> {
        self.call_with(&self.http, method, body).await
    }

    async fn call_with(
        &self,
        http: &reqwest::Client,
        method: &str,
        body: &Value,
    ) -> Result<Value, DeliveryError> {
        let Some(token) = &self.token else {
            return Err(DeliveryError::new(
                "TELEGRAM_NOT_CONFIGURED",
                "no bot token",
                Retry::Never,
            ));
        };
        let url = format!("{}/bot{}/{method}", self.base_url, token.expose());
        let response = http.post(&url).json(body).send().await.map_err(|e| {
            // reqwest's error text contains the URL, and with it the token: never shown.
            let kind = if e.is_timeout() {
                "timeout"
            } else {
                "network error"
            };
            DeliveryError::new("TELEGRAM_TRANSIENT", kind, Retry::Backoff)
        })?;
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status == 200 && answer["ok"] == true {
            return Ok(answer["result"].clone());
        }
        Err(classify(status, &answer))
    }

    /// `getMe`: the bot's username, to validate the token at startup.
    pub async fn get_me(&self) -> Result<String, DeliveryError> {
        let me = self.call("getMe", &json!({})).await?;
        Ok(me["username"].as_str().unwrap_or_default().to_owned())
    }

    /// Polling and webhooks exclude each other: the poller removes any webhook first.
    pub async fn delete_webhook(&self) -> Result<(), DeliveryError> {
        self.call("deleteWebhook", &json!({"drop_pending_updates": false}))
            .await
            .map(|_| ())
    }

    /// The updates after `offset`, waiting up to [`LONG_POLL_SECONDS`] for one.
    pub async fn get_updates(&self, offset: Option<i64>) -> Result<Vec<Value>, DeliveryError> {
        let mut body = json!({"timeout": LONG_POLL_SECONDS, "allowed_updates": ["message"]});
        if let Some(offset) = offset {
            body["offset"] = json!(offset);
        }
        let result = self.call_with(&self.long_poll, "getUpdates", &body).await?;
        Ok(result.as_array().cloned().unwrap_or_default())
    }

    /// Sends one message; returns Telegram's `message_id`.
    pub async fn send_message(&self, m: &OutgoingMessage<'_>) -> Result<String, DeliveryError> {
        let mut body = json!({
            "chat_id": m.chat_id,
            "text": m.text,
            "parse_mode": "HTML",
            "link_preview_options": {"is_disabled": true},
        });
        if m.protect_content {
            body["protect_content"] = json!(true);
        }
        let result = self.call("sendMessage", &body).await?;
        Ok(match &result["message_id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => String::new(),
        })
    }
}

/// integrations.md §3.3.
pub fn classify(status: u16, answer: &Value) -> DeliveryError {
    let description = answer["description"]
        .as_str()
        .unwrap_or("no description")
        .to_owned();
    let code = answer["error_code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(status);
    match code {
        429 => {
            let after = answer["parameters"]["retry_after"].as_u64().unwrap_or(1);
            DeliveryError::new(
                "TELEGRAM_RATE_LIMITED",
                description,
                Retry::After(Duration::from_secs(after + 1)),
            )
        }
        401 | 404 => {
            tracing::error!(
                event = "telegram_unauthorized",
                code,
                "Telegram refused the bot token"
            );
            DeliveryError::new("TELEGRAM_UNAUTHORIZED", description, Retry::Backoff)
        }
        403 => DeliveryError::new("TELEGRAM_BLOCKED", description, Retry::Never),
        400 if description.to_ascii_lowercase().contains("chat not found") => {
            DeliveryError::new("TELEGRAM_CHAT_NOT_FOUND", description, Retry::Never)
        }
        400 => {
            let detail = match answer["parameters"]["migrate_to_chat_id"].as_i64() {
                Some(new_id) => format!("{description} (migrate_to_chat_id {new_id})"),
                None => description,
            };
            DeliveryError::new("TELEGRAM_BAD_REQUEST", detail, Retry::Never)
        }
        _ => DeliveryError::new(
            "TELEGRAM_TRANSIENT",
            format!("HTTP {status}: {description}"),
            Retry::Backoff,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: u16, description: &str) -> Value {
        json!({"ok": false, "error_code": code, "description": description})
    }

    #[test]
    fn classification_follows_the_table() {
        let c = |status, body: Value| classify(status, &body);
        assert_eq!(
            c(400, err(400, "Bad Request: chat not found")).code,
            "TELEGRAM_CHAT_NOT_FOUND"
        );
        let parse = c(400, err(400, "Bad Request: can't parse entities: x"));
        assert_eq!(
            (parse.code, parse.retry),
            ("TELEGRAM_BAD_REQUEST", Retry::Never)
        );
        let migrated = c(
            400,
            json!({"ok": false, "error_code": 400,
            "description": "Bad Request: group chat was upgraded to a supergroup chat",
            "parameters": {"migrate_to_chat_id": -1001}}),
        );
        assert!(migrated.detail.contains("-1001"));
        let unauthorized = c(401, err(401, "Unauthorized"));
        assert_eq!(
            (unauthorized.code, unauthorized.retry),
            ("TELEGRAM_UNAUTHORIZED", Retry::Backoff)
        );
        assert_eq!(c(404, err(404, "Not Found")).code, "TELEGRAM_UNAUTHORIZED");
        let blocked = c(403, err(403, "Forbidden: bot was blocked by the user"));
        assert_eq!(
            (blocked.code, blocked.retry),
            ("TELEGRAM_BLOCKED", Retry::Never)
        );
        let flood = c(
            429,
            json!({"ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 5", "parameters": {"retry_after": 5}}),
        );
        assert_eq!(flood.retry, Retry::After(Duration::from_secs(6)));
        let outage = c(502, Value::Null);
        assert_eq!(
            (outage.code, outage.retry),
            ("TELEGRAM_TRANSIENT", Retry::Backoff)
        );
    }
}
