//! Provisioning (§7) and the job handlers (§8) end to end: order-service over a fresh database,
//! DigitalOcean replaced by the in-process simulator, notification-service by a fake.

mod common;

use std::time::Duration;

use common::*;
use platform::testing::{FakeService, TEST_API_KEY, TestServer, unique_prefix};
use reqwest::StatusCode;
use serde_json::{Value, json};
use simulators::digitalocean::{DoSimConfig, SimSize, router};
use sqlx::PgPool;
use tokio::sync::watch;

struct Harness {
    app: TestApp,
    state: order::AppState,
    sim: TestServer,
    notify: FakeService,
    stop: watch::Sender<bool>,
    workers: Option<order::Workers>,
}

impl Harness {
    async fn start(pool: PgPool, extra: &[(&str, String)]) -> Self {
        Self::start_with(pool, extra, true).await
    }

    async fn start_with(pool: PgPool, extra: &[(&str, String)], run: bool) -> Self {
        let mut sim_config = DoSimConfig::for_tests(DO_TOKEN);
        // The harness catalog's plan uses this size.
        sim_config.sizes.push(SimSize {
            slug: "s-2vcpu-2gb".into(),
            memory: 2048,
            vcpus: 2,
            disk: 60,
            transfer: 3.0,
            price_monthly: 18.0,
            price_hourly: 0.02679,
        });
        let sim = TestServer::spawn(router(sim_config)).await;
        let notify = FakeService::start(202, json!({"data": {"queued": true}})).await;
        let catalog = FakeCatalog::start().await;
        let mut vars: Vec<(&str, String)> = vec![
            ("DIGITALOCEAN_API_BASE_URL", sim.base_url.clone()),
            ("DIGITALOCEAN_TIMEOUT_MS", "2000".into()),
            ("PROVISIONING_POLL_INTERVAL_MS", "100".into()),
            ("PROVISIONING_MAX_ATTEMPTS", "5".into()),
            (
                "NOTIFICATION_SERVICE_BASE_URL",
                notify.base_url().to_string(),
            ),
            ("NOTIFICATION_SERVICE_TIMEOUT_MS", "1000".into()),
            ("JOB_POLL_INTERVAL_MS", "50".into()),
        ];
        vars.extend(extra.iter().cloned());
        let config = config_with(&catalog.server.base_url, &vars);
        let state = order::AppState::with_key_prefix(config, pool.clone(), &unique_prefix("order"))
            .expect("state");
        let server = TestServer::spawn(order::app(state.clone())).await;
        let (stop, _) = watch::channel(false);
        let mut harness = Self {
            app: TestApp {
                server,
                pool,
                catalog,
            },
            state,
            sim,
            notify,
            stop,
            workers: None,
        };
        if run {
            harness.run_workers();
        }
        harness
    }

    fn run_workers(&mut self) {
        let workers = order::spawn_workers(&self.state, self.stop.subscribe()).expect("workers");
        self.workers = Some(workers);
    }

    /// Kills the workers like a crash (no release, no grace).
    async fn crash_workers(&mut self) {
        if let Some(w) = self.workers.take() {
            w.abort();
            w.join().await;
        }
    }

    async fn sim_config(&self, body: Value) {
        let (status, answer) = send(self.sim.post("/_sim/config", &body)).await;
        assert!(status.is_success(), "{answer}");
    }

    async fn sim_droplets(&self) -> Value {
        send(self.sim.get("/_sim/droplets")).await.1
    }

