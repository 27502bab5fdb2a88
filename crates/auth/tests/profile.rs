//! `GET/PATCH /auth/me` and Telegram linking (auth.md §5.9, §9 checks 12–13).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn me_reads_and_patches_the_profile(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let me = &body["data"];
    assert_eq!(me["id"], CUSTOMER_ID);
    assert_eq!(me["phoneNumber"], "+6281234567890");
    assert_eq!(
        me["notificationPreferences"],
        json!({"email": true, "telegram": true})
    );
    assert!(
        me["telegramChatId"].is_null(),
        "nulls are present, never omitted"
    );
    assert!(me.get("passwordHash").is_none());

    for bad in [
        json!({"timezone": "Mars/Base"}),
        json!({"email": "x@y.z"}),
        json!({}),
        json!({"fullName": "<b>"}),
    ] {
        let (status, body) = send(
            app.server
                .patch("/api/v1/auth/me", &bad)
                .bearer_auth(&access),
        )
        .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let patch = json!({"fullName": "Budi Baru", "timezone": "Asia/Makassar", "language": "en",
                       "phoneNumber": null, "notificationPreferences": {"telegram": false}});
    let (status, body) = send(
        app.server
            .patch("/api/v1/auth/me", &patch)
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, body) = app.get_auth("/api/v1/auth/me", &access).await;
    let me = &body["data"];
    assert_eq!(me["fullName"], "Budi Baru");
    assert_eq!(me["timezone"], "Asia/Makassar");
    assert_eq!(me["language"], "en");
    assert!(me["phoneNumber"].is_null());
    assert_eq!(
        me["notificationPreferences"],
        json!({"email": true, "telegram": false})
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn direct_telegram_link_and_unlink(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = send(
        app.server
            .put(
                "/api/v1/auth/me/telegram",
                &json!({"chatId": "123456789", "telegramUsername": "@budi_s"}),
            )
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["telegramUsername"], "budi_s");
    let (_, body) = app
        .get_key(&format!("/api/v1/internal/users/{CUSTOMER_ID}"))
        .await;
    assert_eq!(body["data"]["telegramChatId"], "123456789");
    assert!(body["data"]["telegramLinkedAt"].is_string());

    let (status, body) = send(
        app.server
            .put("/api/v1/auth/me/telegram", &json!({"chatId": -100987654}))
            .bearer_auth(&access),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["telegramChatId"], "-100987654");

    for _ in 0..2 {
        let (status, body) = send(
            app.server
                .delete("/api/v1/auth/me/telegram")
                .bearer_auth(&access),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["data"]["telegramChatId"].is_null());
        assert!(body["data"]["telegramUsername"].is_null());
    }
    let (status, body) = send(
        app.server
            .put("/api/v1/auth/me/telegram", &json!({"chatId": "12ab"}))
            .bearer_auth(&access),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn link_code_flow_and_its_errors(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = app
        .post_auth("/api/v1/auth/me/telegram/link-code", &access, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let code = body["data"]["code"].as_str().expect("code").to_string();
    assert_eq!(code.len(), 8);
    assert_eq!(
        body["data"]["deepLink"],
        format!("https://t.me/WebranaCloudBot?start={code}")
    );

    let (status, body) = app
        .post(
            "/api/v1/internal/telegram/link",
            json!({"code": code, "chatId": "555"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_MISSING");

    let (status, body) = app
        .post_key(
            "/api/v1/internal/telegram/link",
            json!({"code": code.to_lowercase(), "chatId": 555, "telegramUsername": "budi"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"],
        json!({"userId": CUSTOMER_ID, "email": "customer@webrana.cloud", "fullName": "Demo Customer", "telegramChatId": "555"})
    );

    let (status, body) = app
        .post_key(
            "/api/v1/internal/telegram/link",
            json!({"code": code, "chatId": "555"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_LINK_CODE");

    let (_, body) = app
        .post_auth("/api/v1/auth/me/telegram/link-code", &access, json!({}))
        .await;
    let stale = body["data"]["code"].as_str().expect("code").to_string();
    let (_, body) = app
        .post_auth("/api/v1/auth/me/telegram/link-code", &access, json!({}))
        .await;
    let fresh = body["data"]["code"].as_str().expect("code").to_string();
    let (status, body) = app
        .post_key(
            "/api/v1/internal/telegram/link",
            json!({"code": stale, "chatId": "1"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "INVALID_LINK_CODE");
    sqlx::query("UPDATE telegram_link_codes SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("age");
    let (status, body) = app
        .post_key(
            "/api/v1/internal/telegram/link",
            json!({"code": fresh, "chatId": "1"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "LINK_CODE_EXPIRED");

    let (status, body) = app
        .post_key("/api/v1/internal/telegram/unlink", json!({"chatId": "555"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["unlinkedUsers"], 1);
    let (_, body) = app
        .post_key("/api/v1/internal/telegram/unlink", json!({"chatId": "555"}))
        .await;
    assert_eq!(body["data"]["unlinkedUsers"], 0);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn pending_accounts_cannot_link_telegram(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.register("pending@example.com").await;
    let (access, _) = app.login("pending@example.com", STRONG).await;
    let (status, body) = app
        .post_auth("/api/v1/auth/me/telegram/link-code", &access, json!({}))
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED");
    let (status, body) = send(
        app.server
            .put("/api/v1/auth/me/telegram", &json!({"chatId": "1"}))
            .bearer_auth(&access),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED");
    let (status, _) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a pending account may still read its profile"
    );
}
