//! Harness: notification-service on a random port over a fresh database and a unique Redis
//! prefix, with a real SMTP listener, the Telegram Bot API faked at the HTTP level and the auth
//! service faked with its internal user route.
#![allow(dead_code)]

pub mod smtp;
pub mod telegram;

// Not every test binary uses both.
#[allow(unused_imports)]
pub use platform::testing::{assert_error, send};
use std::time::Duration;

use platform::config::Env;
use platform::testing::{FakeService, TEST_API_KEY, TestServer, test_keys, unique_prefix};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::watch;

#[allow(unused_imports)]
pub use smtp::{SinkMode, SmtpSink};
pub use telegram::{BOT_TOKEN, ChatMode, FakeTelegram};

pub const CUSTOMER: &str = "e1000000-0000-4000-8000-000000000003";
pub const OTHER: &str = "e1000000-0000-4000-8000-000000000009";
pub const CHAT: &str = "123456789";
pub const ORDER_ID: &str = "6f0429ea-1c2b-4d3e-8f90-a1b2c3d4e5f6";
pub const CREDENTIALS_KEY: &str =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const PREFIX: &str = "/api/v1/internal/notifications";

/// Auth's internal user body.
pub fn user_body(email: &str, chat: Option<&str>, prefs: Value) -> Value {
    json!({"data": {
        "id": CUSTOMER, "email": email, "fullName": "Budi Santoso", "role": "customer",
        "status": "ACTIVE", "telegramChatId": chat, "notificationPreferences": prefs,
    }})
}

pub fn user_path(id: &str) -> String {
    format!("/api/v1/internal/users/{id}")
}

pub struct Options {
    pub auth_url: Option<String>,
    pub redis_url: Option<String>,
    pub extra: Vec<(&'static str, String)>,
    pub workers: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            auth_url: None,
            redis_url: None,
            extra: Vec::new(),
            workers: true,
        }
    }
}

pub struct TestApp {
    pub server: TestServer,
    pub pool: PgPool,
    pub state: notification::AppState,
    pub smtp: SmtpSink,
    pub telegram: FakeTelegram,
    pub auth: FakeService,
    stop: watch::Sender<bool>,
    workers: Option<notification::Workers>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(w) = &self.workers {
            w.abort();
        }
    }
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, Options::default()).await
}

pub async fn spawn_with(pool: PgPool, options: Options) -> TestApp {
    let smtp = SmtpSink::start().await;
    let telegram = FakeTelegram::start().await;
    telegram.chat(CHAT, ChatMode::Ok);
    let auth = FakeService::start(
        404,
        json!({"error": {"code": "USER_NOT_FOUND", "message": "Pengguna tidak ditemukan"}}),
    )
    .await;
    auth.respond_to(
        &user_path(CUSTOMER),
        200,
        user_body(
            "budi@example.com",
            Some(CHAT),
            json!({"email": true, "telegram": true}),
        ),
    );
    auth.respond_to(
        "/api/v1/internal/telegram/unlink",
        200,
        json!({"data": {"unlinked": true}}),
    );
    let auth_url = options
        .auth_url
        .clone()
        .unwrap_or_else(|| auth.base_url().to_string());
    let redis_url = options
        .redis_url
        .clone()
        .unwrap_or_else(platform::testing::redis_url);
    let keys = test_keys();
    let mut pairs: Vec<(String, String)> = [
        ("APP_ENV", "test".to_string()),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected".into(),
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY.into()),
        ("JWT_PUBLIC_KEY", keys.public_pem.clone()),
        ("RATE_LIMIT_ENABLED", "false".into()),
        ("REDIS_URL", redis_url),
        ("AUTH_SERVICE_BASE_URL", auth_url),
        ("AUTH_SERVICE_TIMEOUT_MS", "2000".into()),
        ("CREDENTIALS_ENCRYPTION_KEY", CREDENTIALS_KEY.into()),
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", smtp.addr.port().to_string()),
        ("SMTP_REQUIRE_TLS", "false".into()),
        ("SMTP_REPLY_TO", "Support <support@webrana.id>".into()),
        ("TELEGRAM_ENABLED", "true".into()),
        ("TELEGRAM_BOT_TOKEN", BOT_TOKEN.into()),
        ("TELEGRAM_API_BASE_URL", telegram.server.base_url.clone()),
        ("JOB_POLL_INTERVAL_MS", "50".into()),
        ("QUEUE_MAX_ATTEMPTS", "3".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    pairs.retain(|(k, _)| options.extra.iter().all(|(e, _)| e != k));
    pairs.extend(
        options
            .extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone())),
    );
    let mut env = Env::from_pairs(pairs);
    let mut config = notification::Config::read(&mut env);
    env.finish().expect("test configuration is valid");
    // Seconds-long backoffs would make retry tests slow; the policy is the same in milliseconds.
    config.queues.backoff_base = Duration::from_millis(100);
    config.queues.backoff_max = Duration::from_millis(400);
    let state =
        notification::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("notif"))
            .expect("state");
    let fast = state
        .auth
        .clone()
        .with_retry_delays([Duration::from_millis(5); 2]);
    let state = state.with_auth(fast);
    notification::prepare(&state).await.expect("prepare");
    let (stop, stopped) = watch::channel(false);
    let workers = options
        .workers
        .then(|| notification::spawn_workers(&state, stopped).expect("workers"));
    let server = TestServer::spawn(notification::app(state.clone())).await;
    TestApp {
        server,
        pool,
        state,
        smtp,
        telegram,
        auth,
        stop,
        workers,
    }
}