    async fn paid_order(&self) -> String {
        let id = self.app.create_ok().await;
        let reference = format!("REF-{id}");
        let (status, body) = self
            .app
            .pay(&id, json!({"status": "PAID", "reference": reference}), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }

    async fn order(&self, id: &str) -> Value {
        let (status, body) = self
            .app
            .get_key(&format!("/api/v1/internal/orders/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    async fn wait_status(&self, id: &str, want: &str) -> Value {
        for _ in 0..300 {
            let order = self.order(id).await;
            if order["status"] == want {
                return order;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("order {id} never reached {want}: {}", self.order(id).await);
    }

    async fn task_text(&self, id: &str, column: &str) -> Option<String> {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {column}::text FROM provisioning_tasks WHERE order_id = $1::uuid"
        )))
        .bind(id)
        .fetch_optional(&self.app.pool)
        .await
        .expect("task")
        .flatten()
    }

    fn notifications(&self, event: &str) -> Vec<platform::testing::Recorded> {
        self.notify
            .requests()
            .into_iter()
            .filter(|r| r.body["event"] == event)
            .collect()
    }

    async fn wait_notification(&self, event: &str) -> platform::testing::Recorded {
        for _ in 0..300 {
            if let Some(r) = self.notifications(event).into_iter().next() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("{event} never delivered");
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(w) = &self.workers {
            w.abort();
        }
    }
}

fn droplet_count(sim: &Value) -> usize {
    sim["droplets"].as_array().map_or(0, Vec::len)
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn paid_order_becomes_active_and_the_customer_gets_the_password(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    let id = h.paid_order().await;
    let order = h.wait_status(&id, "ACTIVE").await;
    assert!(order["activatedAt"].is_string(), "{order}");
    assert!(order["expiresAt"].is_string(), "{order}");
    let statuses: Vec<&str> = order["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["newStatus"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        statuses,
        ["PENDING_PAYMENT", "PAID", "PROVISIONING", "ACTIVE"],
        "{order}"
    );

    assert_eq!(h.task_text(&id, "status").await.as_deref(), Some("SUCCESS"));
    assert!(h.task_text(&id, "droplet_id").await.is_some());
    assert!(h.task_text(&id, "ipv4_public").await.is_some());
    assert_eq!(h.task_text(&id, "do_region").await.as_deref(), Some("sgp1"));
    assert_eq!(
        h.task_text(&id, "droplet_name").await,
        Some(format!("vps-{}", &id[..8]))
    );

    let sim = h.sim_droplets().await;
    assert_eq!(droplet_count(&sim), 1, "{sim}");
    let droplet = &sim["droplets"][0];
    let tags: Vec<&str> = droplet["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tags.contains(&"webrana"));
    assert!(tags.contains(&format!("order-{id}").as_str()));

    let sent = h.wait_notification("VPS_ACTIVE").await;
    let password = sent.body["data"]["password"].as_str().expect("password");
    assert_eq!(password.len(), 24);
    assert!(
        droplet["_sim"]["user_data"]
            .as_str()
            .expect("user_data")
            .contains(password),
        "the droplet's cloud-config sets the delivered password"
    );
    assert_eq!(sent.body["data"]["username"], "root");
    assert_eq!(sent.body["userId"], CUSTOMER);
    assert_eq!(
        sent.headers["x-api-key"].to_str().expect("key"),
        TEST_API_KEY
    );
    let key = sent.headers["idempotency-key"]
        .to_str()
        .expect("idempotency key");
    let job_id: String = sqlx::query_scalar(
        "SELECT id::text FROM jobs WHERE queue = 'notifications' AND payload->>'event' = 'VPS_ACTIVE'",
    )
    .fetch_one(&h.app.pool)
    .await
    .expect("job");
    assert_eq!(key, job_id);
    h.wait_notification("ORDER_CREATED").await;

    // Once delivered, neither copy of the secret remains (§7.4).
    for _ in 0..100 {
        let left = h
            .app
            .count(
                "SELECT count(*) FROM jobs WHERE secret_payload_enc IS NOT NULL
                 OR id IN (SELECT id FROM jobs WHERE state <> 'DONE' AND queue = 'notifications')",
            )
            .await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE secret_payload_enc IS NOT NULL")
            .await,
        0
    );
    assert!(h.task_text(&id, "root_password_enc").await.is_none());
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_restarted_worker_resumes_polling_and_creates_no_second_droplet(pool: PgPool) {
    let mut h = Harness::start(pool, &[("PROVISIONING_MAX_ATTEMPTS", "50".into())]).await;
    h.sim_config(json!({"active_after_ms": 1000})).await;
    let id = h.paid_order().await;
    for _ in 0..200 {
        if h.task_text(&id, "status").await.as_deref() == Some("IN_PROGRESS") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        h.task_text(&id, "status").await.as_deref(),
        Some("IN_PROGRESS")
    );
    h.crash_workers().await;
    let droplet_id = h.task_text(&id, "droplet_id").await;
    assert!(droplet_id.is_some());
    assert_eq!(h.order(&id).await["status"], "PROVISIONING");

    h.run_workers();
    h.wait_status(&id, "ACTIVE").await;
    assert_eq!(h.task_text(&id, "droplet_id").await, droplet_id);
    let sim = h.sim_droplets().await;
    assert_eq!(droplet_count(&sim), 1, "{sim}");
    assert_eq!(sim["meta"]["creates"], 1, "{sim}");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_create_whose_answer_was_lost_is_adopted_by_its_tag(pool: PgPool) {
    // The create takes effect but its answer is held past the client timeout: the outcome is
    // unknown, exactly like a crash right after the call.
    let h = Harness::start(
        pool,
        &[
            ("DIGITALOCEAN_TIMEOUT_MS", "300".into()),
            ("PROVISIONING_MAX_ATTEMPTS", "10".into()),
        ],
    )
    .await;
    h.sim_config(json!({"fault": "timeout", "count": 1, "timeout_hold_ms": 1500}))
        .await;
    let id = h.paid_order().await;
    h.wait_status(&id, "ACTIVE").await;
    let sim = h.sim_droplets().await;
    assert_eq!(droplet_count(&sim), 1, "{sim}");
    assert_eq!(sim["meta"]["creates"], 1, "{sim}");
    assert_eq!(
        h.task_text(&id, "droplet_id").await.as_deref(),
        sim["droplets"][0]["id"]
            .as_i64()
            .map(|i| i.to_string())
            .as_deref()
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_crash_after_the_create_call_is_resolved_by_tag_lookup(pool: PgPool) {
    // The state a crash between `POST /v2/droplets` and recording its answer leaves behind:
    // `create_requested_at` committed, the droplet exists at the provider, no droplet id.
    let mut h = Harness::start_with(pool, &[], false).await;
    let id = h.paid_order().await;
    order::provisioner(&h.state)
        .expect("provisioner")
        .start_paid_orders()
        .await
        .expect("T3");
    assert_eq!(h.task_text(&id, "status").await.as_deref(), Some("PENDING"));
    let body = json!({
        "name": format!("vps-{}", &id[..8]), "region": "sgp1", "size": "s-2vcpu-2gb",
        "image": "ubuntu-22-04-x64", "tags": ["webrana", format!("order-{id}")],
    });
    let (status, created) = send(h.sim.post("/v2/droplets", &body).bearer_auth(DO_TOKEN)).await;
    assert!(status.is_success(), "{created}");
    sqlx::query(
        "UPDATE provisioning_tasks SET create_requested_at = now() WHERE order_id = $1::uuid",
    )
    .bind(&id)
    .execute(&h.app.pool)
    .await
    .expect("crash state");

    h.run_workers();
    h.wait_status(&id, "ACTIVE").await;
    let sim = h.sim_droplets().await;
    assert_eq!(droplet_count(&sim), 1, "{sim}");
    assert_eq!(
        h.task_text(&id, "droplet_id").await,
        created["droplet"]["id"].as_i64().map(|i| i.to_string())
    );
}

async fn failed_with(h: &Harness, id: &str, code: &str) -> Value {
    let order = h.wait_status(id, "FAILED").await;
    assert_eq!(order["provisioningTask"]["status"], "FAILED", "{order}");
    assert_eq!(order["provisioningTask"]["errorCode"], code, "{order}");
    let sent = h.wait_notification("PROVISIONING_FAILED").await;
    assert_eq!(sent.body["data"]["errorCode"], code);
    assert_eq!(
        sent.body["data"]["errorMessage"],
        order["provisioningTask"]["errorMessage"]
    );
    order
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn an_errored_droplet_fails_and_an_admin_retry_builds_a_new_one(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.sim_config(json!({"nonstandard_errored": true, "next_create_tags": ["sim:errored"]}))
        .await;
    let id = h.paid_order().await;
    let order = failed_with(&h, &id, "DROPLET_ERRORED").await;
    assert_eq!(
        order["provisioningTask"]["errorMessage"],
        "VPS mengalami error saat dibuat"
    );
    let first = h.task_text(&id, "droplet_id").await.expect("droplet kept");

    let (status, body) = h
        .app
        .post_key(
            &format!("/api/v1/internal/orders/{id}/retry-provisioning"),
            json!({"reason": "coba lagi"}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let order = h.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        order["provisioningTask"]["abandonedDropletIds"],
        json!([first]),
        "{order}"
    );
    assert_eq!(order["provisioningTask"]["retryCount"], 1);
    assert_ne!(h.task_text(&id, "droplet_id").await, Some(first));
    assert_eq!(droplet_count(&h.sim_droplets().await), 2);
    h.wait_notification("VPS_ACTIVE").await;

    // Both ends are counted for /metrics (at least: `cargo test` shares the process-wide
    // counters between the tests of this file).
    let text = h
        .app
        .server
        .get("/metrics")
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    for series in [
        "provisioning_outcomes_total{outcome=\"failed\",error_code=\"DROPLET_ERRORED\"}",
        "provisioning_outcomes_total{outcome=\"active\",error_code=\"none\"}",
    ] {
        let count = text
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().parse::<f64>().ok());
        assert!(count.is_some_and(|c| c >= 1.0), "{series} in\n{text}");
    }
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_droplet_that_never_boots_times_out_after_max_attempts(pool: PgPool) {
    let h = Harness::start(pool, &[("PROVISIONING_MAX_ATTEMPTS", "2".into())]).await;
    h.sim_config(json!({"next_create_tags": ["sim:never-active"]}))
        .await;
    let id = h.paid_order().await;
    let order = failed_with(&h, &id, "PROVISIONING_TIMEOUT").await;
    assert_eq!(order["provisioningTask"]["attempts"], 2, "{order}");
    assert!(h.task_text(&id, "droplet_id").await.is_some());
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_refused_create_fails_with_the_provider_message_kept(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.sim_config(json!({"next_create_tags": ["sim:fail-create"]}))
        .await;
    let id = h.paid_order().await;
    let order = failed_with(&h, &id, "DROPLET_CREATION_FAILED").await;
    assert!(
        order["provisioningTask"]["errorDetail"]
            .as_str()
            .is_some_and(|d| d.contains("sim:fail-create")),
        "{order}"
    );
    assert_eq!(droplet_count(&h.sim_droplets().await), 0);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn provider_outages_are_retried_without_a_second_droplet(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.sim_config(json!({"fault": "server_error", "count": 2}))
        .await;
    let id = h.paid_order().await;
    let order = h.wait_status(&id, "ACTIVE").await;
    assert!(
        order["provisioningTask"]["attempts"].as_i64() >= Some(2),
        "{order}"
    );
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_rejected_token_exhausts_the_attempts(pool: PgPool) {
    let h = Harness::start(
        pool,
        &[
            ("DIGITALOCEAN_API_TOKEN", "dop_v1_wrong".into()),
            ("PROVISIONING_MAX_ATTEMPTS", "2".into()),
        ],
    )
    .await;
    let id = h.paid_order().await;
    let order = failed_with(&h, &id, "DIGITALOCEAN_UNAVAILABLE").await;
    assert_eq!(order["provisioningTask"]["attempts"], 2, "{order}");
    assert_eq!(droplet_count(&h.sim_droplets().await), 0);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_provider_timeout_on_polls_ends_in_provisioning_timeout(pool: PgPool) {
    let h = Harness::start(
        pool,
        &[
            ("DIGITALOCEAN_TIMEOUT_MS", "200".into()),
            ("PROVISIONING_MAX_ATTEMPTS", "2".into()),
        ],
    )
    .await;
    h.sim_config(json!({"next_create_tags": ["sim:never-active"]}))
        .await;
    let id = h.paid_order().await;
    for _ in 0..200 {
        if h.task_text(&id, "status").await.as_deref() == Some("IN_PROGRESS") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    h.sim_config(json!({"fault": "timeout", "count": 10, "timeout_hold_ms": 400}))
        .await;
    let order = failed_with(&h, &id, "PROVISIONING_TIMEOUT").await;
    assert!(
        order["provisioningTask"]["errorDetail"]
            .as_str()
            .is_some_and(|d| d.contains("last error")),
        "{order}"
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn concurrent_duplicate_payments_provision_once(pool: PgPool) {
    let mut h = Harness::start(pool, &[]).await;
    h.run_workers(); // a second replica over the same database
    let id = h.app.create_ok().await;
    let body = json!({"status": "PAID", "reference": "DUP-1"});
    let calls = (0..6).map(|_| h.app.pay(&id, body.clone(), None));
    for (status, answer) in futures::future::join_all(calls).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    h.wait_status(&id, "ACTIVE").await;
    assert_eq!(
        h.app.count("SELECT count(*) FROM provisioning_tasks").await,
        1
    );
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE payload->>'event' = 'VPS_ACTIVE'")
            .await,
        1
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn notifications_wait_for_the_notification_service(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.notify
        .respond_with(503, json!({"error": {"code": "SERVICE_UNAVAILABLE"}}));
    let id = h.paid_order().await;
    h.wait_status(&id, "ACTIVE").await;
    for _ in 0..300 {
        let tried = h
            .app
            .count(
                "SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state = 'PENDING'
                 AND attempts >= 1",
            )
            .await;
        if tried == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pending = h
        .app
        .count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state = 'PENDING'")
        .await;
    assert_eq!(pending, 2, "ORDER_CREATED and VPS_ACTIVE wait for a retry");
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE secret_payload_enc IS NOT NULL")
            .await,
        1,
        "the password waits sealed"
    );

    h.notify.respond_with(202, json!({"data": {}}));
    for _ in 0..300 {
        // The backoff (5 s) is what a real outage waits; the test moves the clock instead.
        sqlx::query(
            "UPDATE jobs SET run_at = now() WHERE state = 'PENDING' AND queue = 'notifications'",
        )
        .execute(&h.app.pool)
        .await
        .expect("due now");
        let open = h
            .app
            .count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state <> 'DONE'")
            .await;
        if open == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state = 'DONE'")
            .await,
        2
    );
    assert!(h.task_text(&id, "root_password_enc").await.is_none());
    let events: Vec<String> = h
        .notify
        .requests()
        .iter()
        .map(|r| r.body["event"].as_str().unwrap_or_default().to_string())
        .collect();
    let created_ok = events.iter().rposition(|e| e == "ORDER_CREATED");
    let first_active = events.iter().position(|e| e == "VPS_ACTIVE");
    assert!(
        created_ok < first_active,
        "VPS_ACTIVE only after ORDER_CREATED: {events:?}"
    );
    let keys: Vec<String> = h
        .notifications("VPS_ACTIVE")
        .iter()
        .map(|r| {
            r.headers["idempotency-key"]
                .to_str()
                .expect("key")
                .to_string()
        })
        .collect();
    let job_id: String =
        sqlx::query_scalar("SELECT id::text FROM jobs WHERE payload->>'event' = 'VPS_ACTIVE'")
            .fetch_one(&h.app.pool)
            .await
            .expect("job");
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| *k == job_id),
        "one key per job: {keys:?}"
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn the_payment_deadline_cancels_by_system(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    let id = h.app.create_ok().await;
    sqlx::query("UPDATE jobs SET run_at = now() WHERE queue = 'payment-timeout'")
        .execute(&h.app.pool)
        .await
        .expect("deadline passed");
    let order = h.wait_status(&id, "CANCELED").await;
    let last = order["statusHistory"]
        .as_array()
        .and_then(|a| a.last().cloned())
        .expect("history");
    assert_eq!(last["actor"], "system");
    assert_eq!(last["reason"], "Batas waktu pembayaran habis");
    let (status, body) = h
        .app
        .pay(&id, json!({"status": "PAID", "reference": "LATE"}), None)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn coupon_release_jobs_call_the_catalog_with_the_job_id(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    let path = "/api/v1/internal/catalog/coupons/release";
    h.app.catalog.set(
        path,
        200,
        json!({"data": {"orderId": "ECHO", "released": true, "releasedAt": null}}),
    );
    // A guard of an order that never committed (§8.2).
    let missing = uuid::Uuid::new_v4();
    let mut conn = h.app.pool.acquire().await.expect("conn");
    let job = platform::jobs::enqueue(
        &mut conn,
        platform::jobs::NewJob::new(
            &order::queues::COUPON_RELEASE,
            missing.to_string(),
            json!({"orderId": missing, "reason": "ORDER_NOT_CREATED"}),
        ),
    )
    .await
    .expect("enqueue")
    .expect("new");
    drop(conn);
    h.state.job_waker.wake();
    for _ in 0..200 {
        if !h.app.catalog.seen_path(path).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = h.app.catalog.seen_path(path);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["reason"], "ORDER_NOT_CREATED");
    assert_eq!(
        seen[0].headers["idempotency-key"].to_str().expect("key"),
        job.to_string()
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn dead_notifications_are_listed_retried_and_purged(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.notify
        .respond_with(422, json!({"error": {"code": "VALIDATION_ERROR"}}));
    let id = h.app.create_ok().await;
    for _ in 0..200 {
        let dead = h
            .app
            .count("SELECT count(*) FROM jobs WHERE state = 'DEAD'")
            .await;
        if dead == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = h.app.get_key("/api/v1/internal/orders/queues").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["queues"][0],
        json!({"name": "notifications", "waiting": 0, "active": 0, "delayed": 0, "dead": 1})
    );
    assert_eq!(body["data"]["queues"][2]["name"], "payment-timeout");
    assert_eq!(body["data"]["queues"][2]["delayed"], 1);

    let base = "/api/v1/internal/orders/queues/notifications/dead-letter";
    let (status, body) = h.app.get_key(&format!("{base}?deadReason=REJECTED")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 1, "{body}");
    assert_eq!(body["data"][0]["subjectId"], id.as_str());
    assert_eq!(body["data"][0]["lastHttpStatus"], 422);
    assert!(body["data"][0].get("payload").is_none());

    let (status, body) = h
        .app
        .get_key("/api/v1/internal/orders/queues/nope/dead-letter")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "QUEUE_NOT_FOUND");

    h.notify.respond_with(202, json!({"data": {}}));
    let (status, body) = h.app.post_key(&format!("{base}/retry"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["requeued"], 1);
    for _ in 0..200 {
        let done = h
            .app
            .count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state = 'DONE'")
            .await;
        if done == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND state = 'DONE'")
            .await,
        1
    );

    sqlx::query(
        "UPDATE jobs SET state = 'DEAD', dead_reason = 'REJECTED' WHERE queue = 'notifications'",
    )
    .execute(&h.app.pool)
    .await
    .expect("dead again");
    let (status, body) = send(h.app.server.delete(base).header("x-api-key", TEST_API_KEY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["purged"], 1);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn health_reports_the_background_loops(pool: PgPool) {
    let mut h = Harness::start(pool, &[]).await;
    let (status, body) = send(h.app.server.get("/health")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["service"], "order-service");
    h.crash_workers().await;
    let (status, body) = send(h.app.server.get("/health")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    h.run_workers();
    let (status, _) = send(h.app.server.get("/health")).await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_graceful_stop_releases_leases_and_a_new_worker_continues(pool: PgPool) {
    let mut h = Harness::start(pool, &[("PROVISIONING_MAX_ATTEMPTS", "50".into())]).await;
    h.sim_config(json!({"active_after_ms": 600})).await;
    let id = h.paid_order().await;
    for _ in 0..200 {
        if h.task_text(&id, "status").await.as_deref() == Some("IN_PROGRESS") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.stop.send_replace(true);
    let workers = h.workers.take().expect("running");
    tokio::time::timeout(Duration::from_secs(10), workers.join())
        .await
        .expect("stops within the grace period");
    assert!(h.task_text(&id, "lease_owner").await.is_none());
    assert_eq!(h.order(&id).await["status"], "PROVISIONING");
    h.stop.send_replace(false);
    h.run_workers();
    h.wait_status(&id, "ACTIVE").await;
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_retry_adopts_the_previous_droplet_once_it_is_active(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    h.sim_config(json!({"nonstandard_errored": true, "next_create_tags": ["sim:errored"]}))
        .await;
    let id = h.paid_order().await;
    failed_with(&h, &id, "DROPLET_ERRORED").await;
    let first = h.task_text(&id, "droplet_id").await.expect("droplet kept");
    let (status, body) = send(h.sim.post(
        &format!("/_sim/droplets/{first}/status"),
        &json!({"status": "active"}),
    ))
    .await;
    assert!(status.is_success(), "{body}");

    let (status, body) = h
        .app
        .post_key(
            &format!("/api/v1/internal/orders/{id}/retry-provisioning"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let order = h.wait_status(&id, "ACTIVE").await;
    assert_eq!(h.task_text(&id, "droplet_id").await, Some(first));
    assert_eq!(order["provisioningTask"]["abandonedDropletIds"], json!([]));
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);
    let history = order["statusHistory"].as_array().expect("history");
    let retry = history
        .iter()
        .find(|e| e["previousStatus"] == "FAILED")
        .expect("T6 entry");
    assert_eq!(retry["metadata"]["previousErrorCode"], "DROPLET_ERRORED");
    assert_eq!(retry["metadata"]["retryCount"], 1);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn cancel_and_expiry_release_the_coupon_even_after_a_catalog_outage(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    let path = "/api/v1/internal/catalog/coupons/release";
    h.app.catalog.set(
        path,
        503,
        json!({"error": {"code": "SERVICE_UNAVAILABLE", "message": "down"}}),
    );
    let cancelled = h.app.create_ok().await;
    let expired = h.app.create_ok().await;
    // A coupon of zero value keeps the price checks of the row simple.
    sqlx::query("UPDATE orders SET coupon_code = 'HEMAT' WHERE id IN ($1::uuid, $2::uuid)")
        .bind(&cancelled)
        .bind(&expired)
        .execute(&h.app.pool)
        .await
        .expect("coupon");
    let (status, body) = h
        .app
        .post_key(
            &format!("/api/v1/internal/orders/{cancelled}/cancel"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    sqlx::query(
        "UPDATE jobs SET run_at = now() WHERE queue = 'payment-timeout' AND subject_id = $1",
    )
    .bind(&expired)
    .execute(&h.app.pool)
    .await
    .expect("deadline");
    h.wait_status(&expired, "CANCELED").await;
    for _ in 0..200 {
        if h.app.catalog.seen_path(path).len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        h.app.catalog.seen_path(path).len() >= 2,
        "attempted while down"
    );

    h.app.catalog.set(
        path,
        200,
        json!({"data": {"orderId": "ECHO", "released": true, "releasedAt": null}}),
    );
    for _ in 0..300 {
        sqlx::query(
            "UPDATE jobs SET run_at = now() WHERE state = 'PENDING' AND queue = 'coupon-release'",
        )
        .execute(&h.app.pool)
        .await
        .expect("due now");
        let done = h
            .app
            .count("SELECT count(*) FROM jobs WHERE queue = 'coupon-release' AND state = 'DONE'")
            .await;
        if done == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        h.app
            .count("SELECT count(*) FROM jobs WHERE queue = 'coupon-release' AND state = 'DONE'")
            .await,
        2
    );
    let reasons: std::collections::BTreeSet<(String, String)> = h
        .app
        .catalog
        .seen_path(path)
        .iter()
        .map(|s| {
            (
                s.body["orderId"].as_str().unwrap_or_default().to_string(),
                s.body["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert!(reasons.contains(&(cancelled.clone(), "ORDER_CANCELLED".to_string())));
    assert!(reasons.contains(&(expired.clone(), "PAYMENT_EXPIRED".to_string())));
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn a_rate_limited_poll_waits_for_the_provider_window_and_then_finishes(pool: PgPool) {
    let h = Harness::start(pool, &[]).await;
    // One request per minute: the create spends it, the first poll meets a 429.
    h.sim_config(json!({"per_minute_budget": 1})).await;
    let id = h.paid_order().await;
    let mut detail = None;
    for _ in 0..300 {
        detail = h.task_text(&id, "error_detail").await;
        if detail.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let detail = detail.expect("the 429 was recorded on the task");
    assert!(
        detail.to_lowercase().contains("rate") || detail.contains("429"),
        "{detail}"
    );
    assert_eq!(
        h.task_text(&id, "status").await.as_deref(),
        Some("IN_PROGRESS")
    );
    let wait_ms: f64 = sqlx::query_scalar(
        "SELECT (EXTRACT(EPOCH FROM (next_poll_at - now())) * 1000)::float8 FROM provisioning_tasks WHERE order_id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(&h.app.pool)
    .await
    .expect("next poll");
    assert!(
        wait_ms > 900.0,
        "the next poll honours Retry-After/ratelimit-reset, not the 100 ms poll interval: {wait_ms} ms"
    );
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);

    // The window has passed (simulated): the worker resumes polling and finishes, no second create.
    h.sim_config(json!({"per_minute_budget": 1000})).await;
    sqlx::query("UPDATE provisioning_tasks SET next_poll_at = now() WHERE order_id = $1::uuid")
        .bind(&id)
        .execute(&h.app.pool)
        .await
        .expect("advance the clock");
    h.wait_status(&id, "ACTIVE").await;
    assert_eq!(droplet_count(&h.sim_droplets().await), 1);
}
