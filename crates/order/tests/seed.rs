//! The development seed of §10: three sample orders, repeatable, never in production.

mod common;

use common::*;
use platform::config::AppEnv;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

const ACTIVE: &str = "f1000000-0000-4000-8000-000000000001";
const PENDING: &str = "f1000000-0000-4000-8000-000000000002";
const FAILED: &str = "f1000000-0000-4000-8000-000000000003";

async fn orders_of(app: &TestApp) -> Vec<(String, String, i64)> {
    sqlx::query_as::<_, (String, String, i64)>(
        "SELECT id::text, status::text, final_price FROM orders ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("orders")
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn seeds_three_orders_repeatably_and_readably(pool: PgPool) {
    let app = spawn(pool).await;
    // Existing order data is replaced.
    let own = app.create_ok().await;
    let config = config(&app.catalog.server.base_url);
    order::seed::run(&app.pool, &config).await.expect("seed");
    let first = orders_of(&app).await;
    let first_counts = app.snapshot().await;
    order::seed::run(&app.pool, &config)
        .await
        .expect("seed again");
    assert_eq!(orders_of(&app).await, first);
    assert_eq!(app.snapshot().await, first_counts);
    assert_eq!(
        first,
        vec![
            (ACTIVE.to_string(), "ACTIVE".to_string(), 125_000),
            (PENDING.to_string(), "PENDING_PAYMENT".to_string(), 300_000),
            (FAILED.to_string(), "FAILED".to_string(), 356_000),
        ]
    );
    let (status, _) = app
        .get_bearer(&format!("/api/v1/orders/{own}"), &customer())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the earlier order is gone");
    // Nothing would provision, notify or time out a seeded order, and no password is kept.
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM provisioning_tasks WHERE root_password_enc IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM provisioning_tasks WHERE status IN ('PENDING', 'IN_PROGRESS')"
        )
        .await,
        0
    );

    // The customer reads them through the API.
    let (status, body) = app.get_bearer("/api/v1/orders", &customer()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listed: Vec<&str> = body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(listed.len(), 3, "{body}");
    for id in [ACTIVE, PENDING, FAILED] {
        assert!(listed.contains(&id), "{id} in {body}");
    }

    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{ACTIVE}"), &customer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"];
    assert_eq!(d["status"], "ACTIVE");
    assert_eq!(d["planId"], "a1000000-0000-4000-8000-000000000002");
    assert_eq!(d["imageId"], UBUNTU);
    assert_eq!(d["planName"], "VPS Basic");
    assert_eq!(d["imageName"], "Ubuntu 22.04 LTS");
    assert_eq!(d["duration"], "MONTHLY");
    assert_eq!(d["pricing"]["finalPrice"], 125_000);
    assert_eq!(d["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(d["provisioningTask"]["status"], "SUCCESS");
    assert!(d["provisioningTask"]["ipv4Public"].is_string(), "{body}");
    assert!(d["activatedAt"].is_string() && d["expiresAt"].is_string());

    let (status, body) = app
        .get_key(&format!("/api/v1/internal/orders/{ACTIVE}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let history: Vec<(Value, Value)> = body["data"]["statusHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["previousStatus"].clone(), h["newStatus"].clone()))
        .collect();
    assert_eq!(
        history,
        vec![
            (Value::Null, json!("PENDING_PAYMENT")),
            (json!("PENDING_PAYMENT"), json!("PAID")),
            (json!("PAID"), json!("PROVISIONING")),
            (json!("PROVISIONING"), json!("ACTIVE")),
        ],
        "{body}"
    );

    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{PENDING}"), &customer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "PENDING_PAYMENT");
    assert_eq!(body["data"]["pricing"]["promoDiscount"], 75_000);
    assert!(body["data"]["provisioningTask"].is_null(), "{body}");

    let (status, body) = app
        .get_key(&format!("/api/v1/internal/orders/{FAILED}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let d = &body["data"];
    assert_eq!(d["status"], "FAILED");
    assert_eq!(d["provisioningTask"]["status"], "FAILED");
    assert_eq!(d["provisioningTask"]["errorCode"], "PROVISIONING_TIMEOUT");
    assert_eq!(d["statusHistory"].as_array().map(Vec::len), Some(4));

    // The seeded PENDING_PAYMENT order goes through the real flow.
    let (status, body) = app
        .pay(
            PENDING,
            json!({"status": "PAID", "reference": "T-SEED-PAY"}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn refuses_in_production(pool: PgPool) {
    let app = spawn(pool).await;
    let own = app.create_ok().await;
    let before = app.snapshot().await;
    let mut config = config(&app.catalog.server.base_url);
    config.common.app_env = AppEnv::Production;
    let err = order::seed::run(&app.pool, &config)
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("APP_ENV=production"), "{err}");
    assert_eq!(app.snapshot().await, before);
    let (status, _) = app
        .get_bearer(&format!("/api/v1/orders/{own}"), &customer())
        .await;
    assert_eq!(status, StatusCode::OK);
}
