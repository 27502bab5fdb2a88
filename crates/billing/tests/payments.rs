//! Starting a payment through Tripay (billing.md §4.4), against the Tripay simulator.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

#[sqlx::test]
async fn paying_creates_a_tripay_transaction_and_stores_it(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BRI_VA"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let payment = &body["data"]["payment"];
    assert_eq!(payment["channel"], "BRI_VA");
    assert_eq!(payment["code"], "BRIVA");
    assert_eq!(payment["method"], "VIRTUAL_ACCOUNT");
    assert_eq!(payment["currency"], "IDR");
    assert_eq!(payment["amount"], PRICE);
    assert!(payment["reference"].as_str().unwrap().starts_with(MERCHANT));
    let code = payment["paymentCode"].as_str().unwrap();
    assert!(
        code.len() >= 16 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    assert!(
        payment["paymentUrl"]
            .as_str()
            .unwrap()
            .contains("/checkout/")
    );
    assert!(!payment["instructions"].as_array().unwrap().is_empty());
    assert_eq!(
        payment["totalAmount"],
        payment["amount"].as_i64().unwrap() + payment["fee"].as_i64().unwrap()
    );
    let stored = &body["data"]["invoice"];
    assert_eq!(stored["tripayReference"], payment["reference"]);
    assert_eq!(stored["paymentChannel"], "BRI_VA");
    assert_eq!(stored["paymentName"], "BRI Virtual Account");
    // The customer's detail shows the same block without calling Tripay.
    let (_, detail) = app
        .get_bearer(&format!("/api/v1/billing/invoices/{id}"), &customer())
        .await;
    assert_eq!(detail["data"]["payment"]["reference"], payment["reference"]);
    // What Tripay received: the signed request with the payer from auth and the invoice's ref.
    let (_, sim) = send(app.tripay.get("/_sim/transactions")).await;
    let tx = sim["data"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["reference"] == payment["reference"]))
        .cloned()
        .unwrap_or_else(|| panic!("simulator lists the transaction: {sim}"));
    assert_eq!(tx["merchant_ref"], invoice["invoiceNumber"]);
    assert_eq!(tx["customer_name"], "Budi Santoso");
    // The e-mail is the token's, the phone auth's.
    assert_eq!(tx["customer_email"], "e1000000@test.webrana.cloud");
    assert_eq!(tx["customer_phone"], "+6281234567890");
}

