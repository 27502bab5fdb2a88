//! The recipient lookup at the auth service with its Redis cache (notification.md §4), and the
//! Telegram unlink call (§7.3 step 4).

use std::time::Duration;

use platform::client::{Call, CallOutcome, ServiceClient};
use platform::config::{Secret, ServiceEndpoint};
use platform::ratelimit::RedisHandle;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::SERVICE_NAME;

/// How long past its freshness a cached user may still stand in for an unreachable auth service.
pub const STALE_GRACE: Duration = Duration::from_secs(600);
/// A Redis call that hangs must not hold up a send.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The fields of auth's internal user this service uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    pub email: String,
    pub full_name: Option<String>,
    pub status: String,
    pub telegram_chat_id: Option<String>,
    pub email_opt_in: bool,
    pub telegram_opt_in: bool,
}

impl UserInfo {
    /// Reads auth's `{"data": {...}}` body; `None` when it lacks an e-mail address.
    pub fn from_body(body: &Value) -> Option<Self> {
        let data = body.get("data")?;
        let email = data.get("email")?.as_str()?.to_owned();
        // Chat ids are strings, but a number is accepted and kept as its decimal text.
        let telegram_chat_id = match data.get("telegramChatId") {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let prefs = data.get("notificationPreferences");
        let pref = |name: &str| {
            prefs
                .and_then(|p| p.get(name))
                .and_then(Value::as_bool)
                .unwrap_or(true)
        };
        Some(Self {
            email,
            full_name: data
                .get("fullName")
                .and_then(Value::as_str)
                .map(str::to_owned),
            status: data
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("ACTIVE")
                .to_owned(),
            telegram_chat_id,
            email_opt_in: pref("email"),
            telegram_opt_in: pref("telegram"),
        })
    }

    pub fn is_deleted(&self) -> bool {
        self.status == "DELETED"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheEntry {
    user: UserInfo,
    /// Unix milliseconds of the lookup: whole seconds would make a fresh entry look a second
    /// old when the lookup and the read straddle a second boundary.
    fetched_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(UserInfo),
    NotFound,
    /// Auth unreachable after its retries and no usable cache entry.
    Unavailable,
}

/// What auth said to a link code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkResult {
    Linked,
    InvalidCode,
    Failed,
}

#[derive(Clone, Debug)]
pub struct AuthClient {
    client: ServiceClient,
    redis: Option<RedisHandle>,
    prefix: String,
    ttl: Duration,
}

impl AuthClient {
    pub fn new(
        endpoint: &ServiceEndpoint,
        api_key: Secret,
        redis: Option<RedisHandle>,
        prefix: &str,
        ttl: Duration,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: ServiceClient::new(endpoint, api_key, SERVICE_NAME)?,
            redis,
            prefix: prefix.to_owned(),
            ttl,
        })
    }

    /// Shorter in-request retry delays (tests).
    pub fn with_retry_delays(mut self, delays: [Duration; 2]) -> Self {
        self.client = self.client.with_retry_delays(delays);
        self
    }

    fn user_key(&self, user_id: &str) -> String {
        format!("{}user:{user_id}", self.prefix)
    }

    fn chat_key(&self, chat_id: &str) -> String {
        format!("{}chat:{chat_id}", self.prefix)
    }

    /// The recipient, from a fresh cache entry, else from auth; a stale entry stands in when
    /// auth cannot be reached.
    pub async fn get_user(&self, user_id: &str, request_id: &str) -> Lookup {
        let now = now_ms();
        let cached = self.cache_get(user_id).await;
        let ttl = self.ttl.as_millis() as i64;
        if let Some(entry) = &cached
            && now - entry.fetched_at_ms < ttl
        {
            return Lookup::Found(entry.user.clone());
        }
        let path = format!("/api/v1/internal/users/{}", encode_segment(user_id));
        let outcome = self.client.call(Call::get(&path, request_id)).await;
        match outcome {
            CallOutcome::Success { body, .. } => match UserInfo::from_body(&body) {
                Some(user) => {
                    self.cache_put(user_id, &user, now).await;
                    Lookup::Found(user)
                }
                None => {
                    tracing::error!(
                        event = "auth_service_unavailable",
                        "auth answered the user lookup without an e-mail address"
                    );
                    self.stale_or_unavailable(cached, now)
                }
            },
            CallOutcome::Final { status: 404, .. } => Lookup::NotFound,
            other => {
                tracing::error!(
                    event = "auth_service_unavailable",
                    status = other.status(),
                    "user lookup at auth failed"
                );
                self.stale_or_unavailable(cached, now)
            }
        }
    }

    fn stale_or_unavailable(&self, cached: Option<CacheEntry>, now: i64) -> Lookup {
        let limit = (self.ttl + STALE_GRACE).as_millis() as i64;
        match cached {
            Some(entry) if now - entry.fetched_at_ms < limit => {
                tracing::warn!(
                    ageSeconds = (now - entry.fetched_at_ms) / 1000,
                    "auth unreachable; using the stale cached user"
                );
                Lookup::Found(entry.user)
            }
            _ => Lookup::Unavailable,
        }
    }