pub fn order_created() -> Value {
    json!({"orderId": ORDER_ID, "planName": "VPS Standard", "imageName": "Ubuntu 22.04 LTS",
           "duration": "MONTHLY", "basePrice": 375000, "promoDiscount": 75000,
           "couponCode": null, "couponDiscount": 0, "finalPrice": 300000, "currency": "IDR",
           "createdAt": "2025-01-15T10:00:00.000Z", "paymentDeadline": "2025-01-18T10:00:00.000Z"})
}

pub fn payment_confirmed() -> Value {
    json!({"orderId": ORDER_ID, "invoiceNumber": "INV-20250115-7KQ3", "planName": "VPS Standard",
           "amount": 300000, "paymentMethod": "BRI Virtual Account",
           "paidAt": "2025-01-15T10:01:00.000Z"})
}

pub fn vps_active() -> Value {
    json!({"orderId": ORDER_ID, "planName": "VPS Standard", "imageName": "Ubuntu 22.04 LTS",
           "duration": "MONTHLY", "hostname": "vps-6f0429ea", "ipAddress": "203.0.113.10",
           "ipv4Private": null, "region": "sgp1", "username": "root",
           "sshCommand": "ssh root@203.0.113.10", "password": "Sup3r-Secret-Pw!",
           "activatedAt": "2025-01-15T10:05:00.000Z", "expiresAt": "2025-02-15T10:05:00.000Z"})
}

pub fn account(email: &str) -> Value {
    json!({"email": email, "fullName": "Siti Aminah",
           "actionUrl": "http://localhost:4200/auth/verify-email?token=abc123",
           "expiresAt": "2025-01-16T10:00:00.000Z"})
}

impl TestApp {
    pub async fn send_event(
        &self,
        event: &str,
        user_id: &str,
        data: Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let body = json!({"event": event, "userId": user_id, "data": data});
        let mut req = self
            .server
            .post(&format!("{PREFIX}/send"), &body)
            .header("x-api-key", TEST_API_KEY)
            .header("x-service-name", "order-service")
            .header("x-request-id", "req-test-1");
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        send(req).await
    }

    pub async fn get_key(&self, path: &str) -> (StatusCode, Value) {
        send(self.server.get(path).header("x-api-key", TEST_API_KEY)).await
    }

    pub async fn post_key(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(
            self.server
                .post(path, &body)
                .header("x-api-key", TEST_API_KEY),
        )
        .await
    }

    pub async fn put_key(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(
            self.server
                .put(path, &body)
                .header("x-api-key", TEST_API_KEY),
        )
        .await
    }

    pub async fn delete_key(&self, path: &str) -> (StatusCode, Value) {
        send(self.server.delete(path).header("x-api-key", TEST_API_KEY)).await
    }

    pub async fn log(&self, id: &str) -> Value {
        let (status, body) = self.get_key(&format!("{PREFIX}/logs/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// Polls the log until `done` holds (10 s at most).
    pub async fn wait_log(&self, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log(id).await;
            if done(&log) {
                return log;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "log never got there: {log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the log's status and, since the handler updates the log just before the
    /// worker records the job's outcome, for no job to be left RUNNING.
    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        let log = self.wait_log(id, |l| l["status"] == status).await;
        for _ in 0..200 {
            if self
                .count("SELECT count(*) FROM jobs WHERE state = 'RUNNING'")
                .await
                == 0
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        log
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    /// Starts (or, after a crash, restarts) the background workers on the same state.
    pub fn start_workers(&mut self) {
        let (stop, stopped) = watch::channel(false);
        self.stop = stop;
        self.workers = Some(notification::spawn_workers(&self.state, stopped).expect("workers"));
    }

    /// Kills the workers like a crash: in-flight leases stay until they expire.
    pub fn crash_workers(&mut self) {
        if let Some(w) = self.workers.take() {
            w.abort();
        }
    }
}

/// The `logId` of the notification on `channel` in a send answer.
pub fn log_id(body: &Value, channel: &str) -> String {
    body["data"]["notifications"]
        .as_array()
        .and_then(|n| n.iter().find(|n| n["channel"] == channel))
        .and_then(|n| n["logId"].as_str())
        .unwrap_or_else(|| panic!("no {channel} notification in {body}"))
        .to_string()
}

/// The parsed MIME message and its envelope.
pub fn parse(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(raw)
        .expect("a parseable MIME message")
}
