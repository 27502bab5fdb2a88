//! Internal user routes: API key, admin-or-key rule, roles and the status matrix (auth.md §5.7,
//! §6.16–§6.19, §9 checks 14–16).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn api_key_is_required_and_checked(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let path = format!("/api/v1/internal/users/{CUSTOMER_ID}");
    let (status, body) = send(app.server.get(&path)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_MISSING");
    let (status, body) = send(
        app.server
            .get(&path)
            .header("x-api-key", "wrong-key-of-the-wrong-length"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_INVALID");

    let (status, body) = app.get_key(&path).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["email"], "customer@webrana.cloud");
    for field in [
        "statusReason",
        "lastPasswordChangeAt",
        "activeSessions",
        "notificationPreferences",
        "telegramChatId",
    ] {
        assert!(body["data"].get(field).is_some(), "{field} missing: {body}");
    }
    let (status, body) = app
        .get_key("/api/v1/internal/users/00000000-0000-4000-8000-000000000000")
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "USER_NOT_FOUND");
    let (status, body) = app.get_key("/api/v1/internal/users/not-a-uuid").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "id");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn admin_or_key_rule(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let customer = app.login("customer@webrana.cloud", "Customer123!").await.0;
    let admin = app.admin_token().await;
    let path = "/api/v1/internal/users";

    let (status, body) = send(app.server.get(path).bearer_auth(&customer)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, _) = send(app.server.get(path).bearer_auth(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        app.server
            .get(path)
            .bearer_auth(&customer)
            .header("x-api-key", platform::testing::TEST_API_KEY),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "valid key plus customer token"
    );
    let (status, _) = send(
        app.server
            .get(path)
            .bearer_auth(&admin)
            .header("x-api-key", "wrong"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "wrong key plus admin token"
    );

    let (status, body) = send(
        app.server
            .post("/api/v1/internal/telegram/unlink", &json!({"chatId": "1"}))
            .bearer_auth(&admin),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn list_filters_search_and_paginates(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    for i in 0..3 {
        app.register(&format!("user{i}@example.com")).await;
    }
    let (status, body) = app.get_key("/api/v1/internal/users?limit=2&page=1").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["meta"],
        json!({"page": 1, "limit": 2, "total": 6, "totalPages": 3})
    );
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        body["data"][0]["email"], "user2@example.com",
        "newest first"
    );

    let (_, body) = app.get_key("/api/v1/internal/users?role=admin").await;
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app
        .get_key("/api/v1/internal/users?status=PENDING_VERIFICATION&search=USER1")
        .await;
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app.get_key("/api/v1/internal/users?search=%25").await;
    assert_eq!(body["meta"]["total"], 0, "LIKE metacharacters are literal");
    let (_, body) = app
        .get_key("/api/v1/internal/users?sort=email&limit=1")
        .await;
    assert_eq!(body["data"][0]["email"], "admin@webrana.cloud");
    let (_, body) = app.get_key("/api/v1/internal/users?page=9").await;
    assert_eq!(body["data"], json!([]));
    assert_eq!(body["meta"]["totalPages"], 1);

    for bad in [
        "limit=0",
        "limit=101",
        "page=0",
        "role=root",
        "sort=password",
        "unknown=1",
        "page=abc",
    ] {
        let (status, body) = app.get_key(&format!("/api/v1/internal/users?{bad}")).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn creating_admins_needs_a_super_admin(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let admin = app.admin_token().await;
    let new_admin = json!({"email": "ops@webrana.cloud", "fullName": "Tim Ops", "role": "admin"});

    let (status, body) = send(
        app.server
            .post("/api/v1/internal/users", &new_admin)
            .bearer_auth(&admin),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(
        body["error"]["message"],
        "Role admin hanya dapat dibuat oleh super_admin"
    );
    let (status, _) = app
        .post_key("/api/v1/internal/users", new_admin.clone())
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the key alone acts with admin powers"
    );
    let (status, body) = app
        .post_key(
            "/api/v1/internal/users",
            json!({"email": "x@webrana.cloud", "fullName": "X", "role": "super_admin"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    let super_admin = app.super_admin_token().await;
    let (status, body) = send(
        app.server
            .post("/api/v1/internal/users", &new_admin)
            .bearer_auth(&super_admin),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["role"], "admin");
    assert_eq!(body["data"]["status"], "ACTIVE");
    assert_eq!(body["data"]["setPasswordEmailSent"], true);
    let sent = app.notification.requests();
    assert_eq!(
        sent.last().map(|r| r.body["event"].clone()),
        Some(json!("ACCOUNT_SET_PASSWORD"))
    );

    let token = body["data"]["debugToken"]
        .as_str()
        .expect("token")
        .to_string();
    let (status, _) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "OpsBaru123!"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.login("ops@webrana.cloud", "OpsBaru123!").await;

    let (status, body) = send(
        app.server
            .post("/api/v1/internal/users", &new_admin)
            .bearer_auth(&super_admin),
    )
    .await;
    assert_error(status, &body, StatusCode::CONFLICT, "EMAIL_ALREADY_EXISTS");

    app.notification.respond_with(503, json!({}));
    let (status, body) = app
        .post_key(
            "/api/v1/internal/users",
            json!({"email": "cs@webrana.cloud", "fullName": "CS"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["data"]["setPasswordEmailSent"], false);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn suspension_and_the_status_matrix(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let admin = app.admin_token().await;
    let (_, refresh) = app.login("customer@webrana.cloud", "Customer123!").await;
    let path = format!("/api/v1/internal/users/{CUSTOMER_ID}/status");

    let (status, body) = send(
        app.server
            .patch(&path, &json!({"status": "SUSPENDED", "reason": "Tagihan"}))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "SUSPENDED");
    assert_eq!(body["data"]["statusReason"], "Tagihan");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "customer@webrana.cloud", "password": "Customer123!"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ACCOUNT_SUSPENDED");
    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": refresh}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "suspension revoked the refresh token: {body}"
    );

    let (status, _) = send(
        app.server
            .patch(&path, &json!({"status": "ACTIVE"}))
            .bearer_auth(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    app.login("customer@webrana.cloud", "Customer123!").await;

    let own = format!("/api/v1/internal/users/{ADMIN_ID}/status");
    let (status, body) = send(
        app.server
            .patch(&own, &json!({"status": "SUSPENDED"}))
            .bearer_auth(&admin),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, _) = send(
        app.server
            .patch(&own, &json!({"status": "SUSPENDED"}))
            .header("x-api-key", platform::testing::TEST_API_KEY),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the key alone cannot change an admin"
    );
    let sa = format!("/api/v1/internal/users/{SUPER_ADMIN_ID}/status");
    let super_admin = app.super_admin_token().await;
    let (status, _) = send(
        app.server
            .patch(&sa, &json!({"status": "SUSPENDED"}))
            .bearer_auth(&super_admin),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "nobody changes a super_admin"
    );
    let (status, _) = send(
        app.server
            .patch(&own, &json!({"status": "SUSPENDED"}))
            .bearer_auth(&super_admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a super_admin may suspend an admin");

    let (status, body) = send(
        app.server
            .patch(&path, &json!({"status": "DELETED"}))
            .header("x-api-key", platform::testing::TEST_API_KEY),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "customer@webrana.cloud", "password": "Customer123!"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ACCOUNT_DELETED");
    let (_, body) = app
        .get_key(&format!("/api/v1/internal/users/{CUSTOMER_ID}"))
        .await;
    assert_eq!(
        body["data"]["status"], "DELETED",
        "soft delete keeps the row"
    );

    for bad in [
        json!({"status": "PENDING_VERIFICATION"}),
        json!({"status": "ACTIVE", "reason": "x".repeat(501)}),
        json!({}),
    ] {
        let (status, body) = send(app.server.patch(&path, &bad).bearer_auth(&super_admin)).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    }
    let (status, body) = send(
        app.server
            .patch(
                "/api/v1/internal/users/00000000-0000-4000-8000-000000000000/status",
                &json!({"status": "ACTIVE"}),
            )
            .bearer_auth(&super_admin),
    )
    .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "USER_NOT_FOUND");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn suspended_users_lose_access_with_a_still_valid_token(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    sqlx::query("UPDATE users SET status = 'SUSPENDED' WHERE id = $1")
        .bind(uuid::Uuid::parse_str(CUSTOMER_ID).expect("uuid"))
        .execute(&app.pool)
        .await
        .expect("suspend");
    let (status, body) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ACCOUNT_SUSPENDED");
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(uuid::Uuid::parse_str(CUSTOMER_ID).expect("uuid"))
        .execute(&app.pool)
        .await
        .expect("delete");
    let (status, body) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}
