//! Expiry reminders (notification.md §7.4) and the durability of accepted notifications across
//! worker crashes (§3 step 5, §6.1).

mod common;

use common::*;
use platform::testing::{FakeService, closed_port_url};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;

fn summary(id: &str, user: &str, expires_at: OffsetDateTime) -> Value {
    json!({"id": id, "userId": user, "status": "ACTIVE", "planName": "VPS Standard",
           "imageName": "Ubuntu 22.04 LTS", "duration": "MONTHLY", "finalPrice": 300000,
           "currency": "IDR", "ipv4Public": "203.0.113.10",
           "expiresAt": platform::time_format::format(expires_at),
           "createdAt": "2025-01-15T10:00:00.000Z"})
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn each_active_order_is_reminded_once_per_threshold(pool: PgPool) {
    let orders = FakeService::start(200, json!({"data": [], "meta": {"totalPages": 1}})).await;
    let app = spawn_with(
        pool,
        Options {
            extra: vec![
                ("ORDER_SERVICE_BASE_URL", orders.base_url().to_string()),
                ("EXPIRY_REMINDER_HOURS", "72,24".into()),
            ],
            ..Options::default()
        },
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let soon = "a0000000-0000-4000-8000-000000000001";
    let later = "a0000000-0000-4000-8000-000000000002";
    let expired = "a0000000-0000-4000-8000-000000000003";
    let hours = |h: i64| time::Duration::hours(h) + time::Duration::minutes(30);
    orders.respond_to(
        "/api/v1/internal/orders",
        200,
        json!({"data": [
            summary(soon, CUSTOMER, now + hours(20)),
            summary(later, CUSTOMER, now + hours(50)),
            summary(expired, CUSTOMER, now - hours(1)),
        ], "meta": {"page": 1, "limit": 100, "total": 3, "totalPages": 1}}),
    );

    let report = notification::reminders::run_once(&app.state)
        .await
        .expect("run")
        .expect("lock taken");
    assert_eq!(report.accepted, 2, "{report:?}");
    let again = notification::reminders::run_once(&app.state)
        .await
        .expect("run")
        .expect("lock taken");
    assert_eq!(again.accepted, 0, "{again:?}");
    assert_eq!(again.already_reminded, 2, "{again:?}");

    let calls = orders.requests_to("/api/v1/internal/orders");
    assert!(!calls.is_empty());
    assert_eq!(calls[0].headers["x-service-name"], "notification-service");

    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT idempotency_key FROM notification_logs WHERE event = 'VPS_EXPIRING' ORDER BY idempotency_key",
    )
    .fetch_all(&app.pool)
    .await
    .expect("keys");
    assert_eq!(
        keys,
        [
            format!("VPS_EXPIRING:{soon}:24"),
            format!("VPS_EXPIRING:{later}:72")
        ]
    );

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.smtp.messages().len() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "reminders not mailed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let texts: Vec<String> = app
        .smtp
        .messages()
        .iter()
        .map(|m| {
            let mail = parse(&m.data);
            assert_eq!(
                mail.subject(),
                Some("[WeBrana Cloud] Masa aktif VPS VPS Standard segera berakhir")
            );
            mail.body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("sekitar 20 jam lagi")),
        "{texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.contains("sekitar 50 jam lagi")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .all(|t| t.contains("Perpanjang sekarang (http://localhost:4200/orders/")),
        "{texts:?}"
    );
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn an_unreachable_order_service_skips_the_run(pool: PgPool) {
    let app = spawn_with(
        pool,
        Options {
            extra: vec![("ORDER_SERVICE_BASE_URL", closed_port_url().await)],
            ..Options::default()
        },
    )
    .await;
    assert!(notification::reminders::run_once(&app.state).await.is_err());
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 0);
    // The lock was released: the next interval runs again.
    assert!(notification::reminders::run_once(&app.state).await.is_err());
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn accepted_notifications_survive_a_crash_before_delivery(pool: PgPool) {
    let mut app = spawn_with(
        pool,
        Options {
            workers: false,
            // A crash mid-attempt leaves a lease; a short one keeps the test short.
            extra: vec![("JOB_LEASE_SECONDS", "2".into())],
            ..Options::default()
        },
    )
    .await;
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    // Log and job were committed together.
    assert_eq!(
        app.count("SELECT count(*) FROM notification_logs l JOIN jobs j ON j.id = l.job_id WHERE j.subject_id = l.id::text")
            .await,
        2
    );
    let (_, stats) = app.get_key(&format!("{PREFIX}/queues")).await;
    assert_eq!(stats["data"]["queues"][0]["waiting"], 1, "{stats}");
    assert_eq!(stats["data"]["queues"][1]["waiting"], 1, "{stats}");

    // A process that starts later (a restart) delivers both.
    app.start_workers();
    app.wait_status(&log_id(&body, "EMAIL"), "SENT").await;
    app.wait_status(&log_id(&body, "TELEGRAM"), "SENT").await;

    // Delayed retries survive a crash too.
    app.smtp.stop();
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let id = log_id(&body, "EMAIL");
    app.wait_log(&id, |l| l["attempts"] == 1).await;
    app.crash_workers();
    app.smtp.restart().await;
    app.start_workers();
    let sent = app.wait_status(&id, "SENT").await;
    assert!(sent["attempts"].as_i64().unwrap_or(0) >= 2, "{sent}");
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn cleanup_fails_orphaned_logs_and_purges_old_rows(pool: PgPool) {
    let app = spawn_with(
        pool,
        Options {
            workers: false,
            ..Options::default()
        },
    )
    .await;
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let id = log_id(&body, "EMAIL");
    // What the runner's lease sweep leaves when a worker dies on the last attempt.
    sqlx::query(
        "UPDATE jobs SET state = 'DEAD', dead_reason = 'MAX_ATTEMPTS', last_error = 'lease expired'",
    )
    .execute(&app.pool)
    .await
    .expect("kill job");
    let failed = notification::store::logs::fail_orphaned(&app.pool)
        .await
        .expect("reconcile");
    assert_eq!(failed, 1);
    let log = app.log(&id).await;
    assert_eq!(log["status"], "FAILED");
    assert_eq!(log["error"], "MAX_ATTEMPTS: lease expired");

    // Old rows go; recent ones stay.
    sqlx::query("UPDATE notification_logs SET created_at = now() - interval '200 days'")
        .execute(&app.pool)
        .await
        .expect("age logs");
    sqlx::query("UPDATE jobs SET updated_at = now() - interval '8 days'")
        .execute(&app.pool)
        .await
        .expect("age jobs");
    let (_, fresh) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let (logs, dead) = notification::cleanup::once(&app.pool, &app.state.config.queues)
        .await
        .expect("cleanup");
    assert_eq!((logs, dead), (1, 1));
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 1);
    assert_eq!(app.log(&log_id(&fresh, "EMAIL")).await["status"], "QUEUED");
}
