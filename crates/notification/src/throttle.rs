//! Telegram's send rate (notification.md §6.2): at most `TELEGRAM_MAX_PER_SECOND` messages per
//! second across the replicas (a Redis counter; per instance while Redis is unavailable), and one
//! message per second to one chat.

use std::sync::Arc;
use std::time::Duration;

use platform::ratelimit::RedisHandle;
use redis::AsyncCommands;
use time::OffsetDateTime;
use tokio::sync::Mutex;

const REDIS_TIMEOUT: Duration = Duration::from_millis(500);
/// Waiting longer than this is left to Telegram's own flood control (a 429 defers the job).
const MAX_WAITS: usize = 5;

#[derive(Clone)]
pub struct Throttle {
    redis: Option<RedisHandle>,
    prefix: String,
    per_second: u32,
    /// (second, count) of this instance, used while Redis is unavailable.
    local: Arc<Mutex<(i64, u32)>>,
}

impl Throttle {
    pub fn new(redis: Option<RedisHandle>, prefix: &str, per_second: u32) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            per_second: per_second.max(1),
            local: Arc::default(),
        }
    }

    /// Waits until a message to `chat_id` may go out.
    pub async fn acquire(&self, chat_id: &str) {
        for _ in 0..MAX_WAITS {
            let now = OffsetDateTime::now_utc();
            let second = now.unix_timestamp();
            let allowed = match self.shared(second, chat_id).await {
                Some(allowed) => allowed,
                None => self.local(second).await,
            };
            if allowed {
                return;
            }
            let into_second = Duration::from_nanos(u64::from(now.nanosecond()));
            tokio::time::sleep(Duration::from_secs(1).saturating_sub(into_second)).await;
        }
    }

    /// `None` when Redis cannot be asked.
    async fn shared(&self, second: i64, chat_id: &str) -> Option<bool> {
        let mut conn = self.redis.as_ref()?.connection().await.ok()?;
        let chat_key = format!("{}telegram:chat-rate:{chat_id}", self.prefix);
        let chat_free: Option<String> = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("SET")
                .arg(&chat_key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(1000)
                .query_async(&mut conn),
        )
        .await
        .ok()?
        .ok()?;
        if chat_free.is_none() {
            return Some(false);
        }
        let key = format!("{}telegram:rate:{second}", self.prefix);
        let count: u32 = tokio::time::timeout(REDIS_TIMEOUT, conn.incr(&key, 1))
            .await
            .ok()?
            .ok()?;
        if count == 1 {
            let _ = tokio::time::timeout(REDIS_TIMEOUT, conn.expire::<_, ()>(&key, 2)).await;
        }
        Some(count <= self.per_second)
    }

    async fn local(&self, second: i64) -> bool {
        let mut slot = self.local.lock().await;
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        slot.1 <= self.per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn without_redis_the_rate_holds_per_instance() {
        let throttle = Throttle::new(None, "t:", 2);
        // Start right after a second boundary so the three calls share a window when allowed.
        let now = OffsetDateTime::now_utc();
        let into = Duration::from_nanos(u64::from(now.nanosecond()));
        tokio::time::sleep(Duration::from_secs(1).saturating_sub(into)).await;
        let second = OffsetDateTime::now_utc().unix_timestamp();
        throttle.acquire("1").await;
        throttle.acquire("2").await;
        assert_eq!(OffsetDateTime::now_utc().unix_timestamp(), second);
        throttle.acquire("3").await;
        assert!(
            OffsetDateTime::now_utc().unix_timestamp() > second,
            "third waits"
        );
    }
}
