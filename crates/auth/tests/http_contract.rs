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
    // Windows are wall-clock minutes: start early in one, so six slow (debug-build, loaded
    // machine) logins cannot straddle two windows.
    let second = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .rem_euclid(60);
    if second > 40 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
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

/// The `field` of every entry of `details.fields`, in order.
fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["details"]["fields"]
        .as_array()
        .expect("details.fields")
        .iter()
        .map(|f| f["field"].as_str().expect("field").to_string())
        .collect()
}

/// Asserts a `400 VALIDATION_ERROR` naming exactly `fields`, each as an unknown property.
fn assert_unknown_query(status: StatusCode, body: &Value, fields: &[&str]) {
    assert_error(status, body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(body), fields, "{body}");
    for f in body["error"]["details"]["fields"]
        .as_array()
        .expect("fields")
    {
        assert_eq!(f["message"], "properti tidak dikenal", "{body}");
    }
}

/// Every row the routes below could write, as one comparable value.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for table in [
        "users",
        "refresh_tokens",
        "verification_tokens",
        "telegram_link_codes",
    ] {
        let sql = format!(
            "SELECT coalesce(string_agg(t::text, '|' ORDER BY t::text), '') FROM {table} t"
        );
        let rows: String = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(&app.pool)
            .await
            .expect("snapshot");
        out.push(rows);
    }
    out
}

enum Cred<'a> {
    Public,
    Bearer(&'a str),
    Key,
}

