//! Login, access-token claims, refresh rotation with reuse detection, logout (auth.md §5.5,
//! §9 checks 4, 6–9).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn claims_of(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("payload");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64");
    serde_json::from_slice(&raw).expect("json")
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn pending_user_logs_in_flagged_and_bad_credentials_look_identical(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.register("pending@example.com").await;
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "Pending@Example.com", "password": STRONG}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["requiresVerification"], true);
    assert_eq!(data["tokenType"], "Bearer");
    assert_eq!(data["expiresIn"], 900);
    assert_eq!(data["refreshExpiresIn"], 604800);
    assert_eq!(data["user"]["status"], "PENDING_VERIFICATION");
    assert!(data["user"].get("createdAt").is_none());
    assert_eq!(data["refreshToken"].as_str().map(str::len), Some(43));
    let claims = claims_of(data["accessToken"].as_str().expect("token"));
    assert_eq!(claims["status"], "PENDING_VERIFICATION");

    let (s1, wrong_password) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "pending@example.com", "password": "Nope123!!"}),
        )
        .await;
    let (s2, unknown) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "ghost@example.com", "password": "Nope123!!"}),
        )
        .await;
    assert_error(
        s1,
        &wrong_password,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    );
    assert_eq!(s1, s2);
    assert_eq!(wrong_password, unknown);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn access_token_has_exactly_the_contract_claims(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let header = claims_of(&format!("x.{}", access.split('.').next().expect("header")));
    assert_eq!(header["alg"], "RS256");
    let claims = claims_of(&access);
    let mut keys: Vec<&str> = claims
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "email", "exp", "iat", "iss", "jti", "role", "status", "sub", "type"
        ]
    );
    assert_eq!(claims["type"], "access");
    assert_eq!(claims["iss"], "webrana-cloud");
    assert_eq!(claims["role"], "customer");
    assert_eq!(claims["status"], "ACTIVE");
    assert_eq!(claims["sub"], CUSTOMER_ID);
    assert_eq!(
        claims["exp"].as_i64().expect("exp") - claims["iat"].as_i64().expect("iat"),
        900
    );
    let verifier =
        platform::auth::JwtVerifier::new(&platform::testing::rs256_settings()).expect("verifier");
    verifier
        .verify(&access)
        .expect("verifies with the public key");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn refresh_rotates_and_reuse_revokes_the_family(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, r1) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (_, other_session) = app.login("customer@webrana.cloud", "Customer123!").await;

    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": r1}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r2 = body["data"]["refreshToken"]
        .as_str()
        .expect("r2")
        .to_string();
    assert_ne!(r1, r2);
    assert!(body["data"]["accessToken"].is_string());

    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": r1}))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNAUTHORIZED,
        "TOKEN_REUSE_DETECTED",
    );
    let (status, _) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": r2}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the whole family is revoked"
    );
    let reasons: Vec<String> = sqlx::query_scalar("SELECT revoked_reason FROM refresh_tokens WHERE revoked_reason IS NOT NULL ORDER BY revoked_at")
        .fetch_all(&app.pool)
        .await
        .expect("reasons");
    assert_eq!(reasons, ["ROTATED", "REUSE_DETECTED"]);

    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": other_session}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "another login is unaffected");
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    assert!(!access.is_empty());
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn concurrent_refreshes_of_one_token_let_at_most_one_win(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, r1) = app.login("customer@webrana.cloud", "Customer123!").await;
    let calls =
        (0..6).map(|_| app.post("/api/v1/auth/refresh", json!({"refreshToken": r1.clone()})));
    let results = futures::future::join_all(calls).await;
    let wins = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert!(wins <= 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::UNAUTHORIZED)
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn refresh_errors(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            json!({"refreshToken": "never-issued"}),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "TOKEN_INVALID");

    let (_, r) = app.login("customer@webrana.cloud", "Customer123!").await;
    sqlx::query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("age");
    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": r}))
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "TOKEN_EXPIRED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn logout_is_idempotent_and_logout_all_counts_sessions(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, r) = app.login("customer@webrana.cloud", "Customer123!").await;
    for _ in 0..2 {
        let (status, body) = app
            .post("/api/v1/auth/logout", json!({"refreshToken": r}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["message"], "Berhasil keluar");
    }
    let (status, _) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": r}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post("/api/v1/auth/logout", json!({"refreshToken": "unknown"}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (access, a) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (_, b) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = app
        .post_auth("/api/v1/auth/logout-all", &access, json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["revokedSessions"], 2);
    for token in [a, b] {
        let (status, _) = app
            .post("/api/v1/auth/refresh", json!({"refreshToken": token}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = app.post("/api/v1/auth/logout-all", json!({})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn login_records_device_and_last_login(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, _) = app
        .post("/api/v1/auth/login", json!({"email": "customer@webrana.cloud", "password": "Customer123!", "deviceInfo": "Pixel 8"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let device: Option<String> = sqlx::query_scalar("SELECT device_info FROM refresh_tokens")
        .fetch_one(&app.pool)
        .await
        .expect("row");
    assert_eq!(device.as_deref(), Some("Pixel 8"));
    let (_, body) = app
        .get_key(&format!("/api/v1/internal/users/{CUSTOMER_ID}"))
        .await;
    assert!(body["data"]["lastLoginAt"].is_string());
    assert_eq!(body["data"]["activeSessions"], 1);
}
