//! Harness: billing-service on a random port over a fresh database, with the order, auth and
//! notification services faked at the HTTP level and Tripay played by the simulator of
//! integrations.md §1.7, in process.
#![allow(dead_code)]

// Not every test binary uses both.
#[allow(unused_imports)]
pub use platform::testing::{assert_error, send};
use std::net::SocketAddr;
use std::time::Duration;

use platform::auth::Role;
use platform::config::Env;
use platform::testing::{FakeService, TEST_API_KEY, TestServer, test_keys, token, unique_prefix};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;

pub const CUSTOMER: &str = "e1000000-0000-4000-8000-000000000003";
pub const OTHER: &str = "e1000000-0000-4000-8000-000000000009";
pub const PLAN: &str = "a1000000-0000-4000-8000-000000000002";
pub const MISSING: &str = "00000000-0000-4000-8000-000000000000";
pub const PRIVATE_KEY: &str = "sim-private-key-0001";
pub const MERCHANT: &str = "T12345";
pub const TRIPAY_API_KEY: &str = "DEV-billing-tests";
pub const PRICE: i64 = 150_000;

pub struct TestApp {
    pub server: TestServer,
    pub state: billing::AppState,
    pub pool: PgPool,
    pub order: FakeService,
    pub notification: FakeService,
    pub auth: FakeService,
    pub tripay: TestServer,
    /// The job worker and periodic tasks of the current "process".
    workers: std::sync::Mutex<Option<(billing::Workers, tokio::sync::watch::Sender<bool>)>>,
}

/// A free loopback address (bound, then released) for a server that must be known before it
/// starts: billing's callback URL goes into its own configuration and the simulator's.
pub async fn reserve_addr() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    listener.local_addr().expect("addr")
}

pub fn tripay_sim_config(callback_url: &str) -> simulators::tripay::TripaySimConfig {
    simulators::tripay::TripaySimConfig::for_tests(MERCHANT, TRIPAY_API_KEY, PRIVATE_KEY)
        .with_callback_url(callback_url)
        .with_callback_retry(vec![Duration::from_millis(50); 3])
}

