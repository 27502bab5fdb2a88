//! Forgot / reset / change password (auth.md §5.6, §9 checks 10–11).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn reset_flow_works_once_and_ends_sessions(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, old_refresh) = app.login("customer@webrana.cloud", "Customer123!").await;

    let (s1, unknown) = app
        .post(
            "/api/v1/auth/forgot-password",
            json!({"email": "ghost@example.com"}),
        )
        .await;
    let (s2, known) = app
        .post(
            "/api/v1/auth/forgot-password",
            json!({"email": "customer@webrana.cloud"}),
        )
        .await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(unknown["data"]["message"], known["data"]["message"]);
    assert!(unknown["data"].get("debugToken").is_none());
    let token = known["data"]["debugToken"]
        .as_str()
        .expect("token")
        .to_string();

    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "weak"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        body["error"]["details"]["fields"][0]["field"],
        "newPassword"
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["message"],
        "Password telah diperbarui. Silakan masuk dengan password baru."
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "LagiLagi9#"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_USED");

    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "customer@webrana.cloud", "password": "Customer123!"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    );
    app.login("customer@webrana.cloud", "BaruSekali9#").await;
    let (status, _) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": old_refresh}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": "0".repeat(64), "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_INVALID");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn reset_activates_a_pending_account_and_refuses_suspended_ones(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, _) = app.register("pending@example.com").await;
    let token = app.reset_token("pending@example.com").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get_key(&format!("/api/v1/internal/users/{id}")).await;
    assert_eq!(body["data"]["status"], "ACTIVE");

    let token = app.reset_token("pending@example.com").await;
    sqlx::query("UPDATE users SET status = 'SUSPENDED' WHERE email = 'pending@example.com'")
        .execute(&app.pool)
        .await
        .expect("suspend");
    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "LainLagi9#"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "ACCOUNT_SUSPENDED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn expired_reset_token_is_refused(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let token = app.reset_token("customer@webrana.cloud").await;
    sqlx::query("UPDATE verification_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("age");
    let (status, body) = app
        .post(
            "/api/v1/auth/reset-password",
            json!({"token": token, "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_EXPIRED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn change_password_checks_current_and_revokes_every_session(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, refresh) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = app
        .post_auth(
            "/api/v1/auth/change-password",
            &access,
            json!({"currentPassword": "Wrong123!", "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::BAD_REQUEST,
        "INVALID_CURRENT_PASSWORD",
    );
    let (status, body) = app
        .post_auth(
            "/api/v1/auth/change-password",
            &access,
            json!({"currentPassword": "Customer123!", "newPassword": "short"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert!(
        body["error"]["details"]["requirements"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("min_length")))
    );

    let (status, body) = app
        .post_auth(
            "/api/v1/auth/change-password",
            &access,
            json!({"currentPassword": "Customer123!", "newPassword": "BaruSekali9#"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": refresh}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the access token stays valid until it expires"
    );
    let reason: String = sqlx::query_scalar("SELECT revoked_reason FROM refresh_tokens")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert_eq!(reason, "PASSWORD_CHANGED");
    app.login("customer@webrana.cloud", "BaruSekali9#").await;
}
