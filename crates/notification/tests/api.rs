//! The HTTP contract (notification.md §3, §4, §9, §10): auth outages, templates, logs and every
//! kind of bad input answered with a specific 4xx envelope.

mod common;

use std::time::Duration;

use common::*;
use platform::auth::Role;
use platform::testing::{TEST_API_KEY, closed_port_url, token};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn auth_down_answers_503_and_stores_nothing(pool: PgPool) {
    let app = spawn_with(
        pool,
        Options {
            auth_url: Some(closed_port_url().await),
            ..Options::default()
        },
    )
    .await;
    let (status, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), Some("k1"))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "AUTH_SERVICE_UNAVAILABLE",
    );
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 0);
    // Account e-mails do not depend on auth.
    let (status, body) = app
        .send_event(
            "PASSWORD_RESET",
            CUSTOMER,
            account("budi@example.com"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn a_stale_cache_entry_stands_in_while_auth_fails(pool: PgPool) {
    let app = spawn_with(
        pool,
        Options {
            extra: vec![("USER_CACHE_TTL_SECONDS", "1".into())],
            ..Options::default()
        },
    )
    .await;
    let (status, _) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    // Fresh: no second lookup.
    app.send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    assert_eq!(app.auth.requests_to(&user_path(CUSTOMER)).len(), 1);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.auth.respond_to(
        &user_path(CUSTOMER),
        503,
        json!({"error": {"code": "SERVICE_UNAVAILABLE"}}),
    );
    let (status, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "stale-if-error: {body}");
    // One lookup plus its two in-request retries.
    assert_eq!(app.auth.requests_to(&user_path(CUSTOMER)).len(), 4);

    app.auth.respond_to(&user_path(OTHER), 503, json!({}));
    let (status, body) = app
        .send_event("ORDER_CREATED", OTHER, order_created(), None)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::SERVICE_UNAVAILABLE,
        "AUTH_SERVICE_UNAVAILABLE",
    );
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn unknown_and_deleted_users_are_404(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .send_event("ORDER_CREATED", OTHER, order_created(), None)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "USER_NOT_FOUND");
    let mut deleted = user_body("x@example.com", None, json!({}));
    deleted["data"]["status"] = json!("DELETED");
    app.auth.respond_to(&user_path("gone"), 200, deleted);
    let (status, body) = app
        .send_event("ORDER_CREATED", "gone", order_created(), None)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "USER_NOT_FOUND");
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 0);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn redis_down_still_accepts_delivers_and_stays_ready(pool: PgPool) {
    let dead_redis = closed_port_url().await.replace("http://", "redis://");
    let app = spawn_with(
        pool,
        Options {
            redis_url: Some(dead_redis),
            ..Options::default()
        },
    )
    .await;
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    app.wait_status(&log_id(&body, "EMAIL"), "SENT").await;
    app.wait_status(&log_id(&body, "TELEGRAM"), "SENT").await;
    let (status, ready) = send(app.server.get("/health/ready")).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    assert_eq!(ready["checks"]["redis"], "down");
    assert_eq!(ready["checks"]["database"], "up");
    assert_eq!(ready["checks"]["smtp"], "up", "{ready}");
    assert_eq!(ready["checks"]["telegram"], "up", "{ready}");
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn bad_send_input_gets_a_specific_4xx(pool: PgPool) {
    let app = spawn(pool).await;
    let url = app.server.url(&format!("{PREFIX}/send"));
    let valid = json!({"event": "ORDER_CREATED", "userId": CUSTOMER, "data": order_created()});

    let (status, body) = send(app.server.client.post(&url).json(&valid)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_MISSING");
    let (status, body) = send(
        app.server
            .client
            .post(&url)
            .json(&valid)
            .header("x-api-key", "wrong-key"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    // The send route is a service route: an admin token is not enough.
    let admin = token("e1000000-0000-4000-8000-000000000002", Role::Admin);
    let (status, body) = send(app.server.client.post(&url).json(&valid).bearer_auth(admin)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    let keyed = |req: reqwest::RequestBuilder| req.header("x-api-key", TEST_API_KEY);
    let cases: Vec<(Value, StatusCode, &str, Option<&str>)> = vec![
        (
            json!({"event": "ORDER_PAID", "userId": CUSTOMER, "data": {}}),
            StatusCode::BAD_REQUEST,
            "INVALID_NOTIFICATION_EVENT",
            None,
        ),
        (
            json!({"event": 5, "userId": CUSTOMER, "data": {}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("event"),
        ),
        (
            json!({"userId": CUSTOMER, "data": {}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("event"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": "", "data": order_created()}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("userId"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": "x".repeat(129), "data": order_created()}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("userId"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": CUSTOMER, "data": [1]}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": CUSTOMER}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": CUSTOMER, "data": order_created(), "x": 1}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("x"),
        ),
        (
            json!({"event": "ORDER_CREATED", "userId": CUSTOMER, "data": {"orderId": ORDER_ID}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data.planName"),
        ),
        (
            json!({"event": "PAYMENT_CONFIRMED", "userId": CUSTOMER,
                "data": {"orderId": ORDER_ID, "planName": "P", "amount": "300000",
                         "paymentMethod": "QRIS", "paidAt": "2025-01-15T10:01:00Z"}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data.amount"),
        ),
        (
            json!({"event": "VPS_EXPIRING_SOON", "userId": CUSTOMER,
                "data": {"orderId": ORDER_ID, "planName": "P", "expiresAt": "soon",
                         "hoursRemaining": 24}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data.expiresAt"),
        ),
        (
            json!({"event": "EMAIL_VERIFICATION", "userId": CUSTOMER,
                "data": {"email": "nope", "fullName": "A", "actionUrl": "u"}}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            Some("data.email"),
        ),
    ];
    for (body, expected, code, field) in cases {
        let (status, answer) = send(keyed(app.server.client.post(&url).json(&body))).await;
        assert_error(status, &answer, expected, code);
        if let Some(field) = field {
            let fields = answer["error"]["details"]["fields"].to_string();
            assert!(
                fields.contains(&format!("\"{field}\"")),
                "{field}: {answer}"
            );
        }
    }

    let (status, body) = send(
        keyed(app.server.client.post(&url))
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]["code"].is_string());
    let (status, body) = send(
        keyed(app.server.client.post(&url))
            .header("content-type", "text/plain")
            .body(valid.to_string()),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let (status, body) = send(
        keyed(app.server.client.post(&url).json(&valid)).header("idempotency-key", "x".repeat(201)),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = send(
        keyed(app.server.client.post(&url))
            .header("content-type", "application/json")
            .body(format!(
                "{{\"event\":\"ORDER_CREATED\",\"userId\":\"u\",\"data\":{{\"pad\":\"{}\"}}}}",
                "a".repeat(1_100_000)
            )),
    )
    .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 0);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn bad_admin_input_gets_a_specific_4xx(pool: PgPool) {
    let app = spawn(pool).await;
    let customer = token(CUSTOMER, Role::Customer);
    let (status, body) = send(
        app.server
            .get(&format!("{PREFIX}/logs"))
            .bearer_auth(customer),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, body) = send(app.server.get(&format!("{PREFIX}/templates"))).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    let cases = [
        (
            format!("{PREFIX}/logs?status=DONE"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs?limit=101"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs?page=0"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs?from=yesterday"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs?sort=asc"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs/not-a-uuid"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/logs/{ORDER_ID}"),
            StatusCode::NOT_FOUND,
            "NOTIFICATION_LOG_NOT_FOUND",
        ),
        (
            format!("{PREFIX}/templates?channel=SMS"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/templates/{ORDER_ID}"),
            StatusCode::NOT_FOUND,
            "TEMPLATE_NOT_FOUND",
        ),
        (
            format!("{PREFIX}/queues/sms/dead-letter"),
            StatusCode::NOT_FOUND,
            "QUEUE_NOT_FOUND",
        ),
        (
            format!("{PREFIX}/queues?x=1"),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            format!("{PREFIX}/nothing-here"),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        ),
    ];
    for (path, expected, code) in cases {
        let (status, body) = app.get_key(&path).await;
        assert_error(status, &body, expected, code);
    }
    let (status, body) = app
        .post_key(
            &format!("{PREFIX}/queues/email/dead-letter/retry"),
            json!({"jobIds": ["x"]}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .post_key(
            &format!("{PREFIX}/queues/email/dead-letter/retry"),
            json!({"limit": 0}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .post_key(&format!("{PREFIX}/queues/fax/dead-letter/retry"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "QUEUE_NOT_FOUND");
    let (status, body) = app
        .post_key(
            &format!("{PREFIX}/queues/email/dead-letter/retry?limit=5"),
            json!({}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .delete_key(&format!(
            "{PREFIX}/queues/email/dead-letter?olderThanDays=-1"
        ))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

async fn template_id(app: &TestApp, key: &str, channel: &str) -> String {
    let (_, list) = app
        .get_key(&format!("{PREFIX}/templates?channel={channel}"))
        .await;
    list["data"]
        .as_array()
        .and_then(|l| l.iter().find(|t| t["key"] == key))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("{key}/{channel} in {list}"))
        .to_string()
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn templates_are_listed_read_and_updated_with_validation(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, all) = app.get_key(&format!("{PREFIX}/templates")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["data"].as_array().map(Vec::len), Some(13));
    let (_, tg) = app
        .get_key(&format!("{PREFIX}/templates?channel=TELEGRAM"))
        .await;
    assert_eq!(tg["data"].as_array().map(Vec::len), Some(3));
    let (_, by_event) = app
        .get_key(&format!("{PREFIX}/templates?event=VPS_ACTIVE"))
        .await;
    assert_eq!(by_event["data"].as_array().map(Vec::len), Some(2));

    let id = template_id(&app, "payment-confirmed", "TELEGRAM").await;
    let path = format!("{PREFIX}/templates/{id}");
    let (status, one) = app.get_key(&path).await;
    assert_eq!(status, StatusCode::OK);
    let t = &one["data"];
    for field in [
        "id",
        "key",
        "channel",
        "event",
        "subject",
        "body",
        "textBody",
        "variables",
        "isActive",
        "version",
        "updatedBy",
        "createdAt",
        "updatedAt",
    ] {
        assert!(t.get(field).is_some(), "{field} missing in {t}");
    }
    assert_eq!(t["version"], 1);
    assert!(
        t["variables"]
            .as_array()
            .is_some_and(|v| v.contains(&json!("paymentMethod")))
    );

    let rejected: Vec<(Value, StatusCode, &str)> = vec![
        (json!({}), StatusCode::BAD_REQUEST, "VALIDATION_ERROR"),
        (
            json!({"subject": "Hai"}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            json!({"body": ""}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            json!({"isActive": "yes"}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            json!({"colour": "red"}),
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
        ),
        (
            json!({"body": "{{{planName}}}"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TEMPLATE_INVALID",
        ),
        (
            json!({"body": "<div>{{planName}}</div>"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TEMPLATE_INVALID",
        ),
        (
            json!({"body": "{{#if planName}}open"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TEMPLATE_INVALID",
        ),
        (
            json!({"body": "x".repeat(5000)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TEMPLATE_INVALID",
        ),
    ];
    for (body, expected, code) in rejected {
        let (status, answer) = app.put_key(&path, body.clone()).await;
        assert_error(status, &answer, expected, code);
    }
    let (status, answer) = app
        .put_key(&path, json!({"body": "{{planName}} {{rahasia}}"}))
        .await;
    assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "TEMPLATE_INVALID",
    );
    assert_eq!(
        answer["error"]["details"]["unknownVariables"],
        json!(["rahasia"])
    );
    let (status, answer) = app.put_key(&path, json!({"body": "ok\n{{#each}}"})).await;
    assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "TEMPLATE_INVALID",
    );
    assert!(answer["error"]["details"]["reason"].is_string(), "{answer}");

    let new_body = "💳 <b>Lunas</b> {{orderNumber}}: {{idr amount}}";
    let (status, updated) = app.put_key(&path, json!({"body": new_body})).await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"]["version"], 2);
    assert_eq!(updated["data"]["updatedBy"], "internal");
    assert_eq!(updated["data"]["body"], new_body);

    // New versions apply to notifications accepted afterwards.
    let (_, sent) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    let log = app.wait_status(&log_id(&sent, "TELEGRAM"), "SENT").await;
    assert_eq!(log["content"], "💳 <b>Lunas</b> 6F0429EA: Rp 300.000");
    assert_eq!(log["templateVersion"], 2);

    // An inactive template skips its channel.
    let (status, _) = app.put_key(&path, json!({"isActive": false})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, sent) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    let channels: Vec<&str> = sent["data"]["notifications"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|n| n["channel"].as_str())
        .collect();
    assert_eq!(channels, ["EMAIL"]);

    // E-mail templates: subject rules, text body reset, the layout's partial block.
    let email = template_id(&app, "order-created", "EMAIL").await;
    let email_path = format!("{PREFIX}/templates/{email}");
    let (status, answer) = app.put_key(&email_path, json!({"subject": null})).await;
    assert_error(status, &answer, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, answer) = app
        .put_key(&email_path, json!({"subject": "{{planName}}".repeat(20)}))
        .await;
    assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "TEMPLATE_INVALID",
    );
    let (status, answer) = app
        .put_key(
            &email_path,
            json!({"subject": "Pesanan {{orderNumber}}", "textBody": "Halo {{customerName}}, total {{idr finalPrice}}."}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, sent) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    app.wait_status(&log_id(&sent, "EMAIL"), "SENT").await;
    // Earlier sends of this test may still be landing: pick this one by its subject.
    let messages = app.smtp.messages();
    let mail = messages
        .iter()
        .map(|m| parse(&m.data))
        .find(|m| m.subject() == Some("Pesanan 6F0429EA"))
        .expect("the mail rendered from the updated template");
    assert_eq!(
        mail.body_text(0).as_deref(),
        Some("Halo Budi Santoso, total Rp 300.000.")
    );

    let layout = template_id(&app, "layout", "EMAIL").await;
    let (status, answer) = app
        .put_key(
            &format!("{PREFIX}/templates/{layout}"),
            json!({"body": "<html>{{appName}}</html>"}),
        )
        .await;
    assert_error(
        status,
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "TEMPLATE_INVALID",
    );
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn logs_are_filtered_paginated_and_newest_first(pool: PgPool) {
    let app = spawn(pool).await;
    app.smtp.set_mode(SinkMode::Permanent);
    let (_, failed) = app
        .send_event("PASSWORD_RESET", "user-a", account("a@example.com"), None)
        .await;
    let failed_id = log_id(&failed, "EMAIL");
    app.wait_status(&failed_id, "FAILED").await;
    app.smtp.set_mode(SinkMode::Accept);
    let mut sent_ids = Vec::new();
    for user in ["user-a", "user-b"] {
        let (_, body) = app
            .send_event("EMAIL_VERIFICATION", user, account("b@example.com"), None)
            .await;
        let id = log_id(&body, "EMAIL");
        app.wait_status(&id, "SENT").await;
        sent_ids.push(id);
    }
    let (_, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    app.wait_status(&log_id(&body, "TELEGRAM"), "SENT").await;
    app.wait_status(&log_id(&body, "EMAIL"), "SENT").await;

    let ids = |body: &Value| -> Vec<String> {
        body["data"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|x| x["id"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (status, all) = app.get_key(&format!("{PREFIX}/logs?limit=2")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["meta"]["total"], 5);
    assert_eq!(all["meta"]["totalPages"], 3);
    assert_eq!(ids(&all).len(), 2);
    let item = &all["data"][0];
    assert!(
        item.get("content").is_none() && item.get("payload").is_none(),
        "{item}"
    );
    for field in [
        "id",
        "userId",
        "event",
        "channel",
        "status",
        "recipient",
        "templateKey",
        "subject",
        "error",
        "attempts",
        "sentAt",
        "createdAt",
        "updatedAt",
    ] {
        assert!(item.get(field).is_some(), "{field} missing in {item}");
    }
    let (_, last) = app.get_key(&format!("{PREFIX}/logs?limit=2&page=3")).await;
    assert_eq!(ids(&last), std::slice::from_ref(&failed_id), "oldest last");

    let (_, f) = app.get_key(&format!("{PREFIX}/logs?status=FAILED")).await;
    assert_eq!(ids(&f), std::slice::from_ref(&failed_id));
    let (_, f) = app.get_key(&format!("{PREFIX}/logs?userId=user-a")).await;
    assert_eq!(f["meta"]["total"], 2);
    let (_, f) = app
        .get_key(&format!(
            "{PREFIX}/logs?event=EMAIL_VERIFICATION&userId=user-b"
        ))
        .await;
    assert_eq!(ids(&f), [sent_ids[1].clone()]);
    let (_, f) = app
        .get_key(&format!("{PREFIX}/logs?channel=TELEGRAM"))
        .await;
    assert_eq!(f["meta"]["total"], 1);
    assert_eq!(f["data"][0]["recipient"], CHAT);
    let (_, f) = app
        .get_key(&format!("{PREFIX}/logs?from=2099-01-01T00:00:00Z"))
        .await;
    assert_eq!(f["meta"]["total"], 0);
    let (_, f) = app
        .get_key(&format!("{PREFIX}/logs?to=2000-01-01T00:00:00Z"))
        .await;
    assert_eq!(f["meta"]["total"], 0);
    let (_, f) = app
        .get_key(&format!(
            "{PREFIX}/logs?from=2000-01-01T00:00:00Z&to=2099-01-01T00:00:00Z&channel=EMAIL"
        ))
        .await;
    assert_eq!(f["meta"]["total"], 4);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn a_template_that_fails_to_render_is_logged_without_a_job(pool: PgPool) {
    let app = spawn(pool).await;
    // Only a direct database edit can store a broken template: the API validates every edit.
    sqlx::query(
        "UPDATE notification_templates SET body = '{{#if planName}}open' \
         WHERE key = 'payment-confirmed' AND channel = 'EMAIL'",
    )
    .execute(&app.pool)
    .await
    .expect("break template");
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let email = &body["data"]["notifications"][0];
    assert_eq!(email["channel"], "EMAIL");
    assert_eq!(email["status"], "FAILED");
    let log = app.log(email["logId"].as_str().expect("id")).await;
    assert!(
        log["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("TEMPLATE_RENDER_FAILED: "),
        "{log}"
    );
    assert_eq!(log["jobId"], Value::Null);
    // The other channel is unaffected.
    app.wait_status(&log_id(&body, "TELEGRAM"), "SENT").await;
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE queue = 'email'")
            .await,
        0
    );
}
