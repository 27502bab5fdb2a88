//! Fixed one-minute windows shared by all replicas through Redis (platform.md §7); per process
//! when no Redis is configured.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, header};
use redis::aio::ConnectionManager;
use tokio::sync::Mutex as AsyncMutex;

use crate::error::AppError;

const WINDOW_SECONDS: i64 = 60;

/// A lazily (re)connected Redis connection: a service starts even when Redis is down, and
/// readiness reports it.
#[derive(Clone)]
pub struct RedisHandle {
    client: redis::Client,
    conn: Arc<AsyncMutex<Option<ConnectionManager>>>,
    /// After a failed connect, callers fail fast until this instant instead of each waiting for
    /// a new connect attempt: a Redis outage must not add seconds to every request.
    retry_after: Arc<Mutex<Option<std::time::Instant>>>,
}

/// How long a failed connect is trusted before the next attempt.
const RECONNECT_PAUSE: Duration = Duration::from_secs(5);

impl std::fmt::Debug for RedisHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisHandle(..)")
    }
}

impl RedisHandle {
    pub fn open(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: Arc::new(AsyncMutex::new(None)),
            retry_after: Arc::new(Mutex::new(None)),
        })
    }

    /// A connection, established on first use with a 2 s budget.
    pub async fn connection(&self) -> anyhow::Result<ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let paused = self
            .retry_after
            .lock()
            .ok()
            .and_then(|t| *t)
            .is_some_and(|t| std::time::Instant::now() < t);
        if paused {
            anyhow::bail!("redis unavailable (recent connect failed)");
        }
        let attempt = tokio::time::timeout(
            Duration::from_secs(2),
            ConnectionManager::new(self.client.clone()),
        )
        .await;
        match attempt {
            Ok(Ok(conn)) => {
                *slot = Some(conn.clone());
                Ok(conn)
            }
            failed => {
                if let Ok(mut t) = self.retry_after.lock() {
                    *t = Some(std::time::Instant::now() + RECONNECT_PAUSE);
                }
                match failed {
                    Ok(Err(e)) => Err(e.into()),
                    _ => Err(anyhow::anyhow!("redis connect timed out")),
                }
            }
        }
    }

    pub async fn ping(&self) -> bool {
        let Ok(mut conn) = self.connection().await else {
            return false;
        };
        matches!(
            tokio::time::timeout(
                Duration::from_secs(2),
                redis::cmd("PING").query_async::<String>(&mut conn)
            )
            .await,
            Ok(Ok(_))
        )
    }
}

/// Where a limit was counted: its ceiling, what is left and when the window resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateStatus {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds at which the window ends.
    pub reset: i64,
}

impl RateStatus {
    pub fn headers(&self) -> [(HeaderName, HeaderValue); 3] {
        [
            (
                HeaderName::from_static("x-ratelimit-limit"),
                HeaderValue::from(self.limit),
            ),
            (
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from(self.remaining),
            ),
            (
                HeaderName::from_static("x-ratelimit-reset"),
                HeaderValue::from(self.reset),
            ),
        ]
    }
}

enum Store {
    Redis(RedisHandle),
    Memory,
}