#[sqlx::test]
async fn the_same_channel_is_reused_and_a_switch_keeps_the_old_reference(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, first, _) = app.paying_invoice().await;
    let (status, body) = app.pay(&customer(), &id, json!({"channel": "BRIVA"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["payment"]["reference"],
        first.as_str(),
        "reused"
    );
    let (status, body) = app
        .pay(
            &customer(),
            &id,
            json!({"channel": "QRIS", "customerName": "Ani", "customerPhone": "+628111111111"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["data"]["payment"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first);
    assert!(
        body["data"]["payment"]["qrString"]
            .as_str()
            .unwrap()
            .starts_with("000201")
    );
    let row = app.invoice_row(&id).await;
    assert_eq!(row["invoice"]["previousReferences"], json!([first]));
    assert_eq!(row["invoice"]["paymentAttempts"], 2);
    let (_, sim) = send(app.tripay.get("/_sim/transactions")).await;
    let refs: Vec<String> = sim["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| {
            t["merchant_ref"]
                .as_str()
                .is_some_and(|m| m.ends_with("-2"))
        })
        .map(|t| t["customer_name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        refs,
        vec!["Ani".to_string()],
        "second attempt is <number>-2: {sim}"
    );
}

#[sqlx::test]
async fn concurrent_pay_calls_create_one_transaction(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let token = customer();
    let calls = (0..6).map(|_| app.pay(&token, id, json!({"channel": "BCA_VA"})));
    let results = futures::future::join_all(calls).await;
    let refs: std::collections::HashSet<String> = results
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["data"]["payment"]["reference"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(refs.len(), 1);
    assert_eq!(app.invoice_row(id).await["invoice"]["paymentAttempts"], 1);
}

#[sqlx::test]
async fn unavailable_channels_are_refused_with_their_reason(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let (status, body) = app
        .pay(&customer(), id, json!({"channel": "BITCOIN"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "PAYMENT_CHANNEL_INVALID",
    );
    let (status, body) = app.pay(&customer(), id, json!({"channel": "GOPAY"})).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PAYMENT_CHANNEL_NOT_AVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "NOT_ACTIVE");
    // ALFAMART takes at most 2,500,000.
    let big = uuid::Uuid::new_v4().to_string();
    let deadline = OffsetDateTime::now_utc() + time::Duration::days(3);
    app.set_order(
        &big,
        Some(order_json(
            &big,
            CUSTOMER,
            "PENDING_PAYMENT",
            json!(3_000_000),
            deadline,
        )),
    );
    let (_, created) = app.create_invoice(&customer(), &big).await;
    let big_id = created["data"]["id"].as_str().unwrap();
    let (status, body) = app
        .pay(&customer(), big_id, json!({"channel": "ALFAMART"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PAYMENT_CHANNEL_NOT_AVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "AMOUNT_OUT_OF_RANGE");
    // A channel switched off at Tripay.
    let (status, _) = send(app.tripay.post(
        "/_sim/config",
        &json!({"channels": {"BNIVA": {"active": false}}}),
    ))
    .await;
    assert!(status.is_success());
    app.state.channels.clear().await;
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BNI_VA"})).await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PAYMENT_CHANNEL_NOT_AVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "NOT_ACTIVE");
    assert_eq!(
        app.count("SELECT count(*) FROM invoices WHERE payment_attempts > 0")
            .await,
        0
    );
}

#[sqlx::test]
async fn too_little_time_left_is_expiry_too_short(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let id = uuid::Uuid::new_v4().to_string();
    let deadline = OffsetDateTime::now_utc() + time::Duration::minutes(30);
    app.set_order(
        &id,
        Some(order_json(
            &id,
            CUSTOMER,
            "PENDING_PAYMENT",
            json!(PRICE),
            deadline,
        )),
    );
    let (_, created) = app.create_invoice(&customer(), &id).await;
    let invoice_id = created["data"]["id"].as_str().unwrap();
    // BRI VA needs at least 60 minutes; BCA VA takes 15.
    let (status, body) = app
        .pay(&customer(), invoice_id, json!({"channel": "BRI_VA"}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "PAYMENT_CHANNEL_NOT_AVAILABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "EXPIRY_TOO_SHORT");
    let (status, body) = app
        .pay(&customer(), invoice_id, json!({"channel": "BCA_VA"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test]
async fn tripay_refusals_and_outages_map_to_402_502_503(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    // Warm the channel cache so the forced fault hits transaction/create.
    let (status, _) = app
        .get_bearer("/api/v1/billing/payment-channels", &customer())
        .await;
    assert_eq!(status, StatusCode::OK);

    send(
        app.tripay
            .post("/_sim/config", &json!({"fault": "server_error"})),
    )
    .await;
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BRI_VA"})).await;
    assert_error(status, &body, StatusCode::BAD_GATEWAY, "GATEWAY_ERROR");

    send(
        app.tripay
            .post("/_sim/config", &json!({"fault": "timeout"})),
    )
    .await;
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BRI_VA"})).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "GATEWAY_ERROR",
    );

    // A wrong merchant key makes Tripay refuse the signature: a 4xx with success=false.
    let wrong = spawn_with(
        app.pool.clone(),
        &[("TRIPAY_PRIVATE_KEY", "not-the-key".to_string())],
    )
    .await;
    let other_invoice = wrong.invoice().await;
    let (status, body) = wrong
        .pay(
            &customer(),
            other_invoice["id"].as_str().unwrap(),
            json!({"channel": "BRI_VA"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYMENT_REQUIRED,
        "PAYMENT_FAILED",
    );
    assert_eq!(
        body["error"]["details"]["gatewayMessage"],
        "Invalid signature"
    );

    // Nothing was stored as active after any failure.
    let row = app.invoice_row(id).await;
    assert!(row["invoice"]["tripayReference"].is_null(), "{row}");
}

#[sqlx::test]
async fn paid_expired_and_cancelled_invoices_cannot_be_paid(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let (status, body) = app.pay(&other(), id, json!({"channel": "BRI_VA"})).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "INVOICE_ACCESS_DENIED",
    );
    let (status, body) = app
        .pay(&customer(), MISSING, json!({"channel": "BRI_VA"}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND");

    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{id}/expire"),
        json!({}),
    )
    .await;
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BRI_VA"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_EXPIRED");
    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{id}/cancel"),
        json!({}),
    )
    .await;
    let (status, body) = app.pay(&customer(), id, json!({"channel": "BRI_VA"})).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "INVALID_INVOICE_STATUS",
    );

    // A deadline that passed without the expiry task noticing: expired on the spot.
    let overdue = app.invoice().await;
    let overdue_id = overdue["id"].as_str().unwrap();
    sqlx::query("UPDATE invoices SET expired_at = now() - interval '1 minute' WHERE id = $1::uuid")
        .bind(overdue_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = app
        .pay(&customer(), overdue_id, json!({"channel": "BRI_VA"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_EXPIRED");
    assert_eq!(
        app.invoice_row(overdue_id).await["invoice"]["status"],
        "EXPIRED"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'ORDER_PAYMENT_FAILED:EXPIRED:%'"
        )
        .await,
        2
    );
}

#[sqlx::test]
async fn bad_pay_bodies_are_validation_errors(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    for body in [
        json!({}),
        json!({"channel": 5}),
        json!({"channel": "BRI_VA", "customerName": ""}),
        json!({"channel": "BRI_VA", "customerName": "x".repeat(101)}),
        json!({"channel": "BRI_VA", "customerPhone": "12ab"}),
        json!({"channel": "BRI_VA", "returnUrl": "https://evil.example/x"}),
        json!({"channel": "BRI_VA", "unknown": true}),
    ] {
        let (status, answer) = app.pay(&customer(), id, body.clone()).await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    assert_eq!(app.invoice_row(id).await["invoice"]["paymentAttempts"], 0);
}

#[sqlx::test]
async fn auth_being_down_falls_back_to_the_token(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.auth
        .respond_with(503, json!({"error": {"code": "SERVICE_UNAVAILABLE"}}));
    let (_, reference, _) = app.paying_invoice().await;
    let (_, sim) = send(app.tripay.get("/_sim/transactions")).await;
    let tx = sim["data"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["reference"] == reference.as_str()))
        .cloned()
        .unwrap();
    // platform::testing tokens carry `<sub>@example.com`-style e-mails; the name is its local part.
    let email = tx["customer_email"].as_str().unwrap();
    assert_eq!(
        tx["customer_name"].as_str().unwrap(),
        email.split('@').next().unwrap()
    );
    assert!(tx["customer_phone"].is_null());
}

/// §4.4 behaviour order: ownership (§4.3) and status (1), the deadline (2), and only then the
/// channel (3). Body validation, the `returnUrl` prefix included, still comes first.
#[sqlx::test]
async fn an_unknown_channel_is_checked_after_ownership_status_and_deadline(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let unknown = json!({"channel": "BITCOIN"});

    // Someone else's invoice: 403 as in §4.3, not 400; an unknown id: 404.
    let (status, body) = app.pay(&other(), id, unknown.clone()).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "INVOICE_ACCESS_DENIED",
    );
    let (status, body) = app.pay(&customer(), MISSING, unknown.clone()).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND");
    // A `returnUrl` outside CUSTOMER_WEB_BASE_URL is a field rule: VALIDATION_ERROR first.
    let (status, body) = app
        .pay(
            &other(),
            id,
            json!({"channel": "BITCOIN", "returnUrl": "https://evil.example/x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "returnUrl");

    // The owner of a payable invoice gets PAYMENT_CHANNEL_INVALID, before any outbound call.
    let (status, body) = app.pay(&customer(), id, unknown.clone()).await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "PAYMENT_CHANNEL_INVALID",
    );
    assert!(app.auth.requests().is_empty(), "no payer lookup");
    assert_eq!(app.invoice_row(id).await["invoice"]["paymentAttempts"], 0);

    // A deadline that passed unnoticed: expired on the spot (step 2), then 409, not 400.
    let overdue = app.invoice().await;
    let overdue_id = overdue["id"].as_str().unwrap();
    sqlx::query("UPDATE invoices SET expired_at = now() - interval '1 minute' WHERE id = $1::uuid")
        .bind(overdue_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, body) = app.pay(&customer(), overdue_id, unknown.clone()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_EXPIRED");
    assert_eq!(
        app.invoice_row(overdue_id).await["invoice"]["status"],
        "EXPIRED"
    );
    // Already EXPIRED, then CANCELLED: the status wins over the channel.
    let (status, body) = app.pay(&customer(), overdue_id, unknown.clone()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_EXPIRED");
    app.post_key(
        &format!("/api/v1/internal/billing/invoices/{overdue_id}/cancel"),
        json!({}),
    )
    .await;
    let (status, body) = app.pay(&customer(), overdue_id, unknown.clone()).await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "INVALID_INVOICE_STATUS",
    );

    // A PAID invoice: 409 INVOICE_ALREADY_PAID, whatever the channel.
    let (paid_id, reference, paying) = app.paying_invoice().await;
    let number = paying["invoice"]["invoiceNumber"].as_str().unwrap();
    let (status, answer) = app
        .callback(&callback_body(&reference, number, "PAID", PRICE, 0, None))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.invoice_row(&paid_id).await["invoice"]["status"], "PAID");
    let (status, body) = app.pay(&customer(), &paid_id, unknown.clone()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "INVOICE_ALREADY_PAID");
    // ... and someone else still learns nothing beyond 403.
    let (status, body) = app.pay(&other(), &paid_id, unknown).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "INVOICE_ACCESS_DENIED",
    );
}
