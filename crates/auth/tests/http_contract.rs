//! Bad input of every kind gets its 4xx envelope and leaves nothing behind; health, rate limits
//! and the shared response headers (platform.md §4, §6–§8, §11).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const REGISTER: &str = "/api/v1/auth/register";

async fn raw_post(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut req = app.server.client.post(app.server.url(path)).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    send(req).await
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn malformed_requests_get_envelopes_and_write_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let users_before = app.count("SELECT count(*) FROM users").await;

    let (status, body) = raw_post(
        &app,
        REGISTER,
        Some("application/json"),
        b"{\"email\": ".to_vec(),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let (status, body) = raw_post(&app, REGISTER, Some("text/plain"), b"{}".to_vec()).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let (status, body) = raw_post(&app, REGISTER, None, b"email=x".to_vec()).await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "UNSUPPORTED_MEDIA_TYPE",
    );
    let huge = format!("{{\"email\":\"{}\"}}", "a".repeat(1024 * 1024 + 10));
    let (status, body) =
        raw_post(&app, REGISTER, Some("application/json"), huge.into_bytes()).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
    );
    let (status, body) = raw_post(
        &app,
        REGISTER,
        Some("application/json"),
        vec![0xff, 0xfe, 0x00],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let (status, body) =
        raw_post(&app, REGISTER, Some("application/json"), b"[1,2]".to_vec()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    let (status, body) = app
        .post(REGISTER, json!({"email": 42, "password": true, "fullName": ["x"], "phoneNumber": "123", "timezone": "Mars/Base", "language": "indonesian", "isAdmin": true}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let fields: Vec<&str> = body["error"]["details"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        [
            "email",
            "password",
            "fullName",
            "phoneNumber",
            "timezone",
            "language",
            "isAdmin"
        ],
        "every problem at once"
    );

    let sqlish = "robert'); DROP TABLE users;--@example.com";
    let (status, body) = app
        .post(
            REGISTER,
            json!({"email": sqlish, "password": STRONG, "fullName": "Bobby"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .post(REGISTER, json!({"email": "bobby@example.com", "password": STRONG, "fullName": "Robert'); DROP TABLE users;--"}))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "SQL metacharacters are stored as data: {body}"
    );
    assert_eq!(body["data"]["fullName"], "Robert'); DROP TABLE users;--");

    let long = "x".repeat(256);
    let (status, body) = app
        .post(
            REGISTER,
            json!({"email": format!("{long}@example.com"), "password": STRONG, "fullName": long}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app.post(REGISTER, json!({"email": "long@example.com", "password": format!("Aa1!{}", "x".repeat(200)), "fullName": "L"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "a@example.com", "password": "p".repeat(129)}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    assert_eq!(
        app.count("SELECT count(*) FROM users").await,
        users_before + 1,
        "only bobby was written"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM verification_tokens").await,
        1
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn unknown_routes_and_methods_get_envelopes_with_request_ids(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .get("/api/v1/auth/nope")
        .header("x-request-id", "trace-123")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "NOT_FOUND");

    let (status, body) = send(app.server.delete("/api/v1/auth/login")).await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
    );

    let response = app
        .server
        .get("/health")
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .expect("send");
    let id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert_ne!(id, "bad id with spaces");
    assert_eq!(id.len(), 36, "replaced by a UUID");
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ] {
        assert_eq!(response.headers()[name], value);
    }
    let response = app
        .server
        .get("/api/v1/internal/users")
        .header("x-api-key", platform::testing::TEST_API_KEY)
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn health_and_readiness(pool: sqlx::PgPool) {
    let app = spawn_with(
        pool.clone(),
        &[("REDIS_URL", &platform::testing::redis_url())],
    )
    .await;
    let (status, body) = send(app.server.get("/health")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["service"], "auth-service");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    let (status, body) = send(app.server.get("/health/ready")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"status": "ok", "checks": {"database": "up", "redis": "up"}})
    );

    let dead_redis = platform::testing::closed_port_url()
        .await
        .replace("http://", "redis://");
    let app = spawn_with(pool, &[("REDIS_URL", &dead_redis)]).await;
    let (status, body) = send(app.server.get("/health/ready")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body,
        json!({"status": "unavailable", "checks": {"database": "up", "redis": "down"}})
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn sixth_login_in_a_minute_is_limited_through_redis(pool: sqlx::PgPool) {
    let (logs, _guard) = platform::testing::LogCapture::start("auth-service");
    let app = spawn_with(
        pool,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("REDIS_URL", &platform::testing::redis_url()),
        ],
    )
    .await;
    let body = json!({"email": "customer@webrana.cloud", "password": "Customer123!"});
    let mut last = None;
    for i in 0..5 {
        let response = app
            .server
            .post("/api/v1/auth/login", &body)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::OK, "login {i}");
        assert_eq!(response.headers()["x-ratelimit-limit"], "5");
        last = Some(
            response.headers()["x-ratelimit-remaining"]
                .to_str()
                .expect("ascii")
                .to_string(),
        );
    }
    assert_eq!(last.as_deref(), Some("0"));
    let response = app
        .server
        .post("/api/v1/auth/login", &body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    assert!(response.headers().contains_key("x-ratelimit-reset"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "TOO_MANY_REQUESTS");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(!message.to_lowercase().contains("redis") && !message.contains("127.0.0.1"));

    assert!(
        logs.lines()
            .iter()
            .any(|l| l["event"] == "auth.rate_limit.exceeded" && l["bucket"] == "login"),
        "the refusal is logged as auth.rate_limit.exceeded"
    );

    // The counter lives in Redis: a second replica sharing the prefix sees it.
    let keys: Vec<String> = {
        let client = redis::Client::open(platform::testing::redis_url()).expect("client");
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("conn");
        redis::cmd("KEYS")
            .arg("test:auth:*rl:login:*")
            .query_async(&mut conn)
            .await
            .expect("keys")
    };
    assert!(!keys.is_empty(), "login counter stored in Redis");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn register_is_limited_to_three_per_minute(pool: sqlx::PgPool) {
    let app = spawn_with(
        pool,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("REDIS_URL", &platform::testing::redis_url()),
        ],
    )
    .await;
    for i in 0..3 {
        app.register(&format!("r{i}@example.com")).await;
    }
    let (status, body) = app
        .post(
            REGISTER,
            json!({"email": "r9@example.com", "password": STRONG, "fullName": "R"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'r9@example.com'")
            .await,
        0
    );
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn forgot_password_is_limited_per_email_not_per_ip(pool: sqlx::PgPool) {
    let app = spawn_with(
        pool,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("REDIS_URL", &platform::testing::redis_url()),
        ],
    )
    .await;
    for _ in 0..3 {
        let (status, _) = app
            .post(
                "/api/v1/auth/forgot-password",
                json!({"email": "Customer@Webrana.Cloud"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/forgot-password",
            json!({"email": "customer@webrana.cloud"}),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::TOO_MANY_REQUESTS,
        "TOO_MANY_REQUESTS",
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/forgot-password",
            json!({"email": "admin@webrana.cloud"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another e-mail from the same IP has its own window"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM verification_tokens WHERE type = 'PASSWORD_RESET'")
            .await,
        4,
        "the limited request issued no token"
    );
}
