//! `GET /metrics` of a complete application (platform.md §9): request counts by route template,
//! and the job queue gauges read from a real PostgreSQL at scrape time.
//!
//! Run with `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p platform
//! --features testing --test metrics`.

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use platform::config::{CommonConfig, Env};
use platform::http::Data;
use platform::jobs::{self, NewJob, QueueDepth, QueueSpec};
use platform::metrics::Sources;
use platform::service::{HealthExtras, application};
use platform::testing::{TEST_API_KEY, TestServer, test_keys};
use serde_json::{Value, json};
use sqlx::PgPool;

/// Unique to this binary, so the process-wide counters hold only this test's requests.
const SERVICE: &str = "metrics-test-service";

const DUE: QueueSpec = QueueSpec::new("metrics-due");
const LATER: QueueSpec = QueueSpec::new("metrics-later");
const IDLE: QueueSpec = QueueSpec::new("metrics-idle");
const QUEUES: [&str; 3] = [DUE.name, LATER.name, IDLE.name];

async fn order(Path(id): Path<String>) -> Result<Data<Value>, platform::AppError> {
    if id == "known" {
        Ok(Data(json!({"id": id})))
    } else {
        Err(platform::AppError::not_found())
    }
}

fn common() -> CommonConfig {
    let mut env = Env::from_pairs([
        ("APP_ENV", "test"),
        (
            "DATABASE_URL",
            "postgres://unused-the-test-pool-is-injected",
        ),
        ("INTERNAL_API_KEY", TEST_API_KEY),
        ("JWT_PUBLIC_KEY", test_keys().public_pem.as_str()),
        ("RATE_LIMIT_ENABLED", "false"),
    ]);
    let common = CommonConfig::read(&mut env, 3999);
    env.finish().expect("test configuration is valid");
    common
}

async fn enqueue(pool: &PgPool, queue: &QueueSpec, delayed: bool) -> uuid::Uuid {
    let mut job = NewJob::new(queue, "subject", json!({}));
    if delayed {
        job = job.run_at(time::OffsetDateTime::now_utc() + time::Duration::hours(1));
    }
    let mut tx = pool.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, job)
        .await
        .expect("enqueue")
        .expect("not a duplicate");
    tx.commit().await.expect("commit");
    id
}

/// `name{service=…,method="GET",route=…,status=…}` of this test's service, plus `extra` labels.
fn get_series(name: &str, route: &str, status: u16, extra: &str) -> String {
    format!(
        "{name}{{service=\"{SERVICE}\",method=\"GET\",route=\"{route}\",\
         status=\"{status}\"{extra}}}"
    )
}

/// The value of the sample line that starts with `series` (name and labels, exactly).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[sqlx::test(migrations = "./migrations")]
async fn metrics_count_requests_by_template_and_read_queue_depths(pool: PgPool) {
    for _ in 0..2 {
        enqueue(&pool, &DUE, false).await;
    }
    let dead = enqueue(&pool, &DUE, false).await;
    sqlx::query("UPDATE jobs SET state = 'DEAD', dead_reason = 'TEST' WHERE id = $1")
        .bind(dead)
        .execute(&pool)
        .await
        .expect("kill a job");
    enqueue(&pool, &LATER, true).await;
    // Another service's queue in the same table is not this service's business.
    enqueue(&pool, &QueueSpec::new("metrics-foreign"), false).await;

    let routes = Router::new().route("/api/v1/orders/{id}", get(order));
    let app = application(
        SERVICE,
        &common(),
        routes,
        &pool,
        None,
        HealthExtras::default(),
        Sources::new().with(QueueDepth::new(pool.clone(), &QUEUES)),
    );
    let server = TestServer::spawn(app).await;

    let ok = server
        .get("/api/v1/orders/known")
        .send()
        .await
        .expect("send");
    assert_eq!(ok.status(), 200);
    let missing = server
        .get("/api/v1/orders/8f0c6c0e-0000-4000-8000-000000000001")
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 404);
    let nowhere = server.get("/no/such/path/42").send().await.expect("send");
    assert_eq!(nowhere.status(), 404);

    let scrape = server.get("/metrics").send().await.expect("scrape");
    assert_eq!(scrape.status(), 200);
    assert_eq!(
        scrape
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = scrape.text().await.expect("body");

    let requests = |route: &str, status: u16| {
        value(&text, &get_series("http_requests_total", route, status, ""))
    };
    assert_eq!(requests("/api/v1/orders/{id}", 200), Some(1.0), "{text}");
    assert_eq!(requests("/api/v1/orders/{id}", 404), Some(1.0), "{text}");
    assert_eq!(requests("unmatched", 404), Some(1.0), "{text}");
    assert!(
        !text.contains("8f0c6c0e") && !text.contains("/no/such/path"),
        "raw paths must never become labels: {text}"
    );
    assert!(text.contains("# TYPE http_request_duration_seconds histogram\n"));
    assert_eq!(
        value(
            &text,
            &get_series(
                "http_request_duration_seconds_count",
                "/api/v1/orders/{id}",
                200,
                ""
            )
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &text,
            &get_series(
                "http_request_duration_seconds_bucket",
                "/api/v1/orders/{id}",
                200,
                ",le=\"+Inf\""
            )
        ),
        Some(1.0)
    );

    let depth = |queue: &str, state: &str| {
        value(
            &text,
            &format!("job_queue_depth{{queue=\"{queue}\",state=\"{state}\"}}"),
        )
    };
    assert_eq!(value(&text, "job_queue_metrics_up"), Some(1.0), "{text}");
    assert_eq!(depth("metrics-due", "pending"), Some(2.0), "{text}");
    assert_eq!(depth("metrics-due", "dead"), Some(1.0));
    assert_eq!(depth("metrics-due", "delayed"), Some(0.0));
    assert_eq!(depth("metrics-due", "running"), Some(0.0));
    assert_eq!(depth("metrics-later", "delayed"), Some(1.0));
    assert_eq!(depth("metrics-later", "pending"), Some(0.0));
    assert_eq!(depth("metrics-idle", "pending"), Some(0.0));
    assert!(!text.contains("metrics-foreign"), "{text}");
    assert!(
        value(
            &text,
            "job_queue_oldest_pending_seconds{queue=\"metrics-due\"}"
        )
        .is_some_and(|age| age >= 0.0)
    );
    assert_eq!(
        value(
            &text,
            "job_queue_oldest_pending_seconds{queue=\"metrics-later\"}"
        ),
        Some(0.0)
    );

    // The scrape itself is counted once it has been answered.
    let again = server
        .get("/metrics")
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    assert_eq!(
        value(
            &again,
            &get_series("http_requests_total", "/metrics", 200, "")
        ),
        Some(1.0)
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn an_unreachable_database_only_drops_the_queue_gauges(pool: PgPool) {
    let app = application(
        "metrics-test-down",
        &common(),
        Router::new(),
        &pool,
        None,
        HealthExtras::default(),
        Sources::new().with(QueueDepth::new(pool.clone(), &QUEUES)),
    );
    pool.close().await;
    let server = TestServer::spawn(app).await;
    let scrape = server.get("/metrics").send().await.expect("scrape");
    assert_eq!(scrape.status(), 200);
    let text = scrape.text().await.expect("body");
    assert_eq!(value(&text, "job_queue_metrics_up"), Some(0.0), "{text}");
    assert!(!text.contains("job_queue_depth{"), "{text}");
}
