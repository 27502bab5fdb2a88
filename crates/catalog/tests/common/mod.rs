//! Harness: catalog-service on a random port over a fresh database (seeded), with a clock the
//! test may pin, API-key and token helpers, and row counters.
#![allow(dead_code)]

// Not every test binary uses both.
#[allow(unused_imports)]
pub use platform::testing::{assert_error, send};
use std::sync::{Arc, Mutex};

use platform::auth::Role;
use platform::config::Env;
use platform::testing::{TEST_API_KEY, TestServer, test_keys, token, unique_prefix};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;

pub const NANO: &str = "a1000000-0000-4000-8000-000000000001";
pub const BASIC: &str = "a1000000-0000-4000-8000-000000000002";
pub const STANDARD: &str = "a1000000-0000-4000-8000-000000000003";
pub const PRO: &str = "a1000000-0000-4000-8000-000000000004";
pub const UBUNTU_22: &str = "b1000000-0000-4000-8000-000000000001";
pub const ROCKY: &str = "b1000000-0000-4000-8000-000000000004";
pub const DOCKER: &str = "b1000000-0000-4000-8000-000000000005";
pub const LAUNCH_PROMO: &str = "d1000000-0000-4000-8000-000000000001";
pub const WELCOME10: &str = "c1000000-0000-4000-8000-000000000001";
pub const FLAT25K: &str = "c1000000-0000-4000-8000-000000000002";
pub const PRO50K: &str = "c1000000-0000-4000-8000-000000000003";
pub const CUSTOMER_ID: &str = "e1000000-0000-4000-8000-000000000003";
pub const ADMIN_ID: &str = "e1000000-0000-4000-8000-000000000002";
pub const MISSING: &str = "00000000-0000-4000-8000-000000000000";

pub const ADMIN: &str = "/api/v1/internal/catalog";
pub const VALIDATE: &str = "/api/v1/catalog/coupons/validate";
pub const REDEEM: &str = "/api/v1/internal/catalog/coupons/redeem";
pub const RELEASE: &str = "/api/v1/internal/catalog/coupons/release";

pub struct TestApp {
    pub server: TestServer,
    pub pool: PgPool,
    pub state: catalog::AppState,
    /// `None` = real time.
    pinned: Arc<Mutex<Option<OffsetDateTime>>>,
}

/// The environment a test service runs with; `overrides` replace or add variables.
pub fn env_pairs(overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let keys = test_keys();
    let mut pairs: Vec<(String, String)> = vec![
        ("APP_ENV", "test"),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected",
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY),
        ("JWT_PUBLIC_KEY", keys.public_pem.as_str()),
        ("RATE_LIMIT_ENABLED", "false"),
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

pub fn config(overrides: &[(&str, &str)]) -> catalog::Config {
    let mut env = Env::from_pairs(env_pairs(overrides));
    let config = catalog::Config::read(&mut env);
    env.finish().expect("test configuration is valid");
    config
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, &[]).await
}

/// For concurrency tests: the service gets its own pool of `connections`, all opened before the
/// test fires, so that parallel requests really run their transactions side by side instead of
/// queueing for a cold pool's first connection.
pub async fn spawn_for_races(pool: PgPool, connections: u32) -> TestApp {
    let options = pool.connect_options().as_ref().clone();
    let wide = sqlx::postgres::PgPoolOptions::new()
        .max_connections(connections)
        .min_connections(connections)
        .connect_with(options)
        .await
        .expect("race pool");
    let held = futures::future::join_all((0..connections).map(|_| wide.acquire())).await;
    assert!(held.iter().all(Result::is_ok), "all connections open");
    drop(held);
    spawn_with(wide, &[]).await
}

pub async fn spawn_with(pool: PgPool, overrides: &[(&str, &str)]) -> TestApp {
    let config = config(overrides);
    catalog::seed::run(&pool, &config).await.expect("seed");
    let pinned: Arc<Mutex<Option<OffsetDateTime>>> = Arc::new(Mutex::new(None));
    let clock_source = pinned.clone();
    let clock = catalog::Clock::from_fn(move || {
        clock_source
            .lock()
            .ok()
            .and_then(|t| *t)
            .unwrap_or_else(OffsetDateTime::now_utc)
    });
    let state = catalog::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("catalog"))
        .expect("state")
        .with_clock(clock);
    let server = TestServer::spawn(catalog::app(state.clone())).await;
    TestApp {
        server,
        pool,
        state,
        pinned,
    }
}

pub fn customer_token() -> String {
    token(CUSTOMER_ID, Role::Customer)
}

pub fn admin_token() -> String {
    token(ADMIN_ID, Role::Admin)
}

pub fn time(s: &str) -> OffsetDateTime {
    platform::time_format::parse(s).expect("timestamp")
}

impl TestApp {
    /// Every rule evaluates at `t` from now on.
    pub fn pin(&self, t: OffsetDateTime) {
        if let Ok(mut slot) = self.pinned.lock() {
            *slot = Some(t);
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.server.get(path)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.server.post(path, &body)).await
    }

    pub async fn post_bearer(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        send(self.server.post(path, &body).bearer_auth(token)).await
    }

    /// Admin and service routes with the API key alone.
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

    pub async fn patch_key(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(
            self.server
                .patch(path, &body)
                .header("x-api-key", TEST_API_KEY),
        )
        .await
    }

    pub async fn delete_key(&self, path: &str) -> (StatusCode, Value) {
        send(self.server.delete(path).header("x-api-key", TEST_API_KEY)).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.pool)
            .await
            .expect("count")
    }

    /// Row counts of every table, to prove a refused request wrote nothing.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut out = Vec::new();
        for table in [
            "vps_plans",
            "plan_pricings",
            "plan_promos",
            "vps_images",
            "vps_plan_images",
            "coupons",
            "coupon_plans",
            "coupon_users",
            "coupon_redemptions",
        ] {
            out.push(self.count(&format!("SELECT count(*) FROM {table}")).await);
        }
        // Updates leave counts alone: fold every row's last change in as well.
        out.push(
            self.count(
                "SELECT coalesce(sum(extract(epoch FROM updated_at) * 1000)::bigint, 0)
                 FROM (SELECT updated_at FROM vps_plans UNION ALL SELECT updated_at FROM plan_pricings
                       UNION ALL SELECT updated_at FROM plan_promos UNION ALL SELECT updated_at FROM vps_images
                       UNION ALL SELECT updated_at FROM coupons) t",
            )
            .await,
        );
        out
    }

    /// Creates a coupon with the API key; `fields` override a small FIXED 10.000 coupon.
    pub async fn coupon(&self, code: &str, fields: Value) -> Value {
        let mut body = serde_json::json!({
            "code": code, "name": format!("Kupon {code}"), "discountType": "FIXED",
            "discountValue": 10_000, "startAt": "2025-01-01T00:00:00Z"
        });
        if let (Some(base), Some(extra)) = (body.as_object_mut(), fields.as_object()) {
            for (k, v) in extra {
                base.insert(k.clone(), v.clone());
            }
        }
        let (status, body) = self.post_key(&format!("{ADMIN}/coupons"), body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"].clone()
    }

    /// Validates a coupon as the order service does (API key, trusted `userId`).
    pub async fn validate_for(&self, body: Value) -> Value {
        let (status, body) = self.post_key(VALIDATE, body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }
}

/// The `details.fields[].field` names of a validation error.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .filter_map(|f| f["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The pricing of `duration` in a plan body.
pub fn pricing<'a>(plan: &'a Value, duration: &str) -> &'a Value {
    plan["pricings"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["duration"] == duration))
        .unwrap_or(&Value::Null)
}
