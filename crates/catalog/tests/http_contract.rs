//! Bad input of every kind gets its 4xx envelope and writes nothing; health, unknown routes and
//! the shared response headers (platform.md §4, §6, §8, §11).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app
        .server
        .client
        .request(method, app.server.url(path))
        .header("x-api-key", platform::testing::TEST_API_KEY)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    send(req).await
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn unparsable_bodies_get_envelopes_and_write_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let plans = format!("{ADMIN}/plans");
    let post = reqwest::Method::POST;
    let (status, body) = raw(
        &app,
        post.clone(),
        &plans,
        Some("application/json"),
        b"{\"name\": ".to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let (status, body) = raw(
        &app,
        post.clone(),
        &plans,
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let (status, body) = raw(&app, post.clone(), REDEEM, None, b"code=X".to_vec()).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let (status, body) = raw(
        &app,
        post.clone(),
        &plans,
        Some("application/json"),
        huge.into_bytes(),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    let (status, body) = raw(
        &app,
        post.clone(),
        &plans,
        Some("application/json"),
        b"[1, 2]".to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = raw(
        &app,
        post,
        VALIDATE,
        Some("application/json"),
        b"\"WELCOME10\"".to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = raw(
        &app,
        reqwest::Method::PATCH,
        &format!("{ADMIN}/coupons/{WELCOME10}"),
        Some("application/json"),
        b"{\"name\": \"a\", \"name\": ".to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn negative_overlong_coerced_and_unknown_values_write_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let cases: Vec<(String, Value, &str)> = vec![
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": -240_000}),
            "price",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": "240000"}),
            "price",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": 240_000.0}),
            "price",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": 1e20}),
            "price",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": 10, "cost": -1}),
            "cost",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "quarterly", "price": 10}),
            "duration",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/pricings"),
            json!({"duration": "QUARTERLY", "price": 10, "planId": NANO}),
            "planId",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/promos"),
            json!({"name": "n".repeat(256), "discountType": "FIXED", "discountValue": 1,
            "startAt": "2025-01-01T00:00:00Z", "endAt": "2026-01-01T00:00:00Z"}),
            "name",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/promos"),
            json!({"name": "x", "discountType": "FIXED", "discountValue": -5,
            "startAt": "2025-01-01T00:00:00Z", "endAt": "2026-01-01T00:00:00Z"}),
            "discountValue",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/promos"),
            json!({"name": "x", "discountType": "FIXED", "discountValue": 1,
            "startAt": "2025-01-01", "endAt": "2026-01-01T00:00:00Z"}),
            "startAt",
        ),
        (
            format!("{ADMIN}/plans/{NANO}/images"),
            json!({"imageId": "b1000000"}),
            "imageId",
        ),
        (
            format!("{ADMIN}/images"),
            json!({"providerSlug": "s".repeat(101), "displayName": "x"}),
            "providerSlug",
        ),
        (
            format!("{ADMIN}/images"),
            json!({"providerSlug": "ok", "displayName": "x", "description": "d".repeat(2001)}),
            "description",
        ),
        (
            format!("{ADMIN}/coupons"),
            json!({"code": "C".repeat(33), "name": "x", "discountType": "FIXED", "discountValue": 1}),
            "code",
        ),
        (
            format!("{ADMIN}/coupons"),
            json!({"code": "OK1", "name": "x", "discountType": "FIXED", "discountValue": 1,
            "minOrderAmount": -100}),
            "minOrderAmount",
        ),
        (
            format!("{ADMIN}/coupons/{WELCOME10}/users"),
            json!({"userId": "e1"}),
            "userId",
        ),
        (
            REDEEM.to_string(),
            json!({"code": "WELCOME10", "orderId": MISSING, "userId": CUSTOMER_ID, "planId": STANDARD,
            "duration": "MONTHLY", "amount": -1}),
            "amount",
        ),
    ];
    for (path, body, field) in cases {
        let (status, answer) = app.post_key(&path, body.clone()).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert!(
            error_fields(&answer).contains(&field.to_string()),
            "{path} {body}: {answer}"
        );
        let message = answer["error"]["details"]["fields"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(!message.is_empty(), "{answer}");
    }
    let patches: Vec<(String, Value, &str)> = vec![
        (
            format!("{ADMIN}/plans/{NANO}"),
            json!({"memoryMb": -1}),
            "memoryMb",
        ),
        (
            format!("{ADMIN}/plans/{NANO}"),
            json!({"name": "x".repeat(65)}),
            "name",
        ),
        (
            format!("{ADMIN}/plans/{NANO}"),
            json!({"tags": vec!["a"; 11]}),
            "tags",
        ),
        (
            format!("{ADMIN}/images/{UBUNTU_22}"),
            json!({"version": "v".repeat(51)}),
            "version",
        ),
        (
            format!("{ADMIN}/coupons/{WELCOME10}"),
            json!({"maxDiscountAmount": -1}),
            "maxDiscountAmount",
        ),
        (
            format!("{ADMIN}/coupons/{WELCOME10}"),
            json!({"isActive": "false"}),
            "isActive",
        ),
    ];
    for (path, body, field) in patches {
        let (status, answer) = app.patch_key(&path, body.clone()).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        assert_eq!(error_fields(&answer), vec![field], "{path} {body}");
    }
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn malformed_ids_in_every_position(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    for path in [
        format!("{ADMIN}/plans/x"),
        format!("{ADMIN}/images/x"),
        format!("{ADMIN}/coupons/x"),
        format!("{ADMIN}/coupons/x/redemptions"),
        "/api/v1/catalog/images/6f0429ea4344496dbd401f4e47a6220c".to_string(),
    ] {
        let (status, body) = app.get_key(&path).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, body) = app.delete_key(&format!("{ADMIN}/plans/x/promos/y")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["id", "promoId"]);
    let (status, body) = app
        .delete_key(&format!("{ADMIN}/coupons/{WELCOME10}/users/nope"))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["userId"]);
    let (status, body) = app
        .post_key(&format!("{ADMIN}/plans/nope/pricings"), json!({"bad": 1}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["id"], "the path is judged first");
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn unknown_routes_methods_and_query_parameters(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.get("/api/v1/catalog/nothing").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "NOT_FOUND");
    let (status, body) = send(app.server.delete("/api/v1/catalog/plans")).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );
    let (status, body) = app
        .get_key(&format!("{ADMIN}/coupons?code=WELCOME10"))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["code"]);
    let (status, body) = app.get("/api/v1/catalog/images?page=0").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn health_headers_and_request_ids(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.get("/health").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "catalog-service");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    let (status, body) = app.get("/health/ready").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"status": "ok", "checks": {"database": "up"}}));

    let response = app
        .server
        .get("/api/v1/catalog/plans")
        .header("x-request-id", "bench-123")
        .send()
        .await
        .expect("request");
    let headers = response.headers();
    assert_eq!(headers["x-request-id"], "bench-123");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers.get("cache-control").is_none(),
        "the public list may be cached"
    );
    let response = app
        .server
        .get(&format!("{ADMIN}/coupons"))
        .header("x-api-key", platform::testing::TEST_API_KEY)
        .send()
        .await
        .expect("request");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn readiness_includes_redis_when_limits_live_there(pool: sqlx::PgPool) {
    let redis = platform::testing::redis_url();
    let app = spawn_with(pool, &[("REDIS_URL", redis.as_str())]).await;
    let (status, body) = app.get("/health/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"], json!({"database": "up", "redis": "up"}));
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn readiness_fails_when_redis_is_unreachable(pool: sqlx::PgPool) {
    let closed = platform::testing::closed_port_url()
        .await
        .replace("http", "redis");
    let app = spawn_with(pool, &[("REDIS_URL", closed.as_str())]).await;
    let (status, body) = app.get("/health/ready").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["redis"], "down");
}
