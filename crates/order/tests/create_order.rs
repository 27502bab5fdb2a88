//! POST /api/v1/orders (order.md §4.1) against a faked catalog.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

const VALIDATE: &str = "/api/v1/catalog/coupons/validate";
const REDEEM: &str = "/api/v1/internal/catalog/coupons/redeem";

fn order_body() -> serde_json::Value {
    json!({"planId": STANDARD, "imageId": UBUNTU, "duration": "MONTHLY"})
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn creates_without_coupon_copying_the_catalog_figures(pool: PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .post("/api/v1/orders", &order_body())
        .bearer_auth(customer())
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let body: serde_json::Value = response.json().await.expect("json");
    let o = &body["data"];
    let id = o["id"].as_str().expect("id");
    assert_eq!(
        location.as_deref(),
        Some(format!("/api/v1/orders/{id}").as_str())
    );
    assert_eq!(o["status"], "PENDING_PAYMENT");
    assert_eq!(
        o["pricing"],
        json!({"basePrice": 375000, "promoDiscount": 75000, "couponCode": null,
               "couponDiscount": 0, "finalPrice": 300000, "currency": "IDR"})
    );
    assert_eq!(o["provisioningTask"], serde_json::Value::Null);
    assert_eq!(o["paidAt"], serde_json::Value::Null);
    assert_eq!(
        o["items"][0]["description"],
        "VPS Standard - 2 vCPU, 2048 MB RAM, 60 GB SSD"
    );
    assert_eq!(o["items"][0]["totalPrice"], 375000);
    assert_eq!(o["items"][1]["itemType"], "IMAGE");
    assert_eq!(o["items"][1]["unitPrice"], 0);

    // Jobs of T0: ORDER_CREATED now, payment-timeout at the deadline (72 h later).
    assert_eq!(app.count("SELECT count(*) FROM jobs WHERE queue = 'notifications' AND payload->>'event' = 'ORDER_CREATED'").await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs j JOIN orders o ON o.id::text = j.subject_id
                   WHERE j.queue = 'payment-timeout' AND j.run_at = o.payment_deadline
                   AND o.payment_deadline = o.created_at + interval '72 hours'"
        )
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM status_history WHERE actor = 'user:e1000000-0000-4000-8000-000000000003' AND previous_status IS NULL AND reason = 'Order dibuat'").await, 1);

    // The image is asked for with the plan, both with our key and service name.
    let image_calls = app
        .catalog
        .seen_path(&format!("/api/v1/catalog/images/{UBUNTU}"));
    assert_eq!(image_calls.len(), 1);
    assert_eq!(
        image_calls[0].query.as_deref(),
        Some(format!("planId={STANDARD}").as_str())
    );
    assert_eq!(image_calls[0].headers["x-service-name"], "order-service");
    assert!(image_calls[0].headers.contains_key("x-api-key"));
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn creates_with_coupon_taking_the_redemption_figures(pool: PgPool) {
    let app = spawn(pool).await;
    app.catalog.set(VALIDATE, 200, json!({"data": {"valid": true, "code": "WELCOME10", "currency": "IDR",
        "amount": 300000, "discountAmount": 29999, "finalPrice": 270001, "coupon": null, "reason": null, "message": "ok"}}));
    // The redemption differs from the validation on purpose: the redemption wins.
    app.catalog.set(
        REDEEM,
        201,
        json!({"data": {"redemptionId": "c9000000-0000-4000-8000-000000000001",
        "couponId": "c1000000-0000-4000-8000-000000000001", "code": "WELCOME10",
        "orderId": "PLACEHOLDER", "userId": CUSTOMER, "currency": "IDR", "amount": 300000,
        "discountAmount": 30000, "finalPrice": 270000, "redeemedAt": "2025-01-15T10:00:00.000Z"}}),
    );
    // The fake cannot echo the order id; answer after learning it from a first refused call.
    let (status, _) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": UBUNTU,
        "duration": "MONTHLY", "couponCode": " welcome10 "}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "order id mismatch is an invalid answer"
    );
    assert_eq!(app.count("SELECT count(*) FROM orders").await, 0);
    // The guard stays to release whatever that redeem did.
    assert_eq!(app.count("SELECT count(*) FROM jobs WHERE queue = 'coupon-release' AND payload->>'reason' = 'ORDER_NOT_CREATED' AND run_at > now() + interval '9 minutes'").await, 1);
    let redeem = app.catalog.seen_path(REDEEM);
    let order_id = redeem[0].body["orderId"]
        .as_str()
        .expect("orderId")
        .to_string();
    assert_eq!(redeem[0].headers["idempotency-key"], order_id.as_str());
    assert_eq!(redeem[0].body["code"], "WELCOME10");
    assert_eq!(redeem[0].body["amount"], 300000);
    assert_eq!(app.catalog.seen_path(VALIDATE)[0].body["amount"], 300000);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn refused_redemption_creates_nothing_and_drops_the_guard(pool: PgPool) {
    let app = spawn(pool).await;
    app.catalog.set(
        VALIDATE,
        200,
        json!({"data": {"valid": true, "code": "WELCOME10", "amount": 300000,
        "discountAmount": 30000, "finalPrice": 270000, "reason": null}}),
    );
    app.catalog.set(
        REDEEM,
        422,
        json!({"error": {"code": "COUPON_NOT_APPLICABLE", "message": "x",
        "details": {"reason": "LIMIT_GLOBAL_REACHED"}}}),
    );
    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": UBUNTU,
        "duration": "MONTHLY", "couponCode": "welcome10"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_COUPON");
    assert_eq!(
        body["error"]["details"],
        json!({"couponCode": "WELCOME10", "reason": "LIMIT_GLOBAL_REACHED"})
    );
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn invalid_coupon_is_refused_before_anything_is_written(pool: PgPool) {
    let app = spawn(pool).await;
    app.catalog.set(
        VALIDATE,
        200,
        json!({"data": {"valid": false, "code": "OLD", "amount": 300000,
        "discountAmount": null, "finalPrice": null, "reason": "EXPIRED"}}),
    );
    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": UBUNTU,
        "duration": "MONTHLY", "couponCode": "old"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_COUPON");
    assert_eq!(body["error"]["details"]["reason"], "EXPIRED");
    assert!(app.catalog.seen_path(REDEEM).is_empty());
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn catalog_down_is_503_and_no_order(pool: PgPool) {
    let catalog = FakeCatalog::start().await;
    let app = spawn_at(
        pool,
        catalog,
        Some(platform::testing::closed_port_url().await),
    )
    .await;
    let (status, body) = app.create(&customer(), order_body()).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "CATALOG_SERVICE_UNAVAILABLE",
    );
    assert_eq!(
        body["error"]["details"],
        json!({"operation": "GET_PLAN", "reason": "CONNECTION_FAILED"})
    );
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn catalog_5xx_and_inconsistent_figures_are_503(pool: PgPool) {
    let app = spawn(pool).await;
    let plan_path = format!("/api/v1/catalog/plans/{STANDARD}");
    app.catalog.set(
        &plan_path,
        500,
        json!({"error": {"code": "INTERNAL_SERVER_ERROR"}}),
    );
    let (status, body) = app.create(&customer(), order_body()).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "CATALOG_SERVICE_UNAVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "UPSTREAM_ERROR");
    assert_eq!(
        app.catalog.seen_path(&plan_path).len(),
        3,
        "two in-request retries"
    );

    let mut bad = plan();
    bad["pricings"][0]["finalPrice"] = json!(299999);
    app.catalog.set(&plan_path, 200, json!({"data": bad}));
    let (status, body) = app.create(&customer(), order_body()).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "CATALOG_SERVICE_UNAVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "INVALID_RESPONSE");
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn invalid_plan_image_and_duration(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": MISSING, "imageId": UBUNTU, "duration": "MONTHLY"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_PLAN");
    assert_eq!(body["error"]["details"]["reason"], "PLAN_NOT_FOUND");

    let mut inactive = plan();
    inactive["isActive"] = json!(false);
    app.catalog.set(
        &format!("/api/v1/catalog/plans/{STANDARD}"),
        200,
        json!({"data": inactive}),
    );
    let (status, body) = app.create(&customer(), order_body()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_PLAN");
    assert_eq!(body["error"]["details"]["reason"], "PLAN_INACTIVE");
    app.catalog.set(
        &format!("/api/v1/catalog/plans/{STANDARD}"),
        200,
        json!({"data": plan()}),
    );

    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": MISSING, "duration": "MONTHLY"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_IMAGE");
    assert_eq!(body["error"]["details"]["reason"], "IMAGE_NOT_FOUND");

    let mut other = image();
    other["compatibleWithPlan"] = json!(false);
    app.catalog.set(
        &format!("/api/v1/catalog/images/{UBUNTU}"),
        200,
        json!({"data": other}),
    );
    let (status, body) = app.create(&customer(), order_body()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_IMAGE");
    assert_eq!(
        body["error"]["details"]["reason"],
        "IMAGE_NOT_AVAILABLE_FOR_PLAN"
    );
    app.catalog.set(
        &format!("/api/v1/catalog/images/{UBUNTU}"),
        200,
        json!({"data": image()}),
    );

    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": UBUNTU, "duration": "QUARTERLY"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_DURATION");
    assert_eq!(
        body["error"]["details"]["availableDurations"],
        json!(["MONTHLY", "ANNUAL"])
    );
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn auth_and_verification(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.create(&unverified(), order_body()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED");
    let (status, body) = send(app.server.post("/api/v1/orders", &order_body())).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert!(app.catalog.seen().is_empty());
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn bad_bodies_are_400_and_write_nothing(pool: PgPool) {
    let app = spawn(pool).await;
    let cases = [
        (
            json!({"planId": STANDARD, "imageId": UBUNTU, "duration": "MONTHLY", "extra": 1}),
            vec!["extra"],
        ),
        (json!({}), vec!["planId", "imageId", "duration"]),
        (
            json!({"planId": 5, "imageId": "nope", "duration": "WEEKLY", "couponCode": 3}),
            vec!["planId", "imageId", "duration", "couponCode"],
        ),
        (
            json!({"planId": STANDARD, "imageId": UBUNTU, "duration": "MONTHLY", "couponCode": "A".repeat(33)}),
            vec!["couponCode"],
        ),
    ];
    for (input, fields) in cases {
        let (status, body) = app.create(&customer(), input.clone()).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
        let got: Vec<String> = body["error"]["details"]["fields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|f| f["field"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for f in fields {
            assert!(got.contains(&f.to_string()), "{input} -> {body}");
        }
    }
    let (status, _) = send(
        app.server
            .post("/api/v1/orders", &json!({}))
            .bearer_auth(customer())
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(app.catalog.seen().is_empty());
    assert_eq!(app.snapshot().await, vec![0, 0, 0, 0, 0]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn list_detail_pagination_and_ownership(pool: PgPool) {
    let app = spawn(pool).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.create_ok().await);
    }
    let (status, body) = app
        .get_bearer("/api/v1/orders?page=1&limit=2", &customer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["meta"],
        json!({"page": 1, "limit": 2, "total": 5, "totalPages": 3})
    );
    assert_eq!(body["data"][0]["id"], ids[4].as_str(), "newest first");
    assert_eq!(body["data"][0]["finalPrice"], 300000);
    assert_eq!(body["data"][0]["ipv4Public"], serde_json::Value::Null);
    let (_, body) = app
        .get_bearer("/api/v1/orders?page=9&limit=2", &customer())
        .await;
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["total"], 5);
    let (_, body) = app
        .get_bearer("/api/v1/orders?status=PAID", &customer())
        .await;
    assert_eq!(body["meta"]["total"], 0);
    let (_, body) = app.get_bearer("/api/v1/orders", &other()).await;
    assert_eq!(body["meta"]["total"], 0, "owner isolation");
    for q in ["limit=101", "page=0", "status=PAYED", "foo=1"] {
        let (status, body) = app
            .get_bearer(&format!("/api/v1/orders?{q}"), &customer())
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }

    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{}", ids[0]), &customer())
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["items"].as_array().map(Vec::len), Some(2));
    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{}", ids[0]), &other())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ORDER_ACCESS_DENIED");
    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{}", ids[0]), &admin())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ORDER_ACCESS_DENIED");
    let (status, body) = app
        .get_bearer(&format!("/api/v1/orders/{MISSING}"), &customer())
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND");
    let (status, body) = app
        .get_bearer("/api/v1/orders/not-a-uuid", &customer())
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn coupon_snapshot_equals_the_redemption(pool: PgPool) {
    let app = spawn(pool).await;
    app.catalog.set(
        VALIDATE,
        200,
        json!({"data": {"valid": true, "code": "WELCOME10", "amount": 300000,
        "discountAmount": 30000, "finalPrice": 270000, "reason": null}}),
    );
    app.catalog.set(
        REDEEM,
        201,
        json!({"data": {"redemptionId": "c9000000-0000-4000-8000-000000000001",
        "couponId": "c1000000-0000-4000-8000-000000000001", "code": "WELCOME10", "orderId": "ECHO",
        "userId": CUSTOMER, "currency": "IDR", "amount": 300000, "discountAmount": 30000,
        "finalPrice": 270000, "redeemedAt": "2025-01-15T10:00:00.000Z"}}),
    );
    let (status, body) = app
        .create(
            &customer(),
            json!({"planId": STANDARD, "imageId": UBUNTU,
        "duration": "MONTHLY", "couponCode": "welcome10"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["data"]["pricing"],
        json!({"basePrice": 375000, "promoDiscount": 75000, "couponCode": "WELCOME10",
               "couponDiscount": 30000, "finalPrice": 270000, "currency": "IDR"})
    );
    assert_eq!(
        app.catalog.seen_path(REDEEM)[0].body["orderId"],
        body["data"]["id"]
    );
    // The guard was deleted in the order's transaction; only T0's two jobs remain.
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE queue = 'coupon-release'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 2);
}