/// platform.md §4: a route without query parameters refuses any, naming each, before it acts.
#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn login_with_an_unknown_query_parameter_opens_no_session(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = snapshot(&app).await;
    let credentials = json!({"email": "customer@webrana.cloud", "password": "Customer123!"});
    let (status, body) = app
        .post("/api/v1/auth/login?rememberMe=true", credentials.clone())
        .await;
    assert_unknown_query(status, &body, &["rememberMe"]);
    assert!(body.get("data").is_none(), "no token pair: {body}");
    let (status, body) = app
        .post("/api/v1/auth/login?b=1&a=2&a=3", credentials.clone())
        .await;
    assert_unknown_query(status, &body, &["a", "b"]);
    assert_eq!(
        snapshot(&app).await,
        before,
        "no refresh token, no lastLoginAt"
    );

    let (status, body) = app.post("/api/v1/auth/login", credentials).await;
    assert_eq!(status, StatusCode::OK, "the same login without it: {body}");
    assert_eq!(app.count("SELECT count(*) FROM refresh_tokens").await, 1);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn me_with_an_unknown_query_parameter_is_refused_after_authentication(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;

    let (status, body) = app.get_auth("/api/v1/auth/me?x=1", &access).await;
    assert_unknown_query(status, &body, &["x"]);
    let (status, body) = app.get_auth("/api/v1/auth/me", &access).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A request that was already wrong keeps its error: authentication is judged first.
    let (status, body) = send(app.server.get("/api/v1/auth/me?x=1")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = app.get_auth("/api/v1/auth/me?x=1", "not-a-jwt").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");

    let before = snapshot(&app).await;
    let (status, body) = send(
        app.server
            .patch(
                "/api/v1/auth/me?fullName=Ganti",
                &json!({"fullName": "Ganti"}),
            )
            .bearer_auth(&access),
    )
    .await;
    assert_unknown_query(status, &body, &["fullName"]);
    assert_eq!(snapshot(&app).await, before, "the profile is unchanged");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn telegram_link_with_an_unknown_query_parameter_links_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let (status, body) = app
        .post_auth("/api/v1/auth/me/telegram/link-code", &access, json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let code = body["data"]["code"].as_str().expect("code").to_string();
    let link = json!({"code": code, "chatId": "555"});

    let before = snapshot(&app).await;
    let (status, body) = app
        .post_key("/api/v1/internal/telegram/link?dryRun=true", link.clone())
        .await;
    assert_unknown_query(status, &body, &["dryRun"]);
    // Without the key the request was already wrong: still 401.
    let (status, body) = app
        .post("/api/v1/internal/telegram/link?dryRun=true", link.clone())
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_MISSING");
    let (status, body) = app
        .post_key(
            "/api/v1/internal/telegram/unlink?x=1",
            json!({"chatId": "555"}),
        )
        .await;
    assert_unknown_query(status, &body, &["x"]);
    assert_eq!(
        snapshot(&app).await,
        before,
        "the code is unspent, no chat is linked"
    );

    let (status, body) = app.post_key("/api/v1/internal/telegram/link", link).await;
    assert_eq!(status, StatusCode::OK, "the code still works: {body}");
    assert_eq!(body["data"]["telegramChatId"], "555");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn every_route_without_query_parameters_refuses_them(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (access, refresh) = app.login("customer@webrana.cloud", "Customer123!").await;
    let user = format!("/api/v1/internal/users/{CUSTOMER_ID}");
    let status_path = format!("{user}/status");
    let routes: Vec<(&str, &str, Cred)> = vec![
        ("POST", "/api/v1/auth/register", Cred::Public),
        ("POST", "/api/v1/auth/verify-email", Cred::Public),
        ("POST", "/api/v1/auth/resend-verification", Cred::Public),
        ("POST", "/api/v1/auth/login", Cred::Public),
        ("POST", "/api/v1/auth/refresh", Cred::Public),
        ("POST", "/api/v1/auth/logout", Cred::Public),
        ("POST", "/api/v1/auth/forgot-password", Cred::Public),
        ("POST", "/api/v1/auth/reset-password", Cred::Public),
        ("POST", "/api/v1/auth/logout-all", Cred::Bearer(&access)),
        (
            "POST",
            "/api/v1/auth/change-password",
            Cred::Bearer(&access),
        ),
        ("GET", "/api/v1/auth/me", Cred::Bearer(&access)),
        ("PATCH", "/api/v1/auth/me", Cred::Bearer(&access)),
        ("PUT", "/api/v1/auth/me/telegram", Cred::Bearer(&access)),
        ("DELETE", "/api/v1/auth/me/telegram", Cred::Bearer(&access)),
        (
            "POST",
            "/api/v1/auth/me/telegram/link-code",
            Cred::Bearer(&access),
        ),
        ("POST", "/api/v1/internal/users", Cred::Key),
        ("GET", &user, Cred::Key),
        ("PATCH", &status_path, Cred::Key),
        ("POST", "/api/v1/internal/telegram/link", Cred::Key),
        ("POST", "/api/v1/internal/telegram/unlink", Cred::Key),
    ];
    let before = snapshot(&app).await;
    for (method, path, cred) in &routes {
        let url = format!("{path}?unknownParam=1");
        let empty = json!({});
        let req = match *method {
            "GET" => app.server.get(&url),
            "POST" => app.server.post(&url, &empty),
            "PATCH" => app.server.patch(&url, &empty),
            "PUT" => app.server.put(&url, &empty),
            "DELETE" => app.server.delete(&url),
            other => unreachable!("{other}"),
        };
        let req = match cred {
            Cred::Public => req,
            Cred::Bearer(token) => req.bearer_auth(token),
            Cred::Key => req.header("x-api-key", platform::testing::TEST_API_KEY),
        };
        let (status, body) = send(req).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert_unknown_query(status, &body, &["unknownParam"]);
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "no session ended, no code issued"
    );
    let (status, body) = app
        .post("/api/v1/auth/refresh", json!({"refreshToken": refresh}))
        .await;
    assert_eq!(status, StatusCode::OK, "logout-all did not run: {body}");

    // The one route with query parameters still takes them and still refuses others.
    let (status, body) = app
        .get_key("/api/v1/internal/users?page=1&limit=5&role=customer")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .get_key("/api/v1/internal/users?page=1&unknownParam=1")
        .await;
    assert_unknown_query(status, &body, &["unknownParam"]);
}
