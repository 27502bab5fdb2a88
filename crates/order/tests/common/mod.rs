//! Harness: order-service on a random port over a fresh database, with the catalog faked at the
//! HTTP level (per-path answers in the catalog's real wire format) and row counters.
#![allow(dead_code)]

// Not every test binary uses both.
#[allow(unused_imports)]
pub use platform::testing::{assert_error, send};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode as AxStatus, Uri};
use axum::response::IntoResponse;
use platform::auth::Role;
use platform::config::Env;
use platform::testing::{
    TEST_API_KEY, TestServer, claims, signer, test_keys, token, unique_prefix,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

pub const STANDARD: &str = "a1000000-0000-4000-8000-000000000003";
pub const UBUNTU: &str = "b1000000-0000-4000-8000-000000000001";
pub const CUSTOMER: &str = "e1000000-0000-4000-8000-000000000003";
pub const OTHER: &str = "e1000000-0000-4000-8000-000000000009";
pub const DO_TOKEN: &str = "dop_v1_order_tests";
pub const CREDENTIALS_KEY: &str =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const MISSING: &str = "00000000-0000-4000-8000-000000000000";

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone, Default)]
struct FakeState {
    answers: Arc<Mutex<HashMap<String, (u16, Value)>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The catalog: answers by path; unknown paths get the catalog's 404 envelope.
pub struct FakeCatalog {
    pub server: TestServer,
    state: FakeState,
}

impl FakeCatalog {
    pub async fn start() -> Self {
        let state = FakeState::default();
        let router = Router::new().fallback(answer).with_state(state.clone());
        let fake = Self {
            server: TestServer::spawn(router).await,
            state,
        };
        fake.set(
            &format!("/api/v1/catalog/plans/{STANDARD}"),
            200,
            json!({"data": plan()}),
        );
        fake.set(
            &format!("/api/v1/catalog/images/{UBUNTU}"),
            200,
            json!({"data": image()}),
        );
        fake
    }

