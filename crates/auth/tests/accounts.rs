//! Registration, e-mail verification, resend and the account e-mails (auth.md §5.3, §5.4,
//! §9 checks 2, 3, 5).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn register_lowercases_and_refuses_duplicates(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "Budi@Example.com", "password": STRONG, "fullName": "Budi Santoso", "phoneNumber": "+6281234567890"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let data = &body["data"];
    assert_eq!(data["email"], "budi@example.com");
    assert_eq!(data["status"], "PENDING_VERIFICATION");
    assert_eq!(data["role"], "customer");
    assert!(data["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    for secret in ["password", "passwordHash", "password_hash"] {
        assert!(data.get(secret).is_none(), "{secret} leaked: {body}");
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "budi@example.com", "password": STRONG, "fullName": "Budi"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "EMAIL_ALREADY_EXISTS");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'budi@example.com'")
            .await,
        1
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn weak_password_lists_requirements_and_extra_fields_are_refused(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "a@example.com", "password": "password", "fullName": "A"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        body["error"]["message"],
        "Password belum memenuhi kebijakan keamanan"
    );
    assert_eq!(
        body["error"]["details"]["requirements"],
        json!(["uppercase", "digit", "special_char"])
    );
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "password");

    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "a@example.com", "password": STRONG, "fullName": "A", "role": "admin"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "role");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'a@example.com'")
            .await,
        0
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn verification_token_works_once_and_resend_retires_the_old_one(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, first) = app.register("siti@example.com").await;

    let (status, body) = app
        .post(
            "/api/v1/auth/resend-verification",
            json!({"email": "siti@example.com"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["data"]["debugToken"]
        .as_str()
        .expect("new token")
        .to_string();
    assert_ne!(first, second);

    let (status, body) = app
        .post("/api/v1/auth/verify-email", json!({"token": first}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_USED");

    let (status, body) = app
        .post("/api/v1/auth/verify-email", json!({"token": second}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["userId"], id);
    assert_eq!(body["data"]["message"], "Verifikasi email berhasil");

    let (status, body) = app
        .post("/api/v1/auth/verify-email", json!({"token": second}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_USED");
    let (status, body) = app
        .post(
            "/api/v1/auth/verify-email",
            json!({"token": "f".repeat(64)}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_INVALID");

    let (_, body) = app.get_key(&format!("/api/v1/internal/users/{id}")).await;
    assert_eq!(body["data"]["status"], "ACTIVE");
    assert!(body["data"]["emailVerifiedAt"].is_string());
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn expired_verification_token_is_refused(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, token) = app.register("lama@example.com").await;
    sqlx::query("UPDATE verification_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("age token");
    let (status, body) = app
        .post("/api/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "TOKEN_EXPIRED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn resend_answers_identically_for_unknown_verified_and_pending(pool: sqlx::PgPool) {
    let app = spawn_with(pool, &[("AUTH_DEBUG_TOKENS", "false")]).await;
    let (status, _) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "pending@example.com", "password": STRONG, "fullName": "P"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut answers = Vec::new();
    for email in [
        "nobody@example.com",
        "customer@webrana.cloud",
        "pending@example.com",
    ] {
        let (status, body) = app
            .post("/api/v1/auth/resend-verification", json!({"email": email}))
            .await;
        assert_eq!(status, StatusCode::OK);
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn tokens_are_stored_only_as_digests(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, verification) = app.register("hash@example.com").await;
    app.post("/api/v1/auth/verify-email", json!({"token": verification}))
        .await;
    let (_, refresh) = app.login("hash@example.com", STRONG).await;

    let digest = platform::crypto::sha256_hex(refresh.as_bytes());
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM refresh_tokens")
        .fetch_all(&app.pool)
        .await
        .expect("rows");
    assert!(stored.contains(&digest));
    assert!(!stored.contains(&refresh));
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM verification_tokens")
        .fetch_all(&app.pool)
        .await
        .expect("rows");
    assert!(stored.contains(&platform::crypto::sha256_hex(verification.as_bytes())));
    assert!(!stored.contains(&verification));
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'hash@example.com'")
            .fetch_one(&app.pool)
            .await
            .expect("hash");
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn account_emails_go_to_notification_with_the_token_row_as_idempotency_key(
    pool: sqlx::PgPool,
) {
    let app = spawn(pool).await;
    let (id, token) = app.register("mail@example.com").await;
    let requests = app.notification.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.path, "/api/v1/internal/notifications/send");
    assert_eq!(sent.headers["x-api-key"], platform::testing::TEST_API_KEY);
    assert_eq!(sent.headers["x-service-name"], "auth-service");
    assert!(sent.headers.contains_key("x-request-id"));
    let row_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM verification_tokens")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert_eq!(sent.headers["idempotency-key"], row_id.to_string().as_str());
    assert_eq!(sent.body["event"], "EMAIL_VERIFICATION");
    assert_eq!(sent.body["userId"], id);
    assert_eq!(sent.body["data"]["email"], "mail@example.com");
    assert_eq!(sent.body["data"]["fullName"], "Budi Santoso");
    assert_eq!(
        sent.body["data"]["actionUrl"],
        format!("http://localhost:4200/verify-email?token={token}")
    );
    assert!(
        sent.body["data"]["expiresAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    app.post(
        "/api/v1/auth/forgot-password",
        json!({"email": "mail@example.com"}),
    )
    .await;
    let requests = app.notification.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].body["event"], "PASSWORD_RESET");
    assert!(
        requests[1].body["data"]["actionUrl"]
            .as_str()
            .is_some_and(|u| u.contains("/reset-password?token="))
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn notification_down_never_fails_registration(pool: sqlx::PgPool) {
    let down = platform::testing::closed_port_url().await;
    let app = spawn_with(pool, &[("NOTIFICATION_SERVICE_BASE_URL", &down)]).await;
    let (id, token) = app.register("offline@example.com").await;
    assert!(!id.is_empty());
    let (status, _) = app
        .post("/api/v1/auth/verify-email", json!({"token": token}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn verification_disabled_creates_active_accounts(pool: sqlx::PgPool) {
    let app = spawn_with(pool, &[("AUTH_EMAIL_VERIFICATION_ENABLED", "false")]).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "direct@example.com", "password": STRONG, "fullName": "Direct"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["data"]["status"], "ACTIVE");
    assert!(body["data"].get("debugToken").is_none());
    assert!(app.notification.requests().is_empty());
}
