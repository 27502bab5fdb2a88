//! Telegram end to end (notification.md §2, §6.2, §7.2) against the Bot API faked with the wire
//! format of integrations.md §3.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn payment_confirmed_reaches_the_bot_api_in_html_mode(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let notifications = body["data"]["notifications"].as_array().expect("list");
    assert_eq!(notifications.len(), 2, "{body}");
    assert_eq!(notifications[1]["recipient"], CHAT);
    let id = log_id(&body, "TELEGRAM");
    let log = app.wait_status(&id, "SENT").await;
    assert_eq!(log["attempts"], 1);
    assert_eq!(log["providerMessageId"], "42");

    let sent = app.telegram.delivered();
    assert_eq!(sent.len(), 1);
    let b = &sent[0].body;
    assert_eq!(b["chat_id"], CHAT);
    assert_eq!(b["parse_mode"], "HTML");
    assert_eq!(b["link_preview_options"], json!({"is_disabled": true}));
    assert!(
        b.get("protect_content").is_none(),
        "no credentials here: {b}"
    );
    let text = b["text"].as_str().expect("text");
    assert!(text.starts_with("✅ <b>Pembayaran diterima</b>"), "{text}");
    assert!(
        text.contains("Pesanan: <code>6F0429EA</code> — VPS Standard"),
        "{text}"
    );
    assert!(
        text.contains("Jumlah: <b>Rp 300.000</b> via BRI Virtual Account"),
        "{text}"
    );
    assert!(text.contains("Waktu: 15 Januari 2025 17.01 WIB"), "{text}");
    assert!(!text.contains("{{"), "{text}");
    assert_eq!(log["content"], text);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn a_user_without_chat_or_with_telegram_off_gets_email_only(pool: PgPool) {
    let app = spawn(pool).await;
    for (user, chat, prefs) in [
        (
            "user-no-chat",
            None,
            json!({"email": true, "telegram": true}),
        ),
        (
            "user-telegram-off",
            Some(CHAT),
            json!({"email": true, "telegram": false}),
        ),
    ] {
        app.auth.respond_to(
            &user_path(user),
            200,
            user_body("siti@example.com", chat, prefs),
        );
        let data = json!({"orderId": ORDER_ID, "planName": "VPS Standard",
                          "errorMessage": "Kapasitas server sedang penuh."});
        let (status, body) = app
            .send_event("PROVISIONING_FAILED", user, data, None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let channels: Vec<&str> = body["data"]["notifications"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|n| n["channel"].as_str())
            .collect();
        assert_eq!(channels, ["EMAIL"], "{body}");
    }
    assert!(app.telegram.calls().is_empty());
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn flood_control_waits_retry_after_without_using_an_attempt(pool: PgPool) {
    let app = spawn(pool).await;
    app.telegram.chat(
        CHAT,
        ChatMode::Flood {
            retry_after: 1,
            n: 1,
        },
    );
    let (_, body) = app
        .send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    let id = log_id(&body, "TELEGRAM");
    let log = app.wait_status(&id, "SENT").await;
    assert_eq!(log["attempts"], 1, "the 429 is not an attempt: {log}");
    let calls = app.telegram.calls();
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [429, 200]
    );
    let waited = calls[1].at.duration_since(calls[0].at);
    assert!(
        waited >= Duration::from_millis(1900),
        "retry_after + 1 s: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "{waited:?}");
    let attempts = app
        .count(&format!(
            "SELECT attempts::bigint FROM jobs WHERE subject_id = '{id}'"
        ))
        .await;
    assert_eq!(attempts, 1);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn a_blocked_chat_fails_without_retry_and_is_unlinked_at_auth(pool: PgPool) {
    let app = spawn(pool).await;
    app.telegram.chat(CHAT, ChatMode::Blocked);
    let (_, body) = app
        .send_event("VPS_ACTIVE", CUSTOMER, vps_active(), None)
        .await;
    let id = log_id(&body, "TELEGRAM");
    let log = app.wait_status(&id, "FAILED").await;
    assert_eq!(log["attempts"], 1);
    assert!(
        log["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("TELEGRAM_BLOCKED: ")
    );
    let unlinks = app.auth.requests_to("/api/v1/internal/telegram/unlink");
    assert_eq!(unlinks.len(), 1);
    assert_eq!(unlinks[0].body, json!({"chatId": CHAT}));
    // The log turns FAILED just before the worker records the job DEAD.
    let mut dead = serde_json::Value::Null;
    for _ in 0..100 {
        dead = app
            .get_key(&format!("{PREFIX}/queues/telegram/dead-letter"))
            .await
            .1;
        if !dead["data"][0].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(dead["data"][0]["deadReason"], "TELEGRAM_BLOCKED", "{dead}");

    // The next event looks the user up again: the cache entry of that chat was dropped.
    let before = app.auth.requests_to(&user_path(CUSTOMER)).len();
    app.send_event("PAYMENT_CONFIRMED", CUSTOMER, payment_confirmed(), None)
        .await;
    assert_eq!(app.auth.requests_to(&user_path(CUSTOMER)).len(), before + 1);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn the_bot_links_and_unlinks_chats_through_auth(pool: PgPool) {
    let app = spawn_with(
        pool,
        Options {
            extra: vec![("TELEGRAM_LINKING_ENABLED", "true".into())],
            ..Options::default()
        },
    )
    .await;
    app.auth.respond_to(
        "/api/v1/internal/telegram/link",
        200,
        json!({"data": {"userId": CUSTOMER, "email": "budi@example.com",
                         "fullName": "Budi Santoso", "telegramChatId": "555"}}),
    );
    app.telegram.chat("555", ChatMode::Ok);
    app.telegram.inject(900, 555, "budi_s", "/start ABCD2345");
    app.telegram.inject(901, 555, "budi_s", "/start");
    app.telegram.inject(902, 555, "budi_s", "/stop");
    app.telegram.inject(903, 555, "budi_s", "halo bot");

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.telegram.delivered().len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no replies: {:?}",
            app.telegram.calls()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let replies: Vec<String> = app
        .telegram
        .delivered()
        .iter()
        .map(|s| s.body["text"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(replies.len(), 3, "{replies:?}");
    assert!(
        replies[0].starts_with("Akun WeBrana Cloud Anda sudah terhubung."),
        "{replies:?}"
    );
    assert!(replies[1].contains("/start KODE"), "{replies:?}");
    assert_eq!(replies[2], "Notifikasi Telegram dihentikan.");

    let links = app.auth.requests_to("/api/v1/internal/telegram/link");
    assert_eq!(links.len(), 1);
    assert_eq!(
        links[0].body,
        json!({"code": "ABCD2345", "chatId": "555", "telegramUsername": "budi_s"})
    );
    let unlinks = app.auth.requests_to("/api/v1/internal/telegram/unlink");
    assert_eq!(unlinks[0].body, json!({"chatId": "555"}));
    assert_eq!(app.telegram.webhook_deletes(), 1);
    // The offset moves past the handled updates.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !app.telegram.polls().iter().any(|p| p["offset"] == 904) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            app.telegram.polls()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = &app.telegram.polls()[0];
    assert_eq!(first["timeout"], 30);
    assert_eq!(first["allowed_updates"], json!(["message"]));
}
