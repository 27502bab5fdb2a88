//! Invoice creation, listing and detail (billing.md §4.1–§4.3, §5.2).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use time::OffsetDateTime;

#[sqlx::test]
async fn a_new_invoice_is_issued_for_the_owner_and_repeats_return_it(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let order_id = app.new_order();
    let response = app
        .server
        .post("/api/v1/billing/invoices", &json!({"orderId": order_id}))
        .bearer_auth(customer())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    let invoice = &body["data"];
    assert_eq!(
        location,
        format!(
            "/api/v1/billing/invoices/{}",
            invoice["id"].as_str().unwrap()
        )
    );
    assert_eq!(invoice["orderId"], order_id);
    assert_eq!(invoice["amount"], PRICE);
    assert_eq!(invoice["totalAmount"], PRICE);
    assert_eq!(invoice["currency"], "IDR");
    assert_eq!(invoice["status"], "PENDING");
    assert_eq!(invoice["itemName"], "Basic VPS 1vCPU 1GB - MONTHLY");
    let number = invoice["invoiceNumber"].as_str().unwrap();
    assert!(
        billing::domain::invoice_number::is_valid(number),
        "{number}"
    );
    for field in [
        "paymentMethod",
        "paymentChannel",
        "paymentCode",
        "tripayReference",
        "paidAt",
    ] {
        assert!(invoice[field].is_null(), "{field}: {invoice}");
    }
    // 24 h by default, well inside the order's three-day deadline.
    let expired_at = platform::time_format::parse(invoice["expiredAt"].as_str().unwrap()).unwrap();
    let hours = (expired_at - OffsetDateTime::now_utc()).whole_minutes();
    assert!((23 * 60..=24 * 60).contains(&hours), "{hours}");
    let channels = invoice["availableChannels"].as_array().unwrap();
    assert!(
        channels.iter().any(|c| c["channel"] == "BRI_VA"),
        "{invoice}"
    );
    assert!(channels.iter().all(|c| c["channel"] != "GOPAY"));
    // The order service was asked with the API key and the service name.
    let asked = app.order.requests_to(&order_path(&order_id));
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].headers["x-service-name"], "billing-service");

    let (status, again) = app.create_invoice(&customer(), &order_id).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["data"]["id"], invoice["id"]);
    // Idempotent without asking the order service again.
    assert_eq!(app.order.requests_to(&order_path(&order_id)).len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM invoices").await, 1);
}

#[sqlx::test]
async fn concurrent_creates_for_one_order_give_one_invoice(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let order_id = app.new_order();
    let token = customer();
    let calls = (0..8).map(|_| app.create_invoice(&token, &order_id));
    let results = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(status, body)| {
            assert!(status.is_success(), "{body}");
            body["data"]["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count(),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM invoices").await, 1);
}

#[sqlx::test]
async fn foreign_missing_unpayable_and_odd_orders_are_refused(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let order_id = app.new_order();
    let (status, body) = app.create_invoice(&other(), &order_id).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ORDER_ACCESS_DENIED");

    let (status, body) = app.create_invoice(&customer(), MISSING).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "ORDER_NOT_FOUND");

    let paid = uuid::Uuid::new_v4().to_string();
    let deadline = OffsetDateTime::now_utc() + time::Duration::days(1);
    app.set_order(
        &paid,
        Some(order_json(
            &paid,
            CUSTOMER,
            "ACTIVE",
            json!(PRICE),
            deadline,
        )),
    );
    let (status, body) = app.create_invoice(&customer(), &paid).await;
    assert_error(status, &body, StatusCode::CONFLICT, "ORDER_NOT_PAYABLE");
    assert_eq!(body["error"]["details"]["currentStatus"], "ACTIVE");

    let late = uuid::Uuid::new_v4().to_string();
    let past = OffsetDateTime::now_utc() - time::Duration::minutes(1);
    app.set_order(
        &late,
        Some(order_json(
            &late,
            CUSTOMER,
            "PENDING_PAYMENT",
            json!(PRICE),
            past,
        )),
    );
    let (status, body) = app.create_invoice(&customer(), &late).await;
    assert_error(status, &body, StatusCode::CONFLICT, "ORDER_NOT_PAYABLE");
    assert_eq!(
        body["error"]["details"]["reason"],
        "PAYMENT_DEADLINE_PASSED"
    );

    for price in [
        json!(0),
        json!(-5),
        json!(1.5),
        json!("150000"),
        json!(null),
    ] {
        let odd = uuid::Uuid::new_v4().to_string();
        app.set_order(
            &odd,
            Some(order_json(
                &odd,
                CUSTOMER,
                "PENDING_PAYMENT",
                price.clone(),
                deadline,
            )),
        );
        let (status, body) = app.create_invoice(&customer(), &odd).await;
        assert_error(
            status,
            &body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "INVALID_ORDER_AMOUNT",
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test]
async fn the_order_deadline_caps_the_invoice_expiry(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let id = uuid::Uuid::new_v4().to_string();
    let deadline = OffsetDateTime::now_utc() + time::Duration::hours(2);
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
    let (status, body) = app.create_invoice(&customer(), &id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["data"]["expiredAt"],
        platform::time_format::format(deadline)
    );
}

#[sqlx::test]
async fn the_order_service_down_is_a_503_and_writes_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let id = app.new_order();
    app.order.respond_to(
        &order_path(&id),
        503,
        json!({"error": {"code": "SERVICE_UNAVAILABLE"}}),
    );
    let (status, body) = app.create_invoice(&customer(), &id).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "ORDER_SERVICE_UNAVAILABLE",
    );
    assert_eq!(app.count("SELECT count(*) FROM invoices").await, 0);

    let closed = platform::testing::closed_port_url().await;
    let app2 = spawn_with(app.pool.clone(), &[("ORDER_SERVICE_BASE_URL", closed)]).await;
    let (status, body) = app2.create_invoice(&customer(), &id).await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "ORDER_SERVICE_UNAVAILABLE",
    );
}