    pub fn set(&self, path: &str, status: u16, body: Value) {
        if let Ok(mut a) = self.state.answers.lock() {
            a.insert(path.to_string(), (status, body));
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state
            .seen
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn seen_path(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

async fn answer(
    State(state): State<FakeState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let order_id = body["orderId"].clone();
    if let Ok(mut seen) = state.seen.lock() {
        seen.push(Seen {
            method,
            path: uri.path().to_string(),
            query: uri.query().map(String::from),
            headers,
            body,
        });
    }
    let (status, mut body) = state
        .answers
        .lock()
        .ok()
        .and_then(|a| a.get(uri.path()).cloned())
        .unwrap_or((
            404,
            json!({"error": {"code": "NOT_FOUND", "message": "Tidak ditemukan"}}),
        ));
    // "ECHO" stands for the request's orderId, as the catalog's redeem echoes it.
    if body["data"]["orderId"] == "ECHO" {
        body["data"]["orderId"] = order_id;
    }
    (
        AxStatus::from_u16(status).unwrap_or(AxStatus::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
}

/// The catalog's public plan (`standard`, seeded numbers).
pub fn plan() -> Value {
    json!({
        "id": STANDARD, "name": "standard", "displayName": "VPS Standard", "description": null,
        "cpu": 2, "memoryMb": 2048, "diskGb": 60, "bandwidthTb": 3, "provider": "digitalocean",
        "providerSizeSlug": "s-2vcpu-2gb", "isActive": true, "sortOrder": 3, "tags": [],
        "pricings": [
            {"id": "f1000000-0000-4000-8000-000000000001", "duration": "MONTHLY", "months": 1,
             "currency": "IDR", "price": 375000, "promoDiscount": 75000, "finalPrice": 300000,
             "pricePerMonth": 300000, "isActive": true, "activePromo": null},
            {"id": "f1000000-0000-4000-8000-000000000002", "duration": "ANNUAL", "months": 12,
             "currency": "IDR", "price": 3600000, "promoDiscount": 0, "finalPrice": 3600000,
             "pricePerMonth": 300000, "isActive": true, "activePromo": null}
        ],
        "promos": []
    })
}

pub fn image() -> Value {
    json!({
        "id": UBUNTU, "provider": "digitalocean", "providerSlug": "ubuntu-22-04-x64",
        "displayName": "Ubuntu 22.04 LTS", "description": null, "category": "OS",
        "distribution": "ubuntu", "version": "22.04", "isActive": true, "sortOrder": 1,
        "compatiblePlanIds": [STANDARD], "compatibleWithPlan": true
    })
}

pub struct TestApp {
    pub server: TestServer,
    pub pool: PgPool,
    pub catalog: FakeCatalog,
}

pub fn config(catalog_url: &str) -> order::Config {
    config_with(catalog_url, &[])
}

/// The test configuration with `extra` variables added (later entries win).
pub fn config_with(catalog_url: &str, extra: &[(&str, String)]) -> order::Config {
    let keys = test_keys();
    let mut pairs: Vec<(String, String)> = [
        ("APP_ENV", "test"),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected",
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY),
        ("JWT_PUBLIC_KEY", keys.public_pem.as_str()),
        ("RATE_LIMIT_ENABLED", "false"),
        ("CATALOG_SERVICE_BASE_URL", catalog_url),
        ("CATALOG_SERVICE_TIMEOUT_MS", "2000"),
        ("DIGITALOCEAN_API_TOKEN", DO_TOKEN),
        ("CREDENTIALS_ENCRYPTION_KEY", CREDENTIALS_KEY),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    pairs.retain(|(k, _)| extra.iter().all(|(e, _)| e != k));
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut env = Env::from_pairs(pairs);
    let config = order::Config::read(&mut env);
    env.finish().expect("test configuration is valid");
    config
}

pub async fn spawn(pool: PgPool) -> TestApp {
    let catalog = FakeCatalog::start().await;
    spawn_at(pool, catalog, None).await
}

/// `catalog_url` overrides the fake's address (a closed port for "catalog down").
pub async fn spawn_at(pool: PgPool, catalog: FakeCatalog, catalog_url: Option<String>) -> TestApp {
    let url = catalog_url.unwrap_or_else(|| catalog.server.base_url.clone());
    let config = config(&url);
    let state = order::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("order"))
        .expect("state");
    let fast = state
        .catalog
        .clone()
        .with_retry_delays([std::time::Duration::from_millis(5); 2]);
    let state = state.with_catalog(fast);
    let server = TestServer::spawn(order::app(state)).await;
    TestApp {
        server,
        pool,
        catalog,
    }
}

pub fn customer() -> String {
    token(CUSTOMER, Role::Customer)
}

pub fn other() -> String {
    token(OTHER, Role::Customer)
}

pub fn admin() -> String {
    token("e1000000-0000-4000-8000-000000000002", Role::Admin)
}

/// A customer whose account is not verified yet.
pub fn unverified() -> String {
    let mut c = claims(CUSTOMER, Role::Customer);
    c.status = Some("PENDING_VERIFICATION".into());
    signer().sign(&c).expect("sign")
}

impl TestApp {
    pub async fn create(&self, token: &str, body: Value) -> (StatusCode, Value) {
        send(self.server.post("/api/v1/orders", &body).bearer_auth(token)).await
    }

    pub async fn create_ok(&self) -> String {
        let (status, body) = self
            .create(
                &customer(),
                json!({"planId": STANDARD, "imageId": UBUNTU, "duration": "MONTHLY"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_str().expect("id").to_string()
    }

    pub async fn get_bearer(&self, path: &str, token: &str) -> (StatusCode, Value) {
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

    pub async fn pay(&self, id: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .server
            .post(
                &format!("/api/v1/internal/orders/{id}/payment-status"),
                &body,
            )
            .header("x-api-key", TEST_API_KEY)
            .header("x-service-name", "billing-service");
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        send(req).await
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
        for t in [
            "orders",
            "order_items",
            "status_history",
            "provisioning_tasks",
            "jobs",
        ] {
            out.push(self.count(&format!("SELECT count(*) FROM {t}")).await);
        }
        out
    }
}
