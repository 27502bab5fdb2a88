//! Telling the order service (billing.md §8), the admin routes around it (§5.3–§5.7, dead
//! letters) and the periodic tasks (§9.2 expiry, §9.3 reconciliation).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn paid_invoice(app: &TestApp) -> (String, String, Value) {
    let (id, reference, paid) = app.paying_invoice().await;
    let number = paid["invoice"]["invoiceNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .callback(&callback_body(&reference, &number, "PAID", PRICE, 0, None))
        .await;
    assert_eq!(status, StatusCode::OK);
    (id, reference, paid["invoice"].clone())
}

fn order_job(detail: &Value) -> Value {
    detail["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|job| job["queue"] == "order-payment-status"))
        .cloned()
        .unwrap_or(Value::Null)
}

#[sqlx::test]
async fn paid_is_delivered_after_an_order_outage_across_a_billing_restart(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let order_id = invoice["orderId"].as_str().unwrap().to_string();
    app.order.respond_to(
        &payment_status_path(&order_id),
        503,
        json!({"error": {"code": "SERVICE_UNAVAILABLE"}}),
    );
    let id = invoice["id"].as_str().unwrap().to_string();
    let (_, body) = app
        .pay(&customer(), &id, json!({"channel": "BRI_VA"}))
        .await;
    let reference = body["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let number = invoice["invoiceNumber"].as_str().unwrap();
    app.callback(&callback_body(&reference, number, "PAID", PRICE, 0, None))
        .await;
    // Attempts are counted when a job is claimed, so the count alone would also match a
    // running first attempt; the recorded 503 means it has failed and waits for its retry.
    let detail = app
        .wait_for(&id, "a failed attempt", |d| {
            order_job(d)["lastHttpStatus"] == 503
        })
        .await;
    let job = order_job(&detail);
    assert!(job["attempts"].as_i64() >= Some(1), "{job}");
    assert!(
        ["PENDING", "RUNNING"].contains(&job["state"].as_str().unwrap_or_default()),
        "waiting for (or running) its retry, never done or dead: {job}"
    );

    // The billing process dies; the order service comes back; a new process takes over.
    app.crash_workers();
    app.set_order(&order_id, None);
    app.start_workers();
    let detail = app
        .wait_for(&id, "PAID delivered", |d| order_job(d)["state"] == "DONE")
        .await;
    assert!(order_job(&detail)["attempts"].as_i64() >= Some(2));
    let sent = app.order.requests_to(&payment_status_path(&order_id));
    assert!(sent.len() >= 2);
    // Every attempt is the same instruction under the same key.
    let keys: std::collections::HashSet<_> = sent
        .iter()
        .map(|r| r.headers["idempotency-key"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 1);
    assert!(sent.iter().all(|r| r.body["status"] == "PAID"));
}

#[sqlx::test]
async fn a_conflict_is_dead_for_refund_review_and_resync_redrives_it(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let order_id = invoice["orderId"].as_str().unwrap().to_string();
    app.order.respond_to(
        &payment_status_path(&order_id),
        409,
        json!({"error": {"code": "PAYMENT_STATUS_CONFLICT"}}),
    );
    let id = invoice["id"].as_str().unwrap().to_string();
    let (_, body) = app
        .pay(&customer(), &id, json!({"channel": "BRI_VA"}))
        .await;
    let reference = body["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    app.callback(&callback_body(
        &reference,
        invoice["invoiceNumber"].as_str().unwrap(),
        "PAID",
        PRICE,
        0,
        None,
    ))
    .await;
    let detail = app
        .wait_for(&id, "dead job", |d| order_job(d)["state"] == "DEAD")
        .await;
    assert_eq!(order_job(&detail)["deadReason"], "REFUND_REVIEW");

    let (status, body) = app
        .get_key("/api/v1/internal/billing/transactions?status=PAID")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"][0]["orderSyncStatus"], "DEAD");
    assert_eq!(body["data"][0]["lastPaymentStatus"], "SUCCESS");

    let (status, body) = app
        .get_key("/api/v1/internal/billing/queues/order-payment-status/dead-letter")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 1);

    // The operator resolves it and re-drives the sync.
    app.set_order(&order_id, None);
    let (status, body) = app
        .post_key(
            &format!("/api/v1/internal/billing/invoices/{id}/resync-order"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["state"], "PENDING");
    assert_eq!(body["data"]["attempts"], 0);
    assert!(body["data"]["deadReason"].is_null());
    app.wait_for(&id, "delivered after resync", |d| {
        order_job(d)["state"] == "DONE"
    })
    .await;

    // Resync needs a paid invoice.
    let pending = app.invoice().await;
    let (status, body) = app
        .post_key(
            &format!(
                "/api/v1/internal/billing/invoices/{}/resync-order",
                pending["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "INVALID_INVOICE_STATUS",
    );
}

#[sqlx::test]
async fn dead_letters_can_be_retried_and_purged(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.notification
        .respond_with(422, json!({"error": {"code": "VALIDATION_ERROR"}}));
    let (id, _, _) = paid_invoice(&app).await;
    app.wait_for(&id, "notification dead", |d| {
        d["jobs"].as_array().is_some_and(|j| {
            j.iter()
                .any(|job| job["queue"] == "notifications" && job["state"] == "DEAD")
        })
    })
    .await;
    let (status, body) = app.get_key("/api/v1/internal/billing/queues").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let queues = body["data"]["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 2);
    let (status, body) = app
        .get_key("/api/v1/internal/billing/queues/notifications/dead-letter?deadReason=REJECTED")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 1);

    app.notification.respond_with(202, json!({"data": {}}));
    let (status, body) = app
        .post_key(
            "/api/v1/internal/billing/queues/notifications/dead-letter/retry",
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["requeued"], 1);
    app.wait_for(&id, "notification delivered", |d| {
        d["jobs"]
            .as_array()
            .is_some_and(|j| j.iter().all(|job| job["state"] == "DONE"))
    })
    .await;

    let (status, body) = send(
        app.server
            .delete("/api/v1/internal/billing/queues/notifications/dead-letter")
            .header("x-api-key", platform::testing::TEST_API_KEY),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .get_key("/api/v1/internal/billing/queues/unknown/dead-letter")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "QUEUE_NOT_FOUND");
    let (status, body) = app
        .get_bearer("/api/v1/internal/billing/queues", &customer())
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
}

#[sqlx::test]
async fn the_expiry_task_expires_overdue_invoices_once(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let a = app.invoice().await;
    let b = app.invoice().await;
    sqlx::query("UPDATE invoices SET expired_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(a["id"].as_str().unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let expired = billing::flows::periodic::expire_due(&app.state)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(
        billing::flows::periodic::expire_due(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.invoice_row(a["id"].as_str().unwrap()).await["invoice"]["status"],
        "EXPIRED"
    );
    assert_eq!(
        app.invoice_row(b["id"].as_str().unwrap()).await["invoice"]["status"],
        "PENDING"
    );
    let order_id = a["orderId"].as_str().unwrap();
    let id = a["id"].as_str().unwrap();
    app.wait_for(id, "expiry told", |d| order_job(d)["state"] == "DONE")
        .await;
    let sent = app.order.requests_to(&payment_status_path(order_id));
    assert_eq!(
        sent[0].body,
        json!({"status": "PAYMENT_FAILED", "notes": "Invoice kedaluwarsa"})
    );
}

#[sqlx::test]
async fn reconciliation_finds_a_payment_whose_callbacks_were_lost(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, _) = app.paying_invoice().await;
    // Tripay's callbacks cannot reach billing.
    send(app.tripay.post(
        "/_sim/config",
        &json!({"callbackUrl": platform::testing::closed_port_url().await}),
    ))
    .await;
    let (status, body) = app.sim(&reference, "pay", json!({})).await;
    assert!(status.is_success(), "{body}");
    sqlx::query(
        "UPDATE invoices SET updated_at = now() - interval '20 minutes' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    let applied = billing::flows::periodic::reconcile(&app.state)
        .await
        .unwrap();
    assert_eq!(applied, 1);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PAID");
    assert_eq!(row["payments"][0]["source"], "RECONCILIATION");
    assert!(row["invoice"]["lastReconciledAt"].is_string());
    assert_eq!(
        billing::flows::periodic::reconcile(&app.state)
            .await
            .unwrap(),
        0
    );
}

#[sqlx::test]
async fn admin_lists_filter_and_details_show_the_trail(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (paid_id, reference, paid) = paid_invoice(&app).await;
    let pending = app.invoice().await;
    let check = |query: &'static str, expected: i64| {
        let app = &app;
        async move {
            let (status, body) = app
                .get_key(&format!("/api/v1/internal/billing/transactions?{query}"))
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_eq!(body["meta"]["total"], expected, "{query}: {body}");
            body
        }
    };
    check("", 2).await;
    check("status=PAID", 1).await;
    check("status=PAID,PENDING", 2).await;
    check("channel=BRIVA", 1).await;
    check("channel=QRIS", 0).await;
    check("dateField=paidAt", 1).await;
    check("from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z", 2).await;
    check("to=2000-01-01T00:00:00Z", 0).await;
    let body = app
        .get_key(&format!(
            "/api/v1/internal/billing/transactions?search={reference}"
        ))
        .await
        .1;
    assert_eq!(body["meta"]["total"], 1);
    assert_eq!(body["data"][0]["id"], paid_id.as_str());
    let body = app
        .get_key(&format!(
            "/api/v1/internal/billing/transactions?orderId={}",
            pending["orderId"].as_str().unwrap()
        ))
        .await
        .1;
    assert_eq!(body["meta"]["total"], 1);
    let body = app
        .get_key(&format!(
            "/api/v1/internal/billing/transactions?userId={CUSTOMER}"
        ))
        .await
        .1;
    assert_eq!(body["meta"]["total"], 2);
    for bad in [
        "status=NOPE",
        "from=2100-01-01T00:00:00Z&to=2000-01-01T00:00:00Z",
        "dateField=x",
        "x=1",
    ] {
        let (status, body) = app
            .get_key(&format!("/api/v1/internal/billing/transactions?{bad}"))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, body) = app
        .get_bearer("/api/v1/internal/billing/transactions", &admin())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let detail = app.invoice_row(&paid_id).await;
    assert_eq!(detail["invoice"]["invoiceNumber"], paid["invoiceNumber"]);
    assert_eq!(detail["payments"][0]["reference"], reference.as_str());
    assert_eq!(detail["callbacks"][0]["status"], "PAID");
    assert!(
        detail["payment"].is_null(),
        "paid invoices have no active block"
    );
    let (status, body) = app
        .get_key(&format!("/api/v1/internal/billing/invoices/{MISSING}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND");
}

#[sqlx::test]
async fn manual_expire_and_cancel_follow_the_status_rules(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (paid_id, _, _) = paid_invoice(&app).await;
    let path = |id: &str, action: &str| format!("/api/v1/internal/billing/invoices/{id}/{action}");
    let (status, body) = app.post_key(&path(&paid_id, "expire"), json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_ALREADY_PAID");
    let (status, body) = app.post_key(&path(&paid_id, "cancel"), json!({})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_ALREADY_PAID");

    let pending = app.invoice().await;
    let id = pending["id"].as_str().unwrap();
    let (status, body) = app
        .post_key(&path(id, "expire"), json!({"reason": "customer asked"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "EXPIRED");
    let (status, body) = app.post_key(&path(id, "expire"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "no-op: {body}");
    let (status, body) = app
        .post_key(&path(id, "cancel"), json!({"reason": "duplicate"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "CANCELLED");
    assert_eq!(body["data"]["cancelReason"], "duplicate");
    let (status, _) = app.post_key(&path(id, "cancel"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "no-op");
    let (status, body) = app.post_key(&path(id, "expire"), json!({})).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "INVALID_INVOICE_STATUS",
    );
    let (status, body) = app
        .post_key(&path(id, "expire"), json!({"reason": "x".repeat(501)}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app.post_key(&path(MISSING, "cancel"), json!({})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND");
    let (status, body) = app.post_key(&path("nope", "cancel"), json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    // Nothing is sent to the order service on cancel.
    assert!(
        app.count(&format!(
            "SELECT count(*) FROM jobs WHERE subject_id = '{id}'"
        ))
        .await
            == 1,
        "only the expiry's PAYMENT_FAILED job"
    );
}
