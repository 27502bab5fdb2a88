//! The Tripay callback (billing.md §6–§7): signature over the raw bytes, idempotency, the
//! status table and the amount check.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn merchant_ref(invoice: &Value) -> String {
    invoice["invoiceNumber"].as_str().unwrap().to_string()
}

#[sqlx::test]
async fn a_paid_callback_settles_the_invoice_and_tells_order_and_notification(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let number = paid["invoice"]["invoiceNumber"]
        .as_str()
        .unwrap()
        .to_string();
    let order_id = paid["invoice"]["orderId"].as_str().unwrap().to_string();
    let body = callback_body(&reference, &number, "PAID", PRICE, 0, Some(1_736_935_200));
    let (status, answer) = app.callback(&body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer, json!({"success": true}));

    let row = app.invoice_row(&id).await;
    let invoice = &row["invoice"];
    assert_eq!(invoice["status"], "PAID");
    assert_eq!(invoice["paidAt"], "2025-01-15T10:00:00.000Z");
    assert_eq!(invoice["paidAmount"], PRICE);
    assert_eq!(invoice["amountReceived"], PRICE - 4250);
    assert_eq!(invoice["paidChannel"], "BRIVA");
    assert_eq!(invoice["callbackPayload"]["reference"], reference.as_str());
    assert_eq!(row["payments"].as_array().unwrap().len(), 1);
    assert_eq!(row["payments"][0]["status"], "SUCCESS");
    assert_eq!(row["callbacks"][0]["outcome"], "PROCESSED");

    let detail = app
        .wait_for(&id, "both jobs done", |d| {
            d["jobs"]
                .as_array()
                .is_some_and(|j| j.len() == 2 && j.iter().all(|job| job["state"] == "DONE"))
        })
        .await;
    let order_job = detail["jobs"]
        .as_array()
        .and_then(|j| j.iter().find(|job| job["queue"] == "order-payment-status"))
        .cloned()
        .unwrap();
    assert_eq!(order_job["attempts"], 1);
    let sent = app.order.requests_to(&payment_status_path(&order_id));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["status"], "PAID");
    assert_eq!(sent[0].body["reference"], reference.as_str());
    assert_eq!(sent[0].body["paidAt"], "2025-01-15T10:00:00.000Z");
    assert_eq!(
        sent[0].body["notes"],
        format!("Tripay callback PAID (BRIVA), invoice {number}")
    );
    assert!(
        sent[0].body.get("orderId").is_none(),
        "orderId is not part of the body"
    );
    assert!(sent[0].headers.contains_key("idempotency-key"));
    assert_eq!(sent[0].headers["x-service-name"], "billing-service");
    let notes = app
        .notification
        .requests_to("/api/v1/internal/notifications/send");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body["event"], "PAYMENT_CONFIRMED");
    assert_eq!(notes[0].body["userId"], CUSTOMER);
    assert_eq!(notes[0].body["data"]["invoiceNumber"], number.as_str());
    assert_eq!(notes[0].body["data"]["amount"], PRICE);
    assert_eq!(
        notes[0].body["data"]["paymentMethod"],
        "BRI Virtual Account"
    );
}

#[sqlx::test]
async fn the_alias_path_processes_the_same_way(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let body = callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    );
    let (status, answer) = app
        .callback_at("/api/v1/internal/billing/webhooks/tripay", &body)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.invoice_row(&id).await["invoice"]["status"], "PAID");
    // The API key is no substitute for the signature.
    let (status, answer) = send(
        app.server
            .client
            .post(app.server.url("/api/v1/internal/billing/webhooks/tripay"))
            .header("content-type", "application/json")
            .header("x-api-key", platform::testing::TEST_API_KEY)
            .header("x-callback-event", "payment_status")
            .body(body),
    )
    .await;
    assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(answer["error"]["details"]["reason"], "SIGNATURE_MISSING");
}

