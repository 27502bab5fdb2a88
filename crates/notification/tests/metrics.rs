//! The notification service's `/metrics`: deliveries per channel and outcome, dead jobs per
//! queue and reason.

mod common;

use common::*;
use sqlx::PgPool;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn sent_and_failed_emails_are_counted(pool: PgPool) {
    let app = spawn(pool).await;
    app.smtp.set_mode(SinkMode::Permanent);
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    app.wait_status(&log_id(&body, "EMAIL"), "FAILED").await;
    app.smtp.set_mode(SinkMode::Accept);
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    app.wait_status(&log_id(&body, "EMAIL"), "SENT").await;

    let text = app
        .server
        .get("/metrics")
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    let notifications = |outcome: &str| {
        value(
            &text,
            &format!("notifications_total{{channel=\"email\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(notifications("sent"), Some(1.0), "{text}");
    assert_eq!(notifications("failed"), Some(1.0), "{text}");
    assert_eq!(notifications("retry"), None, "{text}");
    assert_eq!(
        value(
            &text,
            "jobs_dead_total{queue=\"email\",reason=\"SMTP_PERMANENT\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, "job_queue_depth{queue=\"email\",state=\"dead\"}"),
        Some(1.0),
        "{text}"
    );
}
