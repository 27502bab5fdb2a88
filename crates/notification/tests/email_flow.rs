//! E-mail end to end (notification.md §3, §6, §7.1): accepted → `email` job → real SMTP listener
//! → log `SENT`; retries, dead letters and the admin retry.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn order_created_is_mailed_as_multipart_and_logged(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), Some("job-1"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["data"]["event"], "ORDER_CREATED");
    assert_eq!(body["data"]["userId"], CUSTOMER);
    let notifications = body["data"]["notifications"].as_array().expect("list");
    assert_eq!(
        notifications.len(),
        1,
        "ORDER_CREATED is e-mail only: {body}"
    );
    assert_eq!(notifications[0]["status"], "QUEUED");
    assert_eq!(notifications[0]["recipient"], "budi@example.com");
    let id = log_id(&body, "EMAIL");

    let log = app.wait_status(&id, "SENT").await;
    assert_eq!(log["attempts"], 1);
    assert!(log["sentAt"].is_string());
    assert_eq!(log["templateKey"], "order-created");
    assert_eq!(log["templateVersion"], 1);
    assert_eq!(log["requestId"], "req-test-1");
    assert_eq!(log["idempotencyKey"], "job-1");
    assert_eq!(
        log["subject"],
        "[WeBrana Cloud] Pesanan 6F0429EA menunggu pembayaran"
    );

    let messages = app.smtp.messages();
    assert_eq!(messages.len(), 1);
    let envelope = &messages[0];
    assert_eq!(envelope.mail_from, "<noreply@webrana.id>");
    assert_eq!(envelope.rcpt_to, ["<budi@example.com>"]);
    let mail = parse(&envelope.data);
    assert_eq!(
        mail.subject(),
        Some("[WeBrana Cloud] Pesanan 6F0429EA menunggu pembayaran")
    );
    let to = mail.to().and_then(|a| a.first()).expect("To");
    assert_eq!(to.address(), Some("budi@example.com"));
    assert_eq!(to.name(), Some("Budi Santoso"));
    let from = mail.from().and_then(|a| a.first()).expect("From");
    assert_eq!(
        (from.name(), from.address()),
        (Some("WeBrana Cloud"), Some("noreply@webrana.id"))
    );
    let reply_to = mail.reply_to().and_then(|a| a.first()).expect("Reply-To");
    assert_eq!(reply_to.address(), Some("support@webrana.id"));
    assert_eq!(
        mail.header("X-WeBrana-Log-Id").and_then(|h| h.as_text()),
        Some(id.as_str())
    );
    assert_eq!(
        mail.header("Auto-Submitted").and_then(|h| h.as_text()),
        Some("auto-generated")
    );
    let message_id = mail.message_id().expect("Message-ID");
    assert!(message_id.ends_with("@webrana.id"), "{message_id}");
    assert_eq!(log["providerMessageId"], format!("<{message_id}>"));

    let text = mail.body_text(0).expect("text part");
    let html = mail.body_html(0).expect("html part");
    for part in [text.as_ref(), html.as_ref()] {
        assert!(!part.contains("{{"), "unrendered: {part}");
        assert!(part.contains("Halo Budi Santoso"), "{part}");
        assert!(part.contains("Rp 300.000"), "{part}");
        assert!(part.contains("1 bulan"), "{part}");
        assert!(part.contains("18 Januari 2025 17.00 WIB"), "{part}");
    }
    assert!(
        html.contains("<title>[WeBrana Cloud] Pesanan 6F0429EA"),
        "{html}"
    );
    assert!(!text.contains("<p>"), "{text}");
    assert!(
        text.contains(&format!(
            "Bayar sekarang (http://localhost:4200/orders/{ORDER_ID})"
        )),
        "{text}"
    );

    // The recipient was looked up at auth with the service headers.
    let lookups = app.auth.requests_to(&user_path(CUSTOMER));
    assert_eq!(lookups.len(), 1);
    let h = &lookups[0].headers;
    assert_eq!(h["x-api-key"], platform::testing::TEST_API_KEY);
    assert_eq!(h["x-service-name"], "notification-service");
    assert_eq!(h["x-request-id"], "req-test-1");
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn a_repeated_idempotency_key_sends_nothing_new(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, first) = app
        .send_event(
            "ORDER_CREATED",
            CUSTOMER,
            order_created(),
            Some("order-job-7"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let id = log_id(&first, "EMAIL");
    app.wait_status(&id, "SENT").await;

    let (status, again) = app
        .send_event(
            "ORDER_CREATED",
            CUSTOMER,
            order_created(),
            Some("order-job-7"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(log_id(&again, "EMAIL"), id);
    assert_eq!(again["data"]["notifications"][0]["status"], "SENT");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.messages().len(), 1);
    assert_eq!(app.count("SELECT count(*) FROM jobs").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 1);

    // Concurrent first deliveries under one key are serialized into one.
    let (a, b) = tokio::join!(
        app.send_event("ORDER_CREATED", CUSTOMER, order_created(), Some("parallel")),
        app.send_event("ORDER_CREATED", CUSTOMER, order_created(), Some("parallel")),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::ACCEPTED]);
    assert_eq!(log_id(&a.1, "EMAIL"), log_id(&b.1, "EMAIL"));
    assert_eq!(app.count("SELECT count(*) FROM notification_logs").await, 2);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn smtp_outage_is_retried_with_backoff_until_the_relay_returns(pool: PgPool) {
    let app = spawn(pool).await;
    app.smtp.stop();
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", OTHER, payment_confirmed(), None)
        .await;
    // OTHER is unknown to the fake auth.
    assert_error(status, &body, StatusCode::NOT_FOUND, "USER_NOT_FOUND");

    app.auth.respond_to(
        &user_path(OTHER),
        200,
        user_body("siti@example.com", None, json!({})),
    );
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", OTHER, payment_confirmed(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = log_id(&body, "EMAIL");
    let waiting = app
        .wait_log(&id, |l| l["attempts"].as_i64().unwrap_or(0) >= 2)
        .await;
    assert_eq!(waiting["status"], "QUEUED", "{waiting}");
    let error = waiting["error"].as_str().unwrap_or_default();
    assert!(error.starts_with("SMTP_TRANSIENT: "), "{error}");
    let (_, stats) = app.get_key(&format!("{PREFIX}/queues")).await;
    assert_eq!(stats["data"]["queues"][0]["name"], "email");

    app.smtp.restart().await;
    let sent = app.wait_status(&id, "SENT").await;
    let attempts = sent["attempts"].as_i64().unwrap_or(0);
    assert!((2..=3).contains(&attempts), "{sent}");
    assert_eq!(sent["error"], serde_json::Value::Null);
    assert_eq!(app.smtp.messages().len(), 1);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn transient_refusals_exhaust_attempts_then_dead_letter(pool: PgPool) {
    let app = spawn(pool).await;
    app.smtp.set_mode(SinkMode::Transient);
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let id = log_id(&body, "EMAIL");
    let failed = app.wait_status(&id, "FAILED").await;
    assert_eq!(failed["attempts"], 3, "QUEUE_MAX_ATTEMPTS=3: {failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("SMTP_TRANSIENT: ")
    );
    assert_eq!(app.smtp.rejected(), 3);
    let (_, dead) = app
        .get_key(&format!("{PREFIX}/queues/email/dead-letter"))
        .await;
    assert_eq!(dead["data"][0]["deadReason"], "MAX_ATTEMPTS", "{dead}");
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn permanent_refusal_is_dead_at_once_and_admin_retry_delivers(pool: PgPool) {
    let app = spawn(pool).await;
    app.smtp.set_mode(SinkMode::Permanent);
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let id = log_id(&body, "EMAIL");
    let failed = app.wait_status(&id, "FAILED").await;
    assert_eq!(failed["attempts"], 1, "no retry after a 5xx: {failed}");
    assert!(
        failed["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("SMTP_PERMANENT: ")
    );
    let job_id = failed["jobId"].as_str().expect("job id").to_string();

    let (status, stats) = app.get_key(&format!("{PREFIX}/queues")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        stats["data"]["queues"],
        json!([{"name": "email", "waiting": 0, "active": 0, "delayed": 0, "dead": 1},
               {"name": "telegram", "waiting": 0, "active": 0, "delayed": 0, "dead": 0}])
    );
    let (status, dead) = app
        .get_key(&format!(
            "{PREFIX}/queues/email/dead-letter?deadReason=SMTP_PERMANENT"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{dead}");
    assert_eq!(dead["meta"]["total"], 1);
    assert_eq!(dead["data"][0]["id"], job_id.as_str());
    assert_eq!(dead["data"][0]["subjectId"], id.as_str());
    assert!(
        dead["data"][0].get("payload").is_none(),
        "never the content"
    );

    app.smtp.set_mode(SinkMode::Accept);
    let (status, retried) = app
        .post_key(
            &format!("{PREFIX}/queues/email/dead-letter/retry"),
            json!({"jobIds": [job_id]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert_eq!(retried["data"]["requeued"], 1);
    let sent = app.wait_status(&id, "SENT").await;
    assert_eq!(sent["attempts"], 2);
    assert_eq!(app.smtp.messages().len(), 1);

    // A second dead letter is purged; its log stays FAILED.
    app.smtp.set_mode(SinkMode::Permanent);
    let (_, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    let second = log_id(&body, "EMAIL");
    app.wait_status(&second, "FAILED").await;
    let (status, purged) = app
        .delete_key(&format!("{PREFIX}/queues/email/dead-letter"))
        .await;
    assert_eq!(status, StatusCode::OK, "{purged}");
    assert_eq!(purged["data"]["purged"], 1);
    assert_eq!(app.log(&second).await["status"], "FAILED");
    assert_eq!(
        app.count("SELECT count(*) FROM jobs WHERE state = 'DEAD'")
            .await,
        0
    );
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn credentials_are_delivered_but_never_stored_in_clear(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .send_event("VPS_ACTIVE", CUSTOMER, vps_active(), Some("vps-job"))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let email = log_id(&body, "EMAIL");
    let telegram = log_id(&body, "TELEGRAM");
    // Sealed while queued, in the e-mail job only: the Telegram text leaves the password out.
    // (The worker may already have delivered and cleared it, hence "at most one".)
    assert!(
        app.count("SELECT count(*) FROM jobs WHERE secret_payload_enc IS NOT NULL")
            .await
            <= 1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM jobs WHERE queue = 'telegram' AND secret_payload_enc IS NOT NULL"
        )
        .await,
        0
    );
    let sent = app.wait_status(&email, "SENT").await;
    app.wait_status(&telegram, "SENT").await;

    let mail = &app.smtp.messages()[0];
    let parsed = parse(&mail.data);
    assert_eq!(
        parsed.subject(),
        Some("[WeBrana Cloud] VPS vps-6f0429ea siap digunakan")
    );
    let html = parsed.body_html(0).expect("html");
    assert!(html.contains("<code>Sup3r-Secret-Pw!</code>"), "{html}");
    assert!(
        parsed
            .body_text(0)
            .expect("text")
            .contains("Sup3r-Secret-Pw!")
    );

    for stored in [sent["content"].to_string(), sent["payload"].to_string()] {
        assert!(!stored.contains("Sup3r-Secret-Pw!"), "{stored}");
        assert!(stored.contains("••••••"), "{stored}");
    }
    let leaked = app
        .count(
            "SELECT count(*) FROM jobs WHERE payload::text LIKE '%Sup3r-Secret%' \
             OR secret_payload_enc IS NOT NULL",
        )
        .await;
    assert_eq!(leaked, 0, "DONE jobs keep no secret");
    let logs = app
        .count("SELECT count(*) FROM notification_logs WHERE content LIKE '%Sup3r-Secret%' OR payload::text LIKE '%Sup3r-Secret%'")
        .await;
    assert_eq!(logs, 0);
    // Telegram does not carry the password unless TELEGRAM_INCLUDE_PASSWORD=true.
    let tg = app.telegram.delivered();
    let text = tg[0].body["text"].as_str().unwrap_or_default();
    assert!(!text.contains("Sup3r-Secret-Pw!"), "{text}");
    assert!(
        text.contains("Detail login lengkap sudah dikirim ke email Anda."),
        "{text}"
    );
    assert_eq!(tg[0].body["protect_content"], true);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn email_opt_out_is_honoured_except_for_the_credentials_mail(pool: PgPool) {
    let app = spawn(pool).await;
    app.auth.respond_to(
        &user_path(CUSTOMER),
        200,
        user_body(
            "budi@example.com",
            None,
            json!({"email": false, "telegram": true}),
        ),
    );
    let (status, body) = app
        .send_event("ORDER_CREATED", CUSTOMER, order_created(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["data"]["notifications"], json!([]));
    let (status, body) = app
        .send_event("VPS_ACTIVE", CUSTOMER, vps_active(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = log_id(&body, "EMAIL");
    assert_eq!(
        body["data"]["notifications"].as_array().map(Vec::len),
        Some(1)
    );
    app.wait_status(&id, "SENT").await;
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn account_mail_goes_to_the_given_address_without_auth(pool: PgPool) {
    let app = spawn(pool).await;
    for (event, subject, button) in [
        (
            "EMAIL_VERIFICATION",
            "[WeBrana Cloud] Verifikasi alamat email Anda",
            "Verifikasi email",
        ),
        (
            "PASSWORD_RESET",
            "[WeBrana Cloud] Permintaan atur ulang kata sandi",
            "Atur ulang kata sandi",
        ),
        (
            "ACCOUNT_SET_PASSWORD",
            "[WeBrana Cloud] Buat kata sandi akun Anda",
            "Buat kata sandi",
        ),
    ] {
        let (status, body) = app
            .send_event(event, "user-42", account("siti@example.com"), None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let id = log_id(&body, "EMAIL");
        app.wait_status(&id, "SENT").await;
        let messages = app.smtp.messages();
        let mail = parse(&messages.last().expect("mail").data);
        assert_eq!(mail.subject(), Some(subject));
        let text = mail.body_text(0).expect("text");
        assert!(text.contains("Halo Siti Aminah"), "{text}");
        assert!(text.contains(button), "{text}");
        assert!(text.contains("16 Januari 2025 17.00 WIB"), "{text}");
        assert!(!text.contains("{{"), "{text}");
    }
    assert!(
        app.auth.requests().is_empty(),
        "account e-mails need no lookup"
    );
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn every_event_is_mailed_with_its_own_subject(pool: PgPool) {
    let app = spawn(pool).await;
    let cases = [
        (
            "ORDER_CREATED",
            order_created(),
            "[WeBrana Cloud] Pesanan 6F0429EA menunggu pembayaran",
        ),
        (
            "INVOICE_CREATED",
            json!({"orderId": ORDER_ID, "invoiceId": "9a7e0d12-3c4b-4e5f-8a9b-0c1d2e3f4a5b",
                   "invoiceNumber": "INV-20250115-7KQ3", "amount": 300000,
                   "expiredAt": "2025-01-16T10:00:00.000Z",
                   "invoiceUrl": "http://localhost:4200/invoices/9a7e0d12"}),
            "[WeBrana Cloud] Tagihan INV-20250115-7KQ3 sudah terbit",
        ),
        (
            "PAYMENT_CONFIRMED",
            payment_confirmed(),
            "[WeBrana Cloud] Pembayaran pesanan 6F0429EA diterima",
        ),
        (
            "VPS_ACTIVE",
            vps_active(),
            "[WeBrana Cloud] VPS vps-6f0429ea siap digunakan",
        ),
        (
            "PROVISIONING_FAILED",
            json!({"orderId": ORDER_ID, "planName": "VPS Standard", "errorCode": "PROVIDER_ERROR",
                   "errorMessage": "Server belum dapat dibuat saat ini."}),
            "[WeBrana Cloud] Kendala pembuatan VPS pesanan 6F0429EA",
        ),
        (
            "VPS_EXPIRING_SOON",
            json!({"orderId": ORDER_ID, "planName": "VPS Standard",
                   "expiresAt": "2025-02-15T10:05:00.000Z", "hoursRemaining": 24}),
            "[WeBrana Cloud] Masa aktif VPS VPS Standard segera berakhir",
        ),
    ];
    for (event, data, subject) in cases {
        let (status, body) = app.send_event(event, CUSTOMER, data, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{event}: {body}");
        let log = app.wait_status(&log_id(&body, "EMAIL"), "SENT").await;
        let stored = if event == "VPS_EXPIRING_SOON" {
            "VPS_EXPIRING"
        } else {
            event
        };
        assert_eq!(log["event"], stored);
        let messages = app.smtp.messages();
        let mail = parse(&messages.last().expect("mail").data);
        assert_eq!(mail.subject(), Some(subject), "{event}");
        let html = mail.body_html(0).expect("html");
        let text = mail.body_text(0).expect("text");
        assert!(!html.contains("{{") && !text.contains("{{"), "{event}");
        assert!(text.contains("Halo Budi Santoso"), "{event}: {text}");
    }
    assert_eq!(app.smtp.messages().len(), 6);
}