#[sqlx::test]
async fn an_order_can_be_invoiced_again_after_its_invoice_expired(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let invoice = app.invoice().await;
    let id = invoice["id"].as_str().unwrap();
    let (status, body) = app
        .post_key(
            &format!("/api/v1/internal/billing/invoices/{id}/expire"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let order_id = invoice["orderId"].as_str().unwrap();
    let (status, again) = app.create_invoice(&customer(), order_id).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_ne!(again["data"]["id"], invoice["id"]);
}

#[sqlx::test]
async fn the_internal_create_skips_ownership(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let order_id = app.new_order();
    let (status, body) = app
        .post_key(
            "/api/v1/internal/billing/invoices",
            json!({"orderId": order_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["userId"], CUSTOMER);
    assert_eq!(body["data"]["paymentAttempts"], 0);
    let (status, body) = send(
        app.server
            .post(
                "/api/v1/internal/billing/invoices",
                &json!({"orderId": order_id}),
            )
            .bearer_auth(customer()),
    )
    .await;
    assert!(
        status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN,
        "{body}"
    );
}

#[sqlx::test]
async fn lists_and_details_are_the_owners_only(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let first = app.invoice().await;
    let second = app.invoice().await;
    let (status, body) = app
        .get_bearer("/api/v1/billing/invoices", &customer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["meta"]["total"], 2);
    assert_eq!(body["data"][0]["id"], second["id"], "newest first");
    let (_, body) = app
        .get_bearer(
            &format!(
                "/api/v1/billing/invoices?orderId={}",
                first["orderId"].as_str().unwrap()
            ),
            &customer(),
        )
        .await;
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app
        .get_bearer("/api/v1/billing/invoices?status=PAID", &customer())
        .await;
    assert_eq!(body["meta"]["total"], 0);
    let (_, body) = app.get_bearer("/api/v1/billing/invoices", &other()).await;
    assert_eq!(body["meta"]["total"], 0);

    let path = format!("/api/v1/billing/invoices/{}", first["id"].as_str().unwrap());
    let (status, body) = app.get_bearer(&path, &customer()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["invoiceNumber"], first["invoiceNumber"]);
    assert!(body["data"]["payment"].is_null());
    let (status, body) = app.get_bearer(&path, &other()).await;
    assert_error(
        status,
        &body,
        StatusCode::FORBIDDEN,
        "INVOICE_ACCESS_DENIED",
    );
    let (status, body) = app
        .get_bearer(&format!("/api/v1/billing/invoices/{MISSING}"), &customer())
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "INVOICE_NOT_FOUND");
}

#[sqlx::test]
async fn bad_input_gets_specific_4xx_codes(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    for body in [
        json!({}),
        json!({"orderId": "nope"}),
        json!({"orderId": MISSING, "x": 1}),
        json!([]),
    ] {
        let (status, answer) = send(
            app.server
                .post("/api/v1/billing/invoices", &body)
                .bearer_auth(customer()),
        )
        .await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, answer) = send(
        app.server
            .client
            .post(app.server.url("/api/v1/billing/invoices"))
            .bearer_auth(customer())
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_error(status, &answer, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let (status, answer) = send(
        app.server
            .client
            .post(app.server.url("/api/v1/billing/invoices"))
            .bearer_auth(customer())
            .header("content-type", "text/plain")
            .body("orderId"),
    )
    .await;
    assert_error(
        status,
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let (status, answer) = send(
        app.server
            .post("/api/v1/billing/invoices", &json!({"orderId": MISSING})),
    )
    .await;
    assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    for query in ["page=0", "limit=101", "status=NOPE", "orderId=x", "foo=1"] {
        let (status, answer) = app
            .get_bearer(&format!("/api/v1/billing/invoices?{query}"), &customer())
            .await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, answer) = app
        .get_bearer("/api/v1/billing/invoices/not-a-uuid", &customer())
        .await;
    assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test]
async fn payment_channels_are_mapped_active_and_filtered_by_amount(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .get_bearer("/api/v1/billing/payment-channels", &customer())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let all = body["data"].as_array().unwrap().clone();
    let bri = all
        .iter()
        .find(|c| c["channel"] == "BRI_VA")
        .expect("BRI_VA listed");
    assert_eq!(bri["code"], "BRIVA");
    assert_eq!(bri["method"], "VIRTUAL_ACCOUNT");
    assert_eq!(bri["type"], "DIRECT");
    assert!(bri["estimatedFee"].is_null());
    assert!(bri["customerFee"]["flat"].is_i64());
    // 5,000 IDR is below every VA minimum but within QRIS.
    let (_, body) = app
        .get_bearer("/api/v1/billing/payment-channels?amount=5000", &customer())
        .await;
    let small = body["data"].as_array().unwrap();
    assert!(
        small.iter().all(|c| c["method"] != "VIRTUAL_ACCOUNT"),
        "{body}"
    );
    assert!(small.iter().any(|c| c["channel"] == "QRIS"));
    assert!(small.iter().all(|c| c["estimatedFee"].is_i64()));
    for bad in ["amount=0", "amount=x", "amount=-1", "other=1"] {
        let (status, answer) = app
            .get_bearer(
                &format!("/api/v1/billing/payment-channels?{bad}"),
                &customer(),
            )
            .await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
}