#[sqlx::test]
async fn twenty_identical_concurrent_callbacks_pay_once(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let body = callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    );
    let calls = (0..20).map(|_| app.callback(&body));
    for (status, answer) in futures::future::join_all(calls).await {
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer, json!({"success": true}));
    }
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM tripay_callbacks").await, 20);
    assert_eq!(
        app.count("SELECT count(*) FROM tripay_callbacks WHERE outcome = 'PROCESSED'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM tripay_callbacks WHERE outcome = 'DUPLICATE'")
            .await,
        19
    );
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE queue = 'order-payment-status'")
            .await,
        1
    );
    let order_id = paid["invoice"]["orderId"].as_str().unwrap();
    app.wait_for(&id, "order told", |d| {
        d["jobs"]
            .as_array()
            .is_some_and(|j| j.iter().all(|job| job["state"] == "DONE"))
    })
    .await;
    assert_eq!(
        app.order.requests_to(&payment_status_path(order_id)).len(),
        1
    );
}

#[sqlx::test]
async fn signatures_are_checked_over_the_raw_bytes(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let compact = callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    );
    let value: Value = serde_json::from_slice(&compact).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    let before = app.snapshot().await;
    let good = tripay::callback_signature(PRIVATE_KEY, &compact);
    for (body, signature, reason) in [
        (pretty.clone(), Some(good.clone()), "SIGNATURE_INVALID"),
        (compact.clone(), Some("0".repeat(64)), "SIGNATURE_INVALID"),
        (
            compact.clone(),
            Some("not-hex".to_string()),
            "SIGNATURE_INVALID",
        ),
        (compact.clone(), None, "SIGNATURE_MISSING"),
        (
            compact.clone(),
            Some("   ".to_string()),
            "SIGNATURE_MISSING",
        ),
    ] {
        let mut req = app
            .server
            .client
            .post(app.server.url("/api/v1/billing/webhooks/tripay"))
            .header("content-type", "application/json")
            .header("x-callback-event", "payment_status")
            .body(body);
        if let Some(signature) = signature {
            req = req.header("x-callback-signature", signature);
        }
        let (status, answer) = send(req).await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(answer["error"]["details"]["reason"], reason);
    }
    assert_eq!(app.snapshot().await, before, "nothing stored");
    // Upper case and surrounding spaces are the same signature.
    let (status, answer) = send(
        app.server
            .client
            .post(app.server.url("/api/v1/billing/webhooks/tripay"))
            .header("content-type", "application/json")
            .header("x-callback-event", "payment_status")
            .header("x-callback-signature", format!(" {} ", good.to_uppercase()))
            .body(compact),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.invoice_row(&id).await["invoice"]["status"], "PAID");
}

#[sqlx::test]
async fn wrong_events_and_payloads_are_400(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, reference, paid) = app.paying_invoice().await;
    let body = callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    );
    let signature = tripay::callback_signature(PRIVATE_KEY, &body);
    let before = app.snapshot().await;
    let (status, answer) = send(
        app.server
            .client
            .post(app.server.url("/api/v1/billing/webhooks/tripay"))
            .header("content-type", "application/json")
            .header("x-callback-event", "payout_status")
            .header("x-callback-signature", signature)
            .body(body.clone()),
    )
    .await;
    assert_error(
        status,
        &answer,
        StatusCode::BAD_REQUEST,
        "CALLBACK_EVENT_UNSUPPORTED",
    );
    for bad in [
        br#"{"reference":"T1","status":"PAID","is_closed_payment":1}"#.to_vec(),
        br#"{"reference":"T1","status":"PAID","total_amount":"abc","is_closed_payment":1}"#
            .to_vec(),
        br#"{"reference":5,"status":"PAID","total_amount":1,"is_closed_payment":1}"#.to_vec(),
        br#"{"reference":"T1","status":"PAID","total_amount":1,"is_closed_payment":7}"#.to_vec(),
        br#"[1,2]"#.to_vec(),
        b"{broken".to_vec(),
    ] {
        let (status, answer) = app.callback(&bad).await;
        assert_error(
            status,
            &answer,
            StatusCode::BAD_REQUEST,
            "INVALID_CALLBACK_PAYLOAD",
        );
    }
    assert_eq!(app.snapshot().await, before);
    // Numeric strings are accepted, unknown fields ignored.
    let lenient = json!({"reference": reference, "merchant_ref": merchant_ref(&paid["invoice"]),
        "status": "paid", "total_amount": PRICE.to_string(), "is_closed_payment": 1,
        "some_new_field": {"x": 1}});
    let (status, answer) = app.callback(&serde_json::to_vec(&lenient).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}