/// The configuration of the test service, with `extra` variables added (later entries win).
pub fn config_with(urls: &Urls, extra: &[(&str, String)]) -> billing::Config {
    let keys = test_keys();
    let mut pairs: Vec<(String, String)> = [
        ("APP_ENV", "test".to_string()),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected".to_string(),
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY.to_string()),
        ("JWT_PUBLIC_KEY", keys.public_pem.clone()),
        ("RATE_LIMIT_ENABLED", "false".to_string()),
        ("ORDER_SERVICE_BASE_URL", urls.order.clone()),
        ("ORDER_SERVICE_TIMEOUT_MS", "2000".to_string()),
        ("NOTIFICATION_SERVICE_BASE_URL", urls.notification.clone()),
        ("NOTIFICATION_SERVICE_TIMEOUT_MS", "2000".to_string()),
        ("AUTH_SERVICE_BASE_URL", urls.auth.clone()),
        ("AUTH_SERVICE_TIMEOUT_MS", "2000".to_string()),
        ("TRIPAY_API_KEY", TRIPAY_API_KEY.to_string()),
        ("TRIPAY_PRIVATE_KEY", PRIVATE_KEY.to_string()),
        ("TRIPAY_MERCHANT_CODE", MERCHANT.to_string()),
        ("TRIPAY_BASE_URL", urls.tripay.clone()),
        ("TRIPAY_TIMEOUT_MS", "2000".to_string()),
        ("TRIPAY_CALLBACK_URL", urls.callback.clone()),
        (
            "CUSTOMER_WEB_BASE_URL",
            "https://app.webrana.test".to_string(),
        ),
        ("OUTBOX_BACKOFF_BASE_SECONDS", "1".to_string()),
        ("OUTBOX_BACKOFF_MAX_SECONDS", "1".to_string()),
        ("JOB_POLL_INTERVAL_MS", "50".to_string()),
        ("JOB_LEASE_SECONDS", "2".to_string()),
        ("TRIPAY_RECONCILE_INTERVAL_SECONDS", "0".to_string()),
        ("INVOICE_EXPIRY_JOB_INTERVAL_SECONDS", "3600".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    pairs.retain(|(k, _)| extra.iter().all(|(e, _)| e != k));
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let mut env = Env::from_pairs(pairs);
    let config = billing::Config::read(&mut env);
    env.finish().expect("test configuration is valid");
    config
}

/// Where the service's neighbours live.
#[derive(Debug, Clone)]
pub struct Urls {
    pub order: String,
    pub notification: String,
    pub auth: String,
    /// The simulator's API root (with `/api-sandbox`).
    pub tripay: String,
    /// Billing's own canonical callback URL.
    pub callback: String,
}

pub async fn spawn(pool: PgPool) -> TestApp {
    spawn_with(pool, &[]).await
}

pub async fn spawn_with(pool: PgPool, extra: &[(&str, String)]) -> TestApp {
    // Orders the test did not declare do not exist.
    let order = FakeService::start(
        404,
        json!({"error": {"code": "ORDER_NOT_FOUND", "message": "Order tidak ditemukan"}}),
    )
    .await;
    let notification = FakeService::start(202, json!({"data": {"accepted": true}})).await;
    let auth = FakeService::start(
        200,
        json!({"data": {"id": CUSTOMER, "email": "budi@example.com", "fullName": "Budi Santoso",
                        "phoneNumber": "+6281234567890", "role": "CUSTOMER", "status": "ACTIVE"}}),
    )
    .await;
    let addr = reserve_addr().await;
    let callback = format!("http://{addr}/api/v1/billing/webhooks/tripay");
    let tripay = TestServer::spawn(simulators::tripay::router(tripay_sim_config(&callback))).await;
    let urls = Urls {
        order: order.base_url().to_string(),
        notification: notification.base_url().to_string(),
        auth: auth.base_url().to_string(),
        tripay: format!("{}/api-sandbox", tripay.base_url),
        callback,
    };
    let config = config_with(&urls, extra);
    let state = billing::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("billing"))
        .expect("state");
    let fast = platform::client::ServiceClient::new(
        &state.config.order,
        platform::testing::api_key(),
        billing::SERVICE_NAME,
    )
    .expect("client")
    .with_retry_delays([Duration::from_millis(5); 2]);
    let state = state.with_order_client(fast);
    let server = TestServer::spawn_on(addr, billing::app(state.clone())).await;
    let app = TestApp {
        server,
        state,
        pool,
        order,
        notification,
        auth,
        tripay,
        workers: std::sync::Mutex::new(None),
    };
    app.start_workers();
    app
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

/// The order service's internal representation of an order (order.md §3.3), as billing reads it.
pub fn order_json(
    id: &str,
    user: &str,
    status: &str,
    final_price: Value,
    deadline: OffsetDateTime,
) -> Value {
    json!({"data": {
        "id": id, "userId": user, "status": status, "duration": "MONTHLY",
        "planId": PLAN, "planName": "Basic VPS 1vCPU 1GB",
        "imageId": "b1000000-0000-4000-8000-000000000001", "imageName": "Ubuntu 22.04 LTS",
        "pricing": {"basePrice": 150000, "promoDiscount": 0, "couponCode": null,
                    "couponDiscount": 0, "finalPrice": final_price, "currency": "IDR"},
        "items": [], "provisioningTask": null, "paidAt": null, "activatedAt": null,
        "expiresAt": null, "canceledAt": null,
        "paymentDeadline": platform::time_format::format(deadline),
        "createdAt": platform::time_format::format(OffsetDateTime::now_utc()),
        "updatedAt": platform::time_format::format(OffsetDateTime::now_utc()),
        "paymentReference": null, "statusHistory": [], "jobs": []
    }})
}

pub fn order_path(id: &str) -> String {
    format!("/api/v1/internal/orders/{id}")
}

pub fn payment_status_path(id: &str) -> String {
    format!("/api/v1/internal/orders/{id}/payment-status")
}

impl TestApp {
    /// Starts the job worker and periodic tasks, as a (re)started process would.
    pub fn start_workers(&self) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers = billing::spawn_workers(&self.state, stopped).expect("workers");
        if let Ok(mut slot) = self.workers.lock() {
            *slot = Some((workers, stop));
        }
    }

    /// Kills the background work like a crash: leases stay until they expire.
    pub fn crash_workers(&self) {
        if let Ok(mut slot) = self.workers.lock()
            && let Some((workers, _stop)) = slot.take()
        {
            workers.abort();
        }
    }

    /// Makes the fake order service answer for `id` (None = the default PENDING_PAYMENT order
    /// of CUSTOMER at PRICE, payable for three days).
    pub fn set_order(&self, id: &str, body: Option<Value>) {
        let body = body.unwrap_or_else(|| {
            order_json(
                id,
                CUSTOMER,
                "PENDING_PAYMENT",
                json!(PRICE),
                OffsetDateTime::now_utc() + time::Duration::days(3),
            )
        });
        self.order.respond_to(&order_path(id), 200, body);
        self.order.respond_to(
            &payment_status_path(id),
            200,
            json!({"data": {"replayed": false}}),
        );
    }

    /// A new payable order of CUSTOMER known to the fake order service.
    pub fn new_order(&self) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.set_order(&id, None);
        id
    }

    pub async fn create_invoice(&self, token: &str, order_id: &str) -> (StatusCode, Value) {
        send(
            self.server
                .post("/api/v1/billing/invoices", &json!({ "orderId": order_id }))
                .bearer_auth(token),
        )
        .await
    }

    /// A fresh invoice of CUSTOMER; returns its JSON.
    pub async fn invoice(&self) -> Value {
        let order_id = self.new_order();
        let (status, body) = self.create_invoice(&customer(), &order_id).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"].clone()
    }

    pub async fn pay(&self, token: &str, invoice_id: &str, body: Value) -> (StatusCode, Value) {
        send(
            self.server
                .post(&format!("/api/v1/billing/invoices/{invoice_id}/pay"), &body)
                .bearer_auth(token),
        )
        .await
    }

    /// A fresh invoice with an active BRI_VA transaction; returns `(invoice id, reference)`.
    pub async fn paying_invoice(&self) -> (String, String, Value) {
        let invoice = self.invoice().await;
        let id = invoice["id"].as_str().expect("id").to_string();
        let (status, body) = self
            .pay(&customer(), &id, json!({"channel": "BRI_VA"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let reference = body["data"]["payment"]["reference"]
            .as_str()
            .expect("reference")
            .to_string();
        (id, reference, body["data"].clone())
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

    /// Posts a callback body signed with the right key at `path`.
    pub async fn callback_at(&self, path: &str, raw: &[u8]) -> (StatusCode, Value) {
        let signature = tripay::callback_signature(PRIVATE_KEY, raw);
        send(
            self.server
                .client
                .post(self.server.url(path))
                .header("content-type", "application/json")
                .header("x-callback-event", "payment_status")
                .header("x-callback-signature", signature)
                .body(raw.to_vec()),
        )
        .await
    }

    pub async fn callback(&self, raw: &[u8]) -> (StatusCode, Value) {
        self.callback_at("/api/v1/billing/webhooks/tripay", raw)
            .await
    }

    /// Drives the simulator's control route (`pay`, `expire`, `fail`, `refund`).
    pub async fn sim(&self, reference: &str, action: &str, body: Value) -> (StatusCode, Value) {
        send(
            self.tripay
                .post(&format!("/_sim/transactions/{reference}/{action}"), &body),
        )
        .await
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
        for t in ["invoices", "payments", "tripay_callbacks", "jobs"] {
            out.push(self.count(&format!("SELECT count(*) FROM {t}")).await);
        }
        out
    }

    pub async fn invoice_row(&self, id: &str) -> Value {
        let (status, body) = self
            .get_key(&format!("/api/v1/internal/billing/invoices/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// Waits until `cond` holds over the admin detail of invoice `id`.
    pub async fn wait_for(&self, id: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..200 {
            let detail = self.invoice_row(id).await;
            if cond(&detail) {
                return detail;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "timed out waiting for {what}: {}",
            self.invoice_row(id).await
        );
    }
}

/// A callback body in Tripay's field order (integrations.md §1.5).
#[allow(clippy::too_many_arguments)]
pub fn callback_body(
    reference: &str,
    merchant_ref: &str,
    status: &str,
    total_amount: i64,
    fee_customer: i64,
    paid_at: Option<i64>,
) -> Vec<u8> {
    let fee_merchant = 4250;
    let body = json!({
        "reference": reference, "merchant_ref": merchant_ref,
        "payment_method": "BRI Virtual Account", "payment_method_code": "BRIVA",
        "total_amount": total_amount, "fee_merchant": fee_merchant, "fee_customer": fee_customer,
        "total_fee": fee_merchant + fee_customer,
        "amount_received": total_amount - fee_merchant - fee_customer,
        "is_closed_payment": 1, "status": status, "paid_at": paid_at, "note": null
    });
    serde_json::to_vec(&body).expect("json")
}