    async fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        let redis = self.redis.as_ref()?;
        match redis.connection().await {
            Ok(conn) => Some(conn),
            Err(e) => {
                tracing::warn!(event = "redis_unavailable", error = %e, "user cache bypassed");
                None
            }
        }
    }

    async fn cache_get(&self, user_id: &str) -> Option<CacheEntry> {
        let mut conn = self.connection().await?;
        let raw: Option<String> =
            match tokio::time::timeout(REDIS_TIMEOUT, conn.get(self.user_key(user_id))).await {
                Ok(Ok(raw)) => raw,
                _ => {
                    tracing::warn!(event = "redis_unavailable", "user cache read failed");
                    return None;
                }
            };
        serde_json::from_str(&raw?).ok()
    }

    async fn cache_put(&self, user_id: &str, user: &UserInfo, now: i64) {
        let Some(mut conn) = self.connection().await else {
            return;
        };
        let entry = CacheEntry {
            user: user.clone(),
            fetched_at_ms: now,
        };
        let Ok(raw) = serde_json::to_string(&entry) else {
            return;
        };
        let expiry = (self.ttl + STALE_GRACE).as_secs();
        let mut pipe = redis::pipe();
        pipe.set_ex(self.user_key(user_id), raw, expiry).ignore();
        if let Some(chat) = &user.telegram_chat_id {
            let key = self.chat_key(chat);
            pipe.sadd(&key, user_id).ignore();
            pipe.expire(&key, expiry as i64).ignore();
        }
        let written = tokio::time::timeout(REDIS_TIMEOUT, pipe.query_async::<()>(&mut conn)).await;
        if !matches!(written, Ok(Ok(()))) {
            tracing::warn!(event = "redis_unavailable", "user cache write failed");
        }
    }

    /// Forgets every cached user holding `chat_id`, so the next send sees the change.
    pub async fn invalidate_chat(&self, chat_id: &str) {
        let Some(mut conn) = self.connection().await else {
            return;
        };
        let key = self.chat_key(chat_id);
        let users: Vec<String> =
            match tokio::time::timeout(REDIS_TIMEOUT, conn.smembers(&key)).await {
                Ok(Ok(users)) => users,
                _ => return,
            };
        let mut keys: Vec<String> = users.iter().map(|u| self.user_key(u)).collect();
        keys.push(key);
        let _ = tokio::time::timeout(REDIS_TIMEOUT, conn.del::<_, ()>(keys)).await;
    }

    /// Forgets one cached user, after auth changed its chat.
    pub async fn invalidate_user(&self, user_id: &str) {
        let Some(mut conn) = self.connection().await else {
            return;
        };
        let _ =
            tokio::time::timeout(REDIS_TIMEOUT, conn.del::<_, ()>(self.user_key(user_id))).await;
    }

    /// Redeems a link code for `chat_id` at auth (§7.3 step 3).
    pub async fn link_chat(
        &self,
        code: &str,
        chat_id: &str,
        username: Option<&str>,
        request_id: &str,
    ) -> LinkResult {
        let body = json!({"code": code, "chatId": chat_id, "telegramUsername": username});
        let key = format!("telegram-link:{code}:{chat_id}");
        let outcome = self
            .client
            .call(
                Call::post("/api/v1/internal/telegram/link", &body, request_id)
                    .idempotency_key(&key),
            )
            .await;
        match outcome {
            CallOutcome::Success { body, .. } => match body["data"]["userId"].as_str() {
                Some(user_id) => {
                    self.invalidate_user(user_id).await;
                    self.invalidate_chat(chat_id).await;
                    LinkResult::Linked
                }
                None => LinkResult::Failed,
            },
            CallOutcome::Final { status: 400, body }
                if matches!(
                    body["error"]["code"].as_str(),
                    Some("INVALID_LINK_CODE" | "LINK_CODE_EXPIRED")
                ) =>
            {
                LinkResult::InvalidCode
            }
            _ => LinkResult::Failed,
        }
    }

    /// Best effort: the chat blocked the bot, so auth forgets it (idempotent at auth).
    pub async fn unlink_chat(&self, chat_id: &str, request_id: &str) {
        let body = json!({ "chatId": chat_id });
        let key = format!("telegram-unlink:{chat_id}");
        let outcome = self
            .client
            .call(
                Call::post("/api/v1/internal/telegram/unlink", &body, request_id)
                    .idempotency_key(&key),
            )
            .await;
        if !outcome.is_success() {
            tracing::warn!(
                status = outcome.status(),
                "telegram chat could not be unlinked at auth"
            );
        }
        self.invalidate_chat(chat_id).await;
    }
}

/// Percent-encodes a path segment: a user id is free text of up to 128 characters.
fn encode_segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_user_body() {
        let user = UserInfo::from_body(&json!({"data": {
            "email": "budi@example.com", "fullName": "Budi", "status": "ACTIVE",
            "telegramChatId": -100123, "notificationPreferences": {"email": false}
        }}))
        .expect("user");
        assert_eq!(user.telegram_chat_id.as_deref(), Some("-100123"));
        assert!(!user.email_opt_in);
        assert!(user.telegram_opt_in);
        let bare =
            UserInfo::from_body(&json!({"data": {"email": "a@b.id", "telegramChatId": null}}))
                .expect("user");
        assert_eq!(bare.telegram_chat_id, None);
        assert!(bare.email_opt_in && bare.telegram_opt_in);
        assert!(UserInfo::from_body(&json!({"data": {}})).is_none());
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(encode_segment("e1000000-0000-4000"), "e1000000-0000-4000");
        assert_eq!(encode_segment("a/b c?"), "a%2Fb%20c%3F");
    }
}