/// Counts hits per (bucket, key) in fixed windows.
#[derive(Clone)]
pub struct RateLimiter {
    store: Arc<Store>,
    memory: Arc<Mutex<HashMap<String, (i64, u32)>>>,
    prefix: String,
    enabled: bool,
    exceeded_event: &'static str,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("prefix", &self.prefix)
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl RateLimiter {
    /// `prefix` namespaces the keys (`auth:` in production, a unique prefix per test).
    pub fn new(redis: Option<RedisHandle>, prefix: impl Into<String>, enabled: bool) -> Self {
        Self {
            store: Arc::new(match redis {
                Some(r) => Store::Redis(r),
                None => Store::Memory,
            }),
            memory: Arc::new(Mutex::new(HashMap::new())),
            prefix: prefix.into(),
            enabled,
            exceeded_event: "rate_limit.exceeded",
        }
    }

    /// The `event` field of the warning logged when a limit is exceeded (auth names it
    /// `auth.rate_limit.exceeded`).
    pub fn with_exceeded_event(mut self, event: &'static str) -> Self {
        self.exceeded_event = event;
        self
    }

    pub fn disabled() -> Self {
        Self::new(None, "", false)
    }

    /// Counts one hit; `Err` is the 429 envelope with `Retry-After` and the `X-RateLimit-*`
    /// headers. The message names neither the key nor the store.
    pub async fn hit(
        &self,
        bucket: &str,
        key: &str,
        limit: u32,
    ) -> Result<Option<RateStatus>, AppError> {
        if !self.enabled {
            return Ok(None);
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let window = now.div_euclid(WINDOW_SECONDS);
        let reset = (window + 1) * WINDOW_SECONDS;
        let count = self.count(bucket, key, window).await;
        let status = RateStatus {
            limit,
            remaining: limit.saturating_sub(count),
            reset,
        };
        if count > limit {
            let retry_after = (reset - now).max(1);
            // The key may be an e-mail or an IP: only the bucket is logged.
            tracing::warn!(
                event = self.exceeded_event,
                bucket,
                limit,
                "rate limit exceeded"
            );
            let mut err = AppError::too_many_requests()
                .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after));
            for (name, value) in [
                ("x-ratelimit-limit", i64::from(limit)),
                ("x-ratelimit-remaining", 0),
                ("x-ratelimit-reset", reset),
            ] {
                err = err.with_header(HeaderName::from_static(name), HeaderValue::from(value));
            }
            return Err(err);
        }
        Ok(Some(status))
    }

    /// Counts one hit for the request and records the window for its response headers.
    pub async fn check(
        &self,
        ctx: &crate::http::RequestContext,
        bucket: &str,
        key: &str,
        limit: u32,
    ) -> Result<(), AppError> {
        let status = self.hit(bucket, key, limit).await?;
        ctx.set_rate(status);
        Ok(())
    }

    async fn count(&self, bucket: &str, key: &str, window: i64) -> u32 {
        let full_key = format!("{}rl:{bucket}:{key}:{window}", self.prefix);
        if let Store::Redis(redis) = self.store.as_ref() {
            match self.count_in_redis(redis, &full_key).await {
                Ok(n) => return n,
                // A Redis outage must not lock every customer out; readiness reports it and the
                // process keeps a local count meanwhile.
                Err(e) => {
                    tracing::warn!(error = %e, "rate-limit store unavailable; counting in process")
                }
            }
        }
        self.count_in_memory(full_key, window)
    }

    async fn count_in_redis(&self, redis: &RedisHandle, key: &str) -> anyhow::Result<u32> {
        let mut conn = redis.connection().await?;
        let (count,): (i64,) = tokio::time::timeout(
            Duration::from_secs(1),
            redis::pipe()
                .atomic()
                .incr(key, 1)
                .expire(key, WINDOW_SECONDS + 1)
                .ignore()
                .query_async(&mut conn),
        )
        .await
        .map_err(|_| anyhow::anyhow!("redis timed out"))??;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    fn count_in_memory(&self, key: String, window: i64) -> u32 {
        let Ok(mut map) = self.memory.lock() else {
            return 0;
        };
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w >= window);
        }
        let entry = map.entry(key).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_limit_allows_then_refuses_with_retry_after() {
        let limiter = RateLimiter::new(None, "t:", true);
        for i in 0..5u32 {
            let status = limiter
                .hit("login", "1.2.3.4", 5)
                .await
                .expect("allowed")
                .expect("status");
            assert_eq!(status.remaining, 4 - i);
        }
        let err = limiter
            .hit("login", "1.2.3.4", 5)
            .await
            .expect_err("limited");
        assert_eq!(err.status, axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert!(
            limiter.hit("login", "5.6.7.8", 5).await.is_ok(),
            "other keys are independent"
        );
    }

    #[tokio::test]
    async fn disabled_limiter_never_limits() {
        let limiter = RateLimiter::disabled();
        for _ in 0..50 {
            assert_eq!(limiter.hit("login", "k", 1).await.expect("allowed"), None);
        }
    }
}
