//! The order service's `/metrics`: its job queues' gauges and its routes by template.

mod common;

use common::{MISSING, customer, spawn};
use platform::jobs::{self, NewJob};
use serde_json::json;
use sqlx::PgPool;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn metrics_show_queue_depths_and_route_templates(pool: PgPool) {
    let app = spawn(pool.clone()).await;
    let mut tx = pool.begin().await.expect("begin");
    for n in 0..3 {
        jobs::enqueue(
            &mut tx,
            NewJob::new(&order::queues::COUPON_RELEASE, format!("s{n}"), json!({})),
        )
        .await
        .expect("enqueue");
    }
    let later = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    jobs::enqueue(
        &mut tx,
        NewJob::new(&order::queues::PAYMENT_TIMEOUT, "s", json!({})).run_at(later),
    )
    .await
    .expect("enqueue");
    let dead = jobs::enqueue(
        &mut tx,
        NewJob::new(&order::queues::NOTIFICATIONS, "s", json!({})),
    )
    .await
    .expect("enqueue")
    .expect("new job");
    sqlx::query("UPDATE jobs SET state = 'DEAD', dead_reason = 'MAX_ATTEMPTS' WHERE id = $1")
        .bind(dead)
        .execute(&mut *tx)
        .await
        .expect("kill");
    tx.commit().await.expect("commit");

    let (status, _) = app
        .get_bearer(&format!("/api/v1/orders/{MISSING}"), &customer())
        .await;
    assert_eq!(status, 404);

    let text = app
        .server
        .get("/metrics")
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    let depth = |queue: &str, state: &str| {
        value(
            &text,
            &format!("job_queue_depth{{queue=\"{queue}\",state=\"{state}\"}}"),
        )
    };
    assert_eq!(depth("coupon-release", "pending"), Some(3.0), "{text}");
    assert_eq!(depth("payment-timeout", "delayed"), Some(1.0), "{text}");
    assert_eq!(depth("payment-timeout", "pending"), Some(0.0), "{text}");
    assert_eq!(depth("notifications", "dead"), Some(1.0), "{text}");
    assert_eq!(depth("notifications", "running"), Some(0.0), "{text}");
    assert_eq!(
        value(
            &text,
            "http_requests_total{service=\"order-service\",method=\"GET\",\
             route=\"/api/v1/orders/{id}\",status=\"404\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains(MISSING), "raw ids must never become labels");
}
