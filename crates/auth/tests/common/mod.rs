//! Harness: auth-service on a random port over a fresh database, with an HTTP fake of the
//! notification service's `send` route.
#![allow(dead_code)]

// Not every test binary uses both.
use platform::config::Env;
use platform::testing::{FakeService, TEST_API_KEY, TestServer, test_keys, unique_prefix};
#[allow(unused_imports)]
pub use platform::testing::{assert_error, send};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

pub const CUSTOMER_ID: &str = "e1000000-0000-4000-8000-000000000003";
pub const ADMIN_ID: &str = "e1000000-0000-4000-8000-000000000002";
pub const SUPER_ADMIN_ID: &str = "e1000000-0000-4000-8000-000000000001";
pub const STRONG: &str = "Rahasia123!";

pub struct TestApp {
    pub server: TestServer,
    pub pool: PgPool,
    pub notification: FakeService,
    pub state: auth::AppState,
}

/// The environment a test service runs with; `overrides` replace or add variables.
pub fn env_pairs(notification_url: &str, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let keys = test_keys();
    let mut pairs: Vec<(String, String)> = vec![
        ("APP_ENV", "test"),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected",
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY),
        ("JWT_PUBLIC_KEY", keys.public_pem.as_str()),
        ("JWT_PRIVATE_KEY", keys.private_pem.as_str()),
        ("RATE_LIMIT_ENABLED", "false"),
        ("AUTH_DEBUG_TOKENS", "true"),
        ("NOTIFICATION_SERVICE_BASE_URL", notification_url),
        ("NOTIFICATION_SERVICE_TIMEOUT_MS", "2000"),
        ("TELEGRAM_BOT_USERNAME", "WebranaCloudBot"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        pairs.retain(|(key, _)| key != k);
        pairs.push((k.to_string(), v.to_string()));
    }
    pairs
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, &[]).await
}

pub async fn spawn_with(pool: PgPool, overrides: &[(&str, &str)]) -> TestApp {
    let notification = FakeService::start(202, json!({"data": {"notifications": []}})).await;
    let mut env = Env::from_pairs(env_pairs(notification.base_url(), overrides));
    let config = auth::Config::read(&mut env);
    env.finish().expect("test configuration is valid");
    auth::seed::run(&pool, &config).await.expect("seed");
    let state = auth::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("auth"))
        .expect("state");
    let server = TestServer::spawn(auth::app(state.clone())).await;
    TestApp {
        server,
        pool,
        notification,
        state,
    }
}

impl TestApp {
    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.server.post(path, &body)).await
    }

    pub async fn post_auth(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        send(self.server.post(path, &body).bearer_auth(token)).await
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> (StatusCode, Value) {
        send(self.server.get(path).bearer_auth(token)).await
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

    /// Registers an account; returns its id and the e-mail verification token.
    pub async fn register(&self, email: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                json!({"email": email, "password": STRONG, "fullName": "Budi Santoso"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["data"]["id"].as_str().expect("id").to_string(),
            body["data"]["debugToken"]
                .as_str()
                .expect("debugToken")
                .to_string(),
        )
    }

    /// Registers and verifies an account; returns its id.
    pub async fn verified_customer(&self, email: &str) -> String {
        let (id, token) = self.register(email).await;
        let (status, body) = self
            .post("/api/v1/auth/verify-email", json!({"token": token}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    /// Logs in; returns (accessToken, refreshToken).
    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
        let (status, body) = self
            .post(
                "/api/v1/auth/login",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        (
            body["data"]["accessToken"]
                .as_str()
                .expect("access")
                .to_string(),
            body["data"]["refreshToken"]
                .as_str()
                .expect("refresh")
                .to_string(),
        )
    }

    /// Asks for a password reset; returns the debug token.
    pub async fn reset_token(&self, email: &str) -> String {
        let (status, body) = self
            .post("/api/v1/auth/forgot-password", json!({"email": email}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["debugToken"]
            .as_str()
            .expect("debugToken")
            .to_string()
    }

    pub async fn admin_token(&self) -> String {
        self.login("admin@webrana.cloud", "Admin123!").await.0
    }

    pub async fn super_admin_token(&self) -> String {
        self.login("superadmin@webrana.cloud", "SuperAdmin123!")
            .await
            .0
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }
}
