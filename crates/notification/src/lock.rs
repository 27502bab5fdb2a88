//! Short Redis locks that keep a periodic run to one replica at a time (notification.md §7.4).
//! Without Redis no lock can be taken, so the run pauses rather than running everywhere.

use std::time::Duration;

use platform::ratelimit::RedisHandle;

const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// A held lock; release it with [`RedisLock::release`] (it also expires on its own).
pub struct RedisLock {
    redis: RedisHandle,
    key: String,
    token: String,
}

impl RedisLock {
    /// `None` when another holder has it or Redis is unavailable.
    pub async fn acquire(redis: Option<&RedisHandle>, key: String, ttl: Duration) -> Option<Self> {
        let redis = redis?.clone();
        let mut conn = match redis.connection().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(event = "redis_unavailable", error = %e, lock = %key, "lock not taken");
                return None;
            }
        };
        let token = platform::crypto::random_hex(16);
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let taken: Option<String> = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn),
        )
        .await
        .ok()?
        .ok()?;
        taken.map(|_| Self { redis, key, token })
    }

    /// Extends the lock by `ttl` while this holder still has it; `false` once it was lost.
    pub async fn renew(&self, ttl: Duration) -> bool {
        let Ok(mut conn) = self.redis.connection().await else {
            return false;
        };
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then \
             return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end",
        );
        let mut invocation = script.key(&self.key);
        invocation
            .arg(&self.token)
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
        matches!(
            tokio::time::timeout(REDIS_TIMEOUT, invocation.invoke_async::<i64>(&mut conn)).await,
            Ok(Ok(1))
        )
    }

    /// Deletes the key only while it still holds this holder's token.
    pub async fn release(self) {
        let Ok(mut conn) = self.redis.connection().await else {
            return;
        };
        let script = redis::Script::new(
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) \
             else return 0 end",
        );
        let mut invocation = script.key(&self.key);
        invocation.arg(&self.token);
        let _ =
            tokio::time::timeout(REDIS_TIMEOUT, invocation.invoke_async::<i64>(&mut conn)).await;
    }
}
