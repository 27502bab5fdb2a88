//! Internal routes: payment-status (§2.1, §4.4), list, detail, cancel, retry (§4.5–§4.8).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn paid_then_replays_and_conflicts(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    let paid = json!({"status": "PAID", "reference": "T123", "notes": "Tripay callback PAID"});
    let (status, body) = app.pay(&id, paid.clone(), Some("k1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "PAID");
    assert_eq!(body["data"]["previousStatus"], "PENDING_PAYMENT");
    assert_eq!(body["data"]["replayed"], false);
    assert_eq!(body["data"]["paymentReference"], "T123");
    assert!(body["data"]["paidAt"].is_string());

    let (status, body) = app.pay(&id, paid.clone(), Some("k1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["replayed"], true);
    let (status, body) = app.pay(&id, paid.clone(), Some("k2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["replayed"], true, "same reference");
    let (status, body) = app
        .pay(&id, json!({"status": "PAID", "reference": "OTHER"}), None)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );
    let (status, body) = app.pay(&id, json!({"status": "PAID"}), None).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );
    assert_eq!(body["error"]["details"]["currentStatus"], "PAID");
    let (status, body) = app
        .pay(&id, json!({"status": "PAYMENT_FAILED"}), None)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );

    // The reference belongs to this order now; another order cannot use it.
    let second = app.create_ok().await;
    let (status, body) = app.pay(&second, paid, None).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );
    assert_eq!(body["error"]["details"]["reason"], "REFERENCE_ALREADY_USED");

    let (_, detail) = app.get_key(&format!("/api/v1/internal/orders/{id}")).await;
    let history = detail["data"]["statusHistory"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(history.len(), 2, "{detail}");
    assert_eq!(history[1]["newStatus"], "PAID");
    assert_eq!(history[1]["actor"], "service:billing-service");
    assert_eq!(history[1]["reason"], "Tripay callback PAID");
    assert_eq!(history[1]["metadata"]["reference"], "T123");
    assert_eq!(detail["data"]["paymentReference"], "T123");
    assert_eq!(detail["data"]["jobs"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail["data"]["jobs"][0]["event"], "ORDER_CREATED");
    assert!(detail["data"]["jobs"][0].get("payload").is_none());
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn payment_failed_keeps_pending_and_paid_still_works(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    let failed = json!({"status": "PAYMENT_FAILED", "reference": "F1"});
    let (status, body) = app.pay(&id, failed.clone(), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "PENDING_PAYMENT");
    assert_eq!(body["data"]["paidAt"], serde_json::Value::Null);
    assert_eq!(body["data"]["replayed"], false);
    let (_, body) = app.pay(&id, failed, None).await;
    assert_eq!(body["data"]["replayed"], true, "same failed reference");
    assert_eq!(app.count("SELECT count(*) FROM status_history WHERE new_status = 'PAYMENT_FAILED' AND reason = 'Pembayaran gagal'").await, 1);
    let (status, body) = app
        .pay(&id, json!({"status": "PAID", "reference": "P1"}), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "PAID");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn ten_concurrent_paid_make_one_transition(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    let calls = (0..10).map(|i| {
        let key = format!("key-{}", i % 2);
        let app = &app;
        let id = id.clone();
        async move {
            app.pay(
                &id,
                json!({"status": "PAID", "reference": "R-1"}),
                Some(&key),
            )
            .await
        }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(|(s, _)| *s == StatusCode::OK),
        "{results:?}"
    );
    let fresh = results
        .iter()
        .filter(|(_, b)| b["data"]["replayed"] == false)
        .count();
    assert_eq!(fresh, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM status_history WHERE new_status = 'PAID'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM orders WHERE status = 'PAID'")
            .await,
        1
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn payment_status_auth_and_input(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    let path = format!("/api/v1/internal/orders/{id}/payment-status");
    let paid = json!({"status": "PAID"});
    let (status, body) = send(app.server.post(&path, &paid)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = send(
        app.server
            .post(&path, &paid)
            .header("x-api-key", "wrong-key-wrong-key-wrong-key-wrong"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = send(app.server.post(&path, &paid).bearer_auth(customer())).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let before = app.snapshot().await;
    for bad in [
        json!({"status": "REFUNDED"}),
        json!({"status": "PAID", "extra": true}),
        json!({"status": "PAID", "reference": ""}),
        json!({"status": "PAID", "paidAt": "yesterday"}),
        json!({"status": "PAID", "paidAt": "2999-01-01T00:00:00Z"}),
        json!({"status": "PAID", "notes": "x".repeat(1001)}),
        json!({"status": 1}),
    ] {
        let (status, body) = app.pay(&id, bad.clone(), None).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, body) = app.pay("nope", paid.clone(), None).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app.pay(MISSING, paid.clone(), None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND");
    assert_eq!(app.snapshot().await, before);
    // An admin token works and is the actor.
    let (status, _) = send(app.server.post(&path, &paid).bearer_auth(admin())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM status_history WHERE actor LIKE 'admin:%' AND new_status = 'PAID'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn cancel_releases_the_coupon_and_blocks_payment(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    // Give the order a coupon directly: the coupon path itself is covered in create_order.rs.
    sqlx::query("UPDATE orders SET coupon_code = 'WELCOME10', coupon_discount = 30000, final_price = final_price - 30000 WHERE id = $1::uuid")
        .bind(&id).execute(&app.pool).await.expect("update");
    let path = format!("/api/v1/internal/orders/{id}/cancel");
    let (status, body) = app
        .post_key(&path, json!({"reason": "Permintaan pelanggan"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "CANCELED");
    assert!(body["data"]["canceledAt"].is_string());
    assert_eq!(app.count("SELECT count(*) FROM jobs WHERE queue = 'coupon-release' AND payload->>'reason' = 'ORDER_CANCELLED'").await, 1);
    let history_before = app.count("SELECT count(*) FROM status_history").await;
    let (status, body) = app.post_key(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "already canceled: unchanged");
    assert_eq!(body["data"]["status"], "CANCELED");
    assert_eq!(
        app.count("SELECT count(*) FROM status_history").await,
        history_before
    );
    let (status, body) = app
        .pay(&id, json!({"status": "PAID", "reference": "LATE"}), None)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
    );

    let paid = app.create_ok().await;
    app.pay(&paid, json!({"status": "PAID"}), None).await;
    let (status, body) = app
        .post_key(&format!("/api/v1/internal/orders/{paid}/cancel"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "ORDER_STATUS_CONFLICT");
    assert_eq!(
        body["error"]["details"],
        json!({"currentStatus": "PAID", "requestedStatus": "CANCELED"})
    );
    let (status, body) = app
        .post_key(
            &format!("/api/v1/internal/orders/{MISSING}/cancel"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND");
    let (status, body) = app.post_key(&path, json!({"reason": 5})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn retry_provisioning_only_from_failed(pool: PgPool) {
    let app = spawn(pool).await;
    let id = app.create_ok().await;
    let path = format!("/api/v1/internal/orders/{id}/retry-provisioning");
    let (status, body) = app.post_key(&path, json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "ORDER_STATUS_CONFLICT");
    // A failed provisioning as the phase-2 worker would leave it.
    sqlx::query("UPDATE orders SET status = 'FAILED', paid_at = now() WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.pool)
        .await
        .expect("fail");
    sqlx::query("INSERT INTO provisioning_tasks (id, order_id, status, do_region, do_size, do_image, droplet_id,
            attempts, error_code, error_message, completed_at, created_at, updated_at)
        VALUES (gen_random_uuid(), $1::uuid, 'FAILED', 'sgp1', 's-2vcpu-2gb', 'ubuntu-22-04-x64', '42', 5,
            'DROPLET_ERRORED', 'VPS mengalami error saat dibuat', now(), now(), now())")
        .bind(&id).execute(&app.pool).await.expect("task");
    let (status, body) = app
        .post_key(&path, json!({"reason": "Kuota region pulih"}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let d = &body["data"];
    assert_eq!(d["status"], "PROVISIONING");
    assert_eq!(d["provisioningTask"]["status"], "PENDING");
    assert_eq!(d["provisioningTask"]["attempts"], 0);
    assert_eq!(d["provisioningTask"]["retryCount"], 1);
    assert_eq!(d["provisioningTask"]["dropletId"], "42");
    assert_eq!(d["provisioningTask"]["errorCode"], serde_json::Value::Null);
    let last = d["statusHistory"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        last["metadata"],
        json!({"previousErrorCode": "DROPLET_ERRORED", "previousDropletId": "42", "retryCount": 1})
    );
    let (status, body) = app.post_key(&path, json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "ORDER_STATUS_CONFLICT");
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn internal_list_filters(pool: PgPool) {
    let app = spawn(pool).await;
    let a = app.create_ok().await;
    app.create_ok().await;
    app.pay(&a, json!({"status": "PAID"}), None).await;
    let (status, body) = app.get_key("/api/v1/internal/orders?status=PAID").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app
        .get_key(&format!(
            "/api/v1/internal/orders?userId={CUSTOMER}&status=PENDING_PAYMENT"
        ))
        .await;
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app
        .get_key("/api/v1/internal/orders?userId=someone-else")
        .await;
    assert_eq!(body["meta"]["total"], 0);
    let (_, body) = app
        .get_key("/api/v1/internal/orders?status=ACTIVE&expiresBefore=2030-01-01T00:00:00Z")
        .await;
    assert_eq!(body["meta"]["total"], 0);
    let (_, body) = app.get_key("/api/v1/internal/orders?page=5&limit=1").await;
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["totalPages"], 2);
    let (status, body) = app
        .get_key("/api/v1/internal/orders?expiresBefore=soon")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app.get_bearer("/api/v1/internal/orders", &customer()).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, body) = app.get_bearer("/api/v1/internal/orders", &admin()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
