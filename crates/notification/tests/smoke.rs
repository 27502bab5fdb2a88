//! Smoke test of the binary's entry points (BE-210.3): `Config::read` + `serve` on a database of
//! its own, then `/health`, `/health/ready`, `GET templates` and one `send`, then shutdown.

mod common;

use std::time::Duration;

use common::*;
use platform::config::Env;
use platform::ratelimit::RedisHandle;
use platform::testing::{FakeService, TEST_API_KEY, test_keys, unique_prefix};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `postgres://…/postgres` → `postgres://…/<name>`.
fn with_database(url: &str, name: &str) -> String {
    match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => format!("{url}/{name}"),
    }
}

#[tokio::test]
async fn serve_answers_health_templates_and_a_send_then_shuts_down() {
    let name = format!("notif_smoke_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url())
        .await
        .expect("postgres");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .expect("create database");

    let smtp = SmtpSink::start().await;
    let auth = FakeService::start(200, user_body("budi@example.com", None, json!({}))).await;
    let keys = test_keys();
    let redis_prefix = unique_prefix("notif-smoke");
    let mut env = Env::from_pairs([
        ("APP_ENV", "test".to_string()),
        ("DATABASE_URL", with_database(&admin_url(), &name)),
        ("INTERNAL_API_KEY", TEST_API_KEY.into()),
        ("JWT_PUBLIC_KEY", keys.public_pem.clone()),
        ("REDIS_URL", platform::testing::redis_url()),
        // This user id is the seeded customer's everywhere; a cache entry for it under the
        // production namespace would be read by any platform started on this Redis.
        ("REDIS_KEY_PREFIX", redis_prefix.clone()),
        ("CREDENTIALS_ENCRYPTION_KEY", CREDENTIALS_KEY.into()),
        ("AUTH_SERVICE_BASE_URL", auth.base_url().to_string()),
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", smtp.addr.port().to_string()),
        ("SMTP_REQUIRE_TLS", "false".into()),
        ("JOB_POLL_INTERVAL_MS", "50".into()),
    ]);
    let config = notification::Config::read(&mut env);
    env.finish().expect("valid configuration");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(notification::serve(config, listener, async move {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client.get(format!("{base}/health")).send().await
            && r.status() == StatusCode::OK
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "service did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, ready) = send(client.get(format!("{base}/health/ready"))).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["checks"]["smtp"], "up", "{ready}");
    let (status, templates) = send(
        client
            .get(format!("{base}{PREFIX}/templates"))
            .header("x-api-key", TEST_API_KEY),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{templates}");
    assert_eq!(templates["data"].as_array().map(Vec::len), Some(13));
    let (status, sent) = send(
        client
            .post(format!("{base}{PREFIX}/send"))
            .header("x-api-key", TEST_API_KEY)
            .json(&json!({"event": "ORDER_CREATED", "userId": CUSTOMER, "data": order_created()})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    while smtp.messages().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "not delivered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let redis = RedisHandle::open(&platform::testing::redis_url()).expect("redis url");
    let mut conn = redis.connection().await.expect("redis");
    let cached: bool = redis::cmd("EXISTS")
        .arg(format!("{redis_prefix}notif:user:{CUSTOMER}"))
        .query_async(&mut conn)
        .await
        .expect("EXISTS");
    assert!(cached, "the recipient is cached under REDIS_KEY_PREFIX");

    let _ = stop.send(());
    let finished = tokio::time::timeout(Duration::from_secs(15), server).await;
    assert!(
        matches!(finished, Ok(Ok(Ok(())))),
        "serve ends cleanly: {finished:?}"
    );
    // Other sessions may linger for a moment; FORCE ends them.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .expect("drop database");
}