#[sqlx::test]
async fn unknown_open_and_unpaid_events_are_answered_but_change_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let (status, _) = app
        .callback(&callback_body(
            "T999",
            "ORDER-EXTERNAL",
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT count(*) FROM tripay_callbacks WHERE outcome = 'UNMATCHED'")
            .await,
        1
    );
    let mut open: Value = serde_json::from_slice(&callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    ))
    .unwrap();
    open["is_closed_payment"] = json!(0);
    let (status, _) = app.callback(&serde_json::to_vec(&open).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .callback(&callback_body(
            &reference,
            &merchant_ref(&paid["invoice"]),
            "UNPAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        app.count("SELECT count(*) FROM tripay_callbacks WHERE outcome = 'IGNORED'")
            .await,
        2
    );
    assert_eq!(app.invoice_row(&id).await["invoice"]["status"], "PENDING");
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 0);
}

#[sqlx::test]
async fn an_amount_mismatch_is_rejected_but_answered_success(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let (status, answer) = app
        .callback(&callback_body(
            &reference,
            &merchant_ref(&paid["invoice"]),
            "PAID",
            PRICE - 1,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PENDING");
    assert_eq!(row["payments"][0]["status"], "REJECTED");
    assert!(
        row["payments"][0]["note"]
            .as_str()
            .unwrap()
            .starts_with("AMOUNT_MISMATCH")
    );
    assert_eq!(row["callbacks"][0]["outcome"], "REJECTED");
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);
}

#[sqlx::test]
async fn a_late_payment_after_expiry_is_still_accepted(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{id}/expire"),
        json!({"reason": "test"}),
    )
    .await;
    let (status, _) = app
        .callback(&callback_body(
            &reference,
            &merchant_ref(&paid["invoice"]),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PAID");
    assert_eq!(row["payments"][0]["note"], "LATE_PAYMENT");
    // The invoice-expiry PAYMENT_FAILED job is superseded by ORDER_PAID (§8.2).
    let order_id = paid["invoice"]["orderId"].as_str().unwrap();
    app.wait_for(&id, "paid delivered", |d| {
        d["jobs"]
            .as_array()
            .is_some_and(|j| j.iter().all(|job| job["state"] == "DONE"))
    })
    .await;
    let statuses: Vec<Value> = app
        .order
        .requests_to(&payment_status_path(order_id))
        .iter()
        .map(|r| r.body["status"].clone())
        .collect();
    assert!(statuses.contains(&json!("PAID")), "{statuses:?}");
}

#[sqlx::test]
async fn a_superseded_transaction_can_still_pay_and_a_second_payment_is_a_duplicate(
    pool: sqlx::PgPool,
) {
    let app = spawn(pool).await;
    let (id, first, paid) = app.paying_invoice().await;
    let (status, body) = app.pay(&customer(), &id, json!({"channel": "QRIS"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let number = merchant_ref(&paid["invoice"]);
    // The customer pays the old VA anyway: accepted.
    let (status, _) = app
        .callback(&callback_body(&first, &number, "PAID", PRICE, 0, None))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PAID");
    assert_eq!(row["invoice"]["tripayReference"], first.as_str());
    // Then the QR too: a double payment for a manual refund; nothing else changes.
    let (status, _) = app
        .callback(&callback_body(
            &second,
            &format!("{number}-2"),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["tripayReference"], first.as_str());
    let statuses: Vec<&str> = row["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["DUPLICATE", "SUCCESS"]);
    assert_eq!(row["payments"][0]["note"], "ORDER_ALREADY_PAID");
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'ORDER_PAID:%'")
            .await,
        1
    );
}

#[sqlx::test]
async fn another_invoice_of_a_paid_order_is_a_double_payment(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (old_id, old_ref, paid) = app.paying_invoice().await;
    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{old_id}/expire"),
        json!({}),
    )
    .await;
    let order_id = paid["invoice"]["orderId"].as_str().unwrap();
    let (status, fresh) = app.create_invoice(&customer(), order_id).await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    let new_id = fresh["data"]["id"].as_str().unwrap().to_string();
    let (_, paying) = app
        .pay(&customer(), &new_id, json!({"channel": "BCA_VA"}))
        .await;
    let new_ref = paying["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .callback(&callback_body(
            &new_ref,
            &merchant_ref(&fresh["data"]),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    // The expired invoice's transaction is paid late: the order is already paid.
    let (status, _) = app
        .callback(&callback_body(
            &old_ref,
            &merchant_ref(&paid["invoice"]),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let old = app.invoice_row(&old_id).await;
    assert_eq!(old["invoice"]["status"], "EXPIRED");
    assert_eq!(old["payments"][0]["status"], "DUPLICATE");
    assert_eq!(app.invoice_row(&new_id).await["invoice"]["status"], "PAID");
}

#[sqlx::test]
async fn paying_a_cancelled_invoice_is_rejected(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{id}/cancel"),
        json!({"reason": "ops"}),
    )
    .await;
    let (status, _) = app
        .callback(&callback_body(
            &reference,
            &merchant_ref(&paid["invoice"]),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "CANCELLED");
    assert_eq!(row["payments"][0]["status"], "REJECTED");
    assert_eq!(row["payments"][0]["note"], "INVOICE_CANCELLED");
    assert_eq!(row["callbacks"][0]["outcome"], "REJECTED");
}

#[sqlx::test]
async fn expired_failed_and_refund_callbacks_follow_the_table(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    // EXPIRED before the invoice deadline: the transaction is cleared, the invoice stays PENDING.
    let (id, reference, paid) = app.paying_invoice().await;
    let number = merchant_ref(&paid["invoice"]);
    let (status, _) = app
        .callback(&callback_body(
            &reference, &number, "EXPIRED", PRICE, 0, None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PENDING");
    assert!(row["invoice"]["tripayReference"].is_null());
    assert!(row["payment"].is_null());
    assert_eq!(row["payments"][0]["status"], "EXPIRED");
    assert!(
        app.count(&format!(
            "SELECT count(*) FROM jobs WHERE dedupe_key = 'ORDER_PAYMENT_FAILED:{reference}'"
        ))
        .await
            == 1
    );

    // FAILED on a new transaction.
    let (_, body) = app
        .pay(&customer(), &id, json!({"channel": "BRI_VA"}))
        .await;
    let second = body["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = app
        .callback(&callback_body(
            &second,
            &format!("{number}-2"),
            "FAILED",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PENDING");
    assert_eq!(row["payments"][0]["status"], "FAILED");
    let order_id = paid["invoice"]["orderId"].as_str().unwrap();
    app.wait_for(&id, "payment-failed jobs delivered", |d| {
        d["jobs"]
            .as_array()
            .is_some_and(|j| j.len() == 2 && j.iter().all(|job| job["state"] == "DONE"))
    })
    .await;
    let sent = app.order.requests_to(&payment_status_path(order_id));
    assert!(sent.iter().all(|r| r.body["status"] == "PAYMENT_FAILED"));
    assert!(
        sent.iter()
            .any(|r| r.body["notes"] == "Tripay callback FAILED (BRIVA)")
    );
    assert!(
        sent.iter()
            .any(|r| r.body["notes"] == "Transaksi Tripay kedaluwarsa")
    );

    // EXPIRED after the deadline: the invoice expires with its own job.
    let (id2, ref2, paid2) = app.paying_invoice().await;
    sqlx::query("UPDATE invoices SET expired_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(&id2)
        .execute(&app.pool)
        .await
        .unwrap();
    app.callback(&callback_body(
        &ref2,
        &merchant_ref(&paid2["invoice"]),
        "EXPIRED",
        PRICE,
        0,
        None,
    ))
    .await;
    assert_eq!(app.invoice_row(&id2).await["invoice"]["status"], "EXPIRED");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM jobs WHERE dedupe_key = 'ORDER_PAYMENT_FAILED:EXPIRED:{id2}'"
        ))
        .await,
        1
    );

    // REFUND of a paid invoice: recorded, invoice unchanged, order not called again.
    let (id3, ref3, paid3) = app.paying_invoice().await;
    let m3 = merchant_ref(&paid3["invoice"]);
    app.callback(&callback_body(&ref3, &m3, "PAID", PRICE, 0, None))
        .await;
    app.callback(&callback_body(&ref3, &m3, "REFUND", PRICE, 0, None))
        .await;
    // EXPIRED/FAILED for a paid invoice: a Payment row only.
    app.callback(&callback_body(&ref3, &m3, "EXPIRED", PRICE, 0, None))
        .await;
    let row = app.invoice_row(&id3).await;
    assert_eq!(row["invoice"]["status"], "PAID");
    let statuses: Vec<&str> = row["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 3);
    assert!(
        statuses.contains(&"REFUND")
            && statuses.contains(&"EXPIRED")
            && statuses.contains(&"SUCCESS")
    );
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM jobs WHERE subject_id = '{id3}' AND queue = 'order-payment-status'")).await,
        1
    );
}

/// §6 order: signature (2–3), event (4), payload (5), and only then the allow list (6). From a
/// blocked address a bad callback keeps its 401/400 and a good one is 403; nothing is stored.
#[sqlx::test]
async fn the_allow_list_is_checked_after_signature_event_and_payload(pool: sqlx::PgPool) {
    // The tests call from 127.0.0.1, outside this list.
    let app = spawn_with(
        pool,
        &[("TRIPAY_CALLBACK_ALLOWED_IPS", "203.0.113.0/24".to_string())],
    )
    .await;
    let (id, reference, paid) = app.paying_invoice().await;
    let body = callback_body(
        &reference,
        &merchant_ref(&paid["invoice"]),
        "PAID",
        PRICE,
        0,
        None,
    );
    let good = tripay::callback_signature(PRIVATE_KEY, &body);
    let before = app.snapshot().await;
    for path in [
        "/api/v1/billing/webhooks/tripay",
        "/api/v1/internal/billing/webhooks/tripay",
    ] {
        let post = |raw: &[u8], event: &str, signature: Option<&str>| {
            let mut req = app
                .server
                .client
                .post(app.server.url(path))
                .header("content-type", "application/json")
                .header("x-callback-event", event)
                .body(raw.to_vec());
            if let Some(signature) = signature {
                req = req.header("x-callback-signature", signature);
            }
            send(req)
        };
        let bad = "0".repeat(64);
        let (status, answer) = post(&body, "payment_status", Some(&bad)).await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(answer["error"]["details"]["reason"], "SIGNATURE_INVALID");
        let (status, answer) = post(&body, "payment_status", None).await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(answer["error"]["details"]["reason"], "SIGNATURE_MISSING");
        let (status, answer) = post(&body, "payout_status", Some(&good)).await;
        assert_error(
            status,
            &answer,
            StatusCode::BAD_REQUEST,
            "CALLBACK_EVENT_UNSUPPORTED",
        );
        let broken = b"{broken".to_vec();
        let signed = tripay::callback_signature(PRIVATE_KEY, &broken);
        let (status, answer) = post(&broken, "payment_status", Some(&signed)).await;
        assert_error(
            status,
            &answer,
            StatusCode::BAD_REQUEST,
            "INVALID_CALLBACK_PAYLOAD",
        );
        // A valid, well-formed callback for a real transaction: refused for the address alone.
        let (status, answer) = post(&body, "payment_status", Some(&good)).await;
        assert_error(status, &answer, StatusCode::FORBIDDEN, "FORBIDDEN");
    }
    assert_eq!(app.snapshot().await, before, "nothing stored");
    assert_eq!(app.count("SELECT count(*) FROM payments").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM tripay_callbacks").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'ORDER_PAID:%'")
            .await,
        0
    );
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["status"], "PENDING");
    assert!(row["payments"].as_array().unwrap().is_empty(), "{row}");
    assert!(row["jobs"].as_array().unwrap().is_empty(), "{row}");
}

#[sqlx::test]
async fn callbacks_from_inside_the_allow_list_are_processed(pool: sqlx::PgPool) {
    let app = spawn_with(
        pool,
        &[(
            "TRIPAY_CALLBACK_ALLOWED_IPS",
            "203.0.113.0/24,127.0.0.1".to_string(),
        )],
    )
    .await;
    let (id, reference, paid) = app.paying_invoice().await;
    let (status, answer) = app
        .callback(&callback_body(
            &reference,
            &merchant_ref(&paid["invoice"]),
            "PAID",
            PRICE,
            0,
            None,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.invoice_row(&id).await["invoice"]["status"], "PAID");
}

#[sqlx::test]
async fn the_simulator_checkout_pays_through_a_signed_callback(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, _) = app.paying_invoice().await;
    let (status, body) = app.sim(&reference, "pay", json!({})).await;
    assert!(status.is_success(), "{body}");
    app.wait_for(&id, "paid through the simulator", |d| {
        d["invoice"]["status"] == "PAID"
    })
    .await;
}
